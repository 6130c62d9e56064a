/**
 * The API catalogue: every library entry, and `classify`, which says what a call does from the path of
 * its callee (see resolve.ts). User wrappers declared in the configuration (`catalogue` in
 * plumbline.config.json) are matched by the callee's name as written (`myHttp.get`, `EventBus.publish`).
 */
import { ts } from 'ts-morph';
import type { ExternalValue, Resolver, Value } from '../resolve.js';
import type { CodeFile } from '../project.js';
import { apiText, argsOf, hasOption, objectOf } from './helpers.js';
import type { CallFacts, CallSite, CallSpec, EffectKind, LibraryEntry } from './types.js';
import { databaseLibraries } from './db.js';
import { httpLibraries } from './http.js';
import { messagingLibraries } from './messaging.js';
import { paymentLibraries } from './payments.js';
import { retryLibraries } from './retry.js';
import { batchingLibraries } from './batching.js';
import { queryBuilderLibraries } from './query-builders.js';
import { cacheLibraries } from './cache.js';
import { rpcLibraries } from './rpc.js';

export type { CallFacts, CallSite, EffectKind, LibraryEntry } from './types.js';

export const libraries: LibraryEntry[] = [...databaseLibraries, ...httpLibraries, ...messagingLibraries, ...paymentLibraries, ...batchingLibraries, ...queryBuilderLibraries, ...retryLibraries, ...cacheLibraries, ...rpcLibraries];

/** A wrapper the user declares: `"myHttp.get": { "effect": "http", "timeoutOption": "timeoutMs" }`. */
export interface CustomEntry {
  effect: 'http' | 'publish' | 'payment' | 'db.read' | 'db.write' | 'outbox' | 'idempotency' | 'dedupe' | 'none';
  /** Option key (in the last object argument) that bounds the call; absent means the wrapper bounds it. */
  timeoutOption?: string;
  /** Option key that carries an idempotency key. */
  idempotencyOption?: string;
  method?: string;
  table?: string;
}

interface CompiledSpec {
  lib: string;
  re: RegExp;
  spec: CallSpec;
}

/** Segments of a pattern: split on dots outside `{…}` (alternatives may hold dotted paths: `{axios,axios.create()}`). */
function splitPattern(pattern: string): string[] {
  const segs: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of pattern) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === '.' && depth === 0) {
      segs.push(cur);
      cur = '';
    } else cur += c;
  }
  segs.push(cur);
  return segs;
}

