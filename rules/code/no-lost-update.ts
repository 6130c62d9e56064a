import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Effect, TxRegion } from '../../src/code/effects.js';
import { divergence, fileAt, fnAt, flowName, flowsOf, isPrismaOperator, sameTable, siteAt, pairFlow } from '../../src/code/flows.js';
import { describeEffect } from '../../src/code/report.js';
import { isFunctionLike, propertyName, skipOuter, type FnNode, type Resolver } from '../../src/code/resolve.js';

/** Property and binding names that identify a row rather than carry its state: using them is keying, not computing. */
const KEY_NAME = /^(?:id|uuid|key|sku|slug|email|code|tenant|version)$|(?:Id|_id|Key|_key|Uuid|_uuid)$/;

export default defineRule({
  id: 'no-lost-update',
  family: 'code',
  meta: {
    description: 'A row is read, a new value is computed from it in application code, and the result is written back with no row lock, no serializable transaction, no version check and no atomic update.',
    rationale: 'Two requests that read the same row before either writes both compute from the old value; the second write silently overwrites the first (two debits of 30 from a balance of 100 leave 70, not 40).',
    remedy: 'Let the database compute the value (`SET balance = balance - $1`, Prisma `{ decrement: n }`, TypeORM `decrement()`), or read with `SELECT … FOR UPDATE` in the same transaction, or add a version column and update `WHERE id = $1 AND version = $2`.',
    severity: 'warning',
    precision: 'high',
    tags: ['consistency', 'concurrency'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const flows = flowsOf(analysis);
    const reported = new Set<ts.Node>();
    // A call that queries or calls out (directly, or a helper that does).
    const isEffectCall = (call: ts.Node): boolean => {
      if (!(ts.isCallExpression(call) || ts.isTaggedTemplateExpression(call))) return false;
      const file = analysis.resolver.fileOf(call);
      if (analysis.catalogue.classify(call, file)) return true;
      if (!ts.isCallExpression(call)) return false;
      const callee = analysis.resolver.valueOf(call.expression);
      return callee?.kind === 'fn' && analysis.summary(callee.decl).effects.length > 0;
    };
    for (const { fn: root, file: rootFile } of flows.roots()) {
      if (flows.inUnknownTransaction(root)) continue;
      const flow = flows.flow(root);
      flow.forEach((w, j) => {
        if (!isCandidateWrite(w)) return;
        for (const r of flow.slice(0, j)) {
          if (r.facts.kind !== 'db.read' || !sameTable(r.facts.table, w.facts.table)) continue;
          const k = divergence(r, w);
          const readSite = siteAt(r, k);
          const writeSite = siteAt(w, k);
          if (readSite === writeSite || reported.has(writeSite) || readSite.getStart() >= writeSite.getStart()) continue;
          const fn = fnAt(root, w, k);
          // An upsert inside a helper is not followed (its `update` branch is not at this call).
          if (w.facts.write === 'upsert' && writeSite !== w.node) continue;
          if (!writesDerivedValue(fn, readSite, writeSite, analysis.resolver, isEffectCall, w.facts.write === 'upsert')) continue;
          if (compareAndSet(w) || lockedInTransaction(flow, w) || safeIsolation(w.tx, flow, analysis.resolver) || explicitLock(root, fn)) continue;
          reported.add(writeSite);
          const readFile = fileAt(r, k);
          ctx.report({
            node: writeSite,
            file: fileAt(w, k),
            message: `${capital(describeEffect(w))} writes back a value computed from ${describeEffect(r)} at line ${readFile.source.position(readSite.getStart(readFile.ast)).line} in ${flowName(fn)}, ${
              r.facts.forUpdate ? 'but the read\'s `FOR UPDATE` lock ends with its own transaction, before the write' : 'with no row lock, version check or atomic update in between'
            }.`,
            why: `Two concurrent runs both read the same row of \`${w.facts.table}\` before either writes; each computes from the old value and the later write silently overwrites the earlier one — an update is lost (two debits of 30 from 100 leave 70).`,
            remedy: remedyFor(w),
            related: [{ node: readSite, file: readFile, message: `the read the value comes from: ${describeEffect(r)}` }],
            flow: r.via.length > k || w.via.length > k ? pairFlow(r, w) : undefined,
            properties: { table: w.facts.table ?? '', write: w.facts.api, read: r.facts.api },
          });
          break;
        }
      });
    }
  },
});

function isCandidateWrite(w: Effect): boolean {
  const f = w.facts;
  // Prisma's `atomic` also covers a mix of operators and plain values: the plain ones are checked below.
  // Upserts: only Prisma's, whose `update` branch is judged (the `create` branch inserts a new row).
  return f.kind === 'db.write' && (f.write === 'update' || (f.write === 'upsert' && f.lib === 'prisma')) && !(f.atomic && f.lib !== 'prisma') && !f.versionCheck && f.table !== undefined;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function remedyFor(w: Effect): string {
  switch (w.facts.lib) {
    case 'prisma':
      return 'Let the database compute it (`data: { balance: { decrement: amount } }`), or use a version column (`updateMany({ where: { id, version }, data: { …, version: { increment: 1 } } })` and check the count), or run read and write in `$transaction(…, { isolationLevel: "Serializable" })`.';
    case 'typeorm':
      return 'Let the database compute it (`repository.decrement({ id }, "balance", amount)` or an `UPDATE … SET balance = balance - :amount`), or read with `lock: { mode: "pessimistic_write" }` inside the transaction that writes, or add a `@VersionColumn` and update `WHERE version = :version`.';
    default:
      return 'Let the database compute it (`UPDATE … SET balance = balance - $1`), or read with `SELECT … FOR UPDATE` on the client of the transaction that writes, or add a version column and update `WHERE id = $1 AND version = $2`.';
  }
}

/** `SET balance = $1 WHERE id = $2 AND balance = $3`, Prisma `where: { id, balance: old }`: the write checks the old value. */
function compareAndSet(w: Effect): boolean {
  const shape = w.facts.sql?.shape;
  if (shape) {
    const set = new Set(shape.set.map((s) => s.column.toLowerCase()));
    return shape.filters.some((f) => f.op === 'eq' && set.has(f.column.toLowerCase()));
  }
  if (!ts.isCallExpression(w.node)) return false;
  const objects = w.node.arguments.map((a) => skipOuter(a)).filter(ts.isObjectLiteralExpression);
  const keys = (o: ts.ObjectLiteralExpression | undefined) => new Set(o ? o.properties.map((p) => (p.name ? propertyName(p.name) : undefined)).filter((n): n is string => n !== undefined) : []);
  const prop = (o: ts.ObjectLiteralExpression, name: string) => {
    const p = o.properties.find((x) => x.name && propertyName(x.name) === name);
    const v = p && ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
    return v && ts.isObjectLiteralExpression(v) ? v : undefined;
  };
  let where: Set<string>;
  let data: Set<string>;
  if (objects[0] && (prop(objects[0], 'where') || prop(objects[0], 'data'))) {
    where = keys(prop(objects[0], 'where'));
    data = keys(prop(objects[0], 'data') ?? prop(objects[0], 'update'));
  } else if (objects.length >= 2) {
    where = keys(objects[0]);
    data = keys(objects[1]);
  } else return false;
  for (const k of data) if (where.has(k) && !KEY_NAME.test(k)) return true;
  return false;
}

/** A `FOR UPDATE` / pessimistic-write read of the table in the transaction that writes. */
function lockedInTransaction(flow: Effect[], w: Effect): boolean {
  if (!w.tx) return false;
  return flow.some((r) => r.facts.kind === 'db.read' && r.facts.forUpdate && r.tx?.node === w.tx?.node && sameTable(r.facts.table, w.facts.table));
}

const ISOLATION = /serializable|repeatable[\s_]?read/i;

/** The transaction runs at SERIALIZABLE or REPEATABLE READ: PostgreSQL aborts the second of two conflicting writers. */
function safeIsolation(tx: TxRegion | undefined, flow: Effect[], resolver: Resolver): boolean {
  if (!tx) return false;
  const call = tx.node;
  if (tx.kind === 'begin') {
    if (ISOLATION.test(call.getText())) return true;
  } else if (ts.isCallExpression(call)) {
    for (const arg of call.arguments) {
      const a = skipOuter(arg);
      if (ts.isArrowFunction(a) || ts.isFunctionExpression(a)) continue;
      if (ISOLATION.test(a.getText())) return true;
    }
    // A repository wrapper (`withTransaction(work)`) that opens its transaction at that level.
    const callee = resolver.valueOf(call.expression);
    if (callee?.kind === 'fn' && /ISOLATION\s+LEVEL\s+(?:SERIALIZABLE|REPEATABLE\s+READ)|isolationLevel/i.test(callee.decl.getText()) && ISOLATION.test(callee.decl.getText())) return true;
  }
  // `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE` as the first statement of the transaction.
  return flow.some((e) => e.tx?.node === call && e.facts.sql !== undefined && /ISOLATION\s+LEVEL\s+(?:SERIALIZABLE|REPEATABLE\s+READ)/i.test(e.facts.sql.text.text));
}

/** An application-level lock around the read-modify-write: advisory locks, Redlock, a mutex. */
function explicitLock(root: FnNode, fn: FnNode): boolean {
  const re = /advisory_(?:xact_)?lock|\bredlock\b|\bmutex\b|\bacquireLock\b|\bwithLock\b|\brunExclusive\b|\.acquire\(/i;
  return re.test(fn.getText()) || re.test(root.getText());
}

// ---------------------------------------------------------------------------------------------------------
// Data flow inside one function: which variables hold the row that was read, which hold values computed
// from it, and whether the write's arguments carry such a value.
// ---------------------------------------------------------------------------------------------------------

interface Taint {
  /** Variables holding the row or one of its fields as read (writing them back unchanged loses nothing). */
  rows: Set<ts.Node>;
  /** Variables holding a value computed from the row. */
  values: Set<ts.Node>;
  /** Row variables changed in place with a computed value (`wallet.balance -= amount`). */
  mutated: Set<ts.Node>;
  /** The read used inline, with no variable. */
  inline?: ts.Node;
}

function writesDerivedValue(fn: FnNode, readSite: ts.Node, writeSite: ts.Node, resolver: Resolver, isEffectCall: (call: ts.Node) => boolean, upsert: boolean): boolean {
  const taint = seed(readSite, resolver);
  if (!taint) return false;
  propagate(fn, readSite, writeSite, taint, resolver, isEffectCall);
  let args = argumentsOf(writeSite);
  if (upsert) {
    // Prisma `upsert({ where, create, update })`: only what it writes over an existing row.
    const obj = args[0] && skipOuter(args[0]);
    const update = obj && ts.isObjectLiteralExpression(obj) ? obj.properties.find((p) => p.name && propertyName(p.name) === 'update') : undefined;
    args = update && ts.isPropertyAssignment(update) ? [update.initializer] : [];
  }
  return args.some((a) => derivedIn(a, taint, resolver));
}

function argumentsOf(site: ts.Node): ts.Expression[] {
  if (ts.isCallExpression(site)) {
    // A fluent chain is one query: `db.update(t).set({ … }).where(…)` carries its values in every link.
    const out: ts.Expression[] = [];
    let e: ts.Expression = site;
    while (ts.isCallExpression(e)) {
      out.push(...e.arguments);
      const callee = skipOuter(e.expression);
      if (!ts.isPropertyAccessExpression(callee)) break;
      e = skipOuter(callee.expression);
    }
    return out;
  }
  if (ts.isNewExpression(site)) return [...(site.arguments ?? [])];
  if (ts.isTaggedTemplateExpression(site)) return ts.isTemplateExpression(site.template) ? site.template.templateSpans.map((s) => s.expression) : [];
  return [];
}

/** The variables the read's result is bound to: `const wallet = await …`, `const { rows: [wallet] } = await …`. */
function seed(readSite: ts.Node, resolver: Resolver): Taint | undefined {
  const taint: Taint = { rows: new Set(), values: new Set(), mutated: new Set() };
  let e: ts.Node = readSite;
  for (;;) {
    const p = e.parent;
    if (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p) || ts.isSatisfiesExpression(p) || ts.isTypeAssertionExpression(p)) e = p;
    else if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === e) e = p;
    else break;
  }
  const p = e.parent;
  if (ts.isVariableDeclaration(p) && p.initializer === e) {
    bindNames(p.name, p, taint.rows);
    return taint.rows.size > 0 ? taint : undefined;
  }
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === e && ts.isIdentifier(p.left)) {
    const decl = resolver.declarationOf(p.left);
    if (decl) taint.rows.add(decl);
    return taint.rows.size > 0 ? taint : undefined;
  }
  taint.inline = e;
  return taint;
}

