/**
 * Flows for the consistency rules (dual writes, missing transactions, lost updates, idempotency): which
 * functions start a flow of their own, which effects of a flow really run in sequence, whether two effects
 * can both happen in one run, and what counts as a non-idempotent or an outbox write.
 *
 * A flow root is a function nobody in the analysed code calls and that is not a callback run as part of
 * its enclosing function (a transaction callback, an array callback, a `.then`, a callback handed to a
 * repository function). Handlers registered inline (`app.post('/x', async () => …)` inside a
 * `registerRoutes(app)`) are roots of their own: callbacks handed to library calls other than
 * transactions and iterations are "detached" and their effects are left out of the enclosing flow.
 */
import { ts } from 'ts-morph';
import type { CodePlace } from '../core/rule.js';
import type { CodeAnalysis } from './analyze.js';
import { calleeName, describeEffect, flowOf } from './report.js';
import type { Effect, Summary } from './effects.js';
import type { CodeFile } from './project.js';
import { isFunctionLike, skipOuter, type FnNode } from './resolve.js';

const ITERATION = new Set(['forEach', 'map', 'flatMap', 'reduce', 'reduceRight', 'filter', 'some', 'every', 'find', 'findIndex', 'findLast', 'then', 'catch', 'finally']);

/** A write that a retry or a redelivery repeats: insert without ON CONFLICT, POST, money movement, publish. */
export function isNonIdempotent(e: Effect): boolean {
  const f = e.facts;
  switch (f.kind) {
    case 'db.write':
      // An insert adds a row each time (updates by key, deletes and upserts can be repeated). A second
      // audit row is bookkeeping, not a duplicated business effect.
      return f.write === 'insert' && !f.dedupes && !isAuditTable(f.table);
    case 'http':
      return (f.method === 'POST' || f.method === 'PATCH') && !carriesKey(e);
    case 'payment':
      // A payment call that carries its own idempotency key is deduplicated by the provider.
      return f.moneyMovement === true && (f.idempotencyKey === false || !carriesKey(e));
    case 'publish':
      return !f.idempotencyKey;
    default:
      return false;
  }
}

const VERSION_COLUMN = /^(?:version|lock_?version|revision|updated_?at)$/i;
const PRISMA_OPERATORS = new Set(['increment', 'decrement', 'multiply', 'divide']);

/**
 * An update that changes the row again each time it runs: every value it sets is computed from the
 * column (`SET stock = stock - $1`, TypeORM `decrement`, Prisma `{ decrement: n }` on every field), and
 * not only a version bump.
 */
export function isIncrement(e: Effect): boolean {
  const f = e.facts;
  if (f.kind !== 'db.write' || f.write !== 'update' || f.atomic !== true) return false;
  if (f.sql) return f.sql.shape.set.some((s) => !VERSION_COLUMN.test(s.column));
  if (f.lib !== 'prisma') return true;
  // Prisma marks `data` atomic when one field is an operator and the others are plain values.
  const arg = ts.isCallExpression(e.node) ? e.node.arguments[0] : undefined;
  const obj = arg && skipOuter(arg);
  const dataProp = obj && ts.isObjectLiteralExpression(obj) ? obj.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'data') : undefined;
  const data = dataProp && ts.isPropertyAssignment(dataProp) ? skipOuter(dataProp.initializer) : undefined;
  if (!data || !ts.isObjectLiteralExpression(data)) return false;
  let counted = false;
  for (const p of data.properties) {
    if (!ts.isPropertyAssignment(p) || !p.name || !ts.isIdentifier(p.name)) return false;
    if (!isPrismaOperator(p.initializer)) return false;
    if (!VERSION_COLUMN.test(p.name.text)) counted = true;
  }
  return counted;
}

/** `{ increment: n }`, `{ decrement: n }`: Prisma computes the value in the database. */
export function isPrismaOperator(expr: ts.Expression): boolean {
  const v = skipOuter(expr);
  if (!ts.isObjectLiteralExpression(v) || v.properties.length !== 1) return false;
  const name = v.properties[0].name;
  return name !== undefined && ts.isIdentifier(name) && PRISMA_OPERATORS.has(name.text);
}

