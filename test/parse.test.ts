/**
 * SQL parsing: statement ranges in UTF-16 offsets (libpg-query speaks UTF-8 bytes), positions in code
 * points, recovery from broken statements, and DDL extracted from DO blocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SourceFile, Utf8Index } from '../src/core/source.js';
import { loadParser, parseSql, splitStatements, sqlComments, type SqlStatement } from '../src/sql/parse.js';

beforeAll(loadParser);

/** The statements of `sql` as [kind, text] with the text cut from the file by range. */
function cut(sql: string): Array<[string, string]> {
  return parseSql(sql).statements.map((s) => [s.kind, sql.slice(s.range.start, s.range.end)]);
}

function at(sql: string, needle: string, from = 0): number {
  const i = sql.indexOf(needle, from);
  if (i < 0) throw new Error(`${needle} not in test SQL`);
  return i;
}

describe('statement ranges', () => {
  it('are UTF-16 offsets after accents, emoji and CJK in comments and string literals', () => {
    const sql = [
      '-- Größe der Bestellungen 😀 注文テーブル',
      "INSERT INTO notes (body) VALUES ('crème brûlée 🍮 和菓子');",
      '/* ✓ état: prêt — 完了 */ CREATE TABLE orders (id bigint);',
      "SELECT '🎉🎉' AS party, 'ü' AS u; ALTER TABLE orders ADD COLUMN note text;",
    ].join('\n');
    const parsed = parseSql(sql);
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['InsertStmt', 'CreateStmt', 'SelectStmt', 'AlterTableStmt']);
    const expected = [
      "INSERT INTO notes (body) VALUES ('crème brûlée 🍮 和菓子')",
      'CREATE TABLE orders (id bigint)',
      "SELECT '🎉🎉' AS party, 'ü' AS u",
      'ALTER TABLE orders ADD COLUMN note text',
    ];
    parsed.statements.forEach((s, i) => {
      expect(s.range).toEqual({ start: at(sql, expected[i]), end: at(sql, expected[i]) + expected[i].length });
      expect(s.text).toBe(expected[i]);
    });
  });

  it('handles CRLF line endings', () => {
    const sql = 'CREATE TABLE a (id int);\r\n\r\n-- next\r\nCREATE INDEX a_id ON a (id);\r\n';
    expect(cut(sql)).toEqual([
      ['CreateStmt', 'CREATE TABLE a (id int)'],
      ['IndexStmt', 'CREATE INDEX a_id ON a (id)'],
    ]);
    const file = new SourceFile('/x.sql', 'x.sql', sql);
    const index = parseSql(sql).statements[1];
    expect(index.range.start).toBe(37);
    expect(file.position(index.range.start)).toEqual({ line: 4, column: 1 });
    expect(file.position(index.range.end)).toEqual({ line: 4, column: 28 });
    expect(file.lineText(4)).toBe('CREATE INDEX a_id ON a (id);');
  });

  it('excludes leading and trailing comments and the semicolon', () => {
    const sql = '-- head\nSELECT 1 -- trailing\n;\n/* a */ SELECT 2 /* b */;\nSELECT 3\n-- end of file\n';
    expect(cut(sql)).toEqual([
      ['SelectStmt', 'SELECT 1'],
      ['SelectStmt', 'SELECT 2'],
      ['SelectStmt', 'SELECT 3'],
    ]);
  });

  it('keeps semicolons inside dollar-quoted function bodies', () => {
    const sql = [
      'CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $fn$',
      'BEGIN',
      '  NEW.updated_at := now(); -- a comment; with a semicolon',
      '  RETURN NEW;',
      'END;',
      '$fn$;',
      'SELECT 1;',
    ].join('\n');
    const stmts = cut(sql);
    expect(stmts.map(([k]) => k)).toEqual(['CreateFunctionStmt', 'SelectStmt']);
    expect(stmts[0][1].endsWith('END;\n$fn$')).toBe(true);
  });

  it('has tokens with file offsets and upper-case keyword kinds', () => {
    const sql = "SELECT 'é';\nCREATE INDEX CONCURRENTLY idx ON t (a);";
    const stmt = parseSql(sql).statements[1];
    const conc = stmt.tokens.find((t) => t.kind === 'CONCURRENTLY')!;
    expect(conc.keyword).toBe(true);
    expect(sql.slice(conc.start, conc.end)).toBe('CONCURRENTLY');
    const ident = stmt.tokens.find((t) => t.text === 'idx')!;
    expect(ident.kind).toBe('IDENT');
    expect(sql.slice(ident.start, ident.end)).toBe('idx');
  });
});

