import { defineRule } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { alterCommands, indexColumns, listKey, rangeVarKey, referencedColumns, strings } from '../../src/sql/ast.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { displayRelation, quoteIdent } from '../../src/rules/helpers.js';

type Kind = 'table' | 'materialized view' | 'view' | 'column' | 'index' | 'constraint' | 'type' | 'domain' | 'schema' | 'function' | 'procedure' | 'trigger';

/** An object the up script creates, with what a down needs to know to see it removed. */
interface Created {
  kind: Kind;
  /** Catalog-style key: `schema.name` for relations, types, functions; `schema.table.name`-like for the rest. */
  key: string;
  /** Bare name, for messages and for name-only matches (indexes). */
  name: string;
  schema: string;
  /** Owning table, for columns, indexes, constraints and triggers. */
  table?: string;
  columns?: string[];
  refTable?: string;
  /** Trigger function. */
  func?: string;
  stmt: SqlStatement;
}

/** A pre-existing table or column the up drops (its data is deleted). */
interface Dropped {
  kind: 'table' | 'column';
  table: string;
  column?: string;
  stmt: SqlStatement;
}

/** What the down script removes and recreates. */
interface DownEffects {
  tables: Set<string>;
  views: Set<string>;
  indexNames: Set<string>;
  types: Set<string>;
  schemas: Set<string>;
  cascadeSchemas: Set<string>;
  functions: Set<string>;
  cascadeFunctions: Set<string>;
  triggers: Set<string>;
  columns: Set<string>;
  constraints: Set<string>;
  cascadeTables: Set<string>;
  recreatedTables: Map<string, SqlStatement>;
  recreatedColumns: Map<string, SqlStatement>;
}

