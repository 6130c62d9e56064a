/**
 * Discovery: framework detection, migration order, up/down pairing, sections and transaction mode,
 * on realistic fixtures (fixtures/frameworks/<framework>/…) and small temporary trees for the edge cases.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { discover, type DiscoverOptions } from '../src/migrations/discover.js';
import { parseDbmateSections } from '../src/migrations/frameworks/dbmate.js';
import { breakpointSections } from '../src/migrations/frameworks/drizzle.js';
import { compareFlywayVersions } from '../src/migrations/frameworks/flyway.js';
import { parsePlan, scriptNames } from '../src/migrations/frameworks/sqitch.js';
import type { MigrationScript, MigrationSet } from '../src/migrations/model.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/frameworks');
const fixture = (...parts: string[]) => path.join(FIXTURES, ...parts);

function run(root: string, extra: Partial<DiscoverOptions> = {}) {
  return discover({ root, paths: ['.'], ignore: [], ...extra });
}

async function onlySet(root: string, extra: Partial<DiscoverOptions> = {}): Promise<MigrationSet> {
  const { sets } = await run(root, extra);
  expect(sets).toHaveLength(1);
  return sets[0];
}

const files = (set: MigrationSet) => set.migrations.map((m) => path.basename(m.up.file.relPath));
const wrapped = (set: MigrationSet) => Object.fromEntries(set.migrations.map((m) => [m.name, m.up.wrappedInTransaction]));
const text = (s: MigrationScript) => s.sections.map((r) => s.file.text.slice(r.start, r.end)).join('');

/** Small trees written to a temporary folder, removed at the end. */
const temps: string[] = [];
function tree(spec: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-discover-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(spec)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('Flyway', () => {
  const root = fixture('flyway', 'shop');

  it('finds the migration folder below the repository root', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'src/main/resources/db/migration', framework: 'flyway', detectedBy: 'V<version>__<description>.sql file names' });
  });

  it('orders versions numerically by parts (V1.10 after V1.9, V2 after V1.10), then repeatables by description', async () => {
    const set = await onlySet(root);
    expect(files(set)).toEqual([
      'V1__create_users.sql',
      'V1.1__add_users_status.sql',
      'V1.9__create_orders.sql',
      'V1.10__create_payments.sql',
      'V2__index_orders_created_at.sql',
      'V2_1__backfill_payments_currency.sql',
      'V3__index_payments_order_id.sql',
      'R__active_users_view.sql',
      'R__order_totals_view.sql',
    ]);
    expect(set.migrations.map((m) => m.version).slice(0, 7)).toEqual(['1', '1.1', '1.9', '1.10', '2', '2.1', '3']);
    expect(set.migrations.map((m) => m.kind)).toEqual([...Array(7).fill('versioned'), 'repeatable', 'repeatable']);
    expect(set.migrations[0].name).toBe('create users');
  });

  it('compares versions like Flyway', () => {
    expect(compareFlywayVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareFlywayVersions('2', '1.10')).toBeGreaterThan(0);
    expect(compareFlywayVersions('1.0', '1')).toBe(0);
    expect(compareFlywayVersions('2_1', '2.1')).toBe(0);
    expect(compareFlywayVersions('010', '10')).toBe(0);
    expect(compareFlywayVersions('20240101120000', '3')).toBeGreaterThan(0);
  });

  it('pairs U<version> as the down of V<version>, and supports downs only when undo scripts exist', async () => {
    const set = await onlySet(root);
    const v3 = set.migrations.find((m) => m.version === '3')!;
    expect(path.basename(v3.down!.file.relPath)).toBe('U3__index_payments_order_id.sql');
    expect(set.migrations.filter((m) => m.down)).toHaveLength(1);
    expect(set.migrations.filter((m) => m.kind === 'versioned').every((m) => m.downSupported)).toBe(true);
    expect(set.migrations.filter((m) => m.kind === 'repeatable').every((m) => !m.downSupported)).toBe(true);
    const noUndo = await onlySet(fixture('flyway', 'duplicate-version'));
    expect(noUndo.migrations.every((m) => !m.downSupported)).toBe(true);
  });

  it('wraps each migration in a transaction, except after a .conf opt-out or when Flyway detects a non-transactional statement', async () => {
    const set = await onlySet(root);
    expect(wrapped(set)).toEqual({
      'create users': true,
      'add users status': true,
      'create orders': true,
      'create payments': true,
      'index orders created at': false,
      'backfill payments currency': false,
      'index payments order id': true,
      'active users view': true,
      'order totals view': true,
    });
    const reason = (name: string) => set.migrations.find((m) => m.name === name)!.up.transactionReason;
    expect(reason('create users')).toBe('Flyway runs each migration in a transaction (executeInTransaction defaults to true)');
    expect(reason('index orders created at')).toContain('CREATE INDEX CONCURRENTLY');
    expect(reason('backfill payments currency')).toContain('V2_1__backfill_payments_currency.sql.conf sets executeInTransaction=false');
  });

  it('never treats .conf files or callbacks as migrations, and reports nothing for a clean layout', async () => {
    const { sets, notifications } = await run(root);
    const all = sets.flatMap((s) => s.migrations.flatMap((m) => [m.up.file.relPath, m.down?.file.relPath]));
    expect(all.some((f) => f?.endsWith('.conf') || f?.endsWith('afterMigrate.sql'))).toBe(false);
    expect(notifications).toEqual([]);
  });

  it('keeps both migrations of a duplicated version, in a stable order, and reports duplicate-version', async () => {
    const { sets, notifications } = await run(fixture('flyway', 'duplicate-version'));
    expect(files(sets[0])).toEqual(['V1__create_users.sql', 'V2__create_orders.sql', 'V3__add_orders_status.sql', 'V3__add_orders_total.sql']);
    expect(notifications).toEqual([expect.objectContaining({ id: 'duplicate-version', level: 'error', path: 'V3__add_orders_total.sql' })]);
  });

  it('reports a script that mixes CONCURRENTLY with transactional statements (Flyway refuses it unless mixed=true)', async () => {
    const { sets, notifications } = await run(fixture('flyway', 'mixed-statements'));
    expect(wrapped(sets[0])).toEqual({ 'create orders': true, 'index orders status': false });
    expect(notifications).toEqual([expect.objectContaining({ id: 'flyway-mixed-transaction', level: 'warning', path: 'V2__index_orders_status.sql' })]);
    expect(notifications[0].message).toContain('line 4');
  });

  it('reads executeInTransaction and mixed from the project configuration', async () => {
    const migrations = {
      'db/migration/V1__create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n',
      'db/migration/V2__index_orders_status.sql': "SET lock_timeout = '3s';\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n",
    };
    const off = await run(tree({ ...migrations, 'flyway.conf': 'flyway.executeInTransaction=false\nflyway.mixed=true\n' }));
    expect(wrapped(off.sets[0])).toEqual({ 'create orders': false, 'index orders status': false });
    expect(off.sets[0].migrations[0].up.transactionReason).toContain('flyway.conf sets executeInTransaction=false');
    expect(off.notifications).toEqual([]);
    const mixed = await run(tree({ ...migrations, 'flyway.toml': '[flyway]\nmixed = true\n' }));
    expect(wrapped(mixed.sets[0])).toEqual({ 'create orders': true, 'index orders status': false });
    expect(mixed.notifications).toEqual([]);
  });

  it('runs ALTER TYPE … ADD VALUE outside a transaction before PostgreSQL 12 only', async () => {
    const dir = tree({ 'V1__add_ticket_priority.sql': "ALTER TYPE ticket_priority ADD VALUE 'urgent';\n" });
    expect((await onlySet(dir, { pgVersion: 11 })).migrations[0].up.wrappedInTransaction).toBe(false);
    expect((await onlySet(dir, { pgVersion: 16 })).migrations[0].up.wrappedInTransaction).toBe(true);
  });

  it('warns about a file Flyway never runs because of its name', async () => {
    const { sets, notifications } = await run(fixture('flyway', 'misnamed'));
    expect(files(sets[0])).toEqual(['V1__create_orders.sql']);
    expect(notifications).toEqual([expect.objectContaining({ id: 'ignored-file', level: 'warning', path: 'V2_add_orders_note.sql' })]);
  });

  it('merges Flyway folders nested in a Flyway folder (locations are recursive)', async () => {
    const dir = tree({
      'db/migration/V1__create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n',
      'db/migration/2024/V3__add_orders_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
      'db/migration/2023/V2__add_orders_status.sql': 'ALTER TABLE orders ADD COLUMN status text;\n',
    });
    const set = await onlySet(dir);
    expect(set.root).toBe('db/migration');
    expect(files(set)).toEqual(['V1__create_orders.sql', 'V2__add_orders_status.sql', 'V3__add_orders_note.sql']);
  });
});

