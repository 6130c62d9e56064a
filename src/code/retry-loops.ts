/**
 * Retry loops: loops that run a round trip (a query, an HTTP call, a publish, a payment) inside a `try`,
 * leave on success and go round again after a caught error. Shared by require-backoff (how the loop waits)
 * and no-retry-non-idempotent (what it repeats).
 *
 * Stricter than `Loop.retry`: the catch must let the loop go round (it does not end by throwing,
 * returning or breaking), and the retried call must be the same call every time — a loop whose call
 * changes with the iteration (`for (const url of mirrors)`, a page cursor) is a failover or a pagination,
 * not a retry.
 */
import { ts } from 'ts-morph';
import type { CodeAnalysis } from './analyze.js';
import { isWithin, type Effect, type Loop } from './effects.js';
import type { CodeFile } from './project.js';
import { isFunctionLike, type FnNode, type Resolver } from './resolve.js';

const ROUND_TRIPS = new Set(['db.read', 'db.write', 'db.query', 'http', 'publish', 'payment', 'cache', 'rpc', 'checkout']);

export interface RetryLoop {
  loop: Loop;
  /** The function whose body holds the loop. */
  fn: FnNode;
  file: CodeFile;
  /** The `try` statements whose success leaves the loop and whose failure goes round. */
  tries: ts.TryStatement[];
  /** What each attempt repeats: the effect, and the call in the loop that leads to it. */
  retried: Array<{ effect: Effect; site: ts.Node }>;
}

export function retryLoops(analysis: CodeAnalysis): RetryLoop[] {
  return analysis.memo('retry-loops', () => findRetryLoops(analysis));
}

function findRetryLoops(analysis: CodeAnalysis): RetryLoop[] {
  const byLoop = new Map<ts.Node, RetryLoop>();
  const rejected = new Set<ts.Node>();
  for (const { fn, file } of analysis.functions()) {
    for (const effect of analysis.summary(fn).effects) {
      if (!ROUND_TRIPS.has(effect.facts.kind)) continue;
      for (const ls of effect.loops) {
        const node = ls.loop.node;
        if (!ls.loop.retry || !isWithin(node, fn) || rejected.has(node)) continue;
        let rl = byLoop.get(node);
        if (!rl) {
          const tries = retryingTries(ls.loop);
          const owner = enclosingFunction(node);
          if (tries.length === 0 || !owner) {
            rejected.add(node);
            continue;
          }
          rl = { loop: ls.loop, fn: owner, file, tries, retried: [] };
          byLoop.set(node, rl);
        }
        if (rl.retried.some((r) => r.effect.node === effect.node && r.site === ls.site)) continue;
        if (!rl.tries.some((t) => isWithin(ls.site, t.tryBlock))) continue;
        if (changesPerIteration(ls.site, ls.loop, analysis.resolver)) continue;
        rl.retried.push({ effect, site: ls.site });
      }
    }
  }
  const out = [...byLoop.values()].filter((rl) => rl.retried.length > 0);
  return out;
}

/** The loop's statement (for a `for`, its body), where attempts happen. */
export function loopStatement(loop: Loop): ts.Statement | undefined {
  const n = loop.node;
  if (ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n)) return n.statement;
  return undefined;
}

/**
 * The `try` statements of the loop body whose block leaves the loop on success (return/break) and whose
 * catch lets the loop go round (it does not end with an unconditional throw, return or break).
 */
function retryingTries(loop: Loop): ts.TryStatement[] {
  const body = loopStatement(loop);
  if (!body) return [];
  const out: ts.TryStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) return;
    if (n !== body && isLoopStatement(n)) return; // an inner loop's tries are its own
    if (ts.isTryStatement(n) && n.catchClause && exitsOnSuccess(n.tryBlock) && !alwaysLeaves(n.catchClause.block)) out.push(n);
    n.forEachChild(visit);
  };
  visit(body);
  return out;
}