export default defineRule({
  id: 'down-reverses-up',
  family: 'migration',
  meta: {
    description: 'The down migration does not undo the up: an object the up creates is not dropped, or a dropped table or column comes back empty.',
    rationale:
      'A rollback is only safe if the down returns the schema to what the previous version expects; objects left behind make the next up fail with "already exists", and a down that recreates a dropped table or column restores its shape but not its data.',
    remedy:
      'Make the down drop every object the up creates, in reverse order; for an up that deletes data, copy the data aside before dropping and restore it in the down, or make the down fail explicitly.',
    severity: 'warning',
    precision: 'high',
    tags: ['one-way', 'rollback'],
    recommended: true,
    sources: {},
  },
  create(ctx) {
    const created: Created[] = [];
    const dropped: Dropped[] = [];
    const createdTables = new Set<string>();
    const fromThisUp = (table: string) => createdTables.has(table);
    const forget = (pred: (c: Created) => boolean) => {
      for (let i = created.length - 1; i >= 0; i--) if (pred(created[i])) created.splice(i, 1);
    };

    return {
      '*'(stmt) {
        if (!ctx.migration.down) return;
        const n = stmt.node;
        const cat = ctx.state.catalog;
        switch (stmt.kind) {
          case 'CreateStmt': {
            const key = rangeVarKey(n.relation);
            if (cat.tables.has(key)) return; // IF NOT EXISTS of an existing table: nothing created
            createdTables.add(key);
            created.push({ kind: 'table', key, name: n.relation.relname, schema: schemaOf(key), stmt });
            return;
          }
          case 'CreateTableAsStmt': {
            const rel = n.into?.rel;
            if (!rel) return;
            const key = rangeVarKey(rel);
            if (cat.tables.has(key)) return;
            createdTables.add(key);
            created.push({ kind: n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table', key, name: rel.relname, schema: schemaOf(key), stmt });
            return;
          }
          case 'ViewStmt': {
            const key = rangeVarKey(n.view);
            if (cat.tables.has(key)) return; // CREATE OR REPLACE of an existing view: the down should restore it, not drop it
            createdTables.add(key);
            created.push({ kind: 'view', key, name: n.view.relname, schema: schemaOf(key), stmt });
            return;
          }
          case 'IndexStmt': {
            if (!n.idxname) return; // generated names cannot be matched reliably
            const table = rangeVarKey(n.relation);
            const schema = n.relation?.schemaname ?? cat.table(table)?.schema ?? 'public';
            const key = `${schema}.${n.idxname}`;
            if (cat.indexes.has(key) || fromThisUp(table)) return;
            created.push({ kind: 'index', key, name: n.idxname, schema, table, columns: indexColumns(n.indexParams), stmt });
            return;
          }
          case 'AlterTableStmt': {
            if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return;
            const table = rangeVarKey(n.relation);
            const known = cat.table(table);
            for (const cmd of alterCommands(n)) {
              if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
                const col = cmd.def.ColumnDef.colname;
                if (fromThisUp(table) || known?.columns.has(col)) continue;
                created.push({ kind: 'column', key: `${table}.${col}`, name: col, schema: schemaOf(table), table, stmt });
              } else if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.conname) {
                const c = cmd.def.Constraint;
                // `… USING INDEX i` renames index i to the constraint's name: the constraint now owns it.
                const owned = c.indexname ? created.find((x) => x.kind === 'index' && x.name === c.indexname) : undefined;
                if (owned) {
                  owned.name = c.conname;
                  owned.key = `${owned.schema}.${c.conname}`;
                }
                if (fromThisUp(table) || known?.constraints.has(c.conname)) continue;
                let columns: string[] = c.contype === 'CONSTR_CHECK' ? referencedColumns(c.raw_expr) : strings(c.contype === 'CONSTR_FOREIGN' ? c.fk_attrs : c.keys);
                if (columns.length === 0 && owned?.columns) columns = owned.columns;
                created.push({
                  kind: 'constraint',
                  key: `${table}.${c.conname}`,
                  name: c.conname,
                  schema: schemaOf(table),
                  table,
                  columns,
                  refTable: c.pktable ? rangeVarKey(c.pktable) : undefined,
                  stmt,
                });
              } else if (cmd.subtype === 'AT_DropColumn' && cmd.name) {
                const key = `${table}.${cmd.name}`;
                if (created.some((c) => c.kind === 'column' && c.key === key)) forget((c) => c.kind === 'column' && c.key === key);
                else if (!fromThisUp(table) && (known?.columns.has(cmd.name) || (!known && !cmd.missing_ok))) {
                  dropped.push({ kind: 'column', table, column: cmd.name, stmt });
                }
              } else if (cmd.subtype === 'AT_DropConstraint' && cmd.name) {
                forget((c) => c.kind === 'constraint' && c.key === `${table}.${cmd.name}`);
              }
            }
            return;
          }
          case 'CreateEnumStmt': {
            const key = listKey(n.typeName);
            if (cat.enums.has(key)) return;
            created.push({ kind: 'type', key, name: strings(n.typeName).pop() ?? key, schema: schemaOf(key), stmt });
            return;
          }
          case 'CompositeTypeStmt': {
            const key = rangeVarKey(n.typevar);
            created.push({ kind: 'type', key, name: n.typevar.relname, schema: schemaOf(key), stmt });
            return;
          }
          case 'CreateDomainStmt': {
            const key = listKey(n.domainname);
            created.push({ kind: 'domain', key, name: strings(n.domainname).pop() ?? key, schema: schemaOf(key), stmt });
            return;
          }
          case 'CreateSchemaStmt': {
            if (!n.schemaname || cat.schemas.has(n.schemaname)) return;
            created.push({ kind: 'schema', key: n.schemaname, name: n.schemaname, schema: n.schemaname, stmt });
            return;
          }
          case 'CreateFunctionStmt': {
            const key = listKey(n.funcname);
            if (cat.functions.has(key)) return; // redefinition of an existing function: the down should restore it
            if (created.some((c) => (c.kind === 'function' || c.kind === 'procedure') && c.key === key)) return;
            created.push({ kind: n.is_procedure ? 'procedure' : 'function', key, name: strings(n.funcname).pop() ?? key, schema: schemaOf(key), stmt });
            return;
          }
          case 'CreateTrigStmt': {
            const table = rangeVarKey(n.relation);
            const key = `${table}.${n.trigname}`;
            if (cat.triggers.has(key) || fromThisUp(table)) return;
            created.push({ kind: 'trigger', key, name: n.trigname, schema: schemaOf(table), table, func: listKey(n.funcname), stmt });
            return;
          }
          case 'DropStmt': {
            const gone = dropEffects(n);
            forget((c) => {
              if (c.kind === 'index') return gone.indexNames.has(c.name);
              if (c.kind === 'table' || c.kind === 'view' || c.kind === 'materialized view') return gone.tables.has(c.key) || gone.views.has(c.key);
              if (c.kind === 'type' || c.kind === 'domain') return gone.types.has(c.key);
              if (c.kind === 'schema') return gone.schemas.has(c.key);
              if (c.kind === 'function' || c.kind === 'procedure') return gone.functions.has(c.key);
              if (c.kind === 'trigger') return gone.triggers.has(c.key);
              return false;
            });
            if (n.removeType === 'OBJECT_TABLE') {
              for (const key of gone.tables) {
                if (createdTables.has(key) || (!cat.tables.has(key) && n.missing_ok)) continue;
                dropped.push({ kind: 'table', table: key, stmt });
              }
            }
            return;
          }
          case 'RenameStmt': {
            // Follow renames of objects this up created, so the down is checked against the final names.
            if (n.renameType === 'OBJECT_TABLE' || n.renameType === 'OBJECT_VIEW' || n.renameType === 'OBJECT_MATVIEW') {
              const from = rangeVarKey(n.relation);
              const to = `${schemaOf(from)}.${n.newname}`;
              for (const c of created) {
                if (c.key === from && c.kind !== 'column') {
                  c.key = to;
                  c.name = n.newname;
                }
                if (c.table === from) {
                  c.table = to;
                  if (c.kind === 'column' || c.kind === 'constraint' || c.kind === 'trigger') c.key = `${to}.${c.name}`;
                }
              }
              if (createdTables.delete(from)) createdTables.add(to);
            } else if (n.renameType === 'OBJECT_COLUMN') {
              const table = rangeVarKey(n.relation);
              const c = created.find((x) => x.kind === 'column' && x.key === `${table}.${n.subname}`);
              if (c) {
                c.name = n.newname;
                c.key = `${table}.${n.newname}`;
              }
            } else if (n.renameType === 'OBJECT_INDEX') {
              const c = created.find((x) => x.kind === 'index' && x.name === n.relation?.relname);
              if (c) {
                c.name = n.newname;
                c.key = `${c.schema}.${n.newname}`;
              }
            }
            return;
          }
          default:
            return;
        }
      },

      'Migration:exit'() {
        const down = ctx.migration.down;
        if (!down) return;
        const parsed = ctx.parse(down);
        // An empty down is require-down-migration's business.
        if (parsed.statements.length === 0) return;
        const effects = emptyEffects();
        for (const stmt of parsed.statements) collectDown(stmt, effects);
        const downRange: Range = parsed.statements[0].range;
        const related = (message: string, range: Range = downRange) => [{ file: down.file, range, message }];

        for (const c of created) {
          if (removedByDown(c, effects)) continue;
          const what = c.kind === 'column' ? `${displayRelation(c.table!)}.${c.name}` : c.kind === 'constraint' || c.kind === 'trigger' ? `${c.name}\` on \`${displayRelation(c.table!)}` : displayRelation(c.key);
          ctx.report({
            stmt: c.stmt,
            message: `The down migration does not drop ${c.kind} \`${what}\`, which this up creates.`,
            why: `After a rollback the ${c.kind} is still there while the migration tool records the version as reverted, so running the up again can fail with "already exists"${LEFTOVER_EFFECT[c.kind] ?? '.'}`,
            remedy: `Add \`${dropSql(c)}\` to the down script (\`${down.file.relPath}\`), in reverse order of creation.`,
            related: related('The down script, which does not drop it.'),
            properties: { kind: c.kind, object: what },
          });
        }

        for (const d of dropped) {
          const again = d.kind === 'table' ? effects.recreatedTables.get(d.table) : effects.recreatedColumns.get(`${d.table}.${d.column}`);
          if (!again) continue;
          const what = d.kind === 'table' ? `table \`${displayRelation(d.table)}\`` : `column \`${displayRelation(d.table)}.${d.column}\``;
          ctx.report({
            stmt: d.stmt,
            message: `The down recreates ${what}, but not its data: this drop is a one-way door even with a down migration.`,
            why:
              d.kind === 'table'
                ? 'The up deletes every row; the down brings the table back empty, so a rollback looks complete while the previous application version finds none of its data.'
                : 'The up deletes the value in every row; the down adds the column back with NULLs (or its default), so a rollback looks complete while every row has lost its value.',
            remedy:
              d.kind === 'table'
                ? `Keep the data before dropping (\`CREATE TABLE archive_${d.table.split('.').pop()} AS TABLE ${displayRelation(d.table)}\` or a dump) and restore it in the down, or make the down fail explicitly; better, drop the table only after no deployed version uses it.`
                : `Copy the values aside before dropping (\`CREATE TABLE … AS SELECT id, ${quoteIdent(d.column!)} FROM ${displayRelation(d.table)}\`) and restore them in the down, or make the down fail explicitly; better, drop the column only after no deployed version uses it.`,
            related: related('The down recreates it here, without its data.', again.range),
            properties: { kind: `dropped ${d.kind}`, object: d.kind === 'table' ? displayRelation(d.table) : `${displayRelation(d.table)}.${d.column}` },
          });
        }
      },
    };
  },
});

