/**
 * The reversibility proof (`check --replay`, rule down-reverses-up): up, down, compare the catalog,
 * up again. Fixture folders under fixtures/replay/down-reverses-up carry `-- expect:` markers for the
 * replay run; the static rule's own fixtures (fixtures/rules/down-reverses-up) must give the same
 * findings with replay as without (replay confirms them, once each). Runs on PGlite, and on a real
 * server too when PLUMBLINE_TEST_DATABASE_URL is set.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, type CheckResult } from '../src/check.js';
import { main } from '../src/cli/main.js';
import type { PlumblineConfig } from '../src/config/config.js';
import { SourceFile } from '../src/core/source.js';
import type { MigrationSet } from '../src/migrations/model.js';
import { openPglite, openPostgres, type ReplayDatabase } from '../src/replay/database.js';
import { replaySet } from '../src/replay/replay.js';
import { reversalFindings } from '../src/replay/reversal.js';
import { diffSchemas, snapshot } from '../src/replay/schema.js';
import { loadParser } from '../src/sql/parse.js';
import { actualOf, expectationsIn, FIXTURES } from './helpers/fixtures.js';

const url = process.env.PLUMBLINE_TEST_DATABASE_URL;
const engines: Array<{ name: string; open: () => Promise<ReplayDatabase> }> = [{ name: 'PGlite', open: () => openPglite() }];
if (url) engines.push({ name: 'PostgreSQL server', open: () => openPostgres(url) });

const RULE = 'down-reverses-up';
const caseFolders = (dir: string) => readdirSync(dir).filter((d) => statSync(path.join(dir, d)).isDirectory());
const frameworkOf = (c: string): NonNullable<PlumblineConfig['migrations']>[number]['framework'] => (c.includes('dbmate') ? 'dbmate' : 'golang-migrate');

/** A golang-migrate style set built in memory: [name, up, down]. */
function pairs(list: Array<[string, string, string?]>): MigrationSet {
  const script = (name: string, text: string) => ({
    file: new SourceFile(`/virtual/${name}`, name, text),
    sections: [{ start: 0, end: text.length }],
    wrappedInTransaction: false,
    transactionReason: 'test',
  });
  return {
    root: '.',
    framework: 'golang-migrate',
    migrations: list.map(([name, up, down]) => ({
      id: name,
      version: name,
      name,
      framework: 'golang-migrate',
      kind: 'versioned',
      downSupported: true,
      up: script(`${name}.up.sql`, up),
      ...(down === undefined ? {} : { down: script(`${name}.down.sql`, down) }),
    })),
  };
}

