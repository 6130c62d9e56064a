/**
 * Caches: Redis clients. A client construction is kind `client` (costly per request, needs a timeout);
 * a command on it is kind `cache` (`PUBLISH` and `XADD` are kind `publish`). A command is bounded when
 * its client is; a client built without a timeout is reported where it is built, not at every command.
 */
import { ts } from 'ts-morph';
import { skipOuter } from '../resolve.js';
import { apiText, argsOf, hasOption, lastSegment, objectOf, stringOf } from './helpers.js';
import { hasOpaqueSpread, optionsAt, switchedOff } from './http.js';
import type { CallFacts, CallSite, LibraryEntry } from './types.js';

/** Redis command names, lower case (node-redis camelCase and upper-case aliases are folded to these). */
const REDIS_COMMANDS = new Set(
  (
    'get set setex setnx psetex getset getdel getex mget mset msetnx del unlink exists expire expireat pexpire pexpireat persist ttl pttl ' +
    'incr incrby incrbyfloat decr decrby append strlen getrange setrange ' +
    'hget hset hsetnx hmget hmset hdel hgetall hincrby hincrbyfloat hkeys hvals hlen hexists hscan hrandfield ' +
    'lpush rpush lpushx rpushx lpop rpop lrange llen lrem lset ltrim lindex linsert lmove lpos blpop brpop brpoplpush blmove rpoplpush ' +
    'sadd srem smembers sismember smismember scard spop srandmember sinter sunion sdiff sinterstore sunionstore sdiffstore smove sscan ' +
    'zadd zrem zrange zrangebyscore zrevrange zrevrangebyscore zrangebylex zrank zrevrank zscore zmscore zincrby zcard zcount ' +
    'zremrangebyscore zremrangebyrank zpopmin zpopmax bzpopmin bzpopmax zrangestore zunionstore zinterstore zscan zrangewithscores ' +
    'scan keys type rename renamenx copy sort touch object dump restore ' +
    'eval evalsha eval_ro evalsha_ro fcall fcall_ro script ' +
    'xread xreadgroup xack xgroup xlen xrange xrevrange xtrim xdel xclaim xautoclaim xpending xinfo ' +
    'pfadd pfcount pfmerge geoadd georadius georadiusbymember geosearch geodist geopos geohash ' +
    'setbit getbit bitcount bitop bitpos bitfield flushdb flushall dbsize ping info time sendcommand send_command json.get json.set'
  ).split(/\s+/),
);

/** Commands that send a message to other processes rather than store a value. */
const REDIS_PUBLISH = new Set(['publish', 'spublish', 'xadd']);

function commandKind(name: string): 'cache' | 'publish' | undefined {
  const n = name.toLowerCase();
  if (REDIS_PUBLISH.has(n)) return 'publish';
  return REDIS_COMMANDS.has(n) ? 'cache' : undefined;
}

/* ------------------------------------------------------------------------------------------------------
 * ioredis: `new Redis(port?, host?, options?)`, `new Redis(url, options?)`, `new Redis(options)`,
 * `new Cluster(nodes, { redisOptions })`. `connectTimeout` defaults to 10 s; `commandTimeout` (and, from
 * 5.4, `socketTimeout`) has no default: a command on a hung connection waits forever. Per the rule
 * contract a client is bounded when it sets `commandTimeout`, `socketTimeout` or `connectTimeout`.
 * `maxRetriesPerRequest: null` (commands queue without limit while disconnected) does not by itself make
 * a client unbounded here: BullMQ requires it on its connections, and with a connect/command timeout the
 * contract counts the client as bounded.
 * ---------------------------------------------------------------------------------------------------- */

const IOREDIS_BOUNDS = ['commandTimeout', 'socketTimeout', 'connectTimeout'];
const IOREDIS_CLIENTS = '{ioredis,ioredis.Redis,ioredis.default,ioredis.Cluster,ioredis.Redis.Cluster,ioredis.default.Cluster}';
const IOREDIS_HINT = '`commandTimeout` (and `connectTimeout`)';

/** The options argument of an ioredis construction (after a port, host or URL), or why it cannot be read. */
function ioredisOptions(site: CallSite): { opts?: ts.ObjectLiteralExpression; state: 'literal' | 'absent' | 'unknown' } {
  const args = argsOf(site.call);
  const cluster = /Cluster$/.test(site.callee.path);
  if (cluster) return optionsAt(site, 1);
  for (const [i, arg] of args.entries()) {
    const opts = objectOf(site, arg);
    if (opts) return { opts, state: 'literal' };
    const e = skipOuter(arg);
    const positional = ts.isNumericLiteral(e) || ts.isStringLiteralLike(e) || ts.isTemplateExpression(e) || stringOf(site, e) !== undefined || connectionString(e);
    if (!positional || i > 1) return { state: 'unknown' };
  }
  return { state: 'absent' };
}

/** `process.env.REDIS_URL`, `config.redisUrl`, `env.REDIS_HOST`, `port`: positional connection arguments. */
function connectionString(e: ts.Expression): boolean {
  const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : undefined;
  return name !== undefined && /(?:ur[il]|host|port|dsn)$/i.test(name);
}

