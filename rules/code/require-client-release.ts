import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import { ownEffects } from '../../src/code/own-effects.js';
import { isFunctionLike, type FnNode } from '../../src/code/resolve.js';

/** What a function does with a checked-out client bound to a variable. */
interface Fate {
  /** Returned, stored, or handed to code that cannot be read: someone else releases it. */
  escapes: boolean;
  inFinally: boolean;
  inCatch: boolean;
  /** Release calls outside any finally/catch (the success path). */
  plain: ts.CallExpression[];
}

const MAX_DEPTH = 3;

export default defineRule({
  id: 'require-client-release',
  family: 'code',
  meta: {
    description: 'A client checked out with `pool.connect()` that is not released in a `finally` (or never released).',
    rationale:
      'A pool holds a fixed number of connections. A client that is not given back when a query throws stays checked out for good; after a handful of errors every `pool.query()` and `pool.connect()` waits for a connection that never comes, and the service hangs.',
    remedy: 'Right after `const client = await pool.connect()`, wrap the work in `try { … } finally { client.release() }`.',
    severity: 'error',
    precision: 'high',
    tags: ['database', 'connection-pool', 'resource-leak'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    for (const effect of ownEffects(analysis)) {
      if (effect.facts.kind !== 'checkout' || !ts.isCallExpression(effect.node)) continue;
      const call = effect.node;
      // `pool.connect((err, client, release) => …)`: callback style, not judged.
      if (call.arguments.length > 0) continue;
      if (ts.isSourceFile(effect.fn)) continue; // a top-level script: the process exit ends it
      const fn = effect.fn;
      const holder = holderOf(call);
      if (holder.kind === 'escapes') continue;
      const api = `\`${effect.facts.api}()\``;
      if (holder.kind === 'dropped') {
        ctx.report({
          node: call,
          file: effect.file,
          message: `${api} checks out a client that is never kept, so it can never be released.`,
          why: 'The checked-out connection stays out of the pool for good; a few such calls exhaust the pool and every later query waits forever.',
          remedy: 'Keep the client (`const client = await pool.connect()`) and release it in a `finally`, or use `pool.query()` for a single statement.',
        });
        continue;
      }
      const fate = fateOf(analysis, holder.decl, fn, 0);
      if (fate.escapes || fate.inFinally) continue;
      // Released on both paths (end of the try and every catch) is correct, if roundabout.
      if (fate.inCatch && fate.plain.length > 0) continue;
      // `const client = await pool.connect(); client.release();`: nothing runs in between that could throw.
      if (releasedRightAway(holder.decl, fate.plain)) continue;
      const name = holder.name;
      if (fate.plain.length === 0 && !fate.inCatch) {
        ctx.report({
          node: call,
          file: effect.file,
          message: `${api} checks out \`${name}\`, which is never released.`,
          why: 'Every call leaves one more connection checked out: after as many calls as the pool has connections (10 by default), every `pool.query()`/`pool.connect()` waits forever and the service hangs.',
          remedy: `Release it in a \`finally\`: \`const ${name} = await ${effect.facts.api}(); try { … } finally { ${name}.release(); }\`.`,
          properties: { client: name },
        });
        continue;
      }
      const release = fate.plain[0];
      ctx.report({
        node: call,
        file: effect.file,
        message: `${api} checks out \`${name}\`, but \`${name}.release()\` is not in a \`finally\`: ${fate.plain.length > 0 ? 'an error thrown before it' : 'the success path'} leaks the connection.`,
        why: 'When a query throws (a constraint violation, a timeout, a lost connection), the release is skipped and the connection stays checked out; after as many errors as the pool has connections, every query waits forever.',
        remedy: `Move the release into a \`finally\` right after the checkout: \`try { … } finally { ${name}.release(); }\` (pass the error, \`${name}.release(err)\`, to discard a broken connection).`,
        ...(release ? { related: [{ node: release, file: effect.file, message: 'released here, outside any finally' }] } : {}),
        properties: { client: name },
      });
    }
  },
});

type Holder = { kind: 'var'; decl: ts.Node; name: string } | { kind: 'escapes' } | { kind: 'dropped' };

/** Where the checked-out client goes: a variable, the caller (returned), or nowhere. */
function holderOf(call: ts.CallExpression): Holder {
  let n: ts.Node = call;
  while (n.parent && (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent))) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return { kind: 'var', decl: p, name: p.name.text };
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n && ts.isIdentifier(p.left)) {
    return { kind: 'var', decl: p.left, name: p.left.text };
  }
  if (ts.isExpressionStatement(p)) return { kind: 'dropped' };
  // Returned, stored on `this`, destructured, chained (`.then`), passed on: someone else owns it.
  return { kind: 'escapes' };
}

/** The declaration a reference points at, with `let client; … client = await pool.connect()` folded in. */
function declOf(analysis: CodeAnalysis, id: ts.Identifier): ts.Node | undefined {
  return analysis.resolver.declarationOf(id);
}

