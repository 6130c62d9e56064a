/**
 * The `markdown` format (for `$GITHUB_STEP_SUMMARY` and pull request comments): snapshots of a clean run,
 * a run with findings, one with notifications and a size-capped one, plus the cap itself (GitHub's
 * 65,536-character comment limit: details go first, then whole findings, least severe first), escaping,
 * and determinism. Only `require-concurrent-index` and `syntax-error` run, so other rules' edits do not
 * churn the snapshots. Update with `npx vitest run test/markdown.test.ts -u` and review the diff.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check, type CheckResult } from '../src/check.js';
import { main } from '../src/cli/main.js';
import type { PlumblineConfig } from '../src/config/config.js';
import type { Severity } from '../src/core/finding.js';
import { reporters } from '../src/reporters/index.js';
import { buildMarkdown, codeSpan, GITHUB_COMMENT_LIMIT, inline, MARKER } from '../src/reporters/markdown.js';
import type { ReportContext } from '../src/reporters/types.js';

const CTX: ReportContext = { color: false, toolVersion: '1.2.3' };

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function root(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-markdown-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Only two rules, at the given severities. */
function config(severities: Partial<Record<'require-concurrent-index' | 'syntax-error', Severity>> = {}): PlumblineConfig {
  const on: Record<string, Severity> = { 'require-concurrent-index': 'error', 'syntax-error': 'error', ...severities };
  return { rules: Object.fromEntries(allRules.map((r) => [r.id, on[r.id] ?? 'off'])) };
}

function run(dir: string, cfg = config(), paths = ['.']): Promise<CheckResult> {
  return check({ root: dir, paths, config: cfg, workers: false });
}

const CREATE_ORDERS = [
  '-- Orders placed through the storefront.',
  'CREATE TABLE orders (',
  '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
  '  customer_id bigint NOT NULL,',
  "  status text NOT NULL DEFAULT 'pending',",
  '  created_at timestamptz NOT NULL DEFAULT now()',
  ');',
  '',
].join('\n');

const INDEX_ORDERS = [
  '-- The support dashboard filters open orders by status.',
  'CREATE INDEX orders_status_idx ON orders (status);',
  '',
  'CREATE UNIQUE INDEX orders_customer_created_idx',
  '  ON orders USING btree (customer_id, created_at)',
  "  WHERE status <> 'archived';",
  '',
].join('\n');

const BROKEN = ['-- Missing comma between the two columns.', 'ALTER TABLE orders ADD COLUMN carrier text ADD COLUMN tracking_number text;', ''].join('\n');

const cases: Record<string, { files: () => Record<string, string | Buffer>; paths?: string[] }> = {
  clean: {
    files: () => ({
      'db/migrations/001_create_orders.sql': CREATE_ORDERS,
      'db/migrations/002_index_orders_status.sql': 'CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n',
    }),
  },
  findings: {
    files: () => ({
      'db/migrations/001_create_orders.sql': CREATE_ORDERS,
      'db/migrations/002_index_orders.sql': INDEX_ORDERS,
      'db/migrations/003_add_tracking.sql': BROKEN,
    }),
  },
  notifications: {
    files: () => ({
      'db/migrations/001_create_orders.sql': CREATE_ORDERS,
      'db/migrations/002_index_orders.sql': 'CREATE INDEX orders_status_idx ON orders (status);\n',
      // "café" in Latin-1: not UTF-8, skipped with a warning.
      'db/migrations/003_legacy_latin1.sql': Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 1;\n')]),
    }),
    paths: ['db/migrations', 'db/missing'],
  },
};

describe.each(Object.keys(cases))('%s', (name) => {
  it('markdown output', async () => {
    const { files, paths } = cases[name];
    const result = await run(root(files()), config(), paths);
    const out = reporters.markdown(result, CTX);
    await expect(out).toMatchFileSnapshot(`__snapshots__/markdown/${name}.md`);
    expect(reporters.markdown(result, CTX)).toBe(out);
    expect(out).not.toContain(result.root);
    expect(out.startsWith(`${MARKER}\n### Plumbline\n`)).toBe(true);
    expect(out.endsWith('\n')).toBe(true);
  });
});

