import type { Catalog, Index, Table } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { columnList, displayRelation, indexNameFor, quoteIdent, tableName } from './places.js';

/**
 * A unique key on NOT NULL plain columns, not partial: what PostgreSQL would accept as a primary key
 * (`ADD PRIMARY KEY USING INDEX`) or as a replica identity.
 */
function candidateKey(catalog: Catalog, table: Table): Index | undefined {
  return catalog
    .indexesOf(table.key)
    .filter((i) => i.unique && !i.partial && i.method === 'btree' && (i.keys ?? []).every((k) => k.column !== undefined))
    .filter((i) => i.columns.length > 0 && i.columns.every((c) => table.columns.get(c)?.notNull))
    .sort((a, b) => a.columns.length - b.columns.length)[0];
}

export default defineRule({
  id: 'require-primary-key',
  family: 'schema',
  meta: {
    description: 'A table that has no primary key once every migration has run.',
    rationale:
      'Without a primary key rows cannot be addressed one by one: logical replication and CDC refuse UPDATE and DELETE on the table, upserts have no key to conflict on, duplicate rows slip in, and ORMs and tools like pg_repack cannot work with it.',
    remedy:
      'Declare a primary key when the table is created (`id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`, or `PRIMARY KEY (a, b)` on a natural key); on a table that already has rows, build a unique index concurrently and attach it with `ADD CONSTRAINT … PRIMARY KEY USING INDEX`.',
    severity: 'warning',
    precision: 'high',
    tags: ['schema', 'integrity', 'replication'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { catalog } = ctx;
    for (const table of catalog.tables.values()) {
      // Views are not tables; a temporary table lives for one session; a partition gets its key from its
      // partitioned table (PostgreSQL ≥ 11), which is judged instead.
      if (table.kind !== 'table' || table.temporary || table.partitionOf) continue;
      if ([...table.constraints.values()].some((c) => c.type === 'primary')) continue;
      // `REPLICA IDENTITY USING INDEX`: a unique NOT NULL key was chosen on purpose to identify rows.
      if (table.replicaIdentity === 'index') continue;
      const shown = displayRelation(table.key);
      const relation = tableName(table);
      const candidate = candidateKey(catalog, table);
      const constraintOwned = candidate && table.constraints.has(candidate.name);
      const why =
        'PostgreSQL identifies rows by the primary key: without one, logical replication (and CDC tools such as Debezium) rejects every UPDATE and DELETE on a published table, `INSERT … ON CONFLICT` has no key to conflict on, nothing stops duplicate rows, and ORMs and tools like pg_repack refuse or misbehave on the table.';
      let message = `Table \`${shown}\` has no primary key.`;
      let remedy: string;
      if (candidate) {
        const cols = columnList(candidate.columns);
        message += ` Its unique ${constraintOwned ? 'constraint' : 'index'} \`${candidate.name}\` on NOT NULL (${cols}) could be one, but is not declared as such: replication still needs an explicit replica identity, and readers of the schema cannot tell which key identifies a row.`;
        if (table.partitioned) {
          remedy = `Declare the key: \`ALTER TABLE ${relation} ADD PRIMARY KEY (${cols});\` (on a partitioned table the key must include the partition key columns, and it is built on every partition).`;
        } else if (constraintOwned) {
          const idx = indexNameFor(table.name, ['pkey'], (n) => catalog.indexes.has(`${table.schema}.${n}`), 'idx');
          remedy = `Promote the key without a long lock: \`CREATE UNIQUE INDEX CONCURRENTLY ${idx} ON ${relation} (${cols});\` then \`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(`${table.name}_pkey`)} PRIMARY KEY USING INDEX ${idx};\`, and drop the now duplicate constraint \`${candidate.name}\` once nothing references it.`;
        } else {
          remedy = `Promote the existing index: \`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(`${table.name}_pkey`)} PRIMARY KEY USING INDEX ${quoteIdent(candidate.name)};\` (the columns are already NOT NULL, so this takes a short ACCESS EXCLUSIVE lock and no scan). If the table must keep no primary key, set \`REPLICA IDENTITY USING INDEX ${quoteIdent(candidate.name)}\` instead.`;
        }
      } else {
        remedy = table.partitioned
          ? `Add a primary key that includes the partition key columns: \`ALTER TABLE ${relation} ADD PRIMARY KEY (…);\` — or declare it in the \`CREATE TABLE\` (an identity \`id\` plus the partition key).`
          : `Declare a key in the \`CREATE TABLE\`: \`id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY\`, or \`PRIMARY KEY (…)\` on the columns that identify a row. If the table already has rows, make those columns NOT NULL, \`CREATE UNIQUE INDEX CONCURRENTLY\` on them, then \`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(`${table.name}_pkey`)} PRIMARY KEY USING INDEX …;\`.`;
      }
      ctx.report({
        file: table.origin.file,
        range: table.origin.range,
        message,
        why,
        remedy,
        ...(candidate ? { related: [{ file: candidate.origin.file, range: candidate.origin.range, message: `\`${candidate.name}\` is unique on NOT NULL columns` }] } : {}),
        properties: { table: shown },
      });
    }
  },
});
