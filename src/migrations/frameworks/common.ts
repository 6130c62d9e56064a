/**
 * What every framework adapter shares: the pool of files discovery found, a read cache that turns bad
 * input into one notification per file, statement counting for "one query string = one implicit
 * transaction" runners, and stable ordering with duplicate-version reports.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Notification } from '../../core/finding.js';
import type { Range, SourceFile } from '../../core/source.js';
import { parseScript } from '../../engine/migrations.js';
import { readSourceFile, relativePath } from '../../io/read.js';
import type { FrameworkId, Migration, MigrationScript, MigrationSet } from '../model.js';

/** A folder that holds one framework's migrations, before its migrations are built. */
export interface Candidate {
  framework: FrameworkId;
  /** Absolute folder of the set. */
  root: string;
  /** Files of the pool (absolute) that belong to the set's layout: its migrations and the files beside them. */
  files: string[];
  /** Why the folder was recognised, for `MigrationSet.detectedBy`. */
  detectedBy: string;
}

export interface DiscoverContext {
  /** Analysis root (absolute). */
  root: string;
  pgVersion: number;
  notifications: Notification[];
  /** Absolute paths of every collected file (all extensions). */
  collected: ReadonlySet<string>;
  /** True when the path matches an `ignore` glob. */
  isIgnored(absolute: string): boolean;
  /** Reads a file once; a file that cannot be read becomes one notification and `undefined`. */
  read(absolute: string): SourceFile | undefined;
  /** Reads a small companion file (a `.conf`, `metadata.toml`, `sqitch.plan`…) as text, or `undefined`. */
  readText(absolute: string): string | undefined;
}

export interface FrameworkAdapter {
  id: FrameworkId;
  /** Finds this framework's sets among the unclaimed files of the pool (absolute, sorted). */
  detect(pool: string[], ctx: DiscoverContext): Candidate[];
  /** Builds the ordered migrations of a set (detected, or forced by the configuration). */
  build(candidate: Candidate, ctx: DiscoverContext): MigrationSet[];
}

export function createContext(root: string, pgVersion: number, collected: string[], isIgnored: (abs: string) => boolean, notifications: Notification[]): DiscoverContext {
  const cache = new Map<string, SourceFile | undefined>();
  return {
    root,
    pgVersion,
    notifications,
    collected: new Set(collected),
    isIgnored,
    read(absolute) {
      if (cache.has(absolute)) return cache.get(absolute);
      const result = readSourceFile(absolute, root);
      let file: SourceFile | undefined;
      if ('notification' in result) notifications.push(result.notification);
      else file = result.file;
      cache.set(absolute, file);
      return file;
    },
    readText(absolute) {
      try {
        if (!statSync(absolute).isFile()) return undefined;
        return readFileSync(absolute, 'utf8').replace(/^\uFEFF/, '');
      } catch {
        return undefined;
      }
    },
  };
}

export const isSql = (file: string): boolean => file.toLowerCase().endsWith('.sql');

/** Repository-relative folder of a set, `.` for the analysis root. */
export function setRoot(ctx: DiscoverContext, absoluteDir: string): string {
  return relativePath(ctx.root, absoluteDir);
}

/** `<set root>/<name>`, without a leading `./`. */
export function migrationId(root: string, name: string): string {
  return root === '.' ? name : `${root}/${name}`;
}

