/**
 * A worker thread that checks one shard of the migration sets (see `check`'s parallel mode). It runs
 * the same pipeline as the main thread and posts back the parts of the result that differ per shard.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { check, type CheckOptions } from '../check.js';

const { options } = workerData as { options: CheckOptions };
try {
  const result = await check({ ...options, workers: false });
  // One message, so that the files shared by sets, findings and catalogs stay one object each.
  parentPort!.postMessage({
    ok: true,
    findings: result.findings,
    notifications: result.notifications,
    sets: result.sets,
    catalogs: result.catalogs,
  });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error)?.stack ?? String(error) });
}