describe('empty input', () => {
  it.each([
    ['empty', ''],
    ['whitespace only', '  \n\t\r\n  '],
    ['comments only', '-- nothing here\n/* nor here\n */\n-- 😀\n'],
    ['semicolons only', ';;\n;'],
  ])('%s: zero statements, no error', (_, sql) => {
    expect(parseSql(sql)).toEqual({ statements: [], errors: [] });
  });
});

describe('SourceFile.position', () => {
  it('counts columns in code points and lines across LF, CRLF and CR', () => {
    const text = 'a😀b\r\n中文x\rlast é z';
    const file = new SourceFile('/f', 'f', text);
    expect(file.position(0)).toEqual({ line: 1, column: 1 });
    expect(file.position(text.indexOf('b'))).toEqual({ line: 1, column: 3 }); // the emoji is one column
    expect(file.position(text.indexOf('x'))).toEqual({ line: 2, column: 3 });
    expect(file.position(text.indexOf('z'))).toEqual({ line: 3, column: 8 });
    expect(file.position(text.length)).toEqual({ line: 3, column: 9 });
    expect(file.lineCount()).toBe(3);
    expect(file.lineText(1)).toBe('a😀b');
    expect(file.lineText(2)).toBe('中文x');
    expect(file.lineStart(3)).toBe(text.indexOf('last'));
  });

  it('maps UTF-8 byte offsets to UTF-16 offsets', () => {
    const text = 'é😀中a';
    const index = new Utf8Index(text);
    expect(index.byteLength).toBe(2 + 4 + 3 + 1);
    expect(index.toUtf16(0)).toBe(0);
    expect(index.toUtf16(2)).toBe(1); // 😀
    expect(index.toUtf16(6)).toBe(3); // 中
    expect(index.toUtf16(9)).toBe(4); // a
    expect(index.toUtf16(10)).toBe(5);
    expect(new Utf8Index('abc').toUtf16(2)).toBe(2);
  });
});

