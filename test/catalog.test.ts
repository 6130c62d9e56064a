/**
 * Catalog replay: every DDL statement moves the model of the schema the way PostgreSQL would.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import { SourceFile } from '../src/core/source.js';
import { loadParser, parseSql } from '../src/sql/parse.js';

beforeAll(loadParser);

/** Replays `sql` (one statement after another) into `catalog`. */
function replay(sql: string, catalog = new Catalog(), migrationId = 'V1'): Catalog {
  const file = new SourceFile(`/m/${migrationId}.sql`, `m/${migrationId}.sql`, sql);
  const parsed = parseSql(sql);
  expect(parsed.errors, 'test SQL parses').toEqual([]);
  for (const stmt of parsed.statements) catalog.apply(stmt, { migrationId, file, range: stmt.range });
  return catalog;
}

const ORDERS = `
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  status text NOT NULL DEFAULT 'pending',
  public_id uuid DEFAULT gen_random_uuid(),
  note varchar(200),
  total numeric(12, 2) NULL,
  tags text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_total_positive CHECK (total >= 0),
  UNIQUE (customer_id, created_at)
);
`;

describe('tables and columns', () => {
  it('CREATE TABLE: columns with type, nullability, default volatility, identity', () => {
    const c = replay(`CREATE TABLE customers (id bigserial PRIMARY KEY, email text UNIQUE);${ORDERS}`);
    const orders = c.table('public.orders')!;
    expect(orders).toMatchObject({ key: 'public.orders', schema: 'public', name: 'orders', kind: 'table', partitioned: false });
    expect([...orders.columns.keys()]).toEqual(['id', 'customer_id', 'status', 'public_id', 'note', 'total', 'tags', 'created_at']);
    const col = (n: string) => orders.columns.get(n)!;
    expect(col('id')).toMatchObject({ type: { name: 'int8', mods: [], array: false }, notNull: true, identity: true });
    expect(col('id').default).toBeUndefined();
    expect(col('customer_id')).toMatchObject({ type: { name: 'int8' }, notNull: true, identity: false });
    expect(col('status')).toMatchObject({ type: { name: 'text' }, notNull: true, default: { volatile: false } });
    expect(col('public_id')).toMatchObject({ type: { name: 'uuid' }, notNull: false, default: { volatile: true } });
    expect(col('note')).toMatchObject({ type: { name: 'varchar', mods: [200] }, notNull: false });
    expect(col('total')).toMatchObject({ type: { name: 'numeric', mods: [12, 2] }, notNull: false });
    expect(col('tags').type).toEqual({ name: 'text', mods: [], array: true });
    expect(col('created_at')).toMatchObject({ type: { name: 'timestamptz' }, notNull: true, default: { volatile: false } });
    expect(col('id').origin.migrationId).toBe('V1');

    const customers = c.table('public.customers')!;
    expect(customers.columns.get('id')).toMatchObject({ type: { name: 'bigserial' }, notNull: true, default: { volatile: true } });
  });

  it('schema-qualified tables, CREATE SCHEMA, DROP SCHEMA', () => {
    const c = replay('CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int); CREATE TABLE invoices (id int);');
    expect(c.schemas.has('billing')).toBe(true);
    expect(c.table('billing.invoices')).toMatchObject({ schema: 'billing', name: 'invoices' });
    expect(c.table('public.invoices')).toMatchObject({ schema: 'public' });
    replay('DROP SCHEMA billing CASCADE;', c);
    expect(c.schemas.has('billing')).toBe(false);
    expect(c.schemas.has('public')).toBe(true);
  });

  it('CREATE TABLE IF NOT EXISTS on an existing table keeps the original', () => {
    const c = replay(`
      CREATE TABLE carts (id bigint PRIMARY KEY, owner text NOT NULL);
      CREATE TABLE IF NOT EXISTS carts (id uuid, something_else int);
    `);
    const carts = c.table('public.carts')!;
    expect([...carts.columns.keys()]).toEqual(['id', 'owner']);
    expect(carts.columns.get('id')!.type.name).toBe('int8');
    expect([...carts.constraints.keys()]).toEqual(['carts_pkey']);
    expect(c.indexes.get('public.carts_pkey')?.columns).toEqual(['id']);
  });

  it('CREATE TABLE without IF NOT EXISTS replaces (a re-created table after a drop)', () => {
    const c = replay('CREATE TABLE t (a int); DROP TABLE t; CREATE TABLE t (b text);');
    expect([...c.table('public.t')!.columns.keys()]).toEqual(['b']);
  });

  it('ALTER TABLE: add, drop, set/drop not null, defaults, type, identity', () => {
    const c = replay(`
      CREATE TABLE users (id int, email text, name text, legacy text, age int);
      ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT clock_timestamp();
      ALTER TABLE users ADD COLUMN IF NOT EXISTS email varchar(10);
      ALTER TABLE users DROP COLUMN legacy;
      ALTER TABLE users ALTER COLUMN email SET NOT NULL;
      ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anonymous';
      ALTER TABLE users ALTER COLUMN age SET DEFAULT 0, ALTER COLUMN age DROP DEFAULT;
      ALTER TABLE users ALTER COLUMN age TYPE bigint;
      ALTER TABLE users ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
    `);
    const users = c.table('public.users')!;
    expect([...users.columns.keys()]).toEqual(['id', 'email', 'name', 'age', 'created_at']);
    expect(users.columns.get('created_at')).toMatchObject({ notNull: true, default: { volatile: true } });
    expect(users.columns.get('email')).toMatchObject({ type: { name: 'text' }, notNull: true });
    expect(users.columns.get('name')!.default).toEqual({ volatile: false });
    expect(users.columns.get('age')!.default).toBeUndefined();
    expect(users.columns.get('age')!.type.name).toBe('int8');
    expect(users.columns.get('id')).toMatchObject({ identity: true, notNull: true });

    replay('ALTER TABLE users ALTER COLUMN email DROP NOT NULL; ALTER TABLE users ALTER COLUMN id DROP IDENTITY;', c);
    expect(users.columns.get('email')!.notNull).toBe(false);
    expect(users.columns.get('id')!.identity).toBe(false);
  });

  it('ALTER TABLE on an unknown table is ignored', () => {
    const c = replay('ALTER TABLE ghosts ADD COLUMN boo int; DROP TABLE IF EXISTS ghosts; CREATE INDEX g ON ghosts (boo);');
    expect(c.tables.size).toBe(0);
    expect(c.indexes.get('public.g')).toMatchObject({ table: 'public.ghosts' });
  });

  it('renames tables and columns, carrying indexes and constraints', () => {
    const c = replay(`
      CREATE TABLE accounts (id int PRIMARY KEY, mail text);
      CREATE UNIQUE INDEX accounts_mail_key ON accounts (mail);
      ALTER TABLE accounts ADD CONSTRAINT accounts_mail_check CHECK (mail <> '');
      ALTER TABLE accounts RENAME COLUMN mail TO email;
      ALTER TABLE accounts RENAME TO members;
    `);
    expect(c.table('public.accounts')).toBeUndefined();
    const members = c.table('public.members')!;
    expect(members).toMatchObject({ key: 'public.members', name: 'members' });
    expect([...members.columns.keys()]).toEqual(['id', 'email']);
    expect(members.columns.get('email')!.name).toBe('email');
    expect(c.indexes.get('public.accounts_mail_key')).toMatchObject({ table: 'public.members', columns: ['email'], unique: true });
    expect(members.constraints.get('accounts_mail_check')).toMatchObject({ table: 'public.members', columns: ['email'] });
    expect(c.indexesOf('public.members').map((i) => i.name).sort()).toEqual(['accounts_mail_key', 'accounts_pkey']);
  });

  it('drops tables (and their indexes), views and materialized views', () => {
    const c = replay(`
      CREATE TABLE a (id int PRIMARY KEY);
      CREATE INDEX a_id_idx ON a (id);
      CREATE TABLE b (id int);
      CREATE VIEW a_view AS SELECT id FROM a;
      CREATE MATERIALIZED VIEW a_totals AS SELECT count(*) FROM a;
      CREATE TABLE a_copy AS SELECT * FROM a;
    `);
    expect(c.table('public.a_view')!.kind).toBe('view');
    expect(c.table('public.a_totals')!.kind).toBe('materialized-view');
    expect(c.table('public.a_copy')!.kind).toBe('table');
    replay('DROP TABLE IF EXISTS a, b CASCADE; DROP VIEW a_view; DROP MATERIALIZED VIEW a_totals;', c);
    expect([...c.tables.keys()]).toEqual(['public.a_copy']);
    expect(c.indexes.size).toBe(0);
  });

  it('partitioned tables and partitions inherit the parent columns', () => {
    const c = replay(`
      CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, payload jsonb) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    `);
    expect(c.table('public.events')!.partitioned).toBe(true);
    expect([...c.table('public.events_2024')!.columns.keys()]).toEqual(['id', 'at', 'payload']);
  });
});

