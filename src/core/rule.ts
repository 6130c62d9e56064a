/**
 * `defineRule`: a rule is one object holding all its metadata and its check. Docs pages, SARIF
 * descriptors, the config schema, presets and the `rules` command are all derived from it.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { CodeAnalysis } from '../code/analyze.js';
import type { CodeFile } from '../code/project.js';
import type { ts } from 'ts-morph';
import type { LockAcquisition } from '../locks/lock-table.js';
import type { Migration, MigrationScript, MigrationSet } from '../migrations/model.js';
import type { ParsedChunk, SqlStatement } from '../sql/parse.js';
import type { Fix, Severity } from './finding.js';
import type { Range, SourceFile } from './source.js';

export type RuleFamily = 'migration' | 'schema' | 'code' | 'engine';

/** The same hazard in peer tools, so teams can map their configuration (and `squawk-ignore` comments). */
export interface RuleSources {
  squawk?: string;
  strongMigrations?: string;
  eugene?: string;
  atlas?: string;
  pgfence?: string;
}

export interface RuleMeta {
  /** One line: what the rule flags. */
  description: string;
  /** Why it matters: the invariant or the lock. */
  rationale: string;
  /** What to do instead, in short. */
  remedy: string;
  severity: Severity;
  /** How often a finding is a true problem: SARIF `precision`. */
  precision: 'very-high' | 'high' | 'medium' | 'low';
  tags: string[];
  /** In the `recommended` preset (the default). */
  recommended: boolean;
  /** Starts life off by default until measured on real code. */
  experimental?: boolean;
  fixable?: 'safe' | 'unsafe';
  sources: RuleSources;
  /** JSON Schema of the rule's options object (strict: `additionalProperties: false`). */
  options?: { type: 'object'; properties: Record<string, unknown>; additionalProperties: false };
  defaultOptions?: Record<string, unknown>;
}

export interface ReportInput {
  /** The statement to point at; `range` narrows it (a keyword, a column). */
  stmt?: SqlStatement;
  range?: Range;
  /** Defaults to the file being checked. */
  file?: SourceFile;
  message: string;
  why: string;
  remedy: string;
  related?: Array<{ range: Range; message: string; file?: SourceFile }>;
  fix?: Fix;
  properties?: Record<string, string | number | boolean>;
}

export interface TransactionState {
  active: boolean;
  /** Opened by the framework (Flyway, Prisma, …) rather than an explicit BEGIN in the file. */
  byFramework: boolean;
  /** The explicit BEGIN, when there is one. */
  begin?: SqlStatement;
  /** Statements run so far in this transaction (before the current one). */
  statements: SqlStatement[];
}

export interface HeldLock extends LockAcquisition {
  stmt: SqlStatement;
}

/** What a migration rule sees at each statement: the state as it was before the statement ran. */
export interface MigrationState {
  catalog: Catalog;
  transaction: TransactionState;
  /** `SET lock_timeout` ran earlier in this script (and was not reset to 0). */
  lockTimeout: boolean;
  statementTimeout: boolean;
  /** Table locks taken in the open transaction: held until it commits. */
  heldLocks: HeldLock[];
  /** Locks the current statement takes. */
  locks: LockAcquisition[];
  /** Statements of the script, in order, and the current one's position. */
  statements: SqlStatement[];
  index: number;
}

export interface MigrationContext<O = Record<string, unknown>> {
  readonly options: O;
  readonly pgVersion: number;
  readonly set: MigrationSet;
  readonly migration: Migration;
  readonly script: MigrationScript;
  readonly direction: 'up' | 'down';
  readonly file: SourceFile;
  /** The state before the statement being visited (for `Migration:exit`, after the last one). */
  readonly state: MigrationState;
  /** True when the table was created by an earlier statement of this same script: it has no traffic yet. */
  isNewTable(tableKey: string): boolean;
  /** Parses another script of the migration (the down of an up). Cached by the engine. */
  parse(script: MigrationScript): ParsedChunk;
  report(input: ReportInput): void;
}

/** Listeners keyed by statement node kind (`IndexStmt`…), `*` for every statement, and `Migration:exit`. */
export type MigrationListeners = {
  [kind: string]: ((stmt: SqlStatement) => void) | (() => void) | undefined;
} & {
  '*'?: (stmt: SqlStatement) => void;
  'Migration:exit'?: () => void;
};

export interface SchemaContext<O = Record<string, unknown>> {
  readonly options: O;
  readonly pgVersion: number;
  readonly catalog: Catalog;
  report(input: ReportInput & { file: SourceFile; range: Range }): void;
}

interface RuleBase {
  id: string;
  meta: RuleMeta;
}

export interface MigrationRule<O = any> extends RuleBase {
  family: 'migration';
  /** Which scripts the rule reads: most judge only up migrations. */
  directions?: Array<'up' | 'down'>;
  create(ctx: MigrationContext<O>): MigrationListeners;
}

export interface SchemaRule<O = any> extends RuleBase {
  family: 'schema';
  check(ctx: SchemaContext<O>): void;
}

/** A place in TypeScript code: a node of a file. */
export interface CodePlace {
  node: ts.Node;
  file: CodeFile;
  message?: string;
}

export interface CodeReportInput extends CodePlace {
  message: string;
  why: string;
  remedy: string;
  /** The other places of the hazard: the loop of an N+1, the other half of a dual write, a migration. */
  related?: Array<(CodePlace & { message: string }) | { file: SourceFile; range: Range; message: string }>;
  /** Steps of a flow across functions, in execution order (SARIF `codeFlows`, the text report's chain). */
  flow?: Array<CodePlace & { message: string }>;
  properties?: Record<string, string | number | boolean>;
}

export interface CodeContext<O = Record<string, unknown>> {
  readonly options: O;
  readonly analysis: CodeAnalysis;
  report(input: CodeReportInput): void;
}

/** A rule on TypeScript handlers and the functions they reach; it runs once over the whole code base. */
export interface CodeRule<O = any> extends RuleBase {
  family: 'code';
  /** Needs the TypeScript type checker (built only when such a rule is on). */
  requiresTypes?: boolean;
  check(ctx: CodeContext<O>): void;
}

/** Rules the engine itself reports (syntax errors, suppressions): listed and documented like the others. */
export interface EngineRule extends RuleBase {
  family: 'engine';
}

export type Rule = MigrationRule | SchemaRule | CodeRule | EngineRule;

export function defineRule<O = Record<string, unknown>>(rule: MigrationRule<O>): MigrationRule<O>;
export function defineRule<O = Record<string, unknown>>(rule: SchemaRule<O>): SchemaRule<O>;
export function defineRule<O = Record<string, unknown>>(rule: CodeRule<O>): CodeRule<O>;
export function defineRule(rule: EngineRule): EngineRule;
export function defineRule(rule: Rule): Rule {
  return rule;
}

export const DOCS_BASE_URL = 'https://github.com/plumbline-dev/plumbline/blob/main/docs/rules/';

export function helpUri(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}
