/**
 * The command line, through `main(argv, io)` with a fake io; once through the real `bin/plumbline.js`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { exitCodeFor, main } from '../src/cli/main.js';
import { validateConfig } from '../src/config/config.js';

const REPO = path.resolve(import.meta.dirname, '..');
const ANSI = /\u001b\[/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], options: { cwd?: string; stdin?: string; isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    readStdin: async () => options.stdin ?? '',
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    cwd: options.cwd ?? work,
  });
  return { code, stdout, stderr };
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'plumbline-cli-'));
  // A migration set with one finding (an index on a table created by an earlier migration).
  mkdirSync(path.join(work, 'db/dirty'), { recursive: true });
  writeFileSync(path.join(work, 'db/dirty/V1__create_orders.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n');
  writeFileSync(path.join(work, 'db/dirty/V2__index_status.sql'), '-- dashboards filter by status\nCREATE INDEX orders_status_idx ON orders (status);\n');
  mkdirSync(path.join(work, 'db/clean'), { recursive: true });
  writeFileSync(path.join(work, 'db/clean/V1__create_orders.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n');
  writeFileSync(path.join(work, 'db/clean/V2__index_status.sql'), 'CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n');
  // Only require-concurrent-index and the engine rules run, so that rules added later do not change the counts.
  const only = (severity: string) => ({
    rules: {
      ...Object.fromEntries(allRules.filter((r) => r.family !== 'engine').map((r) => [r.id, 'off'])),
      'require-concurrent-index': severity,
    },
  });
  writeFileSync(path.join(work, 'plumbline.config.json'), JSON.stringify(only('error')));
  for (const severity of ['error', 'warning', 'note']) {
    writeFileSync(path.join(work, `${severity}.json`), JSON.stringify(only(severity)));
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('check: exit codes and --fail-on', () => {
  it('0 when clean, 1 with a finding', async () => {
    const clean = await run(['check', 'db/clean']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No problems (2 files checked)');
    expect(clean.stderr).toBe('');
    const dirty = await run(['check', 'db/dirty']);
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toContain('db/dirty/V2__index_status.sql:2:1');
    expect(dirty.stdout).toContain('require-concurrent-index');
  });

  it('`check` is the default command', async () => {
    expect((await run(['db/dirty'])).code).toBe(1);
  });

  // [severity of the finding, --fail-on, expected exit code]
  const matrix: Array<[string, string, number]> = [
    ['error', 'error', 1],
    ['error', 'warning', 1],
    ['error', 'note', 1],
    ['error', 'none', 0],
    ['warning', 'error', 0],
    ['warning', 'warning', 1],
    ['warning', 'note', 1],
    ['warning', 'none', 0],
    ['note', 'error', 0],
    ['note', 'warning', 0],
    ['note', 'note', 1],
    ['note', 'none', 0],
  ];
  it.each(matrix)('a %s finding with --fail-on %s exits %i', async (severity, failOn, expected) => {
    const r = await run(['check', 'db/dirty', '--config', `${severity}.json`, '--fail-on', failOn]);
    expect(r.code, r.stderr).toBe(expected);
  });

  it('the default --fail-on is warning', async () => {
    expect((await run(['check', 'db/dirty', '--config', 'note.json'])).code).toBe(0);
    expect((await run(['check', 'db/dirty', '--config', 'warning.json'])).code).toBe(1);
  });

  it('--fail-on rejects other values', async () => {
    const r = await run(['check', 'db/dirty', '--fail-on', 'critical']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fail-on/);
  });
});

describe('check: notifications and the exit code', () => {
  it('a missing path is an error notification: exit 2, even with --fail-on none, other paths still checked', async () => {
    const r = await run(['check', 'db/dirty', 'db/no-such-folder', '--format', 'json', '--fail-on', 'none']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.notifications).toEqual([expect.objectContaining({ level: 'error', id: 'missing-path' })]);
    expect(doc.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['require-concurrent-index']);
  });

  it('warning notifications alone do not change the exit code', async () => {
    mkdirSync(path.join(work, 'db/binary'), { recursive: true });
    writeFileSync(path.join(work, 'db/binary/V1__blob.sql'), Buffer.from([0x53, 0x00, 0x51, 0x00]));
    const r = await run(['check', 'db/binary', '--format', 'json']);
    expect(JSON.parse(r.stdout).notifications).toEqual([expect.objectContaining({ level: 'warning', id: 'binary-file' })]);
    expect(r.code).toBe(0);
  });

  it('exitCodeFor', () => {
    const base = { findings: [], notifications: [] } as unknown as Parameters<typeof exitCodeFor>[0];
    expect(exitCodeFor(base, 'warning')).toBe(0);
    expect(exitCodeFor({ ...base, notifications: [{ id: 'no-match', level: 'warning', message: '' }] }, 'note')).toBe(0);
    expect(exitCodeFor({ ...base, notifications: [{ id: 'missing-path', level: 'error', message: '' }] }, 'none')).toBe(2);
  });
});

describe('check: output', () => {
  it('--format json parses and carries positions, fingerprints and the summary', async () => {
    const r = await run(['check', 'db/dirty', '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.summary).toEqual({ files: 2, findings: 1, errors: 1, warnings: 0, notes: 0 });
    expect(doc.findings[0]).toMatchObject({
      ruleId: 'require-concurrent-index',
      severity: 'error',
      path: 'db/dirty/V2__index_status.sql',
      start: { line: 2, column: 1 },
    });
    expect(doc.findings[0].fingerprint).toMatch(/\S/);
  });

  it('--output FILE writes the report and prints nothing', async () => {
    const r = await run(['check', 'db/dirty', '--format', 'json', '--output', 'report.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(path.join(work, 'report.json'), 'utf8')).summary.findings).toBe(1);
  });

  it('--output to a folder that does not exist is a clear error', async () => {
    const r = await run(['check', 'db/dirty', '--output', 'no/such/dir/report.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^plumbline: Cannot write the report to no\/such\/dir\/report\.txt: ENOENT\.\n$/);
  });

  it('--stdin --stdin-filename reports under that name', async () => {
    const r = await run(['check', '--stdin', '--stdin-filename', 'x.sql', '--format', 'json'], {
      stdin: "SELECT 'é';\nSELEC 1;\n",
    });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings).toEqual([expect.objectContaining({ ruleId: 'syntax-error', path: 'x.sql', start: expect.objectContaining({ line: 2, column: 1 }) })]);
  });

  it('--stdin without a name reports stdin.sql', async () => {
    const r = await run(['check', '--stdin'], { stdin: 'SELEC 1;' });
    expect(r.stdout).toContain('stdin.sql:1:1');
  });

  it('--pg-version 10 exits 2 with a clear message', async () => {
    const r = await run(['check', 'db/clean', '--pg-version', '10']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('plumbline: --pg-version must be a PostgreSQL major version from 11 to 19, not 10.\n');
  });

  it('an unknown option exits 2', async () => {
    const r = await run(['check', 'db/clean', '--colour']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^plumbline: Unknown argument: colour\n/);
    expect(r.stderr).toContain('plumbline --help');
  });

  it('an unknown command exits 2', async () => {
    const r = await run(['lint-everything', 'now']);
    expect(r.code).toBe(2);
  });

  it('--rule / --disable-rule with an unknown id exits 2', async () => {
    const r = await run(['check', 'db/clean', '--rule', 'no-such-rule']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('plumbline: Unknown rule `no-such-rule`. Run `plumbline rules` to list them.\n');
    expect((await run(['check', 'db/clean', '--disable-rule', 'nope'])).code).toBe(2);
  });

  it('--root: report paths relative to it; paths and --config stay relative to the working directory', async () => {
    const r = await run(['check', 'db/dirty', '--root', 'db', '--config', 'warning.json', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((f: { path: string; severity: string }) => `${f.path} ${f.severity}`)).toEqual(['dirty/V2__index_status.sql warning']);
    const missing = await run(['check', 'db/nope', '--root', 'db', '--format', 'json']);
    expect(JSON.parse(missing.stdout).notifications).toEqual([expect.objectContaining({ id: 'missing-path', path: 'nope' })]);
  });

  it('--disable-rule silences a rule', async () => {
    expect((await run(['check', 'db/dirty', '--disable-rule', 'require-concurrent-index'])).code).toBe(0);
  });

  it('a broken config file exits 2 and names the problem', async () => {
    writeFileSync(path.join(work, 'broken.json'), '{ "preset": "recommended", }');
    const r = await run(['check', 'db/clean', '--config', 'broken.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^plumbline: broken\.json is not valid JSON/);
  });

  it('colour: ANSI only on a TTY without NO_COLOR, never in a file or JSON', async () => {
    expect((await run(['check', 'db/dirty'], { isTTY: true })).stdout).toMatch(ANSI);
    expect((await run(['check', 'db/dirty'], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await run(['check', 'db/dirty'], { isTTY: false })).stdout).not.toMatch(ANSI);
    expect((await run(['check', 'db/dirty', '--format', 'json'], { isTTY: true })).stdout).not.toMatch(ANSI);
    await run(['check', 'db/dirty', '--output', 'report.txt'], { isTTY: true });
    expect(readFileSync(path.join(work, 'report.txt'), 'utf8')).not.toMatch(ANSI);
  });
});

describe('rules and explain', () => {
  it('rules --format json lists every rule with its sources', async () => {
    const r = await run(['rules', '--format', 'json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ id: string; family: string; severity: string; sources: Record<string, string>; docs: string }>;
    expect(list.map((x) => x.id)).toEqual(allRules.map((x) => x.id));
    for (const entry of list) {
      expect(entry.sources, entry.id).toBeTypeOf('object');
      expect(entry.docs).toMatch(new RegExp(`/docs/rules/${entry.id}\\.md$`));
    }
    expect(list.find((x) => x.id === 'require-concurrent-index')!.sources.squawk).toBe('require-concurrent-index-creation');
  });

  it('rules prints a table', async () => {
    const r = await run(['rules']);
    expect(r.code).toBe(0);
    for (const rule of allRules) expect(r.stdout).toContain(rule.id);
  });

  it('explain require-concurrent-index', async () => {
    const r = await run(['explain', 'require-concurrent-index']);
    expect(r.code).toBe(0);
    const rule = allRules.find((x) => x.id === 'require-concurrent-index')!;
    expect(r.stdout).toContain('require-concurrent-index (migration, error, recommended)');
    expect(r.stdout).toContain(rule.meta.description);
    expect(r.stdout).toContain(`Why: ${rule.meta.rationale}`);
    expect(r.stdout).toContain(`What to do: ${rule.meta.remedy}`);
    expect(r.stdout).toContain('squawk: require-concurrent-index-creation');
    expect(r.stdout).toContain('docs/rules/require-concurrent-index.md');
  });

  it('explain nope exits 2', async () => {
    const r = await run(['explain', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('plumbline: Unknown rule `nope`. Run `plumbline rules` to list them.\n');
  });
});

describe('init', () => {
  it('writes a config that validates, and refuses to overwrite without --force', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-init-'));
    try {
      const first = await run(['init'], { cwd: dir });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('Wrote plumbline.config.json');
      const file = path.join(dir, 'plumbline.config.json');
      const config = JSON.parse(readFileSync(file, 'utf8'));
      expect(() => validateConfig(config, allRules, 'plumbline.config.json')).not.toThrow();

      writeFileSync(file, '{"preset":"all"}\n');
      const second = await run(['init'], { cwd: dir });
      expect(second.code).toBe(2);
      expect(second.stderr).toBe('plumbline: plumbline.config.json already exists (use --force to overwrite).\n');
      expect(readFileSync(file, 'utf8')).toBe('{"preset":"all"}\n');

      const forced = await run(['init', '--force'], { cwd: dir });
      expect(forced.code).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8')).preset).toBe('recommended');

      // The written config is picked up by `check`.
      mkdirSync(path.join(dir, 'migrations'));
      writeFileSync(path.join(dir, 'migrations', '001.sql'), 'SELECT 1;\n');
      expect((await run(['check'], { cwd: dir })).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/plumbline.js', () => {
  const bin = path.join(REPO, 'bin/plumbline.js');
  const built = path.join(REPO, 'dist/src/cli/main.js');

  let cwd: string;

  beforeAll(() => {
    // `npm test` builds first; when this file runs alone, build if dist is missing or older than any source.
    const newest = (dir: string): number =>
      Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs)));
    const stale = !existsSync(built) || statSync(built).mtimeMs < Math.max(newest(path.join(REPO, 'src')), newest(path.join(REPO, 'rules')));
    if (stale) spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'ignore' });
    // A folder without a configuration file: whatever rules the build has, a syntax error is one.
    cwd = path.join(work, 'bin-run');
    mkdirSync(cwd, { recursive: true });
  }, 120_000);

  it('runs checks and sets the exit code', () => {
    const r = spawnSync(process.execPath, [bin, 'check', '--stdin', '--stdin-filename', 'V1__broken.sql', '--format', 'json'], {
      cwd,
      input: "SELECT 'crème';\nSELEC 1;\n",
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings).toEqual([expect.objectContaining({ ruleId: 'syntax-error', path: 'V1__broken.sql', start: expect.objectContaining({ line: 2, column: 1 }) })]);
    const clean = spawnSync(process.execPath, [bin, 'check', '--stdin'], { cwd, input: 'SELECT 1;\n', encoding: 'utf8' });
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('No problems');
    expect(clean.stdout).not.toMatch(ANSI); // not a TTY
  });

  it('--version prints the package version; usage errors exit 2', () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
    const r = spawnSync(process.execPath, [bin, 'check', '--no-such-flag'], { cwd, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument/);
  });
});
