import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, displayRelation } from '../../src/locks/lock-table.js';
import { quoteIdent } from '../../src/rules/helpers.js';
import { columnLabel, declaredColumns, retyped, type DeclaredColumn, typeLocated } from '../../src/rules/declared-columns.js';

export default defineRule({
  id: 'prefer-text',
  family: 'migration',
  meta: {
    description: 'A new `varchar(n)` or `char(n)` column.',
    rationale:
      '`varchar(n)` puts a business rule (the maximum length) into the type, where changing it needs `ALTER COLUMN … TYPE` and its ACCESS EXCLUSIVE lock; `char(n)` pads values with spaces and ignores trailing spaces in comparisons. Neither is faster than `text`.',
    remedy: 'Declare the column `text`, and state a length limit as a CHECK constraint (`CHECK (char_length(col) <= n)`).',
    severity: 'warning',
    precision: 'medium',
    tags: ['style'],
    recommended: false,
    fixable: 'unsafe',
    sources: {
      squawk: 'prefer-text-field, ban-char-field',
      pgfence: 'prefer-text-field',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        for (const column of declaredColumns(stmt, ctx.state.catalog)) {
          const limit = explicitLength(column);
          if (column.type === 'varchar' && limit !== undefined) reportVarchar(column, limit);
          else if (column.type === 'bpchar') reportChar(column, limit ?? 1);
        }

        function reportVarchar(column: DeclaredColumn, limit: number): void {
          const withCheck = `text CHECK (char_length(${quoteIdent(column.name)}) <= ${limit})`;
          ctx.report({
            stmt,
            range: column.typeRange,
            message: `\`${columnLabel(column.table, column.name)}\`${column.kind === 'alter-type' ? ' is changed to' : ' is'} \`varchar(${limit})\`: its length limit is part of the type.`,
            why: `Changing the limit later is an \`ALTER COLUMN … TYPE\`: raising it is a catalog change since PostgreSQL 9.2 but still waits for and takes an ACCESS EXCLUSIVE lock, which blocks ${describeBlocked('ACCESS EXCLUSIVE')}; lowering it rewrites the table. \`varchar(n)\` is stored exactly like \`text\`, so the limit buys no space or speed.`,
            remedy: `Declare \`${column.name}\` as \`text\` and, if the limit is a real rule, add it as \`CHECK (char_length(${quoteIdent(column.name)}) <= ${limit})\`: a CHECK can later be replaced with \`ADD CONSTRAINT … NOT VALID\` and \`VALIDATE CONSTRAINT\` without blocking writes.`,
            fix:
              column.kind === 'alter-type' || column.array || !typeLocated(column)
                ? undefined
                : { description: `Declare \`${column.name}\` as \`${withCheck}\``, safe: false, edits: [{ range: column.typeRange, text: withCheck }] },
            properties: { table: displayRelation(column.table), column: column.name, type: `varchar(${limit})` },
          });
        }

        function reportChar(column: DeclaredColumn, length: number): void {
          ctx.report({
            stmt,
            range: column.typeRange,
            message: `\`${columnLabel(column.table, column.name)}\`${column.kind === 'alter-type' ? ' is changed to' : ' is'} \`${retyped(column, 'char')}\`: values are blank-padded to ${length} character${length === 1 ? '' : 's'}.`,
            why: '`char(n)` pads shorter values with spaces, treats trailing spaces as insignificant when comparing two `char` values but strips them when converting to `text`, so `=`, `LIKE` and string functions disagree about the same value; a longer value fails unless the excess is spaces, which are cut silently. It is stored like `text` (plus the padding) and is never faster.',
            remedy: `Declare \`${column.name}\` as \`text\` (add \`CHECK (char_length(${quoteIdent(column.name)}) = ${length})\` if the length is fixed by rule, such as an ISO code).`,
            properties: { table: displayRelation(column.table), column: column.name, type: `char(${length})` },
          });
        }
      },
    };
  },
});

/** The `n` of `varchar(n)`/`char(n)` when written (a bare `char` carries an implicit 1 with no location). */
function explicitLength(column: DeclaredColumn): number | undefined {
  const mod = column.typeName?.typmods?.[0]?.A_Const;
  if (!mod || mod.ival === undefined) return undefined;
  if ((mod.location ?? -1) < 0) return undefined;
  return mod.ival.ival ?? 0;
}
