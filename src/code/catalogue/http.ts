/** HTTP clients: what bounds a request (a timeout or an abort signal), its verb, its idempotency key. */
import { ts } from 'ts-morph';
import type { Resolver } from '../resolve.js';
import { skipOuter } from '../resolve.js';
import { apiText, argsOf, hasOption, lastSegment, mentionsIdempotency, objectArg, optionValue, stringOf } from './helpers.js';
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
        const bounded = hasOption(site, objectArg(site, 0), AXIOS_TIMEOUTS) || defaultsTimeoutSet(site, binding?.name.getText()) || globalAxiosTimeout(site.resolver);
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

export const httpLibraries: LibraryEntry[] = [fetchEntry, axios];
export { methodOption, headersMentionKey };
