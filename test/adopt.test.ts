/**
 * Adopting Plumbline on an existing codebase, against REAL git repositories created here in temporary
 * folders (git init, a local user, commits, branches):
 *   - `check --changed-since <ref>` reports only the files the branch changed (merge-base diff, plus
 *     uncommitted and untracked files), while every migration is still replayed so the earlier ones
 *     define the tables the changed ones alter;
 *   - `plumbline baseline` + `check --baseline` report only findings introduced after the baseline,
 *     with fingerprints that survive lines inserted above a flagged statement;
 *   - errors (not a repository, unknown ref, missing baseline) exit with code 2 and a message.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { main } from '../src/cli/main.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

let gitAvailable = true;
try {
  execFileSync('git', ['--version'], { stdio: 'ignore' });
} catch {
  gitAvailable = false;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-adopt-'));
  temps.push(dir);
  return dir;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: os.devNull, GIT_CONFIG_NOSYSTEM: '1' } });
}

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

function commit(dir: string, message: string, files: Record<string, string>): void {
  write(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

/** Only the rules these stories are about, so the counts stay readable. */
const CONFIG = JSON.stringify({
  rules: Object.fromEntries(
    allRules.map((r) => [r.id, ['require-concurrent-index', 'no-rewriting-type-change', 'syntax-error'].includes(r.id) ? r.meta.severity : 'off']),
  ),
});

/** A repository on branch `main` with a local identity and the two first migrations committed. */
function repo(): string {
  const dir = tempDir();
  git(dir, 'init', '-q');
  git(dir, 'checkout', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Plumbline Test');
  git(dir, 'config', 'user.email', 'test@plumbline.invalid');
  git(dir, 'config', 'commit.gpgsign', 'false');
  commit(dir, 'Orders table and its status index', {
    'plumbline.config.json': CONFIG,
    'db/migrations/001_create_orders.sql': [
      '-- Orders placed through the storefront.',
      'CREATE TABLE orders (',
      '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      '  customer_id bigint NOT NULL,',
      "  status text NOT NULL DEFAULT 'pending',",
      '  amount_cents integer NOT NULL',
      ');',
      '',
    ].join('\n'),
    // An old finding nobody will rewrite: the migration ran in production long ago.
    'db/migrations/002_index_orders_status.sql': ['-- The support dashboard filters by status.', 'CREATE INDEX orders_status_idx ON orders (status);', ''].join('\n'),
  });
  return dir;
}

async function cli(cwd: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), readStdin: async () => '', isTTY: false, env: {}, cwd });
  return { code, stdout, stderr };
}

async function json(cwd: string, ...argv: string[]) {
  const out = await cli(cwd, 'check', '--format', 'json', ...argv);
  if (out.stderr) throw new Error(out.stderr);
  return { code: out.code, doc: JSON.parse(out.stdout) };
}

const where = (doc: any) => doc.findings.map((f: any) => `${f.path}:${f.start.line} ${f.ruleId}`);

