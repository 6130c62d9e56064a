import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, displayRelation } from '../../src/locks/lock-table.js';
import { columnLabel, declaredColumns, narrowKey, typeLocated } from '../../src/rules/declared-columns.js';

export default defineRule({
  id: 'prefer-bigint-over-smallint',
  family: 'migration',
  meta: {
    description: 'A new `smallint` (`int2`) column, which holds at most 32,767.',
    rationale:
      'A value above 32,767 makes the INSERT or UPDATE fail with "smallint out of range", and widening the column later rewrites the table under an ACCESS EXCLUSIVE lock. The 2 bytes it saves are often lost to alignment padding anyway.',
    remedy: 'Use `bigint` (or `integer`) unless the range is bounded by nature; then keep `smallint` and suppress with the reason.',
    severity: 'warning',
    precision: 'low',
    tags: ['style', 'overflow'],
    recommended: false,
    fixable: 'unsafe',
    sources: {
      squawk: 'prefer-bigint-over-smallint',
      pgfence: 'prefer-bigint-over-int',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        const columns = declaredColumns(stmt, ctx.state.catalog);
        for (const column of columns) {
          if (column.type !== 'int2' || column.array) continue;
          // Keys (identity, sequence-fed, foreign keys to bigint) are prefer-bigint-id's findings.
          if (narrowKey(column, columns, ctx.state.catalog)) continue;
          const label = columnLabel(column.table, column.name);
          ctx.report({
            stmt,
            range: column.typeRange,
            message: `\`${label}\`${column.kind === 'alter-type' ? ' is changed to' : ' is'} \`smallint\`: it holds at most 32,767.`,
            why: `A larger value makes the INSERT or UPDATE fail with "smallint out of range". Widening the column then takes \`ALTER COLUMN … TYPE\`, a table rewrite under an ACCESS EXCLUSIVE lock that blocks ${describeBlocked('ACCESS EXCLUSIVE')} while it runs; and next to other columns the 2 bytes saved are usually eaten by alignment padding.`,
            remedy: `Declare \`${column.name}\` as \`bigint\` (or \`integer\`). If its range is bounded by nature (a percentage, a day of the month), keep \`smallint\`, add a CHECK that states the bound, and suppress this finding with that reason.`,
            fix: typeLocated(column)
              ? { description: `Declare \`${column.name}\` as \`bigint\``, safe: false, edits: [{ range: column.typeRange, text: 'bigint' }] }
              : undefined,
            properties: { table: displayRelation(column.table), column: column.name },
          });
        }
      },
    };
  },
});
