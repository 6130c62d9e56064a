/** Small readers over libpg-query's JSON AST, shared by the catalog and the rules. */

export interface QualifiedName {
  schema?: string;
  name: string;
}

/** `RangeVar` → schema and name. */
export function rangeVarName(rv: any): QualifiedName {
  return { schema: rv?.schemaname, name: rv?.relname ?? '' };
}

/** Catalog key of a relation: `schema.name`, unqualified names resolve to `public`. */
export function relationKey(name: QualifiedName): string {
  return `${name.schema ?? 'public'}.${name.name}`;
}

export function rangeVarKey(rv: any): string {
  return relationKey(rangeVarName(rv));
}

/** A list of `String` nodes (`names`, `typeName`, `fk_attrs`...) → plain strings. */
export function strings(list: any[] | undefined): string[] {
  return (list ?? []).map((n) => n?.String?.sval ?? n?.sval ?? '').filter((s) => s !== '');
}

/** `[schema, name]` or `[name]` list → key. */
export function listKey(list: any[] | undefined): string {
  const parts = strings(list);
  if (parts.length === 0) return '';
  if (parts.length === 1) return `public.${parts[0]}`;
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

export interface ColumnType {
  /** Canonical lower-case name without `pg_catalog.`: `int4`, `varchar`, `timestamptz`, `serial`, `my_enum`. */
  name: string;
  /** Type modifiers as integers where constant (`varchar(20)` → [20], `numeric(10,2)` → [10, 2]). */
  mods: number[];
  array: boolean;
}

const TYPE_ALIASES: Record<string, string> = {
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  decimal: 'numeric',
  real: 'float4',
  'double precision': 'float8',
  boolean: 'bool',
  timestamp_tz: 'timestamptz',
  serial4: 'serial',
  serial8: 'bigserial',
  serial2: 'smallserial',
};

export function columnType(typeName: any): ColumnType {
  const names = strings(typeName?.names);
  let name = (names[names.length - 1] ?? 'unknown').toLowerCase();
  name = TYPE_ALIASES[name] ?? name;
  const mods: number[] = [];
  for (const m of typeName?.typmods ?? []) {
    const ival = m?.A_Const?.ival;
    if (ival !== undefined) mods.push(ival.ival ?? 0);
  }
  // `timestamp with time zone` arrives as pg_catalog.timestamptz already; interval fields arrive as a mod.
  return { name, mods, array: Array.isArray(typeName?.arrayBounds) && typeName.arrayBounds.length > 0 };
}

export function formatType(t: ColumnType): string {
  const display: Record<string, string> = {
    int2: 'smallint',
    int4: 'integer',
    int8: 'bigint',
    bpchar: 'char',
    float4: 'real',
    float8: 'double precision',
    bool: 'boolean',
  };
  const base = display[t.name] ?? t.name;
  return `${base}${t.mods.length > 0 ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

/** Functions whose default value differs per row: adding a column with one rewrites the table. */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'setseed',
  'gen_random_bytes',
]);

/** True when an expression calls a volatile function (so a default made of it is evaluated per row). */
export function isVolatileExpression(expr: unknown): boolean {
  let volatile = false;
  walk(expr, (node) => {
    const call = (node as any).FuncCall;
    if (call) {
      const fname = strings(call.funcname).pop()?.toLowerCase() ?? '';
      if (VOLATILE_FUNCTIONS.has(fname)) volatile = true;
    }
    return !volatile;
  });
  return volatile;
}

/** Depth-first walk over a JSON AST; the visitor returns false to stop descending. */
export function walk(node: unknown, visit: (node: object) => boolean | void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (visit(node) === false) return;
  for (const value of Object.values(node)) {
    if (value && typeof value === 'object') walk(value, visit);
  }
}

/** Column names referenced by `ColumnRef` nodes in an expression (last field of each ref). */
export function referencedColumns(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (node) => {
    const ref = (node as any).ColumnRef;
    if (ref) {
      const fields = strings(ref.fields);
      if (fields.length > 0) out.push(fields[fields.length - 1]);
      return false;
    }
    return true;
  });
  return out;
}

/** The `AlterTableCmd`s of an `AlterTableStmt`. */
export function alterCommands(node: any): any[] {
  return (node?.cmds ?? []).map((c: any) => c.AlterTableCmd).filter(Boolean);
}

/** Column-level and table-level constraints of a `ColumnDef`. */
export function columnConstraints(def: any): any[] {
  return (def?.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean);
}

/** `IndexElem` list → column names; expressions become `(expr)` placeholders. */
export function indexColumns(params: any[] | undefined): string[] {
  return (params ?? []).map((p: any) => {
    const elem = p.IndexElem;
    if (elem?.name) return elem.name as string;
    return '(expression)';
  });
}

/** `VACUUM FULL`, `VACUUM (FULL)`, `VACUUM (FULL true)` — but not `VACUUM (FULL false)`. */
export function isVacuumFull(node: any): boolean {
  return (node.options ?? []).some((o: any) => {
    const d = o.DefElem;
    if (d?.defname !== 'full') return false;
    const arg = d.arg?.String?.sval ?? d.arg?.Integer?.ival ?? d.arg?.Boolean?.boolval;
    return arg === undefined || !['false', 'off', '0', 'no', 0, false].includes(typeof arg === 'string' ? arg.toLowerCase() : arg);
  });
}
