import type { PoolClient } from 'pg';
import { pool } from '@/db';

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'refunded';

export interface Payment {
  id: number;
  order_id: number;
  provider: string;
  provider_ref: string | null;
  idempotency_key: string;
  amount_cents: number;
  currency: string;
  status: PaymentStatus;
  created_at: Date;
}

export interface Refund {
  id: number;
  payment_id: number;
  amount_cents: number;
  reason: string | null;
  created_at: Date;
}

const PAYMENT_COLUMNS = 'id, order_id, provider, provider_ref, idempotency_key, amount_cents, currency, status, created_at';

export async function findPayment(paymentId: number): Promise<Payment | undefined> {
  const { rows } = await pool.query<Payment>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [paymentId]);
  return rows[0];
}

/** Support tooling: the payment behind a Stripe PaymentIntent id (`pi_…`) pasted from the dashboard. */
export async function findPaymentByProviderRef(providerRef: string): Promise<Payment | undefined> {
  const { rows } = await pool.query<Payment>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider_ref = $1`, [providerRef]);
  return rows[0];
}

/** The payment a checkout created with this Idempotency-Key (payments_idempotency_key_key is unique). */
export async function findPaymentByIdempotencyKey(idempotencyKey: string): Promise<Payment | undefined> {
  const { rows } = await pool.query<Payment>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE idempotency_key = $1`, [idempotencyKey]);
  return rows[0];
}

/** Inserts the pending payment of a checkout; undefined when a payment with this key already exists. */
export async function insertPendingPayment(
  client: PoolClient,
  payment: { orderId: number; idempotencyKey: string; amountCents: number; currency: string },
): Promise<Payment | undefined> {
  const { rows } = await client.query<Payment>(
    `INSERT INTO payments (order_id, provider, idempotency_key, amount_cents, currency, status)
     VALUES ($1, 'stripe', $2, $3, $4, 'pending')
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${PAYMENT_COLUMNS}`,
    [payment.orderId, payment.idempotencyKey, payment.amountCents, payment.currency],
  );
  return rows[0];
}

/** Records the PaymentIntent of a payment. Running it twice with the same intent changes nothing. */
export async function attachProviderRef(paymentId: number, providerRef: string): Promise<void> {
  await pool.query('UPDATE payments SET provider_ref = $2 WHERE id = $1', [paymentId, providerRef]);
}

export async function insertRefund(refund: { paymentId: number; amountCents: number; reason: string }): Promise<Refund> {
  const { rows } = await pool.query<Refund>(
    `INSERT INTO refunds (payment_id, amount_cents, reason)
     VALUES ($1, $2, $3)
     RETURNING id, payment_id, amount_cents, reason, created_at`,
    [refund.paymentId, refund.amountCents, refund.reason],
  );
  const created = rows[0];
  if (!created) throw new Error('INSERT INTO refunds returned no row');
  return created;
}
