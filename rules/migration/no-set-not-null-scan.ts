import type { Range } from '../../src/core/source.js';
import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import type { MigrationSet } from '../../src/migrations/model.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { alterCommands, rangeVarKey, rangeVarName, referencedColumns, strings } from '../../src/sql/ast.js';
import { alterCommandRanges, displayRelation, quoteIdent, liveTableAltered } from '../../src/rules/helpers.js';

interface History {
  /** Columns already made NOT NULL (SET NOT NULL, or a validated NOT NULL constraint on PostgreSQL 18). */
  notNull: Set<string>;
  /** `CHECK (col IS NOT NULL)` constraints by name: their column and whether they are validated. */
  checks: Map<string, { column: string; validated: boolean }>;
  /** NOT NULL … NOT VALID constraints (PostgreSQL 18): name → column. */
  pending: Map<string, string>;
}

/**
 * What earlier statements (earlier migrations of the set, then this script up to the current statement)
 * did to the NOT NULL state of each table. Complements the catalog, which knows nothing of tables created
 * outside the migrations and does not model PostgreSQL 18 `NOT NULL` constraints. Recorded as the
 * statements pass (one traversal), per migration set.
 */
const histories = new WeakMap<MigrationSet, Map<string, History>>();

function historyOf(ctx: MigrationContext, table: string): History {
  let tables = histories.get(ctx.set);
  if (!tables) histories.set(ctx.set, (tables = new Map()));
  let h = tables.get(table);
  if (!h) tables.set(table, (h = { notNull: new Set(), checks: new Map(), pending: new Map() }));
  return h;
}

function record(ctx: MigrationContext, stmt: SqlStatement): void {
  const h = historyOf(ctx, rangeVarKey(stmt.node.relation));
  for (const cmd of alterCommands(stmt.node)) {
    const c = cmd.def?.Constraint;
    if (cmd.subtype === 'AT_SetNotNull') h.notNull.add(cmd.name);
    else if (cmd.subtype === 'AT_DropNotNull') h.notNull.delete(cmd.name);
    else if (cmd.subtype === 'AT_AddConstraint' && c?.contype === 'CONSTR_NOTNULL') {
      const column = strings(c.keys)[0];
      if (!c.skip_validation) h.notNull.add(column);
      else if (c.conname) h.pending.set(c.conname, column);
    } else if (cmd.subtype === 'AT_AddConstraint' && c?.contype === 'CONSTR_CHECK' && c.conname) {
      const test = c.raw_expr?.NullTest;
      const cols = test?.nulltesttype === 'IS_NOT_NULL' ? referencedColumns(test.arg) : [];
      if (cols.length === 1) h.checks.set(c.conname, { column: cols[0], validated: !c.skip_validation });
    } else if (cmd.subtype === 'AT_ValidateConstraint') {
      const check = h.checks.get(cmd.name);
      if (check) check.validated = true;
      const column = h.pending.get(cmd.name);
      if (column) h.notNull.add(column);
    } else if (cmd.subtype === 'AT_DropConstraint') {
      h.checks.delete(cmd.name);
    }
  }
}

