import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { alterCommands, rangeVarKey } from '../../src/sql/ast.js';
import { displayRelation, identToken, keywords, createdThisMigration } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-drop-not-null',
  family: 'migration',
  meta: {
    description: '`ALTER COLUMN … DROP NOT NULL` on a column that running code reads.',
    rationale:
      'Once the column may be NULL, code written for the old contract (non-optional fields, serializers, reports, other services) meets NULLs it never handled; and after the first NULL is written, restoring NOT NULL needs a backfill.',
    remedy:
      'Deploy code that handles NULL in the column everywhere it is read first, then drop NOT NULL; make sure the column default or the writers still cover the cases that must stay non-null.',
    severity: 'warning',
    precision: 'medium',
    tags: ['one-way', 'compatibility'],
    recommended: true,
    sources: {
      squawk: 'ban-drop-not-null',
      pgfence: 'drop-not-null',
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
        if (created.table(key)) return;
        const name = displayRelation(key);
        let after = -1;
        for (const cmd of alterCommands(n)) {
          if (cmd.subtype !== 'AT_DropNotNull' || !cmd.name) continue;
          const range = dropNotNullRange(stmt, cmd.name, after);
          if (range) after = range.end;
          const column = table?.columns.get(cmd.name);
          if (created.column(key, cmd.name)) continue;
          // Already nullable as far as the history shows: the statement changes nothing.
          if (column && !column.notNull) continue;
          ctx.report({
            stmt,
            range,
            message: `\`ALTER COLUMN ${cmd.name} DROP NOT NULL\` lets NULL into \`${name}.${cmd.name}\`, which running code may assume is always set.`,
            why:
              `Code deployed before this migration (ORM models with a non-optional field, JSON serializers, reports, other services reading \`${name}\`) never handled NULL in \`${cmd.name}\` and can crash or misbehave on the first one. ` +
              'The change is also hard to undo: once NULLs are written, `SET NOT NULL` fails until every one is backfilled.',
            remedy: `Deploy code that handles a NULL \`${cmd.name}\` wherever it is read (make the field optional in the model and check its consumers) before running this migration.`,
            properties: { table: name, column: cmd.name },
          });
        }
      },
    };
  },
});

/** `ALTER [COLUMN] name DROP NOT NULL`: from the column name to NULL. */
function dropNotNullRange(stmt: SqlStatement, column: string, after: number): Range | undefined {
  let from = after;
  for (;;) {
    const tok = identToken(stmt, column, from);
    if (!tok) return undefined;
    const tail = keywords(stmt, ['DROP', 'NOT', 'NULL'], tok.end - 1);
    const next = stmt.tokens.find((t) => t.start > tok.start);
    if (tail && next && next.kind === 'DROP' && next.start === tail.start) {
      // Start at the sub-command's ALTER [COLUMN] when it is there.
      const i = stmt.tokens.indexOf(tok);
      let start = tok.start;
      if (stmt.tokens[i - 1]?.kind === 'COLUMN' && stmt.tokens[i - 2]?.kind === 'ALTER') start = stmt.tokens[i - 2].start;
      else if (stmt.tokens[i - 1]?.kind === 'ALTER') start = stmt.tokens[i - 1].start;
      return { start, end: tail.end };
    }
    from = tok.start;
  }
}
