/**
 * The code analyzer: loads the TypeScript files, builds effect summaries on demand, finds the entries,
 * and runs every enabled code rule once over the whole code base. Findings in files outside the given
 * paths (reached only by following imports) are dropped; `// plumbline-ignore rule: reason` comments
 * suppress the finding that starts on the next line.
 */
import { ts } from 'ts-morph';
import type { Finding, Location, Notification } from '../core/finding.js';
import type { CodeContext, CodePlace, CodeReportInput, CodeRule, Rule } from '../core/rule.js';
import type { ResolvedRule } from '../engine/migrations.js';
import { Catalogue, type CustomEntry } from './catalogue/index.js';
import { Effects, type Summary } from './effects.js';
import { PrismaSchema } from './schema-map.js';
import type { Catalog } from '../catalog/catalog.js';
import { findEntries, type Entry } from './entries.js';
import { CodeBase, type CodeFile } from './project.js';
import { isFunctionLike, Resolver, type FnNode } from './resolve.js';

export interface CodeOptions {
  root: string;
  rules: ResolvedRule[];
  allRules: Rule[];
  /** User wrappers (`catalogue` in the configuration). */
  catalogue?: Record<string, CustomEntry>;
  /** The schema each migration set builds: code rules ask it about indexes and unique keys. */
  catalogs?: Catalog[];
  /** Prisma schema files, to map models and fields to tables and columns. */
  prismaSchemas?: string[];
}

export class CodeAnalysis {
  readonly resolver: Resolver;
  readonly catalogue: Catalogue;
  readonly effects: Effects;
  private entryList: Entry[] | undefined;
  /** The schemas the migrations build (one per migration set), newest knowledge last. */
  catalogs: Catalog[] = [];
  prisma = new PrismaSchema();
  private functionList: Array<{ fn: FnNode; file: CodeFile }> | undefined;

  constructor(
    readonly base: CodeBase,
    custom: Record<string, CustomEntry> = {},
  ) {
    this.resolver = new Resolver(base);
    this.catalogue = new Catalogue(this.resolver, custom);
    this.resolver.transactionProbe = (call, callee) => this.catalogue.opensTransaction(call, callee);
    this.effects = new Effects(this.resolver, this.catalogue);
  }

  targets(): CodeFile[] {
    return this.base.targets();
  }

  /**
   * Makes `files` the only targets (the ESLint plugin lints one file at a time); summaries stay cached.
   * `scope` are the files whose handlers and functions the rules walk: the targets plus the files that
   * import them, whose flows may end in a target (a handler in a route file makes a query in the linted
   * repository file unbounded).
   */
  focus(files: CodeFile[], scope?: CodeFile[]): void {
    for (const f of this.base.targets()) f.target = false;
    for (const f of files) f.target = true;
    this.scope = scope;
    this.entryList = undefined;
    this.functionList = undefined;
    this.memos.clear();
  }

  private readonly memos = new Map<string, unknown>();

  /** A value derived from the analysed files, computed once until the focus changes. */
  memo<T>(key: string, compute: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, compute());
    return this.memos.get(key) as T;
  }

  private scope: CodeFile[] | undefined;

  private scoped(): CodeFile[] {
    return this.scope ?? this.targets();
  }

  /** Handlers and consumers in the analysed files. */
  entries(): Entry[] {
    this.entryList ??= this.scoped().flatMap((f) => findEntries(f, this.resolver));
    return this.entryList;
  }

  /** Every function of the analysed files, in file order. */
  functions(): Array<{ fn: FnNode; file: CodeFile }> {
    if (!this.functionList) {
      const list: Array<{ fn: FnNode; file: CodeFile }> = [];
      for (const file of this.scoped()) {
        const visit = (n: ts.Node): void => {
          if (isFunctionLike(n) && n.body) list.push({ fn: n, file });
          n.forEachChild(visit);
        };
        file.ast.forEachChild(visit);
      }
      this.functionList = list;
    }
    return this.functionList;
  }

  summary(fn: FnNode): Summary {
    return this.effects.summary(fn);
  }
}

export function analyzeCode(files: string[], options: CodeOptions, notifications: Notification[], base?: CodeBase): Finding[] {
  const codeRules = options.rules.filter((r): r is ResolvedRule & { rule: CodeRule } => r.rule.family === 'code');
  if (files.length === 0 && !base) return [];
  const codeBase = base ?? CodeBase.load(options.root, files, notifications);
  if (codeRules.length === 0) return [];
  const analysis = new CodeAnalysis(codeBase, options.catalogue);
  analysis.catalogs = options.catalogs ?? [];
  analysis.prisma = PrismaSchema.fromFiles(options.prismaSchemas ?? []);
  const findings: Finding[] = [];
  for (const { rule, severity, options: ruleOptions } of codeRules) {
    try {
      findings.push(...runCodeRule(analysis, rule, severity, ruleOptions));
    } catch (error) {
      notifications.push({ id: 'rule-crash', level: 'error', message: `Rule ${rule.id} failed: ${(error as Error).stack ?? error}. Please report this with the code that triggers it.` });
    }
  }
  return applySuppressions(findings, analysis, options, notifications);
}

