import { ts } from 'ts-morph';
import { defineRule, type CodeContext } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import { isWithin } from '../../src/code/effects.js';
import { ownEffects } from '../../src/code/own-effects.js';
import { describeEffect } from '../../src/code/report.js';
import { isLoopStatement, iterationVariables, loopStatement, retryLoops, type RetryLoop } from '../../src/code/retry-loops.js';
import { isFunctionLike, skipOuter, type FnNode } from '../../src/code/resolve.js';

/** Names of helpers that wait: `sleep(ms)`, `delay(ms)`, `wait(ms)`, `backoff(attempt)`, `setTimeout` from timers/promises. */
const DELAY_NAME = /^(?:sleep\w*|delay\w*|wait|waitMs|waitFor|waitBeforeRetry|pause|snooze|setTimeout|\w*[sS]leep\w*|\w*[dD]elay|\w*[bB]ackoff\w*|backoff\w*)$/;
/** Calls that are transparent when reading a delay amount. */
const PURE = /^(?:Math\.\w+|Number|parseInt|parseFloat|String|BigInt)$/;
const MAX_DEPTH = 3;
const GROWTH_OPERATORS = new Set([ts.SyntaxKind.AsteriskAsteriskToken, ts.SyntaxKind.AsteriskAsteriskEqualsToken, ts.SyntaxKind.LessThanLessThanToken, ts.SyntaxKind.LessThanLessThanEqualsToken, ts.SyntaxKind.AsteriskEqualsToken]);

interface Delay {
  call: ts.CallExpression;
  /** What the amount is made of: arguments, their definitions, the helper's body. */
  parts: ts.Node[];
}

interface Verdict {
  grows: boolean;
  jitter: boolean;
  /** Something the analyzer cannot read decides the delay (a library strategy, `Retry-After`). */
  unknown: boolean;
}

/** How to get a backoff out of each library's retry option. */
const OPTION_FIX: Record<string, string> = {
  'axios-retry': 'Set `retryDelay: axiosRetry.exponentialDelay` (exponential, with up to 20 % jitter)',
  got: 'Drop the constant `calculateDelay` (got’s default backs off exponentially with random noise) or make it grow with `attemptCount` and add `Math.random()`',
  ky: 'Drop the constant `delay` (ky’s default doubles from 300 ms) or make it grow with the attempt count and add `Math.random()`',
};

const REMEDY =
  'Wait longer after each failure and randomise the wait: `await sleep(Math.min(cap, base * 2 ** attempt) + Math.random() * base)` (exponential backoff with jitter), and give up after a fixed number of attempts.';

