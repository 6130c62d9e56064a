/** Database clients: what reads, what writes, what opens a transaction, what needs a timeout. */
import { ts } from 'ts-morph';
import { propertyName, skipOuter } from '../resolve.js';
import { apiText, argsOf, constInitializer, hasOption, lastSegment, objectArg, objectOf, optionValue, sqlFacts, stringOf } from './helpers.js';
import type { CallFacts, CallSite, LibraryEntry } from './types.js';

const PG_TIMEOUTS = ['connectionTimeoutMillis', 'statement_timeout', 'query_timeout'];

/** node-postgres: `new Pool(config)`, `pool.query(sql, params)`, `pool.connect()` → client. */
const pg: LibraryEntry = {
  id: 'pg',
  modules: ['pg', 'pg-pool'],
  calls: [
    {
      path: '{pg,pg-pool}.**.{Pool,Client}',
      construct: true,
      describe: (site) => ({ kind: 'client', lib: 'pg', api: apiText(site.call), pooled: true, bounded: pgBounded(site), timeoutHint: '`connectionTimeoutMillis` and `statement_timeout`' }),
    },
    {
      path: '{pg,pg-pool}.**.query',
      describe: (site) => {
        const first = argsOf(site.call)[0];
        const config = objectOf(site, first);
        return sqlFacts(site, { lib: 'pg', api: apiText(site.call) }, config ? optionValue(config, 'text') : first);
      },
    },
    { path: '{pg,pg-pool}.**.connect', describe: (site) => (site.callee.path.endsWith('Pool().connect') || site.callee.path.endsWith('pg-pool().connect') ? { kind: 'checkout', lib: 'pg', api: apiText(site.call) } : undefined) },
  ],
};

function pgBounded(site: CallSite): boolean | undefined {
  const args = argsOf(site.call);
  if (args.length === 0) return undefined; // configured from PG* environment variables: cannot tell
  const conn = stringOf(site, args[0]);
  if (conn !== undefined) return /connect_timeout|statement_timeout/.test(conn);
  const obj = objectArg(site, 0);
  const direct = hasOption(site, obj, PG_TIMEOUTS);
  if (direct !== false) return direct;
  const cs = stringOf(site, optionValue(obj, 'connectionString'));
  return cs !== undefined && /connect_timeout|statement_timeout/.test(cs) ? true : false;
}

/** postgres.js: `const sql = postgres(url, opts)`; queries are tagged templates; `sql.begin(cb)`. Its connect_timeout defaults to 30 s. */
const postgresJs: LibraryEntry = {
  id: 'postgres',
  modules: ['postgres'],
  calls: [
    { path: 'postgres', construct: false, tagged: false, describe: () => ({ kind: 'client', lib: 'postgres', api: 'postgres', pooled: true, bounded: true }) },
    { path: 'postgres().begin', describe: (site) => ({ kind: 'tx', tx: 'callback', lib: 'postgres', api: apiText(site.call) }) },
    { path: 'postgres().unsafe', describe: (site) => sqlFacts(site, { lib: 'postgres', api: apiText(site.call) }, argsOf(site.call)[0]) },
    { path: 'postgres()', tagged: true, describe: (site) => sqlFacts(site, { lib: 'postgres', api: apiText(site.call) }, argsOf(site.call)[0], true) },
  ],
};

/** slonik: `pool.query/one/many/any/maybeOne(sql…)` with `sql` tagged templates, `pool.transaction(cb)`. */
const slonik: LibraryEntry = {
  id: 'slonik',
  modules: ['slonik'],
  calls: [
    { path: 'slonik.createPool', describe: () => ({ kind: 'client', lib: 'slonik', api: 'createPool', pooled: true, bounded: true }) },
    { path: 'slonik.**.transaction', describe: (site) => ({ kind: 'tx', tx: 'callback', lib: 'slonik', api: apiText(site.call) }) },
    {
      path: 'slonik.**.{query,one,many,any,maybeOne,oneFirst,manyFirst,anyFirst,maybeOneFirst,exists}',
      describe: (site) => {
        const arg = argsOf(site.call)[0];
        const e = arg ? skipOuter(arg) : undefined;
        return sqlFacts(site, { lib: 'slonik', api: apiText(site.call) }, e && ts.isTaggedTemplateExpression(e) ? e.template : arg, true);
      },
    },
  ],
};

