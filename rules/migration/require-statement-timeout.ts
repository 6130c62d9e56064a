import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, lockSentence } from '../../src/locks/lock-table.js';
import { displayRelation } from '../../src/rules/helpers.js';
import { slowWorkOf, timeZoneSetting } from './table-work.js';

export default defineRule({
  id: 'require-statement-timeout',
  family: 'migration',
  meta: {
    description:
      'A long-running statement that blocks traffic (table rewrite, index build, validation scan, whole-table UPDATE/DELETE) with no `SET statement_timeout` earlier in the migration.',
    rationale:
      'The statement runs as long as the table is big while it blocks reads, writes or updated rows; without a statement_timeout nothing stops it when it takes far longer than it did on staging.',
    remedy:
      "Set `statement_timeout` at the start of the migration to the longest outage you accept (e.g. `SET statement_timeout = '30s';`); a cancelled statement rolls back cleanly and can be redone the online way.",
    severity: 'warning',
    precision: 'medium',
    tags: ['locks', 'availability', 'timeouts'],
    recommended: true,
    sources: {
      squawk: 'require-statement-timeout, require-timeout-settings',
      pgfence: 'missing-statement-timeout',
    },
  },
  create(ctx) {
    let reported = false;
    let utc: boolean | undefined;
    return {
      '*'(stmt) {
        const tz = timeZoneSetting(stmt);
        if (tz !== undefined) utc = tz === 'default' ? undefined : tz;
        if (reported || ctx.state.statementTimeout) return;
        const work = slowWorkOf(ctx, stmt, utc);
        if (!work?.blocking) return;
        reported = true;
        const lock = ctx.state.locks.find((l) => l.relation === work.relation && l.mode !== 'ROW EXCLUSIVE');
        const shown = work.relation ? displayRelation(work.relation) : 'the tables';
        const blocks =
          lock !== undefined
            ? lockSentence(lock, 'for as long as the statement runs')
            : stmt.kind === 'UpdateStmt' || stmt.kind === 'DeleteStmt'
              ? `It locks every row it changes until the transaction ends, so concurrent updates and deletes of those rows wait for as long as it runs.`
              : `It takes a SHARE lock on each table it checks, which blocks ${describeBlocked('SHARE')} for as long as it runs.`;
        ctx.report({
          stmt,
          message: `This statement ${work.what}, and no \`SET statement_timeout\` runs before it in this migration.`,
          why: `${blocks} Its duration grows with the size of \`${shown}\`; without a statement_timeout nothing ends it when it runs far longer than on staging, and the outage lasts until someone cancels it by hand.`,
          remedy:
            "Add `SET statement_timeout = '…';` at the start of the migration, set to the longest blocking you accept; if it fires, the statement rolls back and you redo the change the online way (batches, CONCURRENTLY, NOT VALID).",
          properties: { table: shown, ...(lock ? { lockMode: lock.mode } : {}) },
        });
      },
    };
  },
});
