#!/usr/bin/env node
/**
 * Generates the TypeScript benchmark corpus: a monorepo of backend services, deterministic from a seed,
 * written to bench/.ts-corpus/ (git-ignored).
 *
 * Eight services, each a small TypeScript project (package.json naming its real dependencies, which are
 * NOT installed; tsconfig.json with `paths` aliases), in the layout its framework suggests:
 *   services/orders-api            Express 4 + pg (SQL strings)      axios, kafkajs, Stripe, ioredis
 *   services/catalog-service       Fastify + Prisma                   got, BullMQ, ioredis
 *   services/billing-service       NestJS (decorators) + TypeORM      axios, BullMQ, Stripe, @EventPattern
 *   services/notification-service  Hono + Drizzle                     fetch, amqplib, AWS SDK v3 SQS
 *   services/inventory-service     Koa + @koa/router + Knex           fetch, kafkajs, ioredis
 *   services/storefront            Next.js app router + Prisma        fetch, SQS, Stripe, server actions
 *   services/shipping-service      Express 5 + Knex                   got, SQS (Lambda + poller)
 *   services/accounts-service      Fastify + pg                       axios, amqplib, ioredis
 *
 * Every service has config, a db client module, types, validation schemas, repositories, services,
 * routes/controllers, HTTP clients for other services, messaging, consumers, jobs, middleware, utils
 * and some tests. Entities, fields, query shapes and control flow vary per file. The hazards the code
 * rules look for (docs in bench/README.md) are planted at realistic rates next to their correct
 * counterparts; the manifest counts what was planted (by intent — the generator does not analyse).
 *
 *   node bench/ts-corpus.js [--out DIR] [--seed N] [--services N] [--check]
 *
 * --check parses every generated .ts file with the TypeScript parser (ts-morph's `ts`) and fails on any
 * parse diagnostic.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 1;
export const DEFAULT_TS_SEED = 20241203;
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_TS_OUT = path.join(HERE, '.ts-corpus');
/** Hash of this file: a change to the generator without a version bump still triggers a rebuild. */
export const GENERATOR_HASH = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (same PRNG as bench/corpus.js)

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  float() {
    return this.next();
  }
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }
  /** `entries`: [weight, value] pairs. */
  weighted(entries) {
    const total = entries.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1][1];
  }
  sample(list, n) {
    const copy = [...list];
    const out = [];
    while (out.length < n && copy.length > 0) out.push(copy.splice(Math.floor(this.next() * copy.length), 1)[0]);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Text helpers

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const camelOf = (kebab) => kebab.split('-').map((p, i) => (i === 0 ? p : cap(p))).join('');
const snakeOf = (camel) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const kebabOf = (camel) => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const words = (camel) => snakeOf(camel).replace(/_/g, ' ');

function pluralize(kebab) {
  if (/[^aeiou]y$/.test(kebab)) return `${kebab.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(kebab)) return `${kebab}es`;
  return `${kebab}s`;
}

/** Indents every non-empty line of `text` by `n` spaces. */
function ind(text, n) {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l.length ? pad + l : l))
    .join('\n');
}

/** Joins blocks, dropping empty ones. */
const blocks = (...parts) => parts.flat().filter((p) => p !== undefined && p !== null && p !== false && p !== '').join('\n\n');
const lines = (...parts) => parts.flat().filter((p) => p !== undefined && p !== null && p !== false).join('\n');

/** Collects import declarations for one file. */
class Imports {
  constructor() {
    this.mods = new Map();
  }
  entry(mod) {
    if (!this.mods.has(mod)) this.mods.set(mod, { def: undefined, ns: undefined, names: new Set(), types: new Set(), side: false });
    return this.mods.get(mod);
  }
  named(mod, ...names) {
    const e = this.entry(mod);
    for (const n of names) e.names.add(n);
    return this;
  }
  type(mod, ...names) {
    const e = this.entry(mod);
    for (const n of names) e.types.add(n);
    return this;
  }
  def(mod, name) {
    this.entry(mod).def = name;
    return this;
  }
  ns(mod, name) {
    this.entry(mod).ns = name;
    return this;
  }
  side(mod) {
    this.entry(mod).side = true;
    return this;
  }
  render() {
    const rank = (m) => (m.startsWith('node:') ? 0 : m.startsWith('.') ? 3 : /^@(app|\/|acme)/.test(m) || m.startsWith('@/') ? 2 : 1);
    const mods = [...this.mods.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const out = [];
    for (const mod of mods) {
      const e = this.mods.get(mod);
      const names = [...e.names].filter((n) => !e.types.has(n));
      if (e.ns) out.push(`import * as ${e.ns} from '${mod}';`);
      if (e.def || names.length) {
        const parts = [];
        if (e.def) parts.push(e.def);
        const inner = [...names, ...[...e.types].map((t) => `type ${t}`)];
        if (inner.length) parts.push(`{ ${inner.join(', ')} }`);
        out.push(`import ${parts.join(', ')} from '${mod}';`);
      } else if (e.types.size) out.push(`import type { ${[...e.types].join(', ')} } from '${mod}';`);
      if (e.side && !e.def && !e.ns && !names.length && !e.types.size) out.push(`import '${mod}';`);
    }
    return out.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Fields

const MONEY = /Cents$/;
const DATE = /(At|Date|Until)$/;
const BOOL = new Set(['marketingOptIn', 'inclusive', 'succeeded', 'isActive', 'isDefault', 'verified', 'archived', 'taxable', 'requiresShipping', 'optIn', 'isPrimary', 'autoRenew', 'isGift', 'enabled', 'hazmat', 'signatureRequired', 'isPublic', 'mfaRequired']);
const INT = new Set(['quantity', 'priority', 'position', 'attempts', 'weightGrams', 'rating', 'score', 'durationMinutes', 'seats', 'usageCount', 'points', 'reservedQty', 'availableQty', 'reorderPoint', 'leadTimeDays', 'retryCount', 'sortOrder', 'version', 'maxUses', 'redemptions', 'parcelCount', 'lengthCm', 'widthCm', 'heightCm', 'transitDays', 'failedAttempts', 'memberCount', 'openCount', 'clickCount', 'sentCount', 'batchSize', 'creditsRemaining', 'minQuantity', 'countedQty', 'expectedQty', 'varianceQty', 'pageViews', 'ttlSeconds', 'trialDays', 'width', 'height', 'percentOff', 'upTo', 'maxQuantity', 'itemCount', 'balancePoints', 'purchasedQty', 'responseCode', 'totalRows']);
const FLOAT = new Set(['latitude', 'longitude', 'percentage']);
const JSONF = new Set(['metadata', 'attributes', 'settings', 'payload', 'dimensions', 'variables', 'rules', 'headers', 'lineItems', 'filters']);
const ENUMISH = {
  currency: ['EUR', 'USD', 'GBP', 'SEK', 'CHF'],
  channel: ['email', 'sms', 'push', 'in_app'],
  provider: ['stripe', 'adyen', 'braintree'],
  interval: ['month', 'year'],
  kind: ['standard', 'express', 'bulk'],
  reason: ['damaged', 'wrong_item', 'not_needed', 'late'],
  locale: ['en-GB', 'de-DE', 'fr-FR', 'sv-SE'],
  role: ['owner', 'admin', 'member', 'viewer'],
  severity: ['low', 'medium', 'high'],
  direction: ['inbound', 'outbound'],
};

function fieldInfo(name) {
  const col = snakeOf(name);
  if (MONEY.test(name)) return { name, col, kind: 'money', ts: 'number', zod: 'z.number().int().nonnegative()', sql: 'bigint' };
  if (name === 'dueDate' || DATE.test(name)) return { name, col, kind: 'date', ts: 'Date | null', zod: 'z.coerce.date().nullable().optional()', sql: 'timestamptz', optional: true };
  if (BOOL.has(name)) return { name, col, kind: 'bool', ts: 'boolean', zod: 'z.boolean().default(false)', sql: 'boolean' };
  if (INT.has(name)) return { name, col, kind: 'int', ts: 'number', zod: name === 'rating' ? 'z.number().int().min(1).max(5)' : 'z.number().int().min(0)', sql: 'integer' };
  if (FLOAT.has(name)) return { name, col, kind: 'float', ts: 'number', zod: 'z.number()', sql: 'double precision' };
  if (JSONF.has(name)) return { name, col, kind: 'json', ts: 'Record<string, unknown>', zod: 'z.record(z.string(), z.unknown()).default({})', sql: 'jsonb' };
  if (ENUMISH[name]) return { name, col, kind: 'enum', values: ENUMISH[name], ts: ENUMISH[name].map((v) => `'${v}'`).join(' | '), zod: `z.enum([${ENUMISH[name].map((v) => `'${v}'`).join(', ')}])`, sql: 'text' };
  if (/email/i.test(name)) return { name, col, kind: 'text', ts: 'string', zod: 'z.string().email()', sql: 'text' };
  if (/Url$/.test(name)) return { name, col, kind: 'text', ts: 'string', zod: 'z.string().url()', sql: 'text' };
  if (/(Id|Ref)$/.test(name)) return { name, col, kind: 'text', ts: 'string | null', zod: 'z.string().min(1).max(128).nullable().optional()', sql: 'text', optional: true };
  if (/^(country|countryCode)$/.test(name)) return { name, col, kind: 'text', ts: 'string', zod: 'z.string().length(2)', sql: 'char(2)' };
  if (/^(notes|description|body|reason|message|comment|bio)/.test(name)) return { name, col, kind: 'text', ts: 'string | null', zod: 'z.string().max(4000).nullable().optional()', sql: 'text', optional: true };
  return { name, col, kind: 'text', ts: 'string', zod: 'z.string().min(1).max(255)', sql: 'text' };
}

const EXTRA_FIELDS = ['metadata', 'notes', 'externalId', 'source', 'createdBy', 'label', 'locale', 'priority', 'tags', 'archived', 'reference', 'settings'].filter((f) => f !== 'tags');

const STATUS_OF = {
  approve: 'approved', reject: 'rejected', cancel: 'cancelled', archive: 'archived', activate: 'active', publish: 'published',
  suspend: 'suspended', close: 'closed', resolve: 'resolved', submit: 'submitted', complete: 'completed', pause: 'paused',
  resume: 'active', void: 'voided', ship: 'shipped', confirm: 'confirmed', expire: 'expired', verify: 'verified',
  escalate: 'escalated', fulfil: 'fulfilled', settle: 'settled', refund: 'refunded', capture: 'captured', schedule: 'scheduled',
  send: 'sent', revoke: 'revoked', reopen: 'open', assign: 'assigned', accept: 'accepted', decline: 'declined', lock: 'locked',
  dispute: 'disputed', receive: 'received', dispatch: 'dispatched', deliver: 'delivered', retire: 'retired', finalize: 'finalized',
  disable: 'disabled', enable: 'enabled', redeem: 'redeemed', release: 'released', post: 'posted', count: 'counted', pick: 'picked',
  block: 'blocked', unblock: 'active', deactivate: 'inactive', rotate: 'rotated', mark: 'marked', print: 'printed', quarantine: 'quarantined',
};

// ---------------------------------------------------------------------------------------------
// Services and their domains
//
// Entity line: `name[>parent]: field field … | counter | action action …`  (counter `-` when none)

const SERVICES = [
  {
    name: 'orders-api',
    framework: 'express',
    orm: 'pg',
    http: 'axios',
    bus: 'kafka',
    payments: true,
    cache: 'ioredis',
    style: 'functions',
    alias: '@app',
    ids: 'uuid',
    entities: [
      'customer: email name phone locale marketingOptIn | points | verify suspend',
      'address>customer: line1 city postalCode country isDefault | - | verify',
      'cart>customer: currency subtotalCents discountCents expiresAt | - | close',
      'cart-item>cart: sku quantity unitPriceCents | quantity | -',
      'order>customer: currency totalCents taxCents shippingCents placedAt notes | - | confirm cancel fulfil',
      'order-item>order: sku productName quantity unitPriceCents taxCents | quantity | cancel',
      'payment>order: provider amountCents currency externalId capturedAt | attempts | capture void',
      'refund>payment: amountCents reason processedAt | - | approve reject',
      'shipment>order: carrier trackingNumber weightGrams shippedAt deliveredAt | attempts | dispatch deliver',
      'return-request>order: reason description receivedAt | - | approve reject receive',
      'promotion: code name discountCents startsAt endsAt maxUses | redemptions | activate pause',
      'coupon-redemption>promotion: code customerRef amountCents | - | void',
      'gift-card: code balanceCents currency expiresAt | balanceCents | activate disable',
      'store-credit>customer: balanceCents currency reason | balanceCents | -',
      'review>customer: productRef rating title body | - | publish reject',
      'wishlist>customer: name isPublic | - | archive',
      'invoice>order: number totalCents currency dueDate paidAt | - | finalize void',
      'fulfillment-hold>order: reason severity releasedAt | - | release escalate',
    ],
  },
  {
    name: 'catalog-service',
    framework: 'fastify',
    orm: 'prisma',
    http: 'got',
    bus: 'bullmq',
    cache: 'ioredis',
    style: 'class',
    alias: '@app',
    ids: 'uuid',
    entities: [
      'product: title slug description brandRef isActive attributes | version | publish archive',
      'product-variant>product: sku title priceCents weightGrams requiresShipping | availableQty | enable disable',
      'category: name slug position description | sortOrder | publish archive',
      'brand: name slug websiteUrl description | - | verify archive',
      'price>product-variant: currency amountCents startsAt endsAt | version | activate retire',
      'price-list: name currency kind startsAt | - | publish archive',
      'collection: title slug description isPublic | position | publish archive',
      'collection-entry>collection: productRef position | position | -',
      'media-asset>product: url altText mimeType width height | sortOrder | approve reject',
      'attribute: code label kind isPublic | - | archive',
      'attribute-value>attribute: value label sortOrder | - | -',
      'bundle: title sku priceCents isActive | - | publish retire',
      'bundle-item>bundle: variantRef quantity | quantity | -',
      'seo-page: path title metaDescription locale | version | publish',
      'import-batch: source fileName totalRows processedAt | failedAttempts | submit cancel',
      'product-review>product: authorName rating title body | - | approve reject',
      'search-synonym: term synonyms locale | - | enable disable',
    ],
  },
  {
    name: 'billing-service',
    framework: 'nestjs',
    orm: 'typeorm',
    http: 'axios',
    bus: 'bullmq',
    payments: true,
    style: 'nest',
    alias: '@app',
    ids: 'uuid',
    entities: [
      'account: name billingEmail currency country taxId | creditsRemaining | suspend close',
      'subscription>account: planRef interval seats currentPeriodEndsAt autoRenew | seats | pause resume cancel',
      'plan: code name interval amountCents currency trialDays | - | publish retire',
      'price-tier>plan: upTo unitAmountCents flatAmountCents | - | -',
      'invoice>account: number subtotalCents taxCents totalCents currency dueDate paidAt | attempts | finalize void',
      'invoice-line>invoice: description quantity unitAmountCents amountCents | quantity | -',
      'payment-attempt>invoice: provider amountCents currency externalId failureCode | retryCount | capture refund',
      'credit-note>invoice: amountCents reason issuedAt | - | approve void',
      'usage-record>subscription: metric quantity recordedAt idempotencyRef | quantity | -',
      'coupon: code percentOff amountOffCents duration maxRedemptions | redemptions | activate disable',
      'discount>subscription: couponRef startsAt endsAt | - | revoke',
      'tax-rate: country region percentage inclusive | - | activate retire',
      'dunning-case>invoice: stage nextAttemptAt lastError | attempts | escalate resolve',
      'payout: amountCents currency arrivalDate externalId | - | settle',
      'dispute>payment-attempt: amountCents reason evidenceDueAt | - | submit accept',
      'ledger-entry>account: amountCents currency direction memo postedAt | - | post',
    ],
  },
  {
    name: 'notification-service',
    framework: 'hono',
    orm: 'drizzle',
    http: 'fetch',
    bus: 'amqp',
    queue: 'sqs',
    style: 'functions',
    alias: '@',
    ids: 'uuid',
    entities: [
      'recipient: email phone locale timezone optIn | - | verify block unblock',
      'template: key channel subject body locale | version | publish archive',
      'notification>recipient: channel templateKey variables scheduledAt sentAt | attempts | send cancel',
      'delivery>notification: provider externalId status2 deliveredAt | attempts | -',
      'channel-preference>recipient: channel enabled quietHoursStart quietHoursEnd | - | enable disable',
      'webhook-endpoint: url secretRef description enabled | failedAttempts | enable disable rotate',
      'webhook-delivery>webhook-endpoint: eventType payload responseCode deliveredAt | attempts | -',
      'push-token>recipient: token platform lastSeenAt | - | revoke',
      'email-suppression: email reason expiresAt | - | release',
      'sms-message>recipient: body fromNumber externalId sentAt | attempts | send',
      'digest>recipient: frequency lastSentAt itemCount2 | - | send pause',
      'campaign: name channel templateKey scheduledAt | sentCount | schedule cancel',
      'campaign-audience>campaign: segmentRef filters | memberCount | -',
      'in-app-message>recipient: title body readAt expiresAt | - | archive',
      'bounce-event>delivery: kind reason occurredAt | - | -',
    ],
  },
  {
    name: 'inventory-service',
    framework: 'koa',
    orm: 'knex',
    http: 'fetch',
    bus: 'kafka',
    cache: 'ioredis',
    style: 'class',
    alias: '@app',
    ids: 'serial',
    entities: [
      'warehouse: code name country timezone isActive | - | activate deactivate',
      'bin-location>warehouse: code zone aisle shelf | - | lock',
      'stock-item>warehouse: sku availableQty reservedQty reorderPoint | availableQty | quarantine release',
      'stock-movement>stock-item: quantity direction reason reference | - | -',
      'supplier: name email country leadTimeDays | - | approve block',
      'purchase-order>supplier: number currency totalCents expectedAt | - | submit receive cancel',
      'purchase-order-line>purchase-order: sku quantity unitCostCents | quantity | -',
      'reservation>stock-item: orderRef quantity expiresAt | quantity | release confirm',
      'cycle-count>warehouse: scheduledAt countedAt varianceQty | - | complete',
      'transfer>warehouse: destinationRef shippedAt receivedAt | parcelCount | dispatch receive',
      'lot>stock-item: lotNumber expiresAt quantity | quantity | quarantine release',
      'replenishment-rule>stock-item: minQuantity maxQuantity leadTimeDays | - | enable disable',
      'receiving-report>purchase-order: receivedAt notes | expectedQty | post',
      'damage-report>stock-item: quantity reason description | - | approve reject',
      'sku-alias: sku alias source | - | -',
    ],
  },
  {
    name: 'storefront',
    framework: 'next',
    orm: 'prisma',
    http: 'fetch',
    bus: 'sqs',
    payments: true,
    style: 'functions',
    alias: '@',
    ids: 'uuid',
    entities: [
      'shopper: email name locale marketingOptIn | points | verify',
      'cart>shopper: currency subtotalCents promoCode | - | close',
      'cart-line>cart: variantRef quantity unitPriceCents | quantity | -',
      'checkout>cart: email shippingCents totalCents currency paymentIntentRef | attempts | confirm cancel',
      'saved-address>shopper: line1 city postalCode country isDefault | - | -',
      'wishlist-item>shopper: variantRef note | - | -',
      'product-question: productRef authorName body | - | approve reject',
      'newsletter-signup: email locale source | - | confirm',
      'loyalty-account>shopper: tier balancePoints | points | suspend',
      'referral>shopper: code inviteeEmail rewardCents redeemedAt | - | redeem',
      'gift-registry>shopper: title eventDate isPublic | - | close',
      'registry-item>gift-registry: variantRef quantity purchasedQty | quantity | -',
      'store-location: name city country latitude longitude | - | activate deactivate',
      'back-in-stock-alert>shopper: variantRef email notifiedAt | - | cancel',
    ],
  },
  {
    name: 'shipping-service',
    framework: 'express5',
    orm: 'knex',
    http: 'got',
    bus: 'sqs',
    style: 'functions',
    alias: '@app',
    ids: 'serial',
    entities: [
      'carrier: code name trackingUrl isActive | - | enable disable',
      'carrier-account>carrier: accountNumber country credentialsRef | - | verify revoke',
      'service-level>carrier: code name transitDays | transitDays | retire',
      'shipment: orderRef carrierCode serviceCode weightGrams shippedAt deliveredAt | parcelCount | dispatch deliver cancel',
      'parcel>shipment: lengthCm widthCm heightCm weightGrams trackingNumber | - | -',
      'tracking-event>shipment: code description location occurredAt | - | -',
      'label>shipment: format url costCents printedAt | attempts | print void',
      'rate-quote: originCountry destinationCountry weightGrams amountCents currency expiresAt | - | accept',
      'pickup>carrier: scheduledAt windowStart windowEnd confirmationRef | - | confirm cancel',
      'manifest>carrier: closedAt parcelCount | parcelCount | close',
      'customs-declaration>shipment: contentsType invoiceNumber totalValueCents currency | - | submit',
      'delivery-exception>shipment: code description resolvedAt | attempts | resolve escalate',
      'return-label>shipment: url costCents expiresAt | - | void',
      'zone: code name countries | - | -',
    ],
  },
  {
    name: 'accounts-service',
    framework: 'fastify',
    orm: 'pg',
    http: 'axios',
    bus: 'amqp',
    cache: 'ioredis',
    style: 'class',
    alias: '@app',
    ids: 'uuid',
    entities: [
      'organization: name slug plan country billingEmail | memberCount | suspend close',
      'user>organization: email displayName locale timezone lastSeenAt | failedAttempts | verify lock deactivate',
      'membership>organization: userRef role invitedBy | - | accept revoke',
      'team>organization: name slug description | memberCount | archive',
      'team-member>team: userRef role | - | -',
      'invitation>organization: email role expiresAt acceptedAt | attempts | accept revoke',
      'api-key>organization: name prefix lastUsedAt expiresAt | usageCount | rotate revoke',
      'session>user: ipAddress userAgent expiresAt | - | revoke',
      'password-reset>user: tokenHash expiresAt usedAt | attempts | -',
      'mfa-device>user: kind label lastUsedAt isPrimary | - | verify revoke',
      'audit-event>organization: actorRef action targetRef ipAddress | - | -',
      'sso-connection>organization: provider domain metadataUrl enabled | - | enable disable',
      'role: name description isDefault | - | archive',
      'permission-grant>role: resource action | - | revoke',
      'login-attempt>user: ipAddress userAgent succeeded2 | - | -',
      'oauth-client>organization: name redirectUrl clientRef | - | rotate revoke',
    ],
  },
];

/** Parses an entity line into its names, fields, counter and actions. */
function parseEntity(line, svc, rng) {
  const [head, rest] = line.split(':');
  const [kebab, parentKebab] = head.trim().split('>');
  const [fieldText, counterText, actionText] = rest.split('|').map((s) => s.trim());
  const camel = camelOf(kebab);
  const pluralKebab = pluralize(kebab);
  const plural = camelOf(pluralKebab);
  const fieldNames = fieldText.split(/\s+/).filter(Boolean).map((f) => f.replace(/2$/, ''));
  // A few extra columns that real tables accumulate, varying per entity.
  for (const extra of rng.sample(EXTRA_FIELDS, rng.int(0, 2))) if (!fieldNames.includes(extra)) fieldNames.push(extra);
  const fields = fieldNames.filter((f) => f !== 'status').map(fieldInfo);
  const counterName = counterText === '-' ? undefined : counterText;
  let counter = counterName && fields.find((f) => f.name === counterName);
  if (counterName && !counter) {
    counter = fieldInfo(counterName);
    fields.push(counter);
  }
  const actions = actionText === '-' ? [] : actionText.split(/\s+/);
  const initial = rng.pick(['pending', 'draft', 'open', 'active', 'new']);
  const statuses = [...new Set([initial, ...actions.map((a) => STATUS_OF[a] ?? `${a}ed`)])];
  if (statuses.length === 1) statuses.push('archived');
  return {
    svc,
    kebab,
    camel,
    Pascal: cap(camel),
    pluralKebab,
    plural,
    Plural: cap(plural),
    table: pluralKebab.replace(/-/g, '_'),
    snake: kebab.replace(/-/g, '_'),
    words: kebab.replace(/-/g, ' '),
    parentKebab,
    parent: undefined,
    children: [],
    fields,
    counter,
    actions,
    statuses,
    initial,
    idTs: svc.ids === 'serial' ? 'number' : 'string',
    money: fields.find((f) => f.kind === 'money'),
    ops: [],
    needs: new Set(['findById']),
  };
}

// ---------------------------------------------------------------------------------------------
// Planning: which operations each entity gets, with which variant (correct or hazardous)

/** Rule ids of the hazards a variant plants; counted in the manifest. */
const HAZARDS = {
  'list:n1-helper': ['no-query-in-loop'],
  'list:n1-promise-all': ['no-query-in-loop'],
  'list:unbounded': ['no-unbounded-select'],
  'details:n1-children': ['no-query-in-loop'],
  'create:dual-write': ['no-dual-write', 'require-idempotency-key'],
  'create:plain': ['require-idempotency-key'],
  'create:http-post': ['no-dual-write', 'require-idempotency-key'],
  'create:publish-in-tx': ['no-dual-write', 'require-idempotency-key'],
  'transition:publish-after': ['no-dual-write'],
  'transition:audit-no-tx': ['require-transaction'],
  'adjust:lost-update': ['no-lost-update'],
  'import:loop-insert': ['no-query-in-loop', 'require-idempotency-key'],
  'sync:retry-no-backoff': ['require-backoff'],
  'charge:no-key': ['require-payment-idempotency-key'],
  'search:injection': ['no-sql-injection'],
  'export:unbounded': ['no-unbounded-select'],
  'reconcile:no-tx': ['require-transaction'],
  'update:process-local': ['no-process-local-state'],
};

function planEntity(ent, S) {
  const rng = S.rng;
  const ops = [];
  const add = (kind, v, extra = {}) => ops.push({ kind, v, ...extra });
  add('list', rng.weighted([[5, 'plain'], [ent.parent ? 2 : 0, 'n1-helper'], [ent.parent ? 1 : 0, 'n1-promise-all'], [ent.parent ? 2 : 0, 'batched'], [1, 'unbounded']]));
  add('get', 'plain');
  add('create', rng.weighted([[3, 'idempotent'], [2, 'outbox'], [2, 'dual-write'], [2, 'plain'], [1, 'http-post'], [1, 'publish-in-tx']]));
  if (rng.chance(0.8)) add('update', rng.weighted([[6, 'plain'], [S.def.cache ? 3 : 0, 'cache-evict'], [1, 'process-local']]));
  if (rng.chance(0.45)) add('remove', rng.pick(['hard', 'soft']));
  for (const action of rng.sample(ent.actions, rng.int(1, 2))) add('transition', rng.weighted([[4, 'plain'], [2, 'publish-after'], [2, 'outbox'], [1, 'audit-no-tx'], [1, 'audit-tx']]), { action });
  if (ent.counter && rng.chance(0.75)) add('adjust', rng.weighted([[3, 'atomic'], [2, 'lost-update'], [2, 'for-update']]));
  if (rng.chance(0.25)) add('import', rng.weighted([[2, 'loop-insert'], [3, 'batch'], [1, 'chunked']]));
  if (rng.chance(0.3)) add('sync', rng.weighted([[3, 'client'], [1, 'retry-no-backoff'], [2, 'retry-helper'], [1, 'retry-backoff']]));
  if (ent.money && S.def.payments && rng.chance(0.6)) add('charge', rng.weighted([[3, 'key'], [2, 'no-key']]));
  if (rng.chance(0.35)) add('search', rng.weighted([[3, 'safe'], [1, 'injection']]));
  if (rng.chance(0.3)) add('stats', 'plain');
  if (rng.chance(0.25)) add('export', rng.weighted([[1, 'unbounded'], [2, 'keyset']]));
  if (rng.chance(0.25)) add('reconcile', rng.weighted([[1, 'no-tx'], [2, 'tx']]));
  if (rng.chance(0.25)) add('notify', 'queue');
  ent.ops = ops;
  const need = (...names) => names.forEach((n) => ent.needs.add(n));
  for (const op of ops) {
    // Prisma findUnique inside Promise.all(map) is batched by Prisma: not a hazard there.
    if (!(op.v === 'n1-promise-all' && S.def.orm === 'prisma')) for (const rule of HAZARDS[`${op.kind}:${op.v}`] ?? []) S.plant(rule);
    switch (op.kind) {
      case 'list':
        need(op.v === 'unbounded' ? 'listAll' : 'list');
        if (op.v === 'n1-helper' || op.v === 'n1-promise-all') ent.parent.needs.add('findById');
        if (op.v === 'batched') ent.parent.needs.add('findByIds');
        break;
      case 'create':
        need(op.v === 'idempotent' || op.v === 'outbox' ? 'insertIdempotent' : 'insert');
        break;
      case 'update':
        need('update');
        break;
      case 'remove':
        need('remove');
        break;
      case 'transition':
        need('setStatus');
        break;
      case 'adjust':
        need(op.v === 'atomic' ? 'increment' : 'saveCounter');
        if (op.v === 'for-update') need('findByIdForUpdate');
        break;
      case 'import':
        need(op.v === 'loop-insert' ? 'insert' : 'insertMany');
        break;
      case 'sync':
        need('update');
        break;
      case 'charge':
        need('setStatus');
        break;
      case 'search':
        need('search');
        ent.searchVariant = op.v;
        break;
      case 'stats':
        need('countByStatus');
        break;
      case 'export':
        need(op.v === 'unbounded' ? 'listAll' : 'listPage');
        break;
      case 'reconcile':
        need('update');
        break;
      default:
        break;
    }
  }
}

/** Second pass, once every entity is planned: parents that load their children. */
function planChildren(ents, rng) {
  for (const ent of ents) {
    if (!ent.parent || !rng.chance(0.5)) continue;
    ent.needs.add('listByParent');
    ent.parent.ops.push({ kind: 'details', v: rng.pick(['plain', 'plain', 'n1-children']), child: ent });
  }
}

// ---------------------------------------------------------------------------------------------
// Data layers. Each adapter renders a repository module for one entity: a prelude (row types,
// mappers) and the methods the entity's operations need. Methods: { params, ret, body }.

/** Columns written on insert: the parent key and the entity's own fields. */
function writable(ent) {
  return [...(ent.parentField ? [ent.parentField] : []), ...ent.fields];
}
const patchable = (ent) => ent.fields.filter((f) => f !== ent.counter && f.kind !== 'json').slice(0, 5);
const textField = (ent) => ent.fields.find((f) => f.kind === 'text' && !f.optional && !/Ref$|Id$/.test(f.name)) ?? ent.fields.find((f) => f.kind === 'text');
const idParam = (ent) => `id: ${ent.idTs}`;

const PG = {
  exec: 'db',
  txType: 'PoolClient',
  prelude(ent, S, imp) {
    imp.type('pg', 'PoolClient');
    imp.named(S.mod('db/client'), 'pool');
    const E = ent.Pascal;
    const cols = ['id', ...writable(ent).map((f) => f.col), 'status', 'created_at', 'updated_at'];
    const mode = S.rng.pick(['const', 'array', 'const']);
    ent.pgCols = mode === 'array' ? 'SELECT_LIST' : 'COLUMNS';
    const rowFields = [`id: ${ent.idTs};`, ...writable(ent).map((f) => `${f.col}: ${f === ent.parentField ? ent.idTs : f.ts};`), `status: ${E}Status;`, 'created_at: Date;', 'updated_at: Date;'];
    const colsDecl =
      mode === 'array'
        ? `const SELECT_LIST = [\n${cols.map((c) => `  '${c}',`).join('\n')}\n].join(', ');`
        : `const COLUMNS = '${cols.join(', ')}';`;
    return blocks(
      'type Queryable = Pick<PoolClient, \'query\'>;',
      `interface ${E}Row {\n${ind(rowFields.join('\n'), 2)}\n}`,
      colsDecl,
      `function to${E}(row: ${E}Row): ${E} {\n  return {\n    id: row.id,\n${writable(ent)
        .map((f) => `    ${f.name}: row.${f.col},`)
        .join('\n')}\n    status: row.status,\n    createdAt: row.created_at,\n    updatedAt: row.updated_at,\n  };\n}`,
    );
  },
  param: () => 'db: Queryable = pool',
  methods: {
    findById: (ent) => ({
      params: idParam(ent),
      ret: `${ent.Pascal} | null`,
      body: `const { rows } = await db.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE id = $1\`, [id]);\nreturn rows[0] ? to${ent.Pascal}(rows[0]) : null;`,
    }),
    findByIds: (ent) => ({
      params: `ids: readonly ${ent.idTs}[]`,
      ret: `${ent.Pascal}[]`,
      body: `if (ids.length === 0) return [];\nconst { rows } = await db.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE id = ANY($1)\`, [ids]);\nreturn rows.map(to${ent.Pascal});`,
    }),
    findByIdForUpdate: (ent) => ({
      params: `${idParam(ent)}, tx: PoolClient`,
      noExec: true,
      ret: `${ent.Pascal} | null`,
      body: `const { rows } = await tx.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE id = $1 FOR UPDATE\`, [id]);\nreturn rows[0] ? to${ent.Pascal}(rows[0]) : null;`,
    }),
    list: (ent, S) => ({
      params: `params: ${ent.Pascal}ListParams`,
      ret: `${ent.Pascal}[]`,
      body: lines(
        'const limit = Math.min(params.limit ?? 50, 200);',
        'const conditions: string[] = [];',
        'const values: unknown[] = [];',
        'if (params.status) {',
        '  values.push(params.status);',
        '  conditions.push(`status = $${values.length}`);',
        '}',
        ent.parentField
          ? [`if (params.${ent.parentField.name}) {`, `  values.push(params.${ent.parentField.name});`, `  conditions.push(\`${ent.parentField.col} = $\${values.length}\`);`, '}']
          : [],
        'if (params.cursor) {',
        '  values.push(params.cursor);',
        S.rng.chance(0.5)
          ? `  conditions.push(\`(created_at, id) < (SELECT created_at, id FROM ${ent.table} WHERE id = $\${values.length})\`);`
          : '  conditions.push(`id < $${values.length}`);',
        '}',
        'values.push(limit);',
        `const where = conditions.length > 0 ? \`WHERE \${conditions.join(' AND ')}\` : '';`,
        `const { rows } = await db.query<${ent.Pascal}Row>(`,
        `  \`SELECT \${${ent.pgCols}} FROM ${ent.table} \${where} ORDER BY created_at DESC, id DESC LIMIT $\${values.length}\`,`,
        '  values,',
        ');',
        `return rows.map(to${ent.Pascal});`,
      ),
    }),
    listAll: (ent) => ({
      params: `filter: { status?: ${ent.Pascal}Status } = {}`,
      ret: `${ent.Pascal}[]`,
      body: lines(
        'const { rows } = filter.status',
        `  ? await db.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE status = $1 ORDER BY created_at\`, [filter.status])`,
        `  : await db.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} ORDER BY created_at\`);`,
        `return rows.map(to${ent.Pascal});`,
      ),
    }),
    listPage: (ent) => ({
      params: `afterId: ${ent.idTs} | null, limit = 500`,
      ret: `${ent.Pascal}[]`,
      body: lines(
        `const { rows } = await db.query<${ent.Pascal}Row>(`,
        `  \`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE ($1::${ent.idTs === 'number' ? 'bigint' : 'uuid'} IS NULL OR id > $1) ORDER BY id LIMIT $2\`,`,
        '  [afterId, limit],',
        ');',
        `return rows.map(to${ent.Pascal});`,
      ),
    }),
    listByParent: (ent) => ({
      params: `${ent.parentField.name}: ${ent.idTs}`,
      ret: `${ent.Pascal}[]`,
      body: `const { rows } = await db.query<${ent.Pascal}Row>(\n  \`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE ${ent.parentField.col} = $1 ORDER BY created_at LIMIT 500\`,\n  [${ent.parentField.name}],\n);\nreturn rows.map(to${ent.Pascal});`,
    }),
    insert: (ent) => {
      const w = writable(ent);
      return {
        params: `input: Create${ent.Pascal}Input`,
        ret: ent.Pascal,
        body: lines(
          `const { rows } = await db.query<${ent.Pascal}Row>(`,
          `  \`INSERT INTO ${ent.table} (${w.map((f) => f.col).join(', ')}, status)`,
          `   VALUES (${w.map((_, i) => `$${i + 1}`).join(', ')}, '${ent.initial}')`,
          `   RETURNING \${${ent.pgCols}}\`,`,
          `  [${w.map((f) => (f.kind === 'json' ? `JSON.stringify(input.${f.name} ?? {})` : f.optional ? `input.${f.name} ?? null` : `input.${f.name}`)).join(', ')}],`,
          ');',
          `return to${ent.Pascal}(rows[0]);`,
        ),
      };
    },
    insertIdempotent: (ent) => {
      const w = writable(ent);
      return {
        params: `input: Create${ent.Pascal}Input, idempotencyKey: string`,
        ret: `{ record: ${ent.Pascal}; created: boolean }`,
        body: lines(
          `const inserted = await db.query<${ent.Pascal}Row>(`,
          `  \`INSERT INTO ${ent.table} (${w.map((f) => f.col).join(', ')}, status, idempotency_key)`,
          `   VALUES (${w.map((_, i) => `$${i + 1}`).join(', ')}, '${ent.initial}', $${w.length + 1})`,
          '   ON CONFLICT (idempotency_key) DO NOTHING',
          `   RETURNING \${${ent.pgCols}}\`,`,
          `  [${[...w.map((f) => (f.kind === 'json' ? `JSON.stringify(input.${f.name} ?? {})` : f.optional ? `input.${f.name} ?? null` : `input.${f.name}`)), 'idempotencyKey'].join(', ')}],`,
          ');',
          `if (inserted.rows[0]) return { record: to${ent.Pascal}(inserted.rows[0]), created: true };`,
          `const existing = await db.query<${ent.Pascal}Row>(\`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE idempotency_key = $1\`, [idempotencyKey]);`,
          `return { record: to${ent.Pascal}(existing.rows[0]), created: false };`,
        ),
      };
    },
    insertMany: (ent) => {
      const w = writable(ent);
      return {
        params: `inputs: readonly Create${ent.Pascal}Input[]`,
        ret: 'number',
        body: lines(
          'if (inputs.length === 0) return 0;',
          'const values: unknown[] = [];',
          'const tuples = inputs.map((input) => {',
          `  const start = values.length;`,
          `  values.push(${w.map((f) => (f.kind === 'json' ? `JSON.stringify(input.${f.name} ?? {})` : f.optional ? `input.${f.name} ?? null` : `input.${f.name}`)).join(', ')});`,
          `  return \`(${w.map((_, i) => `$\${start + ${i + 1}}`).join(', ')}, '${ent.initial}')\`;`,
          '});',
          `const result = await db.query(\`INSERT INTO ${ent.table} (${w.map((f) => f.col).join(', ')}, status) VALUES \${tuples.join(', ')}\`, values);`,
          'return result.rowCount ?? 0;',
        ),
      };
    },
    update: (ent, S) => {
      const p = patchable(ent);
      if (S.rng.chance(0.5) || p.length === 0) {
        return {
          params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
          ret: `${ent.Pascal} | null`,
          body: lines(
            `const { rows } = await db.query<${ent.Pascal}Row>(`,
            `  \`UPDATE ${ent.table}`,
            `      SET ${[...p.map((f, i) => `${f.col} = COALESCE($${i + 2}, ${f.col})`), 'updated_at = now()'].join(',\n          ')}`,
            '    WHERE id = $1',
            `    RETURNING \${${ent.pgCols}}\`,`,
            `  [id, ${p.map((f) => `patch.${f.name} ?? null`).join(', ')}],`,
            ');',
            `return rows[0] ? to${ent.Pascal}(rows[0]) : null;`,
          ),
        };
      }
      return {
        params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
        ret: `${ent.Pascal} | null`,
        prelude: `const PATCHABLE_COLUMNS = {\n${p.map((f) => `  ${f.name}: '${f.col}',`).join('\n')}\n} as const;`,
        body: lines(
          'const assignments: string[] = [];',
          'const values: unknown[] = [];',
          `for (const [key, column] of Object.entries(PATCHABLE_COLUMNS) as [keyof typeof PATCHABLE_COLUMNS, string][]) {`,
          '  const value = patch[key];',
          '  if (value === undefined) continue;',
          '  values.push(value);',
          '  assignments.push(`${column} = $${values.length}`);',
          '}',
          `if (assignments.length === 0) return ${S.self('findById')}(id, db);`,
          'values.push(id);',
          `const { rows } = await db.query<${ent.Pascal}Row>(`,
          `  \`UPDATE ${ent.table} SET \${assignments.join(', ')}, updated_at = now() WHERE id = $\${values.length} RETURNING \${${ent.pgCols}}\`,`,
          '  values,',
          ');',
          `return rows[0] ? to${ent.Pascal}(rows[0]) : null;`,
        ),
      };
    },
    setStatus: (ent) => ({
      params: `${idParam(ent)}, status: ${ent.Pascal}Status`,
      ret: 'boolean',
      body: `const result = await db.query(\`UPDATE ${ent.table} SET status = $2, updated_at = now() WHERE id = $1\`, [id, status]);\nreturn (result.rowCount ?? 0) > 0;`,
    }),
    remove: (ent, S) => ({
      params: idParam(ent),
      ret: 'boolean',
      body: S.rng.chance(0.5)
        ? `const result = await db.query('DELETE FROM ${ent.table} WHERE id = $1', [id]);\nreturn result.rowCount === 1;`
        : `const result = await db.query(\`UPDATE ${ent.table} SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL\`, [id]);\nreturn result.rowCount === 1;`,
    }),
    increment: (ent) => ({
      params: `${idParam(ent)}, delta: number`,
      ret: `${ent.Pascal} | null`,
      body: `const { rows } = await db.query<${ent.Pascal}Row>(\n  \`UPDATE ${ent.table} SET ${ent.counter.col} = ${ent.counter.col} + $2, updated_at = now() WHERE id = $1 RETURNING \${${ent.pgCols}}\`,\n  [id, delta],\n);\nreturn rows[0] ? to${ent.Pascal}(rows[0]) : null;`,
    }),
    saveCounter: (ent) => ({
      params: `${idParam(ent)}, value: number`,
      ret: 'void',
      body: `await db.query('UPDATE ${ent.table} SET ${ent.counter.col} = $2, updated_at = now() WHERE id = $1', [id, value]);`,
    }),
    search: (ent) => {
      const t = textField(ent);
      const col = t ? t.col : 'id::text';
      if (ent.searchVariant === 'injection') {
        return {
          params: "term: string, sort = 'created_at', limit = 25",
          ret: `${ent.Pascal}[]`,
          body: lines(
            '// Sort comes straight from the query string; the admin UI only sends known columns.',
            `const sql = \`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE ${col} ILIKE '%\${term}%' ORDER BY \${sort} DESC LIMIT \${limit}\`;`,
            `const { rows } = await db.query<${ent.Pascal}Row>(sql);`,
            `return rows.map(to${ent.Pascal});`,
          ),
        };
      }
      return {
        params: "term: string, sort: keyof typeof SORTABLE = 'createdAt', limit = 25",
        ret: `${ent.Pascal}[]`,
        prelude: `const SORTABLE = {\n  createdAt: 'created_at',\n  updatedAt: 'updated_at',\n${t ? `  ${t.name}: '${t.col}',\n` : ''}} as const;`,
        body: lines(
          "const column = SORTABLE[sort] ?? 'created_at';",
          `const { rows } = await db.query<${ent.Pascal}Row>(`,
          `  \`SELECT \${${ent.pgCols}} FROM ${ent.table} WHERE ${col} ILIKE $1 ORDER BY \${column} DESC LIMIT $2\`,`,
          '  [`%${term}%`, Math.min(limit, 100)],',
          ');',
          `return rows.map(to${ent.Pascal});`,
        ),
      };
    },
    countByStatus: (ent) => ({
      params: '',
      ret: 'Record<string, number>',
      body: `const { rows } = await db.query<{ status: string; count: number }>(\n  'SELECT status, count(*)::int AS count FROM ${ent.table} GROUP BY status',\n);\nreturn Object.fromEntries(rows.map((r) => [r.status, r.count]));`,
    }),
  },
};