function sameVar(analysis: CodeAnalysis, id: ts.Identifier, holder: ts.Node): boolean {
  if (ts.isIdentifier(holder)) {
    // `client = await pool.connect()`: the variable is the one the assignment's target refers to.
    const target = declOf(analysis, holder);
    return id.text === holder.text && declOf(analysis, id) === target;
  }
  return declOf(analysis, id) === holder;
}

/** How `fn` treats the variable: released in a finally, in a catch, on the plain path, or handed on. */
function fateOf(analysis: CodeAnalysis, holder: ts.Node, fn: FnNode, depth: number): Fate {
  const fate: Fate = { escapes: false, inFinally: false, inCatch: false, plain: [] };
  const name = ts.isIdentifier(holder) ? holder.text : ts.isVariableDeclaration(holder) || ts.isParameter(holder) ? holder.name.getText() : '';
  const visit = (n: ts.Node): void => {
    if (fate.escapes) return;
    if (ts.isIdentifier(n) && n.text === name && n !== holder && !(ts.isVariableDeclaration(n.parent) && n.parent.name === n) && sameVar(analysis, n, holder)) {
      use(n);
      return;
    }
    n.forEachChild(visit);
  };
  const use = (id: ts.Identifier): void => {
    const p = id.parent;
    // `client.release()` / `client?.release()`.
    if (ts.isPropertyAccessExpression(p) && p.expression === id) {
      if (p.name.text === 'release' && ts.isCallExpression(p.parent) && p.parent.expression === p) {
        if (enclosingFunction(p.parent) !== fn) {
          fate.escapes = true; // released in a callback: when it runs cannot be told
          return;
        }
        const place = tryPart(p.parent, fn);
        if (place === 'finally') fate.inFinally = true;
        else if (place === 'catch') fate.inCatch = true;
        else fate.plain.push(p.parent);
        return;
      }
      // `res.on('close', client.release)`: the release is handed over, when it runs cannot be told.
      if (p.name.text === 'release') fate.escapes = true;
      return; // `client.query(…)`: a use, not a hand-over
    }
    if (ts.isCallExpression(p) && p.arguments.includes(id as ts.Expression)) {
      handedTo(p, p.arguments.indexOf(id as ts.Expression));
      return;
    }
    // A comparison or a condition (`if (client)`) keeps it here.
    if (ts.isBinaryExpression(p) && p.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    if (ts.isPrefixUnaryExpression(p) || ts.isIfStatement(p) || ts.isConditionalExpression(p)) return;
    if (ts.isBinaryExpression(p) && p.left === id) return; // `client = …` reassigned
    // Returned, stored, put in an object, passed as `this.x = client`…: it leaves this function.
    fate.escapes = true;
  };
  const handedTo = (call: ts.CallExpression, index: number): void => {
    const callee = analysis.resolver.valueOf(call.expression);
    if (callee?.kind !== 'fn' || depth >= MAX_DEPTH) {
      fate.escapes = true; // handed to code that cannot be read (a library, a callback): assume it is released there
      return;
    }
    const param = callee.decl.parameters[index];
    if (!param || !ts.isIdentifier(param.name)) {
      fate.escapes = true;
      return;
    }
    const inner = fateOf(analysis, param, callee.decl, depth + 1);
    if (inner.escapes || inner.inFinally) fate.escapes = true;
    // A helper that only uses the client leaves the release to this function.
  };
  if (fn.body) visit(fn.body);
  return fate;
}

/** Where a node runs relative to the try statements around it (within `fn`): in a finally, a catch, or neither. */
function tryPart(node: ts.Node, fn: FnNode): 'finally' | 'catch' | undefined {
  let inCatch = false;
  let child: ts.Node = node;
  for (let p: ts.Node | undefined = node.parent; p && p !== fn; child = p, p = p.parent) {
    if (!ts.isTryStatement(p)) continue;
    if (p.finallyBlock && child === p.finallyBlock) return 'finally';
    if (p.catchClause && child === p.catchClause) inCatch = true;
  }
  return inCatch ? 'catch' : undefined;
}

function enclosingFunction(node: ts.Node): ts.Node | undefined {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

/** The statement right after the checkout's declaration is the release itself (a connectivity probe). */
function releasedRightAway(holder: ts.Node, plain: ts.CallExpression[]): boolean {
  if (plain.length === 0 || !ts.isVariableDeclaration(holder)) return false;
  const statement = holder.parent.parent;
  if (!ts.isVariableStatement(statement) || !ts.isBlock(statement.parent)) return false;
  const statements = statement.parent.statements;
  const next = statements[statements.indexOf(statement) + 1];
  if (!next || !ts.isExpressionStatement(next)) return false;
  let e: ts.Expression = next.expression;
  while (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
  return plain.includes(e as ts.CallExpression);
}