describe('golang-migrate', () => {
  const root = fixture('golang-migrate');

  it('checks only the PostgreSQL variant of multi-database migrations (pop/fizz layouts)', async () => {
    const dir = tree({
      'persistence/sql/migrations/20210410175418000000_identities.postgres.up.sql': 'CREATE TABLE identities (id uuid PRIMARY KEY, traits jsonb NOT NULL);\n',
      'persistence/sql/migrations/20210410175418000000_identities.postgres.down.sql': 'DROP TABLE identities;\n',
      'persistence/sql/migrations/20210410175418000000_identities.mysql.up.sql': 'CREATE TABLE identities (id char(36) NOT NULL, traits json NOT NULL, PRIMARY KEY(id)) ENGINE=InnoDB;\n',
      'persistence/sql/migrations/20210410175418000000_identities.mysql.down.sql': 'DROP TABLE identities;\n',
      'persistence/sql/migrations/20210410175418000000_identities.sqlite3.up.sql': 'CREATE TABLE identities (id TEXT PRIMARY KEY, traits TEXT NOT NULL);\n',
      'persistence/sql/migrations/20210410175418000000_identities.sqlite3.down.sql': 'DROP TABLE identities;\n',
    });
    const { sets, notifications } = await run(dir);
    expect(sets).toHaveLength(1);
    expect(sets[0].migrations.map((m) => [m.name, path.basename(m.up.file.relPath), m.down && path.basename(m.down.file.relPath)])).toEqual([
      ['identities', '20210410175418000000_identities.postgres.up.sql', '20210410175418000000_identities.postgres.down.sql'],
    ]);
    expect(notifications).toEqual([
      expect.objectContaining({ id: 'other-database', level: 'note', message: expect.stringContaining('Skipped 4 migration files') }),
    ]);
  });

  it('orders by version and pairs .up.sql with .down.sql', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'billing/db/migrations', framework: 'golang-migrate' });
    expect(set.migrations.map((m) => m.version)).toEqual(['000001', '000002', '000003', '000004', '000005', '000006', '000007']);
    expect(set.migrations.map((m) => (m.down ? path.basename(m.down.file.relPath) : null))).toEqual([
      '000001_create_users.down.sql',
      '000002_create_orders.down.sql',
      '000003_create_payments.down.sql',
      '000004_index_orders_status.down.sql',
      '000005_index_payments_created_at.down.sql',
      '000006_index_users_created_at.down.sql',
      null,
    ]);
    expect(set.migrations.every((m) => m.downSupported)).toBe(true);
  });

  it('wraps a file in an implicit transaction exactly when it holds more than one statement', async () => {
    const set = await onlySet(root);
    expect(wrapped(set)).toEqual({
      create_users: true,
      create_orders: true,
      create_payments: true,
      index_orders_status: false,
      index_payments_created_at: true,
      index_users_created_at: false,
      add_orders_coupon_code: false,
    });
    expect(set.migrations.every((m) => !m.down || m.down.wrappedInTransaction === false)).toBe(true);
    const multi = set.migrations.find((m) => m.name === 'index_payments_created_at')!;
    expect(multi.up.transactionReason).toBe('golang-migrate sends the whole file as one query string, which PostgreSQL runs as one implicit transaction (2 statements)');
  });

  it('counts top-level statements: comments do not count, a DO block is one statement, a broken statement still counts', async () => {
    const dir = tree({
      '1_backfill.up.sql': `-- one DO block, two statements inside it
DO $$
BEGIN
  UPDATE orders SET status = 'open' WHERE status IS NULL;
  UPDATE payments SET status = 'captured' WHERE status IS NULL;
END
$$;
/* trailing comment; with a semicolon */
`,
      '2_broken.up.sql': 'ALTER TABLE orders ADD COLUMN a int ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);\n',
      '3_empty.up.sql': '-- nothing yet\n',
    });
    const set = await onlySet(dir);
    expect(wrapped(set)).toEqual({ backfill: false, broken: true, empty: false });
  });

  it('orders numeric versions by value, and reports duplicates', async () => {
    const dir = tree({
      '2_b.up.sql': 'SELECT 2;',
      '10_c.up.sql': 'SELECT 10;',
      '1_a.up.sql': 'SELECT 1;',
      '01_a_again.up.sql': 'SELECT 1;',
      '7_orphan.down.sql': 'SELECT 7;',
    });
    const { sets, notifications } = await run(dir);
    expect(files(sets[0])).toEqual(['01_a_again.up.sql', '1_a.up.sql', '2_b.up.sql', '10_c.up.sql']);
    expect(notifications.map((n) => [n.id, n.path]).sort()).toEqual([
      ['duplicate-version', '1_a.up.sql'],
      ['ignored-file', '7_orphan.down.sql'],
    ]);
  });

  it('finds the down of an up given alone', async () => {
    const { sets } = await discover({ root, paths: ['billing/db/migrations/000005_index_payments_created_at.up.sql'], ignore: [] });
    expect(sets).toHaveLength(1);
    expect(sets[0].framework).toBe('golang-migrate');
    expect(sets[0].migrations[0].down?.file.relPath).toBe('billing/db/migrations/000005_index_payments_created_at.down.sql');
  });
});

