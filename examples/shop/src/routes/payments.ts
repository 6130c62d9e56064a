import { Router } from 'express';
import { z } from 'zod';
import { stripe } from '@/clients/stripe';
import { attachProviderRef, findPayment, findPaymentByProviderRef, insertRefund } from '@/repositories/payments';

export const paymentsRouter = Router();

const paymentParams = z.object({ paymentId: z.coerce.number().int().positive() });

const lookupQuery = z.object({ providerRef: z.string().startsWith('pi_') });

const refundBody = z.object({
  amountCents: z.number().int().positive(),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).default('requested_by_customer'),
});

// Starts the card payment of a checkout. The PaymentIntent is keyed by the payment's own idempotency
// key, so a retry gets the same intent back; the webhook processor settles the payment later.
paymentsRouter.post('/:paymentId/intent', async (req, res) => {
  const { paymentId } = paymentParams.parse(req.params);
  const payment = await findPayment(paymentId);
  if (!payment || payment.status !== 'pending') {
    res.status(409).json({ error: 'payment_not_pending' });
    return;
  }
  const intent = await stripe.paymentIntents.create(
    {
      amount: payment.amount_cents,
      currency: payment.currency.toLowerCase(),
      metadata: { payment_id: String(payment.id), order_id: String(payment.order_id) },
      automatic_payment_methods: { enabled: true },
    },
    { idempotencyKey: `pi:${payment.idempotency_key}` },
  );
  await attachProviderRef(payment.id, intent.id);
  res.status(201).json({ paymentIntentId: intent.id, clientSecret: intent.client_secret });
});

// Support: find a payment by its PaymentIntent id.
paymentsRouter.get('/', async (req, res) => {
  const { providerRef } = lookupQuery.parse(req.query);
  const payment = await findPaymentByProviderRef(providerRef);
  if (!payment) {
    res.sendStatus(404);
    return;
  }
  res.json(payment);
});

paymentsRouter.get('/:paymentId', async (req, res) => {
  const { paymentId } = paymentParams.parse(req.params);
  const payment = await findPayment(paymentId);
  if (!payment) {
    res.sendStatus(404);
    return;
  }
  res.json(payment);
});

// Refund (support tool). Partial refunds are allowed; Stripe rejects more than the captured amount.
paymentsRouter.post('/:paymentId/refunds', async (req, res) => {
  const { paymentId } = paymentParams.parse(req.params);
  const { amountCents, reason } = refundBody.parse(req.body);
  const payment = await findPayment(paymentId);
  if (!payment || payment.status !== 'succeeded' || !payment.provider_ref) {
    res.status(409).json({ error: 'payment_not_refundable' });
    return;
  }
  const refund = await stripe.refunds.create({
    payment_intent: payment.provider_ref,
    amount: amountCents,
    reason,
    metadata: { payment_id: String(payment.id) },
  });
  const row = await insertRefund({ paymentId: payment.id, amountCents, reason });
  res.status(201).json({ id: row.id, providerRefundId: refund.id, status: refund.status });
});
