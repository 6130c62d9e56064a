/** The API catalogue's query builders and ORMs: Knex, Drizzle, Kysely, Sequelize, MikroORM (src/code/catalogue/query-builders.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ts } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeAnalysis } from '../src/code/analyze.js';
import type { CallFacts } from '../src/code/catalogue/index.js';
import { CodeBase } from '../src/code/project.js';
import { loadParser } from '../src/sql/parse.js';

const dirs: string[] = [];

/** A small project on disk (imports between its files resolve), analysed with every file as a target. */
function analyse(files: Record<string, string>): CodeAnalysis {
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-builders-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const base = CodeBase.load(dir, Object.keys(files).map((f) => path.join(dir, f)), []);
  return new CodeAnalysis(base);
}

const KEYS = ['kind', 'lib', 'table', 'write', 'dedupes', 'atomic', 'limited', 'singleRow', 'forUpdate', 'multiKey', 'versionCheck', 'tx'] as const;

type Seen = Partial<Pick<CallFacts, (typeof KEYS)[number]>> & { api: string; region?: string; via: number };

/** Own and inherited effects of the function (declaration, method, or variable) named `name`. */
function effectsOf(analysis: CodeAnalysis, name: string): Seen[] {
  const hit = analysis.functions().find(({ fn }) => {
    if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name?.getText() === name) return true;
    return ts.isVariableDeclaration(fn.parent) && fn.parent.name.getText() === name;
  });
  if (!hit) throw new Error(`no function ${name}`);
  return analysis.summary(hit.fn).effects.map((e) => {
    const out: Seen = { api: e.facts.api, via: e.via.length };
    for (const k of KEYS) if (e.facts[k] !== undefined) (out as Record<string, unknown>)[k] = e.facts[k];
    if (e.tx) out.region = e.tx.kind;
    return out;
  });
}

beforeAll(async () => {
  await loadParser();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every call of the file, classified. */
function classifiedCalls(analysis: CodeAnalysis, relPath: string): Array<{ text: string; facts: CallFacts | undefined }> {
  const file = analysis.targets().find((f) => f.source.relPath === relPath);
  if (!file) throw new Error(`no file ${relPath}`);
  const out: Array<{ text: string; facts: CallFacts | undefined }> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n)) out.push({ text: n.getText().replace(/\s+/g, ' '), facts: analysis.catalogue.classify(n, file) });
    n.forEachChild(visit);
  };
  visit(file.ast);
  return out;
}

const read = (table: string, extra: Partial<Seen> = {}): Partial<Seen> => ({ kind: 'db.read', table, ...extra });
const write = (table: string | undefined, kind: CallFacts['write'], extra: Partial<Seen> = {}): Partial<Seen> => ({ kind: 'db.write', table, write: kind, ...extra });