describe('more table DDL', () => {
  it('foreign keys follow a renamed referenced table and column, and go when it is dropped', () => {
    const c = replay(`
      CREATE TABLE customers (id bigint PRIMARY KEY);
      CREATE TABLE orders (id bigint, customer_id bigint REFERENCES customers (id));
      ALTER TABLE customers RENAME COLUMN id TO customer_id;
      ALTER TABLE customers RENAME TO clients;
    `);
    const fk = c.table('public.orders')!.constraints.get('orders_customer_id_fkey')!;
    expect(fk).toMatchObject({ refTable: 'public.clients', refColumns: ['customer_id'] });
    replay('DROP TABLE clients CASCADE;', c);
    expect(c.table('public.orders')!.constraints.size).toBe(0);
  });

  it('ALTER TABLE … SET SCHEMA moves the table and its indexes', () => {
    const c = replay(`
      CREATE SCHEMA archive;
      CREATE TABLE logs (id int PRIMARY KEY, at timestamptz);
      CREATE INDEX logs_at ON logs (at);
      ALTER TABLE logs SET SCHEMA archive;
    `);
    expect(c.table('public.logs')).toBeUndefined();
    expect(c.table('archive.logs')).toMatchObject({ key: 'archive.logs', schema: 'archive' });
    expect([...c.indexes.keys()].sort()).toEqual(['archive.logs_at', 'archive.logs_pkey']);
    expect(c.indexesOf('archive.logs')).toHaveLength(2);
  });

  it('CREATE TABLE … (LIKE …) copies columns; defaults and identity only when included', () => {
    const c = replay(`
      CREATE TABLE src (id bigint GENERATED ALWAYS AS IDENTITY, label text NOT NULL DEFAULT 'x');
      CREATE TABLE plain_copy (LIKE src, extra int);
      CREATE TABLE full_copy (LIKE src INCLUDING ALL);
    `);
    const plain = c.table('public.plain_copy')!;
    expect([...plain.columns.keys()]).toEqual(['id', 'label', 'extra']);
    expect(plain.columns.get('label')!.notNull).toBe(true);
    expect(plain.columns.get('label')!.default).toBeUndefined();
    expect(plain.columns.get('id')!.identity).toBe(false);
    const full = c.table('public.full_copy')!;
    expect(full.columns.get('label')!.default).toEqual({ volatile: false });
    expect(full.columns.get('id')!.identity).toBe(true);
  });

  it('generated columns', () => {
    const c = replay('CREATE TABLE lines (qty int, price int, total int GENERATED ALWAYS AS (qty * price) STORED);');
    expect(c.table('public.lines')!.columns.get('total')!.generated).toBe('stored');
  });
});

