import type { Fix } from '../../src/core/finding.js';
import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { alterCommands, listKey, rangeVarKey, strings } from '../../src/sql/ast.js';
import type { SqlStatement, SqlToken } from '../../src/sql/parse.js';
import { alterCommandRanges, displayRelation, insertAfter, keyword } from '../../src/rules/helpers.js';

const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

/** The keywords between `DROP` and the object names, per object kind: `IF EXISTS` goes right after them. */
const DROP_WORDS: Record<string, string[]> = {
  OBJECT_TABLE: ['TABLE'],
  OBJECT_INDEX: ['INDEX'],
  OBJECT_VIEW: ['VIEW'],
  OBJECT_MATVIEW: ['MATERIALIZED', 'VIEW'],
  OBJECT_SEQUENCE: ['SEQUENCE'],
  OBJECT_SCHEMA: ['SCHEMA'],
  OBJECT_TYPE: ['TYPE'],
  OBJECT_DOMAIN: ['DOMAIN'],
  OBJECT_EXTENSION: ['EXTENSION'],
  OBJECT_FUNCTION: ['FUNCTION'],
  OBJECT_PROCEDURE: ['PROCEDURE'],
  OBJECT_ROUTINE: ['ROUTINE'],
  OBJECT_AGGREGATE: ['AGGREGATE'],
  OBJECT_TRIGGER: ['TRIGGER'],
  OBJECT_POLICY: ['POLICY'],
  OBJECT_RULE: ['RULE'],
  OBJECT_FOREIGN_TABLE: ['FOREIGN', 'TABLE'],
};

/** One statement (or ALTER TABLE sub-command) that fails when it runs a second time. */
interface Issue {
  range: Range;
  /** `CREATE TABLE invoices`, `ADD COLUMN paid_at`. */
  what: string;
  /** The error of the second run: `relation "invoices" already exists`. */
  error: string;
  /** The guard to add, in words: "`IF NOT EXISTS`". */
  guard: string;
  fix?: Fix;
  /** Why it fails even as the last statement of the migration (CREATE INDEX CONCURRENTLY). */
  failsAlone?: string;
  /** A second run does not fail but creates a second copy (unnamed indexes and constraints). */
  duplicates?: boolean;
  remedy?: string;
}

export default defineRule({
  id: 'prefer-robust-statements',
  family: 'migration',
  directions: ['up', 'down'],
  meta: {
    description:
      'DDL without `IF [NOT] EXISTS` (or `OR REPLACE`) in a migration that does not run as one transaction, so re-running it after a partial failure fails.',
    rationale:
      'Outside a transaction each statement commits on its own. When a later statement fails, the earlier ones stay applied, and re-running the migration stops at the first of them ("already exists", "does not exist") before reaching the statement that needs fixing.',
    remedy: 'Add `IF NOT EXISTS` / `IF EXISTS` / `OR REPLACE` to each statement, or run the migration in one transaction.',
    severity: 'warning',
    precision: 'medium',
    tags: ['transactions', 'robustness'],
    recommended: false,
    fixable: 'safe',
    sources: {
      squawk: 'prefer-robust-stmts',
      pgfence: 'prefer-robust-create-table, prefer-robust-create-index, prefer-robust-drop-table, prefer-robust-drop-index',
    },
  },
  create(ctx) {
    /** Objects dropped with IF EXISTS earlier in the script: re-creating them is the robust recipe. */
    const droppedIfExists = new Set<string>();

    /**
     * True when the statement's effect survives a later failure: it is outside any transaction, or its
     * transaction commits before the end of the script, and more statements follow.
     */
    function survivesLaterFailure(): boolean {
      const { statements, index, transaction } = ctx.state;
      let open = transaction.active;
      for (let k = index + 1; k < statements.length; k++) {
        const s = statements[k];
        if (s.viaDo) continue;
        if (s.kind === 'TransactionStmt') {
          if (ENDS.has(s.node.kind)) open = false;
          continue;
        }
        if (!open) return true;
      }
      return false;
    }

    function context(): string {
      const tx = ctx.state.transaction;
      if (tx.active) return 'Its transaction commits before the end of the migration, so it stays applied when a later statement fails';
      return `This migration does not run in a transaction (${ctx.script.transactionReason}), so it commits on its own and stays applied when a later statement fails`;
    }

    return {
      '*'(stmt) {
        if (stmt.viaDo) return;
        remember(stmt, droppedIfExists);
        const issues = issuesOf(stmt, ctx.pgVersion, droppedIfExists);
        if (issues.length === 0) return;
        const later = survivesLaterFailure();
        for (const issue of issues) {
          if (!later && !(issue.failsAlone && !ctx.state.transaction.active)) continue;
          ctx.report({
            stmt,
            range: issue.range,
            message: messageOf(issue),
            why: issue.failsAlone && !later
              ? issue.failsAlone
              : issue.duplicates
                ? `${context()}. Re-running the migration after fixing that failure runs it again: ${issue.error}.`
                : `${context()}. Re-running the migration after fixing that failure then stops here with "${issue.error}", before it reaches the statement that failed.`,
            remedy:
              issue.remedy ??
              (issue.fix ? `Add ${issue.guard} so the statement can run twice, or make the migration one transaction.` : remedyWithoutGuard(issue)),
            fix: issue.fix,
            properties: { statement: issue.what },
          });
        }
      },
    };
  },
});