/** Adds the declarations a binding name introduces (key-like names are left out: they identify the row). */
function bindNames(name: ts.BindingName, decl: ts.Node, into: Set<ts.Node>): void {
  if (ts.isIdentifier(name)) {
    if (!KEY_NAME.test(name.text)) into.add(decl);
    return;
  }
  for (const el of name.elements) {
    if (ts.isOmittedExpression(el)) continue;
    if (ts.isIdentifier(el.name)) {
      if (!KEY_NAME.test(el.name.text)) into.add(el);
    } else bindNames(el.name, el, into);
  }
}

function tainted(id: ts.Identifier, taint: Taint, resolver: Resolver): 'row' | 'value' | undefined {
  const decl = resolver.declarationOf(id);
  if (!decl) return undefined;
  if (taint.values.has(decl)) return 'value';
  if (taint.rows.has(decl)) return taint.mutated.has(decl) ? 'value' : 'row';
  return undefined;
}

/** Whether an expression reads state of the row (not only its key) through a tainted variable. */
function uses(expr: ts.Node, taint: Taint, resolver: Resolver): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (taint.inline && n === taint.inline) {
      found = true;
      return;
    }
    if (ts.isIdentifier(n) && isReference(n) && tainted(n, taint, resolver)) {
      const p = n.parent;
      if (!(ts.isPropertyAccessExpression(p) && p.expression === n && KEY_NAME.test(p.name.text))) found = true;
      return;
    }
    n.forEachChild(visit);
  };
  visit(expr);
  return found;
}