const KNEX = {
  exec: 'db',
  txType: 'Knex.Transaction',
  prelude(ent, S, imp) {
    imp.type('knex', 'Knex');
    imp.named(S.mod('db/knex'), 'knex');
    return `const TABLE = '${ent.table}';`;
  },
  param: () => 'db: Knex = knex',
  methods: {
    findById: (ent) => ({ params: idParam(ent), ret: `${ent.Pascal} | null`, body: `const row = await db<${ent.Pascal}>(TABLE).where({ id }).first();\nreturn row ?? null;` }),
    findByIds: (ent) => ({ params: `ids: readonly ${ent.idTs}[]`, ret: `${ent.Pascal}[]`, body: `if (ids.length === 0) return [];\nreturn db<${ent.Pascal}>(TABLE).whereIn('id', ids);` }),
    findByIdForUpdate: (ent) => ({ params: `${idParam(ent)}, tx: Knex.Transaction`, noExec: true, ret: `${ent.Pascal} | null`, body: `const row = await tx<${ent.Pascal}>(TABLE).where({ id }).forUpdate().first();\nreturn row ?? null;` }),
    list: (ent, S) => ({
      params: `params: ${ent.Pascal}ListParams`,
      ret: `${ent.Pascal}[]`,
      body: lines(
        `const query = db<${ent.Pascal}>(TABLE)`,
        "  .orderBy([{ column: 'createdAt', order: 'desc' }, { column: 'id', order: 'desc' }])",
        `  .limit(Math.min(params.limit ?? ${S.rng.pick([20, 25, 50])}, 200));`,
        "if (params.status) query.where('status', params.status);",
        ent.parentField ? `if (params.${ent.parentField.name}) query.where('${ent.parentField.name}', params.${ent.parentField.name});` : [],
        "if (params.cursor) query.where('id', '<', params.cursor);",
        'return query;',
      ),
    }),
    listAll: (ent) => ({
      params: `filter: { status?: ${ent.Pascal}Status } = {}`,
      ret: `${ent.Pascal}[]`,
      body: `const query = db<${ent.Pascal}>(TABLE).orderBy('createdAt');\nif (filter.status) query.where({ status: filter.status });\nreturn query;`,
    }),
    listPage: (ent) => ({
      params: `afterId: ${ent.idTs} | null, limit = 500`,
      ret: `${ent.Pascal}[]`,
      body: `const query = db<${ent.Pascal}>(TABLE).orderBy('id').limit(limit);\nif (afterId !== null) query.where('id', '>', afterId);\nreturn query;`,
    }),
    listByParent: (ent) => ({
      params: `${ent.parentField.name}: ${ent.idTs}`,
      ret: `${ent.Pascal}[]`,
      body: `return db<${ent.Pascal}>(TABLE).where({ ${ent.parentField.name} }).orderBy('createdAt').limit(500);`,
    }),
    insert: (ent) => ({
      params: `input: Create${ent.Pascal}Input`,
      ret: ent.Pascal,
      body: `const [row] = await db<${ent.Pascal}>(TABLE)\n  .insert({ ...input, status: '${ent.initial}' })\n  .returning('*');\nreturn row;`,
    }),
    insertIdempotent: (ent) => ({
      params: `input: Create${ent.Pascal}Input, idempotencyKey: string`,
      ret: `{ record: ${ent.Pascal}; created: boolean }`,
      body: lines(
        `const [row] = await db<${ent.Pascal}>(TABLE)`,
        `  .insert({ ...input, status: '${ent.initial}', idempotencyKey })`,
        "  .onConflict('idempotencyKey')",
        '  .ignore()',
        "  .returning('*');",
        'if (row) return { record: row, created: true };',
        `const existing = await db<${ent.Pascal}>(TABLE).where({ idempotencyKey }).first();`,
        `if (!existing) throw new Error(\`${ent.words} with idempotency key \${idempotencyKey} vanished\`);`,
        'return { record: existing, created: false };',
      ),
    }),
    insertMany: (ent) => ({
      params: `inputs: readonly Create${ent.Pascal}Input[]`,
      ret: 'number',
      body: `if (inputs.length === 0) return 0;\nconst rows = await db.batchInsert(TABLE, inputs.map((input) => ({ ...input, status: '${ent.initial}' })), 200).returning('id');\nreturn rows.length;`,
    }),
    update: (ent) => ({
      params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
      ret: `${ent.Pascal} | null`,
      body: `const [row] = await db<${ent.Pascal}>(TABLE)\n  .where({ id })\n  .update({ ...patch, updatedAt: db.fn.now() })\n  .returning('*');\nreturn row ?? null;`,
    }),
    setStatus: (ent) => ({
      params: `${idParam(ent)}, status: ${ent.Pascal}Status`,
      ret: 'boolean',
      body: `const updated = await db(TABLE).where({ id }).update({ status, updatedAt: db.fn.now() });\nreturn updated > 0;`,
    }),
    remove: (ent, S) => ({
      params: idParam(ent),
      ret: 'boolean',
      body: S.rng.chance(0.5) ? `const deleted = await db(TABLE).where({ id }).del();\nreturn deleted > 0;` : `const updated = await db(TABLE).where({ id }).whereNull('deletedAt').update({ deletedAt: db.fn.now() });\nreturn updated > 0;`,
    }),
    increment: (ent) => ({
      params: `${idParam(ent)}, delta: number`,
      ret: `${ent.Pascal} | null`,
      body: `const [row] = await db<${ent.Pascal}>(TABLE).where({ id }).increment('${ent.counter.name}', delta).returning('*');\nreturn row ?? null;`,
    }),
    saveCounter: (ent) => ({
      params: `${idParam(ent)}, value: number`,
      ret: 'void',
      body: `await db(TABLE).where({ id }).update({ ${ent.counter.name}: value, updatedAt: db.fn.now() });`,
    }),
    search: (ent) => {
      const t = textField(ent);
      const col = t ? t.name : 'id';
      if (ent.searchVariant === 'injection') {
        return {
          params: "term: string, sort = 'created_at', limit = 25",
          ret: `${ent.Pascal}[]`,
          body: `const { rows } = await db.raw(\`SELECT * FROM ${ent.table} WHERE ${snakeOf(col)} ILIKE '%\${term}%' ORDER BY \${sort} LIMIT \${limit}\`);\nreturn rows as ${ent.Pascal}[];`,
        };
      }
      return {
        params: "term: string, sort: 'createdAt' | 'updatedAt' = 'createdAt', limit = 25",
        ret: `${ent.Pascal}[]`,
        body: `return db<${ent.Pascal}>(TABLE)\n  .whereILike('${col}', \`%\${term}%\`)\n  .orderBy(sort, 'desc')\n  .limit(Math.min(limit, 100));`,
      };
    },
    countByStatus: () => ({
      params: '',
      ret: 'Record<string, number>',
      body: "const rows = await db(TABLE).select('status').count<{ status: string; count: string }[]>('* as count').groupBy('status');\nreturn Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));",
    }),
  },
};

