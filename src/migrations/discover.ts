/**
 * Discovery: from the paths given on the command line (files, folders, globs) to ordered migration
 * sets. Walks folders once, never follows a symlink loop, and turns every unreadable input into a
 * notification.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import type { Notification } from '../core/finding.js';
import { readSourceFile, relativePath } from '../io/read.js';
import type { FrameworkId, Migration, MigrationSet } from './model.js';

export interface ConfiguredSet {
  /** Folder of the set, relative to the root. */
  path: string;
  framework?: FrameworkId;
  /** Overrides whether each migration runs inside a transaction. */
  transactional?: boolean;
}

export interface DiscoverOptions {
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
}

export interface Discovered {
  sets: MigrationSet[];
  notifications: Notification[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', 'vendor']);

/** Every candidate file under the given paths, as absolute paths, sorted. */
export async function collectFiles(options: DiscoverOptions, notifications: Notification[]): Promise<string[]> {
  const files = new Set<string>();
  const isIgnored = options.ignore.length > 0 ? picomatch(options.ignore, { dot: true }) : () => false;
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
    } else if (picomatch.scan(given).isGlob) {
      let matches: string[] = [];
      try {
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
  return [...files].filter((f) => !isIgnored(relativePath(options.root, f))).sort();
}

function walk(dir: string, root: string, out: Set<string>, seen: Set<string>, notifications: Notification[]): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    notifications.push({ id: 'unreadable-file', level: 'warning', path: relativePath(root, dir), message: `Cannot read folder ${relativePath(root, dir)}: ${(error as Error).message}.` });
    return;
  }
  if (seen.has(real)) return; // a symlink loop, or a folder reached twice
  seen.add(real);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    notifications.push({ id: 'unreadable-file', level: 'warning', path: relativePath(root, dir), message: `Cannot read folder ${relativePath(root, dir)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.` });
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
    }
  }
}

/** Natural order: `V2__x` before `V10__x`, `9_a` before `10_a`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' }) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function discover(options: DiscoverOptions): Promise<Discovered> {
  const notifications: Notification[] = [];
  const files = (await collectFiles(options, notifications)).filter((f) => f.toLowerCase().endsWith('.sql'));
  // Plain folders: each folder holding .sql files is one set, its files in natural order.
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = path.dirname(f);
    const list = byDir.get(dir) ?? [];
    list.push(f);
    byDir.set(dir, list);
  }
  const sets: MigrationSet[] = [];
  for (const [dir, dirFiles] of [...byDir].sort(([a], [b]) => naturalCompare(a, b))) {
    const root = relativePath(options.root, dir);
    const configured = options.sets?.find((s) => path.resolve(options.root, s.path) === dir);
    const wrapped = configured?.transactional ?? options.assumeInTransaction ?? false;
    const migrations: Migration[] = [];
    for (const f of dirFiles.sort((a, b) => naturalCompare(path.basename(a), path.basename(b)))) {
      const read = readSourceFile(f, options.root);
      if ('notification' in read) {
        notifications.push(read.notification);
        continue;
      }
      const name = path.basename(f, path.extname(f));
      migrations.push({
        id: read.file.relPath,
        version: name,
        name,
        framework: 'plain',
        kind: 'versioned',
        up: {
          file: read.file,
          sections: [{ start: 0, end: read.file.text.length }],
          wrappedInTransaction: wrapped,
          transactionReason: wrapped ? 'the configuration says each migration runs in a transaction' : 'no framework wraps plain SQL files in a transaction',
        },
        downSupported: false,
      });
    }
    sets.push({ root, framework: configured?.framework ?? 'plain', migrations });
  }
  return { sets, notifications };
}
