/**
 * The API catalogue for network, cache, messaging, payment and RPC libraries: what each call is (kind,
 * verb), whether a timeout bounds it, whether it carries an idempotency key, whether it moves money — and
 * look-alikes (a local `publish`, `EventEmitter.emit`, `Map.set`, Express `res.send`) that are none of it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { CodeAnalysis } from '../src/code/analyze.js';
import type { CallFacts } from '../src/code/catalogue/index.js';
import { CodeBase, type CodeFile } from '../src/code/project.js';
import { SourceFile } from '../src/core/source.js';
import { loadParser } from '../src/sql/parse.js';

beforeAll(loadParser);

/** Import resolution reads the disk: the snippets are also written to a scratch folder (and loaded from their text). */
const ROOT = mkdtempSync(path.join(tmpdir(), 'plumbline-catalogue-'));
writeFileSync(path.join(ROOT, 'package.json'), '{ "name": "catalogue-snippets", "private": true }\n');
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let projects = 0;

interface Project {
  analysis: CodeAnalysis;
  /** Facts of the call (or `new`) whose source text starts with `start` (the n-th one, from 0). */
  at(start: string, nth?: number, file?: string): CallFacts | undefined;
}

/** Builds a small project in memory; the first file is `src/main.ts` unless files are named. */
function project(files: string | Record<string, string>): Project {
  const all = typeof files === 'string' ? { 'src/main.ts': files } : files;
  const root = path.join(ROOT, `p${projects++}`);
  const base = new CodeBase(root, []);
  const loaded = new Map<string, CodeFile>();
  for (const [rel, text] of Object.entries(all)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    loaded.set(rel, base.add(new SourceFile(abs, rel, text)));
  }
  const analysis = new CodeAnalysis(base);
  return {
    analysis,
    at(start, nth = 0, file = Object.keys(all)[0]) {
      const f = loaded.get(file);
      if (!f) throw new Error(`no file ${file}`);
      const calls: Array<ts.CallExpression | ts.NewExpression> = [];
      const visit = (n: ts.Node): void => {
        if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.getText().replace(/\s+/g, ' ').startsWith(start)) calls.push(n);
        n.forEachChild(visit);
      };
      f.ast.forEachChild(visit);
      // A chain (`x.get(…).json()`) starts where its first call starts: keep the innermost call at each position.
      const byStart = new Map<number, ts.CallExpression | ts.NewExpression>();
      for (const c of calls) {
        const known = byStart.get(c.getStart());
        if (!known || c.getWidth() < known.getWidth()) byStart.set(c.getStart(), c);
      }
      const call = [...byStart.values()].sort((a, b) => a.getStart() - b.getStart())[nth];
      if (!call) throw new Error(`no call starting with ${start}`);
      return analysis.catalogue.classify(call, f);
    },
  };
}

/** The facts a test cares about, without AST nodes. */
function plain(f: CallFacts | undefined): Record<string, unknown> | undefined {
  if (!f) return undefined;
  const { options, retryOption, libraryRetry, sql, unboundedClient, ...rest } = f;
  return { ...rest, ...(retryOption ? { retryOption: retryOption.getText() } : {}), ...(libraryRetry ? { libraryRetry: libraryRetry.getText() } : {}) };
}

describe('undici', () => {
  const p = project(`
    import { request, fetch, stream, Pool, Client, Agent } from 'undici';
    const pool = new Pool('https://billing.internal', { connections: 16 });
    const slowPool = new Pool('https://reports.internal', { bodyTimeout: 0 });
    const agent = new Agent({ headersTimeout: 10_000, bodyTimeout: 10_000, connectTimeout: 2_000 });
    export async function charge(orderId: string, key: string) {
      await request('https://payments.internal/charges', { method: 'POST', headers: { 'idempotency-key': key }, body: '{}' });
      await request('https://payments.internal/status');
      await request('https://exports.internal/dump', { bodyTimeout: 0 });
      await request('https://exports.internal/dump', { bodyTimeout: 0, signal: AbortSignal.timeout(60_000) });
      await request('https://exports.internal/dump', { dispatcher: slowPool });
      await fetch('https://catalog.internal/products');
      await pool.request({ path: '/invoices', method: 'POST', body: '{}' });
      await slowPool.request({ path: '/monthly', method: 'GET' });
      await slowPool.request({ path: '/monthly', method: 'GET', signal: AbortSignal.timeout(5_000) });
    }
  `);

  it('counts undici’s 300 s header/body defaults as a bound', () => {
    expect(plain(p.at("request('https://payments.internal/charges'"))).toMatchObject({ kind: 'http', lib: 'undici', method: 'POST', bounded: true, idempotencyKey: true });
    expect(p.at("request('https://payments.internal/status'")).toMatchObject({ method: 'GET', bounded: true, idempotencyKey: false });
    expect(p.at("fetch('https://catalog.internal/products'")).toMatchObject({ kind: 'http', lib: 'undici', bounded: true });
  });

  it('is unbounded when a timeout is switched off (0) without a signal', () => {
    expect(p.at("request('https://exports.internal/dump'", 0)?.bounded).toBe(false);
    expect(p.at("request('https://exports.internal/dump'", 1)?.bounded).toBe(true);
    // Through a dispatcher built with bodyTimeout 0: reported at the dispatcher, not here.
    expect(p.at("request('https://exports.internal/dump'", 2)?.bounded).toBeUndefined();
  });

  it('reads Pool/Client/Agent constructions and requests through them', () => {
    expect(p.at("new Pool('https://billing.internal'")).toMatchObject({ kind: 'client', lib: 'undici', pooled: true, bounded: true });
    expect(p.at("new Pool('https://reports.internal'")).toMatchObject({ kind: 'client', bounded: false });
    expect(p.at('new Agent(')).toMatchObject({ kind: 'client', bounded: true });
    expect(p.at('pool.request(')).toMatchObject({ kind: 'http', method: 'POST', bounded: true });
    expect(p.at('slowPool.request(', 0)?.bounded).toBeUndefined();
    expect(p.at('slowPool.request(', 1)?.bounded).toBe(true);
  });
});

