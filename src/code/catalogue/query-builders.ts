/**
 * Query builders and the remaining ORMs: Knex, Drizzle, Kysely, Sequelize, MikroORM — what reads, what
 * writes (and whether the write dedupes or is computed by the database), what locks, what opens a
 * transaction.
 *
 * Knex and Drizzle queries are lazy thenables: a chain runs when it is awaited, returned, handed to
 * `Promise.all`, or `.then`-ed. Only that outermost link is classified (with the facts of the whole chain,
 * followed through `let q = db('orders'); if (x) q = q.where(…); await q`); a chain that is only built
 * (a subquery argument, `.toSQL()`, a variable that is never awaited) is not a query. Kysely runs at
 * `execute*()`; Sequelize and MikroORM calls run when called.
 */
import { ts } from 'ts-morph';
import { propertyName, skipOuter, type Value } from '../resolve.js';
import { argsOf, lastSegment, objectArg, objectOf, optionValue, sqlFacts, stringOf } from './helpers.js';
import type { CallFacts, CallSite, LibraryEntry, WriteKind } from './types.js';
import { snakeCase as snake } from '../../core/naming.js';

// ---------------------------------------------------------------------------------------------------------
// Shared readers
// ---------------------------------------------------------------------------------------------------------

/** One method call of a fluent chain; `()` is the library instance called as a function (`db('orders')`). */
interface Link {
  name: string;
  call: ts.CallExpression;
}

interface Chain {
  /** From the first call on the instance to the classified call. */
  links: Link[];
  /** The expression that is the library instance (`db`, `this.knex`, `trx`). */
  instance: ts.Expression;
}

const VERSION_COLUMN = /^(?:[\w$]+\.)?(?:version|lock_?version|lockVersion|updated_?at|updatedAt|revision)$/i;
const ID_COLUMN = /^(?:[\w$]+\.)?id$/;
/** An arithmetic or combining operator in SQL text: `stock - ?`, `coalesce(n, 0) + 1`, `tags || ?`. */
const ARITH = /[-+*/%]|\|\||\b(?:coalesce|greatest|least)\s*\(/i;
const AGGREGATE_FN = /^(?:count|countDistinct|countAll|sum|sumDistinct|avg|avgDistinct|min|max)$/;

/** Parentheses, `as`, `!`, `satisfies` — but not `await`, which ends a chain. */
function skipCasts(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
    else return e;
  }
}

/** The node and its parent, above casts and parentheses. */
function outerOf(node: ts.Node): { node: ts.Node; parent: ts.Node | undefined } {
  let n = node;
  let p = n.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p) || ts.isSatisfiesExpression(p) || ts.isTypeAssertionExpression(p))) {
    n = p;
    p = p.parent;
  }
  return { node: n, parent: p };
}

/** `x.m()` where `x` is this call: the call is an inner link of a longer chain. */
function isInnerLink(call: ts.Node): boolean {
  const { node, parent } = outerOf(call);
  return parent !== undefined && ts.isPropertyAccessExpression(parent) && parent.expression === node && ts.isCallExpression(parent.parent) && parent.parent.expression === parent;
}

function isFunctionArg(e: ts.Expression | undefined): boolean {
  if (!e) return false;
  const f = skipOuter(e);
  return ts.isArrowFunction(f) || ts.isFunctionExpression(f);
}

function isExtPath(v: Value | undefined, re: RegExp): boolean {
  return v?.kind === 'ext' && re.test(v.path);
}

/**
 * The links of a fluent chain back to the library instance (`isInstance` tests a resolved path). A builder
 * kept in a variable is followed to its initializer, with the `q = q.where(…)` / `q.where(…)` statements
 * that extend it before the use.
 */
function builderChain(site: CallSite, call: ts.CallExpression, isInstance: RegExp): Chain | undefined {
  const links: Link[] = [];
  const seen = new Set<ts.Node>();
  const instance = (e: ts.Expression) => isExtPath(site.resolver.valueOf(e), isInstance);
  let e: ts.Expression = call;
  let use: ts.Node = call;
  for (let guard = 0; guard < 80; guard++) {
    e = skipCasts(e);
    if (ts.isCallExpression(e)) {
      const callee = skipCasts(e.expression);
      if (!ts.isCallExpression(callee) && !ts.isPropertyAccessExpression(callee) && instance(callee)) {
        links.unshift({ name: '()', call: e });
        return { links, instance: callee };
      }
      if (ts.isPropertyAccessExpression(callee) && !ts.isCallExpression(skipCasts(callee.expression)) && instance(callee)) {
        // `this.db('orders')`: the instance is a property.
        links.unshift({ name: '()', call: e });
        return { links, instance: callee };
      }
      if (!ts.isPropertyAccessExpression(callee)) return undefined;
      links.unshift({ name: callee.name.text, call: e });
      const next = skipCasts(callee.expression);
      if (!ts.isCallExpression(next) && instance(next)) return { links, instance: next };
      e = next;
      continue;
    }
    if (ts.isIdentifier(e)) {
      const decl = site.resolver.declarationOf(e);
      if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || seen.has(decl)) return undefined;
      seen.add(decl);
      const init = skipCasts(decl.initializer);
      if (ts.isAwaitExpression(init)) return undefined; // a result, not a builder
      links.unshift(...extensionsOf(site, decl, use));
      use = decl;
      e = init;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** `q.where(…)` statements and `q = q.where(…)` assignments before `use`: links added to the builder `decl`. */
function extensionsOf(site: CallSite, decl: ts.VariableDeclaration, use: ts.Node): Link[] {
  if (!ts.isIdentifier(decl.name)) return [];
  const name = decl.name.text;
  const scope = decl.parent?.parent?.parent;
  if (!scope) return [];
  const out: Array<{ pos: number; links: Link[] }> = [];
  const rootOf = (expr: ts.Expression): { root: ts.Expression; links: Link[] } => {
    const links: Link[] = [];
    let x = skipCasts(expr);
    while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(skipCasts(x.expression))) {
      const callee = skipCasts(x.expression) as ts.PropertyAccessExpression;
      links.unshift({ name: callee.name.text, call: x });
      x = skipCasts(callee.expression);
    }
    return { root: x, links };
  };
  const refersToDecl = (x: ts.Expression) => ts.isIdentifier(x) && x.text === name && site.resolver.declarationOf(x) === decl;
  const visit = (n: ts.Node): void => {
    if (n.pos >= use.pos && n.end <= use.end) return;
    if (n.getStart() > use.getStart()) return;
    if (ts.isExpressionStatement(n)) {
      const expr = skipCasts(n.expression);
      let chain: ts.Expression | undefined;
      if (ts.isCallExpression(expr)) chain = expr;
      else if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.EqualsToken && refersToDecl(skipCasts(expr.left))) chain = expr.right;
      if (chain) {
        const { root, links } = rootOf(chain);
        if (links.length > 0 && refersToDecl(root)) out.push({ pos: n.getStart(), links });
      }
    }
    if (ts.isFunctionLike(n)) return;
    n.forEachChild(visit);
  };
  scope.forEachChild(visit);
  return out.sort((a, b) => a.pos - b.pos).flatMap((x) => x.links);
}

const PROMISE_COMBINATORS = new Set(['all', 'allSettled', 'race', 'any']);

function isPromiseCombinator(call: ts.Node): boolean {
  if (!ts.isCallExpression(call)) return false;
  const callee = skipCasts(call.expression);
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Promise' && PROMISE_COMBINATORS.has(callee.name.text);
}

/** Where a lazy query value ends up run: awaited, returned, yielded, `Promise.all`-ed or batched. */
function runsHere(node: ts.Node): boolean {
  let { node: n, parent: p } = outerOf(node);
  // `cond ? db('a') : db('b')`, `a ?? b`: the branches run where the whole runs.
  while (p && ((ts.isConditionalExpression(p) && p.condition !== n) || (ts.isBinaryExpression(p) && p.right === n && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(p.operatorToken.kind)))) {
    ({ node: n, parent: p } = outerOf(p));
  }
  if (!p) return false;
  if (ts.isAwaitExpression(p) || ts.isReturnStatement(p) || ts.isYieldExpression(p)) return true;
  if (ts.isArrowFunction(p) && p.body === n) return true;
  if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression)) return isPromiseCombinator(p);
  if (ts.isArrayLiteralExpression(p)) {
    const arr = outerOf(p);
    if (!arr.parent || !ts.isCallExpression(arr.parent) || !arr.parent.arguments.includes(arr.node as ts.Expression)) return false;
    if (isPromiseCombinator(arr.parent)) return true;
    const callee = skipCasts(arr.parent.expression);
    return ts.isPropertyAccessExpression(callee) && callee.name.text === 'batch';
  }
  return false;
}

