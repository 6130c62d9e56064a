/**
 * SQL written inside TypeScript: the text of a query expression and the small "shape" the code rules read.
 *
 * `sqlTextOf` turns a string literal, a template (tagged or not), a `'a' + x` concatenation or a `const`
 * bound to one of these into SQL text where every hole (`${…}`, a non-constant `+` operand) is a `$n`
 * parameter, and says what kind each hole is (a bound parameter of a tagged template, or text spliced into
 * the SQL). Constants (string and number literals, `const` identifiers bound to them, `cond ? 'ASC' : 'DESC'`)
 * are inlined into the text: they are SQL written by the programmer, not holes.
 *
 * `sqlShape` parses the text once (libpg-query, cached by text) and reads what the rules need: statement
 * kind, tables, WHERE filters, join keys, ORDER BY, LIMIT, FOR UPDATE, ON CONFLICT, RETURNING, the SET list
 * of an UPDATE (atomic `x = x + 1` or not), optimistic version checks. Driver placeholder styles (`?` for
 * knex/mysql, `??` knex identifiers, `:name` for TypeORM/Sequelize/knex named bindings, `$name` binds) are
 * rewritten to `$n` outside strings, quoted identifiers, comments and dollar quotes before parsing.
 *
 * Neither function throws: text that does not parse gives `{ kind: 'other', error }`.
 */
import { ts } from 'ts-morph';
import { parseSql } from '../sql/parse.js';
import { strings, walk } from '../sql/ast.js';

// ---------------------------------------------------------------------------------------------------------
// SQL text of a TypeScript expression
// ---------------------------------------------------------------------------------------------------------

export type SqlHoleKind = 'parameter' | 'interpolation' | 'concatenation';

export interface SqlHole {
  /** The interpolated expression (inside `${…}`), or the concatenated operand. */
  node: ts.Expression;
  /**
   * `parameter`: a value of a tagged template (`sql\`…\``, `Prisma.sql`, `$queryRaw\`…\``) — sent as a bound
   * parameter, safe. `interpolation`: `${…}` in an untagged template, or `raw(…)`/`unsafe(…)` inside a tagged
   * one — spliced into the SQL. `concatenation`: a `+` operand — spliced into the SQL.
   */
  kind: SqlHoleKind;
  /** What the hole became in `text`: `$3`, or `__hole1` when it stands where an identifier is expected. */
  placeholder: string;
  /** Offsets of `placeholder` in `text`. */
  start: number;
  end: number;
}

export interface SqlText {
  /** SQL with every hole replaced by `$1`, `$2` … (numbering continues after the highest existing `$n`). */
  text: string;
  holes: SqlHole[];
}

/** Words a SQL text may start with (after whitespace, comments and opening parentheses). */
const SQL_START = new Set([
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'LOCK',
  'SET', 'MERGE', 'CALL', 'VALUES', 'TRUNCATE', 'CREATE', 'ALTER', 'DROP',
]);

type Part = string | { hole: ts.Expression; kind: SqlHoleKind };

interface PartsContext {
  resolve?: (id: ts.Identifier) => ts.Expression | undefined;
  /** Identifiers being resolved (cycle guard: `const a = b; const b = a`). */
  resolving: Set<ts.Identifier | ts.Expression>;
  depth: number;
}

const MAX_DEPTH = 12;
/** Hole markers inside the intermediate text (private-use characters, never in real SQL). */
const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * The SQL text of an expression: string literal, no-substitution template, template expression (tagged or
 * not), `'a' + x + 'b'` concatenation, parenthesised; identifiers bound to `const X = '...'` are resolved
 * through `resolveConst` (the initializer of a const identifier, or undefined). `tagged` says that a bare
 * template expression is the template of a tagged template (its holes are bound parameters). Returns
 * undefined when the expression is not SQL-looking text (it must start, after whitespace and comments, with
 * a SQL keyword: SELECT, INSERT, UPDATE, DELETE, WITH, BEGIN, … — case-insensitive).
 */
export function sqlTextOf(
  expr: ts.Expression,
  resolveConst?: (id: ts.Identifier) => ts.Expression | undefined,
  tagged?: boolean,
): SqlText | undefined {
  try {
    const ctx: PartsContext = { resolve: resolveConst, resolving: new Set(), depth: 0 };
    const parts = partsOf(expr, ctx, tagged === true);
    if (!parts) return undefined;
    const holes: Array<{ node: ts.Expression; kind: SqlHoleKind }> = [];
    let marked = '';
    for (const part of parts) {
      if (typeof part === 'string') marked += part;
      else {
        marked += `${OPEN}${holes.length}${CLOSE}`;
        holes.push({ node: part.hole, kind: part.kind });
      }
    }
    if (!looksLikeSql(marked)) return undefined;
    // Tagged-template libraries (Prisma, postgres.js, Slonik, Kysely, Drizzle) take values through `${}`
    // only: a `?` or `:x` in their text is SQL (the jsonb `?` operator), not a driver placeholder.
    const isTagged = tagged === true || ts.isTaggedTemplateExpression(unwrap(expr));
    return withFallback(normalize(marked, !isTagged), holes);
  } catch {
    return undefined;
  }
}

/** Skips leading whitespace, comments and `(`, then checks the first word. */
function looksLikeSql(text: string): boolean {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '(' || /\s/.test(c) || c === '\ufeff') i++;
    else if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else break;
  }
  const m = /^[A-Za-z]+/.exec(text.slice(i, i + 16));
  if (!m) return false;
  const next = text[i + m[0].length];
  if (next !== undefined && /[A-Za-z0-9_$]/.test(next)) return false;
  return SQL_START.has(m[0].toUpperCase());
}

