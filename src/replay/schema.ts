/**
 * A snapshot of the schema as PostgreSQL's catalogs describe it, for the reversibility proof: every
 * object a migration can create outside PostgreSQL's own schemas (schemas, tables and other relations,
 * columns, indexes, constraints, types, functions, triggers, policies, extensions), keyed by name so that
 * two snapshots of different databases (before up, after up then down) compare object by object.
 * Objects that belong to an extension are left out: they come and go with the extension.
 */
import { SYSTEM_SCHEMA_SQL, type ReplayDatabase } from './database.js';

export type ObjectKind =
  | 'schema'
  | 'table'
  | 'partitioned table'
  | 'view'
  | 'materialized view'
  | 'sequence'
  | 'foreign table'
  | 'column'
  | 'index'
  | 'constraint'
  | 'enum'
  | 'composite type'
  | 'domain'
  | 'range type'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'window function'
  | 'trigger'
  | 'policy'
  | 'extension';

export interface SchemaObject {
  kind: ObjectKind;
  /** Unique in a snapshot and stable between databases: `index:public.orders_status_idx`. */
  key: string;
  /** Bare name of the object itself (`orders_status_idx`, `locale` for a column). */
  name: string;
  /** How messages name it: `orders_status_idx`, `users.locale`, `billing.invoices`, `touch_updated_at()`. */
  display: string;
  schema: string;
  /** For columns, indexes, constraints, triggers and policies: the relation (or domain) they belong to, `schema.name`. */
  table?: string;
  /**
   * Keys of the objects whose removal removes this one too (its table, the column an index or constraint
   * uses, the constraint that owns an index, the column that owns a sequence, a partitioned parent).
   */
  parents: string[];
  /** What is compared: a label (`default`, `type`, `definition`…) and its value; absent means "none". */
  attrs: Record<string, string>;
}

export type Snapshot = Map<string, SchemaObject>;

export interface SchemaDifference {
  /** `left behind`: exists after up then down, not before; `removed`: the other way round; `changed`: an attribute differs. */
  change: 'left behind' | 'removed' | 'changed';
  object: SchemaObject;
  /** For `changed`: the attribute and its values before the up and after the down (undefined: none). */
  attribute?: string;
  before?: string;
  after?: string;
  /** For `left behind` and `removed`: objects that go with it (its columns, indexes…), not reported on their own. */
  contents?: SchemaObject[];
}

const bare = (schema: string, name: string) => (schema === 'public' ? name : `${schema}.${name}`);
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const RELATION_KINDS: Record<string, ObjectKind> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  S: 'sequence',
  f: 'foreign table',
};
const FUNCTION_KINDS: Record<string, ObjectKind> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' };
const TYPE_KINDS: Record<string, ObjectKind> = { e: 'enum', c: 'composite type', d: 'domain', r: 'range type' };

/**
 * Reads the schema: a dozen catalog queries, limited to objects created after initdb (oid 16384 and up,
 * PostgreSQL's FirstNormalObjectId), tens of milliseconds on the replay database.
 */
