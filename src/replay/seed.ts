/**
 * `--replay-rows N`: before each up-migration, fill the tables it touches with N synthetic rows, so that
 * replay meets the failures that need data (NULLs under a new NOT NULL, duplicates under a new unique
 * index, orphans under a new foreign key) and measures rewrites and ACCESS EXCLUSIVE locks at that size.
 *
 * Values come from the live schema (pg_catalog), one `INSERT … SELECT … FROM generate_series` per table:
 * - a column with a default, an identity or a generation expression is left to PostgreSQL;
 * - a nullable column is NULL in one row of five (row 1, 6, 11…), so SET NOT NULL has NULLs to find;
 * - a column in a unique index or primary key gets a distinct value per row (from the row number); any
 *   other column takes its value from a small pool (those of rows 1 to 7), so a new unique index has
 *   duplicates to find, and a column that later becomes a foreign key holds keys its parent has;
 * - a foreign key column takes values of existing parent rows (tables are filled parents first), or NULL
 *   when nullable; with neither, the table is skipped.
 * When the insert fails (a CHECK, a unique expression index, a domain), it is tried again with distinct
 * values everywhere, then with NULL in every nullable column; after that the table is skipped with a
 * note. Seeding never fails the run.
 */
import type { MigrationScript } from '../migrations/model.js';
import { parseScript } from '../engine/migrations.js';
import { walk } from '../sql/ast.js';
import { errorInfo, type ReplayDatabase } from './database.js';

/** The most rows `--replay-rows` accepts: more makes a replay minutes long for little more insight. */
export const MAX_REPLAY_ROWS = 100_000;

export interface SeededTable {
  /** `schema.name`. */
  table: string;
  /** Rows inserted now (the table is topped up to N: rows seeded before an earlier migration count). */
  inserted: number;
  /** Rows in the table after seeding. */
  rows: number;
  /** Which attempt worked: 1 realistic, 2 distinct values everywhere, 3 required columns only. */
  attempt: number;
  durationMs: number;
}

export interface SkippedTable {
  table: string;
  reason: string;
}