describe('knex', () => {
  let analysis: CodeAnalysis;
  beforeAll(() => {
    analysis = analyse({
      'src/db.ts': "import knex from 'knex';\n\nexport const db = knex({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 10 } });\n",
      'src/orders.ts': `import type { Knex } from 'knex';
import { db } from './db';

export async function findOrder(id: string) {
  return db('orders').where({ id }).first();
}
export async function listOrders(userId: string) {
  return db('orders').where('user_id', userId).orderBy('created_at', 'desc').limit(50);
}
export async function allOrders() {
  return db.select('id', 'status').from('orders');
}
export async function ordersByIds(ids: string[]) {
  return db('orders').whereIn('id', ids);
}
export async function countOrders(userId: string) {
  return db('orders').where('user_id', userId).count('id as n').first();
}
export async function lockOrder(trx: Knex.Transaction, id: string) {
  return trx('orders').where('id', id).forUpdate().first();
}
export async function shareLock(trx: Knex.Transaction, userId: string) {
  return trx('wallets').where('user_id', userId).forShare();
}
export async function recordPayment(payment: { idempotency_key: string; amount: number }) {
  await db('payments').insert(payment).onConflict('idempotency_key').ignore();
}
export async function upsertStock(row: { sku: string; stock: number }) {
  await db('stock_levels').insert(row).onConflict('sku').merge();
}
export async function createOrder(order: object) {
  const [row] = await db.insert(order).into('orders').returning('*');
  return row;
}
export async function reserveStock(sku: string, qty: number) {
  await db('products').where({ sku }).update({ stock: db.raw('stock - ?', [qty]), updated_at: db.fn.now() });
}
export async function setStock(id: string, stock: number) {
  await db('products').where({ id }).update({ stock });
}
export async function bumpViews(id: string) {
  await db('products').where('id', id).increment('views', 1);
}
export async function markShipped(id: string, version: number) {
  await db('orders').where({ id, version }).update({ status: 'shipped', version: version + 1 });
}
export async function deleteOrder(id: string) {
  await db.table('orders').where({ id }).del();
}
export async function rawRead(id: string) {
  return db.raw('select * from orders where id = ?', [id]);
}
export async function placeOrder(order: { id: string }, items: Array<{ sku: string }>) {
  await db.transaction(async (trx) => {
    await trx('orders').insert(order);
    await trx('order_items').insert(items.map((i) => ({ ...i, order_id: order.id })));
  });
}
export async function manualTransaction(order: object) {
  const trx = await db.transaction();
  try {
    await trx('orders').insert(order);
    await trx.commit();
  } catch (error) {
    await trx.rollback();
    throw error;
  }
}
export async function search(status?: string) {
  let query = db('orders').select('id', 'status');
  if (status) query = query.where('status', status);
  return query.limit(20);
}
export async function bannedUsersOrders() {
  return db('orders').whereIn('user_id', db('users').select('id').where('banned', true));
}
export function previewSql(id: string) {
  const built = db('orders').where({ id });
  return built.toSQL();
}
export async function viaThen(id: string) {
  return db('orders').where({ id }).first().then((row) => row ?? null);
}
export async function perItem(ids: string[]) {
  return Promise.all(ids.map((id) => db('orders').where({ id }).first()));
}
export class OrderRepository {
  constructor(private readonly knex: Knex) {}
  async byId(id: string) {
    return this.knex('orders').where('id', id).first();
  }
}
`,
    });
  });

  it('classifies the client construction', () => {
    const calls = classifiedCalls(analysis, 'src/db.ts');
    expect(calls.find((c) => c.text.startsWith('knex('))?.facts).toMatchObject({ kind: 'client', lib: 'knex', pooled: true });
  });

  it('reads: table from the chain root or .from(), limited by first()/limit()/aggregates, locks, whereIn', () => {
    expect(effectsOf(analysis, 'findOrder')).toMatchObject([read('orders', { lib: 'knex', limited: true, singleRow: true, forUpdate: false, multiKey: false })]);
    expect(effectsOf(analysis, 'listOrders')).toMatchObject([read('orders', { limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'allOrders')).toMatchObject([read('orders', { limited: false, singleRow: false, multiKey: false })]);
    expect(effectsOf(analysis, 'ordersByIds')).toMatchObject([read('orders', { limited: false, multiKey: true })]);
    expect(effectsOf(analysis, 'countOrders')).toMatchObject([read('orders', { limited: true })]);
    expect(effectsOf(analysis, 'lockOrder')).toMatchObject([read('orders', { forUpdate: true, limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'shareLock')).toMatchObject([read('wallets', { forUpdate: true, limited: false })]);
    expect(effectsOf(analysis, 'byId')).toMatchObject([read('orders', { api: "knex('orders').where().first()", singleRow: true })]);
  });

  it('writes: insert, onConflict().ignore()/merge(), atomic updates, version checks, delete', () => {
    expect(effectsOf(analysis, 'recordPayment')).toMatchObject([write('payments', 'insert', { dedupes: true })]);
    expect(effectsOf(analysis, 'upsertStock')).toMatchObject([write('stock_levels', 'upsert', { dedupes: true })]);
    expect(effectsOf(analysis, 'createOrder')).toMatchObject([write('orders', 'insert', { dedupes: false })]);
    expect(effectsOf(analysis, 'reserveStock')).toMatchObject([write('products', 'update', { atomic: true, singleRow: false })]);
    expect(effectsOf(analysis, 'setStock')).toMatchObject([write('products', 'update', { atomic: false, singleRow: true })]);
    expect(effectsOf(analysis, 'bumpViews')).toMatchObject([write('products', 'update', { atomic: true })]);
    expect(effectsOf(analysis, 'markShipped')).toMatchObject([write('orders', 'update', { atomic: false, versionCheck: true })]);
    expect(effectsOf(analysis, 'deleteOrder')).toMatchObject([write('orders', 'delete', { singleRow: true })]);
  });

  it('raw SQL goes through the SQL reader', () => {
    expect(effectsOf(analysis, 'rawRead')).toMatchObject([read('orders', { api: 'db.raw()', singleRow: true })]);
  });

  it('transactions: the callback client, and begin/commit/rollback on `await db.transaction()`', () => {
    expect(effectsOf(analysis, 'placeOrder')).toMatchObject([
      write('orders', 'insert', { region: 'callback' }),
      write('order_items', 'insert', { region: 'callback' }),
      { kind: 'tx', tx: 'callback', api: 'db.transaction()' },
    ]);
    expect(effectsOf(analysis, 'manualTransaction')).toMatchObject([
      { kind: 'tx', tx: 'begin' },
      write('orders', 'insert', { region: 'begin' }),
      { kind: 'tx', tx: 'commit' },
      { kind: 'tx', tx: 'rollback' },
    ]);
  });

  it('a chain is one query, counted where it runs', () => {
    // Built in a variable and extended conditionally: one query with the facts of the whole chain.
    expect(effectsOf(analysis, 'search')).toMatchObject([read('orders', { limited: true })]);
    // A subquery is part of the outer query, and is not a list of keys.
    expect(effectsOf(analysis, 'bannedUsersOrders')).toMatchObject([read('orders', { multiKey: false })]);
    // Never awaited: not a query.
    expect(effectsOf(analysis, 'previewSql')).toEqual([]);
    expect(effectsOf(analysis, 'viaThen')).toMatchObject([read('orders', { singleRow: true })]);
    const perItem = analysis.summary(analysis.functions().find(({ fn }) => ts.isFunctionDeclaration(fn) && fn.name?.text === 'perItem')!.fn).effects;
    expect(perItem).toHaveLength(1);
    expect(perItem[0].loops.map((l) => [l.loop.kind, l.loop.concurrent])).toEqual([['array-callback', true]]);
  });
});

describe('drizzle', () => {
  let analysis: CodeAnalysis;
  beforeAll(() => {
    analysis = analyse({
      'src/db/schema.ts': `import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';

export const orders = pgTable('orders', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  status: text('status').notNull(),
  version: integer('version').notNull().default(1),
});
export const products = pgTable('products', {
  id: uuid('id').primaryKey().defaultRandom(),
  sku: text('sku').notNull().unique(),
  stock: integer('stock').notNull(),
});
export const orderItems = pgTable('order_items', {
  id: uuid('id').primaryKey().defaultRandom(),
  orderId: uuid('order_id').notNull(),
  quantity: integer('quantity').notNull(),
});
`,
      'src/db/client.ts': `import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import * as schema from './schema';

export const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5_000 });
export const db = drizzle(pool, { schema });
`,
      'src/orders.ts': `import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { db } from './db/client';
import * as schema from './db/schema';
import { orderItems, orders, products } from './db/schema';

export async function findOrder(id: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, id));
  return order ?? null;
}
export async function recentOrders(userId: string) {
  return db.select().from(orders).where(eq(orders.userId, userId)).limit(20);
}
export async function allOrders() {
  return db.select({ id: orders.id, status: orders.status }).from(orders);
}
export async function ordersByIds(ids: string[]) {
  return db.select().from(orders).where(inArray(orders.id, ids));
}
export async function countOrders() {
  const [row] = await db.select({ n: count() }).from(orders);
  return row?.n ?? 0;
}
export async function createOrder(values: typeof orders.$inferInsert) {
  return db.insert(orders).values(values).onConflictDoNothing().returning();
}
export async function upsertProduct(values: typeof products.$inferInsert) {
  await db.insert(products).values(values).onConflictDoUpdate({ target: products.sku, set: { stock: values.stock } });
}
export async function addItem(values: typeof orderItems.$inferInsert) {
  await db.insert(orderItems).values(values);
}
export async function reserve(id: string, qty: number) {
  await db.update(products).set({ stock: sql\`\${products.stock} - \${qty}\` }).where(eq(products.id, id));
}
export async function setStock(id: string, stock: number) {
  await db.update(products).set({ stock }).where(eq(products.id, id));
}
export async function markPaid(id: string, version: number) {
  await db.update(orders).set({ status: 'paid', version: version + 1 }).where(and(eq(orders.id, id), eq(orders.version, version)));
}
export async function removeOrder(id: string) {
  await db.delete(orders).where(eq(orders.id, id));
}
export async function userOrders(userId: string) {
  return db.query.orders.findMany({ where: eq(orders.userId, userId) });
}
export async function firstItem(orderId: string) {
  return db.query.orderItems.findFirst({ where: eq(orderItems.orderId, orderId) });
}
export async function release(id: string, qty: number) {
  return db.transaction(async (tx) => {
    const [product] = await tx.select().from(products).where(eq(products.id, id)).limit(1).for('update');
    await tx.update(products).set({ stock: product.stock + qty }).where(eq(products.id, id));
  });
}
export async function rawExecute(id: string) {
  return db.execute(sql\`select * from orders where id = \${id}\`);
}
export async function typedClient(database: NodePgDatabase<typeof schema>, id: string) {
  return database.query.products.findFirst({ where: eq(products.id, id) });
}
export async function paidOrderItems() {
  const paid = db.select({ id: orders.id }).from(orders).where(eq(orders.status, 'paid'));
  return db.select().from(orderItems).where(inArray(orderItems.orderId, paid));
}
export function prepare() {
  return db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare('order_by_id');
}
`,
    });
  });

  it('classifies drizzle() and leaves the schema declarations and sql fragments alone', () => {
    expect(classifiedCalls(analysis, 'src/db/client.ts').find((c) => c.text.startsWith('drizzle('))?.facts).toMatchObject({ kind: 'client', lib: 'drizzle' });
    expect(classifiedCalls(analysis, 'src/db/schema.ts').filter((c) => c.facts)).toEqual([]);
    const fragments = classifiedCalls(analysis, 'src/orders.ts').filter((c) => /^(?:sql`|eq\(|and\(|inArray\(|count\()/.test(c.text));
    expect(fragments.length).toBeGreaterThan(5);
    expect(fragments.filter((c) => c.facts)).toEqual([]);
  });

  it('reads: the table from its pgTable declaration in another file, limit, aggregates, inArray, for(update)', () => {
    expect(effectsOf(analysis, 'findOrder')).toMatchObject([read('orders', { lib: 'drizzle', api: 'db.select().from(orders).where()', singleRow: true, limited: true })]);
    expect(effectsOf(analysis, 'recentOrders')).toMatchObject([read('orders', { limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'allOrders')).toMatchObject([read('orders', { limited: false, multiKey: false, forUpdate: false })]);
    expect(effectsOf(analysis, 'ordersByIds')).toMatchObject([read('orders', { multiKey: true, limited: false })]);
    expect(effectsOf(analysis, 'countOrders')).toMatchObject([read('orders', { limited: true })]);
    expect(effectsOf(analysis, 'paidOrderItems')).toMatchObject([read('order_items', { multiKey: false })]);
  });

  it('relational queries: db.query.<table>.findMany/findFirst through the schema given to drizzle()', () => {
    expect(effectsOf(analysis, 'userOrders')).toMatchObject([read('orders', { limited: false, singleRow: false })]);
    expect(effectsOf(analysis, 'firstItem')).toMatchObject([read('order_items', { limited: true })]);
    expect(effectsOf(analysis, 'typedClient')).toMatchObject([read('products', { limited: true, singleRow: true })]);
  });

  it('writes: onConflictDoNothing/DoUpdate, atomic sql`${t.col} - n` updates, version checks, delete', () => {
    expect(effectsOf(analysis, 'createOrder')).toMatchObject([write('orders', 'insert', { dedupes: true })]);
    expect(effectsOf(analysis, 'upsertProduct')).toMatchObject([write('products', 'upsert', { dedupes: true })]);
    expect(effectsOf(analysis, 'addItem')).toMatchObject([write('order_items', 'insert', { dedupes: false })]);
    expect(effectsOf(analysis, 'reserve')).toMatchObject([write('products', 'update', { atomic: true, singleRow: true })]);
    expect(effectsOf(analysis, 'setStock')).toMatchObject([write('products', 'update', { atomic: false })]);
    expect(effectsOf(analysis, 'markPaid')).toMatchObject([write('orders', 'update', { atomic: false, versionCheck: true })]);
    expect(effectsOf(analysis, 'removeOrder')).toMatchObject([write('orders', 'delete', { singleRow: true })]);
  });

  it('transactions, execute(sql`…`), and chains that are only prepared', () => {
    expect(effectsOf(analysis, 'release')).toMatchObject([
      read('products', { forUpdate: true, limited: true, region: 'callback' }),
      write('products', 'update', { atomic: false, region: 'callback' }),
      { kind: 'tx', tx: 'callback', api: 'db.transaction()' },
    ]);
    expect(effectsOf(analysis, 'rawExecute')).toMatchObject([read('orders', { api: 'db.execute()', singleRow: true })]);
    expect(effectsOf(analysis, 'prepare')).toEqual([]);
  });
});

describe('kysely', () => {
  let analysis: CodeAnalysis;
  beforeAll(() => {
    analysis = analyse({
      'src/db.ts': `import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';

export interface DB {
  orders: { id: string; user_id: string; status: string; version: number };
  products: { id: string; stock: number };
}
export const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }) });
`,
      'src/orders.ts': `import { Kysely, sql, type Transaction } from 'kysely';
import { db, type DB } from './db';

export async function findOrder(id: string) {
  return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
}
export async function listOrders(userId: string) {
  return db.selectFrom('orders').selectAll().where('user_id', '=', userId).orderBy('id').limit(25).execute();
}
export async function allOrders() {
  return db.selectFrom('orders').select(['id', 'status']).execute();
}
export async function ordersByIds(ids: string[]) {
  return db.selectFrom('orders').selectAll().where('id', 'in', ids).execute();
}
export async function latestPaid() {
  return db.selectFrom('orders').selectAll().where('status', '=', 'paid').executeTakeFirstOrThrow();
}
export async function lockProduct(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('products').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}
export async function insertOrder(order: DB['orders']) {
  await db.insertInto('orders').values(order).onConflict((oc) => oc.column('id').doNothing()).execute();
}
export async function upsertProduct(product: DB['products']) {
  await db.insertInto('products').values(product).onConflict((oc) => oc.column('id').doUpdateSet({ stock: product.stock })).execute();
}
export async function plainInsert(order: DB['orders']) {
  await db.insertInto('orders').values(order).executeTakeFirstOrThrow();
}
export async function reserve(id: string, qty: number) {
  await db.updateTable('products').set((eb) => ({ stock: eb('stock', '-', qty) })).where('id', '=', id).execute();
}
export async function setStock(id: string, stock: number) {
  await db.updateTable('products').set({ stock }).where('id', '=', id).execute();
}
export async function markPaid(id: string, version: number) {
  await db.updateTable('orders').set({ status: 'paid', version: version + 1 }).where('id', '=', id).where('version', '=', version).execute();
}
export async function removeOrder(id: string) {
  await db.deleteFrom('orders').where('id', '=', id).execute();
}
export async function placeOrder(order: DB['orders']) {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('orders').values(order).execute();
    await trx.updateTable('products').set({ stock: sql\`stock - 1\` }).where('id', '=', order.id).execute();
  });
}
export async function rawQuery(id: string) {
  return sql\`select * from orders where id = \${id}\`.execute(db);
}
export async function byStatus(status: string) {
  return db.selectFrom('orders').selectAll().where(sql\`lower(status)\`, '=', status).execute();
}
export class OrderRepository {
  constructor(private readonly db: Kysely<DB>) {}
  async search(status?: string) {
    let query = this.db.selectFrom('orders').selectAll();
    if (status) query = query.where('status', '=', status);
    return query.limit(10).execute();
  }
}
`,
    });
  });

  it('classifies new Kysely() and nothing before execute()', () => {
    expect(classifiedCalls(analysis, 'src/db.ts').find((c) => c.text.startsWith('new Kysely'))?.facts).toMatchObject({ kind: 'client', lib: 'kysely' });
    const calls = classifiedCalls(analysis, 'src/orders.ts').filter((c) => c.facts && c.facts.kind !== 'tx');
    expect(calls.every((c) => /\.execute(?:TakeFirst(?:OrThrow)?)?\(|^sql`select/.test(c.text))).toBe(true);
    // `sql` fragments inside a query are not queries.
    expect(classifiedCalls(analysis, 'src/orders.ts').filter((c) => /^sql`(?:lower|stock)/.test(c.text) && c.facts)).toEqual([]);
  });

  it('reads: executeTakeFirst limits, where id =, in-lists, forUpdate', () => {
    expect(effectsOf(analysis, 'findOrder')).toMatchObject([read('orders', { lib: 'kysely', limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'listOrders')).toMatchObject([read('orders', { limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'allOrders')).toMatchObject([read('orders', { limited: false, multiKey: false, forUpdate: false })]);
    expect(effectsOf(analysis, 'ordersByIds')).toMatchObject([read('orders', { multiKey: true })]);
    expect(effectsOf(analysis, 'latestPaid')).toMatchObject([read('orders', { limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'lockProduct')).toMatchObject([read('products', { forUpdate: true })]);
    expect(effectsOf(analysis, 'byStatus')).toMatchObject([read('orders', { limited: false })]);
    expect(effectsOf(analysis, 'search')).toMatchObject([read('orders', { limited: true })]);
  });

  it('writes: onConflict doNothing/doUpdateSet, atomic set callbacks, version checks, delete', () => {
    expect(effectsOf(analysis, 'insertOrder')).toMatchObject([write('orders', 'insert', { dedupes: true })]);
    expect(effectsOf(analysis, 'upsertProduct')).toMatchObject([write('products', 'upsert', { dedupes: true })]);
    expect(effectsOf(analysis, 'plainInsert')).toMatchObject([write('orders', 'insert', { dedupes: false })]);
    expect(effectsOf(analysis, 'reserve')).toMatchObject([write('products', 'update', { atomic: true, singleRow: true })]);
    expect(effectsOf(analysis, 'setStock')).toMatchObject([write('products', 'update', { atomic: false })]);
    expect(effectsOf(analysis, 'markPaid')).toMatchObject([write('orders', 'update', { versionCheck: true, atomic: false })]);
    expect(effectsOf(analysis, 'removeOrder')).toMatchObject([write('orders', 'delete', { singleRow: true })]);
  });

  it('transaction().execute(cb) is a transaction callback; sql`…`.execute(db) is raw SQL', () => {
    expect(effectsOf(analysis, 'placeOrder')).toMatchObject([
      write('orders', 'insert', { region: 'callback' }),
      write('products', 'update', { atomic: true, region: 'callback' }),
      { kind: 'tx', tx: 'callback', api: 'db.transaction().execute()' },
    ]);
    expect(effectsOf(analysis, 'rawQuery')).toMatchObject([read('orders', { singleRow: true })]);
  });
});

describe('sequelize', () => {
  let analysis: CodeAnalysis;
  beforeAll(() => {
    analysis = analyse({
      'src/models.ts': `import { DataTypes, Model, Sequelize } from 'sequelize';

export const sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, pool: { max: 10, acquire: 30_000 } });

export class Order extends Model {
  declare id: string;
  declare status: string;
  declare version: number;
}
Order.init(
  { id: { type: DataTypes.UUID, primaryKey: true }, status: DataTypes.STRING, version: DataTypes.INTEGER },
  { sequelize, tableName: 'orders' },
);
Order.belongsTo(Order, { as: 'parent' });

export class Product extends Model {
  declare id: string;
  declare stock: number;
}
Product.init({ stock: DataTypes.INTEGER }, { sequelize, modelName: 'product' });

export const AuditLog = sequelize.define('audit_log', { message: DataTypes.TEXT }, { tableName: 'audit_logs' });
`,
      'src/orders.ts': `import { Op, Transaction } from 'sequelize';
import { AuditLog, Order, Product, sequelize } from './models';

export async function listForUser(userId: string) {
  return Order.findAll({ where: { userId }, limit: 50 });
}
export async function allOrders() {
  return Order.findAll();
}
export async function ordersByIds(ids: string[]) {
  return Order.findAll({ where: { id: { [Op.in]: ids } } });
}
export async function findOrder(id: string) {
  return Order.findByPk(id);
}
export async function firstPending() {
  return Order.findOne({ where: { status: 'pending' } });
}
export async function countOrders() {
  return Order.count();
}
export async function createOrder(data: object) {
  return Order.create(data);
}
export async function importRows(rows: object[]) {
  await Order.bulkCreate(rows, { ignoreDuplicates: true });
  await Product.bulkCreate(rows, { updateOnDuplicate: ['stock'] });
  await AuditLog.bulkCreate(rows);
}
export async function markShipped(id: string, version: number) {
  await Order.update({ status: 'shipped' }, { where: { id, version } });
}
export async function takeStock(id: string) {
  await Product.decrement('stock', { by: 1, where: { id } });
  await Product.update({ stock: sequelize.literal('stock - 1') }, { where: { id } });
}
export async function removeOrder(id: string) {
  await Order.destroy({ where: { id } });
}
export async function saveOrder(data: object) {
  await Order.upsert(data);
}
export async function reserve(id: string) {
  return sequelize.transaction(async (t) => {
    const product = await Product.findOne({ where: { id }, lock: t.LOCK.UPDATE, transaction: t });
    const again = await Product.findByPk(id, { lock: Transaction.LOCK.UPDATE, transaction: t });
    return [product, again];
  });
}
export async function unmanaged(data: object) {
  const t = await sequelize.transaction();
  try {
    await Order.create(data, { transaction: t });
    await t.commit();
  } catch (error) {
    await t.rollback();
    throw error;
  }
}
export async function rawQuery(id: string) {
  return sequelize.query('SELECT * FROM orders WHERE id = :id', { replacements: { id } });
}
export async function payOrder(id: string) {
  const order = await Order.findByPk(id);
  if (!order) return;
  order.status = 'paid';
  await order.save();
  await order.increment('version');
  await order.destroy();
}
export async function draft() {
  const order = Order.build({ status: 'draft' });
  await order.save();
}
`,
      'src/orders.service.ts': `import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { Order } from './models';

@Injectable()
export class OrdersService {
  constructor(@InjectModel(Order) private readonly orderModel: typeof Order) {}

  async findOne(id: string) {
    return this.orderModel.findOne({ where: { id } });
  }
}
`,
    });
  });

  it('classifies new Sequelize() and leaves model setup alone', () => {
    const calls = classifiedCalls(analysis, 'src/models.ts');
    expect(calls.find((c) => c.text.startsWith('new Sequelize'))?.facts).toMatchObject({ kind: 'client', lib: 'sequelize' });
    expect(calls.filter((c) => /^(?:Order|Product)\.(?:init|belongsTo)|^sequelize\.define/.test(c.text) && c.facts)).toEqual([]);
  });

  it('model reads: table from init() options, the model name or define(); limit, lock, Op.in', () => {
    expect(effectsOf(analysis, 'listForUser')).toMatchObject([read('orders', { lib: 'sequelize', limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'allOrders')).toMatchObject([read('orders', { limited: false, multiKey: false, forUpdate: false })]);
    expect(effectsOf(analysis, 'ordersByIds')).toMatchObject([read('orders', { multiKey: true })]);
    expect(effectsOf(analysis, 'findOrder')).toMatchObject([read('orders', { limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'firstPending')).toMatchObject([read('orders', { limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'countOrders')).toMatchObject([read('orders', { limited: true })]);
    expect(effectsOf(analysis, 'findOne')).toMatchObject([read('orders', { api: 'orderModel.findOne', singleRow: true })]);
  });

  it('model writes: bulkCreate dedupes, atomic increments and literals, version checks', () => {
    expect(effectsOf(analysis, 'createOrder')).toMatchObject([write('orders', 'insert', { dedupes: false })]);
    expect(effectsOf(analysis, 'importRows')).toMatchObject([
      write('orders', 'insert', { dedupes: true }),
      write('product', 'upsert', { dedupes: true }),
      write('audit_logs', 'insert', { dedupes: false }),
    ]);
    expect(effectsOf(analysis, 'markShipped')).toMatchObject([write('orders', 'update', { atomic: false, versionCheck: true, singleRow: true })]);
    expect(effectsOf(analysis, 'takeStock')).toMatchObject([write('product', 'update', { atomic: true }), write('product', 'update', { atomic: true })]);
    expect(effectsOf(analysis, 'removeOrder')).toMatchObject([write('orders', 'delete', { singleRow: true })]);
    expect(effectsOf(analysis, 'saveOrder')).toMatchObject([write('orders', 'upsert', { dedupes: true })]);
  });

  it('instances: save() of a loaded row updates, of a built one inserts', () => {
    expect(effectsOf(analysis, 'payOrder')).toMatchObject([
      read('orders', { singleRow: true }),
      write('orders', 'update', { api: 'order.save' }),
      write('orders', 'update', { api: 'order.increment', atomic: true }),
      write('orders', 'delete', { api: 'order.destroy' }),
    ]);
    expect(effectsOf(analysis, 'draft')).toMatchObject([write('orders', 'insert', { api: 'order.save', dedupes: false })]);
  });

  it('transactions and raw queries', () => {
    expect(effectsOf(analysis, 'reserve')).toMatchObject([
      read('product', { forUpdate: true, region: 'callback' }),
      read('product', { forUpdate: true, region: 'callback' }),
      { kind: 'tx', tx: 'callback', api: 'sequelize.transaction' },
    ]);
    expect(effectsOf(analysis, 'unmanaged')).toMatchObject([
      { kind: 'tx', tx: 'begin' },
      write('orders', 'insert', { region: 'begin' }),
      { kind: 'tx', tx: 'commit' },
      { kind: 'tx', tx: 'rollback' },
    ]);
    expect(effectsOf(analysis, 'rawQuery')).toMatchObject([read('orders', { singleRow: true })]);
  });
});

describe('sequelize static model methods', () => {
  it('classifies this.findAll() inside a static method of the model', () => {
    const analysis = analyse({
      'src/customer.ts': `import { DataTypes, Model, Sequelize } from 'sequelize';

const sequelize = new Sequelize(process.env.DATABASE_URL!);

export class Customer extends Model {
  static async active() {
    return this.findAll({ where: { active: true } });
  }
  async archive() {
    return this.update({ archived: true });
  }
}
Customer.init({ active: DataTypes.BOOLEAN }, { sequelize, tableName: 'customers' });
`,
    });
    expect(effectsOf(analysis, 'active')).toMatchObject([read('customers', { limited: false })]);
    expect(effectsOf(analysis, 'archive')).toMatchObject([write('customers', 'update', { singleRow: true })]);
  });
});

describe('sequelize-typescript', () => {
  it('reads the table from @Table and resolves static calls on the decorated class', () => {
    const analysis = analyse({
      'src/invoice.model.ts': `import { Column, Model, Table } from 'sequelize-typescript';

@Table({ tableName: 'invoices' })
export class Invoice extends Model {
  @Column declare number: string;
}
`,
      'src/invoices.ts': `import { Invoice } from './invoice.model';

export async function unpaid() {
  return Invoice.findAll({ where: { status: 'unpaid' }, limit: 100 });
}
`,
    });
    expect(effectsOf(analysis, 'unpaid')).toMatchObject([read('invoices', { lib: 'sequelize', limited: true })]);
  });
});

describe('mikro-orm', () => {
  let analysis: CodeAnalysis;
  beforeAll(() => {
    analysis = analyse({
      'src/entities.ts': `import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'orders' })
export class Order {
  @PrimaryKey() id!: string;
  @Property() status!: string;
  @Property({ version: true }) version!: number;
}

@Entity()
export class OrderItem {
  @PrimaryKey() id!: string;
  @Property() quantity!: number;
}
`,
      'src/orders.ts': `import { EntityManager, EntityRepository, LockMode, MikroORM } from '@mikro-orm/postgresql';
import { Order, OrderItem } from './entities';

export async function listForUser(em: EntityManager, userId: string) {
  return em.find(Order, { userId }, { limit: 20 });
}
export async function allOrders(em: EntityManager) {
  return em.find(Order, {});
}
export async function ordersByIds(em: EntityManager, ids: string[]) {
  return em.find(Order, { id: { $in: ids } });
}
export async function findOrder(em: EntityManager, id: string) {
  return em.findOne(Order, id);
}
export async function lockOrder(em: EntityManager, id: string) {
  return em.findOne(Order, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}
export async function countItems(em: EntityManager) {
  return em.count(OrderItem, {});
}
export async function createOrder(em: EntityManager, data: { status: string }) {
  const order = em.create(Order, data);
  await em.persistAndFlush(order);
}
export async function addItem(em: EntityManager) {
  await em.persist(new OrderItem()).flush();
}
export async function createThenFlush(em: EntityManager) {
  em.create(OrderItem, { quantity: 1 });
  await em.flush();
}
export async function payOrder(em: EntityManager, id: string) {
  const order = await em.findOneOrFail(Order, id);
  order.status = 'paid';
  await em.flush();
}
export async function nativeCalls(em: EntityManager, id: string) {
  await em.nativeInsert(Order, { id, status: 'new' });
  await em.nativeUpdate(Order, { id }, { status: 'paid' });
  await em.nativeDelete(OrderItem, { id });
  await em.upsert(Order, { id, status: 'new' });
}
export async function ship(em: EntityManager, id: string) {
  await em.transactional(async (tem) => {
    const order = await tem.findOneOrFail(Order, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    order.status = 'shipped';
  });
}
export async function rawQuery(em: EntityManager, id: string) {
  return em.getConnection().execute('select * from orders where id = ?', [id]);
}
export async function fromOrm(orm: MikroORM) {
  return orm.em.fork().find(Order, {}, { limit: 5 });
}
export async function throughRepository(orders: EntityRepository<Order>, id: string) {
  await orders.findOne({ id });
  await orders.nativeDelete({ id });
}
`,
    });
  });

  it('does not classify em.create()/em.persist() alone (nothing reaches the database before flush)', () => {
    const calls = classifiedCalls(analysis, 'src/orders.ts').filter((c) => /^em\.(?:create|persist)\(/.test(c.text) && !c.text.endsWith('.flush()'));
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.filter((c) => c.facts)).toEqual([]);
  });

  it('reads: table from @Entity({ tableName }) or the snake-cased class name; limit, lockMode, $in', () => {
    expect(effectsOf(analysis, 'listForUser')).toMatchObject([read('orders', { lib: 'mikro-orm', limited: true, singleRow: false })]);
    expect(effectsOf(analysis, 'allOrders')).toMatchObject([read('orders', { limited: false, forUpdate: false, multiKey: false })]);
    expect(effectsOf(analysis, 'ordersByIds')).toMatchObject([read('orders', { multiKey: true })]);
    expect(effectsOf(analysis, 'findOrder')).toMatchObject([read('orders', { limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'lockOrder')).toMatchObject([read('orders', { forUpdate: true })]);
    expect(effectsOf(analysis, 'countItems')).toMatchObject([read('order_item', { limited: true })]);
    expect(effectsOf(analysis, 'fromOrm')).toMatchObject([read('orders', { limited: true })]);
  });

  it('writes: persistAndFlush / persist().flush() / flush() after create insert; a flush of loaded entities updates', () => {
    expect(effectsOf(analysis, 'createOrder')).toMatchObject([write('orders', 'insert', { api: 'em.persistAndFlush', dedupes: false })]);
    expect(effectsOf(analysis, 'addItem')).toMatchObject([write('order_item', 'insert', { api: 'em.persist().flush' })]);
    expect(effectsOf(analysis, 'createThenFlush')).toMatchObject([write('order_item', 'insert', { api: 'em.flush' })]);
    expect(effectsOf(analysis, 'payOrder')).toMatchObject([read('orders', { singleRow: true }), { kind: 'db.write', write: 'update', api: 'em.flush' }]);
    expect(effectsOf(analysis, 'nativeCalls')).toMatchObject([
      write('orders', 'insert', { dedupes: false }),
      write('orders', 'update', { atomic: false, singleRow: true }),
      write('order_item', 'delete', { singleRow: true }),
      write('orders', 'upsert', { dedupes: true }),
    ]);
    expect(effectsOf(analysis, 'throughRepository')).toMatchObject([read('orders', { singleRow: true }), write('orders', 'delete')]);
  });

  it('transactional(cb) hands the callback its EntityManager; raw SQL through getConnection().execute', () => {
    expect(effectsOf(analysis, 'ship')).toMatchObject([read('orders', { forUpdate: true, region: 'callback' }), { kind: 'tx', tx: 'callback', api: 'em.transactional' }]);
    expect(effectsOf(analysis, 'rawQuery')).toMatchObject([read('orders', { singleRow: true })]);
  });
});

describe('look-alikes', () => {
  it('leaves local functions, arrays, maps and lodash alone', () => {
    const analysis = analyse({
      'src/report.ts': `import _ from 'lodash';

function insert(table: string, row: object) {
  return { table, row };
}
const db = (table: string) => ({ where: (_filter: object) => ({ first: async () => ({ table }) }) });
const query = { select: () => ({ from: async (_table: string) => [] as string[] }) };

export async function buildReport(orders: Array<{ id: string; total: number }>, cache: Map<string, number>, state: object) {
  insert('orders', { id: 1 });
  const big = orders.find((o) => o.total > 100);
  const seen = cache.get('orders');
  _.update(state, 'orders.count', (n: number) => (n ?? 0) + 1);
  await db('orders').where({ id: big?.id }).first();
  await query.select().from('orders');
  return { big, seen };
}
`,
    });
    expect(classifiedCalls(analysis, 'src/report.ts').filter((c) => c.facts)).toEqual([]);
    expect(effectsOf(analysis, 'buildReport')).toEqual([]);
  });
});

describe('resolver support for builders', () => {
  it('follows long fluent chains, parameter defaults, and other drivers', () => {
    const analysis = analyse({
      'src/db.ts': `import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import knex from 'knex';

export const database = drizzle(postgres(process.env.DATABASE_URL!));
export type Executor = typeof database;
export const kx = knex({ client: 'pg' });
`,
      'src/reports.ts': `import { eq } from 'drizzle-orm';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { database, kx, type Executor } from './db';

const shipments = pgTable('shipments', { id: uuid('id').primaryKey(), carrier: text('carrier') });

export async function shipment(id: string, db: Executor = database) {
  return db.select().from(shipments).where(eq(shipments.id, id)).limit(1);
}
export async function wideReport(from: Date, to: Date) {
  return kx('orders')
    .select('orders.id', 'orders.total', 'customers.email')
    .join('customers', 'customers.id', 'orders.customer_id')
    .leftJoin('refunds', 'refunds.order_id', 'orders.id')
    .where('orders.created_at', '>=', from)
    .andWhere('orders.created_at', '<', to)
    .whereNull('refunds.id')
    .whereNot('orders.status', 'cancelled')
    .orderBy('orders.created_at', 'desc')
    .offset(0)
    .limit(500);
}
export async function fromRoot() {
  return kx.from('invoices').where('status', 'open');
}
`,
    });
    expect(effectsOf(analysis, 'shipment')).toMatchObject([read('shipments', { lib: 'drizzle', limited: true, singleRow: true })]);
    expect(effectsOf(analysis, 'wideReport')).toMatchObject([read('orders', { lib: 'knex', limited: true })]);
    expect(effectsOf(analysis, 'fromRoot')).toMatchObject([read('invoices', { limited: false })]);
  });
});
