/**
 * Snapshot tests of every output format (text, json, sarif, github) on the cases STYLE.md names:
 * a clean run, a run with findings, a parse error, a config error (through the CLI), CRLF input and
 * non-ASCII input. Inputs are written to temporary folders, so reports hold only relative paths.
 * Only `require-concurrent-index` and `syntax-error` run, so other rules' edits do not churn these files.
 * Update with `npx vitest run test/reporters.test.ts -u` and review the diff.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check, type CheckResult } from '../src/check.js';
import { main } from '../src/cli/main.js';
import type { PlumblineConfig } from '../src/config/config.js';
import { escapeData, escapeProperty, githubReporter } from '../src/reporters/github.js';
import { reporters } from '../src/reporters/index.js';
import type { ReportContext } from '../src/reporters/types.js';
import { FIXTURES } from './helpers/fixtures.js';

const CTX: ReportContext = { color: false, toolVersion: '1.2.3' };
const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
const ENABLED = ['require-concurrent-index', 'syntax-error'];
const EXTENSION = { text: 'txt', json: 'json', sarif: 'sarif', github: 'github.txt' } as const;

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A temporary analysis root holding the given files (path → text or bytes). */
function root(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-reporters-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

function config(): PlumblineConfig {
  return { rules: Object.fromEntries(allRules.map((r) => [r.id, ENABLED.includes(r.id) ? r.meta.severity : 'off'])) };
}

function run(dir: string): Promise<CheckResult> {
  return check({ root: dir, paths: ['.'], config: config() });
}

const fixture = (name: string) => readFileSync(path.join(FIXTURES, 'rules/require-concurrent-index', name), 'utf8');

const CREATE_ORDERS = fixture('invalid/V1__create_orders.sql');
const INDEX_ORDERS = fixture('invalid/V2__index_orders_status.sql');

const cases: Record<string, () => Record<string, string | Buffer>> = {
  clean: () => ({
    '001_create_payments.sql': fixture('valid/V1__create_payments.sql'),
    '002_index_payments_amount.sql': fixture('valid/V2__index_payments_amount.sql'),
  }),
  findings: () => ({ '001_create_orders.sql': CREATE_ORDERS, '002_index_orders_status.sql': INDEX_ORDERS }),
  'parse-error': () => ({
    '001_create_orders.sql': CREATE_ORDERS,
    '002_add_region.sql': [
      '-- Region for the shipping dashboard.',
      'ALTER TABLE orders ADD COLUMN region text;',
      'CREATE INDEX orders_region_idx ON orders (region',
      '  WHERE region IS NOT NULL;',
      '',
    ].join('\n'),
  }),
  crlf: () => ({
    '001_create_orders.sql': CREATE_ORDERS.replace(/\r?\n/g, '\r\n'),
    '002_index_orders_status.sql': [
      '-- Written on Windows: every line ends with CRLF.',
      '',
      'CREATE INDEX orders_status_idx',
      '  ON orders (status);',
      '',
    ].join('\r\n'),
  }),
  'non-ascii': () => ({
    '001_create_orders.sql': CREATE_ORDERS,
    // Accents (one UTF-16 unit, two UTF-8 bytes) and an emoji (two UTF-16 units, four bytes) before
    // the statement on the same line: the column counts code points (13), not UTF-16 units (14) or bytes (18).
    '002_index_orders_status.sql': ['-- Tableau de bord « expédition » 🚚', '/* été 🚀 */ CREATE INDEX orders_status_idx ON orders (status);', ''].join('\n'),
  }),
};

describe.each(Object.keys(cases))('%s', (name) => {
  for (const format of FORMATS) {
    it(`${format} output`, async () => {
      const result = await run(root(cases[name]()));
      const out = reporters[format](result, CTX);
      await expect(out).toMatchFileSnapshot(`__snapshots__/reporters/${name}.${EXTENSION[format]}`);
      // Pure: the same result gives byte-identical output, and no absolute path leaks into it.
      expect(reporters[format](result, CTX)).toBe(out);
      expect(out).not.toContain(result.root);
    });
  }
});

describe('columns', () => {
  it('count code points before the finding on the same line (non-ASCII)', async () => {
    const result = await run(root(cases['non-ascii']()));
    expect(result.findings).toHaveLength(1);
    const f = result.findings[0];
    expect(f.file.position(f.range.start)).toEqual({ line: 2, column: 13 });
    const json = JSON.parse(reporters.json(result, CTX));
    expect(json.findings[0].start).toMatchObject({ line: 2, column: 13 });
    const sarif = JSON.parse(reporters.sarif(result, CTX));
    expect(sarif.runs[0].columnKind).toBe('unicodeCodePoints');
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region).toMatchObject({ startLine: 2, startColumn: 13 });
    expect(reporters.text(result, CTX)).toContain('002_index_orders_status.sql:2:13');
    expect(reporters.github(result, CTX)).toMatch(/file=002_index_orders_status\.sql,line=2,col=13,/);
  });

  it('are the same with CRLF line endings as with LF', async () => {
    const lf = await run(root(cases.findings()));
    const crlf = await run(root(Object.fromEntries(Object.entries(cases.findings()).map(([k, v]) => [k, String(v).replace(/\n/g, '\r\n')]))));
    const where = (r: CheckResult) => r.findings.map((f) => [f.file.relPath, f.file.position(f.range.start), f.file.position(f.range.end)]);
    expect(where(crlf)).toEqual(where(lf));
    // The SARIF fingerprint hashes whitespace-normalised line text: the line ending does not change it.
    const prints = (r: CheckResult) => JSON.parse(reporters.sarif(r, CTX)).runs[0].results.map((x: any) => x.partialFingerprints.primaryLocationLineHash);
    expect(prints(crlf)).toEqual(prints(lf));
  });
});

