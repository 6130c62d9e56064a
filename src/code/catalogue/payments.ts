/** Payment providers: which calls move money, and where their idempotency key goes. */
import { ts } from 'ts-morph';
import { apiText, argsOf, hasOption, objectOf } from './helpers.js';
import type { CallSite, LibraryEntry } from './types.js';

/** Stripe resources and the methods that create, capture or move money (Stripe takes `{ idempotencyKey }` as request options). */
const STRIPE_MONEY: Record<string, string[]> = {
  paymentIntents: ['create', 'confirm', 'capture'],
  charges: ['create', 'capture'],
  refunds: ['create'],
  transfers: ['create', 'createReversal'],
  payouts: ['create'],
  subscriptions: ['create'],
  invoices: ['pay', 'create'],
  setupIntents: ['create', 'confirm'],
  topups: ['create'],
  applicationFees: ['createRefund'],
  creditNotes: ['create'],
  customers: ['createBalanceTransaction'],
};

/** Whether any object argument of the call sets one of the keys (request options come last). */
export function anyOption(site: CallSite, keys: string[]): boolean | undefined {
  let unknown = false;
  for (const arg of argsOf(site.call)) {
    const obj = objectOf(site, arg);
    if (!obj) {
      if (!ts.isStringLiteralLike(arg) && !ts.isIdentifier(arg) && !ts.isPropertyAccessExpression(arg)) unknown = true;
      continue;
    }
    const r = hasOption(site, obj, keys);
    if (r) return true;
    if (r === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

const stripe: LibraryEntry = {
  id: 'stripe',
  modules: ['stripe'],
  calls: [
    {
      path: 'stripe**.*.*',
      construct: false,
      describe: (site) => {
        const parts = site.callee.path.split('.');
        const method = parts[parts.length - 1];
        const resource = parts[parts.length - 2];
        const money = STRIPE_MONEY[resource]?.includes(method) ?? false;
        if (!money && !/^(?:create|update|del|cancel|retrieve|list|search)/.test(method)) return undefined;
        return { kind: 'payment', lib: 'stripe', api: apiText(site.call), moneyMovement: money, idempotencyKey: anyOption(site, ['idempotencyKey']) !== false, bounded: true, method: /^(?:retrieve|list|search)/.test(method) ? 'GET' : 'POST' };
      },
    },
  ],
};

export const paymentLibraries: LibraryEntry[] = [stripe];
