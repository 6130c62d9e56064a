/**
 * Migrations written in TypeScript (issue 4, item 2): TypeORM, Knex, node-pg-migrate, Kysely,
 * Sequelize, MikroORM and `sql` template files are translated to the SQL their tool sends, checked by
 * the migration rules and replayed into the catalog, and every finding lands on the TypeScript line and
 * column that produced it (fixtures/frameworks/<tool>/, docs/frameworks.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, type CheckResult } from '../src/check.js';
import type { Finding } from '../src/core/finding.js';
import { SourceFile } from '../src/core/source.js';
import { discover } from '../src/migrations/discover.js';
import type { Migration, MigrationSet } from '../src/migrations/model.js';
import { decodeRange } from '../src/migrations/ts/literals.js';
import { isGenerated, MappedSourceFile, restoreSourceFile } from '../src/migrations/ts/mapped.js';
import { sarifReporter } from '../src/reporters/sarif.js';
import { textReporter } from '../src/reporters/text.js';
import type { ReportContext } from '../src/reporters/types.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/frameworks');
const CTX: ReportContext = { color: false, toolVersion: '0.0.0' };

const temps: string[] = [];
function tree(spec: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-tsmig-'));
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

const results = new Map<string, Promise<CheckResult>>();
function run(tool: string): Promise<CheckResult> {
  if (!results.has(tool)) results.set(tool, check({ root: path.join(FIXTURES, tool), workers: false }));
  return results.get(tool)!;
}

/** `path:line:column` of a finding, from the file it is reported in (what every reporter prints). */
function where(f: { file: SourceFile; range: { start: number } }): string {
  const p = f.file.position(f.range.start);
  return `${f.file.relPath}:${p.line}:${p.column}`;
}

function findings(result: CheckResult, ruleId: string, file?: string): Finding[] {
  return result.findings.filter((f) => f.ruleId === ruleId && (!file || f.file.relPath.endsWith(file)));
}

function onlySet(result: CheckResult): MigrationSet {
  expect(result.sets).toHaveLength(1);
  return result.sets[0];
}

function migration(result: CheckResult, stem: string): Migration {
  const m = onlySet(result).migrations.find((x) => x.id.endsWith(stem));
  expect(m, stem).toBeDefined();
  return m!;
}

/** Line and column (1-based) of `needle` in a fixture file, for readable expectations. */
function at(file: SourceFile, needle: string, nth = 0): string {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = file.text.indexOf(needle, index + 1);
  expect(index, needle).toBeGreaterThanOrEqual(0);
  const p = file.position(index);
  return `${file.relPath}:${p.line}:${p.column}`;
}

function origin(m: Migration): SourceFile {
  expect(isGenerated(m.up.file)).toBe(true);
  return (m.up.file as MappedSourceFile).origin;
}

