import pino from 'pino';
import { z } from 'zod';

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().positive().default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DATABASE_URL: z.string().url(),
  KAFKA_BROKERS: z.string().transform((value) => value.split(',').map((broker) => broker.trim())),
  KAFKA_CLIENT_ID: z.string().default('shop-api'),
  STRIPE_SECRET_KEY: z.string().startsWith('sk_'),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_'),
  CATALOG_API_URL: z.string().url(),
  CARRIER_API_URL: z.string().url(),
  CARRIER_API_KEY: z.string().min(1),
});

export type Env = z.infer<typeof EnvSchema>;

export const env: Env = EnvSchema.parse(process.env);

export const logger = pino({
  level: env.LOG_LEVEL,
  base: { service: 'shop-api' },
  redact: ['req.headers.authorization', 'req.headers["stripe-signature"]'],
});