/** True when `file` is `dir` itself or below it. */
export function isUnder(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A file the set needs that was not among the given paths (the down of an up given alone, a `.conf`):
 * read from disk unless an `ignore` glob excludes it.
 */
export function companion(ctx: DiscoverContext, absolute: string): string | undefined {
  if (ctx.collected.has(absolute)) return absolute;
  if (ctx.isIgnored(absolute)) return undefined;
  try {
    return statSync(absolute).isFile() ? absolute : undefined;
  } catch {
    return undefined;
  }
}

export function fileExists(absolute: string): boolean {
  return existsSync(absolute);
}

export function whole(file: SourceFile): Range[] {
  return [{ start: 0, end: file.text.length }];
}

export function script(file: SourceFile, sections: Range[], wrappedInTransaction: boolean, transactionReason: string): MigrationScript {
  return { file, sections, wrappedInTransaction, transactionReason };
}

/**
 * Top-level statements PostgreSQL would see if the script were sent as one query string. The engine
 * parses every script anyway; `parseScript` caches by script object, so counting here costs nothing
 * extra as long as the same object reaches the engine. Statements extracted from DO bodies are not
 * top level; a piece that does not parse still counts as one statement.
 */
export function topLevelStatementCount(s: MigrationScript): number {
  const parsed = parseScript(s);
  const doRanges = parsed.statements.filter((st) => st.kind === 'DoStmt' && !st.viaDo).map((st) => st.range);
  const inDo = (r: Range) => doRanges.some((d) => r.start >= d.start && r.end <= d.end);
  return parsed.statements.filter((st) => !st.viaDo).length + parsed.errors.filter((e) => !inDo(e.range)).length;
}

/**
 * Models a runner that sends the whole script as one simple-query string without opening a
 * transaction: PostgreSQL runs a string of several statements as one implicit transaction block,
 * and a single statement on its own.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
 */
export function implicitTransaction(s: MigrationScript, sender: string): MigrationScript {
  const count = topLevelStatementCount(s);
  if (count > 1) {
    s.wrappedInTransaction = true;
    s.transactionReason = `${sender} as one query string, which PostgreSQL runs as one implicit transaction (${count} statements)`;
  } else {
    s.wrappedInTransaction = false;
    s.transactionReason = `${sender} as one query string; with a single statement PostgreSQL runs it on its own, outside any transaction`;
  }
  return s;
}

/** Natural order: `V2__x` before `V10__x`, `9_a` before `10_a`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' }) || ordinal(a, b);
}

/** UTF-16 code unit order, as Java's `String.compareTo` and Go's string comparison (for ASCII) sort. */
export function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares non-negative decimal integers of any length. */
export function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || ordinal(x, y);
}

/**
 * Sorts migrations with `compare`, breaking ties by file path, and reports every group of migrations
 * that share a version (`sameVersion`) as `duplicate-version`: both are kept, in that stable order.
 */
export function sortAndCheckDuplicates<T extends { migration: Migration; version: string }>(
  items: T[],
  compare: (a: T, b: T) => number,
  sameVersion: (a: T, b: T) => boolean,
  ctx: DiscoverContext,
  frameworkName: string,
): T[] {
  const sorted = [...items].sort((a, b) => compare(a, b) || ordinal(a.migration.up.file.relPath, b.migration.up.file.relPath));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (!sameVersion(prev, cur)) continue;
    ctx.notifications.push({
      id: 'duplicate-version',
      level: 'error',
      path: cur.migration.up.file.relPath,
      message:
        `\`${cur.migration.up.file.relPath}\` has version ${cur.version}, like \`${prev.migration.up.file.relPath}\`: ` +
        `${frameworkName} refuses to run a history with two migrations of the same version. Both are checked, in file-name order; renumber one of them.`,
    });
  }
  return sorted;
}

/** A `.sql` file inside a framework's folder that the framework will never run. */
export function ignoredFile(ctx: DiscoverContext, absolute: string, why: string): void {
  ctx.notifications.push({
    id: 'ignored-file',
    level: 'warning',
    path: relativePath(ctx.root, absolute),
    message: `Skipped \`${relativePath(ctx.root, absolute)}\`: ${why}.`,
  });
}

/** A file the layout expects (a deploy script named in a plan, a journal entry) is missing or unreadable. */
export function missingFile(ctx: DiscoverContext, relPath: string, why: string): void {
  ctx.notifications.push({ id: 'missing-migration-file', level: 'warning', path: relPath, message: `${why}.` });
}

/** A framework file (plan, journal, config) that cannot be understood. */
export function badFrameworkFile(ctx: DiscoverContext, absolute: string, why: string): void {
  ctx.notifications.push({
    id: 'bad-framework-file',
    level: 'warning',
    path: relativePath(ctx.root, absolute),
    message: `Cannot read \`${relativePath(ctx.root, absolute)}\`: ${why}.`,
  });
}

/** Groups absolute paths by their folder. */
export function byDirectory(files: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const f of files) {
    const dir = path.dirname(f);
    const list = map.get(dir) ?? [];
    list.push(f);
    map.set(dir, list);
  }
  return map;
}
