import { defineRule } from '../../src/core/rule.js';
import { displayRelation } from '../../src/locks/lock-table.js';
import { columnLabel, declaredColumns, retyped, typeLocated } from '../../src/rules/declared-columns.js';

export default defineRule({
  id: 'prefer-timestamptz',
  family: 'migration',
  meta: {
    description: 'A new `timestamp` (`timestamp without time zone`) column.',
    rationale:
      '`timestamp` stores a wall-clock reading, not an instant: an offset in the input is silently dropped, so values written from different time zones cannot be compared, and comparisons with `now()` depend on the session time zone.',
    remedy: 'Declare the column `timestamptz`: same 8 bytes, stores the instant, converts to each session’s time zone on output.',
    severity: 'warning',
    precision: 'high',
    tags: ['style', 'correctness'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'prefer-timestamptz, prefer-timestamp-tz',
      pgfence: 'prefer-timestamptz',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        for (const column of declaredColumns(stmt, ctx.state.catalog)) {
          if (column.type !== 'timestamp') continue;
          const replacement = retyped(column, 'timestamptz');
          ctx.report({
            stmt,
            range: column.typeRange,
            message: `\`${columnLabel(column.table, column.name)}\`${column.kind === 'alter-type' ? ' is changed to' : ' is'} \`${retyped(column, 'timestamp')}\` (without time zone): it stores a wall-clock reading, not an instant.`,
            why: `PostgreSQL drops the offset of the input instead of converting it: '2024-03-01 10:00+02' and '2024-03-01 10:00-06' are stored as the same value although they are eight hours apart. Which instant a row means then depends on the time zone of whoever wrote it, and comparisons with \`now()\` (a timestamptz) go through the session's TimeZone setting.`,
            remedy: `Declare \`${column.name}\` as \`${replacement}\`: same 8 bytes; it stores the instant (in UTC) and shows it in each session's time zone. Keep \`timestamp\` only for true wall-clock values (an opening hour, a local appointment time) and suppress with that reason.`,
            fix: typeLocated(column)
              ? { description: `Declare \`${column.name}\` as \`${replacement}\``, safe: false, edits: [{ range: column.typeRange, text: replacement }] }
              : undefined,
            properties: { table: displayRelation(column.table), column: column.name },
          });
        }
      },
    };
  },
});
