import { defineRule } from '../../src/core/rule.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import { columnType, formatType } from '../../src/sql/ast.js';
import { displayRelation, quoteIdent, columnsAddedToLiveTable } from '../../src/rules/helpers.js';
import { addColumnRewrite, columnNameRange, type ColumnRewrite } from './table-work.js';

const SERIAL_TYPES: Record<string, string> = { serial: 'integer', bigserial: 'bigint', smallserial: 'smallint' };

export default defineRule({
  id: 'no-table-rewrite-default',
  family: 'migration',
  meta: {
    description:
      '`ADD COLUMN` that rewrites an existing table: a volatile default, a stored generated column, an identity or serial column (or any default before PostgreSQL 11).',
    rationale:
      'The new value must be computed and written into every existing row, so PostgreSQL rewrites the whole table and its indexes while holding an ACCESS EXCLUSIVE lock: no reads, no writes until it finishes.',
    remedy:
      'Add the column without the per-row value (nullable, or with a constant default), set the default for new rows separately, and backfill existing rows in batches.',
    severity: 'error',
    precision: 'high',
    tags: ['locks', 'availability', 'rewrite'],
    recommended: true,
    sources: {
      squawk: 'adding-field-with-default',
      strongMigrations: 'add_column_default, add_column_default_callable, add_column_generated_stored, add_column_auto_incrementing',
      eugene: 'E11',
      pgfence: 'add-column-non-constant-default, add-column-stored-generated, add-column-default-pre-pg11',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        for (const { cmd, def, column, table, lock } of columnsAddedToLiveTable(ctx, stmt)) {
          const rewrite = addColumnRewrite(def, ctx.pgVersion, ctx.state.catalog);
          if (!rewrite) continue;
          const shown = displayRelation(table);
          ctx.report({
            stmt,
            range: columnNameRange(stmt, 'ADD', column),
            message: `\`ADD COLUMN ${column}\` rewrites existing table \`${shown}\`: ${rewrite.reason}.`,
            why: `${lock ? lockSentence(lockForCommand(lock, cmd, ctx.pgVersion), 'for the whole rewrite') : 'The rewrite holds an ACCESS EXCLUSIVE lock for its whole duration.'} The rewrite copies every row and rebuilds every index, so it lasts as long as the table is big, and needs as much free disk again.`,
            remedy: remedyFor(def, rewrite, quoteIdent(column), ctx.pgVersion),
            properties: { table: shown, column },
          });
        }
      },
    };
  },
});

function remedyFor(def: any, rewrite: ColumnRewrite, col: string, pgVersion: number): string {
  const type = columnType(def.typeName);
  const plainType = SERIAL_TYPES[type.name] ?? formatType(type);
  switch (rewrite.kind) {
    case 'serial':
    case 'identity':
      return (
        `Add \`${col} ${plainType}\` nullable and without default, create a sequence and \`ALTER COLUMN ${col} SET DEFAULT nextval('…')\` (it applies to new rows only, no rewrite), ` +
        'backfill existing rows in batches, then enforce NOT NULL with a validated CHECK constraint.'
      );
    case 'generated':
      return (
        `Add \`${col} ${plainType}\` as a plain nullable column, fill it for new and updated rows with a trigger, and backfill existing rows in batches` +
        (pgVersion >= 18 ? '; or, if readers can compute it on the fly, declare it `GENERATED ALWAYS AS (…) VIRTUAL` (PostgreSQL 18), which stores nothing.' : '.')
      );
    case 'domain':
      return (
        `Declare \`${col}\` with the domain's base type instead of \`${type.name}\`, and enforce the rule with a table CHECK constraint ` +
        'added `NOT VALID` and validated in a later migration (validation does not block reads or writes).'
      );
    default:
      return (
        `Add \`${col}\` without that default (nullable${pgVersion >= 11 ? ', or with a constant default' : ''}), then \`ALTER COLUMN ${col} SET DEFAULT …\` so that new rows get it (no rewrite), ` +
        'and backfill existing rows in batches outside the schema migration.'
      );
  }
}
