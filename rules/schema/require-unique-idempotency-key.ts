import type { Catalog, Column, Index, Table } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { columnPlace, displayRelation, indexNameFor, quoteIdent, tableName } from './places.js';
import { snakeCase as snake } from '../../src/core/naming.js';

/** Names that say "this column deduplicates": an idempotency key, a deduplication key. Any table. */
const KEY_NAME = /^(?:[a-z0-9]+_)*(?:idempoten(?:cy|ce)_(?:key|token|id)|dedup(?:e|lication)?_(?:key|token|id|hash))$/;

/**
 * A message or event id deduplicates only where a consumer records what it has handled: an inbox, a
 * processed-/consumed-/received-messages table, a table of events received from elsewhere. Elsewhere
 * (`event_id` of an attendees table, an outbox filled by the producer) it is an ordinary reference.
 */
const MESSAGE_ID = /^(?:(?:external|provider|source|upstream|remote|webhook|delivery|broker|client)_)?(?:message|event)_id$/;
const INBOX_TABLE = /(?:^|_)(?:inbox|processed|consumed|received|handled|incoming|inbound|dedup|deduplication|idempotency)(?:_|$)|(?:^|_)(?:events?|messages?|webhooks?|deliver(?:y|ies))$/;
const OUTBOX_TABLE = /(?:^|_)outbox(?:_|$)/;

/** Tables that record every attempt or every occurrence on purpose: many rows per key is their point. */
const LOG_TABLE = /(?:^|_)(?:logs?|attempts?|history|histories|audits?|trails?|retries|traces?)$/;

/**
 * A request id is a deduplication key on tables of commands that must not run twice (payments, orders…);
 * on a log of requests it is just a correlation id.
 */
const REQUEST_ID = /^(?:client_)?request_id$/;
const COMMAND_TABLE =
  /(?:^|_)(?:payments?|charges?|refunds?|transfers?|payouts?|withdrawals?|deposits?|orders?|checkouts?|purchases?|bookings?|reservations?|subscriptions?|invoices?|transactions?|commands?|disbursements?)$/;

/** Columns that usually scope a deduplication key. */
const SCOPES = ['tenant_id', 'account_id', 'merchant_id', 'client_id', 'customer_id', 'user_id', 'consumer', 'consumer_group', 'consumer_name', 'subscriber', 'handler', 'provider', 'source'];


function isKeyColumn(table: Table, name: string): boolean {
  const column = snake(name);
  const tableName = snake(table.name);
  if (LOG_TABLE.test(tableName)) return false;
  if (KEY_NAME.test(column)) return true;
  if (MESSAGE_ID.test(column)) return INBOX_TABLE.test(tableName) && !OUTBOX_TABLE.test(tableName);
  if (REQUEST_ID.test(column)) return COMMAND_TABLE.test(tableName);
  return false;
}

/** Whether an expression key (JSON of its syntax tree) reads the column. */
function readsColumn(expression: string, column: string): boolean {
  return expression.includes(`"ColumnRef":{"fields":[{"String":{"sval":${JSON.stringify(column)}}}`);
}

/**
 * A unique index or constraint whose keys include the column: alone, or scoped by other columns
 * (`(tenant_id, idempotency_key)`, `(consumer, message_id)`) — keys are often unique per client or per
 * consumer. A partial unique index counts (`WHERE idempotency_key IS NOT NULL` is the usual shape).
 */
function uniqueOn(catalog: Catalog, table: Table, column: string): Index | undefined {
  const tables = [table.key];
  for (let parent = table.partitionOf; parent && !tables.includes(parent); parent = catalog.table(parent)?.partitionOf) tables.push(parent);
  const indexes = tables.flatMap((t) => catalog.indexesOf(t));
  const exclusion = (i: Index) => catalog.table(i.table)?.constraints.get(i.name)?.type === 'exclusion';
  return indexes.find(
    (i) =>
      (i.unique || i.primary || exclusion(i)) &&
      (i.columns.includes(column) || (i.keys ?? []).some((k) => k.column === column || (k.expression !== undefined && readsColumn(k.expression, column)))),
  );
}

/**
 * A reference to another table's row, not a key of its own: a foreign key column, or a plain `event_id`,
 * `message_id`, `request_id` named after a table of the schema (`events`, `messages`, `requests`), even
 * without a declared foreign key.
 */
