import { defineRule } from '../../src/core/rule.js';
import { displayRelation } from '../../src/locks/lock-table.js';
import { columnLabel, declaredColumns, retyped, typeLocated } from '../../src/rules/declared-columns.js';

export default defineRule({
  id: 'prefer-jsonb',
  family: 'migration',
  meta: {
    description: 'A new `json` column (rather than `jsonb`).',
    rationale:
      '`json` keeps the input text as is: it has no equality operator (so `SELECT DISTINCT`, `GROUP BY` and `UNION` over it fail), no GIN indexing, and every `->`/`->>` re-parses the whole document.',
    remedy: 'Declare the column `jsonb`, unless the exact input text (key order, duplicate keys, whitespace) must be kept.',
    severity: 'warning',
    precision: 'high',
    tags: ['style', 'performance'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      strongMigrations: 'add_column_json',
      eugene: 'E3',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        for (const column of declaredColumns(stmt, ctx.state.catalog)) {
          if (column.type !== 'json') continue;
          const replacement = retyped(column, 'jsonb');
          ctx.report({
            stmt,
            range: column.typeRange,
            message: `\`${columnLabel(column.table, column.name)}\`${column.kind === 'alter-type' ? ' is changed to' : ' is'} \`${retyped(column, 'json')}\`: PostgreSQL stores it as text and re-parses it on every access.`,
            why: '`json` has no equality operator, so any query that compares whole rows or values including it (`SELECT DISTINCT`, `GROUP BY`, `UNION`) fails with "could not identify an equality operator for type json", and `=` or `IN` with "operator does not exist: json = json"; it has no GIN operator class, so containment queries cannot use an index; and each `->`/`->>` parses the whole document again.',
            remedy: `Declare \`${column.name}\` as \`${replacement}\`. Keep \`json\` only when the exact text matters (for example to verify a webhook signature over the raw body), and suppress this finding with that reason.`,
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
