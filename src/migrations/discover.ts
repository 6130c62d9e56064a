/**
 * Discovery: from the paths given on the command line (files, folders, globs) to ordered migration
 * sets. Walks folders once, never follows a symlink loop, and turns every unreadable input into a
 * notification.
 *
 * Framework detection (docs/frameworks.md): folders declared in the configuration with a `framework`
 * come first; then each framework claims its layout, most specific first (TypeScript migration files of
 * TypeORM, Knex, node-pg-migrate… — which leave the code analyzer's files —, sqitch.plan, Prisma
 * migration folders, Diesel up.sql folders, Drizzle journals, golang-migrate up/down names, dbmate
 * `-- migrate:up` files, Flyway `V__` names); whatever `.sql` is left forms plain sets, one per folder.
 * Files a layout owns but never runs (Flyway `.conf`, `migration_lock.toml`, sqitch `verify/`) are
 * claimed with it, so they never become plain migrations.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { DEFAULT_PG_VERSION } from '../config/config.js';
import type { Notification } from '../core/finding.js';
import { relativePath } from '../io/read.js';
import { loadParser } from '../sql/parse.js';
import { type Candidate, createContext, type FrameworkAdapter, isUnder, naturalCompare } from './frameworks/common.js';
import { dbmateAdapter } from './frameworks/dbmate.js';
import { dieselAdapter } from './frameworks/diesel.js';
import { drizzleAdapter } from './frameworks/drizzle.js';
import { flywayAdapter } from './frameworks/flyway.js';
import { golangMigrateAdapter } from './frameworks/golang-migrate.js';
import { gooseAdapter } from './frameworks/goose.js';
import { plainAdapter } from './frameworks/plain.js';
import { prismaAdapter } from './frameworks/prisma.js';
import { sqitchAdapter } from './frameworks/sqitch.js';
import { TS_ADAPTERS } from './frameworks/ts-adapters.js';
import { TS_FRAMEWORKS } from './ts/tools/index.js';
import type { FrameworkId, MigrationSet } from './model.js';

export { naturalCompare };

export interface ConfiguredSet {
  /** Folder of the set, relative to the root. */
  path: string;
  framework?: FrameworkId;
  /** Overrides whether each migration runs inside a transaction. */
  transactional?: boolean;
}

/** Which part of the sets this process builds, when migration sets are analysed in parallel. */
export interface Shard {
  index: number;
  count: number;
}

export interface DiscoverOptions {
  /** Build only the sets assigned to this shard (the same assignment in every process: see `assignShards`). */
  shard?: Shard;
  /**
   * Called once the sets are detected and before they are read and parsed (the costly part); may
   * return the shard this process should build (the caller then hands the other shards elsewhere).
   */
  onPlan?: (plan: { sets: number; bytes: number }) => Shard | undefined;
  /** Analysis root: reports print paths relative to it. */
  root: string;
  /** Files, folders or globs, relative to the root or absolute. */
  paths: string[];
  /** Globs (relative to the root) of files to leave out. */
  ignore: string[];
  /** Sets declared in the configuration: they win over detection. */
  sets?: ConfiguredSet[];
  /** For plain folders of SQL whose runner cannot be detected: assume each file runs in a transaction. */
  assumeInTransaction?: boolean;
  /** PostgreSQL major version: Flyway runs `ALTER TYPE … ADD VALUE` outside a transaction before 12. */
  pgVersion?: number;
}

export interface Discovered {
  sets: MigrationSet[];
  notifications: Notification[];
  /** TypeScript sources found under the paths (absolute, sorted), for the code analyzer (src/code/). */
  codeFiles: string[];
  /** Prisma schema files (`*.prisma`): model and field names → table and column names for the code analyzer. */
  prismaSchemas: string[];
}

/** TypeScript sources the code analyzer reads: declarations, tests and mocks are not service code. */
export function isCodeFile(file: string): boolean {
  return /\.(?:ts|tsx|mts|cts)$/.test(file) && !/\.d\.[mc]?ts$/.test(file) && !/\.(?:test|spec|e2e-spec)\.tsx?$/.test(file) && !/[\\/]__(?:tests|mocks)__[\\/]/.test(file);
}

export const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', 'vendor']);

