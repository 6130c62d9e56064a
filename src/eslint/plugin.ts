/**
 * `plumbline/eslint`: the code rules as an ESLint 10 flat-config plugin, for editors.
 *
 * No rule is written twice: each ESLint rule is an adapter (typescript-eslint's `RuleCreator`) around the
 * same `CodeRule` object the CLI runs. The adapter hands the TypeScript syntax tree that typescript-eslint's
 * parser already built to the shared analysis, and reports what the rule finds in the file being linted.
 *
 * Cross-file facts — what an imported helper does, which client a module exports — come from one analysis
 * per project root, kept for the life of the process: files reached by imports are parsed once and
 * re-read only when their content changes, and function summaries are cached, so a warm editor only pays
 * for the file being edited.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLintUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { ts } from 'ts-morph';
import { allRules } from '../../rules/index.js';
import { CodeAnalysis, runCodeRule } from '../code/analyze.js';
import { CodeBase, type CodeFile } from '../code/project.js';
import type { CodeRule } from '../core/rule.js';
import { helpUri } from '../core/rule.js';
import { SourceFile } from '../core/source.js';
import { DEFAULT_PG_VERSION, loadConfig, resolveRules, type PlumblineConfig } from '../config/config.js';
import { MappedSourceFile } from '../migrations/ts/mapped.js';
import type { Catalog } from '../catalog/catalog.js';
import { analyzeMigrationSet } from '../engine/migrations.js';
import { PrismaSchema } from '../code/schema-map.js';
import type { Finding } from '../core/finding.js';
import { loadParser } from '../sql/parse.js';
import { discoverSync, isCodeFile, SKIP_DIRS } from '../migrations/discover.js';

// The SQL parser is WebAssembly, loaded asynchronously; ESLint rules run synchronously, so load it now.
await loadParser();

/** Our own package.json: two folders up from the sources, three from the build. */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'plumbline') return pkg.version;
    } catch {
      // not here
    }
  }
  return '0.0.0';
}
const VERSION = packageVersion();

const createRule = ESLintUtils.RuleCreator<{ requiresTypeChecking?: boolean; recommended?: boolean }>((name) => helpUri(name));

interface ProjectState {
  base: CodeBase;
  schema: { catalogs: Catalog[]; prisma: PrismaSchema; migrationFindings: Map<string, Finding[]>; migrationFiles: Set<string> };
  /** Every TypeScript file of the project, and who imports whom (built once, on the first lint). */
  importers?: Map<string, Set<string>>;
  catalogue: ReturnType<typeof loadConfig>['config']['catalogue'];
  analysis: CodeAnalysis;
  /** The file the analysis is focused on, and the text it had. */
  current?: { path: string; text: string };
}

const projects = new Map<string, ProjectState>();

/** The project root of a file: the nearest folder with a plumbline.config.json or a package.json (or the working directory). */
function rootOf(filename: string, cwd: string): string {
  for (let dir = path.dirname(filename); ; dir = path.dirname(dir)) {
    for (const marker of ['plumbline.config.json', 'package.json']) {
      try {
        if (statSync(path.join(dir, marker)).isFile()) return dir;
      } catch {
        // keep looking
      }
    }
    if (path.dirname(dir) === dir) return cwd;
  }
}

/**
 * The schema the project's migrations build (for no-unindexed-query), computed once per project: the
 * migrations under the configured `paths`, discovered and replayed into catalogs as the CLI does.
 */
function schemaOf(root: string, config: PlumblineConfig | undefined): ProjectState['schema'] {
  const empty = { catalogs: [], prisma: new PrismaSchema(), migrationFindings: new Map<string, Finding[]>(), migrationFiles: new Set<string>() };
  try {
    const pgVersion = config?.pgVersion ?? DEFAULT_PG_VERSION;
    const found = discoverSync({ root, paths: config?.paths?.length ? config.paths : ['.'], ignore: config?.ignore ?? [], sets: config?.migrations, assumeInTransaction: config?.assumeInTransaction, pgVersion });
    // Migration rules run with the project's configuration; their findings in migrations written in
    // TypeScript are what `plumbline/migrations` reports in the editor.
    const rules = resolveRules(allRules, config ?? {}).filter((r) => r.rule.family !== 'code');
    const migrationFindings = new Map<string, Finding[]>();
    // Migrations written in TypeScript are migrations, not service code: the code rules skip them (as the CLI does).
    const migrationFiles = new Set<string>();
    for (const set of found.sets) {
      for (const m of set.migrations) for (const sc of [m.up, m.down]) if (sc && sc.file instanceof MappedSourceFile) migrationFiles.add(sc.file.path);
    }
    const catalogs = found.sets.map((set) => {
      const result = analyzeMigrationSet(set, { pgVersion, rules, allRules });
      for (const f of result.findings) {
        if (!(f.file instanceof MappedSourceFile)) continue;
        const list = migrationFindings.get(f.file.path) ?? [];
        list.push(f);
        migrationFindings.set(f.file.path, list);
      }
      return result.catalog;
    });
    return { catalogs, prisma: PrismaSchema.fromFiles(found.prismaSchemas), migrationFindings, migrationFiles };
  } catch {
    return empty; // the CLI reports broken migrations
  }
}

