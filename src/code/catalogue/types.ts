/**
 * The API catalogue's shape: one entry per library, saying which calls read or write the database, call
 * the network, publish, charge money or open transactions, how their timeout and idempotency key are
 * passed, and which calls are batched. Rules never name a library; they read these facts.
 */
import type { ts } from 'ts-morph';
import type { SqlShape, SqlText } from '../sql.js';
import type { CodeFile } from '../project.js';
import type { ExternalValue, Resolver } from '../resolve.js';

export type EffectKind =
  /** A database read, write, or a query whose kind is unknown (raw SQL that did not parse). */
  | 'db.read'
  | 'db.write'
  | 'db.query'
  | 'http'
  | 'publish'
  | 'payment'
  | 'cache'
  | 'rpc'
  /** Opens, commits or rolls back a transaction. */
  | 'tx'
  /** Builds a client (a pool, an HTTP instance, a broker connection). */
  | 'client'
  /** Checks a connection out of a pool (`pool.connect()`), which must be released. */
  | 'checkout';

export type WriteKind = 'insert' | 'update' | 'delete' | 'upsert';

/** What a query filters, joins and sorts on, for the index check (no-unindexed-query). */
export interface QueryShape {
  /** The table as the code names it: a SQL name, or an ORM model (mapped through `model`). */
  table: string;
  /** Set when `table` and the columns are ORM names to map (Prisma model accessor and field names). */
  model?: 'prisma';
  filters: Array<{ column: string; op: 'eq' | 'in' | 'range' | 'like' | 'null' | 'other' }>;
  orderBy: string[];
  joins: Array<{ table: string; columns: string[] }>;
}

/** What one call does, as the catalogue describes it. */
export interface CallFacts {
  kind: EffectKind;
  /** Catalogue entry id: 'pg', 'prisma', 'axios'… */
  lib: string;
  /** How the call reads in messages: `pool.query`, `prisma.order.findMany`. */
  api: string;
  table?: string;
  write?: WriteKind;
  /** An insert that cannot create a duplicate: ON CONFLICT, upsert, skipDuplicates, orIgnore. */
  dedupes?: boolean;
  /** Every SET value is computed by the database from the column itself (`x = x + $1`, `{ increment: 1 }`). */
  atomic?: boolean;
  /** Reads at most a page: LIMIT, take, first(), findUnique, an aggregate. */
  limited?: boolean;
  /** Keyed by a unique column (one row): findUnique, `WHERE id = $1`. */
  singleRow?: boolean;
  /** Locks the rows it reads (FOR UPDATE, pessimistic_write). */
  forUpdate?: boolean;
  /** A write conditioned on a version column (optimistic concurrency). */
  versionCheck?: boolean;
  /** A read that fetches many keys at once (`= ANY($1)`, `{ in: ids }`, whereIn). */
  multiKey?: boolean;
  /** `always`: DataLoader-style; `same-tick`: batched when issued concurrently (Prisma findUnique). */
  batched?: 'always' | 'same-tick';
  /** HTTP verb, upper case. */
  method?: string;
  /** A network call: whether a timeout or abort signal bounds it (undefined = cannot tell: stay silent). */
  bounded?: boolean;
  /** Where the missing timeout should go, for the message. */
  timeoutHint?: string;
  /** For a call on an instance: the construction, when it is where the timeout is missing. */
  unboundedClient?: { node: ts.Node; file: CodeFile };
  /** A payment or HTTP call that carries an idempotency key. */
  idempotencyKey?: boolean;
  /** Payment operation that moves money and so needs an idempotency key. */
  moneyMovement?: boolean;
  sql?: { text: SqlText; shape: SqlShape };
  /** Filters and sort of a read, update or delete, when they can be read from the call. */
  query?: QueryShape;
  /** For kind 'tx': which part of a transaction. */
  tx?: 'callback' | 'batch' | 'begin' | 'commit' | 'rollback';
  /** For kind 'client': a client that is costly per request (a pool, a connection). */
  pooled?: boolean;
  /**
   * Set when the call enables retries WITHOUT a growing, jittered delay (the library's default or the
   * given options): the option property (`retries: 3`), or the call when the defaults retry. require-backoff
   * reports it. Leave unset when the delay is a proper backoff or cannot be read.
   */
  retryOption?: ts.Node;
  /** With retryOption: what is wrong with the delay between retries (no delay, a constant one, no jitter). */
  retryDelay?: 'none' | 'constant' | 'no-jitter';
  /**
   * The client library itself retries this call although its method is not idempotent (got/ky with
   * `POST` in `retry.methods`, superagent `.retry()` on a POST): the option or call that enables it, for
   * no-retry-non-idempotent.
   */
  libraryRetry?: ts.Node;
  /** The argument holding the request options, when there is one. */
  options?: ts.Expression;
}

export interface CallSite {
  /** A call, a construction, or a tagged template (`sql\`…\``, whose one argument is the template). */
  call: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression;
  callee: ExternalValue;
  file: CodeFile;
  resolver: Resolver;
}

export interface CallSpec {
  /** Pattern over the callee path: segments split by `.`, `*` one segment, `**` any, `{a,b}` either. */
  path: string;
  /** Only for `new X()` (true) / only for plain calls and tagged templates (false). */
  construct?: boolean;
  /** Only for tagged templates (true) / never for them (false). */
  tagged?: boolean;
  describe: (site: CallSite) => CallFacts | undefined;
}

export interface LibraryEntry {
  id: string;
  /** The package names that identify it in imports. */
  modules: string[];
  calls: CallSpec[];
}