describe.each(engines)('reversibility proof on $name', ({ open }) => {
  let db: ReplayDatabase;
  const replay = {
    get database() {
      return db;
    },
  };
  beforeAll(async () => {
    await loadParser();
    db = await open();
  }, 180_000);
  afterAll(async () => {
    await db?.close();
  });

  const run = (dir: string, framework: ReturnType<typeof frameworkOf>): Promise<CheckResult> =>
    check({ root: dir, paths: ['.'], config: { preset: 'recommended', migrations: [{ path: '.', framework }] }, enableRules: [RULE, 'syntax-error'], replay });
  const own = (r: CheckResult) => ({ ...r, findings: r.findings.filter((f) => f.ruleId === RULE || f.ruleId === 'syntax-error') });

  describe('replay fixtures (fixtures/replay/down-reverses-up)', () => {
    const dir = path.join(FIXTURES, 'replay', RULE);
    const cases = caseFolders(dir);
    it('has invalid and valid cases for golang-migrate and dbmate', () => {
      for (const c of ['invalid-golang-migrate', 'valid-golang-migrate', 'invalid-dbmate', 'valid-dbmate']) expect(cases).toContain(c);
    });
    for (const c of cases) {
      it(`fixture ${c}`, async () => {
        const caseDir = path.join(dir, c);
        const expected = expectationsIn(caseDir);
        if (c.startsWith('valid')) expect(expected).toEqual([]);
        else expect(expected.length).toBeGreaterThan(0);
        const result = await run(caseDir, frameworkOf(c));
        expect(actualOf(own(result))).toEqual(expected);
        // Replay went to the end of the set: the proof brings the database back after each down.
        const set = result.replay!.sets[0];
        expect(set.stop).toBeUndefined();
        expect(set.scripts.length).toBe(result.sets[0].migrations.length);
        expect(set.reversals.length).toBeGreaterThan(0);
        for (const f of own(result).findings) {
          expect(f.why).toMatch(/\S/);
          expect(f.remedy).toMatch(/\S/);
        }
      });
    }
  });

  it('names the exact catalog difference (golang-migrate pair forgetting an index and a column)', async () => {
    const result = await run(path.join(FIXTURES, 'replay', RULE, 'invalid-golang-migrate'), 'golang-migrate');
    const messages = own(result).findings.map((f) => `${f.file.relPath}:${f.file.position(f.range.start).line} ${f.message}`);
    expect(messages).toEqual([
      '000002_users_activity.up.sql:2 The down leaves column `users.last_seen_at` behind: it does not exist before the up, and still does after up then down.',
      '000002_users_activity.up.sql:3 The down leaves index `users_email_lower_idx` on `users` behind: it does not exist before the up, and still does after up then down.',
      "000003_users_default_locale.up.sql:1 Column `users.locale` has default `'en'::text` after the down, none before the up.",
      '000004_users_display_name_limit.up.sql:1 Column `users.display_name` has type `character varying(80)` after the down, `text` before the up.',
      '000005_index_users_created_at.down.sql:1 The down migration fails when it runs right after its up: index "users_created_idx" does not exist (SQLSTATE 42704).',
      // The down failed, so nothing was proven: the static finding stays.
      '000005_index_users_created_at.up.sql:1 The down migration does not drop index `users_created_at_idx`, which this up creates.',
    ]);
    const index = own(result).findings.find((f) => f.message.includes('users_email_lower_idx'))!;
    expect(index.properties).toMatchObject({ proof: 'replay', change: 'left behind', kind: 'index' });
    expect(index.remedy).toContain('DROP INDEX users_email_lower_idx;');
    const locale = own(result).findings.find((f) => f.message.includes('users.locale'))!;
    expect(locale.properties).toMatchObject({ attribute: 'default', before: 'none', after: "'en'::text" });
    expect(locale.remedy).toContain('ALTER TABLE users ALTER COLUMN locale DROP DEFAULT;');
    const outcomes = result.replay!.sets[0].reversals.map((p) => `${p.migration.id} ${p.outcome}`);
    expect(outcomes).toEqual([
      '000001_create_users reverses',
      '000002_users_activity differs',
      '000003_users_default_locale differs',
      '000004_users_display_name_limit differs',
      '000005_index_users_created_at down-fails',
      '000006_users_signup_source reverses',
    ]);
  });

  describe('the static fixtures give the same findings with replay (each leftover once, now proven)', () => {
    const dir = path.join(FIXTURES, 'rules', RULE);
    for (const c of caseFolders(dir)) {
      it(`fixture ${c}`, async () => {
        const caseDir = path.join(dir, c);
        const result = await run(caseDir, frameworkOf(c));
        expect(actualOf(own(result))).toEqual(expectationsIn(caseDir));
        for (const f of own(result).findings) {
          // Leftovers come from replay; data a down cannot restore stays the static rule's finding.
          if (String(f.properties?.kind).startsWith('dropped')) expect(f.properties?.proof).toBeUndefined();
          else expect(f.properties?.proof, f.message).toBe('replay');
        }
      });
    }
  });

  it('a down that drops more than its up created, and a function body it does not restore', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      pairs([
        ['001_customers', 'CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);', 'DROP TABLE customers;'],
        [
          '002_customer_notes',
          'CREATE TABLE customer_notes (customer_id bigint REFERENCES customers (id), body text);\nCREATE FUNCTION note_count(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM customer_notes WHERE customer_id = $1 $$;',
          'DROP TABLE customer_notes CASCADE;\nDROP TABLE customers CASCADE;',
        ],
        [
          '003_note_count_v2',
          'CREATE OR REPLACE FUNCTION note_count(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM customer_notes WHERE customer_id = $1 AND body <> \'\' $$;',
          'SELECT 1;',
        ],
      ]),
    );
    expect(r.stop).toBeUndefined();
    const [first, second, third] = r.reversals;
    expect(first.outcome).toBe('reverses');
    // The function is left behind; the customers table is removed (with its columns and index, folded into it).
    expect(second.differences.map((d) => `${d.change} ${d.object.kind} ${d.object.display}`)).toEqual([
      'left behind function note_count(bigint)',
      'removed table customers',
    ]);
    // The down ran in a transaction that was rolled back: the state after the up, exactly.
    expect(second.restoredBy).toBe('rollback');
    expect(third.differences.map((d) => `${d.change} ${d.object.display} ${d.attribute}`)).toEqual(['changed note_count(bigint) body']);
    // Where each finding points, and who it blames.
    const where = (p: (typeof r.reversals)[number]) =>
      reversalFindings(p, 'test').map((f) => `${f.script.file.relPath}:${f.script.file.position(f.input.stmt!.range.start).line} ${f.input.message}`);
    expect(where(second)).toEqual([
      '002_customer_notes.up.sql:2 The down leaves function `note_count(bigint)` behind: it does not exist before the up, and still does after up then down.',
      '002_customer_notes.down.sql:2 The down drops table `customers`, which existed before the up: after up then down it is gone.',
    ]);
    expect(where(third)).toEqual(['003_note_count_v2.up.sql:1 Function `note_count(bigint)` has a different body after the down than before the up.']);
  });

  it('an up that drops a table its down does not bring back is blamed on the up; one whose down recreates it is silent', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      pairs([
        ['001_sessions', 'CREATE TABLE legacy_sessions (id bigint PRIMARY KEY, token text);\nCREATE TABLE audit_log (id bigint, note text);', 'DROP TABLE audit_log;\nDROP TABLE legacy_sessions;'],
        ['002_drop_legacy_sessions', 'DROP TABLE legacy_sessions;', 'SELECT 1;'],
        // The data is gone either way; the static rule reports that drop (down recreates it empty), replay adds nothing.
        ['003_drop_audit_log', 'DROP TABLE audit_log;', 'CREATE TABLE audit_log (id bigint, note text);'],
      ]),
    );
    expect(r.reversals.map((p) => p.outcome)).toEqual(['reverses', 'differs', 'reverses']);
    const [finding] = reversalFindings(r.reversals[1], 'test');
    expect(finding.script.file.relPath).toBe('002_drop_legacy_sessions.up.sql');
    expect(finding.input.message).toBe(
      'The up drops table `legacy_sessions` and the down does not bring it back: it existed before the up, and is gone after up then down.',
    );
    expect(finding.input.remedy).toContain("RAISE EXCEPTION 'irreversible'");
  });

  it('takes the same snapshot twice of the same schema, and sees what each kind of change does', async () => {
    await db.reset();
    await db.exec(
      "CREATE SCHEMA billing; CREATE TYPE billing.state AS ENUM ('open', 'paid'); CREATE TABLE billing.invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state billing.state NOT NULL DEFAULT 'open', total numeric(12,2)); CREATE INDEX invoices_state_idx ON billing.invoices (state);",
    );
    const a = await snapshot(db);
    expect(diffSchemas(a, await snapshot(db))).toEqual([]);
    await db.exec(
      "ALTER TYPE billing.state ADD VALUE 'void'; ALTER TABLE billing.invoices ALTER COLUMN total SET NOT NULL; ALTER TABLE billing.invoices ADD CONSTRAINT invoices_total_positive CHECK (total > 0) NOT VALID; DROP INDEX billing.invoices_state_idx;",
    );
    const b = await snapshot(db);
    expect(diffSchemas(a, b).map((d) => `${d.change} ${d.object.kind} ${d.object.display}${d.attribute ? ` ${d.attribute}: ${d.before} → ${d.after}` : ''}`)).toEqual([
      'left behind constraint invoices_total_positive',
      'changed column billing.invoices.total nullability: nullable → NOT NULL',
      "changed enum billing.state values: ('open', 'paid') → ('open', 'paid', 'void')",
      'removed index billing.invoices_state_idx',
    ]);
    // Validating a NOT VALID constraint needs no undoing.
    await db.exec('ALTER TABLE billing.invoices VALIDATE CONSTRAINT invoices_total_positive');
    expect(diffSchemas(b, await snapshot(db))).toEqual([]);
  });

  it('a data migration is re-applied after its down, so later migrations see its rows', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      pairs([
        ['001_plans', 'CREATE TABLE plans (code text PRIMARY KEY, seats int);', 'DROP TABLE plans;'],
        ['002_seed_plans', "INSERT INTO plans VALUES ('team', 10), ('business', 50);", "DELETE FROM plans WHERE code IN ('team', 'business');"],
        ['003_plans_seats_not_null', 'ALTER TABLE plans ALTER COLUMN seats SET NOT NULL;\nINSERT INTO plans SELECT code || \'_annual\', seats FROM plans;', 'SELECT 1;'],
      ]),
    );
    expect(r.stop).toBeUndefined();
    expect(r.reversals.map((p) => p.outcome)).toEqual(['reverses', 'reverses', 'differs']);
    expect((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM plans'))[0].n).toBe('4');
  });

  it('a down that cannot run in one transaction runs as written; the database comes back by the up again, or from scratch', async () => {
    await db.reset();
    const r = await replaySet(
      db,
      pairs([
        ['001_orders', 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);', 'DROP TABLE orders;'],
        ['002_orders_status_idx', 'CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);', 'DROP INDEX CONCURRENTLY orders_status_idx;'],
        // Its own transaction control, and a down that forgets the column: the up again fails ("already exists").
        ['003_orders_note', 'BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;', 'BEGIN;\nSELECT 1;\nCOMMIT;'],
        ['004_orders_note_idx', 'CREATE INDEX orders_note_idx ON orders (note);', 'DROP INDEX orders_note_idx;'],
      ]),
    );
    expect(r.stop).toBeUndefined();
    expect(r.reversals.map((p) => `${p.outcome} ${p.restoredBy}`)).toEqual(['reverses rollback', 'reverses up', 'differs rebuild', 'reverses rollback']);
    expect(r.reversals[2].differences.map((d) => `${d.change} ${d.object.display}`)).toEqual(['left behind orders.note']);
  });

  it('can be turned off', async () => {
    await db.reset();
    const r = await replaySet(db, pairs([['001_a', 'CREATE TABLE a (id int);', 'SELECT 1;']]), { reversibility: false });
    expect(r.reversals).toEqual([]);
  });
});

