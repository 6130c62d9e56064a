import type { Catalog, Index, Table } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { columnList, constraintPlace, displayRelation, indexNameFor, tableName } from './places.js';

/** Plain-column names of an index's keys (an expression key ends the usable prefix: `undefined`). */
function keyColumns(index: Index): Array<string | undefined> {
  if (index.keys) return index.keys.map((k) => k.column);
  return index.columns.map((c) => (c === '(expression)' ? undefined : c));
}

/**
 * An index serves the lookups a foreign key needs (`WHERE fk_a = $1 AND fk_b = $2`, on every parent
 * DELETE and key UPDATE) when its first keys are the foreign key's columns, in any order: equality on
 * all of them lets PostgreSQL descend the index. A partial index leaves rows out; a BRIN index is a
 * lossy summary, not a lookup structure.
 */
export function servesForeignKey(index: Index, columns: string[]): boolean {
  if (index.partial || index.method === 'brin') return false;
  const prefix = keyColumns(index).slice(0, columns.length);
  if (prefix.length < columns.length || prefix.some((c) => c === undefined)) return false;
  const wanted = new Set(columns);
  return prefix.every((c) => wanted.has(c!)) && new Set(prefix).size === wanted.size;
}

/** The indexes that can serve lookups on a table: its own, its ancestors' (partitioned indexes cascade), its partitions'. */
function indexesServing(catalog: Catalog, byTable: Map<string, Index[]>, table: Table): { own: Index[]; partitions: Index[] } {
  const own = [...(byTable.get(table.key) ?? [])];
  const seen = new Set([table.key]);
  for (let parent = table.partitionOf; parent && !seen.has(parent); parent = catalog.table(parent)?.partitionOf) {
    seen.add(parent);
    own.push(...(byTable.get(parent) ?? []));
  }
  const partitions = table.partitioned
    ? [...catalog.tables.values()].filter((t) => t.partitionOf === table.key).flatMap((t) => byTable.get(t.key) ?? [])
    : [];
  return { own, partitions };
}

export default defineRule({
  id: 'require-fk-index',
  family: 'schema',
  meta: {
    description: 'A foreign key whose columns are not the leading columns of any index on the referencing table.',
    rationale:
      'PostgreSQL does not index the referencing side of a foreign key. Every DELETE of a parent row (and every UPDATE of its key) looks for child rows: without an index that is a sequential scan of the child table, made while the parent row stays locked, and ON DELETE CASCADE / SET NULL write under that scan. Joins from parent to children scan too.',
    remedy:
      'Create an index whose leading columns are the foreign key columns: `CREATE INDEX CONCURRENTLY <table>_<cols>_idx ON <table> (<cols>);` in a migration that runs outside a transaction.',
    severity: 'warning',
    precision: 'high',
    tags: ['schema', 'performance', 'locks'],
    recommended: true,
    sources: { eugene: 'E15' },
  },
  check(ctx) {
    const { catalog } = ctx;
    const byTable = new Map<string, Index[]>();
    for (const index of catalog.indexes.values()) {
      const list = byTable.get(index.table) ?? [];
      list.push(index);
      byTable.set(index.table, list);
    }
    for (const table of catalog.tables.values()) {
      if (table.kind !== 'table' || table.temporary) continue;
      const foreignKeys = [...table.constraints.values()].filter((c) => c.type === 'foreign' && c.columns.length > 0);
      if (foreignKeys.length === 0) continue;
      const { own, partitions } = indexesServing(catalog, byTable, table);
      for (const fk of foreignKeys) {
        if (own.some((i) => servesForeignKey(i, fk.columns))) continue;
        // Indexes built partition by partition serve the lookups too (PostgreSQL plans them per partition).
        if (partitions.some((i) => servesForeignKey(i, fk.columns))) continue;
        const shown = displayRelation(table.key);
        const parent = fk.refTable ? displayRelation(fk.refTable) : 'the referenced table';
        const cols = columnList(fk.columns);
        const relation = tableName(table);
        const name = indexNameFor(table.name, fk.columns, (n) => catalog.indexes.has(`${table.schema}.${n}`));
        const partial = own.find((i) => i.partial && servesForeignKey({ ...i, partial: false }, fk.columns));
        const create = table.partitioned
          ? `\`CREATE INDEX ${name} ON ONLY ${relation} (${cols});\`, then \`CREATE INDEX CONCURRENTLY\` the same index on each partition and \`ALTER INDEX ${name} ATTACH PARTITION …\` each one (PostgreSQL cannot build an index on a partitioned table concurrently)`
          : `\`CREATE INDEX CONCURRENTLY ${name} ON ${relation} (${cols});\``;
        ctx.report({
          file: fk.origin.file,
          range: constraintPlace(fk),
          message: `Foreign key \`${fk.name}\` (\`${shown}\` (${cols}) → \`${parent}\`) has no index on \`${shown}\` (${cols})${partial ? `: \`${partial.name}\` is partial, so it does not cover every row` : ''}.`,
          why: `PostgreSQL does not index the referencing side of a foreign key. Each DELETE from \`${parent}\`, and each UPDATE of its key, must look for matching \`${shown}\` rows: without an index whose leading columns are (${cols}) that is a sequential scan of \`${shown}\`, run while the \`${parent}\` row stays locked — slow deletes, lock waits piling up behind them, and cascades that write under the scan. Joins from \`${parent}\` to \`${shown}\` scan it too.`,
          remedy: `Add the index: ${create}, in a migration that runs outside a transaction. ${
            fk.columns.length > 1
              ? `Any index whose leading columns are (${cols}), in any order, serves the foreign key: if a query needs a wider one, create that instead.`
              : `A wider index that starts with ${cols} (for a query that also filters or sorts on another column) serves the foreign key too: if one is needed, create that instead.`
          }`,
          properties: { table: shown, foreignKey: fk.name, columns: fk.columns.join(',') },
        });
      }
    }
  },
});