describe('got', () => {
  const p = project(`
    import got from 'got';
    const billing = got.extend({ prefixUrl: 'https://billing.internal', timeout: { request: 5_000 } });
    const legacy = got.extend({ prefixUrl: 'https://legacy.internal' });
    const legacyJson = legacy.extend({ responseType: 'json' });
    export async function sync(invoiceId: string) {
      await got('https://fx.internal/latest');
      await got('https://fx.internal/latest', { timeout: { request: 2_000 } });
      await got.post('https://tax.internal/transactions', { json: {}, timeout: { request: 5_000 }, retry: { limit: 3, methods: ['POST'] } });
      await got.post('https://tax.internal/calculations', { json: {}, signal: AbortSignal.timeout(3_000) });
      await got.get('https://tax.internal/config', { retry: { limit: 2, calculateDelay: () => 1_000 } }).json();
      await billing.post(\`invoices/\${invoiceId}/send\`);
      await legacy.get('customers');
      await legacyJson.get('orders');
      await got({ url: 'https://audit.internal/events', method: 'PUT', timeout: { request: 1_000 } });
    }
  `);

  it('has no default timeout: a call without one is unbounded', () => {
    expect(plain(p.at("got('https://fx.internal/latest'", 0))).toMatchObject({ kind: 'http', lib: 'got', method: 'GET', bounded: false });
    expect(p.at("got('https://fx.internal/latest'", 1)?.bounded).toBe(true);
    expect(p.at("got.post('https://tax.internal/calculations'")).toMatchObject({ method: 'POST', bounded: true });
    expect(p.at('got({ url:')).toMatchObject({ method: 'PUT', bounded: true });
  });

  it('reports instances without a timeout at got.extend, not at their calls', () => {
    expect(p.at('got.extend({ prefixUrl: \'https://billing')).toMatchObject({ kind: 'client', lib: 'got', bounded: true });
    expect(p.at('got.extend({ prefixUrl: \'https://legacy')).toMatchObject({ kind: 'client', bounded: false });
    expect(p.at('legacy.extend(')).toMatchObject({ kind: 'client', bounded: undefined }); // inherits: reported at its parent
    expect(p.at('billing.post(')).toMatchObject({ method: 'POST', bounded: true });
    expect(p.at("legacy.get('customers'")?.bounded).toBeUndefined();
    expect(p.at("legacyJson.get('orders'")?.bounded).toBeUndefined();
  });

  it('marks retries of a POST (libraryRetry) and constant retry delays (retryOption)', () => {
    expect(plain(p.at("got.post('https://tax.internal/transactions'"))).toMatchObject({ libraryRetry: "retry: { limit: 3, methods: ['POST'] }" });
    expect(plain(p.at("got.post('https://tax.internal/calculations'"))?.libraryRetry).toBeUndefined();
    expect(plain(p.at("got.get('https://tax.internal/config'"))).toMatchObject({ retryOption: 'calculateDelay: () => 1_000', retryDelay: 'constant' });
  });

  it('does not classify calls on the response (`.json()`)', () => {
    expect(p.at("got.get('https://tax.internal/config', { retry: { limit: 2, calculateDelay: () => 1_000 } }).json(")).toBeUndefined();
  });
});

describe('ky', () => {
  const p = project(`
    import ky from 'ky';
    const shipping = ky.create({ prefixUrl: 'https://shipping.internal', retry: { limit: 2, methods: ['get'] } });
    const exportsApi = ky.create({ prefixUrl: 'https://exports.internal', timeout: false });
    const exportsV2 = exportsApi.extend({ prefixUrl: 'https://exports.internal/v2' });
    export async function rates() {
      await ky.post('https://orders.internal/orders', { json: {} }).json();
      await ky.get('https://orders.internal/big', { timeout: false });
      await ky.get('https://orders.internal/big', { timeout: false, signal: AbortSignal.timeout(60_000) });
      await shipping.get('rates');
      await shipping.get('manifest', { timeout: false });
      await exportsApi.get('monthly');
      await exportsV2.get('monthly');
      await ky.post('https://orders.internal/orders', { retry: { limit: 3, methods: ['post'] } });
    }
  `);

  it('defaults to a 10 s timeout: bounded unless `timeout: false`', () => {
    expect(plain(p.at("ky.post('https://orders.internal/orders', { json"))).toMatchObject({ kind: 'http', lib: 'ky', method: 'POST', bounded: true });
    expect(p.at("ky.get('https://orders.internal/big'", 0)?.bounded).toBe(false);
    expect(p.at("ky.get('https://orders.internal/big'", 1)?.bounded).toBe(true);
    expect(p.at("shipping.get('rates'")?.bounded).toBe(true);
    expect(p.at("shipping.get('manifest'")?.bounded).toBe(false);
  });

  it('reports an instance with `timeout: false` at ky.create, not at its calls or children', () => {
    expect(p.at("ky.create({ prefixUrl: 'https://shipping")).toMatchObject({ kind: 'client', lib: 'ky', bounded: true });
    expect(p.at("ky.create({ prefixUrl: 'https://exports")).toMatchObject({ kind: 'client', bounded: false });
    expect(p.at('exportsApi.extend(')?.bounded).toBeUndefined();
    expect(p.at("exportsApi.get('monthly'")?.bounded).toBeUndefined();
    expect(p.at("exportsV2.get('monthly'")?.bounded).toBeUndefined();
  });

  it('marks a POST retried by ky', () => {
    expect(plain(p.at("ky.post('https://orders.internal/orders', { retry"))?.libraryRetry).toBe("retry: { limit: 3, methods: ['post'] }");
    expect(plain(p.at("shipping.get('rates'"))?.libraryRetry).toBeUndefined();
  });
});