/** The command line through `main`, with a fake io. */
async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => '',
    isTTY: false,
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

describe('check --database-url', () => {
  const fixture = path.join(FIXTURES, 'replay', RULE, 'invalid-golang-migrate');

  it('refuses a value that is not a PostgreSQL URL', async () => {
    const r = await cli(['check', '.', '--database-url', 'localhost:5432'], fixture);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--database-url must be a PostgreSQL URL');
  });

  it('reports a server it cannot reach as an error (exit 2), after the static checks', async () => {
    const r = await cli(['check', '.', '--database-url', 'postgres://plumbline@127.0.0.1:1/postgres', '--format', 'json', '--rule', RULE], fixture);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string }>; notifications: Array<{ id: string; level: string; message: string }> };
    expect(report.notifications.find((n) => n.id === 'replay-unavailable')).toMatchObject({ level: 'error' });
    expect(report.findings.some((f) => f.ruleId === RULE)).toBe(true);
  });

  it.skipIf(!url)(
    `replays on the server, proves the downs there, and drops its throwaway database${url ? '' : ' (skipped: PLUMBLINE_TEST_DATABASE_URL is not set)'}`,
    async () => {
      const r = await cli(['check', '.', '--database-url', url!, '--format', 'json', '--fail-on', 'none', '--rule', RULE], fixture);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as {
        findings: Array<{ ruleId: string; path: string; start: { line: number }; properties?: Record<string, unknown> }>;
        notifications: Array<{ id: string; message: string }>;
      };
      const proven = report.findings.filter((f) => f.ruleId === RULE && f.properties?.proof === 'replay');
      expect(proven.map((f) => `${f.path}:${f.start.line}`)).toEqual([
        '000002_users_activity.up.sql:2',
        '000002_users_activity.up.sql:3',
        '000003_users_default_locale.up.sql:1',
        '000004_users_display_name_limit.up.sql:1',
        '000005_index_users_created_at.down.sql:1',
      ]);
      for (const f of proven) expect(String(f.properties?.replayedOn)).toMatch(/^PostgreSQL \d+\.\d+.* \(server\)$/);
      expect(report.notifications.find((n) => n.id === 'replay-summary')?.message).toMatch(/\(server\): 6 of 6 migrations applied .*replayed 6 downs/);
      // Nothing left on the server.
      const admin = await openPostgresAdmin(url!);
      try {
        expect(await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'plumbline\\_replay\\_%'")).toEqual([]);
      } finally {
        await admin.close();
      }
    },
    60_000,
  );
});

/** A plain session on the server (not a throwaway database): for looking at what replay left behind. */
async function openPostgresAdmin(databaseUrl: string): Promise<{ query: (sql: string) => Promise<unknown[]>; close: () => Promise<void> }> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return { query: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
}
