/**
 * Columns a statement declares (CREATE TABLE, ALTER TABLE … ADD COLUMN, ALTER COLUMN … TYPE), with the
 * exact file range of each column's name and type, and what makes a column a key (primary key, identity,
 * serial, foreign key). Used by the type-style rules (prefer-bigint-id, prefer-identity, prefer-text…).
 */
import type { Catalog, Column } from '../catalog/catalog.js';
import type { Range } from '../core/source.js';
import { alterCommands, columnConstraints, rangeVarKey, strings, walk } from '../sql/ast.js';
import type { SqlStatement, SqlToken } from '../sql/parse.js';

/** Index of the token that starts at file offset `offset` (or the first one after it). */
export function tokenIndexAt(stmt: SqlStatement, offset: number): number {
  return stmt.tokens.findIndex((t) => t.start >= offset);
}

/** Keywords that end a column's type in a column definition or an ALTER COLUMN … TYPE. */
const TYPE_END = new Set([
  'CONSTRAINT',
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'CHECK',
  'REFERENCES',
  'GENERATED',
  'COLLATE',
  'USING',
  'COMPRESSION',
  'STORAGE',
  'DEFERRABLE',
  'INITIALLY',
  'OPTIONS',
]);

/** The range of the type written at `offset` (`timestamp(3) without time zone`, `varchar(20)[]`). */
export function typeRangeAt(stmt: SqlStatement, offset: number): Range | undefined {
  const toks = stmt.tokens;
  const first = tokenIndexAt(stmt, offset);
  if (first < 0 || toks[first].start !== offset) return undefined;
  let depth = 0;
  let last = first;
  for (let k = first; k < toks.length; k++) {
    const t = toks[k];
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (t.text === ',' || t.text === ';' || (k > first && TYPE_END.has(t.kind)))) break;
    last = k;
  }
  return { start: toks[first].start, end: toks[last].end };
}

/** The identifier token at a file offset, as a range (falls back to an empty range at the offset). */
export function tokenRangeAt(stmt: SqlStatement, offset: number): Range {
  const tok: SqlToken | undefined = stmt.tokens.find((t) => t.start === offset);
  return tok ? { start: tok.start, end: tok.end } : { start: offset, end: offset };
}

/** The built-in type a `TypeName` names (`int4`, `varchar`, `serial`…), or undefined for other types. */
export function builtinTypeName(typeName: any): string | undefined {
  const names = strings(typeName?.names);
  if (names.length === 1) return names[0];
  if (names.length === 2 && names[0] === 'pg_catalog') return names[1];
  return undefined;
}

const TYPE_GROUPS: Record<string, string> = {
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  serial: 'serial',
  serial4: 'serial',
  smallserial: 'smallserial',
  serial2: 'smallserial',
  bigserial: 'bigserial',
  serial8: 'bigserial',
};

/** `int4`, `int2`, `int8`, `serial`, `smallserial`, `bigserial` for the integer family, else the built-in name. */
export function canonicalType(typeName: any): string | undefined {
  const name = builtinTypeName(typeName);
  if (name === undefined) return undefined;
  return TYPE_GROUPS[name] ?? name;
}

export function isArrayType(typeName: any): boolean {
  return Array.isArray(typeName?.arrayBounds) && typeName.arrayBounds.length > 0;
}

export interface DeclaredColumn {
  /** Catalog key of the table (`public.orders`). */
  table: string;
  name: string;
  /** The `ColumnDef` (from the located node: its locations map through `at`). */
  def: any;
  typeName: any;
  /** `int4`, `serial`, `timestamp`, `json`… (see `canonicalType`); undefined for non-built-in types. */
  type: string | undefined;
  array: boolean;
  kind: 'create' | 'add' | 'alter-type';
  /** The whole type as written, e.g. `timestamp(3) without time zone`. */
  typeRange: Range;
  /** The column's name where it is declared (for ALTER COLUMN … TYPE, the name after ALTER COLUMN). */
  nameRange: Range;
  /** Part of the primary key declared in this statement (or, for a type change, of the table's). */
  primaryKey: boolean;
  /** Number of columns in that primary key. */
  primaryKeySize: number;
  identity: boolean;
  /** Its default takes values from a sequence (`DEFAULT nextval(…)`), as serial columns do. */
  nextvalDefault: boolean;
  /** The column as the catalog knew it before this statement (type changes only). */
  before?: Column;
  /** Foreign keys declared in this statement with this column on the referencing side. */
  references: Array<{ table: string; column: string | undefined }>;
}

/**
 * Columns declared by a statement: every column of a CREATE TABLE, each ADD COLUMN, and each
 * ALTER COLUMN … TYPE (whose `before` holds the old column). Other statements declare none.
 */