/** An insert that cannot duplicate (ON CONFLICT, upsert, skipDuplicates, orIgnore) or a declared idempotency store. */
export function isDedupeWrite(e: Effect): boolean {
  const f = e.facts;
  return f.kind === 'db.write' && (f.dedupes === true || f.write === 'upsert');
}

/** `outbox`, `order_outbox`, `outbox_messages`, `domain_events`, Prisma `OutboxEvent`. */
export function isOutboxTable(table: string | undefined): boolean {
  if (!table) return false;
  return /outbox/i.test(table) || /events/i.test(table) || /(?:^|_)event$/i.test(table) || /[a-z]Event$/.test(table);
}

/** Only tables that are certainly an outbox (`outbox`, `order_outbox`, `domain_events`, `OutboxEvent`), not `tracking_events`. */
export function isStrictOutboxTable(table: string | undefined): boolean {
  if (!table) return false;
  return /outbox/i.test(table) || /^(?:domain|integration|outgoing|pending)_?events?$/i.test(table) || /^events$/i.test(table);
}

/** Audit trails written best-effort next to the business write (`audit_log`, `AuditEntry`). */
export function isAuditTable(table: string | undefined): boolean {
  if (!table) return false;
  return /audit/i.test(table) || /(?:^|_)logs?$/i.test(table) || /[a-z]Logs?$/.test(table);
}

