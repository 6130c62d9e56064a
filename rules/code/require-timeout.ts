import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Effect } from '../../src/code/effects.js';
import { ownEffects } from '../../src/code/own-effects.js';

/** Effects that wait on another process: an unbounded one waits as long as that process hangs. */
const NETWORK_KINDS = new Set(['http', 'cache', 'rpc', 'client']);

export default defineRule({
  id: 'require-timeout',
  family: 'code',
  meta: {
    description: 'A network call or client (HTTP, database pool, cache, RPC) with no timeout or abort signal.',
    rationale:
      'Without a bound, a request to a slow or hung dependency waits until the operating system gives up (minutes), holding its socket, its pool connection and the caller’s request; under load these waits pile up and one slow dependency stalls the whole service.',
    remedy: 'Give every outbound call a deadline: `signal: AbortSignal.timeout(ms)` for fetch, `timeout` for HTTP clients, `connectionTimeoutMillis` and `statement_timeout` for pg pools, a deadline for RPC.',
    severity: 'warning',
    precision: 'high',
    tags: ['resilience', 'timeouts'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    for (const effect of ownEffects(analysis)) {
      const f = effect.facts;
      if (!NETWORK_KINDS.has(f.kind) || f.bounded !== false) continue;
      // `Promise.race([fetch(…), new Promise((r) => setTimeout(r, 500))])`: the caller stops waiting at the timer.
      if (f.kind !== 'client' && !f.unboundedClient && racedAgainstTimer(effect.node)) continue;
      // A call on an instance built without a timeout: reported once, at the construction.
      const place = f.unboundedClient ?? { node: effect.node as ts.Node, file: effect.file };
      if (reported.has(place.node)) continue;
      reported.add(place.node);
      const atClient = place.node !== effect.node || f.kind === 'client';
      ctx.report({
        node: place.node,
        file: place.file,
        message: messageFor(effect, atClient),
        why: atClient
          ? 'Every request made through this client inherits no deadline: when the other side hangs, callers wait until the operating system gives up (minutes), holding sockets, pool connections and the incoming request, and the backlog takes the service down with the dependency.'
          : 'When the other side hangs or is slow, this call waits until the operating system gives up (minutes), holding its socket and the incoming request; under load the waiting requests pile up and one slow dependency stalls the whole service.',
        remedy: `Set ${f.timeoutHint ?? 'a timeout'}, shorter than the deadline of the request that makes the call, and handle the timeout error (retry with backoff or fail fast).`,
        ...(place.node !== effect.node ? { related: [{ node: effect.node, file: effect.file, message: `a call through this client (\`${f.api}\`)` }] } : {}),
        properties: { kind: f.kind, api: f.api, lib: f.lib },
      });
    }
  },
});

function messageFor(effect: Effect, atClient: boolean): string {
  const f = effect.facts;
  const api = `\`${f.api}\``;
  if (atClient) {
    return f.kind === 'client'
      ? `${api} builds a client with no timeout: requests and connections made through it can wait forever.`
      : `The client behind ${api} is built with no timeout: requests made through it can wait forever.`;
  }
  switch (f.kind) {
    case 'http':
      return `This HTTP${f.method ? ` ${f.method}` : ''} call (${api}) has no timeout or abort signal.`;
    case 'cache':
      return `This cache call (${api}) has no timeout.`;
    case 'rpc':
      return `This RPC call (${api}) has no deadline or timeout.`;
    default:
      return `${api} has no timeout.`;
  }
}

/**
 * The call (or its `.catch`/`.then` chain) is an element of `Promise.race([…])` next to a timer: a
 * `new Promise` that calls `setTimeout`, or `setTimeout(ms)` from `timers/promises`. The caller's wait is
 * bounded by the timer even though the request itself is not aborted.
 */
function racedAgainstTimer(call: ts.Node): boolean {
  let n: ts.Node = call;
  for (;;) {
    const p = n.parent;
    if (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) n = p;
    else if (ts.isPropertyAccessExpression(p) && p.expression === n && ts.isCallExpression(p.parent) && /^(?:then|catch|finally)$/.test(p.name.text)) n = p.parent;
    else break;
  }
  const list = n.parent;
  if (!ts.isArrayLiteralExpression(list) || !ts.isCallExpression(list.parent) || list.parent.arguments[0] !== list) return false;
  const race = list.parent.expression;
  if (!ts.isPropertyAccessExpression(race) || race.name.text !== 'race' || !ts.isIdentifier(race.expression) || race.expression.text !== 'Promise') return false;
  return list.elements.some((el) => el !== n && callsSetTimeout(el));
}

function callsSetTimeout(node: ts.Node): boolean {
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'setTimeout') return true;
  return node.forEachChild((c) => (callsSetTimeout(c) ? true : undefined)) === true;
}