describe('node:http / node:https', () => {
  const p = project(`
    import http from 'node:http';
    import https from 'https';
    import { request as httpsRequest } from 'node:https';
    export function download(url: string, options: https.RequestOptions): Promise<void> {
      return new Promise((resolve, reject) => {
        const label = https.get(url, (res) => res.resume());
        label.on('error', reject);
        const invoice = https.get(url, { timeout: 10_000 }, (res) => res.resume());
        invoice.on('timeout', () => invoice.destroy());
        const ping = http.get('http://localhost:8080/health', (res) => res.resume());
        ping.setTimeout(2_000, () => ping.destroy());
        const post = httpsRequest({ host: 'hooks.internal', method: 'POST', path: '/events' }, (res) => res.resume());
        post.end('{}');
        http.request({ host: 'hooks.internal', signal: AbortSignal.timeout(5_000) }).end();
        https.get(url, options, resolve);
      });
    }
    export function open(url: string) {
      return https.get(url);
    }
  `);

  it('is unbounded without `timeout`, `signal` or `setTimeout`', () => {
    expect(plain(p.at('https.get(url, (res)'))).toMatchObject({ kind: 'http', lib: 'node-http', method: 'GET', bounded: false });
    expect(p.at("httpsRequest({ host: 'hooks.internal'")).toMatchObject({ method: 'POST', bounded: false });
  });

  it('is bounded by the `timeout` option, `signal`, or `req.setTimeout`', () => {
    expect(p.at('https.get(url, { timeout')?.bounded).toBe(true);
    expect(p.at("http.get('http://localhost:8080/health'")?.bounded).toBe(true);
    expect(p.at("http.request({ host: 'hooks.internal', signal")?.bounded).toBe(true);
  });

  it('cannot tell when the options are a parameter or the request escapes', () => {
    expect(p.at('https.get(url, options')?.bounded).toBeUndefined();
    expect(p.at('https.get(url)')?.bounded).toBeUndefined();
  });
});

describe('superagent', () => {
  const p = project(`
    import superagent from 'superagent';
    export async function notify(orderId: string) {
      await superagent.post('https://crm.internal/notes').send({ orderId }).timeout({ response: 2_000, deadline: 10_000 });
      await superagent.get('https://crm.internal/contacts');
      await superagent.post('https://crm.internal/notes').set('Idempotency-Key', orderId).send({}).retry(3).timeout(5_000);
      await superagent.post('https://crm.internal/tasks').send({}).retry(2).timeout(5_000);
      const pending = superagent.get('https://crm.internal/slow');
      pending.timeout(1_000);
      await pending;
    }
  `);

  it('is bounded by a `.timeout(…)` step of the chain', () => {
    expect(plain(p.at("superagent.post('https://crm.internal/notes')", 0))).toMatchObject({ kind: 'http', lib: 'superagent', method: 'POST', bounded: true, idempotencyKey: false });
    expect(p.at("superagent.get('https://crm.internal/contacts'")?.bounded).toBe(false);
    expect(p.at("superagent.get('https://crm.internal/slow'")?.bounded).toBe(true);
  });

  it('reads the key from `.set(…)` and marks `.retry()` on a POST', () => {
    expect(plain(p.at("superagent.post('https://crm.internal/notes')", 1))).toMatchObject({ idempotencyKey: true });
    expect(plain(p.at("superagent.post('https://crm.internal/tasks')"))?.libraryRetry).toBe('superagent.post(\'https://crm.internal/tasks\').send({}).retry(2)');
  });

  it('classifies only the verb call, not the chain links', () => {
    expect(p.at("superagent.post('https://crm.internal/notes').send({ orderId })")).toBeUndefined();
  });
});

