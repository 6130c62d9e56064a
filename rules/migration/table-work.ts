/**
 * Shared analysis for the availability rules: which statements rewrite a table, scan it, build an
 * index or update every row, judged from the AST and the catalog as it was before the statement.
 * Every function answers "unknown" (undefined) rather than guess: the rules built on it stay silent then.
 */
import type { Catalog, Domain } from '../../src/catalog/catalog.js';
import type { MigrationContext } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { alterCommands, columnConstraints, columnType, formatType, isVacuumFull, isVolatileExpression, rangeVarKey, strings, walk, type ColumnType } from '../../src/sql/ast.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { displayRelation } from '../../src/rules/helpers.js';

/** True when the relation (a table or view, or an index on one) was created earlier in this script. */
export function isFresh(ctx: MigrationContext<any>, relation: string): boolean {
  if (ctx.isNewTable(relation)) return true;
  const index = ctx.state.catalog.indexes.get(relation);
  return index !== undefined && ctx.isNewTable(index.table);
}

/** The domain a column type names, when the catalog knows it (types carry no schema: match by name). */
export function domainOf(catalog: Catalog, type: ColumnType): Domain | undefined {
  for (const d of catalog.domains.values()) if (d.key.endsWith(`.${type.name}`)) return d;
  return undefined;
}

/** The range of a column name in `ADD [COLUMN] [IF NOT EXISTS] name` / `ALTER [COLUMN] name`, else the statement. */
export function columnNameRange(stmt: SqlStatement, verb: 'ADD' | 'ALTER', column: string): Range {
  const toks = stmt.tokens;
  const matches = (text: string) => (text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') === column : text.toLowerCase() === column);
  for (let i = 1; i < toks.length; i++) {
    if (toks[i].kind !== verb) continue;
    let j = i + 1;
    if (toks[j]?.kind === 'COLUMN') j++;
    if (toks[j]?.kind === 'IF' && toks[j + 1]?.kind === 'NOT' && toks[j + 2]?.kind === 'EXISTS') j += 3;
    const tok = toks[j];
    if (tok && tok.kind !== 'SCONST' && matches(tok.text)) return { start: tok.start, end: tok.end };
  }
  return stmt.range;
}

/** Names of the volatile functions an expression calls (`gen_random_uuid`, `nextval`…). */
function volatileCalls(expr: unknown): string[] {
  const names: string[] = [];
  walk(expr, (node) => {
    const call = (node as any).FuncCall;
    if (call && isVolatileExpression({ FuncCall: { ...call, args: [] } })) names.push(strings(call.funcname).join('.'));
  });
  return names;
}

export function isNullConstant(expr: any): boolean {
  if (expr?.A_Const?.isnull) return true;
  return Boolean(expr?.TypeCast && isNullConstant(expr.TypeCast.arg));
}

const SERIAL_TYPES = new Set(['serial', 'bigserial', 'smallserial']);

/**
 * Why `ADD COLUMN <def>` rewrites every row of the table, or undefined when it is a catalog-only change.
 * Sources: PostgreSQL docs, ALTER TABLE "Notes" (volatile default, stored generated, identity, domain
 * with constraints) and the PostgreSQL 11 release notes (constant defaults no longer rewrite).
 */
export interface ColumnRewrite {
  kind: 'serial' | 'identity' | 'generated' | 'default' | 'domain';
  reason: string;
}

export function addColumnRewrite(def: any, pgVersion: number, catalog: Catalog): ColumnRewrite | undefined {
  const type = columnType(def.typeName);
  if (SERIAL_TYPES.has(type.name)) return { kind: 'serial', reason: `\`${type.name}\` fills every existing row from a new sequence` };
  const constraints = columnConstraints(def);
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) return { kind: 'identity', reason: 'an identity column fills every existing row from its sequence' };
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v')) {
    return { kind: 'generated', reason: 'a STORED generated column is computed and written into every existing row' };
  }
  const dflt = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
  if (dflt && !isNullConstant(dflt.raw_expr)) {
    const calls = volatileCalls(dflt.raw_expr);
    if (calls.length > 0) return { kind: 'default', reason: `the volatile default \`${calls[0]}()\` is evaluated and written into every existing row` };
    if (pgVersion < 11) return { kind: 'default', reason: 'before PostgreSQL 11, any non-null default is written into every existing row' };
  }
  const domain = domainOf(catalog, type);
  if (domain && (domain.checks.length > 0 || domain.notNull)) {
    return { kind: 'domain', reason: `the domain \`${displayRelation(domain.key)}\` has constraints, which PostgreSQL checks by rewriting every row` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// ALTER COLUMN … TYPE

/** Built-in types whose casts we know; anything else (domains, extension types) is "unknown". */
const KNOWN_TYPES = new Set([
  'int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'money', 'text', 'varchar', 'bpchar', 'bool', 'date', 'time',
  'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'json', 'jsonb', 'bytea', 'bit', 'varbit', 'cidr', 'inet',
  'macaddr', 'macaddr8', 'xml', 'tsvector', 'oid', 'serial', 'bigserial', 'smallserial',
]);

/** Zero-offset time zones without daylight saving: PostgreSQL treats them as UTC for timestamp ⇄ timestamptz. */
const UTC_ZONES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'uct', 'etc/uct', 'universal', 'etc/universal', 'zulu', 'etc/zulu', 'gmt0', 'etc/gmt0', 'gmt+0', 'gmt-0', 'greenwich', 'etc/greenwich', 'z']);