describe.skipIf(!gitAvailable)('check --changed-since', () => {
  let dir: string;

  beforeAll(() => {
    dir = repo();
    git(dir, 'checkout', '-q', '-b', 'widen-amount');
    // Only a finding when the catalog knows `amount_cents` is an integer: that comes from 001.
    commit(dir, 'Widen order amounts', {
      'db/migrations/003_widen_order_amount.sql': ['-- Amounts outgrew int4.', 'ALTER TABLE orders ALTER COLUMN amount_cents TYPE bigint;', ''].join('\n'),
    });
  });

  it('reports only the migration the branch adds, with the catalog replayed from every migration', async () => {
    const full = await json(dir, 'db/migrations');
    expect(where(full.doc)).toEqual(['db/migrations/002_index_orders_status.sql:2 require-concurrent-index', 'db/migrations/003_widen_order_amount.sql:2 no-rewriting-type-change']);

    const { code, doc } = await json(dir, 'db/migrations', '--changed-since', 'main');
    expect(code).toBe(1);
    expect(where(doc)).toEqual(['db/migrations/003_widen_order_amount.sql:2 no-rewriting-type-change']);
    expect(doc.findings[0].message).toContain('from integer to bigint');
    // Same identity as in the full run.
    expect(doc.findings[0].fingerprint).toBe(full.doc.findings[1].fingerprint);
    expect(doc.summary).toMatchObject({ files: 3, findings: 1, changedSince: { ref: 'main', files: 1, hidden: 1 } });
    expect(doc.notifications).toEqual([expect.objectContaining({ id: 'changed-since', level: 'note' })]);
  });

  it('compares with the merge base: commits on the base branch after the fork do not count', async () => {
    git(dir, 'checkout', '-q', 'main');
    commit(dir, 'Reword the dashboard comment on main', {
      'db/migrations/002_index_orders_status.sql': ['-- Support dashboard: filter by status.', 'CREATE INDEX orders_status_idx ON orders (status);', ''].join('\n'),
    });
    git(dir, 'checkout', '-q', 'widen-amount');
    const { doc } = await json(dir, 'db/migrations', '--changed-since', 'main');
    expect(where(doc)).toEqual(['db/migrations/003_widen_order_amount.sql:2 no-rewriting-type-change']);
  });

  it('includes uncommitted and untracked files', async () => {
    write(dir, { 'db/migrations/004_index_orders_customer.sql': 'CREATE INDEX orders_customer_id_idx ON orders (customer_id);\n' });
    let { doc } = await json(dir, 'db/migrations', '--changed-since', 'main');
    expect(where(doc)).toEqual([
      'db/migrations/003_widen_order_amount.sql:2 no-rewriting-type-change',
      'db/migrations/004_index_orders_customer.sql:1 require-concurrent-index',
    ]);
    git(dir, 'add', 'db/migrations/004_index_orders_customer.sql');
    write(dir, { 'db/migrations/002_index_orders_status.sql': '-- Edited locally, not committed.\nCREATE INDEX orders_status_idx ON orders (status);\n' });
    ({ doc } = await json(dir, 'db/migrations', '--changed-since', 'main'));
    expect(where(doc)).toEqual([
      'db/migrations/002_index_orders_status.sql:2 require-concurrent-index',
      'db/migrations/003_widen_order_amount.sql:2 no-rewriting-type-change',
      'db/migrations/004_index_orders_customer.sql:1 require-concurrent-index',
    ]);
    git(dir, 'reset', '-q', '--hard');
    git(dir, 'clean', '-q', '-fd');
  });

  it('works from a subfolder used as the analysis root', async () => {
    const { doc } = await json(path.join(dir, 'db'), 'migrations', '--config', '../plumbline.config.json', '--changed-since', 'main');
    expect(where(doc)).toEqual(['migrations/003_widen_order_amount.sql:2 no-rewriting-type-change']);
  });

  it('exits 2 with a clear message for an unknown ref or outside a repository', async () => {
    const unknown = await cli(dir, 'check', 'db/migrations', '--changed-since', 'origin/no-such-branch');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^plumbline: --changed-since: unknown git revision `origin\/no-such-branch`\. In CI, fetch it first/);

    const plain = tempDir();
    write(plain, { 'plumbline.config.json': CONFIG, '001_create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n' });
    const outside = await cli(plain, 'check', '.', '--changed-since', 'main');
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^plumbline: --changed-since: the analysis root is not inside a git repository/);

    const option = await cli(dir, 'check', 'db/migrations', '--changed-since', '--output=x');
    expect(option.code).toBe(2);
  });
});

