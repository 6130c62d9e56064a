import type { Catalog } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { listKey, strings } from '../../src/sql/ast.js';
import { displayRelation, identToken } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-drop-table',
  family: 'migration',
  meta: {
    description: '`DROP TABLE` of a table that existed before this migration.',
    rationale:
      'Dropping a table deletes every row it holds; no down migration can bring them back, and application versions still running during the deploy fail on every query that touches it.',
    remedy:
      'Remove every use of the table from the code and deploy that first; keep a copy of the data if it may be needed, then drop the table in a later migration.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'data-loss', 'compatibility'],
    recommended: true,
    sources: {
      squawk: 'ban-drop-table',
      atlas: 'DS102',
      pgfence: 'drop-table',
    },
  },
  create(ctx) {
    return {
      DropStmt(stmt) {
        const n = stmt.node;
        if (n.removeType !== 'OBJECT_TABLE') return;
        const cascade = n.behavior === 'DROP_CASCADE';
        let after = -1;
        for (const obj of n.objects ?? []) {
          const items = obj.List?.items ?? [];
          const key = listKey(items);
          if (!key) continue;
          const table = ctx.state.catalog.table(key);
          // Created earlier in this same migration: no client has seen it, no data is lost.
          if (table && (ctx.isNewTable(key) || table.origin.migrationId === ctx.migration.id)) continue;
          // `IF EXISTS` of a table the migration history never created: defensive cleanup, or the
          // drop-then-create idiom of an idempotent script. We cannot tell whether it holds data.
          if (!table && n.missing_ok) continue;
          const name = displayRelation(key);
          // One finding per table: with several tables, point at each name.
          const tok = n.objects.length > 1 ? identToken(stmt, strings(items).pop() ?? '', after) : undefined;
          if (tok) after = tok.end;
          const referencing = cascade ? referencingTables(ctx.state.catalog, key) : [];
          ctx.report({
            stmt,
            range: tok ? { start: tok.start, end: tok.end } : undefined,
            message: `\`DROP TABLE ${name}\` deletes the table and all its rows${cascade ? ', and CASCADE also drops the views and foreign keys that depend on it' : ''}.`,
            why:
              `The data in \`${name}\` is gone for good: a down migration can recreate the table but not its rows. ` +
              `Application versions still running during the deploy (and any other service, report or job reading the table) fail on every query that names \`${name}\`.` +
              (referencing.length ? ` Foreign keys from ${referencing.map((t) => `\`${displayRelation(t)}\``).join(', ')} are dropped with it.` : ''),
            remedy:
              `Stop reading and writing \`${name}\` in the code and deploy that first; keep a copy if the data may be needed (\`pg_dump -t ${name}\`, or \`CREATE TABLE archive.${name.split('.').pop()} AS TABLE ${name}\`), then drop it in a later migration with \`-- plumbline-ignore no-drop-table: <why it is safe>\`.`,
            properties: { table: name, cascade },
          });
        }
      },
    };
  },
});

/** Tables whose foreign keys point at `key`. */
function referencingTables(catalog: Catalog, key: string): string[] {
  const out: string[] = [];
  for (const t of catalog.tables.values()) {
    if (t.key === key) continue;
    for (const c of t.constraints.values()) {
      if (c.type === 'foreign' && c.refTable === key) {
        out.push(t.key);
        break;
      }
    }
  }
  return out;
}