/**
 * For `SET TimeZone …`: whether the session zone is now UTC; 'default' after `RESET TimeZone` or
 * `SET TIME ZONE LOCAL` (back to the server's setting); undefined for other statements.
 */
export function timeZoneSetting(stmt: SqlStatement): boolean | 'default' | undefined {
  if (stmt.kind !== 'VariableSetStmt' || stmt.node.name !== 'timezone') return undefined;
  if (stmt.node.kind === 'VAR_RESET' || stmt.node.kind === 'VAR_SET_DEFAULT') return 'default';
  const value = stmt.node.args?.[0]?.A_Const?.sval?.sval;
  if (typeof value !== 'string') return false;
  return UTC_ZONES.has(value.toLowerCase());
}

/** `VACUUM FULL` / `VACUUM (FULL)`, but not `VACUUM (FULL false)`. */

export type TypeChange =
  | { kind: 'rewrite'; from?: ColumnType; to: ColumnType; reason: string; indexes: string[] }
  | { kind: 'index-rebuild'; from: ColumnType; to: ColumnType; reason: string; indexes: string[] }
  | { kind: 'safe' }
  | { kind: 'unknown' };

/** The `USING` expression is the column itself, possibly cast: it changes nothing by itself. */
function trivialUsing(expr: any, column: string): boolean {
  let e = expr;
  while (e?.TypeCast) e = e.TypeCast.arg;
  const fields = strings(e?.ColumnRef?.fields);
  return fields.length > 0 && fields[fields.length - 1] === column;
}

/** Type modifier rule shared by varchar, varbit, timestamp(tz): no limit, or a limit at least the old one. */
function widened(from: number[], to: number[]): boolean {
  if (to.length === 0) return true;
  return from.length > 0 && to[0] >= from[0];
}

/**
 * Whether changing a column from `from` to `to` keeps every stored value as is (no rewrite, indexes kept).
 * The list follows ALTER TABLE's notes (binary-coercible changes) and the type support functions
 * that PostgreSQL 9.2 added for length and precision increases (varchar, varbit, numeric, timestamp).
 * Returns 'utc' for timestamp ⇄ timestamptz, which skips the rewrite only when the session TimeZone is UTC.
 */
