/**
 * The catalog: a model of the schema, built by replaying up-migrations statement by statement.
 * Rules read it as it was before their statement; schema rules read it after the last migration.
 */
import type { Range, SourceFile } from '../core/source.js';
import type { SqlStatement } from '../sql/parse.js';
import {
  alterCommands,
  columnConstraints,
  columnType,
  type ColumnType,
  indexColumns,
  isVolatileExpression,
  listKey,
  rangeVarKey,
  rangeVarName,
  referencedColumns,
  strings,
} from '../sql/ast.js';

/** Where an object was created: the migration and statement, for "created in this migration" and for pointing at it. */
export interface Origin {
  migrationId: string;
  file: SourceFile;
  range: Range;
}

export interface Column {
  name: string;
  type: ColumnType;
  notNull: boolean;
  default?: { volatile: boolean };
  identity: boolean;
  generated?: 'stored' | 'virtual';
  origin: Origin;
}

export type ConstraintType = 'primary' | 'unique' | 'foreign' | 'check' | 'exclusion';

export interface Constraint {
  name: string;
  type: ConstraintType;
  table: string;
  columns: string[];
  refTable?: string;
  refColumns?: string[];
  validated: boolean;
  /** For check constraints: the columns the expression reads and whether it is `col IS NOT NULL`. */
  notNullCheckOf?: string;
  origin: Origin;
}

/** One key of an index, with what decides which lookups it serves (schema rules compare these). */
export interface IndexKey {
  /** A plain column key (also `((col))`). */
  column?: string;
  /** An expression key: its syntax tree without source positions, as JSON (equal text, equal key). */
  expression?: string;
  /** Operator class and collation as written ('' when left to the default). */
  opclass: string;
  collation: string;
  /** `asc nulls last` (the default), `desc nulls first`, … */
  order: string;
}

export interface Index {
  /** `schema.name`. */
  key: string;
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  method: string;
  partial: boolean;
  origin: Origin;
  /** The keys in detail (set when the creating statement was read: CREATE INDEX, PRIMARY KEY, UNIQUE, EXCLUDE). */
  keys?: IndexKey[];
  /** `INCLUDE (…)` columns. */
  include?: string[];
  /** A partial index's `WHERE` predicate: its syntax tree without source positions, as JSON. */
  predicate?: string;
  /** `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15). */
  nullsNotDistinct?: boolean;
}

export interface Table {
  key: string;
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized-view';
  partitioned: boolean;
  /** For a partitioned table: its DEFAULT partition, while it has one (DETACH … CONCURRENTLY refuses those). */
  defaultPartition?: string;
  columns: Map<string, Column>;
  constraints: Map<string, Constraint>;
  origin: Origin;
  /** `CREATE TEMPORARY TABLE`: it lives for one session, not in the schema. */
  temporary?: boolean;
  /** A partition (`PARTITION OF`, `ATTACH PARTITION`): the partitioned table's key. */
  partitionOf?: string;
  /** `ALTER TABLE … REPLICA IDENTITY` when set (unset means DEFAULT: the primary key). */
  replicaIdentity?: 'default' | 'full' | 'nothing' | 'index';
}

/** A domain (`CREATE DOMAIN`): columns of this type are checked against its constraints. */
export interface Domain {
  key: string;
  baseType: ColumnType;
  /** CHECK constraints, by name (unnamed ones get a generated name). */
  checks: string[];
  notNull: boolean;
  origin: Origin;
}

export interface EnumType {
  key: string;
  values: string[];
  origin: Origin;
}

export class Catalog {
  readonly tables = new Map<string, Table>();
  readonly indexes = new Map<string, Index>();
  readonly enums = new Map<string, EnumType>();
  readonly domains = new Map<string, Domain>();
  readonly schemas = new Set<string>(['public']);
  readonly sequences = new Set<string>();
  readonly functions = new Set<string>();
  readonly triggers = new Set<string>();

  table(key: string): Table | undefined {
    return this.tables.get(key);
  }

  indexesOf(tableKey: string): Index[] {
    return [...this.indexes.values()].filter((i) => i.table === tableKey);
  }

