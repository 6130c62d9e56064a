import { defineRule } from '../../src/core/rule.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import { columnConstraints, columnType, formatType } from '../../src/sql/ast.js';
import { displayRelation, quoteIdent, columnsAddedToLiveTable } from '../../src/rules/helpers.js';
import { columnNameRange, isNullConstant } from './table-work.js';

const SERIAL_TYPES = new Set(['serial', 'bigserial', 'smallserial']);

export default defineRule({
  id: 'no-required-column-without-default',
  family: 'migration',
  meta: {
    description: '`ADD COLUMN … NOT NULL` without a `DEFAULT` on an existing table.',
    rationale:
      'Existing rows get NULL in the new column, which violates NOT NULL: the migration fails as soon as the table has a row, typically in production after passing on an empty development database.',
    remedy:
      'Add the column nullable (or with a constant DEFAULT), backfill it in batches, then enforce NOT NULL with a validated CHECK constraint and `SET NOT NULL`.',
    severity: 'error',
    precision: 'very-high',
    tags: ['availability', 'data'],
    recommended: true,
    sources: {
      squawk: 'adding-required-field',
      atlas: 'MF103',
      pgfence: 'add-column-not-null-no-default',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        for (const { cmd, def, column, table, lock } of columnsAddedToLiveTable(ctx, stmt)) {
          const type = columnType(def.typeName);
          if (SERIAL_TYPES.has(type.name)) continue; // filled from its sequence
          const constraints = columnConstraints(def);
          const kinds = new Set(constraints.map((c) => c.contype));
          const required = kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY');
          if (!required) continue;
          if (kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED')) continue;
          // `DEFAULT NULL` fills the rows with NULL just the same.
          const dflt = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
          if (dflt && !isNullConstant(dflt.raw_expr)) continue;
          const shown = displayRelation(table);
          const col = quoteIdent(column);
          const constraint = kinds.has('CONSTR_PRIMARY') ? 'PRIMARY KEY' : 'NOT NULL';
          ctx.report({
            stmt,
            range: columnNameRange(stmt, 'ADD', column),
            message: `\`ADD COLUMN ${column} ${formatType(type)} ${constraint}\` on existing table \`${shown}\` has no DEFAULT: it fails as soon as \`${shown}\` has a row.`,
            why:
              `PostgreSQL fills the new column with NULL in every existing row, which violates ${constraint}, so the statement errors out on any non-empty table (it passes on an empty development database and fails in production).` +
              (lock ? ` ${lockSentence(lockForCommand(lock, cmd, ctx.pgVersion), 'until it fails')}` : ''),
            remedy:
              `Add \`${col}\` without ${constraint} (or with a constant \`DEFAULT\`, instant since PostgreSQL 11), backfill existing rows in batches, ` +
              `then \`ADD CONSTRAINT ${quoteIdent(`${stmt.node.relation.relname}_${column}_not_null`)} CHECK (${col} IS NOT NULL) NOT VALID\`, \`VALIDATE CONSTRAINT\` it and \`ALTER COLUMN ${col} SET NOT NULL\` in a later migration.`,
            properties: { table: shown, column },
          });
        }
      },
    };
  },
});