describe('TypeORM', () => {
  let result: CheckResult;
  beforeAll(async () => {
    result = await run('typeorm');
  });

  it('finds the migration classes and orders them by the timestamp of the class name', () => {
    const set = onlySet(result);
    expect(set).toMatchObject({ root: 'src/database/migrations', framework: 'typeorm' });
    expect(set.migrations.map((m) => m.version)).toEqual(['1706000000000', '1706100000000', '1706200000000', '1706300000000', '1706400000000', '1706500000000']);
    expect(set.migrations[1].name).toBe('CreateOrders');
    expect(set.migrations.every((m) => m.downSupported && m.down)).toBe(true);
  });

  it('reports a plain CREATE INDEX on the createIndex call, judged against the table a builder call created', () => {
    const m = migration(result, '1706200000000-IndexOrdersByCustomer');
    const [f] = findings(result, 'require-concurrent-index', '1706200000000-IndexOrdersByCustomer.ts');
    expect(f).toBeDefined();
    // `orders` comes from `queryRunner.createTable(new Table(...))` in the previous migration.
    expect(f.message).toContain('existing table `orders`');
    expect(where(f)).toBe(at(origin(m), 'queryRunner.createIndex('));
    expect(where(f)).toBe('src/database/migrations/1706200000000-IndexOrdersByCustomer.ts:6:11');
    // In TypeORM's default transaction, no CONCURRENTLY fix can be offered, and the reason says why.
    expect(f.remedy).toContain("migrationsTransactionMode 'all'");
    expect(f.fix).toBeUndefined();
  });

  it('reports a NOT NULL column without default on the column name of the TableColumn', () => {
    const m = migration(result, '1706300000000-AddOrderNote');
    const [f] = findings(result, 'no-required-column-without-default', '1706300000000-AddOrderNote.ts');
    expect(f.message).toContain('internal_note');
    expect(where(f)).toBe(at(origin(m), "internal_note'"));
    // The ALTER TABLE statement itself starts at the addColumn call.
    const [lock] = findings(result, 'require-lock-timeout', '1706300000000-AddOrderNote.ts');
    expect(where(lock)).toBe(at(origin(m), 'queryRunner.addColumn('));
  });

  it('maps SQL copied from a string literal character by character, escapes included', () => {
    const m = migration(result, '1706300000000-AddOrderNote');
    const sql = m.up.file.text;
    expect(sql).toContain(`COMMENT ON COLUMN "orders"."internal_note" IS 'Support team only, never shown to the customer'`);
    // The SQL quote before `Support` is the `\'` escape of the TypeScript string.
    expect(where({ file: m.up.file, range: { start: sql.indexOf("'Support") } })).toBe(at(origin(m), "\\'Support"));
    expect(where({ file: m.up.file, range: { start: sql.indexOf('Support') } })).toBe(at(origin(m), 'Support'));
    expect(where({ file: m.up.file, range: { start: sql.indexOf('COMMENT') } })).toBe(at(origin(m), 'COMMENT'));
  });

  it('runs migrations in one transaction by default, and outside one with `transaction = false`', () => {
    const set = onlySet(result);
    const modes = Object.fromEntries(set.migrations.map((m) => [m.version, m.up.wrappedInTransaction]));
    expect(modes).toEqual({ '1706000000000': true, '1706100000000': true, '1706200000000': true, '1706300000000': true, '1706400000000': false, '1706500000000': true });
    expect(migration(result, '1706400000000-IndexOrdersCreatedAt').up.transactionReason).toContain('`transaction = false`');
    expect(findings(result, 'no-concurrent-in-transaction')).toEqual([]);
  });

  it('does not guess an interpolation it cannot resolve: a note names the file and line, the statement is skipped', () => {
    const notes = result.notifications.filter((n) => n.id === 'unresolved-sql');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ level: 'note', path: 'src/database/migrations/1706500000000-ArchiveCancelledOrders.ts' });
    expect(notes[0].message).toContain('src/database/migrations/1706500000000-ArchiveCancelledOrders.ts:7:');
    expect(notes[0].message).toContain('archiveSchema');
    const m = migration(result, '1706500000000-ArchiveCancelledOrders');
    expect(m.up.file.text).not.toContain('CREATE SCHEMA');
    expect(m.up.file.text).toContain('DELETE FROM "orders"');
  });
});

