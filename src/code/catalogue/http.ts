/** HTTP clients: what bounds a request (a timeout or an abort signal), its verb, its idempotency key. */
import { ts } from 'ts-morph';
import type { Resolver } from '../resolve.js';
import { isFunctionLike, skipOuter } from '../resolve.js';
import { apiText, argsOf, hasOption, lastSegment, mentionsIdempotency, objectArg, objectOf, optionNode, optionValue, stringOf } from './helpers.js';
import type { CallFacts, CallSite, LibraryEntry } from './types.js';

/** The verb of a request from its options object (`method: 'POST'`), GET when absent. */
function methodOption(site: CallSite, opts: ts.ObjectLiteralExpression | undefined, fallback = 'GET'): string | undefined {
  const m = optionValue(opts, 'method');
  if (!m) return opts || argsOf(site.call).length <= 1 ? fallback : undefined;
  return stringOf(site, m)?.toUpperCase();
}

function headersMentionKey(opts: ts.ObjectLiteralExpression | undefined): boolean {
  return mentionsIdempotency(optionValue(opts, 'headers'));
}

/** `fetch(url, { signal })`: the global, node-fetch and undici's fetch. */
const fetchEntry: LibraryEntry = {
  id: 'fetch',
  modules: ['#fetch', 'node-fetch', 'cross-fetch'],
  calls: [
    {
      path: '{#fetch,node-fetch,cross-fetch}',
      construct: false,
      describe: (site) => {
        const args = argsOf(site.call);
        const opts = objectArg(site, 1);
        const bounded = args.length < 2 ? false : hasOption(site, opts, ['signal', 'timeout']);
        return { kind: 'http', lib: 'fetch', api: 'fetch', method: methodOption(site, opts), bounded, timeoutHint: '`signal: AbortSignal.timeout(ms)`', idempotencyKey: headersMentionKey(opts), options: args[1] };
      },
    },
  ],
};