/** A lazy builder at `call` runs: directly, or through the variable it initialises (`const q = …; await q`). */
function isExecuted(site: CallSite, call: ts.Node): boolean {
  if (runsHere(call)) return true;
  const { node, parent } = outerOf(call);
  if (!parent || !ts.isVariableDeclaration(parent) || parent.initializer !== node || !ts.isIdentifier(parent.name)) return false;
  const decl = parent;
  const name = parent.name.text;
  const scope = decl.parent?.parent?.parent;
  if (!scope) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name && site.resolver.declarationOf(n) === decl && runsHere(n)) found = true;
    n.forEachChild(visit);
  };
  scope.forEachChild(visit);
  return found;
}

/** Trailing links that run the chain (`.then`, `.catch`) are dropped; whether any was there. */
function stripRunners(links: Link[], runners: Set<string>): { links: Link[]; explicit: boolean } {
  let end = links.length;
  while (end > 1 && runners.has(links[end - 1].name)) end--;
  return { links: links.slice(0, end), explicit: end < links.length };
}


/** `'orders as o'` → orders; `{ o: 'orders' }` → orders; `['orders', 'users']` → orders. */
function tableString(site: CallSite, expr: ts.Expression | undefined): string | undefined {
  if (!expr) return undefined;
  const e = skipOuter(expr);
  const obj = objectOf(site, e);
  if (obj) {
    const first = obj.properties[0];
    return first && ts.isPropertyAssignment(first) ? tableString(site, first.initializer) : undefined;
  }
  if (ts.isArrayLiteralExpression(e)) return tableString(site, e.elements[0]);
  const s = stringOf(site, e);
  if (s === undefined) return undefined;
  return s.trim().split(/\s+as\s+|\s+/i)[0] || undefined;
}

function mentionsColumn(text: string, column: string): boolean {
  const names = new Set([column, snake(column)]);
  for (const n of names) if (new RegExp(`(?<![\\w$])${n.replace(/[$]/g, '\\$')}(?![\\w$])`).test(text)) return true;
  return false;
}

/** A value that is the same whatever the row holds: a literal, `new Date()`, `now()`, an enum member. */
function isConstantValue(expr: ts.Expression): boolean {
  const e = skipOuter(expr);
  if (ts.isStringLiteralLike(e) || ts.isNumericLiteral(e) || ts.isBigIntLiteral(e)) return true;
  if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword].includes(e.kind)) return true;
  if (ts.isIdentifier(e) && e.text === 'undefined') return true;
  if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) return true;
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'Date' && (e.arguments?.length ?? 0) === 0) return true;
  // `OrderStatus.Paid`, `Status.SHIPPED`: a member of a constant object or enum.
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && /^[A-Z]/.test(e.expression.text)) return true;
  // `db.fn.now()`, `sql\`now()\``, `Sequelize.fn('NOW')`, `literal('CURRENT_TIMESTAMP')`.
  const text = e.getText();
  if ((ts.isCallExpression(e) || ts.isTaggedTemplateExpression(e)) && /\b(?:now|current_timestamp|current_date|localtimestamp|transaction_timestamp|statement_timestamp|clock_timestamp|gen_random_uuid)\b/i.test(text) && !/\$\{/.test(text)) return true;
  return false;
}

/**
 * An update's value list is atomic: some value is computed by the database from its own column
 * (`selfRef`), and every other value is a constant (`updated_at: db.fn.now()`), never a value computed in
 * the application from a row it read.
 */
function atomicValues(obj: ts.ObjectLiteralExpression | undefined, selfRef: (column: string, value: ts.Expression) => boolean): boolean {
  if (!obj) return false;
  let any = false;
  for (const p of obj.properties) {
    if (!ts.isPropertyAssignment(p)) return false;
    const column = propertyName(p.name);
    if (column === undefined) return false;
    if (selfRef(column, p.initializer)) any = true;
    else if (!isConstantValue(p.initializer)) return false;
  }
  return any;
}

/** `raw('stock - ?', [n])`, `literal('stock - 1')`: the SQL text (not the bindings) computes the column from itself. */
function isRawSelfRef(column: string, value: ts.Expression, names: Set<string>): boolean {
  const e = skipOuter(value);
  if (!ts.isCallExpression(e)) return false;
  const callee = skipOuter(e.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  if (!name || !names.has(name)) return false;
  const sql = e.arguments[0] && ts.isStringLiteralLike(skipOuter(e.arguments[0])) ? (skipOuter(e.arguments[0]) as ts.StringLiteral).text : undefined;
  if (sql === undefined || !ARITH.test(sql)) return false;
  if (mentionsColumn(sql, column)) return true;
  // knex `raw('?? + ?', ['stock', 1])`: the identifier binding names the column.
  const bindings = e.arguments[1] && skipOuter(e.arguments[1]);
  return sql.includes('??') && bindings !== undefined && ts.isArrayLiteralExpression(bindings) && bindings.elements.some((b) => ts.isStringLiteralLike(b) && (b.text === column || b.text === snake(column)));
}

/** `sql\`stock - ${n}\``: the template's own text computes the column from itself (or `${table.col}` when `columnRef` says so). */
function isTemplateSelfRef(column: string, value: ts.Expression, columnRef?: (e: ts.Expression) => boolean): boolean {
  const e = skipOuter(value);
  if (!ts.isTaggedTemplateExpression(e)) return false;
  const t = e.template;
  const literal = ts.isNoSubstitutionTemplateLiteral(t) ? t.text : [t.head.text, ...t.templateSpans.map((s) => s.literal.text)].join(' ');
  if (!ARITH.test(literal)) return false;
  if (mentionsColumn(literal, column)) return true;
  if (ts.isNoSubstitutionTemplateLiteral(t) || !columnRef) return false;
  return t.templateSpans.some((s) => {
    const x = skipOuter(s.expression);
    return ts.isPropertyAccessExpression(x) && (x.name.text === column || snake(x.name.text) === snake(column)) && columnRef(x);
  });
}

function isVersionKey(key: string | undefined): boolean {
  return key !== undefined && VERSION_COLUMN.test(key);
}

/** An object filter (`{ id }`, `{ id: x, version: v }`): whether it keys one row by id / checks a version / lists many keys. */
function objectFilter(site: CallSite, obj: ts.ObjectLiteralExpression | undefined): { keyed: boolean; version: boolean; multi: boolean } {
  const out = { keyed: false, version: false, multi: false };
  if (!obj) return out;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) continue;
    const key = p.name ? propertyName(p.name) : undefined;
    const value = ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
    const many = value !== undefined && (ts.isArrayLiteralExpression(value) || /\[\s*Op\.in\s*\]|\$in\b|(?<![\w$])in\s*:/.test(value.getText()));
    if (many) out.multi = true;
    if (key !== undefined && ID_COLUMN.test(key) && !many && !(value && objectOf(site, value))) out.keyed = true;
    if (isVersionKey(key)) out.version = true;
  }
  if (/\[\s*Op\.in\s*\]|\$in\b/.test(obj.getText())) out.multi = true;
  return out;
}

