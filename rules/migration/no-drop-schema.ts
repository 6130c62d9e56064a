import { defineRule } from '../../src/core/rule.js';
import { strings } from '../../src/sql/ast.js';
import { displayRelation, identToken } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-drop-schema',
  family: 'migration',
  meta: {
    description: '`DROP SCHEMA … CASCADE` or `DROP DATABASE` in a migration.',
    rationale:
      '`DROP SCHEMA … CASCADE` deletes every table, view, function and type in the schema with their data, and `DROP DATABASE` deletes everything; no down migration can restore the data.',
    remedy:
      'Drop the objects you mean to remove one by one (each reviewed on its own), after the code stops using them; drop the emptied schema without CASCADE.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'data-loss'],
    recommended: true,
    sources: {
      squawk: 'ban-drop-schema, ban-drop-database',
      atlas: 'DS101',
      pgfence: 'drop-schema-cascade, drop-database',
    },
  },
  create(ctx) {
    const createdHere = new Set<string>();
    return {
      CreateSchemaStmt(stmt) {
        if (stmt.node.schemaname && !ctx.state.catalog.schemas.has(stmt.node.schemaname)) createdHere.add(stmt.node.schemaname);
      },
      DropStmt(stmt) {
        const n = stmt.node;
        if (n.removeType !== 'OBJECT_SCHEMA') return;
        // Without CASCADE the drop fails unless the schema is empty: nothing can be lost.
        if (n.behavior !== 'DROP_CASCADE') return;
        let after = -1;
        for (const obj of n.objects ?? []) {
          const schema = obj.String?.sval ?? strings(obj.List?.items)[0];
          if (!schema) continue;
          if (createdHere.has(schema)) continue;
          const known = ctx.state.catalog.schemas.has(schema);
          if (!known && n.missing_ok) continue;
          const tok = n.objects.length > 1 ? identToken(stmt, schema, after) : undefined;
          if (tok) after = tok.end;
          const tables = [...ctx.state.catalog.tables.values()].filter((t) => t.schema === schema && t.kind === 'table').map((t) => displayRelation(t.key));
          const listed = tables.length > 0 ? ` (known tables: ${tables.slice(0, 5).map((t) => `\`${t}\``).join(', ')}${tables.length > 5 ? `, and ${tables.length - 5} more` : ''})` : '';
          ctx.report({
            stmt,
            range: tok ? { start: tok.start, end: tok.end } : undefined,
            message: `\`DROP SCHEMA ${schema} CASCADE\` deletes every object in \`${schema}\`${listed} together with its data.`,
            why:
              'CASCADE removes tables, views, sequences, functions and types without listing them, so the review cannot see what is lost; the rows are gone for good, and any running code or other service that uses the schema fails.',
            remedy:
              `Drop the objects in \`${schema}\` explicitly, one statement each, after the code stops using them; then \`DROP SCHEMA ${schema}\` without CASCADE, which fails instead of deleting something you forgot.`,
            properties: { schema, tables: tables.length },
          });
        }
      },
      DropdbStmt(stmt) {
        const db = stmt.node.dbname ?? '';
        ctx.report({
          stmt,
          message: `\`DROP DATABASE ${db}\` deletes the whole database.`,
          why: 'Every schema, table and row in the database is deleted; no migration can undo it, and every client connected to it breaks.',
          remedy: 'Do not drop databases from a migration: decommission a database as an operations task, after a final backup, outside the migration history.',
          properties: { database: db },
        });
      },
    };
  },
});