const PRISMA = {
  exec: 'db',
  txType: 'Prisma.TransactionClient',
  prelude(ent, S, imp) {
    imp.named('@prisma/client', 'Prisma');
    imp.named(S.mod('db/client'), 'prisma');
    imp.type(S.mod('db/client'), 'Db');
    return '';
  },
  param: () => 'db: Db = prisma',
  methods: {
    findById: (ent) => ({ params: idParam(ent), ret: `${ent.Pascal} | null`, body: `return db.${ent.camel}.findUnique({ where: { id } });` }),
    findByIds: (ent) => ({ params: `ids: ${ent.idTs}[]`, ret: `${ent.Pascal}[]`, body: `if (ids.length === 0) return [];\nreturn db.${ent.camel}.findMany({ where: { id: { in: ids } } });` }),
    findByIdForUpdate: (ent) => ({
      params: `${idParam(ent)}, tx: Prisma.TransactionClient`,
      noExec: true,
      ret: `${ent.Pascal} | null`,
      body: `const rows = await tx.$queryRaw<${ent.Pascal}[]>\`SELECT * FROM "${ent.Pascal}" WHERE id = \${id} FOR UPDATE\`;\nreturn rows[0] ?? null;`,
    }),
    list: (ent, S) => ({
      params: `params: ${ent.Pascal}ListParams`,
      ret: `${ent.Pascal}[]`,
      body: lines(
        `return db.${ent.camel}.findMany({`,
        `  where: { status: params.status${ent.parentField ? `, ${ent.parentField.name}: params.${ent.parentField.name}` : ''} },`,
        "  orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],",
        `  take: Math.min(params.limit ?? ${S.rng.pick([20, 25, 50])}, 100),`,
        '  ...(params.cursor ? { cursor: { id: params.cursor }, skip: 1 } : {}),',
        '});',
      ),
    }),
    listAll: (ent) => ({
      params: `filter: { status?: ${ent.Pascal}Status } = {}`,
      ret: `${ent.Pascal}[]`,
      body: `return db.${ent.camel}.findMany({\n  where: { status: filter.status },\n  orderBy: { createdAt: 'asc' },\n});`,
    }),
    listPage: (ent) => ({
      params: `afterId: ${ent.idTs} | null, limit = 500`,
      ret: `${ent.Pascal}[]`,
      body: `return db.${ent.camel}.findMany({\n  where: afterId === null ? {} : { id: { gt: afterId } },\n  orderBy: { id: 'asc' },\n  take: limit,\n});`,
    }),
    listByParent: (ent) => ({
      params: `${ent.parentField.name}: ${ent.idTs}`,
      ret: `${ent.Pascal}[]`,
      body: `return db.${ent.camel}.findMany({ where: { ${ent.parentField.name} }, orderBy: { createdAt: 'asc' }, take: 500 });`,
    }),
    insert: (ent) => ({ params: `input: Create${ent.Pascal}Input`, ret: ent.Pascal, body: `return db.${ent.camel}.create({\n  data: { ...input, status: '${ent.initial}' },\n});` }),
    insertIdempotent: (ent) => ({
      params: `input: Create${ent.Pascal}Input, idempotencyKey: string`,
      ret: `{ record: ${ent.Pascal}; created: boolean }`,
      body: lines(
        `const existing = await db.${ent.camel}.findUnique({ where: { idempotencyKey } });`,
        'if (existing) return { record: existing, created: false };',
        `const record = await db.${ent.camel}.upsert({`,
        '  where: { idempotencyKey },',
        `  create: { ...input, status: '${ent.initial}', idempotencyKey },`,
        '  update: {},',
        '});',
        'return { record, created: true };',
      ),
    }),
    insertMany: (ent) => ({
      params: `inputs: Create${ent.Pascal}Input[]`,
      ret: 'number',
      body: `const { count } = await db.${ent.camel}.createMany({\n  data: inputs.map((input) => ({ ...input, status: '${ent.initial}' })),\n  skipDuplicates: true,\n});\nreturn count;`,
    }),
    update: (ent) => ({
      params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
      ret: `${ent.Pascal} | null`,
      body: `try {\n  return await db.${ent.camel}.update({ where: { id }, data: patch });\n} catch (error) {\n  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') return null;\n  throw error;\n}`,
    }),
    setStatus: (ent) => ({
      params: `${idParam(ent)}, status: ${ent.Pascal}Status`,
      ret: 'boolean',
      body: `const { count } = await db.${ent.camel}.updateMany({ where: { id }, data: { status } });\nreturn count > 0;`,
    }),
    remove: (ent, S) => ({
      params: idParam(ent),
      ret: 'boolean',
      body: S.rng.chance(0.5)
        ? `const { count } = await db.${ent.camel}.deleteMany({ where: { id } });\nreturn count > 0;`
        : `const { count } = await db.${ent.camel}.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date() } });\nreturn count > 0;`,
    }),
    increment: (ent) => ({
      params: `${idParam(ent)}, delta: number`,
      ret: `${ent.Pascal} | null`,
      body: `return db.${ent.camel}.update({\n  where: { id },\n  data: { ${ent.counter.name}: { increment: delta } },\n});`,
    }),
    saveCounter: (ent) => ({ params: `${idParam(ent)}, value: number`, ret: 'void', body: `await db.${ent.camel}.update({ where: { id }, data: { ${ent.counter.name}: value } });` }),
    search: (ent) => {
      const t = textField(ent);
      const col = t ? t.name : 'id';
      if (ent.searchVariant === 'injection') {
        return {
          params: "term: string, sort = 'createdAt', limit = 25",
          ret: `${ent.Pascal}[]`,
          body: `return db.$queryRawUnsafe<${ent.Pascal}[]>(\n  \`SELECT * FROM "${ent.Pascal}" WHERE "${col}" ILIKE '%\${term}%' ORDER BY "\${sort}" DESC LIMIT \${limit}\`,\n);`,
        };
      }
      return {
        params: "term: string, sort: 'createdAt' | 'updatedAt' = 'createdAt', limit = 25",
        ret: `${ent.Pascal}[]`,
        body: `return db.${ent.camel}.findMany({\n  where: { ${col}: { contains: term, mode: 'insensitive' } },\n  orderBy: { [sort]: 'desc' },\n  take: Math.min(limit, 100),\n});`,
      };
    },
    countByStatus: (ent) => ({
      params: '',
      ret: 'Record<string, number>',
      body: `const groups = await db.${ent.camel}.groupBy({ by: ['status'], _count: { _all: true } });\nreturn Object.fromEntries(groups.map((g) => [g.status, g._count._all]));`,
    }),
  },
};

