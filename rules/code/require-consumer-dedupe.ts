import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import type { Entry } from '../../src/code/entries.js';
import type { Effect } from '../../src/code/effects.js';
import { chainText, codeText, describeWrite, isDedupeWrite, isNonIdempotent } from '../../src/code/flows.js';
import { flowOf } from '../../src/code/report.js';

/**
 * A consumer that deduplicates names the message's identity: `messageId`, `message.properties.messageId`,
 * `record.messageId`, `job.id`, `event.id`, an `x-event-id` header, a `processed_events`/inbox table, `dedup…`.
 */
const DEDUPE_SIGNAL = /idempoten|dedup|\bmessage_?id\b|\bmsg_?id\b|\bevent_?id\b|\bjob\.id\b|\bjobId\b|\bevent\.id\b|x-(?:event|message)-id|processed_?(?:events|messages)|\binbox\b/i;

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
  if (DEDUPE_SIGNAL.test(codeText(entry.fn)) || DEDUPE_SIGNAL.test(codeText(entry.registration))) return true;
  return DEDUPE_SIGNAL.test(chainText(entry.fn, effects.filter((e) => e.via.length > 0)));
}

function consequence(e: Effect): string {
  switch (e.facts.kind) {
    case 'db.write':
      if (e.facts.write === 'update') return `applies the change to ${e.facts.table ? `\`${e.facts.table}\`` : 'the row'} twice`;
      return `inserts a second row into ${e.facts.table ? `\`${e.facts.table}\`` : 'the table'}`;
    case 'payment':
      return 'moves the money twice';
    case 'publish':
      return 'publishes its follow-up message twice';
    default:
      return 'repeats the call to the other service';
  }
}