/** Every candidate file under the given paths, as absolute paths, sorted. */
export async function collectFiles(options: DiscoverOptions, notifications: Notification[]): Promise<string[]> {
  const files = new Set<string>();
  const isIgnored = ignoreMatcher(options);
  for (const given of options.paths) {
    const absolute = path.resolve(options.root, given);
    let stat;
    try {
      stat = statSync(absolute);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) {
      files.add(absolute);
    } else if (stat?.isDirectory()) {
      walk(absolute, options.root, files, new Set(), notifications);
    } else if (stat) {
      notifications.push({ id: 'unreadable-file', level: 'error', path: given, message: `Cannot read \`${given}\`: it is not a regular file or folder.` });
    } else if (picomatch.scan(given).isGlob) {
      let matches: string[] = [];
      try {
        // tinyglobby treats an unbalanced `{`, `[` or `(` as a literal and matches nothing: a typo that
        // would silently check nothing. Reject it up front.
        picomatch.makeRe(given, { strictBrackets: true });
        matches = await glob(given, { cwd: options.root, absolute: true, dot: false, ignore: ['**/node_modules/**'] });
      } catch (error) {
        notifications.push({ id: 'bad-glob', level: 'error', message: `The pattern \`${given}\` is not a valid glob: ${(error as Error).message}.` });
        continue;
      }
      if (matches.length === 0) {
        notifications.push({ id: 'no-match', level: 'warning', message: `The pattern \`${given}\` matches no file.` });
      }
      for (const m of matches) files.add(m);
    } else {
      notifications.push({ id: 'missing-path', level: 'error', path: given, message: `The path \`${given}\` does not exist.` });
    }
  }
  return [...files].filter((f) => !isIgnored(f)).sort();
}

/** True for an absolute path that an `ignore` glob (relative to the root) excludes. */
function ignoreMatcher(options: DiscoverOptions): (absolute: string) => boolean {
  if (options.ignore.length === 0) return () => false;
  const match = picomatch(options.ignore, { dot: true });
  return (absolute) => match(relativePath(options.root, absolute));
}

function walk(dir: string, root: string, out: Set<string>, seen: Set<string>, notifications: Notification[]): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    notifications.push({ id: 'unreadable-file', level: 'error', path: relativePath(root, dir), message: `Cannot read folder ${relativePath(root, dir)}: ${(error as Error).message}.` });
    return;
  }
  if (seen.has(real)) return; // a symlink loop, or a folder reached twice
  seen.add(real);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    notifications.push({ id: 'unreadable-file', level: 'error', path: relativePath(root, dir), message: `Cannot read folder ${relativePath(root, dir)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.` });
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(full, root, out, seen, notifications);
    } else if (entry.isSymbolicLink()) {
      let target;
      try {
        target = statSync(full);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        notifications.push({
          id: code === 'ELOOP' ? 'symlink-loop' : 'broken-symlink',
          level: 'warning',
          path: relativePath(root, full),
          message: `Skipped ${relativePath(root, full)}: ${code === 'ELOOP' ? 'symbolic link loop' : 'the link points nowhere'}.`,
        });
        continue;
      }
      if (target.isDirectory()) walk(full, root, out, seen, notifications);
      else if (target.isFile()) out.add(full);
    } else if (entry.isFile()) {
      out.add(full);
    } else if (entry.name.toLowerCase().endsWith('.sql')) {
      // A FIFO, socket or device named like a migration: reading it could block forever.
      notifications.push({ id: 'unreadable-file', level: 'error', path: relativePath(root, full), message: `Cannot read ${relativePath(root, full)}: it is not a regular file.` });
    }
  }
}

/**
 * Detection order: the most specific layouts first, so that a Prisma `migration.sql` or a Diesel
 * `up.sql` is never mistaken for a plain file, and plain last.
 */
function adapters(options: DiscoverOptions): FrameworkAdapter[] {
  // TypeScript migration tools first: they claim only the migration files themselves (never a folder's
  // other files), and a folder-wide SQL layout (golang-migrate) must not swallow them.
  return [
    ...TS_ADAPTERS,
    sqitchAdapter,
    prismaAdapter,
    dieselAdapter,
    drizzleAdapter,
    golangMigrateAdapter,
    gooseAdapter,
    dbmateAdapter,
    flywayAdapter,
    plainAdapter({ assumeInTransaction: options.assumeInTransaction }),
  ];
}

export async function discover(options: DiscoverOptions): Promise<Discovered> {
  const notifications: Notification[] = [];
  const collected = await collectFiles(options, notifications);
  // Framework scripts are parsed during detection to decide their transaction mode.
  await loadParser();
  return discoverCollected(options, collected, notifications);
}

/**
 * Discovery without waiting (the ESLint plugin, whose rules run synchronously): globs in `paths` are not
 * expanded, and the SQL parser must already be loaded.
 */
export function discoverSync(options: DiscoverOptions): Discovered {
  const notifications: Notification[] = [];
  const files = new Set<string>();
  for (const given of options.paths) {
    const absolute = path.resolve(options.root, given);
    try {
      const stat = statSync(absolute);
      if (stat.isFile()) files.add(absolute);
      else if (stat.isDirectory()) walk(absolute, options.root, files, new Set(), notifications);
    } catch {
      // a missing path: the CLI reports it
    }
  }
  const isIgnored = ignoreMatcher(options);
  return discoverCollected(options, [...files].filter((f) => !isIgnored(f)).sort(), notifications);
}

