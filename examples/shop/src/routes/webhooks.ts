import express, { Router } from 'express';
import type { PoolClient } from 'pg';
import { env, logger } from '@/config';
import { pool, withTransaction } from '@/db';
import { stripe, type PaymentIntent, type StripeEvent } from '@/clients/stripe';
import { enqueueEvent } from '@/repositories/outbox';

export const webhooksRouter = Router();

// Stripe webhooks are stored first and processed asynchronously: the handler only verifies the
// signature and records the event, so a slow or failing processor never loses one. Stripe retries
// deliveries, and the unique (provider, provider_event_id) key turns a redelivery into a no-op.
webhooksRouter.post('/stripe', express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
  const signature = req.header('stripe-signature');
  let event: StripeEvent;
  try {
    event = stripe.webhooks.constructEvent(req.body as Buffer, signature ?? '', env.STRIPE_WEBHOOK_SECRET);
  } catch (err) {
    logger.warn({ err }, 'rejected a webhook with an invalid signature');
    res.sendStatus(400);
    return;
  }
  await pool.query(
    `INSERT INTO webhook_events (provider, provider_event_id, event_type, payload)
     VALUES ('stripe', $1, $2, $3)
     ON CONFLICT (provider, provider_event_id) DO NOTHING`,
    [event.id, event.type, JSON.stringify(event)],
  );
  res.sendStatus(200);
});

/** Applies one stored event inside the processor's transaction. */
async function applyStripeEvent(client: PoolClient, event: StripeEvent): Promise<void> {
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = event.data.object as PaymentIntent;
      const { rows } = await client.query<{ order_id: number }>(
        `UPDATE payments SET status = 'succeeded', provider_ref = $2, provider_response = $3
          WHERE id = $1 AND status = 'pending'
          RETURNING order_id`,
        [Number(intent.metadata.payment_id), intent.id, JSON.stringify(intent)],
      );
      const payment = rows[0];
      if (!payment) return; // already settled, or not one of ours
      const { rows: orders } = await client.query<{ id: number; customer_id: number; shipping_country: string }>(
        `UPDATE orders SET status = 'paid', updated_at = now()
          WHERE id = $1 AND status = 'pending'
          RETURNING id, customer_id, shipping_country`,
        [payment.order_id],
      );
      const order = orders[0];
      if (!order) return;
      await enqueueEvent(client, {
        aggregateType: 'order',
        aggregateId: order.id,
        eventType: 'order.paid',
        payload: { orderId: order.id, customerId: order.customer_id, shippingCountry: order.shipping_country },
      });
      return;
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object as PaymentIntent;
      await client.query(
        `UPDATE payments SET status = 'failed', provider_response = $2 WHERE id = $1 AND status = 'pending'`,
        [Number(intent.metadata.payment_id), JSON.stringify(intent)],
      );
      return;
    }
    default:
      logger.debug({ type: event.type }, 'ignoring webhook event');
  }
}

/**
 * Processes the oldest unprocessed event (webhook_events_unprocessed_idx). The row stays locked until
 * the transaction commits, so two processors never apply the same event, and `processed_at` is set in
 * the same transaction as the changes the event causes. Returns false when there is nothing to do.
 */
export async function processNextWebhookEvent(): Promise<boolean> {
  return withTransaction(async (client) => {
    const { rows } = await client.query<{ id: number; payload: StripeEvent }>(
      `SELECT id, payload
         FROM webhook_events
        WHERE processed_at IS NULL
        ORDER BY received_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED`,
    );
    const stored = rows[0];
    if (!stored) return false;
    await applyStripeEvent(client, stored.payload);
    await client.query('UPDATE webhook_events SET processed_at = now() WHERE id = $1', [stored.id]);
    return true;
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runWebhookProcessor(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const processed = await processNextWebhookEvent();
      if (!processed) await sleep(1_000);
    } catch (err) {
      logger.error({ err }, 'webhook processing failed');
      await sleep(5_000);
    }
  }
}