/**
 * `plumbline/migrations`: the migration rules on migrations written in TypeScript (TypeORM, Knex,
 * node-pg-migrate, Kysely, Sequelize, MikroORM…), at the TypeScript line each SQL statement comes from.
 * They are judged as saved on disk (the catalog replays every migration in order).
 */
const migrationsRule = createRule<[], 'finding'>({
  name: 'migrations',
  meta: {
    type: 'problem',
    docs: { description: 'Migration rules (locks, rewrites, one-way changes…) on migrations written in TypeScript.' },
    messages: { finding: '{{rule}}: {{message}} {{why}} Fix: {{remedy}}' },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      'Program:exit'() {
        const root = rootOf(context.filename, context.cwd);
        const state = invalidateIfStale(stateFor(root), root);
        for (const f of state.schema.migrationFindings.get(context.filename) ?? []) {
          const start = f.file.position(f.range.start);
          const end = f.file.position(f.range.end);
          context.report({
            loc: { start: { line: start.line, column: start.column - 1 }, end: { line: end.line, column: end.column - 1 } },
            messageId: 'finding',
            data: { rule: f.ruleId, message: f.message, why: f.why, remedy: f.remedy },
          });
        }
      },
    };
  },
});

function stateFor(root: string): ProjectState {
  let state = projects.get(root);
  if (!state) {
    const notifications: never[] = [];
    const base = new CodeBase(root, notifications);
    let config: PlumblineConfig | undefined;
    try {
      config = loadConfig(root, undefined, allRules).config;
    } catch {
      config = undefined; // a broken config is the CLI's to report
    }
    const catalogue = config?.catalogue;
    const schema = schemaOf(root, config);
    state = { base, catalogue, schema, analysis: withSchema(new CodeAnalysis(base, catalogue), schema) };
    projects.set(root, state);
  }
  return state;
}

/** Drops the analysis when a file it read has changed on disk since (an import edited in another tab). */
let lastStaleCheck = 0;
function invalidateIfStale(state: ProjectState, root: string): ProjectState {
  // Checking every file read costs a stat each: once a second is enough for edits made in other tabs.
  const now = Date.now();
  if (now - lastStaleCheck < 1000) return state;
  lastStaleCheck = now;
  for (const [file, v] of state.base.diskVersions) {
    if (file === state.current?.path) continue;
    let st;
    try {
      st = statSync(file);
    } catch {
      st = undefined;
    }
    if (!st || st.mtimeMs !== v.mtimeMs || st.size !== v.size) {
      projects.delete(root);
      return stateFor(root);
    }
  }
  return state;
}

/** Focuses the project's analysis on the linted file, reusing everything else it knows. */
function analysisFor(filename: string, text: string, cwd: string, tsAst: ts.SourceFile | undefined): { analysis: CodeAnalysis; file: CodeFile } | undefined {
  const root = rootOf(filename, cwd);
  const state = invalidateIfStale(stateFor(root), root);
  if (state.schema.migrationFiles.has(filename)) return undefined;
  const known = state.base.peek(filename);
  if (known && known.source.text !== text) {
    // The file changed: summaries that saw its old version may be stale anywhere. Keep the parsed files
    // (the costly part) and rebuild summaries as they are asked for.
    state.analysis = withSchema(new CodeAnalysis(state.base, state.catalogue), state.schema);
    state.current = undefined;
  }
  let file = state.base.peek(filename);
  if (!file || file.source.text !== text) {
    const rel = path.relative(root, filename).split(path.sep).join('/');
    file = state.base.add(new SourceFile(filename, rel, text), true, tsAst && tsAst.text === text ? tsAst : undefined);
  }
  if (state.current?.path !== filename || state.current.text !== text) {
    state.analysis.focus([file], scopeOf(state, root, file));
    state.current = { path: filename, text };
  }
  return { analysis: state.analysis, file };
}

