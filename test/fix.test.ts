/** `check --fix`: safe fixes are written, unsafe ones only with --fix-unsafe, and the report shows what is left. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-fix-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(cwd: string, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: async () => '',
    isTTY: false,
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

describe('check --fix', () => {
  it('adds CONCURRENTLY to a plain CREATE INDEX outside a transaction and reports nothing left for that rule', async () => {
    const dir = project({
      'db/001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);\n',
      'db/002_index.sql': '-- lookups by customer\nCREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);\n',
    });
    const { code, stdout, stderr } = await run(dir, ['check', 'db', '--fix', '--rule', 'require-concurrent-index', '--format', 'json']);
    expect(stderr).toContain('applied 1 fix in 1 file');
    expect(readFileSync(path.join(dir, 'db/002_index.sql'), 'utf8')).toBe(
      '-- lookups by customer\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);\n',
    );
    const report = JSON.parse(stdout);
    expect(report.findings.filter((f: { ruleId: string }) => f.ruleId === 'require-concurrent-index')).toEqual([]);
    expect([0, 1]).toContain(code);
  });

  it('leaves files alone when the only fixes are unsafe, and applies them with --fix-unsafe', async () => {
    const dir = project({
      'db/001.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n',
      'db/002.sql': 'ALTER TABLE accounts ADD CONSTRAINT accounts_email_check CHECK (email <> \'\');\n',
    });
    const before = readFileSync(path.join(dir, 'db/002.sql'), 'utf8');
    const safeOnly = await run(dir, ['check', 'db', '--fix', '--format', 'json', '--fail-on', 'none']);
    expect(safeOnly.stderr).toContain('applied 0 fixes in 0 files');
    expect(readFileSync(path.join(dir, 'db/002.sql'), 'utf8')).toBe(before);
    const unsafe = await run(dir, ['check', 'db', '--fix', '--fix-unsafe', '--rule', 'require-not-valid', '--format', 'json', '--fail-on', 'none']);
    expect(unsafe.stderr).toMatch(/applied [1-9]\d* fix/);
    expect(readFileSync(path.join(dir, 'db/002.sql'), 'utf8')).toContain('NOT VALID');
  });

  it('refuses --fix with --stdin', async () => {
    const dir = project({});
    const { code, stderr } = await run(dir, ['check', '--stdin', '--fix']);
    expect(code).toBe(2);
    expect(stderr).toContain('--fix');
  });
});
