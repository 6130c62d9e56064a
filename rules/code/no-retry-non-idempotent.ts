import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import { objectOf } from '../../src/code/catalogue/helpers.js';
import { isWithin, type Effect } from '../../src/code/effects.js';
import { ownEffects } from '../../src/code/own-effects.js';
import { describeEffect, flowOf } from '../../src/code/report.js';
import { loopStatement, retryLoops, type RetryLoop } from '../../src/code/retry-loops.js';
import { isFunctionLike, propertyName, skipOuter } from '../../src/code/resolve.js';

type Reason = 'http' | 'payment' | 'insert' | 'fresh-key';

/** Calls that make a new random value: a key built from one inside the loop changes at every attempt. */
const FRESH = /^(?:randomUUID|uuid|uuidv4|v4|v7|nanoid|cuid|cuid2|createId|ulid|randomBytes)$/;

export default defineRule({
  id: 'no-retry-non-idempotent',
  family: 'code',
  meta: {
    description: 'A retry loop or a client retry option that repeats a non-idempotent call — an HTTP POST/PATCH, a payment, a database insert — without an idempotency key.',
    rationale:
      'A failed attempt is not proof that nothing happened: the request may have been processed before the timeout or the dropped connection. Retrying a call that is not idempotent then creates a second order, a second charge, a duplicate row.',
    remedy: 'Make the retried call idempotent before retrying it: an idempotency key created once before the loop (the same on every attempt), an insert that ignores duplicates (`ON CONFLICT DO NOTHING`, upsert), or one transaction per attempt.',
    severity: 'error',
    precision: 'high',
    tags: ['idempotency', 'retries', 'reliability'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    // Retries done by the client library itself (got/ky `retry.methods` with POST, superagent `.retry()`).
    for (const effect of ownEffects(analysis)) {
      const f = effect.facts;
      if (!f.libraryRetry || reported.has(effect.node)) continue;
      if (!isUnkeyedWrite(effect, analysis)) continue;
      reported.add(effect.node);
      ctx.report({
        node: effect.node,
        file: effect.file,
        message: `${capital(describeEffect(effect))} is retried by the client library (\`${short(f.libraryRetry)}\`) without an idempotency key.`,
        why: whyFor(f.kind === 'payment' ? 'payment' : 'http', effect),
        remedy: `Send an idempotency key with the request (an \`Idempotency-Key\` header derived from the operation, which the library repeats on every retry), or leave ${f.method ?? 'POST'} out of the library's retried methods.`,
        related: [{ node: f.libraryRetry, file: effect.file, message: 'the retry option' }],
        properties: { reason: 'library-retry', api: f.api },
      });
    }
    for (const rl of retryLoops(analysis)) {
      for (const { effect, site } of rl.retried) {
        if (reported.has(site)) continue;
        const reason = reasonOf(effect, rl, site, analysis);
        if (!reason) continue;
        reported.add(site);
        const through = site !== effect.node;
        const what = through ? `\`${calleeName(site)}()\`, which makes ${describeEffect(effect)},` : capital(describeEffect(effect));
        ctx.report({
          node: site,
          file: rl.loop.file,
          message: messageFor(reason, what),
          why: whyFor(reason, effect),
          remedy: remedyFor(reason),
          related: [
            { node: rl.loop.node, file: rl.loop.file, message: 'the retry loop' },
            ...(through ? [{ node: effect.node, file: effect.file, message: describeEffect(effect) }] : []),
          ],
          flow: through ? flowOf(effect, { loop: rl.loop, site }) : undefined,
          properties: { reason, api: effect.facts.api, ...(effect.facts.table ? { table: effect.facts.table } : {}) },
        });
      }
    }
  },
});

function reasonOf(e: Effect, rl: RetryLoop, site: ts.Node, analysis: CodeAnalysis): Reason | undefined {
  const f = e.facts;
  if (f.kind === 'http') {
    if (f.method !== 'POST' && f.method !== 'PATCH') return undefined;
    if (f.idempotencyKey) return site === e.node && freshKey(e.node, rl) ? 'fresh-key' : undefined;
    if (f.idempotencyKey === undefined) return undefined;
    // Options the analyzer cannot read (a variable, a parameter) may carry the key.
    if (f.options && !objectOf({ resolver: analysis.resolver }, f.options)) return undefined;
    if (mentionsKey(e.fn) || mentionsKey(rl.fn)) return undefined;
    return 'http';
  }
  if (f.kind === 'payment') {
    if (!f.moneyMovement) return undefined;
    if (f.idempotencyKey === false) return 'payment';
    return site === e.node && freshKey(e.node, rl) ? 'fresh-key' : undefined;
  }
  if (f.kind === 'db.write' && f.write === 'insert' && !f.dedupes) {
    // Inside a transaction a failed attempt rolls back: retrying the whole transaction is the cure, not the bug.
    if (e.tx) return undefined;
    return 'insert';
  }
  return undefined;
}

/** Whether the code (names and strings, not comments) mentions an idempotency key or deduplication. */
/** An HTTP POST/PATCH or a payment that certainly carries no idempotency key. */
function isUnkeyedWrite(e: Effect, analysis: CodeAnalysis): boolean {
  const f = e.facts;
  if (f.kind === 'payment') return f.moneyMovement === true && f.idempotencyKey === false;
  if (f.kind !== 'http' || (f.method !== 'POST' && f.method !== 'PATCH') || f.idempotencyKey !== false) return false;
  if (f.options && !objectOf({ resolver: analysis.resolver }, f.options)) return false;
  return !mentionsKey(e.fn);
}

function short(n: ts.Node): string {
  const t = n.getText().replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

function mentionsKey(fn: Effect['fn']): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if ((ts.isIdentifier(n) || ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n)) && /idempoten|dedup/i.test(n.text)) found = true;
    n.forEachChild(visit);
  };
  visit(fn);
  return found;
}