/** Table names compared across APIs: `wallets`, `Wallet`, `"public"."wallets"`, `order_items` / `OrderItem`. */
export function sameTable(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (t: string) =>
    t
      .replace(/["`]/g, '')
      .replace(/^.*\./, '')
      .replace(/_/g, '')
      .toLowerCase()
      .replace(/(?:es|s)$/, '');
  return norm(a) === norm(b);
}

/** The function a step of an effect's chain runs in: level 0 is the flow's root, level i the i-th callee. */
export function fnAt(root: FnNode, e: Effect, level: number): FnNode {
  return level === 0 ? root : e.via[level - 1].target;
}

/** Where the effect shows at a level of its chain: the call into the next function, or the effect itself. */
export function siteAt(e: Effect, level: number): ts.Node {
  return level < e.via.length ? e.via[level].call : e.node;
}

export function fileAt(e: Effect, level: number): CodeFile {
  return level < e.via.length ? e.via[level].file : e.file;
}

/** The first level at which the chains of two effects part (the level of their common function). */
export function divergence(a: Effect, b: Effect): number {
  let k = 0;
  while (k < a.via.length && k < b.via.length && a.via[k].call === b.via[k].call) k++;
  return k;
}

/** The same statement reached through the same calls: one write, not two. */
export function sameOccurrence(a: Effect, b: Effect): boolean {
  return a.node === b.node && a.via.length === b.via.length && divergence(a, b) === a.via.length;
}

export class Flows {
  private rootList: Array<{ fn: FnNode; file: CodeFile }> | undefined;
  private readonly detachedCache = new Map<ts.Node, boolean>();

  constructor(readonly analysis: CodeAnalysis) {}

  /** Functions that start a flow: called by no analysed function and not run inline by their enclosing function. */
  roots(): Array<{ fn: FnNode; file: CodeFile }> {
    if (this.rootList) return this.rootList;
    const called = new Set<ts.Node>();
    // A call counts when it runs as part of its caller's flow (not from a callback handed to a timer or a router).
    for (const { fn } of this.analysis.functions()) for (const step of this.analysis.summary(fn).calls) if (!this.detachedWithin(step.call, fn)) called.add(step.target);
    const entryFns = new Set<ts.Node>(this.analysis.entries().map((e) => e.fn));
    this.rootList = this.analysis.functions().filter(({ fn }) => {
      if (entryFns.has(fn)) return true;
      if (called.has(fn)) return false;
      if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
        const call = callOfCallback(fn);
        if (call && enclosingFunction(call) && !this.isDetachingCall(call, fn)) return false;
      }
      return true;
    });
    return this.rootList;
  }

  /** The effects of a root's flow that run as part of it (callbacks handed to other libraries left out). */
  flow(root: FnNode): Effect[] {
    const summary: Summary = this.analysis.summary(root);
    return summary.effects.filter((e) => {
      for (let level = 0; level <= e.via.length; level++) {
        if (this.detachedWithin(siteAt(e, level), fnAt(root, e, level))) return false;
      }
      return true;
    });
  }

  /** A root that is itself a callback of an unknown transaction API (`knex.transaction(async (trx) => …)`). */
  inUnknownTransaction(fn: FnNode): boolean {
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
    const call = callOfCallback(fn);
    return call !== undefined && /transaction|serializ|withLock|runExclusive/i.test(call.expression.getText());
  }

  /** Whether `site` sits inside a callback, within `fn`, that runs outside the flow of `fn` (or is started with `void`). */
  detachedWithin(site: ts.Node, fn: ts.Node): boolean {
    for (let n: ts.Node | undefined = site.parent; n && n !== fn; n = n.parent) {
      // `void pollPayments(signal)`: started and left running, a flow of its own.
      if (ts.isVoidExpression(n)) return true;
      if (!isFunctionLike(n)) continue;
      if (!(ts.isArrowFunction(n) || ts.isFunctionExpression(n))) return true;
      const call = callOfCallback(n);
      if (!call || this.isDetachingCall(call, n)) return true;
    }
    return false;
  }

  /** A call whose callback does not run as a step of the caller: route registration, event listeners, timers. */
  private isDetachingCall(call: ts.CallExpression | ts.NewExpression, callback: ts.Node): boolean {
    const known = this.detachedCache.get(callback);
    if (known !== undefined) return known;
    let detaching = true;
    const file = this.analysis.resolver.fileOf(call);
    const facts = this.analysis.catalogue.classify(call, file);
    const callee = skipOuter(call.expression);
    if (facts?.kind === 'tx') detaching = false;
    else if (ts.isPropertyAccessExpression(callee) && ITERATION.has(callee.name.text)) detaching = false;
    else if (this.analysis.resolver.valueOf(call.expression)?.kind === 'fn') detaching = false;
    else if (/transaction/i.test(callee.getText())) detaching = false;
    this.detachedCache.set(callback, detaching);
    return detaching;
  }
}

export function flowsOf(analysis: CodeAnalysis): Flows {
  // Per focus: the roots depend on which files are analysed (the ESLint plugin refocuses per file).
  return analysis.memo('flows', () => new Flows(analysis));
}

/** The call a callback is an argument of. */
export function callOfCallback(fn: ts.Node): ts.CallExpression | ts.NewExpression | undefined {
  let n: ts.Node = fn;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.arguments?.includes(n as ts.Expression)) return p;
  return undefined;
}

export function enclosingFunction(node: ts.Node): FnNode | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) if (isFunctionLike(n)) return n;
  return undefined;
}

/**
 * Whether two places of one function cannot both run in one pass: they sit in different branches of an
 * `if`/`?:`/`switch`, one in a `try` and the other in its `catch`, or the earlier one is in a branch that
 * always leaves (`return`/`throw`) before the other is reached.
 */
