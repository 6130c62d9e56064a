import type { Catalog, Index, Table } from '../../src/catalog/catalog.js';
import type { QueryShape } from '../../src/code/catalogue/types.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import { ownEffects } from '../../src/code/own-effects.js';
import { defineRule } from '../../src/core/rule.js';
import { snakeCase as snake } from '../../src/core/naming.js';

/** Filter kinds an index lookup serves (a LIKE with a leading wildcard or a `NOT` does not). */
const INDEXABLE = new Set(['eq', 'in', 'range', 'null']);

export default defineRule<{ ignoreTables: string[] }>({
  id: 'no-unindexed-query',
  family: 'code',
  meta: {
    description: 'A query in code filters a table on columns that no index of the migrated schema can serve.',
    rationale:
      'Without an index whose leading column is one of the filter columns, PostgreSQL reads the whole table for every call: latency and I/O grow with the table, and a hot endpoint turns into sequential scans that crowd out everything else.',
    remedy: 'Add an index that leads with the equality columns (then the range or sort column), built with CREATE INDEX CONCURRENTLY in its own migration.',
    severity: 'warning',
    precision: 'high',
    tags: ['performance', 'index', 'cross-artifact'],
    recommended: true,
    sources: {},
    options: {
      type: 'object',
      properties: {
        ignoreTables: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Small lookup tables (countries, currencies…) where a scan is as cheap as an index.',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { ignoreTables: [] },
  },
  check(ctx) {
    const { analysis } = ctx;
    if (analysis.catalogs.length === 0) return;
    const ignored = new Set((ctx.options.ignoreTables ?? []).map((t) => t.toLowerCase()));
    for (const effect of ownEffects(analysis)) {
      const query = effect.facts.query;
      if (!query || (effect.facts.kind !== 'db.read' && effect.facts.kind !== 'db.write' && effect.facts.kind !== 'db.query')) continue;
      const found = findTable(analysis, query);
      if (!found) continue;
      const { table, catalog, columns } = found;
      if (ignored.has(table.name.toLowerCase()) || ignored.has(table.key.toLowerCase())) continue;
      const filters: Array<{ column: string; op: string }> = [];
      let unknownColumn = false;
      for (const f of query.filters) {
        const column = columns(f.column);
        if (!column) unknownColumn = true;
        else if (INDEXABLE.has(f.op)) filters.push({ column, op: f.op });
      }
      // A column the schema does not know means the mapping is off: say nothing rather than guess.
      if (unknownColumn || filters.length === 0) continue;
      const indexes = catalog.indexesOf(table.key);
      const sort = query.orderBy.map(columns).filter((c): c is string => c !== undefined);
      if (indexes.some((ix) => serves(ix, filters, sort[0]))) continue;
      const suggestion = suggest(table, filters, query.orderBy.map(columns).filter((c): c is string => c !== undefined));
      const names = [...new Set(filters.map((f) => `\`${f.column}\``))].join(', ');
      ctx.report({
        node: effect.node,
        file: effect.file,
        message: `\`${effect.facts.api}\` filters \`${table.name}\` on ${names}, and no index of \`${table.name}\` starts with ${filters.length > 1 ? 'any of these columns' : 'it'}.`,
        why: `Every call reads all of \`${table.name}\` (a sequential scan): fine on a small table, but its cost grows with every row, and a frequent query on a large table saturates I/O and CPU for everything else.`,
        remedy: `Add the index in a new migration: \`${suggestion}\` (CONCURRENTLY keeps writes flowing while it builds; run it outside a transaction).`,
        related: [{ file: table.origin.file, range: table.origin.range, message: `\`${table.name}\` is defined here` }],
        properties: { table: table.name, columns: filters.map((f) => f.column).join(',') },
      });
    }
  },
});

/** The catalog table a query names, and how its names map to columns. */
function findTable(analysis: CodeAnalysis, query: QueryShape): { table: Table; catalog: Catalog; columns: (name: string) => string | undefined } | undefined {
  const prisma = query.model === 'prisma' ? analysis.prisma.model(query.table) : undefined;
  const names = prisma ? [prisma.table] : query.model === 'prisma' ? [capitalize(query.table), query.table] : [query.table, query.table.toLowerCase(), snake(query.table)];
  for (const catalog of [...analysis.catalogs].reverse()) {
    for (const name of names) {
      const key = name.includes('.') ? name : `public.${name}`;
      const table = catalog.table(key);
      if (!table || table.kind !== 'table') continue;
      const columns = (field: string): string | undefined => {
        const mapped = prisma?.columns.get(field) ?? field;
        for (const c of [mapped, mapped.toLowerCase(), snake(mapped)]) if (table.columns.has(c)) return c;
        return undefined;
      };
      return { table, catalog, columns };
    }
  }
  return undefined;
}

/**
 * Whether an index can serve the lookup: its leading key is one of the filter columns (the leading-column
 * rule), its method can answer that kind of filter, and a partial index's predicate only mentions columns
 * the query also filters on (then the query can prove it).
 */
function serves(ix: Index, filters: Array<{ column: string; op: string }>, sortColumn: string | undefined): boolean {
  const lead = ix.keys ? ix.keys[0]?.column : ix.columns[0];
  if (!lead) return false;
  const onLead = filters.filter((f) => f.column === lead);
  // An index on the sort column serves `… ORDER BY x LIMIT n` by reading in order (the queue pattern:
  // `WHERE published_at IS NULL ORDER BY created_at` on a partial index over created_at).
  if (onLead.length === 0 && !(ix.method === 'btree' && sortColumn === lead)) return false;
  if (ix.method === 'hash' && !onLead.some((f) => f.op === 'eq')) return false;
  if (ix.method !== 'btree' && ix.method !== 'hash') return false;
  if (ix.partial && ix.predicate) {
    const predicateColumns = columnsOf(ix.predicate);
    if (!predicateColumns.every((c) => filters.some((f) => f.column === c))) return false;
  }
  return true;
}

/** Column names a partial index's WHERE mentions (from its stored syntax tree). */
function columnsOf(predicateJson: string): string[] {
  const out = new Set<string>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.ColumnRef && typeof o.ColumnRef === 'object') {
        const fields = (o.ColumnRef as { fields?: Array<{ String?: { sval?: string } }> }).fields ?? [];
        const last = fields[fields.length - 1]?.String?.sval;
        if (last) out.add(last);
      }
      Object.values(o).forEach(visit);
    }
  };
  try {
    visit(JSON.parse(predicateJson));
  } catch {
    return ['\0unknown'];
  }
  return [...out];
}

/** `CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at)`. */
function suggest(table: Table, filters: Array<{ column: string; op: string }>, orderBy: string[]): string {
  const cols: string[] = [];
  for (const f of filters) if ((f.op === 'eq' || f.op === 'in' || f.op === 'null') && !cols.includes(f.column)) cols.push(f.column);
  const range = filters.find((f) => f.op === 'range' && !cols.includes(f.column));
  if (range) cols.push(range.column);
  else if (orderBy[0] && !cols.includes(orderBy[0]) && cols.length > 0) cols.push(orderBy[0]);
  let name = `${table.name}_${cols.join('_')}_idx`;
  if (Buffer.byteLength(name) > 63) name = `${name.slice(0, 59)}_idx`;
  const relation = table.schema && table.schema !== 'public' ? `${table.schema}.${table.name}` : table.name;
  return `CREATE INDEX CONCURRENTLY ${name} ON ${relation} (${cols.join(', ')});`;
}


function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