describe('goose', () => {
  const root = fixture('goose');

  it('orders by version, splits -- +goose Up / Down sections, and reads NO TRANSACTION', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'notifier/internal/db/migrations', framework: 'goose' });
    expect(set.migrations.map((m) => m.version)).toEqual(['00001', '00002', '00003', '00004']);
    expect(wrapped(set)).toEqual({ create_subscriptions: true, create_deliveries: true, index_deliveries_status: false, deliveries_last_error: true });
    const [first, , third, fourth] = set.migrations;
    expect(text(first.up)).toContain('CREATE TABLE subscriptions');
    expect(text(first.up)).not.toContain('DROP TABLE');
    expect(text(first.down!)).toContain('DROP TABLE subscriptions');
    expect(third.down?.wrappedInTransaction).toBe(false);
    expect(fourth.down).toBeUndefined();
    expect(set.migrations.every((m) => m.downSupported)).toBe(true);
  });

  it('checks each section with the right transaction mode, and never the down as up', async () => {
    const result = await check({ root, paths: ['.'], config: {}, enableRules: ['require-down-migration'] });
    const found = result.findings.map((f) => `${path.basename(f.file.relPath)}:${f.file.position(f.range.start).line}:${f.ruleId}`);
    // The plain CREATE INDEX on the live deliveries table, in a transactional goose file.
    expect(found).toContain('00004_deliveries_last_error.sql:3:require-concurrent-index');
    // The concurrent index in the NO TRANSACTION file is fine; the DROP TABLEs of the downs are not "up" drops.
    expect(found.filter((f) => f.startsWith('00003_'))).toEqual([]);
    expect(found.some((f) => f.includes('no-drop-table'))).toBe(false);
    expect(found).toContain('00004_deliveries_last_error.sql:2:require-down-migration');
  });
});

