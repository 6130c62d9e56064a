import Stripe from 'stripe';
import { env } from '@/config';

// Bounded requests; the SDK retries network errors itself, and only the calls we give an
// idempotency key are safe to retry.
export const stripe = new Stripe(env.STRIPE_SECRET_KEY, {
  apiVersion: '2024-06-20',
  timeout: 10_000,
  maxNetworkRetries: 2,
  appInfo: { name: 'shop-api' },
});

export type StripeEvent = Stripe.Event;
export type PaymentIntent = Stripe.PaymentIntent;
