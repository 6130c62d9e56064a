/** The code analyzer's core: project loading, value resolution, entries per framework, effects. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ts } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeAnalysis } from '../src/code/analyze.js';
import { CodeBase } from '../src/code/project.js';
import { check } from '../src/check.js';
import type { Notification } from '../src/core/finding.js';
import { loadParser } from '../src/sql/parse.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plumbline-code-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function analysisOf(dir: string, files: string[]): { analysis: CodeAnalysis; notifications: Notification[] } {
  const notifications: Notification[] = [];
  const base = CodeBase.load(dir, files.map((f) => path.join(dir, f)), notifications);
  return { analysis: new CodeAnalysis(base), notifications };
}

/** The effects of the function whose name (declaration, variable or method) is `name`. */
function effectsOf(analysis: CodeAnalysis, name: string) {
  const hit = analysis.functions().find(({ fn }) => {
    if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name?.getText() === name) return true;
    return ts.isVariableDeclaration(fn.parent) && fn.parent.name.getText() === name;
  });
  if (!hit) throw new Error(`no function ${name}`);
  return analysis.summary(hit.fn).effects.map((e) => ({ kind: e.facts.kind, api: e.facts.api, table: e.facts.table, via: e.via.length, tx: e.tx?.kind, loops: e.loops.length }));
}

