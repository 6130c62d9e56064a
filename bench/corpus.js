#!/usr/bin/env node
/**
 * Generates the benchmark corpus: a monorepo's worth of PostgreSQL migrations, deterministic from a
 * seed, written to bench/.corpus/ (git-ignored).
 *
 * Six services, each in the layout of a real migration tool:
 *   services/billing        Flyway          src/main/resources/db/migration/V<n>__<desc>.sql (+ .sql.conf, R__ views)
 *   services/inventory      golang-migrate  migrations/<000001>_<desc>.up.sql / .down.sql
 *   services/accounts       plain SQL       db/sql/<001>_<desc>.sql (some with explicit BEGIN/COMMIT)
 *   services/notifications  dbmate          db/migrations/<YYYYMMDDHHMMSS>_<desc>.sql (-- migrate:up / -- migrate:down)
 *   services/shipping       Flyway          db/migration/V<major>_<minor>__<desc>.sql
 *   services/analytics      plain SQL       migrations/<YYYY-MM-DD-HHMM>_<desc>.sql
 *
 * Each service replays its own schema while generating, so every ALTER names a table and column that
 * exist at that point, FKs reference real keys, VALIDATE follows its NOT VALID, and so on. The mix:
 * a squashed baseline, CREATE TABLE with constraints and FKs, indexes (some CONCURRENTLY), ALTER TABLE
 * variants, PL/pgSQL functions and triggers, views and materialized views, DO blocks, enums, seed data,
 * backfills, comments (some non-ASCII), GRANTs and RLS policies — including the hazards real histories
 * contain. Most files are 0.3–3 KB; baselines, seed files and big functions are 20–100 KB.
 *
 *   node bench/corpus.js [--out DIR] [--seed N] [--scale F] [--verify]
 *
 * --verify parses every file with libpg-query and checks the statement count in the manifest.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 20240611;
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = path.join(HERE, '.corpus');

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

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
  uuid() {
    const hex = () => Math.floor(this.next() * 16).toString(16);
    let s = '';
    for (let i = 0; i < 32; i++) s += i === 12 ? '4' : hex();
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const SERVICES = [
  {
    name: 'billing',
    layout: 'flyway',
    dir: 'services/billing/src/main/resources/db/migration',
    migrations: 430,
    pk: 'identity',
    tenant: false,
    nouns: ['customers', 'invoices', 'invoice_lines', 'subscriptions', 'plans', 'prices', 'payments', 'refunds', 'credit_notes', 'tax_rates', 'coupons', 'discounts', 'ledger_entries', 'payouts', 'disputes', 'payment_methods', 'billing_addresses', 'usage_records', 'dunning_attempts', 'invoice_events'],
  },
  {
    name: 'inventory',
    layout: 'golang-migrate',
    dir: 'services/inventory/migrations',
    migrations: 330,
    pk: 'bigserial',
    tenant: false,
    nouns: ['products', 'product_variants', 'categories', 'warehouses', 'stock_levels', 'stock_movements', 'suppliers', 'purchase_orders', 'purchase_order_lines', 'bins', 'reservations', 'sku_aliases', 'cycle_counts', 'transfers', 'lots', 'price_lists'],
  },
  {
    name: 'accounts',
    layout: 'plain',
    dir: 'services/accounts/db/sql',
    migrations: 420,
    pk: 'serial',
    tenant: true,
    nouns: ['organizations', 'users', 'memberships', 'roles', 'permissions', 'role_permissions', 'sessions', 'api_keys', 'invitations', 'password_resets', 'login_attempts', 'mfa_devices', 'oauth_clients', 'oauth_tokens', 'teams', 'team_members', 'sso_connections'],
  },
  {
    name: 'notifications',
    layout: 'dbmate',
    dir: 'services/notifications/db/migrations',
    migrations: 380,
    pk: 'uuid',
    tenant: true,
    nouns: ['notifications', 'templates', 'template_versions', 'channels', 'deliveries', 'delivery_attempts', 'preferences', 'push_tokens', 'email_bounces', 'sms_messages', 'digests', 'unsubscribe_tokens', 'webhooks', 'webhook_deliveries'],
  },
  {
    name: 'shipping',
    layout: 'flyway-dotted',
    dir: 'services/shipping/db/migration',
    migrations: 330,
    pk: 'identity',
    tenant: false,
    nouns: ['shipments', 'parcels', 'carriers', 'carrier_services', 'rates', 'labels', 'tracking_events', 'pickups', 'addresses', 'manifests', 'returns', 'customs_declarations', 'zones', 'zone_rates'],
  },
  {
    name: 'analytics',
    layout: 'plain-dated',
    dir: 'services/analytics/migrations',
    migrations: 300,
    pk: 'identity',
    tenant: true,
    nouns: ['events', 'sessions', 'page_views', 'funnels', 'funnel_steps', 'cohorts', 'experiments', 'experiment_variants', 'assignments', 'metrics_hourly', 'dashboards', 'saved_queries', 'alerts', 'segments'],
  },
];

/** Column vocabulary: name → type. Types as engineers write them (some legacy choices included). */
const COLUMNS = [
  ['status', 'text'], ['state', 'text'], ['kind', 'text'], ['name', 'text'], ['title', 'text'], ['description', 'text'],
  ['email', 'text'], ['phone', 'varchar(32)'], ['code', 'varchar(64)'], ['external_id', 'text'], ['reference', 'varchar(128)'],
  ['currency', 'char(3)'], ['amount_cents', 'bigint'], ['quantity', 'integer'], ['weight_grams', 'integer'], ['price', 'numeric(12,2)'],
  ['rate', 'numeric(8,4)'], ['is_active', 'boolean'], ['archived', 'boolean'], ['metadata', 'jsonb'], ['settings', 'jsonb'],
  ['tags', 'text[]'], ['notes', 'text'], ['expires_at', 'timestamptz'], ['starts_on', 'date'], ['ends_on', 'date'],
  ['position', 'integer'], ['priority', 'smallint'], ['version', 'integer'], ['country_code', 'char(2)'], ['locale', 'text'],
  ['timezone', 'text'], ['ip_address', 'inet'], ['user_agent', 'text'], ['checksum', 'bytea'], ['score', 'double precision'],
  ['retries', 'integer'], ['last_error', 'text'], ['processed_at', 'timestamptz'], ['token_hash', 'text'], ['slug', 'text'],
  ['url', 'text'], ['sort_order', 'integer'], ['external_ref', 'uuid'], ['payload', 'json'], ['legacy_id', 'integer'],
  ['display_name', 'varchar(255)'], ['first_seen_at', 'timestamp'], ['last_seen_at', 'timestamptz'], ['source', 'text'],
  ['channel', 'text'], ['region', 'text'], ['fee_cents', 'integer'], ['tax_cents', 'bigint'], ['discount_percent', 'numeric(5,2)'],
  ['verified_at', 'timestamptz'], ['cancelled_at', 'timestamptz'], ['completed_at', 'timestamptz'], ['attempts', 'smallint'],
];