function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === id) return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  return true;
}

/** A chain that only selects from a row variable: `wallet`, `rows[0]`, `result.rows`, `wallet.balance`. */
function rootOfSelection(expr: ts.Expression): ts.Identifier | undefined {
  let e = skipOuter(expr);
  while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = skipOuter(e.expression);
  return ts.isIdentifier(e) ? e : undefined;
}

/** Follows the read's value through the function, in source order, up to the write. */
function propagate(fn: FnNode, readSite: ts.Node, writeSite: ts.Node, taint: Taint, resolver: Resolver, isEffectCall: (call: ts.Node) => boolean): void {
  const from = readSite.getStart();
  const to = writeSite.getStart();
  const classify = (init: ts.Expression): 'row' | 'value' | undefined => {
    // What another system or query returns is new data, not a value computed from the row.
    const call = skipOuter(init);
    if ((ts.isCallExpression(call) || ts.isTaggedTemplateExpression(call)) && isEffectCall(call)) return undefined;
    const root = rootOfSelection(init);
    if (root) {
      const t = tainted(root, taint, resolver);
      if (t) {
        // Selecting a key (`wallet.id`) gives an identifier, not state.
        const e = skipOuter(init);
        if (ts.isPropertyAccessExpression(e) && KEY_NAME.test(e.name.text)) return undefined;
        return t;
      }
      return undefined;
    }
    return uses(init, taint, resolver) ? 'value' : undefined;
  };
  // Two passes reach values derived through a chain of declarations declared out of order (rare).
  for (let pass = 0; pass < 2; pass++) {
    const visit = (n: ts.Node): void => {
      if (n.getStart() > to) return;
      if (n !== fn && isFunctionLike(n) && !isInlineCallback(n)) return;
      if (n.getEnd() >= from) {
        if (ts.isVariableDeclaration(n) && n.initializer && n.getStart() > from) {
          const kind = classify(n.initializer);
          if (kind) bindNames(n.name, n, kind === 'row' ? taint.rows : taint.values);
        }
        if ((ts.isForOfStatement(n) || ts.isForInStatement(n)) && ts.isVariableDeclarationList(n.initializer) && classify(n.expression)) {
          for (const d of n.initializer.declarations) bindNames(d.name, d, taint.rows);
        }
        if (ts.isBinaryExpression(n) && isAssignment(n.operatorToken.kind) && n.getStart() > from) assign(n.left, n.right, n.operatorToken.kind !== ts.SyntaxKind.EqualsToken);
        if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && n.getStart() > from) assign(n.operand, undefined, true);
      }
      n.forEachChild(visit);
    };
    const assign = (left: ts.Expression, right: ts.Expression | undefined, compound: boolean): void => {
      const target = skipOuter(left);
      if (ts.isIdentifier(target)) {
        const decl = resolver.declarationOf(target);
        if (!decl) return;
        if ((compound && tainted(target, taint, resolver)) || (right && uses(right, taint, resolver))) taint.values.add(decl);
        return;
      }
      const root = rootOfSelection(target);
      if (!root || !tainted(root, taint, resolver)) return;
      const decl = resolver.declarationOf(root);
      if (decl && (compound || (right && uses(right, taint, resolver)))) taint.mutated.add(decl);
    };
    if (fn.body) visit(fn.body);
  }
}