const PRISMA_READS: Record<string, { limited: boolean; single?: boolean; batched?: boolean }> = {
  findMany: { limited: false },
  findFirst: { limited: true },
  findFirstOrThrow: { limited: true },
  findUnique: { limited: true, single: true, batched: true },
  findUniqueOrThrow: { limited: true, single: true, batched: true },
  count: { limited: true },
  aggregate: { limited: true },
  groupBy: { limited: false },
};
const PRISMA_WRITES: Record<string, CallFacts['write']> = {
  create: 'insert',
  createMany: 'insert',
  createManyAndReturn: 'insert',
  update: 'update',
  updateMany: 'update',
  updateManyAndReturn: 'update',
  upsert: 'upsert',
  delete: 'delete',
  deleteMany: 'delete',
};
const PRISMA_ATOMIC = new Set(['increment', 'decrement', 'multiply', 'divide', 'push']);

/** Prisma Client: `prisma.<model>.<operation>(args)`, raw queries, `$transaction`. */
const prisma: LibraryEntry = {
  id: 'prisma',
  modules: ['@prisma/client'],
  calls: [
    { path: '@prisma/client.**.PrismaClient', construct: true, describe: () => ({ kind: 'client', lib: 'prisma', api: 'new PrismaClient', pooled: true, bounded: true }) },
    {
      path: '@prisma/client.**.$transaction',
      describe: (site) => {
        const first = argsOf(site.call)[0];
        const fn = first && skipOuter(first);
        const callback = fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn));
        return { kind: 'tx', tx: callback ? 'callback' : 'batch', lib: 'prisma', api: apiText(site.call) };
      },
    },
    { path: '@prisma/client.**.{$queryRaw,$executeRaw}', tagged: true, describe: (site) => sqlFacts(site, { lib: 'prisma', api: apiText(site.call) }, argsOf(site.call)[0], true) },
    { path: '@prisma/client.**.{$queryRaw,$executeRaw}', tagged: false, describe: (site) => sqlFacts(site, { lib: 'prisma', api: apiText(site.call) }, argsOf(site.call)[0], true) },
    { path: '@prisma/client.**.{$queryRawUnsafe,$executeRawUnsafe}', describe: (site) => sqlFacts(site, { lib: 'prisma', api: apiText(site.call) }, argsOf(site.call)[0]) },
    {
      // `Prisma.TransactionClient` (the client of an interactive transaction, as helpers annotate it) has the same models.
      path: '@prisma/client.**.{PrismaClient,TransactionClient}().*.*',
      describe: (site) => {
        const op = lastSegment(site.callee.path);
        const model = site.callee.path.split('.').slice(-2)[0];
        if (model.startsWith('$')) return undefined;
        const args = objectArg(site, 0);
        const base = { lib: 'prisma', api: apiText(site.call), table: model };
        const read = PRISMA_READS[op];
        if (read) {
          const where = objectOf(site, optionValue(args, 'where'));
          return {
            ...base,
            kind: 'db.read',
            limited: read.limited || optionValue(args, 'take') !== undefined,
            singleRow: read.single,
            batched: read.batched ? 'same-tick' : undefined,
            multiKey: where ? hasInFilter(site, where) : false,
            query: { table: model, model: 'prisma', filters: where ? objectFilters(site, where, PRISMA_OPS) : [], orderBy: orderKeys(site, optionValue(args, 'orderBy')), joins: [] },
          };
        }
        const write = PRISMA_WRITES[op];
        if (!write) return undefined;
        const data = objectOf(site, optionValue(args, 'data'));
        const where = objectOf(site, optionValue(args, 'where'));
        return {
          ...base,
          kind: 'db.write',
          write,
          dedupes: write === 'upsert' || (op.startsWith('createMany') && isTrue(optionValue(args, 'skipDuplicates'))),
          atomic: write === 'update' && data ? allAtomic(site, data) : undefined,
          versionCheck: where ? Boolean(optionValue(where, 'version') ?? optionValue(where, 'updatedAt')) : false,
          ...(where && (op === 'updateMany' || op === 'deleteMany') ? { query: { table: model, model: 'prisma' as const, filters: objectFilters(site, where, PRISMA_OPS), orderBy: [], joins: [] } } : {}),
        };
      },
    },
  ],
};

