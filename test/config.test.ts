/**
 * Configuration: schema validation with messages that name the JSON path, loading, presets, and
 * which rules run at which severity with which options.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check } from '../src/check.js';
import { ConfigError, configSchema, loadConfig, resolveRules, validateConfig, type PlumblineConfig } from '../src/config/config.js';
import { defineRule, type Rule, type RuleMeta } from '../src/core/rule.js';

function meta(overrides: Partial<RuleMeta> = {}): RuleMeta {
  return {
    description: 'A test rule description.',
    rationale: 'Because tests need a rule to configure.',
    remedy: 'Nothing to do.',
    severity: 'warning',
    precision: 'high',
    tags: ['test'],
    recommended: true,
    sources: {},
    ...overrides,
  };
}

/** A small, fixed rule set so that presets and options do not depend on the real rules. */
const RULES: Rule[] = [
  defineRule({ id: 'rec-rule', family: 'engine', meta: meta() }),
  defineRule({ id: 'not-rec-rule', family: 'engine', meta: meta({ recommended: false, severity: 'note' }) }),
  defineRule({ id: 'experimental-rule', family: 'engine', meta: meta({ experimental: true, severity: 'error' }) }),
  defineRule({
    id: 'options-rule',
    family: 'engine',
    meta: meta({
      severity: 'error',
      options: {
        type: 'object',
        properties: { maxRows: { type: 'integer', minimum: 1 }, mode: { enum: ['strict', 'loose'] } },
        additionalProperties: false,
      },
      defaultOptions: { maxRows: 1000 },
    }),
  }),
];

function invalid(value: unknown, rules: Rule[] = RULES): string {
  try {
    validateConfig(value, rules, 'plumbline.config.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

function lines(message: string): string[] {
  return message.split('\n').slice(1).map((l) => l.replace(/^\s+- /, ''));
}

describe('schema validation', () => {
  it('accepts a full configuration', () => {
    const config: PlumblineConfig = {
      $schema: './node_modules/plumbline/schema/plumbline.config.schema.json',
      preset: 'strict',
      pgVersion: 15,
      paths: ['db/migrations'],
      migrations: [{ path: 'db/migrations', framework: 'flyway', transactional: false }],
      assumeInTransaction: true,
      ignore: ['**/legacy/**'],
      rules: { 'rec-rule': 'off', 'not-rec-rule': 'note', 'options-rule': ['warning', { maxRows: 10, mode: 'loose' }] },
    };
    expect(validateConfig(config, RULES, 'x')).toBe(config);
    expect(validateConfig({}, RULES, 'x')).toEqual({});
  });

  it('a bad severity names the rule and the allowed values, without oneOf noise', () => {
    const message = invalid({ rules: { 'rec-rule': 'fatal' } });
    expect(message.split('\n')[0]).toBe('Invalid configuration in plumbline.config.json:');
    expect(lines(message)).toEqual(['rules.rec-rule: must be one of "off", "error", "warning", "note"']);
    expect(lines(invalid({ rules: { 'options-rule': ['fatal'] } }))).toEqual([
      'rules.options-rule[0]: must be one of "off", "error", "warning", "note"',
    ]);
  });

  it('the real rule set names its rules too', () => {
    expect(lines(invalid({ rules: { 'require-concurrent-index': 'fatal' } }, allRules))).toEqual([
      'rules.require-concurrent-index: must be one of "off", "error", "warning", "note"',
    ]);
  });

  it('options: unknown option, wrong type, bad enum value, too many items', () => {
    expect(lines(invalid({ rules: { 'options-rule': ['error', { maxRow: 5 }] } }))).toEqual(['rules.options-rule[1]: unknown option `maxRow`']);
    expect(lines(invalid({ rules: { 'options-rule': ['error', { maxRows: 0 }] } }))).toEqual(['rules.options-rule[1].maxRows: must be >= 1']);
    expect(lines(invalid({ rules: { 'options-rule': ['error', { mode: 'lenient' }] } }))).toEqual([
      'rules.options-rule[1].mode: must be one of "strict", "loose"',
    ]);
    expect(lines(invalid({ rules: { 'options-rule': ['error', {}, {}] } }))).toEqual(['rules.options-rule: must NOT have more than 2 items']);
    // A rule without options accepts only an empty options object.
    expect(lines(invalid({ rules: { 'rec-rule': ['error', { anything: true }] } }))).toEqual(['rules.rec-rule[1]: unknown option `anything`']);
  });

  it('unknown top-level property, unknown rule, nested paths', () => {
    expect(lines(invalid({ colour: true }))).toEqual(['(top level): unknown property `colour`']);
    expect(lines(invalid({ rules: { 'no-such-rule': 'error' } }))).toEqual(['rules: unknown rule `no-such-rule` (run `plumbline rules` to list them)']);
    expect(lines(invalid({ migrations: [{ path: 'db', framework: 'rails' }] }))[0]).toMatch(/^migrations\[0\]\.framework: must be one of "plain", "flyway"/);
    expect(lines(invalid({ migrations: [{ framework: 'flyway' }] }))).toEqual(["migrations[0]: must have required property 'path'"]);
    expect(lines(invalid({ ignore: ['ok', ''] }))).toEqual(['ignore[1]: must NOT have fewer than 1 characters']);
  });

  it('pgVersion, preset and booleans', () => {
    expect(lines(invalid({ pgVersion: 10 }))).toEqual(['pgVersion: must be >= 11']);
    expect(lines(invalid({ pgVersion: '16' }))).toEqual(['pgVersion: must be integer']);
    expect(lines(invalid({ preset: 'strictest' }))).toEqual(['preset: must be one of "recommended", "strict", "all"']);
    expect(lines(invalid({ assumeInTransaction: 'yes' }))).toEqual(['assumeInTransaction: must be boolean']);
    expect(lines(invalid([]))).toEqual(['(top level): must be object']);
  });

  it('reports every problem at once', () => {
    expect(lines(invalid({ preset: 'x', pgVersion: 99, extra: 1 }))).toHaveLength(3);
  });

  it('the JSON schema is strict and lists every rule', () => {
    const schema = configSchema(allRules) as { additionalProperties: boolean; properties: { rules: { properties: Record<string, unknown> } } };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.rules.properties).sort()).toEqual(allRules.map((r) => r.id).sort());
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no file: an empty configuration', () => {
    expect(loadConfig(dir, undefined, RULES)).toEqual({ config: {} });
  });

  it('reads plumbline.config.json from the root', () => {
    writeFileSync(path.join(dir, 'plumbline.config.json'), JSON.stringify({ pgVersion: 14 }));
    expect(loadConfig(dir, undefined, RULES)).toEqual({ config: { pgVersion: 14 }, path: path.join(dir, 'plumbline.config.json') });
    rmSync(path.join(dir, 'plumbline.config.json'));
  });

  it('an explicit file that does not exist is an error', () => {
    expect(() => loadConfig(dir, 'missing.json', RULES)).toThrow(new ConfigError('Configuration file not found: missing.json'));
  });

  it('invalid JSON names the file and the parse error', () => {
    writeFileSync(path.join(dir, 'broken.json'), '{ "pgVersion": 16, }');
    expect(() => loadConfig(dir, 'broken.json', RULES)).toThrow(/^broken\.json is not valid JSON: /);
  });

  it('schema errors name the file', () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ preset: 'nope' }));
    expect(() => loadConfig(dir, 'bad.json', RULES)).toThrow(/^Invalid configuration in bad\.json:\n {2}- preset: must be one of/);
  });

  it('check() surfaces config errors as ConfigError', async () => {
    writeFileSync(path.join(dir, 'bad2.json'), JSON.stringify({ rules: { 'require-concurrent-index': 'fatal' } }));
    await expect(check({ root: dir, configPath: 'bad2.json', paths: [dir] })).rejects.toThrow(
      /rules\.require-concurrent-index: must be one of "off", "error", "warning", "note"/,
    );
  });
});