/** Message text of a chain: `db('orders').where().first()`. */
function chainApi(chain: Chain, tableLinks: Set<string>): string {
  const inst = chain.instance.getText().replace(/\s+/g, '').replace(/^this\./, '');
  const parts = chain.links.map((l) => {
    const arg = l.call.arguments[0];
    const a = arg && tableLinks.has(l.name) && (ts.isStringLiteralLike(arg) || ts.isIdentifier(arg) || ts.isPropertyAccessExpression(arg)) ? arg.getText() : '';
    return l.name === '()' ? `(${a})` : `.${l.name}(${a})`;
  });
  let text = inst + parts.join('');
  if (text.length > 60 && parts.length > 2) text = `${inst}${parts[0]}….${chain.links[chain.links.length - 1].name}()`;
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The callee as written, arguments of inner calls dropped: `em.persist().flush`, `orm.em.fork().find`. */
function apiOf(site: CallSite): string {
  const call = site.call;
  let text = (ts.isTaggedTemplateExpression(call) ? call.tag : call.expression).getText().replace(/\s+/g, '').replace(/^this\./, '');
  for (let i = 0; i < 6; i++) {
    const next = text.replace(/\((?:[^()]|\(\))+\)/g, '()');
    if (next === text) break;
    text = next;
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Knex
// ---------------------------------------------------------------------------------------------------------

/** A Knex instance: `knex(config)`, a `Knex`/`Knex.Transaction` annotation, a `transaction()` result. */
const KNEX_INSTANCE = /^knex(?:\.(?:knex|default|Knex(?:\.Transaction)?))?\(\)(?:\.transaction\(\))?$/;
const KNEX_PREFIX = /^knex(?:\.(?:knex|default|Knex(?:\.Transaction)?))?\(\)/;
const KNEX_TABLE_LINKS = new Set(['()', 'from', 'into', 'table', 'withSchema', 'fromRaw']);
const KNEX_RUNNERS = new Set(['then', 'catch', 'finally', 'asCallback']);
/** A chain ending in one of these is built, not run (a subquery `.as('t')`, SQL text for logging). */
const KNEX_NOT_RUN = new Set(['toSQL', 'toQuery', 'toString', 'toNative', 'as']);
/** Query builder methods a Knex instance forwards (a chain may start with any of them). */
const KNEX_ROOTS = /^(?:\(\)|select|first|from|table|into|insert|update|del|delete|truncate|increment|decrement|upsert|count|countDistinct|sum|sumDistinct|avg|avgDistinct|min|max|pluck|distinct|distinctOn|column|columns|with|withRecursive|withMaterialized|withNotMaterialized|withSchema|queryBuilder|where\w*|orWhere\w*|andWhere\w*|\w*[jJ]oin\w*|orderBy|groupBy|limit|offset|returning|union|unionAll|fromRaw|jsonExtract)$/;

function knexClient(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call)) return undefined;
  return { kind: 'client', lib: 'knex', api: 'knex', pooled: true, bounded: true };
}

function knexCall(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call) || !KNEX_PREFIX.test(site.callee.path)) return undefined;
  const call = site.call;
  // Inner links of a chain are part of the outermost one (transactions aside: they start when called).
  if (isInnerLink(call) && !/\.(?:transaction|commit|rollback)$/.test(site.callee.path)) return undefined;
  const full = builderChain(site, call, KNEX_INSTANCE);
  if (!full) return undefined;
  const root = full.links[0];
  const args = root.call.arguments;
  const api = chainApi(full, KNEX_TABLE_LINKS);
  // Transactions start when called (they are not lazy), wherever the call stands; a `.catch()` after one is not it.
  if (root.name === 'transaction' || root.name === 'commit' || root.name === 'rollback') {
    if (root.call !== call) return undefined;
    return root.name === 'transaction' ? { kind: 'tx', tx: args.some(isFunctionArg) ? 'callback' : 'begin', lib: 'knex', api } : { kind: 'tx', tx: root.name, lib: 'knex', api };
  }
  if (isInnerLink(call)) return undefined;
  const last = full.links[full.links.length - 1].name;
  if (KNEX_NOT_RUN.has(last)) return undefined;
  const { links, explicit } = stripRunners(full.links, KNEX_RUNNERS);
  if (!explicit && !isExecuted(site, call)) return undefined;
  const chain = { ...full, links };
  if (root.name === 'raw') return sqlFacts(site, { lib: 'knex', api }, args[0]);
  if (root.name === 'batchInsert') return { kind: 'db.write', write: 'insert', lib: 'knex', api, table: tableString(site, args[0]), dedupes: false };
  if (!KNEX_ROOTS.test(root.name)) return undefined;
  return knexBuilderFacts(site, chain, api);
}

function knexBuilderFacts(site: CallSite, chain: Chain, api: string): CallFacts {
  const { links } = chain;
  const names = new Set(links.map((l) => l.name));
  let table: string | undefined;
  for (const l of links) {
    if (l.name === '()' || l.name === 'from' || l.name === 'into' || l.name === 'table') table = tableString(site, l.call.arguments[0]);
    if (table) break;
  }
  const base = { lib: 'knex', api, table };
  const filters = knexFilters(site, links);
  if (names.has('insert') || names.has('upsert')) {
    const merge = names.has('onConflict') && names.has('merge');
    const ignore = names.has('onConflict') && names.has('ignore');
    return { ...base, kind: 'db.write', write: names.has('upsert') || merge ? 'upsert' : 'insert', dedupes: names.has('upsert') || merge || ignore };
  }
  if (names.has('update') || names.has('increment') || names.has('decrement')) {
    const raw = new Set(['raw']);
    const selfRef = (column: string, v: ts.Expression) => isRawSelfRef(column, v, raw);
    const counted = names.has('increment') || names.has('decrement');
    // `.update({ stock: db.raw('stock - ?', [n]) })`, or `.increment('stock', n)` with constant other values.
    const atomic = links
      .filter((l) => l.name === 'update')
      .every((u) => {
        const [first, second] = u.call.arguments;
        const column = first ? stringOf(site, first) : undefined;
        if (column !== undefined && second) return selfRef(column, second) || (counted && isConstantValue(second));
        const obj = objectOf(site, first);
        return atomicValues(obj, selfRef) || (counted && allConstant(obj));
      });
    return { ...base, kind: 'db.write', write: 'update', atomic, versionCheck: filters.version, singleRow: filters.keyed };
  }
  if (names.has('del') || names.has('delete') || names.has('truncate')) return { ...base, kind: 'db.write', write: 'delete', versionCheck: filters.version, singleRow: filters.keyed };
  const aggregate = links.some((l) => AGGREGATE_FN.test(l.name)) && !names.has('groupBy') && !names.has('groupByRaw');
  const first = names.has('first');
  const singleRow = first || filters.keyed || aggregate;
  return {
    ...base,
    kind: 'db.read',
    limited: singleRow || names.has('limit') || names.has('paginate'),
    singleRow,
    forUpdate: names.has('forUpdate') || names.has('forNoKeyUpdate') || names.has('forShare') || names.has('forKeyShare'),
    multiKey: filters.multi,
  };
}

function allConstant(obj: ts.ObjectLiteralExpression | undefined): boolean {
  return obj !== undefined && obj.properties.every((p) => ts.isPropertyAssignment(p) && isConstantValue(p.initializer));
}

/** `.where({ id })`, `.where('id', x)`, `.where('id', '=', x)`, `.whereIn(…)`, `.where('version', v)`. */
function knexFilters(site: CallSite, links: Link[]): { keyed: boolean; version: boolean; multi: boolean } {
  const out = { keyed: false, version: false, multi: false };
  for (const l of links) {
    const [a, b, c] = l.call.arguments;
    if (/^(?:or|and)?[wW]hereIn$/.test(l.name)) {
      // A subquery (`whereIn('id', db('x').select('id'))`, a callback) is not a list of keys.
      const list = b && skipOuter(b);
      if (list && !ts.isArrowFunction(list) && !ts.isFunctionExpression(list) && !isExtPath(site.resolver.valueOf(list), KNEX_PREFIX)) out.multi = true;
      continue;
    }
    if (/^(?:or|and)?[wW]hereRaw$/.test(l.name) && a && /=\s*any\s*\(|\bin\s*\(\s*\?\s*\)/i.test(a.getText())) out.multi = true;
    if (!/^(?:and)?[wW]here$/.test(l.name)) continue;
    const column = a ? stringOf(site, a) : undefined;
    if (column !== undefined) {
      const op = c !== undefined && b ? stringOf(site, b) : '=';
      const value = c ?? b;
      if (op?.toLowerCase() === 'in') out.multi = true;
      if (op === '=' && ID_COLUMN.test(column) && value && !ts.isArrayLiteralExpression(skipOuter(value))) out.keyed = true;
      if (op === '=' && VERSION_COLUMN.test(column)) out.version = true;
      continue;
    }
    const f = objectFilter(site, objectOf(site, a));
    out.keyed ||= f.keyed;
    out.version ||= f.version;
  }
  // `…where({ id }).orWhere(…)`: no longer one row.
  if (links.some((l) => /^orWhere/.test(l.name))) out.keyed = false;
  return out;
}

/** Knex: `knex(config)`; `db('orders')…` / `db.select().from(…)` chains; `db.raw`; transactions (callback and `await db.transaction()`). */
const knex: LibraryEntry = {
  id: 'knex',
  modules: ['knex'],
  calls: [
    { path: 'knex', construct: false, tagged: false, describe: knexClient },
    { path: 'knex.knex', construct: false, tagged: false, describe: knexClient },
    { path: 'knex.**', tagged: false, describe: knexCall },
    { path: 'knex().**', tagged: false, describe: knexCall },
    { path: 'knex()().**', tagged: false, describe: knexCall },
  ],
};

// ---------------------------------------------------------------------------------------------------------
// Drizzle
// ---------------------------------------------------------------------------------------------------------

const DRIZZLE_MODULES = [
  'drizzle-orm/node-postgres',
  'drizzle-orm/postgres-js',
  'drizzle-orm/neon-http',
  'drizzle-orm/neon-serverless',
  'drizzle-orm/vercel-postgres',
  'drizzle-orm/pglite',
  'drizzle-orm/xata-http',
  'drizzle-orm/pg-proxy',
  'drizzle-orm/aws-data-api/pg',
  'drizzle-orm/pg-core',
  'drizzle-orm/mysql2',
  'drizzle-orm/mysql-core',
  'drizzle-orm/planetscale-serverless',
  'drizzle-orm/tidb-serverless',
  'drizzle-orm/mysql-proxy',
  'drizzle-orm/singlestore',
  'drizzle-orm/better-sqlite3',
  'drizzle-orm/bun-sqlite',
  'drizzle-orm/libsql',
  'drizzle-orm/d1',
  'drizzle-orm/sqlite-core',
  'drizzle-orm/sqlite-proxy',
  'drizzle-orm/expo-sqlite',
  'drizzle-orm/op-sqlite',
];
/** `drizzle(…)`, or an annotation with a database/transaction type (`NodePgDatabase`, `PgTransaction`). */
const DRIZZLE_INSTANCE = /^drizzle-orm\/[^.]+\.(?:drizzle|\w*(?:Database|Transaction))\(\)$/;
const DRIZZLE_PREFIX = /^drizzle-orm\/[^.]+\.(?:drizzle|\w*(?:Database|Transaction))\(\)/;
const DRIZZLE_TABLE_LINKS = new Set(['from', 'insert', 'update', 'delete', '$count', 'innerJoin', 'leftJoin']);
const DRIZZLE_RUNNERS = new Set(['then', 'catch', 'finally', 'execute', 'run', 'all', 'get', 'values']);
const DRIZZLE_NOT_RUN = new Set(['toSQL', 'getSQL', 'prepare', 'as', '$dynamic']);
const DRIZZLE_RAW = new Set(['execute', 'run', 'all', 'get', 'values']);

function drizzleClient(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call)) return undefined;
  return { kind: 'client', lib: 'drizzle', api: 'drizzle', pooled: true, bounded: true };
}

