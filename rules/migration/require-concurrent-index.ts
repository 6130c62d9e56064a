import { defineRule } from '../../src/core/rule.js';
import { lockSentence } from '../../src/locks/lock-table.js';
import { rangeVarKey } from '../../src/sql/ast.js';
import { concurrencyBlocker, displayRelation, insertAfter, keyword } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'require-concurrent-index',
  family: 'migration',
  meta: {
    description: '`CREATE INDEX` on an existing table without `CONCURRENTLY`.',
    rationale:
      'A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits, for minutes on a large table.',
    remedy: 'Use `CREATE INDEX CONCURRENTLY`, in a migration that does not run inside a transaction.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability'],
    recommended: true,
    fixable: 'safe',
    sources: {
      squawk: 'require-concurrent-index-creation',
      strongMigrations: 'add_index',
      eugene: 'E6',
      atlas: 'PG101',
      pgfence: 'create-index-not-concurrent',
    },
  },
  create(ctx) {
    return {
      IndexStmt(stmt) {
        const n = stmt.node;
        if (n.concurrent) return;
        const table = rangeVarKey(n.relation);
        if (ctx.isNewTable(table)) return;
        // `ON ONLY` a partitioned table creates an empty, invalid parent index instantly (the per-partition recipe).
        const known = ctx.state.catalog.table(table);
        if (!n.relation?.inh && (known === undefined || known.partitioned)) return;
        const lock = ctx.state.locks[0];
        // A transaction, or a DO block: CONCURRENTLY is refused there, so no autofix can add it.
        const blocker = concurrencyBlocker(ctx, stmt);
        const inTx = blocker !== '';
        const indexToken = keyword(stmt, 'INDEX');
        // CREATE INDEX CONCURRENTLY is refused on a partitioned table: the index is built per partition instead.
        const partitioned = known?.partitioned ?? false;
        ctx.report({
          stmt,
          message: `\`CREATE INDEX${n.idxname ? ` ${n.idxname}` : ''}\` on existing table \`${displayRelation(table)}\` is built without CONCURRENTLY.`,
          why: lockSentence(lock, 'for the whole index build'),
          remedy: partitioned
            ? `\`${displayRelation(table)}\` is partitioned, and PostgreSQL cannot build an index on a partitioned table concurrently: create it with \`CREATE INDEX … ON ONLY ${displayRelation(table)}\` (instant, invalid at first), build the same index on each partition with \`CREATE INDEX CONCURRENTLY\`, and \`ALTER INDEX … ATTACH PARTITION\` each one; the parent index becomes valid once all are attached.`
            : inTx
              ? `Use \`CREATE INDEX CONCURRENTLY\`, and move it to a migration that runs outside a transaction; here, ${blocker}.`
              : 'Use `CREATE INDEX CONCURRENTLY`: it builds the index without blocking writes. If the build fails, drop the INVALID index and retry.',
          fix: !inTx && !partitioned && indexToken ? insertAfter(indexToken, 'CONCURRENTLY', 'Build the index concurrently', true) : undefined,
          properties: { lockMode: lock.mode, table: displayRelation(table) },
        });
      },
    };
  },
});