export function exclusive(a: ts.Node, b: ts.Node): boolean {
  const first = a.getStart() <= b.getStart() ? a : b;
  const second = first === a ? b : a;
  const ancestorsOfSecond = new Set<ts.Node>();
  for (let n: ts.Node | undefined = second; n; n = n.parent) ancestorsOfSecond.add(n);
  let childA: ts.Node = first;
  let lca: ts.Node | undefined = first.parent;
  while (lca && !ancestorsOfSecond.has(lca)) {
    childA = lca;
    lca = lca.parent;
  }
  if (!lca) return false;
  if (first === lca || second === lca) return false;
  let childB: ts.Node = second;
  while (childB.parent && childB.parent !== lca) childB = childB.parent;
  if (ts.isIfStatement(lca)) {
    const branches = [lca.thenStatement, lca.elseStatement];
    if (branches.includes(childA as ts.Statement) && branches.includes(childB as ts.Statement) && childA !== childB) return true;
  }
  if (ts.isConditionalExpression(lca)) {
    if ((childA === lca.whenTrue && childB === lca.whenFalse) || (childA === lca.whenFalse && childB === lca.whenTrue)) return true;
  }
  if (ts.isCaseBlock(lca) && childA !== childB) return true;
  if (ts.isTryStatement(lca)) {
    const inTry = (c: ts.Node) => c === lca.tryBlock;
    const inCatch = (c: ts.Node) => c === lca.catchClause;
    if ((inTry(childA) && inCatch(childB)) || (inCatch(childA) && inTry(childB))) return true;
  }
  // The earlier place is in a branch that always leaves the function or the loop before the later one.
  for (let n: ts.Node = first; n !== lca; n = n.parent) {
    const p = n.parent;
    if ((ts.isIfStatement(p) && (n === p.thenStatement || n === p.elseStatement)) || ts.isCaseClause(p) || ts.isDefaultClause(p)) {
      const statements = ts.isBlock(n) ? n.statements : ts.isCaseClause(p) || ts.isDefaultClause(p) ? p.statements : [n as ts.Statement];
      const last = statements[statements.length - 1];
      if (last && (ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isContinueStatement(last))) return true;
    }
    if (ts.isCatchClause(p)) {
      const last = p.block.statements[p.block.statements.length - 1];
      if (last && (ts.isReturnStatement(last) || ts.isThrowStatement(last))) return true;
    }
  }
  return false;
}

/** Decorators that run the method in a transaction: `@Transactional()` (typeorm-transactional, MikroORM, Nest CLS). */
export function isTransactionalMethod(fn: FnNode): boolean {
  if (!ts.canHaveDecorators(fn)) return false;
  return (ts.getDecorators(fn) ?? []).some((d) => /^(?:Transactional|Transaction|UseTransaction)\b/.test(d.expression.getText()));
}

/** Whether any function from the root down to `level` of the chain runs in a declared transaction. */
export function declaredTransaction(root: FnNode, e: Effect, level: number): boolean {
  for (let i = 0; i <= level; i++) if (isTransactionalMethod(fnAt(root, e, i))) return true;
  return false;
}

/** Both effects run in one database transaction. */
export function sameTransaction(root: FnNode, a: Effect, b: Effect): boolean {
  if (a.tx && b.tx && a.tx.node === b.tx.node) return true;
  return declaredTransaction(root, a, divergence(a, b));
}

/** Names and strings of the functions an effect's chain passes through (root included), for name-based signals. */
export function chainText(root: FnNode, effects: Effect[]): string {
  const seen = new Set<ts.Node>([root]);
  const parts = [codeText(root)];
  for (const e of effects) {
    for (const s of e.via) {
      if (seen.has(s.target)) continue;
      seen.add(s.target);
      parts.push(codeText(s.target));
    }
  }
  return parts.join('\n');
}

/** How a flow's root reads in a message: `createOrder`, `OrdersService.create`, `the POST /orders handler`. */
export function flowName(fn: FnNode): string {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name) {
    const cls = ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent.name?.text : undefined;
    return `\`${cls ? `${cls}.` : ''}${fn.name.getText()}\``;
  }
  let n: ts.Node = fn;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return `\`${p.name.text}\``;
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return `\`${p.name.text}\``;
  const call = callOfCallback(fn);
  if (call && ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression)) {
    const route = call.arguments[0] && ts.isStringLiteralLike(call.arguments[0]) ? ` ${call.arguments[0].text}` : '';
    return `the \`${call.expression.name.text.toUpperCase()}${route}\` handler`;
  }
  return 'this flow';
}

/** The steps to two effects of one flow, the calls they share listed once. */
export function pairFlow(first: Effect, second: Effect): Array<CodePlace & { message: string }> {
  const k = divergence(first, second);
  return [...flowOf(first), ...flowOf(second).slice(k)];
}

const codeTextCache = new WeakMap<ts.Node, string>();