function isReference(catalog: Catalog, table: Table, column: string): boolean {
  if ([...table.constraints.values()].some((c) => c.type === 'foreign' && c.columns.includes(column))) return true;
  const name = snake(column);
  if (!/^(?:event|message|request)_id$/.test(name)) return false;
  const base = name.slice(0, -3);
  const names = new Set([base, `${base}s`]);
  for (const other of catalog.tables.values()) {
    if (other !== table && other.kind === 'table' && other.schema === table.schema && names.has(snake(other.name))) return true;
  }
  return false;
}

export default defineRule({
  id: 'require-unique-idempotency-key',
  family: 'schema',
  meta: {
    description:
      'A column that stores idempotency or deduplication keys (`idempotency_key`, `dedup_key`, `message_id` of an inbox, `request_id` of payments…) without a unique index or constraint on it.',
    rationale:
      'An idempotency key works only if the database refuses the second row. Without a unique index, two retries of the same request that arrive together both pass the "seen it already?" check and both insert: a retried request creates a second payment, a redelivered message is handled twice.',
    remedy:
      'Create a unique index on the column (or on the column and its scope, such as the client or consumer): `CREATE UNIQUE INDEX CONCURRENTLY … ON <table> (<column>);`, then insert with `ON CONFLICT … DO NOTHING` and read back the first result.',
    severity: 'warning',
    precision: 'high',
    tags: ['schema', 'integrity', 'idempotency'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { catalog } = ctx;
    for (const table of catalog.tables.values()) {
      // A partition carries its partitioned table's columns and indexes: the parent is judged.
      if (table.kind !== 'table' || table.temporary || table.partitionOf) continue;
      for (const column of table.columns.values()) {
        if (!isKeyColumn(table, column.name) || isReference(catalog, table, column.name)) continue;
        if (uniqueOn(catalog, table, column.name)) continue;
        report(table, column);
      }
    }

    function report(table: Table, column: Column): void {
      const shown = displayRelation(table.key);
      const relation = tableName(table);
      const col = quoteIdent(column.name);
      const plain = catalog.indexesOf(table.key).find((i) => i.columns[0] === column.name);
      const name = indexNameFor(table.name, [column.name], (n) => catalog.indexes.has(`${table.schema}.${n}`), 'key');
      // A column that scopes the key, when the table has one: keys are often unique per client or consumer.
      const others = [...table.columns.keys()].filter((c) => c !== column.name);
      const scope = SCOPES.map((wanted) => others.find((c) => snake(c) === wanted)).find((c) => c !== undefined);
      const snaked = snake(column.name);
      const message = MESSAGE_ID.test(snaked);
      const kind = /request_id$/.test(snaked) ? 'request ids' : message ? `${snaked.includes('event') ? 'event' : 'message'} ids` : /dedup/.test(snaked) ? 'deduplication keys' : 'idempotency keys';
      const build = table.partitioned
        ? `\`CREATE UNIQUE INDEX ${name} ON ${relation} (${col}, …partition key columns);\` (on a partitioned table a unique index must include the partition key)`
        : `\`CREATE UNIQUE INDEX CONCURRENTLY ${name} ON ${relation} (${col});\` (outside a transaction; delete or merge existing duplicates first, or the build fails)`;
      ctx.report({
        file: column.origin.file,
        range: columnPlace(column.origin, column.name),
        message: `\`${shown}.${column.name}\` stores ${kind}, but no unique index or constraint covers it${plain ? ` (\`${plain.name}\` is not unique)` : ''}.`,
        why: `A deduplication key protects only if the database refuses the second row. Without a unique index on \`${column.name}\`, ${
          message
            ? 'two deliveries of the same message that arrive together (a broker redelivering after a consumer restart) both find no earlier row and both insert: the message is processed twice.'
            : 'two attempts of the same request that arrive together (a client retrying after a timeout) both find no earlier row and both insert: a retried request creates a second payment or order.'
        }`,
        remedy: `Add ${build}. If keys are unique only per client, tenant or consumer, put that column first: \`(${scope ? quoteIdent(scope) : 'tenant_id'}, ${col})\`. Then write with \`INSERT … ON CONFLICT (${scope ? `${quoteIdent(scope)}, ` : ''}${col}) DO NOTHING\` and treat "no row inserted" as "already done".`,
        properties: { table: shown, column: column.name },
      });
    }
  },
});