function drizzleCall(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call) || !DRIZZLE_PREFIX.test(site.callee.path)) return undefined;
  const call = site.call;
  if (/\.query\.[^.]+\.(?:findMany|findFirst)$/.test(site.callee.path)) return drizzleRelational(site);
  if (isInnerLink(call) && !/\.(?:transaction|batch)$/.test(site.callee.path)) return undefined;
  const full = builderChain(site, call, DRIZZLE_INSTANCE);
  if (!full) return undefined;
  const root = full.links[0];
  const api = chainApi(full, DRIZZLE_TABLE_LINKS);
  // Transactions and batches start when called, wherever the call stands; a `.catch()` after one is not it.
  if (root.name === 'transaction' || root.name === 'batch') {
    if (root.call !== call) return undefined;
    if (root.name === 'batch') return { kind: 'tx', tx: 'batch', lib: 'drizzle', api };
    return root.call.arguments.some(isFunctionArg) ? { kind: 'tx', tx: 'callback', lib: 'drizzle', api } : undefined;
  }
  if (isInnerLink(call)) return undefined;
  if (root.name === 'rollback' && full.links.length === 1) return { kind: 'tx', tx: 'rollback', lib: 'drizzle', api };
  const lastName = full.links[full.links.length - 1].name;
  if (DRIZZLE_NOT_RUN.has(lastName)) return undefined;
  const { links, explicit } = full.links.length === 1 && DRIZZLE_RAW.has(root.name) ? { links: full.links, explicit: false } : stripRunners(full.links, DRIZZLE_RUNNERS);
  if (!explicit && !isExecuted(site, call)) return undefined;
  if (DRIZZLE_RAW.has(root.name) && links.length === 1) {
    const arg = root.call.arguments[0];
    return sqlFacts(site, { lib: 'drizzle', api }, arg, arg !== undefined && ts.isTaggedTemplateExpression(skipOuter(arg)));
  }
  return drizzleBuilderFacts(site, links, api);
}

function drizzleBuilderFacts(site: CallSite, links: Link[], api: string): CallFacts | undefined {
  // `db.with(sq).select()…`: the statement starts at its first verb.
  const start = links.findIndex((l) => /^(?:select|selectDistinct|selectDistinctOn|insert|update|delete|\$count)$/.test(l.name));
  if (start < 0) return undefined;
  const verb = links[start];
  const rest = links.slice(start);
  const names = new Set(rest.map((l) => l.name));
  const tableArg = verb.name === 'insert' || verb.name === 'update' || verb.name === 'delete' || verb.name === '$count' ? verb.call.arguments[0] : rest.find((l) => l.name === 'from')?.call.arguments[0];
  const table = drizzleTable(site, tableArg);
  const base = { lib: 'drizzle', api, table };
  const where = drizzleWhere(site, rest.filter((l) => l.name === 'where').map((l) => l.call.arguments[0]));
  if (verb.name === 'insert') {
    const upsert = names.has('onConflictDoUpdate') || names.has('onDuplicateKeyUpdate');
    return { ...base, kind: 'db.write', write: upsert ? 'upsert' : 'insert', dedupes: upsert || names.has('onConflictDoNothing') || names.has('ignore') };
  }
  if (verb.name === 'update') {
    const set = rest.find((l) => l.name === 'set');
    const columnRef = (e: ts.Expression) => ts.isPropertyAccessExpression(e) && drizzleTableValue(site, e.expression) !== undefined;
    const atomic = atomicValues(objectOf(site, set?.call.arguments[0]), (column, v) => isTemplateSelfRef(column, v, columnRef));
    return { ...base, kind: 'db.write', write: 'update', atomic, versionCheck: where.version, singleRow: where.keyed };
  }
  if (verb.name === 'delete') return { ...base, kind: 'db.write', write: 'delete', versionCheck: where.version, singleRow: where.keyed };
  const fields = objectOf(site, verb.call.arguments[0]);
  const aggregate = verb.name === '$count' || (fields !== undefined && fields.properties.length > 0 && fields.properties.every((p) => ts.isPropertyAssignment(p) && isAggregateExpr(p.initializer)) && !names.has('groupBy'));
  const lock = rest.find((l) => l.name === 'for');
  const strength = lock ? stringOf(site, lock.call.arguments[0]) : undefined;
  const singleRow = where.keyed || aggregate;
  return {
    ...base,
    kind: 'db.read',
    limited: singleRow || names.has('limit'),
    singleRow,
    forUpdate: strength !== undefined && /^(?:update|no key update|share|key share)$/i.test(strength),
    multiKey: where.multi,
  };
}