  /** A deep copy, for rules that compare before and after (down-reverses-up). */
  clone(): Catalog {
    const copy = new Catalog();
    for (const [k, t] of this.tables) {
      copy.tables.set(k, {
        ...t,
        columns: new Map([...t.columns].map(([n, c]) => [n, { ...c, type: { ...c.type, mods: [...c.type.mods] } }])),
        constraints: new Map(
          [...t.constraints].map(([n, c]) => [n, { ...c, columns: [...c.columns], ...(c.refColumns ? { refColumns: [...c.refColumns] } : {}) }]),
        ),
      });
    }
    for (const [k, i] of this.indexes) copy.indexes.set(k, { ...i, columns: [...i.columns] });
    for (const [k, e] of this.enums) copy.enums.set(k, { ...e, values: [...e.values] });
    for (const [k, d] of this.domains) copy.domains.set(k, { ...d, checks: [...d.checks] });
    for (const s of this.schemas) copy.schemas.add(s);
    for (const s of this.sequences) copy.sequences.add(s);
    for (const s of this.functions) copy.functions.add(s);
    for (const s of this.triggers) copy.triggers.add(s);
    return copy;
  }

  /** Applies one statement. Unknown statements and references to unknown objects are ignored. */
  apply(stmt: SqlStatement, origin: Origin): void {
    const n = stmt.node;
    switch (stmt.kind) {
      case 'CreateStmt':
        return this.createTable(n, origin);
      case 'CreateTableAsStmt': {
        const into = n.into?.rel;
        if (!into) return;
        const key = rangeVarKey(into);
        const name = rangeVarName(into);
        const kind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table';
        const table = emptyTable(key, name.schema ?? 'public', name.name, kind, origin);
        if (into.relpersistence === 't') table.temporary = true;
        this.tables.set(key, table);
        return;
      }
      case 'ViewStmt': {
        const key = rangeVarKey(n.view);
        const name = rangeVarName(n.view);
        this.tables.set(key, emptyTable(key, name.schema ?? 'public', name.name, 'view', origin));
        return;
      }
      case 'IndexStmt':
        return this.createIndex(n, origin);
      case 'AlterTableStmt':
        return this.alterTable(n, origin);
      case 'DropStmt':
        return this.drop(n);
      case 'RenameStmt':
        return this.rename(n);
      case 'CreateEnumStmt': {
        const key = listKey(n.typeName);
        this.enums.set(key, { key, values: strings(n.vals), origin });
        return;
      }
      case 'AlterEnumStmt': {
        const e = this.enums.get(listKey(n.typeName));
        if (!e) return;
        if (n.oldVal && n.newVal) {
          e.values = e.values.map((v) => (v === n.oldVal ? n.newVal : v));
        } else if (n.newVal && !e.values.includes(n.newVal)) {
          const at = n.newValNeighbor ? e.values.indexOf(n.newValNeighbor) : -1;
          if (at < 0) e.values.push(n.newVal);
          else e.values.splice(n.newValIsAfter ? at + 1 : at, 0, n.newVal);
        }
        return;
      }
      case 'CreateDomainStmt': {
        const key = listKey(n.domainname);
        const constraints: any[] = (n.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean);
        this.domains.set(key, {
          key,
          baseType: columnType(n.typeName),
          checks: constraints.filter((c) => c.contype === 'CONSTR_CHECK').map((c, i) => c.conname ?? `${key.split('.')[1]}_check${i || ''}`),
          notNull: constraints.some((c) => c.contype === 'CONSTR_NOTNULL'),
          origin,
        });
        return;
      }
      case 'AlterDomainStmt': {
        const d = this.domains.get(listKey(n.typeName));
        if (!d) return;
        if (n.subtype === 'O') d.notNull = true;
        if (n.subtype === 'N') d.notNull = false;
        if (n.subtype === 'C' && n.def?.Constraint?.contype === 'CONSTR_CHECK') d.checks.push(n.def.Constraint.conname ?? `${d.key.split('.')[1]}_check`);
        if (n.subtype === 'C' && n.def?.Constraint?.contype === 'CONSTR_NOTNULL') d.notNull = true;
        if (n.subtype === 'X') d.checks = d.checks.filter((c) => c !== n.name);
        return;
      }
      case 'AlterObjectSchemaStmt':
        return this.setSchema(n);
      case 'CreateSchemaStmt':
        this.schemas.add(n.schemaname);
        return;
      case 'CreateSeqStmt':
        this.sequences.add(rangeVarKey(n.sequence));
        return;
      case 'CreateFunctionStmt':
        this.functions.add(listKey(n.funcname));
        return;
      case 'CreateTrigStmt':
        this.triggers.add(`${rangeVarKey(n.relation)}.${n.trigname}`);
        return;
      default:
        return;
    }
  }

