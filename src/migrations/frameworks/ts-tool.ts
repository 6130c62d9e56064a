/**
 * The adapter every TypeScript migration tool shares (TypeORM, Knex, node-pg-migrate, Kysely,
 * Sequelize, MikroORM, slonik/postgres.js `sql` templates): docs/frameworks.md, "Migrations written in
 * TypeScript".
 *
 * Detection reads files whose name looks like a migration (it starts with a digit, or `Migration` and
 * a digit, the names every one of these tools generates), tests the text cheaply for the tool, then
 * parses it and confirms the shape (an exported `up`, a migration class). Each file is classified once
 * per run, by the first tool that claims it, most specific first. Only the migration files are claimed:
 * helpers beside them stay in the pool (and in the code analyzer's files).
 *
 * Building: each `up`/`down` becomes a script whose file is a `MappedSourceFile` (src/migrations/ts/
 * mapped.ts): the SQL the tool would send, with every offset mapped back to the TypeScript file.
 */
import path from 'node:path';
import { ts } from 'ts-morph';
import type { SourceFile } from '../../core/source.js';
import { CallContext, type FnLike, hasBody, moduleShape, noteNotifications, walkFunction } from '../ts/extract.js';
import { Consts } from '../ts/literals.js';
import { assemble, MappedSourceFile } from '../ts/mapped.js';
import type { ToolFile, ToolSpec, TransactionMode } from '../ts/tool.js';
import { TS_TOOLS } from '../ts/tools/index.js';
import type { Migration, MigrationScript, MigrationSet } from '../model.js';
import { byDirectory, type Candidate, type DiscoverContext, type FrameworkAdapter, migrationId, setRoot, sortAndCheckDuplicates } from './common.js';

const SCRIPT = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/** A file that could hold a migration of a TypeScript tool (by its name alone). */
export function isMigrationScriptName(file: string): boolean {
  const base = path.basename(file);
  return (
    SCRIPT.test(base) &&
    !/\.d\.[mc]?ts$/.test(base) &&
    !/\.(?:test|spec)\.[mc]?[jt]s$/.test(base) &&
    /^(?:\d|Migration_?\d)/.test(base)
  );
}

interface Parsed {
  tool: ToolSpec;
  text: string;
  file: ToolFile;
}

const classified = new WeakMap<DiscoverContext, Map<string, Parsed | null>>();

function parse(absolute: string, text: string): ts.SourceFile {
  const kind = /\.[mc]?js$/.test(absolute) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  return ts.createSourceFile(absolute, text, ts.ScriptTarget.Latest, true, kind);
}

function toolFile(absolute: string, sf: ts.SourceFile): ToolFile {
  return { stem: path.basename(absolute).replace(SCRIPT, ''), sf, shape: moduleShape(sf) };
}

/** The tool a file belongs to (cached per discovery run), or null. */
export function classify(ctx: DiscoverContext, absolute: string): Parsed | null {
  let cache = classified.get(ctx);
  if (!cache) {
    cache = new Map();
    classified.set(ctx, cache);
  }
  const known = cache.get(absolute);
  if (known !== undefined) return known;
  let result: Parsed | null = null;
  if (isMigrationScriptName(absolute)) {
    const text = ctx.readText(absolute);
    if (text !== undefined && /\bup\b/.test(text)) {
      let file: ToolFile | undefined;
      for (const tool of TS_TOOLS) {
        if (!tool.matches(text)) continue;
        file ??= toolFile(absolute, parse(absolute, text));
        if (file.shape.up && tool.confirm(file)) {
          result = { tool, text, file };
          break;
        }
      }
    }
  }
  cache.set(absolute, result);
  return result;
}

export function tsToolAdapter(tool: ToolSpec): FrameworkAdapter {
  return {
    id: tool.id,
    detect(pool, ctx) {
      const mine = pool.filter((f) => classify(ctx, f)?.tool === tool);
      return [...byDirectory(mine)].map(([dir, files]) => ({ framework: tool.id, root: dir, files, detectedBy: tool.detectedBy }));
    },
    build(candidate, ctx) {
      return [buildSet(tool, candidate, ctx)];
    },
  };
}