/** Runs one code rule over the analysis' target files: its findings, deduplicated, in target files only. */
export function runCodeRule(analysis: CodeAnalysis, rule: CodeRule, severity: Finding['severity'], options: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const ctx: CodeContext = {
    options: { ...(rule.meta.defaultOptions ?? {}), ...options },
    analysis,
    report: (input) => {
      if (!input.file.target) return;
      const finding = toFinding(rule.id, severity, input);
      const key = `${finding.file.relPath}\0${finding.range.start}\0${finding.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      findings.push(finding);
    },
  };
  rule.check(ctx);
  return findings;
}

function place(p: (CodePlace & { message?: string }) | Location): Location {
  if (!('node' in p)) return p;
  const start = p.node.getStart(p.file.ast);
  return { file: p.file.source, range: { start, end: p.node.getEnd() }, ...(p.message ? { message: p.message } : {}) };
}

function toFinding(ruleId: string, severity: Finding['severity'], input: CodeReportInput): Finding {
  const primary = place(input);
  return {
    ruleId,
    severity,
    file: primary.file,
    range: primary.range,
    message: input.message,
    why: input.why,
    remedy: input.remedy,
    ...(input.related?.length ? { related: input.related.map(place) } : {}),
    ...(input.flow && input.flow.length > 1 ? { flow: input.flow.map(place) } : {}),
    ...(input.properties ? { properties: input.properties } : {}),
  };
}

const DIRECTIVE = /^\s*(?:\/\/|\/\*)\s*plumbline-ignore(-file)?\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*?))?\s*(?:\*\/)?\s*$/;

interface TsSuppression {
  file: CodeFile;
  start: number;
  ids: string[];
  line: number;
  scope: 'line' | 'file';
  reason: string;
  used: Set<string>;
}

/** `// plumbline-ignore <ids>: <reason>` on the line before the finding, or `-ignore-file` anywhere. */
function applySuppressions(findings: Finding[], analysis: CodeAnalysis, options: CodeOptions, notifications: Notification[]): Finding[] {
  const byFile = new Map<string, TsSuppression[]>();
  const known = new Set(options.allRules.map((r) => r.id));
  const enabled = new Set(options.rules.map((r) => r.rule.id));
  const extra: Finding[] = [];
  for (const file of analysis.targets()) {
    const text = file.source.text;
    if (!text.includes('plumbline-ignore')) continue;
    const list: TsSuppression[] = [];
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
    for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
      if (kind !== ts.SyntaxKind.SingleLineCommentTrivia && kind !== ts.SyntaxKind.MultiLineCommentTrivia) continue;
      const comment = scanner.getTokenText();
      if (!comment.includes('plumbline-ignore')) continue;
      const m = DIRECTIVE.exec(comment);
      const start = scanner.getTokenStart();
      const range = { start, end: scanner.getTokenEnd() };
      if (!m || !m[3]) {
        if (enabled.has('invalid-suppression')) {
          extra.push({
            ruleId: 'invalid-suppression',
            severity: 'warning',
            file: file.source,
            range,
            message: 'This suppression comment is missing its rule ids or its reason.',
            why: 'An unexplained suppression hides a hazard from every later reader.',
            remedy: 'Write `// plumbline-ignore <rule-id>: <why this is safe here>`.',
          });
        }
        continue;
      }
      const ids = m[2].split(',').map((s) => s.trim());
      for (const id of ids) {
        if (!known.has(id) && enabled.has('invalid-suppression')) {
          extra.push({ ruleId: 'invalid-suppression', severity: 'warning', file: file.source, range, message: `\`${id}\` is not a Plumbline rule.`, why: 'A suppression naming an unknown rule suppresses nothing.', remedy: 'Fix the rule id (`plumbline rules` lists them).' });
        }
      }
      list.push({ file, start, ids, line: file.source.position(start).line, scope: m[1] ? 'file' : 'line', reason: m[3], used: new Set() });
    }
    byFile.set(file.source.relPath, list);
  }
  const kept = findings.filter((f) => {
    const list = byFile.get(f.file.relPath);
    if (!list) return true;
    const line = f.file.position(f.range.start).line;
    const s = list.find((x) => x.ids.includes(f.ruleId) && (x.scope === 'file' || nextCodeLine(x) === line || x.line === line));
    if (!s) return true;
    s.used.add(f.ruleId);
    return false;
  });
  if (enabled.has('unused-suppression')) {
    for (const list of byFile.values()) {
      for (const s of list) {
        for (const id of s.ids) {
          if (!known.has(id) || !enabled.has(id) || s.used.has(id)) continue;
          extra.push({
            ruleId: 'unused-suppression',
            severity: 'warning',
            file: s.file.source,
            range: { start: s.start, end: s.start + 2 },
            message: `This suppression of \`${id}\` suppresses nothing.`,
            why: 'A stale suppression would silently hide the next real finding on this line.',
            remedy: 'Remove the comment.',
          });
        }
      }
    }
  }
  void notifications;
  return [...kept, ...extra];
}

/** The first line after the comment that is not blank and not another comment. */
function nextCodeLine(s: TsSuppression): number {
  const src = s.file.source;
  for (let line = s.line + 1; line <= src.lineCount(); line++) {
    const t = src.lineText(line).trim();
    if (t && !t.startsWith('//')) return line;
  }
  return -1;
}
