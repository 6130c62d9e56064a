/**
 * Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql`, with `migration_lock.toml` (the
 * provider) in the migrations folder. Folders run in name order. There are no down migrations.
 *
 * Transactions: Prisma opens no transaction around a migration; on PostgreSQL its schema engine sends
 * the whole `migration.sql` as one simple query, which PostgreSQL runs as one implicit transaction
 * when it holds more than one statement. Recent Prisma versions split `CREATE/DROP INDEX
 * CONCURRENTLY` out of the script (prisma-engines #5767, #5847); that behaviour is not modelled:
 * see docs/frameworks.md.
 */
import path from 'node:path';
import type { Migration, MigrationSet } from '../model.js';
import {
  type Candidate,
  type DiscoverContext,
  fileExists,
  type FrameworkAdapter,
  ignoredFile,
  implicitTransaction,
  isSql,
  isUnder,
  migrationId,
  ordinal,
  script,
  setRoot,
  sortAndCheckDuplicates,
  whole,
} from './common.js';

const FOLDER = /^(\d+)_(.+)$/;
const SENDER = 'Prisma sends migration.sql';
/** Providers whose SQL is not PostgreSQL: a linter for PostgreSQL has nothing to say about them. */
const OTHER_DATABASES = new Set(['mysql', 'sqlite', 'sqlserver', 'mongodb']);

export const prismaAdapter: FrameworkAdapter = {
  id: 'prisma',
  detect(pool) {
    const roots = new Set<string>();
    for (const f of pool) {
      const base = path.basename(f);
      if (base === 'migration_lock.toml') roots.add(path.dirname(f));
      // Without the lock file: a `<timestamp>_<name>/migration.sql` folder.
      else if (base === 'migration.sql' && FOLDER.test(path.basename(path.dirname(f)))) roots.add(path.dirname(path.dirname(f)));
    }
    return [...roots].sort().map((root) => ({
      framework: 'prisma' as const,
      root,
      files: pool.filter((f) => isUnder(f, root)),
      detectedBy: fileExists(path.join(root, 'migration_lock.toml')) ? 'migration_lock.toml' : '<timestamp>_<name>/migration.sql folders',
    }));
  },
  build(candidate, ctx) {
    const set = buildSet(candidate, ctx);
    return set ? [set] : [];
  },
};

interface Item {
  migration: Migration;
  version: string;
  folder: string;
}

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet | undefined {
  const root = setRoot(ctx, candidate.root);
  const lock = ctx.readText(path.join(candidate.root, 'migration_lock.toml'));
  const provider = lock === undefined ? undefined : /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1];
  if (provider && OTHER_DATABASES.has(provider.toLowerCase())) {
    ctx.notifications.push({
      id: 'unsupported-database',
      level: 'note',
      path: root,
      message: `Skipped the Prisma migrations in \`${root}\`: migration_lock.toml says provider = "${provider}", and Plumbline checks PostgreSQL only.`,
    });
    return undefined;
  }
  const items: Item[] = [];
  for (const f of candidate.files.filter(isSql)) {
    const folder = path.basename(path.dirname(f));
    const m = FOLDER.exec(folder);
    if (path.basename(f) !== 'migration.sql' || path.dirname(path.dirname(f)) !== candidate.root || !m) {
      ignoredFile(ctx, f, 'Prisma Migrate only runs `<timestamp>_<name>/migration.sql` in its migrations folder');
      continue;
    }
    const file = ctx.read(f);
    if (!file) continue;
    const migration: Migration = {
      id: migrationId(root, folder),
      version: m[1],
      name: m[2],
      framework: 'prisma',
      kind: 'versioned',
      up: implicitTransaction(script(file, whole(file), false, ''), SENDER),
      downSupported: false,
    };
    items.push({ migration, version: m[1], folder });
  }
  // Prisma applies the folders in name order; two folders with the same timestamp are still two migrations.
  const ordered = sortAndCheckDuplicates(items, (a, b) => ordinal(a.folder, b.folder), () => false, ctx, 'Prisma');
  return { root, framework: 'prisma', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}
