import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { CodePlace } from '../../src/core/rule.js';
import type { Effect } from '../../src/code/effects.js';
import { isWithin } from '../../src/code/effects.js';
import type { Entry } from '../../src/code/entries.js';
import { flowOf } from '../../src/code/report.js';
import { isFunctionLike, skipOuter, type Resolver } from '../../src/code/resolve.js';

export default defineRule({
  id: 'no-pool-per-request',
  family: 'code',
  meta: {
    description: 'A connection pool or database client (`new Pool`, `new PrismaClient`, `new DataSource`, `knex()`, `new Redis`…) created inside a request handler or message consumer, or in a function one calls.',
    rationale:
      'A pool is meant to live as long as the process: each one opens its own connections. Built per request, every request pays a fresh TCP/TLS handshake and authentication, and pools that are never closed keep their connections open until the database refuses new ones.',
    remedy: 'Create the pool once at module level (or in the framework’s dependency injection) and share it; when it must be lazy, memoize it in a module variable (`pool ??= new Pool(…)`).',
    severity: 'error',
    precision: 'high',
    tags: ['database', 'connection-pool', 'performance'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    for (const entry of analysis.entries()) {
      for (const effect of analysis.summary(entry.fn).effects) {
        if (effect.facts.kind !== 'client' || !effect.facts.pooled) continue;
        if (reported.has(effect.node)) continue;
        if (isMemoized(effect.node, analysis.resolver)) continue;
        reported.add(effect.node);
        const handler = handlerName(entry);
        const api = `\`${effect.facts.api}\``;
        const through = effect.via.length > 0;
        const flow: Array<CodePlace & { message: string }> = [{ node: entry.anchor, file: entry.file, message: handler }, ...flowOf(effect)];
        ctx.report({
          node: effect.node,
          file: effect.file,
          message: `${api} creates a new connection pool on every ${entry.kind === 'consumer' ? 'message' : 'request'} to ${handler}${through ? ` (through ${effect.via.length} call${effect.via.length > 1 ? 's' : ''})` : ''}.`,
          why: `Each ${entry.kind === 'consumer' ? 'message' : 'request'} opens fresh database connections (TCP, TLS, authentication) instead of reusing warm ones, and a pool that is not closed keeps its connections open: under traffic the database reaches \`max_connections\` and refuses everyone.`,
          remedy: `Create it once at module level (or as a provider of the framework's dependency injection) and import the shared instance; if it must be created lazily, memoize it in a module variable (\`pool ??= ${effect.facts.api}(…)\`).`,
          related: [{ node: entry.anchor, file: entry.file, message: handler }],
          flow,
          properties: { api: effect.facts.api, lib: effect.facts.lib, handler: entry.route ?? entry.anchor.getText() },
        });
      }
    }
  },
});

function handlerName(entry: Entry): string {
  if (entry.kind === 'consumer') return `the ${entry.framework} consumer \`${short(entry.anchor.getText())}\``;
  if (entry.route) return `the \`${entry.method ? `${entry.method} ` : ''}${entry.route}\` handler`;
  const name = short(entry.anchor.getText());
  if (name === entry.method) return `the \`${name}\` route handler of ${entry.file.source.relPath}`;
  return `the ${entry.method ? `${entry.method} ` : ''}handler \`${name}\``;
}

function short(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  return t.length > 40 ? `${t.slice(0, 37)}…` : t;
}

/**
 * A lazily built singleton: the construction is stored somewhere that outlives the call (a module
 * variable, `this.x`, `globalThis.x`, a module-level Map) and guarded so it runs once:
 * `if (!pool) pool = new Pool()`, `pool ??= new Pool()`, `globalThis.prisma ?? new PrismaClient()`.
 */
function isMemoized(node: Effect['node'], resolver: Resolver): boolean {
  const fn = enclosingFunction(node);
  if (!fn) return true; // module level: built once
  let n: ts.Node = node;
  let guarded = false;
  const names = new Set<string>();
  let storage: ts.Expression | undefined;
  for (let i = 0; i < 6 && !storage; i++) {
    while (n.parent && (ts.isParenthesizedExpression(n.parent) || ts.isAwaitExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent) || ts.isSatisfiesExpression(n.parent))) n = n.parent;
    const p = n.parent;
    if (!p) break;
    if (ts.isBinaryExpression(p) && p.right === n) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
        guarded = true; // `cached ?? new Pool()`
        names.add(skipOuter(p.left).getText());
        n = p;
        continue;
      }
      if (op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.BarBarEqualsToken) guarded = true;
      if (op === ts.SyntaxKind.EqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.BarBarEqualsToken) {
        const target = skipOuter(p.left);
        if (outlives(target, fn, resolver)) storage = target;
        else if (ts.isIdentifier(target)) {
          names.add(target.text);
          storage = storedLater(target.text, fn, resolver, names);
        }
        break;
      }
      break;
    }
    if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name)) {
      names.add(p.name.text);
      storage = storedLater(p.name.text, fn, resolver, names);
      break;
    }
    if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression)) {
      const target = mapReceiver(p);
      if (target && outlives(target, fn, resolver)) storage = target;
      break;
    }
    break;
  }
  if (!storage) return false;
  names.add(skipOuter(storage).getText());
  if (ts.isIdentifier(skipOuter(storage)) || ts.isPropertyAccessExpression(skipOuter(storage))) names.add(rootText(storage));
  return guarded || hasGuard(fn, node.getStart(), names);
}