/** Files whose handlers may reach the linted file: it and its importers, transitively (at most MAX_SCOPE). */
const MAX_SCOPE = 300;
function scopeOf(state: ProjectState, root: string, file: CodeFile): CodeFile[] {
  if (!state.importers) {
    state.importers = new Map();
    for (const f of projectFiles(root)) {
      const code = state.base.file(f);
      if (!code) continue;
      for (const dep of state.base.importsOf(code)) {
        const set = state.importers.get(dep.source.path) ?? new Set();
        set.add(f);
        state.importers.set(dep.source.path, set);
      }
    }
  }
  const seen = new Set<string>([file.source.path]);
  const queue = [file.source.path];
  while (queue.length > 0 && seen.size < MAX_SCOPE) {
    for (const importer of state.importers.get(queue.shift()!) ?? []) {
      if (seen.has(importer)) continue;
      seen.add(importer);
      queue.push(importer);
    }
  }
  const scope = [file];
  for (const p of seen) {
    if (p === file.source.path) continue;
    const f = state.base.file(p);
    if (f) scope.push(f);
  }
  return scope;
}

/** The project's TypeScript sources, as `plumbline check` would find them under the root. */
function projectFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && isCodeFile(full)) out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

function withSchema(analysis: CodeAnalysis, schema: ProjectState['schema']): CodeAnalysis {
  analysis.catalogs = schema.catalogs;
  analysis.prisma = schema.prisma;
  return analysis;
}

type Options = [Record<string, unknown>];

function adapt(rule: CodeRule): TSESLint.RuleModule<'finding', Options> {
  const options = rule.meta.options;
  return createRule<Options, 'finding'>({
    name: rule.id,
    meta: {
      type: rule.meta.severity === 'error' ? 'problem' : 'suggestion',
      docs: { description: rule.meta.description, recommended: rule.meta.recommended, requiresTypeChecking: rule.requiresTypes ?? false },
      messages: { finding: '{{message}} {{why}} Fix: {{remedy}}' },
      schema: options ? [options as never] : [],
      ...(options ? { defaultOptions: [(rule.meta.defaultOptions ?? {}) as Record<string, unknown>] } : {}),
    },
    defaultOptions: (options ? [(rule.meta.defaultOptions ?? {}) as Record<string, unknown>] : []) as unknown as Options,
    create(context, [ruleOptions]) {
      return {
        'Program:exit'(program: TSESTree.Program) {
          const source = context.sourceCode;
          const services = source.parserServices as { esTreeNodeToTSNodeMap?: { get(n: unknown): ts.Node | undefined } } | undefined;
          const tsAst = services?.esTreeNodeToTSNodeMap?.get(program) as ts.SourceFile | undefined;
          const focused = analysisFor(context.filename, source.text, context.cwd, tsAst && ts.isSourceFile(tsAst) ? tsAst : undefined);
          if (!focused) return; // a migration: `plumbline/migrations` judges it
          const { analysis } = focused;
          let findings: Finding[];
          try {
            findings = runCodeRule(analysis, rule, rule.meta.severity, ruleOptions ?? {});
          } catch {
            return; // never break the editor: the CLI reports rule crashes
          }
          for (const f of findings) {
            context.report({
              loc: { start: source.getLocFromIndex(f.range.start), end: source.getLocFromIndex(f.range.end) },
              messageId: 'finding',
              data: { message: f.message, why: f.why, remedy: f.remedy },
            });
          }
        },
      };
    },
  });
}

const codeRules = allRules.filter((r): r is CodeRule => r.family === 'code');
const rules: Record<string, TSESLint.RuleModule<'finding', never[]> | TSESLint.RuleModule<'finding', Options>> = {
  ...Object.fromEntries(codeRules.map((r) => [r.id, adapt(r)])),
  migrations: migrationsRule,
};

const plugin = {
  meta: { name: 'plumbline', version: VERSION },
  rules,
  configs: {} as Record<'recommended' | 'strict', TSESLint.FlatConfig.Config>,
};

const FILES = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];
const level = (r: CodeRule): 'error' | 'warn' => (r.meta.severity === 'error' ? 'error' : 'warn');
plugin.configs.recommended = {
  name: 'plumbline/recommended',
  files: FILES,
  plugins: { plumbline: plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: { ...Object.fromEntries(codeRules.filter((r) => r.meta.recommended && !r.meta.experimental).map((r) => [`plumbline/${r.id}`, level(r)])), 'plumbline/migrations': 'error' },
};
plugin.configs.strict = {
  name: 'plumbline/strict',
  files: FILES,
  plugins: { plumbline: plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: { ...Object.fromEntries(codeRules.filter((r) => !r.meta.experimental).map((r) => [`plumbline/${r.id}`, level(r)])), 'plumbline/migrations': 'error' },
};

export default plugin;
export { plugin };
