import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Effect } from '../../src/code/effects.js';
import type { CodeFile } from '../../src/code/project.js';
import { carriesKey, describeThrough, divergence, exclusive, fileAt, flowName, flowsOf, isOutboxTable, isWrite, siteAt, pairFlow, writeTable, describeWrite } from '../../src/code/flows.js';

/** A message or a call to another system that a database rollback cannot take back. */
function isExternal(e: Effect): boolean {
  const f = e.facts;
  if (f.kind === 'publish') return true;
  if (f.kind === 'http') return (f.method === 'POST' || f.method === 'PUT' || f.method === 'PATCH') && !carriesKey(e);
  if (f.kind === 'payment') return f.moneyMovement === true && (f.idempotencyKey === false || !carriesKey(e));
  return false;
}

function isBusinessWrite(e: Effect): boolean {
  return isWrite(e) && !isOutboxTable(writeTable(e));
}

function externalWord(e: Effect): string {
  if (e.facts.kind === 'publish') return 'message';
  if (e.facts.kind === 'payment') return 'payment';
  return 'request';
}

export default defineRule({
  id: 'no-dual-write',
  family: 'code',
  meta: {
    description: 'A flow writes to the database and also publishes a message or calls another service, with no transactional outbox between them — including a publish inside a transaction, which goes out before the commit.',
    rationale: 'The database and the broker (or the other service) cannot commit together: a crash between the two, a failed publish or a rolled-back transaction leaves one side changed and the other not — lost events, or events about data that never existed.',
    remedy: 'Insert the event into an outbox table in the same transaction as the business write, and let a relay (a poller or CDC such as Debezium) publish committed outbox rows.',
    severity: 'warning',
    precision: 'high',
    tags: ['consistency', 'messaging', 'outbox'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const flows = flowsOf(analysis);
    const reported = new Set<ts.Node>();
    for (const { fn, file: rootFile } of flows.roots()) {
      if (flows.inUnknownTransaction(fn)) continue;
      const flow = flows.flow(fn);
      const hasOutbox = flow.some((e) => isWrite(e) && isOutboxTable(writeTable(e)));
      for (const [index, ext] of flow.entries()) {
        if (!isExternal(ext)) continue;
        const where = flowName(fn);
        // 1. Inside a transaction that also writes: it goes out before the commit.
        if (ext.tx) {
          const write = flow.find((w) => isBusinessWrite(w) && w.tx?.node === ext.tx?.node);
          if (write) {
            const at = place(ext, write, rootFile);
            if (reported.has(at.node)) continue;
            reported.add(at.node);
            ctx.report({
              ...at,
              message: `${capital(describeThrough(ext, at.node))} runs inside the transaction that writes ${tableOf(write)} in ${where}: the ${externalWord(ext)} goes out before the transaction commits.`,
              why: `If the transaction rolls back (a later statement fails, a deadlock, a crash before COMMIT), the ${externalWord(ext)} has already been sent about a change that never happened; and even on success, a consumer may read before the commit and not find the row.`,
              remedy: ext.facts.kind === 'publish' ? 'Insert the event into an outbox table inside the transaction instead, and publish committed outbox rows from a relay.' : 'Make the call after the commit, recorded first as a pending row in the transaction (an outbox or a job table) so a worker can retry it.',
              related: [{ node: write.node, file: write.file, message: `the write in the same transaction: ${describeWrite(write)}` }],
              flow: ext.via.length > 0 || write.via.length > 0 ? pairFlow(write, ext) : undefined,
              properties: { call: ext.facts.api, kind: 'inside-transaction' },
            });
            continue;
          }
        }
        if (hasOutbox) continue;
        // 2. After a committed write, outside any transaction: a crash between them loses the message.
        const before = flow.slice(0, index).find((w) => isBusinessWrite(w) && sequential(w, ext));
        if (before) {
          const atBefore = place(ext, before, rootFile);
          if (reported.has(atBefore.node)) continue;
          reported.add(atBefore.node);
          ctx.report({
            ...atBefore,
            message: `${capital(describeThrough(ext, atBefore.node))} follows ${describeWrite(before)} in ${where} with no outbox: the database write and the ${externalWord(ext)} do not commit together.`,
            why: `If the process crashes or the ${externalWord(ext)} fails after the write has committed, ${tableOf(before)} is changed but the ${externalWord(ext)} is never sent: downstream systems silently miss the change and nothing sends it again.`,
            remedy: ext.facts.kind === 'publish'
              ? 'Insert the event into an outbox table in the same transaction as the write, and publish committed outbox rows from a relay (a poller or Debezium).'
              : 'Record the call as a pending row (outbox or job table) in the same transaction as the write, and make the call from a worker that retries it with an idempotency key.',
            related: [{ node: before.node, file: before.file, message: `the database write: ${describeWrite(before)}` }],
            flow: ext.via.length > 0 || before.via.length > 0 ? pairFlow(before, ext) : undefined,
            properties: { call: ext.facts.api, kind: 'after-write' },
          });
          continue;
        }
        // 3. Sent before the write: if the write then fails, the other side acts on a change that never
        // happened (and a retry sends it again).
        if (ext.tx) continue;
        const after = flow.slice(index + 1).find((w) => isBusinessWrite(w) && sequential(ext, w));
        const atAfter = after ? place(ext, after, rootFile) : undefined;
        if (after && atAfter && !reported.has(atAfter.node)) {
          reported.add(atAfter.node);
          ctx.report({
            ...atAfter,
            message: `${capital(describeThrough(ext, atAfter.node))} is made before ${describeWrite(after)} in ${where}, with no outbox: the ${externalWord(ext)} and the database write do not commit together.`,
            why: ext.facts.kind === 'publish'
              ? `If the write fails or the process crashes after the publish, consumers act on a change that ${tableOf(after)} never records — an event about data that does not exist.`
              : `If the write fails or the process crashes after the call, the other system has acted (${ext.facts.kind === 'payment' ? 'the money has moved' : 'the request was applied'}) but ${tableOf(after)} does not know it, and a retry repeats the call with nothing to deduplicate it.`,
            remedy: ext.facts.kind === 'publish'
              ? 'Write first and insert the event into an outbox table in the same transaction; a relay publishes it once the transaction has committed.'
              : 'Record the intent first (a pending row committed before the call), make the call with an idempotency key derived from that row, then record the result — so a retry or a reconciliation job can finish it safely.',
            related: [{ node: after.node, file: after.file, message: `the database write: ${describeWrite(after)}` }],
            flow: ext.via.length > 0 || after.via.length > 0 ? pairFlow(ext, after) : undefined,
            properties: { call: ext.facts.api, kind: 'before-write' },
          });
        }
      }
    }
  },
});

/** The call as the flow makes it, seen from where it parts from the write: the publish itself, or the call of the helper that publishes. */
function place(ext: Effect, write: Effect, rootFile: CodeFile): { node: ts.Node; file: CodeFile } {
  const k = divergence(ext, write);
  return { node: siteAt(ext, k), file: fileAt(ext, k) };
}

/** Both run in one pass of the flow (not in exclusive branches). */
function sequential(a: Effect, b: Effect): boolean {
  const k = divergence(a, b);
  const sa = siteAt(a, k);
  const sb = siteAt(b, k);
  return sa !== sb && !exclusive(sa, sb);
}

function tableOf(e: Effect): string {
  return writeTable(e) ? `\`${writeTable(e)}\`` : 'the database';
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
