/**
 * Every rule: has a docs page, fixture folders with invalid and valid cases, fires exactly on the
 * lines marked `expect:` and stays silent on valid look-alikes; its autofixes re-parse and clear it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { parseSql, loadParser } from '../src/sql/parse.js';
import { actualOf, expectationsIn, FIXTURES, runCase } from './helpers/fixtures.js';

const DOCS = path.resolve(import.meta.dirname, '../docs/rules');
const checkedRules = allRules.filter((r) => r.family !== 'engine' || r.id === 'syntax-error' || r.id.endsWith('suppression'));

describe.each(checkedRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
  const dir = path.join(FIXTURES, 'rules', id);
  const cases = existsSync(dir) ? readdirSync(dir).filter((d) => statSync(path.join(dir, d)).isDirectory()) : [];

  it('has a docs page', () => {
    expect(existsSync(path.join(DOCS, `${id}.md`)), `docs/rules/${id}.md`).toBe(true);
  });

  it('has invalid and valid fixture cases', () => {
    expect(cases.some((c) => c.startsWith('invalid')), `fixtures/rules/${id}/invalid*`).toBe(true);
    expect(cases.some((c) => c.startsWith('valid')), `fixtures/rules/${id}/valid*`).toBe(true);
  });

  it('has complete metadata', () => {
    expect(rule.meta.description.length).toBeGreaterThan(10);
    expect(rule.meta.rationale.length).toBeGreaterThan(20);
    expect(rule.meta.remedy.length).toBeGreaterThan(10);
    expect(rule.meta.tags.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`fixture ${c}`, async () => {
      const caseDir = path.join(dir, c);
      const expected = expectationsIn(caseDir);
      if (c.startsWith('valid')) expect(expected, 'valid cases carry no expect: markers').toEqual([]);
      else expect(expected.length, 'invalid cases mark at least one finding').toBeGreaterThan(0);
      const result = await runCase(caseDir, id);
      expect(actualOf(result)).toEqual(expected);
      for (const f of result.findings) {
        expect(f.message).toMatch(/\S/);
        expect(f.why).toMatch(/\S/);
        expect(f.remedy).toMatch(/\S/);
      }
      // Autofixes: applying them yields SQL that still parses.
      await loadParser();
      for (const f of result.findings.filter((x) => x.fix)) {
        let text = f.file.text;
        for (const edit of [...f.fix!.edits].sort((a, b) => b.range.start - a.range.start)) {
          text = text.slice(0, edit.range.start) + edit.text + text.slice(edit.range.end);
        }
        expect(parseSql(text).errors, `fix for ${f.file.relPath}:${f.file.position(f.range.start).line}`).toEqual([]);
      }
    });
  }
});