function isAggregateExpr(expr: ts.Expression): boolean {
  const e = skipOuter(expr);
  if (ts.isCallExpression(e)) {
    const callee = skipOuter(e.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (AGGREGATE_FN.test(name)) return true;
    if (name === 'mapWith' || name === 'as') return ts.isPropertyAccessExpression(callee) && isAggregateExpr(callee.expression);
  }
  if (ts.isTaggedTemplateExpression(e)) return /^\s*(?:count|sum|avg|min|max)\s*\(/i.test(ts.isNoSubstitutionTemplateLiteral(e.template) ? e.template.text : e.template.head.text);
  return false;
}

/** `where(and(eq(orders.id, id), eq(orders.version, v)))`, `inArray(orders.id, ids)`. */
function drizzleWhere(site: CallSite, exprs: Array<ts.Expression | undefined>): { keyed: boolean; version: boolean; multi: boolean } {
  const out = { keyed: false, version: false, multi: false };
  const conjuncts: ts.CallExpression[] = [];
  const flatten = (x: ts.Expression | undefined): void => {
    const e = x && skipOuter(x);
    if (!e || !ts.isCallExpression(e)) return;
    const callee = skipOuter(e.expression);
    if (ts.isIdentifier(callee) && callee.text === 'and') e.arguments.forEach(flatten);
    else conjuncts.push(e);
  };
  exprs.forEach(flatten);
  for (const c of conjuncts) {
    const callee = skipOuter(c.expression);
    const fn = ts.isIdentifier(callee) ? callee.text : '';
    const column = c.arguments[0] && skipOuter(c.arguments[0]);
    const col = column && ts.isPropertyAccessExpression(column) ? column.name.text : undefined;
    if (fn === 'eq' && col !== undefined && ID_COLUMN.test(col)) out.keyed = true;
    if (fn === 'eq' && isVersionKey(col)) out.version = true;
  }
  // `inArray(orders.id, ids)` anywhere in the condition (not a subquery: `inArray(t.id, db.select()…)`).
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'inArray') {
      const list = n.arguments[1];
      if (list && !isExtPath(site.resolver.valueOf(list), DRIZZLE_PREFIX)) out.multi = true;
    }
    if (ts.isTaggedTemplateExpression(n) && /=\s*any\s*\(/i.test(n.template.getText())) out.multi = true;
    n.forEachChild(visit);
  };
  for (const x of exprs) if (x) visit(x);
  return out;
}

/** The `pgTable('orders', …)` (or `mysqlTable`, `sqliteTable`, `schema.table`, `alias(t, 'x')`) behind an expression. */
function drizzleTableValue(site: CallSite, expr: ts.Expression | undefined, depth = 0): string | undefined {
  if (!expr || depth > 4) return undefined;
  const v = site.resolver.valueOf(expr);
  if (v?.kind !== 'ext' || !v.creation || !ts.isCallExpression(v.creation) || !/^drizzle-orm/.test(v.path)) return undefined;
  if (/(?:Table|\.table)\(\)$/.test(v.path)) return stringOf(site, v.creation.arguments[0]);
  if (/\.alias\(\)$/.test(v.path)) return drizzleTableValue(site, v.creation.arguments[0], depth + 1);
  return undefined;
}

function drizzleTable(site: CallSite, expr: ts.Expression | undefined): string | undefined {
  if (!expr) return undefined;
  const found = drizzleTableValue(site, expr);
  if (found) return found;
  const e = skipOuter(expr);
  // The declaration is out of reach (a package): its JavaScript name is the best hint.
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** `db.query.orders.findMany({ where, limit })`: the table is the schema entry of that name. */
function drizzleRelational(site: CallSite): CallFacts | undefined {
  const call = site.call as ts.CallExpression;
  // Lazy too: run when awaited or by a following `.then()`/`.execute()` (not `.prepare()`, `.toSQL()`).
  if (isInnerLink(call)) {
    const { parent } = outerOf(call);
    if (!parent || !ts.isPropertyAccessExpression(parent) || !DRIZZLE_RUNNERS.has(parent.name.text)) return undefined;
  } else if (!isExecuted(site, call)) return undefined;
  const op = lastSegment(site.callee.path);
  const key = site.callee.path.split('.').slice(-2)[0];
  const opts = objectArg(site, 0);
  const whereExpr = optionValue(opts, 'where');
  const whereObj = objectOf(site, whereExpr);
  const where = whereObj ? objectFilter(site, whereObj) : drizzleWhere(site, [whereExpr && ts.isArrowFunction(skipOuter(whereExpr)) ? ((skipOuter(whereExpr) as ts.ArrowFunction).body as ts.Expression) : whereExpr]);
  const table = relationalTable(site, key) ?? key;
  return {
    kind: 'db.read',
    lib: 'drizzle',
    api: apiOf(site),
    table,
    limited: op === 'findFirst' || optionValue(opts, 'limit') !== undefined || where.keyed,
    singleRow: where.keyed,
    multiKey: where.multi,
    forUpdate: false,
  };
}

function relationalTable(site: CallSite, key: string): string | undefined {
  const creation = site.callee.creation;
  let schema: ts.Expression | undefined;
  if (creation && ts.isCallExpression(creation)) {
    for (const a of creation.arguments) {
      const s = optionValue(objectOf(site, a), 'schema');
      if (s) schema = s;
    }
  }
  const typeArg = site.callee.typeArgs?.[0];
  const schemaValue = schema ? site.resolver.valueOf(schema) : typeArg && ts.isTypeQueryNode(typeArg) && ts.isIdentifier(typeArg.exprName) ? site.resolver.valueOf(typeArg.exprName) : undefined;
  const entry = site.resolver.member(schemaValue, key);
  if (entry?.kind !== 'ext' || !entry.creation || !ts.isCallExpression(entry.creation) || !/(?:Table|\.table)\(\)$/.test(entry.path)) return undefined;
  return stringOf(site, entry.creation.arguments[0]);
}

const drizzlePattern = `{${DRIZZLE_MODULES.join(',')}}`;

/** Drizzle ORM: `drizzle(…)` databases, select/insert/update/delete chains, `db.query.*`, `execute(sql…)`, transactions, `batch`. */
const drizzle: LibraryEntry = {
  id: 'drizzle',
  modules: DRIZZLE_MODULES,
  calls: [
    { path: `${drizzlePattern}.drizzle`, construct: false, tagged: false, describe: drizzleClient },
    { path: `${drizzlePattern}.**`, tagged: false, describe: drizzleCall },
  ],
};

// ---------------------------------------------------------------------------------------------------------
// Kysely
// ---------------------------------------------------------------------------------------------------------

/** `new Kysely<DB>()`, a `Kysely`/`Transaction` annotation, a transaction callback's `trx`, a controlled transaction. */
const KYSELY_INSTANCE = /^kysely\.(?:Kysely|Transaction|ControlledTransaction)\(\)(?:\.(?:transaction|startTransaction)\(\)(?:\.\w+\(\))*)?$/;
const KYSELY_TABLE_LINKS = new Set(['selectFrom', 'insertInto', 'replaceInto', 'updateTable', 'deleteFrom', 'mergeInto']);
const KYSELY_RUN = new Set(['execute', 'executeTakeFirst', 'executeTakeFirstOrThrow', 'stream']);

function kyselyCall(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call)) return undefined;
  const chain = builderChain(site, site.call, KYSELY_INSTANCE);
  if (!chain) return undefined;
  const { links } = chain;
  const terminal = links[links.length - 1];
  if (!KYSELY_RUN.has(terminal.name)) return undefined;
  const api = chainApi(chain, KYSELY_TABLE_LINKS);
  const names = new Set(links.map((l) => l.name));
  const root = links[0];
  if (root.name === 'transaction') return terminal.call.arguments.some(isFunctionArg) ? { kind: 'tx', tx: 'callback', lib: 'kysely', api } : undefined;
  if (root.name === 'startTransaction') return { kind: 'tx', tx: 'begin', lib: 'kysely', api };
  if ((root.name === 'commit' || root.name === 'rollback') && links.length === 2) return { kind: 'tx', tx: root.name, lib: 'kysely', api };
  const verb = links.find((l) => KYSELY_TABLE_LINKS.has(l.name) || l.name === 'selectNoFrom');
  if (!verb) return undefined;
  const table = tableString(site, verb.call.arguments[0]);
  const base = { lib: 'kysely', api, table };
  const where = kyselyFilters(site, links);
  if (verb.name === 'insertInto' || verb.name === 'replaceInto' || verb.name === 'mergeInto') {
    const conflict = links.find((l) => l.name === 'onConflict');
    const conflictText = conflict?.call.arguments[0]?.getText() ?? '';
    const upsert = verb.name === 'mergeInto' || verb.name === 'replaceInto' || /\bdoUpdateSet\b/.test(conflictText) || names.has('onDuplicateKeyUpdate');
    return { ...base, kind: 'db.write', write: upsert ? 'upsert' : 'insert', dedupes: upsert || /\bdoNothing\b/.test(conflictText) || names.has('ignore') || names.has('orIgnore') };
  }
  if (verb.name === 'updateTable') {
    const set = links.find((l) => l.name === 'set');
    let atomic = false;
    if (set) {
      const [a, b] = set.call.arguments;
      const column = a ? stringOf(site, a) : undefined;
      if (column !== undefined && b) atomic = kyselySelfRef(column, b);
      else {
        const fn = a && skipOuter(a);
        const body = fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) ? arrowResult(fn) : a;
        atomic = atomicValues(objectOf(site, body), kyselySelfRef);
      }
    }
    return { ...base, kind: 'db.write', write: 'update', atomic, versionCheck: where.version, singleRow: where.keyed };
  }
  if (verb.name === 'deleteFrom') return { ...base, kind: 'db.write', write: 'delete', versionCheck: where.version, singleRow: where.keyed };
  const selects = links.filter((l) => l.name === 'select');
  const aggregate = selects.length > 0 && !names.has('groupBy') && selects.every((s) => /\b(?:fn\.(?:count|countAll|sum|avg|min|max)|count\(\*\))/.test(s.call.getText().slice(s.call.expression.getText().length)));
  const singleRow = where.keyed || aggregate;
  return {
    ...base,
    kind: 'db.read',
    limited: singleRow || names.has('limit') || terminal.name === 'executeTakeFirst' || terminal.name === 'executeTakeFirstOrThrow',
    singleRow,
    forUpdate: names.has('forUpdate') || names.has('forNoKeyUpdate') || names.has('forShare') || names.has('forKeyShare'),
    multiKey: where.multi,
  };
}

function arrowResult(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  if (!ts.isBlock(fn.body)) return fn.body;
  const ret = fn.body.statements.find(ts.isReturnStatement);
  return ret?.expression;
}

/** `(eb) => eb('stock', '-', n)`, `eb('stock', '+', 1)`, `sql\`stock + ${n}\``. */
function kyselySelfRef(column: string, value: ts.Expression): boolean {
  if (isTemplateSelfRef(column, value)) return true;
  const e = skipOuter(value);
  const body = ts.isArrowFunction(e) || ts.isFunctionExpression(e) ? arrowResult(e) : e;
  if (!body) return false;
  let names = false;
  let op = false;
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteralLike(n)) {
      if (n.text === column || n.text === snake(column) || n.text.endsWith(`.${column}`)) names = true;
      if (/^(?:[-+*/%]|\|\|)$/.test(n.text)) op = true;
    }
    n.forEachChild(visit);
  };
  visit(body);
  return names && op;
}

