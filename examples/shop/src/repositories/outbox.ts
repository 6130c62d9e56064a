import type { Pool, PoolClient } from 'pg';

export interface OutboxEvent {
  aggregateType: 'order' | 'payment' | 'shipment';
  aggregateId: number;
  eventType: string;
  payload: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Queues an event for the outbox relay. Pass the client of the transaction that makes the state
 * change, so that the event is committed (or rolled back) together with it.
 */
export async function enqueueEvent(db: Pool | PoolClient, event: OutboxEvent): Promise<void> {
  await db.query(
    `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, headers)
     VALUES ($1, $2, $3, $4, $5)`,
    [event.aggregateType, String(event.aggregateId), event.eventType, JSON.stringify(event.payload), JSON.stringify(event.headers ?? {})],
  );
}