/** A condition that tests whether the call succeeded (`res.ok`, `status < 500`, `result.success`), not a state being waited for. */
const SUCCESS_CHECK = /\.ok\b|^!?ok$|status(?:Code)?\s*(?:[<>]=?|[!=]==?)\s*\d|\d\s*(?:[<>]=?|[!=]==?)\s*\w*\.?status|\bsucce(?:ss|eded)\b/i;

/**
 * Whether the try block leaves the loop when the call succeeds: an exit reached unconditionally, or under
 * a condition on the call's success. An exit only under another condition (`if (job.state === 'done')
 * break`) is polling: the loop goes round on success too, waiting for a state, and is not a retry.
 */
function exitsOnSuccess(block: ts.Block): boolean {
  let exits = false;
  const scan = (m: ts.Node): void => {
    if (exits || isFunctionLike(m)) return;
    if ((ts.isReturnStatement(m) || (ts.isBreakStatement(m) && !m.label && !insideInnerBreakable(m, block))) && onSuccessPath(m, block)) exits = true;
    m.forEachChild(scan);
  };
  scan(block);
  return exits;
}

function onSuccessPath(exit: ts.Node, block: ts.Block): boolean {
  for (let p = exit.parent; p && p !== block; p = p.parent) {
    const cond = ts.isIfStatement(p) ? p.expression : ts.isConditionalExpression(p) ? p.condition : undefined;
    if (cond && !SUCCESS_CHECK.test(cond.getText())) return false;
    if (ts.isSwitchStatement(p) || ts.isCaseClause(p)) return false;
  }
  return true;
}

/** A `break` that belongs to a loop or switch nested in the try block does not leave the retry loop. */
function insideInnerBreakable(node: ts.Node, until: ts.Node): boolean {
  for (let p = node.parent; p && p !== until; p = p.parent) if (isLoopStatement(p) || ts.isSwitchStatement(p)) return true;
  return false;
}

/** A block whose own statements end the loop unconditionally. */
function alwaysLeaves(block: ts.Block): boolean {
  return block.statements.some((s) => ts.isThrowStatement(s) || ts.isReturnStatement(s) || (ts.isBreakStatement(s) && !s.label));
}

export function isLoopStatement(n: ts.Node): boolean {
  return ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
}

/**
 * Declarations whose value changes from one iteration to the next: the loop's own variables
 * (`for (const url of mirrors)`, `for (let page = 0; …)`) and variables declared outside the loop that
 * it reassigns (`cursor = next`, `attempt++`, `delay *= 2`).
 */
export function iterationVariables(loop: Loop, resolver: Resolver): Set<ts.Node> {
  const out = new Set<ts.Node>();
  const n = loop.node;
  if ((ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer)) {
    for (const d of n.initializer.declarations) out.add(d);
  }
  const body = loopStatement(loop);
  const visit = (m: ts.Node): void => {
    if (isFunctionLike(m)) return;
    let target: ts.Expression | undefined;
    if (ts.isBinaryExpression(m) && m.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && m.operatorToken.kind <= ts.SyntaxKind.LastAssignment) target = m.left;
    if ((ts.isPrefixUnaryExpression(m) || ts.isPostfixUnaryExpression(m)) && (m.operator === ts.SyntaxKind.PlusPlusToken || m.operator === ts.SyntaxKind.MinusMinusToken)) target = m.operand;
    if (target && ts.isIdentifier(target)) {
      const decl = resolver.declarationOf(target);
      if (decl && !(body && isWithin(decl, body))) out.add(decl);
    }
    m.forEachChild(visit);
  };
  visit(n);
  return out;
}

/** Whether the call uses a value that changes per iteration: then each iteration makes a different call. */
function changesPerIteration(site: ts.Node, loop: Loop, resolver: Resolver): boolean {
  const vars = iterationVariables(loop, resolver);
  if (vars.size === 0) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      const decl = resolver.declarationOf(n);
      if (decl && vars.has(decl)) found = true;
    }
    n.forEachChild(visit);
  };
  if (ts.isCallExpression(site) || ts.isNewExpression(site)) {
    visit(site.expression);
    site.arguments?.forEach(visit);
  } else visit(site);
  return found;
}

export function enclosingFunction(node: ts.Node): FnNode | undefined {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}
