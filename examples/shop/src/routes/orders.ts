import { Router } from 'express';
import { z } from 'zod';
import { pool, withTransaction } from '@/db';
import { getPrices } from '@/clients/catalog';
import { publishOrderEvent } from '@/kafka';
import { enqueueEvent } from '@/repositories/outbox';
import {
  findOrder,
  findOrderItems,
  insertOrder,
  insertOrderItems,
  listOpenOrders,
  listOrdersForCustomer,
  type Order,
} from '@/repositories/orders';
import { findPaymentByIdempotencyKey, insertPendingPayment } from '@/repositories/payments';

export const ordersRouter = Router();

class DuplicateCheckoutError extends Error {}
class OrderNotEditableError extends Error {}

const checkoutSchema = z.object({
  customerId: z.number().int().positive(),
  currency: z.enum(['EUR', 'USD', 'GBP']),
  shippingCountry: z.string().length(2),
  notes: z.string().max(500).optional(),
  items: z
    .array(z.object({ sku: z.string().min(1).max(64), quantity: z.number().int().positive().max(100) }))
    .min(1)
    .max(50),
});

const listQuery = z.object({
  customerId: z.coerce.number().int().positive(),
  before: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

const orderParams = z.object({ orderId: z.coerce.number().int().positive() });
const itemParams = orderParams.extend({ itemId: z.coerce.number().int().positive() });
const quantityBody = z.object({ quantity: z.number().int().positive().max(100) });

async function orderWithItems(orderId: number) {
  const order = await findOrder(orderId);
  return order && { ...order, items: await findOrderItems(orderId) };
}

// Checkout. The order, its items, the pending payment and the order.created event are written in one
// transaction. The payment row stores the client's Idempotency-Key (unique since V7): a retry finds the
// order of the first attempt, and a concurrent duplicate loses on ON CONFLICT and rolls its order back.
ordersRouter.post('/', async (req, res) => {
  const idempotencyKey = req.header('Idempotency-Key');
  if (!idempotencyKey) {
    res.status(400).json({ error: 'Idempotency-Key header is required' });
    return;
  }
  const input = checkoutSchema.parse(req.body);

  const previous = await findPaymentByIdempotencyKey(idempotencyKey);
  if (previous) {
    res.status(200).json({ order: await orderWithItems(previous.order_id), paymentId: previous.id });
    return;
  }

  const prices = await getPrices(input.items.map((item) => item.sku), input.currency);
  const unknown = input.items.filter((item) => !prices.has(item.sku)).map((item) => item.sku);
  if (unknown.length > 0) {
    res.status(422).json({ error: 'unknown_sku', skus: unknown });
    return;
  }
  const items = input.items.map((item) => ({ ...item, unitPriceCents: prices.get(item.sku) ?? 0 }));
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);

  try {
    const created = await withTransaction(async (client) => {
      const order = await insertOrder(client, {
        customerId: input.customerId,
        totalCents,
        currency: input.currency,
        shippingCountry: input.shippingCountry,
        notes: input.notes,
      });
      await insertOrderItems(client, order.id, items);
      const payment = await insertPendingPayment(client, { orderId: order.id, idempotencyKey, amountCents: totalCents, currency: input.currency });
      if (!payment) throw new DuplicateCheckoutError();
      await enqueueEvent(client, {
        aggregateType: 'order',
        aggregateId: order.id,
        eventType: 'order.created',
        payload: { orderId: order.id, customerId: order.customer_id, totalCents, currency: input.currency },
      });
      return { order, paymentId: payment.id };
    });
    res.status(201).json({ order: { ...created.order, items }, paymentId: created.paymentId });
  } catch (err) {
    if (!(err instanceof DuplicateCheckoutError)) throw err;
    const winner = await findPaymentByIdempotencyKey(idempotencyKey);
    if (!winner) throw err;
    res.status(200).json({ order: await orderWithItems(winner.order_id), paymentId: winner.id });
  }
});

// "My orders": one page of a customer's orders, each with its items.
ordersRouter.get('/', async (req, res) => {
  const { customerId, before, limit } = listQuery.parse(req.query);
  const orders = await listOrdersForCustomer(customerId, { before, limit });
  const data = await Promise.all(orders.map(async (order) => ({ ...order, items: await findOrderItems(order.id) })));
  const last: Order | undefined = orders[orders.length - 1];
  res.json({ data, nextBefore: orders.length === limit && last ? last.created_at.toISOString() : null });
});

// Warehouse dashboard: everything that still has to be packed.
ordersRouter.get('/open', async (_req, res) => {
  res.json({ data: await listOpenOrders() });
});

ordersRouter.get('/:orderId', async (req, res) => {
  const { orderId } = orderParams.parse(req.params);
  const order = await orderWithItems(orderId);
  if (!order) {
    res.sendStatus(404);
    return;
  }
  res.json(order);
});

// Change the quantity of an item while the order is pending and unpaid, and update the totals.
ordersRouter.patch('/:orderId/items/:itemId', async (req, res) => {
  const { orderId, itemId } = itemParams.parse(req.params);
  const { quantity } = quantityBody.parse(req.body);
  try {
    const totalCents = await withTransaction(async (client) => {
      const { rows: orders } = await client.query<{ status: string; total_cents: number }>(
        'SELECT status, total_cents FROM orders WHERE id = $1',
        [orderId],
      );
      const order = orders[0];
      if (!order || order.status !== 'pending') throw new OrderNotEditableError();
      const { rows: items } = await client.query<{ quantity: number; unit_price_cents: number }>(
        'SELECT quantity, unit_price_cents FROM order_items WHERE id = $1 AND order_id = $2',
        [itemId, orderId],
      );
      const item = items[0];
      if (!item) throw new OrderNotEditableError();
      await client.query('UPDATE order_items SET quantity = $1 WHERE id = $2', [quantity, itemId]);
      const newTotal = order.total_cents + (quantity - item.quantity) * item.unit_price_cents;
      await client.query('UPDATE orders SET total_cents = $1, updated_at = now() WHERE id = $2', [newTotal, orderId]);
      // Once the card payment has started (a PaymentIntent exists) the amount is fixed: roll back.
      const payment = await client.query(
        `UPDATE payments SET amount_cents = $1 WHERE order_id = $2 AND status = 'pending' AND provider_ref IS NULL`,
        [newTotal, orderId],
      );
      if (payment.rowCount === 0) throw new OrderNotEditableError();
      return newTotal;
    });
    res.json({ orderId, totalCents });
  } catch (err) {
    if (!(err instanceof OrderNotEditableError)) throw err;
    res.status(409).json({ error: 'order_not_editable' });
  }
});

// Cancel a pending order. Only one request can move it out of 'pending'; the others get a 409.
ordersRouter.post('/:orderId/cancel', async (req, res) => {
  const { orderId } = orderParams.parse(req.params);
  const { rowCount } = await pool.query(
    `UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'pending'`,
    [orderId],
  );
  if (rowCount === 0) {
    res.status(409).json({ error: 'order_not_cancellable' });
    return;
  }
  await publishOrderEvent({ type: 'order.cancelled', orderId, cancelledAt: new Date().toISOString() });
  res.status(202).json({ orderId, status: 'cancelled' });
});
