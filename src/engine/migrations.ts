/**
 * The migration engine: one pass over each script, statement by statement, threading the state every
 * migration rule sees (catalog before the statement, open transaction, timeouts set, locks held).
 */
import { Catalog, type Origin } from '../catalog/catalog.js';
import type { Finding, Severity } from '../core/finding.js';
import type {
  HeldLock,
  MigrationContext,
  MigrationListeners,
  MigrationRule,
  MigrationState,
  ReportInput,
  Rule,
  SchemaRule,
} from '../core/rule.js';
import type { SourceFile } from '../core/source.js';
import { locksOf } from '../locks/lock-table.js';
import type { Migration, MigrationScript, MigrationSet } from '../migrations/model.js';
import { isGenerated } from '../migrations/ts/mapped.js';
import { parseSql, type ParsedChunk, type SqlStatement } from '../sql/parse.js';
import { rangeVarKey } from '../sql/ast.js';
import { bindSuppressions, findSuppressions, suppressionFor, type Suppression } from './suppressions.js';

export interface ResolvedRule {
  rule: Rule;
  severity: Severity;
  options: Record<string, unknown>;
}

export interface EngineOptions {
  pgVersion: number;
  /** The enabled rules with their configured severity and options. */
  rules: ResolvedRule[];
  /** Every known rule (enabled or not): suppressions naming a disabled rule are not "unknown". */
  allRules: Rule[];
  /**
   * Findings made outside the engine about statements of a script (replay's `replay-error`): reported
   * with the script's findings, so that severity, enabling and suppression comments apply to them too.
   */
  external?: Map<MigrationScript, Array<{ ruleId: string; input: ReportInput }>>;
}

export interface SetResult {
  findings: Finding[];
  /** The schema after the last up-migration: schema rules and code rules read it. */
  catalog: Catalog;
}

const parseCache = new WeakMap<MigrationScript, ParsedChunk>();

/** Parses every section of a script once; later calls reuse the result. */
export function parseScript(script: MigrationScript): ParsedChunk {
  const cached = parseCache.get(script);
  if (cached) return cached;
  const result: ParsedChunk = { statements: [], errors: [] };
  for (const section of script.sections) {
    const chunk = parseSql(script.file.text.slice(section.start, section.end), section.start);
    result.statements.push(...chunk.statements);
    result.errors.push(...chunk.errors);
  }
  parseCache.set(script, result);
  return result;
}

