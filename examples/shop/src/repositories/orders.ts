import type { PoolClient } from 'pg';
import { pool } from '@/db';

export type OrderStatus = 'pending' | 'paid' | 'fulfilled' | 'cancelled' | 'refunded';

export interface Order {
  id: number;
  customer_id: number;
  status: OrderStatus;
  total_cents: number;
  currency: string | null;
  shipping_country: string;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderItem {
  id: number;
  sku: string;
  quantity: number;
  unit_price_cents: number;
}

export interface NewOrder {
  customerId: number;
  totalCents: number;
  currency: string;
  shippingCountry: string;
  notes?: string;
}

export interface NewOrderItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface ShippingDetails {
  order_id: number;
  shipping_country: string;
  display_name: string | null;
  email: string;
}

const ORDER_COLUMNS = 'id, customer_id, status, total_cents, currency, shipping_country, notes, created_at, updated_at';

export async function findOrder(orderId: number): Promise<Order | undefined> {
  const { rows } = await pool.query<Order>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [orderId]);
  return rows[0];
}

export async function findOrderItems(orderId: number): Promise<OrderItem[]> {
  const { rows } = await pool.query<OrderItem>(
    'SELECT id, sku, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY id',
    [orderId],
  );
  return rows;
}

/** One page of a customer's orders, newest first (keyset on created_at, served by orders_customer_id_created_at_idx). */
export async function listOrdersForCustomer(customerId: number, page: { before?: Date; limit: number }): Promise<Order[]> {
  const { rows } = await pool.query<Order>(
    `SELECT ${ORDER_COLUMNS}
       FROM orders
      WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
      ORDER BY created_at DESC
      LIMIT $3`,
    [customerId, page.before ?? null, page.limit],
  );
  return rows;
}

/** Orders the warehouse still has to pack, oldest first (orders_open_status_idx). */
export async function listOpenOrders(): Promise<Order[]> {
  const { rows } = await pool.query<Order>(
    `SELECT ${ORDER_COLUMNS}
       FROM orders
      WHERE status IN ('pending', 'paid')
      ORDER BY created_at`,
  );
  return rows;
}

export async function findShippingDetails(orderId: number): Promise<ShippingDetails | undefined> {
  const { rows } = await pool.query<ShippingDetails>(
    `SELECT o.id AS order_id, o.shipping_country, c.display_name, c.email
       FROM orders o
       JOIN customers c ON c.id = o.customer_id
      WHERE o.id = $1`,
    [orderId],
  );
  return rows[0];
}

export async function insertOrder(client: PoolClient, order: NewOrder): Promise<Order> {
  const { rows } = await client.query<Order>(
    `INSERT INTO orders (customer_id, total_cents, currency, shipping_country, notes)
     VALUES ($1, $2, $3, $4, $5)
     RETURNING ${ORDER_COLUMNS}`,
    [order.customerId, order.totalCents, order.currency, order.shippingCountry, order.notes ?? null],
  );
  const created = rows[0];
  if (!created) throw new Error('INSERT INTO orders returned no row');
  return created;
}

/** All items of an order in one statement. */
export async function insertOrderItems(client: PoolClient, orderId: number, items: NewOrderItem[]): Promise<void> {
  await client.query(
    `INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
     SELECT $1, item.sku, item.quantity, item.unit_price_cents
       FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS item(sku, quantity, unit_price_cents)`,
    [orderId, items.map((i) => i.sku), items.map((i) => i.quantity), items.map((i) => i.unitPriceCents)],
  );
}