describe('dbmate', () => {
  const root = fixture('dbmate', 'storefront');

  it('parses the up and down sections and their options', () => {
    const src = '-- header comment\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY a ON t (x);\n\n-- migrate:down   transaction:false  \nDROP INDEX CONCURRENTLY a;\n';
    const s = parseDbmateSections(src)!;
    expect(src.slice(s.up.range.start, s.up.range.end)).toBe('CREATE INDEX CONCURRENTLY a ON t (x);\n\n');
    expect(src.slice(s.down!.range.start, s.down!.range.end)).toBe('DROP INDEX CONCURRENTLY a;\n');
    expect(s.up.options).toEqual({ transaction: 'false' });
    expect(s.down!.options).toEqual({ transaction: 'false' });
    expect(src.slice(s.up.directive.start, s.up.directive.end)).toBe('-- migrate:up transaction:false');

    const upOnly = parseDbmateSections('-- migrate:up\r\nCREATE TABLE t (id int);\r\n')!;
    expect(upOnly.down).toBeUndefined();
    expect(upOnly.up.options).toEqual({});
    expect(parseDbmateSections('CREATE TABLE t (id int);')).toBeUndefined();
    // `-- migrate:upgrade` is not a directive.
    expect(parseDbmateSections('-- migrate:upgrade\nSELECT 1;')).toBeUndefined();
  });

  it('gives up and down the same SourceFile and their own sections', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'db/migrations', framework: 'dbmate' });
    expect(set.migrations.map((m) => m.version)).toEqual(['20240105093000', '20240105094500', '20240212110000', '20240301080000', '20240315120000', '20240402100000']);
    const users = set.migrations[0];
    expect(users.down!.file).toBe(users.up.file);
    expect(text(users.up)).toContain('CREATE TABLE users');
    expect(text(users.up)).not.toContain('DROP TABLE');
    expect(text(users.down!)).toBe('DROP TABLE users;\n');
    expect(set.migrations.every((m) => m.downSupported && m.down)).toBe(true);
  });

  it('runs sections in a transaction unless transaction:false, where several statements still form an implicit one', async () => {
    const set = await onlySet(root);
    expect(wrapped(set)).toEqual({
      create_users: true,
      create_orders: true,
      create_payments: true,
      index_orders_user_id: false,
      index_payments_status: true,
      add_users_last_login: true,
    });
    const byName = (n: string) => set.migrations.find((m) => m.name === n)!;
    expect(byName('index_orders_user_id').down!.wrappedInTransaction).toBe(false);
    expect(byName('add_users_last_login').up.transactionReason).toContain('implicit transaction (2 statements)');
    // The down section of that file has no transaction:false: dbmate wraps it.
    expect(byName('add_users_last_login').down!.wrappedInTransaction).toBe(true);
  });

  it('treats the schema dump beside the migrations folder as part of the layout', async () => {
    const { sets, notifications } = await run(root);
    expect(sets.map((s) => s.framework)).toEqual(['dbmate']);
    expect(notifications).toEqual([]);
  });
});