const DRIZZLE = {
  exec: 'db',
  txType: 'Tx',
  prelude(ent, S, imp) {
    imp.named(S.mod('db/client'), 'database');
    imp.type(S.mod('db/client'), 'Executor');
    imp.named(S.mod('db/schema'), ent.plural);
    return `type ${ent.Pascal}Row = typeof ${ent.plural}.$inferSelect;`;
  },
  param: () => 'db: Executor = database',
  methods: {
    findById: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return { params: idParam(ent), ret: `${ent.Pascal}Row | null`, body: `const [row] = await db.select().from(${ent.plural}).where(eq(${ent.plural}.id, id)).limit(1);\nreturn row ?? null;` };
    },
    findByIds: (ent, S, imp) => {
      imp.named('drizzle-orm', 'inArray');
      return { params: `ids: ${ent.idTs}[]`, ret: `${ent.Pascal}Row[]`, body: `if (ids.length === 0) return [];\nreturn db.select().from(${ent.plural}).where(inArray(${ent.plural}.id, ids));` };
    },
    findByIdForUpdate: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      imp.type(S.mod('db/client'), 'Tx');
      return { params: `${idParam(ent)}, tx: Tx`, noExec: true, ret: `${ent.Pascal}Row | null`, body: `const [row] = await tx.select().from(${ent.plural}).where(eq(${ent.plural}.id, id)).for('update');\nreturn row ?? null;` };
    },
    list: (ent, S, imp) => {
      imp.named('drizzle-orm', 'and', 'desc', 'eq', 'lt');
      return {
        params: `params: ${ent.Pascal}ListParams`,
        ret: `${ent.Pascal}Row[]`,
        body: lines(
          'const conditions = [',
          `  params.status ? eq(${ent.plural}.status, params.status) : undefined,`,
          ent.parentField ? `  params.${ent.parentField.name} ? eq(${ent.plural}.${ent.parentField.name}, params.${ent.parentField.name}) : undefined,` : [],
          `  params.cursor ? lt(${ent.plural}.id, params.cursor) : undefined,`,
          '];',
          'return db',
          '  .select()',
          `  .from(${ent.plural})`,
          '  .where(and(...conditions))',
          `  .orderBy(desc(${ent.plural}.createdAt), desc(${ent.plural}.id))`,
          `  .limit(Math.min(params.limit ?? ${S.rng.pick([20, 50])}, 100));`,
        ),
      };
    },
    listAll: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq', 'asc');
      return {
        params: `filter: { status?: ${ent.Pascal}Status } = {}`,
        ret: `${ent.Pascal}Row[]`,
        body: `return db\n  .select()\n  .from(${ent.plural})\n  .where(filter.status ? eq(${ent.plural}.status, filter.status) : undefined)\n  .orderBy(asc(${ent.plural}.createdAt));`,
      };
    },
    listPage: (ent, S, imp) => {
      imp.named('drizzle-orm', 'gt', 'asc');
      return {
        params: `afterId: ${ent.idTs} | null, limit = 500`,
        ret: `${ent.Pascal}Row[]`,
        body: `return db\n  .select()\n  .from(${ent.plural})\n  .where(afterId === null ? undefined : gt(${ent.plural}.id, afterId))\n  .orderBy(asc(${ent.plural}.id))\n  .limit(limit);`,
      };
    },
    listByParent: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return { params: `${ent.parentField.name}: ${ent.idTs}`, ret: `${ent.Pascal}Row[]`, body: `return db.select().from(${ent.plural}).where(eq(${ent.plural}.${ent.parentField.name}, ${ent.parentField.name})).limit(500);` };
    },
    insert: (ent) => ({
      params: `input: Create${ent.Pascal}Input`,
      ret: `${ent.Pascal}Row`,
      body: `const [row] = await db\n  .insert(${ent.plural})\n  .values({ ...input, status: '${ent.initial}' })\n  .returning();\nreturn row;`,
    }),
    insertIdempotent: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return {
        params: `input: Create${ent.Pascal}Input, idempotencyKey: string`,
        ret: `{ record: ${ent.Pascal}Row; created: boolean }`,
        body: lines(
          'const [row] = await db',
          `  .insert(${ent.plural})`,
          `  .values({ ...input, status: '${ent.initial}', idempotencyKey })`,
          `  .onConflictDoNothing({ target: ${ent.plural}.idempotencyKey })`,
          '  .returning();',
          'if (row) return { record: row, created: true };',
          `const [existing] = await db.select().from(${ent.plural}).where(eq(${ent.plural}.idempotencyKey, idempotencyKey));`,
          'return { record: existing, created: false };',
        ),
      };
    },
    insertMany: (ent) => ({
      params: `inputs: Create${ent.Pascal}Input[]`,
      ret: 'number',
      body: `if (inputs.length === 0) return 0;\nconst rows = await db\n  .insert(${ent.plural})\n  .values(inputs.map((input) => ({ ...input, status: '${ent.initial}' as const })))\n  .onConflictDoNothing()\n  .returning({ id: ${ent.plural}.id });\nreturn rows.length;`,
    }),
    update: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return {
        params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
        ret: `${ent.Pascal}Row | null`,
        body: `const [row] = await db\n  .update(${ent.plural})\n  .set({ ...patch, updatedAt: new Date() })\n  .where(eq(${ent.plural}.id, id))\n  .returning();\nreturn row ?? null;`,
      };
    },
    setStatus: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return {
        params: `${idParam(ent)}, status: ${ent.Pascal}Status`,
        ret: 'boolean',
        body: `const rows = await db.update(${ent.plural}).set({ status, updatedAt: new Date() }).where(eq(${ent.plural}.id, id)).returning({ id: ${ent.plural}.id });\nreturn rows.length > 0;`,
      };
    },
    remove: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return { params: idParam(ent), ret: 'boolean', body: `const rows = await db.delete(${ent.plural}).where(eq(${ent.plural}.id, id)).returning({ id: ${ent.plural}.id });\nreturn rows.length > 0;` };
    },
    increment: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq', 'sql');
      return {
        params: `${idParam(ent)}, delta: number`,
        ret: `${ent.Pascal}Row | null`,
        body: `const [row] = await db\n  .update(${ent.plural})\n  .set({ ${ent.counter.name}: sql\`\${${ent.plural}.${ent.counter.name}} + \${delta}\`, updatedAt: new Date() })\n  .where(eq(${ent.plural}.id, id))\n  .returning();\nreturn row ?? null;`,
      };
    },
    saveCounter: (ent, S, imp) => {
      imp.named('drizzle-orm', 'eq');
      return { params: `${idParam(ent)}, value: number`, ret: 'void', body: `await db.update(${ent.plural}).set({ ${ent.counter.name}: value }).where(eq(${ent.plural}.id, id));` };
    },
    search: (ent, S, imp) => {
      const t = textField(ent);
      const col = t ? t.name : 'id';
      if (ent.searchVariant === 'injection') {
        imp.named('drizzle-orm', 'sql');
        return {
          params: "term: string, sort = 'created_at', limit = 25",
          ret: 'unknown[]',
          body: `const result = await db.execute(sql.raw(\`SELECT * FROM ${ent.table} WHERE ${snakeOf(col)} ILIKE '%\${term}%' ORDER BY \${sort} DESC LIMIT \${limit}\`));\nreturn result.rows;`,
        };
      }
      imp.named('drizzle-orm', 'ilike', 'desc');
      return {
        params: "term: string, sort: 'createdAt' | 'updatedAt' = 'createdAt', limit = 25",
        ret: `${ent.Pascal}Row[]`,
        body: `return db\n  .select()\n  .from(${ent.plural})\n  .where(ilike(${ent.plural}.${col}, \`%\${term}%\`))\n  .orderBy(desc(${ent.plural}[sort]))\n  .limit(Math.min(limit, 100));`,
      };
    },
    countByStatus: (ent, S, imp) => {
      imp.named('drizzle-orm', 'count');
      return {
        params: '',
        ret: 'Record<string, number>',
        body: `const rows = await db\n  .select({ status: ${ent.plural}.status, total: count() })\n  .from(${ent.plural})\n  .groupBy(${ent.plural}.status);\nreturn Object.fromEntries(rows.map((r) => [r.status, r.total]));`,
      };
    },
  },
};

