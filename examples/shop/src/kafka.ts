import { Kafka, logLevel, type Producer } from 'kafkajs';
import { env } from '@/config';

export const kafka = new Kafka({
  clientId: env.KAFKA_CLIENT_ID,
  brokers: env.KAFKA_BROKERS,
  connectionTimeout: 3_000,
  requestTimeout: 25_000,
  logLevel: logLevel.WARN,
});

export const Topics = {
  /** Order lifecycle events, published from the outbox by the relay. */
  orderEvents: 'shop.order-events.v1',
  /** Parcel tracking updates, bridged from the carrier's webhooks by the integration team. */
  carrierTracking: 'carrier.tracking.v1',
} as const;

export interface OrderEvent {
  type: 'order.created' | 'order.paid' | 'order.cancelled' | 'order.fulfilled';
  orderId: number;
  [field: string]: unknown;
}

let producerReady: Promise<Producer> | undefined;

async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

/** The process's producer, connected on first use. */
export function getProducer(): Promise<Producer> {
  if (!producerReady) {
    producerReady = connectProducer();
  }
  return producerReady;
}

/** Publishes straight to Kafka. Prefer `enqueueEvent` in the transaction that changes the order. */
export async function publishOrderEvent(event: OrderEvent): Promise<void> {
  const producer = await getProducer();
  await producer.send({
    topic: Topics.orderEvents,
    messages: [{ key: String(event.orderId), value: JSON.stringify(event), headers: { 'event-type': event.type } }],
  });
}

export async function disconnectProducer(): Promise<void> {
  if (producerReady) {
    const producer = await producerReady;
    await producer.disconnect();
  }
}