describe('ioredis', () => {
  const p = project({
    'src/redis.ts': `
      import Redis, { Cluster } from 'ioredis';
      export const cache = new Redis(process.env.REDIS_URL!);
      export const sessions = new Redis(process.env.SESSIONS_URL!, { commandTimeout: 500 });
      export const queueConnection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null, connectTimeout: 5_000 });
      export const locks = new Redis({ host: 'redis', maxRetriesPerRequest: null });
      export const shards = new Cluster([{ host: 'redis-1' }], { redisOptions: { commandTimeout: 300 } });
      export const byPort = new Redis(6379, 'redis');
    `,
    'src/cart.ts': `
      import { cache, sessions } from './redis';
      export async function addToCart(cartId: string, sku: string) {
        await cache.hincrby(\`cart:\${cartId}\`, sku, 1);
        await sessions.get(\`session:\${cartId}\`);
        await cache.publish('cart-updated', cartId);
        await cache.multi().incr('carts').expire('carts', 60).exec();
        cache.on('error', () => undefined);
      }
    `,
  });

  it('classifies constructions as pooled clients, bounded by command/connect timeouts', () => {
    expect(p.at('new Redis(process.env.REDIS_URL!)', 0, 'src/redis.ts')).toMatchObject({ kind: 'client', lib: 'ioredis', pooled: true, bounded: false });
    expect(p.at('new Redis(process.env.SESSIONS_URL!', 0, 'src/redis.ts')?.bounded).toBe(true);
    expect(p.at('new Redis(process.env.REDIS_URL!, { maxRetries', 0, 'src/redis.ts')?.bounded).toBe(true);
    expect(p.at("new Redis({ host: 'redis', maxRetriesPerRequest: null", 0, 'src/redis.ts')?.bounded).toBe(false);
    expect(p.at('new Cluster(', 0, 'src/redis.ts')?.bounded).toBe(true);
    expect(p.at('new Redis(6379', 0, 'src/redis.ts')?.bounded).toBe(false);
  });

  it('classifies commands as cache (PUBLISH as publish), bounded when their client is', () => {
    expect(p.at('cache.hincrby(', 0, 'src/cart.ts')).toMatchObject({ kind: 'cache', lib: 'ioredis', bounded: undefined });
    expect(p.at('sessions.get(', 0, 'src/cart.ts')).toMatchObject({ kind: 'cache', bounded: true });
    expect(p.at('cache.publish(', 0, 'src/cart.ts')).toMatchObject({ kind: 'publish', lib: 'ioredis' });
    expect(p.at("cache.multi().incr('carts').expire('carts', 60).exec(", 0, 'src/cart.ts')).toMatchObject({ kind: 'cache' });
    expect(p.at("cache.multi().incr('carts')", 0, 'src/cart.ts')).toBeUndefined();
    expect(p.at('cache.on(', 0, 'src/cart.ts')).toBeUndefined();
  });
});

describe('node-redis', () => {
  const p = project(`
    import { createClient } from 'redis';
    let client: ReturnType<typeof createClient> | undefined;
    export async function getRedis() {
      if (!client) {
        client = createClient({ url: process.env.REDIS_URL, socket: { connectTimeout: 5_000 } });
        await client.connect();
      }
      return client;
    }
    export async function leaderboard() {
      const scratch = createClient({ url: process.env.REDIS_URL });
      const redis = await getRedis();
      await redis.zIncrBy('leaderboard', 1, 'sku-1');
      await scratch.hSet('k', 'f', 'v');
      await redis.publish('events', 'x');
      const top = await redis.zRangeWithScores('leaderboard', 0, 9);
      return top;
    }
  `);

  it('classifies createClient, bounded by socket.connectTimeout', () => {
    expect(p.at('createClient({ url: process.env.REDIS_URL, socket')).toMatchObject({ kind: 'client', lib: 'node-redis', pooled: true, bounded: true });
    expect(p.at('createClient({ url: process.env.REDIS_URL })')).toMatchObject({ kind: 'client', bounded: false });
  });

  it('classifies camelCase commands through a lazily created client', () => {
    expect(p.at('redis.zIncrBy(')).toMatchObject({ kind: 'cache', lib: 'node-redis', bounded: true });
    expect(p.at('scratch.hSet(')).toMatchObject({ kind: 'cache', bounded: undefined });
    expect(p.at('redis.publish(')).toMatchObject({ kind: 'publish', lib: 'node-redis' });
    expect(p.at('redis.zRangeWithScores(')?.kind).toBe('cache');
    expect(p.at('client.connect(')).toBeUndefined();
  });
});

describe('amqplib', () => {
  const p = project(`
    import amqp, { type ConfirmChannel } from 'amqplib';
    export async function start(url: string, channel: ConfirmChannel, orderId: string) {
      const conn = await amqp.connect(url);
      await amqp.connect(url, { timeout: 10_000 });
      const ch = await conn.createChannel();
      ch.publish('orders', 'order.created', Buffer.from('{}'));
      ch.sendToQueue('emails', Buffer.from('{}'), { messageId: orderId, persistent: true });
      channel.publish('orders', 'order.paid', Buffer.from('{}'), { persistent: true });
    }
  `);

  it('classifies connect as a client bounded by the socket `timeout` option', () => {
    expect(p.at('amqp.connect(url)')).toMatchObject({ kind: 'client', lib: 'amqplib', bounded: false });
    expect(p.at('amqp.connect(url, { timeout')?.bounded).toBe(true);
  });

  it('classifies publish/sendToQueue as publishes; messageId is the key', () => {
    expect(p.at("ch.publish('orders'")).toMatchObject({ kind: 'publish', lib: 'amqplib', idempotencyKey: false });
    expect(p.at("ch.sendToQueue('emails'")).toMatchObject({ kind: 'publish', idempotencyKey: true });
    expect(p.at("channel.publish('orders'")).toMatchObject({ kind: 'publish', idempotencyKey: false });
  });
});