/** What a leftover object does to the previous application version, after a rollback. */
const LEFTOVER_EFFECT: Partial<Record<Kind, string>> = {
  column: '; and the previous application version runs against a column it does not know (a NOT NULL column without a default rejects its inserts).',
  constraint: "; and the previous application version's writes are still checked against a constraint it does not know.",
  trigger: "; and the trigger still fires on the previous application version's writes.",
};

function schemaOf(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? 'public' : key.slice(0, dot);
}

function emptyEffects(): DownEffects {
  return {
    tables: new Set(),
    views: new Set(),
    indexNames: new Set(),
    types: new Set(),
    schemas: new Set(),
    cascadeSchemas: new Set(),
    functions: new Set(),
    cascadeFunctions: new Set(),
    triggers: new Set(),
    columns: new Set(),
    constraints: new Set(),
    cascadeTables: new Set(),
    recreatedTables: new Map(),
    recreatedColumns: new Map(),
  };
}

/** The objects a DROP statement removes. */
function dropEffects(n: any, into: DownEffects = emptyEffects()): DownEffects {
  const cascade = n.behavior === 'DROP_CASCADE';
  for (const obj of n.objects ?? []) {
    const items: any[] = obj.List?.items ?? obj.TypeName?.names ?? obj.ObjectWithArgs?.objname ?? (obj.String ? [obj] : []);
    const names = strings(items);
    const key = listKey(items);
    switch (n.removeType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_FOREIGN_TABLE':
        into.tables.add(key);
        if (cascade) into.cascadeTables.add(key);
        break;
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
        into.views.add(key);
        break;
      case 'OBJECT_INDEX':
        into.indexNames.add(names[names.length - 1] ?? '');
        break;
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN':
        into.types.add(key);
        break;
      case 'OBJECT_SCHEMA':
        into.schemas.add(names[0] ?? '');
        if (cascade) into.cascadeSchemas.add(names[0] ?? '');
        break;
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE':
        into.functions.add(key);
        if (cascade) into.cascadeFunctions.add(key);
        break;
      case 'OBJECT_TRIGGER': {
        // [schema?, table, trigger]
        const table = listKey(items.slice(0, -1));
        into.triggers.add(`${table}.${names[names.length - 1]}`);
        break;
      }
      default:
        break;
    }
  }
  return into;
}

