/**
 * Realistic services (fixtures/services/*): every code rule runs over the whole project, and the
 * findings must be exactly the lines marked `// expect: <rule-id>` — the hazards fire, the correct
 * look-alikes beside them stay silent.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check } from '../src/check.js';
import { actualOf, expectationsIn, FIXTURES } from './helpers/fixtures.js';

const SERVICES = path.join(FIXTURES, 'services');
const codeRuleIds = allRules.filter((r) => r.family === 'code').map((r) => r.id);

describe('services', () => {
  const names = existsSync(SERVICES) ? readdirSync(SERVICES).sort() : [];
  it('has one realistic service per framework', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });
  for (const name of names) {
    it(name, async () => {
      const dir = path.join(SERVICES, name);
      const result = await check({ root: dir, paths: ['.'], config: { preset: 'all' }, enableRules: codeRuleIds });
      const actual = actualOf({ ...result, findings: result.findings.filter((f) => codeRuleIds.includes(f.ruleId)) });
      expect(result.notifications.filter((n) => n.level !== 'note')).toEqual([]);
      expect(actual).toEqual(expectationsIn(dir));
    });
  }
});