describe('indexes', () => {
  it('records unique, partial, method and columns; IF NOT EXISTS keeps the first', () => {
    const c = replay(`
      CREATE TABLE docs (id int, owner int, body tsvector, deleted_at timestamptz, slug text);
      CREATE UNIQUE INDEX docs_slug_live ON docs (slug) WHERE deleted_at IS NULL;
      CREATE INDEX CONCURRENTLY docs_body_gin ON docs USING gin (body);
      CREATE INDEX docs_owner_lower ON docs (owner, lower(slug));
      CREATE INDEX IF NOT EXISTS docs_slug_live ON docs (owner);
      CREATE INDEX ON docs (deleted_at);
    `);
    expect(c.indexes.get('public.docs_slug_live')).toMatchObject({
      key: 'public.docs_slug_live',
      name: 'docs_slug_live',
      table: 'public.docs',
      columns: ['slug'],
      unique: true,
      primary: false,
      partial: true,
      method: 'btree',
    });
    expect(c.indexes.get('public.docs_body_gin')).toMatchObject({ method: 'gin', unique: false, partial: false, columns: ['body'] });
    expect(c.indexes.get('public.docs_owner_lower')!.columns).toEqual(['owner', '(expression)']);
    expect(c.indexes.get('public.docs_deleted_at_idx')).toMatchObject({ columns: ['deleted_at'] });
    expect(c.indexesOf('public.docs')).toHaveLength(4);
  });

  it('drops and renames indexes, including schema-qualified ones', () => {
    const c = replay(`
      CREATE SCHEMA app;
      CREATE TABLE app.items (id int, sku text);
      CREATE INDEX items_sku ON app.items (sku);
      ALTER INDEX app.items_sku RENAME TO items_sku_idx;
    `);
    expect(c.indexes.has('app.items_sku')).toBe(false);
    expect(c.indexes.get('app.items_sku_idx')).toMatchObject({ name: 'items_sku_idx', table: 'app.items' });
    replay('DROP INDEX CONCURRENTLY IF EXISTS app.items_sku_idx;', c);
    expect(c.indexes.size).toBe(0);
  });

  it('dropping a column drops the indexes and constraints on it', () => {
    const c = replay(`
      CREATE TABLE t (id int PRIMARY KEY, code text, other int);
      CREATE INDEX t_code ON t (code, other);
      ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code);
      ALTER TABLE t DROP COLUMN code;
    `);
    expect([...c.indexes.keys()]).toEqual(['public.t_pkey']);
    expect([...c.table('public.t')!.constraints.keys()]).toEqual(['t_pkey']);
  });
});

