/** Message brokers and queues: what publishes. Consumers are found by the framework adapters. */
import { apiText } from './helpers.js';
import type { LibraryEntry } from './types.js';

/** kafkajs: `kafka.producer().send({ topic, messages })`; producers time out by default (requestTimeout 30 s). */
const kafkajs: LibraryEntry = {
  id: 'kafkajs',
  modules: ['kafkajs'],
  calls: [
    { path: 'kafkajs.**.{send,sendBatch}', describe: (site) => (/producer\(\)|Producer\(\)|transaction\(\)/.test(site.callee.path) ? { kind: 'publish', lib: 'kafkajs', api: apiText(site.call) } : undefined) },
  ],
};

export const messagingLibraries: LibraryEntry[] = [kafkajs];
