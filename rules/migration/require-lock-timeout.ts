import { defineRule } from '../../src/core/rule.js';
import { blockedBy, describeBlocked, lockSentence, LOCK_MODES } from '../../src/locks/lock-table.js';
import type { LockAcquisition } from '../../src/locks/lock-table.js';
import { displayRelation } from '../../src/rules/helpers.js';
import { isFresh } from './table-work.js';

export default defineRule({
  id: 'require-lock-timeout',
  family: 'migration',
  meta: {
    description: 'A statement that takes a lock blocking reads or writes on an existing table, with no `SET lock_timeout` earlier in the migration.',
    rationale:
      'A lock request waits behind every transaction already using the table, and every later query on the table queues behind the waiting request: one slow query or idle transaction turns a millisecond change into an outage.',
    remedy: "Start the migration with `SET lock_timeout = '5s';` (or a value your traffic tolerates) and retry the migration when it times out.",
    severity: 'warning',
    precision: 'high',
    tags: ['locks', 'availability', 'timeouts'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'require-lock-timeout, require-timeout-settings',
      eugene: 'E9',
      pgfence: 'missing-lock-timeout',
    },
  },
  create(ctx) {
    let reported = false;
    return {
      '*'(stmt) {
        if (reported || ctx.state.lockTimeout) return;
        const blocking = ctx.state.locks.filter((l) => !isFresh(ctx, l.relation) && (blockedBy(l.mode).reads || blockedBy(l.mode).writes));
        if (blocking.length === 0) return;
        reported = true;
        const strongest = strongestLock(blocking);
        // `DROP INDEX` is keyed by the index, but its lock falls on the index's table: name the table when known.
        const indexTable = strongest.operation.startsWith('DROP INDEX') ? ctx.state.catalog.indexes.get(strongest.relation)?.table : undefined;
        const lock = indexTable ? { ...strongest, relation: indexTable } : strongest;
        const shown = displayRelation(lock.relation);
        // Insert the SET on its own line before the statement, keeping its indentation; never inside a DO body.
        const text = ctx.file.text;
        const lineStart = text.lastIndexOf('\n', stmt.range.start - 1) + 1;
        const before = text.slice(lineStart, stmt.range.start);
        const atLineStart = /^[ \t]*$/.test(before);
        ctx.report({
          stmt,
          message: `\`${lock.operation}\` needs ${/^[AEIOU]/.test(lock.mode) ? 'an' : 'a'} ${lock.mode} lock on \`${shown}\`, and no \`SET lock_timeout\` runs before it in this migration.`,
          why:
            `${lockSentence(lock, 'as soon as it starts waiting for it')} While the request waits for transactions already using \`${shown}\` (a slow report, a transaction left idle), ` +
            `every later query that needs a conflicting lock queues behind it, so ${describeBlocked(lock.mode)} on \`${shown}\` stop until the wait ends, with no upper bound.`,
          remedy:
            "Add `SET lock_timeout = '5s';` (or what your traffic tolerates) at the start of the migration: the statement then fails fast instead of stalling traffic, and you retry the migration later.",
          fix: stmt.viaDo
            ? undefined
            : {
                description: "Set a 5 s lock_timeout before the first locking statement",
                safe: false,
                edits: [{ range: { start: stmt.range.start, end: stmt.range.start }, text: atLineStart ? `SET lock_timeout = '5s';\n${before}` : "SET lock_timeout = '5s'; " }],
              },
          properties: { lockMode: lock.mode, table: shown },
        });
      },
    };
  },
});

function strongestLock(locks: LockAcquisition[]): LockAcquisition {
  return locks.reduce((best, l) => (LOCK_MODES.indexOf(l.mode) > LOCK_MODES.indexOf(best.mode) ? l : best));
}
