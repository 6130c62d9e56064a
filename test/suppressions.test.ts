/**
 * Suppression comments: scope, ids, squawk mapping, and the findings about suppressions themselves.
 */
import { describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check } from '../src/check.js';
import type { PlumblineConfig } from '../src/config/config.js';
import { SourceFile } from '../src/core/source.js';
import { bindSuppressions, findSuppressions } from '../src/engine/suppressions.js';

const RCI = 'require-concurrent-index';

/** Every migration and schema rule off: only the engine rules and those a test turns on run. */
const OFF = Object.fromEntries(allRules.filter((r) => r.family !== 'engine').map((r) => [r.id, 'off' as const]));

/** Runs `sql` as one plain migration with the given rules, returns [ruleId, line, message]. */
async function lint(sql: string, rules: PlumblineConfig['rules'] = { [RCI]: 'error' }, disable: string[] = []) {
  const result = await check({
    root: '/tmp',
    stdin: { text: sql, filename: 'V2__indexes.sql' },
    config: { preset: 'recommended', rules: { ...OFF, ...rules } },
    disableRules: disable,
  });
  return result.findings.map((f) => [f.ruleId, f.file.position(f.range.start).line, f.message] as const);
}

const ids = (findings: Awaited<ReturnType<typeof lint>>) => findings.map(([id, line]) => `${line}:${id}`);

