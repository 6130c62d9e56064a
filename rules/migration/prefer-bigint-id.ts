import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, displayRelation } from '../../src/locks/lock-table.js';
import type { MigrationContext } from '../../src/core/rule.js';
import { alterCommands, rangeVarKey, strings } from '../../src/sql/ast.js';
import {
  columnLabel,
  declaredColumns,
  displayType,
  maxValueOf,
  narrowKey,
  referencedColumnType,
  type DeclaredColumn,
  typeLocated,
  type NarrowKey,
} from '../../src/rules/declared-columns.js';

export default defineRule({
  id: 'prefer-bigint-id',
  family: 'migration',
  meta: {
    description:
      'A key declared `integer`/`smallint`/`serial`/`smallserial`: an identity or sequence-fed column, an `integer` primary key, or a foreign key to a `bigint` key.',
    rationale:
      'Keys only grow: an `integer` key stops at 2,147,483,647 (a `smallint` one at 32,767) and every INSERT after that fails. Widening it later rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, together with every column that references it.',
    remedy: 'Declare keys `bigint` (`bigint GENERATED … AS IDENTITY` or `bigserial`), and foreign keys with the type of the key they reference.',
    severity: 'warning',
    precision: 'high',
    tags: ['style', 'overflow'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'prefer-bigint-over-int',
      pgfence: 'prefer-bigint-over-int',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        const columns = declaredColumns(stmt, ctx.state.catalog);
        for (const column of columns) {
          const key = narrowKey(column, columns, ctx.state.catalog);
          if (!key || !column.type) continue;
          // A primary key that is also a foreign key to a narrow key (a 1:1 table: `team_settings.team_id`
          // → `teams.id`) hands out no ids of its own: its range is the referenced key's, reported there.
          // Widening it alone would break the rule that a foreign key has its target's type.
          if (key.reason === 'primary-key' && referencesNarrowKey(ctx, column, columns)) continue;
          const wider = column.type === 'serial' || column.type === 'smallserial' ? 'bigserial' : 'bigint';
          const rewrite = `Widening it later is \`ALTER COLUMN … TYPE bigint\`: a rewrite of the table and its indexes under an ACCESS EXCLUSIVE lock, which blocks ${describeBlocked('ACCESS EXCLUSIVE')} for the whole rewrite`;
          ctx.report({
            stmt,
            range: column.typeRange,
            message: message(column, key),
            why:
              key.reason === 'foreign-key'
                ? `Once \`${columnLabel(key.referenced!.table, key.referenced!.column)}\` hands out ids above ${maxValueOf(column.type)}, rows pointing at them cannot be stored here ("integer out of range"). ${rewrite}.`
                : `The key only grows: past ${maxValueOf(column.type)} every INSERT fails (${key.reason === 'primary-key' ? '"integer out of range"' : '"reached maximum value of sequence"'}). ${rewrite}, plus the same change on every column that references it.`,
            remedy:
              key.reason === 'foreign-key'
                ? `Declare \`${column.name}\` as \`bigint\`, the type of \`${columnLabel(key.referenced!.table, key.referenced!.column)}\`.`
                : `Declare \`${column.name}\` as \`${wider}\`${column.identity ? ' (`bigint GENERATED … AS IDENTITY`)' : ''}: a few bytes per row, far cheaper than the migration you would need later.`,
            fix: column.array || !typeLocated(column)
              ? undefined
              : {
                  description: `Declare \`${column.name}\` as \`${wider}\``,
                  safe: false,
                  edits: [{ range: column.typeRange, text: wider }],
                },
            properties: { table: displayRelation(column.table), column: column.name, type: displayType(column.type) },
          });
        }
      },
    };
  },
});

const NARROW_TARGETS = new Set(['int2', 'int4', 'serial', 'smallserial']);

/**
 * Whether `column` references an `integer`/`smallint` key: inline or in its CREATE TABLE, or through an
 * `ALTER TABLE … ADD … FOREIGN KEY` later in the same migration (the order Prisma and other generators
 * write: every table first, then the foreign keys).
 */
function referencesNarrowKey(ctx: MigrationContext<any>, column: DeclaredColumn, sameStatement: DeclaredColumn[]): boolean {
  const refs = [...column.references];
  for (const later of ctx.state.statements.slice(ctx.state.index + 1)) {
    if (later.kind !== 'AlterTableStmt' || later.viaDo || rangeVarKey(later.node.relation) !== column.table) continue;
    for (const cmd of alterCommands(later.node)) {
      const c = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
      if (c?.contype !== 'CONSTR_FOREIGN' || !c.pktable) continue;
      const at = strings(c.fk_attrs).indexOf(column.name);
      if (at >= 0) refs.push({ table: rangeVarKey(c.pktable), column: strings(c.pk_attrs)[at] });
    }
  }
  return refs.some((ref) => {
    const target = referencedColumnType(ref, sameStatement, ctx.state.catalog);
    return target?.type !== undefined && NARROW_TARGETS.has(target.type);
  });
}

function message(column: DeclaredColumn, key: NarrowKey): string {
  const label = columnLabel(column.table, column.name);
  const type = displayType(column.type!);
  const is = column.kind === 'alter-type' ? ' is changed to' : ' is';
  const max = maxValueOf(column.type!);
  switch (key.reason) {
    case 'identity':
      return `Identity column \`${label}\`${is} \`${type}\`: its values run out at ${max}.`;
    case 'serial':
      return `\`${label}\` is \`${type}\`, a sequence-fed ${column.type === 'smallserial' ? 'smallint' : 'integer'} that runs out at ${max}.`;
    case 'sequence':
      return `\`${label}\`${is} \`${type}\` but takes its values from a sequence: it runs out at ${max}.`;
    case 'primary-key':
      return `Primary key \`${label}\`${is} \`${type}\`: it runs out at ${max}.`;
    case 'foreign-key':
      return `\`${label}\`${is} \`${type}\` but references \`${columnLabel(key.referenced!.table, key.referenced!.column)}\`, a bigint key.`;
  }
}
