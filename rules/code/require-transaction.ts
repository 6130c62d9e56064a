import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Effect } from '../../src/code/effects.js';
import { describeThrough, divergence, exclusive, fileAt, flowName, flowsOf, isAuditTable, isStrictOutboxTable, isWrite, sameOccurrence, sameTransaction, siteAt, pairFlow, writeTable, describeWrite } from '../../src/code/flows.js';

export default defineRule({
  id: 'require-transaction',
  family: 'code',
  meta: {
    description: 'Two or more database writes in one flow (a handler, a consumer, a job, a service method and the helpers it calls) that are not inside one transaction.',
    rationale: 'Each statement commits on its own: a crash, a timeout or a failed second statement after the first has committed leaves half-written state (an order without its items, a debit without its credit) that nothing rolls back.',
    remedy: 'Run the writes inside one transaction: a `$transaction` / `dataSource.transaction` callback, or `BEGIN` … `COMMIT` on one checked-out client, passing the transaction client to every helper that writes.',
    severity: 'warning',
    precision: 'high',
    tags: ['consistency', 'transactions'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const flows = flowsOf(analysis);
    const reported = new Set<ts.Node>();
    for (const { fn, file } of flows.roots()) {
      if (flows.inUnknownTransaction(fn)) continue;
      const writes = flows.flow(fn).filter(isWrite);
      const pair = firstPair(fn, writes);
      if (!pair) continue;
      const [first, second] = pair;
      const k = divergence(first, second);
      // The second write as the flow makes it: the write itself, or the call of the helper that performs it.
      const primary = { node: siteAt(second, k), file: fileAt(second, k) };
      if (reported.has(primary.node)) continue;
      reported.add(primary.node);
      ctx.report({
        ...primary,
        message: `${capital(describeThrough(second, primary.node, describeWrite))} follows ${describeThrough(first, siteAt(first, k), describeWrite)} in ${flowName(fn)}, but the two writes are not in one transaction.`,
        why: `Each write commits on its own: if the process crashes, times out or the second write fails after the first has committed, the change to ${tableWord(first)} stays and the change to ${tableWord(second)} never happens — half-written data that nothing rolls back.`,
        remedy: remedyFor(first),
        related: [{ node: first.node, file: first.file, message: `the first write: ${describeWrite(first)}` }],
        flow: first.via.length > 0 || second.via.length > 0 ? pairFlow(first, second) : undefined,
        properties: { first: first.facts.api, second: second.facts.api, ...(second.facts.table ? { table: second.facts.table } : {}) },
      });
    }
  },
});

/** The earliest write that follows another write of the flow outside a common transaction. */
function firstPair(root: Parameters<typeof sameTransaction>[0], writes: Effect[]): [Effect, Effect] | undefined {
  for (let j = 1; j < writes.length; j++) {
    const b = writes[j];
    for (let i = 0; i < j; i++) {
      const a = writes[i];
      if (sameOccurrence(a, b)) continue;
      if (a.facts.lib !== b.facts.lib) continue;
      // Bookkeeping next to bookkeeping (an audit row and an outbox row) is not business state.
      if (sideTable(writeTable(a)) && sideTable(writeTable(b))) continue;
      if (sameTransaction(root, a, b)) continue;
      const k = divergence(a, b);
      const sa = siteAt(a, k);
      const sb = siteAt(b, k);
      if (sa === sb) continue;
      if (exclusive(sa, sb)) continue;
      // Two tasks started side by side (`Promise.all([runRelay(), runProcessor()])`), each committing its own transaction.
      if (a.tx && b.tx && concurrentBranches(sa, sb)) continue;
      const [x, y] = sa.getStart() <= sb.getStart() ? [a, b] : [b, a];
      // A status lifecycle (claim → run → complete) or a checkpoint row: one row written twice on purpose.
      if (sameRow(x, y, k)) continue;
      return [x, y];
    }
  }
  return undefined;
}

/** Different elements of one `Promise.all([...])` / `Promise.allSettled([...])`: they run concurrently, not in sequence. */
function concurrentBranches(a: ts.Node, b: ts.Node): boolean {
  const ancestors = new Set<ts.Node>();
  for (let n: ts.Node | undefined = a; n; n = n.parent) ancestors.add(n);
  let lca: ts.Node | undefined = b;
  while (lca && !ancestors.has(lca)) lca = lca.parent;
  if (!lca) return false;
  const list = ts.isArrayLiteralExpression(lca) ? lca.parent : lca;
  return ts.isCallExpression(list) && /^Promise\.(?:all|allSettled)$/.test(list.expression.getText());
}

function sideTable(table: string | undefined): boolean {
  return isAuditTable(table) || isStrictOutboxTable(table);
}

function tableWord(e: Effect): string {
  return writeTable(e) ? `\`${writeTable(e)}\`` : 'the database';
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function remedyFor(e: Effect): string {
  switch (e.facts.lib) {
    case 'prisma':
      return 'Wrap both writes in `prisma.$transaction(async (tx) => { … })` (or `$transaction([…])`) and issue them through `tx`, including in the helpers that write.';
    case 'typeorm':
      return 'Wrap both writes in `dataSource.transaction(async (manager) => { … })` (or a query runner between `startTransaction` and `commitTransaction`) and write through that manager.';
    default:
      return 'Check out one client (`const client = await pool.connect()`), run `BEGIN`, both writes and `COMMIT` on it (`ROLLBACK` in `catch`, `release()` in `finally`), and pass that client to the helpers that write.';
  }
}

/**
 * The later write updates the very row the earlier one wrote, in the same function: `update … where id =
 * jobId` twice (PENDING → PROCESSING … COMPLETED around the work), or `create` then `update … where id =
 * task.id`. The intermediate state is meant to be seen, so one transaction around both would be wrong.
 */
function sameRow(first: Effect, second: Effect, k: number): boolean {
  if (first.via.length !== k || second.via.length !== k) return false;
  if (second.facts.write !== 'update' || !writeTable(first) || writeTable(first) !== writeTable(second)) return false;
  const target = rowKey(second.node);
  if (!target) return false;
  return writtenRowKeys(first.node).includes(target);
}

/** The text of the `id` a Prisma-style write is keyed by: `where: { id: jobId }` → `jobId`. */
function rowKey(call: ts.Node): string | undefined {
  if (!ts.isCallExpression(call)) return undefined;
  const arg = call.arguments[0] && skip(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return undefined;
  const where = property(arg, 'where');
  if (!where || !ts.isObjectLiteralExpression(where)) return undefined;
  const id = where.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'id');
  if (id && ts.isShorthandPropertyAssignment(id)) return id.name.text;
  if (id && ts.isPropertyAssignment(id)) return skip(id.initializer).getText().replace(/\s+/g, '');
  return undefined;
}

/** Keys naming the row a write touched: its own `where` id, or the variable its result went to (`task` → `task.id`). */
function writtenRowKeys(call: ts.Node): string[] {
  const keys: string[] = [];
  const own = rowKey(call);
  if (own) keys.push(own);
  let n: ts.Node = call;
  while (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) keys.push(`${p.name.text}.id`);
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n && ts.isIdentifier(p.left)) keys.push(`${p.left.text}.id`);
  return keys;
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const p = obj.properties.find((x) => x.name && ts.isIdentifier(x.name) && x.name.text === name);
  return p && ts.isPropertyAssignment(p) ? skip(p.initializer) : undefined;
}

function skip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}
