import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Entry } from '../../src/code/entries.js';
import type { Effect } from '../../src/code/effects.js';
import type { FnNode } from '../../src/code/resolve.js';
import { chainText, codeText, describeWrite, flowName, isDedupeWrite, isNonIdempotent, isOutboxTable } from '../../src/code/flows.js';
import { flowOf } from '../../src/code/report.js';

const METHODS = new Set(['POST', 'PUT', 'PATCH', 'MUTATION', 'ACTION']);

/** A header, a field or a variable that carries a client-chosen key: `Idempotency-Key`, `idempotencyKey`, `requestId`, `dedupeKey`. */
const KEY_SIGNAL = /idempoten|request[-_]?id|dedup/i;

export default defineRule({
  id: 'require-idempotency-key',
  family: 'code',
  meta: {
    description: 'A POST/PUT/PATCH handler, tRPC or GraphQL mutation or server action performs a non-idempotent write (an insert without ON CONFLICT, an external POST, a payment, a publish) without reading an idempotency key or deduplicating on a unique column.',
    rationale: 'Clients, proxies and SDKs retry a request whose response was lost (a timeout, a dropped connection, a double click): without a key to recognise the retry, each attempt creates another order, charge or message.',
    remedy: 'Accept an `Idempotency-Key` header (or a client-generated id in the body), store it with a unique constraint in the same transaction as the write (`INSERT … ON CONFLICT (key) DO NOTHING`), and return the stored result when it is seen again.',
    severity: 'warning',
    precision: 'medium',
    tags: ['idempotency', 'retries', 'api'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    for (const entry of analysis.entries()) {
      if (entry.kind !== 'http' || !entry.method || !METHODS.has(entry.method) || reported.has(entry.anchor)) continue;
      const effects = analysis.summary(entry.fn).effects;
      // A status transition guarded in its WHERE (`… WHERE id = $1 AND status = 'pending'`) runs once: a
      // retry finds the row already moved and stops, so the message announcing it is not sent twice.
      // The same when the handler reads the row and checks its status first (`if (order.status !== 'paid')`).
      const guarded = effects.some(isGuardedTransition) || (effects.some(isStatusUpdate) && checksStatus(entry.fn, effects));
      const write = effects.find((e) => isNonIdempotent(e) && !(guarded && announces(e)));
      if (!write) continue;
      if (effects.some(isDedupeWrite)) continue;
      if (readsKey(entry, effects)) continue;
      reported.add(entry.anchor);
      const name = handlerName(entry);
      ctx.report({
        node: entry.anchor,
        file: entry.file,
        message: `${name} performs ${describeWrite(write)} but reads no idempotency key and does not deduplicate: a retried request ${consequence(write)}.`,
        why: 'Retries are normal — a client or proxy times out and sends the request again, a user double-clicks — and without a key the server cannot tell a retry from a new request, so the write happens twice.',
        remedy: remedyFor(write),
        related: [{ node: write.node, file: write.file, message: `the non-idempotent write: ${describeWrite(write)}` }],
        flow: write.via.length > 0 ? flowOf(write) : undefined,
        properties: { method: entry.method, framework: entry.framework, ...(entry.route ? { route: entry.route } : {}), write: write.facts.api },
      });
    }
  },
});

/** A message, a call or an outbox row that tells others about a change. */
function announces(e: Effect): boolean {
  return e.facts.kind === 'publish' || e.facts.kind === 'http' || (e.facts.kind === 'db.write' && isOutboxTable(e.facts.table));
}

const STATE_COLUMN = /^(?:status|state)$/i;

/** The handler or a function it calls tests a row's status: `if (order.status !== 'paid')`, `canTransition(record.status, …)` in a condition. */
function checksStatus(root: FnNode, effects: Effect[]): boolean {
  const fns = new Set<ts.Node>([root]);
  for (const e of effects) for (const s of e.via) fns.add(s.target);
  for (const fn of fns) {
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isPropertyAccessExpression(n) && STATE_COLUMN.test(n.name.text) && inCondition(n)) found = true;
      n.forEachChild(visit);
    };
    visit(fn);
    if (found) return true;
  }
  return false;
}

function inCondition(n: ts.Node): boolean {
  for (let c: ts.Node = n; c.parent && !ts.isBlock(c.parent) && !ts.isSourceFile(c.parent); c = c.parent) {
    const p = c.parent;
    if ((ts.isIfStatement(p) || ts.isWhileStatement(p)) && p.expression === c) return true;
    if (ts.isConditionalExpression(p) && p.condition === c) return true;
    if (ts.isBinaryExpression(p) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken].includes(p.operatorToken.kind)) return true;
  }
  return false;
}