  private createTable(n: any, origin: Origin): void {
    const key = rangeVarKey(n.relation);
    const name = rangeVarName(n.relation);
    const table = emptyTable(key, name.schema ?? 'public', name.name, 'table', origin);
    table.partitioned = Boolean(n.partspec);
    if (n.relation?.relpersistence === 't') table.temporary = true;
    if (n.partbound && n.inhRelations?.[0]?.RangeVar) table.partitionOf = rangeVarKey(n.inhRelations[0].RangeVar);
    if (n.ofTypename || n.inhRelations?.length) {
      // Inherit columns of parents we know: partitions created with PARTITION OF carry them.
      for (const parent of n.inhRelations ?? []) {
        const p = this.tables.get(rangeVarKey(parent.RangeVar));
        if (p) for (const [cn, c] of p.columns) table.columns.set(cn, { ...c });
      }
    }
    if (this.tables.has(key) && n.if_not_exists) return;
    this.tables.set(key, table);
    if (n.partbound?.is_default) {
      for (const parent of n.inhRelations ?? []) {
        const p = this.tables.get(rangeVarKey(parent.RangeVar));
        if (p) p.defaultPartition = key;
      }
    }
    for (const elt of n.tableElts ?? []) {
      if (elt.TableLikeClause) this.copyColumnsLike(table, elt.TableLikeClause, origin);
      else if (elt.ColumnDef) this.addColumn(table, elt.ColumnDef, origin);
      else if (elt.Constraint) this.addConstraint(table, elt.Constraint, origin, true);
    }
  }

  /** `LIKE source [INCLUDING …]`: columns and NOT NULL always; defaults, identity, generation when included. */
  private copyColumnsLike(table: Table, like: any, origin: Origin): void {
    const source = this.tables.get(rangeVarKey(like.relation));
    if (!source) return;
    const options: number = like.options ?? 0;
    const INCLUDING_DEFAULTS = 1 << 3;
    const INCLUDING_GENERATED = 1 << 4;
    const INCLUDING_IDENTITY = 1 << 5;
    for (const [name, c] of source.columns) {
      const column: Column = { name, type: { ...c.type, mods: [...c.type.mods] }, notNull: c.notNull, identity: false, origin };
      if (c.default && options & INCLUDING_DEFAULTS) column.default = { ...c.default };
      if (c.identity && options & INCLUDING_IDENTITY) column.identity = true;
      if (c.generated && options & INCLUDING_GENERATED) column.generated = c.generated;
      table.columns.set(name, column);
    }
    // INCLUDING INDEXES (and ALL): the source's indexes, and its primary key, unique and exclusion
    // constraints with them, under the names PostgreSQL generates for the new table.
    const INCLUDING_INDEXES = 1 << 6;
    if (!(options & INCLUDING_INDEXES)) return;
    // A partition's indexes include those it inherits from its partitioned table (the catalog keeps them there).
    const owners = [source.key];
    for (let p = source.partitionOf; p && !owners.includes(p); p = this.tables.get(p)?.partitionOf) owners.push(p);
    for (const index of owners.flatMap((k) => this.indexesOf(k))) {
      const constraint = this.tables.get(index.table)?.constraints.get(index.name);
      const owned = constraint && (constraint.type === 'primary' || constraint.type === 'unique' || constraint.type === 'exclusion') ? constraint : undefined;
      const suffix = index.primary ? 'pkey' : owned ? { primary: 'pkey', unique: 'key', exclusion: 'excl' }[owned.type as 'primary'] : 'idx';
      const name = index.primary ? `${table.name}_pkey` : [table.name, ...index.columns.map((c) => (c === '(expression)' ? 'expr' : c)), suffix].join('_');
      const key = `${table.schema}.${name}`;
      this.indexes.set(key, { ...index, key, name, table: table.key, columns: [...index.columns], origin });
      if (owned) table.constraints.set(name, { ...owned, name, table: table.key, columns: [...owned.columns], origin });
    }
  }