describe('Prisma', () => {
  const root = fixture('prisma', 'acme');

  it('finds migrations/<timestamp>_<name>/migration.sql in folder order, without downs', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'prisma/migrations', framework: 'prisma', detectedBy: 'migration_lock.toml' });
    expect(set.migrations.map((m) => `${m.version}_${m.name}`)).toEqual([
      '20240110120000_init',
      '20240118093000_add_payments',
      '20240202150000_add_order_status_index',
      '20240220100000_add_payment_provider',
      '20240305080000_index_user_created_at',
    ]);
    expect(set.migrations.every((m) => !m.down && !m.downSupported)).toBe(true);
  });

  it('runs a multi-statement migration.sql as one implicit transaction and a single statement on its own', async () => {
    const set = await onlySet(root);
    expect(wrapped(set)).toEqual({ init: true, add_payments: true, add_order_status_index: false, add_payment_provider: true, index_user_created_at: false });
  });

  it('skips a project whose provider is not PostgreSQL', async () => {
    const dir = tree({
      'prisma/migrations/migration_lock.toml': 'provider = "mysql"\n',
      'prisma/migrations/20240101000000_init/migration.sql': 'CREATE TABLE `User` (`id` INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`));\n',
    });
    const { sets, notifications } = await run(dir);
    expect(sets).toEqual([]);
    expect(notifications).toEqual([expect.objectContaining({ id: 'unsupported-database', level: 'note' })]);
  });
});

describe('Drizzle', () => {
  it('orders by meta/_journal.json and splits statements at --> statement-breakpoint', async () => {
    const { sets, notifications } = await run(fixture('drizzle', 'dashboard'));
    expect(sets).toHaveLength(1);
    const set = sets[0];
    expect(set).toMatchObject({ root: 'drizzle', framework: 'drizzle', detectedBy: 'meta/_journal.json' });
    expect(files(set)).toEqual(['0000_nice_wolverine.sql', '0001_curious_sentry.sql', '0002_brief_ultron.sql', '0003_happy_mystique.sql']);
    const first = set.migrations[0].up;
    expect(first.sections).toHaveLength(4);
    expect(first.sections.map((r) => first.file.text.slice(r.start, r.end).trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'CREATE TABLE "users"',
      'CREATE TABLE "orders"',
      'ALTER TABLE "orders"',
      'CREATE INDEX "orders_user_id_idx"',
    ]);
    expect(set.migrations.every((m) => m.up.wrappedInTransaction && !m.downSupported)).toBe(true);
    // A file the journal does not list is never run by the migrator.
    expect(notifications).toEqual([expect.objectContaining({ id: 'ignored-file', path: 'drizzle/0004_manual_backfill.sql' })]);
  });

  it('uses the journal order even when it differs from file names, and falls back to natural order without one', async () => {
    const journal = { version: '7', dialect: 'postgresql', entries: [{ idx: 0, tag: '0000_b' }, { idx: 1, tag: '0001_a' }] };
    const dir = tree({
      'drizzle/0001_a.sql': 'SELECT 1;',
      'drizzle/0000_b.sql': 'SELECT 0;',
      'drizzle/meta/_journal.json': JSON.stringify({ ...journal, entries: [journal.entries[1], journal.entries[0]] }),
    });
    expect(files(await onlySet(dir))).toEqual(['0001_a.sql', '0000_b.sql']);
    const set = await onlySet(fixture('drizzle', 'no-journal'));
    expect(set.detectedBy).toBe('numbered .sql files with --> statement-breakpoint');
    expect(files(set)).toEqual(['0000_steady_users.sql', '0001_bright_orders.sql', '0002_quiet_refunds.sql', '0010_late_payments.sql']);
  });

  it('finds the chunks between breakpoints', () => {
    const src = 'CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);--> statement-breakpoint\n\n';
    expect(breakpointSections(src).map((r) => src.slice(r.start, r.end).trim())).toEqual(['CREATE TABLE a (id int);', 'CREATE TABLE b (id int);']);
  });
});