/** `.where('id', '=', x)`, `.where('id', 'in', ids)`, `.where('version', '=', v)`. */
function kyselyFilters(site: CallSite, links: Link[]): { keyed: boolean; version: boolean; multi: boolean } {
  const out = { keyed: false, version: false, multi: false };
  for (const l of links) {
    if (!/^(?:where|orWhere|whereRef|on)$/.test(l.name)) continue;
    const [a, b, c] = l.call.arguments;
    const column = a ? stringOf(site, a) : undefined;
    const op = b ? stringOf(site, b)?.toLowerCase() : undefined;
    if (op === 'in' || /['"`]in['"`]|=\s*any\s*\(/i.test(l.call.arguments.map((x) => x.getText()).join(' '))) out.multi = true;
    if (column === undefined || l.name !== 'where') continue;
    if (op === '=' && ID_COLUMN.test(column) && c && !ts.isArrayLiteralExpression(skipOuter(c))) out.keyed = true;
    if (op === '=' && VERSION_COLUMN.test(column)) out.version = true;
  }
  if (links.some((l) => l.name === 'orWhere')) out.keyed = false;
  return out;
}

/** `sql\`…\`.execute(db)`, `sql.raw('…').execute(db)`: raw SQL run on a Kysely instance. */
function kyselySql(site: CallSite): CallFacts | undefined {
  const { node, parent } = outerOf(site.call);
  if (!parent || !ts.isPropertyAccessExpression(parent) || parent.expression !== node || parent.name.text !== 'execute' || !ts.isCallExpression(parent.parent)) return undefined;
  const tagged = ts.isTaggedTemplateExpression(site.call);
  return sqlFacts(site, { lib: 'kysely', api: tagged ? 'sql`…`.execute' : 'sql.raw(…).execute' }, argsOf(site.call)[0], tagged);
}

/** Kysely: statements run at `execute*()`; `db.transaction().execute(cb)`; `sql\`…\`.execute(db)`. */
const kysely: LibraryEntry = {
  id: 'kysely',
  modules: ['kysely'],
  calls: [
    { path: 'kysely.Kysely', construct: true, describe: () => ({ kind: 'client', lib: 'kysely', api: 'new Kysely', pooled: true, bounded: true }) },
    { path: 'kysely.sql', tagged: true, describe: kyselySql },
    { path: 'kysely.sql.raw', tagged: false, describe: kyselySql },
    { path: 'kysely.**.{execute,executeTakeFirst,executeTakeFirstOrThrow,stream}', tagged: false, describe: kyselyCall },
  ],
};

// ---------------------------------------------------------------------------------------------------------
// Sequelize
// ---------------------------------------------------------------------------------------------------------

const SEQ_INSTANCE = /^(?:sequelize|sequelize-typescript)(?:\.Sequelize)?\(\)$/;
/** A model class: `class Order extends Model`, `sequelize.define(…)`, `sequelize.models.Order`, `ModelStatic<Order>`. */
const SEQ_MODEL = /^(?:(?:sequelize|sequelize-typescript)\.(?:Model|ModelStatic\(\)|ModelCtor\(\)|ModelType\(\))|(?:sequelize|sequelize-typescript)(?:\.Sequelize)?\(\)\.(?:define\(\)|model\(\)|getRepository\(\)|models\.[^.]+))$/;
const SEQ_INSTANCE_MAKERS = /\.(?:findByPk|findOne|create|build|findOrBuild)\(\)$/;

const SEQ_READS: Record<string, { limited: boolean; single?: boolean; opts: number }> = {
  findAll: { limited: false, opts: 0 },
  findAndCountAll: { limited: false, opts: 0 },
  findOne: { limited: true, single: true, opts: 0 },
  findByPk: { limited: true, single: true, opts: 1 },
  count: { limited: true, opts: 0 },
  max: { limited: true, opts: 1 },
  min: { limited: true, opts: 1 },
  sum: { limited: true, opts: 1 },
  aggregate: { limited: true, opts: 2 },
};
const SEQ_WRITES: Record<string, { write: WriteKind; opts: number }> = {
  create: { write: 'insert', opts: 1 },
  bulkCreate: { write: 'insert', opts: 1 },
  findOrCreate: { write: 'insert', opts: 0 },
  findCreateFind: { write: 'insert', opts: 0 },
  update: { write: 'update', opts: 1 },
  increment: { write: 'update', opts: 1 },
  decrement: { write: 'update', opts: 1 },
  destroy: { write: 'delete', opts: 0 },
  truncate: { write: 'delete', opts: 0 },
  restore: { write: 'update', opts: 0 },
  upsert: { write: 'upsert', opts: 1 },
};

function sequelizeCall(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call)) return undefined;
  const path = site.callee.path;
  const op = lastSegment(path);
  const prefix = path.slice(0, path.length - op.length - 1);
  const args = site.call.arguments;
  const api = apiOf(site);
  if (SEQ_INSTANCE.test(prefix)) {
    if (op === 'query') {
      const config = objectOf(site, args[0]);
      return sqlFacts(site, { lib: 'sequelize', api }, config ? optionValue(config, 'query') : args[0]);
    }
    if (op === 'transaction') return { kind: 'tx', tx: args.some(isFunctionArg) ? 'callback' : 'begin', lib: 'sequelize', api };
    return undefined;
  }
  if ((op === 'commit' || op === 'rollback') && (/\.transaction\(\)$/.test(prefix) ? SEQ_INSTANCE.test(prefix.slice(0, -'.transaction()'.length)) : /^(?:sequelize|sequelize-typescript)\.Transaction\(\)$/.test(prefix))) {
    return { kind: 'tx', tx: op, lib: 'sequelize', api };
  }
  if (SEQ_MODEL.test(prefix)) return sequelizeModelCall(site, op, api);
  // `this.findAll(…)` in a static method of the model class.
  if (/^(?:sequelize|sequelize-typescript)\.Model\(\)$/.test(prefix) && inStaticMethod(site.call) && (SEQ_READS[op] || SEQ_WRITES[op])) return sequelizeModelCall(site, op, api);
  const instancePrefix = /^(?:sequelize|sequelize-typescript)\.Model\(\)$/.test(prefix);
  if (instancePrefix || (SEQ_INSTANCE_MAKERS.test(prefix) && SEQ_MODEL.test(prefix.replace(SEQ_INSTANCE_MAKERS, '')))) return sequelizeInstanceCall(site, op, prefix, api);
  return undefined;
}

function sequelizeModelCall(site: CallSite, op: string, api: string): CallFacts | undefined {
  const call = site.call as ts.CallExpression;
  const callee = skipOuter(call.expression);
  const table = ts.isPropertyAccessExpression(callee) ? sequelizeModelTable(site, callee.expression) : undefined;
  const base = { lib: 'sequelize', api, table };
  const read = SEQ_READS[op];
  if (read) {
    const opts = objectArg(site, read.opts);
    const where = objectFilter(site, objectOf(site, optionValue(opts, 'where')));
    const lock = optionValue(opts, 'lock');
    const singleRow = Boolean(read.single) || where.keyed;
    return {
      ...base,
      kind: 'db.read',
      limited: read.limited || singleRow || optionValue(opts, 'limit') !== undefined,
      singleRow,
      forUpdate: lock !== undefined && skipOuter(lock).kind !== ts.SyntaxKind.FalseKeyword,
      multiKey: where.multi,
    };
  }
  const write = SEQ_WRITES[op];
  if (!write) return undefined;
  const opts = objectArg(site, write.opts);
  const where = objectFilter(site, objectOf(site, optionValue(opts, 'where')));
  const literal = new Set(['literal']);
  const facts: CallFacts = { ...base, kind: 'db.write', write: write.write };
  if (op === 'bulkCreate') {
    const update = optionValue(opts, 'updateOnDuplicate');
    if (update) facts.write = 'upsert';
    facts.dedupes = update !== undefined || isTrue(optionValue(opts, 'ignoreDuplicates'));
  } else if (write.write === 'insert') facts.dedupes = op === 'findOrCreate' || op === 'findCreateFind';
  if (write.write === 'upsert') facts.dedupes = true;
  if (write.write === 'update' || write.write === 'delete') {
    facts.versionCheck = where.version;
    facts.singleRow = where.keyed;
  }
  if (op === 'increment' || op === 'decrement') facts.atomic = true;
  else if (op === 'update') facts.atomic = atomicValues(objectArg(site, 0), (column, v) => isRawSelfRef(column, v, literal));
  return facts;
}

function sequelizeInstanceCall(site: CallSite, op: string, prefix: string, api: string): CallFacts | undefined {
  const call = site.call as ts.CallExpression;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const receiver = callee.expression;
  const value = site.resolver.valueOf(receiver);
  let table: string | undefined;
  let fresh = false;
  if (value?.kind === 'instance') {
    table = sequelizeClassTable(site, value.decl);
    fresh = ts.isIdentifier(skipOuter(receiver)) && newlyBuilt(site, skipOuter(receiver) as ts.Identifier);
  } else if (value?.kind === 'ext' && value.creation && ts.isCallExpression(value.creation)) {
    const maker = skipOuter(value.creation.expression);
    if (ts.isPropertyAccessExpression(maker)) table = sequelizeModelTable(site, maker.expression);
    fresh = /\.(?:build|findOrBuild)\(\)$/.test(prefix);
  }
  const base = { lib: 'sequelize', api, table };
  switch (op) {
    case 'save':
      return { ...base, kind: 'db.write', write: fresh ? 'insert' : 'update', dedupes: fresh ? false : true, singleRow: true };
    case 'update':
      return { ...base, kind: 'db.write', write: 'update', singleRow: true, atomic: atomicValues(objectArg(site, 0), (column, v) => isRawSelfRef(column, v, new Set(['literal']))) };
    case 'increment':
    case 'decrement':
      return { ...base, kind: 'db.write', write: 'update', singleRow: true, atomic: true };
    case 'destroy':
      return { ...base, kind: 'db.write', write: 'delete', singleRow: true };
    case 'restore':
      return { ...base, kind: 'db.write', write: 'update', singleRow: true };
    case 'reload':
      return { ...base, kind: 'db.read', limited: true, singleRow: true, forUpdate: false, multiKey: false };
    default:
      return undefined;
  }
}

