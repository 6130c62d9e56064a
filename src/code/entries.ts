/**
 * Framework adapters: where requests and messages enter a service. An entry is a handler function with
 * its HTTP method (or a message consumer), and the node a finding about the whole handler points at.
 *
 * HTTP: Express (app and Router), Fastify (instance, `route({ method })`, plugins), NestJS controllers,
 * Hono, Koa with @koa/router, Next.js App Router route handlers and server actions, tRPC mutations.
 * Consumers: kafkajs `eachMessage`/`eachBatch`, amqplib `consume`, BullMQ `Worker`, SQS/Lambda
 * handlers, sqs-consumer, NestJS `@EventPattern`/`@MessagePattern` and friends.
 */
import path from 'node:path';
import { ts } from 'ts-morph';
import type { CodeFile } from './project.js';
import { hasModifier, isFunctionLike, propertyName, skipOuter, type FnNode, type Resolver, type Value } from './resolve.js';

export interface Entry {
  kind: 'http' | 'consumer';
  framework: string;
  /** HTTP verb (upper case); `MUTATION` for tRPC, `ACTION` for a server action; undefined for consumers. */
  method?: string;
  route?: string;
  fn: FnNode;
  /** Where findings about the whole handler point. */
  anchor: ts.Node;
  file: CodeFile;
  /** The registration (route call, decorator list) whose text may name an idempotency middleware. */
  registration: ts.Node;
}

const VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all']);
const NEST_HTTP = new Set(['Post', 'Put', 'Patch', 'Delete', 'Get', 'All']);
const NEST_CONSUMERS = new Set(['EventPattern', 'MessagePattern', 'RabbitSubscribe', 'SqsMessageHandler', 'Process', 'KafkaListener']);
const LAMBDA_EVENT = /^(?:SQSEvent|SNSEvent|EventBridgeEvent|KinesisStreamEvent|DynamoDBStreamEvent|S3Event|SQSHandler|SNSHandler|EventBridgeHandler|KinesisStreamHandler|DynamoDBStreamHandler)\b/;

export function findEntries(file: CodeFile, resolver: Resolver): Entry[] {
  const out: Entry[] = [];
  const sf = file.ast;
  const fastifyParams = new Set<ts.Node>();
  nextRoutes(file, out);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) callEntry(node, file, resolver, out, fastifyParams);
    else if (ts.isNewExpression(node)) workerEntry(node, file, resolver, out);
    else if (ts.isClassDeclaration(node)) nestEntries(node, file, out);
    node.forEachChild(visit);
  };
  sf.forEachChild(visit);
  lambdaEntries(file, resolver, out);
  return out;
}

function fnOf(expr: ts.Expression | undefined, resolver: Resolver): FnNode | undefined {
  if (!expr) return undefined;
  const e = skipOuter(expr);
  if (isFunctionLike(e)) return e;
  const v: Value | undefined = resolver.valueOf(e);
  return v?.kind === 'fn' ? v.decl : undefined;
}

const ROUTERS: Array<[RegExp, 'express' | 'fastify' | 'hono' | 'koa']> = [
  [/^express(?:\.(?:Router|Express|Application|IRouter))?\(\)(?:\.route\(\))?$/, 'express'],
  [/^fastify(?:\.(?:fastify|default|FastifyInstance))?\(\)$/, 'fastify'],
  [/^(?:hono(?:\/[a-z-]+)?\.Hono|@hono\/zod-openapi\.OpenAPIHono)\(\)(?:\.(?:basePath|get|post|put|patch|delete|use|route|all)\(\))*$/, 'hono'],
  [/^(?:@koa\/router|koa-router)(?:\.(?:Router|default))?\(\)$/, 'koa'],
];

function isRouter(value: Value | undefined, receiver: ts.Expression, fastifyParams: Set<ts.Node>, resolver: Resolver): 'express' | 'fastify' | 'hono' | 'koa' | undefined {
  if (value?.kind === 'ext') return ROUTERS.find(([re]) => re.test(value.path))?.[1];
  const e = skipOuter(receiver);
  if (ts.isIdentifier(e)) {
    const decl = resolver.declarationOf(e);
    if (decl && fastifyParams.has(decl)) return 'fastify';
  }
  return undefined;
}

