import type { EachMessagePayload, KafkaMessage } from 'kafkajs';
import { v5 as uuidv5 } from 'uuid';
import { logger } from '@/config';
import { pool, withTransaction } from '@/db';
import { kafka, Topics, type OrderEvent } from '@/kafka';
import { bookShipment } from '@/clients/carrier';
import { enqueueEvent } from '@/repositories/outbox';
import { findShippingDetails } from '@/repositories/orders';

/** Namespace of the shipment request ids derived from message ids (uuid v5: same message, same id). */
const SHIPMENT_REQUEST_NAMESPACE = '0b9c6f1e-4d0a-4c55-9a43-2f6f3f1b7c1d';

const DEFAULT_PARCEL = { weightGrams: 1_000 };

interface TrackingUpdate {
  requestId: string;
  status: 'label_created' | 'in_transit' | 'delivered' | 'returned';
  occurredAt: string;
}

function parse<T>(message: KafkaMessage): T {
  return JSON.parse(message.value?.toString() ?? '{}') as T;
}

/** The relay stamps every message with the outbox row id; fall back to the log position. */
function messageIdOf({ topic, partition, message }: EachMessagePayload): string {
  const header = message.headers?.['message-id'];
  return header ? header.toString() : `${topic}:${partition}:${message.offset}`;
}

const shipmentConsumer = kafka.consumer({ groupId: 'shop.fulfillment.shipments', sessionTimeout: 30_000 });
const trackingConsumer = kafka.consumer({ groupId: 'shop.fulfillment.tracking', sessionTimeout: 30_000 });

export async function startFulfillmentConsumers(): Promise<void> {
  await Promise.all([shipmentConsumer.connect(), trackingConsumer.connect()]);
  await shipmentConsumer.subscribe({ topic: Topics.orderEvents });
  await trackingConsumer.subscribe({ topic: Topics.carrierTracking });

  // Paid orders get a shipment. Delivery is at-least-once: the inbox records every applied message,
  // the carrier deduplicates on the request id (derived from the message id), and so does shipments.
  await shipmentConsumer.run({
    eachMessage: async (payload) => {
      const event = parse<OrderEvent>(payload.message);
      if (event.type !== 'order.paid') return;
      const messageId = messageIdOf(payload);
      const seen = await pool.query('SELECT 1 FROM fulfillment_inbox WHERE message_id = $1', [messageId]);
      if (seen.rowCount) return;

      const details = await findShippingDetails(event.orderId);
      if (!details) {
        logger.warn({ orderId: event.orderId }, 'paid order not found, skipping');
        return;
      }
      const requestId = uuidv5(messageId, SHIPMENT_REQUEST_NAMESPACE);
      const booked = await bookShipment(
        {
          reference: `order-${details.order_id}`,
          recipient: { name: details.display_name ?? details.email, email: details.email, country: details.shipping_country },
          parcels: [DEFAULT_PARCEL],
        },
        requestId,
      );
      await withTransaction(async (client) => {
        await client.query(
          `INSERT INTO shipments (order_id, request_id, carrier)
           VALUES ($1, $2, $3)
           ON CONFLICT (request_id) DO NOTHING`,
          [details.order_id, requestId, booked.carrier],
        );
        await client.query('INSERT INTO fulfillment_inbox (message_id, order_id, event_type) VALUES ($1, $2, $3)', [
          messageId,
          details.order_id,
          event.type,
        ]);
      });
    },
  });

  // Delivered parcels complete their order, and the shop tells the customer (order.fulfilled).
  await trackingConsumer.run({
    eachMessage: async ({ message }) => {
      const update = parse<TrackingUpdate>(message);
      if (update.status !== 'delivered') return;
      const { rows } = await pool.query<{ order_id: number }>('SELECT order_id FROM shipments WHERE request_id = $1', [update.requestId]);
      const shipment = rows[0];
      if (!shipment) return;
      await pool.query(`UPDATE orders SET status = 'fulfilled', updated_at = now() WHERE id = $1`, [shipment.order_id]);
      await enqueueEvent(pool, {
        aggregateType: 'order',
        aggregateId: shipment.order_id,
        eventType: 'order.fulfilled',
        payload: { orderId: shipment.order_id, deliveredAt: update.occurredAt },
      });
    },
  });
}

export async function stopFulfillmentConsumers(): Promise<void> {
  await Promise.all([shipmentConsumer.disconnect(), trackingConsumer.disconnect()]);
}