export interface SeedResult {
  seeded: SeededTable[];
  skipped: SkippedTable[];
  durationMs: number;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
const qualified = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/** Names of the relations a script's statements mention (RangeVar nodes), as written: `[schema, name]`. */
export function touchedNames(script: MigrationScript): Array<[string | undefined, string]> {
  const out = new Map<string, [string | undefined, string]>();
  for (const stmt of parseScript(script).statements) {
    walk(stmt.node, (node: any) => {
      const rv = node?.RangeVar ?? (typeof node?.relname === 'string' && 'inh' in node ? node : undefined);
      if (rv?.relname) out.set(`${rv.schemaname ?? ''}.${rv.relname}`, [rv.schemaname, rv.relname]);
    });
  }
  return [...out.values()];
}

/** A foreign key the script adds to an existing table (`ALTER TABLE … ADD [CONSTRAINT …] FOREIGN KEY`), as written. */
interface PlannedForeignKey {
  child: [string | undefined, string];
  columns: string[];
  parent: [string | undefined, string];
  parentColumns: string[];
}

function plannedForeignKeys(script: MigrationScript): PlannedForeignKey[] {
  const out: PlannedForeignKey[] = [];
  for (const stmt of parseScript(script).statements) {
    if (stmt.kind !== 'AlterTableStmt' || !stmt.node.relation?.relname) continue;
    for (const cmd of stmt.node.cmds ?? []) {
      const con = cmd?.AlterTableCmd?.subtype === 'AT_AddConstraint' ? cmd.AlterTableCmd.def?.Constraint : undefined;
      if (con?.contype !== 'CONSTR_FOREIGN' || !con.pktable?.relname) continue;
      const names = (list: any[] | undefined) => (list ?? []).map((n: any) => String(n?.String?.sval ?? ''));
      out.push({
        child: [stmt.node.relation.schemaname, stmt.node.relation.relname],
        columns: names(con.fk_attrs),
        parent: [con.pktable.schemaname, con.pktable.relname],
        parentColumns: names(con.pk_attrs),
      });
    }
  }
  return out;
}

interface TableInfo {
  oid: string;
  schema: string;
  name: string;
  key: string;
}

/** The tables among `names` that exist now (plain and partitioned tables), resolved with the search path. */
async function existingTables(db: ReplayDatabase, names: Array<[string | undefined, string]>): Promise<TableInfo[]> {
  const out = new Map<string, TableInfo>();
  for (const [schema, name] of names) {
    const regclass = schema ? qualified(schema, name) : quoteIdent(name);
    const rows = await db.query<{ oid: string; schema: string; name: string }>(
      `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
      [regclass],
    );
    for (const r of rows) out.set(r.oid, { ...r, key: `${r.schema}.${r.name}` });
  }
  return [...out.values()];
}

interface ColumnInfo {
  name: string;
  attnum: number;
  type: string;
  notNull: boolean;
  /** Left to PostgreSQL: a default, an identity or a generated column. */
  automatic: boolean;
  /** typcategory of the column's type (or of a domain's base type). */
  category: string;
  typtype: string;
  baseName: string;
  typmod: number;
  firstLabel: string | null;
}

async function columnsOf(db: ReplayDatabase, oid: string): Promise<ColumnInfo[]> {
  const rows = await db.query<{
    name: string;
    attnum: number;
    type: string;
    notnull: boolean;
    automatic: boolean;
    category: string;
    typtype: string;
    basename: string;
    typmod: number;
    firstlabel: string | null;
  }>(
    `SELECT a.attname AS name, a.attnum::int AS attnum, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS automatic,
            b.typcategory::text AS category, t.typtype::text AS typtype, b.typname AS basename,
            CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
            (SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = b.oid ORDER BY e.enumsortorder LIMIT 1) AS firstlabel
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  return rows.map((r) => ({
    name: r.name,
    attnum: Number(r.attnum),
    type: r.type,
    notNull: r.notnull,
    automatic: r.automatic,
    category: r.category,
    typtype: r.typtype,
    baseName: r.basename,
    typmod: Number(r.typmod),
    firstLabel: r.firstlabel,
  }));
}

/**
 * A SQL expression of row number `g` for a column, or undefined when Plumbline cannot make a value of its
 * type. `distinct`: a different value for every row; otherwise one of seven.
 */
function valueExpression(c: ColumnInfo, distinct: boolean): string | undefined {
  // Pooled values are those of rows 1 to 7 (`1 + g % 7`), which a parent table filled with at least seven
  // rows also has (serial and identity keys, md5 uuids): a column that later becomes a foreign key to it
  // does not hold orphans replay invented.
  const n = distinct ? 'g' : '(1 + g % 7)';
  const cast = (expr: string) => `(${expr})::${c.type}`;
  if (c.category === 'A') return cast(`'{}'`);
  if (c.typtype === 'e' || (c.firstLabel !== null && c.category === 'E')) return c.firstLabel === null ? undefined : cast(quoteLiteral(c.firstLabel));
  switch (c.baseName) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float4':
    case 'float8':
    case 'money':
    case 'oid':
      return cast(n);
    case 'bool':
      return cast(`g % 2 = 0`);
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext': {
      // varchar(n) / char(n): atttypmod is n + 4. Keep within the length (distinct values may then repeat).
      const max = c.typmod > 4 ? c.typmod - 4 : undefined;
      const expr = `'v' || ${n}::text`;
      return cast(max ? `left(${expr}, ${max})` : expr);
    }
    case 'uuid':
      // No extension needed: an md5 is 32 hex digits, which is what a uuid is.
      return cast(`md5(${n}::text)::uuid`);
    case 'json':
    case 'jsonb':
      return cast(`'{}'`);
    case 'date':
      return cast(`date '2024-01-01' + ${n}::int`);
    case 'timestamp':
    case 'timestamptz':
      return cast(`timestamp '2024-01-01' + ${n} * interval '1 minute'`);
    case 'time':
    case 'timetz':
      return cast(`time '00:00' + (${n} % 86400) * interval '1 second'`);
    case 'interval':
      return cast(`${n} * interval '1 minute'`);
    case 'bytea':
      return cast(`decode(md5(${n}::text), 'hex')`);
    case 'inet':
    case 'cidr':
      return cast(`'10.0.0.0'::inet + ${n}`);
    case 'xml':
      return cast(`'<v/>'`);
    default:
      if (c.category === 'N') return cast(n);
      if (c.category === 'S') return cast(`'v' || ${n}::text`);
      return undefined;
  }
}

interface ForeignKey {
  /** Added by the migration about to run: values come from parent rows when there are some, else as usual. */
  planned?: boolean;
  columns: number[];
  parentOid: string;
  parentKey: string;
  parentColumns: string[];
}

async function foreignKeysOf(db: ReplayDatabase, oid: string): Promise<ForeignKey[]> {
  const rows = await db.query<{ columns: number[] | string; parent: string; parentkey: string; parentcolumns: string[] | string }>(
    `SELECT con.conkey AS columns, con.confrelid::text AS parent, pn.nspname || '.' || p.relname AS parentkey,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS parentcolumns
       FROM pg_catalog.pg_constraint con
       JOIN pg_catalog.pg_class p ON p.oid = con.confrelid JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
      WHERE con.conrelid = $1::oid AND con.contype = 'f'`,
    [oid],
  );
  return rows.map((r) => ({ columns: pgArray(r.columns).map(Number), parentOid: r.parent, parentKey: r.parentkey, parentColumns: pgArray(r.parentcolumns) }));
}

/** Columns (attnums) in a unique index or primary key of the table (expression and partial indexes included). */
async function uniqueColumnsOf(db: ReplayDatabase, oid: string): Promise<Set<number>> {
  const rows = await db.query<{ attnum: number }>(
    `SELECT DISTINCT k.attnum::int AS attnum FROM pg_catalog.pg_index i, unnest(i.indkey::int2[]) k(attnum)
      WHERE i.indrelid = $1::oid AND i.indisunique AND k.attnum > 0`,
    [oid],
  );
  return new Set(rows.map((r) => Number(r.attnum)));
}

/** node-postgres returns arrays parsed; PGlite too, but be lenient with `{a,b}` text. */
function pgArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = String(value ?? '');
  if (!text.startsWith('{')) return [];
  return text
    .slice(1, -1)
    .split(',')
    .filter(Boolean)
    .map((s) => s.replace(/^"|"$/g, ''));
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Tops each table that `script` touches up to `rows` synthetic rows. Runs outside any transaction (each
 * attempt in its own); never throws for a table it cannot fill: it skips it and says why.
 */
export async function seedTables(db: ReplayDatabase, script: MigrationScript, rows: number): Promise<SeedResult> {
  const started = performance.now();
  const result: SeedResult = { seeded: [], skipped: [], durationMs: 0 };
  const tables = await existingTables(db, touchedNames(script));
  if (tables.length === 0) return result;
  const fks = new Map<string, ForeignKey[]>();
  for (const t of tables) fks.set(t.oid, await foreignKeysOf(db, t.oid));
  // A column the migration is about to turn into a foreign key holds, in a working application, values
  // of the parent's rows: seed it so. Orphans replay invented would make every new foreign key fail.
  for (const fk of plannedForeignKeys(script)) {
    const [child] = await existingTables(db, [fk.child]);
    const [parent] = await existingTables(db, [fk.parent]);
    if (!child || !parent || !fks.has(child.oid)) continue;
    const attnums = await db.query<{ attnum: number; name: string }>(
      `SELECT a.attnum::int AS attnum, a.attname AS name FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::oid AND a.attname = ANY($2::text[]) AND NOT a.attisdropped`,
      [child.oid, fk.columns],
    );
    let parentColumns = fk.parentColumns;
    if (parentColumns.length === 0) {
      parentColumns = (
        await db.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_catalog.pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
             JOIN pg_catalog.pg_attribute a ON a.attnum = k.attnum
            WHERE i.indrelid = $1::oid AND i.indisprimary AND a.attrelid = i.indrelid ORDER BY k.n`,
          [parent.oid],
        )
      ).map((r) => r.name);
    }
    if (attnums.length !== fk.columns.length || parentColumns.length !== fk.columns.length) continue;
    const byName = new Map(attnums.map((a) => [a.name, Number(a.attnum)]));
    fks.get(child.oid)!.push({ planned: true, columns: fk.columns.map((c) => byName.get(c)!), parentOid: parent.oid, parentKey: parent.key, parentColumns });
  }
  // Parents first, so that their children can reference the rows just inserted.
  const ordered: TableInfo[] = [];
  const visiting = new Set<string>();
  const visit = (t: TableInfo) => {
    if (ordered.includes(t) || visiting.has(t.oid)) return;
    visiting.add(t.oid);
    for (const fk of fks.get(t.oid) ?? []) {
      const parent = tables.find((p) => p.oid === fk.parentOid);
      if (parent && parent !== t) visit(parent);
    }
    ordered.push(t);
  };
  tables.forEach(visit);

  for (const table of ordered) {
    const t0 = performance.now();
    try {
      const outcome = await seedTable(db, table, fks.get(table.oid) ?? [], rows);
      if ('reason' in outcome) result.skipped.push({ table: table.key, reason: outcome.reason });
      else result.seeded.push({ table: table.key, ...outcome, durationMs: performance.now() - t0 });
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => undefined);
      result.skipped.push({ table: table.key, reason: errorInfo(error).message });
    }
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function seedTable(
  db: ReplayDatabase,
  table: TableInfo,
  fks: ForeignKey[],
  rows: number,
): Promise<{ inserted: number; rows: number; attempt: number } | { reason: string }> {
  const target = qualified(table.schema, table.name);
  const [{ n: existingText }] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${target}`);
  const existing = Number(existingText);
  const missing = rows - existing;
  if (missing <= 0) return { inserted: 0, rows: existing, attempt: 0 };
  const columns = await columnsOf(db, table.oid);
  const unique = await uniqueColumnsOf(db, table.oid);

  // Foreign keys: values of existing parent rows (up to 1,000 of them), NULL when there are none.
  const fkValue = new Map<number, (distinctRow: boolean) => string>();
  for (const fk of fks) {
    const cols = fk.columns.map((attnum) => columns.find((c) => c.attnum === attnum)!).filter(Boolean);
    const nullable = cols.find((c) => !c.notNull);
    const parent = fk.parentKey.split('.');
    const parentRows =
      fk.parentOid === table.oid
        ? []
        : await db.query<Record<string, string>>(
            `SELECT ${fk.parentColumns.map((c, i) => `${quoteIdent(c)}::text AS c${i}`).join(', ')} FROM ${qualified(parent[0], parent.slice(1).join('.'))}
              WHERE ${fk.parentColumns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' AND ')} LIMIT 1000`,
          );
    if (parentRows.length === 0) {
      if (fk.planned) continue;
      if (!nullable) return { reason: `its foreign key to \`${bareKey(fk.parentKey)}\` needs parent rows, and that table has none` };
      // MATCH SIMPLE: one NULL column and the row is not checked.
      fkValue.set(nullable.attnum, () => 'NULL');
      continue;
    }
    cols.forEach((c, i) => {
      const values = `ARRAY[${parentRows.map((r) => quoteLiteral(r[`c${i}`])).join(', ')}]::text[]`;
      fkValue.set(c.attnum, (distinctRow) => `(${values})[1 + ${distinctRow ? 'g' : '(1 + g % 7)'} % ${parentRows.length}]::${c.type}`);
    });
  }

  let lastError = '';
  for (const attempt of [1, 2, 3]) {
    const names: string[] = [];
    const exprs: string[] = [];
    let impossible: string | undefined;
    for (const c of columns) {
      const fk = fkValue.get(c.attnum);
      if (c.automatic && !fk) continue;
      const distinct = attempt > 1 || unique.has(c.attnum);
      let expr = fk ? fk(distinct) : valueExpression(c, distinct);
      if (expr === undefined) {
        if (c.notNull) {
          impossible = `Plumbline cannot make values of type \`${c.type}\` for its NOT NULL column \`${c.name}\``;
          break;
        }
        expr = 'NULL';
      }
      if (!c.notNull && expr !== 'NULL') {
        if (attempt === 3) expr = 'NULL';
        else expr = `CASE WHEN g % 5 = 1 THEN NULL ELSE ${expr} END`;
      }
      names.push(quoteIdent(c.name));
      exprs.push(expr);
    }
    if (impossible) return { reason: impossible };
    // Row numbers continue after the rows already there, so that distinct values stay distinct.
    const sql =
      names.length === 0
        ? `INSERT INTO ${target} SELECT FROM generate_series(${existing + 1}, ${rows}) g`
        : `INSERT INTO ${target} (${names.join(', ')}) SELECT ${exprs.join(', ')} FROM generate_series(${existing + 1}, ${rows}) g`;
    try {
      await db.exec('BEGIN');
      await db.exec(sql);
      await db.exec('COMMIT');
      await db.exec(`ANALYZE ${target}`).catch(() => undefined);
      return { inserted: missing, rows, attempt };
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => undefined);
      lastError = errorInfo(error).message;
    }
  }
  return { reason: `no insert worked (last error: ${lastError})` };
}

export const bareKey = (key: string) => (key.startsWith('public.') ? key.slice(7) : key);

/** `10,000 rows`. */
export function rowsWords(n: number): string {
  return `${fmt(n)} ${n === 1 ? 'row' : 'rows'}`;
}