interface Item {
  migration: Migration;
  version: string;
  file: ToolFile;
}

function buildSet(tool: ToolSpec, candidate: Candidate, ctx: DiscoverContext): MigrationSet {
  const root = setRoot(ctx, candidate.root);
  const items: Item[] = [];
  for (const absolute of candidate.files) {
    if (!SCRIPT.test(absolute) || /\.d\.[mc]?ts$/.test(absolute)) continue;
    const source = ctx.read(absolute);
    if (!source) continue;
    const known = classify(ctx, absolute);
    const file = known && known.text === source.text ? known.file : toolFile(absolute, parse(absolute, source.text));
    // A folder declared with this framework may hold helpers: only files with an `up` are migrations.
    if (!file.shape.up) continue;
    const migration = buildMigration(tool, file, source, root, ctx);
    items.push({ migration, version: migration.version, file });
  }
  const ordered = sortAndCheckDuplicates(items, (a, b) => tool.compare(a.file, b.file), (a, b) => tool.sameVersion?.(a.file, b.file) ?? false, ctx, tool.name);
  return { root, framework: tool.id, migrations: ordered.map((i) => i.migration), detectedBy: candidate.detectedBy };
}

function translate(tool: ToolSpec, file: ToolFile, fn: FnLike, source: SourceFile, consts: Consts): CallContext {
  const cx = new CallContext(file.sf, source, consts);
  walkFunction(fn, tool.translator(file, fn, cx), cx);
  return cx;
}

function scriptOf(cx: CallContext, source: SourceFile, mode: TransactionMode, eof: number): MigrationScript {
  const { text, offsets } = assemble(cx.statements, eof);
  const file = new MappedSourceFile(source, text, offsets);
  return { file, sections: [{ start: 0, end: text.length }], wrappedInTransaction: mode.wrapped, transactionReason: mode.reason };
}

function buildMigration(tool: ToolSpec, file: ToolFile, source: SourceFile, root: string, ctx: DiscoverContext): Migration {
  const consts = new Consts(file.sf);
  const up = file.shape.up!;
  const upCx = translate(tool, file, up, source, consts);
  if (upCx.statements.length === 0 && upCx.notes.length === 0 && hasBody(up)) {
    upCx.unsupported(up, `No SQL was found in \`up\`: Plumbline reads the ${tool.name} calls written in the function itself, not helpers it calls or files it imports`);
  }
  const version = tool.version(file);
  const migration: Migration = {
    id: migrationId(root, file.stem),
    version,
    name: file.stem.replace(/^(?:Migration_?)?[\d._T-]+[-_.]?/, '') || file.stem,
    framework: tool.id,
    kind: 'versioned',
    up: scriptOf(upCx, source, tool.transaction(file, 'up', upCx), up.end),
    downSupported: true,
  };
  const notes = [...upCx.notes];
  const down = file.shape.down;
  if (down) {
    const downCx = translate(tool, file, down, source, consts);
    notes.push(...downCx.notes);
    if (downCx.statements.length > 0 || !hasBody(down)) {
      migration.down = scriptOf(downCx, source, tool.transaction(file, 'down', downCx), down.end);
    } else {
      // A down whose body produced no SQL Plumbline understands: what it does is unknown, so it is
      // neither checked nor reported as missing.
      migration.downSupported = false;
    }
  } else if (file.shape.downDisabled) {
    migration.downSupported = false;
  } else if (tool.inferDown) {
    const inferred = tool.inferDown(file, upCx);
    if (inferred === 'unknown') migration.downSupported = false;
    else if (inferred) migration.down = scriptOf(inferred, source, tool.transaction(file, 'down', inferred), up.end);
  }
  ctx.notifications.push(...noteNotifications(notes, upCx));
  return migration;
}
