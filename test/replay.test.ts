/**
 * Replay (`check --replay`): what it observes per statement, how it runs each script's transaction
 * mode, where it stops, and the replay-error fixtures. The generic fixture harness (rules.test.ts) runs
 * without replay, so replay-error's fixture folders are exercised here, with the same `-- expect:` markers.
 * Runs on PGlite, and on a real server too when PLUMBLINE_TEST_DATABASE_URL is set.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { SourceFile } from '../src/core/source.js';
import type { MigrationSet } from '../src/migrations/model.js';
import { openPglite, openPostgres, type ReplayDatabase } from '../src/replay/database.js';
import { blockingLocks, strongestByRelation } from '../src/replay/observe.js';
import { replaySet, type SetReplay, type StatementObservation } from '../src/replay/replay.js';
import { loadParser } from '../src/sql/parse.js';
import { actualOf, expectationsIn, FIXTURES, listFiles } from './helpers/fixtures.js';

const url = process.env.PLUMBLINE_TEST_DATABASE_URL;
const engines: Array<{ name: string; open: () => Promise<ReplayDatabase> }> = [{ name: 'PGlite', open: () => openPglite() }];
if (url) engines.push({ name: 'PostgreSQL server', open: () => openPostgres(url) });

const sourceFile = (relPath: string, text: string) => new SourceFile(`/virtual/${relPath}`, relPath, text);

/** A migration set built in memory: [file name, SQL, wrapped in a transaction by the framework?]. */
function setOf(files: Array<[string, string, boolean?]>): MigrationSet {
  return {
    root: '.',
    framework: 'plain',
    migrations: files.map(([name, text, wrapped]) => ({
      id: name,
      version: name,
      name,
      framework: 'plain',
      kind: 'versioned',
      downSupported: false,
      up: {
        file: sourceFile(name, text),
        sections: [{ start: 0, end: text.length }],
        wrappedInTransaction: wrapped ?? false,
        transactionReason: wrapped ? 'test: wrapped' : 'test: not wrapped',
      },
    })),
  };
}

const observation = (r: SetReplay, text: string): StatementObservation => {
  const found = r.scripts.flatMap((s) => s.statements).find((o) => o.stmt.text.startsWith(text));
  if (!found) throw new Error(`no observation for ${text}`);
  return found;
};
/** `relation MODE` for the strongest lock on each relation that could make someone wait. */
const locksOf = (o: StatementObservation) => [...strongestByRelation(blockingLocks(o.locks ?? []))].map(([rel, mode]) => `${rel} ${mode}`);