function messageOf(issue: Issue): string {
  if (issue.duplicates) return `\`${issue.what}\` has no name, and the migration is not one transaction: a second run creates a second copy.`;
  if (issue.failsAlone) return `\`${issue.what}\` is not guarded against a failed build: it leaves an INVALID index behind, and a second run fails here.`;
  return `\`${issue.what}\` has no ${issue.guard}, and the migration is not one transaction: a second run fails here.`;
}

function remedyWithoutGuard(issue: Issue): string {
  return `PostgreSQL has no ${issue.guard} here: drop the object first with \`IF EXISTS\`, or wrap the statement in a \`DO\` block that checks the catalog (or catches \`duplicate_object\`), or make the migration one transaction.`;
}

/** Records `DROP … IF EXISTS` and `DROP CONSTRAINT IF EXISTS`: a later re-create of the same object is robust. */
function remember(stmt: SqlStatement, dropped: Set<string>): void {
  const n = stmt.node;
  if (stmt.kind === 'DropStmt' && n.missing_ok) {
    for (const obj of n.objects ?? []) {
      const items = obj.List?.items ?? (obj.String ? [obj] : obj.TypeName?.names);
      if (n.removeType === 'OBJECT_TRIGGER') dropped.add(`trigger:${listKey(items.slice(0, -1))}.${strings(items).pop()}`);
      else dropped.add(`${n.removeType}:${listKey(items)}`);
    }
  }
  if (stmt.kind === 'AlterTableStmt' && n.relation) {
    for (const cmd of alterCommands(n)) {
      if (cmd.subtype === 'AT_DropConstraint' && cmd.missing_ok) dropped.add(`constraint:${rangeVarKey(n.relation)}.${cmd.name}`);
    }
  }
}