/** An idempotency key made inside the loop from a random value: each attempt sends a different key. */
function freshKey(call: Effect['node'], rl: RetryLoop): boolean {
  const body = loopStatement(rl.loop);
  if (!body || ts.isTaggedTemplateExpression(call)) return false;
  let fresh = false;
  const isFresh = (expr: ts.Expression, depth: number): boolean => {
    let hit = false;
    const visit = (n: ts.Node): void => {
      if (hit || isFunctionLike(n)) return;
      if (ts.isCallExpression(n)) {
        const c = skipOuter(n.expression);
        const name = ts.isIdentifier(c) ? c.text : ts.isPropertyAccessExpression(c) ? c.name.text : '';
        if (FRESH.test(name)) hit = true;
      }
      if (ts.isIdentifier(n) && depth < 3) {
        const decl = findDecl(n, body);
        if (decl?.initializer && isFresh(decl.initializer, depth + 1)) hit = true;
      }
      n.forEachChild(visit);
    };
    visit(expr);
    return hit;
  };
  const visit = (n: ts.Node): void => {
    if (fresh || isFunctionLike(n)) return;
    if ((ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n)) && /idempoten/i.test(propertyName(n.name) ?? '')) {
      const value = ts.isPropertyAssignment(n) ? n.initializer : n.name;
      if (isFresh(value, 0)) fresh = true;
    }
    n.forEachChild(visit);
  };
  call.arguments?.forEach(visit);
  return fresh;
}

/** A `const`/`let` declared inside the loop body with the identifier's name (keys made per attempt). */
function findDecl(id: ts.Identifier, body: ts.Node): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === id.text && isWithin(n, body)) found = n;
    n.forEachChild(visit);
  };
  visit(body);
  return found;
}

function messageFor(reason: Reason, what: string): string {
  switch (reason) {
    case 'http':
      return `${what} is retried by this loop without an idempotency key.`;
    case 'payment':
      return `${what} moves money and is retried by this loop without an idempotency key.`;
    case 'insert':
      return `${what} is retried by this loop, and nothing stops a retry from inserting the row again.`;
    default:
      return `${what} is retried with an idempotency key made anew at every attempt, which deduplicates nothing.`;
  }
}

function whyFor(reason: Reason, e: Effect): string {
  const lost = 'A failed attempt is not proof that nothing happened: the request may have been processed before the timeout or the dropped connection, and only its response was lost.';
  switch (reason) {
    case 'http':
      return `${lost} The other service sees the retry as a new ${e.facts.method ?? 'POST'} and performs it again: a second order, a second email, a second shipment.`;
    case 'payment':
      return `${lost} The provider sees the retry as a new payment request: the customer is charged (or refunded) twice.`;
    case 'insert':
      return 'The insert may have committed before the error reached the code (a timeout, a lost connection), or a later step of the same attempt failed: the next attempt inserts the same row again, and nothing in the statement prevents the duplicate.';
    default:
      return `${lost} The server recognises a retry only by its key; a key generated inside the loop is new at every attempt, so every retry looks like a new request.`;
  }
}

function remedyFor(reason: Reason): string {
  switch (reason) {
    case 'http':
      return 'Create an idempotency key once, before the loop, from the operation (e.g. `order-${order.id}-create`), and send it on every attempt (`Idempotency-Key` header); or retry only idempotent requests (GET, PUT, DELETE).';
    case 'payment':
      return 'Pass the provider’s idempotency key, derived from the operation and created before the loop (Stripe: `{ idempotencyKey: `charge-${order.id}` }` as request options), so every attempt is the same request.';
    case 'insert':
      return 'Make the insert idempotent — `ON CONFLICT DO NOTHING` on a natural or client-generated unique key, an upsert, `createMany({ skipDuplicates: true })` — or run each attempt in a transaction so a failed attempt leaves nothing behind.';
    default:
      return 'Generate the key once, before the loop (or derive it from the operation), and send the same key on every attempt.';
  }
}

function calleeName(n: ts.Node): string {
  const t = (ts.isCallExpression(n) || ts.isNewExpression(n) ? n.expression : n).getText().replace(/\s+/g, '').replace(/^this\./, '');
  return t.length > 50 ? `${t.slice(0, 47)}…` : t;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
