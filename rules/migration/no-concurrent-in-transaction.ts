import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import type { FrameworkId } from '../../src/migrations/model.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { alterCommands } from '../../src/sql/ast.js';
import { alterCommandRanges, keyword, transactionCause } from '../../src/rules/helpers.js';

/**
 * The operation name PostgreSQL uses in its error when `stmt` runs a CONCURRENTLY form that refuses
 * transaction blocks, and the range to point at. REFRESH MATERIALIZED VIEW CONCURRENTLY is not one of
 * them: it runs fine inside a transaction.
 */
function concurrentOperation(stmt: SqlStatement): { operation: string; range?: Range } | undefined {
  const n = stmt.node;
  // The AST says whether the statement is concurrent; tokens (a scan) are read only to point at the keyword.
  const at = (): Range | undefined => {
    const concurrently = keyword(stmt, 'CONCURRENTLY');
    return concurrently ? { start: concurrently.start, end: concurrently.end } : undefined;
  };
  switch (stmt.kind) {
    case 'IndexStmt':
      return n.concurrent ? { operation: 'CREATE INDEX CONCURRENTLY', range: at() } : undefined;
    case 'DropStmt':
      return n.removeType === 'OBJECT_INDEX' && n.concurrent ? { operation: 'DROP INDEX CONCURRENTLY', range: at() } : undefined;
    case 'ReindexStmt':
      return (n.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently') ? { operation: 'REINDEX CONCURRENTLY', range: at() } : undefined;
    case 'AlterTableStmt': {
      const cmds = alterCommands(n);
      const i = cmds.findIndex((c) => c.subtype === 'AT_DetachPartition' && c.def?.PartitionCmd?.concurrent);
      if (i < 0) return undefined;
      return { operation: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY', range: alterCommandRanges(stmt, cmds.length)[i] ?? at() };
    }
    default:
      return undefined;
  }
}

/** How each framework lets one migration run outside a transaction. */
const FRAMEWORK_SWITCH: Partial<Record<FrameworkId, string>> = {
  flyway: 'give it a script config file (`V…__name.sql.conf`) with `executeInTransaction=false`',
  dbmate: 'start its up section with `-- migrate:up transaction:false`',
  goose: 'add `-- +goose NO TRANSACTION` at the top of its file',
  diesel: 'add a `metadata.toml` with `run_in_transaction = false` to its folder',
  'golang-migrate': 'keep it the only statement of its file, so it is not sent as one multi-statement (implicitly transactional) query',
  prisma: 'keep it the only statement of its `migration.sql`, since a multi-statement script runs as one implicit transaction',
  plain: 'configure your migration runner to run that file without a transaction',
};

export default defineRule({
  id: 'no-concurrent-in-transaction',
  family: 'migration',
  meta: {
    description:
      '`CREATE INDEX`, `DROP INDEX`, `REINDEX` or `DETACH PARTITION` with `CONCURRENTLY` inside a transaction (an explicit `BEGIN`, or the one the framework wraps around the migration).',
    rationale:
      'These concurrent forms commit internally several times, so PostgreSQL refuses them inside a transaction block: the migration fails at this statement (“cannot run inside a transaction block”).',
    remedy:
      'Run the concurrent statement outside any transaction: remove `BEGIN`/`COMMIT` around it, or put it alone in a migration the framework runs without a transaction.',
    severity: 'error',
    precision: 'very-high',
    tags: ['transactions', 'correctness'],
    recommended: true,
    sources: {
      squawk: 'ban-concurrent-index-creation-in-transaction',
      atlas: 'PG103',
      pgfence: 'concurrent-in-transaction',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        const found = concurrentOperation(stmt);
        if (!found) return;
        const tx = ctx.state.transaction;
        // PostgreSQL's own name for the operation in its error messages.
        const errorName = found.operation.startsWith('ALTER TABLE') ? 'ALTER TABLE ... DETACH CONCURRENTLY' : found.operation;
        if (stmt.viaDo) {
          // A DO body runs as a function: PostgreSQL refuses these statements there whether or not a transaction is open.
          ctx.report({
            stmt,
            range: found.range,
            message: `\`${found.operation}\` inside a \`DO\` block cannot run: a \`DO\` body executes as a function.`,
            why: `PostgreSQL rejects it with “${errorName} cannot be executed from a function”, so the migration fails here.`,
            remedy: 'Move the statement out of the `DO` block, as a top-level statement in a migration that runs outside a transaction.',
            related: [{ range: stmt.viaDo.range, message: 'The DO block that contains it' }],
          });
          return;
        }
        if (!tx.active) return;
        const cause = transactionCause(ctx);
        ctx.report({
          stmt,
          range: found.range,
          message: `\`${found.operation}\` runs inside a transaction: ${cause}.`,
          why: `The concurrent form commits internally while it works, so PostgreSQL refuses it in a transaction block (“${errorName} cannot run inside a transaction block”) and the migration fails at this statement${tx.byFramework ? ', rolling back everything the file did before it' : ''}.`,
          remedy: tx.byFramework
            ? `Put this statement in its own migration that runs outside a transaction: ${FRAMEWORK_SWITCH[ctx.migration.framework] ?? 'opt that migration out of the transaction the runner opens'}.`
            : 'Move the statement out of the `BEGIN` … `COMMIT` block (after `COMMIT`), or drop the explicit transaction from this migration.',
          related: tx.begin ? [{ range: tx.begin.range, message: 'The transaction opened here is still open' }] : undefined,
          properties: { operation: found.operation, transaction: tx.byFramework ? 'framework' : 'explicit' },
        });
      },
    };
  },
});