function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) {
      e = e.expression;
    } else return e;
  }
}

/** The text parts of a string-valued expression; undefined when it is not built from SQL text. */
function partsOf(expr: ts.Expression, ctx: PartsContext, tagged: boolean): Part[] | undefined {
  if (ctx.depth > MAX_DEPTH) return undefined;
  const e = unwrap(expr);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
  if (ts.isNumericLiteral(e)) return [e.text];
  if (ts.isTaggedTemplateExpression(e)) return templateParts(e.template, ctx, true);
  if (ts.isTemplateExpression(e)) return templateParts(e, ctx, tagged);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return concatParts(e, ctx);
  if (ts.isIdentifier(e)) {
    if (!ctx.resolve || ctx.resolving.has(e)) return undefined;
    const init = ctx.resolve(e);
    if (!init || ctx.resolving.has(init)) return undefined;
    ctx.resolving.add(e);
    ctx.resolving.add(init);
    ctx.depth++;
    try {
      return partsOf(init, ctx, false);
    } finally {
      ctx.depth--;
      ctx.resolving.delete(e);
      ctx.resolving.delete(init);
    }
  }
  if (ts.isConditionalExpression(e)) {
    // `${desc ? 'DESC' : 'ASC'}`: a choice between constants is constant text (the first branch is used).
    ctx.depth++;
    try {
      const whenTrue = partsOf(e.whenTrue, ctx, tagged);
      const whenFalse = partsOf(e.whenFalse, ctx, tagged);
      if (whenTrue && whenFalse && whenTrue.every((p) => typeof p === 'string') && whenFalse.every((p) => typeof p === 'string')) return whenTrue;
    } finally {
      ctx.depth--;
    }
    return undefined;
  }
  return undefined;
}

function templateParts(t: ts.TemplateExpression | ts.NoSubstitutionTemplateLiteral, ctx: PartsContext, tagged: boolean): Part[] {
  if (ts.isNoSubstitutionTemplateLiteral(t)) return [t.text];
  const out: Part[] = [t.head.text];
  ctx.depth++;
  try {
    for (const span of t.templateSpans) {
      out.push(...holeParts(span.expression, ctx, tagged));
      out.push(span.literal.text);
    }
  } finally {
    ctx.depth--;
  }
  return out;
}

/** Callee name of `raw(x)`, `Prisma.raw(x)`, `sql.unsafe(x)`. */
function calleeName(call: ts.CallExpression): string | undefined {
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

function holeParts(expr: ts.Expression, ctx: PartsContext, tagged: boolean): Part[] {
  const e = unwrap(expr);
  if (tagged) {
    // A nested fragment (`${Prisma.sql`AND status = ${s}`}`) is SQL text whose own holes are parameters.
    if (ts.isTaggedTemplateExpression(e)) return templateParts(e.template, ctx, true);
    // `${Prisma.empty}` / `${sql.empty}`: nothing.
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'empty') return [''];
    if (ts.isConditionalExpression(e)) {
      const fragment = [e.whenTrue, e.whenFalse].map(unwrap).find(ts.isTaggedTemplateExpression);
      if (fragment) return templateParts(fragment.template, ctx, true);
    }
    // `${Prisma.raw(x)}`, `${sql.raw(x)}`, `${sql.unsafe(x)}`: text spliced into the SQL.
    if (ts.isCallExpression(e) && e.arguments.length >= 1 && ['raw', 'unsafe'].includes(calleeName(e) ?? '')) {
      const inner = partsOf(e.arguments[0], ctx, false);
      if (inner && inner.every((p) => typeof p === 'string')) return inner;
      return [{ hole: expr, kind: 'interpolation' }];
    }
    return [{ hole: expr, kind: 'parameter' }];
  }
  return partsOf(expr, ctx, false) ?? [{ hole: expr, kind: 'interpolation' }];
}

function concatParts(e: ts.BinaryExpression, ctx: PartsContext): Part[] | undefined {
  const operands: ts.Expression[] = [];
  const flatten = (x: ts.Expression): void => {
    const u = unwrap(x);
    if (ts.isBinaryExpression(u) && u.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      flatten(u.left);
      flatten(u.right);
    } else operands.push(x);
  };
  flatten(e);
  const out: Part[] = [];
  let text = false;
  ctx.depth++;
  try {
    for (const op of operands) {
      const u = unwrap(op);
      const parts = partsOf(op, ctx, false);
      if (parts) {
        if (!ts.isNumericLiteral(u)) text = true;
        out.push(...parts);
      } else out.push({ hole: op, kind: 'concatenation' });
    }
  } finally {
    ctx.depth--;
  }
  return text ? out : undefined;
}

/**
 * After normalization: text segments and holes (index into the hole list, with their `$n` number).
 * `dollar`: the hole followed a `$` (`$${i + 1}`, building a placeholder number): a bound parameter.
 * `quotedIdent`: the hole sits inside a quoted identifier (`"${table}"`): rendered as `__holeN`.
 */
type Segment = string | { hole: number; n: number; dollar?: boolean; quotedIdent?: boolean };

/**
 * Renders the segments, holes listed in `asIdent` as identifiers, and parses; when the parse fails at a hole
 * (`FROM ${table}`: a `$n` cannot stand for a table), that hole becomes `__holeK` and the text is parsed again.
 */
