import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Entry } from '../../src/code/entries.js';
import type { Effect } from '../../src/code/effects.js';
import { chainText, codeText, describeWrite, isDedupeWrite, isNonIdempotent, fnAt, siteAt } from '../../src/code/flows.js';
import type { FnNode } from '../../src/code/resolve.js';
import { flowOf } from '../../src/code/report.js';

/** Names of a deduplication mechanism: an inbox or processed-messages table, a dedup or idempotency helper. */
const DEDUPE_MECHANISM = /idempoten|dedup|processed_?(?:events|messages)|\binbox\b/i;

/**
 * The message's identity: `messageId`, `message.properties.messageId`, `record.messageId`, `eventId`,
 * `event.id`, `job.id`, an `x-event-id` header. It counts when it is handed to a query, a write or a call
 * that leads to one — not when it is only logged.
 */
const MESSAGE_ID = /\bmessage_?id\b|\bmsg_?id\b|\bevent_?id\b|\bjob\.id\b|\bjobId\b|\bevent\.id\b|x-(?:event|message)-id|\bMessageId\b/i;

const FRAMEWORK: Record<string, string> = {
  kafkajs: 'kafkajs consumer',
  amqplib: 'RabbitMQ (amqplib) consumer',
  bullmq: 'BullMQ worker',
  'nestjs-bullmq': 'BullMQ processor',
  nestjs: 'NestJS message handler',
  lambda: 'Lambda event handler',
  'sqs-consumer': 'SQS consumer',
};

export default defineRule({
  id: 'require-consumer-dedupe',
  family: 'code',
  meta: {
    description: 'A message consumer (kafkajs, amqplib, SQS/Lambda, BullMQ, NestJS microservices) performs a non-idempotent write without deduplicating on the message id.',
    rationale: 'Brokers deliver at least once: after a crash, a rebalance, a visibility timeout or a failed ack the same message is delivered again, and a consumer that does not recognise it inserts, charges or publishes a second time.',
    remedy: 'Record the message id in a processed-messages (inbox) table with a unique constraint in the same transaction as the write (`INSERT … ON CONFLICT (message_id) DO NOTHING`, and skip when nothing was inserted), or make the write itself an upsert keyed by the event id.',
    severity: 'warning',
    precision: 'medium',
    tags: ['idempotency', 'messaging', 'at-least-once'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    for (const entry of analysis.entries()) {
      if (entry.kind !== 'consumer' || reported.has(entry.anchor)) continue;
      const effects = analysis.summary(entry.fn).effects;
      const write = effects.find(isNonIdempotent);
      if (!write) continue;
      if (effects.some(isDedupeWrite)) continue;
      if (dedupes(entry, effects)) continue;
      reported.add(entry.anchor);
      const what = FRAMEWORK[entry.framework] ?? 'message consumer';
      ctx.report({
        node: entry.anchor,
        file: entry.file,
        message: `This ${what} performs ${describeWrite(write)} without deduplicating on the message id: a redelivered message ${consequence(write)}.`,
        why: 'Delivery is at-least-once: a crash before the ack or commit, a consumer-group rebalance or an expired visibility timeout hands the same message over again, and nothing here recognises it.',
        remedy: 'Insert the message id into a processed-messages table with a unique constraint in the same transaction as the write (`ON CONFLICT (message_id) DO NOTHING`, skip if nothing was inserted), or make the write an upsert keyed by the event id.',
        related: [{ node: write.node, file: write.file, message: `the non-idempotent write: ${describeWrite(write)}` }],
        flow: write.via.length > 0 ? flowOf(write) : undefined,
        properties: { framework: entry.framework, write: write.facts.api },
      });
    }
  },
});

function dedupes(entry: Entry, effects: Effect[]): boolean {
  if (DEDUPE_MECHANISM.test(codeText(entry.fn)) || DEDUPE_MECHANISM.test(codeText(entry.registration))) return true;
  if (DEDUPE_MECHANISM.test(chainText(entry.fn, effects.filter((e) => e.via.length > 0)))) return true;
  // The message id handed to the database, a cache or a service (directly or through helpers).
  return effects.some((e) => idReaches(entry.fn, e));
}

/** Whether the message id reaches the arguments of the effect, following it through helper parameters. */
function idReaches(root: FnNode, e: Effect): boolean {
  let names = new Set<string>();
  const mentions = (a: ts.Node) => {
    const text = codeText(a);
    return MESSAGE_ID.test(text) || [...names].some((n) => new RegExp(`\\b${n}\\b`).test(text));
  };
  for (let level = 0; level <= e.via.length; level++) {
    // Local names built from it: `const key = \`evt:${event.id}\``.
    const fn = fnAt(root, e, level);
    for (let pass = 0; pass < 2; pass++) {
      const visit = (n: ts.Node): void => {
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && mentions(n.initializer)) names.add(n.name.text);
        n.forEachChild(visit);
      };
      if (fn.body) visit(fn.body);
    }
    const site = siteAt(e, level);
    const args: readonly ts.Node[] = ts.isCallExpression(site) || ts.isNewExpression(site) ? (site.arguments ?? []) : ts.isTaggedTemplateExpression(site) ? [site.template] : [];
    if (level === e.via.length) return args.some(mentions);
    const target = e.via[level].target;
    const next = new Set<string>();
    args.forEach((a, i) => {
      const p = target.parameters[i];
      if (p && ts.isIdentifier(p.name) && mentions(a)) next.add(p.name.text);
    });
    names = next;
  }
  return false;
}

function consequence(e: Effect): string {
  switch (e.facts.kind) {
    case 'db.write':
      return `inserts a second row into ${e.facts.table ? `\`${e.facts.table}\`` : 'the table'}`;
    case 'payment':
      return 'moves the money twice';
    case 'publish':
      return 'publishes its follow-up message twice';
    default:
      return 'repeats the call to the other service';
  }
}
