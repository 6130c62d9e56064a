import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { alterCommands, rangeVarKey } from '../../src/sql/ast.js';
import { displayRelation, identToken, createdThisMigration } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-drop-column',
  family: 'migration',
  meta: {
    description: '`ALTER TABLE … DROP COLUMN` of a column that existed before this migration.',
    rationale:
      'Dropping a column deletes its value in every row, and application versions still running during the deploy keep selecting and inserting it: their queries fail until the last old instance is gone.',
    remedy:
      'First stop reading and writing the column in the code (and tell the ORM to forget it) and deploy; drop the column in a later migration.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'data-loss', 'compatibility'],
    recommended: true,
    sources: {
      squawk: 'ban-drop-column',
      strongMigrations: 'remove_column',
      atlas: 'DS103',
      pgfence: 'drop-column',
    },
  },
  create(ctx) {
    const created = createdThisMigration(ctx);
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return;
        const key = rangeVarKey(n.relation);
        created.record(stmt);
        const table = ctx.state.catalog.table(key);
        // A table created in this same migration has no data and no client yet.
        if (created.table(key)) return;
        const name = displayRelation(key);
        let after = -1;
        for (const cmd of alterCommands(n)) {
          if (cmd.subtype !== 'AT_DropColumn' || !cmd.name) continue;
          const range = dropColumnRange(stmt, cmd.name, after);
          if (range) after = range.end;
          const column = table?.columns.get(cmd.name);
          // Added earlier in this same migration: nothing has read or written it yet.
          if (created.column(key, cmd.name)) continue;
          // `IF EXISTS` of a column the migration history does not know: cannot tell whether it exists.
          if (!column && cmd.missing_ok) continue;
          // A generated column dropped to change its expression (before PostgreSQL 17 there is no SET
          // EXPRESSION) and re-added in the same transaction: its values are recomputed, and no client sees
          // it missing.
          if (column?.generated && readdedInTransaction(ctx, stmt, key, cmd.name)) continue;
          const cascade = cmd.behavior === 'DROP_CASCADE';
          ctx.report({
            stmt,
            range,
            message: `\`DROP COLUMN ${cmd.name}\` deletes \`${name}.${cmd.name}\` and its value in every row${cascade ? '; CASCADE also drops the views and constraints that use it' : ''}.`,
            why:
              `The values cannot come back: a down migration can re-add \`${cmd.name}\`, but empty. ` +
              `Application versions still running during the deploy fail with "column does not exist" on every query that names \`${cmd.name}\`, ` +
              'including ORMs that list every mapped column in their SELECT and INSERT (Active Record, Prisma, TypeORM, Hibernate, Django).',
            remedy:
              `Make the code stop reading and writing \`${cmd.name}\` and make the ORM forget it (Rails \`ignored_columns\`, remove the field from the Prisma schema or the entity), deploy that, then drop the column in a later migration.`,
            properties: { table: name, column: cmd.name, cascade },
          });
        }
      },
    };
  },
});

/** `ADD COLUMN <column>` on the same table later in this statement, or later in the same open transaction. */
function readdedInTransaction(ctx: MigrationContext<any>, stmt: SqlStatement, key: string, column: string): boolean {
  const adds = (s: SqlStatement, after = false) => {
    let seenDrop = !after;
    for (const cmd of alterCommands(s.node)) {
      if (cmd.subtype === 'AT_DropColumn' && cmd.name === column) seenDrop = true;
      else if (seenDrop && cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname === column) return true;
    }
    return false;
  };
  if (adds(stmt, true)) return true;
  if (!ctx.state.transaction.active) return false;
  for (const later of ctx.state.statements.slice(ctx.state.index + 1)) {
    // A COMMIT ends the transaction: clients may see the table without the column from then on.
    if (later.kind === 'TransactionStmt') return false;
    if (later.kind === 'AlterTableStmt' && !later.viaDo && rangeVarKey(later.node.relation) === key && adds(later)) return true;
  }
  return false;
}

/** `DROP [COLUMN] [IF EXISTS] name`: from DROP to the column name, or undefined when not found. */
function dropColumnRange(stmt: SqlStatement, column: string, after: number): Range | undefined {
  const toks = stmt.tokens;
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== 'DROP' || toks[i].start <= after) continue;
    let j = i + 1;
    if (toks[j]?.kind === 'COLUMN') j++;
    if (toks[j]?.kind === 'IF' && toks[j + 1]?.kind === 'EXISTS') j += 2;
    const tok = toks[j];
    if (!tok) continue;
    const named = identToken(stmt, column, tok.start - 1);
    if (named && named.start === tok.start) return { start: toks[i].start, end: tok.end };
  }
  return undefined;
}
