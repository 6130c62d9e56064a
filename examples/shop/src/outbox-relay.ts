import type { Producer } from 'kafkajs';
import { logger } from '@/config';
import { withTransaction } from '@/db';
import { getProducer, Topics } from '@/kafka';

const BATCH_SIZE = 100;

interface OutboxRow {
  id: number;
  aggregate_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Publishes the oldest unpublished outbox rows and stamps them, in one transaction. The rows stay
 * locked (SKIP LOCKED lets a second relay take the next batch); if the stamp does not commit, the
 * batch is published again — consumers deduplicate on the `message-id` header.
 */
export async function relayBatch(producer: Producer): Promise<number> {
  return withTransaction(async (client) => {
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, aggregate_id, event_type, payload, headers
         FROM outbox
        WHERE published_at IS NULL
        ORDER BY created_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [BATCH_SIZE],
    );
    if (rows.length === 0) return 0;
    await producer.send({
      topic: Topics.orderEvents,
      messages: rows.map((row) => ({
        key: row.aggregate_id,
        value: JSON.stringify({ type: row.event_type, ...row.payload }),
        headers: { ...row.headers, 'message-id': String(row.id), 'event-type': row.event_type },
      })),
    });
    await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [rows.map((row) => row.id)]);
    return rows.length;
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runOutboxRelay(signal: AbortSignal): Promise<void> {
  const producer = await getProducer();
  while (!signal.aborted) {
    try {
      const published = await relayBatch(producer);
      if (published < BATCH_SIZE) await sleep(500);
    } catch (err) {
      logger.error({ err }, 'outbox relay batch failed');
      await sleep(5_000);
    }
  }
}
