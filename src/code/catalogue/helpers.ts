/** Small readers the catalogue entries share: option objects, call chains, SQL arguments. */
import { ts } from 'ts-morph';
import { skipOuter, propertyName } from '../resolve.js';
import { sqlShape, sqlTextOf } from '../sql.js';
import type { CallFacts, CallSite } from './types.js';

/** The object literal an argument is (directly, or through a `const` bound to one). */
export function objectArg(site: CallSite, index: number): ts.ObjectLiteralExpression | undefined {
  return objectOf(site, argsOf(site.call)[index]);
}

/** Arguments of a call or construction; a tagged template's one argument is its template. */
export function argsOf(call: CallSite['call']): readonly ts.Expression[] {
  if (ts.isTaggedTemplateExpression(call)) return [call.template];
  return call.arguments ?? [];
}

export function objectOf(site: Pick<CallSite, 'resolver'>, expr: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!expr) return undefined;
  const e = skipOuter(expr);
  if (ts.isObjectLiteralExpression(e)) return e;
  if (ts.isIdentifier(e)) {
    const decl = site.resolver.declarationOf(e);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) {
      const init = skipOuter(decl.initializer);
      if (ts.isObjectLiteralExpression(init)) return init;
    }
  }
  return undefined;
}

/**
 * Whether an options object sets one of `keys` (dotted paths allowed: `socket.connectTimeout`).
 * true: it does; false: it is a literal that certainly does not; undefined: cannot tell (a spread, a
 * variable) — rules stay silent on undefined.
 */
export function hasOption(site: Pick<CallSite, 'resolver'>, obj: ts.ObjectLiteralExpression | undefined, keys: string[]): boolean | undefined {
  if (!obj) return undefined;
  let unknown = false;
  for (const key of keys) {
    const r = lookup(site, obj, key.split('.'));
    if (r === true) return true;
    if (r === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function lookup(site: Pick<CallSite, 'resolver'>, obj: ts.ObjectLiteralExpression, parts: string[]): boolean | undefined {
  let unknown = false;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) {
      const inner = objectOf(site, p.expression);
      const r = inner ? lookup(site, inner, parts) : undefined;
      if (r === true) return true;
      if (r === undefined) unknown = true;
      continue;
    }
    if (!p.name || propertyName(p.name) !== parts[0]) continue;
    if (parts.length === 1) {
      // `timeout: 0`, `timeout: false`, `timeout: undefined` disable the bound.
      if (ts.isPropertyAssignment(p)) {
        const v = skipOuter(p.initializer);
        if (v.kind === ts.SyntaxKind.FalseKeyword || (ts.isNumericLiteral(v) && Number(v.text) === 0) || (ts.isIdentifier(v) && v.text === 'undefined')) return false;
      }
      return true;
    }
    if (ts.isPropertyAssignment(p)) {
      const inner = objectOf(site, p.initializer);
      if (!inner) return undefined;
      return lookup(site, inner, parts.slice(1));
    }
    return undefined;
  }
  return unknown ? undefined : false;
}

/** The value expression of a property of an object literal. */
export function optionValue(obj: ts.ObjectLiteralExpression | undefined, key: string): ts.Expression | undefined {
  if (!obj) return undefined;
  for (const p of obj.properties) {
    if (p.name && propertyName(p.name) === key) {
      if (ts.isPropertyAssignment(p)) return p.initializer;
      if (ts.isShorthandPropertyAssignment(p)) return p.name;
    }
  }
  return undefined;
}

export function optionNode(obj: ts.ObjectLiteralExpression | undefined, key: string): ts.ObjectLiteralElementLike | undefined {
  return obj?.properties.find((p) => p.name && propertyName(p.name) === key);
}

/** The string an expression certainly is (a literal or a `const` bound to one). */
export function stringOf(site: Pick<CallSite, 'resolver'>, expr: ts.Expression | undefined): string | undefined {
  if (!expr) return undefined;
  const e = skipOuter(expr);
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isIdentifier(e)) {
    const decl = site.resolver.declarationOf(e);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer && ts.isStringLiteralLike(skipOuter(decl.initializer))) return (skipOuter(decl.initializer) as ts.StringLiteral).text;
  }
  return undefined;
}