export function declaredColumns(stmt: SqlStatement, catalog: Catalog): DeclaredColumn[] {
  if (stmt.kind !== 'CreateStmt' && stmt.kind !== 'AlterTableStmt') return [];
  const loc = stmt;
  const n = loc.node;
  if (!n.relation) return [];
  const table = rangeVarKey(n.relation);
  const out: DeclaredColumn[] = [];

  const tableLevel: any[] = [];
  const defs: Array<{ def: any; kind: DeclaredColumn['kind']; name: string }> = [];
  if (stmt.kind === 'CreateStmt') {
    for (const elt of n.tableElts ?? []) {
      if (elt.ColumnDef?.typeName) defs.push({ def: elt.ColumnDef, kind: 'create', name: elt.ColumnDef.colname });
      else if (elt.Constraint) tableLevel.push(elt.Constraint);
    }
  } else {
    if (n.objtype && n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_FOREIGN_TABLE') return [];
    for (const cmd of alterCommands(n)) {
      if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.typeName) {
        defs.push({ def: cmd.def.ColumnDef, kind: 'add', name: cmd.def.ColumnDef.colname });
      } else if (cmd.subtype === 'AT_AlterColumnType' && cmd.def?.ColumnDef?.typeName && cmd.name) {
        defs.push({ def: cmd.def.ColumnDef, kind: 'alter-type', name: cmd.name });
      } else if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint) {
        tableLevel.push(cmd.def.Constraint);
      }
    }
  }

  // Primary keys and foreign keys declared at table level in this statement.
  let pkColumns: string[] = [];
  const fks: Array<{ column: string; table: string; refColumn: string | undefined }> = [];
  for (const c of tableLevel) {
    if (c.contype === 'CONSTR_PRIMARY') pkColumns = strings(c.keys);
    if (c.contype === 'CONSTR_FOREIGN' && c.pktable) {
      const from = strings(c.fk_attrs);
      const to = strings(c.pk_attrs);
      from.forEach((col, i) => fks.push({ column: col, table: rangeVarKey(c.pktable), refColumn: to[i] }));
    }
  }
  for (const { def, name } of defs) {
    if (columnConstraints(def).some((c) => c.contype === 'CONSTR_PRIMARY')) pkColumns = [name];
  }

  const existing = catalog.table(table);
  const existingPk = existing ? [...existing.constraints.values()].find((c) => c.type === 'primary') : undefined;

  for (const { def, kind, name } of defs) {
    const typeStart = loc.at(def.typeName.location);
    const constraints = columnConstraints(def);
    // Ranges need the statement's tokens (a scan): computed only when a rule reports on this column.
    let typeRange: Range | undefined;
    let nameRange: Range | undefined;
    const typeRangeOf = () => (typeRange ??= typeRangeAt(stmt, typeStart) ?? { start: typeStart, end: typeStart });
    const nameRangeOf = (): Range => {
      if (nameRange) return nameRange;
      // `ALTER COLUMN name TYPE …`: the ColumnDef's location is the column name.
      if (kind === 'alter-type' && !(def.location !== undefined && def.location >= 0)) return (nameRange = typeRangeOf());
      return (nameRange = tokenRangeAt(stmt, loc.at(def.location)));
    };
    const column: DeclaredColumn = {
      table,
      name,
      def,
      typeName: def.typeName,
      type: canonicalType(def.typeName),
      array: isArrayType(def.typeName),
      kind,
      get typeRange() {
        return typeRangeOf();
      },
      get nameRange() {
        return nameRangeOf();
      },
      primaryKey: false,
      primaryKeySize: 0,
      identity: constraints.some((c) => c.contype === 'CONSTR_IDENTITY'),
      nextvalDefault: constraints.some((c) => c.contype === 'CONSTR_DEFAULT' && callsNextval(c.raw_expr)),
      references: [],
    };
    if (kind === 'alter-type') {
      column.before = existing?.columns.get(name);
      column.identity = column.before?.identity ?? false;
      // An integer column with a volatile default is, in practice, fed by nextval().
      column.nextvalDefault = column.before?.default?.volatile ?? false;
      if (existingPk?.columns.includes(name)) {
        column.primaryKey = true;
        column.primaryKeySize = existingPk.columns.length;
      }
      for (const c of existing?.constraints.values() ?? []) {
        const at = c.columns.indexOf(name);
        if (c.type === 'foreign' && c.refTable && at >= 0) column.references.push({ table: c.refTable, column: c.refColumns?.[at] });
      }
    } else if (pkColumns.includes(name)) {
      column.primaryKey = true;
      column.primaryKeySize = pkColumns.length;
    }
    for (const c of constraints) {
      if (c.contype === 'CONSTR_FOREIGN' && c.pktable) column.references.push({ table: rangeVarKey(c.pktable), column: strings(c.pk_attrs)[0] });
    }
    for (const fk of fks) if (fk.column === name) column.references.push({ table: fk.table, column: fk.refColumn });
    out.push(column);
  }
  return out;
}