/** An update by key that sets a status or state column. */
function isStatusUpdate(e: Effect): boolean {
  const f = e.facts;
  if (f.kind !== 'db.write' || f.write !== 'update') return false;
  if (f.sql) return f.sql.shape.set.some((x) => STATE_COLUMN.test(x.column));
  return /\b(?:status|state)\b/i.test(codeText(e.node)) || /status|state/i.test(e.facts.api);
}

/** An update conditioned on the row's current status or state (a compare-and-set transition). */
function isGuardedTransition(e: Effect): boolean {
  const f = e.facts;
  if (f.kind !== 'db.write' || f.write !== 'update') return false;
  if (f.sql) return f.sql.shape.filters.some((x) => STATE_COLUMN.test(x.column));
  if (!ts.isCallExpression(e.node)) return false;
  // Prisma `where: { id, status: 'PENDING' }`, TypeORM `update({ id, status: In([…]) }, …)`, a query
  // builder's `.where(… status …)` link.
  const texts: string[] = [];
  for (let c: ts.Expression = e.node; ts.isCallExpression(c); ) {
    const callee = c.expression;
    if (ts.isPropertyAccessExpression(callee) && /^(?:where|andWhere)$/.test(callee.name.text)) texts.push(...c.arguments.map((a) => codeText(a)));
    const first = c.arguments[0];
    if (first && ts.isObjectLiteralExpression(first)) {
      const where = first.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'where');
      if (where && ts.isPropertyAssignment(where)) texts.push(codeText(where.initializer));
      else if (f.lib === 'typeorm') texts.push(codeText(first));
    }
    if (!ts.isPropertyAccessExpression(callee)) break;
    c = callee.expression;
  }
  return texts.some((t) => /\b(?:status|state)\b/i.test(t));
}

/** The handler, its registration (middleware), its class decorators or the functions it calls mention a key. */
function readsKey(entry: Entry, effects: Effect[]): boolean {
  if (KEY_SIGNAL.test(codeText(entry.fn)) || KEY_SIGNAL.test(codeText(entry.registration))) return true;
  // NestJS: `@UseInterceptors(IdempotencyInterceptor)` on the controller.
  for (let n: ts.Node | undefined = entry.fn.parent; n; n = n.parent) {
    if (ts.isClassDeclaration(n) && (ts.getDecorators(n) ?? []).some((d) => KEY_SIGNAL.test(codeText(d)))) return true;
  }
  // Express/Koa/Hono/Fastify: `router.use(idempotency())`, `app.addHook('preHandler', idempotencyHook)` in the file.
  if (usesKeyMiddleware(entry.file.ast)) return true;
  return KEY_SIGNAL.test(chainText(entry.fn, effects.filter((e) => e.via.length > 0)));
}

const middlewareCache = new WeakMap<ts.SourceFile, boolean>();

function usesKeyMiddleware(sf: ts.SourceFile): boolean {
  const known = middlewareCache.get(sf);
  if (known !== undefined) return known;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(?:use|addHook|register)$/.test(n.expression.name.text) && n.arguments.some((a) => KEY_SIGNAL.test(codeText(a)))) found = true;
    n.forEachChild(visit);
  };
  visit(sf);
  middlewareCache.set(sf, found);
  return found;
}

function handlerName(entry: Entry): string {
  if (entry.method === 'MUTATION') return entry.framework === 'trpc' ? 'This tRPC mutation' : `The GraphQL mutation \`${entry.fn.name?.getText() ?? ''}\``;
  if (entry.method === 'ACTION') return `The server action${ts.isIdentifier(entry.anchor) ? ` \`${entry.anchor.text}\`` : ''}`;
  if (entry.route) return `The \`${entry.method} ${entry.route}\` handler`;
  if (entry.framework === 'next') return `The \`${entry.method}\` route handler of \`${entry.file.source.relPath}\``;
  return `The \`${entry.method}\` handler ${flowName(entry.fn)}`;
}

function consequence(e: Effect): string {
  switch (e.facts.kind) {
    case 'db.write':
      return `inserts a second row into ${e.facts.table ? `\`${e.facts.table}\`` : 'the table'}`;
    case 'payment':
      return 'moves the money twice';
    case 'publish':
      return 'publishes the message twice';
    default:
      return 'repeats the call to the other service';
  }
}

function remedyFor(e: Effect): string {
  if (e.facts.kind === 'payment') return 'Read an `Idempotency-Key` header, store it with a unique constraint before charging, and pass it to the provider (`{ idempotencyKey }`) so a retry returns the first charge.';
  if (e.facts.kind === 'db.write') return 'Read an `Idempotency-Key` header (or a client-generated id) and make the insert conflict on it (`INSERT … ON CONFLICT (idempotency_key) DO NOTHING`, `upsert`), returning the existing row on a retry.';
  return 'Read an `Idempotency-Key` header, record it with a unique constraint in the same transaction as the request\'s effects, and replay the stored response when the key is seen again.';
}