describe('Knex', () => {
  let result: CheckResult;
  beforeAll(async () => {
    result = await run('knex');
  });

  it('orders .ts and .js migrations by file name', () => {
    const set = onlySet(result);
    expect(set).toMatchObject({ root: 'db/migrations', framework: 'knex' });
    expect(set.migrations.map((m) => path.basename(m.up.file.relPath))).toEqual([
      '20240105093000_create_customers.ts',
      '20240112141500_create_invoices.ts',
      '20240120101000_index_invoices_by_customer.ts',
      '20240128160000_add_invoice_status.ts',
      '20240203110000_index_invoices_created_at.js',
      '20240210090000_partition_old_invoices.ts',
    ]);
  });

  it('translates the table builder the way Knex compiles it for PostgreSQL', () => {
    const sql = migration(result, '20240112141500_create_invoices').up.file.text;
    expect(sql).toContain('create table "invoices" ("id" bigserial primary key, "public_id" uuid not null default gen_random_uuid(), "customer_id" bigint not null');
    expect(sql).toContain(`"currency" varchar(3) not null default 'EUR'`);
    expect(sql).toContain('"created_at" timestamptz not null default CURRENT_TIMESTAMP');
    expect(sql).toContain('alter table "invoices" add constraint "invoices_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on delete cascade');
    expect(migration(result, '20240105093000_create_customers').up.file.text).toContain('alter table "customers" add constraint "customers_email_unique" unique ("email")');
    // Constant bindings are inlined.
    expect(migration(result, '20240128160000_add_invoice_status').up.file.text).toContain(`COMMENT ON COLUMN invoices.status IS 'draft, open, paid or void'`);
  });

  it('reports the index on the `table.index(...)` line, against the table the builder created', () => {
    const m = migration(result, '20240120101000_index_invoices_by_customer');
    const [f] = findings(result, 'require-concurrent-index', '20240120101000_index_invoices_by_customer.ts');
    expect(f.message).toContain('`CREATE INDEX invoices_customer_id_index` on existing table `invoices`');
    expect(where(f)).toBe(at(origin(m), 'table.index('));
    expect(where(f)).toBe('db/migrations/20240120101000_index_invoices_by_customer.ts:6:5');
  });

  it('reports a required column without default on its column name', () => {
    const m = migration(result, '20240128160000_add_invoice_status');
    const [f] = findings(result, 'no-required-column-without-default', '20240128160000_add_invoice_status.ts');
    expect(where(f)).toBe(at(origin(m), "status'"));
  });

  it('runs each migration in a transaction unless the file exports config.transaction = false', () => {
    const set = onlySet(result);
    expect(set.migrations.map((m) => m.up.wrappedInTransaction)).toEqual([true, true, true, true, false, true]);
    const js = migration(result, '20240203110000_index_invoices_created_at');
    expect(js.up.transactionReason).toContain('config = { transaction: false }');
    expect(js.down?.wrappedInTransaction).toBe(false);
    expect(findings(result, 'no-concurrent-in-transaction')).toEqual([]);
  });

  it('notes the knex.raw it cannot resolve', () => {
    const notes = result.notifications.filter((n) => n.id === 'unresolved-sql');
    expect(notes.map((n) => n.message.split(': ')[0])).toEqual(['db/migrations/20240210090000_partition_old_invoices.ts:9:34']);
  });
});

describe('builder translations', () => {
  it('Knex: the example of the issue, .alter() and a default-named unique index', async () => {
    const root = tree({
      'migrations/20240101000000_orders.ts': [
        `import type { Knex } from 'knex';`,
        `export async function up(knex: Knex) {`,
        `  await knex.schema.createTable('orders', (t) => {`,
        `    t.increments();`,
        `    t.string('email').notNullable();`,
        `    t.integer('user_id');`,
        `    t.uuid('token').defaultTo(knex.raw('gen_random_uuid()'));`,
        `    t.index(['user_id']);`,
        `  });`,
        `  await knex.schema.alterTable('orders', (t) => {`,
        `    t.text('email').notNullable().alter();`,
        `    t.unique(['token'], { useConstraint: false });`,
        `  });`,
        `}`,
        ``,
      ].join('\n'),
    });
    const { sets } = await discover({ root, paths: ['.'], ignore: [] });
    expect(sets[0].migrations[0].up.file.text).toBe(
      [
        'create table "orders" ("id" serial primary key, "email" varchar(255) not null, "user_id" integer, "token" uuid default gen_random_uuid());',
        'create index "orders_user_id_index" on "orders" ("user_id");',
        'alter table "orders" alter column "email" drop default;',
        'alter table "orders" alter column "email" drop not null;',
        'alter table "orders" alter column "email" type text using ("email"::text);',
        'alter table "orders" alter column "email" set not null;',
        'create unique index "orders_token_unique" on "orders" ("token");',
        '',
      ].join('\n'),
    );
  });

  it('TypeORM: a unique TableIndex, and a changeColumn that recreates the column', async () => {
    const root = tree({
      'src/migrations/1700000000000-Tweak.ts': [
        `import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';`,
        `export class Tweak1700000000000 implements MigrationInterface {`,
        `  async up(queryRunner: QueryRunner): Promise<void> {`,
        `    await queryRunner.createIndex('users', new TableIndex({ columnNames: ['email'], isUnique: true }));`,
        `    await queryRunner.changeColumn('users', new TableColumn({ name: 'age', type: 'int' }), new TableColumn({ name: 'age', type: 'varchar', isNullable: true }));`,
        `  }`,
        `  async down(): Promise<void> {}`,
        `}`,
        ``,
      ].join('\n'),
    });
    const { sets } = await discover({ root, paths: ['.'], ignore: [] });
    const lines = sets[0].migrations[0].up.file.text.split('\n');
    expect(lines[0]).toMatch(/^CREATE UNIQUE INDEX "IDX_[0-9a-f]{26}" ON "users" \("email"\);$/);
    expect(lines.slice(1)).toEqual(['ALTER TABLE "users" DROP COLUMN "age";', 'ALTER TABLE "users" ADD "age" character varying;', '']);
  });
});