function issuesOf(stmt: SqlStatement, pgVersion: number, dropped: Set<string>): Issue[] {
  const n = stmt.node;
  const whole = stmt.range;
  switch (stmt.kind) {
    case 'CreateStmt': {
      if (n.if_not_exists || n.relation?.relpersistence === 't') return [];
      const key = rangeVarKey(n.relation);
      if (dropped.has(`OBJECT_TABLE:${key}`)) return [];
      const name = displayRelation(key);
      return [notExists(whole, `CREATE TABLE ${name}`, `relation "${n.relation.relname}" already exists`, keyword(stmt, 'TABLE'))];
    }
    case 'CreateTableAsStmt': {
      if (n.if_not_exists || n.into?.rel?.relpersistence === 't') return [];
      const matview = n.objtype === 'OBJECT_MATVIEW';
      const key = rangeVarKey(n.into?.rel);
      if (dropped.has(`${matview ? 'OBJECT_MATVIEW' : 'OBJECT_TABLE'}:${key}`)) return [];
      const anchor = matview ? keyword(stmt, 'VIEW') : keyword(stmt, 'TABLE');
      return [notExists(whole, `CREATE ${matview ? 'MATERIALIZED VIEW' : 'TABLE'} ${displayRelation(key)} AS`, `relation "${n.into.rel.relname}" already exists`, anchor)];
    }
    case 'IndexStmt': {
      if (n.if_not_exists) return [];
      const concurrent = Boolean(n.concurrent);
      const failsAlone = concurrent
        ? 'A concurrent index build that fails (a deadlock, a unique violation, a lock or statement timeout) leaves the index behind, marked INVALID. Running the migration again then fails with "relation already exists", even when this is its last statement.'
        : undefined;
      if (!n.idxname) {
        return [
          {
            range: whole,
            what: `CREATE INDEX${concurrent ? ' CONCURRENTLY' : ''} ON ${displayRelation(rangeVarKey(n.relation))}`,
            error: 'PostgreSQL builds a second copy of the index under a new generated name',
            guard: '`IF NOT EXISTS`',
            duplicates: true,
            remedy: 'Name the index and add `IF NOT EXISTS` (which needs a name), or make the migration one transaction.',
            failsAlone,
          },
        ];
      }
      const schema = n.relation?.schemaname ?? 'public';
      if (dropped.has(`OBJECT_INDEX:${schema}.${n.idxname}`)) return [];
      const what = `CREATE INDEX${concurrent ? ' CONCURRENTLY' : ''} ${n.idxname}`;
      const error = `relation "${n.idxname}" already exists`;
      if (!concurrent) return [notExists(whole, what, error, keyword(stmt, 'INDEX'))];
      // IF NOT EXISTS would make the re-run skip the build and keep the INVALID index: drop it first instead.
      const drop = `DROP INDEX CONCURRENTLY IF EXISTS ${n.relation?.schemaname ? `${n.relation.schemaname}.` : ''}${n.idxname};`;
      return [
        {
          range: whole,
          what,
          error,
          guard: '`IF NOT EXISTS`',
          failsAlone,
          remedy: `Put \`${drop}\` right before it: a re-run then removes the INVALID index a failed build left behind and builds it again. (\`IF NOT EXISTS\` would also let the re-run pass, but it skips the build and keeps the invalid index.)`,
        },
      ];
    }
    case 'CreateSchemaStmt':
      if (n.if_not_exists || !n.schemaname) return [];
      if (dropped.has(`OBJECT_SCHEMA:public.${n.schemaname}`)) return [];
      return [notExists(whole, `CREATE SCHEMA ${n.schemaname}`, `schema "${n.schemaname}" already exists`, keyword(stmt, 'SCHEMA'))];
    case 'CreateSeqStmt': {
      if (n.if_not_exists || n.sequence?.relpersistence === 't') return [];
      const key = rangeVarKey(n.sequence);
      if (dropped.has(`OBJECT_SEQUENCE:${key}`)) return [];
      return [notExists(whole, `CREATE SEQUENCE ${displayRelation(key)}`, `relation "${n.sequence.relname}" already exists`, keyword(stmt, 'SEQUENCE'))];
    }
    case 'CreateExtensionStmt':
      if (n.if_not_exists) return [];
      return [notExists(whole, `CREATE EXTENSION ${n.extname}`, `extension "${n.extname}" already exists`, keyword(stmt, 'EXTENSION'))];
    case 'ViewStmt': {
      if (n.replace || n.view?.relpersistence === 't') return [];
      const key = rangeVarKey(n.view);
      if (dropped.has(`OBJECT_VIEW:${key}`)) return [];
      return [orReplace(whole, `CREATE VIEW ${displayRelation(key)}`, `relation "${n.view.relname}" already exists`, stmt)];
    }
    case 'CreateFunctionStmt': {
      if (n.replace) return [];
      const name = strings(n.funcname).pop() ?? '';
      const kind = n.is_procedure ? 'PROCEDURE' : 'FUNCTION';
      return [orReplace(whole, `CREATE ${kind} ${name}`, `${kind.toLowerCase()} "${name}" already exists with same argument types`, stmt)];
    }
    case 'CreateTrigStmt': {
      if (n.replace) return [];
      const table = rangeVarKey(n.relation);
      if (dropped.has(`trigger:${table}.${n.trigname}`)) return [];
      const what = `CREATE TRIGGER ${n.trigname}`;
      const error = `trigger "${n.trigname}" for relation "${n.relation.relname}" already exists`;
      // CREATE OR REPLACE TRIGGER exists since PostgreSQL 14, and not for constraint triggers.
      if (pgVersion >= 14 && !n.isconstraint) return [orReplace(whole, what, error, stmt)];
      return [
        {
          range: whole,
          what,
          error,
          guard: '`OR REPLACE`',
          remedy: `\`CREATE OR REPLACE TRIGGER\` ${pgVersion >= 14 ? 'does not exist for constraint triggers' : 'needs PostgreSQL 14'}: put \`DROP TRIGGER IF EXISTS ${n.trigname} ON ${displayRelation(table)};\` before it, or make the migration one transaction.`,
        },
      ];
    }
    case 'CreateEnumStmt':
    case 'CompositeTypeStmt':
    case 'CreateDomainStmt': {
      const key = stmt.kind === 'CompositeTypeStmt' ? rangeVarKey(n.typevar) : listKey(n.typeName ?? n.domainname);
      if (dropped.has(`OBJECT_TYPE:${key}`) || dropped.has(`OBJECT_DOMAIN:${key}`)) return [];
      const what = `${stmt.kind === 'CreateDomainStmt' ? 'CREATE DOMAIN' : 'CREATE TYPE'} ${displayRelation(key)}`;
      return [{ range: whole, what, error: `type "${key.split('.').pop()}" already exists`, guard: '`IF NOT EXISTS`' }];
    }
    case 'AlterEnumStmt': {
      if (!n.newVal || n.oldVal || n.skipIfNewValExists) return [];
      return [notExists(whole, `ALTER TYPE ${displayRelation(listKey(n.typeName))} ADD VALUE '${n.newVal}'`, `enum label "${n.newVal}" already exists`, keyword(stmt, 'VALUE'))];
    }
    case 'DropStmt': {
      if (n.missing_ok) return [];
      const words = DROP_WORDS[n.removeType];
      let anchor: SqlToken | undefined;
      if (words && stmt.tokens[0]?.kind === 'DROP' && words.every((w, i) => stmt.tokens[i + 1]?.kind === w)) {
        anchor = stmt.tokens[words.length];
        if (n.removeType === 'OBJECT_INDEX' && stmt.tokens[2]?.kind === 'CONCURRENTLY') anchor = stmt.tokens[2];
      }
      const issue: Issue = { range: whole, what: shortDrop(stmt), error: 'does not exist', guard: '`IF EXISTS`' };
      if (anchor) issue.fix = insertAfter(anchor, 'IF EXISTS', 'Add `IF EXISTS`', true);
      return [issue];
    }
    case 'AlterTableStmt':
      return alterTableIssues(stmt, dropped);
    default:
      return [];
  }
}

