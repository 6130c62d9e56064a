/**
 * SQL inside TypeScript: the text of query expressions (holes, constants, driver placeholders) and the
 * shape of the statement that the code rules read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { loadParser } from '../src/sql/parse.js';
import { sqlShape, sqlTextOf, type SqlText } from '../src/code/sql.js';

beforeAll(loadParser);

/**
 * Parses `code` and returns the SQL text of the initializer of its LAST variable declaration, resolving
 * const identifiers to their initializers in the same snippet.
 */
function textOf(code: string, tagged?: boolean): SqlText | undefined {
  const file = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
  const consts = new Map<string, ts.Expression>();
  let last: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.initializer && ts.isIdentifier(node.name)) {
      if (node.parent.flags & ts.NodeFlags.Const) consts.set(node.name.text, node.initializer);
      last = node.initializer;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (!last) throw new Error('no declaration in test snippet');
  return sqlTextOf(last, (id) => consts.get(id.text), tagged);
}

/** SQL text of an expression snippet. */
function text(code: string, tagged?: boolean): SqlText | undefined {
  return textOf(`const __q = ${code};`, tagged);
}

/** Source text of each hole with its kind. */
function holes(t: SqlText | undefined): Array<[string, string]> {
  return (t?.holes ?? []).map((h) => [h.node.getText(), h.kind]);
}