function callEntry(call: ts.CallExpression, file: CodeFile, resolver: Resolver, out: Entry[], fastifyParams: Set<ts.Node>): void {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return;
  const name = callee.name.text;

  // Fastify plugins: `app.register(async (instance) => { instance.post(…) })`.
  if (name === 'register' && call.arguments[0]) {
    const fw = isRouter(resolver.valueOf(callee.expression), callee.expression, fastifyParams, resolver);
    const plugin = fnOf(call.arguments[0], resolver);
    if (fw === 'fastify' && plugin?.parameters[0]) fastifyParams.add(plugin.parameters[0]);
    return;
  }

  if (VERBS.has(name) || name === 'route') {
    // `router.route('/x').post(h)` (Express) chains from route(); Fastify `route({ method, handler })`.
    const receiver = callee.expression;
    const fw = isRouter(resolver.valueOf(receiver), receiver, fastifyParams, resolver);
    if (!fw) return;
    if (name === 'route') {
      const opts = call.arguments[0] && skipOuter(call.arguments[0]);
      if (fw !== 'fastify' || !opts || !ts.isObjectLiteralExpression(opts)) return;
      const method = prop(opts, 'method');
      const handler = fnOf(prop(opts, 'handler'), resolver);
      const methods = method && ts.isArrayLiteralExpression(skipOuter(method)) ? (skipOuter(method) as ts.ArrayLiteralExpression).elements : method ? [method] : [];
      for (const m of methods) {
        if (handler && ts.isStringLiteralLike(skipOuter(m))) {
          out.push({ kind: 'http', framework: fw, method: (skipOuter(m) as ts.StringLiteral).text.toUpperCase(), route: str(prop(opts, 'url')), fn: handler, anchor: callee.name, file, registration: call });
        }
      }
      return;
    }
    const args = call.arguments;
    let handlerExpr = args[args.length - 1];
    // Fastify: `app.post(url, { handler })`.
    if (fw === 'fastify' && handlerExpr && ts.isObjectLiteralExpression(skipOuter(handlerExpr))) handlerExpr = prop(skipOuter(handlerExpr) as ts.ObjectLiteralExpression, 'handler') ?? handlerExpr;
    const handler = fnOf(handlerExpr, resolver);
    if (!handler || args.length < 1) return;
    const routeArg = args[0] && ts.isStringLiteralLike(skipOuter(args[0])) ? (skipOuter(args[0]) as ts.StringLiteral).text : undefined;
    if (routeArg === undefined && !(fw === 'express' && /route\(\)$/.test(pathOf(resolver.valueOf(receiver))))) return;
    out.push({ kind: 'http', framework: fw, method: name === 'del' ? 'DELETE' : name.toUpperCase(), route: routeArg, fn: handler, anchor: callee.name, file, registration: call });
    return;
  }

  // tRPC: `publicProcedure.input(schema).mutation(async ({ input, ctx }) => …)`.
  if (name === 'mutation' && call.arguments.length === 1 && usesTrpc(file)) {
    const handler = fnOf(call.arguments[0], resolver);
    if (handler) out.push({ kind: 'http', framework: 'trpc', method: 'MUTATION', fn: handler, anchor: callee.name, file, registration: call });
    return;
  }

  // kafkajs: `consumer.run({ eachMessage })`.
  if (name === 'run' && call.arguments[0] && ts.isObjectLiteralExpression(skipOuter(call.arguments[0]))) {
    const recv = resolver.valueOf(callee.expression);
    if (recv?.kind !== 'ext' || !recv.path.startsWith('kafkajs')) return;
    for (const p of (skipOuter(call.arguments[0]) as ts.ObjectLiteralExpression).properties) {
      const key = p.name ? propertyName(p.name) : undefined;
      if (key !== 'eachMessage' && key !== 'eachBatch') continue;
      const fn = ts.isMethodDeclaration(p) ? p : ts.isPropertyAssignment(p) ? fnOf(p.initializer, resolver) : ts.isShorthandPropertyAssignment(p) ? fnOf(p.name, resolver) : undefined;
      if (fn && p.name) out.push({ kind: 'consumer', framework: 'kafkajs', fn, anchor: p.name, file, registration: call });
    }
    return;
  }

  // amqplib: `channel.consume(queue, onMessage)`.
  if (name === 'consume' && call.arguments.length >= 2) {
    const recv = resolver.valueOf(callee.expression);
    if (recv?.kind !== 'ext' || !recv.path.startsWith('amqplib')) return;
    const fn = fnOf(call.arguments[1], resolver);
    if (fn) out.push({ kind: 'consumer', framework: 'amqplib', fn, anchor: callee.name, file, registration: call });
    return;
  }

  // sqs-consumer: `Consumer.create({ handleMessage })`.
  if (name === 'create' && call.arguments[0] && ts.isObjectLiteralExpression(skipOuter(call.arguments[0]))) {
    const recv = resolver.valueOf(callee.expression);
    if (recv?.kind !== 'ext' || !recv.path.startsWith('sqs-consumer')) return;
    for (const p of (skipOuter(call.arguments[0]) as ts.ObjectLiteralExpression).properties) {
      const key = p.name ? propertyName(p.name) : undefined;
      if (key !== 'handleMessage' && key !== 'handleMessageBatch') continue;
      const fn = ts.isMethodDeclaration(p) ? p : ts.isPropertyAssignment(p) ? fnOf(p.initializer, resolver) : undefined;
      if (fn && p.name) out.push({ kind: 'consumer', framework: 'sqs-consumer', fn, anchor: p.name, file, registration: call });
    }
  }
}