describe('constraints', () => {
  it('primary key, unique, foreign key and check from CREATE TABLE, with default names', () => {
    const c = replay(`CREATE TABLE customers (id bigint PRIMARY KEY);${ORDERS}`);
    const orders = c.table('public.orders')!;
    expect(Object.fromEntries([...orders.constraints].map(([n, k]) => [n, [k.type, k.columns, k.validated]]))).toEqual({
      orders_pkey: ['primary', ['id'], true],
      orders_customer_id_fkey: ['foreign', ['customer_id'], true],
      orders_total_positive: ['check', ['total'], true],
      orders_customer_id_created_at_key: ['unique', ['customer_id', 'created_at'], true],
    });
    expect(orders.constraints.get('orders_customer_id_fkey')).toMatchObject({ refTable: 'public.customers', refColumns: ['id'] });
    expect(c.indexes.get('public.orders_pkey')).toMatchObject({ primary: true, unique: true, columns: ['id'] });
    expect(c.indexes.get('public.orders_customer_id_created_at_key')).toMatchObject({ primary: false, unique: true });
  });

  it('default check constraint names follow PostgreSQL: one column, several, none', () => {
    const c = replay(`
      CREATE TABLE prices (
        low int CHECK (low >= 0),
        high int,
        CHECK (high > 0 AND high < 1000000),
        CHECK (high >= low),
        CHECK (now() IS NOT NULL)
      );
    `);
    // A taken generated name gets a number, as in PostgreSQL.
    expect([...c.table('public.prices')!.constraints.keys()]).toEqual(['prices_low_check', 'prices_high_check', 'prices_check', 'prices_check1']);
    expect(c.table('public.prices')!.constraints.get('prices_high_check')!.columns).toEqual(['high']);
    expect(c.table('public.prices')!.constraints.get('prices_check')!.columns).toEqual(['high', 'low']);
  });

  it('NOT VALID then VALIDATE CONSTRAINT (foreign key and check)', () => {
    const c = replay(`
      CREATE TABLE customers (id bigint PRIMARY KEY);
      CREATE TABLE orders (id bigint, customer_id bigint, email text);
      ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
      ALTER TABLE orders ADD CONSTRAINT orders_email_not_null CHECK (email IS NOT NULL) NOT VALID;
      ALTER TABLE orders ADD CONSTRAINT orders_id_positive CHECK (id > 0);
    `);
    const orders = c.table('public.orders')!;
    expect(orders.constraints.get('orders_customer_fk')).toMatchObject({ type: 'foreign', validated: false, refTable: 'public.customers' });
    expect(orders.constraints.get('orders_email_not_null')).toMatchObject({ type: 'check', validated: false, notNullCheckOf: 'email' });
    expect(orders.constraints.get('orders_id_positive')).toMatchObject({ validated: true });
    expect(orders.constraints.get('orders_id_positive')!.notNullCheckOf).toBeUndefined();

    replay('ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk; ALTER TABLE orders VALIDATE CONSTRAINT orders_email_not_null;', c);
    expect(orders.constraints.get('orders_customer_fk')!.validated).toBe(true);
    expect(orders.constraints.get('orders_email_not_null')!.validated).toBe(true);
  });

  it('ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX turns the index into the constraint', () => {
    const c = replay(`
      CREATE TABLE payments (id bigint NOT NULL, ref text);
      CREATE UNIQUE INDEX CONCURRENTLY payments_id_idx ON payments (id);
      CREATE UNIQUE INDEX CONCURRENTLY payments_ref_idx ON payments (ref);
      ALTER TABLE payments ADD CONSTRAINT payments_pkey PRIMARY KEY USING INDEX payments_id_idx;
      ALTER TABLE payments ADD CONSTRAINT payments_ref_key UNIQUE USING INDEX payments_ref_idx;
    `);
    const payments = c.table('public.payments')!;
    expect(payments.constraints.get('payments_pkey')).toMatchObject({ type: 'primary', columns: ['id'] });
    expect(payments.constraints.get('payments_ref_key')).toMatchObject({ type: 'unique', columns: ['ref'] });
    // PostgreSQL renames the index to the constraint's name.
    expect(c.indexes.has('public.payments_id_idx')).toBe(false);
    expect(c.indexes.get('public.payments_pkey')).toMatchObject({ primary: true, unique: true, columns: ['id'] });
    expect(c.indexes.get('public.payments_ref_key')).toMatchObject({ primary: false, unique: true, columns: ['ref'] });
    expect(payments.columns.get('id')!.notNull).toBe(true);
  });

  it('a primary key makes its columns NOT NULL; drop and rename constraints', () => {
    const c = replay(`
      CREATE TABLE sessions (token text, user_id int);
      ALTER TABLE sessions ADD PRIMARY KEY (token);
      ALTER TABLE sessions ADD CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
      ALTER TABLE sessions RENAME CONSTRAINT sessions_user_fk TO sessions_user_id_fkey;
    `);
    const sessions = c.table('public.sessions')!;
    expect(sessions.columns.get('token')!.notNull).toBe(true);
    expect([...sessions.constraints.keys()]).toEqual(['sessions_pkey', 'sessions_user_id_fkey']);
    expect(sessions.constraints.get('sessions_user_id_fkey')!.name).toBe('sessions_user_id_fkey');
    replay('ALTER TABLE sessions DROP CONSTRAINT sessions_pkey; ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_user_id_fkey;', c);
    expect(sessions.constraints.size).toBe(0);
    expect(c.indexes.has('public.sessions_pkey')).toBe(false);
  });
});