/** `job.data.id` as text, when the chain is names only (no calls, no comments). */
function memberChain(n: ts.PropertyAccessExpression): string | undefined {
  const names: string[] = [];
  let e: ts.Expression = n;
  while (ts.isPropertyAccessExpression(e)) {
    names.unshift(e.name.text);
    e = e.expression;
  }
  if (ts.isIdentifier(e)) names.unshift(e.text);
  else if (e.kind === ts.SyntaxKind.ThisKeyword) names.unshift('this');
  else return undefined;
  return names.join('.');
}

/** The names and strings of a piece of code, without its comments: what name-based signals look at. */
export function codeText(node: ts.Node): string {
  const known = codeTextCache.get(node);
  if (known !== undefined) return known;
  const parts: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) parts.push(n.text);
    else if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) parts.push(n.text);
    else if (ts.isPropertyAccessExpression(n)) {
      // Keep plain member chains readable for patterns like `job.id` or `event.id`.
      const chain = memberChain(n);
      if (chain) parts.push(chain);
    }
    n.forEachChild(visit);
  };
  visit(node);
  const text = parts.join(' ');
  codeTextCache.set(node, text);
  return text;
}

/** `describeEffect`, with increments and unparsed SQL writes named as such. */
export function describeWrite(e: Effect): string {
  if (e.facts.kind === 'db.query' && isWrite(e)) {
    const table = writeTable(e);
    return `a write to ${table ? `\`${table}\`` : 'the database'} (\`${e.facts.api}\`)`;
  }
  if (isIncrement(e)) return `an atomic update of ${e.facts.table ? `\`${e.facts.table}\`` : 'a column'} (\`${e.facts.api}\`)`;
  return describeEffect(e);
}

const WRITE_SQL = /^\s*(?:INSERT\s+INTO|UPDATE(?:\s+ONLY)?|DELETE\s+FROM)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;

/**
 * A database write: what the catalogue says is one, or a query whose SQL did not parse (a `SET` list
 * built at run time) but plainly starts with INSERT, UPDATE or DELETE.
 */
export function isWrite(e: Effect): boolean {
  if (e.facts.kind === 'db.write') return true;
  return e.facts.kind === 'db.query' && e.facts.sql !== undefined && WRITE_SQL.test(e.facts.sql.text.text);
}

/** The table a write changes (also for the unparsed writes `isWrite` accepts). */
export function writeTable(e: Effect): string | undefined {
  if (e.facts.table) return e.facts.table;
  const m = e.facts.sql ? WRITE_SQL.exec(e.facts.sql.text.text) : null;
  return m ? m[1].replace(/"/g, '').replace(/^.*\./, '') : undefined;
}

const KEY_PARAMETER = /idempoten|request[-_]?id|dedup/i;

/**
 * Whether an HTTP or payment call really carries its idempotency key. The catalogue sees a key in the
 * call's options; a client wrapper that sends it only when given one (`postEntry(payload,
 * idempotencyKey?)`) carries none when the flow calls it without that argument.
 */
export function carriesKey(e: Effect): boolean {
  if (!e.facts.idempotencyKey) return false;
  const step = e.via[e.via.length - 1];
  if (!step) return true;
  const fn = step.target;
  if (!isWithinNode(e.node, fn)) return true;
  for (const [i, p] of fn.parameters.entries()) {
    if (!ts.isIdentifier(p.name) || !KEY_PARAMETER.test(p.name.text)) continue;
    if (!p.questionToken && !p.initializer) continue;
    const arg = step.call.arguments?.[i];
    if (!arg || (ts.isIdentifier(skipOuter(arg)) && (skipOuter(arg) as ts.Identifier).text === 'undefined')) return false;
  }
  return true;
}

function isWithinNode(node: ts.Node, container: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === container) return true;
  return false;
}

/** `describeEffect`, naming the call the flow makes it through when the effect is in a helper. */
export function describeThrough(e: Effect, site: ts.Node, describe: (e: Effect) => string = describeEffect): string {
  const text = describe(e);
  if (site === e.node || !(ts.isCallExpression(site) || ts.isNewExpression(site))) return text;
  return text.replace(/\)$/, `, through \`${calleeName(site)}\`)`);
}