function inStaticMethod(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
  for (let n: ts.Node | undefined = call.parent; n; n = n.parent) {
    if (ts.isMethodDeclaration(n)) return (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassLike(n)) return false;
  }
  return false;
}

/** `const order = new Order(…)` / `Order.build(…)`: not in the database yet. */
function newlyBuilt(site: CallSite, id: ts.Identifier): boolean {
  const decl = site.resolver.declarationOf(id);
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return false;
  const init = skipOuter(decl.initializer);
  return ts.isNewExpression(init) || (ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && init.expression.name.text === 'build');
}

function isTrue(e: ts.Expression | undefined): boolean {
  return e !== undefined && skipOuter(e).kind === ts.SyntaxKind.TrueKeyword;
}

/** The table of a model expression: `Order` (a class), `sequelize.define('order', …)`, `sequelize.models.Order`. */
function sequelizeModelTable(site: CallSite, expr: ts.Expression): string | undefined {
  const value = site.resolver.valueOf(expr);
  if (value?.kind === 'class' || value?.kind === 'instance') return sequelizeClassTable(site, value.decl);
  if (value?.kind !== 'ext') return undefined;
  const models = /\.models\.([^.]+)$/.exec(value.path);
  if (models) return models[1];
  const creation = value.creation;
  if (!creation || !ts.isCallExpression(creation)) return undefined;
  if (/\.define\(\)$/.test(value.path)) {
    const opts = objectOf(site, creation.arguments[2]);
    return stringOf(site, optionValue(opts, 'tableName')) ?? stringOf(site, creation.arguments[0]);
  }
  if (/\.model\(\)$/.test(value.path)) return stringOf(site, creation.arguments[0]);
  if (/\.getRepository\(\)$/.test(value.path)) {
    const cls = creation.arguments[0] && site.resolver.valueOf(creation.arguments[0]);
    return cls?.kind === 'class' ? sequelizeClassTable(site, cls.decl) : undefined;
  }
  return undefined;
}

/** `@Table({ tableName })`, `Order.init(attrs, { tableName, modelName })` in the class's file, else the class name. */
function sequelizeClassTable(site: CallSite, decl: ts.ClassLikeDeclaration): string | undefined {
  const name = decl.name?.text;
  for (const d of ts.canHaveDecorators(decl) ? (ts.getDecorators(decl) ?? []) : []) {
    const call = d.expression;
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'Table') continue;
    const opts = objectOf(site, call.arguments[0]);
    const t = stringOf(site, optionValue(opts, 'tableName')) ?? stringOf(site, optionValue(opts, 'modelName'));
    if (t) return t;
  }
  let found: string | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'init' && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === name) {
      const opts = objectOf(site, n.arguments[1]);
      found = stringOf(site, optionValue(opts, 'tableName')) ?? stringOf(site, optionValue(opts, 'modelName'));
      if (found) return;
    }
    n.forEachChild(visit);
  };
  if (name) decl.getSourceFile().forEachChild(visit);
  return found ?? name;
}

/** Sequelize (and sequelize-typescript): models' static and instance methods, `sequelize.query`, transactions. */
const sequelize: LibraryEntry = {
  id: 'sequelize',
  modules: ['sequelize', 'sequelize-typescript'],
  calls: [
    { path: '{sequelize,sequelize-typescript}.Sequelize', construct: true, describe: () => ({ kind: 'client', lib: 'sequelize', api: 'new Sequelize', pooled: true, bounded: true }) },
    { path: '{sequelize,sequelize-typescript}', construct: true, describe: () => ({ kind: 'client', lib: 'sequelize', api: 'new Sequelize', pooled: true, bounded: true }) },
    { path: '{sequelize,sequelize-typescript}.**', tagged: false, construct: false, describe: sequelizeCall },
    { path: '{sequelize,sequelize-typescript}().**', tagged: false, construct: false, describe: sequelizeCall },
  ],
};

// ---------------------------------------------------------------------------------------------------------
// MikroORM
// ---------------------------------------------------------------------------------------------------------

const MIKRO_MODULES = [
  '@mikro-orm/core',
  '@mikro-orm/postgresql',
  '@mikro-orm/mysql',
  '@mikro-orm/mariadb',
  '@mikro-orm/sqlite',
  '@mikro-orm/better-sqlite',
  '@mikro-orm/libsql',
  '@mikro-orm/mssql',
  '@mikro-orm/knex',
];
const MIKRO_ROOT = /^@mikro-orm\/[^.]+\./;
/** An EntityManager: annotated, `orm.em`, `em.fork()`, `RequestContext.getEntityManager()`, a `transactional` callback's `em`. */
const MIKRO_EM = /(?:\.(?:EntityManager|SqlEntityManager)\(\)|\.em|\.fork\(\)|\.getEntityManager\(\)|\.getEM\(\))$/;
const MIKRO_REPO = /(?:\.(?:EntityRepository|SqlEntityRepository)\(\)|\.getRepository\(\))$/;

const MIKRO_READS: Record<string, { limited: boolean; single?: boolean }> = {
  find: { limited: false },
  findAll: { limited: false },
  findAndCount: { limited: false },
  findByCursor: { limited: true },
  findOne: { limited: true, single: true },
  findOneOrFail: { limited: true, single: true },
  count: { limited: true },
};
const MIKRO_WRITES: Record<string, WriteKind> = {
  nativeInsert: 'insert',
  insert: 'insert',
  insertMany: 'insert',
  nativeUpdate: 'update',
  nativeDelete: 'delete',
  upsert: 'upsert',
  upsertMany: 'upsert',
};
const PESSIMISTIC = /PESSIMISTIC_(?:WRITE|PARTIAL_WRITE|WRITE_OR_FAIL|READ|PARTIAL_READ|READ_OR_FAIL)|pessimistic_(?:write|read)/;

function mikroCall(site: CallSite): CallFacts | undefined {
  if (!ts.isCallExpression(site.call)) return undefined;
  const path = site.callee.path;
  if (!MIKRO_ROOT.test(path)) return undefined;
  const op = lastSegment(path);
  const prefix = path.slice(0, path.length - op.length - 1);
  const args = site.call.arguments;
  const api = apiOf(site);
  if (/\.getConnection\(\)$/.test(prefix) && MIKRO_EM.test(prefix.slice(0, -'.getConnection()'.length)) && op === 'execute') return sqlFacts(site, { lib: 'mikro-orm', api }, args[0]);
  // `em.persist(order).flush()`, `em.remove(order).flush()`.
  const chained = /\.(persist|remove)\(\)$/.exec(prefix);
  if (chained && op === 'flush' && MIKRO_EM.test(prefix.slice(0, -chained[0].length))) {
    const inner = skipOuter((skipOuter(site.call.expression) as ts.PropertyAccessExpression).expression);
    const arg = ts.isCallExpression(inner) ? inner.arguments[0] : undefined;
    return chained[1] === 'persist' ? persisted(site, arg, api) : { kind: 'db.write', write: 'delete', lib: 'mikro-orm', api, table: mikroEntityOf(site, arg) };
  }
  const onEm = MIKRO_EM.test(prefix);
  const onRepo = !onEm && MIKRO_REPO.test(prefix);
  if (!onEm && !onRepo) return undefined;
  if (onEm) {
    if (op === 'transactional') return args.some(isFunctionArg) ? { kind: 'tx', tx: 'callback', lib: 'mikro-orm', api } : undefined;
    if (op === 'begin') return { kind: 'tx', tx: 'begin', lib: 'mikro-orm', api };
    if (op === 'commit' || op === 'rollback') return { kind: 'tx', tx: op, lib: 'mikro-orm', api };
    if (op === 'execute') return sqlFacts(site, { lib: 'mikro-orm', api }, args[0]);
    if (op === 'persistAndFlush') return persisted(site, args[0], api);
    if (op === 'removeAndFlush') return { kind: 'db.write', write: 'delete', lib: 'mikro-orm', api, table: mikroEntityOf(site, args[0]) };
    if (op === 'flush') return flushed(site, api);
    if (op === 'lock') {
      const mode = args[1]?.getText() ?? '';
      return { kind: 'db.read', lib: 'mikro-orm', api, table: mikroEntityOf(site, args[0]), limited: true, singleRow: true, forUpdate: PESSIMISTIC.test(mode), multiKey: false };
    }
  }
  // EntityManager methods take the entity first: em.find(Order, where, options); a repository does not.
  const shift = onEm ? 1 : 0;
  const table = onEm ? mikroEntityOf(site, args[0]) : mikroRepositoryTable(site);
  const base = { lib: 'mikro-orm', api, table };
  const read = MIKRO_READS[op];
  if (read) {
    const whereArg = op === 'findAll' ? optionValue(objectArg(site, shift), 'where') : args[shift];
    const opts = objectArg(site, op === 'findAll' ? shift : shift + 1);
    const where = mikroFilter(site, whereArg);
    const singleRow = Boolean(read.single) || where.keyed;
    const lock = optionValue(opts, 'lockMode');
    return {
      ...base,
      kind: 'db.read',
      limited: read.limited || singleRow || optionValue(opts, 'limit') !== undefined,
      singleRow,
      forUpdate: lock !== undefined && PESSIMISTIC.test(lock.getText()),
      multiKey: where.multi,
    };
  }
  if (onRepo && op === 'persistAndFlush') return persisted(site, args[0], api);
  if (onRepo && op === 'removeAndFlush') return { ...base, kind: 'db.write', write: 'delete' };
  const write = MIKRO_WRITES[op];
  if (!write) return undefined;
  const facts: CallFacts = { ...base, kind: 'db.write', write, dedupes: write === 'upsert' };
  if (op === 'upsert' || op === 'upsertMany') {
    // `em.upsert(entityInstance)`: the entity is the only argument.
    if (onEm && args.length === 1) facts.table = mikroEntityOf(site, args[0]);
  }
  if (write === 'update' || write === 'delete') {
    const where = mikroFilter(site, args[shift]);
    facts.singleRow = where.keyed;
    facts.versionCheck = where.version;
  }
  if (write === 'update') facts.atomic = atomicValues(objectArg(site, shift + 1), (column, v) => isRawSelfRef(column, v, new Set(['raw'])) || isTemplateSelfRef(column, v));
  return facts;
}

