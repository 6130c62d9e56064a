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