export default defineRule({
  id: 'require-backoff',
  family: 'code',
  meta: {
    description: 'A retry loop or retry option that retries a network or database call with no delay, a constant delay, no jitter, or no attempt limit.',
    rationale:
      'When a dependency fails because it is overloaded or restarting, immediate or fixed-rate retries multiply its load at the worst moment, and clients that failed together retry together; without a limit a permanent failure retries forever.',
    remedy: 'Back off exponentially with jitter between attempts (`base * 2 ** attempt + random`), cap the delay, and stop after a fixed number of attempts.',
    severity: 'warning',
    precision: 'high',
    tags: ['resilience', 'retries'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    for (const rl of retryLoops(analysis)) checkLoop(ctx, analysis, rl);
    // Retry options of libraries (axios-retry without retryDelay, …), as the catalogue reports them.
    const seen = new Set<ts.Node>();
    for (const effect of ownEffects(analysis)) {
      const f = effect.facts;
      if (!f.retryOption || seen.has(f.retryOption)) continue;
      seen.add(f.retryOption);
      const what =
        f.retryDelay === 'none'
          ? 'retries with no delay between attempts'
          : f.retryDelay === 'constant'
            ? 'retries after a constant delay (no exponential growth)'
            : f.retryDelay === 'no-jitter'
              ? 'retries with a growing delay but no jitter'
              : 'retries without exponential backoff';
      ctx.report({
        node: f.retryOption,
        file: effect.file,
        message: `\`${f.api}\` ${what}.`,
        why: whyFor(f.retryDelay ?? 'none'),
        remedy: `${OPTION_FIX[f.lib] ?? 'Configure an exponentially growing delay with random jitter'}, and keep the retry count small.`,
        properties: { api: f.api, lib: f.lib },
      });
    }
  },
});

function checkLoop(ctx: CodeContext, analysis: CodeAnalysis, rl: RetryLoop): void {
  const problems: Array<'unbounded' | 'none' | 'constant' | 'no-jitter'> = [];
  const unbounded = isUnbounded(rl);
  if (unbounded) problems.push('unbounded');
  const delays = findDelays(rl, analysis);
  if (delays.length === 0) problems.push('none');
  else {
    const verdicts = delays.map((d) => judge(d, rl, analysis));
    if (!verdicts.some((v) => v.unknown)) {
      const grows = verdicts.some((v) => v.grows);
      const jitter = verdicts.some((v) => v.jitter);
      if (!grows) problems.push('constant');
      if (!jitter) problems.push('no-jitter');
    }
  }
  if (problems.length === 0) return;
  const first = rl.retried[0];
  const what = first.site === first.effect.node ? describeEffect(first.effect) : `\`${calleeOnly(first.site)}()\`, which runs ${describeEffect(first.effect)},`;
  const loopWord = loopName(rl);
  let detail = '';
  if (problems.includes('none')) detail = 'immediately, with no delay between attempts';
  else if (problems.includes('constant')) detail = `after the same delay every time (\`${calleeText(delays[0].call)}\`): no exponential growth${problems.includes('no-jitter') ? ' and no jitter' : ''}`;
  else if (problems.includes('no-jitter')) detail = 'with a growing delay but no jitter';
  const message = unbounded
    ? `This ${loopWord} retries ${what} with no attempt limit${detail ? `, ${detail}` : ''}.`
    : `This ${loopWord} retries ${what} ${detail}.`;
  const why = problems.map(whyFor).join(' ');
  ctx.report({
    node: rl.loop.node,
    file: rl.loop.file,
    message,
    why,
    remedy: unbounded && problems.length === 1 ? 'Count the attempts and give up (rethrow) after a fixed number, backing off exponentially with jitter in between.' : REMEDY,
    related: [
      { node: first.site, file: rl.loop.file, message: 'the retried call' },
      ...(delays[0] ? [{ node: delays[0].call, file: rl.loop.file, message: 'the delay' }] : []),
    ],
    properties: { problems: problems.join(','), api: first.effect.facts.api },
  });
}

function whyFor(problem: 'unbounded' | 'none' | 'constant' | 'no-jitter'): string {
  switch (problem) {
    case 'unbounded':
      return 'With no attempt limit a permanent failure (bad credentials, a deleted resource) retries forever, holding the request or job and hammering the dependency.';
    case 'none':
      return 'Immediate retries use up every attempt within milliseconds, before an overloaded or restarting dependency can recover, and multiply its load at the worst moment.';
    case 'constant':
      return 'A fixed delay keeps every failing client retrying at the same rate for as long as the outage lasts: the load on the struggling dependency never eases off.';
    default:
      return 'Without jitter, clients that failed together (one outage, one deploy) retry in lockstep, and each retry wave hits the dependency at the same instant (thundering herd).';
  }
}

function loopName(rl: RetryLoop): string {
  const n = rl.loop.node;
  if (ts.isWhileStatement(n) && isConstantTrue(n.expression)) return '`while (true)` retry loop';
  if (ts.isForStatement(n) && !n.condition) return '`for (;;)` retry loop';
  if (ts.isDoStatement(n)) return '`do…while` retry loop';
  if (ts.isWhileStatement(n)) return '`while` retry loop';
  return '`for` retry loop';
}

function calleeOnly(n: ts.Node): string {
  const t = (ts.isCallExpression(n) || ts.isNewExpression(n) ? n.expression : n).getText().replace(/\s+/g, '').replace(/^this\./, '');
  return t.length > 50 ? `${t.slice(0, 47)}…` : t;
}

function calleeText(n: ts.Node): string {
  const t = n.getText().replace(/\s+/g, ' ').replace(/^this\./, '');
  return t.length > 50 ? `${t.slice(0, 47)}…` : t;
}

function isConstantTrue(e: ts.Expression | undefined): boolean {
  if (!e) return true;
  const x = skipOuter(e);
  return x.kind === ts.SyntaxKind.TrueKeyword || (ts.isNumericLiteral(x) && Number(x.text) !== 0);
}

/** `while (true)`/`for (;;)` whose failure path never leaves: no throw, return or break outside the retried `try` blocks. */
function isUnbounded(rl: RetryLoop): boolean {
  const n = rl.loop.node;
  const cond = ts.isWhileStatement(n) || ts.isDoStatement(n) ? n.expression : ts.isForStatement(n) ? n.condition : undefined;
  if (ts.isForOfStatement(n) || ts.isForInStatement(n)) return false;
  if (!isConstantTrue(cond)) return false;
  const body = loopStatement(rl.loop);
  if (!body) return false;
  let exits = false;
  const visit = (m: ts.Node): void => {
    if (exits || isFunctionLike(m)) return;
    if (rl.tries.some((t) => t.tryBlock === m)) return; // success paths
    if (ts.isThrowStatement(m) || ts.isReturnStatement(m)) exits = true;
    if (ts.isBreakStatement(m) && (m.label || !insideBreakable(m, body))) exits = true;
    m.forEachChild(visit);
  };
  visit(body);
  return !exits;
}

function insideBreakable(node: ts.Node, until: ts.Node): boolean {
  for (let p = node.parent; p && p !== until; p = p.parent) if (isLoopStatement(p) || ts.isSwitchStatement(p)) return true;
  return false;
}

/** The waits of one attempt: awaited sleep-like calls and `setTimeout` promises in the loop. */
function findDelays(rl: RetryLoop, analysis: CodeAnalysis): Delay[] {
  const out: Delay[] = [];
  const n = rl.loop.node;
  const roots: ts.Node[] = [];
  const body = loopStatement(rl.loop);
  if (body) roots.push(body);
  if (ts.isForStatement(n) && n.incrementor) roots.push(n.incrementor);
  if ((ts.isWhileStatement(n) || ts.isDoStatement(n)) && n.expression) roots.push(n.expression);
  const visit = (m: ts.Node, inPromise: boolean): void => {
    if (isFunctionLike(m)) return;
    if (ts.isNewExpression(m) && ts.isIdentifier(m.expression) && m.expression.text === 'Promise') {
      // `new Promise((resolve) => setTimeout(resolve, ms))`
      for (const arg of m.arguments ?? []) {
        const f = skipOuter(arg);
        if ((ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && f.body) visit(f.body, true);
      }
      return;
    }
    if (ts.isCallExpression(m)) {
      const d = delayOf(m, inPromise, analysis, 0);
      if (d) {
        out.push(d);
        return;
      }
    }
    m.forEachChild((c) => visit(c, inPromise));
  };
  for (const r of roots) visit(r, false);
  return out;
}

function calleeName(call: ts.CallExpression): string | undefined {
  const c = skipOuter(call.expression);
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  return undefined;
}

function isAwaited(call: ts.Node): boolean {
  let p = call.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p))) p = p.parent;
  return p !== undefined && (ts.isAwaitExpression(p) || ts.isYieldExpression(p));
}