describe('node-pg-migrate', () => {
  let result: CheckResult;
  beforeAll(async () => {
    result = await run('node-pg-migrate');
  });

  it('orders by the numeric prefix and infers the down of reversible migrations', () => {
    const set = onlySet(result);
    expect(set).toMatchObject({ root: 'migrations', framework: 'node-pg-migrate' });
    expect(set.migrations.map((m) => m.name)).toEqual(['create-accounts', 'create-transfers', 'index-transfers-created-at', 'index-transfers-account', 'add-transfer-reference']);
    expect(migration(result, '1705000000000_create-accounts').down?.file.text).toBe('DROP TABLE "accounts";\n');
    // `export const down = false`: rolling back is refused on purpose.
    const last = migration(result, '1705400000000_add-transfer-reference');
    expect(last.down).toBeUndefined();
    expect(last.downSupported).toBe(false);
  });

  it('reports the index on the createIndex call, against the table createTable created', () => {
    const m = migration(result, '1705200000000_index-transfers-created-at');
    expect(m.up.file.text).toBe('CREATE INDEX "transfers_created_at_index" ON "transfers" ("created_at");\n');
    const [f] = findings(result, 'require-concurrent-index', '1705200000000_index-transfers-created-at.ts');
    expect(f.message).toContain('existing table `transfers`');
    expect(where(f)).toBe('migrations/1705200000000_index-transfers-created-at.ts:5:3');
  });

  it('runs migrations in one transaction unless pgm.noTransaction() is called', () => {
    const m = migration(result, '1705300000000_index-transfers-account');
    expect(m.up.file.text).toContain('CREATE INDEX CONCURRENTLY "transfers_from_account_id_index"');
    expect(m.up.wrappedInTransaction).toBe(false);
    expect(m.down?.wrappedInTransaction).toBe(false);
    expect(onlySet(result).migrations.filter((x) => x !== m).every((x) => x.up.wrappedInTransaction)).toBe(true);
    expect(findings(result, 'no-concurrent-in-transaction')).toEqual([]);
  });

  it('reports the required column on its key, and notes the pgm.sql it cannot resolve', () => {
    const m = migration(result, '1705400000000_add-transfer-reference');
    const [f] = findings(result, 'no-required-column-without-default', '1705400000000_add-transfer-reference.ts');
    expect(where(f)).toBe(at(origin(m), 'reference: {'));
    const notes = result.notifications.filter((n) => n.id === 'unresolved-sql');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toMatch(/^migrations\/1705400000000_add-transfer-reference\.ts:9:\d+: .*`prefix`/);
  });
});