/** BullMQ: `new Worker('emails', async (job) => …)`. */
function workerEntry(node: ts.NewExpression, file: CodeFile, resolver: Resolver, out: Entry[]): void {
  const v = resolver.valueOf(node.expression);
  if (v?.kind !== 'ext' || !/^bullmq(?:\.default)?\.Worker$/.test(v.path)) return;
  const fn = fnOf(node.arguments?.[1], resolver);
  if (fn) out.push({ kind: 'consumer', framework: 'bullmq', fn, anchor: node, file, registration: node });
}

function nestEntries(cls: ts.ClassDeclaration, file: CodeFile, out: Entry[]): void {
  const decorators = (n: ts.Node) => (ts.canHaveDecorators(n) ? (ts.getDecorators(n) ?? []) : []);
  const nameOf = (d: ts.Decorator) => {
    const e = d.expression;
    return ts.isCallExpression(e) && ts.isIdentifier(e.expression) ? e.expression.text : ts.isIdentifier(e) ? e.text : undefined;
  };
  const isController = decorators(cls).some((d) => nameOf(d) === 'Controller' || nameOf(d) === 'Resolver');
  for (const m of cls.members) {
    if (!ts.isMethodDeclaration(m) || !m.body) continue;
    for (const d of decorators(m)) {
      const n = nameOf(d);
      if (!n) continue;
      if (isController && NEST_HTTP.has(n)) out.push({ kind: 'http', framework: 'nestjs', method: n.toUpperCase(), fn: m, anchor: m.name, file, registration: m });
      else if (n === 'Mutation' && isController) out.push({ kind: 'http', framework: 'nestjs-graphql', method: 'MUTATION', fn: m, anchor: m.name, file, registration: m });
      else if (NEST_CONSUMERS.has(n)) out.push({ kind: 'consumer', framework: 'nestjs', fn: m, anchor: m.name, file, registration: m });
    }
  }
  // @nestjs/bullmq: `@Processor('q') class X extends WorkerHost { async process(job) {…} }`.
  if (decorators(cls).some((d) => nameOf(d) === 'Processor')) {
    const process = cls.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && m.name.getText() === 'process' && m.body !== undefined);
    if (process && !out.some((e) => e.fn === process)) out.push({ kind: 'consumer', framework: 'nestjs-bullmq', fn: process, anchor: process.name, file, registration: process });
  }
}

