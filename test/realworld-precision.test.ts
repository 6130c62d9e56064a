/**
 * Regressions from the precision review on real-world migrations (Prisma, Diesel, golang-migrate,
 * Flyway, plain SQL): behaviour the fixture harness cannot express (a fix that must NOT be offered, the
 * wording of a lock sentence). The look-alikes that must stay silent are fixture cases (`valid-*`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { FIXTURES, runCase } from './helpers/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-precision-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('CONCURRENTLY inside a DO block', () => {
  for (const ruleId of ['require-concurrent-index', 'require-concurrent-index-drop']) {
    it(`${ruleId}: reports, but offers no autofix and says why`, async () => {
      const result = await runCase(path.join(FIXTURES, 'rules', ruleId, 'invalid-do-block'), ruleId);
      const findings = result.findings.filter((f) => f.ruleId === ruleId);
      expect(findings).toHaveLength(1);
      // PostgreSQL refuses CONCURRENTLY in a function body: a "safe" fix would break the migration.
      expect(findings[0].fix).toBeUndefined();
      expect(findings[0].remedy).toMatch(/DO block/);
    });
  }
});

describe('lock sentences name the sub-command at fault', () => {
  it('a type change in an ALTER TABLE that also sets a default is worded as the type change', async () => {
    const dir = folder({
      'V1__create_line_items.sql': 'CREATE TABLE line_items (id bigint PRIMARY KEY, quantity integer NOT NULL, unit_price integer NOT NULL);\n',
      'V2__prices_in_decimal.sql': 'ALTER TABLE line_items ALTER COLUMN unit_price SET DEFAULT 0, ALTER COLUMN unit_price SET DATA TYPE numeric(12,2);\n',
    });
    const result = await check({
      root: dir,
      paths: ['.'],
      config: { preset: 'recommended', rules: {}, migrations: [{ path: '.', framework: 'plain' }] },
      enableRules: ['no-rewriting-type-change'],
    });
    const finding = result.findings.find((f) => f.ruleId === 'no-rewriting-type-change');
    expect(finding?.why).toMatch(/^`ALTER TABLE … ALTER COLUMN … TYPE` takes an ACCESS EXCLUSIVE lock/);
  });
});