describe('BullMQ, NATS, Pub/Sub', () => {
  const p = project(`
    import { Queue, FlowProducer } from 'bullmq';
    import { connect, type NatsConnection } from 'nats';
    import { PubSub } from '@google-cloud/pubsub';
    const emails = new Queue('emails');
    const pubsub = new PubSub();
    const invoices = pubsub.topic('invoices');
    export async function publishAll(orderId: string, nc2: NatsConnection) {
      await emails.add('receipt', { orderId }, { jobId: \`receipt-\${orderId}\` });
      await emails.add('receipt', { orderId });
      await new FlowProducer().add({ name: 'ship', queueName: 'ship', data: {}, opts: { jobId: orderId } });
      const nc = await connect({ servers: 'nats://nats:4222', timeout: 5_000 });
      nc.publish('orders.created', new Uint8Array());
      nc2.publish('orders.paid', new Uint8Array());
      const js = nc.jetstream();
      await js.publish('orders.created', new Uint8Array(), { msgID: orderId });
      await js.publish('orders.created', new Uint8Array());
      await invoices.publishMessage({ json: { orderId } });
      await pubsub.topic('audit').publish(Buffer.from('x'));
    }
  `);

  it('BullMQ: queue.add is a publish, deduplicated by jobId', () => {
    expect(p.at("emails.add('receipt', { orderId }, {")).toMatchObject({ kind: 'publish', lib: 'bullmq', idempotencyKey: true });
    expect(p.at("emails.add('receipt', { orderId })")).toMatchObject({ kind: 'publish', idempotencyKey: false });
    expect(p.at('new FlowProducer().add(')).toMatchObject({ kind: 'publish', idempotencyKey: true });
  });

  it('NATS: core publish has no key; JetStream msgID is one', () => {
    expect(p.at("nc.publish('orders.created'")).toMatchObject({ kind: 'publish', lib: 'nats' });
    expect(p.at("nc.publish('orders.created'")?.idempotencyKey).toBeUndefined();
    expect(p.at("nc2.publish('orders.paid'")).toMatchObject({ kind: 'publish', lib: 'nats' });
    expect(p.at("js.publish('orders.created'", 0)).toMatchObject({ kind: 'publish', idempotencyKey: true });
    expect(p.at("js.publish('orders.created'", 1)).toMatchObject({ kind: 'publish', idempotencyKey: false });
    expect(p.at("connect({ servers: 'nats://")).toMatchObject({ kind: 'client', lib: 'nats', pooled: true });
  });

  it('Pub/Sub: topic publishes', () => {
    expect(p.at('invoices.publishMessage(')).toMatchObject({ kind: 'publish', lib: 'pubsub' });
    expect(p.at("pubsub.topic('audit').publish(")).toMatchObject({ kind: 'publish', lib: 'pubsub' });
    expect(p.at("pubsub.topic('audit')")).toBeUndefined();
  });
});

