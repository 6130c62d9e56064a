import { defineRule } from '../../src/core/rule.js';
import { lockSentence } from '../../src/locks/lock-table.js';
import { rangeVarKey } from '../../src/sql/ast.js';
import { displayRelation } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-truncate',
  family: 'migration',
  meta: {
    description: '`TRUNCATE` of a table that existed before this migration.',
    rationale:
      '`TRUNCATE` deletes every row at once and cannot be undone by a down migration; with CASCADE it also empties every table whose foreign keys point at it.',
    remedy:
      'Delete only the rows you mean to, in batches, outside the schema migration; if the table really must be emptied, name every table explicitly and never use CASCADE.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'data-loss', 'locks'],
    recommended: true,
    sources: {
      squawk: 'ban-truncate-cascade',
      pgfence: 'truncate, truncate-cascade',
    },
  },
  create(ctx) {
    return {
      TruncateStmt(stmt) {
        const n = stmt.node;
        const keys: string[] = (n.relations ?? []).map((r: any) => rangeVarKey(r.RangeVar));
        const live = keys.filter((key) => {
          const table = ctx.state.catalog.table(key);
          return !(table && (ctx.isNewTable(key) || table.origin.migrationId === ctx.migration.id));
        });
        if (live.length === 0) return;
        const cascade = n.behavior === 'DROP_CASCADE';
        // CASCADE follows foreign keys transitively: every table that references a truncated one is emptied too.
        const reached = cascade ? cascadeClosure(ctx.state.catalog.tables, keys).filter((k) => !keys.includes(k)) : [];
        const names = live.map((k) => `\`${displayRelation(k)}\``).join(', ');
        const lock = ctx.state.locks.find((l) => l.relation === live[0]);
        ctx.report({
          stmt,
          message:
            `\`TRUNCATE\` deletes every row of ${names}` +
            (cascade
              ? reached.length > 0
                ? `, and CASCADE also empties ${reached.map((k) => `\`${displayRelation(k)}\``).join(', ')}, which reference it through foreign keys (directly or in a chain).`
                : ', and CASCADE also empties every table whose foreign keys reference it (none known to the migration history, which may be incomplete).'
              : '.'),
          why:
            'The rows are gone for good: a down migration cannot bring them back, and unlike DELETE, TRUNCATE fires no ON DELETE triggers, so audit or soft-delete logic never sees them go. ' +
            (lock ? lockSentence(lock, ctx.state.transaction.active ? 'until the transaction commits' : 'until it finishes') : ''),
          remedy: cascade
            ? 'Drop CASCADE and name each table you really mean to empty; better, delete the rows you mean to remove with batched `DELETE … WHERE` in a data job, outside the schema migration.'
            : 'Delete the rows you mean to remove with batched `DELETE … WHERE` in a data job, outside the schema migration; if emptying the table is intended, suppress with `-- plumbline-ignore no-truncate: <why>`.',
          properties: { tables: live.map(displayRelation).join(','), cascade },
        });
      },
    };
  },
});

/** Tables reached from `roots` by following foreign keys backwards (who references whom), roots included. */
function cascadeClosure(tables: Map<string, { key: string; constraints: Map<string, { type: string; refTable?: string }> }>, roots: string[]): string[] {
  const seen = new Set(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const target = queue.shift()!;
    for (const t of tables.values()) {
      if (seen.has(t.key)) continue;
      for (const c of t.constraints.values()) {
        if (c.type === 'foreign' && c.refTable === target) {
          seen.add(t.key);
          queue.push(t.key);
          break;
        }
      }
    }
  }
  return [...seen];
}
