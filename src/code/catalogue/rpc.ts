/**
 * RPC clients: gRPC (`@grpc/grpc-js`) and the AWS SDK v3, whose every operation is one `client.send(new
 * XCommand(input))`. The command decides what the call is: a publish (SQS, SNS, EventBridge), a DynamoDB
 * read or write, an S3 object transfer (kind `rpc`). Commands the catalogue does not know stay silent.
 */
import { ts } from 'ts-morph';
import { skipOuter } from '../resolve.js';
import { apiText, argsOf, hasOption, objectOf, optionValue, stringOf } from './helpers.js';
import { hasOpaqueSpread, isCallback, optionsAt } from './http.js';
import type { CallFacts, CallSite, LibraryEntry, WriteKind } from './types.js';

/* ------------------------------------------------------------------------------------------------------
 * gRPC. A call has no deadline unless its call options (`{ deadline }`, the argument before the callback)
 * give one: grpc-js passes `options.deadline` to `createCall` and has no default (src/client.ts). Only
 * clients built from a `@grpc/grpc-js` value are read: `new (grpc.loadPackageDefinition(def).pkg.Svc)(addr,
 * creds)`, `makeGenericClientConstructor(…)`, `new grpc.Client(addr, creds)` (its `make*Request`).
 * Generated clients imported from repository files (grpc-tools' `*_grpc_pb`) are not followed.
 * ---------------------------------------------------------------------------------------------------- */

/** Members of every grpc-js client that are not RPC methods. */
const GRPC_CLIENT_MEMBERS = new Set(['close', 'getChannel', 'waitForReady', 'constructor', 'bind', 'call', 'apply', 'toString', 'on', 'once']);
const GRPC_GENERIC = new Set(['makeUnaryRequest', 'makeClientStreamRequest', 'makeServerStreamRequest', 'makeBidiStreamRequest']);
const GRPC_CLIENT = /^@grpc\/grpc-js\.(?:loadPackageDefinition\(\)(?:\.[^.()]+)+|makeGenericClientConstructor\(\)|makeClientConstructor\(\)|Client|default\.Client)\(\)\.([^.()]+)$/;
const GRPC_HINT = 'a deadline in the call options: `{ deadline: Date.now() + ms }`';

/** Whether the construction of the client passes interceptors, which may set deadlines of their own. */
function grpcClientIntercepted(site: CallSite): boolean | undefined {
  const creation = site.callee.creation;
  if (!creation) return undefined; // a client we did not see built (injected, typed): cannot tell
  const { opts, state } = optionsAt({ ...site, call: creation }, 2);
  if (state === 'absent') return false;
  if (!opts) return true;
  return hasOption(site, opts, ['interceptors', 'interceptor_providers', 'channelOverride']) !== false || hasOpaqueSpread(site, opts);
}

/** A `Metadata` value: `new grpc.Metadata()` or a variable bound to one. */
function isMetadata(site: CallSite, arg: ts.Expression): boolean {
  const v = site.resolver.valueOf(arg);
  return v?.kind === 'ext' && /^@grpc\/grpc-js\.(?:default\.)?Metadata\(\)$/.test(v.path);
}

/**
 * A call's deadline from its arguments: true when an options literal sets `deadline`; false when the call
 * has a callback (a unary or client-streaming call) and every other argument is a request, metadata or a
 * literal without one; undefined otherwise (streams without a callback, options we cannot read).
 */
function grpcDeadline(site: CallSite, from: number): boolean | undefined {
  const args = argsOf(site.call);
  const hasCallback = args.length > 0 && isCallback(site, args[args.length - 1]);
  const rest = (hasCallback ? args.slice(0, -1) : args).slice(from);
  let unknown = false;
  for (const [i, arg] of rest.entries()) {
    if (i === 0 && from === 0) continue; // the request message (a field of it may well be called `deadline`)
    const opts = objectOf(site, arg);
    if (opts) {
      const r = hasOption(site, opts, ['deadline']);
      if (r === true) return true;
      if (r === undefined || optionValue(opts, 'interceptors') || optionValue(opts, 'interceptor_providers')) unknown = true;
      continue;
    }
    if (isMetadata(site, arg)) continue;
    unknown = true;
  }
  if (unknown || !hasCallback) return undefined;
  return false;
}