/** A filter argument: a primary key value, `{ id }`, `{ id: { $in: ids } }`, a list of keys. */
function mikroFilter(site: CallSite, expr: ts.Expression | undefined): { keyed: boolean; version: boolean; multi: boolean } {
  if (!expr) return { keyed: false, version: false, multi: false };
  const e = skipOuter(expr);
  const obj = objectOf(site, e);
  if (obj) return objectFilter(site, obj);
  if (ts.isArrayLiteralExpression(e)) return { keyed: false, version: false, multi: true };
  // `em.findOne(Order, id)`: a bare primary key.
  const keyLike = ts.isIdentifier(e) || ts.isStringLiteralLike(e) || ts.isNumericLiteral(e) || ts.isPropertyAccessExpression(e);
  return { keyed: keyLike && !/s$/.test(e.getText()), version: false, multi: false };
}

/** `em.persistAndFlush(x)`: an insert of a new entity (`em.create(…)`, `new Order()`), else an update of a loaded one. */
function persisted(site: CallSite, arg: ts.Expression | undefined, api: string): CallFacts {
  const created = arg ? createdEntity(site, arg) : undefined;
  if (created) return { kind: 'db.write', write: 'insert', lib: 'mikro-orm', api, table: created.table, dedupes: false };
  return { kind: 'db.write', write: 'update', lib: 'mikro-orm', api, table: arg ? mikroEntityOf(site, arg) : undefined, dedupes: true };
}

/** A new entity: `new Order(…)`, `em.create(Order, …)`, `repo.create(…)`, an array of those, or a const bound to one. */
function createdEntity(site: CallSite, expr: ts.Expression, depth = 0): { table: string | undefined } | undefined {
  if (depth > 4) return undefined;
  const e = skipOuter(expr);
  if (ts.isNewExpression(e)) return { table: mikroEntityOf(site, e.expression) };
  if (ts.isArrayLiteralExpression(e)) {
    const items = e.elements.map((x) => createdEntity(site, x, depth + 1));
    return items.length > 0 && items.every((x) => x !== undefined) ? { table: items[0]?.table } : undefined;
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(skipOuter(e.expression)) && (skipOuter(e.expression) as ts.PropertyAccessExpression).name.text === 'create') {
    const callee = site.resolver.valueOf(e.expression);
    if (callee?.kind === 'ext' && MIKRO_ROOT.test(callee.path)) {
      const prefix = callee.path.slice(0, -'.create'.length);
      if (MIKRO_EM.test(prefix)) return { table: mikroEntityOf(site, e.arguments[0]) };
      if (MIKRO_REPO.test(prefix)) return { table: mikroRepositoryTable({ ...site, callee }) };
    }
    return undefined;
  }
  if (ts.isIdentifier(e)) {
    const decl = site.resolver.declarationOf(e);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) return createdEntity(site, decl.initializer, depth + 1);
  }
  return undefined;
}

/** `await em.flush()`: what the earlier `em.persist(…)`/`em.create(…)`/`em.remove(…)` of the same function queued. */
function flushed(site: CallSite, api: string): CallFacts {
  const call = site.call as ts.CallExpression;
  const callee = skipOuter(call.expression) as ts.PropertyAccessExpression;
  const receiver = callee.expression.getText();
  let fn: ts.Node | undefined = call.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const inserts: Array<string | undefined> = [];
  let removes = 0;
  let others = 0;
  const visit = (n: ts.Node): void => {
    if (n.getStart() >= call.getStart()) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.expression.getText() === receiver) {
      const name = n.expression.name.text;
      if (name === 'persist') {
        const created = n.arguments[0] ? createdEntity(site, n.arguments[0]) : undefined;
        if (created) inserts.push(created.table);
        else others++;
      } else if (name === 'create') inserts.push(mikroEntityOf(site, n.arguments[0]));
      else if (name === 'remove') removes++;
    }
    if (n !== fn && ts.isFunctionLike(n)) return;
    n.forEachChild(visit);
  };
  if (fn) fn.forEachChild(visit);
  const base = { kind: 'db.write' as const, lib: 'mikro-orm', api };
  if (inserts.length > 0 && removes === 0 && others === 0) return { ...base, write: 'insert', table: inserts.every((t) => t === inserts[0]) ? inserts[0] : undefined, dedupes: false };
  if (removes > 0 && inserts.length === 0 && others === 0) return { ...base, write: 'delete' };
  if (inserts.length === 0 && removes === 0) return { ...base, write: 'update', dedupes: true };
  return base;
}

/** `@Entity({ tableName: 'orders' })` or the class name in snake case (MikroORM's default naming strategy). */
function mikroEntityOf(site: CallSite, expr: ts.Expression | undefined): string | undefined {
  if (!expr) return undefined;
  const e = skipOuter(expr);
  if (ts.isStringLiteralLike(e)) return snake(e.text);
  const value = site.resolver.valueOf(e);
  if (value?.kind === 'class' || value?.kind === 'instance') return mikroClassTable(site, value.decl);
  if (ts.isNewExpression(e) || ts.isCallExpression(e)) return undefined;
  return ts.isIdentifier(e) && /^[A-Z]/.test(e.text) ? snake(e.text) : undefined;
}

function mikroClassTable(site: CallSite, decl: ts.ClassLikeDeclaration): string | undefined {
  for (const d of ts.canHaveDecorators(decl) ? (ts.getDecorators(decl) ?? []) : []) {
    const call = d.expression;
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'Entity') continue;
    const opts = objectOf(site, call.arguments[0]);
    const t = stringOf(site, optionValue(opts, 'tableName')) ?? stringOf(site, optionValue(opts, 'collection'));
    if (t) return t;
  }
  return decl.name ? snake(decl.name.text) : undefined;
}

/** `EntityRepository<Order>`, `em.getRepository(Order)`, `class OrderRepository extends EntityRepository<Order>`. */
function mikroRepositoryTable(site: CallSite): string | undefined {
  const arg = site.callee.typeArgs?.[0];
  if (arg && ts.isTypeReferenceNode(arg) && ts.isIdentifier(arg.typeName)) return mikroEntityOf(site, arg.typeName);
  const creation = site.callee.creation;
  if (creation && ts.isCallExpression(creation) && /getRepository$/.test(creation.expression.getText())) return mikroEntityOf(site, creation.arguments[0]);
  const call = site.call;
  if (ts.isCallExpression(call) && ts.isPropertyAccessExpression(skipOuter(call.expression))) {
    const receiver = site.resolver.valueOf((skipOuter(call.expression) as ts.PropertyAccessExpression).expression);
    if (receiver?.kind === 'instance') {
      const heritage = receiver.decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      const entity = heritage?.typeArguments?.[0];
      if (entity && ts.isTypeReferenceNode(entity) && ts.isIdentifier(entity.typeName)) return mikroEntityOf(site, entity.typeName);
    }
  }
  return undefined;
}

const mikroPattern = `{${MIKRO_MODULES.join(',')}}`;

/** MikroORM: EntityManager and repository methods, flush, native queries, `transactional`, raw SQL. */
const mikroOrm: LibraryEntry = {
  id: 'mikro-orm',
  modules: MIKRO_MODULES,
  calls: [
    { path: `${mikroPattern}.MikroORM.init`, tagged: false, describe: () => ({ kind: 'client', lib: 'mikro-orm', api: 'MikroORM.init', pooled: true, bounded: true }) },
    { path: `${mikroPattern}.MikroORM`, construct: true, describe: () => ({ kind: 'client', lib: 'mikro-orm', api: 'new MikroORM', pooled: true, bounded: true }) },
    { path: `${mikroPattern}.**`, tagged: false, construct: false, describe: mikroCall },
  ],
};

export const queryBuilderLibraries: LibraryEntry[] = [knex, drizzle, kysely, sequelize, mikroOrm];