/** `DROP TABLE invoices`, `DROP INDEX CONCURRENTLY orders_status_idx`: the statement's first words. */
function shortDrop(stmt: SqlStatement): string {
  const toks = stmt.tokens;
  const out: string[] = [];
  for (const t of toks) {
    if (t.text === ';' || t.text === '(' || t.kind === 'CASCADE' || t.kind === 'RESTRICT' || t.kind === 'ON') break;
    out.push(t.text);
    if (out.length >= 8) break;
  }
  return out.join(' ').replace(/ \. /g, '.').replace(/ ,/g, ',');
}

function constraintWords(contype: string): string {
  return (
    { CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_UNIQUE: 'UNIQUE', CONSTR_FOREIGN: 'FOREIGN KEY', CONSTR_CHECK: 'CHECK', CONSTR_EXCLUSION: 'EXCLUDE' } as Record<string, string>
  )[contype] ?? 'CONSTRAINT';
}

function notExists(range: Range, what: string, error: string, anchor: SqlToken | undefined): Issue {
  return {
    range,
    what,
    error,
    guard: '`IF NOT EXISTS`',
    fix: anchor ? insertAfter(anchor, 'IF NOT EXISTS', 'Add `IF NOT EXISTS`', true) : undefined,
  };
}

function orReplace(range: Range, what: string, error: string, stmt: SqlStatement): Issue {
  const create = stmt.tokens[0]?.kind === 'CREATE' ? stmt.tokens[0] : undefined;
  return { range, what, error, guard: '`OR REPLACE`', fix: create ? insertAfter(create, 'OR REPLACE', 'Add `OR REPLACE`', true) : undefined };
}