  private addColumn(table: Table, def: any, origin: Origin): void {
    const type = columnType(def.typeName);
    const column: Column = {
      name: def.colname,
      type,
      notNull: false,
      identity: false,
      origin,
    };
    if (type.name === 'serial' || type.name === 'bigserial' || type.name === 'smallserial') {
      column.notNull = true;
      column.default = { volatile: true };
    }
    table.columns.set(column.name, column);
    for (const c of columnConstraints(def)) {
      switch (c.contype) {
        case 'CONSTR_NOTNULL':
          column.notNull = true;
          break;
        case 'CONSTR_NULL':
          column.notNull = false;
          break;
        case 'CONSTR_DEFAULT':
          column.default = { volatile: isVolatileExpression(c.raw_expr) };
          break;
        case 'CONSTR_IDENTITY':
          column.identity = true;
          column.notNull = true;
          break;
        case 'CONSTR_GENERATED':
          column.generated = c.generated_kind === 'v' ? 'virtual' : 'stored';
          break;
        default:
          this.addConstraint(table, { ...c, keys: c.keys ?? [{ String: { sval: column.name } }], fk_attrs: c.fk_attrs ?? [{ String: { sval: column.name } }] }, origin, true);
      }
    }
  }

  /** Adds a table or column constraint. `fresh` is true when the table is created by the same statement. */
  private addConstraint(table: Table, c: any, origin: Origin, fresh: boolean): void {
    const typeMap: Record<string, ConstraintType | undefined> = {
      CONSTR_PRIMARY: 'primary',
      CONSTR_UNIQUE: 'unique',
      CONSTR_FOREIGN: 'foreign',
      CONSTR_CHECK: 'check',
      CONSTR_EXCLUSION: 'exclusion',
    };
    const type = typeMap[c.contype];
    if (!type) return;
    // `ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE USING INDEX idx`: the constraint takes over an existing
    // index (its columns; the index is renamed to the constraint's name, or names the constraint).
    const usingIndex =
      (type === 'primary' || type === 'unique') && c.indexname ? this.indexes.get(`${table.schema}.${c.indexname}`) : undefined;
    let columns: string[] = [];
    if (usingIndex) columns = [...usingIndex.columns];
    else if (type === 'foreign') columns = strings(c.fk_attrs);
    else if (type === 'check') columns = [...new Set(referencedColumns(c.raw_expr))];
    else if (type === 'exclusion') columns = (c.exclusions ?? []).flatMap((e: any) => indexColumns([e.List?.items?.[0]]));
    else columns = strings(c.keys);
    const suffix = { primary: 'pkey', unique: 'key', foreign: 'fkey', check: 'check', exclusion: 'excl' }[type];
    // PostgreSQL's default names: `t_pkey`, `t_a_b_key`, `t_a_b_fkey`, `t_a_check` for a check on one
    // column but `t_check` for a check on several (or none).
    const nameColumns = type === 'check' && columns.length !== 1 ? [] : columns;
    let name: string =
      c.conname ??
      usingIndex?.name ??
      (type === 'primary' ? `${table.name}_pkey` : [table.name, ...nameColumns, suffix].join('_'));
    if (!c.conname && !usingIndex && type !== 'primary') {
      // A generated name that is taken gets a number, as in PostgreSQL (`t_check`, `t_check1`, …).
      const base = name;
      for (let n = 1; table.constraints.has(name); n++) name = `${base}${n}`;
    }
    const constraint: Constraint = {
      name,
      type,
      table: table.key,
      columns,
      validated: fresh || !c.skip_validation,
      origin,
    };
    if (type === 'foreign') {
      constraint.refTable = rangeVarKey(c.pktable);
      constraint.refColumns = strings(c.pk_attrs);
    }
    if (type === 'check') {
      const nullTest = c.raw_expr?.NullTest;
      if (nullTest && nullTest.nulltesttype === 'IS_NOT_NULL') {
        const cols = referencedColumns(nullTest.arg);
        if (cols.length === 1) constraint.notNullCheckOf = cols[0];
      }
    }
    table.constraints.set(name, constraint);
    if (type === 'primary') for (const col of columns) {
      const column = table.columns.get(col);
      if (column) column.notNull = true;
    }
    if (usingIndex) {
      this.indexes.delete(usingIndex.key);
      usingIndex.name = name;
      usingIndex.key = `${table.schema}.${name}`;
      usingIndex.unique = true;
      usingIndex.primary = type === 'primary';
      this.indexes.set(usingIndex.key, usingIndex);
    } else if (type === 'primary' || type === 'unique' || type === 'exclusion') {
      const indexName: string = c.indexname ?? name;
      const key = `${table.schema}.${indexName}`;
      const existing = this.indexes.get(key);
      if (existing) {
        existing.unique = type !== 'exclusion';
        existing.primary = type === 'primary';
      } else {
        this.indexes.set(key, {
          key,
          name: indexName,
          table: table.key,
          columns,
          unique: type !== 'exclusion',
          primary: type === 'primary',
          method: type === 'exclusion' ? (c.access_method ?? 'gist') : 'btree',
          partial: Boolean(c.where_clause),
          origin,
          keys:
            type === 'exclusion'
              ? indexKeys((c.exclusions ?? []).map((e: any) => e.List?.items?.[0]))
              : columns.map((column) => ({ column, opclass: '', collation: '', order: 'asc nulls last' })),
          include: strings(c.including),
          ...(c.where_clause ? { predicate: syntaxShape(c.where_clause) } : {}),
          ...(c.nulls_not_distinct ? { nullsNotDistinct: true } : {}),
        });
      }
    }
  }

