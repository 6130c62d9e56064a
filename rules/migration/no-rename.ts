import { defineRule } from '../../src/core/rule.js';
import { alterCommands, listKey, rangeVarKey, strings } from '../../src/sql/ast.js';
import { displayRelation } from '../../src/rules/helpers.js';

const RELATION_KINDS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

export default defineRule({
  id: 'no-rename',
  family: 'migration',
  meta: {
    description: 'Renaming a table, view, column, schema, type or enum value that running code uses.',
    rationale:
      'The rename is instant, but application versions still running during the deploy keep using the old name: their queries fail until the last old instance is gone, and a rollback of the code breaks the same way.',
    remedy:
      'Expand and contract: add the new name next to the old one (a new column kept in sync, or a view with the old table name), switch the code, and remove the old name in a later migration.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'compatibility'],
    recommended: true,
    sources: {
      squawk: 'renaming-table, renaming-column, renaming-object',
      strongMigrations: 'rename_table, rename_column',
      atlas: 'BC101, BC102',
      pgfence: 'rename-table, rename-column, rename-schema',
    },
  },
  create(ctx) {
    const schemasHere = new Set<string>();
    const enumValuesHere = new Set<string>();
    /** Columns added by this script, also on tables the catalog does not know. */
    const columnsHere = new Set<string>();
    /** Composite and range types created by this script (the catalog tracks only enums). */
    const typesHere = new Set<string>();
    const fresh = (origin?: { migrationId: string }) => origin?.migrationId === ctx.migration.id;
    return {
      AlterTableStmt(stmt) {
        const key = rangeVarKey(stmt.node.relation);
        for (const cmd of alterCommands(stmt.node)) {
          if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname) columnsHere.add(`${key}.${cmd.def.ColumnDef.colname}`);
        }
      },
      CompositeTypeStmt(stmt) {
        typesHere.add(rangeVarKey(stmt.node.typevar));
      },
      CreateRangeStmt(stmt) {
        typesHere.add(listKey(stmt.node.typeName));
      },
      CreateSchemaStmt(stmt) {
        const s = stmt.node.schemaname;
        if (s && !ctx.state.catalog.schemas.has(s)) schemasHere.add(s);
      },
      AlterEnumStmt(stmt) {
        const n = stmt.node;
        const key = listKey(n.typeName);
        const e = ctx.state.catalog.enums.get(key);
        if (!n.oldVal) {
          if (n.newVal) enumValuesHere.add(`${key}:${n.newVal}`);
          return;
        }
        // RENAME VALUE of a type or a value created by this migration: nothing uses it yet.
        if (fresh(e?.origin) || enumValuesHere.has(`${key}:${n.oldVal}`)) {
          enumValuesHere.add(`${key}:${n.newVal}`);
          return;
        }
        const type = displayRelation(key);
        ctx.report({
          stmt,
          message: `Renaming value '${n.oldVal}' of enum \`${type}\` to '${n.newVal}' breaks code that still reads or writes '${n.oldVal}'.`,
          why:
            `Running application versions send '${n.oldVal}' (PostgreSQL rejects it: "invalid input value for enum") and compare rows against it; ` +
            'generated enum types in the code (Prisma, TypeORM, hand-written unions) stop matching what the database returns.',
          remedy:
            `Add '${n.newVal}' as a new value in its own migration, deploy code that accepts both and writes '${n.newVal}', move the rows (\`UPDATE … SET col = '${n.newVal}' WHERE col = '${n.oldVal}'\`, in batches), then stop accepting '${n.oldVal}' (enum values cannot be removed without recreating the type).`,
          properties: { kind: 'enum value', type, from: n.oldVal, to: n.newVal },
        });
      },
      RenameStmt(stmt) {
        const n = stmt.node;
        const kind = RELATION_KINDS[n.renameType];
        if (kind) {
          const key = rangeVarKey(n.relation);
          const table = ctx.state.catalog.table(key);
          if (table && (ctx.isNewTable(key) || fresh(table.origin))) return;
          const from = displayRelation(key);
          const to = n.newname;
          ctx.report({
            stmt,
            message: `Renaming ${kind} \`${from}\` to \`${to}\` breaks every running query that still names \`${from}\`.`,
            why: `Application versions still running during the deploy (and other services, reports, cron jobs) fail with "relation ${n.relation?.relname} does not exist" until they are all replaced; rolling the code back fails the same way.`,
            remedy:
              kind === 'table'
                ? `Rename and, in the same transaction, create a view with the old name (\`CREATE VIEW ${from} AS SELECT * FROM ${table?.schema && table.schema !== 'public' ? `${table.schema}.` : ''}${to}\`: a simple view accepts reads and writes); switch the code to \`${to}\`, then drop the view in a later migration.`
                : `Create the ${kind} under the new name next to the old one, switch the code to \`${to}\`, then drop \`${from}\` in a later migration.`,
            properties: { kind, from, to },
          });
          return;
        }
        switch (n.renameType) {
          case 'OBJECT_COLUMN': {
            const key = rangeVarKey(n.relation);
            const table = ctx.state.catalog.table(key);
            if (table && (ctx.isNewTable(key) || fresh(table.origin))) return;
            if (fresh(table?.columns.get(n.subname)?.origin)) return;
            if (columnsHere.has(`${key}.${n.subname}`)) {
              // Added by this script: later statements use the new name, which is just as new.
              columnsHere.add(`${key}.${n.newname}`);
              return;
            }
            const rel = displayRelation(key);
            ctx.report({
              stmt,
              message: `Renaming column \`${rel}.${n.subname}\` to \`${n.newname}\` breaks every running query that still names \`${n.subname}\`.`,
              why:
                `Application versions still running during the deploy select and insert \`${n.subname}\` and fail with "column does not exist" until they are all replaced; ` +
                'ORMs that list mapped columns (Active Record, Prisma, TypeORM, Hibernate) fail even where the code never mentions the column.',
              remedy: `Expand and contract: add \`${n.newname}\`, write to both columns, backfill \`${n.newname}\` in batches, switch reads to it, stop writing \`${n.subname}\`, then drop \`${n.subname}\` in a later migration.`,
              properties: { kind: 'column', table: rel, from: n.subname, to: n.newname },
            });
            return;
          }
          case 'OBJECT_SCHEMA': {
            if (schemasHere.has(n.subname)) return;
            ctx.report({
              stmt,
              message: `Renaming schema \`${n.subname}\` to \`${n.newname}\` breaks every query, search_path and connection setting that names \`${n.subname}\`.`,
              why: `Running code that qualifies names with \`${n.subname}.\` or sets \`search_path\` to it fails to find any of its tables, functions and types until every instance is updated.`,
              remedy: `Create \`${n.newname}\` and move objects with \`ALTER … SET SCHEMA\` one at a time behind compatibility views, or keep the schema name and change only the code's configuration.`,
              properties: { kind: 'schema', from: n.subname, to: n.newname },
            });
            return;
          }
          case 'OBJECT_TYPE': {
            const key = listKey(n.object?.List?.items ?? (n.object?.TypeName?.names as any[]));
            if (!key) return;
            const e = ctx.state.catalog.enums.get(key);
            if (fresh(e?.origin) || typesHere.has(key)) return;
            const from = displayRelation(key);
            const last = strings(n.object?.List?.items).pop() ?? from;
            ctx.report({
              stmt,
              message: `Renaming type \`${from}\` to \`${n.newname}\` breaks running queries that cast to \`${last}\`.`,
              why: `Columns keep working (they reference the type by its identifier), but SQL that names the type (\`'x'::${last}\`, casts generated by ORMs such as Prisma for enum parameters, function signatures in other code) fails until every instance is updated.`,
              remedy: `Keep the old type name until no deployed code names it; if you must rename, first deploy code that does not name the type (or names both), then rename in a later migration.`,
              properties: { kind: 'type', from, to: n.newname },
            });
            return;
          }
          default:
            // Indexes, constraints, sequences, triggers, policies: application queries do not name them, and
            // the database references them by identifier, so renaming them is harmless to running code.
            // Functions may be called by name, but many are trigger functions referenced by identifier:
            // stay silent rather than guess (documented under Known limits).
            return;
        }
      },
    };
  },
});
