import { defineRule } from '../../src/core/rule.js';
import { lockSentence } from '../../src/locks/lock-table.js';
import { rangeVarKey } from '../../src/sql/ast.js';
import { displayRelation, insertAfter, keyword } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-non-concurrent-refresh',
  family: 'migration',
  meta: {
    description: '`REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` on an existing materialized view.',
    rationale:
      'A plain refresh recomputes the whole view under an ACCESS EXCLUSIVE lock: every query reading the view waits until the refresh finishes.',
    remedy:
      'Give the view a unique index (plain columns, no WHERE) and use `REFRESH MATERIALIZED VIEW CONCURRENTLY`, which lets readers see the old contents while it runs.',
    severity: 'error',
    precision: 'high',
    tags: ['locks', 'availability'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      pgfence: 'refresh-matview-blocking',
    },
  },
  create(ctx) {
    return {
      RefreshMatViewStmt(stmt) {
        const n = stmt.node;
        // WITH NO DATA empties the view at once: no long recomputation (a different hazard).
        if (n.concurrent || n.skipData) return;
        const view = rangeVarKey(n.relation);
        if (ctx.isNewTable(view)) return;
        const shown = displayRelation(view);
        const lock = ctx.state.locks[0];
        const catalog = ctx.state.catalog;
        const known = catalog.table(view)?.kind === 'materialized-view';
        // CONCURRENTLY needs a unique index on plain columns, without a WHERE clause, covering all rows.
        const unique = catalog.indexesOf(view).find((i) => i.unique && !i.partial && !i.columns.includes('(expression)'));
        const viewToken = keyword(stmt, 'VIEW');
        const remedy = unique
          ? `Use \`REFRESH MATERIALIZED VIEW CONCURRENTLY ${n.relation.relname}\`: the view already has the unique index \`${unique.name}\` it needs. Readers keep seeing the old contents until the refresh commits (it takes longer and cannot run on a view that was never populated).`
          : `${known ? `\`${shown}\` has no unique index yet: create one` : `Make sure \`${shown}\` has a unique index (create one if needed)`} with \`CREATE UNIQUE INDEX CONCURRENTLY\` on the columns that identify a row (plain columns, no WHERE clause), then use \`REFRESH MATERIALIZED VIEW CONCURRENTLY ${n.relation.relname}\`, which lets readers see the old contents while it runs.`;
        ctx.report({
          stmt,
          message: `\`REFRESH MATERIALIZED VIEW ${n.relation.relname}\` recomputes existing view \`${shown}\` without CONCURRENTLY.`,
          why: `${lockSentence(lock, 'until the whole view is recomputed')} Every query reading \`${shown}\` waits for as long as the view's query takes to run.`,
          remedy,
          fix: unique && viewToken ? insertAfter(viewToken, 'CONCURRENTLY', 'Refresh the view concurrently', false) : undefined,
          properties: { view: shown, lockMode: lock.mode, hasUniqueIndex: Boolean(unique) },
        });
      },
    };
  },
});
