import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import type { Effect } from '../../src/code/effects.js';
import type { Entry } from '../../src/code/entries.js';
import { isFunctionLike, skipOuter } from '../../src/code/resolve.js';
import { flowOf } from '../../src/code/report.js';

/** Names of SQL holes that stand for a page: `${limitClause}`, `${pagination}` — the text cannot tell. */
const PAGING_HOLE = /limit|page|paginat|take|top|first/i;
/** Builder methods that bound or page a query built step by step. */
const BOUNDING_METHODS = /^(?:take|limit|skip|offset|paginate|first|top|fetch|page)$/i;

export default defineRule<{ allowTables: string[] }>({
  id: 'no-unbounded-select',
  family: 'code',
  meta: {
    description: 'A list query with no `LIMIT`/`take`/page size runs in an HTTP handler (directly or through the functions it calls).',
    rationale:
      'The response grows with the table: every matching row is read, sent over the network, decoded and held in memory for one request. What is fast with 200 rows times out or runs the process out of memory with 2 million, and one client can make the server do it on purpose.',
    remedy: 'Paginate: add `LIMIT`/`take` with a maximum page size (keyset pagination on an indexed column for deep pages), or compute aggregates in the database instead of fetching rows.',
    severity: 'warning',
    precision: 'medium',
    tags: ['performance', 'availability'],
    recommended: true,
    sources: {},
    options: {
      type: 'object',
      properties: {
        allowTables: {
          type: 'array',
          items: { type: 'string' },
          description: 'Small lookup tables that may be read whole (`countries`, `currencies`): queries whose main table is listed are not reported.',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { allowTables: [] },
  },
  check(ctx) {
    const { analysis } = ctx;
    const allowed = new Set((ctx.options.allowTables ?? []).map((t) => t.toLowerCase()));
    // One finding per query, whatever the number of handlers that reach it.
    const found = new Map<ts.Node, { effect: Effect; entries: Entry[] }>();
    for (const entry of analysis.entries()) {
      if (entry.kind !== 'http') continue;
      for (const effect of analysis.summary(entry.fn).effects) {
        if (!isUnboundedList(effect, analysis)) continue;
        if (effect.facts.table && allowed.has(effect.facts.table.toLowerCase())) continue;
        const known = found.get(effect.node);
        if (!known) found.set(effect.node, { effect, entries: [entry] });
        else if (!known.entries.includes(entry)) known.entries.push(entry);
      }
    }
    for (const { effect, entries } of found.values()) {
      const f = effect.facts;
      const bound = f.sql ? '`LIMIT`' : isBuilder(effect, analysis) ? '`.take()`/`.limit()`' : '`take`';
      const what = `\`${queryLabel(effect)}\` reads every matching row${f.table ? ` of \`${f.table}\`` : ''} with no ${bound}`;
      const where =
        entries.length === 1
          ? `in the ${handlerLabel(entries[0])}`
          : `reached from ${entries.length} HTTP handlers (${entries.slice(0, 3).map((e) => handlerLabel(e, false)).join(', ')}${entries.length > 3 ? ', …' : ''})`;
      ctx.report({
        node: effect.node,
        file: effect.file,
        message: `${what}, ${where}.`,
        why: 'The response grows with the table: every matching row is read, sent over the network and held in memory for one request, so the endpoint slows down as data accumulates and a large table (or a client asking for it on purpose) can exhaust the database, the process memory or the client.',
        remedy: f.sql
          ? 'Add `LIMIT $n` with a maximum page size taken from the request (and `OFFSET`, or better a keyset `WHERE id > $cursor ORDER BY id`), or aggregate in SQL if the handler only needs totals.'
          : 'Pass a page size (`take`/`limit`, capped on the server) and a cursor or offset, or aggregate in the database (`count`, `aggregate`, `groupBy`) if the handler only needs totals.',
        related: entries.slice(0, 5).map((e) => ({ node: e.anchor, file: e.file, message: `the ${handlerLabel(e)}` })),
        flow: flowOf(effect),
        properties: { api: f.api, ...(f.table ? { table: f.table } : {}) },
      });
    }
  },
});

/** `GET /orders` handler, `GET` handler `list`, `GET` handler of app/api/orders/route.ts. */
function handlerLabel(e: Entry, withWord = true): string {
  const method = e.method ?? 'HTTP';
  const word = withWord ? ' handler' : '';
  if (e.route) return `\`${method} ${e.route}\`${word}`;
  const name = ts.isIdentifier(e.anchor) ? e.anchor.text : undefined;
  if (name && name !== e.method) return `\`${method}\` handler \`${name}\``;
  return `\`${method}\` handler of ${e.file.source.relPath}`;
}

/** The query as written, with a long builder chain shortened to its ends: `repo.createQueryBuilder(…)….getMany()`. */
function queryLabel(e: Effect): string {
  const api = e.facts.api;
  if (api.length <= 40 || ts.isTaggedTemplateExpression(e.node)) return api;
  const steps: string[] = [];
  let x: ts.Expression = e.node;
  for (;;) {
    const c = skipOuter(x);
    if (ts.isCallExpression(c) && ts.isPropertyAccessExpression(skipOuter(c.expression))) {
      const pa = skipOuter(c.expression) as ts.PropertyAccessExpression;
      steps.unshift(pa.name.text);
      x = pa.expression;
    } else break;
  }
  const root = skipOuter(x).getText().replace(/^this\./, '');
  if (steps.length < 2) return `${api.slice(0, 37)}…`;
  return `${root.length > 30 ? '…' : root}.${steps[0]}(…)….${steps[steps.length - 1]}()`;
}

function isUnboundedList(e: Effect, analysis: CodeAnalysis): boolean {
  const f = e.facts;
  if (f.kind !== 'db.read' || f.limited !== false || f.singleRow || f.multiKey || f.batched) return false;
  // Grouped results are one row per group (statuses, days), and streams do not hold the result in memory.
  if (/\.groupBy\b|\.(?:stream|iterate|cursor)(?:\(\))?$/i.test(f.api)) return false;
  // `WHERE email = $1` read as `rows[0]` / `const [user] = …`: the code expects one row (a unique key the analysis cannot see).
  if (firstRowOnly(e.node, analysis)) return false;
  if (f.sql) {
    const text = f.sql.text.text;
    if (/\bGROUP\s+BY\b/i.test(text)) return false;
    // A hole spliced into the text may be the LIMIT clause: `${pagination}`.
    return !f.sql.text.holes.some((h) => h.kind !== 'parameter' && PAGING_HOLE.test(h.node.getText()));
  }
  // A builder chain's arguments are columns and conditions; an options call (`findMany({…})`) must be readable.
  if (isBuilder(e, analysis)) return !/\.(?:add)?groupBy\s*\(/i.test(e.node.getText()) && !builtWithBound(e, analysis);
  return optionsKnown(e, analysis) && !builtWithBound(e, analysis);
}

/**
 * Whether the call's arguments are fully visible: absent, object literals without spreads (directly or
 * through a `const`), entity classes or strings. `findMany(args)` or `find({ ...paging })` cannot be told.
 */
function optionsKnown(e: Effect, analysis: CodeAnalysis): boolean {
  const call = e.node;
  if (ts.isTaggedTemplateExpression(call)) return true;
  for (const arg of call.arguments ?? []) {
    const a = skipOuter(arg);
    if (ts.isStringLiteralLike(a)) continue;
    const obj = ts.isObjectLiteralExpression(a) ? a : objectBehind(a, analysis);
    if (obj) {
      if (obj.properties.some((p) => ts.isSpreadAssignment(p))) return false;
      continue;
    }
    if (ts.isIdentifier(a) && analysis.resolver.valueOf(a)?.kind === 'class') continue;
    return false;
  }
  return true;
}

function objectBehind(e: ts.Expression, analysis: CodeAnalysis): ts.ObjectLiteralExpression | undefined {
  if (!ts.isIdentifier(e)) return undefined;
  const decl = analysis.resolver.declarationOf(e);
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
  const init = skipOuter(decl.initializer);
  return ts.isObjectLiteralExpression(init) ? init : undefined;
}

/**
 * A query builder kept in a variable (`const qb = repo.createQueryBuilder('o'); if (q.limit) qb.take(q.limit);
 * return qb.getMany()`): the call alone does not show the bound. Bounded (or unknown) when the variable
 * gets a paging method anywhere in its function, or is handed to another function.
 */
function builtWithBound(e: Effect, analysis: CodeAnalysis): boolean {
  let root: ts.Expression = e.node;
  for (;;) {
    const r = skipOuter(root);
    if (ts.isCallExpression(r) && ts.isPropertyAccessExpression(skipOuter(r.expression))) root = (skipOuter(r.expression) as ts.PropertyAccessExpression).expression;
    else if (ts.isPropertyAccessExpression(r)) root = r.expression;
    else {
      root = r;
      break;
    }
  }
  if (!ts.isIdentifier(root)) return false;
  const decl = analysis.resolver.declarationOf(root);
  if (!decl || !(ts.isVariableDeclaration(decl) || ts.isParameter(decl))) return false;
  // A builder received as a parameter: its caller may have bounded it.
  if (ts.isParameter(decl)) return !isClientValue(decl, analysis);
  const init = decl.initializer && skipOuter(decl.initializer);
  // Only builders: a variable holding a client or a repository (`const repo = ds.getRepository(Order)`) is not one.
  if (!init || !ts.isCallExpression(init) || !/(?:QueryBuilder|select|from|table|where)\b/i.test(init.getText())) return false;
  const scope = enclosingFunction(decl) ?? decl.getSourceFile();
  const name = root.text;
  let bounded = false;
  const visit = (n: ts.Node): void => {
    if (bounded) return;
    if (ts.isIdentifier(n) && n.text === name && n !== root && analysis.resolver.declarationOf(n) === decl) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === n && BOUNDING_METHODS.test(p.name.text)) bounded = true;
      if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.arguments?.includes(n)) bounded = true;
      // `qb = qb.take(n)`: reassigned from a bounded chain.
      if (ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) bounded = /\.(?:take|limit|skip|offset)\(/.test(p.right.getText()) || bounded;
    }
    n.forEachChild(visit);
  };
  visit(scope);
  return bounded;
}

/** A parameter typed as a library client or repository (not a builder). */
function isClientValue(decl: ts.ParameterDeclaration, analysis: CodeAnalysis): boolean {
  const v = analysis.resolver.valueOfDecl(decl);
  return v?.kind === 'ext' && !/QueryBuilder|Builder/.test(v.path);
}

function enclosingFunction(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

/** A query builder (`qb.where(…).getMany()`, `knex('orders').where(…)`): bounded with `.take()`/`.limit()` rather than an option. */
function isBuilder(e: Effect, analysis: CodeAnalysis): boolean {
  const node = e.node;
  if (!ts.isCallExpression(node)) return false;
  const callee = analysis.resolver.valueOf(node.expression);
  if (callee?.kind === 'ext' && /QueryBuilder\(\)|\.(?:select|from|where|table|selectFrom)\(\)/.test(callee.path)) return true;
  const c = skipOuter(node.expression);
  return ts.isPropertyAccessExpression(c) && ts.isCallExpression(skipOuter(c.expression));
}

/**
 * The result is only ever read at index 0 — `rows[0]`, `const [user] = …`, `{ rows: [user] }` — so the
 * query is a lookup by a key the code knows to be unique (email, slug, token), not a list.
 */
function firstRowOnly(call: Effect['node'], analysis: CodeAnalysis): boolean {
  let p: ts.Node = call.parent;
  while (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) p = p.parent;
  if (ts.isPropertyAccessExpression(p) && p.name.text === 'rows') {
    const q = p.parent;
    return isIndexZero(q, p) || (ts.isVariableDeclaration(q) && ts.isArrayBindingPattern(q.name) && singleElement(q.name));
  }
  if (ts.isElementAccessExpression(p)) return isIndexZero(p, undefined);
  if (!ts.isVariableDeclaration(p)) return false;
  const name = p.name;
  if (ts.isArrayBindingPattern(name)) return singleElement(name);
  if (ts.isIdentifier(name)) return onlyFirstUses(p, analysis, true);
  const rows = name.elements.find((el) => (el.propertyName ? el.propertyName.getText() : el.name.getText()) === 'rows');
  if (!rows || name.elements.length > 2) return false;
  if (ts.isArrayBindingPattern(rows.name)) return singleElement(rows.name);
  return ts.isIdentifier(rows.name) && onlyFirstUses(rows, analysis, false);
}

function singleElement(b: ts.ArrayBindingPattern): boolean {
  return b.elements.length === 1 && ts.isBindingElement(b.elements[0]) && !b.elements[0].dotDotDotToken;
}

function isIndexZero(n: ts.Node, inner: ts.Node | undefined): boolean {
  return ts.isElementAccessExpression(n) && (inner === undefined || n.expression === inner) && ts.isNumericLiteral(n.argumentExpression) && n.argumentExpression.text === '0';
}

/** Every use of the variable reads row 0 (`rows[0]`, `result.rows[0]`) or a count (`.length`, `.rowCount`). */
function onlyFirstUses(decl: ts.VariableDeclaration | ts.BindingElement, analysis: CodeAnalysis, wholeResult: boolean): boolean {
  const id = decl.name as ts.Identifier;
  const scope = enclosingFunction(decl) ?? decl.getSourceFile();
  let reads = 0;
  let other = false;
  const visit = (n: ts.Node): void => {
    if (other) return;
    const isName = ts.isIdentifier(n) && ((ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) || (ts.isPropertyAssignment(n.parent) && n.parent.name === n));
    if (ts.isIdentifier(n) && !isName && n !== id && n.text === id.text && analysis.resolver.declarationOf(n) === decl) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === n && /^(?:length|rowCount)$/.test(p.name.text)) return;
      if (isIndexZero(p, n)) reads++;
      else if (wholeResult && ts.isPropertyAccessExpression(p) && p.expression === n && p.name.text === 'rows' && isIndexZero(p.parent, p)) reads++;
      else other = true;
      return;
    }
    n.forEachChild(visit);
  };
  visit(scope);
  return !other && reads > 0;
}