/** Next.js App Router: `route.ts` files under `app/` export handlers named after HTTP verbs; `'use server'` files export actions. */
function nextRoutes(file: CodeFile, out: Entry[]): void {
  const sf = file.ast;
  const base = path.basename(file.source.path).replace(/\.[mc]?tsx?$/, '');
  const isRoute = base === 'route' && /(?:^|[\\/])app[\\/]/.test(file.source.relPath);
  const useServer = sf.statements.length > 0 && isUseServer(sf.statements[0]);
  if (!isRoute && !useServer) {
    // Inline server actions: `async function save() { 'use server'; … }`.
    const visit = (n: ts.Node): void => {
      if ((ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body && ts.isBlock(n.body) && n.body.statements[0] && isUseServer(n.body.statements[0])) {
        const anchor = ts.isFunctionDeclaration(n) && n.name ? n.name : n;
        out.push({ kind: 'http', framework: 'next-action', method: 'ACTION', fn: n, anchor, file, registration: n });
      }
      n.forEachChild(visit);
    };
    sf.forEachChild(visit);
    return;
  }
  for (const st of sf.statements) {
    if (!hasModifier(st, ts.SyntaxKind.ExportKeyword)) continue;
    const decls: Array<{ name: ts.Identifier; fn: FnNode | undefined }> = [];
    if (ts.isFunctionDeclaration(st) && st.name) decls.push({ name: st.name, fn: st });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const init = d.initializer && skipOuter(d.initializer);
        if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) decls.push({ name: d.name, fn: init });
        // A wrapped handler: `export const POST = withAuth(async (req) => …)`, `withApiWrapper({ handler: async … })`.
        else if (ts.isIdentifier(d.name) && init && ts.isCallExpression(init)) decls.push({ name: d.name, fn: wrappedHandler(init) });
      }
    }
    for (const { name, fn } of decls) {
      if (!fn) continue;
      if (isRoute && /^(?:GET|POST|PUT|PATCH|DELETE)$/.test(name.text)) out.push({ kind: 'http', framework: 'next', method: name.text, fn, anchor: name, file, registration: fn });
      else if (useServer && !isRoute) out.push({ kind: 'http', framework: 'next-action', method: 'ACTION', fn, anchor: name, file, registration: fn });
    }
  }
}

/** The function a route wrapper is given: its function argument, or the `handler` of its options object. */
function wrappedHandler(call: ts.CallExpression): FnNode | undefined {
  for (const arg of call.arguments) {
    const a = skipOuter(arg);
    if (ts.isArrowFunction(a) || ts.isFunctionExpression(a)) return a;
    if (ts.isObjectLiteralExpression(a)) {
      for (const p of a.properties) {
        if (!p.name || propertyName(p.name) !== 'handler') continue;
        if (ts.isMethodDeclaration(p)) return p;
        const v = ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
        if (v && (ts.isArrowFunction(v) || ts.isFunctionExpression(v))) return v;
      }
    }
  }
  return undefined;
}

function isUseServer(st: ts.Statement): boolean {
  return ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression) && st.expression.text === 'use server';
}

/** AWS Lambda consumers: an exported `handler` whose event is an SQS/SNS/EventBridge/Kinesis/DynamoDB event. */
function lambdaEntries(file: CodeFile, resolver: Resolver, out: Entry[]): void {
  if (!/aws-lambda/.test(file.source.text)) return;
  for (const st of file.ast.statements) {
    if (!hasModifier(st, ts.SyntaxKind.ExportKeyword)) continue;
    const candidates: Array<{ name: ts.Identifier; fn: FnNode; type?: ts.TypeNode }> = [];
    if (ts.isFunctionDeclaration(st) && st.name && st.body) candidates.push({ name: st.name, fn: st, type: st.parameters[0]?.type });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const fn = fnOf(d.initializer, resolver);
        if (ts.isIdentifier(d.name) && fn) candidates.push({ name: d.name, fn, type: d.type ?? fn.parameters[0]?.type });
      }
    }
    for (const c of candidates) {
      if (c.type && LAMBDA_EVENT.test(c.type.getText())) out.push({ kind: 'consumer', framework: 'lambda', fn: c.fn, anchor: c.name, file, registration: c.fn });
    }
  }
}

function usesTrpc(file: CodeFile): boolean {
  return file.source.text.includes('@trpc/server') || /\b(?:public|protected|admin|authed)Procedure\b/.test(file.source.text);
}

function prop(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (p.name && propertyName(p.name) === key) {
      if (ts.isPropertyAssignment(p)) return p.initializer;
      if (ts.isShorthandPropertyAssignment(p)) return p.name;
      if (ts.isMethodDeclaration(p)) return undefined;
    }
  }
  return undefined;
}

function str(e: ts.Expression | undefined): string | undefined {
  const s = e && skipOuter(e);
  return s && ts.isStringLiteralLike(s) ? s.text : undefined;
}

function pathOf(v: Value | undefined): string {
  return v?.kind === 'ext' ? v.path : '';
}
