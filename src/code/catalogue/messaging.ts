/** Message brokers and queues: what publishes. Consumers are found by the framework adapters. */
import { apiText, argsOf, hasOption, objectArg } from './helpers.js';
import { optionsAt } from './http.js';
import type { LibraryEntry } from './types.js';

/** kafkajs: `kafka.producer().send({ topic, messages })`; producers time out by default (requestTimeout 30 s). */
const kafkajs: LibraryEntry = {
  id: 'kafkajs',
  modules: ['kafkajs'],
  calls: [
    { path: 'kafkajs.**.{send,sendBatch}', describe: (site) => (/producer\(\)|Producer\(\)|transaction\(\)/.test(site.callee.path) ? { kind: 'publish', lib: 'kafkajs', api: apiText(site.call) } : undefined) },
  ],
};

/**
 * amqplib: `channel.publish(exchange, key, content, options)` and `channel.sendToQueue(queue, content,
 * options)`. A `messageId` in the options lets consumers drop a redelivered copy.
 */
const amqplib: LibraryEntry = {
  id: 'amqplib',
  modules: ['amqplib', 'amqplib/callback_api'],
  calls: [
    {
      path: 'amqplib**.**.{publish,sendToQueue}',
      construct: false,
      describe: (site) => {
        if (!/Channel\(\)\.(?:publish|sendToQueue)$/i.test(site.callee.path)) return undefined;
        const optionsIndex = site.callee.path.endsWith('publish') ? 3 : 2;
        return { kind: 'publish', lib: 'amqplib', api: apiText(site.call), idempotencyKey: hasOption(site, objectArg(site, optionsIndex), ['messageId']) !== false && argsOf(site.call).length > optionsIndex };
      },
    },
    {
      // `connect(url, socketOptions)`: `socketOptions.timeout` bounds the TCP connect and the AMQP handshake
      // (lib/connect.js); there is no default, so a broker that accepts and never answers holds the caller.
      path: '{amqplib,amqplib/callback_api}.connect',
      construct: false,
      describe: (site) => {
        const { opts, state } = optionsAt(site, 1);
        const bounded = state === 'absent' ? false : opts ? hasOption(site, opts, ['timeout']) : undefined;
        return { kind: 'client', lib: 'amqplib', api: apiText(site.call), pooled: true, bounded, timeoutHint: '`timeout` in the socket options (second argument)' };
      },
    },
  ],
};

/** BullMQ: `queue.add(name, data, { jobId })` — a fixed `jobId` (or `deduplication`) makes a second add a no-op. */
const bullmq: LibraryEntry = {
  id: 'bullmq',
  modules: ['bullmq'],
  calls: [
    {
      path: 'bullmq**.Queue().{add,addBulk}',
      describe: (site) => {
        const bulk = site.callee.path.endsWith('addBulk');
        const keyed = bulk ? /\bjobId\b|\bdeduplication\b/.test(site.call.getText()) : argsOf(site.call).length > 2 && hasOption(site, objectArg(site, 2), ['jobId', 'deduplication']) !== false;
        return { kind: 'publish', lib: 'bullmq', api: apiText(site.call), idempotencyKey: keyed };
      },
    },
    {
      // `flowProducer.add({ name, queueName, data, opts: { jobId }, children })`.
      path: 'bullmq**.FlowProducer().{add,addBulk}',
      describe: (site) => ({ kind: 'publish', lib: 'bullmq', api: apiText(site.call), idempotencyKey: /\bjobId\b|\bdeduplication\b/.test(site.call.getText()) }),
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * NATS (`nats`, and the split `@nats-io/*` packages of nats.js v3). Core `nc.publish(subject, data)` is
 * fire-and-forget with no deduplication key; JetStream `js.publish(subject, data, { msgID })` has one:
 * the server drops a second message with the same `msgID` within the stream's duplicate window.
 * ---------------------------------------------------------------------------------------------------- */

const NATS_MODULES = ['nats', '@nats-io/transport-node', '@nats-io/transport-deno', '@nats-io/nats-core', '@nats-io/jetstream'];

const nats: LibraryEntry = {
  id: 'nats',
  modules: NATS_MODULES,
  calls: [
    {
      path: `{${NATS_MODULES.join(',')}}.**.publish`,
      construct: false,
      describe: (site) => {
        const path = site.callee.path;
        if (/\.(?:jetstream|JetStreamClient)\(\)\.publish$/.test(path)) {
          const args = argsOf(site.call);
          return { kind: 'publish', lib: 'nats', api: apiText(site.call), idempotencyKey: args.length > 2 && hasOption(site, objectArg(site, 2), ['msgID']) !== false };
        }
        if (/\.(?:connect|NatsConnection)\(\)\.publish$/.test(path)) return { kind: 'publish', lib: 'nats', api: apiText(site.call) };
        return undefined;
      },
    },
    {
      // `connect({ servers, timeout })`: a connection per call is costly; nats.js bounds the connect itself.
      path: `{${NATS_MODULES.join(',')}}.connect`,
      construct: false,
      describe: (site) => ({ kind: 'client', lib: 'nats', api: apiText(site.call), pooled: true }),
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * Google Cloud Pub/Sub: `pubsub.topic(name).publishMessage({ data, attributes, orderingKey })` (and the
 * older `publish(buffer, attributes)` / `publishJSON`). The message id is assigned by the server; there is
 * no publisher-side deduplication key.
 * ---------------------------------------------------------------------------------------------------- */

const pubsub: LibraryEntry = {
  id: 'pubsub',
  modules: ['@google-cloud/pubsub'],
  calls: [
    {
      path: '@google-cloud/pubsub.**.{publishMessage,publish,publishJSON}',
      construct: false,
      describe: (site) => (/\.(?:topic|Topic)\(\)\.[A-Za-z]+$/.test(site.callee.path) ? { kind: 'publish', lib: 'pubsub', api: apiText(site.call) } : undefined),
    },
  ],
};

export const messagingLibraries: LibraryEntry[] = [kafkajs, amqplib, bullmq, nats, pubsub];