/** TypeORM, inside NestJS: an injectable repository class wrapping Repository<Entity>. */
const TYPEORM = {
  exec: 'manager',
  txType: 'EntityManager',
  prelude() {
    return '';
  },
  param: () => 'manager?: EntityManager',
  repo: (ent) => `(manager ? manager.getRepository(${ent.Pascal}) : this.repository)`,
  methods: {
    findById: (ent) => ({ params: idParam(ent), ret: `${ent.Pascal} | null`, body: `return ${TYPEORM.repo(ent)}.findOne({ where: { id } });` }),
    findByIds: (ent, S, imp) => {
      imp.named('typeorm', 'In');
      return { params: `ids: ${ent.idTs}[]`, ret: `${ent.Pascal}[]`, body: `if (ids.length === 0) return [];\nreturn ${TYPEORM.repo(ent)}.findBy({ id: In(ids) });` };
    },
    findByIdForUpdate: (ent) => ({
      params: `${idParam(ent)}, manager: EntityManager`,
      noExec: true,
      ret: `${ent.Pascal} | null`,
      body: `return manager.getRepository(${ent.Pascal}).findOne({\n  where: { id },\n  lock: { mode: 'pessimistic_write' },\n});`,
    }),
    list: (ent, S, imp) => {
      imp.named('typeorm', 'LessThan');
      return {
        params: `params: ${ent.Pascal}ListParams`,
        ret: `${ent.Pascal}[]`,
        body: lines(
          `return ${TYPEORM.repo(ent)}.find({`,
          '  where: {',
          '    status: params.status,',
          ent.parentField ? `    ${ent.parentField.name}: params.${ent.parentField.name},` : [],
          '    ...(params.cursor ? { createdAt: LessThan(new Date(params.cursor)) } : {}),',
          '  },',
          "  order: { createdAt: 'DESC' },",
          `  take: Math.min(params.limit ?? ${S.rng.pick([20, 50])}, 100),`,
          '});',
        ),
      };
    },
    listAll: (ent) => ({
      params: `filter: { status?: ${ent.Pascal}Status } = {}`,
      ret: `${ent.Pascal}[]`,
      body: `return ${TYPEORM.repo(ent)}\n  .createQueryBuilder('${ent.snake}')\n  .where(filter.status ? '${ent.snake}.status = :status' : '1=1', { status: filter.status })\n  .orderBy('${ent.snake}.createdAt', 'ASC')\n  .getMany();`,
    }),
    listPage: (ent, S, imp) => {
      imp.named('typeorm', 'MoreThan');
      return {
        params: `afterId: ${ent.idTs} | null, limit = 500`,
        ret: `${ent.Pascal}[]`,
        body: `return ${TYPEORM.repo(ent)}.find({\n  where: afterId === null ? {} : { id: MoreThan(afterId) },\n  order: { id: 'ASC' },\n  take: limit,\n});`,
      };
    },
    listByParent: (ent) => ({
      params: `${ent.parentField.name}: ${ent.idTs}`,
      ret: `${ent.Pascal}[]`,
      body: `return ${TYPEORM.repo(ent)}.find({ where: { ${ent.parentField.name} }, order: { createdAt: 'ASC' }, take: 500 });`,
    }),
    insert: (ent) => ({
      params: `input: Create${ent.Pascal}Input`,
      ret: ent.Pascal,
      body: `const repository = ${TYPEORM.repo(ent)};\nconst entity = repository.create({ ...input, status: '${ent.initial}' });\nreturn repository.save(entity);`,
    }),
    insertIdempotent: (ent) => ({
      params: `input: Create${ent.Pascal}Input, idempotencyKey: string`,
      ret: `{ record: ${ent.Pascal}; created: boolean }`,
      body: lines(
        `const repository = ${TYPEORM.repo(ent)};`,
        'const result = await repository',
        '  .createQueryBuilder()',
        '  .insert()',
        `  .values({ ...input, status: '${ent.initial}', idempotencyKey })`,
        '  .orIgnore()',
        '  .execute();',
        'const record = await repository.findOneByOrFail({ idempotencyKey });',
        'return { record, created: result.identifiers.length > 0 };',
      ),
    }),
    insertMany: (ent) => ({
      params: `inputs: Create${ent.Pascal}Input[]`,
      ret: 'number',
      body: `if (inputs.length === 0) return 0;\nconst result = await ${TYPEORM.repo(ent)}.insert(inputs.map((input) => ({ ...input, status: '${ent.initial}' as const })));\nreturn result.identifiers.length;`,
    }),
    update: (ent) => ({
      params: `${idParam(ent)}, patch: Update${ent.Pascal}Input`,
      ret: `${ent.Pascal} | null`,
      body: `const repository = ${TYPEORM.repo(ent)};\nconst result = await repository.update({ id }, patch);\nif (!result.affected) return null;\nreturn repository.findOne({ where: { id } });`,
    }),
    setStatus: (ent) => ({
      params: `${idParam(ent)}, status: ${ent.Pascal}Status`,
      ret: 'boolean',
      body: `const result = await ${TYPEORM.repo(ent)}.update({ id }, { status });\nreturn (result.affected ?? 0) > 0;`,
    }),
    remove: (ent, S) => ({
      params: idParam(ent),
      ret: 'boolean',
      body: S.rng.chance(0.5) ? `const result = await ${TYPEORM.repo(ent)}.delete({ id });\nreturn (result.affected ?? 0) > 0;` : `const result = await ${TYPEORM.repo(ent)}.softDelete({ id });\nreturn (result.affected ?? 0) > 0;`,
    }),
    increment: (ent) => ({
      params: `${idParam(ent)}, delta: number`,
      ret: `${ent.Pascal} | null`,
      body: `const repository = ${TYPEORM.repo(ent)};\nawait repository.increment({ id }, '${ent.counter.name}', delta);\nreturn repository.findOne({ where: { id } });`,
    }),
    saveCounter: (ent) => ({ params: `${idParam(ent)}, value: number`, ret: 'void', body: `await ${TYPEORM.repo(ent)}.update({ id }, { ${ent.counter.name}: value });` }),
    search: (ent) => {
      const t = textField(ent);
      const col = t ? t.name : 'id';
      if (ent.searchVariant === 'injection') {
        return {
          params: "term: string, sort = 'created_at', limit = 25",
          ret: `${ent.Pascal}[]`,
          body: `return ${TYPEORM.repo(ent)}.query(\n  \`SELECT * FROM ${ent.table} WHERE ${snakeOf(col)} ILIKE '%\${term}%' ORDER BY \${sort} DESC LIMIT \${limit}\`,\n);`,
        };
      }
      return {
        params: "term: string, sort: 'createdAt' | 'updatedAt' = 'createdAt', limit = 25",
        ret: `${ent.Pascal}[]`,
        body: `return ${TYPEORM.repo(ent)}\n  .createQueryBuilder('${ent.snake}')\n  .where('${ent.snake}.${col} ILIKE :term', { term: \`%\${term}%\` })\n  .orderBy(\`${ent.snake}.\${sort}\`, 'DESC')\n  .take(Math.min(limit, 100))\n  .getMany();`,
      };
    },
    countByStatus: (ent) => ({
      params: '',
      ret: 'Record<string, number>',
      body: `const rows: { status: string; count: string }[] = await ${TYPEORM.repo(ent)}\n  .createQueryBuilder('${ent.snake}')\n  .select('${ent.snake}.status', 'status')\n  .addSelect('COUNT(*)', 'count')\n  .groupBy('${ent.snake}.status')\n  .getRawMany();\nreturn Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));`,
    }),
  },
};