describe('enums', () => {
  it('CREATE TYPE AS ENUM, ADD VALUE (BEFORE/AFTER/IF NOT EXISTS), RENAME VALUE, DROP TYPE', () => {
    const c = replay(`
      CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
      ALTER TYPE order_status ADD VALUE 'refunded';
      ALTER TYPE order_status ADD VALUE 'authorized' BEFORE 'paid';
      ALTER TYPE order_status ADD VALUE 'packed' AFTER 'paid';
      ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'paid';
      ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched';
    `);
    expect(c.enums.get('public.order_status')!.values).toEqual(['pending', 'authorized', 'paid', 'packed', 'dispatched', 'refunded']);
    replay('ALTER TYPE order_status RENAME TO order_state;', c);
    expect(c.enums.has('public.order_status')).toBe(false);
    expect(c.enums.get('public.order_state')!.key).toBe('public.order_state');
    replay('DROP TYPE order_state;', c);
    expect(c.enums.size).toBe(0);
  });

  it('schema-qualified enums', () => {
    const c = replay("CREATE SCHEMA shop; CREATE TYPE shop.mood AS ENUM ('ok'); ALTER TYPE shop.mood ADD VALUE 'meh' BEFORE 'ok';");
    expect(c.enums.get('shop.mood')!.values).toEqual(['meh', 'ok']);
  });
});