export function analyzeMigrationSet(set: MigrationSet, options: EngineOptions): SetResult {
  const findings: Finding[] = [];
  const catalog = new Catalog();
  const enabled = new Map(options.rules.map((r) => [r.rule.id, r]));
  const knownIds = new Set(options.allRules.map((r) => r.id));
  const squawkMap = squawkIdMap(options.allRules);
  const migrationRules = options.rules.filter((r): r is ResolvedRule & { rule: MigrationRule } => r.rule.family === 'migration');
  // Suppression comments of every script, judged once the schema rules have reported too: a comment above
  // a CREATE TABLE may silence a schema finding about that table, which only comes after the last migration.
  const scriptSuppressions: Array<{ file: SourceFile; suppressions: Suppression[]; emit: (id: string, input: ReportInput) => void }> = [];

  for (const migration of set.migrations) {
    runScript(set, migration, migration.up, 'up', catalog);
    // The down is read against the schema after up, without applying its own statements: they must not
    // leak into the replay, and copying the whole catalog for every down (hundreds in a large repo) cost
    // more than the rules that read it on a down need (they judge each statement on its own).
    if (migration.down) runScript(set, migration, migration.down, 'down', catalog);
    // The syntax trees are not needed past their migration: letting them go halves peak memory on large
    // repositories (and garbage collection with it). A later reader (replay) parses again.
    parseCache.delete(migration.up);
    if (migration.down) parseCache.delete(migration.down);
  }

  for (const resolved of options.rules) {
    if (resolved.rule.family !== 'schema') continue;
    const rule = resolved.rule as SchemaRule;
    rule.check({
      options: { ...(rule.meta.defaultOptions ?? {}), ...resolved.options },
      pgVersion: options.pgVersion,
      catalog,
      report: (input) => {
        // A schema finding points at the statement that created the object: its suppression comments apply.
        for (const s of scriptSuppressions) if (s.file === input.file && suppressionFor(s.suppressions, rule.id, input.range)) return;
        findings.push(toFinding(rule.id, resolved.severity, input.file, input));
      },
    });
  }
  for (const { suppressions, emit } of scriptSuppressions) {
    // Suppressions that silence the suppression rules themselves are judged last, once every other
    // suppression has had its chance to report (and so to use them).
    const aboutSuppressions = (s: Suppression) => s.ruleIds.includes('invalid-suppression') || s.ruleIds.includes('unused-suppression');
    for (const s of [...suppressions.filter((x) => !aboutSuppressions(x)), ...suppressions.filter(aboutSuppressions)]) {
      reportSuppression(s, emit, enabled);
    }
  }
  return { findings, catalog };

  // Built outside runScript: the emitter outlives the script (its suppressions are judged at the end of the
  // set), and a closure made inside runScript would keep the script's syntax trees alive with it.
  function emitterFor(file: SourceFile, suppressions: Suppression[]) {
    return (ruleId: string, input: ReportInput & { file?: SourceFile }) => {
      const resolved = enabled.get(ruleId);
      if (!resolved) return;
      const finding = toFinding(ruleId, resolved.severity, input.file ?? file, input);
      if (suppressionFor(suppressions, ruleId, finding.range)) return;
      findings.push(finding);
    };
  }

  function runScript(set: MigrationSet, migration: Migration, script: MigrationScript, direction: 'up' | 'down', catalog: Catalog): void {
    const parsed = parseScript(script);
    const file = script.file;
    const suppressions = findSuppressions(file, script.sections, knownIds, squawkMap);
    // Statements inside DO bodies are included: a suppression comment inside the body binds to them.
    bindSuppressions(suppressions, [...parsed.statements.map((s) => s.range), ...parsed.errors.map((e) => e.range)]);
    const emit = emitterFor(file, suppressions);

    // A template (`{{ .Schema }}`, `{% if %}`) is rendered before it reaches PostgreSQL: one finding for
    // the file says so, instead of one per statement that holds a placeholder.
    const template = parsed.errors.length > 1 && /\{\{[^}\n]*\}\}|\{%[^%\n]*%\}/.test(file.text);
    if (template) {
      emit('syntax-error', {
        range: parsed.errors[0].range,
        message: `This file is a template (it holds \`{{ … }}\` or \`{% … %}\` placeholders): ${parsed.errors.length} statements do not parse as PostgreSQL until it is rendered. First error: ${parsed.errors[0].message}.`,
        why: 'Statements that do not parse cannot be checked by any rule.',
        remedy: 'Point Plumbline at the rendered SQL, or exclude the templates with an `ignore` glob in plumbline.config.json. The statements without placeholders were still checked.',
      });
    }
    for (const error of template ? [] : parsed.errors) {
      emit('syntax-error', {
        range: error.range,
        message: `This statement does not parse as PostgreSQL: ${error.message}.`,
        why: 'PostgreSQL will reject the migration at this statement, after running the ones before it; no rule could check it.',
        remedy: 'Fix the syntax. The other statements of the file were still checked.',
      });
    }

    const createdHere = new Set<string>();
    const state: MigrationState = {
      catalog,
      transaction: { active: script.wrappedInTransaction, byFramework: script.wrappedInTransaction, statements: [] },
      lockTimeout: false,
      statementTimeout: false,
      heldLocks: [],
      locks: [],
      statements: parsed.statements,
      index: 0,
    };
    const listeners: Array<{ id: string; on: MigrationListeners }> = [];
    for (const resolved of migrationRules) {
      const rule = resolved.rule;
      if (!(rule.directions ?? ['up']).includes(direction)) continue;
      const ctx: MigrationContext = {
        options: { ...(rule.meta.defaultOptions ?? {}), ...resolved.options },
        pgVersion: options.pgVersion,
        set,
        migration,
        script,
        direction,
        file,
        state,
        isNewTable: (key) => createdHere.has(key) && (direction === 'down' || catalog.tables.has(key)),
        parse: parseScript,
        report: (input) => emit(rule.id, input),
      };
      listeners.push({ id: rule.id, on: rule.create(ctx) });
    }

    // One traversal: each statement goes only to the listeners of its node kind (and the `*` ones), in rule order.
    const byKind = new Map<string, Array<(stmt: SqlStatement) => void>>();
    for (const { on } of listeners) {
      for (const [key, handler] of Object.entries(on)) {
        if (key === 'Migration:exit' || typeof handler !== 'function') continue;
        const list = byKind.get(key) ?? [];
        list.push(handler as (stmt: SqlStatement) => void);
        byKind.set(key, list);
      }
    }
    const everyStatement = byKind.get('*') ?? [];
    const origin = (stmt: SqlStatement): Origin => ({ migrationId: migration.id, file, range: stmt.range });
    parsed.statements.forEach((stmt, index) => {
      state.index = index;
      state.locks = locksOf(stmt, options.pgVersion);
      for (const handler of byKind.get(stmt.kind) ?? []) handler(stmt);
      for (const handler of everyStatement) handler(stmt);
      advance(state, stmt, createdHere);
      if (direction === 'up') catalog.apply(stmt, origin(stmt));
    });
    state.index = parsed.statements.length;
    state.locks = [];
    for (const { on } of listeners) on['Migration:exit']?.();
    for (const { ruleId, input } of options.external?.get(script) ?? []) emit(ruleId, input);
    if (suppressions.length > 0) scriptSuppressions.push({ file, suppressions, emit });
  }
}

