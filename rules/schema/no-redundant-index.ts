import type { Catalog, Index, IndexKey, Table } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { displayRelation, indexElementTexts, quoteIdent, tableName } from './places.js';

/** The index's keys in detail; an index the catalog read without them (an unusual path) is never compared. */
function keysOf(index: Index): IndexKey[] | undefined {
  return index.keys;
}

const sameKey = (a: IndexKey, b: IndexKey) =>
  a.column === b.column && a.expression === b.expression && a.opclass === b.opclass && a.collation === b.collation && a.order === b.order;

/** How the keys read in a message: `customer_id`, `created_at DESC`, `lower(email)` (an expression as written). */
function describe(index: Index): string {
  const keys = keysOf(index) ?? [];
  let written: string[] | undefined;
  return keys
    .map((k, i) => {
      if (k.column === undefined) {
        written ??= indexElementTexts(index.origin) ?? [];
        return written[i] ?? 'an expression';
      }
      const name = quoteIdent(k.column);
      return k.order.startsWith('desc') ? `${name} DESC` : name;
    })
    .join(', ');
}

/**
 * Whether `covering` does everything `index` does, so `index` can go:
 * - same table, same access method, same predicate (both complete, or equal WHERE clauses);
 * - a unique index enforces something, so only an identical unique (or primary) index covers it;
 * - otherwise, for a B-tree, its keys are a leading prefix of `covering`'s keys (same column or
 *   expression, operator class, collation and order); other methods only an identical key list;
 * - its INCLUDE columns are among `covering`'s columns (an index-only scan still finds them).
 */
function covers(covering: Index, index: Index): boolean {
  const a = keysOf(index);
  const b = keysOf(covering);
  if (!a || !b || a.length === 0) return false;
  if (covering.method !== index.method || (covering.predicate ?? '') !== (index.predicate ?? '')) return false;
  if (covering.partial !== index.partial) return false;
  if (index.partial && index.predicate === undefined) return false;
  if (index.unique) {
    if (!covering.unique || b.length !== a.length || Boolean(covering.nullsNotDistinct) !== Boolean(index.nullsNotDistinct)) return false;
  } else if (index.method !== 'btree' ? b.length !== a.length : b.length < a.length) {
    return false;
  }
  if (!a.every((k, i) => sameKey(k, b[i]))) return false;
  const available = new Set([...b.map((k) => k.column), ...(covering.include ?? [])]);
  return (index.include ?? []).every((c) => available.has(c));
}

/** Indexes that enforce a constraint other than by uniqueness alone (primary key, exclusion): never redundant. */
function enforcesConstraint(table: Table | undefined, index: Index): boolean {
  if (index.primary) return true;
  const c = table?.constraints.get(index.name);
  return c?.type === 'exclusion' || c?.type === 'primary';
}

function drop(catalog: Catalog, table: Table | undefined, index: Index): string {
  const owner = table?.constraints.get(index.name);
  if (owner && table) {
    const relation = tableName(table);
    return `\`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(index.name)};\``;
  }
  const schema = index.key.slice(0, index.key.length - index.name.length - 1);
  const name = schema === 'public' ? quoteIdent(index.name) : `${quoteIdent(schema)}.${quoteIdent(index.name)}`;
  return table?.partitioned ? `\`DROP INDEX ${name};\`` : `\`DROP INDEX CONCURRENTLY ${name};\` (outside a transaction)`;
}

export default defineRule({
  id: 'no-redundant-index',
  family: 'schema',
  meta: {
    description: 'An index whose keys are a leading prefix of another index of the same kind, predicate and table (or that duplicates one).',
    rationale:
      'A B-tree on (a, b) serves every lookup and sort that one on (a) serves. The narrower index adds nothing for reads, but every INSERT, and every UPDATE that changes an indexed column, writes it too: more WAL, disk, cache and vacuum work for no gain.',
    remedy: 'Drop the redundant index (`DROP INDEX CONCURRENTLY …`, outside a transaction) after checking the covering index is valid in production.',
    severity: 'warning',
    precision: 'high',
    tags: ['schema', 'performance'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { catalog } = ctx;
    const byTable = new Map<string, Index[]>();
    for (const index of catalog.indexes.values()) {
      const list = byTable.get(index.table) ?? [];
      list.push(index);
      byTable.set(index.table, list);
    }
    for (const [tableKey, indexes] of byTable) {
      const table = catalog.table(tableKey);
      if (table?.temporary) continue;
      indexes.forEach((index, position) => {
        if (enforcesConstraint(table, index)) return;
        // Of two identical indexes only the later one is reported (the pair counts once).
        const coverers = indexes.filter((other, j) => {
          if (other === index || !covers(other, index)) return false;
          const identical = covers(index, other) && index.unique === other.unique && !other.primary;
          return !identical || j < position;
        });
        if (coverers.length === 0) return;
        // Point at the widest covering index: the one that stays.
        const covering = coverers.sort((x, y) => (keysOf(y)!.length - keysOf(x)!.length) || Number(y.unique) - Number(x.unique))[0];
        const shown = displayRelation(tableKey);
        const same = keysOf(covering)!.length === keysOf(index)!.length;
        const kind = index.unique ? 'unique index' : 'index';
        const owner = table?.constraints.get(covering.name);
        const role = covering.primary ? ', the primary key' : owner?.type === 'unique' ? `, the index PostgreSQL built for the UNIQUE constraint` : '';
        const what = same
          ? `duplicates \`${covering.name}\` (${describe(covering)})${role}`
          : `is covered by \`${covering.name}\` (${describe(covering)}): its keys are the leading keys of that index`;
        ctx.report({
          file: index.origin.file,
          range: index.origin.range,
          message: `The ${kind} \`${index.name}\` on \`${shown}\` (${describe(index)}) ${what}${index.partial ? ', with the same WHERE clause' : ''}.`,
          why: index.unique
            ? `\`${covering.name}\` already enforces the same uniqueness on the same keys and serves the same lookups. Every INSERT, and every UPDATE that changes an indexed column, still writes both: double the index WAL, disk and cache for one guarantee.`
            : `\`${covering.name}\` serves every lookup, range scan and sort on (${describe(index)}) that \`${index.name}\` serves. Every INSERT, and every UPDATE that changes an indexed column, still writes both: extra WAL, disk, cache and vacuum work for no read it makes faster.`,
          remedy: `Drop it: ${drop(catalog, table, index)}, after checking \`${covering.name}\` is valid in production. Keep it only if a measured query is faster with the smaller index, and then say so in a comment.`,
          related: [{ file: covering.origin.file, range: covering.origin.range, message: `\`${covering.name}\` covers \`${index.name}\`` }],
          properties: { table: shown, index: index.name, coveredBy: covering.name },
        });
      });
    }
  },
});