type FilterOp = 'eq' | 'in' | 'range' | 'like' | 'null' | 'other';

/** Prisma filter operators (`{ gte: … }`) and what kind of index lookup each is. */
const PRISMA_OPS: Record<string, FilterOp> = { equals: 'eq', in: 'in', gt: 'range', gte: 'range', lt: 'range', lte: 'range', contains: 'like', startsWith: 'like', endsWith: 'like', not: 'other', notIn: 'other', search: 'other' };
/** TypeORM find operators (`MoreThan(…)`, `In(…)`). */
const TYPEORM_OPS: Record<string, FilterOp> = { In: 'in', Equal: 'eq', MoreThan: 'range', MoreThanOrEqual: 'range', LessThan: 'range', LessThanOrEqual: 'range', Between: 'range', Like: 'like', ILike: 'like', IsNull: 'null', Not: 'other', Any: 'in', Raw: 'other' };
const LOGICAL = new Set(['AND', 'OR', 'NOT', 'some', 'every', 'none', 'is', 'isNot']);

/**
 * Filter columns of an ORM `where` object: `{ userId: id, createdAt: { gte } }`. Keys under OR/NOT and
 * relation filters are left out (an index check on them would guess). A Prisma compound-unique key
 * (`userId_productId: { … }`) filters on each of its fields.
 */
function objectFilters(site: CallSite, where: ts.ObjectLiteralExpression, ops: Record<string, FilterOp>): Array<{ column: string; op: FilterOp }> {
  const out: Array<{ column: string; op: FilterOp }> = [];
  for (const p of where.properties) {
    const key = p.name ? propertyName(p.name) : undefined;
    if (!key || LOGICAL.has(key)) continue;
    if (ts.isShorthandPropertyAssignment(p)) {
      out.push({ column: key, op: 'eq' });
      continue;
    }
    if (!ts.isPropertyAssignment(p)) continue;
    const v = skipOuter(p.initializer);
    if (v.kind === ts.SyntaxKind.NullKeyword) {
      out.push({ column: key, op: 'null' });
      continue;
    }
    if (ts.isCallExpression(v) && ts.isIdentifier(v.expression) && ops[v.expression.text]) {
      out.push({ column: key, op: ops[v.expression.text] });
      continue;
    }
    const inner = objectOf(site, v);
    if (!inner) {
      out.push({ column: key, op: 'eq' });
      continue;
    }
    const innerKeys = inner.properties.map((q) => (q.name ? propertyName(q.name) : undefined));
    if (innerKeys.some((k) => k !== undefined && LOGICAL.has(k))) continue; // a relation filter
    const known = innerKeys.map((k) => (k !== undefined ? ops[k] : undefined));
    if (known.length > 0 && known.every((k) => k !== undefined)) {
      const best = known.includes('eq') ? 'eq' : known.includes('in') ? 'in' : known.includes('range') ? 'range' : known[0]!;
      out.push({ column: key, op: best });
    } else if (key.includes('_') && /^[a-z][A-Za-z0-9]*(?:_[a-z][A-Za-z0-9]*)+$/.test(key)) {
      for (const part of key.split('_')) out.push({ column: part, op: 'eq' });
    }
  }
  return out;
}

