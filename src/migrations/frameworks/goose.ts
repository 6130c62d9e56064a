/**
 * goose (pressly/goose): one file per migration, `<version>_<name>.sql` (a timestamp or a sequential
 * number), with an `-- +goose Up` section and an optional `-- +goose Down` section. Annotations start at
 * the beginning of a line.
 *
 * Transactions: goose splits the section into statements itself and runs them inside one transaction,
 * unless the file carries `-- +goose NO TRANSACTION`; then each statement runs on its own, for both
 * directions. https://pressly.github.io/goose/blog/2022/overview-sql-file
 * Order: by version number.
 */
import path from 'node:path';
import type { Range, SourceFile } from '../../core/source.js';
import type { Migration, MigrationScript, MigrationSet } from '../model.js';
import {
  type Candidate,
  byDirectory,
  compareDigits,
  type DiscoverContext,
  type FrameworkAdapter,
  ignoredFile,
  isSql,
  migrationId,
  script,
  setRoot,
  sortAndCheckDuplicates,
} from './common.js';

const FILE = /^(\d+)_(.+)\.sql$/;
const UP = /^-- \+goose Up\b.*$/m;
const DOWN = /^-- \+goose Down\b.*$/m;
const NO_TRANSACTION = /^-- \+goose NO TRANSACTION\b/m;

export interface GooseSections {
  up: Range;
  down?: Range;
  transaction: boolean;
}

/** The up and down sections of a goose file (the text after each annotation line), or undefined without `-- +goose Up`. */
export function parseGooseSections(text: string): GooseSections | undefined {
  const up = UP.exec(text);
  if (!up) return undefined;
  const down = DOWN.exec(text);
  const after = (m: RegExpExecArray) => {
    const nl = text.indexOf('\n', m.index);
    return nl < 0 ? text.length : nl + 1;
  };
  const result: GooseSections = { up: { start: after(up), end: text.length }, transaction: !NO_TRANSACTION.test(text) };
  if (down && down.index > up.index) {
    result.up.end = down.index;
    result.down = { start: after(down), end: text.length };
  }
  return result;
}

export const gooseAdapter: FrameworkAdapter = {
  id: 'goose',
  detect(pool, ctx) {
    const out: Candidate[] = [];
    for (const [dir, files] of byDirectory(pool)) {
      const numbered = files.filter((f) => isSql(f) && FILE.test(path.basename(f)));
      if (numbered.length === 0) continue;
      if (!numbered.some((f) => UP.test(ctx.read(f)?.text ?? ''))) continue;
      out.push({ framework: 'goose', root: dir, files, detectedBy: '<version>_<name>.sql files with -- +goose Up annotations' });
    }
    return out;
  },
  build(candidate, ctx) {
    return [buildSet(candidate, ctx)];
  },
};

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet {
  const root = setRoot(ctx, candidate.root);
  const items: Array<{ migration: Migration; version: string }> = [];
  for (const f of candidate.files.filter(isSql)) {
    const name = path.basename(f);
    const m = FILE.exec(name);
    if (!m || path.dirname(f) !== candidate.root) {
      ignoredFile(ctx, f, 'goose only runs `<version>_<name>.sql` files directly in its migrations folder');
      continue;
    }
    const file = ctx.read(f);
    if (!file) continue;
    const sections = parseGooseSections(file.text);
    if (!sections) {
      ignoredFile(ctx, f, 'it has no `-- +goose Up` annotation, so goose refuses to run it');
      continue;
    }
    const migration: Migration = {
      id: migrationId(root, name.replace(/\.sql$/, '')),
      version: m[1],
      name: m[2],
      framework: 'goose',
      kind: 'versioned',
      up: section(file, sections.up, sections.transaction),
      downSupported: true,
    };
    if (sections.down && file.text.slice(sections.down.start, sections.down.end).trim() !== '') {
      migration.down = section(file, sections.down, sections.transaction);
    }
    items.push({ migration, version: m[1] });
  }
  const ordered = sortAndCheckDuplicates(items, (a, b) => compareDigits(a.version, b.version), (a, b) => compareDigits(a.version, b.version) === 0, ctx, 'goose');
  return { root, framework: 'goose', migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}

function section(file: SourceFile, range: Range, transaction: boolean): MigrationScript {
  return transaction
    ? script(file, [range], true, 'goose runs each migration in a transaction (the file has no `-- +goose NO TRANSACTION`)')
    : script(file, [range], false, '`-- +goose NO TRANSACTION`: goose runs each statement on its own');
}