/** Session-level timeout values saved while a `SET LOCAL` overrides them inside a transaction. */
const sessionTimeouts = new WeakMap<MigrationState, { lockTimeout: boolean; statementTimeout: boolean }>();

/** `0`, `'0'`, `'0s'`, `'0ms'`, `'0min'`: PostgreSQL reads all of these as "no timeout". */
function isZeroDuration(value: any): boolean {
  if (!value) return false;
  if (value.ival !== undefined) return (value.ival.ival ?? 0) === 0;
  const text: string | undefined = value.sval?.sval;
  return text !== undefined && /^\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*$/i.test(text);
}

/** Moves the state past a statement: transactions, timeouts, locks held, tables created. */
function advance(state: MigrationState, stmt: SqlStatement, createdHere: Set<string>): void {
  const n = stmt.node;
  const tx = state.transaction;
  if (stmt.kind === 'CreateStmt' && n.relation) createdHere.add(rangeVarKey(n.relation));
  if (stmt.kind === 'CreateTableAsStmt' && n.into?.rel) createdHere.add(rangeVarKey(n.into.rel));
  if (stmt.kind === 'VariableSetStmt' && (n.name === 'lock_timeout' || n.name === 'statement_timeout')) {
    const key = n.name === 'lock_timeout' ? 'lockTimeout' : 'statementTimeout';
    const on = !(n.kind === 'VAR_RESET' || n.kind === 'VAR_SET_DEFAULT' || isZeroDuration(n.args?.[0]?.A_Const));
    if (n.is_local) {
      // SET LOCAL lasts until the transaction ends; outside a transaction it does nothing.
      if (tx.active) {
        const saved = sessionTimeouts.get(state) ?? { lockTimeout: state.lockTimeout, statementTimeout: state.statementTimeout };
        sessionTimeouts.set(state, saved);
        state[key] = on;
      }
    } else {
      state[key] = on;
      const saved = sessionTimeouts.get(state);
      if (saved) saved[key] = on;
    }
  }
  if (stmt.kind === 'TransactionStmt') {
    switch (n.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        if (!tx.active) {
          tx.active = true;
          tx.byFramework = false;
          tx.begin = stmt;
          tx.statements = [];
          state.heldLocks = [];
        }
        return;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_ROLLBACK':
      case 'TRANS_STMT_COMMIT_PREPARED':
      case 'TRANS_STMT_PREPARE': {
        const saved = sessionTimeouts.get(state);
        if (saved) {
          state.lockTimeout = saved.lockTimeout;
          state.statementTimeout = saved.statementTimeout;
          sessionTimeouts.delete(state);
        }
        tx.active = false;
        tx.byFramework = false;
        tx.begin = undefined;
        tx.statements = [];
        state.heldLocks = [];
        return;
      }
      default:
        return;
    }
  }
  if (tx.active) {
    tx.statements.push(stmt);
    for (const lock of state.locks) {
      if (!createdHere.has(lock.relation)) state.heldLocks.push({ ...lock, stmt } satisfies HeldLock);
    }
  }
}

