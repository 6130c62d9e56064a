import { Pool, types, type PoolClient } from 'pg';
import { env, logger } from '@/config';

// bigint columns (ids, *_cents) come back as strings by default; every value we store fits in a double.
types.setTypeParser(types.builtins.INT8, (value) => Number(value));

// One pool per process. Every statement is bounded on the server and on the client.
export const pool = new Pool({
  connectionString: env.DATABASE_URL,
  application_name: 'shop-api',
  max: 20,
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 10_000,
  query_timeout: 12_000,
});

pool.on('error', (err) => {
  logger.error({ err }, 'idle postgres client errored');
});

/** Runs `work` between BEGIN and COMMIT on one pooled client; any error rolls back. */
export async function withTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