describe('structure', () => {
  it('groups findings by file in path order, each with its rule linked to the docs and collapsed details', async () => {
    const result = await run(root(cases.findings.files()));
    const out = reporters.markdown(result, CTX);
    const headings = [...out.matchAll(/^#### `(.+)`$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['db/migrations/002_index_orders.sql', 'db/migrations/003_add_tracking.sql']);
    expect(out).toContain('(https://github.com/plumbline-dev/plumbline/blob/main/docs/rules/require-concurrent-index.md) · line 2:');
    expect(out.match(/<details>/g)).toHaveLength(result.findings.length);
    expect(out.match(/<\/details>/g)).toHaveLength(result.findings.length);
    expect(out).toMatch(/^❌ \*\*3 errors\*\*, ⚠️ \*\*0 warnings\*\*, ℹ️ \*\*0 notes\*\* in 2 files \(3 files checked\)\.$/m);
    // The excerpt shows the flagged lines, and only them.
    expect(out).toContain("  ```sql\n  CREATE UNIQUE INDEX orders_customer_created_idx\n    ON orders USING btree (customer_id, created_at)\n    WHERE status <> 'archived';\n  ```");
  });

  it('puts notifications in their own section', async () => {
    const result = await run(root(cases.notifications.files()), config(), cases.notifications.paths);
    const out = reporters.markdown(result, CTX);
    const section = out.slice(out.indexOf('#### Notifications'));
    expect(section).toContain('`missing-path`');
    expect(section).toContain('`not-utf8` · `db/migrations/003_legacy_latin1.sql`');
  });
});

describe('escaping', () => {
  it('keeps code spans and neutralises Markdown, HTML, mentions and references elsewhere', () => {
    expect(inline('Index `orders_status_idx` on <b>orders</b> for @octocat, see #12 and *this* [link](x)')).toBe(
      'Index `orders_status_idx` on \\<b\\>orders\\</b\\> for `@octocat`, see `#12` and \\*this\\* \\[link\\](x)',
    );
    expect(inline('line one\nline two')).toBe('line one line two');
    expect(inline('a lone @ and # stay, escaped: 50% & more')).toBe('a lone \\@ and \\# stay, escaped: 50% \\& more');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
  });

  it('fences an excerpt that contains backticks with a longer fence', async () => {
    const dir = root({
      '001_create_orders.sql': CREATE_ORDERS,
      '002_index.sql': 'CREATE INDEX orders_status_idx ON orders (status); -- not ```sql``` fenced\n',
    });
    const out = reporters.markdown(await run(dir), CTX);
    expect(out).toContain('  ````sql\n  CREATE INDEX orders_status_idx ON orders (status); -- not ```sql``` fenced\n  ````');
  });
});

/** `count` index statements on an existing table: `count` require-concurrent-index findings in one file. */
function manyIndexes(count: number): Record<string, string> {
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`CREATE INDEX orders_report_${i}_idx ON orders (customer_id, created_at) WHERE id % ${count} = ${i};`);
  return { '001_create_orders.sql': CREATE_ORDERS, '002_report_indexes.sql': `${lines.join('\n')}\n` };
}

describe('size cap', () => {
  it('drops details first, least severe first, and says so', async () => {
    // Notes (require-concurrent-index as a note) and one error (the syntax error), in two files.
    const dir = root({ ...manyIndexes(20), '003_add_tracking.sql': BROKEN });
    const result = await run(dir, config({ 'require-concurrent-index': 'note' }));
    const full = buildMarkdown(result, CTX);
    const max = Math.floor(full.length * 0.6);
    const out = buildMarkdown(result, CTX, max);
    expect(out.length).toBeLessThanOrEqual(max);
    await expect(out).toMatchFileSnapshot('__snapshots__/markdown/capped.md');
    // Every finding is still listed, the error keeps its details, some notes lost theirs.
    expect(out.match(/^- /gm)).toHaveLength(result.findings.length);
    const errorItem = out.slice(out.indexOf('- ❌ **error**'));
    expect(errorItem.split('\n')[1]).toContain('<details>');
    const details = out.match(/<details>/g)!.length;
    expect(details).toBeGreaterThan(1);
    expect(details).toBeLessThan(result.findings.length);
    expect(out).toContain(`the details of ${result.findings.length - details} findings.`);
    // The notes that kept their details are the first ones in file order.
    const items = out.split(/\n(?=- )/).filter((s) => s.startsWith('- ℹ️'));
    const withDetails = items.map((s) => s.includes('<details>'));
    expect(withDetails.indexOf(false)).toBe(details - 1);
    expect(withDetails.slice(details - 1).every((d) => !d)).toBe(true);
  });

  it('then drops whole findings, notes before errors', async () => {
    const dir = root({ ...manyIndexes(20), '003_add_tracking.sql': BROKEN });
    const result = await run(dir, config({ 'require-concurrent-index': 'note' }));
    const max = 3_000;
    const out = buildMarkdown(result, CTX, max);
    expect(out.length).toBeLessThanOrEqual(max);
    expect(out).not.toContain('<details>');
    expect(out).toContain('- ❌ **error** [`syntax-error`]');
    const kept = out.match(/^- ℹ️/gm)?.length ?? 0;
    expect(kept).toBeLessThan(20);
    expect(out).toContain(`${20 - kept} findings (${20 - kept} notes)`);
    // The summary still counts everything.
    expect(out).toContain('❌ **1 error**, ⚠️ **0 warnings**, ℹ️ **20 notes** in 2 files');
  });

  it(`keeps a large report under GitHub's ${GITHUB_COMMENT_LIMIT}-character limit`, async () => {
    const result = await run(root(manyIndexes(1_500)));
    expect(result.findings).toHaveLength(1_500);
    const out = reporters.markdown(result, CTX);
    expect(out.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(out.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 2_000);
    expect(out).toMatch(/> \*\*Left out to fit GitHub's 65,536-character limit:\*\* the details of \d+ findings and \d+ findings \(\d+ errors\)\./);
    expect(reporters.markdown(result, CTX)).toBe(out);
  });
});

describe('cli', () => {
  it('accepts --format markdown and writes the report', async () => {
    const dir = root({ 'plumbline.config.json': JSON.stringify(config()), ...cases.findings.files() });
    let stdout = '';
    const code = await main(['check', '.', '--format', 'markdown'], {
      stdout: (s) => (stdout += s),
      stderr: () => {},
      readStdin: async () => '',
      isTTY: true,
      env: {},
      cwd: dir,
    });
    expect(code).toBe(1);
    expect(stdout.startsWith(MARKER)).toBe(true);
    // No ANSI colour, even on a terminal.
    expect(stdout).not.toMatch(/\x1b\[/);
  });
});