/** The methods of a fluent chain, innermost first: `db.select().from(t).where(x)` → select, from, where. */
export function chainOf(call: CallSite['call']): Array<{ name: string; call: ts.CallExpression }> {
  const steps: Array<{ name: string; call: ts.CallExpression }> = [];
  let e: ts.Expression = call;
  for (;;) {
    e = skipOuter(e);
    if (!ts.isCallExpression(e)) break;
    const callee = skipOuter(e.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      steps.unshift({ name: callee.name.text, call: e });
      e = callee.expression;
    } else {
      steps.unshift({ name: '', call: e });
      break;
    }
  }
  return steps;
}

/** The last member of a callee path: `pg.Pool().query` → query. */
export function lastSegment(path: string): string {
  const i = path.lastIndexOf('.');
  return (i < 0 ? path : path.slice(i + 1)).replace(/\(\)$/, '');
}

/** Source text of the callee, shortened for messages (`this.` dropped, whitespace collapsed). */
export function apiText(call: CallSite['call']): string {
  const text = (ts.isTaggedTemplateExpression(call) ? call.tag : call.expression).getText().replace(/\s+/g, '').replace(/^this\./, '');
  const shown = ts.isNewExpression(call) ? `new ${text}` : text;
  return shown.length > 60 ? `${shown.slice(0, 57)}…` : shown;
}

/** Facts of a SQL query call from its SQL argument; undefined when the argument is not SQL text. */
export function sqlFacts(site: CallSite, base: Omit<CallFacts, 'kind'>, arg: ts.Expression | undefined, tagged = false): CallFacts {
  const text = arg ? sqlTextOf(arg, (id) => constInitializer(site, id), tagged) : undefined;
  if (!text) return { ...base, kind: 'db.query' };
  const shape = sqlShape(text.text);
  const facts: CallFacts = { ...base, kind: 'db.query', sql: { text, shape } };
  facts.table = shape.table;
  if (shape.table && (shape.kind === 'select' || shape.kind === 'update' || shape.kind === 'delete')) {
    const own = (t: string | undefined) => t === undefined || t === shape.table;
    facts.query = {
      table: shape.schema ? `${shape.schema}.${shape.table}` : shape.table,
      filters: shape.filters.filter((f) => own(f.table) && !f.onExpression).map((f) => ({ column: f.column, op: f.op })),
      orderBy: shape.orderBy.filter((o) => own(o.table)).map((o) => o.column),
      joins: shape.joins,
    };
  }
  switch (shape.kind) {
    case 'select':
      facts.kind = 'db.read';
      facts.limited = shape.limit || shape.aggregate || shape.singleRow;
      facts.singleRow = shape.singleRow;
      facts.forUpdate = shape.forUpdate;
      facts.multiKey = shape.anyArray;
      break;
    case 'insert':
      facts.kind = 'db.write';
      facts.write = shape.onConflict === 'update' ? 'upsert' : 'insert';
      facts.dedupes = shape.onConflict !== undefined;
      break;
    case 'update':
      facts.kind = 'db.write';
      facts.write = 'update';
      facts.atomic = shape.set.length > 0 && shape.set.every((s) => s.atomic);
      facts.versionCheck = shape.versionCheck;
      facts.singleRow = shape.singleRow;
      break;
    case 'delete':
      facts.kind = 'db.write';
      facts.write = 'delete';
      break;
    case 'begin':
      facts.kind = 'tx';
      facts.tx = 'begin';
      break;
    case 'commit':
      facts.kind = 'tx';
      facts.tx = 'commit';
      break;
    case 'rollback':
      facts.kind = 'tx';
      facts.tx = 'rollback';
      break;
    default:
      break;
  }
  return facts;
}

export function constInitializer(site: Pick<CallSite, 'resolver'>, id: ts.Identifier): ts.Expression | undefined {
  const decl = site.resolver.declarationOf(id);
  if (decl && ts.isVariableDeclaration(decl) && decl.initializer && decl.parent.flags & ts.NodeFlags.Const) return decl.initializer;
  return undefined;
}

/** Whether any string literal or identifier inside a node mentions an idempotency key. */
export function mentionsIdempotency(node: ts.Node | undefined): boolean {
  if (!node) return false;
  return /idempoten|request[-_]?id|dedup/i.test(node.getText());
}