describe('reporters show the TypeScript file', () => {
  const cases: Array<[string, string, string, string]> = [
    ['typeorm', 'require-concurrent-index', 'src/database/migrations/1706200000000-IndexOrdersByCustomer.ts:6:11', "    await queryRunner.createIndex('orders'"],
    ['knex', 'require-concurrent-index', 'db/migrations/20240120101000_index_invoices_by_customer.ts:6:5', "    table.index(['customer_id']);"],
    ['node-pg-migrate', 'require-concurrent-index', 'migrations/1705200000000_index-transfers-created-at.ts:5:3', "  pgm.createIndex('transfers', 'created_at');"],
  ];
  for (const [tool, ruleId, place, line] of cases) {
    it(`${tool}: text and SARIF name the .ts file, line and column`, async () => {
      const result = await run(tool);
      const text = textReporter(result, CTX);
      const header = text.split('\n').findIndex((l) => l.startsWith(place) && l.includes(ruleId));
      expect(header).toBeGreaterThanOrEqual(0);
      // The code frame shows the TypeScript line.
      expect(text.split('\n').slice(header, header + 4).join('\n')).toContain(line.trim());
      const sarif = JSON.parse(sarifReporter(result, CTX));
      const res = sarif.runs[0].results.find((r: any) => r.ruleId === ruleId && r.locations[0].physicalLocation.artifactLocation.uri === place.split(':')[0]);
      expect(res).toBeDefined();
      const [, l, c] = place.split(':');
      expect(res.locations[0].physicalLocation.region).toMatchObject({ startLine: Number(l), startColumn: Number(c) });
      expect(sarif.runs[0].artifacts.map((a: any) => a.location.uri)).toContain(place.split(':')[0]);
    });
  }
});

describe('Kysely, Sequelize, MikroORM, sql templates', () => {
  it('Kysely: builder chains ending in execute(), all migrations in the Migrator transaction', async () => {
    const result = await run('kysely');
    const set = onlySet(result);
    expect(set.framework).toBe('kysely');
    expect(set.migrations.every((m) => m.up.wrappedInTransaction)).toBe(true);
    const m = migration(result, '2024_03_08_1400_index_pets_owner');
    expect(m.up.file.text).toBe('create index "pets_owner_id_index" on "pets" ("owner_id");\n');
    const [f] = findings(result, 'require-concurrent-index');
    expect(where(f)).toBe(at(origin(m), 'db.schema.createIndex('));
    expect(migration(result, '2024_03_15_1000_add_pet_species').up.file.text).toContain(`COMMENT ON COLUMN "pets"."species" IS 'dog, cat or other'`);
    // A constant default: no required-column finding.
    expect(findings(result, 'no-required-column-without-default')).toEqual([]);
  });

  it('Sequelize: no transaction of its own; sequelize.transaction(...) becomes BEGIN/COMMIT', async () => {
    const result = await run('sequelize');
    const set = onlySet(result);
    expect(set.framework).toBe('sequelize');
    expect(set.migrations.every((m) => !m.up.wrappedInTransaction)).toBe(true);
    expect(migration(result, '20240302090000-create-orders').up.file.text).toContain(`CREATE TYPE "enum_orders_status" AS ENUM('pending', 'paid', 'shipped')`);
    const m = migration(result, '20240310120000-index-orders-user');
    expect(m.up.file.text).toBe('BEGIN;\nALTER TABLE "orders" ADD COLUMN "shippedAt" TIMESTAMP WITH TIME ZONE;\nCREATE INDEX "orders_user_id" ON "orders" ("userId");\nCOMMIT;\n');
    const [f] = findings(result, 'require-concurrent-index');
    expect(where(f)).toBe(at(origin(m), 'queryInterface.addIndex('));
    // The transaction is the migration's own: the remedy says where it was opened.
    expect(f.remedy).toContain('BEGIN');
  });

  it('Sequelize: CONCURRENTLY inside the migration\'s own transaction is refused', async () => {
    const root = tree({
      'migrations/20240101000000-create-users.js': `module.exports = {\n  async up(queryInterface, Sequelize) {\n    await queryInterface.createTable('users', { id: { type: Sequelize.BIGINT, primaryKey: true } });\n  },\n};\n`,
      'migrations/20240102000000-index-users.js': [
        `module.exports = {`,
        `  async up(queryInterface) {`,
        `    await queryInterface.sequelize.transaction(async (transaction) => {`,
        `      await queryInterface.addIndex('users', ['id'], { concurrently: true, transaction });`,
        `    });`,
        `  },`,
        `};`,
        ``,
      ].join('\n'),
    });
    const result = await check({ root, workers: false });
    expect(findings(result, 'no-concurrent-in-transaction').map(where)).toEqual(['migrations/20240102000000-index-users.js:4:13']);
  });

  it('MikroORM: addSql copied as written, isTransactional() respected', async () => {
    const result = await run('mikro-orm');
    const set = onlySet(result);
    expect(set.framework).toBe('mikro-orm');
    expect(set.migrations.map((m) => m.up.wrappedInTransaction)).toEqual([true, true, false]);
    const m = migration(result, 'Migration20240415093000');
    const [f] = findings(result, 'require-concurrent-index');
    expect(where(f)).toBe(at(origin(m), 'create index'));
    expect(findings(result, 'no-concurrent-in-transaction')).toEqual([]);
  });

  it('sql templates: slonik migrations are wrapped, postgres.js ones only inside sql.begin', async () => {
    const result = await run('sql-template');
    expect(result.sets.map((s) => [s.root, s.framework])).toEqual([
      ['postgres-js/migrations', 'sql-template'],
      ['slonik/migrations', 'sql-template'],
    ]);
    const [pg, slonik] = result.sets;
    expect(pg.migrations.map((m) => m.up.wrappedInTransaction)).toEqual([false, false, false]);
    expect(slonik.migrations.map((m) => m.up.wrappedInTransaction)).toEqual([true, true, true]);
    const begin = pg.migrations[2];
    // A constant bound value has the effect of the literal.
    expect(begin.up.file.text).toBe(`BEGIN;\nalter table events add column source text;\nupdate events set source = 'legacy' where source is null;\nCOMMIT;\n`);
    expect(pg.migrations[1].up.file.text).toBe('create index concurrently events_kind_idx on "events" (kind);\n');
    const [f] = findings(result, 'require-concurrent-index');
    expect(where(f)).toBe(at((slonik.migrations[2].up.file as MappedSourceFile).origin, 'create index'));
    expect(findings(result, 'no-required-column-without-default').map(where)).toEqual([at((slonik.migrations[1].up.file as MappedSourceFile).origin, 'owner_id bigint')]);
  });
});

