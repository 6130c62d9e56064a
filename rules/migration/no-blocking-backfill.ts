import { defineRule } from '../../src/core/rule.js';
import { rangeVarKey } from '../../src/sql/ast.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { displayRelation } from '../../src/rules/helpers.js';
import { unboundedWrite } from './table-work.js';

export default defineRule({
  id: 'no-blocking-backfill',
  family: 'migration',
  meta: {
    description: '`UPDATE` or `DELETE` of an existing table in a migration without a batch bound (no WHERE, or a WHERE that is not a key range or LIMIT batch).',
    rationale:
      'One statement changes every matching row: it keeps a row lock on each of them until the migration commits (concurrent writers of those rows wait), writes a dead version of each row (bloat, WAL, replica lag), and can run for minutes.',
    remedy:
      'Backfill outside the schema migration, in batches of a few thousand rows (a key range or `id IN (SELECT … LIMIT n)`), each in its own short transaction.',
    severity: 'warning',
    precision: 'medium',
    tags: ['availability', 'data', 'backfill'],
    recommended: true,
    sources: {
      pgfence: 'update-in-migration, delete-without-where',
    },
  },
  create(ctx) {
    const check = (stmt: SqlStatement) => {
      const table = rangeVarKey(stmt.node.relation);
      if (ctx.isNewTable(table)) return;
      const reason = unboundedWrite(stmt, ctx.state.catalog);
      if (!reason) return;
      const verb = stmt.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
      const shown = displayRelation(table);
      const inTx = ctx.state.transaction.active;
      ctx.report({
        stmt,
        message: `\`${verb}\` of existing table \`${shown}\` in a migration is not batched: ${reason}.`,
        why:
          `Every changed row stays locked until ${inTx ? 'the migration transaction commits' : 'the statement finishes'}, so application writes to those rows wait; ` +
          'each change leaves a dead row version behind (table and index bloat, a burst of WAL that replicas must replay), and on a large table the statement runs for minutes and may hit a timeout halfway, rolling everything back.',
        remedy:
          `Move the backfill out of the schema migration: loop in application code or a script over key ranges (\`WHERE id >= $1 AND id < $2\`) or \`WHERE id IN (SELECT id FROM ${shown} WHERE … LIMIT 5000)\`, ` +
          'committing each batch and pausing between batches.',
        properties: { table: shown, statement: verb },
      });
    };
    return { UpdateStmt: check, DeleteStmt: check };
  },
});