const STATUSES = ['pending', 'active', 'suspended', 'cancelled', 'completed', 'failed', 'archived', 'draft', 'scheduled', 'expired'];
const WORDS = ['alpha', 'bravo', 'north', 'south', 'blue', 'green', 'express', 'standard', 'priority', 'bulk', 'monthly', 'annual', 'trial', 'legacy', 'partner', 'internal', 'retail', 'wholesale'];
const PEOPLE = ['Anna Müller', 'José García', 'Zoë Dupont', "Seán O''Brien", 'Björn Ångström', 'Łukasz Żak', '山田 太郎', 'Ольга Иванова', 'Chloé Lefèvre', 'Müge Çelik', 'John Smith', 'Priya Patel', 'Nguyễn Văn An', 'Søren Kierkegaard'];
const CITIES = ['Zürich', 'São Paulo', 'Kraków', 'Malmö', 'Düsseldorf', 'Reykjavík', 'Québec', 'İstanbul', '東京', 'Berlin', 'Lyon', 'Austin', 'Toronto', 'Oslo'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'CA', 'NL', 'BE', 'SE', 'NO', 'DK', 'PL', 'ES', 'IT', 'PT', 'CH', 'AT', 'JP', 'BR', 'AU', 'IE'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'NOK', 'DKK', 'PLN', 'CHF', 'JPY', 'BRL', 'AUD', 'CAD'];
const COMMENT_TEXTS = [
  'Amount in minor units (cents); never floats.',
  'Montant TTC en centimes (€).',
  'Soft-delete marker; rows are purged after 90 days by the retention job.',
  'Größe in Gramm, gerundet.',
  'ISO 3166-1 alpha-2 country code.',
  '顧客の表示名 (display name shown to customers).',
  'Set by the worker when the row was processed — see runbook §4.2.',
  'Idempotency key supplied by the client; unique per tenant.',
  'Legacy column kept for the reporting export ✅ do not write to it.',
  'Ровно одна запись на пользователя.',
  'Stored as jsonb so that GIN indexes work; keys are snake_case.',
  'Populated by the nightly sync from the ERP («SAP»).',
];
const ROLES = ['reporting_ro', 'app_rw', 'support_ro', 'etl_loader', 'migrator'];

function singular(table) {
  if (table.endsWith('ies')) return `${table.slice(0, -3)}y`;
  if (table.endsWith('sses') || table.endsWith('xes')) return table.slice(0, -2);
  if (table.endsWith('s')) return table.slice(0, -1);
  return table;
}

const q = (s) => `'${s.replace(/'/g, "''")}'`;

// ---------------------------------------------------------------------------------------------
// Schema state of one service while its history is generated

class Service {
  constructor(def, rng) {
    this.def = def;
    this.rng = rng;
    /** name → { columns: Map<name, type>, pinned: Set<col>, tenant: bool, rls: bool, triggers: Set } */
    this.tables = new Map();
    this.enums = new Map();
    this.pendingValidations = []; // { table, constraint }
    this.indexes = []; // { name, table }
    this.views = [];
    this.matviews = [];
    this.functions = new Set();
    this.nounCursor = 0;
    this.counter = 0;
    this.usedNames = new Set();
  }

  pkType() {
    return { identity: 'bigint', bigserial: 'bigint', serial: 'integer', uuid: 'uuid' }[this.def.pk];
  }

  pkColumn() {
    switch (this.def.pk) {
      case 'identity':
        return 'id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
      case 'bigserial':
        return 'id bigserial PRIMARY KEY';
      case 'serial':
        return 'id serial PRIMARY KEY';
      default:
        return 'id uuid PRIMARY KEY DEFAULT gen_random_uuid()';
    }
  }

  nextTableName() {
    const nouns = this.def.nouns;
    const base = nouns[this.nounCursor % nouns.length];
    const round = Math.floor(this.nounCursor / nouns.length);
    this.nounCursor++;
    const suffixes = ['', '_archive', '_history', '_snapshots', '_v2', '_staging', '_daily', '_audit', '_exports', '_imports'];
    const name = round === 0 ? base : `${base}${suffixes[round % suffixes.length] || `_${round}`}${round >= suffixes.length ? `_${round}` : ''}`;
    return this.tables.has(name) ? `${name}_${this.counter++}` : name;
  }

  tableNames() {
    return [...this.tables.keys()];
  }

  /** Mostly the table the current migration is about; sometimes another one. */
  randomTable() {
    if (this.focus && this.tables.has(this.focus) && this.rng.chance(0.75)) return this.focus;
    return this.rng.pick(this.tableNames());
  }

  /** A column name not yet in the table. */
  freshColumn(table) {
    const t = this.tables.get(table);
    for (let i = 0; i < 20; i++) {
      const [name, type] = this.rng.pick(COLUMNS);
      if (!t.columns.has(name)) return [name, type];
    }
    let n = 2;
    while (t.columns.has(`extra_${n}`)) n++;
    return [`extra_${n}`, 'text'];
  }

  /** Non-key, non-pinned columns of a table. */
  plainColumns(table) {
    const t = this.tables.get(table);
    return [...t.columns.keys()].filter((c) => c !== 'id' && !c.endsWith('_id') && !t.pinned.has(c) && c !== 'created_at' && c !== 'updated_at');
  }
}

// ---------------------------------------------------------------------------------------------
// Value literals

