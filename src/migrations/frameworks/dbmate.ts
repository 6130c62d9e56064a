/**
 * dbmate: one file per migration, `<version>_<name>.sql`, holding a `-- migrate:up` section and a
 * `-- migrate:down` section. Both sections are scripts over the same SourceFile; the directive line
 * carries options (`-- migrate:up transaction:false`).
 *
 * Transactions: dbmate runs each section in a transaction unless its directive says
 * `transaction:false`. Without one, the section is sent in one `Exec` through lib/pq, so PostgreSQL
 * still runs a section of several statements as one implicit transaction.
 * Order: file-name order, as dbmate reads its folder. The schema dump dbmate writes (`schema.sql` in
 * the parent folder, by default `db/schema.sql`) is part of the layout, not a migration.
 */
import path from 'node:path';
import type { Range, SourceFile } from '../../core/source.js';
import type { Migration, MigrationScript, MigrationSet } from '../model.js';
import {
  type Candidate,
  byDirectory,
  type DiscoverContext,
  type FrameworkAdapter,
  ignoredFile,
  implicitTransaction,
  isSql,
  migrationId,
  ordinal,
  script,
  setRoot,
  sortAndCheckDuplicates,
} from './common.js';

const FILE = /^(\d+)_?(.*)\.sql$/;
const UP = /^--[ \t]*migrate:up(?:[ \t]+(.*?))?[ \t]*\r?$/m;
const DOWN = /^--[ \t]*migrate:down(?:[ \t]+(.*?))?[ \t]*\r?$/m;

/** Sections of a dbmate file: ranges after each directive line, and each section's options. */
export interface DbmateSections {
  up: { range: Range; options: Record<string, string>; directive: Range };
  down?: { range: Range; options: Record<string, string>; directive: Range };
}

export function parseDbmateSections(text: string): DbmateSections | undefined {
  const up = UP.exec(text);
  if (!up) return undefined;
  const down = DOWN.exec(text);
  const lineEnd = (from: number) => {
    const nl = text.indexOf('\n', from);
    return nl < 0 ? text.length : nl + 1;
  };
  const upBody = lineEnd(up.index);
  const result: DbmateSections = {
    up: { range: { start: upBody, end: text.length }, options: options(up[1]), directive: { start: up.index, end: up.index + up[0].length } },
  };
  if (down) {
    const downBody = lineEnd(down.index);
    const downSection = { range: { start: downBody, end: text.length }, options: options(down[1]), directive: { start: down.index, end: down.index + down[0].length } };
    if (down.index > up.index) {
      result.up.range.end = down.index;
    } else {
      // dbmate requires up before down; if not, each section still ends where the other starts.
      downSection.range.end = up.index;
    }
    result.down = downSection;
  }
  return result;
}

function options(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').trim().split(/\s+/)) {
    const parts = pair.split(':');
    if (parts.length === 2) out[parts[0]] = parts[1];
  }
  return out;
}

export const dbmateAdapter: FrameworkAdapter = {
  id: 'dbmate',
  detect(pool, ctx) {
    const out: Candidate[] = [];
    for (const [dir, files] of byDirectory(pool)) {
      const numbered = files.filter((f) => isSql(f) && FILE.test(path.basename(f)));
      if (numbered.length === 0) continue;
      // Reading is cached: the build reuses the text.
      if (!numbered.some((f) => UP.test(ctx.read(f)?.text ?? ''))) continue;
      const files2 = [...files];
      // dbmate's schema dump (default db/schema.sql, beside the migrations folder).
      const dump = pool.find((f) => path.dirname(f) === path.dirname(dir) && path.basename(f) === 'schema.sql');
      if (dump) files2.push(dump);
      out.push({ framework: 'dbmate', root: dir, files: files2, detectedBy: '<version>_<name>.sql files with -- migrate:up sections' });
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
  const items: Item[] = [];
  for (const f of candidate.files.filter(isSql)) {
    const name = path.basename(f);
    if (path.dirname(f) !== candidate.root) {
      if (name === 'schema.sql') continue; // the schema dump
      ignoredFile(ctx, f, 'dbmate only runs the `<version>_<name>.sql` files directly in its migrations folder');
      continue;
    }
    const m = FILE.exec(name);
    if (!m) {
      ignoredFile(ctx, f, 'dbmate only runs files whose name starts with a version number (`<version>_<name>.sql`)');
      continue;
    }
    const file = ctx.read(f);
    if (!file) continue;
    const sections = parseDbmateSections(file.text);
    if (!sections) {
      ignoredFile(ctx, f, 'it has no `-- migrate:up` line, so dbmate refuses to run it');
      continue;
    }
    const migration: Migration = {
      id: migrationId(root, name.replace(/\.sql$/, '')),
      version: m[1],
      name: m[2] || m[1],
      framework: 'dbmate',
      kind: 'versioned',
      up: section(file, sections.up, 'up'),
      downSupported: true,
    };
    if (sections.down) migration.down = section(file, sections.down, 'down');
    items.push({ migration, version: m[1] });
  }
  const ordered = sortAndCheckDuplicates(
    items,
    (a, b) => ordinal(path.basename(a.migration.up.file.path), path.basename(b.migration.up.file.path)),
    (a, b) => a.version === b.version,
    ctx,
    'dbmate',
  );
  return { root, framework: 'dbmate', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}

function section(file: SourceFile, s: { range: Range; options: Record<string, string> }, direction: 'up' | 'down'): MigrationScript {
  const sc = script(file, [s.range], true, `dbmate runs each migration section in a transaction (the \`-- migrate:${direction}\` line does not say transaction:false)`);
  if (s.options.transaction !== 'false') return sc;
  return implicitTransaction(sc, `\`-- migrate:${direction} transaction:false\` stops dbmate from opening a transaction, but dbmate still sends the section`);
}