const AXIOS_VERBS = new Set(['get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'request', 'postForm', 'putForm', 'patchForm']);
const AXIOS_TIMEOUTS = ['timeout', 'signal', 'cancelToken'];

/**
 * axios: the default instance (`axios.get`, `axios(config)`) and instances from `axios.create(config)`.
 * A call is bounded by its own config, by its instance's, or by `instance.defaults.timeout = …`. An
 * instance without one is reported once, where it is created, not at every call.
 */
const axios: LibraryEntry = {
  id: 'axios',
  modules: ['axios'],
  calls: [
    {
      path: 'axios.create',
      describe: (site) => {
        const binding = site.call.parent && ts.isVariableDeclaration(site.call.parent) ? site.call.parent : undefined;
        const own = hasOption(site, objectArg(site, 0), AXIOS_TIMEOUTS);
        // A spread or a shared config object (own undefined) stays undefined: cannot tell.
        const bounded = own === true || defaultsTimeoutSet(site, binding?.name.getText()) || globalAxiosTimeout(site.resolver) ? true : own;
        return { kind: 'client', lib: 'axios', api: 'axios.create', bounded: argsOf(site.call).length === 0 ? bounded || false : bounded, timeoutHint: '`timeout` (milliseconds)' };
      },
    },
    {
      path: '{axios,axios.create()}',
      construct: false,
      describe: (site) => axiosCall(site, 'request'),
    },
    {
      path: '{axios,axios.default,axios.create()}.*',
      describe: (site) => {
        const verb = lastSegment(site.callee.path);
        return AXIOS_VERBS.has(verb) ? axiosCall(site, verb) : undefined;
      },
    },
  ],
};

function axiosCall(site: CallSite, verb: string): CallFacts {
  const configIndex = verb === 'request' ? 0 : /^(?:post|put|patch)/.test(verb) ? 2 : 1;
  const config = objectArg(site, configIndex);
  const args = argsOf(site.call);
  const own = args.length <= configIndex ? false : hasOption(site, config, AXIOS_TIMEOUTS);
  const method = verb === 'request' ? methodOption(site, config) : verb.replace(/Form$/, '').toUpperCase();
  const facts: CallFacts = { kind: 'http', lib: 'axios', api: apiText(site.call), method, timeoutHint: '`timeout` in the request config', idempotencyKey: headersMentionKey(config), options: args[configIndex] };
  if (own !== false) {
    facts.bounded = own;
    return facts;
  }
  if (site.callee.path.startsWith('axios.create()')) {
    // The instance decides; an unbounded instance is reported at its creation.
    facts.bounded = undefined;
    return facts;
  }
  facts.bounded = globalAxiosTimeout(site.resolver) ? true : false;
  return facts;
}

/** `api.defaults.timeout = 5000` after `const api = axios.create()`, in the same file. */
function defaultsTimeoutSet(site: CallSite, name: string | undefined): boolean {
  if (!name) return false;
  return new RegExp(`\\b${name}\\.defaults\\.timeout\\s*=`).test(site.file.source.text);
}

const globalTimeoutCache = new WeakMap<Resolver, boolean>();
/** `axios.defaults.timeout = …` anywhere in the analysed code bounds every default-instance call. */
function globalAxiosTimeout(resolver: Resolver): boolean {
  let v = globalTimeoutCache.get(resolver);
  if (v === undefined) {
    v = resolver.base.targets().some((f) => /\baxios\.defaults\.timeout\s*=/.test(f.source.text));
    globalTimeoutCache.set(resolver, v);
  }
  return v;
}

/* ------------------------------------------------------------------------------------------------------
 * Shared readers for the entries below (also used by cache.ts and rpc.ts).
 * ---------------------------------------------------------------------------------------------------- */

/** Whether a literal option switches something off: `timeout: false`, `bodyTimeout: 0`, `timeout: null`. */
export function switchedOff(obj: ts.ObjectLiteralExpression | undefined, key: string): boolean {
  const v = optionValue(obj, key);
  if (!v) return false;
  const e = skipOuter(v);
  return e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword || (ts.isNumericLiteral(e) && Number(e.text) === 0);
}

/** Whether an object literal has a spread that cannot be read (it may set any option). */
export function hasOpaqueSpread(site: Pick<CallSite, 'resolver'>, obj: ts.ObjectLiteralExpression): boolean {
  return obj.properties.some((p) => ts.isSpreadAssignment(p) && !objectOf(site, p.expression));
}

/**
 * The options argument of a call: the object literal (or `const` bound to one) at `index`.
 * `absent`: there is no argument there; `unknown`: there is one, but it cannot be read.
 */
export function optionsAt(site: CallSite, index: number): { opts?: ts.ObjectLiteralExpression; expr?: ts.Expression; state: 'literal' | 'absent' | 'unknown' } {
  const expr = argsOf(site.call)[index];
  if (!expr) return { state: 'absent' };
  const opts = objectOf(site, expr);
  return opts ? { opts, expr, state: 'literal' } : { expr, state: 'unknown' };
}

/** The creation (`new X(…)`, `x.create(…)`) behind a library value, when the resolver saw it. */
export function creationOf(site: Pick<CallSite, 'resolver'>, expr: ts.Expression | undefined): ts.CallExpression | ts.NewExpression | undefined {
  if (!expr) return undefined;
  const v = site.resolver.valueOf(expr);
  return v?.kind === 'ext' ? v.creation : undefined;
}

/** A site for a creation node (to read its options with the same helpers). */
function siteOf(site: CallSite, call: ts.CallExpression | ts.NewExpression): CallSite {
  return { ...site, call };
}

/* ------------------------------------------------------------------------------------------------------
 * undici. Every request goes through a dispatcher whose `headersTimeout` and `bodyTimeout` default to
 * 300 s (undici ≥ 5.x, docs/api/Client.md), and `connectTimeout` to 10 s: a request through undici is
 * bounded unless those are switched off (`0`) — we count the defaults as a bound (a hung peer is given
 * up on after five minutes, not never), so undici calls are silent unless a timeout is disabled. The
 * global `fetch` stays with the `fetch` entry (the runtime may not be undici: browsers, edge runtimes).
 * ---------------------------------------------------------------------------------------------------- */

const UNDICI_TIMEOUTS = ['headersTimeout', 'bodyTimeout'];
const UNDICI_HINT = '`headersTimeout`/`bodyTimeout` (not 0) or `signal: AbortSignal.timeout(ms)`';

/** A dispatcher built with a timeout switched off: `new Agent({ bodyTimeout: 0 })`. */
function undiciDispatcherOff(site: CallSite, creation: ts.CallExpression | ts.NewExpression | undefined): boolean | undefined {
  if (!creation) return undefined;
  const path = site.resolver.valueOf(creation.expression);
  if (path?.kind !== 'ext' || !/^undici\.(?:Agent|Pool|Client|BalancedPool|ProxyAgent|RetryAgent|EnvHttpProxyAgent)$/.test(path.path)) return undefined;
  const index = /\.(?:Agent|ProxyAgent|EnvHttpProxyAgent)$/.test(path.path) ? 0 : 1;
  const { opts, state } = optionsAt(siteOf(site, creation), index);
  if (state === 'absent') return false;
  if (!opts) return undefined;
  return UNDICI_TIMEOUTS.some((k) => switchedOff(opts, k));
}

/** A request's own options: false when they switch a timeout off without a signal; true otherwise (defaults). */
function undiciRequestBounded(site: CallSite, index: number): boolean | undefined {
  const { opts, state } = optionsAt(site, index);
  if (state === 'absent') return true;
  if (!opts) return undefined;
  if (hasOption(site, opts, ['signal']) === true) return true;
  if (UNDICI_TIMEOUTS.some((k) => switchedOff(opts, k))) return false;
  const dispatcher = optionValue(opts, 'dispatcher');
  if (dispatcher) {
    const off = undiciDispatcherOff(site, creationOf(site, dispatcher));
    // A dispatcher built without a timeout is reported where it is built.
    return off === false ? true : undefined;
  }
  return true;
}

const undici: LibraryEntry = {
  id: 'undici',
  modules: ['undici'],
  calls: [
    {
      // `request(url, { method, headersTimeout, bodyTimeout, signal })`, `stream`, `pipeline`, `fetch(url, init)`.
      path: 'undici.{request,stream,pipeline,fetch}',
      construct: false,
      describe: (site) => {
        const opts = objectArg(site, 1);
        return {
          kind: 'http',
          lib: 'undici',
          api: apiText(site.call),
          method: methodOption(site, opts),
          bounded: undiciRequestBounded(site, 1),
          timeoutHint: UNDICI_HINT,
          idempotencyKey: headersMentionKey(opts),
          options: argsOf(site.call)[1],
        };
      },
    },
    {
      // `new Pool(origin, { connectTimeout, headersTimeout, bodyTimeout })`, `new Client(…)`, `new Agent({…})`.
      path: 'undici.{Pool,Client,Agent,BalancedPool,ProxyAgent,RetryAgent,EnvHttpProxyAgent}',
      construct: true,
      describe: (site) => {
        const off = undiciDispatcherOff(site, site.call as ts.NewExpression);
        return { kind: 'client', lib: 'undici', api: apiText(site.call), pooled: true, bounded: off === undefined ? undefined : !off, timeoutHint: '`headersTimeout` and `bodyTimeout` (0 switches them off)' };
      },
    },
    {
      // `pool.request({ path, method, headersTimeout, bodyTimeout, signal })` on a dispatcher.
      path: 'undici.{Pool,Client,Agent,BalancedPool}().{request,stream,pipeline}',
      describe: (site) => {
        const opts = objectArg(site, 0);
        const own = undiciRequestBounded(site, 0);
        let bounded = own;
        if (own === true && !(opts && hasOption(site, opts, ['signal']) === true)) {
          const off = undiciDispatcherOff(site, site.callee.creation);
          if (off !== false) bounded = undefined; // switched off on the dispatcher (reported there), or unseen
        }
        return { kind: 'http', lib: 'undici', api: apiText(site.call), method: methodOption(site, opts), bounded, timeoutHint: UNDICI_HINT, idempotencyKey: headersMentionKey(opts), options: argsOf(site.call)[0] };
      },
    },
  ],
};

/**
 * What a `retry` option (got, ky) does to a call: `libraryRetry` when it retries the call's verb although
 * it is not idempotent (POST/PATCH listed in `retry.methods`; the defaults of both never retry them), and
 * `retryOption`/`retryDelay` when an inline delay function is a constant (both libraries otherwise back
 * off exponentially: got adds up to 100 ms of noise, ky doubles from 300 ms).
 */
function retryFacts(site: CallSite, method: string | undefined, delayKey: string, ...sources: Array<ts.ObjectLiteralExpression | undefined>): Pick<CallFacts, 'libraryRetry' | 'retryOption' | 'retryDelay'> {
  const node = sources.map((o) => optionNode(o, 'retry')).find((n) => n !== undefined);
  if (!node || !ts.isPropertyAssignment(node)) return {};
  const value = skipOuter(node.initializer);
  if (ts.isNumericLiteral(value)) return {}; // a limit with the default methods (idempotent ones) and delays
  const retry = objectOf(site, value);
  if (!retry) return {};
  const limit = optionValue(retry, 'limit');
  if (limit && ts.isNumericLiteral(skipOuter(limit)) && Number((skipOuter(limit) as ts.NumericLiteral).text) === 0) return {};
  const out: Pick<CallFacts, 'libraryRetry' | 'retryOption' | 'retryDelay'> = {};
  const methods = optionValue(retry, 'methods');
  const m = methods && skipOuter(methods);
  if (method && /^(?:POST|PATCH)$/.test(method) && m && ts.isArrayLiteralExpression(m) && m.elements.some((e) => stringOf(site, e)?.toUpperCase() === method)) out.libraryRetry = node;
  const delay = optionNode(retry, delayKey);
  if (delay && ts.isPropertyAssignment(delay)) {
    const fn = skipOuter(delay.initializer);
    const body = (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && !ts.isBlock(fn.body) ? skipOuter(fn.body) : ts.isNumericLiteral(fn) ? fn : undefined;
    if (body && ts.isNumericLiteral(body)) {
      const ms = Number(body.text);
      // got: returning 0 from calculateDelay cancels the retry.
      if (!(delayKey === 'calculateDelay' && ms === 0)) {
        out.retryOption = delay;
        out.retryDelay = ms === 0 ? 'none' : 'constant';
      }
    }
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------------
 * got: no timeout by default (documentation/6-timeout.md); `timeout: { request }` (an object since got 12)
 * or `signal` bound a request. Instances from `got.extend(options)` inherit their options. Retries: on by
 * default (limit 2, never POST, exponential backoff with noise); see `retryFacts`.
 * ---------------------------------------------------------------------------------------------------- */

const GOT_VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head']);
const GOT_BOUNDS = ['timeout', 'signal'];

/** `got…` paths: how many `.extend()` instances deep, and what is called on it. */
function parseInstancePath(path: string, root: string, factories: string[]): { depth: number; rest: string[] } | undefined {
  if (path !== root && !path.startsWith(`${root}.`)) return undefined;
  const segs = path === root ? [] : path.slice(root.length + 1).split('.');
  let depth = 0;
  while (segs.length > 0 && factories.some((f) => segs[0] === `${f}()`)) {
    segs.shift();
    depth++;
  }
  if (segs.some((s) => s.endsWith('()'))) return undefined; // a call on a result (`.json()`): not a request
  return { depth, rest: segs };
}

/**
 * Whether an instance built by a factory call (`got.extend(opts)`, `ky.create(opts)`) is bounded, with
 * its parent instance: true / false / undefined (cannot tell). `ownState` reads one options object.
 */
function instanceBounded(
  site: CallSite,
  creation: ts.CallExpression | ts.NewExpression | undefined,
  ownState: (s: CallSite, opts: ts.ObjectLiteralExpression) => boolean | undefined,
  rootDefault: boolean,
  depth = 0,
): boolean | undefined {
  if (!creation || depth > 8) return undefined;
  // `got.extend(otherInstance, { timeout })`: any argument with a timeout bounds it; one we cannot read may.
  let unknown = false;
  for (const arg of argsOf(creation)) {
    const opts = objectOf(site, arg);
    const own = opts ? ownState(site, opts) : undefined; // no literal: another instance or a shared options value
    if (own === true) return true;
    if (own === undefined) unknown = true;
  }
  if (unknown) return undefined;
  const callee = skipOuter(creation.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const parent = site.resolver.valueOf(callee.expression);
  if (parent?.kind !== 'ext') return undefined;
  if (!parent.path.includes('()')) return rootDefault; // the library's default instance
  return instanceBounded(site, parent.creation, ownState, rootDefault, depth + 1);
}

function gotOwnState(site: CallSite, opts: ts.ObjectLiteralExpression): boolean | undefined {
  return hasOption(site, opts, GOT_BOUNDS);
}

/** Where a got call keeps its options: `got(url, opts)`, or `got(opts)` with `url` inside. */
function gotOptions(site: CallSite): ReturnType<typeof optionsAt> {
  const first = optionsAt(site, 0);
  if (first.state === 'literal') return first;
  return optionsAt(site, 1);
}

const got: LibraryEntry = {
  id: 'got',
  modules: ['got'],
  calls: [
    { path: 'got.**', describe: (site) => describeGot(site) },
  ],
};

function describeGot(site: CallSite): CallFacts | undefined {
  if (ts.isNewExpression(site.call) || ts.isTaggedTemplateExpression(site.call)) return undefined;
  const parsed = parseInstancePath(site.callee.path, 'got', ['extend']);
  if (!parsed) return undefined;
  const { depth, rest } = parsed;
  const instance = depth > 0;
  if (rest.length === 1 && rest[0] === 'extend') {
    // A new instance: bounded by its own options or its parent's.
    const bounded = instanceBounded(site, site.call, gotOwnState, false);
    const parentUnbounded = instance && instanceBounded(site, site.callee.creation, gotOwnState, false) === false;
    return {
      kind: 'client',
      lib: 'got',
      api: apiText(site.call),
      bounded: bounded === false && parentUnbounded ? undefined : argsOf(site.call).length === 0 && !instance ? false : bounded,
      timeoutHint: '`timeout: { request: ms }`',
      ...retryFacts(site, undefined, 'calculateDelay', objectArg(site, 0)),
    };
  }
  let verb: string | undefined;
  if (rest.length === 0) verb = undefined;
  else if (rest.length === 1 && GOT_VERBS.has(rest[0])) verb = rest[0];
  else if (rest[0] === 'stream' && (rest.length === 1 || (rest.length === 2 && GOT_VERBS.has(rest[1])))) verb = rest[1];
  else if (rest[0] === 'paginate' && (rest.length === 1 || (rest.length === 2 && /^(?:all|each)$/.test(rest[1])))) verb = 'get';
  else return undefined;
  const { opts, expr, state } = gotOptions(site);
  const own = state === 'absent' ? false : state === 'unknown' ? undefined : gotOwnState(site, opts!);
  let bounded: boolean | undefined = own;
  if (own === false) bounded = instance ? (instanceBounded(site, site.callee.creation, gotOwnState, false) === true ? true : undefined) : false;
  const method = verb ? verb.toUpperCase() : stringOf(site, optionValue(opts, 'method'))?.toUpperCase() ?? (optionValue(opts, 'method') ? undefined : 'GET');
  const instanceOpts = instance && site.callee.creation ? objectOf(site, argsOf(site.callee.creation)[0]) : undefined;
  return {
    kind: 'http',
    lib: 'got',
    api: apiText(site.call),
    method,
    bounded,
    timeoutHint: '`timeout: { request: ms }`',
    idempotencyKey: headersMentionKey(opts),
    ...retryFacts(site, method, 'calculateDelay', opts, instanceOpts),
    options: expr,
  };
}

/* ------------------------------------------------------------------------------------------------------
 * ky: `timeout` defaults to 10 000 ms (source/types/options.ts); `timeout: false` removes it. Instances:
 * `ky.create(opts)` / `ky.extend(opts)` (and on an instance). Retries: `retry` (default limit 2, not POST).
 * ---------------------------------------------------------------------------------------------------- */

const KY_VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head']);

/** ky options: false when `timeout: false` (and no signal), true when a timeout or signal is set, undefined when unreadable; `none` when silent about it. */
function kyOwnState(site: CallSite, opts: ts.ObjectLiteralExpression): boolean | undefined | 'none' {
  if (hasOption(site, opts, ['signal']) === true) return true;
  if (switchedOff(opts, 'timeout')) return false;
  if (optionValue(opts, 'timeout')) return true;
  return hasOpaqueSpread(site, opts) ? undefined : 'none';
}

/** Whether a ky instance keeps a timeout: its own options, else its parent's, else ky's 10 s default. */
function kyInstanceBounded(site: CallSite, creation: ts.CallExpression | ts.NewExpression | undefined, depth = 0): boolean | undefined {
  if (!creation || depth > 8) return undefined;
  const { opts, state } = optionsAt(siteOf(site, creation), 0);
  if (state === 'unknown') return undefined;
  const own = opts ? kyOwnState(site, opts) : 'none';
  if (own !== 'none') return own;
  const callee = skipOuter(creation.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const parent = site.resolver.valueOf(callee.expression);
  if (parent?.kind !== 'ext') return undefined;
  if (!parent.path.includes('()')) return true; // ky's default instance: 10 s
  return kyInstanceBounded(site, parent.creation, depth + 1);
}

const ky: LibraryEntry = {
  id: 'ky',
  modules: ['ky'],
  calls: [
    { path: 'ky.**', describe: (site) => describeKy(site) },
  ],
};

function describeKy(site: CallSite): CallFacts | undefined {
  if (ts.isNewExpression(site.call) || ts.isTaggedTemplateExpression(site.call)) return undefined;
  const parsed = parseInstancePath(site.callee.path, 'ky', ['create', 'extend']);
  if (!parsed) return undefined;
  const { depth, rest } = parsed;
  if (rest.length === 1 && (rest[0] === 'create' || rest[0] === 'extend')) {
    const own = kyInstanceBounded(site, site.call);
    // An instance that only inherits `timeout: false` from its parent is reported at the parent.
    const parentOff = depth > 0 && kyInstanceBounded(site, site.callee.creation) === false;
    const ownOpts = objectArg(site, 0);
    const inherited = !ownOpts || kyOwnState(site, ownOpts) === 'none';
    return { kind: 'client', lib: 'ky', api: apiText(site.call), bounded: own === false && parentOff && inherited ? undefined : own, timeoutHint: 'a `timeout` (ms) instead of `timeout: false`', ...retryFacts(site, undefined, 'delay', ownOpts) };
  }
  let verb: string | undefined;
  if (rest.length === 0) verb = undefined;
  else if (rest.length === 1 && KY_VERBS.has(rest[0])) verb = rest[0];
  else return undefined;
  const { opts, expr, state } = optionsAt(site, 1);
  let bounded: boolean | undefined;
  const own = state === 'absent' ? 'none' : state === 'unknown' ? undefined : kyOwnState(site, opts!);
  if (own !== 'none') bounded = own;
  else if (depth === 0) bounded = true;
  else bounded = kyInstanceBounded(site, site.callee.creation) === true ? true : undefined; // an instance without a timeout is reported where it is created
  const instanceOpts = depth > 0 && site.callee.creation ? objectOf(site, argsOf(site.callee.creation)[0]) : undefined;
  const method = verb ? verb.toUpperCase() : methodOption(site, opts);
  return {
    kind: 'http',
    lib: 'ky',
    api: apiText(site.call),
    method,
    bounded,
    timeoutHint: 'a `timeout` (ms) instead of `timeout: false`',
    idempotencyKey: headersMentionKey(opts),
    ...retryFacts(site, method, 'delay', opts, instanceOpts),
    options: expr,
  };
}

/* ------------------------------------------------------------------------------------------------------
 * node:http / node:https: `request(url|options[, options][, cb])`, `get(…)`. No timeout by default; the
 * `timeout` option (socket idle timeout, emits 'timeout') or `req.setTimeout(ms)` or `signal` bound it.
 * ---------------------------------------------------------------------------------------------------- */

/**
 * The options object of `http.request(url, opts, cb)` / `http.request(opts, cb)`; `unknown` when an
 * argument that may hold the options cannot be read (a parameter, a shared object).
 */
function nodeHttpOptions(site: CallSite): { opts?: ts.ObjectLiteralExpression; expr?: ts.Expression; unknown: boolean } {
  const [a0, a1] = argsOf(site.call).filter((a) => !isCallback(site, a));
  if (!a0) return { unknown: false };
  const first = objectOf(site, a0);
  if (first) return { opts: first, expr: a0, unknown: false };
  if (a1) {
    const second = objectOf(site, a1);
    return second ? { opts: second, expr: a1, unknown: false } : { expr: a1, unknown: true };
  }
  const e = skipOuter(a0);
  const isUrl = ts.isStringLiteralLike(e) || ts.isTemplateExpression(e) || ts.isNewExpression(e) || stringOf(site, e) !== undefined || looksLikeUrl(e);
  return isUrl ? { unknown: false } : { expr: a0, unknown: true };
}

function looksLikeUrl(e: ts.Expression): boolean {
  const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '';
  return /ur[li]$|href$|link$|endpoint$/i.test(name);
}

/** A function argument: an arrow/function expression, or a name bound to a function. */
export function isCallback(site: Pick<CallSite, 'resolver'>, arg: ts.Expression): boolean {
  const e = skipOuter(arg);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return true;
  if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return site.resolver.valueOf(e)?.kind === 'fn';
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'bind') return true;
  return false;
}

/** What is done with the ClientRequest a call returns: a chained or later `setTimeout`, or it escapes. */
function requestHandleBounded(call: ts.Node): boolean | undefined {
  // Chained: `http.get(url, cb).setTimeout(5000)`, `.on('error', …).setTimeout(…)`.
  let node: ts.Node = call;
  for (;;) {
    const p = node.parent;
    if (p && ts.isPropertyAccessExpression(p) && p.expression === node && p.parent && ts.isCallExpression(p.parent) && p.parent.expression === p) {
      if (p.name.text === 'setTimeout') return true;
      if (!/^(?:on|once|end|write|setHeader|removeHeader|flushHeaders|setNoDelay|setSocketKeepAlive)$/.test(p.name.text)) return undefined;
      node = p.parent;
      continue;
    }
    break;
  }
  let p = node.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p))) p = p.parent;
  if (!p) return false;
  if (ts.isExpressionStatement(p)) return false;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) && p.initializer) {
    const name = p.name.text;
    const scope = enclosingBody(p);
    let verdict: boolean | undefined = false;
    const visit = (n: ts.Node): void => {
      if (verdict === true) return;
      if (ts.isIdentifier(n) && n.text === name && n !== p.name) {
        const parent = n.parent;
        if (ts.isPropertyAccessExpression(parent) && parent.expression === n) {
          if (parent.name.text === 'setTimeout') verdict = true;
          else if (/^(?:destroy|abort)$/.test(parent.name.text)) verdict = undefined; // torn down by some timer of the caller's
        } else if (!(ts.isBinaryExpression(parent) && parent.left === n)) {
          verdict = undefined; // returned, passed on, stored: someone else may bound it
        }
      }
      n.forEachChild(visit);
    };
    if (scope) visit(scope);
    return verdict;
  }
  return undefined; // returned, passed as an argument, awaited through a wrapper…
}

function enclosingBody(node: ts.Node): ts.Node | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (isFunctionLike(n) || ts.isSourceFile(n)) return n;
  }
  return undefined;
}