export default defineRule({
  id: 'no-set-not-null-scan',
  family: 'migration',
  meta: {
    description:
      '`ALTER COLUMN … SET NOT NULL` on an existing table without a validated `CHECK (col IS NOT NULL)` that lets PostgreSQL (12+) skip the scan.',
    rationale:
      '`SET NOT NULL` takes an ACCESS EXCLUSIVE lock and reads every row to prove there is no NULL: all reads and writes on the table wait for the whole scan.',
    remedy:
      'PostgreSQL 12+: add `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE` it in a separate transaction, then `SET NOT NULL` (no scan) and drop the CHECK. Before 12 there is no way to skip the scan.',
    severity: 'error',
    precision: 'high',
    tags: ['locks', 'availability', 'constraints'],
    recommended: true,
    sources: {
      squawk: 'adding-not-nullable-field',
      strongMigrations: 'change_column_null_postgresql',
      eugene: 'E2',
      pgfence: 'alter-column-set-not-null',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        check(stmt);
        record(ctx, stmt);
      },
    };

    function check(stmt: SqlStatement): void {
      const n = stmt.node;
      const key = liveTableAltered(ctx, stmt);
      if (!key) return;
      const table = ctx.state.catalog.table(key);
      const cmds = alterCommands(n);
      let ranges: Array<Range | undefined> | undefined; // a token scan: only when reporting
      const rangeOf = (i: number) => (ranges ??= alterCommandRanges(stmt, cmds.length))[i];
      const lock = ctx.state.locks.find((l) => l.relation === key) ?? ctx.state.locks[0];
      if (!lock) return;
      const tableSql = [rangeVarName(n.relation).schema, rangeVarName(n.relation).name].filter(Boolean).map((s) => quoteIdent(s as string)).join('.');
      // Columns added by this same statement are checked by ADD COLUMN's own rules.
      let h: History | undefined;
      const addedHere = new Set(cmds.filter((c) => c.subtype === 'AT_AddColumn').map((c) => c.def?.ColumnDef?.colname));

      cmds.forEach((cmd, i) => {
        let column: string | undefined;
        let form = 'ALTER COLUMN … SET NOT NULL';
        if (cmd.subtype === 'AT_SetNotNull') column = cmd.name;
        else if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_NOTNULL' && !cmd.def.Constraint.skip_validation) {
          // PostgreSQL 18: ADD CONSTRAINT … NOT NULL col, validated at once like SET NOT NULL.
          column = strings(cmd.def.Constraint.keys)[0];
          form = 'ADD CONSTRAINT … NOT NULL';
        }
        if (!column || addedHere.has(column)) return;
        const past = (h ??= historyOf(ctx, key));
        // Already NOT NULL: PostgreSQL has nothing to check.
        if (table?.columns.get(column)?.notNull || past.notNull.has(column)) return;
        const checks = new Map<string, boolean>();
        for (const c of table?.constraints.values() ?? []) if (c.type === 'check' && c.notNullCheckOf === column) checks.set(c.name, c.validated);
        for (const [name, c] of past.checks) if (c.column === column) checks.set(name, (checks.get(name) ?? false) || c.validated);
        if ([...checks.values()].some(Boolean) && ctx.pgVersion >= 12) return;
        const notValid = [...checks.keys()];

        const checkName = `${n.relation.relname}_${column}_not_null`;
        const col = quoteIdent(column);
        let remedy: string;
        if (ctx.pgVersion < 12) {
          remedy =
            `PostgreSQL ${ctx.pgVersion} always scans for SET NOT NULL, even when a validated \`CHECK (${col} IS NOT NULL)\` exists (the shortcut arrived in 12): ` +
            `keep such a CHECK constraint (added NOT VALID, validated later) instead of SET NOT NULL, or run this in a low-traffic window with a short lock_timeout.`;
        } else if (notValid.length > 0) {
          remedy =
            `\`${notValid[0]}\` checks \`${column} IS NOT NULL\` but is NOT VALID, so PostgreSQL cannot rely on it: ` +
            `run \`ALTER TABLE ${tableSql} VALIDATE CONSTRAINT ${quoteIdent(notValid[0])}\` in an earlier migration, then this SET NOT NULL skips the scan.`;
        } else {
          remedy =
            `1) \`ALTER TABLE ${tableSql} ADD CONSTRAINT ${quoteIdent(checkName)} CHECK (${col} IS NOT NULL) NOT VALID\`; ` +
            `2) in a later migration, \`ALTER TABLE ${tableSql} VALIDATE CONSTRAINT ${quoteIdent(checkName)}\` (scans without blocking reads or writes); ` +
            `3) then \`SET NOT NULL\`, which skips the scan, and \`DROP CONSTRAINT ${quoteIdent(checkName)}\`.` +
            (ctx.pgVersion >= 18
              ? ` On PostgreSQL 18 you can instead \`ADD CONSTRAINT ${quoteIdent(checkName)} NOT NULL ${col} NOT VALID\` and \`VALIDATE CONSTRAINT ${quoteIdent(checkName)}\` in a later migration.`
              : '');
        }
        ctx.report({
          stmt,
          range: rangeOf(i),
          message: `\`${form}\` on \`${displayRelation(key)}.${column}\` scans the whole existing table to check for NULLs.`,
          why:
            lockSentence(lockForCommand(lock, cmd, ctx.pgVersion), 'while every row is read') +
            (ctx.pgVersion >= 12 ? ` No validated \`CHECK (${column} IS NOT NULL)\` exists that would let PostgreSQL skip the scan.` : ''),
          remedy,
          properties: { lockMode: lock.mode, table: displayRelation(key), column },
        });
      });
    }
  },
});