function reportSuppression(
  s: Suppression,
  emit: (id: string, input: ReportInput) => void,
  enabled: Map<string, ResolvedRule>,
): void {
  const written = `${s.origin}-ignore${s.scope === 'file' ? '-file' : ''}`;
  if (s.origin === 'plumbline' && s.ruleIds.length === 0 && s.unknownIds.length === 0) {
    emit('invalid-suppression', {
      range: s.range,
      message: `\`${written}\` names no rule.`,
      why: 'Plumbline suppressions name the rules they silence, so that a new hazard on the same statement is still reported.',
      remedy: `Name the rule after the keyword: \`-- ${written} <rule-id>: <why this is safe here>\`.`,
    });
  }
  if (s.all) {
    // A bare `squawk-ignore`: unused only when none of the rules it covers reported anything.
    if (s.used.size === 0 && s.ruleIds.some((id) => enabled.has(id))) {
      emit('unused-suppression', {
        range: s.range,
        message: `\`${written}\` suppresses every rule with a squawk equivalent, but none of them reports anything ${s.scope === 'file' ? 'in this file' : 'on the next statement'}.`,
        why: 'Stale suppressions pile up and later hide a real problem introduced near them.',
        remedy: 'Delete the suppression (or move it above the statement it was meant for).',
      });
    }
    return;
  }
  for (const id of s.unknownIds) {
    emit('invalid-suppression', {
      range: s.range,
      message: `\`${written}\` names \`${id}\`, which is not a ${s.origin === 'squawk' ? 'squawk rule that Plumbline maps' : 'Plumbline rule'}.`,
      why: 'A suppression for a rule that does not exist silences nothing, and hides a typo in the id you meant.',
      remedy: 'Use an id from `plumbline rules`, or delete the comment.',
    });
  }
  if (s.origin === 'plumbline' && s.reason === '' && s.ruleIds.length > 0) {
    emit('invalid-suppression', {
      range: s.range,
      message: `\`${written}\` gives no reason.`,
      why: 'A suppression without a reason cannot be reviewed later: nobody knows whether the hazard was judged safe or just silenced.',
      remedy: `Add the reason after a colon: \`-- ${written} ${s.ruleIds[0]}: <why this is safe here>\`.`,
    });
  }
  for (const id of s.ruleIds) {
    // A suppression for a disabled rule is not "unused": the rule may be turned back on.
    if (!enabled.has(id) || s.used.has(id)) continue;
    emit('unused-suppression', {
      range: s.range,
      message: `\`${written}\` suppresses \`${id}\`, but \`${id}\` reports nothing ${s.scope === 'file' ? 'in this file' : 'on the next statement'}.`,
      why: 'Stale suppressions pile up and later hide a real problem introduced near them.',
      remedy: 'Delete the suppression (or move it above the statement it was meant for).',
    });
  }
}

function squawkIdMap(rules: Rule[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const rule of rules) {
    const ids = rule.meta.sources.squawk;
    if (!ids) continue;
    for (const id of ids.split(/[\s,]+/)) {
      const list = map.get(id) ?? [];
      list.push(rule.id);
      map.set(id, list);
    }
  }
  return map;
}

export function toFinding(ruleId: string, severity: Severity, file: SourceFile, input: ReportInput): Finding {
  const range = input.range ?? input.stmt?.range ?? { start: 0, end: 0 };
  const finding: Finding = {
    ruleId,
    severity,
    file,
    range,
    message: input.message,
    why: input.why,
    remedy: input.remedy,
  };
  if (input.related?.length) finding.related = input.related.map((r) => ({ file: r.file ?? file, range: r.range, message: r.message }));
  // SQL generated from a TypeScript migration is not on disk: an edit to it cannot be applied.
  if (input.fix && !isGenerated(file)) finding.fix = input.fix;
  if (input.properties) finding.properties = input.properties;
  return finding;
}
