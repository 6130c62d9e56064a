import type { Fix } from '../../src/core/finding.js';
import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import { alterCommands, columnConstraints, rangeVarKey, rangeVarName, strings } from '../../src/sql/ast.js';
import { alterCommandRanges, displayRelation, quoteIdent, transactionCause, liveTableAltered } from '../../src/rules/helpers.js';

function describe(c: any, column?: string): string {
  const name = c.conname ? ` \`${c.conname}\`` : '';
  if (c.contype === 'CONSTR_FOREIGN') {
    const cols = column ? [column] : strings(c.fk_attrs);
    return `foreign key${name} (${cols.join(', ')}) → \`${displayRelation(rangeVarKey(c.pktable))}\``;
  }
  return `CHECK constraint${name}`;
}

export default defineRule({
  id: 'require-not-valid',
  family: 'migration',
  meta: {
    description: '`ADD FOREIGN KEY` or `ADD CHECK` on an existing table without `NOT VALID`.',
    rationale:
      'Adding a validated constraint checks every existing row while holding the lock: SHARE ROW EXCLUSIVE on both tables for a foreign key (writes blocked), ACCESS EXCLUSIVE for a CHECK (reads and writes blocked).',
    remedy:
      'Add the constraint with `NOT VALID` (a brief lock, no scan), then run `ALTER TABLE … VALIDATE CONSTRAINT …` in a separate transaction: it scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes through.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability', 'constraints'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'adding-foreign-key-constraint, constraint-missing-not-valid',
      strongMigrations: 'add_foreign_key, add_check_constraint',
      eugene: 'E1',
      pgfence: 'add-constraint-fk-no-not-valid, add-constraint-check-no-not-valid',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        const table = liveTableAltered(ctx, stmt);
        if (!table) return;
        const partitioned = ctx.state.catalog.table(table)?.partitioned ?? false;
        const cmds = alterCommands(n);
        const ranges = alterCommandRanges(stmt, cmds.length);
        // PostgreSQL skips validating foreign keys declared inline on new columns when no column of the
        // statement has a DEFAULT and no separate FOREIGN KEY is added (the new column is NULL everywhere).
        const hasDefault = (def: any): boolean =>
          /serial[248]?$/i.test(strings(def?.typeName?.names).pop() ?? '') ||
          columnConstraints(def).some((k) => k.contype === 'CONSTR_DEFAULT' || k.contype === 'CONSTR_GENERATED');
        const inlineFkValidated =
          cmds.some((c) => c.subtype === 'AT_AddColumn' && hasDefault(c.def?.ColumnDef)) ||
          cmds.some((c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_FOREIGN');
        // A DO body runs as one statement, hence in one transaction.
        const inTx = ctx.state.transaction.active || stmt.viaDo !== undefined;
        const cause = stmt.viaDo ? 'a DO block runs as a single transaction' : transactionCause(ctx);
        const tableLock = ctx.state.locks.find((l) => l.relation === table) ?? ctx.state.locks[0];
        if (!tableLock) return;

        cmds.forEach((cmd, i) => {
          const range: Range | undefined = ranges[i];
          const found: Array<{ c: any; column?: string }> = [];
          if (cmd.subtype === 'AT_AddConstraint') {
            const c = cmd.def?.Constraint;
            if ((c?.contype === 'CONSTR_FOREIGN' || c?.contype === 'CONSTR_CHECK') && !c.skip_validation) found.push({ c });
          } else if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
            const column = cmd.def.ColumnDef.colname;
            for (const c of columnConstraints(cmd.def.ColumnDef)) {
              if (c.contype === 'CONSTR_CHECK') found.push({ c, column });
              if (c.contype === 'CONSTR_FOREIGN' && inlineFkValidated) found.push({ c, column });
            }
          }
          for (const { c, column } of found) {
            const fk = c.contype === 'CONSTR_FOREIGN';
            // Before PostgreSQL 18 a foreign key on a partitioned table cannot be added NOT VALID: no better recipe.
            if (fk && partitioned && ctx.pgVersion < 18) continue;
            const referenced = fk ? ctx.state.locks.find((l) => l.relation === rangeVarKey(c.pktable) && l.relation !== table) : undefined;
            const why =
              lockSentence(lockForCommand(tableLock, cmd, ctx.pgVersion), 'while every existing row is checked') +
              (referenced ? ` It also takes a ${referenced.mode} lock on \`${displayRelation(referenced.relation)}\`, blocking writes there too.` : '');
            const inline = column !== undefined;
            const name: string | undefined = c.conname;
            const tableSql = [rangeVarName(n.relation).schema, rangeVarName(n.relation).name].filter(Boolean).map((s) => quoteIdent(s as string)).join('.');
            let remedy: string;
            if (inline) {
              remedy =
                `Add the column without the constraint, then \`ALTER TABLE ${tableSql} ADD CONSTRAINT <name> ${fk ? `FOREIGN KEY (${quoteIdent(column)}) REFERENCES …` : 'CHECK (…)'} NOT VALID\`, ` +
                'and `VALIDATE CONSTRAINT <name>` in a later migration (NOT VALID cannot be written on a column constraint).';
            } else {
              remedy =
                `Append \`NOT VALID\` (brief lock, no scan), then run \`ALTER TABLE ${tableSql} VALIDATE CONSTRAINT ${name ? quoteIdent(name) : '<name>'}\` ` +
                (inTx ? `in a later migration: this one runs in a transaction (${cause}), which would hold the first lock through the validation.` : 'as its own statement: it scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes through.');
            }
            let fix: Fix | undefined;
            if (!inline && name && !inTx && range) {
              const validate = `;\nALTER TABLE ${tableSql} VALIDATE CONSTRAINT ${quoteIdent(name)}`;
              fix = {
                description: `Add ${name} NOT VALID and validate it in a separate statement`,
                // Unsafe: when existing rows violate it, the constraint now stays in place NOT VALID and the VALIDATE fails, instead of the ADD failing.
                safe: false,
                edits:
                  range.end === stmt.range.end
                    ? [{ range: { start: range.end, end: range.end }, text: ` NOT VALID${validate}` }]
                    : [
                        { range: { start: range.end, end: range.end }, text: ' NOT VALID' },
                        { range: { start: stmt.range.end, end: stmt.range.end }, text: validate },
                      ],
              };
            }
            ctx.report({
              stmt,
              range,
              message: inline
                ? `\`ADD COLUMN ${column}\` on existing table \`${displayRelation(table)}\` declares a ${describe(c, column)} that is validated against every existing row.`
                : `\`ADD\` ${describe(c)} on existing table \`${displayRelation(table)}\` validates every existing row (no NOT VALID).`,
              why,
              remedy,
              fix,
              properties: { lockMode: tableLock.mode, table: displayRelation(table), constraint: fk ? 'foreign' : 'check' },
            });
          }
        });
      },
    };
  },
});
