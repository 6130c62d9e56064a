/**
 * Diesel: `migrations/<version>_<name>/up.sql` and `down.sql` (version: a timestamp such as
 * `2024-01-10-120000` or `20240110120000`), optionally `metadata.toml`. Migrations run in version order.
 *
 * Transactions: each migration runs in its own transaction unless `metadata.toml` says
 * `run_in_transaction = false`. Then Diesel opens none, but sends the file with `batch_execute` as
 * one query string, so PostgreSQL still runs a file of several statements as one implicit transaction
 * (diesel-rs/diesel#4552).
 */
import path from 'node:path';
import type { Migration, MigrationScript, MigrationSet } from '../model.js';
import type { SourceFile } from '../../core/source.js';
import {
  type Candidate,
  companion,
  type DiscoverContext,
  type FrameworkAdapter,
  ignoredFile,
  implicitTransaction,
  isSql,
  isUnder,
  migrationId,
  naturalCompare,
  script,
  setRoot,
  sortAndCheckDuplicates,
  whole,
} from './common.js';

const FOLDER = /^(\d[\d-]*)_(.+)$/;

export const dieselAdapter: FrameworkAdapter = {
  id: 'diesel',
  detect(pool) {
    const roots = new Set<string>();
    for (const f of pool) {
      const base = path.basename(f);
      if ((base === 'up.sql' || base === 'down.sql') && FOLDER.test(path.basename(path.dirname(f)))) roots.add(path.dirname(path.dirname(f)));
    }
    return [...roots].sort().map((root) => ({
      framework: 'diesel' as const,
      root,
      // The migration folders and what is in them; other files of the migrations folder stay in the pool.
      files: pool.filter((f) => path.dirname(path.dirname(f)) === root && FOLDER.test(path.basename(path.dirname(f)))),
      detectedBy: '<version>_<name>/up.sql folders',
    }));
  },
  build(candidate, ctx) {
    return [buildSet(candidate, ctx)];
  },
};

interface Item {
  migration: Migration;
  version: string;
}

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet {
  const root = setRoot(ctx, candidate.root);
  const folders = new Map<string, string[]>();
  for (const f of candidate.files.filter(isSql)) {
    const folder = path.dirname(f);
    if (path.dirname(folder) !== candidate.root || !FOLDER.test(path.basename(folder)) || !['up.sql', 'down.sql'].includes(path.basename(f))) {
      if (isUnder(f, candidate.root)) ignoredFile(ctx, f, 'Diesel only runs `up.sql` and `down.sql` in `<version>_<name>` folders of its migrations folder');
      continue;
    }
    folders.set(folder, [...(folders.get(folder) ?? []), f]);
  }
  const items: Item[] = [];
  for (const [folder, files] of folders) {
    const [, version, name] = FOLDER.exec(path.basename(folder))!;
    const upPath = files.find((f) => path.basename(f) === 'up.sql') ?? companion(ctx, path.join(folder, 'up.sql'));
    if (!upPath) {
      ignoredFile(ctx, files[0], 'its migration folder has no up.sql, so Diesel refuses the migration');
      continue;
    }
    const up = ctx.read(upPath);
    if (!up) continue;
    const metadata = companion(ctx, path.join(folder, 'metadata.toml'));
    const text = metadata ? ctx.readText(metadata) : undefined;
    const runInTransaction = !(text !== undefined && /^\s*run_in_transaction\s*=\s*false\s*(#.*)?$/m.test(text));
    const migration: Migration = {
      id: migrationId(root, path.basename(folder)),
      version,
      name,
      framework: 'diesel',
      kind: 'versioned',
      up: dieselScript(up, runInTransaction),
      downSupported: true,
    };
    const downPath = files.find((f) => path.basename(f) === 'down.sql') ?? companion(ctx, path.join(folder, 'down.sql'));
    const down = downPath ? ctx.read(downPath) : undefined;
    if (down) migration.down = dieselScript(down, runInTransaction);
    items.push({ migration, version });
  }
  // Diesel orders by version; dashes in `2024-01-10-120000` carry no meaning.
  const key = (v: string) => v.replace(/-/g, '');
  const ordered = sortAndCheckDuplicates(items, (a, b) => naturalCompare(key(a.version), key(b.version)), (a, b) => key(a.version) === key(b.version), ctx, 'Diesel');
  return { root, framework: 'diesel', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}

function dieselScript(file: SourceFile, runInTransaction: boolean): MigrationScript {
  if (runInTransaction) return script(file, whole(file), true, 'Diesel runs each migration in a transaction (run_in_transaction defaults to true)');
  return implicitTransaction(script(file, whole(file), false, ''), 'metadata.toml sets run_in_transaction = false, but Diesel still sends the file (batch_execute)');
}