describe('next-statement suppressions', () => {
  it('silence the next statement only', async () => {
    const sql = [
      '-- plumbline-ignore require-concurrent-index: orders is empty until the launch',
      'CREATE INDEX orders_status_idx ON orders (status);',
      'CREATE INDEX orders_created_idx ON orders (created_at);',
    ].join('\n');
    expect(ids(await lint(sql))).toEqual([`3:${RCI}`]);
  });

  it('bind to a statement that spans several lines, past blank lines and other comments', async () => {
    const sql = [
      '-- plumbline-ignore require-concurrent-index: built during the maintenance window',
      '',
      '-- dashboards filter on status',
      'CREATE INDEX orders_status_idx',
      '  ON orders (status);',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('a comment inside a statement applies to that statement (squawk style, between lines)', async () => {
    const sql = ['CREATE INDEX orders_status_idx', '  -- plumbline-ignore require-concurrent-index: tiny lookup table', '  ON orders (status);'].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('a comment at the end of a statement line applies to the NEXT statement', async () => {
    const sql = [
      'CREATE INDEX a_idx ON orders (a); -- plumbline-ignore require-concurrent-index: meant for the next one',
      'CREATE INDEX b_idx ON orders (b);',
    ].join('\n');
    expect(ids(await lint(sql))).toEqual([`1:${RCI}`]);
  });

  it('inside a DO body, binds to the next statement of the body', async () => {
    const sql = [
      'DO $$',
      'BEGIN',
      '  -- plumbline-ignore require-concurrent-index: audit table, written once a day',
      '  CREATE INDEX audit_at_idx ON audit (at);',
      '  CREATE INDEX audit_actor_idx ON audit (actor);',
      'END $$;',
    ].join('\n');
    expect(ids(await lint(sql))).toEqual([`5:${RCI}`]);
  });

  it('above a DO block, covers the statements in it', async () => {
    const sql = [
      '-- plumbline-ignore require-concurrent-index: audit table, written once a day',
      'DO $$ BEGIN',
      '  CREATE INDEX audit_at_idx ON audit (at);',
      'END $$;',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('a block comment works too', async () => {
    const sql = '/* plumbline-ignore require-concurrent-index: empty table */\nCREATE INDEX a_idx ON orders (a);';
    expect(await lint(sql)).toEqual([]);
  });
});

describe('file suppressions', () => {
  it('silence the rule everywhere in the file, wherever the comment is', async () => {
    const sql = [
      'CREATE INDEX a_idx ON orders (a);',
      '-- plumbline-ignore-file require-concurrent-index: this file runs before the app is deployed',
      'CREATE INDEX b_idx ON orders (b);',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('do not silence other rules', async () => {
    const sql = ['-- plumbline-ignore-file require-concurrent-index: bootstrap', 'CREATE INDEX a_idx ON orders (a);', 'SELEC 1;'].join('\n');
    expect(ids(await lint(sql))).toEqual(['3:syntax-error']);
  });
});

describe('ids', () => {
  it('several ids, separated by commas or spaces; each id is checked for use on its own', async () => {
    const both = [
      '-- plumbline-ignore-file syntax-error require-concurrent-index: vendored file, checked by hand',
      'CREATE INDEX a_idx ON orders (a);',
      'SELEC 1;',
    ].join('\n');
    expect(await lint(both)).toEqual([]);
    const one = ['-- plumbline-ignore syntax-error, require-concurrent-index: checked by hand', 'CREATE INDEX a_idx ON orders (a);'].join('\n');
    const findings = await lint(one);
    expect(ids(findings)).toEqual(['1:unused-suppression']);
    expect(findings[0][2]).toBe('`plumbline-ignore` suppresses `syntax-error`, but `syntax-error` reports nothing on the next statement.');
  });

  it('squawk-ignore maps squawk ids through sources.squawk', async () => {
    const sql = ['-- squawk-ignore require-concurrent-index-creation', 'CREATE INDEX a_idx ON orders (a);'].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('squawk-ignore-file, several ids, and squawk’s trailing `--` comment', async () => {
    const sql = [
      '-- squawk-ignore-file require-concurrent-index-creation, syntax-error -- legacy bootstrap file',
      'CREATE INDEX a_idx ON orders (a);',
      'SELEC 1;',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('a bare squawk-ignore covers every rule with a squawk equivalent, and is unused only when none fires', async () => {
    expect(await lint('-- squawk-ignore\nCREATE INDEX a_idx ON orders (a);')).toEqual([]);
    const unused = await lint('-- squawk-ignore\nCREATE INDEX CONCURRENTLY a_idx ON orders (a);');
    expect(ids(unused)).toEqual(['1:unused-suppression']);
    expect(unused[0][2]).toMatch(/every rule with a squawk equivalent/);
  });

  it('a squawk id Plumbline does not map is an invalid suppression', async () => {
    const findings = await lint('-- squawk-ignore ban-everything\nCREATE INDEX CONCURRENTLY a_idx ON orders (a);');
    expect(findings).toEqual([['invalid-suppression', 1, '`squawk-ignore` names `ban-everything`, which is not a squawk rule that Plumbline maps.']]);
  });
});

describe('invalid suppressions', () => {
  it('an unknown id is reported, the known ones still work', async () => {
    const sql = ['-- plumbline-ignore require-concurent-index, require-concurrent-index: typo next to the real id', 'CREATE INDEX a_idx ON orders (a);'].join('\n');
    expect(await lint(sql)).toEqual([
      ['invalid-suppression', 1, '`plumbline-ignore` names `require-concurent-index`, which is not a Plumbline rule.'],
    ]);
  });

  it('a missing reason is reported (and the suppression still applies)', async () => {
    const findings = await lint('-- plumbline-ignore require-concurrent-index\nCREATE INDEX a_idx ON orders (a);');
    expect(findings).toEqual([['invalid-suppression', 1, '`plumbline-ignore` gives no reason.']]);
    expect(await lint('-- plumbline-ignore require-concurrent-index:   \nCREATE INDEX a_idx ON orders (a);')).toHaveLength(1);
  });

  it('no id at all is reported', async () => {
    const findings = await lint('-- plumbline-ignore: trust me\nCREATE INDEX a_idx ON orders (a);');
    expect(ids(findings)).toEqual(['1:invalid-suppression', `2:${RCI}`]);
    expect(findings[0][2]).toBe('`plumbline-ignore` names no rule.');
  });

  it('a suppression comment inside a string literal is not a suppression', async () => {
    const sql = [
      "INSERT INTO notes (body) VALUES ('-- plumbline-ignore require-concurrent-index: not a comment');",
      'CREATE INDEX a_idx ON orders (a);',
      "SELECT $$ -- plumbline-ignore-file require-concurrent-index: nor this $$;",
      "SELECT E'\\' -- plumbline-ignore-file nope';",
    ].join('\n');
    expect(ids(await lint(sql))).toEqual([`2:${RCI}`]);
  });

  it('a comment inside a function body is not a suppression', async () => {
    const sql = [
      'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$',
      'BEGIN',
      '  -- plumbline-ignore-file require-concurrent-index: inside a function',
      'END $$;',
      'CREATE INDEX a_idx ON orders (a);',
    ].join('\n');
    expect(ids(await lint(sql))).toEqual([`5:${RCI}`]);
  });

  it('text that merely mentions plumbline-ignore is not a suppression', async () => {
    const sql = '-- note: use plumbline-ignore sparingly\n-- plumbline-ignored-things: none\nCREATE INDEX a_idx ON orders (a);';
    expect(ids(await lint(sql))).toEqual([`3:${RCI}`]);
  });
});

describe('unused suppressions', () => {
  it('a suppression that silences nothing is reported at the comment', async () => {
    const sql = ['-- plumbline-ignore require-concurrent-index: big table', 'CREATE INDEX CONCURRENTLY a_idx ON orders (a);'].join('\n');
    expect(await lint(sql)).toEqual([
      ['unused-suppression', 1, '`plumbline-ignore` suppresses `require-concurrent-index`, but `require-concurrent-index` reports nothing on the next statement.'],
    ]);
  });

  it('an unused file suppression says so', async () => {
    const findings = await lint('-- plumbline-ignore-file require-concurrent-index: old habits\nSELECT 1;');
    expect(findings[0][2]).toMatch(/reports nothing in this file/);
  });

  it('a suppression for a disabled rule is not unused', async () => {
    const sql = ['-- plumbline-ignore require-concurrent-index: big table', 'CREATE INDEX CONCURRENTLY a_idx ON orders (a);'].join('\n');
    expect(await lint(sql, { [RCI]: 'off' })).toEqual([]);
    expect(await lint(sql, { [RCI]: 'error' }, [RCI])).toEqual([]);
  });

  it('with the suppression rules off, nothing about suppressions is reported', async () => {
    const sql = '-- plumbline-ignore nope\nCREATE INDEX CONCURRENTLY a_idx ON orders (a);\n-- plumbline-ignore require-concurrent-index: x\nSELECT 1;';
    expect(await lint(sql, { [RCI]: 'error', 'invalid-suppression': 'off', 'unused-suppression': 'off' })).toEqual([]);
  });
});

describe('findSuppressions / bindSuppressions', () => {
  it('parse the comment into scope, ids, reason and range', () => {
    const text = 'SELECT 1;\n  -- plumbline-ignore-file  a-rule ,b-rule : the reason: with a colon  \nSELECT 2;';
    const file = new SourceFile('/f.sql', 'f.sql', text);
    const [s] = findSuppressions(file, [{ start: 0, end: text.length }], new Set(['a-rule', 'b-rule']), new Map());
    expect(s).toMatchObject({ scope: 'file', ruleIds: ['a-rule', 'b-rule'], unknownIds: [], reason: 'the reason: with a colon', origin: 'plumbline' });
    expect(text.slice(s.range.start, s.range.end)).toBe('-- plumbline-ignore-file  a-rule ,b-rule : the reason: with a colon  ');
  });

  it('only read the given sections of a file', () => {
    const text = '-- plumbline-ignore a: x\nSELECT 1;\n-- plumbline-ignore b: y\n';
    const file = new SourceFile('/f.sql', 'f.sql', text);
    const found = findSuppressions(file, [{ start: 25, end: text.length }], new Set(['a', 'b']), new Map());
    expect(found.map((s) => s.ruleIds)).toEqual([['b']]);
  });

  it('bind to the next statement, the enclosing one, or nothing at the end of the file', () => {
    const text = '-- plumbline-ignore a: x\nSELECT 1;\nSELECT (\n-- plumbline-ignore a: y\n2);\n-- plumbline-ignore a: z\n';
    const file = new SourceFile('/f.sql', 'f.sql', text);
    const found = findSuppressions(file, [{ start: 0, end: text.length }], new Set(['a']), new Map());
    const s1 = { start: 25, end: 33 };
    const s2 = { start: 35, end: text.indexOf('2)') + 2 };
    bindSuppressions(found, [s2, s1]);
    expect(found.map((s) => s.target)).toEqual([s1, s2, undefined]);
  });
});

describe('suppressing the suppression rules', () => {
  it('plumbline-ignore-file unused-suppression silences unused ones and is itself used', async () => {
    const sql = [
      '-- plumbline-ignore-file unused-suppression: kept for the PostgreSQL 11 run',
      '-- plumbline-ignore require-concurrent-index: only fires on PostgreSQL 11',
      'CREATE INDEX CONCURRENTLY a_idx ON orders (a);',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  it('plumbline-ignore-file invalid-suppression silences invalid ones and is itself used', async () => {
    const sql = ['-- plumbline-ignore-file invalid-suppression: generated file', '-- plumbline-ignore require-concurrent-index', 'CREATE INDEX a_idx ON orders (a);'].join('\n');
    expect(await lint(sql)).toEqual([]);
  });
});

describe('schema rules', () => {
  const PK = 'require-primary-key';

  it('a suppression above the CREATE TABLE silences the schema finding about that table, and is used', async () => {
    const sql = [
      '-- plumbline-ignore require-primary-key: staging rows, truncated after each import',
      'CREATE TABLE import_rows (line text);',
      'CREATE TABLE audit_rows (line text);',
    ].join('\n');
    expect(ids(await lint(sql, { [PK]: 'error' }))).toEqual([`3:${PK}`]);
  });

  it('a suppression of a schema rule that reports nothing there is unused', async () => {
    const sql = ['-- plumbline-ignore require-primary-key: legacy', 'CREATE TABLE orders (id bigint PRIMARY KEY);'].join('\n');
    expect(ids(await lint(sql, { [PK]: 'error' }))).toEqual(['1:unused-suppression']);
  });
});