  private createIndex(n: any, origin: Origin): void {
    const tableKey = rangeVarKey(n.relation);
    const schema = n.relation?.schemaname ?? 'public';
    const columns = indexColumns(n.indexParams);
    const table = this.tables.get(tableKey);
    const name: string = n.idxname ?? `${n.relation?.relname}_${columns.join('_')}_idx`;
    const key = `${schema}.${name}`;
    if (this.indexes.has(key) && n.if_not_exists) return;
    this.indexes.set(key, {
      key,
      name,
      table: table?.key ?? tableKey,
      columns,
      unique: Boolean(n.unique),
      primary: Boolean(n.primary),
      method: n.accessMethod ?? 'btree',
      partial: Boolean(n.whereClause),
      origin,
      keys: indexKeys(n.indexParams),
      include: indexColumns(n.indexIncludingParams),
      ...(n.whereClause ? { predicate: syntaxShape(n.whereClause) } : {}),
      ...(n.nulls_not_distinct ? { nullsNotDistinct: true } : {}),
    });
  }

  private alterTable(n: any, origin: Origin): void {
    const table = this.tables.get(rangeVarKey(n.relation));
    if (!table) return;
    for (const cmd of alterCommands(n)) {
      const column = cmd.name ? table.columns.get(cmd.name) : undefined;
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          if (cmd.def?.ColumnDef && !(cmd.missing_ok && table.columns.has(cmd.def.ColumnDef.colname))) {
            this.addColumn(table, cmd.def.ColumnDef, origin);
          }
          break;
        case 'AT_DropColumn':
          table.columns.delete(cmd.name);
          for (const [cn, c] of table.constraints) if (c.columns.includes(cmd.name)) table.constraints.delete(cn);
          for (const [ik, i] of this.indexes) {
            if (i.table === table.key && (i.columns.includes(cmd.name) || i.include?.includes(cmd.name))) this.indexes.delete(ik);
          }
          break;
        case 'AT_SetNotNull':
          if (column) column.notNull = true;
          break;
        case 'AT_DropNotNull':
          if (column) column.notNull = false;
          break;
        case 'AT_ColumnDefault':
          if (column) column.default = cmd.def ? { volatile: isVolatileExpression(cmd.def) } : undefined;
          break;
        case 'AT_AlterColumnType':
          if (column && cmd.def?.ColumnDef?.typeName) column.type = columnType(cmd.def.ColumnDef.typeName);
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint, origin, false);
          break;
        case 'AT_ValidateConstraint': {
          const c = table.constraints.get(cmd.name);
          if (c) c.validated = true;
          break;
        }
        case 'AT_DropConstraint':
          table.constraints.delete(cmd.name);
          this.indexes.delete(`${table.schema}.${cmd.name}`);
          break;
        case 'AT_AddIdentity':
          if (column) {
            column.identity = true;
            column.notNull = true;
          }
          break;
        case 'AT_DropIdentity':
          if (column) column.identity = false;
          break;
        case 'AT_AttachPartition': {
          if (cmd.def?.PartitionCmd?.bound?.is_default) table.defaultPartition = rangeVarKey(cmd.def.PartitionCmd.name);
          const partition = cmd.def?.PartitionCmd?.name ? this.tables.get(rangeVarKey(cmd.def.PartitionCmd.name)) : undefined;
          if (partition) partition.partitionOf = table.key;
          break;
        }
        case 'AT_DetachPartition':
        case 'AT_DetachPartitionFinalize': {
          if (cmd.def?.PartitionCmd?.name && table.defaultPartition === rangeVarKey(cmd.def.PartitionCmd.name)) table.defaultPartition = undefined;
          const partition = cmd.def?.PartitionCmd?.name ? this.tables.get(rangeVarKey(cmd.def.PartitionCmd.name)) : undefined;
          if (partition?.partitionOf === table.key) partition.partitionOf = undefined;
          break;
        }
        case 'AT_ReplicaIdentity': {
          const kind = cmd.def?.ReplicaIdentityStmt?.identity_type;
          const map: Record<string, Table['replicaIdentity']> = { d: 'default', f: 'full', n: 'nothing', i: 'index' };
          if (map[kind]) table.replicaIdentity = map[kind];
          break;
        }
        default:
          break;
      }
    }
  }

  private drop(n: any): void {
    for (const obj of n.objects ?? []) {
      const list = obj.List?.items ?? (obj.String ? [obj] : obj.TypeName?.names);
      const key = listKey(list);
      switch (n.removeType) {
        case 'OBJECT_TABLE':
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
          // Partitions go with their partitioned table.
          for (const t of [...this.tables.values()]) {
            if (t.partitionOf === key) this.drop({ removeType: 'OBJECT_TABLE', objects: [{ List: { items: [{ String: { sval: t.schema } }, { String: { sval: t.name } }] } }] });
          }
          this.tables.delete(key);
          for (const [ik, i] of this.indexes) if (i.table === key) this.indexes.delete(ik);
          for (const t of this.tables.values()) if (t.defaultPartition === key) t.defaultPartition = undefined;
          // Foreign keys pointing at the table go with it (CASCADE; without it PostgreSQL refuses the drop).
          for (const t of this.tables.values()) {
            for (const [cn, c] of t.constraints) if (c.type === 'foreign' && c.refTable === key) t.constraints.delete(cn);
          }
          break;
        case 'OBJECT_INDEX':
          this.indexes.delete(key);
          break;
        case 'OBJECT_TYPE':
          this.enums.delete(key);
          break;
        case 'OBJECT_DOMAIN':
          this.domains.delete(key);
          break;
        case 'OBJECT_SCHEMA':
          this.schemas.delete(strings(list)[0] ?? '');
          break;
        case 'OBJECT_SEQUENCE':
          this.sequences.delete(key);
          break;
        default:
          break;
      }
    }
  }

  /** `ALTER TABLE … SET SCHEMA`, `ALTER TYPE … SET SCHEMA`: the object (and a table's indexes) move. */
  private setSchema(n: any): void {
    if (n.objectType === 'OBJECT_TYPE') {
      const e = this.enums.get(listKey(n.object?.List?.items));
      if (!e) return;
      this.enums.delete(e.key);
      e.key = `${n.newschema}.${e.key.split('.').pop()}`;
      this.enums.set(e.key, e);
      return;
    }
    if (!['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(n.objectType)) return;
    const oldKey = rangeVarKey(n.relation);
    const table = this.tables.get(oldKey);
    if (!table) return;
    table.schema = n.newschema;
    this.rekeyTable(table, oldKey, `${n.newschema}.${table.name}`);
    for (const [ik, i] of [...this.indexes]) {
      if (i.table !== table.key) continue;
      this.indexes.delete(ik);
      i.key = `${table.schema}.${i.name}`;
      this.indexes.set(i.key, i);
    }
  }

  /** Moves a table to a new key; indexes, its constraints and foreign keys pointing at it follow. */
  private rekeyTable(table: Table, oldKey: string, newKey: string): void {
    this.tables.delete(oldKey);
    table.key = newKey;
    this.tables.set(newKey, table);
    for (const i of this.indexes.values()) if (i.table === oldKey) i.table = newKey;
    for (const c of table.constraints.values()) c.table = newKey;
    for (const t of this.tables.values()) {
      for (const c of t.constraints.values()) if (c.refTable === oldKey) c.refTable = newKey;
      if (t.partitionOf === oldKey) t.partitionOf = newKey;
    }
  }

  private rename(n: any): void {
    switch (n.renameType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW': {
        const key = rangeVarKey(n.relation);
        const table = this.tables.get(key);
        if (!table) return;
        table.name = n.newname;
        this.rekeyTable(table, key, `${table.schema}.${n.newname}`);
        return;
      }
      case 'OBJECT_COLUMN': {
        const table = this.tables.get(rangeVarKey(n.relation));
        const column = table?.columns.get(n.subname);
        if (!table || !column) return;
        table.columns.delete(n.subname);
        column.name = n.newname;
        table.columns.set(n.newname, column);
        for (const i of this.indexes.values()) {
          if (i.table !== table.key) continue;
          i.columns = i.columns.map((c) => (c === n.subname ? n.newname : c));
          if (i.keys) i.keys = i.keys.map((k) => (k.column === n.subname ? { ...k, column: n.newname } : k));
          if (i.include) i.include = i.include.map((c) => (c === n.subname ? n.newname : c));
        }
        for (const c of table.constraints.values()) c.columns = c.columns.map((x) => (x === n.subname ? n.newname : x));
        for (const t of this.tables.values()) {
          for (const c of t.constraints.values()) {
            if (c.refTable === table.key && c.refColumns) c.refColumns = c.refColumns.map((x) => (x === n.subname ? n.newname : x));
          }
        }
        return;
      }
      case 'OBJECT_INDEX': {
        const key = rangeVarKey(n.relation);
        const index = this.indexes.get(key);
        if (!index) return;
        this.indexes.delete(key);
        index.name = n.newname;
        index.key = `${key.split('.')[0]}.${n.newname}`;
        this.indexes.set(index.key, index);
        return;
      }
      case 'OBJECT_TYPE': {
        const e = this.enums.get(listKey(n.object?.List?.items));
        if (!e) return;
        this.enums.delete(e.key);
        e.key = `${e.key.split('.')[0]}.${n.newname}`;
        this.enums.set(e.key, e);
        return;
      }
      case 'OBJECT_TABCONSTRAINT': {
        const table = this.tables.get(rangeVarKey(n.relation));
        const c = table?.constraints.get(n.subname);
        if (!table || !c) return;
        table.constraints.delete(n.subname);
        c.name = n.newname;
        table.constraints.set(n.newname, c);
        return;
      }
      default:
        return;
    }
  }
}