describe('resolveRules', () => {
  const on = (config: PlumblineConfig, overrides?: Parameters<typeof resolveRules>[2]) =>
    Object.fromEntries(resolveRules(RULES, config, overrides).map((r) => [r.rule.id, [r.severity, r.options]]));

  it('presets: recommended (default), strict, all', () => {
    expect(Object.keys(on({}))).toEqual(['rec-rule', 'options-rule']);
    expect(Object.keys(on({ preset: 'recommended' }))).toEqual(['rec-rule', 'options-rule']);
    expect(Object.keys(on({ preset: 'strict' }))).toEqual(['rec-rule', 'not-rec-rule', 'options-rule']);
    expect(Object.keys(on({ preset: 'all' }))).toEqual(['rec-rule', 'not-rec-rule', 'experimental-rule', 'options-rule']);
  });

  it('severities and options per rule', () => {
    expect(
      on({
        rules: {
          'rec-rule': 'off',
          'not-rec-rule': 'error',
          'experimental-rule': 'warning',
          'options-rule': ['note', { maxRows: 5 }],
        },
      }),
    ).toEqual({
      'not-rec-rule': ['error', {}],
      'experimental-rule': ['warning', {}],
      'options-rule': ['note', { maxRows: 5 }],
    });
    // `[severity]` without options keeps the rule's defaults (merged by the engine); `['off', …]` turns it off.
    expect(on({ rules: { 'options-rule': ['warning'] } })['options-rule']).toEqual(['warning', {}]);
    expect(on({ rules: { 'options-rule': ['off', { maxRows: 5 }] } })['options-rule']).toBeUndefined();
  });

  it('--rule and --disable-rule win over the configuration', () => {
    const result = on({ rules: { 'not-rec-rule': 'off', 'rec-rule': 'error' } }, { enable: ['not-rec-rule'], disable: ['rec-rule'] });
    expect(result).toEqual({ 'not-rec-rule': ['note', {}], 'options-rule': ['error', {}] });
  });

  it('--rule / --disable-rule with an unknown id is an error', () => {
    expect(() => resolveRules(RULES, {}, { enable: ['nope'] })).toThrow(new ConfigError('Unknown rule `nope`. Run `plumbline rules` to list them.'));
    expect(() => resolveRules(RULES, {}, { disable: ['also-nope'] })).toThrow(/Unknown rule `also-nope`/);
  });

  it('the real recommended preset has no experimental rule and includes the engine rules', () => {
    const ids = resolveRules(allRules, {}).map((r) => r.rule.id);
    expect(ids).toContain('syntax-error');
    expect(ids).toContain('invalid-suppression');
    expect(ids).toContain('unused-suppression');
    for (const r of resolveRules(allRules, {})) expect(r.rule.meta.experimental ?? false).toBe(false);
  });
});