export async function snapshot(db: ReplayDatabase): Promise<Snapshot> {
  const out: Snapshot = new Map();
  /** `pg_class:<oid>`, `pg_class:<oid>:<attnum>`, `pg_constraint:<oid>`… → key, to resolve pg_depend. */
  const byOid = new Map<string, string>();
  const add = (o: SchemaObject, ...ids: string[]) => {
    out.set(o.key, o);
    for (const id of ids) byOid.set(id, o.key);
  };
  const major = db.major;

  for (const r of await db.query<{ oid: string; name: string }>(
    `SELECT n.oid::text AS oid, n.nspname AS name FROM pg_catalog.pg_namespace n WHERE ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_namespace', 'n.oid')}`,
  )) {
    add({ kind: 'schema', key: `schema:${r.name}`, name: r.name, display: r.name, schema: r.name, parents: [], attrs: {} }, `pg_namespace:${r.oid}`);
  }

  const relations = await db.query<{
    oid: string;
    schema: string;
    name: string;
    kind: string;
    persistence: string;
    rls: boolean;
    force_rls: boolean;
    viewdef: string | null;
    partkey: string | null;
    bound: string | null;
    parents: string | null;
  }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence::text AS persistence,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
            CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
            CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
            (SELECT pg_catalog.string_agg(pn.nspname || '.' || p.relname, ', ' ORDER BY i.inhseqno)
               FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
               JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) AS parents
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_class', 'c.oid')}`,
  );
  const relationKey = new Map<string, string>();
  /** Relation `schema.name` → its inheritance / partition parents. */
  const inheritsFrom = new Map<string, string[]>();
  for (const r of relations) {
    const kind = RELATION_KINDS[r.kind] ?? 'table';
    const key = `relation:${r.schema}.${r.name}`;
    const attrs: Record<string, string> = { kind };
    if (r.persistence === 'u') attrs.persistence = 'UNLOGGED';
    if (r.rls) attrs['row level security'] = r.force_rls ? 'enabled and forced' : 'enabled';
    if (r.viewdef !== null) attrs.definition = normalizeSpace(r.viewdef);
    if (r.partkey) attrs['partition key'] = r.partkey;
    if (r.bound) attrs['partition bound'] = r.bound;
    const parents = r.parents ? r.parents.split(', ') : [];
    if (parents.length && !r.bound) attrs.inherits = parents.map((p) => displayKey(p)).join(', ');
    inheritsFrom.set(`${r.schema}.${r.name}`, parents);
    relationKey.set(r.oid, key);
    // A partition goes with its partitioned table; an inheritance child does not.
    const owners = [`schema:${r.schema}`, ...(r.bound ? parents.map((p) => `relation:${p}`) : [])];
    add({ kind, key, name: r.name, display: bare(r.schema, r.name), schema: r.schema, parents: owners, attrs }, `pg_class:${r.oid}`);
  }

  for (const r of await db.query<{
    rel: string;
    schema: string;
    table: string;
    attnum: number;
    name: string;
    type: string;
    notnull: boolean;
    def: string | null;
    identity: string;
    generated: string;
    local: boolean;
    collation: string | null;
  }>(
    `SELECT a.attrelid::text AS rel, n.nspname AS schema, c.relname AS table, a.attnum, a.attname AS name,
            pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity,
            ${major >= 12 ? 'a.attgenerated::text' : "''"} AS generated, a.attislocal AS local,
            CASE WHEN a.attcollation <> t.typcollation THEN (SELECT co.collname FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation) END AS collation
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${SYSTEM_SCHEMA_SQL}
        AND ${notExtensionMember('pg_class', 'c.oid')}`,
  )) {
    const table = `${r.schema}.${r.table}`;
    const attrs: Record<string, string> = { type: r.type, nullability: r.notnull ? 'NOT NULL' : 'nullable' };
    if (r.generated === 's' || r.generated === 'v') attrs.generated = `GENERATED ALWAYS AS (${r.def}) ${r.generated === 's' ? 'STORED' : 'VIRTUAL'}`;
    else if (r.def !== null) attrs.default = r.def;
    if (r.identity === 'a') attrs.identity = 'GENERATED ALWAYS AS IDENTITY';
    if (r.identity === 'd') attrs.identity = 'GENERATED BY DEFAULT AS IDENTITY';
    if (r.collation) attrs.collation = r.collation;
    // An inherited column (a partition's, a child table's) goes with the parent's column.
    const parents = [`relation:${table}`, ...(r.local ? [] : (inheritsFrom.get(table) ?? []).map((p) => `column:${p}.${r.name}`))];
    add(
      { kind: 'column', key: `column:${table}.${r.name}`, name: r.name, display: `${bare(r.schema, r.table)}.${r.name}`, schema: r.schema, table, parents, attrs },
      `pg_class:${r.rel}:${r.attnum}`,
    );
  }

  for (const r of await db.query<{ oid: string; schema: string; name: string; tschema: string; table: string; def: string; valid: boolean }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, tn.nspname AS tschema, t.relname AS table,
            pg_catalog.pg_get_indexdef(c.oid) AS def, i.indisvalid AS valid
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE i.indexrelid >= 16384 AND t.relkind IN ('r', 'p', 'm', 'f') AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_class', 'c.oid')}`,
  )) {
    const table = `${r.tschema}.${r.table}`;
    const attrs: Record<string, string> = { definition: r.def };
    if (!r.valid) attrs.validity = 'INVALID';
    add(
      { kind: 'index', key: `index:${r.schema}.${r.name}`, name: r.name, display: bare(r.schema, r.name), schema: r.schema, table, parents: [`relation:${table}`], attrs },
      `pg_class:${r.oid}`,
    );
  }

  for (const r of await db.query<{ oid: string; schema: string; owner: string; domain: boolean; name: string; def: string; validated: boolean }>(
    `SELECT con.oid::text AS oid, n.nspname AS schema, COALESCE(c.relname, ty.typname) AS owner, c.oid IS NULL AS domain,
            con.conname AS name, pg_catalog.pg_get_constraintdef(con.oid) AS def, con.convalidated AS validated
       FROM pg_catalog.pg_constraint con
       LEFT JOIN pg_catalog.pg_class c ON c.oid = con.conrelid AND con.conrelid <> 0
       LEFT JOIN pg_catalog.pg_type ty ON ty.oid = con.contypid AND con.contypid <> 0
       JOIN pg_catalog.pg_namespace n ON n.oid = COALESCE(c.relnamespace, ty.typnamespace)
      WHERE con.oid >= 16384 AND con.contype <> 'n' AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_constraint', 'con.oid')}`,
  )) {
    // NOT NULL constraints (pg_constraint rows since PostgreSQL 18) are compared as the columns' nullability.
    const owner = `${r.schema}.${r.owner}`;
    // pg_get_constraintdef ends a NOT VALID constraint's definition with ` NOT VALID`: compared separately.
    const attrs: Record<string, string> = { definition: r.def.replace(/ NOT VALID$/, '') };
    if (!r.validated) attrs.validation = 'NOT VALID';
    add(
      {
        kind: 'constraint',
        key: `constraint:${owner}.${r.name}`,
        name: r.name,
        display: r.name,
        schema: r.schema,
        table: owner,
        parents: [r.domain ? `type:${owner}` : `relation:${owner}`],
        attrs,
      },
      `pg_constraint:${r.oid}`,
    );
  }

  for (const r of await db.query<{ oid: string; relid: string | null; schema: string; name: string; kind: string; body: string | null; notnull: boolean; def: string | null }>(
    `SELECT t.oid::text AS oid, t.typrelid::text AS relid, n.nspname AS schema, t.typname AS name, t.typtype::text AS kind,
            CASE t.typtype
              WHEN 'e' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
              WHEN 'c' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                               FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
              WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
              WHEN 'r' THEN (SELECT pg_catalog.format_type(r.rngsubtype, NULL) FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)
            END AS body,
            t.typnotnull AS notnull, t.typdefault AS def
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE t.oid >= 16384 AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))
        AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_type', 't.oid')}`,
  )) {
    const kind = TYPE_KINDS[r.kind] ?? 'composite type';
    const attrs: Record<string, string> = {};
    const body = r.body ?? '';
    if (kind === 'enum') attrs.values = `(${body})`;
    else if (kind === 'composite type') attrs.fields = `(${body})`;
    else if (kind === 'domain') {
      attrs['base type'] = body;
      if (r.notnull) attrs.nullability = 'NOT NULL';
      if (r.def !== null) attrs.default = r.def;
    } else attrs.subtype = body;
    const ids = [`pg_type:${r.oid}`];
    if (kind === 'composite type' && r.relid) ids.push(`pg_class:${r.relid}`);
    add({ kind, key: `type:${r.schema}.${r.name}`, name: r.name, display: bare(r.schema, r.name), schema: r.schema, parents: [`schema:${r.schema}`], attrs }, ...ids);
  }

  for (const r of await db.query<{ oid: string; schema: string; name: string; args: string; kind: string; result: string | null; arguments: string; language: string; volatility: string; secdef: boolean; src: string | null }>(
    `SELECT p.oid::text AS oid, n.nspname AS schema, p.proname AS name, pg_catalog.oidvectortypes(p.proargtypes) AS args,
            ${major >= 11 ? 'p.prokind::text' : "CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END"} AS kind,
            pg_catalog.pg_get_function_result(p.oid) AS result, pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
            l.lanname AS language, p.provolatile::text AS volatility, p.prosecdef AS secdef, p.prosrc AS src
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      WHERE p.oid >= 16384 AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_proc', 'p.oid')}`,
  )) {
    const kind = FUNCTION_KINDS[r.kind] ?? 'function';
    const attrs: Record<string, string> = { arguments: r.arguments, language: r.language };
    if (r.result !== null) attrs.result = r.result;
    if (kind !== 'procedure') attrs.volatility = { i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' }[r.volatility] ?? r.volatility;
    if (r.secdef) attrs.security = 'SECURITY DEFINER';
    if (kind !== 'aggregate' && r.src !== null) attrs.body = normalizeSpace(r.src);
    const signature = `${r.name}(${r.args})`;
    add(
      { kind, key: `function:${r.schema}.${signature}`, name: r.name, display: bare(r.schema, signature), schema: r.schema, parents: [`schema:${r.schema}`], attrs },
      `pg_proc:${r.oid}`,
    );
  }

  for (const r of await db.query<{ oid: string; schema: string; table: string; name: string; def: string; enabled: string }>(
    `SELECT t.oid::text AS oid, n.nspname AS schema, c.relname AS table, t.tgname AS name, pg_catalog.pg_get_triggerdef(t.oid) AS def, t.tgenabled::text AS enabled
       FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE t.oid >= 16384 AND NOT t.tgisinternal AND ${SYSTEM_SCHEMA_SQL} AND ${notExtensionMember('pg_trigger', 't.oid')}`,
  )) {
    const table = `${r.schema}.${r.table}`;
    const attrs: Record<string, string> = { definition: r.def };
    if (r.enabled !== 'O') attrs.firing = { D: 'DISABLED', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[r.enabled] ?? r.enabled;
    add(
      { kind: 'trigger', key: `trigger:${table}.${r.name}`, name: r.name, display: r.name, schema: r.schema, table, parents: [`relation:${table}`], attrs },
      `pg_trigger:${r.oid}`,
    );
  }

  for (const r of await db.query<{ oid: string; schema: string; table: string; name: string; cmd: string; permissive: boolean; roles: string; qual: string | null; check: string | null }>(
    `SELECT p.oid::text AS oid, n.nspname AS schema, c.relname AS table, p.polname AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
            (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r) END, ', ' ORDER BY 1) FROM pg_catalog.unnest(p.polroles) r) AS roles,
            pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE ${SYSTEM_SCHEMA_SQL}`,
  )) {
    const table = `${r.schema}.${r.table}`;
    const attrs: Record<string, string> = {
      command: { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' }[r.cmd] ?? r.cmd,
      mode: r.permissive ? 'PERMISSIVE' : 'RESTRICTIVE',
      roles: r.roles,
    };
    if (r.qual !== null) attrs.using = r.qual;
    if (r.check !== null) attrs['with check'] = r.check;
    add(
      { kind: 'policy', key: `policy:${table}.${r.name}`, name: r.name, display: r.name, schema: r.schema, table, parents: [`relation:${table}`], attrs },
      `pg_policy:${r.oid}`,
    );
  }

  for (const r of await db.query<{ oid: string; name: string; version: string }>(
    `SELECT e.oid::text AS oid, e.extname AS name, e.extversion AS version FROM pg_catalog.pg_extension e WHERE e.extname <> 'plpgsql'`,
  )) {
    add({ kind: 'extension', key: `extension:${r.name}`, name: r.name, display: r.name, schema: '', parents: [], attrs: { version: r.version } }, `pg_extension:${r.oid}`);
  }

  // What goes with what: automatic and internal dependencies (an index on a column, a constraint's index,
  // a sequence owned by a column, a partition's index on its parent index) between user objects.
  for (const d of await db.query<{ cls: string; objid: string; objsubid: number; refcls: string; refobjid: string; refobjsubid: number }>(
    `SELECT d.classid::pg_catalog.regclass::text AS cls, d.objid::text AS objid, d.objsubid, d.refclassid::pg_catalog.regclass::text AS refcls,
            d.refobjid::text AS refobjid, d.refobjsubid
       FROM pg_catalog.pg_depend d
      WHERE d.deptype IN ('a', 'i', 'P', 'S') AND d.objid >= 16384 AND d.refobjid >= 16384`,
  )) {
    const id = (cls: string, oid: string, sub: number) => `${cls.replace(/^pg_catalog\./, '')}:${oid}${sub ? `:${sub}` : ''}`;
    const from = byOid.get(id(d.cls, d.objid, d.objsubid)) ?? byOid.get(id(d.cls, d.objid, 0));
    const to = byOid.get(id(d.refcls, d.refobjid, d.refobjsubid)) ?? byOid.get(id(d.refcls, d.refobjid, 0));
    if (!from || !to || from === to) continue;
    const o = out.get(from)!;
    if (!o.parents.includes(to)) o.parents.push(to);
  }
  for (const o of out.values()) {
    if (o.kind !== 'schema' && o.kind !== 'extension' && !o.parents.includes(`schema:${o.schema}`)) o.parents.push(`schema:${o.schema}`);
  }
  return out;
}

/** `public.orders` → `orders`; other schemas stay qualified. */
function displayKey(key: string): string {
  return key.startsWith('public.') ? key.slice(7) : key;
}

/** Runs of white space count as one: a body re-typed with other indentation is the same body. */
function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Attribute changes that leave the schema at least as strict as before and need no undoing: a NOT VALID
 * constraint that is now validated, an invalid index that is now valid (a down cannot "unvalidate").
 */
function harmless(attribute: string, before: string | undefined, after: string | undefined): boolean {
  return (attribute === 'validation' || attribute === 'validity') && before !== undefined && after === undefined;
}

/**
 * What differs between the schema before an up and after its down. An object that goes with another
 * reported one (the columns of a table left behind, the index of a column left behind) is folded into it.
 */
export function diffSchemas(before: Snapshot, after: Snapshot): SchemaDifference[] {
  const extra = new Set([...after.keys()].filter((k) => !before.has(k)));
  const missing = new Set([...before.keys()].filter((k) => !after.has(k)));
  const out: SchemaDifference[] = [];
  const folded = (o: SchemaObject, set: Set<string>): string | undefined => o.parents.find((p) => set.has(p));
  const collect = (set: Set<string>, snap: Snapshot, change: 'left behind' | 'removed') => {
    const top = new Map<string, SchemaDifference>();
    for (const key of set) {
      const o = snap.get(key)!;
      if (!folded(o, set)) top.set(key, { change, object: o, contents: [] });
    }
    for (const key of set) {
      if (top.has(key)) continue;
      // Walk up to the reported ancestor.
      let o = snap.get(key)!;
      const seen = new Set<string>();
      let parent = folded(o, set);
      while (parent && !top.has(parent) && !seen.has(parent)) {
        seen.add(parent);
        o = snap.get(parent)!;
        parent = folded(o, set);
      }
      if (parent && top.has(parent)) top.get(parent)!.contents!.push(snap.get(key)!);
    }
    out.push(...top.values());
  };
  collect(extra, after, 'left behind');
  collect(missing, before, 'removed');
  for (const [key, a] of after) {
    const b = before.get(key);
    if (!b) continue;
    for (const attribute of new Set([...Object.keys(b.attrs), ...Object.keys(a.attrs)])) {
      const was = b.attrs[attribute];
      const is = a.attrs[attribute];
      if (was === is || harmless(attribute, was, is)) continue;
      out.push({ change: 'changed', object: a, attribute, before: was, after: is });
    }
  }
  const order: Record<SchemaDifference['change'], number> = { 'left behind': 0, changed: 1, removed: 2 };
  return out.sort((x, y) => order[x.change] - order[y.change] || x.object.key.localeCompare(y.object.key) || (x.attribute ?? '').localeCompare(y.attribute ?? ''));
}

/** True when two snapshots describe exactly the same schema (every attribute, harmless changes included). */
export function sameSchema(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) return false;
    const keys = Object.keys(x.attrs);
    if (keys.length !== Object.keys(y.attrs).length || keys.some((k) => x.attrs[k] !== y.attrs[k])) return false;
  }
  return true;
}