function ioredisClientBounded(site: CallSite): boolean | undefined {
  const { opts, state } = ioredisOptions(site);
  if (state === 'absent') {
    // A literal URL may carry options in its query string (`?connectTimeout=…`).
    const url = stringOf(site, argsOf(site.call)[0]);
    return url !== undefined && /[?&](?:commandTimeout|connectTimeout|socketTimeout)=/.test(url);
  }
  if (!opts) return undefined;
  const keys = /Cluster$/.test(site.callee.path) ? [...IOREDIS_BOUNDS, ...IOREDIS_BOUNDS.map((k) => `redisOptions.${k}`)] : IOREDIS_BOUNDS;
  const bounded = hasOption(site, opts, keys);
  if (bounded !== true && keys.some((k) => !k.includes('.') && switchedOff(opts, k))) return false;
  return bounded;
}

const ioredis: LibraryEntry = {
  id: 'ioredis',
  modules: ['ioredis'],
  calls: [
    {
      path: IOREDIS_CLIENTS,
      construct: true,
      describe: (site) => ({ kind: 'client', lib: 'ioredis', api: apiText(site.call), pooled: true, bounded: ioredisClientBounded(site), timeoutHint: IOREDIS_HINT }),
    },
    {
      path: `${IOREDIS_CLIENTS}().*`,
      construct: false,
      describe: (site) => commandFacts(site, 'ioredis', (creation) => ioredisClientBounded({ ...site, call: creation, callee: { kind: 'ext', path: pathOfCreation(site) } })),
    },
    {
      // `redis.multi().set(…).incr(…).exec()`, `redis.pipeline()…exec()`: one round trip.
      path: `${IOREDIS_CLIENTS}().{multi,pipeline}().**.exec`,
      construct: false,
      describe: (site) => batchFacts(site, 'ioredis', (creation) => ioredisClientBounded({ ...site, call: creation, callee: { kind: 'ext', path: pathOfCreation(site) } })),
    },
  ],
};

/** The library path of the construction behind a command (`ioredis.Redis()…` → `ioredis.Redis`). */
function pathOfCreation(site: CallSite): string {
  const i = site.callee.path.indexOf('()');
  return i < 0 ? site.callee.path : site.callee.path.slice(0, i);
}

/** A command on a client: kind `cache` (or `publish`), bounded when its construction is. */
function commandFacts(site: CallSite, lib: string, clientBounded: (creation: ts.NewExpression | ts.CallExpression) => boolean | undefined): CallFacts | undefined {
  const kind = commandKind(lastSegment(site.callee.path));
  if (!kind) return undefined;
  const creation = site.callee.creation;
  const bounded = creation && clientBounded(creation) === true ? true : undefined; // an unbounded client is reported where it is built
  return { kind, lib, api: apiText(site.call), bounded, timeoutHint: lib === 'ioredis' ? IOREDIS_HINT : NODE_REDIS_HINT };
}

function batchFacts(site: CallSite, lib: string, clientBounded: (creation: ts.NewExpression | ts.CallExpression) => boolean | undefined): CallFacts {
  const creation = site.callee.creation;
  const bounded = creation && clientBounded(creation) === true ? true : undefined;
  return { kind: 'cache', lib, api: apiText(site.call), bounded, timeoutHint: lib === 'ioredis' ? IOREDIS_HINT : NODE_REDIS_HINT };
}

/* ------------------------------------------------------------------------------------------------------
 * node-redis (`redis`, `@redis/client`): `createClient({ url, socket: { connectTimeout, socketTimeout } })`.
 * `socket.connectTimeout` defaults to 5 s; commands have no timeout, and while disconnected they wait in
 * the offline queue. Per the rule contract a client is bounded when it sets `socket.connectTimeout` (or
 * `socket.socketTimeout`, the idle timeout of newer versions).
 * ---------------------------------------------------------------------------------------------------- */

const NODE_REDIS_HINT = '`socket: { connectTimeout, socketTimeout }`';

function nodeRedisClientBounded(site: CallSite, creation: ts.CallExpression | ts.NewExpression): boolean | undefined {
  const { opts, state } = optionsAt({ ...site, call: creation }, 0);
  if (state === 'absent') return false;
  if (!opts) return undefined;
  const keys = ['socket.connectTimeout', 'socket.socketTimeout'];
  // createCluster({ rootNodes, defaults: { socket: {…} } })
  const bounded = hasOption(site, opts, [...keys, ...keys.map((k) => `defaults.${k}`)]);
  if (bounded === false && hasOpaqueSpread(site, opts)) return undefined;
  return bounded;
}

const nodeRedis: LibraryEntry = {
  id: 'node-redis',
  modules: ['redis', '@redis/client'],
  calls: [
    {
      path: '{redis,@redis/client,redis.default}.{createClient,createCluster}',
      construct: false,
      describe: (site) => ({ kind: 'client', lib: 'node-redis', api: apiText(site.call), pooled: true, bounded: nodeRedisClientBounded(site, site.call as ts.CallExpression), timeoutHint: NODE_REDIS_HINT }),
    },
    {
      path: '{redis,@redis/client,redis.default}.{createClient,createCluster}().*',
      construct: false,
      describe: (site) => commandFacts(site, 'node-redis', (creation) => nodeRedisClientBounded(site, creation)),
    },
    {
      path: '{redis,@redis/client,redis.default}.{createClient,createCluster}().{multi,MULTI}().**.{exec,EXEC,execAsPipeline}',
      construct: false,
      describe: (site) => batchFacts(site, 'node-redis', (creation) => nodeRedisClientBounded(site, creation)),
    },
  ],
};

export const cacheLibraries: LibraryEntry[] = [ioredis, nodeRedis];