describe('discovery', () => {
  it('keeps TypeScript migrations out of the code analyzer, and leaves service code in', async () => {
    const root = path.join(FIXTURES, 'typeorm');
    const found = await discover({ root, paths: ['.'], ignore: [] });
    const rel = found.codeFiles.map((f) => path.relative(root, f).split(path.sep).join('/'));
    expect(rel).toEqual(['src/orders/orders.service.ts']);
    const knex = await discover({ root: path.join(FIXTURES, 'knex'), paths: ['.'], ignore: [] });
    expect(knex.codeFiles.map((f) => path.basename(f)).sort()).toEqual(['invoices.ts', 'knexfile.ts']);
    // And so no code rule reports in a migration (`queryRunner.query(\`… ${archiveSchema}\`)` is not service code).
    const result = await run('typeorm');
    const family = new Map(result.rules.map((r) => [r.id, r.family]));
    expect(result.findings.filter((f) => family.get(f.ruleId) === 'code').map((f) => f.file.relPath)).toEqual([]);
    expect(result.findings.filter((f) => f.file.relPath.endsWith('.ts')).every((f) => family.get(f.ruleId) === 'migration' || family.get(f.ruleId) === 'schema')).toBe(true);
  });

  it('lets plumbline.config.json override the transaction mode of a TypeScript set', async () => {
    const found = await discover({ root: path.join(FIXTURES, 'typeorm'), paths: ['.'], ignore: [], sets: [{ path: 'src/database/migrations', transactional: false }] });
    expect(found.sets[0].migrations.every((m) => !m.up.wrappedInTransaction && m.up.transactionReason.includes('plumbline.config.json'))).toBe(true);
  });

  it('a folder declared with a TypeScript framework reads its migrations and skips helpers', async () => {
    const root = tree({
      'db/migrate/helpers.ts': `export const now = 'now()';\n`,
      'db/migrate/20240101000000_init.ts': `export async function up(knex) {\n  await knex.schema.createTable('plans', (t) => { t.increments('id'); });\n}\n`,
    });
    const found = await discover({ root, paths: ['.'], ignore: [], sets: [{ path: 'db/migrate', framework: 'knex' }] });
    expect(found.sets).toHaveLength(1);
    expect(found.sets[0].migrations.map((m) => m.name)).toEqual(['init']);
    expect(found.codeFiles).toEqual([]);
  });

  it('does not claim a TypeScript file that is not a migration', async () => {
    const root = tree({
      'src/jobs/2024-report.ts': `export async function up(knex) { return knex('orders').select('*'); }\n`,
      'src/services/orders.ts': `export async function up(queryRunner) { await queryRunner.query('SELECT 1'); }\n`,
    });
    const found = await discover({ root, paths: ['.'], ignore: [] });
    // The first is named like a migration but runs no migration call Plumbline knows (a select); the second is not named like one.
    expect(found.sets.flatMap((s) => s.migrations.map((m) => m.name))).toEqual([]);
  });
});

