import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { lockSentence } from '../../src/locks/lock-table.js';
import { alterCommands, rangeVarKey } from '../../src/sql/ast.js';
import { alterCommandRanges, displayRelation, concurrencyBlocker } from '../../src/rules/helpers.js';

/**
 * Whether `parent` is known to have a DEFAULT partition before the current statement: created with
 * `PARTITION OF parent DEFAULT` or attached with `ATTACH PARTITION … DEFAULT` in an earlier statement,
 * and not detached or dropped since. DETACH … CONCURRENTLY is not allowed on such a table.
 */
function hasDefaultPartition(ctx: MigrationContext, parent: string): boolean {
  return Boolean(ctx.state.catalog.table(parent)?.defaultPartition);
}

export default defineRule({
  id: 'require-concurrent-detach',
  family: 'migration',
  meta: {
    description: '`ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` (PostgreSQL 14+).',
    rationale:
      'A plain `DETACH PARTITION` takes an ACCESS EXCLUSIVE lock on the partitioned table: every read and write on every partition waits, and queues behind the lock while it waits for running queries.',
    remedy:
      'Use `DETACH PARTITION … CONCURRENTLY` in a migration that does not run inside a transaction; if it is interrupted, complete it with `DETACH PARTITION … FINALIZE`.',
    severity: 'error',
    precision: 'high',
    tags: ['locks', 'availability', 'partitioning'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'require-concurrent-partition-detach',
      pgfence: 'detach-partition',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        // Before PostgreSQL 14 there is no concurrent form: nothing better to suggest (see Known limits).
        if (ctx.pgVersion < 14) return;
        const n = stmt.node;
        const parent = rangeVarKey(n.relation);
        if (ctx.isNewTable(parent)) return;
        const cmds = alterCommands(n);
        const ranges = alterCommandRanges(stmt, cmds.length);
        cmds.forEach((cmd, i) => {
          if (cmd.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) return;
          const partition = rangeVarKey(cmd.def.PartitionCmd.name);
          const range: Range | undefined = ranges[i];
          const lock = ctx.state.locks.find((l) => l.relation === parent) ?? ctx.state.locks[0];
          // A transaction, or a DO block: CONCURRENTLY is refused there, so no autofix can add it.
          const blocker = concurrencyBlocker(ctx, stmt);
          const inTx = blocker !== '';
          const withDefault = hasDefaultPartition(ctx, parent);
          let remedy: string;
          if (withDefault) {
            remedy =
              `\`${displayRelation(parent)}\` has a DEFAULT partition, and PostgreSQL refuses \`DETACH PARTITION … CONCURRENTLY\` then: ` +
              'detach the default partition first (or accept the lock in a low-traffic window with a short `lock_timeout`).';
          } else if (inTx) {
            remedy =
              `Use \`ALTER TABLE ${displayRelation(parent)} DETACH PARTITION ${displayRelation(partition)} CONCURRENTLY\` alone in a migration that runs ` +
              `outside a transaction; here, ${blocker}. The concurrent form commits internally and cannot run in a transaction block.`;
          } else {
            remedy =
              `Use \`ALTER TABLE ${displayRelation(parent)} DETACH PARTITION ${displayRelation(partition)} CONCURRENTLY\`: it takes only SHARE UPDATE EXCLUSIVE on the parent. ` +
              'It cannot run in a transaction block; if it is cancelled midway, finish it with `… DETACH PARTITION … FINALIZE`.';
          }
          const fixable = !inTx && !withDefault && cmds.length === 1 && range !== undefined;
          ctx.report({
            stmt,
            range,
            message: `\`DETACH PARTITION ${displayRelation(partition)}\` from existing partitioned table \`${displayRelation(parent)}\` runs without CONCURRENTLY.`,
            why: lockSentence({ ...lock, relation: parent }, 'until the detach commits'),
            remedy,
            // Unsafe: the concurrent form also adds a CHECK constraint copying the partition bound to the detached table.
            fix: fixable
              ? { description: 'Detach the partition concurrently', safe: false, edits: [{ range: { start: range.end, end: range.end }, text: ' CONCURRENTLY' }] }
              : undefined,
            properties: { lockMode: lock.mode, table: displayRelation(parent), partition: displayRelation(partition) },
          });
        });
      },
    };
  },
});