function withFallback(segments: Segment[], holes: Array<{ node: ts.Expression; kind: SqlHoleKind }>): SqlText {
  const asIdent = new Set<number>();
  let rendered = render(segments, holes, asIdent);
  for (let attempt = 0; attempt < holes.length; attempt++) {
    const parsed = parseCached(rendered.text);
    if (parsed.errorAt === undefined) break;
    const at = parsed.errorAt;
    const culprit = rendered.holes.find((h, i) => !asIdent.has(i) && at >= h.start - 1 && at <= h.end);
    if (!culprit) break;
    asIdent.add(rendered.holes.indexOf(culprit));
    rendered = render(segments, holes, asIdent);
  }
  return rendered;
}

function render(segments: Segment[], holes: Array<{ node: ts.Expression; kind: SqlHoleKind }>, asIdent: Set<number>): SqlText {
  let text = '';
  const out: SqlHole[] = holes.map((h) => ({ node: h.node, kind: h.kind, placeholder: '', start: 0, end: 0 }));
  for (const s of segments) {
    if (typeof s === 'string') text += s;
    else {
      const hole = out[s.hole];
      if (s.dollar) hole.kind = 'parameter';
      hole.placeholder = asIdent.has(s.hole) || s.quotedIdent ? `__hole${s.hole + 1}` : `$${s.n}`;
      hole.start = text.length;
      text += hole.placeholder;
      hole.end = text.length;
    }
  }
  return { text, holes: out };
}

// ---------------------------------------------------------------------------------------------------------
// Placeholder normalization
// ---------------------------------------------------------------------------------------------------------

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Rewrites driver placeholders to `$n` outside strings, quoted identifiers, comments and dollar quotes:
 * `?` (knex/mysql; only when the text has no `$n` of its own — then `?` is the jsonb operator), `??` and
 * knex `:name:` (identifier bindings) → `__ident`, `:name` / `:...name` (TypeORM, Sequelize, knex named
 * bindings; the same name keeps its number; `::type` casts untouched), `$name` (Sequelize bind).
 * Hole markers become hole segments, numbered in text order with the placeholders. `driverPlaceholders`
 * false (tagged templates): only the holes are rewritten.
 */