const ORMS = { pg: PG, knex: KNEX, prisma: PRISMA, drizzle: DRIZZLE, typeorm: TYPEORM };

// ---------------------------------------------------------------------------------------------
// Upstream services that the generated services call over HTTP

const UPSTREAMS = [
  { name: 'tax', get: ['getRates', 'rates'], post: ['createTransaction', 'transactions'], field: 'rate' },
  { name: 'fraud', get: ['getScore', 'scores'], post: ['submitAssessment', 'assessments'], field: 'score' },
  { name: 'erp', get: ['fetchRecord', 'records'], post: ['pushDocument', 'documents'], field: 'externalId' },
  { name: 'search', get: ['getDocument', 'documents'], post: ['indexDocument', 'documents'], field: 'version' },
  { name: 'pricing', get: ['getQuote', 'quotes'], post: ['requestQuote', 'quotes'], field: 'amountCents' },
  { name: 'crm', get: ['getContact', 'contacts'], post: ['upsertContact', 'contacts'], field: 'email' },
  { name: 'address', get: ['getValidation', 'validations'], post: ['normalizeAddress', 'addresses/normalize'], field: 'postalCode' },
  { name: 'warehouse', get: ['getStock', 'stock'], post: ['createPickList', 'pick-lists'], field: 'availableQty' },
  { name: 'mailer', get: ['getMessageStatus', 'messages'], post: ['sendEmail', 'messages'], field: 'status' },
  { name: 'carrier', get: ['getTracking', 'tracking'], post: ['createShipment', 'shipments'], field: 'trackingNumber' },
  { name: 'identity', get: ['getUser', 'users'], post: ['provisionUser', 'users'], field: 'email' },
  { name: 'ledger', get: ['getBalance', 'balances'], post: ['postEntry', 'entries'], field: 'balanceCents' },
  { name: 'loyalty', get: ['getMember', 'members'], post: ['awardPoints', 'awards'], field: 'points' },
  { name: 'recommendations', get: ['getSimilar', 'similar'], post: ['trackInteraction', 'interactions'], field: 'score' },
];