describe('sqlTextOf', () => {
  it('reads string literals and no-substitution templates', () => {
    expect(text(`'SELECT * FROM users WHERE id = $1'`)).toEqual({ text: 'SELECT * FROM users WHERE id = $1', holes: [] });
    expect(text('`\n  SELECT id, email\n  FROM users\n  WHERE id = $1\n`')?.text).toBe('\n  SELECT id, email\n  FROM users\n  WHERE id = $1\n');
    expect(text(`('DELETE FROM sessions WHERE expires_at < now()') as string`)?.text).toBe('DELETE FROM sessions WHERE expires_at < now()');
  });

  it('returns undefined for text that is not SQL-looking', () => {
    expect(text(`'hello world'`)).toBeUndefined();
    expect(text(`'Selected items'`)).toBeUndefined();
    expect(text('`${prefix} WHERE id = $1`')).toBeUndefined();
    expect(text('42')).toBeUndefined();
    expect(text('userId')).toBeUndefined();
    expect(text('fetchRows()')).toBeUndefined();
  });

  it('accepts every statement keyword, in any case, after comments and parentheses', () => {
    for (const sql of ['select 1', 'Insert into t values (1)', 'WITH x AS (SELECT 1) SELECT * FROM x', 'begin', 'START TRANSACTION', 'commit', 'ROLLBACK', 'savepoint a', 'LOCK TABLE t', 'set lock_timeout = 1000', 'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', 'call refresh()', 'values (1)', 'truncate t', 'create table t (a int)', 'alter table t add b int', 'drop table t', 'update t set a = 1', 'delete from t']) {
      expect(text(JSON.stringify(sql))?.text, sql).toBe(sql);
    }
    expect(text(`'-- list active users\\n/* paged */ (SELECT id FROM users)'`)).toBeDefined();
    expect(text(`'selection'`)).toBeUndefined();
  });

  it('numbers interpolations in an untagged template after the highest existing $n', () => {
    const t = text('`SELECT * FROM orders WHERE customer_id = $1 AND status = ${status} AND total > ${min}`');
    expect(t?.text).toBe('SELECT * FROM orders WHERE customer_id = $1 AND status = $2 AND total > $3');
    expect(holes(t)).toEqual([
      ['status', 'interpolation'],
      ['min', 'interpolation'],
    ]);
    expect(t?.holes.map((h) => [h.placeholder, t.text.slice(h.start, h.end)])).toEqual([
      ['$2', '$2'],
      ['$3', '$3'],
    ]);
  });

  it('marks holes of tagged templates as parameters (sql``, Prisma.sql, $queryRaw``)', () => {
    const t = text('prisma.$queryRaw`SELECT * FROM "User" WHERE email = ${email} AND "deletedAt" IS NULL`');
    expect(t?.text).toBe('SELECT * FROM "User" WHERE email = $1 AND "deletedAt" IS NULL');
    expect(holes(t)).toEqual([['email', 'parameter']]);
    expect(holes(text('sql`UPDATE orders SET status = ${status} WHERE id = ${id}`'))).toEqual([
      ['status', 'parameter'],
      ['id', 'parameter'],
    ]);
    expect(holes(text('Prisma.sql`DELETE FROM carts WHERE user_id = ${userId}`'))).toEqual([['userId', 'parameter']]);
  });

  it('takes the `tagged` flag for the bare template of a tagged template', () => {
    const t = textOf('const q = `SELECT * FROM users WHERE id = ${id}`;', true);
    expect(holes(t)).toEqual([['id', 'parameter']]);
    expect(holes(textOf('const q = `SELECT * FROM users WHERE id = ${id}`;'))).toEqual([['id', 'interpolation']]);
  });

  it('inlines nested tagged fragments and Prisma.empty; raw() inside a tagged template is an interpolation', () => {
    const t = text('Prisma.sql`SELECT * FROM orders WHERE tenant_id = ${tenantId} ${status ? Prisma.sql`AND status = ${status}` : Prisma.empty}`');
    expect(t?.text).toBe('SELECT * FROM orders WHERE tenant_id = $1 AND status = $2');
    expect(holes(t)).toEqual([
      ['tenantId', 'parameter'],
      ['status', 'parameter'],
    ]);
    const raw = text('sql`SELECT * FROM orders ORDER BY ${sql.raw(sortColumn)}`');
    expect(holes(raw)).toEqual([['sql.raw(sortColumn)', 'interpolation']]);
    expect(text("sql`SELECT * FROM orders ORDER BY ${Prisma.raw('created_at')} DESC`")).toEqual({ text: 'SELECT * FROM orders ORDER BY created_at DESC', holes: [] });
  });

  it('replaces a hole in identifier position by __holeN so the text still parses', () => {
    const t = text('`SELECT * FROM ${table} WHERE id = $1`');
    expect(t?.text).toBe('SELECT * FROM __hole1 WHERE id = $1');
    expect(t?.holes[0]).toMatchObject({ kind: 'interpolation', placeholder: '__hole1' });
    const shape = sqlShape(t!.text);
    expect(shape).toMatchObject({ kind: 'select', tables: [], filters: [{ column: 'id', op: 'eq' }] });
    expect([shape.error, shape.table]).toEqual([undefined, undefined]);

    const two = text('`UPDATE ${table} SET ${column} = $1 WHERE id = ${id}`');
    expect(two?.text).toBe('UPDATE __hole1 SET __hole2 = $1 WHERE id = $4');
    expect(sqlShape(two!.text).error).toBeUndefined();
    // Inside a quoted identifier.
    expect(text('`SELECT * FROM "${schema}"."orders" WHERE id = $1`')?.text).toBe('SELECT * FROM "__hole1"."orders" WHERE id = $1');
    const qualified = sqlShape('SELECT * FROM "__hole1"."orders" WHERE id = $1');
    expect([qualified.table, qualified.schema]).toEqual(['orders', undefined]);
    // A value hole stays a parameter.
    expect(text('`SELECT * FROM orders WHERE status = ${status}`')?.text).toBe('SELECT * FROM orders WHERE status = $1');
  });

  it('reads concatenations: literal parts are text, other operands are holes', () => {
    const t = text(`'SELECT * FROM users WHERE name = \\'' + name + '\\''`);
    expect(t?.text).toBe("SELECT * FROM users WHERE name = '$1'");
    expect(holes(t)).toEqual([['name', 'concatenation']]);
    expect(sqlShape(t!.text)).toMatchObject({ kind: 'select', table: 'users', filters: [{ table: 'users', column: 'name', op: 'eq' }] });
    expect(sqlShape(t!.text).error).toBeUndefined();

    const nested = text(`('SELECT id FROM orders' + ' WHERE user_id = ' + req.params.userId) + ' LIMIT 50'`);
    expect(nested?.text).toBe('SELECT id FROM orders WHERE user_id = $1 LIMIT 50');
    expect(holes(nested)).toEqual([['req.params.userId', 'concatenation']]);
    expect(text('count + 1')).toBeUndefined();
  });

  it('resolves const identifiers, inlining constant text and numbers', () => {
    const t = textOf(`
      const ORDERS = 'orders';
      const PAGE_SIZE = 50;
      const BASE = 'SELECT id, total FROM ' + ORDERS;
      const query = \`\${BASE} WHERE customer_id = $1 LIMIT \${PAGE_SIZE}\`;
    `);
    expect(t).toEqual({ text: 'SELECT id, total FROM orders WHERE customer_id = $1 LIMIT 50', holes: [] });
    // The whole query bound to a const.
    expect(textOf(`const FIND = 'SELECT * FROM users WHERE id = $1'; const q = FIND;`)?.text).toBe('SELECT * FROM users WHERE id = $1');
    // A const that is not text is a hole; an unknown identifier too.
    const dyn = textOf('const table = process.env.TABLE; const q = `SELECT * FROM ${table}`;');
    expect(holes(dyn)).toEqual([['table', 'interpolation']]);
    // Cycles do not hang.
    expect(textOf('const a = b; const b = a; const q = `SELECT ${a}`;')?.text).toBe('SELECT $1');
  });

  it('inlines a choice between constants (sort direction)', () => {
    const t = text("`SELECT * FROM orders ORDER BY created_at ${desc ? 'DESC' : 'ASC'} LIMIT $1`");
    expect(t).toEqual({ text: 'SELECT * FROM orders ORDER BY created_at DESC LIMIT $1', holes: [] });
  });

  it('treats `$${i}` (a placeholder number built in code) as a parameter', () => {
    const t = text('`UPDATE users SET email = $${index} WHERE id = $${index + 1}`');
    expect(t?.text).toBe('UPDATE users SET email = $1 WHERE id = $2');
    expect(holes(t)).toEqual([
      ['index', 'parameter'],
      ['index + 1', 'parameter'],
    ]);
  });

  it('rewrites knex ? and ?? bindings', () => {
    const t = text(`'select * from ?? where email = ? and status in (?, ?)'`);
    expect(t?.text).toBe('select * from __ident where email = $1 and status in ($2, $3)');
    expect(sqlShape(t!.text)).toMatchObject({ kind: 'select', tables: [], anyArray: true });
    // With $n present, ? is the jsonb operator and stays.
    expect(text(`'SELECT * FROM events WHERE payload ? $1 AND tags ?| $2'`)?.text).toBe('SELECT * FROM events WHERE payload ? $1 AND tags ?| $2');
    // Tagged templates take values through ${} only: ? and :x there are SQL.
    expect(text("sql`SELECT * FROM events WHERE payload ? 'refund' AND created_at > ${since}::timestamptz AND kind = ANY(${kinds})`")?.text).toBe(
      "SELECT * FROM events WHERE payload ? 'refund' AND created_at > $1::timestamptz AND kind = ANY($2)",
    );
    // sqlShape reads the text as written first, and rewrites placeholders only when that does not parse.
    expect(sqlShape("SELECT id FROM events WHERE payload ? 'refund'")).toMatchObject({ kind: 'select', table: 'events', filters: [{ column: 'payload', op: 'other' }] });
    expect(sqlShape('SELECT id FROM events WHERE id = ?')).toMatchObject({ kind: 'select', singleRow: true });
    expect(sqlShape('select * from ?? where id = ?')).toMatchObject({ kind: 'select', tables: [], singleRow: true });
    // Not inside strings, quoted identifiers or comments.
    expect(text(`'select \\'why?\\' as "q?", id from faq where id = ? -- really?'`)?.text).toBe(`select 'why?' as "q?", id from faq where id = $1 -- really?`);
  });

  it('rewrites TypeORM / Sequelize named parameters but not casts', () => {
    const t = text(`'SELECT * FROM orders WHERE id = :id AND created_at > :since::timestamptz AND user_id = :id AND status IN (:...statuses)'`);
    expect(t?.text).toBe('SELECT * FROM orders WHERE id = $1 AND created_at > $2::timestamptz AND user_id = $1 AND status IN ($3)');
    expect(text(`'SELECT count(*)::int AS n, total::numeric(10,2) FROM orders'`)?.text).toBe('SELECT count(*)::int AS n, total::numeric(10,2) FROM orders');
    expect(text(`'SELECT to_char(created_at, \\'HH24:MI\\') FROM orders WHERE id = :orderId'`)?.text).toBe("SELECT to_char(created_at, 'HH24:MI') FROM orders WHERE id = $1");
    expect(text(`'UPDATE users SET name = $name WHERE id = $id'`)?.text).toBe('UPDATE users SET name = $1 WHERE id = $2');
    expect(sqlShape('UPDATE users SET name = $name WHERE id = $id')).toMatchObject({ kind: 'update', table: 'users', singleRow: true });
  });

  it('leaves dollar-quoted bodies alone', () => {
    const sql = 'CREATE FUNCTION f() RETURNS int AS $$ SELECT ? + :x $$ LANGUAGE sql';
    expect(text(JSON.stringify(sql))?.text).toBe(sql);
    expect(text(JSON.stringify(`${sql.replace('CREATE', 'create')} -- id = ?`))?.text).toContain('$$ SELECT ? + :x $$');
  });

  it('never throws on odd expressions', () => {
    for (const code of ['`${a}${b}`', "'' + ''", '`SELECT ${`${`${x}`}`}`', "'SELECT \\'unterminated'", '`SELECT * FROM ${a}.${b} WHERE ${c}`', '(((`select`)))']) {
      expect(() => text(code)).not.toThrow();
    }
  });
});