/** Sort keys: `{ createdAt: 'desc' }` or `[{ createdAt: 'desc' }, { id: 'asc' }]`. */
function orderKeys(site: CallSite, e: ts.Expression | undefined): string[] {
  if (!e) return [];
  const v = skipOuter(e);
  const objects = ts.isArrayLiteralExpression(v) ? v.elements.map((x) => objectOf(site, x)) : [objectOf(site, v)];
  const out: string[] = [];
  for (const o of objects) {
    for (const p of o?.properties ?? []) {
      const key = p.name ? propertyName(p.name) : undefined;
      if (key && ts.isPropertyAssignment(p) && ts.isStringLiteralLike(skipOuter(p.initializer))) out.push(key);
    }
  }
  return out;
}

function isTrue(e: ts.Expression | undefined): boolean {
  return e !== undefined && skipOuter(e).kind === ts.SyntaxKind.TrueKeyword;
}

function hasInFilter(site: CallSite, where: ts.ObjectLiteralExpression): boolean {
  for (const p of where.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const inner = objectOf(site, p.initializer);
    if (inner && optionValue(inner, 'in') !== undefined) return true;
  }
  return false;
}

/** Every field of Prisma `data` is `{ increment: n }`-style: the database computes it. */
function allAtomic(site: CallSite, data: ts.ObjectLiteralExpression): boolean {
  let any = false;
  for (const p of data.properties) {
    if (!ts.isPropertyAssignment(p)) return false;
    const inner = objectOf(site, p.initializer);
    const key = inner?.properties[0]?.name;
    if (!inner || inner.properties.length !== 1 || !key || !PRISMA_ATOMIC.has(propertyName(key) ?? '')) continue;
    any = true;
  }
  return any && data.properties.every((p) => ts.isPropertyAssignment(p) && isAtomicOrPlain(site, p));
}

function isAtomicOrPlain(site: CallSite, p: ts.PropertyAssignment): boolean {
  const inner = objectOf(site, p.initializer);
  if (!inner) return true;
  const key = inner.properties[0]?.name;
  return inner.properties.length === 1 && key !== undefined && PRISMA_ATOMIC.has(propertyName(key) ?? '');
}

const TYPEORM_READS: Record<string, { limited: boolean; single?: boolean }> = {
  find: { limited: false },
  findBy: { limited: false },
  findAndCount: { limited: false },
  findAndCountBy: { limited: false },
  findOne: { limited: true, single: true },
  findOneBy: { limited: true, single: true },
  findOneOrFail: { limited: true, single: true },
  findOneByOrFail: { limited: true, single: true },
  count: { limited: true },
  countBy: { limited: true },
  exists: { limited: true },
  existsBy: { limited: true },
  sum: { limited: true },
  average: { limited: true },
  maximum: { limited: true },
  minimum: { limited: true },
};
const TYPEORM_WRITES: Record<string, CallFacts['write']> = {
  insert: 'insert',
  save: 'insert',
  update: 'update',
  upsert: 'upsert',
  delete: 'delete',
  remove: 'delete',
  softDelete: 'delete',
  softRemove: 'delete',
  increment: 'update',
  decrement: 'update',
};

/**
 * TypeORM: repositories (`Repository<Order>`, `dataSource.getRepository(Order)`), the EntityManager
 * (`manager.save(Order, …)`), query builders, `query(sql)`, transactions and query runners.
 */