function literal(rng, type, column) {
  if (column === 'status' || column === 'state') return q(rng.pick(STATUSES));
  if (column === 'currency') return q(rng.pick(CURRENCIES));
  if (column === 'country_code') return q(rng.pick(COUNTRIES));
  if (column === 'email') return q(`${rng.pick(WORDS)}.${rng.int(1, 99999)}@example.${rng.pick(['com', 'de', 'fr', 'co.uk'])}`);
  if (column === 'name' || column === 'display_name') return q(rng.chance(0.5) ? rng.pick(PEOPLE).replace(/''/g, "'") : `${rng.pick(WORDS)} ${rng.pick(WORDS)}`);
  if (column === 'locale') return q(rng.pick(['en-GB', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR', 'sv-SE']));
  if (column === 'timezone') return q(rng.pick(['Europe/Berlin', 'America/Sao_Paulo', 'Asia/Tokyo', 'UTC', 'Europe/Zurich']));
  const base = type.replace(/\(.*\)/, '');
  switch (base) {
    case 'bigint':
    case 'integer':
      return String(rng.int(0, 250000));
    case 'smallint':
      return String(rng.int(0, 20));
    case 'numeric':
      return `${rng.int(0, 9999)}.${String(rng.int(0, 99)).padStart(2, '0')}`;
    case 'double precision':
      return (rng.float() * 100).toFixed(3);
    case 'boolean':
      return rng.chance(0.5) ? 'true' : 'false';
    case 'jsonb':
    case 'json':
      return q(JSON.stringify({ source: rng.pick(WORDS), city: rng.pick(CITIES), n: rng.int(1, 500) }));
    case 'timestamptz':
    case 'timestamp':
      return q(`20${rng.int(19, 24)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')} ${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:00+00`);
    case 'date':
      return q(`20${rng.int(19, 24)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`);
    case 'char':
      return q(rng.pick(COUNTRIES));
    case 'inet':
      return q(`10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
    case 'uuid':
      return q(rng.uuid());
    case 'text[]':
      return `ARRAY[${rng.sample(WORDS, rng.int(1, 3)).map(q).join(', ')}]`;
    case 'bytea':
      return `'\\x${rng.int(0x10000000, 0xffffffff).toString(16)}'`;
    default:
      return q(`${rng.pick(WORDS)} ${rng.pick(CITIES)}`);
  }
}

function defaultFor(type, rng) {
  const base = type.replace(/\(.*\)/, '');
  switch (base) {
    case 'boolean':
      return rng.chance(0.5) ? 'false' : 'true';
    case 'bigint':
    case 'integer':
    case 'smallint':
    case 'numeric':
    case 'double precision':
      return '0';
    case 'jsonb':
      return "'{}'::jsonb";
    case 'json':
      return "'{}'::json";
    case 'timestamptz':
    case 'timestamp':
      return 'now()';
    case 'date':
      return 'CURRENT_DATE';
    case 'text[]':
      return "'{}'";
    case 'char':
      return "'EU'";
    default:
      return "''";
  }
}

// ---------------------------------------------------------------------------------------------
// Statement generators. Each returns { up: string[] (statements, each ending with ';'), down?: string[], desc, noTx? }

const PROSE = [
  'Rolled out behind the feature flag; safe to run while the old code path is still live.',
  'Reviewed with the DBA team. Expected runtime on production: under a minute.',
  'The table is small in every environment (< 50k rows), so a short lock is acceptable here.',
  'Follow-up to the incident review: make the invariant explicit in the schema.',
  'Needed by the new reporting export; the application ignores the column until v2 ships.',
  'Do not reorder: the deploy pipeline runs migrations before the new pods start.',
  'Backwards compatible: old readers ignore new columns, old writers rely on the default.',
  'See the design doc "Data retention" for why rows are kept for 13 months.',
  'Matches what staging already has (hotfixed by hand on 2022-11-03).',
  'Requested by support: lookups by this column time out on large tenants.',
  'Part 2 of 3 of the expand / contract change; part 3 removes the old column.',
  'Keep in sync with the Kotlin enum in the domain module.',
];

const header = (rng, what) => {
  if (!rng.chance(0.8)) return '';
  const lines = [`-- ${rng.pick(['', 'JIRA ', 'ticket '])}${rng.pick(['PLAT', 'BILL', 'OPS', 'CORE', 'DATA'])}-${rng.int(100, 4999)}: ${what}`];
  for (const line of rng.sample(PROSE, rng.weighted([[2, 0], [4, 1], [3, 2], [1, 3]]))) lines.push(`-- ${line}`);
  if (rng.chance(0.15)) lines.push(`-- Author: ${rng.pick(PEOPLE).replace(/''/g, "'")} <${rng.pick(WORDS)}@example.com>`);
  return `${lines.join('\n')}\n\n`;
};

function createTable(svc, { name = svc.nextTableName(), withIndexes = true } = {}) {
  const rng = svc.rng;
  const columns = new Map([['id', svc.pkType()]]);
  const lines = [`    ${svc.pkColumn()}`];
  const constraints = [];
  if (svc.def.tenant && name !== 'organizations') {
    lines.push('    tenant_id bigint NOT NULL');
    columns.set('tenant_id', 'bigint');
  }
  // Foreign keys to earlier tables.
  const parents = rng.sample(svc.tableNames().filter((t) => t !== name), rng.weighted([[3, 0], [4, 1], [2, 2], [1, 3]]));
  const fkColumns = [];
  for (const parent of parents) {
    const col = `${singular(parent)}_id`;
    if (columns.has(col)) continue;
    const nullable = rng.chance(0.25);
    const onDelete = rng.weighted([[5, ''], [2, ' ON DELETE CASCADE'], [1, ' ON DELETE SET NULL'], [1, ' ON DELETE RESTRICT']]);
    const inline = rng.chance(0.5);
    lines.push(`    ${col} ${svc.pkType()}${nullable || onDelete.includes('SET NULL') ? '' : ' NOT NULL'}${inline ? ` REFERENCES ${parent} (id)${onDelete}` : ''}`);
    if (!inline) constraints.push(`    CONSTRAINT ${name}_${col}_fkey FOREIGN KEY (${col}) REFERENCES ${parent} (id)${onDelete}`);
    columns.set(col, svc.pkType());
    fkColumns.push(col);
  }
  const n = rng.int(4, 12);
  for (let i = 0; i < n; i++) {
    const [col, type] = rng.pick(COLUMNS);
    if (columns.has(col)) continue;
    let def = '';
    const r = rng.float();
    if (col === 'status' || col === 'state') def = ` NOT NULL DEFAULT ${q(rng.pick(STATUSES))}`;
    else if (r < 0.3) def = ` NOT NULL DEFAULT ${defaultFor(type, rng)}`;
    else if (r < 0.45) def = ' NOT NULL';
    lines.push(`    ${col} ${type}${def}`);
    columns.set(col, type);
  }
  if (columns.has('amount_cents') && rng.chance(0.6)) constraints.push(`    CONSTRAINT ${name}_amount_cents_check CHECK (amount_cents >= 0)`);
  if (columns.has('status') && rng.chance(0.4)) constraints.push(`    CONSTRAINT ${name}_status_check CHECK (status IN (${rng.sample(STATUSES, 4).map(q).join(', ')}))`);
  if (columns.has('code') && rng.chance(0.5)) constraints.push(`    CONSTRAINT ${name}_code_key UNIQUE (${svc.def.tenant && columns.has('tenant_id') ? 'tenant_id, ' : ''}code)`);
  const tsType = rng.chance(0.1) ? 'timestamp' : 'timestamptz';
  lines.push(`    created_at ${tsType} NOT NULL DEFAULT now()`);
  lines.push(`    updated_at ${tsType} NOT NULL DEFAULT now()`);
  columns.set('created_at', tsType);
  columns.set('updated_at', tsType);
  svc.tables.set(name, { columns, pinned: new Set(), rls: false, triggers: new Set() });

  const ifNotExists = rng.chance(0.3) ? 'IF NOT EXISTS ' : '';
  const up = [`CREATE TABLE ${ifNotExists}${name} (\n${[...lines, ...constraints].join(',\n')}\n);`];
  const down = [`DROP TABLE IF EXISTS ${name};`];
  if (withIndexes) {
    for (const col of fkColumns) {
      if (rng.chance(0.7)) {
        const idx = `${name}_${col}_idx`;
        up.push(`CREATE INDEX ${idx} ON ${name} (${col});`);
        svc.indexes.push({ name: idx, table: name });
      }
    }
    if (columns.has('tenant_id') && rng.chance(0.6)) {
      const idx = `${name}_tenant_id_created_at_idx`;
      up.push(`CREATE INDEX ${idx} ON ${name} (tenant_id, created_at DESC);`);
      svc.indexes.push({ name: idx, table: name });
    }
  }
  if (rng.chance(0.35)) up.push(`COMMENT ON TABLE ${name} IS ${q(rng.pick(COMMENT_TEXTS))};`);
  return { up, down, desc: `create_${name}` };
}

function addIndex(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = [...t.columns.keys()].filter((c) => c !== 'id');
  const picked = rng.sample(cols, rng.weighted([[6, 1], [3, 2], [1, 3]]));
  if (picked.length === 0) return comments(svc);
  const unique = rng.chance(0.15);
  const concurrently = svc.def.layout !== 'plain' && rng.chance(0.45);
  const name = `${table}_${picked.join('_')}_${unique ? 'key' : 'idx'}`.slice(0, 63);
  const partial = t.columns.has('deleted_at') && rng.chance(0.3) ? ' WHERE deleted_at IS NULL' : rng.chance(0.1) && t.columns.has('status') ? ` WHERE status = ${q(rng.pick(STATUSES))}` : '';
  const method = picked.length === 1 && ['jsonb', 'text[]'].includes(t.columns.get(picked[0])) ? ' USING gin' : '';
  const ine = concurrently || rng.chance(0.3) ? 'IF NOT EXISTS ' : '';
  const colList = picked.map((c) => (rng.chance(0.1) && c.endsWith('_at') ? `${c} DESC` : c)).join(', ');
  const up = [];
  if (rng.chance(0.3)) up.push(`SET lock_timeout = '${rng.pick(['2s', '5s', '10s'])}';`);
  up.push(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${ine}${name}\n    ON ${table}${method} (${colList})${partial};`);
  svc.indexes.push({ name, table });
  return { up, down: [`DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${name};`], desc: `index_${table}_on_${picked.join('_and_')}`, noTx: concurrently };
}

function dropIndex(svc) {
  const rng = svc.rng;
  if (svc.indexes.length === 0) return addIndex(svc);
  const idx = svc.indexes.splice(rng.int(0, svc.indexes.length - 1), 1)[0];
  const concurrently = svc.def.layout !== 'plain' && rng.chance(0.5);
  return {
    up: [`DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${idx.name};`],
    down: [],
    desc: `drop_${idx.name}`.slice(0, 60),
    noTx: concurrently,
  };
}

function addColumn(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const count = rng.weighted([[7, 1], [2, 2], [1, 3]]);
  const up = [];
  const down = [];
  const adds = [];
  for (let i = 0; i < count; i++) {
    const [col, type] = svc.freshColumn(table);
    if (t.columns.has(col)) continue;
    const variant = rng.weighted([[6, 'nullable'], [3, 'default'], [1, 'required'], [1, 'volatile']]);
    let spec = `${col} ${type}`;
    if (variant === 'default') spec += ` NOT NULL DEFAULT ${defaultFor(type, rng)}`;
    else if (variant === 'required') spec += ' NOT NULL';
    else if (variant === 'volatile' && type === 'uuid') spec += ' DEFAULT gen_random_uuid()';
    else if (variant === 'volatile' && type.startsWith('timestamp')) spec += ' DEFAULT clock_timestamp()';
    adds.push(`ADD COLUMN ${rng.chance(0.3) ? 'IF NOT EXISTS ' : ''}${spec}`);
    t.columns.set(col, type);
    down.push(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${col};`);
  }
  if (adds.length === 0) return comments(svc);
  if (rng.chance(0.4)) up.push(`SET lock_timeout = '${rng.pick(['1s', '3s', '5s'])}';`);
  up.push(adds.length === 1 ? `ALTER TABLE ${table} ${adds[0]};` : `ALTER TABLE ${table}\n    ${adds.join(',\n    ')};`);
  if (rng.chance(0.25)) {
    const col = [...t.columns.keys()].pop();
    up.push(`COMMENT ON COLUMN ${table}.${col} IS ${q(rng.pick(COMMENT_TEXTS))};`);
  }
  const first = adds[0].replace(/^ADD COLUMN (IF NOT EXISTS )?/, '').split(' ')[0];
  return { up, down, desc: `add_${adds.length === 1 ? first : `${first}_and_more`}_to_${table}` };
}

function alterMisc(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = svc.plainColumns(table);
  if (cols.length === 0) return addColumn(svc);
  const col = rng.pick(cols);
  const type = t.columns.get(col);
  const variant = rng.weighted([[3, 'set-default'], [2, 'drop-default'], [2, 'drop-not-null'], [2, 'set-not-null-recipe'], [1, 'set-not-null'], [1, 'statistics']]);
  const up = [];
  switch (variant) {
    case 'set-default':
      up.push(`ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${defaultFor(type, rng)};`);
      break;
    case 'drop-default':
      up.push(`ALTER TABLE ONLY ${table} ALTER COLUMN ${col} DROP DEFAULT;`);
      break;
    case 'drop-not-null':
      up.push(`ALTER TABLE ${table} ALTER COLUMN ${col} DROP NOT NULL;`);
      break;
    case 'set-not-null':
      up.push(`UPDATE ${table} SET ${col} = ${defaultFor(type, rng)} WHERE ${col} IS NULL;`);
      up.push(`ALTER TABLE ${table} ALTER COLUMN ${col} SET NOT NULL;`);
      break;
    case 'set-not-null-recipe': {
      const c = `${table}_${col}_not_null`.slice(0, 63);
      up.push(`SET lock_timeout = '3s';`);
      up.push(`ALTER TABLE ${table} ADD CONSTRAINT ${c} CHECK (${col} IS NOT NULL) NOT VALID;`);
      up.push(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${c};`);
      up.push(`ALTER TABLE ${table} ALTER COLUMN ${col} SET NOT NULL;`);
      up.push(`ALTER TABLE ${table} DROP CONSTRAINT ${c};`);
      break;
    }
    default:
      up.push(`ALTER TABLE ${table} ALTER COLUMN ${col} SET STATISTICS ${rng.pick([500, 1000, 2000])};`);
  }
  return { up, down: [], desc: `${variant.replace(/-/g, '_')}_${table}_${col}` };
}

function addConstraint(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const up = [];
  if (rng.chance(0.5)) up.push(`SET lock_timeout = '${rng.pick(['2s', '5s'])}';`);
  const numeric = [...t.columns].filter(([c, ty]) => /^(bigint|integer|smallint|numeric)/.test(ty) && c !== 'id' && !c.endsWith('_id'));
  const notValid = rng.chance(0.7);
  let name;
  if (numeric.length > 0 && rng.chance(0.6)) {
    const [col] = rng.pick(numeric);
    name = `${table}_${col}_nonnegative`.slice(0, 63);
    up.push(`ALTER TABLE ${table}\n    ADD CONSTRAINT ${name} CHECK (${col} >= 0)${notValid ? ' NOT VALID' : ''};`);
  } else {
    const others = svc.tableNames().filter((x) => x !== table);
    if (others.length === 0) return addColumn(svc);
    const parent = rng.pick(others);
    const col = `${singular(parent)}_id`;
    if (!t.columns.has(col)) {
      up.push(`ALTER TABLE ${table} ADD COLUMN ${col} ${svc.pkType()};`);
      t.columns.set(col, svc.pkType());
    }
    name = `${table}_${col}_fkey`.slice(0, 63);
    up.push(`ALTER TABLE ${table}\n    ADD CONSTRAINT ${name} FOREIGN KEY (${col}) REFERENCES ${parent} (id)${notValid ? ' NOT VALID' : ''};`);
  }
  if (notValid) svc.pendingValidations.push({ table, constraint: name });
  return { up, down: [`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${name};`], desc: `add_${name}` };
}

function validateConstraint(svc) {
  const pending = svc.pendingValidations.shift();
  if (!pending) return addConstraint(svc);
  return {
    up: [`SET lock_timeout = '5s';`, `ALTER TABLE ${pending.table} VALIDATE CONSTRAINT ${pending.constraint};`],
    down: [],
    desc: `validate_${pending.constraint}`.slice(0, 60),
  };
}

function changeType(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const widen = {
    integer: 'bigint',
    smallint: 'integer',
    'varchar(32)': 'varchar(64)',
    'varchar(64)': 'text',
    'varchar(128)': 'varchar(255)',
    'varchar(255)': 'text',
    'numeric(12,2)': 'numeric(16,2)',
    'numeric(8,4)': 'numeric(12,4)',
    json: 'jsonb',
    timestamp: 'timestamptz',
    text: 'varchar(255)',
  };
  const candidates = svc.plainColumns(table).filter((c) => widen[t.columns.get(c)]);
  if (candidates.length === 0) return addColumn(svc);
  const col = rng.pick(candidates);
  const from = t.columns.get(col);
  const to = widen[from];
  t.columns.set(col, to);
  const using = from === 'json' ? ` USING ${col}::jsonb` : from === 'timestamp' ? ` USING ${col} AT TIME ZONE 'UTC'` : '';
  return {
    up: [`ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${to}${using};`],
    down: [`ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${from};`],
    desc: `change_${table}_${col}_to_${to.replace(/\W+/g, '_')}`.replace(/_+$/, ''),
  };
}

function rename(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = svc.plainColumns(table);
  if (cols.length === 0 || rng.chance(0.1)) {
    if (svc.views.some((v) => v.table === table) || t.triggers.size > 0) return comments(svc);
    const to = `${table}_old`;
    if (svc.tables.has(to)) return comments(svc);
    svc.tables.delete(table);
    svc.tables.set(to, t);
    for (const i of svc.indexes) if (i.table === table) i.table = to;
    for (const p of svc.pendingValidations) if (p.table === table) p.table = to;
    return { up: [`ALTER TABLE ${table} RENAME TO ${to};`], down: [`ALTER TABLE ${to} RENAME TO ${table};`], desc: `rename_${table}` };
  }
  const col = rng.pick(cols);
  const to = col.startsWith('legacy_') ? col.slice(7) : `${col}_v2`;
  if (t.columns.has(to)) return comments(svc);
  const type = t.columns.get(col);
  t.columns.delete(col);
  t.columns.set(to, type);
  return { up: [`ALTER TABLE ${table} RENAME COLUMN ${col} TO ${to};`], down: [`ALTER TABLE ${table} RENAME COLUMN ${to} TO ${col};`], desc: `rename_${table}_${col}` };
}

function dropColumn(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = svc.plainColumns(table);
  if (cols.length < 2) return addColumn(svc);
  const col = rng.pick(cols);
  const type = t.columns.get(col);
  t.columns.delete(col);
  return {
    up: [`ALTER TABLE ${table} DROP COLUMN ${rng.chance(0.5) ? 'IF EXISTS ' : ''}${col};`],
    down: [`ALTER TABLE ${table} ADD COLUMN ${col} ${type};`],
    desc: `drop_${table}_${col}`,
  };
}

function triggerFunction(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const up = [];
  const down = [];
  const variant = rng.weighted([[4, 'updated_at'], [3, 'audit'], [2, 'business'], [1, 'sql']]);
  if (variant === 'updated_at') {
    if (!svc.functions.has('set_updated_at')) {
      svc.functions.add('set_updated_at');
      up.push(`CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;`);
    }
    const trg = `${table}_set_updated_at`;
    if (t.triggers.has(trg)) return comments(svc);
    t.triggers.add(trg);
    up.push(`CREATE TRIGGER ${trg}\n    BEFORE UPDATE ON ${table}\n    FOR EACH ROW EXECUTE FUNCTION set_updated_at();`);
    down.push(`DROP TRIGGER IF EXISTS ${trg} ON ${table};`);
    return { up, down, desc: `trigger_${table}_updated_at` };
  }
  if (variant === 'audit') {
    if (!svc.tables.has('audit_log')) return createTable(svc);
    const fn = `audit_${table}`;
    up.push(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $function$
DECLARE
    v_actor text := current_setting('app.actor', true);
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO audit_log (table_name, row_id, action, actor, old_row, changed_at)
        VALUES (TG_TABLE_NAME, OLD.id::text, TG_OP, v_actor, to_jsonb(OLD), now());
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        IF to_jsonb(NEW) = to_jsonb(OLD) THEN
            RETURN NEW; -- nothing changed; skip the audit row
        END IF;
        INSERT INTO audit_log (table_name, row_id, action, actor, old_row, new_row, changed_at)
        VALUES (TG_TABLE_NAME, NEW.id::text, TG_OP, v_actor, to_jsonb(OLD), to_jsonb(NEW), now());
    ELSE
        INSERT INTO audit_log (table_name, row_id, action, actor, new_row, changed_at)
        VALUES (TG_TABLE_NAME, NEW.id::text, TG_OP, v_actor, to_jsonb(NEW), now());
    END IF;
    RETURN NEW;
END;
$function$;`);
    const trg = `${table}_audit`;
    if (!t.triggers.has(trg)) {
      t.triggers.add(trg);
      up.push(`CREATE TRIGGER ${trg}\n    AFTER INSERT OR UPDATE OR DELETE ON ${table}\n    FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
      down.push(`DROP TRIGGER IF EXISTS ${trg} ON ${table};`);
    }
    down.push(`DROP FUNCTION IF EXISTS ${fn}();`);
    return { up, down, desc: `audit_${table}` };
  }
  if (variant === 'business') {
    const fn = `${singular(table)}_purge_older_than`;
    up.push(`CREATE OR REPLACE FUNCTION ${fn}(p_days integer, p_batch integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
AS $body$
DECLARE
    v_total integer := 0;
    v_batch integer;
    r record;
BEGIN
    IF p_days < 7 THEN
        RAISE EXCEPTION 'refusing to purge % rows younger than 7 days (got %)', '${table}', p_days;
    END IF;
    LOOP
        DELETE FROM ${table}
        WHERE id IN (
            SELECT id FROM ${table}
            WHERE created_at < now() - make_interval(days => p_days)
            ORDER BY id
            LIMIT p_batch
        );
        GET DIAGNOSTICS v_batch = ROW_COUNT;
        v_total := v_total + v_batch;
        EXIT WHEN v_batch < p_batch;
    END LOOP;
    FOR r IN SELECT count(*) AS remaining FROM ${table} LOOP
        RAISE NOTICE 'purged % rows from ${table}; % remain', v_total, r.remaining;
    END LOOP;
    RETURN v_total;
END;
$body$;`);
    down.push(`DROP FUNCTION IF EXISTS ${fn}(integer, integer);`);
    if (rng.chance(0.5)) up.push(`COMMENT ON FUNCTION ${fn}(integer, integer) IS ${q('Called by the nightly retention job — löscht in Batches.')};`);
    return { up, down, desc: `function_${fn}` };
  }
  const fn = `${singular(table)}_count_since`;
  up.push(`CREATE OR REPLACE FUNCTION ${fn}(p_since timestamptz)
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*) FROM ${table} WHERE created_at >= p_since;
$$;`);
  down.push(`DROP FUNCTION IF EXISTS ${fn}(timestamptz);`);
  return { up, down, desc: `function_${fn}` };
}

function view(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = [...t.columns.keys()].filter((c) => c !== 'id').slice(0, rng.int(2, 6));
  if (rng.chance(0.35) && t.columns.has('created_at')) {
    const mv = `${table}_daily_stats`;
    if (svc.matviews.includes(mv)) return comments(svc);
    svc.matviews.push(mv);
    t.pinned.add('created_at');
    const sum = t.columns.has('amount_cents') ? ',\n       sum(amount_cents) AS amount_cents' : '';
    if (sum) t.pinned.add('amount_cents');
    return {
      up: [
        `CREATE MATERIALIZED VIEW ${mv} AS\nSELECT date_trunc('day', created_at) AS day,\n       count(*) AS row_count${sum}\nFROM ${table}\nGROUP BY 1\nWITH NO DATA;`,
        `CREATE UNIQUE INDEX ${mv}_day_key ON ${mv} (day);`,
        `REFRESH MATERIALIZED VIEW ${mv};`,
      ],
      down: [`DROP MATERIALIZED VIEW IF EXISTS ${mv};`],
      desc: `matview_${mv}`,
      repeatable: false,
    };
  }
  for (const c of cols) t.pinned.add(c);
  const v = `${rng.pick(['active', 'recent', 'reporting', 'v'])}_${table}`;
  svc.views.push({ name: v, table });
  const where = t.columns.has('deleted_at') ? '\nWHERE t.deleted_at IS NULL' : t.columns.has('status') ? `\nWHERE t.status <> 'archived'` : '';
  if (where.includes('deleted_at')) t.pinned.add('deleted_at');
  if (where.includes('status')) t.pinned.add('status');
  return {
    up: [`CREATE OR REPLACE VIEW ${v} AS\nSELECT t.id,\n       ${cols.map((c) => `t.${c}`).join(',\n       ')}\nFROM ${table} AS t${where};`],
    down: [`DROP VIEW IF EXISTS ${v};`],
    desc: `view_${v}`,
    repeatable: true,
  };
}

function doBlock(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const variant = rng.weighted([[2, 'enum'], [2, 'constraint'], [2, 'batched'], [1, 'role']]);
  if (variant === 'enum') {
    const name = `${singular(table)}_priority`;
    if (svc.enums.has(name)) return enumChange(svc);
    svc.enums.set(name, ['low', 'normal', 'high']);
    return {
      up: [`DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = '${name}') THEN\n        CREATE TYPE ${name} AS ENUM ('low', 'normal', 'high');\n    END IF;\nEND\n$$;`],
      down: [`DROP TYPE IF EXISTS ${name};`],
      desc: `create_${name}_if_missing`,
    };
  }
  if (variant === 'constraint') {
    const c = `${table}_created_before_updated`;
    return {
      up: [`DO $do$\nBEGIN\n    IF NOT EXISTS (\n        SELECT 1 FROM pg_constraint WHERE conname = '${c}'\n    ) THEN\n        ALTER TABLE ${table} ADD CONSTRAINT ${c} CHECK (created_at <= updated_at) NOT VALID;\n    END IF;\nEND\n$do$;`],
      down: [`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${c};`],
      desc: `add_${c}`.slice(0, 60),
    };
  }
  if (variant === 'batched') {
    const cols = svc.plainColumns(table);
    if (cols.length === 0) return backfill(svc);
    const col = rng.pick(cols);
    return {
      up: [`-- Backfill in batches so that no single statement holds row locks for long.\nDO $$\nDECLARE\n    batch_size CONSTANT integer := ${rng.pick([1000, 5000, 10000])};\n    updated integer;\nBEGIN\n    LOOP\n        UPDATE ${table}\n        SET ${col} = ${defaultFor(t.columns.get(col), rng)}\n        WHERE id IN (\n            SELECT id FROM ${table} WHERE ${col} IS NULL LIMIT batch_size\n        );\n        GET DIAGNOSTICS updated = ROW_COUNT;\n        EXIT WHEN updated = 0;\n        PERFORM pg_sleep(0.05);\n    END LOOP;\nEND\n$$;`],
      down: [],
      desc: `backfill_${table}_${col}`,
    };
  }
  const role = rng.pick(ROLES);
  return {
    up: [`DO $$\nBEGIN\n    CREATE ROLE ${role} NOLOGIN;\nEXCEPTION WHEN duplicate_object THEN\n    RAISE NOTICE 'role ${role} already exists, skipping';\nEND\n$$;`],
    down: [],
    desc: `create_role_${role}`,
  };
}

function enumChange(svc) {
  const rng = svc.rng;
  const names = [...svc.enums.keys()];
  if (names.length === 0 || rng.chance(0.35)) {
    const table = svc.randomTable();
    const name = `${singular(table)}_${rng.pick(['kind', 'channel_type', 'source_type', 'tier'])}`;
    if (svc.enums.has(name)) return comments(svc);
    const values = rng.sample(['web', 'mobile', 'api', 'import', 'partner', 'batch', 'manual', 'system', 'email', 'sms', 'push'], rng.int(3, 6));
    svc.enums.set(name, values);
    const up = [`CREATE TYPE ${name} AS ENUM (${values.map(q).join(', ')});`];
    const t = svc.tables.get(table);
    const col = name.slice(singular(table).length + 1);
    if (!t.columns.has(col) && rng.chance(0.7)) {
      up.push(`ALTER TABLE ${table} ADD COLUMN ${col} ${name};`);
      t.columns.set(col, name);
    }
    return { up, down: [`DROP TYPE IF EXISTS ${name};`], desc: `create_enum_${name}` };
  }
  const name = rng.pick(names);
  const values = svc.enums.get(name);
  const value = `${rng.pick(WORDS)}_${values.length}`;
  const anchor = rng.chance(0.3) ? ` BEFORE ${q(values[0])}` : '';
  values.push(value);
  return { up: [`ALTER TYPE ${name} ADD VALUE IF NOT EXISTS ${q(value)}${anchor};`], down: [], desc: `add_${value}_to_${name}`, noTx: svc.def.layout !== 'plain' && rng.chance(0.3) };
}

function seed(svc, rows = svc.rng.int(3, 25), maxBytes = Infinity) {
  const rng = svc.rng;
  const table = rng.pick(svc.tableNames().filter((n) => n !== 'audit_log'));
  const t = svc.tables.get(table);
  const cols = [...t.columns.keys()].filter((c) => c !== 'id' && !c.endsWith('_id') && c !== 'created_at' && c !== 'updated_at' && !svc.enums.has(t.columns.get(c))).slice(0, 8);
  if (cols.length === 0) return comments(svc);
  const tenant = t.columns.has('tenant_id');
  const allCols = tenant ? ['tenant_id', ...cols] : cols;
  const values = [];
  let bytes = 0;
  for (let i = 0; i < rows && bytes < maxBytes; i++) {
    const vals = cols.map((c) => literal(rng, t.columns.get(c), c));
    values.push(`    (${tenant ? `${rng.int(1, 40)}, ` : ''}${vals.join(', ')})`);
    bytes += values[values.length - 1].length;
  }
  return {
    up: [`INSERT INTO ${table} (${allCols.join(', ')})\nVALUES\n${values.join(',\n')}\nON CONFLICT DO NOTHING;`],
    down: [],
    desc: `seed_${table}`,
  };
}

function backfill(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = svc.plainColumns(table);
  if (cols.length === 0) return seed(svc);
  const col = rng.pick(cols);
  const type = t.columns.get(col);
  const value = defaultFor(type, rng);
  const variant = rng.weighted([[4, 'where-null'], [2, 'range'], [1, 'whole'], [1, 'join']]);
  const up = [];
  if (variant === 'where-null') up.push(`UPDATE ${table}\nSET ${col} = ${value}\nWHERE ${col} IS NULL;`);
  else if (variant === 'range') {
    const from = rng.int(0, 50) * 100000;
    up.push(`UPDATE ${table} SET ${col} = ${value} WHERE id BETWEEN ${from + 1} AND ${from + 100000} AND ${col} IS DISTINCT FROM ${value};`);
  } else if (variant === 'whole') up.push(`UPDATE ${table} SET ${col} = ${value};`);
  else {
    const parents = [...t.columns.keys()].filter((c) => c.endsWith('_id') && c !== 'tenant_id');
    const parentCol = parents[0];
    const parent = parentCol && svc.tableNames().find((n) => `${singular(n)}_id` === parentCol);
    if (!parent || !svc.tables.get(parent).columns.has('updated_at')) up.push(`UPDATE ${table} SET ${col} = ${value} WHERE ${col} IS NULL;`);
    else up.push(`UPDATE ${table} AS c\nSET updated_at = p.updated_at\nFROM ${parent} AS p\nWHERE p.id = c.${parentCol}\n  AND c.updated_at < p.updated_at;`);
  }
  if (rng.chance(0.3)) up.unshift(`SET statement_timeout = '${rng.pick(['5min', '15min', '0'])}';`);
  return { up, down: [], desc: `backfill_${table}_${col}` };
}

function comments(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const t = svc.tables.get(table);
  const cols = rng.sample([...t.columns.keys()], rng.int(1, 4));
  const up = [`COMMENT ON TABLE ${table} IS ${q(rng.pick(COMMENT_TEXTS))};`];
  for (const c of cols) up.push(`COMMENT ON COLUMN ${table}.${c} IS ${q(rng.pick(COMMENT_TEXTS))};`);
  return { up, down: [], desc: `document_${table}` };
}

function grants(svc) {
  const rng = svc.rng;
  const tables = rng.sample(svc.tableNames(), rng.int(1, 4));
  const up = [];
  const role = rng.pick(ROLES);
  for (const table of tables) {
    up.push(rng.chance(0.5) ? `GRANT SELECT ON TABLE ${table} TO ${role};` : `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${svc.def.name}_app;`);
  }
  if (rng.chance(0.3)) up.push(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${role};`);
  if (rng.chance(0.2)) up.push(`REVOKE ALL ON ${tables[0]} FROM PUBLIC;`);
  return { up, down: [], desc: `grants_for_${role}` };
}

function rls(svc) {
  const rng = svc.rng;
  const candidates = svc.tableNames().filter((n) => svc.tables.get(n).columns.has('tenant_id') && !svc.tables.get(n).rls);
  if (candidates.length === 0) return grants(svc);
  const table = rng.pick(candidates);
  const t = svc.tables.get(table);
  t.rls = true;
  t.pinned.add('tenant_id');
  return {
    up: [
      `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`,
      ...(rng.chance(0.5) ? [`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`] : []),
      `CREATE POLICY ${table}_tenant_isolation ON ${table}\n    USING (tenant_id = current_setting('app.tenant_id')::bigint)\n    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);`,
      ...(rng.chance(0.4) ? [`CREATE POLICY ${table}_reporting_read ON ${table} FOR SELECT TO reporting_ro USING (true);`] : []),
    ],
    down: [`DROP POLICY IF EXISTS ${table}_tenant_isolation ON ${table};`, `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY;`],
    desc: `rls_${table}`,
  };
}

// ---- large files

/** A squashed baseline: the schema dump a team commits when it adopts a migration tool. */
function baseline(svc) {
  const rng = svc.rng;
  const up = [
    '-- Baseline: squashed from the schema dump of production, 2021-03-02.',
    '-- Do not edit; later changes go into new migrations.',
    '',
  ].join('\n');
  const stmts = [];
  if (svc.def.pk === 'uuid') stmts.push('CREATE EXTENSION IF NOT EXISTS pgcrypto;');
  stmts.push('CREATE EXTENSION IF NOT EXISTS citext;');
  svc.tables.set('audit_log', {
    columns: new Map([['id', 'bigint'], ['table_name', 'text'], ['row_id', 'text'], ['action', 'text'], ['actor', 'text'], ['old_row', 'jsonb'], ['new_row', 'jsonb'], ['changed_at', 'timestamptz']]),
    pinned: new Set(['table_name', 'row_id', 'action', 'actor', 'old_row', 'new_row', 'changed_at']),
    rls: false,
    triggers: new Set(),
  });
  stmts.push(`CREATE TABLE audit_log (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    table_name text NOT NULL,
    row_id text NOT NULL,
    action text NOT NULL CHECK (action IN ('INSERT', 'UPDATE', 'DELETE')),
    actor text,
    old_row jsonb,
    new_row jsonb,
    changed_at timestamptz NOT NULL DEFAULT now()
);`);
  stmts.push('CREATE INDEX audit_log_table_row_idx ON audit_log (table_name, row_id);');
  const count = rng.int(14, 22);
  for (let i = 0; i < count; i++) {
    const r = createTable(svc);
    stmts.push(...r.up);
    const name = [...svc.tables.keys()].pop();
    const t = svc.tables.get(name);
    for (const c of rng.sample([...t.columns.keys()], rng.int(2, 5))) stmts.push(`COMMENT ON COLUMN ${name}.${c} IS ${q(rng.pick(COMMENT_TEXTS))};`);
    stmts.push(`GRANT SELECT ON ${name} TO reporting_ro;`);
  }
  return { up: stmts, down: [], desc: 'baseline', preamble: up };
}

/** Reference data: hundreds of rows in one INSERT. */
function bigSeed(svc) {
  const rng = svc.rng;
  const r = seed(svc, 5000, rng.int(20000, 95000));
  return { ...r, desc: `reference_data_${r.desc.replace(/^seed_/, '')}` };
}

/** A big reporting function: one branch per report, as such functions grow over the years. */
function bigFunction(svc) {
  const rng = svc.rng;
  const table = svc.randomTable();
  const fn = `${svc.def.name}_report`;
  const branches = [];
  const n = rng.int(40, 120);
  for (let i = 0; i < n; i++) {
    const status = rng.pick(STATUSES);
    branches.push(`    ELSIF p_report = '${rng.pick(WORDS)}_${i}' THEN
        -- Report #${i}: ${rng.pick(COMMENT_TEXTS).replace(/\n/g, ' ')}
        RETURN QUERY
            SELECT date_trunc('${rng.pick(['day', 'week', 'month'])}', t.created_at)::timestamptz AS bucket,
                   count(*)::bigint AS row_count,
                   ${q(status)}::text AS label
            FROM ${table} AS t
            WHERE t.created_at >= p_from AND t.created_at < p_to
            GROUP BY 1
            ORDER BY 1;`);
  }
  return {
    up: [`CREATE OR REPLACE FUNCTION ${fn}(p_report text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (bucket timestamptz, row_count bigint, label text)
LANGUAGE plpgsql STABLE
AS $report$
BEGIN
    IF p_report IS NULL THEN
        RAISE EXCEPTION 'p_report is required';
${branches.join('\n')}
    ELSE
        RAISE EXCEPTION 'unknown report: %', p_report USING HINT = 'see docs/reports.md';
    END IF;
END;
$report$;`],
    down: [`DROP FUNCTION IF EXISTS ${fn}(text, timestamptz, timestamptz);`],
    desc: `reporting_function_v${rng.int(2, 9)}`,
  };
}

const SMALL_KINDS = [
  [11, createTable],
  [12, addIndex],
  [2, dropIndex],
  [14, addColumn],
  [8, alterMisc],
  [6, addConstraint],
  [4, validateConstraint],
  [3, changeType],
  [2, rename],
  [3, dropColumn],
  [6, triggerFunction],
  [5, view],
  [3, doBlock],
  [4, enumChange],
  [4, seed],
  [5, backfill],
  [4, comments],
  [3, grants],
  [3, rls],
];

// ---------------------------------------------------------------------------------------------
// Layouts

function pad(n, width) {
  return String(n).padStart(width, '0');
}

function timestamp(base, i) {
  const d = new Date(base + i * 3.7 * 86400000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
}

/** Files for one migration: [{ rel, text, statements }]. */
function render(svc, i, m, rng) {
  const layout = svc.def.layout;
  const desc = m.desc.replace(/[^a-z0-9_]/g, '_').replace(/_+/g, '_').slice(0, 60);
  const head = (m.preamble ?? '') + header(rng, desc.replace(/_/g, ' '));
  const body = (stmts) => stmts.join(rng.chance(0.7) ? '\n\n' : '\n');
  const files = [];
  switch (layout) {
    case 'flyway':
    case 'flyway-dotted': {
      const version = layout === 'flyway' ? `V${i + 1}` : `V${Math.floor(i / 50) + 1}_${(i % 50) + 1}`;
      const repeatable = m.repeatable && !svc.usedNames.has(`R__${desc}.sql`);
      const name = repeatable ? `R__${desc}.sql` : `${version}__${desc}.sql`;
      svc.usedNames.add(name);
      files.push({ rel: name, text: `${head}${body(m.up)}\n`, statements: m.up.length });
      if (m.noTx) files.push({ rel: `${name}.conf`, text: 'executeInTransaction=false\n', statements: 0, sql: false });
      break;
    }
    case 'golang-migrate': {
      const v = pad(i + 1, 6);
      files.push({ rel: `${v}_${desc}.up.sql`, text: `${head}${body(m.up)}\n`, statements: m.up.length });
      const down = m.down?.length ? [...m.down].reverse() : [];
      files.push({ rel: `${v}_${desc}.down.sql`, text: down.length ? `${body(down)}\n` : '-- irreversible: nothing to undo safely\n', statements: down.length });
      break;
    }
    case 'dbmate': {
      const down = m.down?.length ? [...m.down].reverse() : [];
      const text = `-- migrate:up${m.noTx ? ' transaction:false' : ''}\n${head}${body(m.up)}\n\n-- migrate:down\n${down.length ? `${body(down)}\n` : ''}`;
      files.push({ rel: `${timestamp(Date.UTC(2019, 4, 2, 9, 30), i)}_${desc}.sql`, text, statements: m.up.length + down.length });
      break;
    }
    case 'plain': {
      const explicitTx = !m.noTx && m.up.length > 1 && rng.chance(0.4);
      const stmts = explicitTx ? ['BEGIN;', ...m.up, 'COMMIT;'] : m.up;
      files.push({ rel: `${pad(i + 1, 3)}_${desc}.sql`, text: `${head}${body(stmts)}\n`, statements: stmts.length });
      break;
    }
    default: {
      const d = new Date(Date.UTC(2020, 0, 6) + i * 2.9 * 86400000);
      const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}-${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}`;
      files.push({ rel: `${stamp}_${desc}.sql`, text: `${head}${body(m.up)}\n`, statements: m.up.length });
    }
  }
  return files;
}

function generateService(def, rng, scale) {
  const svc = new Service(def, rng);
  const total = Math.max(5, Math.round(def.migrations * scale));
  const files = [];
  const bigAt = new Set([Math.floor(total * 0.2), Math.floor(total * 0.55), Math.floor(total * 0.8)]);
  for (let i = 0; i < total; i++) {
    let m;
    if (i === 0) m = baseline(svc);
    else if (bigAt.has(i)) m = rng.chance(0.55) ? bigSeed(svc) : bigFunction(svc);
    else {
      // Some migrations bundle a feature's worth of changes.
      const parts = rng.weighted([[4, 1], [3, 2], [2, 3], [1, 4]]);
      const pieces = [];
      svc.focus = rng.pick(svc.tableNames().filter((n) => n !== 'audit_log'));
      for (let k = 0; k < parts; k++) pieces.push(rng.weighted(SMALL_KINDS)(svc));
      svc.focus = undefined;
      m = {
        up: pieces.flatMap((p) => p.up),
        down: pieces.flatMap((p) => p.down ?? []).reverse(),
        desc: pieces[0].desc,
        noTx: pieces.some((p) => p.noTx),
        repeatable: parts === 1 && pieces[0].repeatable,
        preamble: undefined,
      };
      if (m.noTx) {
        // A non-transactional migration holds only what may run outside a transaction, in order.
        m.up = m.up.filter((s) => !s.startsWith('BEGIN') && !s.startsWith('COMMIT'));
      }
    }
    for (const f of render(svc, i, m, rng)) files.push({ ...f, rel: `${def.dir}/${f.rel}` });
  }
  return files;
}

export function generate({ seed = DEFAULT_SEED, scale = 1 } = {}) {
  const rng = new Rng(seed);
  const files = [];
  for (const def of SERVICES) files.push(...generateService(def, new Rng(Math.floor(rng.float() * 2 ** 31)), scale));
  return files;
}

export function buildCorpus({ out = DEFAULT_OUT, seed = DEFAULT_SEED, scale = 1 } = {}) {
  const files = generate({ seed, scale });
  rmSync(out, { recursive: true, force: true });
  let bytes = 0;
  let statements = 0;
  let sqlFiles = 0;
  const sizes = [];
  for (const f of files) {
    const full = path.join(out, f.rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, f.text);
    if (f.sql === false) continue;
    const size = Buffer.byteLength(f.text);
    sqlFiles++;
    bytes += size;
    statements += f.statements;
    sizes.push(size);
  }
  sizes.sort((a, b) => a - b);
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    scale,
    files: sqlFiles,
    bytes,
    statements,
    sizes: {
      p10: sizes[Math.floor(sizes.length * 0.1)],
      median: sizes[Math.floor(sizes.length / 2)],
      p90: sizes[Math.floor(sizes.length * 0.9)],
      max: sizes[sizes.length - 1],
      over20k: sizes.filter((s) => s > 20000).length,
    },
    services: SERVICES.map((s) => ({ name: s.name, layout: s.layout, dir: s.dir })),
  };
  writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Parses every .sql file with libpg-query; returns problems (empty when the corpus is valid SQL). */
export async function verifyCorpus(out = DEFAULT_OUT, manifest) {
  const { createRequire } = await import('node:module');
  const { readdirSync, readFileSync } = await import('node:fs');
  const pg = createRequire(import.meta.url)('libpg-query');
  await pg.loadModule();
  const problems = [];
  let statements = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.sql')) {
        const text = readFileSync(full, 'utf8');
        try {
          const stmts = pg.parseSync(text).stmts ?? [];
          statements += stmts.length;
        } catch (error) {
          problems.push(`${path.relative(out, full)}: ${error.message}`);
        }
      }
    }
  };
  walk(out);
  if (manifest && statements !== manifest.statements) problems.push(`parsed ${statements} statements, manifest says ${manifest.statements}`);
  return { problems, statements };
}

async function cli() {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const out = path.resolve(value('--out', DEFAULT_OUT));
  const manifest = buildCorpus({ out, seed: Number(value('--seed', DEFAULT_SEED)), scale: Number(value('--scale', 1)) });
  console.log(`corpus: ${manifest.files} files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.statements} statements in ${path.relative(process.cwd(), out) || out}`);
  console.log(`sizes: p10 ${manifest.sizes.p10} B, median ${manifest.sizes.median} B, p90 ${manifest.sizes.p90} B, max ${manifest.sizes.max} B, ${manifest.sizes.over20k} files over 20 KB`);
  if (args.includes('--verify')) {
    const { problems, statements } = await verifyCorpus(out, manifest);
    if (problems.length) {
      console.error(`verify: ${problems.length} problem(s):\n${problems.slice(0, 20).join('\n')}`);
      process.exitCode = 1;
    } else console.log(`verify: all files parse (${statements} statements)`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
