import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { lockSentence, locksOf, type LockAcquisition } from '../../src/locks/lock-table.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { alterCommands, rangeVarKey } from '../../src/sql/ast.js';
import { alterCommandRanges, displayRelation, transactionCause } from '../../src/rules/helpers.js';

interface NotValidAdd {
  stmt: SqlStatement;
  range: Range;
  contype: string;
}

/** The `ADD CONSTRAINT <name> … NOT VALID` on `table` among `statements`, last one first. */
function findNotValidAdd(statements: SqlStatement[], table: string, name: string): NotValidAdd | undefined {
  for (let s = statements.length - 1; s >= 0; s--) {
    const stmt = statements[s];
    if (stmt.kind !== 'AlterTableStmt' || rangeVarKey(stmt.node.relation) !== table) continue;
    const cmds = alterCommands(stmt.node);
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i].subtype === 'AT_AddConstraint' ? cmds[i].def?.Constraint : undefined;
      if (c?.skip_validation && c.conname === name) {
        return { stmt, range: alterCommandRanges(stmt, cmds.length)[i] ?? stmt.range, contype: c.contype };
      }
    }
  }
  return undefined;
}

export default defineRule({
  id: 'no-validate-in-same-transaction',
  family: 'migration',
  meta: {
    description: '`VALIDATE CONSTRAINT` in the same transaction as the `ADD CONSTRAINT … NOT VALID` of that constraint.',
    rationale:
      'The lock taken by `ADD CONSTRAINT … NOT VALID` (SHARE ROW EXCLUSIVE on both tables for a foreign key, ACCESS EXCLUSIVE for a CHECK) is held until the transaction commits, so the validation scan runs under it and blocks traffic as if NOT VALID had not been used.',
    remedy: 'Commit between the two: add the constraint `NOT VALID` in one migration and `VALIDATE CONSTRAINT` it in the next one.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability', 'constraints', 'transactions'],
    recommended: true,
    sources: {
      squawk: 'constraint-missing-not-valid',
      strongMigrations: 'validate_foreign_key, validate_check_constraint',
      pgfence: 'not-valid-validate-same-tx',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        const table = rangeVarKey(n.relation);
        if (ctx.isNewTable(table)) return;
        const tx = ctx.state.transaction;
        // A DO block is one statement, so its body runs in one transaction even without BEGIN.
        const doSiblings = stmt.viaDo ? ctx.state.statements.slice(0, ctx.state.index).filter((s) => s.viaDo === stmt.viaDo) : [];
        if (!tx.active && doSiblings.length === 0) return;
        const cmds = alterCommands(n);
        const ranges = alterCommandRanges(stmt, cmds.length);
        cmds.forEach((cmd, i) => {
          if (cmd.subtype !== 'AT_ValidateConstraint' || !cmd.name) return;
          const name: string = cmd.name;
          let add = findNotValidAdd(doSiblings, table, name);
          const inDo = add !== undefined;
          if (!add && tx.active) add = findNotValidAdd(tx.statements, table, name);
          if (!add && tx.active) {
            // An unnamed NOT VALID constraint: the catalog knows it under its generated name.
            const c = ctx.state.catalog.table(table)?.constraints.get(name);
            const origin = c && !c.validated && c.origin.file === ctx.file ? tx.statements.find((s) => s.range.start === c.origin.range.start) : undefined;
            if (origin) add = { stmt: origin, range: origin.range, contype: c!.type === 'foreign' ? 'CONSTR_FOREIGN' : 'CONSTR_CHECK' };
          }
          if (!add) return;
          const held: LockAcquisition[] = ctx.state.heldLocks.filter((h) => h.stmt === add!.stmt);
          const locks = held.length > 0 ? held : locksOf(add.stmt, ctx.pgVersion);
          const lockWhy = locks.map((l) => lockSentence(l, 'until the transaction commits')).join(' ');
          const cause = inDo ? 'both run in the same DO block' : transactionCause(ctx);
          ctx.report({
            stmt,
            range: ranges[i],
            message: `\`VALIDATE CONSTRAINT ${name}\` on \`${displayRelation(table)}\` runs in the same transaction as its \`ADD … NOT VALID\` (${cause}).`,
            why:
              `${lockWhy} The validation scans every row of \`${displayRelation(table)}\` while that lock is still held, ` +
              'so it blocks traffic exactly as if the constraint had been added without NOT VALID.',
            remedy: inDo
              ? 'Move the VALIDATE out of the DO block into a later migration, so that the NOT VALID add commits first.'
              : tx.byFramework
                ? `Move \`ALTER TABLE ${displayRelation(table)} VALIDATE CONSTRAINT ${name}\` to the next migration, so that the NOT VALID add commits first.`
                : 'Commit after the `ADD … NOT VALID` and validate in a separate transaction, or better in the next migration.',
            related: [{ range: add.range, message: `\`${name}\` is added NOT VALID here, in the same transaction` }],
            properties: { table: displayRelation(table), constraint: name },
          });
        });
      },
    };
  },
});
