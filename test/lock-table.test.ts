/**
 * The static lock table (src/locks/lock-table.ts) checked against the locks PostgreSQL really takes.
 *
 * Each case runs one statement inside `BEGIN … ROLLBACK` on a small schema, reads the relation-level
 * locks this session holds from `pg_locks`, and asserts that the STRONGEST mode on each relation equals
 * what `locksOf()` predicts for that PostgreSQL's major version. Locks that `locksOf()` cannot predict
 * because it sees one statement without the catalog (the table of an index, the parent of a foreign
 * key, the partitions of a partitioned table…) are listed per case as `gaps` and asserted too, so that
 * the table's blind spots are written down and stay true. ACCESS SHARE locks nobody predicted are
 * ignored (they block only ACCESS EXCLUSIVE), and so is a lock on an index that is no stronger than the
 * lock on its table (nobody reaches the index without the table).
 *
 * Every case also asserts which tables and indexes got new storage (relfilenode changed): the rewrite
 * facts behind no-table-rewrite-default and no-rewriting-type-change, whose verdict on the same statement
 * (run statically, the schema created by an earlier migration) must match what PostgreSQL did.
 *
 * Runs on the embedded PostgreSQL (PGlite) always, and on a real server too when
 * PLUMBLINE_TEST_DATABASE_URL is set (in a throwaway database created and dropped by the test).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { LOCK_MODES, locksOf, strongest, type LockMode } from '../src/locks/lock-table.js';
import { errorInfo, openPglite, openPostgres, type ReplayDatabase } from '../src/replay/database.js';
import { heldLocks, newLocks, relations, rewrites } from '../src/replay/observe.js';
import { loadParser, parseSql } from '../src/sql/parse.js';

const SETUP = `
SET TimeZone = 'UTC';
CREATE SCHEMA archive;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name varchar(10), plan text);
CREATE UNIQUE INDEX customers_email_uidx ON customers (email);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint REFERENCES customers (id),
  total numeric(10,2),
  status text,
  note varchar(10),
  qty int,
  placed_at timestamp,
  ip cidr,
  payload xml,
  created_at timestamptz DEFAULT now()
);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_note_idx ON orders (note);
CREATE INDEX orders_qty_idx ON orders (qty);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;
CREATE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE POLICY orders_owner ON orders USING (true);
CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint);
ALTER TABLE shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
CREATE TABLE order_notes (id bigint, body text);
CREATE RULE order_notes_keep AS ON DELETE TO order_notes DO INSTEAD NOTHING;
CREATE TABLE coupons (code text NOT NULL, percent int);
CREATE UNIQUE INDEX coupons_code_uidx ON coupons (code);
CREATE TABLE events (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id bigint, created_at timestamptz NOT NULL);
CREATE TABLE audit_log (id bigint, logged_on date NOT NULL) PARTITION BY RANGE (logged_on);
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
CREATE TABLE audit_log_2025 (id bigint, logged_on date NOT NULL);
CREATE MATERIALIZED VIEW customer_plans AS SELECT plan, count(*) AS customers FROM customers GROUP BY plan;
CREATE UNIQUE INDEX customer_plans_plan_idx ON customer_plans (plan);
CREATE VIEW paying_customers AS SELECT id, email FROM customers WHERE plan IS NOT NULL;
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE SEQUENCE invoice_numbers;
CREATE TABLE documents (id bigint PRIMARY KEY, body tsvector, created_at timestamptz);
CREATE INDEX documents_body_idx ON documents USING gin (body);
CREATE INDEX documents_created_brin ON documents USING brin (created_at);
`;

const ORDERS_INDEXES = ['orders_note_idx', 'orders_pkey', 'orders_placed_at_idx', 'orders_qty_idx', 'orders_status_idx'];
/** Rewriting `orders` gives the table and all its indexes new storage. */
const ORDERS_REWRITE = ['orders', ...ORDERS_INDEXES];