/** A call that waits: by name (awaited, or a `setTimeout` inside a promise), or a local helper that waits. */
function delayOf(call: ts.CallExpression, inPromise: boolean, analysis: CodeAnalysis, depth: number): Delay | undefined {
  const name = calleeName(call);
  const awaited = depth > 0 || isAwaited(call);
  if (name === 'setTimeout') {
    if (!inPromise && !awaited) return undefined; // a timer for an abort controller, not a wait
    const args = call.arguments;
    const first = args[0] && skipOuter(args[0]);
    const amount = args.length >= 2 && first && (ts.isIdentifier(first) || isFunctionLike(first)) ? args[1] : args[0];
    return { call, parts: amount ? [amount] : [] };
  }
  const callee = analysis.resolver.valueOf(call.expression);
  const local = callee?.kind === 'fn' ? callee.decl : undefined;
  const byName = name !== undefined && DELAY_NAME.test(name) && (awaited || inPromise);
  if (byName && !local) return { call, parts: [...call.arguments] };
  if (local && (byName || (awaited && depth < MAX_DEPTH && waits(local, analysis, depth + 1)))) return { call, parts: [...call.arguments, ...(local.body ? [local.body] : [])] };
  return undefined;
}

/** Whether a function of the repository waits somewhere in its body. */
function waits(fn: FnNode, analysis: CodeAnalysis, depth: number): boolean {
  let found = false;
  const visit = (m: ts.Node, inPromise: boolean): void => {
    if (found) return;
    if (m !== fn && isFunctionLike(m)) return;
    if (ts.isNewExpression(m) && ts.isIdentifier(m.expression) && m.expression.text === 'Promise') {
      for (const arg of m.arguments ?? []) {
        const f = skipOuter(arg);
        if ((ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && f.body) visit(f.body, true);
      }
      return;
    }
    if (ts.isCallExpression(m) && delayOf(m, inPromise, analysis, depth)) found = true;
    m.forEachChild((c) => visit(c, inPromise));
  };
  if (fn.body) visit(fn.body, false);
  return found;
}

/** Whether the delay grows from one attempt to the next, and whether it is randomised. */
function judge(d: Delay, rl: RetryLoop, analysis: CodeAnalysis): Verdict {
  const resolver = analysis.resolver;
  const vars = iterationVariables(rl.loop, resolver);
  const verdict: Verdict = { grows: false, jitter: false, unknown: false };
  const seen = new Set<ts.Node>();
  const expand = (node: ts.Node, depth: number, opaqueCalls: boolean): void => {
    if (seen.has(node) || depth > 6) return;
    seen.add(node);
    const visit = (m: ts.Node): void => {
      // Read from the code itself, never from comments.
      if (ts.isBinaryExpression(m) && GROWTH_OPERATORS.has(m.operatorToken.kind)) verdict.grows = true;
      if (ts.isPropertyAccessExpression(m) && ts.isIdentifier(m.expression) && m.expression.text === 'Math' && m.name.text === 'pow') verdict.grows = true;
      if (ts.isPropertyAccessExpression(m) && ts.isIdentifier(m.expression) && m.expression.text === 'Math' && m.name.text === 'random') verdict.jitter = true;
      if (ts.isIdentifier(m) && /^randomInt$|jitter/i.test(m.text)) verdict.jitter = true;
      if ((ts.isStringLiteralLike(m) || ts.isIdentifier(m)) && /retry-?after/i.test(m.text)) verdict.unknown = true;
      if (ts.isIdentifier(m) && !(ts.isPropertyAccessExpression(m.parent) && m.parent.name === m)) {
        const decl = resolver.declarationOf(m);
        if (decl && vars.has(decl)) verdict.grows = true;
        if (decl && ts.isVariableDeclaration(decl) && decl.initializer && !isWithin(m, decl)) {
          expand(decl.initializer, depth + 1, opaqueCalls);
          // `let delay = 500; … delay = delay * 2` inside the loop.
          for (const rhs of assignmentsIn(rl.loop.node, decl, resolver)) expand(rhs, depth + 1, opaqueCalls);
        }
      }
      if (opaqueCalls && ts.isCallExpression(m)) {
        const callee = skipOuter(m.expression);
        const value = resolver.valueOf(callee);
        if (value?.kind === 'fn' && value.decl.body) expand(value.decl.body, depth + 1, false);
        else if (!PURE.test(callee.getText())) verdict.unknown = true;
      }
      // In an amount expression a nested function is not the amount; in a helper's body it may be (`new Promise((r) => setTimeout(r, ms))`).
      if (isFunctionLike(m) && m !== node && opaqueCalls) return;
      m.forEachChild(visit);
    };
    visit(node);
  };
  // A named wait with no argument (`backoff.wait()`): its amount is out of sight.
  if (d.parts.length === 0) verdict.unknown = true;
  // A helper's body: the waits inside it are not opaque, they are the delay itself.
  for (const part of d.parts) expand(part, 0, !isFunctionLike(part.parent));
  return verdict;
}

function assignmentsIn(scope: ts.Node, decl: ts.Node, resolver: CodeAnalysis['resolver']): ts.Expression[] {
  const out: ts.Expression[] = [];
  const visit = (m: ts.Node): void => {
    if (ts.isBinaryExpression(m) && m.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && m.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(m.left) && resolver.declarationOf(m.left) === decl) {
      out.push(m.right);
    }
    m.forEachChild(visit);
  };
  visit(scope);
  return out;
}