describe('Diesel', () => {
  const root = fixture('diesel', 'ledger');

  it('orders migration folders by version and pairs up.sql with down.sql', async () => {
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'migrations', framework: 'diesel' });
    expect(set.migrations.map((m) => m.name)).toEqual([
      'diesel_initial_setup',
      'create_users',
      'create_orders',
      'create_payments',
      'index_orders_status',
      'index_payments_created_at',
      'add_orders_currency',
    ]);
    for (const m of set.migrations) {
      expect(m.up.file.relPath).toMatch(/\/up\.sql$/);
      expect(m.down!.file.relPath).toBe(m.up.file.relPath.replace(/up\.sql$/, 'down.sql'));
      expect(m.downSupported).toBe(true);
    }
  });

  it('runs each migration in a transaction unless metadata.toml opts out, where several statements still form an implicit one', async () => {
    const set = await onlySet(root);
    expect(wrapped(set)).toEqual({
      diesel_initial_setup: true,
      create_users: true,
      create_orders: true,
      create_payments: true,
      index_orders_status: false,
      index_payments_created_at: true,
      add_orders_currency: true,
    });
    const optOut = set.migrations.find((m) => m.name === 'add_orders_currency')!;
    expect(optOut.up.transactionReason).toContain('run_in_transaction = false');
    expect(optOut.up.transactionReason).toContain('implicit transaction (2 statements)');
    expect(set.migrations.find((m) => m.name === 'index_orders_status')!.down!.wrappedInTransaction).toBe(false);
  });

  it('never treats metadata.toml or diesel.toml as migrations', async () => {
    const { sets, notifications } = await run(root);
    expect(sets).toHaveLength(1);
    expect(notifications).toEqual([]);
  });
});

describe('Sqitch', () => {
  const root = fixture('sqitch');

  it('parses pragmas, changes with dependencies and notes, and tags', () => {
    const plan = parsePlan(`%syntax-version=1.0.0
%project=payments
# a comment

appschema 2024-01-08T10:00:00Z Dana Whitfield <dana@example.com> # Add schema.
users [appschema !legacy_users] 2024-01-08T10:20:00Z Dana Whitfield <dana@example.com> # Users.
@v1.0.0 2024-01-10T12:00:00Z Dana Whitfield <dana@example.com> # Tag v1.0.0.
@v1.0.1 2024-01-10T12:05:00Z Dana Whitfield <dana@example.com>
users [users@v1.0.1] 2024-02-01T11:45:00Z Rahul Mehta <rahul@example.com> # Rework users.
this line is not valid
`);
    expect(plan.pragmas).toEqual({ 'syntax-version': '1.0.0', project: 'payments' });
    expect(plan.changes.map((c) => ({ name: c.name, deps: c.dependencies, tags: c.tags, planner: c.planner, note: c.note }))).toEqual([
      { name: 'appschema', deps: [], tags: [], planner: 'Dana Whitfield', note: 'Add schema.' },
      { name: 'users', deps: ['appschema', '!legacy_users'], tags: ['v1.0.0', 'v1.0.1'], planner: 'Dana Whitfield', note: 'Users.' },
      { name: 'users', deps: ['users@v1.0.1'], tags: [], planner: 'Rahul Mehta', note: 'Rework users.' },
    ]);
    expect(plan.changes[1].email).toBe('dana@example.com');
    expect(plan.errors).toEqual([{ line: 10, message: 'line 10 is neither a pragma, a change nor a tag' }]);
    // The reworked (earlier) instance uses the first tag after it whose script exists.
    expect(scriptNames(plan, (n) => n === 'users@v1.0.1')).toEqual(['appschema', 'users@v1.0.1', 'users']);
    expect(scriptNames(plan, () => false)).toEqual(['appschema', 'users@v1.0.0', 'users']);
  });

  it('follows the plan order, with reworked changes, deploy scripts as up and revert scripts as down', async () => {
    const { sets, notifications } = await run(root);
    expect(notifications).toEqual([]);
    expect(sets).toHaveLength(1);
    const set = sets[0];
    expect(set).toMatchObject({ root: 'payments', framework: 'sqitch', detectedBy: 'sqitch.plan' });
    expect(set.migrations.map((m) => m.name)).toEqual([
      'appschema',
      'users',
      'orders',
      'payments',
      'order_totals@v1.1.0',
      'order_totals',
      'orders_status_index',
      'payments_created_at_index',
    ]);
    for (const m of set.migrations) {
      expect(m.up.file.relPath).toBe(`payments/deploy/${m.name}.sql`);
      expect(m.down!.file.relPath).toBe(`payments/revert/${m.name}.sql`);
    }
  });

  it('never wraps scripts (they carry their own BEGIN/COMMIT), and never runs verify scripts', async () => {
    const { sets } = await run(root);
    const scripts = sets.flatMap((s) => s.migrations.flatMap((m) => [m.up, m.down!]));
    expect(scripts.every((s) => !s.wrappedInTransaction)).toBe(true);
    expect(scripts.some((s) => s.file.relPath.includes('/verify/'))).toBe(false);
  });
});