function binaryCompatible(from: ColumnType, to: ColumnType): boolean | 'utc' | 'unknown' {
  if (from.array !== to.array) return false;
  if (from.array) {
    // Arrays go through an element-wise coercion: a rewrite unless the elements are identical, and not
    // judged when the element change alone would be safe.
    if (from.name === to.name && from.mods.join(',') === to.mods.join(',')) return true;
    const element = binaryCompatible({ ...from, array: false }, { ...to, array: false });
    return element === false ? false : 'unknown';
  }
  const a = from.name;
  const b = to.name;
  if (a === b && from.mods.join(',') === to.mods.join(',')) return true;
  if (a === 'varchar' && b === 'varchar') return widened(from.mods, to.mods);
  if (a === 'varchar' && b === 'text') return true;
  if (a === 'text' && b === 'varchar') return to.mods.length === 0;
  if (a === 'varbit' && b === 'varbit') return widened(from.mods, to.mods);
  if (a === 'numeric' && b === 'numeric') {
    if (to.mods.length === 0) return true;
    if (from.mods.length === 0) return false;
    const [p1, s1 = 0] = from.mods;
    const [p2, s2 = 0] = to.mods;
    return s1 === s2 && p2 >= p1;
  }
  if ((a === 'timestamp' && b === 'timestamp') || (a === 'timestamptz' && b === 'timestamptz')) return widened(from.mods, to.mods);
  if ((a === 'timestamp' && b === 'timestamptz') || (a === 'timestamptz' && b === 'timestamp')) return widened(from.mods, to.mods) ? 'utc' : false;
  if (a === 'cidr' && b === 'inet') return true;
  if (a === 'xml' && b === 'text') return true;
  return false;
}

/** `serial` and its kin are not stored types: the column is the plain integer type (with a sequence default). */
const SERIAL_STORAGE: Record<string, string> = { serial: 'int4', bigserial: 'int8', smallserial: 'int2' };

function storedType(type: ColumnType | undefined): ColumnType | undefined {
  return type && SERIAL_STORAGE[type.name] ? { ...type, name: SERIAL_STORAGE[type.name] } : type;
}

/**
 * What `ALTER COLUMN <cmd.name> TYPE …` does to an existing table. `utc` is whether the session TimeZone
 * is UTC (undefined: not known). Without the old type in the catalog the answer is 'unknown', except for a
 * `USING` expression that computes new values, which rewrites whatever the old type was.
 */
export function typeChange(catalog: Catalog, tableKey: string, cmd: any, pgVersion: number, utc: boolean | undefined): TypeChange {
  const def = cmd.def?.ColumnDef;
  if (!def?.typeName) return { kind: 'unknown' };
  const to = columnType(def.typeName);
  const column: string = cmd.name;
  const table = catalog.table(tableKey);
  const indexes = catalog
    .indexesOf(tableKey)
    .filter((i) => i.columns.includes(column))
    .map((i) => i.name);
  const from = storedType(table?.columns.get(column)?.type);
  if (def.raw_default && !trivialUsing(def.raw_default, column)) {
    return { kind: 'rewrite', from, to, reason: 'the `USING` expression computes a new value for every row', indexes };
  }
  if (!from) return { kind: 'unknown' };
  const knownType = (t: ColumnType) => KNOWN_TYPES.has(t.name) || [...catalog.enums.keys()].some((k) => k.endsWith(`.${t.name}`));
  if (!knownType(from) || !knownType(to)) return { kind: 'unknown' };
  const verdict = binaryCompatible(from, to);
  if (verdict === true) return { kind: 'safe' };
  if (verdict === 'unknown') return { kind: 'unknown' };
  if (verdict === 'utc') {
    if (pgVersion < 12 || utc === false) {
      return {
        kind: 'rewrite',
        from,
        to,
        reason: `converting between ${formatType(from)} and ${formatType(to)} rewrites every row unless the session TimeZone is UTC (PostgreSQL 12 or later)`,
        indexes,
      };
    }
    if (utc === undefined) return { kind: 'unknown' };
    if (indexes.length === 0) return { kind: 'safe' };
    return {
      kind: 'index-rebuild',
      from,
      to,
      reason: `with TimeZone UTC the rows are kept, but ${formatType(to)} sorts with a different operator class, so the indexes on the column are rebuilt`,
      indexes,
    };
  }
  return { kind: 'rewrite', from, to, reason: rewriteReason(from, to), indexes };
}

