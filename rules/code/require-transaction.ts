import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Effect } from '../../src/code/effects.js';
import { divergence, exclusive, fileAt, flowName, flowsOf, isAuditTable, isOutboxTable, sameOccurrence, sameTransaction, siteAt, pairFlow } from '../../src/code/flows.js';
import { describeEffect } from '../../src/code/report.js';

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
      const writes = flows.flow(fn).filter((e) => e.facts.kind === 'db.write');
      const pair = firstPair(fn, writes);
      if (!pair) continue;
      const [first, second] = pair;
      const k = divergence(first, second);
      // The second write as the flow makes it: the write itself, or the call of the helper that performs it.
      const primary = { node: siteAt(second, k), file: fileAt(file, second, k) };
      if (reported.has(primary.node)) continue;
      reported.add(primary.node);
      ctx.report({
        ...primary,
        message: `${capital(describeEffect(second))} follows ${describeEffect(first)} in ${flowName(fn)}, but the two writes are not in one transaction.`,
        why: `Each write commits on its own: if the process crashes, times out or the second write fails after the first has committed, the change to ${tableWord(first)} stays and the change to ${tableWord(second)} never happens — half-written data that nothing rolls back.`,
        remedy: remedyFor(first),
        related: [{ node: first.node, file: first.file, message: `the first write: ${describeEffect(first)}` }],
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
      if (sideTable(a.facts.table) && sideTable(b.facts.table)) continue;
      if (sameTransaction(root, a, b)) continue;
      const k = divergence(a, b);
      const sa = siteAt(a, k);
      const sb = siteAt(b, k);
      if (sa === sb) continue;
      if (exclusive(sa, sb)) continue;
      return sa.getStart() <= sb.getStart() ? [a, b] : [b, a];
    }
  }
  return undefined;
}

function sideTable(table: string | undefined): boolean {
  return isAuditTable(table) || isOutboxTable(table);
}

function tableWord(e: Effect): string {
  return e.facts.table ? `\`${e.facts.table}\`` : 'the database';
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
