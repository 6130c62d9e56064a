import type { Index } from '../../src/catalog/catalog.js';
import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import { describeBlocked, lockSentence, type LockMode } from '../../src/locks/lock-table.js';
import { rangeVarKey, rangeVarName } from '../../src/sql/ast.js';
import { displayRelation, insertAfter, keyword, concurrencyBlocker } from '../../src/rules/helpers.js';

const KIND_WORDS: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
  REINDEX_OBJECT_SYSTEM: 'SYSTEM',
};

/** `REINDEX TABLE` locks each table it processes in this mode (the lock table's entry for REINDEX TABLE). */
const TABLE_MODE: LockMode = 'SHARE';

function findIndex(ctx: MigrationContext, rv: any): Index | undefined {
  const catalog = ctx.state.catalog;
  const exact = catalog.indexes.get(rangeVarKey(rv));
  if (exact || rv?.schemaname) return exact;
  const matches = [...catalog.indexes.values()].filter((i) => i.name === rv?.relname);
  return matches.length === 1 ? matches[0] : undefined;
}

export default defineRule({
  id: 'require-concurrent-reindex',
  family: 'migration',
  meta: {
    description: '`REINDEX` (index, table, schema, database or system) without `CONCURRENTLY`.',
    rationale:
      'A plain `REINDEX` blocks writes to the table and locks each index ACCESS EXCLUSIVE while it is rebuilt; since the planner locks every index of a table it plans for, nearly all queries on that table wait too.',
    remedy:
      'Use `REINDEX … CONCURRENTLY` (PostgreSQL 12+) outside a transaction; before 12, build a replacement with `CREATE INDEX CONCURRENTLY` and drop the old index concurrently.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability'],
    recommended: true,
    fixable: 'safe',
    sources: {
      squawk: 'require-concurrent-reindex',
      pgfence: 'reindex-non-concurrent',
    },
  },
  create(ctx) {
    return {
      ReindexStmt(stmt) {
        const n = stmt.node;
        const concurrent = (n.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
        if (concurrent) return;
        const word = KIND_WORDS[n.kind] ?? 'INDEX';
        let target = '';
        let table: string | undefined;
        let why: string;
        const lock = ctx.state.locks[0];
        if (word === 'INDEX') {
          const index = findIndex(ctx, n.relation);
          if (index && (ctx.isNewTable(index.table) || (index.origin.file === ctx.file && index.origin.migrationId === ctx.migration.id))) return;
          table = index?.table;
          target = `index \`${displayRelation(index?.key ?? rangeVarKey(n.relation))}\`${table ? ` of table \`${displayRelation(table)}\`` : ''}`;
          why =
            `${lock ? lockSentence(lock, 'for the whole rebuild') : ''} ` +
            `Its table is locked too, against writes, and because the planner locks every index of a table when it plans a query, nearly every query on ${table ? `\`${displayRelation(table)}\`` : 'the table'} waits for the rebuild.`;
        } else if (word === 'TABLE') {
          table = rangeVarKey(n.relation);
          if (ctx.isNewTable(table)) return;
          target = `table \`${displayRelation(table)}\``;
          why =
            `${lock ? lockSentence(lock, 'while all its indexes are rebuilt') : ''} ` +
            'Each index is also locked ACCESS EXCLUSIVE while it is rebuilt, and the planner needs every index of the table, so reads wait as well.';
        } else {
          const name = n.name ?? rangeVarName(n.relation).name;
          target = word === 'SYSTEM' ? 'the system catalogs' : `every index of ${word.toLowerCase()}${name ? ` \`${name}\`` : ''}`;
          why =
            `It rebuilds the indexes table by table; each table gets a ${TABLE_MODE} lock, which blocks ${describeBlocked(TABLE_MODE)} while its indexes are rebuilt, ` +
            'and each index an ACCESS EXCLUSIVE lock, so queries on the table being processed wait too.';
        }

        // A transaction, or a DO block: CONCURRENTLY is refused there, so no autofix can add it.
        const blocker = concurrencyBlocker(ctx, stmt);
        const inTx = blocker !== '';
        const kindToken = keyword(stmt, word, keyword(stmt, 'REINDEX')?.start ?? -1);
        let remedy: string;
        let fix;
        if (word === 'SYSTEM') {
          remedy =
            'System catalogs cannot be reindexed concurrently: take `REINDEX SYSTEM` out of the migration and run it in a maintenance window.';
        } else if (ctx.pgVersion < 12) {
          remedy =
            `PostgreSQL ${ctx.pgVersion} has no \`REINDEX CONCURRENTLY\` (it arrived in 12): build a replacement with \`CREATE INDEX CONCURRENTLY\` under a new name, ` +
            '`DROP INDEX CONCURRENTLY` the old one and rename the new one (for an index that backs a constraint, swap the constraint with `ADD CONSTRAINT … USING INDEX`).';
        } else {
          remedy = inTx
            ? `Use \`REINDEX ${word} CONCURRENTLY\`, in a migration that runs outside a transaction; here, ${blocker}.`
            : `Use \`REINDEX ${word} CONCURRENTLY\`: it builds new copies of the indexes while reads and writes continue, then swaps them in. If it fails, drop the leftover \`_ccnew\` indexes and retry.`;
          if (!inTx && kindToken) {
            // The database- and schema-wide concurrent forms skip the system catalogs, which the plain form rebuilds.
            const safe = word === 'INDEX' || word === 'TABLE';
            fix = insertAfter(kindToken, 'CONCURRENTLY', 'Rebuild concurrently', safe);
          }
        }
        ctx.report({
          stmt,
          message: `\`REINDEX ${word}\` rebuilds ${target} without CONCURRENTLY.`,
          why: why.trim(),
          remedy,
          fix,
          properties: { ...(lock ? { lockMode: lock.mode } : {}), ...(table ? { table: displayRelation(table) } : {}) },
        });
      },
    };
  },
});
