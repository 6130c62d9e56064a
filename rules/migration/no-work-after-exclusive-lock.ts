import { defineRule } from '../../src/core/rule.js';
import { blockedBy, describeBlocked } from '../../src/locks/lock-table.js';
import { displayRelation, transactionCause } from '../../src/rules/helpers.js';
import { isFresh, slowWorkOf, timeZoneSetting } from './table-work.js';

export default defineRule({
  id: 'no-work-after-exclusive-lock',
  family: 'migration',
  meta: {
    description:
      'A slow statement, or one that waits for another table lock, in the same transaction after a statement took an ACCESS EXCLUSIVE lock on an existing table.',
    rationale:
      'An ACCESS EXCLUSIVE lock is held until the transaction commits: every statement after it, and every lock wait, lengthens the time during which nobody can read or write the locked table.',
    remedy: 'Commit right after the ACCESS EXCLUSIVE statement (split the migration), or do the slow work before taking the lock.',
    severity: 'warning',
    precision: 'high',
    tags: ['locks', 'availability', 'transactions'],
    recommended: true,
    sources: {
      eugene: 'E4',
      pgfence: 'statement-after-access-exclusive',
    },
  },
  create(ctx) {
    let utc: boolean | undefined;
    // `DROP INDEX` locks are keyed by the index (see LockAcquisition), but the ACCESS EXCLUSIVE lock falls on
    // its table. The catalog forgets a dropped index, so remember each index's table while it still knows it.
    const indexTables = new Map<string, string>();
    const reported = new Set<string>();
    const tableOf = (relation: string) => indexTables.get(relation) ?? ctx.state.catalog.indexes.get(relation)?.table ?? relation;
    // An index the catalog never saw (created outside the migrations read): its table is unknown.
    const unknownIndex = (l: { relation: string; operation: string }) => l.operation.startsWith('DROP INDEX') && tableOf(l.relation) === l.relation;
    const label = (l: { relation: string; operation: string }) =>
      unknownIndex(l) ? `the table of index \`${displayRelation(l.relation)}\`` : `\`${displayRelation(tableOf(l.relation))}\``;
    return {
      '*'(stmt) {
        for (const l of ctx.state.locks) {
          const table = ctx.state.catalog.indexes.get(l.relation)?.table;
          if (table) indexTables.set(l.relation, table);
        }
        const tz = timeZoneSetting(stmt);
        if (tz !== undefined) utc = tz === 'default' ? undefined : tz;
        if (!ctx.state.transaction.active || stmt.kind === 'TransactionStmt') return;
        const held = ctx.state.heldLocks.filter((l) => l.mode === 'ACCESS EXCLUSIVE' && !isFresh(ctx, tableOf(l.relation)));
        if (held.length === 0) return;
        const first = held[0];
        const heldTables = new Set(held.map((l) => tableOf(l.relation)));
        const work = slowWorkOf(ctx, stmt, utc);
        // A lock on another table that normal traffic conflicts with: the statement may wait for it. A lock
        // on an index whose table is unknown may well be on a table already held: no claim then.
        const wait = ctx.state.locks.find(
          (l) =>
            !unknownIndex(l) &&
            !heldTables.has(tableOf(l.relation)) &&
            !isFresh(ctx, tableOf(l.relation)) &&
            (blockedBy(l.mode).reads || blockedBy(l.mode).writes),
        );
        if (!work && !wait) return;
        // One finding per lock and kind of hazard (slow work; waiting for another table): the remedy,
        // commit right after the lock, is the same for every later statement of that kind.
        const key = `${first.stmt.range.start}:${work ? 'work' : 'wait'}`;
        if (reported.has(key)) return;
        reported.add(key);
        const locked = label(first);
        const doing = work
          ? `This statement ${work.what}`
          : `This statement (\`${wait!.operation}\`) must wait for ${/^[AEIOU]/.test(wait!.mode) ? 'an' : 'a'} ${wait!.mode} lock on ${label(wait!)}, behind every transaction using that table,`;
        ctx.report({
          stmt,
          message: `${doing} while \`${first.operation}\` still holds an ACCESS EXCLUSIVE lock on ${locked}.`,
          why:
            `This runs in one transaction (${transactionCause(ctx).replace(/ \(.*\)$/, '')}), which keeps the ACCESS EXCLUSIVE lock on ${locked} until it commits, so ${describeBlocked('ACCESS EXCLUSIVE')} on ${locked} ` +
            'stay blocked for as long as this statement takes, on top of the statement that took the lock.',
          remedy: `Commit right after \`${first.operation}\` (end the transaction, or move this statement to the next migration), or run this work before the statement that locks ${locked}.`,
          related: [{ range: first.stmt.range, message: `\`${first.operation}\` takes the ACCESS EXCLUSIVE lock on ${locked} here.` }],
          properties: { lockedTable: unknownIndex(first) ? displayRelation(first.relation) : displayRelation(tableOf(first.relation)) },
        });
      },
    };
  },
});
