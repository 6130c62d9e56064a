import { defineRule } from '../../src/core/rule.js';
import { lockSentence } from '../../src/locks/lock-table.js';
import { alterCommands } from '../../src/sql/ast.js';
import { displayRelation, keyword, liveTableAltered } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-exclusion-constraint',
  family: 'migration',
  meta: {
    description: '`ADD CONSTRAINT … EXCLUDE` on an existing table.',
    rationale:
      'An exclusion constraint is added by building its index and checking every row under an ACCESS EXCLUSIVE lock; unlike CHECK or UNIQUE there is no NOT VALID and no USING INDEX form to do it online.',
    remedy:
      'Declare exclusion constraints when the table is created; on a live table, add it in a planned maintenance window with a short lock_timeout, or move the data to a new table that has the constraint.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability', 'constraints'],
    recommended: true,
    sources: {
      strongMigrations: 'add_exclusion_constraint',
      eugene: 'E8',
      pgfence: 'add-constraint-exclude',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        const table = liveTableAltered(ctx, stmt);
        if (!table) return;
        const lock = ctx.state.locks.find((l) => l.relation === table);
        const shown = displayRelation(table);
        for (const cmd of alterCommands(n)) {
          const c = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
          if (c?.contype !== 'CONSTR_EXCLUSION') continue;
          const exclude = keyword(stmt, 'EXCLUDE');
          ctx.report({
            stmt,
            range: exclude ? { start: exclude.start, end: exclude.end } : undefined,
            message: `Adding the exclusion constraint${c.conname ? ` \`${c.conname}\`` : ''} to existing table \`${shown}\` builds its ${c.access_method ?? 'btree'} index and checks every row while the table is locked.`,
            why: `${lock ? lockSentence(lock, 'until the index is built and every row checked') : 'It holds an ACCESS EXCLUSIVE lock until the index is built.'} PostgreSQL has no NOT VALID or USING INDEX form for exclusion constraints, so this cannot be split into an online step.`,
            remedy:
              `There is no online way to add it to a busy \`${shown}\`: schedule it in a maintenance window with \`SET lock_timeout\` (it fails fast instead of queueing traffic), ` +
              'or create a new table with the constraint, copy the rows in batches and switch over; for new tables, declare the constraint in CREATE TABLE.',
            properties: { table: shown, ...(c.conname ? { constraint: c.conname } : {}) },
          });
        }
      },
    };
  },
});