function collectDown(stmt: SqlStatement, e: DownEffects): void {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'DropStmt':
      dropEffects(n, e);
      return;
    case 'AlterTableStmt': {
      const table = rangeVarKey(n.relation);
      for (const cmd of alterCommands(n)) {
        if (cmd.subtype === 'AT_DropColumn' && cmd.name) e.columns.add(`${table}.${cmd.name}`);
        if (cmd.subtype === 'AT_DropConstraint' && cmd.name) e.constraints.add(`${table}.${cmd.name}`);
        if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) e.recreatedColumns.set(`${table}.${cmd.def.ColumnDef.colname}`, stmt);
      }
      return;
    }
    case 'CreateStmt':
      e.recreatedTables.set(rangeVarKey(n.relation), stmt);
      return;
    case 'CreateTableAsStmt':
      if (n.into?.rel && n.objtype !== 'OBJECT_MATVIEW') e.recreatedTables.set(rangeVarKey(n.into.rel), stmt);
      return;
    default:
      return;
  }
}

function removedByDown(c: Created, e: DownEffects): boolean {
  const schemaGone = (schema: string) => e.cascadeSchemas.has(schema);
  const tableGone = (table: string) => e.tables.has(table) || e.views.has(table) || schemaGone(schemaOf(table));
  const columnGone = (table: string, cols: string[] = []) => cols.some((col) => e.columns.has(`${table}.${col}`));
  switch (c.kind) {
    case 'table':
    case 'view':
    case 'materialized view':
      // A view also goes with any table dropped with CASCADE (we do not know what it reads).
      return tableGone(c.key) || (c.kind !== 'table' && e.cascadeTables.size > 0);
    case 'column':
      return tableGone(c.table!) || e.columns.has(c.key);
    case 'index':
      return e.indexNames.has(c.name) || tableGone(c.table!) || columnGone(c.table!, c.columns) || e.constraints.has(`${c.table}.${c.name}`);
    case 'constraint':
      return (
        e.constraints.has(c.key) ||
        tableGone(c.table!) ||
        columnGone(c.table!, c.columns) ||
        (c.refTable !== undefined && (e.cascadeTables.has(c.refTable) || schemaGone(schemaOf(c.refTable))))
      );
    case 'type':
    case 'domain':
      return e.types.has(c.key) || schemaGone(c.schema);
    case 'schema':
      return e.schemas.has(c.key);
    case 'function':
    case 'procedure':
      return e.functions.has(c.key) || schemaGone(c.schema);
    case 'trigger':
      return e.triggers.has(c.key) || tableGone(c.table!) || (c.func !== undefined && e.cascadeFunctions.has(c.func));
    default:
      return true;
  }
}

