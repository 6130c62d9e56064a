/** Docs pages: required sections, generated blocks up to date, and every example executed. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check } from '../src/check.js';
import { generatedFiles } from '../src/docs/generate.js';

const DOCS = path.resolve(import.meta.dirname, '../docs/rules');

/**
 * Runs a docs example alone. An example made of several files (an up and its down, two migrations)
 * marks each with a `-- file: <name>` line; they are written to a temporary folder and discovered like a
 * real project, so the framework layout (golang-migrate pairs, dbmate sections) applies.
 */
async function runExample(ruleId: string, sql: string) {
  const config = { preset: 'recommended' as const, rules: { [ruleId]: 'error' as const } };
  const parts = sql.split(/^-- file: (\S+)\n/m);
  if (parts.length === 1) {
    return check({ root: DOCS, stdin: { text: sql, filename: `${ruleId}.example.sql` }, config, enableRules: [ruleId] });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-docs-'));
  try {
    for (let i = 1; i < parts.length; i += 2) writeFileSync(path.join(dir, parts[i]), parts[i + 1]);
    return await check({ root: dir, paths: ['.'], config, enableRules: [ruleId] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** A TypeScript example: one file, or several marked by `// file: <path>` lines, checked as a small project. */
async function runCodeExample(ruleId: string, code: string) {
  const config = { preset: 'recommended' as const, rules: { [ruleId]: 'error' as const } };
  const parts = code.split(/^\/\/ file: (\S+)\n/m);
  const files: Array<[string, string]> = parts.length === 1 ? [['src/example.ts', code]] : [];
  for (let i = 1; i < parts.length; i += 2) files.push([parts[i], parts[i + 1]]);
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-docs-'));
  try {
    for (const [name, text] of files) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return await check({ root: dir, paths: ['.'], config, enableRules: [ruleId] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const REQUIRED = ['## What it flags', '## Why it matters', '## How to fix', '## Examples', '## Known limits'];

describe('docs', () => {
  it('generated blocks, README table and config schema are up to date (run `npm run docs`)', () => {
    const { files, problems } = generatedFiles();
    expect(problems).toEqual([]);
    for (const [file, content] of files) {
      expect(existsSync(file) ? readFileSync(file, 'utf8') : '', path.relative(process.cwd(), file)).toBe(content);
    }
  });

  for (const rule of allRules) {
    const file = path.join(DOCS, `${rule.id}.md`);
    if (!existsSync(file)) continue; // rules.test.ts reports the missing page
    const text = readFileSync(file, 'utf8');

    it(`${rule.id}: has the required sections`, () => {
      expect(text.startsWith(`# ${rule.id}\n`)).toBe(true);
      for (const heading of REQUIRED) expect(text, heading).toContain(`\n${heading}`);
    });

    const examples = [...text.matchAll(/```sql (bad|good)\n([\s\S]*?)```/g)];
    // Schema rules judge the schema the example's migrations build: run the same way.
    if (rule.family === 'migration' || rule.family === 'schema') {
      it(`${rule.id}: examples are executed (bad fires, good is silent)`, async () => {
        expect(examples.some((e) => e[1] === 'bad')).toBe(true);
        for (const [, kind, sql] of examples) {
          const result = await runExample(rule.id, sql);
          const own = result.findings.filter((f) => f.ruleId === rule.id);
          const syntax = result.findings.filter((f) => f.ruleId === 'syntax-error');
          expect(syntax, `${kind} example parses`).toEqual([]);
          if (kind === 'bad') expect(own.length, `bad example:\n${sql}`).toBeGreaterThan(0);
          else expect(own.map((f) => f.message), `good example:\n${sql}`).toEqual([]);
        }
      });
    }
    const codeExamples = [...text.matchAll(/```ts (bad|good)\n([\s\S]*?)```/g)];
    if (rule.family === 'code') {
      it(`${rule.id}: TypeScript examples are executed (bad fires, good is silent)`, async () => {
        expect(codeExamples.some((e) => e[1] === 'bad')).toBe(true);
        for (const [, kind, code] of codeExamples) {
          const result = await runCodeExample(rule.id, code);
          const own = result.findings.filter((f) => f.ruleId === rule.id);
          if (kind === 'bad') expect(own.length, `bad example:\n${code}`).toBeGreaterThan(0);
          else expect(own.map((f) => f.message), `good example:\n${code}`).toEqual([]);
        }
      });
    }
  }
});