describe('syntax errors', () => {
  it('one broken statement in the middle: one error at the bad token, every other statement parsed', () => {
    const sql = [
      '-- 注文 😀 orders',
      "INSERT INTO orders (note) VALUES ('crème 🍮');",
      "SELECT 'é😀' FROM orders WHERE id = = 2;",
      'CREATE TABLE refunds (id bigint);',
      'ALTER TABLE refunds ADD COLUMN amount bigint;',
    ].join('\n');
    const parsed = parseSql(sql);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['InsertStmt', 'CreateStmt', 'AlterTableStmt']);
    expect(parsed.errors).toHaveLength(1);
    const error = parsed.errors[0];
    expect(error.message).toBe('syntax error at or near "="');
    const badEq = at(sql, '= 2');
    expect(error.range).toEqual({ start: badEq, end: badEq + 1 });
    const file = new SourceFile('/f.sql', 'f.sql', sql);
    expect(file.position(error.range.start)).toEqual({ line: 3, column: 36 }); // the emoji counts as one column
    // Statements after the broken one keep their exact ranges.
    const alter = parsed.statements[2];
    expect(sql.slice(alter.range.start, alter.range.end)).toBe('ALTER TABLE refunds ADD COLUMN amount bigint');
  });

  it('points at a misspelled keyword, with CRLF line endings', () => {
    const sql = 'SELECT 1;\r\nSELEC 2;\r\nSELECT 3;\r\n';
    const parsed = parseSql(sql);
    expect(parsed.statements.map((s) => s.text)).toEqual(['SELECT 1', 'SELECT 3']);
    expect(parsed.errors.map((e) => [e.range, e.message])).toEqual([[{ start: 11, end: 16 }, 'syntax error at or near "SELEC"']]);
    expect(new SourceFile('/f', 'f', sql).position(11)).toEqual({ line: 2, column: 1 });
  });

  it('points at a stray semicolon that ends a statement early', () => {
    const sql = 'CREATE TABLE carts (id bigint, owner text;\nSELECT 1;';
    const parsed = parseSql(sql);
    const semi = at(sql, ';');
    expect(parsed.errors.map((e) => e.range)).toEqual([{ start: semi, end: semi + 1 }]);
    expect(parsed.statements.map((s) => s.text)).toEqual(['SELECT 1']);
  });

  it('an unterminated string at the end of the file', () => {
    const sql = "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nSELECT 'abc";
    const parsed = parseSql(sql);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['CreateStmt', 'InsertStmt']);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0].message).toMatch(/unterminated quoted string/);
    expect(parsed.errors[0].range).toEqual({ start: at(sql, "'abc"), end: sql.length });
    expect(new SourceFile('/f', 'f', sql).position(parsed.errors[0].range.start)).toEqual({ line: 3, column: 8 });
  });

  it('an unterminated string swallows its semicolon; the message stays on one line', () => {
    const sql = "INSERT INTO plans (code, label) VALUES ('team', 'Team);\n\n";
    const [error] = parseSql(sql).errors;
    expect(sql.slice(error.range.start, error.range.end)).toBe("'Team);");
    expect(error.message).toBe('unterminated quoted string at or near "\'Team);"');
  });

  it('an incomplete last statement marks the whole statement', () => {
    const sql = 'SELECT 1;\nCREATE TABLE a (id int';
    const parsed = parseSql(sql);
    expect(parsed.errors.map((e) => [sql.slice(e.range.start, e.range.end), e.message])).toEqual([
      ['CREATE TABLE a (id int', 'syntax error at end of input'],
    ]);
  });

  it('does not cut a BEGIN ATOMIC … END function body in a broken file', () => {
    const sql = [
      'CREATE FUNCTION order_total(o bigint) RETURNS bigint LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT CASE WHEN o > 0 THEN 1 ELSE 0 END;',
      '  SELECT sum(amount) FROM order_lines WHERE order_id = o;',
      'END;',
      'ALTER TABLE orders ADD COLUMN total bigint DEFAULT;',
      'CREATE INDEX orders_total ON orders (total);',
    ].join('\n');
    const parsed = parseSql(sql);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['CreateFunctionStmt', 'IndexStmt']);
    expect(parsed.statements[0].text.endsWith('WHERE order_id = o;\nEND')).toBe(true);
    expect(parsed.errors).toHaveLength(1);
    expect(sql.slice(parsed.errors[0].range.start, parsed.errors[0].range.end)).toBe(';');
    expect(parsed.errors[0].range.start).toBe(at(sql, 'DEFAULT;') + 'DEFAULT'.length);
  });

  it('a broken statement inside a BEGIN ATOMIC body is one error, the function is not split', () => {
    const sql = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELEC 1; SELECT 2; END;\nSELECT 4;';
    const parsed = parseSql(sql);
    expect(parsed.statements.map((s) => s.text)).toEqual(['SELECT 4']);
    expect(parsed.errors.map((e) => sql.slice(e.range.start, e.range.end))).toEqual(['SELEC']);
  });

  it('fallback splitter: E strings with escaped quotes, doubled quotes, dollar quotes', () => {
    const sql = "SELECT E'it\\'s; \\\\ fine';\nSELECT 'don''t; split';\nSELECT $a$ ; $b$ ; $b$ $a$;\nSELEC 1;\nSELECT 'é';";
    expect(splitStatements(sql).map((r) => sql.slice(r.start, r.end).trim())).toEqual([
      "SELECT E'it\\'s; \\\\ fine';",
      "SELECT 'don''t; split';",
      'SELECT $a$ ; $b$ ; $b$ $a$;',
      'SELEC 1;',
      "SELECT 'é';",
    ]);
    const parsed = parseSql(sql);
    expect(parsed.statements).toHaveLength(4);
    expect(parsed.errors.map((e) => sql.slice(e.range.start, e.range.end))).toEqual(['SELEC']);
    // A plain string: the backslash is an ordinary character, the quote ends it.
    const plain = "SELECT 'C:\\'; SELEC 1; SELECT 2;";
    expect(splitStatements(plain).map((r) => plain.slice(r.start, r.end).trim())).toEqual(["SELECT 'C:\\';", 'SELEC 1;', 'SELECT 2;']);
  });
});