describe('sqlShape', () => {
  it('reads a select with joins, filters, order and limit', () => {
    const s = sqlShape(`
      SELECT o.id, o.total_cents, u.email
      FROM orders o
      JOIN users u ON u.id = o.user_id
      LEFT JOIN payments p ON p.order_id = o.id AND p.status = 'captured'
      WHERE o.status = $1 AND o.created_at >= $2 AND u.email ILIKE $3 AND o.deleted_at IS NULL
      ORDER BY o.created_at DESC, o.id
      LIMIT 20`);
    expect(s).toMatchObject({
      kind: 'select',
      node: 'SelectStmt',
      table: 'orders',
      tables: ['orders', 'users', 'payments'],
      joins: [
        { table: 'users', columns: ['id'] },
        { table: 'payments', columns: ['order_id'] },
      ],
      orderBy: [
        { table: 'orders', column: 'created_at' },
        { table: 'orders', column: 'id' },
      ],
      limit: true,
      singleRow: false,
      aggregate: false,
      forUpdate: false,
      anyArray: false,
      statements: 1,
    });
    expect(s.filters).toEqual([
      { table: 'payments', column: 'status', op: 'eq' },
      { table: 'orders', column: 'status', op: 'eq' },
      { table: 'orders', column: 'created_at', op: 'range' },
      { table: 'users', column: 'email', op: 'like' },
      { table: 'orders', column: 'deleted_at', op: 'null' },
    ]);
    expect(s.error).toBeUndefined();
  });

  it('reads USING joins, comma joins and schema-qualified tables', () => {
    expect(sqlShape('SELECT * FROM billing.invoices JOIN invoice_lines USING (invoice_id) WHERE invoice_lines.sku = $1')).toMatchObject({
      table: 'invoices',
      schema: 'billing',
      tables: ['invoices', 'invoice_lines'],
      joins: [{ table: 'invoice_lines', columns: ['invoice_id'] }],
      filters: [{ table: 'invoice_lines', column: 'sku', op: 'eq' }],
    });
    expect(sqlShape('SELECT o.* FROM orders o, users u WHERE u.id = o.user_id AND u.email = $1')).toMatchObject({
      table: 'orders',
      joins: [{ table: 'users', columns: ['id'] }],
      filters: [{ table: 'users', column: 'email', op: 'eq' }],
    });
  });

  it('classifies filter operators', () => {
    const s = sqlShape(`SELECT id FROM payments
      WHERE order_id = ANY($1::bigint[]) AND amount BETWEEN $2 AND $3 AND currency IN ('EUR', 'USD')
        AND reference LIKE 'pi_%' AND refunded AND status <> 'failed' AND lower(email) = $4
        AND customer_id IN (SELECT id FROM customers WHERE country = 'FR') AND $5 = merchant_id`);
    expect(s.filters).toEqual([
      { table: 'payments', column: 'order_id', op: 'in' },
      { table: 'payments', column: 'amount', op: 'range' },
      { table: 'payments', column: 'currency', op: 'in' },
      { table: 'payments', column: 'reference', op: 'like' },
      { table: 'payments', column: 'refunded', op: 'other' },
      { table: 'payments', column: 'status', op: 'other' },
      { table: 'payments', column: 'email', op: 'other', onExpression: true },
      { table: 'payments', column: 'customer_id', op: 'in' },
      { table: 'payments', column: 'merchant_id', op: 'eq' },
    ]);
    expect(s.anyArray).toBe(true);
    expect(s.tables).toEqual(['payments', 'customers']);
    expect(s.singleRow).toBe(false);
  });

  it('sees batched lookups: = ANY($1) and IN with parameters', () => {
    expect(sqlShape('SELECT * FROM users WHERE id = ANY($1)').anyArray).toBe(true);
    expect(sqlShape('SELECT * FROM users WHERE id IN ($1, $2, $3)').anyArray).toBe(true);
    expect(sqlShape("SELECT * FROM users WHERE role IN ('admin', 'owner')").anyArray).toBe(false);
    expect(sqlShape('SELECT * FROM users WHERE id = $1').anyArray).toBe(false);
  });

  it('knows single-row lookups', () => {
    expect(sqlShape('SELECT * FROM users WHERE id = $1').singleRow).toBe(true);
    expect(sqlShape('SELECT * FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL').singleRow).toBe(true);
    expect(sqlShape('SELECT * FROM orders WHERE user_id = $1').singleRow).toBe(false);
    expect(sqlShape('SELECT * FROM orders o JOIN users u ON u.id = o.user_id WHERE u.id = $1').singleRow).toBe(false);
    expect(sqlShape('SELECT * FROM orders WHERE id = $1 OR id = $2').singleRow).toBe(false);
    expect(sqlShape('SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1').singleRow).toBe(true);
    expect(sqlShape('SELECT now()').singleRow).toBe(true);
    expect(sqlShape('SELECT * FROM users WHERE email = $1', { uniqueColumns: ['email'] }).singleRow).toBe(true);
    expect(sqlShape('SELECT * FROM users WHERE email = $1').singleRow).toBe(false);
  });

  it('knows aggregates', () => {
    expect(sqlShape('SELECT count(*) FROM orders WHERE user_id = $1')).toMatchObject({ aggregate: true, singleRow: true });
    expect(sqlShape('SELECT count(*)::int AS n, coalesce(sum(total_cents), 0) AS total FROM orders')).toMatchObject({ aggregate: true, singleRow: true });
    expect(sqlShape('SELECT status, count(*) FROM orders GROUP BY status')).toMatchObject({ aggregate: false, singleRow: false });
    expect(sqlShape('SELECT id, count(*) OVER () FROM orders')).toMatchObject({ aggregate: false, singleRow: false });
  });

  it('reads limits', () => {
    expect(sqlShape('SELECT * FROM orders LIMIT $1 OFFSET $2').limit).toBe(true);
    expect(sqlShape('SELECT * FROM orders FETCH FIRST 10 ROWS ONLY').limit).toBe(true);
    expect(sqlShape('SELECT * FROM orders LIMIT ALL').limit).toBe(false);
    expect(sqlShape('SELECT * FROM orders').limit).toBe(false);
    expect(sqlShape('(SELECT id FROM orders) UNION ALL (SELECT id FROM archived_orders) LIMIT 10')).toMatchObject({ kind: 'select', table: 'orders', tables: ['orders', 'archived_orders'], limit: true });
  });

  it('reads FOR UPDATE SKIP LOCKED', () => {
    const s = sqlShape("SELECT id, payload FROM jobs WHERE status = 'pending' ORDER BY run_at LIMIT 10 FOR UPDATE SKIP LOCKED");
    expect(s).toMatchObject({ kind: 'select', table: 'jobs', forUpdate: true, skipLocked: true, limit: true, orderBy: [{ table: 'jobs', column: 'run_at' }] });
    expect(sqlShape('SELECT balance FROM accounts WHERE id = $1 FOR NO KEY UPDATE')).toMatchObject({ forUpdate: true, skipLocked: false, singleRow: true });
    expect(sqlShape('SELECT * FROM accounts WHERE id = $1 FOR SHARE').forUpdate).toBe(true);
    expect(sqlShape('SELECT * FROM accounts WHERE id = $1').forUpdate).toBe(false);
  });

  it('reads inserts: columns, ON CONFLICT, RETURNING', () => {
    expect(sqlShape('INSERT INTO payments (id, order_id, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING')).toMatchObject({
      kind: 'insert',
      table: 'payments',
      insertColumns: ['id', 'order_id', 'amount_cents'],
      onConflict: 'nothing',
      returning: false,
      singleRow: true,
      set: [],
    });
    const upsert = sqlShape(`INSERT INTO inventory (sku, quantity, updated_at) VALUES ($1, $2, now())
      ON CONFLICT (sku) DO UPDATE SET quantity = inventory.quantity + EXCLUDED.quantity, updated_at = EXCLUDED.updated_at
      RETURNING quantity`);
    expect(upsert).toMatchObject({
      kind: 'insert',
      onConflict: 'update',
      returning: true,
      set: [
        { column: 'quantity', atomic: true },
        { column: 'updated_at', atomic: false },
      ],
    });
    expect(sqlShape('INSERT INTO orders (user_id, total) VALUES ($1, $2) RETURNING id')).toMatchObject({ onConflict: undefined, returning: true });
    expect(sqlShape('INSERT INTO order_items (order_id, sku) VALUES ($1, $2), ($1, $3)').singleRow).toBe(false);
    expect(sqlShape('INSERT INTO archived_orders SELECT * FROM orders WHERE created_at < $1')).toMatchObject({ table: 'archived_orders', tables: ['archived_orders', 'orders'], singleRow: false });
  });

  it('reads atomic updates', () => {
    const s = sqlShape('UPDATE accounts SET balance = balance - $1 WHERE id = $2');
    expect(s).toMatchObject({ kind: 'update', table: 'accounts', set: [{ column: 'balance', atomic: true }], singleRow: true, versionCheck: false, filters: [{ table: 'accounts', column: 'id', op: 'eq' }] });
    expect(sqlShape('UPDATE products SET stock = coalesce(stock, 0) + 1, tags = array_append(tags, $1), name = $2 WHERE id = $3').set).toEqual([
      { column: 'stock', atomic: true },
      { column: 'tags', atomic: true },
      { column: 'name', atomic: false },
    ]);
    expect(sqlShape('UPDATE accounts SET balance = $1 WHERE id = $2').set).toEqual([{ column: 'balance', atomic: false }]);
  });

  it('reads optimistic version checks', () => {
    const s = sqlShape('UPDATE docs SET body=$1, version = version + 1 WHERE id=$2 AND version=$3');
    expect(s).toMatchObject({
      kind: 'update',
      versionCheck: true,
      singleRow: true,
      set: [
        { column: 'body', atomic: false },
        { column: 'version', atomic: true },
      ],
    });
    expect(sqlShape('UPDATE orders SET status = $1 WHERE id = $2 AND updated_at = $3').versionCheck).toBe(true);
    expect(sqlShape('DELETE FROM carts WHERE id = $1 AND lock_version = $2').versionCheck).toBe(true);
    expect(sqlShape('UPDATE orders SET status = $1 WHERE id = $2').versionCheck).toBe(false);
    expect(sqlShape('SELECT * FROM docs WHERE version = $1').versionCheck).toBe(false);
  });

  it('reads UPDATE … FROM and DELETE … USING', () => {
    expect(sqlShape('UPDATE orders o SET status = $1 FROM users u WHERE u.id = o.user_id AND u.banned')).toMatchObject({
      table: 'orders',
      tables: ['orders', 'users'],
      joins: [{ table: 'users', columns: ['id'] }],
      filters: [{ table: 'users', column: 'banned', op: 'other' }],
      singleRow: false,
    });
    expect(sqlShape('DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.email = $1 RETURNING s.id')).toMatchObject({
      kind: 'delete',
      table: 'sessions',
      tables: ['sessions', 'users'],
      returning: true,
      joins: [{ table: 'users', columns: ['id'] }],
    });
  });

  it('reads CTEs: the main statement decides, a data-modifying CTE under a SELECT wins', () => {
    const s = sqlShape(`WITH recent AS (SELECT user_id FROM orders WHERE created_at > now() - interval '1 day')
      SELECT u.* FROM users u JOIN recent r ON r.user_id = u.id`);
    expect(s).toMatchObject({ kind: 'select', table: 'users', tables: ['users', 'orders'] });
    const moved = sqlShape(`WITH moved AS (DELETE FROM outbox WHERE id = ANY($1) RETURNING *)
      SELECT count(*) FROM moved`);
    expect(moved).toMatchObject({ kind: 'delete', node: 'SelectStmt', table: 'outbox', tables: ['outbox'], anyArray: true, returning: true });
    const insertMain = sqlShape(`WITH paid AS (SELECT id FROM orders WHERE status = 'paid')
      INSERT INTO invoices (order_id) SELECT id FROM paid ON CONFLICT DO NOTHING`);
    expect(insertMain).toMatchObject({ kind: 'insert', table: 'invoices', tables: ['invoices', 'orders'], onConflict: 'nothing' });
  });

  it('reads transaction control and LOCK', () => {
    expect(sqlShape('BEGIN').kind).toBe('begin');
    expect(sqlShape('START TRANSACTION ISOLATION LEVEL SERIALIZABLE').kind).toBe('begin');
    expect(sqlShape('COMMIT').kind).toBe('commit');
    expect(sqlShape('END').kind).toBe('commit');
    expect(sqlShape('ROLLBACK').kind).toBe('rollback');
    expect(sqlShape('ROLLBACK TO SAVEPOINT before_charge').kind).toBe('other');
    expect(sqlShape('SAVEPOINT before_charge').kind).toBe('other');
    expect(sqlShape('LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE')).toMatchObject({ kind: 'lock', table: 'accounts', tables: ['accounts'] });
    expect(sqlShape('TRUNCATE audit_log')).toMatchObject({ kind: 'other', node: 'TruncateStmt', table: 'audit_log' });
  });

  it('counts statements and describes the first', () => {
    const s = sqlShape('BEGIN; UPDATE accounts SET balance = balance - $1 WHERE id = $2; UPDATE accounts SET balance = balance + $1 WHERE id = $3; COMMIT;');
    expect(s).toMatchObject({ kind: 'begin', statements: 4, kinds: ['begin', 'update', 'update', 'commit'] });
    expect(sqlShape('SELECT 1').statements).toBe(1);
  });

  it('turns prose and broken SQL into kind other with an error, never throwing', () => {
    for (const prose of ['select a colour', 'Select your plan', 'Update your payment details.', 'Delete this item?', 'Begin by choosing a plan', 'Create an account to continue', '', '   ', ';', 'SELECT * FROM', "SELECT 'unterminated", 'SELECT $$ never closed']) {
      let s;
      expect(() => (s = sqlShape(prose)), prose).not.toThrow();
      expect(s, prose).toMatchObject({ kind: 'other', tables: [], filters: [] });
      expect(s!.error, prose).toEqual(expect.any(String));
    }
    // Sentences that happen to parse.
    for (const prose of ['Select a colour from the list', 'Lock account']) {
      expect(sqlShape(prose), prose).toMatchObject({ kind: 'other', error: expect.stringContaining('not SQL') });
    }
    expect(sqlShape('Begin work').kind).toBe('begin');
    // Through sqlTextOf too: text that starts with a keyword but is English.
    const t = text(`'select a colour'`);
    expect(t?.text).toBe('select a colour');
    expect(sqlShape(t!.text)).toMatchObject({ kind: 'other', error: expect.any(String) });
    expect(text(`'Select your plan'`)).toBeDefined();
  });

  it('caches by text and returns frozen shapes', () => {
    const a = sqlShape('SELECT * FROM users WHERE id = $1');
    const b = sqlShape('SELECT * FROM users WHERE id = $1');
    expect(a).toBe(b);
    expect(Object.isFrozen(a.filters)).toBe(true);
    for (let i = 0; i < 6000; i++) sqlShape(`SELECT ${i}`);
    expect(sqlShape('SELECT * FROM users WHERE id = $1')).toEqual(a);
  });

  it('is fast enough for thousands of queries', () => {
    const start = performance.now();
    for (let i = 0; i < 2000; i++) sqlShape(`SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id WHERE o.tenant_id = $1 AND o.n = ${i} ORDER BY o.id LIMIT 50`);
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('works end to end from TypeScript: pg, knex, TypeORM, Prisma', () => {
    const pg = textOf('const q = `SELECT id, status FROM orders WHERE customer_id = $1 ORDER BY created_at DESC`;');
    expect(sqlShape(pg!.text)).toMatchObject({ kind: 'select', table: 'orders', limit: false, singleRow: false, orderBy: [{ table: 'orders', column: 'created_at' }] });
    const knex = textOf("const q = 'update ?? set balance = balance + ? where id = ?';");
    expect(sqlShape(knex!.text)).toMatchObject({ kind: 'update', tables: [], set: [{ column: 'balance', atomic: true }], singleRow: true });
    expect(sqlShape(knex!.text).table).toBeUndefined();
    const typeorm = textOf("const q = 'SELECT * FROM users WHERE id = :id FOR UPDATE';");
    expect(sqlShape(typeorm!.text)).toMatchObject({ kind: 'select', table: 'users', forUpdate: true, singleRow: true });
    const prisma = textOf('const q = Prisma.sql`INSERT INTO "Payment" ("id", "orderId") VALUES (${id}, ${orderId}) ON CONFLICT ("id") DO NOTHING`;');
    expect(sqlShape(prisma!.text)).toMatchObject({ kind: 'insert', table: 'Payment', onConflict: 'nothing', insertColumns: ['id', 'orderId'] });
  });
});
