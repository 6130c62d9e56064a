/**
 * Batching loaders: calls that look like one read per key but are collected and sent as one query.
 *
 * DataLoader (`new DataLoader(batchFn)` from 'dataloader'): `loader.load(id)` and `loader.loadMany(ids)`
 * queue keys during one tick of the event loop and call the batch function once with all of them, so a
 * `load` per item of a loop is not an N+1. The batch function's own query is summarised where the loader
 * is built.
 */
import { apiText } from './helpers.js';
import type { LibraryEntry } from './types.js';

const dataloader: LibraryEntry = {
  id: 'dataloader',
  modules: ['dataloader'],
  calls: [
    {
      path: 'dataloader*.**.{load,loadMany}',
      construct: false,
      // Only on an instance (`new DataLoader(fn)`, or a `DataLoader<K, V>` annotation).
      describe: (site) => (site.callee.path.includes('()') ? { kind: 'db.read', lib: 'dataloader', api: apiText(site.call), batched: 'always' } : undefined),
    },
  ],
};

export const batchingLibraries: LibraryEntry[] = [dataloader];
