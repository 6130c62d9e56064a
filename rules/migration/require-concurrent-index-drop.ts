import type { Index } from '../../src/catalog/catalog.js';
import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import { describeBlocked, lockSentence } from '../../src/locks/lock-table.js';
import { listKey, strings } from '../../src/sql/ast.js';
import { displayRelation, insertAfter, keyword, concurrencyBlocker } from '../../src/rules/helpers.js';

/** The catalog's index for a `DROP INDEX` name: exact key first, then an unqualified name in any schema. */
function findIndex(ctx: MigrationContext, items: any[]): Index | undefined {
  const catalog = ctx.state.catalog;
  const exact = catalog.indexes.get(listKey(items));
  if (exact || strings(items).length > 1) return exact;
  const name = strings(items)[0];
  const matches = [...catalog.indexes.values()].filter((i) => i.name === name);
  return matches.length === 1 ? matches[0] : undefined;
}

export default defineRule({
  id: 'require-concurrent-index-drop',
  family: 'migration',
  meta: {
    description: '`DROP INDEX` on an existing table without `CONCURRENTLY`.',
    rationale:
      'A plain `DROP INDEX` needs an ACCESS EXCLUSIVE lock on the index’s table: it waits for every running query on the table, and every read and write queues behind it.',
    remedy: 'Use `DROP INDEX CONCURRENTLY` (one index per statement), in a migration that does not run inside a transaction.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability'],
    recommended: true,
    fixable: 'safe',
    sources: {
      squawk: 'require-concurrent-index-deletion',
      strongMigrations: 'remove_index',
      atlas: 'PG102',
      pgfence: 'drop-index-not-concurrent',
    },
  },
  create(ctx) {
    return {
      DropStmt(stmt) {
        const n = stmt.node;
        if (n.removeType !== 'OBJECT_INDEX' || n.concurrent) return;
        const objects: any[] = (n.objects ?? []).map((o: any) => o.List?.items ?? []);
        const live: Array<{ name: string; index?: Index }> = [];
        for (const items of objects) {
          const index = findIndex(ctx, items);
          // Only the table's age matters: dropping even a brand-new index locks its live table.
          if (index && ctx.isNewTable(index.table)) continue;
          if (index && ctx.state.catalog.table(index.table)?.partitioned) {
            // DROP INDEX CONCURRENTLY is not supported for indexes of partitioned tables: nothing better to offer.
            continue;
          }
          live.push({ name: strings(items).join('.'), index });
        }
        if (live.length === 0) return;

        const lock = ctx.state.locks[0];
        const tables = [...new Set(live.map((l) => l.index?.table).filter((t): t is string => Boolean(t)))];
        const names = live.map((l) => `\`${l.name}\``).join(', ');
        const onTable = tables.length > 0 ? ` on existing table ${tables.map((t) => `\`${displayRelation(t)}\``).join(', ')}` : '';
        const why = tables.length > 0
          ? lockSentence({ ...lock, relation: tables[0] })
          : `\`${lock.operation}\` takes ${/^[AEIOU]/.test(lock.mode) ? 'an' : 'a'} ${lock.mode} lock on the index’s table, which blocks ${describeBlocked(lock.mode)} until it finishes.`;
        // A transaction, or a DO block: CONCURRENTLY is refused there, so no autofix can add it.
        const blocker = concurrencyBlocker(ctx, stmt);
        const inTx = blocker !== '';
        const single = objects.length === 1 && n.behavior !== 'DROP_CASCADE';
        const steps = single
          ? 'Use `DROP INDEX CONCURRENTLY`'
          : `Drop each index in its own \`DROP INDEX CONCURRENTLY\` statement (it accepts one index${n.behavior === 'DROP_CASCADE' ? ' and no CASCADE' : ''})`;
        const indexToken = keyword(stmt, 'INDEX');
        ctx.report({
          stmt,
          message: `\`DROP INDEX\` of ${names}${onTable} runs without CONCURRENTLY.`,
          why: `${why} Dropping is quick once the lock is granted, but the lock first waits for every running query on the table, and every new query queues behind it.`,
          remedy: inTx
            ? `${steps}, and move it to a migration that runs outside a transaction; here, ${blocker}.`
            : `${steps}: it waits for running queries without blocking new ones.`,
          fix: !inTx && single && indexToken ? insertAfter(indexToken, 'CONCURRENTLY', 'Drop the index concurrently', true) : undefined,
          properties: { lockMode: lock.mode, ...(tables[0] ? { table: displayRelation(tables[0]) } : {}) },
        });
      },
    };
  },
});
