/**
 * Drizzle (drizzle-kit generate, drizzle-orm migrators): `<out>/<idx>_<name>.sql` with
 * `--> statement-breakpoint` between statements, and `<out>/meta/_journal.json` listing the migrations
 * (`entries[].idx`, `entries[].tag`) in the order they run. Without a journal the files run in name
 * order. There are no down migrations.
 *
 * Transactions: drizzle-orm's PostgreSQL migrator runs every pending migration inside one
 * transaction (`session.transaction(...)`), executing the chunks between breakpoints one by one.
 * Each chunk is a section of the script, so a chunk that fails to parse costs only itself.
 */
import path from 'node:path';
import type { Range } from '../../core/source.js';
import type { Migration, MigrationSet } from '../model.js';
import {
  badFrameworkFile,
  byDirectory,
  type Candidate,
  type DiscoverContext,
  fileExists,
  type FrameworkAdapter,
  ignoredFile,
  isSql,
  migrationId,
  missingFile,
  naturalCompare,
  script,
  setRoot,
  sortAndCheckDuplicates,
} from './common.js';

const BREAKPOINT = '--> statement-breakpoint';
const FILE = /^(\d+)_(.+)\.sql$/;
const REASON = "drizzle-orm's migrator runs all pending migrations inside one transaction";

/** The chunks drizzle executes one by one: the text between `--> statement-breakpoint` markers. */
export function breakpointSections(text: string): Range[] {
  const out: Range[] = [];
  let start = 0;
  for (let at = text.indexOf(BREAKPOINT); at >= 0; at = text.indexOf(BREAKPOINT, start)) {
    out.push({ start, end: at });
    start = at + BREAKPOINT.length;
  }
  out.push({ start, end: text.length });
  return out.filter((r) => text.slice(r.start, r.end).trim() !== '');
}

interface Journal {
  dialect?: string;
  entries: Array<{ idx: number; tag: string }>;
}

function readJournal(root: string, ctx: DiscoverContext): Journal | undefined {
  const file = path.join(root, 'meta', '_journal.json');
  const text = ctx.readText(file);
  if (text === undefined) return undefined;
  try {
    const json = JSON.parse(text) as { dialect?: unknown; entries?: unknown };
    if (!Array.isArray(json.entries)) throw new Error('it has no `entries` list');
    const entries = json.entries
      .filter((e): e is { idx: unknown; tag: unknown } => typeof e === 'object' && e !== null)
      .filter((e) => typeof e.tag === 'string')
      .map((e, i) => ({ idx: typeof e.idx === 'number' ? e.idx : i, tag: e.tag as string }));
    return { dialect: typeof json.dialect === 'string' ? json.dialect : undefined, entries };
  } catch (error) {
    badFrameworkFile(ctx, file, `${(error as Error).message}; the migrations are ordered by file name instead`);
    return undefined;
  }
}

export const drizzleAdapter: FrameworkAdapter = {
  id: 'drizzle',
  detect(pool, ctx) {
    const roots = new Set<string>();
    for (const f of pool) {
      if (path.basename(f) === '_journal.json' && path.basename(path.dirname(f)) === 'meta') roots.add(path.dirname(path.dirname(f)));
    }
    // Without a journal: numbered files with breakpoints.
    for (const [dir, files] of byDirectory(pool.filter(isSql))) {
      if (roots.has(dir)) continue;
      if (files.some((f) => FILE.test(path.basename(f)) && (ctx.read(f)?.text.includes(BREAKPOINT) ?? false))) roots.add(dir);
    }
    return [...roots].sort().map((root) => ({
      framework: 'drizzle' as const,
      root,
      files: pool.filter((f) => path.dirname(f) === root || path.dirname(f) === path.join(root, 'meta')),
      detectedBy: fileExists(path.join(root, 'meta', '_journal.json')) ? 'meta/_journal.json' : 'numbered .sql files with --> statement-breakpoint',
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
  position: number;
}

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet | undefined {
  const root = setRoot(ctx, candidate.root);
  const journal = readJournal(candidate.root, ctx);
  if (journal?.dialect && !/^(postgresql|pg)$/i.test(journal.dialect)) {
    ctx.notifications.push({
      id: 'unsupported-database',
      level: 'note',
      path: root,
      message: `Skipped the Drizzle migrations in \`${root}\`: meta/_journal.json says dialect "${journal.dialect}", and Plumbline checks PostgreSQL only.`,
    });
    return undefined;
  }
  const position = new Map<string, number>();
  journal?.entries.forEach((e, i) => position.set(e.tag, i));
  const given = new Set(candidate.files.filter((f) => isSql(f) && path.dirname(f) === candidate.root).map((f) => path.basename(f, '.sql')));
  // A journal entry whose file is missing: the migrator stops there ("No file … found").
  if (journal) {
    for (const e of journal.entries) {
      if (!given.has(e.tag) && !fileExists(path.join(candidate.root, `${e.tag}.sql`))) {
        missingFile(ctx, migrationId(root, `${e.tag}.sql`), `meta/_journal.json lists \`${e.tag}\`, but \`${migrationId(root, `${e.tag}.sql`)}\` does not exist: drizzle's migrator stops there`);
      }
    }
  }
  const items: Item[] = [];
  for (const f of candidate.files.filter(isSql)) {
    const tag = path.basename(f, '.sql');
    if (path.dirname(f) !== candidate.root) continue;
    if (journal && !position.has(tag)) {
      ignoredFile(ctx, f, 'it is not listed in meta/_journal.json, so drizzle never runs it');
      continue;
    }
    const file = ctx.read(f);
    if (!file) continue;
    const m = FILE.exec(path.basename(f));
    items.push({
      migration: {
        id: migrationId(root, tag),
        version: m?.[1] ?? tag,
        name: m?.[2] ?? tag,
        framework: 'drizzle',
        kind: 'versioned',
        up: script(file, breakpointSections(file.text), true, REASON),
        downSupported: false,
      },
      version: m?.[1] ?? tag,
      position: position.get(tag) ?? -1,
    });
  }
  const ordered = sortAndCheckDuplicates(
    items,
    journal ? (a, b) => a.position - b.position : (a, b) => naturalCompare(path.basename(a.migration.up.file.path), path.basename(b.migration.up.file.path)),
    (a, b) => !journal && a.version === b.version,
    ctx,
    'drizzle-kit',
  );
  return { root, framework: 'drizzle', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}