describe('DO blocks', () => {
  function viaDo(stmts: SqlStatement[]) {
    return stmts.filter((s) => s.viaDo);
  }

  it('extracts DDL from DO $$ … $$ and DO $body$ … $body$ with file ranges', () => {
    const sql = [
      '-- backfill guard 😀',
      'DO $$',
      'BEGIN',
      "  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'état') THEN",
      '    ALTER TABLE orders ADD COLUMN status text;',
      '  END IF;',
      'END',
      '$$;',
      'DO LANGUAGE plpgsql $body$',
      'BEGIN',
      '  CREATE INDEX orders_status_idx ON orders (status);',
      'END $body$;',
    ].join('\n');
    const parsed = parseSql(sql);
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['DoStmt', 'AlterTableStmt', 'DoStmt', 'IndexStmt']);
    const [alter, index] = viaDo(parsed.statements);
    expect(alter.kind).toBe('AlterTableStmt');
    expect(alter.viaDo).toBe(parsed.statements[0]);
    expect(alter.range).toEqual({ start: at(sql, 'ALTER TABLE'), end: at(sql, 'ALTER TABLE') + 'ALTER TABLE orders ADD COLUMN status text'.length });
    expect(alter.node.relation.relname).toBe('orders');
    expect(index.viaDo).toBe(parsed.statements[2]);
    expect(sql.slice(index.range.start, index.range.end)).toBe('CREATE INDEX orders_status_idx ON orders (status)');
    const file = new SourceFile('/f', 'f', sql);
    expect(file.position(alter.range.start)).toEqual({ line: 5, column: 5 });
    expect(file.position(index.range.start)).toEqual({ line: 11, column: 3 });
    // Tokens of an extracted statement point into the file too.
    const create = index.tokens[0];
    expect(sql.slice(create.start, create.end)).toBe('CREATE');
  });

  it('DO blocks in a file with a syntax error still yield their DDL', () => {
    const sql = "SELEC 1;\nDO $$ BEGIN EXECUTE 'DROP TABLE x'; ALTER TABLE carts DROP COLUMN note; END $$;";
    const parsed = parseSql(sql);
    expect(parsed.errors).toHaveLength(1);
    const inner = viaDo(parsed.statements);
    expect(inner.map((s) => s.kind)).toEqual(['AlterTableStmt']);
    expect(sql.slice(inner[0].range.start, inner[0].range.end)).toBe('ALTER TABLE carts DROP COLUMN note');
  });

  it('a DO block in another language yields nothing', () => {
    const sql = "DO LANGUAGE plpython3u $$ plpy.execute('ALTER TABLE t ADD c int') $$;";
    expect(parseSql(sql).statements.map((s) => s.kind)).toEqual(['DoStmt']);
  });

  it('respects a base offset (a section of a larger file)', () => {
    const parsed = parseSql('DO $$ BEGIN ALTER TABLE t ADD COLUMN a int; END $$;', 100);
    expect(parsed.statements.map((s) => s.range)).toEqual([
      { start: 100, end: 150 },
      { start: 112, end: 142 },
    ]);
  });
});

describe('comments', () => {
  it('finds comments outside strings, including those in DO bodies', () => {
    const sql = [
      "SELECT '-- not a comment', $$ -- nor this $$, E'\\' -- still a string';",
      '-- real one',
      'DO $$ BEGIN',
      '  -- inside the DO body',
      '  PERFORM 1; /* block */',
      'END $$;',
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN -- function body',
      'RETURN 1; END $$;',
    ].join('\n');
    expect(sqlComments(sql).map((c) => [c.text, c.inDoBody])).toEqual([
      ['-- real one', false],
      ['-- inside the DO body', true],
      ['/* block */', true],
    ]);
    const c = sqlComments(sql, 10)[0];
    expect(c.range.start).toBe(10 + at(sql, '-- real one'));
  });
});

describe('DO blocks reach rules', () => {
  it('a migration rule listening to AlterTableStmt sees the statement inside DO, with viaDo set', async () => {
    const { analyzeMigrationSet } = await import('../src/engine/migrations.js');
    const { defineRule } = await import('../src/core/rule.js');
    const seen: Array<{ text: string; viaDo: boolean }> = [];
    const probe = defineRule({
      id: 'probe-alter',
      family: 'migration',
      meta: {
        description: 'test probe',
        rationale: 'test probe rationale',
        remedy: 'none',
        severity: 'warning',
        precision: 'high',
        tags: ['test'],
        recommended: false,
        sources: {},
      },
      create: (ctx) => ({
        AlterTableStmt: (stmt: SqlStatement) => {
          seen.push({ text: stmt.text, viaDo: Boolean(stmt.viaDo) });
          ctx.report({ stmt, message: 'seen', why: 'test', remedy: 'test' });
        },
      }),
    });
    const text = 'ALTER TABLE a ADD COLUMN x int;\nDO $$ BEGIN ALTER TABLE b ADD COLUMN y int; END $$;\n';
    const file = new SourceFile('/m/001.sql', 'm/001.sql', text);
    const result = analyzeMigrationSet(
      {
        root: 'm',
        framework: 'plain',
        migrations: [
          {
            id: 'm/001.sql',
            version: '001',
            name: '001',
            framework: 'plain',
            kind: 'versioned',
            downSupported: false,
            up: { file, sections: [{ start: 0, end: text.length }], wrappedInTransaction: false, transactionReason: 'test' },
          },
        ],
      },
      { pgVersion: 16, rules: [{ rule: probe, severity: 'warning', options: {} }], allRules: [probe] },
    );
    expect(seen).toEqual([
      { text: 'ALTER TABLE a ADD COLUMN x int', viaDo: false },
      { text: 'ALTER TABLE b ADD COLUMN y int', viaDo: true },
    ]);
    expect(result.findings.map((f) => file.position(f.range.start))).toEqual([
      { line: 1, column: 1 },
      { line: 2, column: 13 },
    ]);
  });
});