function callsNextval(expr: unknown): boolean {
  let found = false;
  walk(expr, (node) => {
    const call = (node as any).FuncCall;
    if (call && strings(call.funcname).pop()?.toLowerCase() === 'nextval') found = true;
    return !found;
  });
  return found;
}

/**
 * The type of the column a foreign key points at: the named column, or the referenced table's primary key.
 * Looks first at the columns declared by the same statement (a self-reference), then at the catalog.
 */
export function referencedColumnType(
  ref: { table: string; column: string | undefined },
  sameStatement: DeclaredColumn[],
  catalog: Catalog,
): { column: string; type: string | undefined } | undefined {
  const own = sameStatement.filter((c) => c.table === ref.table && c.kind !== 'alter-type');
  if (own.length > 0) {
    const target = ref.column ? own.find((c) => c.name === ref.column) : own.find((c) => c.primaryKey && c.primaryKeySize === 1);
    if (target) return { column: target.name, type: target.type };
  }
  const table = catalog.table(ref.table);
  if (!table) return undefined;
  let name = ref.column;
  if (!name) {
    const pk = [...table.constraints.values()].find((c) => c.type === 'primary');
    if (!pk || pk.columns.length !== 1) return undefined;
    name = pk.columns[0];
  }
  const column = table.columns.get(name);
  if (!column) return undefined;
  const group = TYPE_GROUPS[column.type.name] ?? column.type.name;
  return { column: name, type: column.type.array ? undefined : group };
}

/** `orders.customer_id` without the `public.` schema. */
export function columnLabel(table: string, column: string): string {
  return `${table.startsWith('public.') ? table.slice(7) : table}.${column}`;
}

const NARROW_INTEGERS = new Set(['int2', 'int4', 'serial', 'smallserial']);

export interface NarrowKey {
  reason: 'identity' | 'serial' | 'sequence' | 'primary-key' | 'foreign-key';
  /** For foreign keys: the bigint column referenced. */
  referenced?: { table: string; column: string };
}

/**
 * Why a declared `smallint`/`integer`/`serial`/`smallserial` column is a key that can run out of values:
 * a sequence feeds it (identity, serial, `DEFAULT nextval(…)`), it is the single-column `integer` primary
 * key, or a foreign key to a bigint column. Undefined for other columns: a plain `integer` count, a part of
 * a composite key, a `smallint` primary key whose values the application assigns (a lookup table).
 */
export function narrowKey(column: DeclaredColumn, sameStatement: DeclaredColumn[], catalog: Catalog): NarrowKey | undefined {
  if (!column.type || !NARROW_INTEGERS.has(column.type) || column.array) return undefined;
  if (column.identity) return { reason: 'identity' };
  if (column.type === 'serial' || column.type === 'smallserial') return { reason: 'serial' };
  if (column.nextvalDefault) return { reason: 'sequence' };
  if (column.type === 'int4' && column.primaryKey && column.primaryKeySize === 1) return { reason: 'primary-key' };
  for (const ref of column.references) {
    const target = referencedColumnType(ref, sameStatement, catalog);
    if (target && (target.type === 'int8' || target.type === 'bigserial')) {
      return { reason: 'foreign-key', referenced: { table: ref.table, column: target.column } };
    }
  }
  return undefined;
}

/** The largest value of a narrow integer type, written for people. */
export function maxValueOf(type: string): string {
  return type === 'int2' || type === 'smallserial' ? '32,767' : '2,147,483,647';
}

/** How people write the type: `integer`, `smallint`, `serial`. */
export function displayType(type: string): string {
  return ({ int2: 'smallint', int4: 'integer', int8: 'bigint' } as Record<string, string>)[type] ?? type;
}

/** `base` with the column's type modifiers and array brackets: `timestamptz(3)[]` for `timestamp(3)[]`. */
export function retyped(column: DeclaredColumn, base: string, keepModifiers = true): string {
  const mods: number[] = [];
  for (const m of column.typeName?.typmods ?? []) {
    const value = m?.A_Const?.ival;
    if (value !== undefined && (m.A_Const.location ?? 0) >= 0) mods.push(value.ival ?? 0);
  }
  const dims = Array.isArray(column.typeName?.arrayBounds) ? column.typeName.arrayBounds.length : 0;
  return `${base}${keepModifiers && mods.length > 0 ? `(${mods.join(', ')})` : ''}${'[]'.repeat(dims)}`;
}

/** "an integer", "a bigint". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/** The type's tokens were found, so a fix may replace them. */
export function typeLocated(column: DeclaredColumn): boolean {
  return column.typeRange.end > column.typeRange.start;
}
