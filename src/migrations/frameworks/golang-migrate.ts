/**
 * golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql` in one folder; the
 * version is an unsigned integer and orders the migrations.
 *
 * Transactions: the postgres (and pgx) driver sends the whole file in one `Exec`, and golang-migrate
 * opens no transaction of its own (unless `x-use-transaction=true`). PostgreSQL runs a query string of
 * several statements as one implicit transaction, and a single statement on its own: so a file is
 * "wrapped" exactly when it holds more than one statement. `x-multi-statement=true` splits the file
 * and runs each statement on its own; it lives in the database URL, so set `transactional: false` on
 * the folder in plumbline.config.json when you use it.
 */
import path from 'node:path';
import type { Migration, MigrationSet } from '../model.js';
import {
  type Candidate,
  byDirectory,
  companion,
  compareDigits,
  type DiscoverContext,
  type FrameworkAdapter,
  ignoredFile,
  implicitTransaction,
  isSql,
  migrationId,
  script,
  setRoot,
  sortAndCheckDuplicates,
  whole,
} from './common.js';

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/;
const SENDER = 'golang-migrate sends the whole file';

export const golangMigrateAdapter: FrameworkAdapter = {
  id: 'golang-migrate',
  detect(pool) {
    const out: Candidate[] = [];
    for (const [dir, files] of byDirectory(pool)) {
      if (!files.some((f) => FILE.test(path.basename(f)))) continue;
      out.push({ framework: 'golang-migrate', root: dir, files, detectedBy: '<version>_<title>.up.sql / .down.sql file names' });
    }
    return out;
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
  const ups = new Map<string, string>();
  const downs = new Map<string, string>();
  const otherDialects = new Set<string>();
  let otherDialectFiles = 0;
  for (const f of candidate.files.filter(isSql)) {
    const m = FILE.exec(path.basename(f));
    if (!m || path.dirname(f) !== candidate.root) {
      ignoredFile(ctx, f, 'golang-migrate only runs files named `<version>_<title>.up.sql` or `.down.sql` directly in its folder');
      continue;
    }
    // Multi-dialect folders (pop/fizz and others generate `….mysql.up.sql`, `….sqlite3.up.sql` beside
    // `….postgres.up.sql`): only the PostgreSQL files are ours.
    const dialect = /\.(mysql|mariadb|sqlite3?|cockroach|mssql|sqlserver|oracle|clickhouse)$/i.exec(m[2]);
    if (dialect) {
      otherDialects.add(dialect[1].toLowerCase());
      otherDialectFiles++;
      continue;
    }
    (m[3] === 'up' ? ups : downs).set(f, `${m[1]}_${m[2]}`);
  }
  const items: Item[] = [];
  const pairedDowns = new Set<string>();
  for (const [upPath, stem] of ups) {
    const file = ctx.read(upPath);
    if (!file) continue;
    const [, version, title] = FILE.exec(path.basename(upPath))!;
    const migration: Migration = {
      id: migrationId(root, stem),
      version,
      name: title.replace(/\.postgres(ql)?$/i, ''),
      framework: 'golang-migrate',
      kind: 'versioned',
      up: implicitTransaction(script(file, whole(file), false, ''), SENDER),
      downSupported: true,
    };
    const downPath = companion(ctx, path.join(path.dirname(upPath), `${stem}.down.sql`));
    if (downPath) {
      pairedDowns.add(downPath);
      const down = ctx.read(downPath);
      if (down) migration.down = implicitTransaction(script(down, whole(down), false, ''), SENDER);
    }
    items.push({ migration, version });
  }
  if (otherDialectFiles > 0) {
    ctx.notifications.push({
      id: 'other-database',
      level: 'note',
      path: root,
      message: `Skipped ${otherDialectFiles} migration file${otherDialectFiles === 1 ? '' : 's'} of \`${root}\` written for other databases (${[...otherDialects].sort().join(', ')}); their PostgreSQL variants are checked.`,
    });
  }
  for (const [downPath] of downs) {
    if (!pairedDowns.has(downPath)) ignoredFile(ctx, downPath, 'it is a down migration without an up migration of the same version and title');
  }
  const ordered = sortAndCheckDuplicates(items, (a, b) => compareDigits(a.version, b.version), (a, b) => compareDigits(a.version, b.version) === 0, ctx, 'golang-migrate');
  return { root, framework: 'golang-migrate', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}