function compile(pattern: string): RegExp {
  const segs = splitPattern(pattern);
  let re = '^';
  segs.forEach((seg, i) => {
    if (seg === '**') {
      re += i === 0 ? '(?:[^.]+\\.)*' : '(?:\\.[^.]+)*';
      return;
    }
    if (i > 0 && !(i === 1 && segs[0] === '**')) re += '\\.';
    re += seg
      .replace(/[\\^$+?.()[\]|]/g, (c) => `\\${c}`)
      .replace(/\{([^}]+)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`)
      .replace(/\*/g, '[^.]*');
  });
  return new RegExp(`${re}$`);
}

const byModule = new Map<string, CompiledSpec[]>();
/** Specs registered for a family of packages (`@aws-sdk/client-*`), matched by prefix of the root module. */
const byPrefix: Array<{ prefix: string; spec: CompiledSpec }> = [];
const prefixed = new Map<string, CompiledSpec[]>();

/** The specs for a root module: its own, then those of package families it belongs to. */
function specsFor(root: string): CompiledSpec[] | undefined {
  const own = byModule.get(root);
  if (byPrefix.length === 0) return own;
  let fam = prefixed.get(root);
  if (!fam) {
    fam = byPrefix.filter((c) => root.startsWith(c.prefix) && root.length > c.prefix.length).map((c) => c.spec);
    prefixed.set(root, fam);
  }
  if (fam.length === 0) return own;
  return own ? [...own, ...fam.filter((c) => !own.includes(c))] : fam;
}
for (const lib of libraries) {
  for (const spec of lib.calls) {
    const head = splitPattern(spec.path)[0];
    const alternatives = /^\{(.*)\}/.exec(head)?.[1].split(',') ?? [head];
    for (const alt of alternatives) {
      const root = alt.split('.')[0].replace(/\*+$/, '').replace(/\(\)$/, '');
      if (/[-/]\*$/.test(alt.split('.')[0])) {
        // A family of packages (`@aws-sdk/client-*`): matched by prefix.
        if (!byPrefix.some((c) => c.prefix === root && c.spec.spec === spec)) byPrefix.push({ prefix: root, spec: { lib: lib.id, re: compile(spec.path), spec } });
        continue;
      }
      const list = byModule.get(root) ?? [];
      if (list.some((c) => c.spec === spec)) continue;
      list.push({ lib: lib.id, re: compile(spec.path), spec });
      byModule.set(root, list);
    }
  }
}

/** The root module of a path: `pg.Pool().query` → pg, `@aws-sdk/client-sqs.SQSClient()` → @aws-sdk/client-sqs. */
export function rootOf(path: string): string {
  const dot = path.indexOf('.');
  return (dot < 0 ? path : path.slice(0, dot)).replace(/\(\)+$/, '');
}

export class Catalogue {
  private readonly custom: Array<{ parts: string[]; entry: CustomEntry }>;
  private readonly cache = new WeakMap<ts.Node, CallFacts | null>();

  constructor(
    private readonly resolver: Resolver,
    custom: Record<string, CustomEntry> = {},
  ) {
    this.custom = Object.entries(custom).map(([k, entry]) => ({ parts: k.split('.'), entry }));
  }

  /** What a call does, or undefined when it is none of the catalogue's business (or cannot be told). */
  classify(call: CallSite['call'], file: CodeFile): CallFacts | undefined {
    const cached = this.cache.get(call);
    if (cached !== undefined) return cached ?? undefined;
    const facts = this.classifyUncached(call, file);
    this.cache.set(call, facts ?? null);
    return facts;
  }

  private classifyUncached(call: CallSite['call'], file: CodeFile): CallFacts | undefined {
    const calleeExpr = ts.isTaggedTemplateExpression(call) ? call.tag : call.expression;
    if (this.custom.length > 0) {
      const custom = this.matchCustom(call, calleeExpr);
      if (custom) return custom;
    }
    const callee = this.resolver.valueOf(calleeExpr);
    if (callee?.kind !== 'ext') return undefined;
    return this.classifyExternal(call, callee, file);
  }

  classifyExternal(call: CallSite['call'], callee: ExternalValue, file: CodeFile): CallFacts | undefined {
    const specs = specsFor(rootOf(callee.path));
    if (!specs) return undefined;
    const isNew = ts.isNewExpression(call);
    const tagged = ts.isTaggedTemplateExpression(call);
    for (const s of specs) {
      if (s.spec.construct !== undefined && s.spec.construct !== isNew) continue;
      if (s.spec.tagged !== undefined && s.spec.tagged !== tagged) continue;
      if (!s.re.test(callee.path)) continue;
      const facts = s.spec.describe({ call, callee, file, resolver: this.resolver });
      if (facts) return facts;
    }
    return undefined;
  }

  /** Whether the call opens a transaction whose callback receives a client. */
  opensTransaction(call: ts.CallExpression, callee: ExternalValue): boolean {
    const facts = this.classifyExternal(call, callee, this.resolver.fileOf(call));
    return facts?.kind === 'tx' && facts.tx === 'callback';
  }

  private matchCustom(call: CallSite['call'], calleeExpr: ts.Expression): CallFacts | undefined {
    const names = calleeNames(calleeExpr, this.resolver);
    for (const { parts, entry } of this.custom) {
      if (!names.some((n) => n.length >= parts.length && parts.every((p, i) => p === '*' || p === n[n.length - parts.length + i]))) continue;
      const kind: EffectKind | undefined = entry.effect === 'http' || entry.effect === 'publish' || entry.effect === 'payment' || entry.effect === 'db.read' || entry.effect === 'db.write' ? entry.effect : undefined;
      const facts: CallFacts = { kind: kind ?? 'rpc', lib: 'custom', api: apiText(call) };
      if (entry.effect === 'outbox') Object.assign(facts, { kind: 'db.write', write: 'insert', table: entry.table ?? 'outbox' });
      if (entry.effect === 'idempotency' || entry.effect === 'dedupe') Object.assign(facts, { kind: 'db.write', write: 'insert', dedupes: true, idempotencyKey: true, table: entry.table });
      if (entry.effect === 'none') return undefined;
      const args = argsOf(call);
      const last = objectOf({ resolver: this.resolver }, args[args.length - 1]);
      if (entry.effect === 'http') {
        facts.method = entry.method?.toUpperCase() ?? httpVerbOf(names[0]?.[names[0].length - 1]);
        facts.bounded = entry.timeoutOption ? hasOption({ resolver: this.resolver }, last, [entry.timeoutOption]) : true;
        facts.timeoutHint = entry.timeoutOption ? `\`${entry.timeoutOption}\`` : undefined;
      }
      if (entry.idempotencyOption) facts.idempotencyKey = hasOption({ resolver: this.resolver }, last, [entry.idempotencyOption]) !== false;
      if (entry.effect === 'payment') facts.moneyMovement = true;
      if (entry.effect === 'db.write') facts.write = 'insert';
      if (entry.table) facts.table = entry.table;
      return facts;
    }
    return undefined;
  }
}

/** Names a callee is known by: as written (`myHttp.get`), and through the class of its receiver (`EventBus.publish`). */
function calleeNames(callee: ts.Expression, resolver: Resolver): string[][] {
  const written: string[] = [];
  let e: ts.Expression = callee;
  while (ts.isPropertyAccessExpression(e)) {
    written.unshift(e.name.text);
    e = e.expression;
  }
  if (ts.isIdentifier(e)) written.unshift(e.text);
  const out = [written];
  if (ts.isPropertyAccessExpression(callee)) {
    const receiver: Value | undefined = resolver.valueOf(callee.expression);
    if (receiver?.kind === 'instance' || receiver?.kind === 'class') {
      const name = receiver.decl.name?.text;
      if (name) out.push([name, callee.name.text]);
    }
  }
  return out;
}

export function httpVerbOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const n = name.toLowerCase();
  return ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(n) ? n.toUpperCase() : n === 'del' ? 'DELETE' : undefined;
}