/** A syntax tree without its source positions, as JSON: two spellings of one expression compare equal. */
export function syntaxShape(node: unknown): string {
  // `location`, `name_location` and the list bounds of `x IN (…)` and `ARRAY[…]` (`…list_start`, `…list_end`) are offsets.
  return JSON.stringify(node, (key, value) => (/(?:^|_)location$|(?:^|_)list_(?:start|end)$/.test(key) ? undefined : value));
}

/** The keys of `CREATE INDEX (…)` in detail; `((col))` is the column itself, as PostgreSQL stores it. */
function indexKeys(params: any[] | undefined): IndexKey[] {
  return (params ?? []).map((p: any) => {
    const e = p?.IndexElem ?? {};
    const desc = e.ordering === 'SORTBY_DESC';
    const nullsFirst = e.nulls_ordering === 'SORTBY_NULLS_FIRST' || (desc && e.nulls_ordering !== 'SORTBY_NULLS_LAST');
    const key: IndexKey = {
      opclass: strings(e.opclass).join('.'),
      collation: strings(e.collation).join('.'),
      order: `${desc ? 'desc' : 'asc'} nulls ${nullsFirst ? 'first' : 'last'}`,
    };
    const fields = e.expr?.ColumnRef?.fields;
    if (e.name) key.column = e.name;
    else if (fields?.length === 1 && fields[0].String) key.column = fields[0].String.sval;
    else key.expression = syntaxShape(e.expr);
    return key;
  });
}

function emptyTable(key: string, schema: string, name: string, kind: Table['kind'], origin: Origin): Table {
  return { key, schema, name, kind, partitioned: false, columns: new Map(), constraints: new Map(), origin };
}