describe('plain folders', () => {
  it('is the fallback, in natural order, not wrapped unless assumeInTransaction', async () => {
    const root = fixture('plain', 'reporting');
    const set = await onlySet(root);
    expect(set).toMatchObject({ root: 'sql', framework: 'plain' });
    expect(files(set)).toEqual(['1_create_users.sql', '2_create_orders.sql', '10_index_orders_created_at.sql']);
    expect(set.migrations.every((m) => !m.up.wrappedInTransaction && !m.downSupported)).toBe(true);
    const assumed = await onlySet(root, { assumeInTransaction: true });
    expect(assumed.migrations.every((m) => m.up.wrappedInTransaction)).toBe(true);
  });
});

describe('a repository with several sets', () => {
  const root = fixture('mixed');

  it('finds each set, in a deterministic order', async () => {
    const first = await run(root);
    expect(first.sets.map((s) => [s.root, s.framework, s.migrations.length])).toEqual([
      ['scripts/adhoc', 'plain', 1],
      ['services/billing/prisma/migrations', 'prisma', 2],
      ['services/orders/db/migrations', 'golang-migrate', 2],
    ]);
    expect(first.notifications).toEqual([]);
    const again = await run(root);
    expect(again.sets.map((s) => s.migrations.map((m) => m.id))).toEqual(first.sets.map((s) => s.migrations.map((m) => m.id)));
  });

  it('applies assumeInTransaction to plain folders only', async () => {
    const { sets } = await run(root, { assumeInTransaction: true });
    expect(sets.map((s) => s.migrations.map((m) => m.up.wrappedInTransaction))).toEqual([[true], [false, false], [false, false]]);
  });
});

describe('configuration', () => {
  it('forces a framework on a folder', async () => {
    const set = await onlySet(fixture('flyway', 'shop'), { sets: [{ path: 'src/main/resources/db/migration', framework: 'plain' }] });
    expect(set).toMatchObject({ framework: 'plain', detectedBy: 'configuration' });
    // As plain SQL, every file runs, in natural order.
    expect(files(set)).toContain('afterMigrate.sql');
    expect(files(set)).toContain('U3__index_payments_order_id.sql');
    expect(set.migrations.every((m) => !m.up.wrappedInTransaction)).toBe(true);
  });

  it('forces the transaction mode of every script below a folder', async () => {
    const set = await onlySet(fixture('golang-migrate'), { sets: [{ path: 'billing', transactional: false }] });
    expect(set.framework).toBe('golang-migrate');
    const scripts = set.migrations.flatMap((m) => (m.down ? [m.up, m.down] : [m.up]));
    expect(scripts.every((s) => s.wrappedInTransaction === false)).toBe(true);
    expect(set.migrations[0].up.transactionReason).toBe('plumbline.config.json sets "transactional": false for `billing`');
    const plain = await onlySet(fixture('plain', 'reporting'), { sets: [{ path: 'sql', transactional: true }], assumeInTransaction: false });
    expect(plain.migrations.every((m) => m.up.wrappedInTransaction)).toBe(true);
  });
});

describe('bad input', () => {
  it('turns unreadable files into notifications and still analyses the rest of the set', async () => {
    const dir = tree({
      'db/migrations/000001_create_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
      'db/migrations/000002_latin1.up.sql': Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0x0a]),
      'db/migrations/000003_binary.up.sql': Buffer.from([0x53, 0x00, 0x01]),
      'db/migrations/000004_add_email.up.sql': 'ALTER TABLE users ADD COLUMN email text;\n',
    });
    const { sets, notifications } = await run(dir);
    expect(sets).toHaveLength(1);
    expect(sets[0].migrations.map((m) => m.version)).toEqual(['000001', '000004']);
    expect(notifications.map((n) => [n.id, n.path])).toEqual([
      ['not-utf8', 'db/migrations/000002_latin1.up.sql'],
      ['binary-file', 'db/migrations/000003_binary.up.sql'],
    ]);
  });

  it('survives symbolic link loops and reports each migration once', async () => {
    const dir = tree({ 'db/migration/V1__create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n' });
    symlinkSync('..', path.join(dir, 'db', 'migration', 'parent'));
    symlinkSync(path.join(dir, 'db', 'b.sql'), path.join(dir, 'db', 'a.sql'));
    symlinkSync(path.join(dir, 'db', 'a.sql'), path.join(dir, 'db', 'b.sql'));
    const { sets, notifications } = await run(dir);
    expect(sets.map((s) => [s.root, s.framework, files(s)])).toEqual([['db/migration', 'flyway', ['V1__create_orders.sql']]]);
    expect(notifications.map((n) => n.id)).toEqual(['symlink-loop', 'symlink-loop']);
  });
});

