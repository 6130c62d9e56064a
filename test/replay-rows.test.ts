/**
 * `--replay-rows N`: synthetic rows before each up-migration expose failures that need data (SET NOT
 * NULL over NULLs, a unique index over duplicates, a foreign key over orphans) as replay-error, and
 * rewrites / ACCESS EXCLUSIVE statements record their duration at that size. Fixtures:
 * fixtures/replay/rows/<case>, plain folders; `-- expect:` markers hold for the run WITH rows, and every
 * case is silent without rows.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { main } from '../src/cli/main.js';
import { SourceFile } from '../src/core/source.js';
import type { MigrationSet } from '../src/migrations/model.js';
import { openPglite, openPostgres, type ReplayDatabase } from '../src/replay/database.js';
import { replaySet } from '../src/replay/replay.js';
import { seedTables } from '../src/replay/seed.js';
import { loadParser } from '../src/sql/parse.js';
import { timelineLines } from '../src/reporters/timeline.js';
import pc from 'picocolors';
import { actualOf, expectationsIn, FIXTURES } from './helpers/fixtures.js';

const url = process.env.PLUMBLINE_TEST_DATABASE_URL;
const engines: Array<{ name: string; open: () => Promise<ReplayDatabase> }> = [{ name: 'PGlite', open: () => openPglite() }];
if (url) engines.push({ name: 'PostgreSQL server', open: () => openPostgres(url) });

function setOf(files: Array<[string, string]>): MigrationSet {
  return {
    root: '.',
    framework: 'plain',
    migrations: files.map(([name, text]) => ({
      id: name,
      version: name,
      name,
      framework: 'plain',
      kind: 'versioned',
      downSupported: false,
      up: {
        file: new SourceFile(`/virtual/${name}`, name, text),
        sections: [{ start: 0, end: text.length }],
        wrappedInTransaction: false,
        transactionReason: 'test: not wrapped',
      },
    })),
  };
}

const DIR = path.join(FIXTURES, 'replay', 'rows');

describe.each(engines)('--replay-rows on $name', ({ open }) => {
  let db: ReplayDatabase;
  beforeAll(async () => {
    await loadParser();
    db = await open();
  }, 180_000);
  afterAll(async () => {
    await db?.close();
  });

  const run = (dir: string, rows?: number) =>
    check({
      root: dir,
      paths: ['.'],
      config: { preset: 'recommended', migrations: [{ path: '.', framework: 'plain' }] },
      enableRules: ['replay-error', 'syntax-error'],
      replay: { database: db, ...(rows ? { rows } : {}) },
    }).then((r) => ({ ...r, findings: r.findings.filter((f) => f.ruleId === 'replay-error' || f.ruleId === 'syntax-error') }));

  const cases = readdirSync(DIR).filter((d) => statSync(path.join(DIR, d)).isDirectory());
  it('has invalid and valid cases', () => {
    for (const c of ['invalid-set-not-null', 'invalid-unique-index']) expect(cases).toContain(c);
    expect(cases.some((c) => c.startsWith('valid'))).toBe(true);
  });
  for (const c of cases) {
    it(`fixture ${c}: silent without rows, as marked with --replay-rows 100`, async () => {
      const caseDir = path.join(DIR, c);
      const expected = expectationsIn(caseDir);
      if (c.startsWith('valid')) expect(expected).toEqual([]);
      else expect(expected.length).toBeGreaterThan(0);
      expect(actualOf(await run(caseDir))).toEqual([]);
      const seeded = await run(caseDir, 100);
      expect(actualOf(seeded)).toEqual(expected);
      for (const f of seeded.findings) {
        expect(f.message).toMatch(/fails here: .+\(SQLSTATE 23\d{3}\)\. Replay had filled `customers` with 100 rows of synthetic data first \(--replay-rows\)/);
        expect(f.properties?.replayRows).toBe(100);
      }
      expect(seeded.notifications.find((n) => n.id === 'replay-summary')?.message).toMatch(/filled 1 table with synthetic rows \(up to 100 rows each, --replay-rows\)/);
    });
  }

  it('fills every common type, NULLs in nullable columns, duplicates in non-unique ones, distinct values under unique indexes', async () => {
    await db.reset();
    await db.exec(`CREATE TYPE order_status AS ENUM ('pending', 'paid');
      CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);
      CREATE TABLE accounts (id serial PRIMARY KEY, code char(3) NOT NULL UNIQUE);
      CREATE TABLE orders (
        id uuid PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, parent_id uuid REFERENCES orders,
        ref varchar(12) NOT NULL, note text, small smallint, total numeric(12,2) NOT NULL, paid boolean NOT NULL,
        placed_on date NOT NULL, placed_at timestamptz, status order_status NOT NULL, tags text[] NOT NULL,
        meta jsonb NOT NULL, amount cents NOT NULL, raw bytea, ip inet, took interval,
        CHECK (total >= 0))`);
    const set = setOf([['V9__touch.sql', 'ALTER TABLE orders ADD COLUMN shipped boolean;\nALTER TABLE accounts ADD COLUMN name text;']]);
    const seed = await seedTables(db, set.migrations[0].up, 50);
    expect(seed.skipped).toEqual([]);
    expect(seed.seeded.map((t) => `${t.table} ${t.rows} attempt ${t.attempt}`)).toEqual(['public.accounts 50 attempt 1', 'public.orders 50 attempt 1']);
    const [stats] = await db.query<{ n: number; nulls: number; refs: number; status: string; ids: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE note IS NULL)::int AS nulls, count(DISTINCT ref)::int AS refs,
              min(status::text) AS status, count(DISTINCT id)::int AS ids FROM orders`,
    );
    expect(stats).toEqual({ n: 50, nulls: 10, refs: 7, status: 'pending', ids: 50 });
    // Topped up, not doubled, before the next migration.
    const again = await seedTables(db, set.migrations[0].up, 50);
    expect(again.seeded.map((t) => t.inserted)).toEqual([0, 0]);
  });

  it('skips a table it cannot fill with a reason, and replays on', async () => {
    await db.reset();
    const result = await replaySet(
      db,
      setOf([
        ['V1__tables.sql', 'CREATE TABLE warehouses (id int PRIMARY KEY);\nCREATE TABLE stock (id int PRIMARY KEY, warehouse_id int NOT NULL REFERENCES warehouses, code text CHECK (code = \'x\') NOT NULL);'],
        ['V2__touch.sql', 'ALTER TABLE stock ADD COLUMN note text;'],
      ]),
      { rows: 20, reversibility: false },
    );
    expect(result.stop).toBeUndefined();
    expect(result.scripts[1].seed?.skipped).toEqual([{ table: 'public.stock', reason: 'its foreign key to `warehouses` needs parent rows, and that table has none' }]);
  });

  it('a column about to become a foreign key holds parent values (no invented orphans); a rewrite records its duration at N rows', async () => {
    await db.reset();
    const set = setOf([
      ['V1__tables.sql', 'CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total int NOT NULL);'],
      ['V2__widen_total.sql', 'ALTER TABLE invoices ALTER COLUMN total TYPE bigint;'],
      ['V3__fk.sql', 'ALTER TABLE invoices ADD CONSTRAINT invoices_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);'],
    ]);
    const result = await replaySet(db, set, { rows: 1000, reversibility: false });
    const widen = result.scripts[1].statements[0];
    expect(widen.rewrites.map((w) => w.relation)).toContain('public.invoices');
    expect(widen.seededRows).toBe(1000);
    expect(result.stop).toBeUndefined();
    expect(result.scripts[2].seed?.seeded.map((t) => t.table)).toEqual(['public.customers', 'public.invoices']);
    const lines = timelineLines({ replay: { sets: [result], label: 'test' }, pgVersion: 17 } as never, pc.createColors(false));
    expect(lines.join('\n')).toMatch(/rewrites invoices \(and 1 index\), \d+ ms at 1,000 rows/);
  });
});

describe('--replay-rows on the command line', () => {
  it('must be a whole number from 1 to 100000', async () => {
    for (const bad of ['0', '100001', '2.5']) {
      let err = '';
      const code = await main(['check', '--replay-rows', bad, FIXTURES], {
        stdout: () => undefined,
        stderr: (s) => (err += s),
        readStdin: async () => '',
        isTTY: false,
        env: {},
        cwd: process.cwd(),
      });
      expect(code).toBe(2);
      expect(err).toContain('--replay-rows must be a whole number from 1 to 100000');
    }
  });
});
