/** Payment providers: which calls move money, and where their idempotency key goes. */
import { ts } from 'ts-morph';
import { skipOuter } from '../resolve.js';
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
  for (const [i, arg] of argsOf(site.call).entries()) {
    const obj = objectOf(site, arg);
    if (!obj) {
      // The first argument is an id or the params; a later one that is not a literal may be the request options (a parameter, a variable).
      if (i > 0 || (!ts.isStringLiteralLike(arg) && !ts.isTemplateExpression(arg) && !ts.isIdentifier(arg) && !ts.isPropertyAccessExpression(arg))) unknown = true;
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

/** The idempotency key in the options argument at `index`: true / false (absent, or a literal without it) / undefined (unreadable). */
function keyAt(site: CallSite, index: number, keys: string[]): boolean | undefined {
  const args = argsOf(site.call);
  if (args.length <= index) return false;
  const obj = objectOf(site, args[index]);
  return obj ? hasOption(site, obj, keys) : undefined;
}

/* ------------------------------------------------------------------------------------------------------
 * Adyen (`@adyen/api-library`). v15+: `new CheckoutAPI(client)` with service getters —
 * `checkout.PaymentsApi.payments(request, { idempotencyKey })`, `checkout.ModificationsApi
 * .captureAuthorisedPayment(pspReference, request, { idempotencyKey })`… Older versions put the same
 * methods on `CheckoutAPI` itself and the classic ones on `Modification`/`ClassicIntegration`. The key is
 * always in the request options, the argument after the request (`IRequest.Options.idempotencyKey`).
 * ---------------------------------------------------------------------------------------------------- */

/** Method → [index of the request options, moves money]. */
const ADYEN_METHODS: Record<string, [number, boolean]> = {
  payments: [1, true],
  paymentsDetails: [1, true],
  donations: [1, true],
  captureAuthorisedPayment: [2, true],
  refundCapturedPayment: [2, true],
  refundOrCancelPayment: [2, true],
  cancelAuthorisedPaymentByPspReference: [2, false],
  cancelAuthorisedPayment: [1, false],
  updateAuthorisedAmount: [2, false],
  sessions: [1, false],
  paymentLinks: [1, false],
  orders: [1, false],
  cancelOrder: [1, false],
  // Classic integration (Payments API) and legacy Modification service.
  authorise: [1, true],
  authorise3d: [1, true],
  authorise3ds2: [1, true],
  capture: [1, true],
  refund: [1, true],
  cancelOrRefund: [1, true],
  cancel: [1, false],
  payout: [1, true],
};

const ADYEN_SERVICE = /\.(?:CheckoutAPI|Checkout|Modification|ClassicIntegration|Payout|PaymentsApi|ModificationsApi|DonationsApi|PaymentLinksApi|OrdersApi|PaymentAPI|PaymentsAPI)\(\)|\.(?:PaymentsApi|ModificationsApi|DonationsApi|PaymentLinksApi|OrdersApi|ClassicIntegrationApi|PaymentsAPI|ModificationsAPI)\./;

const adyen: LibraryEntry = {
  id: 'adyen',
  modules: ['@adyen/api-library'],
  calls: [
    {
      path: '@adyen/api-library.**.*',
      construct: false,
      describe: (site) => {
        const method = site.callee.path.slice(site.callee.path.lastIndexOf('.') + 1);
        const spec = Object.prototype.hasOwnProperty.call(ADYEN_METHODS, method) ? ADYEN_METHODS[method] : undefined;
        if (!spec || !ADYEN_SERVICE.test(site.callee.path)) return undefined;
        const [optionsIndex, money] = spec;
        return { kind: 'payment', lib: 'adyen', api: apiText(site.call), method: 'POST', moneyMovement: money, idempotencyKey: keyAt(site, optionsIndex, ['idempotencyKey']), options: argsOf(site.call)[optionsIndex] };
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * Braintree (`braintree`): `gateway.transaction.sale({ amount, paymentMethodNonce, options })`. The
 * Braintree API has no idempotency key (duplicate checking is an account setting with a time window,
 * braintree/braintree_php#249), so `idempotencyKey` stays undefined: rules about a missing key stay
 * silent. Requests time out after 60 s by default (braintree_node#17).
 * ---------------------------------------------------------------------------------------------------- */

const BRAINTREE_METHODS: Record<string, Record<string, boolean>> = {
  transaction: { sale: true, submitForSettlement: true, refund: true, credit: true, cloneTransaction: true, adjustAuthorization: true, void: false },
  subscription: { create: true, retryCharge: true, cancel: false, update: false },
};

const braintree: LibraryEntry = {
  id: 'braintree',
  modules: ['braintree'],
  calls: [
    {
      path: 'braintree.**.*.*',
      construct: false,
      describe: (site) => {
        const m = /\.(?:BraintreeGateway\(\)|connect\(\))\.(transaction|subscription)\.([A-Za-z]+)$/.exec(site.callee.path);
        const money = m ? BRAINTREE_METHODS[m[1]]?.[m[2]] : undefined;
        if (money === undefined) return undefined;
        return { kind: 'payment', lib: 'braintree', api: apiText(site.call), method: 'POST', moneyMovement: money, idempotencyKey: undefined, bounded: true };
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * PayPal. `@paypal/checkout-server-sdk`: `client.execute(request)` with a request object
 * (`new paypal.orders.OrdersCaptureRequest(id)`) whose `payPalRequestId(key)` method (or
 * `request.headers['PayPal-Request-Id']`) carries the key. `@paypal/paypal-server-sdk`: controllers
 * (`new OrdersController(client).captureOrder({ id, paypalRequestId })`, older names `ordersCapture`).
 * ---------------------------------------------------------------------------------------------------- */

/** checkout-server-sdk request classes → moves money. */
const PAYPAL_REQUESTS: Record<string, boolean> = {
  OrdersCreateRequest: true,
  OrdersCaptureRequest: true,
  OrdersAuthorizeRequest: true,
  AuthorizationsCaptureRequest: true,
  AuthorizationsReauthorizeRequest: true,
  CapturesRefundRequest: true,
  AuthorizationsVoidRequest: false,
  OrdersPatchRequest: false,
};

/** paypal-server-sdk controller methods (current and pre-1.0 names) → moves money. */
const PAYPAL_CONTROLLER_METHODS: Record<string, boolean> = {
  createOrder: true,
  ordersCreate: true,
  captureOrder: true,
  ordersCapture: true,
  authorizeOrder: true,
  ordersAuthorize: true,
  captureAuthorizedPayment: true,
  authorizationsCapture: true,
  refundCapturedPayment: true,
  capturesRefund: true,
  reauthorizePayment: true,
  authorizationsReauthorize: true,
  voidPayment: false,
  authorizationsVoid: false,
};

/** The request object passed to `execute`, its class, and whether a request id is set on it. */
function paypalRequest(site: CallSite): { name: string; key: boolean | undefined } | undefined {
  const arg = argsOf(site.call)[0];
  if (!arg) return undefined;
  let e = skipOuter(arg);
  let variable: string | undefined;
  let scope: ts.Node | undefined;
  if (ts.isIdentifier(e)) {
    const decl = site.resolver.declarationOf(e);
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    variable = e.text;
    scope = enclosingBlock(decl);
    e = skipOuter(decl.initializer);
  }
  // `new OrdersCaptureRequest(id).payPalRequestId(key)`: methods return the request.
  const steps: string[] = [];
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    steps.push(e.expression.name.text);
    e = skipOuter(e.expression.expression);
  }
  if (!ts.isNewExpression(e)) return undefined;
  const v = site.resolver.valueOf(e.expression);
  if (v?.kind !== 'ext' || !v.path.startsWith('@paypal/checkout-server-sdk')) return undefined;
  const name = v.path.slice(v.path.lastIndexOf('.') + 1);
  if (steps.includes('payPalRequestId')) return { name, key: true };
  if (!variable || !scope) return { name, key: false };
  const text = scope.getText();
  const escaped = variable.replace(/\$/g, '\\$');
  if (new RegExp(`\\b${escaped}\\s*\\.\\s*payPalRequestId\\s*\\(`).test(text) || new RegExp(`\\b${escaped}\\s*\\.\\s*headers\\b[^;]*PayPal-Request-Id`, 'i').test(text)) return { name, key: true };
  if (new RegExp(`\\b${escaped}\\s*\\.\\s*headers\\b`).test(text)) return { name, key: undefined }; // headers set in a way we cannot read
  return { name, key: false };
}

function enclosingBlock(node: ts.Node): ts.Node | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isBlock(n) || ts.isSourceFile(n)) return n;
  }
  return undefined;
}

const paypal: LibraryEntry = {
  id: 'paypal',
  modules: ['@paypal/checkout-server-sdk', '@paypal/paypal-server-sdk'],
  calls: [
    {
      path: '@paypal/checkout-server-sdk.**.execute',
      construct: false,
      describe: (site) => {
        if (!/PayPalHttpClient\(\)\.execute$/.test(site.callee.path)) return undefined;
        const request = paypalRequest(site);
        if (!request || !Object.prototype.hasOwnProperty.call(PAYPAL_REQUESTS, request.name)) return undefined;
        return { kind: 'payment', lib: 'paypal', api: `${apiText(site.call)}(new ${request.name})`, method: 'POST', moneyMovement: PAYPAL_REQUESTS[request.name], idempotencyKey: request.key };
      },
    },
    {
      path: '@paypal/paypal-server-sdk.**.*',
      construct: false,
      describe: (site) => {
        const m = /\.(?:OrdersController|PaymentsController)\(\)\.([A-Za-z]+)$/.exec(site.callee.path);
        if (!m || !Object.prototype.hasOwnProperty.call(PAYPAL_CONTROLLER_METHODS, m[1])) return undefined;
        return { kind: 'payment', lib: 'paypal', api: apiText(site.call), method: 'POST', moneyMovement: PAYPAL_CONTROLLER_METHODS[m[1]], idempotencyKey: keyAt(site, 0, ['paypalRequestId']), options: argsOf(site.call)[0] };
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * Square (`square`): the key is a field of the request body. Legacy SDK (< 40, or `square/legacy`):
 * `client.paymentsApi.createPayment({ idempotencyKey, sourceId, amountMoney })`; current SDK:
 * `new SquareClient({ token }).payments.create({ idempotencyKey, … })`.
 * ---------------------------------------------------------------------------------------------------- */

/** `api.method` → [index of the body holding `idempotencyKey` (-1: the API has none), moves money]. */
const SQUARE_METHODS: Record<string, [number, boolean]> = {
  'paymentsApi.createPayment': [0, true],
  'paymentsApi.completePayment': [-1, true],
  'refundsApi.refundPayment': [0, true],
  'ordersApi.payOrder': [1, true],
  'ordersApi.createOrder': [0, false],
  'checkoutApi.createPaymentLink': [0, false],
  'payments.create': [0, true],
  'payments.complete': [-1, true],
  'refunds.refundPayment': [0, true],
  'orders.pay': [0, true],
  'orders.create': [0, false],
};

const square: LibraryEntry = {
  id: 'square',
  modules: ['square', 'square/legacy'],
  calls: [
    {
      path: '{square,square/legacy}.**.*.*',
      construct: false,
      describe: (site) => {
        const m = /^square(?:\/legacy)?\.(?:default\.)?(?:Client|SquareClient)\(\)\.([A-Za-z]+\.[A-Za-z]+)$/.exec(site.callee.path);
        const spec = m && Object.prototype.hasOwnProperty.call(SQUARE_METHODS, m[1]) ? SQUARE_METHODS[m[1]] : undefined;
        if (!spec) return undefined;
        const [bodyIndex, money] = spec;
        return { kind: 'payment', lib: 'square', api: apiText(site.call), method: 'POST', moneyMovement: money, idempotencyKey: bodyIndex < 0 ? undefined : keyAt(site, bodyIndex, ['idempotencyKey']) };
      },
    },
  ],
};

export const paymentLibraries: LibraryEntry[] = [stripe, adyen, braintree, paypal, square];