function rewriteReason(from: ColumnType, to: ColumnType): string {
  if (from.array !== to.array) return 'switching between an array and a single value converts every value';
  if (from.name !== to.name) return `${formatType(from)} and ${formatType(to)} values are stored differently, so every value is converted`;
  if (from.name === 'numeric' && to.mods.length > 0 && from.mods.length > 0 && (from.mods[1] ?? 0) !== (to.mods[1] ?? 0)) {
    return 'a different scale changes every stored value';
  }
  return `the limit of ${formatType(to)} is not a plain increase over ${formatType(from)}, so every value is checked and converted`;
}

// ---------------------------------------------------------------------------------------------
// UPDATE / DELETE that touch a whole table

type Bound = 'bounds' | 'neutral' | 'unknown';

/**
 * The names a column reference can be qualified with in an UPDATE/DELETE: the target table's name and
 * alias and those of every FROM/USING item. Undefined when an item has no readable name (then no
 * reference is taken for a variable).
 */
type Scope = Set<string> | undefined;

function statementScope(n: any): Scope {
  const names = new Set<string>();
  const add = (item: any): boolean => {
    if (item?.RangeVar) {
      names.add(item.RangeVar.relname);
      if (item.RangeVar.alias?.aliasname) names.add(item.RangeVar.alias.aliasname);
      return true;
    }
    if (item?.JoinExpr) {
      if (item.JoinExpr.alias?.aliasname) names.add(item.JoinExpr.alias.aliasname);
      return add(item.JoinExpr.larg) && add(item.JoinExpr.rarg);
    }
    const alias = item?.RangeSubselect?.alias ?? item?.RangeFunction?.alias;
    if (alias?.aliasname) {
      names.add(alias.aliasname);
      return true;
    }
    return false;
  };
  if (!add({ RangeVar: n.relation })) return undefined;
  for (const item of [...(n.fromClause ?? []), ...(n.usingClause ?? [])]) if (!add(item)) return undefined;
  return names;
}

/**
 * `rec.field` whose qualifier names no table of the statement: inside a PL/pgSQL loop (`FOR rec IN SELECT …
 * LOOP UPDATE t SET … WHERE id = rec.id`) that is a variable, a value fixed for the statement, not a column.
 * (In plain SQL such a reference is an error, so the reading is safe.)
 */
function isVariable(e: any, scope: Scope): boolean {
  const fields = e?.ColumnRef?.fields;
  if (!scope || !Array.isArray(fields) || fields.length !== 2 || fields[1]?.A_Star) return false;
  const qualifier = fields[0]?.String?.sval;
  return typeof qualifier === 'string' && !scope.has(qualifier);
}

function isColumn(e: any, scope?: Scope): boolean {
  return Boolean(e?.ColumnRef) && !e.ColumnRef.fields?.some((f: any) => f.A_Star) && !isVariable(e, scope);
}

function columnName(e: any): string {
  const fields = strings(e?.ColumnRef?.fields);
  return fields[fields.length - 1] ?? '';
}

/** An expression that reads no column: constants, parameters, `now() - interval '1 day'`. */
function isValue(e: any, scope?: Scope): boolean {
  if (!e || typeof e !== 'object') return false;
  let hasColumn = false;
  let hasQuery = false;
  walk(e, (node) => {
    if ((node as any).ColumnRef && !isVariable(node, scope)) hasColumn = true;
    if ((node as any).SubLink) hasQuery = true;
  });
  return !hasColumn && !hasQuery;
}

function hasLimit(select: any): boolean {
  const s = select?.SelectStmt;
  if (!s) return false;
  if (s.limitCount) return true;
  return Boolean(s.larg && hasLimit({ SelectStmt: s.larg }) && s.rarg && hasLimit({ SelectStmt: s.rarg }));
}

/** Columns that alone identify a row: single-column primary keys and unique indexes without predicate. */
function uniqueColumns(catalog: Catalog, tableKey: string): Set<string> | undefined {
  if (!catalog.table(tableKey)) return undefined;
  const out = new Set<string>();
  for (const i of catalog.indexesOf(tableKey)) if (i.unique && !i.partial && i.columns.length === 1) out.add(i.columns[0]);
  return out;
}