describe('AWS SDK v3', () => {
  const p = project({
    'src/aws.ts': `
      import { SQSClient } from '@aws-sdk/client-sqs';
      import { SNSClient } from '@aws-sdk/client-sns';
      import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
      import { S3Client } from '@aws-sdk/client-s3';
      import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
      import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
      import { NodeHttpHandler } from '@smithy/node-http-handler';
      const handler = new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 5_000 });
      export const sqs = new SQSClient({ region: 'eu-west-1', requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 5_000 }) });
      export const sns = new SNSClient({ region: 'eu-west-1', maxAttempts: 5 });
      export const s3 = new S3Client({ region: 'eu-west-1', requestHandler: { requestTimeout: 30_000 } });
      export const metrics = new CloudWatchClient({});
      export const shared = new S3Client({ requestHandler: handler });
      export const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: { requestTimeout: 3_000 } }));
    `,
    'src/orders.ts': `
      import { SendMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
      import { PublishCommand } from '@aws-sdk/client-sns';
      import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
      import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
      import { PutCommand, UpdateCommand, GetCommand, QueryCommand, ScanCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
      import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
      import { sqs, sns, s3, docs, metrics } from './aws';
      const events = new EventBridgeClient({});
      export async function placeOrder(orderId: string, signal: AbortSignal) {
        await sqs.send(new SendMessageCommand({ QueueUrl: 'q', MessageBody: orderId }));
        await sqs.send(new SendMessageCommand({ QueueUrl: 'q.fifo', MessageBody: orderId, MessageGroupId: 'o', MessageDeduplicationId: orderId }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: 'q', Entries: [] }));
        await sns.send(new PublishCommand({ TopicArn: 'arn', Message: orderId }));
        await sns.send(new PublishCommand({ TopicArn: 'arn', Message: orderId }), { abortSignal: signal });
        await events.send(new PutEventsCommand({ Entries: [] }));
        await s3.send(new PutObjectCommand({ Bucket: 'receipts', Key: orderId, Body: '' }));
        await s3.send(new GetObjectCommand({ Bucket: 'receipts', Key: orderId }));
        await docs.send(new PutCommand({ TableName: 'orders', Item: { pk: orderId }, ConditionExpression: 'attribute_not_exists(pk)' }));
        await docs.send(new PutCommand({ TableName: 'orders', Item: { pk: orderId } }));
        await docs.send(new UpdateCommand({ TableName: 'stock', Key: { sku: 'a' }, UpdateExpression: 'ADD quantity :n' }));
        await docs.send(new UpdateCommand({ TableName: 'stock', Key: { sku: 'a' }, UpdateExpression: 'SET quantity = quantity - :n, updatedAt = :now' }));
        await docs.send(new UpdateCommand({ TableName: 'orders', Key: { pk: orderId }, UpdateExpression: 'SET #s = :s', ConditionExpression: '#version = :v' }));
        await docs.send(new DeleteCommand({ TableName: 'carts', Key: { pk: orderId } }));
        await docs.send(new GetCommand({ TableName: 'orders', Key: { pk: orderId } }));
        await docs.send(new QueryCommand({ TableName: 'orders', KeyConditionExpression: 'pk = :p', Limit: 50 }));
        await docs.send(new ScanCommand({ TableName: 'orders' }));
        const command = new PublishCommand({ TopicArn: 'arn', Message: orderId });
        await sns.send(command);
        await metrics.send(new PutMetricDataCommand({ Namespace: 'shop', MetricData: [] }));
      }
    `,
  });

  it('classifies every @aws-sdk/client-* client; bounded only with requestHandler timeouts', () => {
    expect(p.at('new SQSClient(', 0, 'src/aws.ts')).toMatchObject({ kind: 'client', lib: 'aws-sdk', bounded: true });
    expect(p.at('new SNSClient(', 0, 'src/aws.ts')?.bounded).toBe(false); // maxAttempts is retries, not time
    expect(p.at("new S3Client({ region: 'eu-west-1', requestHandler: { requestTimeout", 0, 'src/aws.ts')?.bounded).toBe(true);
    expect(p.at('new CloudWatchClient(', 0, 'src/aws.ts')?.bounded).toBe(false);
    expect(p.at('new S3Client({ requestHandler: handler', 0, 'src/aws.ts')?.bounded).toBeUndefined();
    expect(p.at('new DynamoDBClient(', 0, 'src/aws.ts')?.bounded).toBe(true);
    expect(p.at('DynamoDBDocumentClient.from(', 0, 'src/aws.ts')).toBeUndefined();
  });

  it('classifies send by its command: publishes', () => {
    expect(plain(p.at('sqs.send(new SendMessageCommand', 0, 'src/orders.ts'))).toMatchObject({ kind: 'publish', lib: 'sqs', idempotencyKey: false, bounded: true });
    expect(p.at('sqs.send(new SendMessageCommand', 1, 'src/orders.ts')?.idempotencyKey).toBe(true);
    expect(p.at('sqs.send(new SendMessageBatchCommand', 0, 'src/orders.ts')?.kind).toBe('publish');
    expect(p.at('sns.send(new PublishCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'publish', lib: 'sns', bounded: undefined });
    expect(p.at('sns.send(new PublishCommand', 1, 'src/orders.ts')?.bounded).toBe(true); // abortSignal
    expect(p.at('sns.send(command)', 0, 'src/orders.ts')).toMatchObject({ kind: 'publish', lib: 'sns' });
    expect(p.at('events.send(', 0, 'src/orders.ts')).toMatchObject({ kind: 'publish', lib: 'eventbridge' });
  });

  it('classifies DynamoDB commands as reads and writes with dedupe, atomic and limit facts', () => {
    expect(p.at('docs.send(new PutCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'db.write', lib: 'dynamodb', table: 'orders', write: 'insert', dedupes: true, bounded: true });
    expect(p.at('docs.send(new PutCommand', 1, 'src/orders.ts')).toMatchObject({ write: 'insert', dedupes: false });
    expect(p.at('docs.send(new UpdateCommand', 0, 'src/orders.ts')).toMatchObject({ write: 'update', atomic: true, table: 'stock' });
    expect(p.at('docs.send(new UpdateCommand', 1, 'src/orders.ts')?.atomic).toBe(false);
    expect(p.at('docs.send(new UpdateCommand', 2, 'src/orders.ts')).toMatchObject({ atomic: false, versionCheck: true });
    expect(p.at('docs.send(new DeleteCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'db.write', write: 'delete' });
    expect(p.at('docs.send(new GetCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'db.read', singleRow: true, limited: true });
    expect(p.at('docs.send(new QueryCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'db.read', limited: true });
    expect(p.at('docs.send(new ScanCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'db.read', limited: false });
  });

  it('classifies S3 PutObject as an rpc write; unknown commands stay silent', () => {
    expect(p.at('s3.send(new PutObjectCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'rpc', lib: 's3', method: 'PUT', bounded: true });
    expect(p.at('s3.send(new GetObjectCommand', 0, 'src/orders.ts')).toMatchObject({ kind: 'rpc', method: 'GET' });
    expect(p.at('metrics.send(', 0, 'src/orders.ts')).toBeUndefined();
  });
});

describe('gRPC', () => {
  const p = project(`
    import * as grpc from '@grpc/grpc-js';
    import * as protoLoader from '@grpc/proto-loader';
    const definition = protoLoader.loadSync('orders.proto');
    const proto = grpc.loadPackageDefinition(definition) as any;
    const orders = new proto.shop.v1.OrderService('orders:50051', grpc.credentials.createInsecure());
    const traced = new proto.shop.v1.OrderService('orders:50051', grpc.credentials.createInsecure(), { interceptors: [] });
    const generic = new grpc.Client('orders:50051', grpc.credentials.createInsecure());
    export function place(orderId: string, callOptions: grpc.CallOptions) {
      const metadata = new grpc.Metadata();
      orders.createOrder({ orderId }, (err: Error | null) => undefined);
      orders.createOrder({ orderId }, metadata, { deadline: Date.now() + 2_000 }, (err: Error | null) => undefined);
      orders.createOrder({ orderId }, { deadline: new Date(Date.now() + 2_000) }, (err: Error | null) => undefined);
      orders.createOrder({ orderId }, metadata, (err: Error | null) => undefined);
      orders.createOrder({ orderId }, callOptions, (err: Error | null) => undefined);
      orders.watchOrders({ customerId: 'c1' });
      traced.createOrder({ orderId }, (err: Error | null) => undefined);
      generic.makeUnaryRequest('/shop.v1.OrderService/CreateOrder', (x: Buffer) => x, (x: Buffer) => x, Buffer.from(''), metadata, {}, () => undefined);
      orders.close();
    }
  `);

  it('a unary call without a deadline is unbounded; with one, bounded', () => {
    expect(p.at('orders.createOrder(', 0)).toMatchObject({ kind: 'rpc', lib: 'grpc', bounded: false });
    expect(p.at('orders.createOrder(', 1)?.bounded).toBe(true);
    expect(p.at('orders.createOrder(', 2)?.bounded).toBe(true);
    expect(p.at('orders.createOrder(', 3)?.bounded).toBe(false);
    expect(p.at('generic.makeUnaryRequest(')).toMatchObject({ kind: 'rpc', bounded: false });
  });

  it('stays silent when it cannot tell (options variable, stream, interceptors)', () => {
    expect(p.at('orders.createOrder(', 4)?.bounded).toBeUndefined();
    expect(p.at('orders.watchOrders(')).toMatchObject({ kind: 'rpc', bounded: undefined });
    expect(p.at('traced.createOrder(')?.bounded).toBeUndefined();
    expect(p.at('orders.close(')).toBeUndefined();
  });

  it('only reads clients built from @grpc/grpc-js', () => {
    const local = project({
      'src/gen/orders_grpc_pb.ts': `export class OrderServiceClient { createOrder(req: unknown, cb: () => void) { cb(); } }`,
      'src/main.ts': `
        import { OrderServiceClient } from './gen/orders_grpc_pb';
        const client = new OrderServiceClient();
        export function f() { client.createOrder({}, () => undefined); }
      `,
    });
    expect(local.at('client.createOrder(', 0, 'src/main.ts')).toBeUndefined();
  });
});

describe('Adyen', () => {
  const p = project(`
    import { CheckoutAPI, Client } from '@adyen/api-library';
    const client = new Client({ apiKey: 'k', environment: 'TEST' });
    const checkout = new CheckoutAPI(client);
    export async function pay(orderId: string, pspReference: string, req: any, requestOptions: any) {
      await checkout.PaymentsApi.payments({ amount: { value: 100, currency: 'EUR' }, reference: orderId }, { idempotencyKey: \`pay-\${orderId}\` });
      await checkout.PaymentsApi.payments(req);
      await checkout.ModificationsApi.captureAuthorisedPayment(pspReference, { amount: { value: 100, currency: 'EUR' }, merchantAccount: 'm' });
      await checkout.ModificationsApi.refundCapturedPayment(pspReference, req, { idempotencyKey: \`refund-\${orderId}\` });
      await checkout.ModificationsApi.refundCapturedPayment(pspReference, req, requestOptions);
      await checkout.PaymentsApi.sessions({ reference: orderId });
      await checkout.payments(req, { idempotencyKey: orderId });
    }
  `);

  it('reads the idempotency key from the request options', () => {
    expect(p.at('checkout.PaymentsApi.payments(', 0)).toMatchObject({ kind: 'payment', lib: 'adyen', moneyMovement: true, idempotencyKey: true });
    expect(p.at('checkout.PaymentsApi.payments(', 1)?.idempotencyKey).toBe(false);
    expect(p.at('checkout.ModificationsApi.captureAuthorisedPayment(')).toMatchObject({ moneyMovement: true, idempotencyKey: false });
    expect(p.at('checkout.ModificationsApi.refundCapturedPayment(', 0)?.idempotencyKey).toBe(true);
    expect(p.at('checkout.ModificationsApi.refundCapturedPayment(', 1)?.idempotencyKey).toBeUndefined();
    expect(p.at('checkout.PaymentsApi.sessions(')).toMatchObject({ kind: 'payment', moneyMovement: false });
    expect(p.at('checkout.payments(')).toMatchObject({ moneyMovement: true, idempotencyKey: true }); // pre-v15 shape
  });
});

describe('Braintree, PayPal, Square', () => {
  const p = project(`
    import braintree from 'braintree';
    import paypal from '@paypal/checkout-server-sdk';
    import { Client, OrdersController, PaymentsController } from '@paypal/paypal-server-sdk';
    import { SquareClient } from 'square';
    import { Client as LegacySquare } from 'square/legacy';
    const gateway = new braintree.BraintreeGateway({ environment: braintree.Environment.Sandbox, merchantId: 'm', publicKey: 'p', privateKey: 'k' });
    const paypalClient = new paypal.core.PayPalHttpClient(new paypal.core.SandboxEnvironment('id', 'secret'));
    const ppClient = new Client({ timeout: 10_000 });
    const ordersController = new OrdersController(ppClient);
    const paymentsController = new PaymentsController(ppClient);
    const square = new SquareClient({ token: 't' });
    const legacy = new LegacySquare({ accessToken: 't' });
    export async function checkoutFlow(orderId: string, nonce: string, ppOrderId: string) {
      await gateway.transaction.sale({ amount: '10.00', paymentMethodNonce: nonce, options: { submitForSettlement: true } });
      await gateway.transaction.void('tx');
      const capture = new paypal.orders.OrdersCaptureRequest(ppOrderId);
      capture.requestBody({});
      await paypalClient.execute(capture);
      const keyed = new paypal.orders.OrdersCaptureRequest(ppOrderId);
      keyed.headers['PayPal-Request-Id'] = \`capture-\${orderId}\`;
      await paypalClient.execute(keyed);
      await paypalClient.execute(new paypal.orders.OrdersCreateRequest().payPalRequestId(orderId));
      await ordersController.captureOrder({ id: ppOrderId, prefer: 'return=representation' });
      await ordersController.createOrder({ body: {} as any, paypalRequestId: \`create-\${orderId}\` });
      await paymentsController.refundCapturedPayment({ captureId: 'c' });
      await square.payments.create({ sourceId: nonce, idempotencyKey: \`pay-\${orderId}\`, amountMoney: { amount: 1000n, currency: 'USD' } });
      await square.refunds.refundPayment({ paymentId: 'p', amountMoney: { amount: 1000n, currency: 'USD' } } as any);
      await legacy.paymentsApi.createPayment({ sourceId: nonce, idempotencyKey: orderId, amountMoney: { amount: 1000n, currency: 'USD' } });
      await legacy.paymentsApi.completePayment('p', {});
    }
  `);

  it('Braintree moves money but has no idempotency key (undefined keeps the rules silent)', () => {
    const sale = p.at('gateway.transaction.sale(');
    expect(sale).toMatchObject({ kind: 'payment', lib: 'braintree', moneyMovement: true });
    expect(sale?.idempotencyKey).toBeUndefined();
    expect(p.at('gateway.transaction.void(')).toMatchObject({ moneyMovement: false });
  });

  it('PayPal checkout-server-sdk: the request class and its PayPal-Request-Id', () => {
    expect(p.at('paypalClient.execute(capture)')).toMatchObject({ kind: 'payment', lib: 'paypal', moneyMovement: true, idempotencyKey: false });
    expect(p.at('paypalClient.execute(keyed)')?.idempotencyKey).toBe(true);
    expect(p.at('paypalClient.execute(new paypal.orders.OrdersCreateRequest()')?.idempotencyKey).toBe(true);
  });

  it('PayPal paypal-server-sdk: paypalRequestId in the request', () => {
    expect(p.at('ordersController.captureOrder(')).toMatchObject({ kind: 'payment', lib: 'paypal', moneyMovement: true, idempotencyKey: false });
    expect(p.at('ordersController.createOrder(')?.idempotencyKey).toBe(true);
    expect(p.at('paymentsController.refundCapturedPayment(')).toMatchObject({ moneyMovement: true, idempotencyKey: false });
  });

  it('Square: idempotencyKey in the body (current and legacy SDK)', () => {
    expect(p.at('square.payments.create(')).toMatchObject({ kind: 'payment', lib: 'square', moneyMovement: true, idempotencyKey: true });
    expect(p.at('square.refunds.refundPayment(')?.idempotencyKey).toBe(false); // the body is read through `as any`
    expect(p.at('legacy.paymentsApi.createPayment(')).toMatchObject({ moneyMovement: true, idempotencyKey: true });
    expect(p.at('legacy.paymentsApi.completePayment(')).toMatchObject({ moneyMovement: true });
    expect(p.at('legacy.paymentsApi.completePayment(')?.idempotencyKey).toBeUndefined(); // CompletePayment takes no key
  });
});

describe('look-alikes', () => {
  const p = project({
    'src/events.ts': `
      import { EventEmitter } from 'node:events';
      export const bus = new EventEmitter();
      export function publish(topic: string, payload: unknown) { bus.emit(topic, payload); }
    `,
    'src/app.ts': `
      import express from 'express';
      import { publish, bus } from './events';
      const app = express();
      const seen = new Map<string, number>();
      class Cache { private items = new Map<string, string>(); set(k: string, v: string) { this.items.set(k, v); } get(k: string) { return this.items.get(k); } }
      const cache = new Cache();
      const channel = { publish: (x: string) => x, sendToQueue: (x: string) => x };
      app.post('/orders', (req, res) => {
        publish('order.created', req.body);
        bus.emit('order.created', req.body);
        seen.set(req.body.id, Date.now());
        cache.set('last', req.body.id);
        channel.publish('orders');
        res.send({ ok: true });
        res.status(201).send('created');
      });
    `,
  });

  it('classifies none of them', () => {
    for (const start of ["publish('order.created'", "bus.emit('order.created'", 'seen.set(', "cache.set('last'", "channel.publish('orders'", 'res.send(', 'res.status(201).send(']) {
      expect(p.at(start, 0, 'src/app.ts'), start).toBeUndefined();
    }
    expect(p.at('bus.emit(', 0, 'src/events.ts')).toBeUndefined();
  });

  it('keeps the flow of the handler free of network effects', () => {
    const handler = p.analysis.functions().find(({ fn }) => fn.getText().includes("publish('order.created'"));
    expect(handler).toBeDefined();
    expect(p.analysis.summary(handler!.fn).effects).toEqual([]);
  });
});

describe('effects through a summary', () => {
  it('inherits a publish and an unbounded call from a helper in another file', () => {
    const p = project({
      'src/clients.ts': `
        import got from 'got';
        import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
        const sqs = new SQSClient({});
        export async function announce(orderId: string) {
          await sqs.send(new SendMessageCommand({ QueueUrl: 'orders', MessageBody: orderId }));
        }
        export const fx = () => got('https://fx.internal/latest');
      `,
      'src/routes.ts': `
        import { announce, fx } from './clients';
        export async function createOrder(orderId: string) {
          await fx();
          await announce(orderId);
        }
      `,
    });
    const fn = p.analysis.functions().find(({ fn: f }) => ts.isFunctionDeclaration(f) && f.name?.text === 'createOrder');
    const effects = p.analysis.summary(fn!.fn).effects.map((e) => ({ kind: e.facts.kind, lib: e.facts.lib, bounded: e.facts.bounded, via: e.via.length }));
    expect(effects).toEqual([
      { kind: 'http', lib: 'got', bounded: false, via: 1 },
      { kind: 'publish', lib: 'sqs', bounded: undefined, via: 1 },
    ]);
  });
});