const grpc: LibraryEntry = {
  id: 'grpc',
  modules: ['@grpc/grpc-js'],
  calls: [
    {
      path: '@grpc/grpc-js.**',
      construct: false,
      describe: (site) => {
        const m = GRPC_CLIENT.exec(site.callee.path);
        if (!m || GRPC_CLIENT_MEMBERS.has(m[1])) return undefined;
        const generic = GRPC_GENERIC.has(m[1]);
        if (!generic && /\.(?:default\.)?Client\(\)\.[^.]+$/.test(site.callee.path)) return undefined; // only make*Request on a bare Client
        // make*Request(method, serialize, deserialize, [argument,] metadata?, options?, callback?)
        const from = generic ? (/^make(?:Unary|ServerStream)Request$/.test(m[1]) ? 4 : 3) : 0;
        let bounded = grpcDeadline(site, from);
        if (bounded === false && grpcClientIntercepted(site) !== false) bounded = undefined;
        return { kind: 'rpc', lib: 'grpc', api: apiText(site.call), bounded, timeoutHint: GRPC_HINT };
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * AWS SDK for JavaScript v3. A client (`new SQSClient(config)`, any `@aws-sdk/client-*` `…Client`) has no
 * request timeout by default: NodeHttpHandler's `requestTimeout` defaults to 0. It is bounded when its
 * `requestHandler` (a `new NodeHttpHandler({…})` or, in recent versions, a plain object) sets
 * `requestTimeout`, `connectionTimeout` or the older `socketTimeout`. `maxAttempts` is about retries, not
 * time. Precision: unbounded only when the config is a literal without `requestHandler` (or absent).
 * `client.send(command, { abortSignal })` bounds one call.
 * ---------------------------------------------------------------------------------------------------- */

const AWS_TIMEOUTS = ['requestTimeout', 'connectionTimeout', 'socketTimeout'];
const AWS_HINT = '`requestHandler: new NodeHttpHandler({ connectionTimeout, requestTimeout })`';
/** Aggregated v3 clients (`new SQS({})`, `new DynamoDB({})`) whose methods mirror the commands. */
const AWS_AGGREGATED = new Set(['SQS', 'SNS', 'EventBridge', 'S3', 'DynamoDB', 'Kinesis', 'Lambda', 'SES', 'SESv2', 'SFN', 'Firehose', 'CloudWatch', 'SecretsManager', 'SSM', 'KMS', 'STS']);

/** Whether an AWS client construction bounds its requests (see above). */
function awsClientBounded(site: Pick<CallSite, 'resolver'>, creation: ts.NewExpression | ts.CallExpression): boolean | undefined {
  const config = creation.arguments?.[0];
  if (!config) return false;
  const obj = objectOf(site, config);
  if (!obj) return undefined;
  const handler = optionValue(obj, 'requestHandler');
  if (!handler) return hasOpaqueSpread(site, obj) ? undefined : false;
  const h = skipOuter(handler);
  // `new NodeHttpHandler({…})`, `NodeHttpHandler.create({…})`, `new FetchHttpHandler({…})`, or a plain object.
  const handlerOptions = ts.isNewExpression(h) || ts.isCallExpression(h) ? objectOf(site, h.arguments?.[0]) : objectOf(site, h);
  if (!handlerOptions) return undefined;
  return hasOption(site, handlerOptions, AWS_TIMEOUTS);
}

/** The client behind a `send`: the construction, or (DocumentClient.from(client)) the client it wraps. */
function awsSendBounded(site: CallSite): boolean | undefined {
  const own = optionsAt(site, 1);
  if (own.opts && hasOption(site, own.opts, ['abortSignal']) === true) return true;
  let creation = site.callee.creation;
  for (let i = 0; creation && i < 3; i++) {
    const callee = site.resolver.valueOf(creation.expression);
    if (callee?.kind === 'ext' && /^@aws-sdk\/lib-dynamodb\.(?:DynamoDBDocumentClient|DynamoDBDocument)(?:\.from)?$/.test(callee.path)) {
      const inner = creation.arguments?.[0];
      const v = inner ? site.resolver.valueOf(inner) : undefined;
      creation = v?.kind === 'ext' ? v.creation : undefined;
      continue;
    }
    break;
  }
  // An unbounded client is reported where it is built.
  return creation && awsClientBounded(site, creation) === true ? true : undefined;
}

interface Command {
  module: string;
  name: string;
  input?: ts.ObjectLiteralExpression;
}

/** The command a `send` gets: `new SendMessageCommand({…})`, or a `const` bound to one. */
function commandOf(site: CallSite, arg: ts.Expression | undefined): Command | undefined {
  if (!arg) return undefined;
  let e = skipOuter(arg);
  if (ts.isIdentifier(e)) {
    const decl = site.resolver.declarationOf(e);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) e = skipOuter(decl.initializer);
  }
  if (!ts.isNewExpression(e)) return undefined;
  const v = site.resolver.valueOf(e.expression);
  if (v?.kind !== 'ext') return undefined;
  const dot = v.path.lastIndexOf('.');
  if (dot < 0) return undefined;
  return { module: v.path.slice(0, dot), name: v.path.slice(dot + 1), input: objectOf(site, e.arguments?.[0]) };
}

/** What an operation does, by service and operation name (`SendMessage`, `PutItem`, `Put`). */
function operationFacts(site: CallSite, module: string, op: string, input: ts.ObjectLiteralExpression | undefined, api: string): CallFacts | undefined {
  const service = module.replace(/^@aws-sdk\//, '');
  const base = { api, bounded: awsSendBounded(site), timeoutHint: AWS_HINT };
  switch (service) {
    case 'client-sqs':
      if (op === 'SendMessage' || op === 'SendMessageBatch') return { ...base, kind: 'publish', lib: 'sqs', idempotencyKey: mentionsKey(input, 'MessageDeduplicationId') };
      return undefined;
    case 'client-sns':
      if (op === 'Publish' || op === 'PublishBatch') return { ...base, kind: 'publish', lib: 'sns', idempotencyKey: mentionsKey(input, 'MessageDeduplicationId') };
      return undefined;
    case 'client-eventbridge':
      // PutEvents has no deduplication key (the event id is assigned by EventBridge).
      if (op === 'PutEvents') return { ...base, kind: 'publish', lib: 'eventbridge', idempotencyKey: false };
      return undefined;
    case 'client-dynamodb':
    case 'lib-dynamodb':
      return dynamoFacts(site, op.replace(/Item$/, ''), input, base);
    case 'client-s3': {
      const method = op === 'PutObject' || op === 'CopyObject' || op === 'UploadPart' || op === 'CompleteMultipartUpload' ? 'PUT' : op === 'GetObject' || op === 'HeadObject' ? 'GET' : op === 'DeleteObject' || op === 'DeleteObjects' ? 'DELETE' : undefined;
      return method ? { ...base, kind: 'rpc', lib: 's3', method } : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether the input (or one of its batch entries) carries a key: true / false / undefined (unreadable). */
function mentionsKey(input: ts.ObjectLiteralExpression | undefined, key: string): boolean | undefined {
  if (!input) return undefined;
  return new RegExp(`\\b${key}\\b`).test(input.getText());
}

/**
 * DynamoDB: Put/Update/Delete are writes, Get/Query/Scan reads. A Put conditioned on
 * `attribute_not_exists(…)` cannot create a duplicate; an Update whose SET values are all computed from
 * the attribute itself (`ADD n :inc`, `SET n = n + :inc`) is atomic; a condition on a version attribute is
 * an optimistic check. Scan and Query without `Limit` read everything that matches.
 */
function dynamoFacts(site: CallSite, op: string, input: ts.ObjectLiteralExpression | undefined, base: Pick<CallFacts, 'api' | 'bounded' | 'timeoutHint'>): CallFacts | undefined {
  const table = stringOf(site, optionValue(input, 'TableName'));
  const condition = input ? stringOf(site, optionValue(input, 'ConditionExpression')) : undefined;
  const hasCondition = input ? optionValue(input, 'ConditionExpression') !== undefined : false;
  const facts: CallFacts = { ...base, kind: 'db.write', lib: 'dynamodb', table };
  const write = (w: WriteKind): CallFacts => ({ ...facts, write: w });
  switch (op) {
    case 'Put':
      return { ...write('insert'), dedupes: condition !== undefined ? /attribute_not_exists\s*\(/i.test(condition) : hasCondition ? undefined : false, versionCheck: condition ? versionCondition(condition) : undefined };
    case 'Update': {
      const expr = input ? stringOf(site, optionValue(input, 'UpdateExpression')) : undefined;
      return { ...write('update'), singleRow: true, atomic: expr !== undefined ? atomicUpdate(expr) : undefined, versionCheck: condition ? versionCondition(condition) : undefined };
    }
    case 'Delete':
      return { ...write('delete'), singleRow: true };
    case 'BatchWrite':
      return { ...facts, write: input && /\bPutRequest\b/.test(input.getText()) ? 'insert' : 'delete', batched: 'always' };
    case 'Get':
      return { ...facts, kind: 'db.read', limited: true, singleRow: true };
    case 'BatchGet':
      return { ...facts, kind: 'db.read', limited: true, multiKey: true };
    case 'Query':
    case 'Scan': {
      const limited = input ? (optionValue(input, 'Limit') !== undefined ? true : hasOpaqueSpread(site, input) ? undefined : stringOf(site, optionValue(input, 'Select')) === 'COUNT') : undefined;
      return { ...facts, kind: 'db.read', limited };
    }
    default:
      return undefined;
  }
}

/** `ADD stock :n`, `SET #c = #c + :one, updatedAt = :now`? Only when every SET/ADD/REMOVE part is computed from itself. */
function atomicUpdate(expr: string): boolean {
  const parts = expr.split(/\b(SET|ADD|REMOVE|DELETE)\b/i).map((p) => p.trim()).filter(Boolean);
  let action = '';
  let sawAny = false;
  for (const part of parts) {
    if (/^(?:SET|ADD|REMOVE|DELETE)$/i.test(part)) {
      action = part.toUpperCase();
      continue;
    }
    for (const clause of splitTopLevel(part)) {
      sawAny = true;
      if (action === 'ADD' || action === 'DELETE') continue; // numeric add / set element removal: computed by DynamoDB
      if (action !== 'SET') return false;
      const m = /^([#\w.[\]]+)\s*=\s*(.+)$/.exec(clause.trim());
      if (!m) return false;
      const [, target, value] = m;
      const escaped = target.replace(/[.[\]]/g, (c) => `\\${c}`);
      const self = new RegExp(`^(?:${escaped}\\s*[+-]|if_not_exists\\s*\\(\\s*${escaped}\\s*,[^)]*\\)\\s*[+-]|list_append\\s*\\(\\s*${escaped}\\s*,)`);
      if (!self.test(value.trim())) return false;
    }
  }
  return sawAny;
}

/** Split on commas outside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** `#version = :expected`, `version = :v`: a condition on a version-like attribute. */
function versionCondition(condition: string): boolean {
  return /(?:^|[\s(])#?(?:version|ver|revision|rev|etag|lock_?version|updated_?at)\w*\s*=\s*:/i.test(condition);
}

const AWS_SEND_PATH = '{@aws-sdk/client-*,@aws-sdk/lib-dynamodb}.**.send';

const aws: LibraryEntry = {
  id: 'aws-sdk',
  modules: ['@aws-sdk/client-*', '@aws-sdk/lib-dynamodb'],
  calls: [
    {
      // `new SQSClient(config)`, `new CloudWatchClient(config)`, `new DynamoDB(config)`…
      path: '@aws-sdk/client-*.*',
      construct: true,
      describe: (site) => {
        const name = site.callee.path.slice(site.callee.path.lastIndexOf('.') + 1);
        if (!/Client$/.test(name) && !AWS_AGGREGATED.has(name)) return undefined;
        return { kind: 'client', lib: 'aws-sdk', api: apiText(site.call), bounded: awsClientBounded(site, site.call as ts.NewExpression), timeoutHint: AWS_HINT };
      },
    },
    {
      // `client.send(new SendMessageCommand(input), { abortSignal })`.
      path: AWS_SEND_PATH,
      construct: false,
      describe: (site) => {
        if (!/(?:Client|DynamoDBDocument|\.from)\(\)\.send$/.test(site.callee.path)) return undefined;
        const command = commandOf(site, argsOf(site.call)[0]);
        if (!command || !command.module.startsWith('@aws-sdk/') || !command.name.endsWith('Command')) return undefined;
        const op = command.name.replace(/Command$/, '');
        return operationFacts(site, command.module, op, command.input, `${apiText(site.call)}(new ${command.name})`);
      },
    },
    {
      // Aggregated clients: `new SQS({}).sendMessage(input)`, `DynamoDBDocument.from(client).put(input)`.
      path: '{@aws-sdk/client-*,@aws-sdk/lib-dynamodb}.**.*',
      construct: false,
      describe: (site) => {
        const m = /^(@aws-sdk\/[^.]+)\.(?:([A-Za-z0-9]+)\(\)|DynamoDBDocument\.from\(\))\.([a-z][A-Za-z0-9]*)$/.exec(site.callee.path);
        if (!m || m[3] === 'send') return undefined;
        if (m[2] && !AWS_AGGREGATED.has(m[2])) return undefined;
        const op = m[3].charAt(0).toUpperCase() + m[3].slice(1);
        return operationFacts(site, m[1], op, objectOf(site, argsOf(site.call)[0]), apiText(site.call));
      },
    },
  ],
};

export const rpcLibraries: LibraryEntry[] = [grpc, aws];