function discoverCollected(options: DiscoverOptions, collected: string[], notifications: Notification[]): Discovered {
  const root = path.resolve(options.root);
  let codeFiles = collected.filter(isCodeFile);
  const ctx = createContext(root, options.pgVersion ?? DEFAULT_PG_VERSION, collected, ignoreMatcher(options), notifications);
  const registry = adapters(options);
  const byId = new Map(registry.map((a) => [a.id, a]));

  // The pool: collected files no set has claimed yet.
  const unclaimed = new Set(collected);
  const pool = () => collected.filter((f) => unclaimed.has(f));
  const candidates: Candidate[] = [];
  const take = (c: Candidate) => {
    const mine = c.files.filter((f) => unclaimed.has(f));
    for (const f of mine) unclaimed.delete(f);
    candidates.push({ ...c, files: mine.sort() });
  };

  // 1. Folders the configuration declares with a framework: everything below them is theirs
  //    (the deepest declaration wins for its own subtree).
  const declared = (options.sets ?? [])
    .filter((s) => s.framework)
    .map((s) => ({ ...s, absolute: path.resolve(root, s.path) }))
    .sort((a, b) => b.absolute.length - a.absolute.length || (a.absolute < b.absolute ? -1 : 1));
  for (const s of declared) {
    const files = pool().filter((f) => isUnder(f, s.absolute));
    if (files.length > 0) take({ framework: s.framework!, root: s.absolute, files, detectedBy: 'configuration' });
  }

  // 2. Detection, most specific layout first; each framework only sees what the previous ones left.
  for (const adapter of registry) {
    for (const c of adapter.detect(pool(), ctx)) take(c);
  }

  // TypeScript migrations are checked as migrations, not as service code.
  const migrationScripts = new Set(candidates.filter((c) => TS_FRAMEWORKS.has(c.framework)).flatMap((c) => c.files));
  if (migrationScripts.size > 0) codeFiles = codeFiles.filter((f) => !migrationScripts.has(f));

  // Parallel runs: every process detects the same candidates, then builds only its share.
  const sizes = candidates.map((c) => c.files.reduce((sum, f) => sum + fileSize(f), 0));
  const shard = options.onPlan?.({ sets: candidates.length, bytes: sizes.reduce((a, b) => a + b, 0) }) ?? options.shard;
  if (shard && shard.count > 1) {
    const owner = assignShards(candidates.map((c, i) => ({ key: `${c.framework}\0${c.root}`, bytes: sizes[i] })), shard.count);
    const mine = candidates.filter((_, i) => owner[i] === shard.index);
    candidates.length = 0;
    candidates.push(...mine);
  }

  // 3. Build: framework scripts are parsed here to decide their transaction mode (the engine reuses
  //    the parse, see `topLevelStatementCount`).
  const sets: MigrationSet[] = [];
  for (const c of candidates) sets.push(...byId.get(c.framework)!.build(c, ctx));

  // 4. `transactional` in the configuration overrides the detected mode of every script below its folder.
  const overrides = (options.sets ?? [])
    .filter((s) => s.transactional !== undefined)
    .map((s) => ({ ...s, absolute: path.resolve(root, s.path) }))
    .sort((a, b) => b.absolute.length - a.absolute.length);
  for (const set of sets) {
    const setDir = path.resolve(root, set.root);
    const o = overrides.find((s) => isUnder(setDir, s.absolute));
    if (!o) continue;
    for (const m of set.migrations) {
      for (const sc of m.down && m.down !== m.up ? [m.up, m.down] : [m.up]) {
        sc.wrappedInTransaction = o.transactional!;
        sc.transactionReason = `plumbline.config.json sets "transactional": ${o.transactional} for \`${o.path}\``;
      }
    }
  }

  sets.sort((a, b) => naturalCompare(a.root, b.root) || (a.framework < b.framework ? -1 : a.framework > b.framework ? 1 : 0));
  return { sets, notifications, codeFiles, prismaSchemas: collected.filter((f) => f.endsWith('.prisma')) };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Deterministic balancing of sets over shards: largest first, each to the least-loaded shard (ties by
 * key), so that every process computes the same owner for every set without talking to the others.
 */
export function assignShards(items: Array<{ key: string; bytes: number }>, count: number): number[] {
  const order = items.map((item, i) => ({ ...item, i })).sort((a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const owner = new Array<number>(items.length);
  for (const item of order) {
    let best = 0;
    for (let k = 1; k < count; k++) if (load[k] < load[best]) best = k;
    owner[item.i] = best;
    load[best] += item.bytes;
  }
  return owner;
}