describe('end to end through check()', () => {
  /** require-concurrent-index findings: file, line, whether the CONCURRENTLY autofix is offered (only outside a transaction). */
  async function concurrentIndex(root: string) {
    const result = await check({ root, paths: ['.'], config: { preset: 'recommended', pgVersion: 16 } });
    const own = result.findings.filter((f) => f.ruleId === 'require-concurrent-index');
    return { result, found: own.map((f) => ({ file: path.basename(f.file.relPath), line: f.file.position(f.range.start).line, fix: Boolean(f.fix) })), own };
  }

  it('Flyway: the index in a wrapped migration gets the transaction-aware remedy and no autofix', async () => {
    const { result, found, own } = await concurrentIndex(fixture('flyway', 'shop'));
    expect(result.sets.map((s) => s.framework)).toEqual(['flyway']);
    expect(found).toEqual([{ file: 'V3__index_payments_order_id.sql', line: 2, fix: false }]);
    expect(own[0].remedy).toContain('Flyway runs each migration in a transaction');
  });

  it('golang-migrate: the same index is fixable alone in its file, not after a SET in the same file', async () => {
    const { found, own } = await concurrentIndex(fixture('golang-migrate'));
    expect(found).toEqual([
      { file: '000005_index_payments_created_at.up.sql', line: 4, fix: false },
      { file: '000006_index_users_created_at.up.sql', line: 1, fix: true },
    ]);
    expect(own[0].remedy).toContain('implicit transaction (2 statements)');
  });

  it('dbmate: the section without transaction:false is wrapped', async () => {
    const { found, own } = await concurrentIndex(fixture('dbmate', 'storefront'));
    expect(found).toEqual([{ file: '20240315120000_index_payments_status.sql', line: 3, fix: false }]);
    expect(own[0].remedy).toContain('dbmate runs each migration section in a transaction');
  });

  it('Prisma: a single-statement migration.sql is fixable, a multi-statement one is not', async () => {
    const { found } = await concurrentIndex(fixture('prisma', 'acme'));
    expect(found).toEqual([
      { file: 'migration.sql', line: 2, fix: true },
      { file: 'migration.sql', line: 5, fix: false },
    ]);
  });

  it('Drizzle: every migration runs in the migrator transaction', async () => {
    const { result, found } = await concurrentIndex(fixture('drizzle', 'dashboard'));
    expect(found).toEqual([
      { file: '0002_brief_ultron.sql', line: 1, fix: false },
      { file: '0003_happy_mystique.sql', line: 2, fix: false },
    ]);
    expect(result.notifications.map((n) => n.id)).toEqual(['ignored-file']);
  });

  it('Diesel: wrapped by default', async () => {
    const { found, own } = await concurrentIndex(fixture('diesel', 'ledger'));
    expect(found).toEqual([{ file: 'up.sql', line: 2, fix: false }]);
    expect(own[0].remedy).toContain('Diesel runs each migration in a transaction');
  });

  it('Sqitch: only the script\'s own BEGIN makes a transaction', async () => {
    const { found, own } = await concurrentIndex(fixture('sqitch'));
    expect(found).toEqual([{ file: 'orders_status_index.sql', line: 6, fix: false }]);
    expect(own[0].remedy).toContain('the file opens a transaction with BEGIN');
  });

  it('plain: not wrapped, unless the configuration says the folder is transactional', async () => {
    const root = fixture('plain', 'reporting');
    expect((await concurrentIndex(root)).found).toEqual([{ file: '10_index_orders_created_at.sql', line: 1, fix: true }]);
    const result = await check({ root, paths: ['.'], config: { preset: 'recommended', migrations: [{ path: 'sql', transactional: true }] } });
    const own = result.findings.filter((f) => f.ruleId === 'require-concurrent-index');
    expect(own.map((f) => Boolean(f.fix))).toEqual([false]);
    expect(own[0].remedy).toContain('plumbline.config.json sets "transactional": true for `sql`');
    expect(result.sets[0].migrations.every((m) => m.up.wrappedInTransaction)).toBe(true);
  });
});