describe('other objects', () => {
  it('sequences, functions and triggers', () => {
    const c = replay(`
      CREATE TABLE t (id int);
      CREATE SEQUENCE invoice_numbers;
      CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER t_bump BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION bump();
    `);
    expect([...c.sequences]).toEqual(['public.invoice_numbers']);
    expect([...c.functions]).toEqual(['public.bump']);
    expect([...c.triggers]).toEqual(['public.t.t_bump']);
    replay('DROP SEQUENCE invoice_numbers;', c);
    expect(c.sequences.size).toBe(0);
  });
});

describe('clone', () => {
  it('is deep: changing the copy leaves the original alone', () => {
    const original = replay(`
      CREATE TYPE mood AS ENUM ('ok');
      CREATE TABLE customers (id bigint PRIMARY KEY);
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id), note varchar(20));
      CREATE INDEX orders_customer ON orders (customer_id);
      CREATE TABLE orders_archive (id int);
    `);
    const copy = original.clone();
    replay(`
      ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);
      ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
      ALTER TABLE orders RENAME COLUMN customer_id TO buyer_id;
      ALTER TABLE orders DROP CONSTRAINT orders_pkey;
      ALTER TYPE mood ADD VALUE 'meh';
      CREATE SCHEMA extra;
      ALTER TABLE customers RENAME COLUMN id TO customer_ref;
      DROP TABLE orders_archive;
      CREATE TABLE refunds (id int);
    `, copy);
    const orders = original.table('public.orders')!;
    expect(orders.columns.get('note')).toMatchObject({ notNull: false, type: { mods: [20] } });
    expect(orders.columns.has('customer_id')).toBe(true);
    expect(orders.constraints.get('orders_customer_id_fkey')!.columns).toEqual(['customer_id']);
    expect(orders.constraints.has('orders_pkey')).toBe(true);
    expect(original.indexes.get('public.orders_customer')!.columns).toEqual(['customer_id']);
    expect(original.enums.get('public.mood')!.values).toEqual(['ok']);
    expect(original.schemas.has('extra')).toBe(false);
    expect(original.table('public.orders_archive')).toBeDefined();
    expect(original.table('public.refunds')).toBeUndefined();
    expect(original.table('public.customers')!.columns.has('id')).toBe(true);
    expect(orders.constraints.get('orders_customer_id_fkey')!.refColumns).toEqual(['id']);

    const copied = copy.table('public.orders')!;
    expect(copied.columns.get('note')).toMatchObject({ notNull: true, type: { mods: [50] } });
    expect(copy.indexes.get('public.orders_customer')!.columns).toEqual(['buyer_id']);
    expect(copied.constraints.get('orders_customer_id_fkey')!.refColumns).toEqual(['customer_ref']);
    expect(copy.table('public.orders_archive')).toBeUndefined();
  });
});

