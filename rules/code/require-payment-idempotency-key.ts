import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import { ownEffects } from '../../src/code/own-effects.js';

/** Where each provider takes its idempotency key, for the remedy; other providers get the generic advice. */
const KEY_HINT: Record<string, string> = {
  stripe: 'pass request options as the last argument: `{ idempotencyKey: `charge-${order.id}` }`',
  adyen: 'pass `{ idempotencyKey }` in the request options',
  paypal: 'send the `PayPal-Request-Id` header (the SDK’s `requestId`)',
  square: 'set `idempotencyKey` in the request body',
};

export default defineRule({
  id: 'require-payment-idempotency-key',
  family: 'code',
  meta: {
    description: 'A payment-provider call that creates, captures or refunds money without its idempotency-key option (Stripe, Adyen, PayPal, Square).',
    rationale:
      'Payment requests are retried: by the SDK on network errors, by your own retry code, by a client that resubmits. Without an idempotency key the provider cannot tell a retry from a new request, so a timeout after a successful charge turns into a second charge.',
    remedy: 'Pass an idempotency key derived from the business operation (the order or refund id plus the action), the same on every retry: Stripe `{ idempotencyKey }` request options, PayPal `PayPal-Request-Id`, Square `idempotencyKey`.',
    severity: 'error',
    precision: 'high',
    tags: ['payments', 'idempotency', 'reliability'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const reported = new Set<ts.Node>();
    for (const effect of ownEffects(ctx.analysis)) {
      const f = effect.facts;
      if (f.kind !== 'payment' || !f.moneyMovement || f.idempotencyKey !== false) continue;
      if (reported.has(effect.node)) continue;
      reported.add(effect.node);
      const hint = KEY_HINT[f.lib];
      ctx.report({
        node: effect.node,
        file: effect.file,
        message: `\`${f.api}\` moves money but sends no idempotency key.`,
        why: 'If the response is lost (a timeout, a dropped connection, a crash before the result is saved), the retry — by the SDK, your code or the customer pressing Pay again — reaches the provider as a new request and charges, captures or refunds a second time.',
        remedy: `Derive a key from the operation, stable across retries (e.g. \`charge-\${order.id}\`, never a fresh random value per attempt), and ${hint ?? 'pass it in the provider’s idempotency-key option'}.`,
        properties: { api: f.api, lib: f.lib },
      });
    }
  },
});