interface LockCase {
  sql: string;
  /** Locks `locksOf()` cannot name (relation → strongest mode), with `because`. */
  gaps?: Record<string, LockMode>;
  because?: string;
  /** The statement cannot run in a transaction block, so its locks cannot be read (they are gone when it returns). */
  outsideTransaction?: true;
  /** Relations that get new storage (default: none). */
  rewrites?: string[];
  /** The rule whose verdict on this statement must match the observed rewrite. */
  rule?: 'no-table-rewrite-default' | 'no-rewriting-type-change';
  /** Oldest PostgreSQL major version that accepts the statement. */
  since?: number;
}

const FK_PARENT = 'locksOf() sees the statement, not the catalog: it cannot know which table the foreign key references.';
const INDEX_TABLE = 'locksOf() names the index; it cannot know the index’s table without the catalog.';
const PARTITIONS = 'A statement on a partitioned table recurses to its partitions; locksOf() does not know them.';
const VIEWS =
  'ALTER VIEW and CREATE OR REPLACE VIEW take ACCESS EXCLUSIVE on the view; the lock table leaves views out on purpose, because the engine does not yet treat a view created earlier in the same script as new (its lock would be reported as blocking).';

const CASES: LockCase[] = [
  // --- indexes
  { sql: 'CREATE INDEX orders_total_idx ON orders (total)' },
  { sql: 'CREATE UNIQUE INDEX orders_note_uidx ON orders (note)' },
  { sql: 'CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total)', outsideTransaction: true },
  { sql: 'CREATE INDEX events_id_idx ON events (id)', gaps: { events_2024: 'SHARE' }, because: PARTITIONS },
  { sql: 'DROP INDEX orders_status_idx', gaps: { orders: 'ACCESS EXCLUSIVE' }, because: INDEX_TABLE },
  { sql: 'DROP INDEX CONCURRENTLY orders_status_idx', outsideTransaction: true },
  {
    sql: 'REINDEX TABLE orders',
    gaps: Object.fromEntries(ORDERS_INDEXES.map((i) => [i, 'ACCESS EXCLUSIVE'])),
    because:
      'REINDEX TABLE locks the table SHARE and each index ACCESS EXCLUSIVE while it is rebuilt; since the planner locks every index of a table, that blocks reads too (see the REINDEX page, "Notes").',
    rewrites: ORDERS_INDEXES,
  },
  { sql: 'REINDEX INDEX orders_status_idx', gaps: { orders: 'SHARE' }, because: INDEX_TABLE, rewrites: ['orders_status_idx'] },
  { sql: 'REINDEX TABLE CONCURRENTLY orders', outsideTransaction: true, rewrites: ORDERS_INDEXES },
  { sql: 'ALTER INDEX orders_status_idx RENAME TO orders_state_idx' },
  { sql: 'ALTER INDEX orders_status_idx SET (fillfactor = 80)' },
  { sql: 'ALTER INDEX documents_body_idx SET (fastupdate = off)' },
  { sql: 'ALTER INDEX documents_created_brin SET (pages_per_range = 64)' },
  { sql: 'ALTER INDEX orders_status_idx SET TABLESPACE pg_default' },

  // --- ALTER TABLE … ADD COLUMN (and the rewrites behind no-table-rewrite-default)
  { sql: 'ALTER TABLE orders ADD COLUMN channel text', rule: 'no-table-rewrite-default' },
  { sql: "ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'", rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT now()', rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp()', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid()', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN line_no serial', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN line_no bigint GENERATED ALWAYS AS IDENTITY', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN total_cents numeric GENERATED ALWAYS AS (total * 100) STORED', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN total_cents numeric GENERATED ALWAYS AS (total * 100) VIRTUAL', rule: 'no-table-rewrite-default', since: 18 },
  { sql: 'ALTER TABLE orders ADD COLUMN min_qty positive_int', rewrites: ORDERS_REWRITE, rule: 'no-table-rewrite-default' },
  { sql: 'ALTER TABLE orders ADD COLUMN referrer_id bigint REFERENCES customers (id)' },
  { sql: 'ALTER TABLE orders ADD COLUMN coupon text UNIQUE' },
  { sql: "ALTER TABLE orders ADD COLUMN channel text CHECK (channel <> '')" },
  { sql: 'ALTER TABLE events ADD COLUMN source text', gaps: { events_2024: 'ACCESS EXCLUSIVE' }, because: PARTITIONS },

  // --- ALTER COLUMN … TYPE (the rewrites behind no-rewriting-type-change)
  { sql: 'ALTER TABLE orders ALTER COLUMN qty TYPE bigint', rewrites: ORDERS_REWRITE, rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(20)', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN note TYPE text', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(5)', rewrites: ORDERS_REWRITE, rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status TYPE varchar', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status TYPE varchar(20)', rewrites: ORDERS_REWRITE, rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status TYPE text USING status', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN qty TYPE int USING qty + 0', rewrites: ORDERS_REWRITE, rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN total TYPE numeric', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,4)', rewrites: ['orders', ...ORDERS_INDEXES], rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN ip TYPE inet', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN payload TYPE text', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz', rewrites: ['orders_placed_at_idx'], rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN created_at TYPE timestamp', rule: 'no-rewriting-type-change' },
  { sql: 'ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamp(3)', rewrites: ORDERS_REWRITE, rule: 'no-rewriting-type-change' },

  // --- other ALTER TABLE sub-commands
  { sql: 'ALTER TABLE orders DROP COLUMN note' },
  { sql: "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open'" },
  { sql: 'ALTER TABLE orders ALTER COLUMN status SET NOT NULL' },
  { sql: 'ALTER TABLE customers ALTER COLUMN email DROP NOT NULL' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0)' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID' },
  { sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_positive' },
  {
    sql: 'ALTER TABLE shipments VALIDATE CONSTRAINT shipments_order_fk',
    gaps: { orders: 'ROW SHARE' },
    because: `Validating a foreign key reads the referenced table with ROW SHARE (it blocks only EXCLUSIVE and ACCESS EXCLUSIVE). ${FK_PARENT}`,
  },
  { sql: 'ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email)' },
  { sql: 'ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_uidx' },
  { sql: 'ALTER TABLE coupons ADD PRIMARY KEY USING INDEX coupons_code_uidx' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT orders_one_per_id EXCLUDE USING btree (id WITH =)' },
  { sql: 'ALTER TABLE orders DROP CONSTRAINT orders_qty_positive' },
  {
    sql: 'ALTER TABLE shipments DROP CONSTRAINT shipments_order_fk',
    gaps: { orders: 'ACCESS EXCLUSIVE' },
    because: `Dropping a foreign key removes its triggers from the referenced table, under ACCESS EXCLUSIVE. ${FK_PARENT}`,
  },
  { sql: 'ALTER TABLE shipments ALTER CONSTRAINT shipments_order_fk DEFERRABLE' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status SET STATISTICS 500' },
  { sql: 'ALTER TABLE orders SET (fillfactor = 70)' },
  { sql: 'ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)' },
  { sql: 'ALTER TABLE orders SET (parallel_workers = 4)' },
  { sql: 'ALTER TABLE orders SET (user_catalog_table = true)' },
  { sql: 'ALTER TABLE orders RESET (fillfactor)' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status SET (n_distinct = 100)' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status SET STORAGE EXTERNAL' },
  { sql: 'ALTER TABLE orders ALTER COLUMN status SET COMPRESSION pglz', since: 14 },
  { sql: 'ALTER TABLE orders CLUSTER ON orders_pkey' },
  { sql: 'ALTER TABLE orders SET WITHOUT CLUSTER' },
  { sql: 'ALTER TABLE orders ENABLE TRIGGER orders_touch' },
  { sql: 'ALTER TABLE orders DISABLE TRIGGER orders_touch' },
  { sql: 'ALTER TABLE orders DISABLE TRIGGER ALL' },
  { sql: 'ALTER TABLE order_notes DISABLE RULE order_notes_keep' },
  { sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')" },
  {
    sql: "ALTER TABLE audit_log ATTACH PARTITION audit_log_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    gaps: { audit_log_default: 'ACCESS EXCLUSIVE' },
    because: 'Attaching a partition also locks the default partition ACCESS EXCLUSIVE (its rows are checked against the new bound); locksOf() does not know there is one.',
  },
  { sql: 'ALTER TABLE events DETACH PARTITION events_2024' },
  { sql: 'ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY', outsideTransaction: true, since: 14 },
  { sql: 'ALTER TABLE orders RENAME TO purchase_orders' },
  { sql: 'ALTER TABLE orders RENAME COLUMN note TO remark' },
  { sql: 'ALTER TABLE orders RENAME CONSTRAINT orders_qty_positive TO orders_qty_check' },
  { sql: 'ALTER TABLE orders ENABLE ROW LEVEL SECURITY' },
  { sql: 'ALTER TABLE orders FORCE ROW LEVEL SECURITY' },
  { sql: 'ALTER TABLE orders OWNER TO CURRENT_USER' },
  { sql: 'ALTER TABLE orders REPLICA IDENTITY FULL' },
  { sql: 'ALTER TABLE order_notes SET UNLOGGED', rewrites: ['order_notes'] },
  { sql: 'ALTER TABLE order_notes SET ACCESS METHOD heap', since: 15 },
  { sql: 'ALTER TABLE order_notes SET SCHEMA archive' },
  { sql: 'ALTER MATERIALIZED VIEW customer_plans SET (fillfactor = 80)' },

  // --- views: not in the lock table (see VIEWS)
  { sql: 'ALTER VIEW paying_customers SET (security_barrier = true)', gaps: { paying_customers: 'ACCESS EXCLUSIVE' }, because: VIEWS },
  { sql: 'ALTER VIEW paying_customers OWNER TO CURRENT_USER', gaps: { paying_customers: 'ACCESS EXCLUSIVE' }, because: VIEWS },
  {
    sql: 'CREATE OR REPLACE VIEW paying_customers AS SELECT id, email FROM customers WHERE plan IS NOT NULL AND id > 0',
    gaps: { paying_customers: 'ACCESS EXCLUSIVE' },
    because: VIEWS,
  },
  { sql: 'ALTER VIEW paying_customers RENAME TO billable_customers' },
  { sql: 'DROP VIEW paying_customers' },

  // --- DROP
  { sql: 'DROP TABLE order_notes' },
  { sql: 'DROP TABLE shipments', gaps: { orders: 'ACCESS EXCLUSIVE' }, because: `Dropping a table drops its foreign keys, whose triggers live on the referenced table. ${FK_PARENT}` },
  { sql: 'DROP MATERIALIZED VIEW customer_plans' },
  { sql: 'DROP TRIGGER orders_touch ON orders' },
  { sql: 'DROP POLICY orders_owner ON orders' },
  { sql: 'DROP RULE order_notes_keep ON order_notes' },

  // --- maintenance
  { sql: 'REFRESH MATERIALIZED VIEW customer_plans', rewrites: ['customer_plans', 'customer_plans_plan_idx'] },
  { sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY customer_plans' },
  { sql: 'VACUUM FULL order_notes', outsideTransaction: true, rewrites: ['order_notes'] },
  { sql: 'VACUUM order_notes', outsideTransaction: true },
  { sql: 'ANALYZE orders' },
  { sql: 'CLUSTER orders USING orders_pkey', rewrites: ORDERS_REWRITE },
  { sql: 'TRUNCATE order_notes', rewrites: ['order_notes'] },
  { sql: 'TRUNCATE order_notes, events_2025', rewrites: ['events_2025', 'order_notes'] },

  // --- triggers, rules, policies, explicit locks
  { sql: 'CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_row()' },
  { sql: 'CREATE OR REPLACE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_row()', since: 14 },
  { sql: 'CREATE RULE order_notes_frozen AS ON UPDATE TO order_notes DO INSTEAD NOTHING' },
  { sql: 'CREATE POLICY orders_reader ON orders FOR SELECT USING (true)' },
  { sql: 'ALTER POLICY orders_owner ON orders USING (false)' },
  { sql: 'LOCK TABLE orders IN ACCESS SHARE MODE' },
  { sql: 'LOCK TABLE orders IN ROW EXCLUSIVE MODE' },
  { sql: 'LOCK TABLE orders IN SHARE MODE' },
  { sql: 'LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE' },
  { sql: 'LOCK TABLE orders' },

  // --- data changes
  { sql: "UPDATE orders SET status = 'closed'" },
  { sql: 'DELETE FROM orders WHERE id = 1' },
  { sql: "INSERT INTO orders (id, status) VALUES (1, 'open')" },
  { sql: 'INSERT INTO order_notes SELECT id, status FROM orders' },

  // --- new relations: only what they reference or attach to is locked
  { sql: 'CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id))' },
  { sql: 'CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint, FOREIGN KEY (order_id) REFERENCES orders (id))' },
  { sql: "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')" },
  { sql: 'CREATE TABLE refunds (id bigint PRIMARY KEY, amount numeric)' },
  { sql: 'CREATE TABLE order_archive (LIKE orders INCLUDING ALL)' },
  { sql: 'CREATE TABLE order_copy AS SELECT * FROM orders' },
  { sql: "CREATE VIEW open_orders AS SELECT * FROM orders WHERE status = 'open'" },
  { sql: 'CREATE MATERIALIZED VIEW order_counts AS SELECT status, count(*) FROM orders GROUP BY status' },

  // --- catalog-only statements
  { sql: "COMMENT ON TABLE orders IS 'One row per checkout'" },
  { sql: "COMMENT ON COLUMN orders.status IS 'open, paid, shipped'" },
  { sql: "COMMENT ON INDEX orders_status_idx IS 'dashboard filter'" },
  { sql: 'CREATE STATISTICS orders_status_qty ON status, qty FROM orders' },
  { sql: 'GRANT SELECT ON orders TO PUBLIC' },
  {
    sql: 'ALTER SEQUENCE invoice_numbers RESTART',
    gaps: { invoice_numbers: 'SHARE ROW EXCLUSIVE' },
    because: 'ALTER SEQUENCE locks the sequence SHARE ROW EXCLUSIVE (nextval() waits) and gives it new storage; the lock table has no entry for sequences.',
    rewrites: ['invoice_numbers'],
  },
];

interface Engine {
  name: string;
  open: () => Promise<ReplayDatabase>;
}

const engines: Engine[] = [{ name: 'PGlite', open: () => openPglite() }];
const url = process.env.PLUMBLINE_TEST_DATABASE_URL;
if (url) engines.push({ name: 'PostgreSQL server', open: () => openPostgres(url) });

const bare = (key: string) => (key.startsWith('public.') ? key.slice(7) : key);

function strongestMap(entries: Array<{ relation: string; mode: LockMode }>): Record<string, LockMode> {
  const out: Record<string, LockMode> = {};
  for (const e of entries) {
    const key = bare(e.relation);
    out[key] = strongest([out[key], e.mode].filter((m): m is LockMode => m !== undefined))!;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const rank = (m: LockMode) => LOCK_MODES.indexOf(m);

/** Runs `ruleId` statically on a two-migration set: V1 builds the schema, V2 is the statement. */
async function ruleFires(ruleId: string, sql: string, pgVersion: number): Promise<boolean> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-locktable-'));
  try {
    writeFileSync(path.join(dir, 'V1__schema.sql'), SETUP);
    writeFileSync(path.join(dir, 'V2__change.sql'), `SET TimeZone = 'UTC';\n${sql};\n`);
    const result = await check({
      root: dir,
      paths: ['.'],
      config: { preset: 'recommended', rules: { [ruleId]: 'error' }, migrations: [{ path: '.', framework: 'plain' }], pgVersion },
      enableRules: [ruleId],
    });
    return result.findings.some((f) => f.ruleId === ruleId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(engines)('lock table against $name', ({ open }) => {
  let db: ReplayDatabase;

  beforeAll(async () => {
    await loadParser();
    db = await open();
    await db.exec(SETUP);
  }, 180_000);

  afterAll(async () => {
    await db?.close();
  });

  it('runs a PostgreSQL the lock table has versions for', () => {
    expect(db.major).toBeGreaterThanOrEqual(11);
    expect(db.major).toBeLessThanOrEqual(19);
  });

  for (const c of CASES) {
    it(c.sql, async (ctx) => {
      if (c.since && db.major < c.since) ctx.skip();
      const stmt = parseSql(c.sql).statements[0];
      expect(stmt, 'parses').toBeDefined();
      const predicted = strongestMap(locksOf(stmt, db.major));
      const before = await relations(db);

      if (c.outsideTransaction) {
        // PostgreSQL refuses it in a transaction block: its locks are released before anyone can read them.
        await db.exec('BEGIN');
        const refused = await db.exec(c.sql).then(
          () => undefined,
          (e: unknown) => errorInfo(e),
        );
        await db.exec('ROLLBACK');
        expect(refused?.code, 'cannot run inside a transaction block').toBe('25001');
        await db.exec(c.sql);
        expect(rewrites(before, await relations(db)).map((r) => bare(r.relation))).toEqual(c.rewrites ?? []);
        await db.reset();
        await db.exec(SETUP);
        return;
      }

      await db.exec('BEGIN');
      try {
        await db.exec(c.sql);
        const after = await relations(db);
        const locks = newLocks([], await heldLocks(db), before, after).filter((l) => !l.created);
        const gaps = c.gaps ?? {};
        const tableMode = strongestMap(locks.filter((l) => !l.table));
        const relevant = locks.filter((l) => {
          const key = bare(l.relation);
          if (key in predicted || key in gaps) return true;
          if (l.mode === 'ACCESS SHARE') return false;
          // An index lock no stronger than its table's blocks nobody the table lock does not already block.
          if (l.table && tableMode[bare(l.table)] && rank(l.mode) <= rank(tableMode[bare(l.table)])) return false;
          return true;
        });
        const observed = strongestMap(relevant);
        expect(observed, c.because ?? 'observed locks = locksOf() prediction').toEqual(strongestMap([...Object.entries(predicted), ...Object.entries(gaps)].map(([relation, mode]) => ({ relation, mode }))));
        // Gaps are real gaps: locksOf() does not already name those relations.
        for (const key of Object.keys(gaps)) expect(predicted[key], `${key} is predicted: not a gap`).toBeUndefined();
        expect(rewrites(before, after).map((r) => bare(r.relation)), 'relations with new storage').toEqual([...(c.rewrites ?? [])].sort());
      } finally {
        await db.exec('ROLLBACK');
      }

      if (c.rule) {
        const rewroteTable = (c.rewrites ?? []).includes('orders');
        const rebuiltIndex = (c.rewrites ?? []).length > 0;
        const expected = c.rule === 'no-table-rewrite-default' ? rewroteTable : rewroteTable || rebuiltIndex;
        expect(await ruleFires(c.rule, c.sql, db.major), `${c.rule} fires exactly when PostgreSQL rewrote`).toBe(expected);
      }
    });
  }
});