const nodeHttp: LibraryEntry = {
  id: 'node-http',
  modules: ['http', 'https', 'node:http', 'node:https'],
  calls: [
    {
      path: '{http,https}.{request,get}',
      construct: false,
      describe: (site) => {
        const isGet = site.callee.path.endsWith('.get');
        const { opts, expr, unknown } = nodeHttpOptions(site);
        let bounded: boolean | undefined;
        if (unknown) bounded = undefined;
        else if (opts && hasOption(site, opts, ['timeout', 'signal']) === true) bounded = true;
        else if (opts && (hasOption(site, opts, ['timeout', 'signal']) === undefined || optionValue(opts, 'agent') || optionValue(opts, 'createConnection'))) bounded = undefined;
        else bounded = requestHandleBounded(site.call);
        const m = optionValue(opts, 'method');
        const method = isGet ? 'GET' : m ? stringOf(site, m)?.toUpperCase() : unknown ? undefined : 'GET';
        return { kind: 'http', lib: 'node-http', api: apiText(site.call), method, bounded, timeoutHint: '`timeout` in the options (and destroy the request on its `timeout` event) or `signal: AbortSignal.timeout(ms)`', idempotencyKey: headersMentionKey(opts), options: expr };
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------------
 * superagent: `superagent.post(url).send(body).timeout({ response, deadline })`. No timeout by default;
 * the bound is a `.timeout(…)` step of the chain. The verb call is the effect; the chain is read upwards.
 * ---------------------------------------------------------------------------------------------------- */

const SUPERAGENT_VERBS: Record<string, string> = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', del: 'DELETE', delete: 'DELETE', head: 'HEAD', options: 'OPTIONS' };

/** The steps chained after a call (`x.set(…).timeout(…)`) and what happens to the chain's end. */
function chainAfter(call: ts.Node): { steps: Array<{ name: string; call: ts.CallExpression }>; end: ts.Node } {
  const steps: Array<{ name: string; call: ts.CallExpression }> = [];
  let node: ts.Node = call;
  for (;;) {
    const p = node.parent;
    if (p && ts.isPropertyAccessExpression(p) && p.expression === node && p.parent && ts.isCallExpression(p.parent) && p.parent.expression === p) {
      steps.push({ name: p.name.text, call: p.parent });
      node = p.parent;
      continue;
    }
    break;
  }
  return { steps, end: node };
}

function describeSuperagent(site: CallSite, method: string | undefined): CallFacts {
  const { steps, end } = chainAfter(site.call);
  let bounded: boolean | undefined;
  const timeout = steps.find((s) => s.name === 'timeout');
  const executed = steps.some((s) => s.name === 'then' || s.name === 'end' || s.name === 'catch');
  if (timeout) bounded = !(timeout.call.arguments[0] && switchedOffValue(timeout.call.arguments[0]));
  else {
    let p = end.parent;
    while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p))) p = p.parent;
    if (executed || (p && (ts.isAwaitExpression(p) || ts.isExpressionStatement(p)))) bounded = false;
    else if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) {
      const name = p.name.text;
      const body = enclosingBody(p);
      bounded = body && new RegExp(`\\b${name}\\s*\\.\\s*timeout\\s*\\(`).test(body.getText()) ? true : undefined;
    } else bounded = undefined;
  }
  if (bounded === false && site.callee.path.includes('agent()')) bounded = undefined; // an agent may carry default timeouts
  const retry = steps.find((s) => s.name === 'retry');
  const sets = steps.filter((s) => s.name === 'set');
  return {
    kind: 'http',
    lib: 'superagent',
    api: apiText(site.call),
    method,
    bounded,
    timeoutHint: '`.timeout({ response: ms, deadline: ms })` in the chain',
    idempotencyKey: sets.some((s) => mentionsIdempotency(s.call)),
    // `.retry()` retries every method (docs/index.md): a POST/PATCH is retried too.
    libraryRetry: retry && method && /^(?:POST|PATCH)$/.test(method) && !(retry.call.arguments[0] && switchedOffValue(retry.call.arguments[0])) ? retry.call : undefined,
  };
}

function switchedOffValue(e: ts.Expression): boolean {
  const v = skipOuter(e);
  return v.kind === ts.SyntaxKind.FalseKeyword || v.kind === ts.SyntaxKind.NullKeyword || (ts.isNumericLiteral(v) && Number(v.text) === 0);
}

const superagent: LibraryEntry = {
  id: 'superagent',
  modules: ['superagent'],
  calls: [
    {
      path: '{superagent,superagent.agent()}.*',
      construct: false,
      describe: (site) => {
        const verb = SUPERAGENT_VERBS[lastSegment(site.callee.path)];
        return verb ? describeSuperagent(site, verb) : undefined;
      },
    },
    {
      // `superagent('POST', url)` / `superagent(url)`.
      path: 'superagent',
      construct: false,
      describe: (site) => {
        const args = argsOf(site.call);
        const first = stringOf(site, args[0]);
        const method = args.length >= 2 ? first?.toUpperCase() : 'GET';
        return describeSuperagent(site, method);
      },
    },
  ],
};

export const httpLibraries: LibraryEntry[] = [fetchEntry, axios, undici, got, ky, nodeHttp, superagent];
export { methodOption, headersMentionKey };