/** Per-service context: naming, layout, module paths, hazard counters. */
class ServiceCtx {
  constructor(def, rng, planted) {
    this.def = def;
    this.rng = rng;
    this.planted = planted;
    this.nest = def.framework === 'nestjs';
    this.next = def.framework === 'next';
    this.root = `services/${def.name}`;
    this.files = [];
    this.upstreams = [];
  }
  plant(rule) {
    this.planted[rule] = (this.planted[rule] ?? 0) + 1;
  }
  /** Module specifier of a src-relative path (no extension). */
  mod(p) {
    return `${this.def.alias}/${this.next ? this.nextPath(p) : p}`;
  }
  /** In the Next.js service, server code lives under src/server/ and shared code under src/lib/. */
  nextPath(p) {
    if (/^(repositories|services|types|schemas|messaging|clients|db|jobs|consumers)\//.test(p)) return `server/${p}`;
    return p;
  }
  self(name) {
    return this.def.style === 'functions' ? name : `this.${name}`;
  }
  /** Adds a file (src-relative unless `rootRelative`). */
  add(rel, text, { rootRelative = false } = {}) {
    const p = rootRelative ? rel : `src/${this.next ? this.nextPath(rel) : rel}`;
    this.files.push({ rel: `${this.root}/${p}`, text: text.endsWith('\n') ? text : `${text}\n` });
  }
  /** Path (src-relative, no extension) of an entity module. */
  path(kind, ent) {
    if (this.nest) {
      const dir = ent.pluralKebab;
      return {
        types: `${dir}/${ent.kebab}.types`,
        repo: `${dir}/${ent.kebab}.repository`,
        service: `${dir}/${ent.kebab}.service`,
        controller: `${dir}/${ent.kebab}.controller`,
        entity: `${dir}/entities/${ent.kebab}.entity`,
        dto: `${dir}/dto/${ent.kebab}.dto`,
        module: `${dir}/${ent.pluralKebab}.module`,
        test: `${dir}/${ent.kebab}.service.spec`,
      }[kind];
    }
    return {
      types: `types/${ent.kebab}`,
      schema: `schemas/${ent.kebab}.schema`,
      repo: `repositories/${ent.kebab}.repository`,
      service: `services/${ent.kebab}.service`,
      routes: { express: `routes/${ent.pluralKebab}.routes`, express5: `routes/${ent.pluralKebab}.routes`, fastify: `routes/${ent.pluralKebab}`, hono: `routes/${ent.pluralKebab}`, koa: `routes/${ent.pluralKebab}.router` }[this.def.framework],
      test: `services/${ent.kebab}.service.test`,
    }[kind];
  }
  /** Module specifier of an entity module as seen from another entity's file. */
  spec(kind, ent, fromEnt) {
    const target = this.path(kind, ent);
    if (this.nest && fromEnt) {
      const fromDir = path.posix.dirname(this.path('service', fromEnt));
      let rel = path.posix.relative(fromDir, target);
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return rel;
    }
    return this.mod(target);
  }
}

/** Variants of the HTTP client of one upstream, decided once per service. */
function planUpstreams(S) {
  const rng = S.rng;
  S.upstreams = rng.sample(UPSTREAMS, 4).map((u) => {
    const timeout = rng.chance(0.7);
    const retryPost = S.def.http === 'got' && rng.chance(0.3);
    if (!timeout) S.plant('require-timeout');
    if (retryPost) S.plant('no-retry-non-idempotent');
    return { ...u, Name: cap(u.name), ref: `${u.name}Client`, env: `${u.name.toUpperCase()}_API_URL`, timeout, retryPost, ms: rng.pick([2000, 3000, 5000, 8000, 10000]) };
  });
}

// ---------------------------------------------------------------------------------------------
// Service-layer references: what a service method writes to log, publish, open a transaction, …

class FileCtx {
  constructor(S, ent) {
    this.S = S;
    this.ent = ent;
    this.imp = new Imports();
    this.top = [];
    this.inject = new Map(); // nest constructor injections: name -> declaration
  }
  injectAs(name, decl) {
    this.inject.set(name, decl);
    return `this.${name}`;
  }
  repo(e = this.ent) {
    const S = this.S;
    if (S.nest) {
      this.imp.named(S.spec('repo', e, this.ent), `${e.Pascal}Repository`);
      return this.injectAs(`${e.camel}Repository`, `private readonly ${e.camel}Repository: ${e.Pascal}Repository`);
    }
    if (S.def.style === 'functions') {
      this.imp.ns(S.spec('repo', e), `${e.camel}Repo`);
      return `${e.camel}Repo`;
    }
    if (e === this.ent) {
      this.imp.named(S.spec('repo', e), `${e.camel}Repository`);
      return 'this.repository';
    }
    this.imp.named(S.spec('repo', e), `${e.camel}Repository`);
    return `${e.camel}Repository`;
  }
  log(level, fields, msg) {
    if (this.S.nest) {
      this.injectAs('logger', `private readonly logger = new Logger(${this.ent.Pascal}Service.name)`);
      return `this.logger.${level === 'info' ? 'log' : level}(\`${msg}\`);`;
    }
    this.imp.named(this.S.mod('lib/logger'), 'logger');
    return `logger.${level}({ ${fields} }, '${msg.replace(/\$\{[^}]*\}/g, '').replace(/\s+/g, ' ').trim()}');`;
  }
  notFound(idExpr) {
    if (this.S.nest) {
      this.imp.named('@nestjs/common', 'NotFoundException');
      return `throw new NotFoundException(\`${this.ent.Pascal} \${${idExpr}} not found\`);`;
    }
    this.imp.named(this.S.mod('lib/errors'), 'NotFoundError');
    return `throw new NotFoundError('${this.ent.Pascal}', ${idExpr});`;
  }
  conflict(msgTemplate) {
    if (this.S.nest) {
      this.imp.named('@nestjs/common', 'ConflictException');
      return `throw new ConflictException(\`${msgTemplate}\`);`;
    }
    this.imp.named(this.S.mod('lib/errors'), 'ConflictError');
    return `throw new ConflictError(\`${msgTemplate}\`);`;
  }
  badRequest(msg) {
    if (this.S.nest) {
      this.imp.named('@nestjs/common', 'BadRequestException');
      return `throw new BadRequestException('${msg}');`;
    }
    this.imp.named(this.S.mod('lib/errors'), 'ValidationError');
    return `throw new ValidationError('${msg}');`;
  }
  /** An expression that runs `body` (which uses `tx`) in one transaction. */
  tx(body) {
    const S = this.S;
    switch (S.def.orm) {
      case 'pg':
        this.imp.named(S.mod('db/transaction'), 'withTransaction');
        return `withTransaction(async (tx) => {\n${ind(body, 2)}\n})`;
      case 'prisma':
        this.imp.named(S.mod('db/client'), 'prisma');
        return `prisma.$transaction(async (tx) => {\n${ind(body, 2)}\n})`;
      case 'knex':
        this.imp.named(S.mod('db/knex'), 'knex');
        return `knex.transaction(async (tx) => {\n${ind(body, 2)}\n})`;
      case 'drizzle':
        this.imp.named(S.mod('db/client'), 'database');
        return `database.transaction(async (tx) => {\n${ind(body, 2)}\n})`;
      default:
        this.imp.named('typeorm', 'DataSource');
        this.injectAs('dataSource', 'private readonly dataSource: DataSource');
        return `this.dataSource.transaction(async (tx) => {\n${ind(body, 2)}\n})`;
    }
  }
  publish(type, keyExpr, payloadExpr) {
    const S = this.S;
    const rng = S.rng;
    if (S.nest) {
      this.imp.named('@nestjs/bullmq', 'InjectQueue');
      this.imp.type('bullmq', 'Queue');
      this.injectAs('eventsQueue', "@InjectQueue('domain-events') private readonly eventsQueue: Queue");
      return `await this.eventsQueue.add('${type}', ${payloadExpr});`;
    }
    if (rng.chance(0.6)) {
      this.imp.named(S.mod('messaging/publisher'), 'publishEvent');
      return `await publishEvent('${type}', ${keyExpr}, ${payloadExpr});`;
    }
    switch (S.def.bus) {
      case 'kafka':
        this.imp.named(S.mod('messaging/kafka'), 'producer');
        return `await producer.send({\n  topic: '${S.def.name.replace(/-(api|service)$/, '')}.${type.replace(/\./g, '-')}',\n  messages: [{ key: ${keyExpr}, value: JSON.stringify(${payloadExpr}) }],\n});`;
      case 'amqp':
        this.imp.named(S.mod('messaging/rabbit'), 'getChannel');
        return `const channel = await getChannel();\nchannel.publish('domain-events', '${type}', Buffer.from(JSON.stringify(${payloadExpr})), { persistent: true, contentType: 'application/json' });`;
      case 'sqs':
        this.imp.named(S.mod('messaging/sqs'), 'sqs');
        this.imp.named('@aws-sdk/client-sqs', 'SendMessageCommand');
        this.imp.named(S.mod('config'), 'config');
        return `await sqs.send(\n  new SendMessageCommand({\n    QueueUrl: config.EVENTS_QUEUE_URL,\n    MessageBody: JSON.stringify({ type: '${type}', payload: ${payloadExpr} }),\n  }),\n);`;
      default:
        this.imp.named(S.mod('messaging/queues'), 'eventsQueue');
        return `await eventsQueue.add('${type}', ${payloadExpr});`;
    }
  }
  outbox(type, idExpr, payloadExpr) {
    const S = this.S;
    if (S.nest) {
      this.imp.named(S.mod('common/outbox/outbox.service'), 'OutboxService');
      this.injectAs('outbox', 'private readonly outbox: OutboxService');
      return `await this.outbox.enqueue(tx, { aggregateType: '${this.ent.snake}', aggregateId: String(${idExpr}), eventType: '${type}', payload: ${payloadExpr} });`;
    }
    this.imp.named(S.mod('messaging/outbox'), 'enqueueOutbox');
    return `await enqueueOutbox(tx, {\n  aggregateType: '${this.ent.snake}',\n  aggregateId: String(${idExpr}),\n  eventType: '${type}',\n  payload: ${payloadExpr},\n});`;
  }
  audit(action, idExpr, txVar) {
    const S = this.S;
    const entry = `{ entity: '${this.ent.snake}', entityId: String(${idExpr}), action: '${action}', actorId: context.actorId }`;
    if (S.nest) {
      this.imp.named(S.mod('common/audit/audit-log.service'), 'AuditLogService');
      this.injectAs('auditLog', 'private readonly auditLog: AuditLogService');
      return `await this.auditLog.record(${entry}${txVar ? `, ${txVar}` : ''});`;
    }
    this.imp.named(S.mod('repositories/audit-log.repository'), 'recordAudit');
    return `await recordAudit(${entry}${txVar ? `, ${txVar}` : ''});`;
  }
  client(u) {
    const S = this.S;
    if (S.nest) {
      this.imp.named(S.mod(`clients/${u.name}.client`), `${u.Name}Client`);
      return this.injectAs(u.ref, `private readonly ${u.ref}: ${u.Name}Client`);
    }
    this.imp.named(S.mod(`clients/${u.name}.client`), u.ref);
    return u.ref;
  }
  stripe() {
    const S = this.S;
    if (S.nest) {
      this.imp.named('@nestjs/common', 'Inject');
      this.imp.def('stripe', 'Stripe');
      this.imp.named(S.mod('common/stripe/stripe.module'), 'STRIPE_CLIENT');
      return this.injectAs('stripe', '@Inject(STRIPE_CLIENT) private readonly stripe: Stripe');
    }
    this.imp.named(S.mod('lib/stripe'), 'stripe');
    return 'stripe';
  }
  cache() {
    this.imp.named(this.S.mod('lib/redis'), 'redis');
    return 'redis';
  }
  context() {
    if (!this.S.nest) this.imp.type(this.S.mod('types/context'), 'RequestContext');
    else this.imp.type(this.S.mod('common/request-context'), 'RequestContext');
    return 'RequestContext';
  }
  util(name) {
    const where = { sleep: 'utils/sleep', withRetry: 'lib/retry', chunk: 'utils/array', toCsv: 'utils/csv', randomUUID: 'node:crypto' }[name];
    if (where === 'node:crypto') this.imp.named('node:crypto', 'randomUUID');
    else this.imp.named(this.S.mod(where), name);
    return name;
  }
  types(...names) {
    const S = this.S;
    const ent = this.ent;
    for (const n of names) {
      if (S.nest && n === ent.Pascal) this.imp.named(S.spec('entity', ent, ent), n);
      else this.imp.type(S.nest ? S.spec('types', ent, ent) : S.mod(S.path('types', ent)), n);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Service layer: one method per operation

function opNames(op, ent) {
  const E = ent.Pascal;
  const P = ent.Plural;
  switch (op.kind) {
    case 'list':
      return { method: 'list', fn: `list${P}` };
    case 'get':
      return { method: 'get', fn: `get${E}` };
    case 'details':
      return { method: `getWith${op.child.Plural}`, fn: `get${E}With${op.child.Plural}` };
    case 'create':
      return { method: 'create', fn: `create${E}` };
    case 'update':
      return { method: 'update', fn: `update${E}` };
    case 'remove':
      return { method: 'remove', fn: `delete${E}` };
    case 'transition':
      return { method: op.action, fn: `${op.action}${E}` };
    case 'adjust':
      return { method: `adjust${cap(ent.counter.name)}`, fn: `adjust${E}${cap(ent.counter.name)}` };
    case 'import':
      return { method: 'importMany', fn: `import${P}` };
    case 'sync':
      return { method: `syncFrom${op.upstream.Name}`, fn: `sync${E}From${op.upstream.Name}` };
    case 'charge':
      return { method: op.payment.method, fn: `${op.payment.method}${E}` };
    case 'search':
      return { method: 'search', fn: `search${P}` };
    case 'stats':
      return { method: 'stats', fn: `get${E}Stats` };
    case 'export':
      return { method: 'exportCsv', fn: `export${P}Csv` };
    case 'reconcile':
      return { method: `reconcileWith${op.upstream.Name}`, fn: `reconcile${E}With${op.upstream.Name}` };
    case 'notify':
      return { method: 'sendReminder', fn: `send${E}Reminder` };
    default:
      throw new Error(op.kind);
  }
}

const PAYMENT_CALLS = [
  { method: 'charge', call: 'paymentIntents.create', args: (amount, cur, meta) => `{\n  amount: ${amount},\n  currency: ${cur},\n  automatic_payment_methods: { enabled: true },\n  metadata: ${meta},\n}`, result: 'paymentIntent' },
  { method: 'refund', call: 'refunds.create', args: (amount, cur, meta) => `{\n  payment_intent: record.externalId ?? undefined,\n  amount: ${amount},\n  metadata: ${meta},\n}`, result: 'refund' },
  { method: 'payOut', call: 'transfers.create', args: (amount, cur, meta) => `{\n  amount: ${amount},\n  currency: ${cur},\n  destination: context.accountRef ?? '',\n  metadata: ${meta},\n}`, result: 'transfer' },
];

/** Renders the body of one service method. Returns { params, body, ret?, top? }. */
function serviceMethod(op, ent, F) {
  const S = F.S;
  const rng = S.rng;
  const E = ent.Pascal;
  const R = F.repo();
  const id = ent.idTs;
  const self = (kind, extra) => (S.def.style === 'functions' && !S.nest ? opNames({ kind, ...extra }, ent).fn : `this.${opNames({ kind, ...extra }, ent).method}`);
  const status = (s) => `'${s}'`;
  const fetchOr404 = (varName = 'record') => `const ${varName} = await ${R}.findById(id);\nif (!${varName}) ${F.notFound('id')}`;
  switch (op.kind) {
    case 'list': {
      F.types(`${E}ListParams`);
      const p = ent.parent;
      const pf = ent.parentField;
      if (op.v === 'plain') {
        const limit = rng.pick(['', 'const limit = Math.min(Math.max(params.limit ?? 20, 1), 100);\n']);
        return { params: `params: ${E}ListParams`, body: limit ? `${limit}return ${R}.list({ ...params, limit });` : `return ${R}.list(params);` };
      }
      if (op.v === 'unbounded') {
        return {
          params: `params: ${E}ListParams`,
          body: lines(
            `// The list is small per tenant, so we filter in memory (see ${ent.table} sizing notes).`,
            `const rows = await ${R}.listAll({ status: params.status });`,
            pf ? `const filtered = params.${pf.name} ? rows.filter((row) => row.${pf.name} === params.${pf.name}) : rows;` : 'const filtered = rows;',
            'const start = params.cursor ? filtered.findIndex((row) => String(row.id) === params.cursor) + 1 : 0;',
            'return filtered.slice(start, start + (params.limit ?? 50));',
          ),
        };
      }
      const PR = F.repo(p);
      if (op.v === 'n1-helper') {
        if (S.def.style === 'functions' && !S.nest) {
          F.top.push(
            `/** Loads the ${p.words} shown next to each ${ent.words} in list views. */\nasync function load${p.Pascal}Summary(${pf.name}: ${id}) {\n  const ${p.camel} = await ${PR}.findById(${pf.name});\n  return ${p.camel} ? { id: ${p.camel}.id, status: ${p.camel}.status } : null;\n}`,
          );
          return {
            params: `params: ${E}ListParams`,
            body: lines(
              `const ${ent.plural} = await ${R}.list(params);`,
              'const result = [];',
              `for (const ${ent.camel} of ${ent.plural}) {`,
              `  const ${p.camel} = await load${p.Pascal}Summary(${ent.camel}.${pf.name});`,
              `  result.push({ ...${ent.camel}, ${p.camel} });`,
              '}',
              'return result;',
            ),
          };
        }
        return {
          params: `params: ${E}ListParams`,
          body: lines(
            `const ${ent.plural} = await ${R}.list(params);`,
            `const result: Array<${E} & { ${p.camel}Status: string | null }> = [];`,
            `for (const ${ent.camel} of ${ent.plural}) {`,
            `  const ${p.camel} = await ${PR}.findById(${ent.camel}.${pf.name});`,
            `  result.push({ ...${ent.camel}, ${p.camel}Status: ${p.camel}?.status ?? null });`,
            '}',
            'return result;',
          ),
          needsEntityType: true,
        };
      }
      if (op.v === 'n1-promise-all') {
        return {
          params: `params: ${E}ListParams`,
          body: lines(
            `const ${ent.plural} = await ${R}.list(params);`,
            'return Promise.all(',
            `  ${ent.plural}.map(async (${ent.camel}) => ({`,
            `    ...${ent.camel},`,
            `    ${p.camel}: await ${PR}.findById(${ent.camel}.${pf.name}),`,
            '  })),',
            ');',
          ),
        };
      }
      return {
        params: `params: ${E}ListParams`,
        body: lines(
          `const ${ent.plural} = await ${R}.list(params);`,
          `const ${pf.name}s = [...new Set(${ent.plural}.map((row) => row.${pf.name}))];`,
          `const ${p.plural} = await ${PR}.findByIds(${pf.name}s);`,
          `const byId = new Map(${p.plural}.map((row) => [row.id, row]));`,
          `return ${ent.plural}.map((row) => ({ ...row, ${p.camel}: byId.get(row.${pf.name}) ?? null }));`,
        ),
      };
    }
    case 'get': {
      if (S.def.cache && !S.nest && rng.chance(0.4)) {
        const redis = F.cache();
        F.types(E);
        return {
          params: `id: ${id}`,
          ret: E,
          body: lines(
            `const cacheKey = \`${ent.snake}:\${id}\`;`,
            `const cached = await ${redis}.get(cacheKey);`,
            `if (cached) return JSON.parse(cached) as ${E};`,
            fetchOr404(),
            `await ${redis}.set(cacheKey, JSON.stringify(record), 'EX', ${rng.pick([60, 120, 300, 900])});`,
            'return record;',
          ),
        };
      }
      return { params: `id: ${id}`, body: `${fetchOr404()}\nreturn record;` };
    }
    case 'details': {
      const child = op.child;
      const CR = F.repo(child);
      const u = rng.pick(S.upstreams);
      const client = F.client(u);
      if (op.v === 'n1-children') {
        return {
          params: `id: ${id}`,
          body: lines(
            `const record = await ${self('get')}(id);`,
            `const ${child.plural} = await ${CR}.listByParent(id);`,
            `const enriched = [];`,
            `for (const ${child.camel} of ${child.plural}) {`,
            `  // ${u.name} owns the live ${u.field}; we show it next to each ${child.words}.`,
            `  const remote = await ${client}.${u.get[0]}(String(${child.camel}.id));`,
            `  enriched.push({ ...${child.camel}, ${u.field}: remote.${u.field} ?? null });`,
            '}',
            `return { ...record, ${child.plural}: enriched };`,
          ),
        };
      }
      return {
        params: `id: ${id}`,
        body: lines(`const record = await ${self('get')}(id);`, `const ${child.plural} = await ${CR}.listByParent(id);`, `return { ...record, ${child.plural}, ${child.camel}Count: ${child.plural}.length };`),
      };
    }
    case 'create': {
      F.types(`Create${E}Input`);
      const ctx = F.context();
      const created = `'${ent.snake}.created'`.slice(1, -1);
      const payload = `{ id: ${'record'}.id, status: record.status${ent.parentField ? `, ${ent.parentField.name}: record.${ent.parentField.name}` : ''} }`;
      const params = `input: Create${E}Input, context: ${ctx}`;
      switch (op.v) {
        case 'plain':
          return { params, body: lines(`const record = await ${R}.insert(input);`, F.log('info', `${ent.camel}Id: record.id, actorId: context.actorId`, `${ent.words} created`), 'return record;') };
        case 'dual-write':
          return { params, body: lines(`const record = await ${R}.insert(input);`, F.publish(created, 'String(record.id)', payload), 'return record;') };
        case 'idempotent':
          return {
            params,
            body: lines(
              `if (!context.idempotencyKey) ${F.badRequest('Idempotency-Key header is required')}`,
              `const { record, created } = await ${R}.insertIdempotent(input, context.idempotencyKey);`,
              `if (created) ${F.log('info', `${ent.camel}Id: record.id`, `${ent.words} created`)}`,
              'return record;',
            ),
          };
        case 'outbox': {
          const key = `context.idempotencyKey ?? ${F.util('randomUUID')}()`;
          return {
            params,
            body: `const idempotencyKey = ${key};\nreturn ${F.tx(lines(`const { record, created } = await ${R}.insertIdempotent(input, idempotencyKey, tx);`, 'if (created) {', ind(F.outbox(created, 'record.id', payload), 2), '}', 'return record;'))};`,
          };
        }
        case 'http-post': {
          const u = rng.pick(S.upstreams);
          const client = F.client(u);
          return {
            params,
            body: lines(
              `const record = await ${R}.insert(input);`,
              `// ${u.name} needs to know about every new ${ent.words}.`,
              `await ${client}.${u.post[0]}({ source: '${S.def.name}', ${ent.camel}Id: record.id, status: record.status });`,
              'return record;',
            ),
          };
        }
        default:
          return { params, body: `return ${F.tx(lines(`const record = await ${R}.insert(input, tx);`, F.publish(created, 'String(record.id)', payload), 'return record;'))};` };
      }
    }
    case 'update': {
      F.types(`Update${E}Input`);
      const ctx = F.context();
      if (op.v === 'process-local') {
        F.top.push(`/** Last update per ${ent.words}, used to throttle webhook fan-out. */\nconst lastUpdatedAt = new Map<string, number>();`);
        return {
          params: `id: ${id}, patch: Update${E}Input, context: ${ctx}`,
          body: lines(
            `const updated = await ${R}.update(id, patch);`,
            `if (!updated) ${F.notFound('id')}`,
            'lastUpdatedAt.set(String(id), Date.now());',
            F.log('info', `${ent.camel}Id: id, actorId: context.actorId`, `${ent.words} updated`),
            'return updated;',
          ),
        };
      }
      const check = rng.chance(0.5);
      return {
        params: `id: ${id}, patch: Update${E}Input, context: ${ctx}`,
        body: lines(
          check ? [fetchOr404('existing'), `if (existing.status === '${ent.statuses[ent.statuses.length - 1]}') ${F.conflict(`${ent.words} \${id} can no longer be changed`)}`] : [],
          `const updated = await ${R}.update(id, patch);`,
          `if (!updated) ${F.notFound('id')}`,
          op.v === 'cache-evict' ? `await ${F.cache()}.del(\`${ent.snake}:\${id}\`);` : [],
          F.log('info', `${ent.camel}Id: id, actorId: context.actorId, fields: Object.keys(patch)`, `${ent.words} updated`),
          'return updated;',
        ),
      };
    }
    case 'remove': {
      const ctx = F.context();
      return {
        params: `id: ${id}, context: ${ctx}`,
        body: lines(`const removed = await ${R}.remove(id);`, `if (!removed) ${F.notFound('id')}`, F.log('info', `${ent.camel}Id: id, actorId: context.actorId`, `${ent.words} ${op.v === 'soft' ? 'archived' : 'deleted'}`)),
        ret: 'void',
      };
    }
    case 'transition': {
      const ctx = F.context();
      const target = STATUS_OF[op.action] ?? `${op.action}ed`;
      const type = `${ent.snake}.${target}`;
      const payload = `{ id: record.id, status: ${status(target)}, actorId: context.actorId }`;
      if (S.nest) F.imp.named(S.spec('types', ent, ent), 'canTransition');
      else F.imp.named(S.mod(S.path('types', ent)), 'canTransition');
      const guard = [fetchOr404(), `if (!canTransition(record.status, ${status(target)})) {`, ind(F.conflict(`Cannot ${op.action} ${ent.words} \${id} in status \${record.status}`), 2), '}'];
      let write;
      switch (op.v) {
        case 'publish-after':
          write = [`await ${R}.setStatus(id, ${status(target)});`, F.publish(type, 'String(id)', payload)];
          break;
        case 'outbox':
          write = [`await ${F.tx(lines(`await ${R}.setStatus(id, ${status(target)}, tx);`, F.outbox(type, 'id', payload)))};`];
          break;
        case 'audit-no-tx':
          write = [`await ${R}.setStatus(id, ${status(target)});`, F.audit(op.action, 'id')];
          break;
        case 'audit-tx':
          write = [`await ${F.tx(lines(`await ${R}.setStatus(id, ${status(target)}, tx);`, F.audit(op.action, 'id', 'tx')))};`];
          break;
        default:
          write = [`await ${R}.setStatus(id, ${status(target)});`, F.log('info', `${ent.camel}Id: id, actorId: context.actorId`, `${ent.words} ${target}`)];
      }
      return { params: `id: ${id}, context: ${ctx}`, body: lines(guard, write, `return { ...record, status: ${status(target)} as const };`) };
    }
    case 'adjust': {
      const ctx = F.context();
      const c = ent.counter.name;
      const validate = `if (!Number.isInteger(delta) || delta === 0) ${F.badRequest('delta must be a non-zero integer')}`;
      if (op.v === 'atomic') {
        return {
          params: `id: ${id}, delta: number, context: ${ctx}`,
          body: lines(validate, `const updated = await ${R}.increment(id, delta);`, `if (!updated) ${F.notFound('id')}`, F.log('info', `${ent.camel}Id: id, delta, actorId: context.actorId`, `${ent.words} ${words(c)} adjusted`), 'return updated;'),
        };
      }
      const compute = [`const next = record.${c} + delta;`, 'if (next < 0) {', ind(F.conflict(`${words(c)} of ${ent.words} \${id} cannot go below zero`), 2), '}'];
      if (op.v === 'lost-update') {
        return {
          params: `id: ${id}, delta: number, context: ${ctx}`,
          body: lines(validate, fetchOr404(), compute, `await ${R}.saveCounter(id, next);`, F.log('info', `${ent.camel}Id: id, ${c}: next, actorId: context.actorId`, `${ent.words} ${words(c)} adjusted`), `return { ...record, ${c}: next };`),
        };
      }
      return {
        params: `id: ${id}, delta: number, context: ${ctx}`,
        body: lines(
          validate,
          `return ${F.tx(lines(`const record = await ${R}.findByIdForUpdate(id, tx);`, `if (!record) ${F.notFound('id')}`, compute, `await ${R}.saveCounter(id, next, tx);`, `return { ...record, ${c}: next };`))};`,
        ),
      };
    }
    case 'import': {
      F.types(`Create${E}Input`);
      const ctx = F.context();
      if (op.v === 'loop-insert') {
        return {
          params: `rows: Create${E}Input[], context: ${ctx}`,
          body: lines(
            'let created = 0;',
            'const failures: { index: number; reason: string }[] = [];',
            'for (const [index, row] of rows.entries()) {',
            '  try {',
            `    await ${R}.insert(row);`,
            '    created += 1;',
            '  } catch (error) {',
            '    failures.push({ index, reason: error instanceof Error ? error.message : String(error) });',
            '  }',
            '}',
            F.log('info', 'created, failed: failures.length, actorId: context.actorId', `${ent.words} import finished`),
            'return { created, failures };',
          ),
        };
      }
      if (op.v === 'chunked') {
        const chunk = F.util('chunk');
        return {
          params: `rows: Create${E}Input[], context: ${ctx}`,
          body: lines('let created = 0;', `for (const batch of ${chunk}(rows, ${rng.pick([100, 250, 500])})) {`, `  created += await ${R}.insertMany(batch);`, '}', F.log('info', 'created, actorId: context.actorId', `${ent.words} import finished`), 'return { created, failures: [] };'),
        };
      }
      return {
        params: `rows: Create${E}Input[], context: ${ctx}`,
        body: lines(`if (rows.length > ${rng.pick([1000, 5000])}) ${F.badRequest('Too many rows in one import')}`, `const created = await ${R}.insertMany(rows);`, F.log('info', 'created, actorId: context.actorId', `${ent.words} import finished`), 'return { created, failures: [] };'),
      };
    }
    case 'sync': {
      const u = op.upstream;
      const client = F.client(u);
      const pf = patchable(ent)[0];
      const patch = pf ? `{ ${pf.name}: remote.${pf.name} ?? record.${pf.name} }` : '{}';
      const call = `${client}.${u.get[0]}(String(record.id))`;
      if (op.v === 'client') return { params: `id: ${id}`, body: lines(fetchOr404(), `const remote = await ${call};`, `const updated = await ${R}.update(id, ${patch});`, 'return updated ?? record;') };
      if (op.v === 'retry-helper') {
        const withRetry = F.util('withRetry');
        return { params: `id: ${id}`, body: lines(fetchOr404(), `const remote = await ${withRetry}(() => ${call}, { retries: ${rng.int(2, 5)} });`, `const updated = await ${R}.update(id, ${patch});`, 'return updated ?? record;') };
      }
      const attempts = rng.int(3, 5);
      const backoff = op.v === 'retry-backoff' ? `    await ${F.util('sleep')}(${rng.pick([100, 200, 250])} * 2 ** attempt + Math.floor(Math.random() * 100));` : undefined;
      if (S.nest) F.imp.named('@nestjs/common', 'ServiceUnavailableException');
      else F.imp.named(S.mod('lib/errors'), 'UpstreamError');
      return {
        params: `id: ${id}`,
        body: lines(
          fetchOr404(),
          'let lastError: unknown;',
          `for (let attempt = 1; attempt <= ${attempts}; attempt++) {`,
          '  try {',
          `    const remote = await ${call};`,
          `    const updated = await ${R}.update(id, ${patch});`,
          '    return updated ?? record;',
          '  } catch (error) {',
          '    lastError = error;',
          ind(F.log('warn', `err: error, attempt, ${ent.camel}Id: id`, `${u.name} sync failed, retrying`), 4),
          backoff,
          '  }',
          '}',
          S.nest ? `throw new ServiceUnavailableException('${u.name} is unavailable', { cause: lastError });` : `throw new UpstreamError('${u.name}', lastError);`,
        ),
      };
    }
    case 'charge': {
      const ctx = F.context();
      const stripe = F.stripe();
      const pay = op.payment;
      const money = ent.money.name;
      const cur = ent.fields.some((f) => f.name === 'currency') ? "(record.currency ?? 'eur').toLowerCase()" : `'${rng.pick(['eur', 'usd', 'gbp'])}'`;
      const meta = `{ ${ent.camel}Id: String(record.id), actorId: context.actorId }`;
      const opts = op.v === 'key' ? `, {\n  idempotencyKey: context.idempotencyKey ?? \`${ent.snake}-${pay.method}-\${record.id}\`,\n}` : '';
      const target = ent.statuses[ent.statuses.length > 2 ? 1 : ent.statuses.length - 1];
      return {
        params: `id: ${id}, context: ${ctx}`,
        body: lines(
          fetchOr404(),
          `if (record.${money} <= 0) ${F.badRequest(`Nothing to ${pay.method}`)}`,
          `const ${pay.result} = await ${stripe}.${pay.call}(${pay.args(`record.${money}`, cur, meta)}${opts});`,
          `await ${R}.setStatus(id, ${status(target)});`,
          F.log('info', `${ent.camel}Id: id, ${pay.result}Id: ${pay.result}.id`, `${ent.words} ${pay.method} submitted`),
          `return { ${ent.camel}: record, ${pay.result}Id: ${pay.result}.id };`,
        ),
      };
    }
    case 'search':
      return {
        params: ent.searchVariant === 'injection' ? 'term: string, sort?: string, limit?: number' : "term: string, sort?: 'createdAt' | 'updatedAt', limit?: number",
        body: lines(`if (term.trim().length < 2) return [];`, `return ${R}.search(term.trim(), sort, limit);`),
      };
    case 'stats':
      return {
        params: '',
        body: lines(`const byStatus = await ${R}.countByStatus();`, 'const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);', 'return { total, byStatus, generatedAt: new Date().toISOString() };'),
      };
    case 'export': {
      const toCsv = F.util('toCsv');
      const cols = ['id', ...(ent.parentField ? [ent.parentField.name] : []), ...ent.fields.slice(0, 4).map((f) => f.name), 'status'];
      F.types(`${E}Status`);
      if (op.v === 'unbounded') {
        return {
          params: `status?: ${E}Status`,
          body: lines(`const rows = await ${R}.listAll({ status });`, `return ${toCsv}(`, `  [${cols.map((c) => `'${c}'`).join(', ')}],`, `  rows.map((row) => [${cols.map((c) => `row.${c}`).join(', ')}]),`, ');'),
        };
      }
      return {
        params: `status?: ${E}Status`,
        body: lines(
          'const out: unknown[][] = [];',
          `let afterId: ${id} | null = null;`,
          'for (;;) {',
          `  const page = await ${R}.listPage(afterId, 1000);`,
          '  if (page.length === 0) break;',
          '  for (const row of page) {',
          '    if (status && row.status !== status) continue;',
          `    out.push([${cols.map((c) => `row.${c}`).join(', ')}]);`,
          '  }',
          '  afterId = page[page.length - 1].id;',
          '}',
          `return ${toCsv}([${cols.map((c) => `'${c}'`).join(', ')}], out);`,
        ),
      };
    }
    case 'reconcile': {
      const ctx = F.context();
      const u = op.upstream;
      const client = F.client(u);
      const pf = patchable(ent)[0];
      const patch = pf ? `{ ${pf.name}: remote.${pf.name} ?? record.${pf.name} }` : '{}';
      const writes = (tx) => [`await ${R}.update(id, ${patch}${tx ? ', tx' : ''});`, F.audit('reconcile', 'id', tx)];
      return {
        params: `id: ${id}, context: ${ctx}`,
        body: lines(
          fetchOr404(),
          `const remote = await ${client}.${u.get[0]}(String(record.id));`,
          pf ? `if (remote.${pf.name} === undefined || remote.${pf.name} === record.${pf.name}) return { changed: false };` : 'if (!remote) return { changed: false };',
          op.v === 'tx' ? `await ${F.tx(lines(writes('tx')))};` : writes(undefined),
          'return { changed: true };',
        ),
      };
    }
    case 'notify': {
      return { params: `id: ${id}`, body: lines(fetchOr404(), notifyCall(F, ent), 'return { queued: true };') };
    }
    default:
      throw new Error(op.kind);
  }
}

/** Enqueues a reminder job for an entity, on the service's queue of choice. */
function notifyCall(F, ent) {
  const S = F.S;
  const job = `${ent.kebab}-reminder`;
  const data = `{ ${ent.camel}Id: record.id }`;
  if (S.nest) {
    F.imp.named('@nestjs/bullmq', 'InjectQueue');
    F.imp.type('bullmq', 'Queue');
    F.injectAs('remindersQueue', "@InjectQueue('reminders') private readonly remindersQueue: Queue");
    return `await this.remindersQueue.add('${job}', ${data}, { jobId: \`${job}:\${record.id}\`, attempts: 5, backoff: { type: 'exponential', delay: 2000 } });`;
  }
  const kind = S.def.queue ?? S.def.bus;
  switch (kind) {
    case 'sqs':
      F.imp.named(S.mod('messaging/sqs'), 'sqs');
      F.imp.named('@aws-sdk/client-sqs', 'SendMessageCommand');
      F.imp.named(S.mod('config'), 'config');
      return `await sqs.send(\n  new SendMessageCommand({\n    QueueUrl: config.REMINDERS_QUEUE_URL,\n    MessageBody: JSON.stringify({ job: '${job}', ...${data} }),\n    DelaySeconds: 60,\n  }),\n);`;
    case 'amqp':
      F.imp.named(S.mod('messaging/rabbit'), 'getChannel');
      return `const channel = await getChannel();\nchannel.sendToQueue('${job}s', Buffer.from(JSON.stringify(${data})), { persistent: true, messageId: \`${job}:\${record.id}\` });`;
    case 'kafka':
      F.imp.named(S.mod('messaging/kafka'), 'producer');
      return `await producer.send({ topic: 'reminders', messages: [{ key: String(record.id), value: JSON.stringify({ job: '${job}', ...${data} }) }] });`;
    default:
      F.imp.named(S.mod('messaging/queues'), 'remindersQueue');
      return `await remindersQueue.add('${job}', ${data}, { jobId: \`${job}:\${record.id}\`, removeOnComplete: true });`;
  }
}