/** Classifies one conjunct of a WHERE clause: does it bound the number of rows touched? */
function conjunct(e: any, unique: Set<string> | undefined, ranges: Map<string, { lower: boolean; upper: boolean }>, scope: Scope): Bound {
  if (!e || typeof e !== 'object') return 'unknown';
  if (e.A_Const) return 'neutral'; // WHERE true
  if (e.NullTest || e.BooleanTest) return isColumn(e.NullTest?.arg ?? e.BooleanTest?.arg, scope) ? 'neutral' : 'unknown';
  if (e.SubLink) return hasLimit(e.SubLink.subselect) ? 'bounds' : 'unknown';
  if (e.BoolExpr) {
    const args: any[] = e.BoolExpr.args ?? [];
    if (e.BoolExpr.boolop === 'AND_EXPR') return combineAnd(args.map((a) => conjunct(a, unique, ranges, scope)));
    const parts = args.map((a) => conjunct(a, unique, new Map(), scope));
    if (parts.includes('unknown')) return 'unknown';
    if (e.BoolExpr.boolop === 'OR_EXPR' && parts.every((p) => p === 'bounds')) return 'bounds';
    return 'neutral';
  }
  const a = e.A_Expr;
  if (!a) return 'unknown';
  const op = strings(a.name)[0];
  // Put the column on the left.
  let left = a.lexpr;
  let right = a.rexpr;
  let flipped = false;
  if (!isColumn(left, scope) && isColumn(right, scope)) {
    [left, right] = [right, left];
    flipped = true;
  }
  if (!isColumn(left, scope)) return 'unknown';
  const col = columnName(left);
  if (a.kind === 'AEXPR_BETWEEN' || a.kind === 'AEXPR_BETWEEN_SYM') return 'bounds';
  if (a.kind === 'AEXPR_NOT_BETWEEN' || a.kind === 'AEXPR_NOT_BETWEEN_SYM') return 'neutral';
  if (isColumn(right, scope)) return op === '=' ? 'neutral' : 'unknown'; // a join condition
  const rightIsValues = a.kind === 'AEXPR_IN' ? (right?.List?.items ?? []).every((item: any) => isValue(item, scope)) : isValue(right, scope);
  if (!rightIsValues) {
    // Bounds made of PL/pgSQL variables (they parse as column references) still bound a batch.
    if (['<', '<=', '>', '>='].includes(op) && right?.ColumnRef) return recordRange(ranges, col, op, flipped);
    return 'unknown';
  }
  if ((a.kind === 'AEXPR_OP' && op === '=') || a.kind === 'AEXPR_IN' || (a.kind === 'AEXPR_OP_ANY' && op === '=')) {
    // One key value (or a list of them) on a unique column touches a handful of rows. When the catalog
    // does not know the table, stay silent rather than guess.
    if (unique === undefined || unique.has(col)) return 'bounds';
    return 'neutral';
  }
  if (a.kind === 'AEXPR_OP' && ['<', '<=', '>', '>='].includes(op)) return recordRange(ranges, col, op, flipped);
  if (a.kind === 'AEXPR_OP' || a.kind === 'AEXPR_LIKE' || a.kind === 'AEXPR_ILIKE' || a.kind === 'AEXPR_DISTINCT' || a.kind === 'AEXPR_NOT_DISTINCT') {
    return 'neutral';
  }
  return 'unknown';
}

function recordRange(ranges: Map<string, { lower: boolean; upper: boolean }>, col: string, op: string, flipped: boolean): Bound {
  const r = ranges.get(col) ?? { lower: false, upper: false };
  const lower = op === '>' || op === '>=';
  if (lower !== flipped) r.lower = true;
  else r.upper = true;
  ranges.set(col, r);
  return r.lower && r.upper ? 'bounds' : 'neutral';
}

function combineAnd(parts: Bound[]): Bound {
  if (parts.includes('bounds')) return 'bounds';
  if (parts.includes('unknown')) return 'unknown';
  return 'neutral';
}

/**
 * For `UPDATE`/`DELETE` of a table: a description of why it touches every row (or an unbounded share
 * of them), or undefined when the statement is batched, targets a key, or cannot be judged.
 */