describe.each(engines)('replay on $name', ({ open }) => {
  let db: ReplayDatabase;
  /** check() reuses this suite's database (reset before each set) instead of starting one per call. */
  const replay = { get database() { return db; } };
  beforeAll(async () => {
    await loadParser();
    db = await open();
  }, 180_000);
  afterAll(async () => {
    await db?.close();
  });

  it('records locks, rewrites and durations statement by statement', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      setOf([
        ['V1__orders.sql', 'CREATE TABLE orders (id bigint PRIMARY KEY, total int);\nCREATE INDEX orders_total_idx ON orders (total);'],
        [
          'V2__change.sql',
          'ALTER TABLE orders ALTER COLUMN total TYPE bigint;\nCREATE INDEX CONCURRENTLY orders_id_total_idx ON orders (id, total);\nALTER TABLE orders ADD COLUMN note text;',
        ],
      ]),
    );
    expect(r.stop).toBeUndefined();
    expect(r.scripts.map((s) => s.statements.length)).toEqual([2, 3]);
    const create = observation(r, 'CREATE TABLE');
    expect(create.ran).toBe('own-transaction');
    expect(locksOf(create)).toEqual([]); // a new table: nothing anybody waits for
    const type = observation(r, 'ALTER TABLE orders ALTER COLUMN');
    expect(locksOf(type)).toEqual(['public.orders ACCESS EXCLUSIVE']);
    expect(type.rewrites.map((w) => w.relation)).toEqual(['public.orders', 'public.orders_pkey', 'public.orders_total_idx']);
    const concurrently = observation(r, 'CREATE INDEX CONCURRENTLY');
    expect(concurrently.ran).toBe('outside-transaction');
    expect(concurrently.locks).toBeUndefined();
    expect(observation(r, 'ALTER TABLE orders ADD COLUMN').rewrites).toEqual([]);
    for (const o of r.scripts.flatMap((s) => s.statements)) expect(o.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs a wrapped script in one transaction: later statements see only the locks they add', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      setOf([
        ['V1__orders.sql', 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);'],
        ['V2__status.sql', "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;", true],
      ]),
    );
    expect(r.stop).toBeUndefined();
    const first = observation(r, "ALTER TABLE orders ALTER COLUMN status SET DEFAULT");
    const second = observation(r, 'ALTER TABLE orders ALTER COLUMN status SET NOT NULL');
    expect([first.ran, second.ran]).toEqual(['transaction', 'transaction']);
    expect(locksOf(first)).toEqual(['public.orders ACCESS EXCLUSIVE']);
    expect(locksOf(second)).toEqual([]); // already held
    expect((second.held ?? []).map((l) => `${l.relation} ${l.mode}`)).toContain('public.orders ACCESS EXCLUSIVE');
  });

  it('stops at the first failure; a wrapped script is rolled back, an unwrapped one keeps what ran', async () => {
    await db.reset();
    const wrapped = await replaySet(
      db,
      setOf([
        ['V1__a.sql', 'CREATE TABLE a (id int);\nCREATE TABLE a (id int);', true],
        ['V2__b.sql', 'CREATE TABLE b (id int);'],
      ]),
    );
    expect(wrapped.stop?.reason).toBe('failed');
    expect(wrapped.stop?.error?.code).toBe('42P07');
    expect(wrapped.stop?.migration.id).toBe('V1__a.sql');
    expect(wrapped.scripts.map((s) => s.migration.id)).toEqual(['V1__a.sql']);
    expect(await db.query("SELECT relname FROM pg_class WHERE relname IN ('a', 'b')")).toEqual([]);

    await db.reset();
    const unwrapped = await replaySet(db, setOf([['V1__a.sql', 'CREATE TABLE a (id int);\nCREATE TABLE a (id int);']]));
    expect(unwrapped.stop?.reason).toBe('failed');
    expect(await db.query("SELECT relname FROM pg_class WHERE relname = 'a'")).toEqual([{ relname: 'a' }]);
  });

  it('runs explicit BEGIN/COMMIT as written', async () => {
    await db.reset();
    const r = await replaySet(db, setOf([['V1__tx.sql', 'BEGIN;\nCREATE TABLE a (id int);\nLOCK TABLE a IN SHARE MODE;\nCOMMIT;\nCREATE TABLE b (id int);']]));
    expect(r.stop).toBeUndefined();
    expect(r.scripts[0].statements.map((o) => o.ran)).toEqual(['control', 'transaction', 'transaction', 'control', 'own-transaction']);
    // `a` was created in the same transaction, but before the LOCK statement: its lock is on an existing relation.
    expect(locksOf(observation(r, 'LOCK TABLE'))).toEqual(['public.a SHARE']);
  });

  it('runs settings as written, and LOCK TABLE outside a transaction fails as it does for real', async () => {
    await db.reset();
    const tx = await replaySet(db, setOf([['V1__iso.sql', 'CREATE TABLE a (id int);\nBEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nLOCK TABLE a;\nCOMMIT;']]));
    expect(tx.stop).toBeUndefined();
    expect(tx.scripts[0].statements.map((o) => o.ran)).toEqual(['own-transaction', 'control', 'control', 'transaction', 'control']);
    await db.reset();
    const bare = await replaySet(db, setOf([['V1__lock.sql', 'CREATE TABLE a (id int);\nLOCK TABLE a IN SHARE MODE;']]));
    expect(bare.stop?.error?.code).toBe('25P01');
  });

  it('stops without a finding on what the replay database cannot do, and on a file that does not parse', async () => {
    await db.reset();
    const ext = await replaySet(db, setOf([['V1__ext.sql', 'CREATE EXTENSION plumbline_no_such_extension;\nCREATE TABLE a (id int);']]));
    expect(ext.stop?.reason).toBe('environment');
    await db.reset();
    const syntax = await replaySet(db, setOf([['V1__ok.sql', 'CREATE TABLE a (id int);'], ['V2__broken.sql', 'CREATE TABLE (;']]));
    expect(syntax.stop?.reason).toBe('syntax');
    expect(syntax.scripts.map((s) => s.migration.id)).toEqual(['V1__ok.sql']);
  });

  it('creates roles the migrations use without creating them, and drops them on reset', async () => {
    await db.reset();
    const r = await replaySet(db, setOf([['V1__grants.sql', 'CREATE TABLE a (id int);\nGRANT SELECT ON a TO plumbline_reporting;\nALTER TABLE a OWNER TO plumbline_owner;']]));
    expect(r.stop).toBeUndefined();
    expect(r.assumedRoles).toEqual(['plumbline_owner', 'plumbline_reporting']);
    await db.reset();
    expect(await db.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'plumbline\\_%'")).toEqual([]);
  });

  it('reset gives the next set an empty database', async () => {
    await db.reset();
    await replaySet(db, setOf([['V1__a.sql', 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id int);\nCREATE TABLE public.a (id int);']]));
    await db.reset();
    const again = await replaySet(db, setOf([['V1__a.sql', 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id int);\nCREATE TABLE public.a (id int);']]));
    expect(again.stop).toBeUndefined();
  });

  it('docs/rules/replay-error.md examples: bad fails on replay, good applies', async () => {
    const docs = readFileSync(path.resolve(import.meta.dirname, '../docs/rules/replay-error.md'), 'utf8');
    const examples = [...docs.matchAll(/```sql (bad|good)\n([\s\S]*?)```/g)];
    expect(examples.some((e) => e[1] === 'bad')).toBe(true);
    for (const [, kind, sql] of examples) {
      const result = await check({
        root: path.dirname(FIXTURES),
        stdin: { text: sql, filename: 'replay-error.example.sql' },
        config: { preset: 'recommended' },
        enableRules: ['replay-error'],
        replay,
      });
      const own = result.findings.filter((f) => f.ruleId === 'replay-error');
      if (kind === 'bad') expect(own.length, sql).toBe(1);
      else expect(own, sql).toEqual([]);
    }
  });

  it('replays the framework fixtures, each script in its framework\'s transaction mode', async () => {
    const root = path.join(FIXTURES, 'frameworks');
    // Where replay stops, and why: both are the framework's transaction mode, or a script that is not a migration.
    const expectedStops: Record<string, string> = {
      // dbmate `transaction:false` with two statements: one implicit transaction, so CONCURRENTLY fails.
      'dbmate/storefront/db/migrations': '25001',
      // Diesel `run_in_transaction = false`, two statements in one batch: the same.
      'diesel/ledger/migrations': '25001',
      // An ad-hoc script folder: the table it cleans up is created by another set.
      'mixed/scripts/adhoc': '42P01',
    };
    const stops: Record<string, string> = {};
    let observed = 0;
    for (const framework of readdirSync(root)) {
      const result = await check({ root: path.join(root, framework), replay });
      expect(result.replay?.sets.length, framework).toBe(result.sets.length);
      for (const r of result.replay!.sets) {
        if (r.stop) stops[`${framework}/${r.set.root}`] = r.stop.error?.code ?? r.stop.reason;
        observed += r.scripts.flatMap((sc) => sc.statements).filter((o) => blockingLocks(o.locks ?? []).length > 0).length;
      }
    }
    expect(stops).toEqual(expectedStops);
    expect(observed).toBeGreaterThan(10);
  });

  describe('replay-error fixtures (check --replay)', () => {
    const dir = path.join(FIXTURES, 'rules', 'replay-error');
    const cases = readdirSync(dir).filter((d) => statSync(path.join(dir, d)).isDirectory());
    it('has invalid and valid cases', () => {
      expect(cases.some((c) => c.startsWith('invalid'))).toBe(true);
      expect(cases.some((c) => c.startsWith('valid'))).toBe(true);
    });
    for (const c of cases) {
      it(`fixture ${c}`, async () => {
        const caseDir = path.join(dir, c);
        const expected = expectationsIn(caseDir);
        if (c.startsWith('valid')) expect(expected).toEqual([]);
        else expect(expected.length).toBeGreaterThan(0);
        const result = await check({
          root: caseDir,
          paths: ['.'],
          config: { preset: 'recommended', migrations: [{ path: '.', framework: 'plain' }] },
          enableRules: ['replay-error', 'syntax-error'],
          replay,
        });
        const own = { ...result, findings: result.findings.filter((f) => f.ruleId === 'replay-error' || f.ruleId === 'syntax-error') };
        expect(actualOf(own)).toEqual(expected);
        for (const f of own.findings) {
          expect(f.message).toMatch(/fails here: .+\(SQLSTATE [0-9A-Z]{5}\)\.$/);
          expect(f.why).toMatch(/PostgreSQL \d+/);
          expect(f.remedy).toMatch(/\S/);
        }
        expect(result.notifications.find((n) => n.id === 'replay-summary')?.message).toMatch(/^Replay on PostgreSQL \d+\.\d+ \((PGlite [\d.]+|server)\): \d+ of \d+ migrations? applied \(\d+ statements? run\)/);
        expect(result.replay?.sets.length).toBe(1);
      });
    }
  });
});

describe('check --replay', () => {
  it('is silent about replay-error without --replay, and a suppression naming it is not "unused"', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-replay-'));
    try {
      writeFileSync(
        path.join(dir, 'V1__grants.sql'),
        '-- plumbline-ignore replay-error: the table comes from the billing service\nALTER TABLE billing_ledger ADD COLUMN memo text;\n',
      );
      const base = { root: dir, paths: ['.'], config: { preset: 'recommended' as const, migrations: [{ path: '.', framework: 'plain' as const }] } };
      const without = await check(base);
      expect(without.findings.map((f) => f.ruleId)).not.toContain('replay-error');
      expect(without.findings.map((f) => f.ruleId)).not.toContain('unused-suppression');
      expect(without.enabled.map((r) => r.rule.id)).not.toContain('replay-error');
      expect(without.replay).toBeUndefined();
      const replayed = await check({ ...base, replay: true });
      // The statement fails (no such table) but the suppression silences it, and is used.
      expect(replayed.replay?.sets[0].stop?.reason).toBe('failed');
      expect(replayed.findings.map((f) => f.ruleId)).not.toContain('replay-error');
      expect(replayed.findings.map((f) => f.ruleId)).not.toContain('unused-suppression');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replays the bundled example and annotates static findings with what it saw', async () => {
    const root = path.resolve(import.meta.dirname, '../examples/shop');
    const result = await check({ root, replay: true });
    expect(result.replay?.engine).toBe('pglite');
    // V4 builds an index without CONCURRENTLY; replay stops before V13 (it does not parse), so later findings carry nothing.
    const index = result.findings.find((f) => f.ruleId === 'require-concurrent-index' && f.file.relPath.endsWith('V4__index_orders_customer_id.sql'));
    expect(index?.properties).toMatchObject({ replayLocks: 'orders: SHARE' });
    expect(result.notifications.find((n) => n.id === 'replay-stopped')?.path).toMatch(/V13__/);
    expect(result.notifications.some((n) => n.id === 'replay-summary')).toBe(true);
  });

  it('loads PGlite and pg only on demand: nothing outside src/replay imports them, and check imports replay lazily', () => {
    const src = path.resolve(import.meta.dirname, '../src');
    for (const file of listFiles(src).filter((f) => f.endsWith('.ts') && !f.includes(`${path.sep}replay${path.sep}`))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from ['"](@electric-sql\/pglite|pg)['"]/);
      expect(text, file).not.toMatch(/^import (?!type )[^;]*from ['"][./]*replay\//m);
    }
    expect(existsSync(path.join(src, 'replay', 'run.ts'))).toBe(true);
  });
});
