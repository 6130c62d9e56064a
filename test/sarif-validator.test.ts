/**
 * SARIF acceptance with Microsoft's own validator (`@microsoft/sarif-multitool`, a devDependency):
 * `validate --rule-kind "Sarif;Gh"` runs the SARIF spec rules and GitHub's ingestion rules (GH1xxx) on
 *   - the example project's report (`plumbline check examples/shop --config examples/shop/plumbline.config.json --format sarif`),
 *   - a report with a notification (a skipped non-UTF-8 file) and a baseline (`baselineState`).
 * It must report no error and no warning from a GitHub rule. The multitool exits 0 even when it finds
 * errors, so the test reads the SARIF log it writes.
 *
 * The multitool is a self-contained .NET executable in a per-platform npm package. Where that package
 * is missing or cannot run (an unsupported platform or CPU), the test is skipped and says why.
 */
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { main } from '../src/cli/main.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-sarif-validator-'));
  temps.push(dir);
  return dir;
}

/** The multitool executable, or why it is not usable here. */
function locateValidator(): { bin: string } | { reason: string } {
  let bin: string;
  try {
    bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
  } catch (error) {
    return { reason: `@microsoft/sarif-multitool has no package for ${process.platform} installed (${(error as Error).message.split('\n')[0]})` };
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    // Installed with --ignore-scripts: its postinstall (`chmod u+x`) did not run.
    try {
      chmodSync(bin, statSync(bin).mode | 0o100);
    } catch (error) {
      return { reason: `${bin} is not executable (${(error as Error).message})` };
    }
  }
  return { bin };
}

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 180_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? error.message : '') }),
    );
  });
}

async function cli(cwd: string, argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await main(argv, { stdout: () => {}, stderr: (s) => (stderr += s), readStdin: async () => '', isTTY: false, env: {}, cwd });
  return { code, stderr };
}

interface Problem {
  rule: string;
  level: string;
  message: string;
  file: string;
}

/** Every result of the validator's log, with its effective level (result level, else the rule's default, else warning). */
function problems(log: any): Problem[] {
  const out: Problem[] = [];
  for (const run of log.runs ?? []) {
    const rules: any[] = run.tool?.driver?.rules ?? [];
    for (const r of run.results ?? []) {
      const rule = r.ruleIndex !== undefined ? rules[r.ruleIndex] : rules.find((x) => x.id === r.ruleId);
      const level = r.level ?? rule?.defaultConfiguration?.level ?? 'warning';
      const args: string[] = r.message?.arguments ?? [];
      const template: string | undefined = rule?.messageStrings?.[r.message?.id]?.text;
      const message = r.message?.text ?? (template ? template.replace(/\{(\d+)\}/g, (_: string, i: string) => args[Number(i)] ?? '') : `${r.message?.id} ${args.join(' | ')}`);
      out.push({ rule: r.ruleId, level, message, file: r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '' });
    }
  }
  return out;
}

describe('SARIF accepted by Microsoft SARIF multitool (rule kinds Sarif and Gh)', () => {
  it('reports no error and no GitHub warning on the example project and on a baseline run', async (ctx) => {
    const validator = locateValidator();
    if ('reason' in validator) {
      ctx.skip(`SARIF multitool not available: ${validator.reason}`);
      return;
    }
    const probe = await run(validator.bin, ['--version']);
    if (probe.code !== 0) {
      ctx.skip(`SARIF multitool does not run on ${process.platform}-${process.arch}: ${(probe.stderr || probe.stdout).trim().slice(0, 300)}`);
      return;
    }

    const dir = tempDir();
    // 1. The example project, exactly as the README runs it.
    const shop = path.join(dir, 'shop.sarif');
    const example = await cli(ROOT, ['check', 'examples/shop', '--config', 'examples/shop/plumbline.config.json', '--format', 'sarif', '--output', shop]);
    expect(example.stderr).toBe('');
    expect(example.code).toBe(1);

    // 2. A baseline run with a notification: baselineState and toolExecutionNotifications.
    const project = path.join(dir, 'project');
    const files: Record<string, string | Buffer> = {
      'plumbline.config.json': JSON.stringify({ rules: Object.fromEntries(allRules.map((r) => [r.id, r.meta.severity])) }),
      'db/migrations/001_create_orders.sql': 'CREATE TABLE orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  status text NOT NULL\n);\n',
      'db/migrations/002_index_orders_status.sql': 'CREATE INDEX orders_status_idx ON orders (status);\n',
      'db/migrations/003_legacy_latin1.sql': Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 1;\n')]),
    };
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
      writeFileSync(path.join(project, rel), content);
    }
    expect((await cli(project, ['baseline', 'db/migrations'])).code).toBe(0);
    writeFileSync(path.join(project, 'db/migrations/004_index_orders_created.sql'), 'ALTER TABLE orders ADD COLUMN created_at timestamptz;\nCREATE INDEX orders_created_idx ON orders (created_at);\n');
    const baselined = path.join(dir, 'baseline.sarif');
    const withBaseline = await cli(project, ['check', 'db/migrations', '--baseline', 'plumbline-baseline.json', '--format', 'sarif', '--output', baselined]);
    expect(withBaseline.stderr).toBe('');
    const doc = JSON.parse(readFileSync(baselined, 'utf8'));
    expect(doc.runs[0].results.length).toBeGreaterThan(0);
    expect(doc.runs[0].results.every((r: any) => r.baselineState === 'new')).toBe(true);
    expect(doc.runs[0].invocations[0].toolExecutionNotifications.map((n: any) => n.descriptor.id)).toEqual(expect.arrayContaining(['not-utf8', 'baseline']));

    for (const input of [shop, baselined]) {
      const output = `${input}.validation.sarif`;
      const result = await run(validator.bin, ['validate', '--rule-kind', 'Sarif;Gh', '--output', output, input]);
      expect(result.stderr.trim()).toBe('');
      // The multitool exits 0 even when it finds errors: the verdict is in its log.
      const found = problems(JSON.parse(readFileSync(output, 'utf8')));
      const errors = found.filter((p) => p.level === 'error');
      const githubWarnings = found.filter((p) => p.rule.startsWith('GH') && p.level === 'warning');
      expect({ input: path.basename(input), errors, githubWarnings }).toEqual({ input: path.basename(input), errors: [], githubWarnings: [] });
    }
  }, 300_000);
});