beforeAll(async () => {
  await loadParser();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('project loading', () => {
  it('follows tsconfig path aliases, `.js` specifiers of `.ts` files and index files, with no node_modules', () => {
    const dir = project({
      'tsconfig.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] }, "strict": true } }',
      'src/db/index.ts': "import { Pool } from 'pg';\nexport const pool = new Pool({ connectionTimeoutMillis: 5000 });\n",
      'src/repo.ts': "import { pool } from '@/db';\nexport async function findUser(id: string) { return pool.query('SELECT * FROM users WHERE id = $1', [id]); }\n",
      'src/service.ts': "import { findUser } from './repo.js';\nexport async function load(ids: string[]) { for (const id of ids) await findUser(id); }\n",
    });
    const { analysis, notifications } = analysisOf(dir, ['src/service.ts']);
    expect(notifications).toEqual([]);
    expect(effectsOf(analysis, 'load')).toEqual([{ kind: 'db.read', api: 'pool.query', table: 'users', via: 1, tx: undefined, loops: 1 }]);
  });

  it('gives each package of a monorepo its own tsconfig', () => {
    const dir = project({
      'packages/api/tsconfig.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["src/*"] } } }',
      'packages/api/src/db.ts': "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
      'packages/api/src/handler.ts': "import { prisma } from '~/db';\nexport async function list() { return prisma.order.findMany(); }\n",
      'packages/worker/tsconfig.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["lib/*"] } } }',
      'packages/worker/lib/db.ts': "import knex from 'knex';\nexport const prisma = { order: { findMany: () => [] } };\n",
      'packages/worker/lib/job.ts': "import { prisma } from '~/db';\nexport async function run() { return prisma.order.findMany(); }\n",
    });
    const { analysis } = analysisOf(dir, ['packages/api/src/handler.ts', 'packages/worker/lib/job.ts']);
    expect(effectsOf(analysis, 'list').map((e) => e.api)).toEqual(['prisma.order.findMany']);
    expect(effectsOf(analysis, 'run')).toEqual([]);
  });

  it('reports a syntax error as a notification and still analyses the file', async () => {
    const dir = project({
      'src/broken.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function a(ids: string[]) {\n  for (const id of ids) await pool.query('SELECT 1 FROM t WHERE id = $1', [id]);\n}\nexport const x = {;\n",
    });
    const result = await check({ root: dir, paths: ['.'], config: { preset: 'recommended' }, enableRules: ['no-query-in-loop'] });
    expect(result.notifications.map((n) => n.id)).toContain('typescript-syntax-error');
    expect(result.findings.map((f) => `${f.ruleId}:${f.file.position(f.range.start).line}`)).toContain('no-query-in-loop:4');
  });
});

describe('value resolution', () => {
  it('resolves constructor injection, library base classes, re-exports and lazy singletons', () => {
    const dir = project({
      'src/prisma.service.ts': "import { PrismaClient } from '@prisma/client';\nexport class PrismaService extends PrismaClient {}\n",
      'src/index.ts': "export * from './prisma.service';\nexport { getPool as pool } from './pool';\n",
      'src/pool.ts': "import pg from 'pg';\nlet cached: pg.Pool | undefined;\nexport function getPool() {\n  if (!cached) cached = new pg.Pool({ max: 5 });\n  return cached;\n}\n",
      'src/orders.service.ts': [
        "import { PrismaService, pool } from './index';",
        'export class OrdersService {',
        '  constructor(private readonly prisma: PrismaService) {}',
        '  async latest() { return this.prisma.order.findFirst({ orderBy: { createdAt: "desc" } }); }',
        "  async raw() { return pool().query('SELECT count(*) FROM orders'); }",
        '}',
      ].join('\n'),
    });
    const { analysis } = analysisOf(dir, ['src/orders.service.ts']);
    expect(effectsOf(analysis, 'latest')).toMatchObject([{ kind: 'db.read', api: 'prisma.order.findFirst', table: 'order' }]);
    expect(effectsOf(analysis, 'raw').filter((e) => e.kind !== 'client')).toMatchObject([{ kind: 'db.read', table: 'orders' }]);
  });

  it('marks effects inside transaction callbacks and between BEGIN and COMMIT', () => {
    const dir = project({
      'src/tx.ts': [
        "import { Pool } from 'pg';",
        "import { PrismaClient } from '@prisma/client';",
        'const pool = new Pool();',
        'const prisma = new PrismaClient();',
        'export async function viaCallback() {',
        '  await prisma.$transaction(async (tx) => { await tx.order.create({ data: {} }); });',
        '  await prisma.order.create({ data: {} });',
        '}',
        'export async function viaBegin() {',
        '  const client = await pool.connect();',
        "  await client.query('BEGIN');",
        "  await client.query('INSERT INTO orders (id) VALUES ($1)', [1]);",
        "  await client.query('COMMIT');",
        "  await client.query('INSERT INTO audit (id) VALUES ($1)', [1]);",
        '}',
      ].join('\n'),
    });
    const { analysis } = analysisOf(dir, ['src/tx.ts']);
    expect(effectsOf(analysis, 'viaCallback').map((e) => [e.kind, e.tx])).toEqual([
      ['db.write', 'callback'],
      ['tx', undefined],
      ['db.write', undefined],
    ]);
    expect(effectsOf(analysis, 'viaBegin').filter((e) => e.kind === 'db.write').map((e) => [e.table, e.tx])).toEqual([
      ['orders', 'begin'],
      ['audit', undefined],
    ]);
  });
});

describe('entries per framework', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['Express app and Router', { 'src/app.ts': "import express, { Router } from 'express';\nconst app = express();\nconst r = Router();\napp.post('/orders', async (req, res) => {});\nr.put('/orders/:id', auth, async (req, res) => {});\nr.route('/items').patch(async (req, res) => {});\nfunction auth() {}\n" }, ['express POST /orders', 'express PUT /orders/:id', 'express PATCH -']],
    ['Fastify instance, route() and plugin', { 'src/app.ts': "import Fastify from 'fastify';\nconst app = Fastify();\napp.post('/a', async () => {});\napp.route({ method: 'DELETE', url: '/b', handler: async () => {} });\napp.register(async (inst) => { inst.patch('/c', async () => {}); });\n" }, ['fastify POST /a', 'fastify DELETE /b', 'fastify PATCH /c']],
    ['NestJS controller and event pattern', { 'src/orders.controller.ts': "import { Controller, Post, Get } from '@nestjs/common';\nimport { EventPattern } from '@nestjs/microservices';\n@Controller('orders')\nexport class OrdersController {\n  @Post() create() {}\n  @Get() list() {}\n  @EventPattern('order.paid') onPaid() {}\n}\n" }, ['nestjs POST -', 'nestjs GET -', 'nestjs consumer']],
    ['Hono', { 'src/app.ts': "import { Hono } from 'hono';\nconst app = new Hono().basePath('/api');\napp.post('/orders', async (c) => c.json({}));\n" }, ['hono POST /orders']],
    ['Koa router', { 'src/app.ts': "import Router from '@koa/router';\nconst router = new Router();\nrouter.post('/orders', async (ctx) => {});\n" }, ['koa POST /orders']],
    ['Next.js route handlers and server actions', { 'app/api/orders/route.ts': 'export async function POST(req: Request) {}\nexport const GET = async () => {};\n', 'app/actions.ts': "'use server';\nexport async function placeOrder() {}\n", 'app/page.tsx': "export default function Page() { async function save() { 'use server'; } return null; }\n" }, ['next POST -', 'next GET -', 'next-action ACTION -', 'next-action ACTION -']],
    ['tRPC mutation', { 'src/router.ts': "import { initTRPC } from '@trpc/server';\nconst t = initTRPC.create();\nexport const publicProcedure = t.procedure;\nexport const r = t.router({ create: publicProcedure.input(null as any).mutation(async ({ input }) => {}) });\n" }, ['trpc MUTATION -']],
    ['consumers: kafkajs, amqplib, BullMQ, Lambda', {
      'src/kafka.ts': "import { Kafka } from 'kafkajs';\nconst consumer = new Kafka({ brokers: [] }).consumer({ groupId: 'g' });\nconsumer.run({ eachMessage: async ({ message }) => {} });\n",
      'src/amqp.ts': "import amqp from 'amqplib';\nexport async function start() { const conn = await amqp.connect('amqp://x'); const ch = await conn.createChannel(); ch.consume('q', async (msg) => {}); }\n",
      'src/worker.ts': "import { Worker } from 'bullmq';\nnew Worker('emails', async (job) => {});\n",
      'src/lambda.ts': "import type { SQSEvent } from 'aws-lambda';\nexport const handler = async (event: SQSEvent) => {};\n",
    }, ['amqplib consumer', 'kafkajs consumer', 'lambda consumer', 'bullmq consumer']],
  ];
  for (const [name, files, expected] of cases) {
    it(name, () => {
      const dir = project(files);
      const { analysis } = analysisOf(dir, Object.keys(files));
      const got = analysis.entries().map((e) => (e.kind === 'consumer' ? `${e.framework} consumer` : `${e.framework} ${e.method} ${e.route ?? '-'}`));
      expect(got.sort()).toEqual([...expected].sort());
    });
  }

  it('does not take look-alikes for routes (a Map.get, an axios.post, a local router object)', () => {
    const dir = project({
      'src/x.ts': "import axios from 'axios';\nconst cache = new Map();\nconst router = { post: (p: string, f: () => void) => f() };\ncache.get('/a');\nrouter.post('/b', () => {});\naxios.post('/c', {}, { timeout: 1 });\n",
    });
    const { analysis } = analysisOf(dir, ['src/x.ts']);
    expect(analysis.entries()).toEqual([]);
  });
});