describe.skipIf(!gitAvailable)('baseline', () => {
  let dir: string;

  beforeAll(() => {
    dir = repo();
  });

  it('writes a sorted, versioned, one-finding-per-line baseline', async () => {
    const out = await cli(dir, 'baseline', 'db/migrations');
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toMatch(/^Wrote 1 finding to plumbline-baseline\.json \(2 files checked\)/);
    const text = readFileSync(path.join(dir, 'plumbline-baseline.json'), 'utf8');
    const doc = JSON.parse(text);
    expect(doc).toEqual({
      version: 1,
      findings: [
        {
          ruleId: 'require-concurrent-index',
          path: 'db/migrations/002_index_orders_status.sql',
          fingerprint: expect.stringMatching(/^[0-9a-f]{32}:1$/),
          // The finding's message, for the reader (its wording belongs to the rule).
          message: expect.stringContaining('orders_status_idx'),
        },
      ],
    });
    expect(text.split('\n')[3]).toMatch(/^ {4}\{"ruleId": "require-concurrent-index", "path": "db\/migrations\/002_index_orders_status\.sql", "fingerprint": /);
    // Byte-identical when written again.
    await cli(dir, 'baseline', 'db/migrations');
    expect(readFileSync(path.join(dir, 'plumbline-baseline.json'), 'utf8')).toBe(text);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Adopt Plumbline with a baseline');
  });

  it('with the baseline, the existing finding is not reported and the run passes', async () => {
    const { code, doc } = await json(dir, 'db/migrations', '--baseline', 'plumbline-baseline.json');
    expect(code).toBe(0);
    expect(doc.findings).toEqual([]);
    expect(doc.summary).toMatchObject({ findings: 0, baseline: { file: 'plumbline-baseline.json', entries: 1, suppressed: 1, fixed: 0 } });
    const text = await cli(dir, 'check', 'db/migrations', '--baseline', 'plumbline-baseline.json');
    expect(text.stdout).toContain('1 finding already in the baseline plumbline-baseline.json is not shown.');
  });

  it('fingerprints stay stable when comment lines are inserted above the flagged statement', async () => {
    const before = (await json(dir, 'db/migrations')).doc.findings[0];
    write(dir, {
      'db/migrations/002_index_orders_status.sql': [
        '-- The support dashboard filters by status.',
        '-- Reviewed in the Plumbline adoption: this ran years ago, leave it be.',
        '',
        'CREATE INDEX orders_status_idx ON orders (status);',
        '',
      ].join('\n'),
    });
    const after = (await json(dir, 'db/migrations')).doc.findings[0];
    expect(after.start.line).toBe(before.start.line + 2);
    expect(after.fingerprint).toBe(before.fingerprint);
    const { code, doc } = await json(dir, 'db/migrations', '--baseline', 'plumbline-baseline.json');
    expect(code).toBe(0);
    expect(doc.findings).toEqual([]);
  });

  it('reports only a newly introduced finding, marked new in SARIF', async () => {
    write(dir, { 'db/migrations/003_index_orders_customer.sql': '-- Lookups by customer.\nCREATE INDEX orders_customer_id_idx ON orders (customer_id);\n' });
    const { code, doc } = await json(dir, 'db/migrations', '--baseline', 'plumbline-baseline.json');
    expect(code).toBe(1);
    expect(where(doc)).toEqual(['db/migrations/003_index_orders_customer.sql:2 require-concurrent-index']);
    expect(doc.summary.baseline).toEqual({ file: 'plumbline-baseline.json', entries: 1, suppressed: 1, fixed: 0 });

    const sarif = await cli(dir, 'check', 'db/migrations', '--baseline', 'plumbline-baseline.json', '--format', 'sarif');
    const results = JSON.parse(sarif.stdout).runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ruleId: 'require-concurrent-index', baselineState: 'new' });
    // Without a baseline there is no baselineState at all.
    const plain = JSON.parse((await cli(dir, 'check', 'db/migrations', '--format', 'sarif')).stdout).runs[0].results;
    expect(plain.every((r: any) => !('baselineState' in r))).toBe(true);

    const md = await cli(dir, 'check', 'db/migrations', '--baseline', 'plumbline-baseline.json', '--format', 'markdown');
    expect(md.stdout).toContain('1 finding already in the baseline `plumbline-baseline.json` is not shown.');
  });

  it('notes baseline entries whose finding is gone', async () => {
    write(dir, { 'db/migrations/002_index_orders_status.sql': 'CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n' });
    const { doc } = await json(dir, 'db/migrations', '--baseline', 'plumbline-baseline.json');
    expect(doc.summary.baseline).toEqual({ file: 'plumbline-baseline.json', entries: 1, suppressed: 0, fixed: 1 });
    expect(doc.notifications).toEqual([
      {
        id: 'baseline-fixed',
        level: 'note',
        path: 'db/migrations/002_index_orders_status.sql',
        message:
          '1 baseline entry for `db/migrations/002_index_orders_status.sql` (`require-concurrent-index`) is fixed since the baseline: run `plumbline baseline` to refresh plumbline-baseline.json.',
      },
    ]);
    // Checking other paths says nothing about entries for files it did not analyse.
    write(dir, { 'other/001_create_payments.sql': 'CREATE TABLE payments (id bigint PRIMARY KEY);\n' });
    const other = await json(dir, 'other', '--baseline', 'plumbline-baseline.json');
    expect(other.doc.notifications).toEqual([]);
  });

  it('combines with --changed-since', async () => {
    const { code, doc } = await json(dir, 'db/migrations', '--baseline', 'plumbline-baseline.json', '--changed-since', 'HEAD');
    expect(code).toBe(1);
    expect(where(doc)).toEqual(['db/migrations/003_index_orders_customer.sql:2 require-concurrent-index']);
    expect(doc.summary).toMatchObject({ changedSince: { ref: 'HEAD', files: 2, hidden: 0 }, baseline: { suppressed: 0, fixed: 1 } });
  });

  it('exits 2 when the baseline file is missing or not a baseline', async () => {
    const missing = await cli(dir, 'check', 'db/migrations', '--baseline', 'nope.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('plumbline: Baseline file nope.json does not exist. Create it with `plumbline baseline --output nope.json`.\n');
    write(dir, { 'wrong.json': JSON.stringify({ version: 2, findings: [] }) });
    const wrong = await cli(dir, 'check', 'db/migrations', '--baseline', 'wrong.json');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('is not a Plumbline baseline: `version` is 2');
    const stdin = await cli(dir, 'check', '--stdin', '--baseline', 'plumbline-baseline.json');
    expect(stdin.code).toBe(2);
  });
});
