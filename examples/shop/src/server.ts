import express, { type ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { env, logger } from '@/config';
import { pool } from '@/db';
import { disconnectProducer } from '@/kafka';
import { startFulfillmentConsumers, stopFulfillmentConsumers } from '@/consumers/fulfillment';
import { runOutboxRelay } from '@/outbox-relay';
import { ordersRouter } from '@/routes/orders';
import { paymentsRouter } from '@/routes/payments';
import { runWebhookProcessor, webhooksRouter } from '@/routes/webhooks';

const app = express();
app.disable('x-powered-by');

// The webhook route needs the raw body for the signature check: mounted before the JSON parser.
app.use('/webhooks', webhooksRouter);
app.use(express.json({ limit: '256kb' }));
app.use('/orders', ordersRouter);
app.use('/payments', paymentsRouter);

app.get('/healthz', async (_req, res) => {
  await pool.query('SELECT 1');
  res.json({ ok: true });
});

const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof ZodError) {
    res.status(400).json({ error: 'validation_failed', issues: err.issues });
    return;
  }
  logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
  res.status(500).json({ error: 'internal_error' });
};
app.use(errorHandler);

async function main(): Promise<void> {
  const shutdown = new AbortController();
  await startFulfillmentConsumers();
  const background = Promise.all([runOutboxRelay(shutdown.signal), runWebhookProcessor(shutdown.signal)]);
  const server = app.listen(env.PORT, () => logger.info({ port: env.PORT }, 'shop-api listening'));
  process.on('SIGTERM', () => {
    shutdown.abort();
    server.close();
    void Promise.all([background, stopFulfillmentConsumers()])
      .then(() => disconnectProducer())
      .finally(() => pool.end());
  });
}

void main();