describe('text format', () => {
  it('has no ANSI escapes without color, and colors with it', async () => {
    const result = await run(root(cases.findings()));
    expect(reporters.text(result, CTX)).not.toMatch(/\x1b\[/);
    const colored = reporters.text(result, { ...CTX, color: true });
    expect(colored).toMatch(/\x1b\[31m/);
    // Colors are the only difference.
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(reporters.text(result, CTX));
  });

  it('puts the caret under the statement after wide and combining characters', async () => {
    const line = '/* 注意 🚀 cafe\u0301 */ CREATE INDEX orders_status_idx ON orders (status);';
    const result = await run(root({ '001_create_orders.sql': CREATE_ORDERS, '002_index.sql': `${line}\n` }));
    const out = reporters.text(result, CTX).split('\n');
    const code = out.findIndex((l) => l.includes('注意'));
    const prefix = out[code].indexOf('/*');
    const carets = out[code + 1].indexOf('^');
    // Terminal cells before CREATE: "/* " 3 + 注意 4 + " " 1 + 🚀 2 + " " 1 + café 4 (e + combining accent) + " */ " 4.
    expect(carets - prefix).toBe(19);
    expect(out[code + 1].trimEnd().length - carets).toBe('CREATE INDEX orders_status_idx ON orders (status)'.length);
  });
});

describe('github format', () => {
  it('escapes data and properties as @actions/core does', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('db/a:b,c%.sql')).toBe('db/a%3Ab%2Cc%25.sql');
  });

  it('keeps every annotation on one line and escapes file names', async () => {
    const result = await run(root({ 'migrations/001_create_orders.sql': CREATE_ORDERS, 'migrations/002_a,b:c.sql': INDEX_ORDERS }));
    const out = githubReporter(result, CTX);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(result.findings.length + 1);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^::error file=migrations\/002_a%2Cb%3Ac\.sql,line=\d+,/);
    expect(lines.at(-1)).toMatch(/^plumbline: 2 errors/);
  });
});

async function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), readStdin: async () => '', isTTY: false, env, cwd });
  return { code, stdout, stderr };
}

describe('cli', () => {
  it('writes sarif and github reports and exits 1 on findings', async () => {
    const dir = root({ 'plumbline.config.json': JSON.stringify(config()), ...cases.findings() });
    const sarif = await cli(['check', '.', '--format', 'sarif'], dir);
    expect(sarif).toMatchObject({ code: 1, stderr: '' });
    expect(JSON.parse(sarif.stdout).runs[0].results).toHaveLength(2);
    // Under GitHub Actions the default format is `github`.
    const gh = await cli(['check', '.'], dir, { GITHUB_ACTIONS: 'true' });
    expect(gh.code).toBe(1);
    expect(gh.stdout).toMatch(/^::error file=002_index_orders_status\.sql,line=2,/);
    expect((await cli(['check', '.', '--format', 'github', '--fail-on', 'none'], dir)).code).toBe(0);
  });
});

describe('config error', () => {
  it('exits 2 and names the JSON path of the bad value on stderr', async () => {
    const dir = root({
      'plumbline.config.json': JSON.stringify({ rules: { 'require-concurrent-index': 'fatal' } }, null, 2),
      '001_create_orders.sql': CREATE_ORDERS,
    });
    for (const format of FORMATS) {
      const { code, stdout, stderr } = await cli(['check', '.', '--format', format], dir);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('plumbline.config.json');
      expect(stderr).toContain('rules.require-concurrent-index');
      expect(stderr).not.toContain(dir);
      await expect(stderr).toMatchFileSnapshot('__snapshots__/reporters/config-error.stderr.txt');
    }
  });
});