describe('mapping', () => {
  it('decodes escapes to the offset of their backslash', () => {
    const text = `'a\\nb\\'c\\\\d\\x41\\u00e9'`;
    const sql = decodeRange(text, 1, text.length - 1, false);
    expect(sql.text).toBe("a\nb'c\\dAé");
    expect(sql.offsets).toEqual([1, 2, 4, 5, 7, 8, 10, 11, 15]);
    expect(sql.end).toBe(text.length - 1);
    // Template literals: CRLF is one line break.
    const tpl = decodeRange('`x\r\ny`', 1, 5, true);
    expect(tpl.text).toBe('x\ny');
    expect(tpl.offsets).toEqual([1, 2, 4]);
  });

  it('survives a worker thread: structured clone, then the classes restored', async () => {
    const result = await run('knex');
    const file = migration(result, '20240120101000_index_invoices_by_customer').up.file;
    const copy = structuredClone(file) as SourceFile;
    expect(copy instanceof SourceFile).toBe(false);
    restoreSourceFile(copy);
    expect(copy).toBeInstanceOf(MappedSourceFile);
    expect(copy.position(0)).toEqual(file.position(0));
    expect(copy.lineText(6)).toBe(file.lineText(6));
  });

  it('honours suppression comments written above the TypeScript statement', async () => {
    const root = tree({
      'db/migrations/20240101000000_create_plans.ts': `import type { Knex } from 'knex';\nexport async function up(knex: Knex) {\n  await knex.schema.createTable('plans', (t) => {\n    t.bigIncrements('id');\n    t.string('code').notNullable();\n  });\n}\n`,
      'db/migrations/20240102000000_index_plans.ts': [
        `import type { Knex } from 'knex';`,
        `export async function up(knex: Knex) {`,
        `  // plumbline-ignore require-concurrent-index: plans holds a few dozen rows`,
        `  await knex.schema.alterTable('plans', (t) => {`,
        `    t.index(['code']);`,
        `  });`,
        `  await knex.raw('CREATE INDEX plans_id_code ON plans (id, code)');`,
        `}`,
        ``,
      ].join('\n'),
    });
    const result = await check({ root, workers: false, enableRules: ['require-concurrent-index'] });
    const ids = result.findings.map((f) => `${f.ruleId} ${where(f)}`);
    expect(ids).toContain('require-concurrent-index db/migrations/20240102000000_index_plans.ts:7:19');
    expect(ids.filter((i) => i.startsWith('require-concurrent-index') && i.includes(':5:'))).toEqual([]);
    expect(ids.filter((i) => i.startsWith('unused-suppression') || i.startsWith('invalid-suppression'))).toEqual([]);
  });

  it('offers no autofix on generated SQL (the edit would be to text that is not on disk)', async () => {
    const root = tree({
      'migrations/001_events.ts': 'export async function up(sql) {\n  await sql`create table events (id bigint primary key, kind text)`;\n}\n',
      'migrations/002_index.ts': 'export async function up(sql) {\n  await sql`create index events_kind_idx on events (kind)`;\n}\n',
    });
    const result = await check({ root, workers: false });
    const [f] = findings(result, 'require-concurrent-index');
    expect(where(f)).toBe('migrations/002_index.ts:2:13');
    expect(f.fix).toBeUndefined();
  });
});
