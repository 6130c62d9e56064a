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
import { loadConfig } from '../config/config.js';
import type { Finding } from '../core/finding.js';
import { loadParser } from '../sql/parse.js';
import { isCodeFile, SKIP_DIRS } from '../migrations/discover.js';

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
  /** Every TypeScript file of the project, and who imports whom (built once, on the first lint). */
  importers?: Map<string, Set<string>>;
  catalogue: ReturnType<typeof loadConfig>['config']['catalogue'];
  analysis: CodeAnalysis;
  /** The file the analysis is focused on, and the text it had. */
  current?: { path: string; text: string };
}

const projects = new Map<string, ProjectState>();

/** The project root of a file: the nearest folder with a package.json (or the working directory). */
function rootOf(filename: string, cwd: string): string {
  for (let dir = path.dirname(filename); ; dir = path.dirname(dir)) {
    try {
      if (statSync(path.join(dir, 'package.json')).isFile()) return dir;
    } catch {
      // keep looking
    }
    if (path.dirname(dir) === dir) return cwd;
  }
}

function stateFor(root: string): ProjectState {
  let state = projects.get(root);
  if (!state) {
    const notifications: never[] = [];
    const base = new CodeBase(root, notifications);
    let catalogue;
    try {
      catalogue = loadConfig(root, undefined, allRules).config.catalogue;
    } catch {
      catalogue = undefined; // a broken config is the CLI's to report
    }
    state = { base, catalogue, analysis: new CodeAnalysis(base, catalogue) };
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
function analysisFor(filename: string, text: string, cwd: string, tsAst: ts.SourceFile | undefined): { analysis: CodeAnalysis; file: CodeFile } {
  const root = rootOf(filename, cwd);
  const state = invalidateIfStale(stateFor(root), root);
  const known = state.base.peek(filename);
  if (known && known.source.text !== text) {
    // The file changed: summaries that saw its old version may be stale anywhere. Keep the parsed files
    // (the costly part) and rebuild summaries as they are asked for.
    state.analysis = new CodeAnalysis(state.base, state.catalogue);
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
          const { analysis } = analysisFor(context.filename, source.text, context.cwd, tsAst && ts.isSourceFile(tsAst) ? tsAst : undefined);
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
const rules = Object.fromEntries(codeRules.map((r) => [r.id, adapt(r)]));

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
  rules: Object.fromEntries(codeRules.filter((r) => r.meta.recommended && !r.meta.experimental).map((r) => [`plumbline/${r.id}`, level(r)])),
};
plugin.configs.strict = {
  name: 'plumbline/strict',
  files: FILES,
  plugins: { plumbline: plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: Object.fromEntries(codeRules.filter((r) => !r.meta.experimental).map((r) => [`plumbline/${r.id}`, level(r)])),
};

export default plugin;
export { plugin };
