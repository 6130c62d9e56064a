/**
 * Fixture cases with inline expectations. A case is a folder of migrations, run as one plain set unless
 * fixture.json declares `migrations` (then any framework layout, see docs/frameworks.md);
 * a line that must get a finding ends with a comment `-- expect: <rule-id>[, <rule-id>]` (or `// expect:`
 * in TypeScript). The finding must START on that line. Folders named `valid*` must produce nothing.
 * An optional `fixture.json` in the case folder holds { pgVersion, assumeInTransaction, options, migrations,
 * alsoEnable, disable }.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { check, type CheckResult } from '../../src/check.js';
import type { PlumblineConfig } from '../../src/config/config.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

export interface Expectation {
  path: string;
  line: number;
  ruleId: string;
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

export function expectationsIn(dir: string): Expectation[] {
  const out: Expectation[] = [];
  for (const file of listFiles(dir)) {
    if (!/\.(sql|ts|js)$/.test(file)) continue;
    const lines = readFileSync(file, 'utf8').split(/\r?\n/);
    lines.forEach((text, i) => {
      const m = /(?:--|\/\/)\s*expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/.exec(text);
      if (!m) return;
      for (const id of m[1].split(',').map((s) => s.trim())) {
        out.push({ path: path.relative(dir, file).split(path.sep).join('/'), line: i + 1, ruleId: id });
      }
    });
  }
  return out.sort(compareExpectation);
}

export function compareExpectation(a: Expectation, b: Expectation): number {
  return a.path.localeCompare(b.path) || a.line - b.line || a.ruleId.localeCompare(b.ruleId);
}

export interface CaseOptions {
  pgVersion?: number;
  assumeInTransaction?: boolean;
  options?: Record<string, unknown>;
  migrations?: PlumblineConfig['migrations'];
  /** Other rules to run too (their findings are not compared): a suppression fixture needs rules to suppress. */
  alsoEnable?: string[];
  /** Rules to turn off (e.g. to show that a suppression naming a disabled rule is not "unused"). */
  disable?: string[];
}

/** Runs one case folder with only `ruleId` (plus syntax-error) enabled. */
export async function runCase(dir: string, ruleId: string): Promise<CheckResult> {
  const caseFile = path.join(dir, 'fixture.json');
  const opts: CaseOptions = existsSync(caseFile) ? JSON.parse(readFileSync(caseFile, 'utf8')) : {};
  const rules: PlumblineConfig['rules'] = { [ruleId]: opts.options ? ['error', opts.options] : 'error' };
  return check({
    root: dir,
    paths: ['.'],
    // A case folder is one plain migration set (V1__/001_ names are just an order) unless fixture.json
    // declares `migrations` (e.g. `[{ "path": ".", "framework": "flyway" }]` to exercise a framework's transaction mode).
    config: { preset: 'recommended', rules, migrations: opts.migrations ?? [{ path: '.', framework: 'plain' }], assumeInTransaction: opts.assumeInTransaction, pgVersion: opts.pgVersion },
    enableRules: [ruleId, 'syntax-error', ...(opts.alsoEnable ?? [])],
    // Only the rule under test (and syntax errors, which would mean a broken fixture) may report.
    disableRules: opts.disable ?? [],
  }).then((result) => ({
    ...result,
    findings: result.findings.filter((f) => f.ruleId === ruleId || f.ruleId === 'syntax-error'),
  }));
}

export function actualOf(result: CheckResult): Expectation[] {
  return result.findings
    .map((f) => ({ path: f.file.relPath, line: f.file.position(f.range.start).line, ruleId: f.ruleId }))
    .sort(compareExpectation);
}