function dropSql(c: Created): string {
  const name = (key: string) => displayRelation(key);
  switch (c.kind) {
    case 'table':
      return `DROP TABLE ${name(c.key)};`;
    case 'view':
      return `DROP VIEW ${name(c.key)};`;
    case 'materialized view':
      return `DROP MATERIALIZED VIEW ${name(c.key)};`;
    case 'column':
      return `ALTER TABLE ${name(c.table!)} DROP COLUMN ${quoteIdent(c.name)};`;
    case 'index':
      return `DROP INDEX ${c.schema === 'public' ? '' : `${c.schema}.`}${quoteIdent(c.name)};`;
    case 'constraint':
      return `ALTER TABLE ${name(c.table!)} DROP CONSTRAINT ${quoteIdent(c.name)};`;
    case 'type':
      return `DROP TYPE ${name(c.key)};`;
    case 'domain':
      return `DROP DOMAIN ${name(c.key)};`;
    case 'schema':
      return `DROP SCHEMA ${quoteIdent(c.name)};`;
    case 'function':
      return `DROP FUNCTION ${name(c.key)};`;
    case 'procedure':
      return `DROP PROCEDURE ${name(c.key)};`;
    case 'trigger':
      return `DROP TRIGGER ${quoteIdent(c.name)} ON ${name(c.table!)};`;
  }
}