function alterTableIssues(stmt: SqlStatement, dropped: Set<string>): Issue[] {
  const n = stmt.node;
  if (!n.relation || (n.objtype && n.objtype !== 'OBJECT_TABLE')) return [];
  const table = rangeVarKey(n.relation);
  const cmds = alterCommands(n);
  const ranges = alterCommandRanges(stmt, cmds.length);
  const out: Issue[] = [];
  cmds.forEach((cmd, i) => {
    const range = ranges[i] ?? stmt.range;
    const toks = ranges[i] ? stmt.tokens.filter((t) => t.start >= range.start && t.end <= range.end) : [];
    // `ADD [COLUMN]`, `DROP [COLUMN]`, `DROP CONSTRAINT`: the guard goes after the last of these words.
    const after = (words: string[]): SqlToken | undefined => {
      let anchor: SqlToken | undefined;
      for (const [k, w] of words.entries()) {
        if (toks[k]?.kind === w) anchor = toks[k];
        else if (k === 0) return undefined;
        else break;
      }
      return anchor;
    };
    const rel = n.relation.relname;
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        if (cmd.missing_ok) return;
        const col = cmd.def?.ColumnDef?.colname ?? '';
        out.push(notExists(range, `ADD COLUMN ${col}`, `column "${col}" of relation "${rel}" already exists`, after(['ADD', 'COLUMN'])));
        return;
      }
      case 'AT_DropColumn': {
        if (cmd.missing_ok) return;
        const issue: Issue = { range, what: `DROP COLUMN ${cmd.name}`, error: `column "${cmd.name}" of relation "${rel}" does not exist`, guard: '`IF EXISTS`' };
        const anchor = after(['DROP', 'COLUMN']);
        if (anchor) issue.fix = insertAfter(anchor, 'IF EXISTS', 'Add `IF EXISTS`', true);
        out.push(issue);
        return;
      }
      case 'AT_DropConstraint': {
        if (cmd.missing_ok) return;
        const issue: Issue = { range, what: `DROP CONSTRAINT ${cmd.name}`, error: `constraint "${cmd.name}" of relation "${rel}" does not exist`, guard: '`IF EXISTS`' };
        const anchor = after(['DROP', 'CONSTRAINT']);
        if (anchor?.kind === 'CONSTRAINT') issue.fix = insertAfter(anchor, 'IF EXISTS', 'Add `IF EXISTS`', true);
        out.push(issue);
        return;
      }
      case 'AT_AddConstraint': {
        const c = cmd.def?.Constraint;
        if (!c) return;
        if (c.conname && dropped.has(`constraint:${table}.${c.conname}`)) return;
        out.push({
          range,
          what: c.conname ? `ADD CONSTRAINT ${c.conname}` : `ADD ${constraintWords(c.contype)}`,
          error: c.conname
            ? `constraint "${c.conname}" for relation "${rel}" already exists`
            : c.contype === 'CONSTR_PRIMARY'
              ? `multiple primary keys for table "${rel}" are not allowed`
              : 'PostgreSQL adds a second copy of the constraint under a new generated name',
          guard: '`IF NOT EXISTS`',
          duplicates: !c.conname && c.contype !== 'CONSTR_PRIMARY',
          remedy: `PostgreSQL has no \`ADD CONSTRAINT IF NOT EXISTS\`: ${c.conname ? '' : 'name the constraint, then '}run \`ALTER TABLE ${displayRelation(table)} DROP CONSTRAINT IF EXISTS ${c.conname ?? '<name>'}\` before adding it, or make the migration one transaction.`,
        });
        return;
      }
      default:
        return;
    }
  });
  return out;
}