describe('custom wrappers from the configuration', () => {
  it('classifies a declared wrapper by the name it is called with', async () => {
    const dir = project({
      'src/inventory.ts': "export class InventoryClient { async lookup(sku: string) { return sku; } }\nexport const inventory = new InventoryClient();\n",
      'src/handler.ts': "import { inventory } from './inventory';\nexport async function prices(skus: string[]) {\n  for (const sku of skus) {\n    await inventory.lookup(sku);\n  }\n}\n",
    });
    const plain = await check({ root: dir, paths: ['.'], config: { preset: 'recommended' }, enableRules: ['no-query-in-loop'] });
    expect(plain.findings).toEqual([]);
    const withWrapper = await check({ root: dir, paths: ['.'], config: { preset: 'recommended', catalogue: { 'InventoryClient.lookup': { effect: 'http', method: 'GET' } } }, enableRules: ['no-query-in-loop'] });
    expect(withWrapper.findings.map((f) => `${f.ruleId}:${f.file.relPath}:${f.file.position(f.range.start).line}`)).toEqual(['no-query-in-loop:src/handler.ts:4']);
  });
});

describe('real-world shapes (precision review)', () => {
  it('resolves a Prisma client generated into the repository and one extended with $extends', () => {
    const dir = project({
      'src/generated-client.ts': "import { PrismaClient } from './generated/prisma/client';\nexport const db = new PrismaClient();\n",
      'src/extended-client.ts': "import { PrismaClient } from '@prisma/client';\nconst make = () => new PrismaClient().$extends({});\nconst g = globalThis as unknown as { prisma?: ReturnType<typeof make> };\nexport const prisma = g.prisma ?? make();\n",
      'src/teams.ts': [
        "import { db } from './generated-client';",
        "import { prisma } from './extended-client';",
        'export async function renameTeam(id: string, name: string) { return db.team.update({ where: { id }, data: { name } }); }',
        'export async function listResponses(surveyId: string) { return prisma.response.findMany({ where: { surveyId }, take: 20 }); }',
      ].join('\n'),
    });
    const { analysis } = analysisOf(dir, ['src/teams.ts']);
    expect(effectsOf(analysis, 'renameTeam')).toMatchObject([{ kind: 'db.write', api: 'db.team.update', table: 'team' }]);
    expect(effectsOf(analysis, 'listResponses')).toMatchObject([{ kind: 'db.read', api: 'prisma.response.findMany', table: 'response' }]);
  });

  it('finds Next.js route handlers wrapped in a helper (function argument or `handler` option)', () => {
    const files = {
      'app/api/responses/route.ts': 'const withApi = (o: any) => o;\nconst withAuth = (f: any) => f;\nexport const POST = withApi({ handler: async ({ req }: any) => {} });\nexport const GET = withAuth(async (req: Request) => {});\nexport const revalidate = Number(60);\n',
    };
    const dir = project(files);
    const { analysis } = analysisOf(dir, Object.keys(files));
    expect(analysis.entries().map((e) => `${e.framework} ${e.method}`).sort()).toEqual(['next GET', 'next POST']);
  });
});
