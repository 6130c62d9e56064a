/**
 * The ESLint plugin (`plumbline/eslint`): its shape, every code rule through typescript-eslint's RuleTester
 * on the rule's own fixture cases (each file linted alone, imports read from disk), and the real ESLint API
 * over a project configured with eslint.config.js — with and without `projectService` — giving exactly the
 * findings of `plumbline check` on the same files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RuleTester } from '@typescript-eslint/rule-tester';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check } from '../src/check.js';
import type { CodeRule } from '../src/core/rule.js';
import plugin from '../src/eslint/plugin.js';
import { expectationsIn, FIXTURES, listFiles } from './helpers/fixtures.js';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const codeRules = allRules.filter((r): r is CodeRule => r.family === 'code');
const ROOT = path.resolve(import.meta.dirname, '..');

describe('plugin object', () => {
  it('is an ESLint flat-config plugin with meta, one rule per code rule and two presets', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(plugin.meta).toEqual({ name: 'plumbline', version: pkg.version });
    expect(Object.keys(plugin.rules).sort()).toEqual([...codeRules.map((r) => r.id), 'migrations'].sort());
    for (const r of codeRules) {
      const meta = plugin.rules[r.id].meta;
      expect(meta.docs?.url).toBe(`https://github.com/plumbline-dev/plumbline/blob/main/docs/rules/${r.id}.md`);
      expect(meta.docs?.description).toBe(r.meta.description);
    }
    const recommended = Object.keys(plugin.configs.recommended.rules ?? {});
    expect(recommended).toEqual([...codeRules.filter((r) => r.meta.recommended && !r.meta.experimental).map((r) => `plumbline/${r.id}`), 'plumbline/migrations']);
    expect(Object.keys(plugin.configs.strict.rules ?? {}).length).toBeGreaterThanOrEqual(recommended.length);
    expect(pkg.exports['./eslint']).toBe('./dist/src/eslint/plugin.js');
  });
});

/** Each fixture case of each code rule, file by file, through RuleTester: same lines and columns as the CLI. */
describe('RuleTester on the rules’ fixtures', async () => {
  const ruleTester = new RuleTester();
  for (const rule of codeRules) {
    const dir = path.join(FIXTURES, 'rules', rule.id);
    if (!existsSync(dir)) continue;
    const valid: RuleTester.ValidTestCase<[Record<string, unknown>]>[] = [];
    const invalid: RuleTester.InvalidTestCase<'finding', [Record<string, unknown>]>[] = [];
    for (const c of readdirSync(dir).sort()) {
      const caseDir = path.join(dir, c);
      if (!statSync(caseDir).isDirectory()) continue;
      const fixture = existsSync(path.join(caseDir, 'fixture.json')) ? JSON.parse(readFileSync(path.join(caseDir, 'fixture.json'), 'utf8')) : {};
      const options = fixture.options ? [fixture.options] : undefined;
      const cli = await check({ root: caseDir, paths: ['.'], config: { preset: 'recommended', rules: { [rule.id]: options ? ['error', fixture.options] : 'error' } }, enableRules: [rule.id] });
      const expected = expectationsIn(caseDir);
      for (const file of listFiles(caseDir).filter((f) => /\.tsx?$/.test(f))) {
        const rel = path.relative(caseDir, file).split(path.sep).join('/');
        const code = readFileSync(file, 'utf8');
        const findings = cli.findings.filter((f) => f.ruleId === rule.id && f.file.relPath === rel);
        // The CLI's findings (rules.test.ts checks they match the markers) pin lines and columns for ESLint.
        void expected;
        const name = `${rule.id}/${c}/${rel}`;
        if (findings.length === 0) valid.push({ name, code, filename: file, ...(options ? { options } : {}) });
        else {
          invalid.push({
            name,
            code,
            filename: file,
            ...(options ? { options } : {}),
            errors: findings
              .sort((a, b) => a.range.start - b.range.start)
              .map((f) => {
                const start = f.file.position(f.range.start);
                return { messageId: 'finding' as const, line: start.line, column: utf16Column(code, f.range.start) };
              }),
          });
        }
      }
    }
    ruleTester.run(rule.id, plugin.rules[rule.id] as never, { valid, invalid });
  }
});

/** ESLint reports 1-based columns in UTF-16 code units. */
function utf16Column(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return offset - lineStart + 1;
}

describe('migration rules on migrations written in TypeScript, through ESLint', () => {
  it('reports the CLI’s migration findings at the same TypeScript lines', async () => {
    const project = path.join(FIXTURES, 'frameworks', 'knex');
    const eslint = new ESLint({
      cwd: project,
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: (await import('typescript-eslint')).default.parser } }, plugin.configs.recommended as never],
    });
    const results = await eslint.lintFiles(['**/*.ts']);
    const viaEslint = results
      .flatMap((r) => r.messages.filter((m) => m.ruleId === 'plumbline/migrations').map((m) => `${path.relative(project, r.filePath).split(path.sep).join('/')}:${m.line}:${m.column} ${m.message.split(':')[0]}`))
      .sort();
    const cli = await check({ root: project, paths: ['.'], config: { preset: 'recommended' } });
    const viaCli = cli.findings
      .filter((f) => f.file.relPath.endsWith('.ts') && allRules.find((r) => r.id === f.ruleId)?.family !== 'code')
      .map((f) => {
        const p = f.file.position(f.range.start);
        return `${f.file.relPath}:${p.line}:${p.column} ${f.ruleId}`;
      })
      .sort();
    expect(viaCli.length).toBeGreaterThan(0);
    expect(viaEslint).toEqual(viaCli);
  });
});

describe('ESLint Node API on a project with eslint.config.js', () => {
  const project = path.join(FIXTURES, 'eslint-project');
  for (const projectService of [false, true]) {
    it(`gives the same findings as \`plumbline check\` (projectService: ${projectService})`, async () => {
      const eslint = new ESLint({
        cwd: project,
        ...(projectService ? { overrideConfig: { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: project } } } } : {}),
      });
      const results = await eslint.lintFiles(['src/**/*.ts']);
      const viaEslint = results
        .flatMap((r) => r.messages.map((m) => `${path.relative(project, r.filePath).split(path.sep).join('/')}:${m.line}:${m.column} ${m.ruleId}`))
        .sort();
      expect(results.flatMap((r) => r.messages.filter((m) => m.fatal || !m.ruleId?.startsWith('plumbline/')))).toEqual([]);
      const recommended = codeRules.filter((r) => r.meta.recommended && !r.meta.experimental).map((r) => r.id);
      const cli = await check({ root: project, paths: ['src'], config: { preset: 'recommended' }, enableRules: recommended });
      const viaCli = cli.findings
        .filter((f) => recommended.includes(f.ruleId))
        .map((f) => `${f.file.relPath}:${f.file.position(f.range.start).line}:${utf16Column(f.file.text, f.range.start)} plumbline/${f.ruleId}`)
        .sort();
      expect(viaEslint).toEqual(viaCli);
      expect(viaEslint.length).toBeGreaterThanOrEqual(5);
    });
  }
});