export function unboundedWrite(stmt: SqlStatement, catalog: Catalog): string | undefined {
  if (stmt.kind !== 'UpdateStmt' && stmt.kind !== 'DeleteStmt') return undefined;
  const n = stmt.node;
  const tableKey = rangeVarKey(n.relation);
  // A LIMIT anywhere in a CTE or a joined subquery means the statement works in batches.
  for (const cte of n.withClause?.ctes ?? []) if (hasLimit(cte.CommonTableExpr?.ctequery)) return undefined;
  for (const from of [...(n.fromClause ?? []), ...(n.usingClause ?? [])]) {
    if (from.RangeSubselect && hasLimit(from.RangeSubselect.subquery)) return undefined;
  }
  if (!n.whereClause) return 'it has no WHERE clause, so it touches every row';
  if (n.whereClause.A_Const?.boolval?.boolval) return 'its WHERE clause is always true, so it touches every row';
  const verdict = conjunct(n.whereClause, uniqueColumns(catalog, tableKey), new Map(), statementScope(n));
  if (verdict !== 'neutral') return undefined;
  return 'its WHERE clause selects rows by a condition that is not a batch (no key range, no LIMIT), so it touches every matching row in one statement';
}

// ---------------------------------------------------------------------------------------------
// Long-running work

export interface SlowWork {
  relation: string;
  /** What the statement does, for messages: "rewrites `orders`", "builds the index `orders_status_idx`". */
  what: string;
  /** True when traffic waits while it runs (a lock that blocks reads or writes, or row locks on every row). */
  blocking: boolean;
}

/**
 * Work proportional to the size of an existing table: rewrites, index builds, validation scans, and
 * writes to every row. `utc` is the session TimeZone when known (see typeChange).
 */