/** `cache.set(key, value)` → cache. */
function mapReceiver(call: ts.CallExpression): ts.Expression | undefined {
  const callee = skipOuter(call.expression);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'set' ? callee.expression : undefined;
}

/** After `const pool = new Pool()`: `cached = pool`, `this.pool = pool`, `pools.set(id, pool)` in the same function. */
function storedLater(name: string, fn: ts.Node, resolver: Resolver, names: Set<string>): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n !== fn && isFunctionLike(n)) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(skipOuter(n.right)) && (skipOuter(n.right) as ts.Identifier).text === name) {
      const target = skipOuter(n.left);
      if (outlives(target, fn, resolver)) found = target;
    }
    if (ts.isCallExpression(n) && n.arguments.some((a) => ts.isIdentifier(skipOuter(a)) && (skipOuter(a) as ts.Identifier).text === name)) {
      const target = mapReceiver(n);
      if (target && outlives(target, fn, resolver)) found = target;
    }
    n.forEachChild(visit);
  };
  visit(fn);
  if (found) names.add(name);
  return found;
}

/** A place that lives longer than one call of `fn`: a variable declared outside it, `this.x`, `globalThis.x`. */
function outlives(target: ts.Expression, fn: ts.Node, resolver: Resolver): boolean {
  let root: ts.Expression = skipOuter(target);
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipOuter(root.expression);
  if (root.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (!ts.isIdentifier(root)) return false;
  if (root.text === 'globalThis' || root.text === 'global') return true;
  const decl = resolver.declarationOf(root);
  return decl !== undefined && !isWithin(decl, fn);
}

function rootText(e: ts.Expression): string {
  let root: ts.Expression = skipOuter(e);
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipOuter(root.expression);
  return root.getText();
}

/** A condition before the construction that tests the storage: `if (!pool)`, `if (pools.has(id))`, `x ? … : …`. */
function hasGuard(fn: ts.Node, before: number, names: Set<string>): boolean {
  let found = false;
  const mentions = (e: ts.Node): boolean => {
    let hit = false;
    const visit = (n: ts.Node): void => {
      if (hit) return;
      if ((ts.isIdentifier(n) || ts.isPropertyAccessExpression(n)) && names.has(n.getText())) hit = true;
      n.forEachChild(visit);
    };
    visit(e);
    return hit;
  };
  const visit = (n: ts.Node): void => {
    if (found || n.getStart() >= before) return;
    if (n !== fn && isFunctionLike(n)) return;
    if (ts.isIfStatement(n) && mentions(n.expression)) found = true;
    else if (ts.isConditionalExpression(n) && mentions(n.condition)) found = true;
    else if (ts.isBinaryExpression(n) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(n.operatorToken.kind) && mentions(n.left)) found = true;
    n.forEachChild(visit);
  };
  visit(fn);
  return found;
}

function enclosingFunction(node: ts.Node): ts.Node | undefined {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}