const typeorm: LibraryEntry = {
  id: 'typeorm',
  modules: ['typeorm'],
  calls: [
    { path: 'typeorm.**.DataSource', construct: true, describe: () => ({ kind: 'client', lib: 'typeorm', api: 'new DataSource', pooled: true, bounded: true }) },
    { path: 'typeorm.**.transaction', describe: (site) => ({ kind: 'tx', tx: 'callback', lib: 'typeorm', api: apiText(site.call) }) },
    { path: 'typeorm.**.startTransaction', describe: (site) => ({ kind: 'tx', tx: 'begin', lib: 'typeorm', api: apiText(site.call) }) },
    { path: 'typeorm.**.commitTransaction', describe: (site) => ({ kind: 'tx', tx: 'commit', lib: 'typeorm', api: apiText(site.call) }) },
    { path: 'typeorm.**.rollbackTransaction', describe: (site) => ({ kind: 'tx', tx: 'rollback', lib: 'typeorm', api: apiText(site.call) }) },
    { path: 'typeorm.**.query', describe: (site) => sqlFacts(site, { lib: 'typeorm', api: apiText(site.call) }, argsOf(site.call)[0]) },
    { path: 'typeorm.**.createQueryBuilder().**.{getMany,getOne,getOneOrFail,getRawMany,getRawOne,getManyAndCount,getCount,getExists,execute,stream}', describe: typeormBuilder },
    {
      path: 'typeorm.**.*',
      describe: (site) => {
        const op = lastSegment(site.callee.path);
        // The client of `dataSource.transaction(async (manager) => …)` is an EntityManager.
        const txManager = site.callee.transaction !== undefined && /DataSource\(\)\.[^.]+$/.test(site.callee.path);
        const onManager = txManager || /\.(?:manager|EntityManager\(\))$/.test(site.callee.path.slice(0, -op.length - 1)) || /EntityManager\(\)\.[^.]+$/.test(site.callee.path);
        const args = argsOf(site.call);
        // EntityManager methods take the entity first: manager.find(Order, opts).
        const optsIndex = onManager ? 1 : 0;
        const read = TYPEORM_READS[op];
        const write = TYPEORM_WRITES[op];
        if (!read && !write) return undefined;
        if (!txManager && !isTypeormDataApi(site.callee.path)) return undefined;
        const table = onManager ? entityTable(site, args[0]) : repositoryTable(site);
        const base = { lib: 'typeorm', api: apiText(site.call), table };
        if (read) {
          const opts = objectArg(site, optsIndex);
          const lock = objectOf(site, optionValue(opts, 'lock'));
          const mode = stringOf(site, optionValue(lock, 'mode'));
          const where = objectOf(site, optionValue(opts, 'where')) ?? (op.endsWith('By') ? opts : undefined);
          return {
            ...base,
            kind: 'db.read',
            limited: read.limited || optionValue(opts, 'take') !== undefined,
            singleRow: read.single,
            forUpdate: mode !== undefined && /pessimistic_write|pessimistic_partial_write|for_no_key_update/.test(mode),
            multiKey: where ? /\bIn\(/.test(where.getText()) : false,
            ...(table ? { query: { table, filters: where ? objectFilters(site, where, TYPEORM_OPS) : [], orderBy: orderKeys(site, optionValue(opts, 'order')), joins: [] } } : {}),
          };
        }
        const value = args[onManager ? 1 : 0];
        const literal = value && ts.isObjectLiteralExpression(skipOuter(value));
        let kind = write;
        // `save` of an object literal or a `create()` result inserts; of a loaded entity it updates.
        if (op === 'save') kind = literal || (value && /\.create\(/.test(value.getText())) || builtHere(site, value) ? 'insert' : 'update';
        const criteria = op === 'update' ? objectArg(site, onManager ? 1 : 0) : undefined;
        return {
          ...base,
          kind: 'db.write',
          write: kind,
          dedupes: write === 'upsert' || (op === 'save' && kind === 'update'),
          atomic: op === 'increment' || op === 'decrement',
          versionCheck: criteria ? Boolean(optionValue(criteria, 'version')) : false,
        };
      },
    },
  ],
};

/** `const entity = repository.create({…})` / `new Order()` / an object literal, then `save(entity)`: a new row. */
function builtHere(site: CallSite, value: ts.Expression | undefined): boolean {
  const e = value && skipOuter(value);
  if (!e || !ts.isIdentifier(e)) return false;
  const init = constInitializer(site, e);
  const i = init && skipOuter(init);
  return i !== undefined && (ts.isObjectLiteralExpression(i) || ts.isNewExpression(i) || /\.create\(/.test(i.getText()));
}

/** Repository and EntityManager data methods (not e.g. `dataSource.initialize`). */
function isTypeormDataApi(path: string): boolean {
  return /(?:Repository\(\)|getRepository\(\)|manager|EntityManager\(\)|withRepository\(\)|getTreeRepository\(\)|MongoRepository\(\)|extend\(\))\.[^.]+$/.test(path) || /Repository\(\)\.[^.]+$/.test(path);
}

function typeormBuilder(site: CallSite): CallFacts | undefined {
  const text = site.call.getText();
  const op = lastSegment(site.callee.path);
  const base = { lib: 'typeorm', api: apiText(site.call), table: builderTable(site) };
  if (/\.insert\(\)/.test(text)) return { ...base, kind: 'db.write', write: /\.orUpdate\(/.test(text) ? 'upsert' : 'insert', dedupes: /\.or(?:Ignore|Update)\(/.test(text) };
  if (/\.update\(/.test(text)) return { ...base, kind: 'db.write', write: 'update', atomic: /\(\)\s*=>\s*['"`][^'"`]*[+-]/.test(text) };
  if (/\.(?:delete|softDelete)\(\)/.test(text)) return { ...base, kind: 'db.write', write: 'delete' };
  return {
    ...base,
    kind: 'db.read',
    limited: op !== 'getMany' && op !== 'getRawMany' && op !== 'getManyAndCount' && op !== 'stream' ? true : /\.(?:take|limit)\(/.test(text),
    forUpdate: /setLock\(\s*['"]pessimistic_write/.test(text),
    multiKey: /\bIN\s*\(:\.\.\./i.test(text),
  };
}

function builderTable(site: CallSite): string | undefined {
  const m = /getRepository\(\s*(\w+)\s*\)/.exec(site.call.getText());
  return m ? m[1] : repositoryTable(site);
}

/** The table of `Repository<Order>` (from the annotation) or `getRepository(Order)`. */
function repositoryTable(site: CallSite): string | undefined {
  const arg = site.callee.typeArgs?.[0];
  if (arg && ts.isTypeReferenceNode(arg) && ts.isIdentifier(arg.typeName)) return entityTable(site, arg.typeName);
  const creation = site.callee.creation;
  if (creation && !ts.isTaggedTemplateExpression(creation)) return entityTable(site, creation.arguments?.[0]);
  return undefined;
}

/** `@Entity('orders') class Order` → orders; `@Entity() class OrderItem` → order_item (TypeORM's default naming keeps the class name; snake-case strategies are common: both are tried by the index rules). */
export function entityTable(site: Pick<CallSite, 'resolver'>, expr: ts.Node | undefined): string | undefined {
  if (!expr || !ts.isIdentifier(expr)) return undefined;
  const value = site.resolver.valueOf(expr);
  if (value?.kind !== 'class') return expr.text;
  for (const d of ts.getDecorators(value.decl as ts.ClassDeclaration) ?? []) {
    const call = d.expression;
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'Entity') continue;
    const arg = call.arguments[0];
    if (arg && ts.isStringLiteralLike(arg)) return arg.text;
    const name = arg && ts.isObjectLiteralExpression(arg) ? optionValue(arg, 'name') : undefined;
    if (name && ts.isStringLiteralLike(name)) return name.text;
  }
  return value.decl.name?.text;
}

export const databaseLibraries: LibraryEntry[] = [pg, postgresJs, slonik, prisma, typeorm];