export function slowWorkOf(ctx: MigrationContext<any>, stmt: SqlStatement, utc: boolean | undefined): SlowWork | undefined {
  const n = stmt.node;
  const catalog = ctx.state.catalog;
  const live = (rel: string) => rel !== '' && !isFresh(ctx, rel);
  switch (stmt.kind) {
    case 'IndexStmt': {
      const rel = rangeVarKey(n.relation);
      if (!live(rel)) return undefined;
      return { relation: rel, what: `builds the index${n.idxname ? ` \`${n.idxname}\`` : ''} on \`${displayRelation(rel)}\``, blocking: !n.concurrent };
    }
    case 'ReindexStmt': {
      if (!n.relation) return undefined;
      const rel = rangeVarKey(n.relation);
      if (!live(rel)) return undefined;
      const concurrent = (n.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
      return { relation: rel, what: `rebuilds the indexes of \`${displayRelation(rel)}\``, blocking: !concurrent };
    }
    case 'RefreshMatViewStmt': {
      const rel = rangeVarKey(n.relation);
      if (!live(rel) || n.skipData) return undefined;
      // CONCURRENTLY lets readers in; the EXCLUSIVE lock it takes only stops writes, which a view never gets.
      return { relation: rel, what: `recomputes the materialized view \`${displayRelation(rel)}\``, blocking: !n.concurrent };
    }
    case 'VacuumStmt': {
      if (!n.is_vacuumcmd || !isVacuumFull(n)) return undefined;
      const rels = (n.rels ?? []).map((r: any) => rangeVarKey(r.VacuumRelation?.relation)).filter(live);
      if ((n.rels ?? []).length > 0 && rels.length === 0) return undefined;
      return { relation: rels[0] ?? '', what: rels.length ? `rewrites \`${rels.map(displayRelation).join('`, `')}\`` : 'rewrites every table of the database', blocking: true };
    }
    case 'ClusterStmt': {
      const rel = n.relation ? rangeVarKey(n.relation) : '';
      if (n.relation && !live(rel)) return undefined;
      return { relation: rel, what: rel ? `rewrites \`${displayRelation(rel)}\` in index order` : 'rewrites every clustered table', blocking: true };
    }
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const rel = rangeVarKey(n.relation);
      if (!live(rel) || !unboundedWrite(stmt, catalog)) return undefined;
      return { relation: rel, what: `${stmt.kind === 'UpdateStmt' ? 'updates' : 'deletes'} the rows of \`${displayRelation(rel)}\` in one statement`, blocking: true };
    }
    case 'AlterTableStmt': {
      if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return undefined;
      const rel = rangeVarKey(n.relation);
      if (!live(rel)) return undefined;
      const table = catalog.table(rel);
      for (const cmd of alterCommands(n)) {
        switch (cmd.subtype) {
          case 'AT_AddColumn':
            if (cmd.def?.ColumnDef && addColumnRewrite(cmd.def.ColumnDef, ctx.pgVersion, catalog)) {
              return { relation: rel, what: `rewrites \`${displayRelation(rel)}\` to fill the new column \`${cmd.def.ColumnDef.colname}\``, blocking: true };
            }
            break;
          case 'AT_AlterColumnType': {
            const change = typeChange(catalog, rel, cmd, ctx.pgVersion, utc);
            if (change.kind === 'rewrite') return { relation: rel, what: `rewrites \`${displayRelation(rel)}\` to change the type of \`${cmd.name}\``, blocking: true };
            if (change.kind === 'index-rebuild') return { relation: rel, what: `rebuilds the indexes on \`${displayRelation(rel)}.${cmd.name}\``, blocking: true };
            break;
          }
          case 'AT_SetNotNull': {
            const checked = ctx.pgVersion >= 12 && [...(table?.constraints.values() ?? [])].some((c) => c.validated && c.notNullCheckOf === cmd.name);
            if (!checked) return { relation: rel, what: `scans \`${displayRelation(rel)}\` to check that \`${cmd.name}\` has no NULL`, blocking: true };
            break;
          }
          case 'AT_AddConstraint': {
            const c = cmd.def?.Constraint;
            if (!c) break;
            if ((c.contype === 'CONSTR_CHECK' || c.contype === 'CONSTR_FOREIGN') && !c.skip_validation) {
              return { relation: rel, what: `scans \`${displayRelation(rel)}\` to validate ${c.conname ? `\`${c.conname}\`` : 'the new constraint'}`, blocking: true };
            }
            if ((c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') && !c.indexname) {
              return { relation: rel, what: `builds a unique index on \`${displayRelation(rel)}\``, blocking: true };
            }
            if (c.contype === 'CONSTR_EXCLUSION') return { relation: rel, what: `builds the exclusion constraint's index on \`${displayRelation(rel)}\``, blocking: true };
            break;
          }
          case 'AT_ValidateConstraint':
            return { relation: rel, what: `scans \`${displayRelation(rel)}\` to validate \`${cmd.name}\``, blocking: false };
          case 'AT_SetLogged':
          case 'AT_SetUnLogged':
          case 'AT_SetTableSpace':
          case 'AT_SetAccessMethod':
            return { relation: rel, what: `rewrites \`${displayRelation(rel)}\``, blocking: true };
          default:
            break;
        }
      }
      return undefined;
    }
    case 'AlterDomainStmt': {
      const validates = (n.subtype === 'C' && !n.def?.Constraint?.skip_validation) || n.subtype === 'O' || (n.subtype === 'V' && ctx.pgVersion < 19);
      if (!validates) return undefined;
      const users = tablesUsingDomain(ctx, strings(n.typeName).pop() ?? '');
      if (users.length === 0) return undefined;
      return { relation: users[0], what: `checks every row of \`${users.map(displayRelation).join('`, `')}\` against the domain`, blocking: true };
    }
    default:
      return undefined;
  }
}

/** Existing tables (not created in this script) with a column of the named domain. */
export function tablesUsingDomain(ctx: MigrationContext<any>, domainName: string): string[] {
  const out: string[] = [];
  for (const t of ctx.state.catalog.tables.values()) {
    if (t.kind !== 'table' || ctx.isNewTable(t.key)) continue;
    for (const c of t.columns.values()) {
      if (c.type.name === domainName) {
        out.push(t.key);
        break;
      }
    }
  }
  return out;
}