function isInlineCallback(n: ts.Node): boolean {
  return (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isCallExpression(n.parent);
}

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** Whether a write argument carries a computed value (a row written back unchanged does not). */
function derivedIn(expr: ts.Expression, taint: Taint, resolver: Resolver): boolean {
  const e = skipOuter(expr);
  if (ts.isIdentifier(e)) return tainted(e, taint, resolver) === 'value';
  if (ts.isObjectLiteralExpression(e)) {
    return e.properties.some((p) => {
      if (ts.isPropertyAssignment(p)) return !isPrismaOperator(p.initializer) && derivedIn(p.initializer, taint, resolver);
      if (ts.isShorthandPropertyAssignment(p)) return tainted(p.name, taint, resolver) === 'value';
      if (ts.isSpreadAssignment(p)) return derivedIn(p.expression, taint, resolver);
      return false;
    });
  }
  if (ts.isArrayLiteralExpression(e)) return e.elements.some((x) => derivedIn(ts.isSpreadElement(x) ? x.expression : x, taint, resolver));
  // A fallback to the value as read (`input.name ?? row.name`, `cond ? next : row.total`) writes it back unchanged.
  if (ts.isBinaryExpression(e) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(e.operatorToken.kind)) return derivedIn(e.left, taint, resolver) || derivedIn(e.right, taint, resolver);
  if (ts.isConditionalExpression(e)) return derivedIn(e.whenTrue, taint, resolver) || derivedIn(e.whenFalse, taint, resolver);
  const root = rootOfSelection(e);
  if (root && (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e))) {
    if (ts.isPropertyAccessExpression(e) && KEY_NAME.test(e.name.text)) return false;
    return tainted(root, taint, resolver) === 'value';
  }
  return uses(e, taint, resolver);
}