describe('what the schema rules read', () => {
  it('temporary tables, partitions (created, attached, detached, dropped with the parent), replica identity', () => {
    const c = replay(`
      CREATE TEMPORARY TABLE scratch (a int);
      CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE events_2025 (id bigint NOT NULL, at timestamptz NOT NULL);
      ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE events_2023 (id bigint NOT NULL, at timestamptz NOT NULL);
      ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
      ALTER TABLE events DETACH PARTITION events_2023;
      CREATE TABLE codes (code text NOT NULL);
      CREATE UNIQUE INDEX codes_code_key ON codes (code);
      ALTER TABLE codes REPLICA IDENTITY USING INDEX codes_code_key;
    `);
    expect(c.table('public.scratch')!.temporary).toBe(true);
    expect(c.table('public.events_2024')!.partitionOf).toBe('public.events');
    expect(c.table('public.events_2025')!.partitionOf).toBe('public.events');
    expect(c.table('public.events_2023')!.partitionOf).toBeUndefined();
    expect(c.table('public.codes')!.replicaIdentity).toBe('index');
    replay('DROP TABLE events;', c);
    expect([...c.tables.keys()].filter((k) => k.startsWith('public.events'))).toEqual(['public.events_2023']);
  });

  it('index keys in detail: expressions by shape, order, operator class, INCLUDE, predicate', () => {
    const c = replay(`
      CREATE TABLE docs (id int PRIMARY KEY, slug text, owner int, deleted_at timestamptz);
      CREATE INDEX a ON docs (lower(slug), owner DESC) INCLUDE (deleted_at) WHERE deleted_at IS NULL AND owner IN (1, 2);
      CREATE INDEX b ON docs (LOWER( slug ), ((owner)) text_pattern_ops) WHERE deleted_at IS NULL AND owner IN (1,2);
      ALTER TABLE docs RENAME COLUMN deleted_at TO removed_at;
    `);
    const a = c.indexes.get('public.a')!;
    const b = c.indexes.get('public.b')!;
    expect(a.keys![0].expression).toBe(b.keys![0].expression);
    expect(a.keys![1]).toEqual({ column: 'owner', opclass: '', collation: '', order: 'desc nulls first' });
    expect(b.keys![1]).toEqual({ column: 'owner', opclass: 'text_pattern_ops', collation: '', order: 'asc nulls last' });
    expect(a.include).toEqual(['removed_at']);
    expect(a.predicate).toBe(b.predicate);
    expect(c.indexes.get('public.docs_pkey')!.keys).toEqual([{ column: 'id', opclass: '', collation: '', order: 'asc nulls last' }]);
  });

  it('LIKE … INCLUDING INDEXES copies the primary key, unique constraints and indexes under new names', () => {
    const c = replay(`
      CREATE TABLE src (id bigint PRIMARY KEY, code text UNIQUE, at timestamptz);
      CREATE INDEX src_at_idx ON src (at);
      CREATE TABLE copy (LIKE src INCLUDING ALL);
      CREATE TABLE bare (LIKE src);
    `);
    expect(c.indexesOf('public.copy').map((i) => i.name).sort()).toEqual(['copy_at_idx', 'copy_code_key', 'copy_pkey']);
    expect([...c.table('public.copy')!.constraints.values()].map((k) => `${k.name}:${k.type}`).sort()).toEqual(['copy_code_key:unique', 'copy_pkey:primary']);
    expect(c.indexesOf('public.bare')).toEqual([]);
  });
});