function normalize(text: string, driverPlaceholders = true): Segment[] {
  const scan = scanText(text);
  const segments: Segment[] = [];
  let buf = '';
  let next = scan.maxParam;
  const named = new Map<string, number>();
  const flush = (): void => {
    if (buf) segments.push(buf);
    buf = '';
  };
  /** Copies a region that is not SQL code (string, comment…), keeping hole markers as holes. */
  const copy = (region: string): void => {
    const quotedIdent = region.startsWith('"');
    if (!region.includes(OPEN)) {
      buf += region;
      return;
    }
    let i = 0;
    while (i < region.length) {
      const open = region.indexOf(OPEN, i);
      const close = open < 0 ? -1 : region.indexOf(CLOSE, open);
      if (open < 0 || close < 0) {
        buf += region.slice(i);
        return;
      }
      buf += region.slice(i, open);
      flush();
      segments.push({ hole: Number(region.slice(open + 1, close)), n: ++next, ...(quotedIdent ? { quotedIdent } : {}) });
      i = close + 1;
    }
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    const skip = skipNonCode(text, i);
    if (skip > i) {
      copy(text.slice(i, skip));
      i = skip;
      continue;
    }
    if (c === OPEN || (c === '$' && text[i + 1] === OPEN)) {
      const from = c === '$' ? i + 1 : i;
      const close = text.indexOf(CLOSE, from);
      if (close > from) {
        flush();
        segments.push({ hole: Number(text.slice(from + 1, close)), n: ++next, ...(c === '$' ? { dollar: true } : {}) });
        i = close + 1;
        continue;
      }
    }
    if (c === '?' && driverPlaceholders && scan.convertQuestion) {
      if (text[i + 1] === '?') {
        buf += '__ident';
        i += 2;
        continue;
      }
      if (text[i + 1] === '|' || text[i + 1] === '&') {
        buf += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (text[i - 1] === '\\') {
        // knex `\\?`: a literal question mark (the jsonb operator).
        buf = buf.slice(0, -1) + '?';
        i++;
        continue;
      }
      buf += `$${++next}`;
      i++;
      continue;
    }
    if (c === ':' && driverPlaceholders) {
      if (text[i + 1] === ':' || text[i + 1] === '=') {
        buf += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      const prev = text[i - 1];
      const m = /^(?:\.\.\.)?([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i + 1, i + 200));
      if (m && (prev === undefined || !(IDENT_CHAR.test(prev) || prev === ':' || prev === '"' || prev === ']'))) {
        const end = i + 1 + m[0].length;
        if (text[end] === ':' && text[end + 1] !== ':') {
          buf += '__ident'; // knex `:column:` identifier binding
          i = end + 1;
          continue;
        }
        let num = named.get(m[1]);
        if (num === undefined) {
          num = ++next;
          named.set(m[1], num);
        }
        buf += `$${num}`;
        i = end;
        continue;
      }
    }
    if (c === '$' && driverPlaceholders) {
      const prev = text[i - 1];
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i, i + 200));
      if (m && text[i + m[0].length] !== '$' && (prev === undefined || !IDENT_CHAR.test(prev))) {
        let num = named.get(`$${m[1]}`);
        if (num === undefined) {
          num = ++next;
          named.set(`$${m[1]}`, num);
        }
        buf += `$${num}`;
        i += m[0].length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return segments;
}

function normalizeText(text: string): string {
  if (!/[?:$]/.test(text)) return text;
  let out = '';
  for (const s of normalize(text)) out += typeof s === 'string' ? s : `$${s.n}`;
  return out;
}

/** First pass: the highest `$n` in code, and whether `?` are placeholders (no `$n` of the text's own). */
function scanText(text: string): { maxParam: number; convertQuestion: boolean } {
  let maxParam = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const skip = skipNonCode(text, i);
    if (skip > i) {
      i = skip;
      continue;
    }
    if (text[i] === '$' && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
      const m = /^\$(\d+)/.exec(text.slice(i, i + 12));
      if (m) {
        maxParam = Math.max(maxParam, Number(m[1]));
        i += m[0].length;
        continue;
      }
    }
    i++;
  }
  return { maxParam, convertQuestion: maxParam === 0 };
}

/** End of the string, quoted identifier, comment or dollar quote starting at `i`; `i` when none starts there. */
function skipNonCode(text: string, i: number): number {
  const c = text[i];
  const n = text.length;
  if (c === '-' && text[i + 1] === '-') {
    let j = i;
    while (j < n && text[j] !== '\n') j++;
    return j;
  }
  if (c === '/' && text[i + 1] === '*') {
    let depth = 0;
    let j = i;
    while (j < n) {
      if (text[j] === '/' && text[j + 1] === '*') {
        depth++;
        j += 2;
      } else if (text[j] === '*' && text[j + 1] === '/') {
        depth--;
        j += 2;
        if (depth === 0) return j;
      } else j++;
    }
    return n;
  }
  if (c === "'" || c === '"' || c === '`') {
    const escapes = c === "'" && (text[i - 1] === 'E' || text[i - 1] === 'e') && !IDENT_CHAR.test(text[i - 2] ?? ' ');
    let j = i + 1;
    while (j < n) {
      if (text[j] === c) {
        if (text[j + 1] === c) j += 2;
        else return j + 1;
      } else if (escapes && text[j] === '\\') j += 2;
      else j++;
    }
    return n;
  }
  if (c === '$' && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
    if (m) {
      const close = text.indexOf(m[0], i + m[0].length);
      return close < 0 ? n : close + m[0].length;
    }
  }
  return i;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing (cached)
// ---------------------------------------------------------------------------------------------------------

interface Parsed {
  /** The text parsed. */
  text: string;
  /** Top-level statements: node kind and node. */
  statements: Array<{ kind: string; node: any }>;
  error?: string;
  /** Offset of the syntax error in the text. */
  errorAt?: number;
}

const CACHE_LIMIT = 5000;
const parseCache = new Map<string, Parsed>();
const shapeCache = new Map<string, SqlShape>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

function parseCached(text: string): Parsed {
  const hit = parseCache.get(text);
  if (hit) return hit;
  let parsed: Parsed;
  try {
    const chunk = parseSql(text);
    parsed = { text, statements: chunk.statements.filter((s) => !s.viaDo).map((s) => ({ kind: s.kind, node: s.node })) };
    if (chunk.errors.length > 0) {
      parsed.error = chunk.errors[0].message;
      parsed.errorAt = chunk.errors[0].range.start;
    }
    // Not loaded yet (a caller forgot `await loadParser()`): answer, but do not remember the failure.
    if (parsed.error?.includes('before loadParser')) return parsed;
  } catch (error) {
    return { text, statements: [], error: error instanceof Error ? error.message : String(error) };
  }
  return remember(parseCache, text, parsed);
}

// ---------------------------------------------------------------------------------------------------------
// Shape
// ---------------------------------------------------------------------------------------------------------

export type SqlShapeKind = 'select' | 'insert' | 'update' | 'delete' | 'begin' | 'commit' | 'rollback' | 'lock' | 'other';
export type SqlFilterOp = 'eq' | 'in' | 'range' | 'like' | 'null' | 'other';

export interface SqlFilter {
  /** The table the column belongs to (resolved through aliases); unset when an unqualified column is ambiguous. */
  table?: string;
  column: string;
  op: SqlFilterOp;
  /** The column sits inside a function or cast (`lower(email) = $1`): a plain index on it does not serve. */
  onExpression?: boolean;
}

export interface SqlShape {
  kind: SqlShapeKind;
  /** libpg-query node type of the first statement (`SelectStmt`, `MergeStmt`…); unset on a parse error. */
  node?: string;
  /** Main table: PostgreSQL's name for it (unquoted names folded to lower case, quoted kept), without schema. */
  table?: string;
  schema?: string;
  /** Every table referenced (FROM, JOIN, subqueries, CTE bodies), main first, deduplicated; CTE names excluded. */
  tables: string[];
  /** Top-level AND conditions of WHERE (and non-join conditions of JOIN … ON). */
  filters: SqlFilter[];
  /** Join keys per joined table (explicit JOIN … ON/USING, or `a.x = b.y` in WHERE). */
  joins: Array<{ table: string; columns: string[] }>;
  orderBy: Array<{ table?: string; column: string }>;
  /** LIMIT / FETCH FIRST present (a literal or a parameter; not `LIMIT ALL`). */
  limit: boolean;
  /**
   * At most one row: an equality on `id` (or a column in `uniqueColumns`) of the main table, an aggregate
   * without GROUP BY, `LIMIT 1`, a SELECT without FROM, an INSERT of one VALUES row.
   */
  singleRow: boolean;
  /** The select list is only aggregates (count(*), sum(…)…, possibly cast or coalesced) and there is no GROUP BY. */
  aggregate: boolean;
  /** FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE. */
  forUpdate: boolean;
  /** … SKIP LOCKED. */
  skipLocked: boolean;
  onConflict: 'nothing' | 'update' | undefined;
  returning: boolean;
  /** UPDATE … SET (and INSERT … ON CONFLICT DO UPDATE SET): whether each new value is computed from the column itself. */
  set: Array<{ column: string; atomic: boolean }>;
  insertColumns: string[];
  /** UPDATE/DELETE whose WHERE compares `version`/`lock_version`/`updated_at`/`revision` (optimistic concurrency). */
  versionCheck: boolean;
  /** Some filter is `= ANY($n)` or `IN (…)` with a parameter: a batched lookup. */
  anyArray: boolean;
  /** Number of top-level statements in the text. */
  statements: number;
  /** The kind of every statement, in order (`['begin', 'update', 'commit']`). */
  kinds: SqlShapeKind[];
  /** Parse error message (then kind is 'other'). */
  error?: string;
}

export interface SqlShapeOptions {
  /** Columns whose equality selects one row; default `['id']`. */
  uniqueColumns?: string[];
}

const DEFAULT_UNIQUE = ['id'];
const VERSION_COLUMNS = new Set(['version', 'lock_version', 'updated_at', 'revision']);
const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg', 'json_agg',
  'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'stddev', 'stddev_pop', 'stddev_samp', 'variance',
  'var_pop', 'var_samp', 'bit_and', 'bit_or', 'bit_xor', 'percentile_cont', 'percentile_disc', 'mode',
  'any_value', 'xmlagg', 'range_agg', 'range_intersect_agg', 'corr', 'covar_pop', 'covar_samp',
]);
/** Identifiers that stand for holes or knex identifier bindings: not real tables. */
const PLACEHOLDER_IDENT = /^__(hole\d+|ident)$/;

function emptyShape(): SqlShape {
  return {
    kind: 'other',
    tables: [],
    filters: [],
    joins: [],
    orderBy: [],
    limit: false,
    singleRow: false,
    aggregate: false,
    forUpdate: false,
    skipLocked: false,
    onConflict: undefined,
    returning: false,
    set: [],
    insertColumns: [],
    versionCheck: false,
    anyArray: false,
    statements: 0,
    kinds: [],
  };
}

/**
 * Parses (cached by text, at most 5000 entries) and returns the shape of the FIRST statement; `statements`
 * and `kinds` describe all of them. After WITH, the main statement decides `kind`, except that a SELECT whose
 * CTEs modify data (`WITH moved AS (DELETE … RETURNING *) SELECT …`) takes the shape of the first modifying
 * CTE. The shape is shared through the cache: do not mutate it (it is frozen).
 */
export function sqlShape(text: string, options?: SqlShapeOptions): SqlShape {
  const unique = options?.uniqueColumns;
  const key = unique && unique.length > 0 ? `${unique.join(',')}\u0000${text}` : text;
  const hit = shapeCache.get(key);
  if (hit) return hit;
  let shape: SqlShape;
  let cacheable = true;
  try {
    // The text as written first (a `?` may be the jsonb operator); driver placeholders rewritten when it
    // does not parse (`id = ?`, `id = :id`, `FROM ??`).
    let parsed = parseCached(text);
    if (parsed.error !== undefined) {
      const normalized = normalizeText(text);
      if (normalized !== text) {
        const again = parseCached(normalized);
        if (again.error === undefined) parsed = again;
      }
    }
    if (parsed.error?.includes('before loadParser')) cacheable = false;
    shape = buildShape(parsed, new Set((unique && unique.length > 0 ? unique : DEFAULT_UNIQUE).map((c) => c.toLowerCase())));
  } catch (error) {
    shape = { ...emptyShape(), error: error instanceof Error ? error.message : String(error) };
  }
  deepFreeze(shape);
  return cacheable ? remember(shapeCache, key, shape) : shape;
}

function deepFreeze(value: unknown): void {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

function statementKind(kind: string, node: any): SqlShapeKind {
  switch (kind) {
    case 'SelectStmt':
      return 'select';
    case 'InsertStmt':
      return 'insert';
    case 'UpdateStmt':
      return 'update';
    case 'DeleteStmt':
      return 'delete';
    case 'LockStmt':
      return 'lock';
    case 'TransactionStmt':
      switch (node?.kind) {
        case 'TRANS_STMT_BEGIN':
        case 'TRANS_STMT_START':
          return 'begin';
        case 'TRANS_STMT_COMMIT':
          return 'commit';
        case 'TRANS_STMT_ROLLBACK':
          return 'rollback';
        default:
          return 'other'; // SAVEPOINT, RELEASE, ROLLBACK TO SAVEPOINT, two-phase commit
      }
    default:
      return 'other';
  }
}

function buildShape(parsed: Parsed, unique: Set<string>): SqlShape {
  const shape = emptyShape();
  shape.statements = parsed.statements.length;
  shape.kinds = parsed.statements.map((s) => statementKind(s.kind, s.node));
  if (parsed.error !== undefined) {
    shape.error = parsed.error;
    return shape;
  }
  const first = parsed.statements[0];
  if (!first) {
    shape.error = 'no SQL statement';
    return shape;
  }
  shape.node = first.kind;
  shape.kind = shape.kinds[0];
  const prose = proseSelect(first.kind, first.node) ?? (first.kind === 'TransactionStmt' ? undefined : proseSentence(parsed.text));
  if (prose) {
    shape.kind = 'other';
    shape.kinds[0] = 'other';
    shape.error = prose;
    return shape;
  }

  const cteNames = new Set<string>();
  walk(first.node, (n) => {
    const cte = (n as any).CommonTableExpr;
    if (cte?.ctename) cteNames.add(cte.ctename);
  });

  // A SELECT whose CTEs write: the write is what the statement does.
  let kind = first.kind;
  let node = first.node;
  if (kind === 'SelectStmt') {
    const modifying = (node.withClause?.ctes ?? [])
      .map((c: any) => c.CommonTableExpr?.ctequery)
      .find((q: any) => q && (q.InsertStmt || q.UpdateStmt || q.DeleteStmt));
    if (modifying) {
      kind = Object.keys(modifying)[0];
      node = modifying[kind];
      shape.kind = statementKind(kind, node);
    }
  }

  const analysis = new Analysis(shape, unique, cteNames);
  switch (kind) {
    case 'SelectStmt':
      analysis.select(node);
      break;
    case 'InsertStmt':
      analysis.insert(node);
      break;
    case 'UpdateStmt':
      analysis.update(node);
      break;
    case 'DeleteStmt':
      analysis.delete(node);
      break;
    case 'LockStmt':
    case 'TruncateStmt':
      analysis.setMain(node.relations?.[0]?.RangeVar);
      break;
    case 'MergeStmt':
    case 'CopyStmt':
      analysis.setMain(node.relation);
      break;
    default:
      break;
  }

  // Every table of the whole first statement (CTE bodies and subqueries included), main first.
  const seen = new Set<string>(shape.tables);
  walk(first.node, (n) => {
    const o = n as any;
    for (const rv of [o.RangeVar, o.relation]) {
      const name: string | undefined = rv?.relname;
      if (!name || (cteNames.has(name) && !rv.schemaname) || PLACEHOLDER_IDENT.test(name) || seen.has(name)) continue;
      seen.add(name);
      shape.tables.push(name);
    }
  });
  return shape;
}

/**
 * A sentence in sentence case with no SQL punctuation at all (`Select a colour from the list`,
 * `Lock account`): UI text, not a query, even when it parses.
 */
function proseSentence(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^[A-Z][a-z]+\s+[A-Za-z]/.test(trimmed) || /[*=(),;$?:'"`.<>|\[\]{}0-9_@#%&+-]/.test(trimmed.slice(0, -1)) || !/[A-Za-z.!?]$/.test(trimmed)) return undefined;
  return 'not SQL: a sentence in sentence case without any SQL punctuation';
}

/**
 * English that happens to parse (`select a colour` is `SELECT a AS colour`): a SELECT without FROM whose
 * list names columns cannot run. Reported as an error so that it is not taken for a query.
 */
function proseSelect(kind: string, node: any): string | undefined {
  if (kind !== 'SelectStmt' || node.op !== 'SETOP_NONE' || node.fromClause || node.valuesLists || node.withClause) return undefined;
  let column = false;
  walk(node.targetList, (n) => {
    if ((n as any).SubLink) return false;
    if ((n as any).ColumnRef) column = true;
    return !column;
  });
  return column ? 'not SQL: the select list names columns but there is no FROM clause' : undefined;
}

interface ScopeEntry {
  /** The alias or table name used to qualify columns. */
  name: string;
  /** The table, when the entry is a table (not a subquery, function or CTE). */
  table?: string;
}

/** Analysis of the main statement: scope (FROM aliases), filters, joins. */
class Analysis {
  private scope: ScopeEntry[] = [];

  constructor(
    private readonly shape: SqlShape,
    private readonly unique: Set<string>,
    private readonly cteNames: Set<string>,
  ) {}

  setMain(rv: any): void {
    const name: string | undefined = rv?.relname;
    if (!name || PLACEHOLDER_IDENT.test(name) || (this.cteNames.has(name) && !rv.schemaname)) return;
    this.shape.table = name;
    if (rv.schemaname && !PLACEHOLDER_IDENT.test(rv.schemaname)) this.shape.schema = rv.schemaname;
    if (!this.shape.tables.includes(name)) this.shape.tables.unshift(name);
  }

  select(node: any): void {
    const shape = this.shape;
    // UNION / INTERSECT / EXCEPT: the first branch gives the shape, the outer query its LIMIT and ORDER BY.
    let core = node;
    while (core.op && core.op !== 'SETOP_NONE' && core.larg) core = core.larg;
    this.from(core.fromClause ?? []);
    if (core !== node) this.where(core.whereClause);
    else this.where(node.whereClause);
    for (const s of node.sortClause ?? []) {
      const ref = stripCast(s.SortBy?.node)?.ColumnRef;
      if (!ref) continue;
      const col = this.column(ref);
      if (col) shape.orderBy.push(col.table ? { table: col.table, column: col.column } : { column: col.column });
    }
    shape.limit = hasLimit(node);
    const locking: any[] = (node.lockingClause ?? core.lockingClause ?? []).map((l: any) => l.LockingClause).filter(Boolean);
    shape.forUpdate = locking.some((l) => ['LCS_FORUPDATE', 'LCS_FORNOKEYUPDATE', 'LCS_FORSHARE', 'LCS_FORKEYSHARE'].includes(l.strength));
    shape.skipLocked = locking.some((l) => l.waitPolicy === 'LockWaitSkip');
    shape.aggregate = core === node && !node.groupClause && isAggregateList(node.targetList);
    const limitOne = node.limitCount?.A_Const?.ival?.ival === 1;
    shape.singleRow = shape.aggregate || limitOne || (core === node && !node.fromClause) || this.keyed();
  }

  insert(node: any): void {
    const shape = this.shape;
    this.setMain(node.relation);
    this.addScope(node.relation);
    shape.insertColumns = (node.cols ?? []).map((c: any) => c.ResTarget?.name).filter(Boolean);
    const conflict = node.onConflictClause;
    if (conflict) {
      shape.onConflict = conflict.action === 'ONCONFLICT_UPDATE' ? 'update' : 'nothing';
      if (conflict.action === 'ONCONFLICT_UPDATE') shape.set = this.setList(conflict.targetList, true);
    }
    shape.returning = returns(node);
    const values = node.selectStmt?.SelectStmt?.valuesLists;
    shape.singleRow = Array.isArray(values) && values.length === 1;
  }

  update(node: any): void {
    const shape = this.shape;
    this.setMain(node.relation);
    this.addScope(node.relation);
    this.from(node.fromClause ?? [], true);
    shape.set = this.setList(node.targetList, false);
    this.where(node.whereClause);
    shape.returning = returns(node);
    shape.versionCheck = shape.filters.some((f) => VERSION_COLUMNS.has(f.column.toLowerCase()));
    shape.singleRow = this.keyed();
  }

  delete(node: any): void {
    const shape = this.shape;
    this.setMain(node.relation);
    this.addScope(node.relation);
    this.from(node.usingClause ?? [], true);
    this.where(node.whereClause);
    shape.returning = returns(node);
    shape.versionCheck = shape.filters.some((f) => VERSION_COLUMNS.has(f.column.toLowerCase()));
    shape.singleRow = this.keyed();
  }

  /** Equality on a unique column of the main table (or an unqualified one). */
  private keyed(): boolean {
    return this.shape.filters.some((f) => f.op === 'eq' && !f.onExpression && this.unique.has(f.column.toLowerCase()) && (f.table === undefined || f.table === this.shape.table));
  }

  private addScope(rv: any): void {
    if (!rv) return;
    const relname: string | undefined = rv.relname;
    const isTable = relname !== undefined && !(this.cteNames.has(relname) && !rv.schemaname) && !PLACEHOLDER_IDENT.test(relname);
    this.scope.push({ name: rv.alias?.aliasname ?? relname ?? '', table: isTable ? relname : undefined });
  }

  /** FROM items: the leftmost table of the first is the main table (unless `joinedOnly`), others are joined. */
  private from(items: any[], joinedOnly = false): void {
    items.forEach((item, index) => this.fromItem(item, joinedOnly || index > 0, !joinedOnly && index === 0));
  }

  private fromItem(item: any, joined: boolean, main: boolean): string[] {
    if (item?.RangeVar) {
      if (main) this.setMain(item.RangeVar);
      this.addScope(item.RangeVar);
      const name = this.scope[this.scope.length - 1].table;
      if (joined && name) this.join(name, []);
      return name ? [name] : [];
    }
    if (item?.RangeSubselect) {
      this.scope.push({ name: item.RangeSubselect.alias?.aliasname ?? '' });
      return [];
    }
    if (item?.RangeFunction) {
      this.scope.push({ name: item.RangeFunction.alias?.aliasname ?? '' });
      return [];
    }
    const j = item?.JoinExpr;
    if (!j) return [];
    this.fromItem(j.larg, joined, main);
    const right = this.fromItem(j.rarg, true, false);
    for (const using of strings(j.usingClause)) for (const t of right) this.join(t, [using]);
    if (j.quals) this.conditions(j.quals, right);
    return right;
  }

  private join(table: string, columns: string[]): void {
    let entry = this.shape.joins.find((j) => j.table === table);
    if (!entry) {
      entry = { table, columns: [] };
      this.shape.joins.push(entry);
    }
    for (const c of columns) if (!entry.columns.includes(c)) entry.columns.push(c);
  }

  private where(expr: any): void {
    if (expr) this.conditions(expr, undefined);
  }

  /**
   * Top-level AND conjuncts: column-vs-value comparisons become filters, column-vs-column comparisons across
   * tables become join keys (`joined`: the tables joined by this ON clause; in WHERE every non-main table).
   */
  private conditions(expr: any, joined: string[] | undefined): void {
    const conjuncts: any[] = [];
    const flatten = (e: any): void => {
      if (e?.BoolExpr?.boolop === 'AND_EXPR') for (const a of e.BoolExpr.args ?? []) flatten(a);
      else if (e) conjuncts.push(e);
    };
    flatten(expr);
    for (const c of conjuncts) this.condition(c, joined);
  }

  private condition(c: any, joined: string[] | undefined): void {
    const shape = this.shape;
    if (c.NullTest) {
      this.filter(c.NullTest.arg, 'null');
      return;
    }
    if (c.SubLink) {
      const s = c.SubLink;
      if (s.subLinkType === 'ANY_SUBLINK' && s.testexpr) this.filter(s.testexpr, 'in');
      return;
    }
    if (c.BooleanTest) {
      this.filter(c.BooleanTest.arg, 'other');
      return;
    }
    if (c.ColumnRef) {
      this.filter(c, 'other');
      return;
    }
    const e = c.A_Expr;
    if (!e) return;
    const op = strings(e.name)[0] ?? '';
    const lcol = columnOf(e.lexpr);
    const rcol = e.kind === 'AEXPR_OP' ? columnOf(e.rexpr) : undefined;
    if (lcol && rcol && stripCast(e.lexpr)?.ColumnRef && stripCast(e.rexpr)?.ColumnRef) {
      // Column against column: a join key when the two sides are different tables.
      const left = this.column(stripCast(e.lexpr).ColumnRef);
      const right = this.column(stripCast(e.rexpr).ColumnRef);
      if (op === '=' && left && right && left.table !== right.table) {
        for (const side of [left, right]) {
          if (!side.table) continue;
          const isJoined = joined ? joined.includes(side.table) : side.table !== shape.table;
          if (isJoined) this.join(side.table, [side.column]);
        }
      }
      return;
    }
    switch (e.kind) {
      case 'AEXPR_OP': {
        const flipped = !lcol && rcol;
        const target = flipped ? e.rexpr : e.lexpr;
        if (!lcol && !rcol) return;
        this.filter(target, opKind(op));
        return;
      }
      case 'AEXPR_OP_ANY':
        if (op === '=') {
          this.filter(e.lexpr, 'in');
          if (stripCast(e.rexpr)?.ParamRef) shape.anyArray = true;
        } else this.filter(e.lexpr, opKind(op) === 'like' ? 'like' : 'other');
        return;
      case 'AEXPR_IN':
        if (op === '=') {
          this.filter(e.lexpr, 'in');
          const items: any[] = e.rexpr?.List?.items ?? [];
          if (items.some((i) => stripCast(i)?.ParamRef)) shape.anyArray = true;
        } else this.filter(e.lexpr, 'other');
        return;
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE':
      case 'AEXPR_SIMILAR':
        this.filter(e.lexpr, op.startsWith('!') ? 'other' : 'like');
        return;
      case 'AEXPR_BETWEEN':
      case 'AEXPR_BETWEEN_SYM':
        this.filter(e.lexpr, 'range');
        return;
      case 'AEXPR_NOT_DISTINCT':
        this.filter(lcol ? e.lexpr : e.rexpr, 'eq');
        return;
      default:
        this.filter(lcol ? e.lexpr : e.rexpr, 'other');
    }
  }

  private filter(expr: any, op: SqlFilterOp): void {
    const direct = stripCast(expr)?.ColumnRef;
    const nested = direct ? undefined : columnOf(expr);
    const ref = direct ?? nested;
    if (!ref) return;
    const col = this.column(ref);
    if (!col) return;
    // A cast or function around the column (`lower(email) = $1`, `id::text = $1`) defeats a plain index.
    const onExpression = !expr?.ColumnRef;
    const f: SqlFilter = { column: col.column, op: onExpression && op !== 'null' ? 'other' : op };
    if (col.table) f.table = col.table;
    if (onExpression) f.onExpression = true;
    this.shape.filters.push(f);
  }

  /** A column reference resolved to its table through the FROM scope. */
  private column(ref: any): { table?: string; column: string } | undefined {
    const fields: any[] = ref?.fields ?? [];
    const names = strings(fields);
    if (names.length !== fields.length || names.length === 0) return undefined; // `t.*`
    const column = names[names.length - 1];
    if (names.length >= 2) {
      const qualifier = names[names.length - 2];
      const entry = this.scope.find((s) => s.name === qualifier) ?? this.scope.find((s) => s.table === qualifier);
      return entry?.table ? { table: entry.table, column } : { column };
    }
    const tables = this.scope.filter((s) => s.table !== undefined);
    return tables.length === 1 && this.scope.length === 1 ? { table: tables[0].table, column } : { column };
  }

  /** SET list: a value computed from the column itself (`x = x + 1`, `coalesce(x, 0) + 1`) is atomic; `excluded.x` is not the column. */
  private setList(targets: any[] | undefined, upsert: boolean): Array<{ column: string; atomic: boolean }> {
    const out: Array<{ column: string; atomic: boolean }> = [];
    for (const t of targets ?? []) {
      const r = t.ResTarget;
      if (!r?.name) continue;
      const value = r.val?.MultiAssignRef ? r.val.MultiAssignRef.source : r.val;
      let atomic = false;
      walk(value, (n) => {
        const ref = (n as any).ColumnRef;
        if (!ref) return !atomic;
        const names = strings(ref.fields);
        if (names[names.length - 1] === r.name) {
          const qualifier = names.length >= 2 ? names[names.length - 2].toLowerCase() : undefined;
          if (!(upsert && qualifier === 'excluded')) atomic = true;
        }
        return false;
      });
      out.push({ column: r.name, atomic });
    }
    return out;
  }
}

/** The column of an expression that is a column, a cast of one, or a function/operator over exactly one column. */
function columnOf(expr: any): any | undefined {
  const direct = stripCast(expr)?.ColumnRef;
  if (direct) return direct;
  if (!expr || expr.ParamRef || expr.A_Const || expr.SubLink) return undefined;
  const refs: any[] = [];
  walk(expr, (n) => {
    if ((n as any).SubLink) return false;
    const ref = (n as any).ColumnRef;
    if (ref) {
      refs.push(ref);
      return false;
    }
    return true;
  });
  return refs.length === 1 ? refs[0] : undefined;
}

function stripCast(expr: any): any {
  let e = expr;
  while (e?.TypeCast) e = e.TypeCast.arg;
  return e;
}

function opKind(op: string): SqlFilterOp {
  switch (op) {
    case '=':
      return 'eq';
    case '<':
    case '>':
    case '<=':
    case '>=':
      return 'range';
    case '~~':
    case '~~*':
      return 'like';
    default:
      return 'other';
  }
}

function hasLimit(node: any): boolean {
  const count = node.limitCount;
  if (!count) return false;
  return !(count.A_Const && count.A_Const.isnull);
}

function returns(node: any): boolean {
  return (node.returningClause?.exprs?.length ?? 0) > 0 || (node.returningList?.length ?? 0) > 0;
}

/** Every select-list entry is built from aggregates and constants only (no bare column, no window). */
function isAggregateList(targets: any[] | undefined): boolean {
  if (!targets || targets.length === 0) return false;
  return targets.every((t) => {
    let aggregates = 0;
    let bare = false;
    walk(t.ResTarget?.val, (n) => {
      const o = n as any;
      if (o.FuncCall) {
        const name = strings(o.FuncCall.funcname).pop()?.toLowerCase() ?? '';
        if (AGGREGATES.has(name) && !o.FuncCall.over) {
          aggregates++;
          return false;
        }
      }
      if (o.ColumnRef || o.SubLink) {
        bare = true;
        return false;
      }
      return true;
    });
    return aggregates > 0 && !bare;
  });
}
