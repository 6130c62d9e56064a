/**
 * Knex: `export async function up(knex: Knex)` / `exports.up = function (knex) {…}`.
 *
 * `knex.raw('…', bindings)` and `knex.schema.raw` are copied as written (`?` bindings that are
 * constants are inlined, other `?` become `$n` parameters; a `??` identifier that is not a constant
 * skips the statement with a note). `knex.schema` chains are translated the way Knex's PostgreSQL
 * compilers write them (lib/dialects/postgres/schema/pg-tablecompiler.js, pg-columncompiler.js):
 * `createTable`/`alterTable`/`table` with their table builder (column types and modifiers, `index`,
 * `unique` and `primary` constraints, `foreign`/`references`, `dropColumn`, `renameColumn`, `dropIndex`,
 * `alter()`), `dropTable`, `renameTable`, schemas and extensions. Default names are Knex's
 * (`<table>_<columns>_index`, `_unique`, `_foreign`, `<table>_pkey`). Simple data changes
 * (`knex('orders').update({...}).where(...)`, `insert`, `del`) become UPDATE/INSERT/DELETE statements.
 *
 * Order: Knex sorts migration files by name. Transactions: each migration runs in a transaction (all
 * pending migrations in one when none opts out) unless the file exports `config = { transaction: false }`.
 */
import { ts } from 'ts-morph';
import { type CallContext, chainOf, type FnLike, type Link, paramNames, rootOf, shorten } from '../extract.js';
import { asBool, asNumber, asString, asStrings, prop, unwrap, type Value } from '../literals.js';
import { gen, ident, qualified, quote, Sql } from '../mapped.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { action, constantSql, splitRef } from './shared.js';

/** Knex's generated names: `orders_user_id_index`. */
function combinedName(type: string, table: string, columns: string[]): string {
  const t = table.replace(/\.|-/g, '_');
  const cols = columns.join('_');
  return `${t}_${cols ? `${cols}_` : ''}${type}`.toLowerCase();
}

interface Column {
  name: Sql;
  def: Sql;
  /** Statements Knex adds after the create/alter (index, unique, primary key, foreign key, comment). */
  extra: Sql[];
  /** Statements Knex adds before (`create type` of a native enum). */
  before: Sql[];
  alter?: { type: boolean; nullable: boolean; defaultTo?: Sql; notNull: boolean; typeSql: Sql };
  node: ts.Node;
}

const SIMPLE_TYPES: Record<string, string> = {
  integer: 'integer',
  int: 'integer',
  bigInteger: 'bigint',
  bigint: 'bigint',
  smallint: 'smallint',
  tinyint: 'smallint',
  mediumint: 'integer',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  float: 'real',
  double: 'double precision',
  boolean: 'boolean',
  bool: 'boolean',
  date: 'date',
  time: 'time',
  binary: 'bytea',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
};

const COLUMN_TYPES = new Set([
  ...Object.keys(SIMPLE_TYPES),
  'increments',
  'bigIncrements',
  'bigincrements',
  'string',
  'varchar',
  'decimal',
  'datetime',
  'timestamp',
  'enu',
  'enum',
  'specificType',
]);

class KnexTranslator {
  constructor(private readonly cx: CallContext) {}

  private get sf() {
    return this.cx.sf;
  }

  isReceiver(e: ts.Expression): boolean {
    const x = unwrap(e);
    return ts.isIdentifier(x) && this.cx.receivers.has(x.text);
  }

  /** `knex.schema` (or `trx.schema`). */
  isSchema(e: ts.Expression): boolean {
    const x = unwrap(e);
    return ts.isPropertyAccessExpression(x) && x.name.text === 'schema' && this.isReceiver(x.expression);
  }

  call(node: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
    if (!ts.isCallExpression(node)) return false;
    const root = rootOf(node);
    if (!root || !this.cx.receivers.has(root)) return false;
    const { base, links } = chainOf(node);
    if (links.length === 0) {
      // `knex('orders')` alone is a query builder nobody runs.
      return false;
    }
    if (this.isReceiver(base) && links[0].name === 'raw') {
      this.cx.recognised++;
      this.raw(links[0]);
      return true;
    }
    if (this.isReceiver(base) && (links[0].name === 'transaction' || links[0].name === 'fn')) return false;
    if (this.isSchema(base)) {
      this.cx.recognised++;
      this.schemaChain(links);
      return true;
    }
    const b = unwrap(base);
    if (ts.isCallExpression(b) && this.isReceiver(b.expression)) {
      this.cx.recognised++;
      this.query(b, links, node);
      return true;
    }
    if (this.isReceiver(base) && links[0].name === 'from') {
      this.cx.recognised++;
      this.query(links[0].call, links.slice(1), node);
      return true;
    }
    return false;
  }

  raw(link: Link): void {
    const call = link.call;
    const r = this.cx.consts.strOrHole(link.args[0]);
    if (!r || 'hole' in r) {
      const hole = r && 'hole' in r ? r.hole : call;
      this.cx.unresolved(hole, `The SQL passed to \`${shorten(call.expression.getText(this.sf))}(…)\` is built from \`${shorten(hole.getText(this.sf), 40)}\`, which is not a constant; the statement was not checked`);
      return;
    }
    const sql = this.bind(r.sql, link.args[1], call);
    if (sql) this.cx.emitVerbatim(sql, link.args[0]);
  }

  /** Replaces `?` and `??` bindings outside strings and quoted identifiers. */
  bind(sql: Sql, bindingsExpr: ts.Expression | undefined, call: ts.Node): Sql | undefined {
    if (!bindingsExpr || !/\?/.test(sql.text)) return sql;
    const bindings = this.cx.consts.value(bindingsExpr);
    const list = bindings?.kind === 'array' ? bindings.items : undefined;
    const named = bindings?.kind === 'object' ? bindings : undefined;
    const text = sql.text;
    const parts: Sql[] = [];
    let last = 0;
    let k = 0;
    let param = 0;
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === "'" || c === '"') {
        const close = text.indexOf(c, i + 1);
        i = close < 0 ? text.length : close + 1;
        continue;
      }
      if (c === '-' && text[i + 1] === '-') {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? text.length : nl;
        continue;
      }
      if (c === '\\' && text[i + 1] === '?') {
        parts.push(sql.slice(last, i));
        last = i + 1;
        i += 2;
        continue;
      }
      if (c === '?' && !named) {
        const double = text[i + 1] === '?';
        parts.push(sql.slice(last, i));
        const value = list?.[k++];
        if (double) {
          const id = value?.kind === 'string' ? value.sql : undefined;
          if (!id) {
            this.cx.unresolved(value?.node ?? bindingsExpr, `The identifier bound to \`??\` in \`${shorten(call.getText(this.sf))}\` is not a constant; the statement was not checked`);
            return undefined;
          }
          parts.push(qualified(id));
        } else {
          parts.push(constantSql(value, this.cx) ?? Sql.at(`$${++param}`, sql.offsets[i]));
        }
        i += double ? 2 : 1;
        last = i;
        continue;
      }
      i++;
    }
    parts.push(sql.slice(last));
    return Sql.concat(parts);
  }

  /** `knex('orders').update({...}).where(...)`, `.insert(...)`, `.del()`. */
  query(baseCall: ts.CallExpression, links: Link[], node: ts.CallExpression): void {
    const table = this.cx.str(baseCall.arguments[0], node, 'The table name');
    if (!table) return;
    const g = this.cx.gen(node);
    const at = this.cx.start(node);
    const where: Sql[] = [];
    let verb: 'update' | 'insert' | 'delete' | undefined;
    let payload: Value | undefined;
    let param = 0;
    const value = (e: ts.Expression | undefined): Sql => {
      const v = this.cx.consts.value(e);
      const raw = this.rawOf(e);
      return raw ?? constantSql(v, this.cx) ?? Sql.at(`$${++param}`, e ? this.cx.start(e) : at);
    };
    for (const l of links) {
      if (l.name === 'update') {
        verb = 'update';
        payload = this.cx.consts.value(l.args[0]);
        if (l.args.length >= 2 && payload?.kind === 'string') {
          payload = { kind: 'object', props: new Map([[payload.sql.text, this.cx.consts.value(l.args[1]) ?? { kind: 'other', node: l.args[1] }]]), node: l.args[0] };
        }
      } else if (l.name === 'insert') {
        verb = 'insert';
        payload = this.cx.consts.value(l.args[0]);
      } else if (l.name === 'del' || l.name === 'delete') verb = 'delete';
      else if (l.name === 'where' || l.name === 'andWhere') {
        const first = this.cx.consts.value(l.args[0]);
        if (first?.kind === 'object') {
          for (const [k, v] of first.props) where.push(gen(v.node.getStart(this.sf))`${ident(k)} = ${constantSql(v, this.cx) ?? Sql.at(`$${++param}`, v.node.getStart(this.sf))}`);
        } else if (first?.kind === 'string' && l.args.length === 2) {
          where.push(gen(this.cx.start(l.call))`${ident(first.sql)} = ${value(l.args[1])}`);
        } else if (first?.kind === 'string' && l.args.length === 3) {
          const op = asString(this.cx.consts.value(l.args[1]));
          if (!op) return;
          where.push(gen(this.cx.start(l.call))`${ident(first.sql)} ${op.text} ${value(l.args[2])}`);
        } else {
          this.cx.unresolved(l.call, `The condition of \`${shorten(l.call.getText(this.sf))}\` is not translated; the statement was not checked`);
          return;
        }
      } else if (l.name === 'whereNull' || l.name === 'whereNotNull') {
        const col = this.cx.str(l.args[0], l.call, 'The column name');
        if (!col) return;
        where.push(gen(this.cx.start(l.call))`${ident(col)} IS ${l.name === 'whereNull' ? '' : 'NOT '}NULL`);
      } else if (l.name === 'whereIn') {
        const col = this.cx.str(l.args[0], l.call, 'The column name');
        if (!col) return;
        where.push(gen(this.cx.start(l.call))`${ident(col)} = ANY(${value(l.args[1])})`);
      } else if (['returning', 'transacting', 'timeout', 'limit'].includes(l.name)) {
        // no effect on the statement's hazards
      } else {
        this.cx.unsupported(l.call, `\`.${l.name}(…)\` of a Knex query is not translated; the statement was not checked`);
        return;
      }
    }
    const whereSql = where.length ? g` WHERE ${Sql.join(where, ' AND ', at)}` : Sql.at('', at);
    if (verb === 'update') {
      if (payload?.kind !== 'object') {
        this.cx.unresolved(node, 'The values of the update are not an object literal; the statement was not checked');
        return;
      }
      const sets = [...payload.props].map(([k, v]) => gen(v.node.getStart(this.sf))`${ident(k)} = ${this.rawOf(v.node as ts.Expression) ?? constantSql(v, this.cx) ?? Sql.at(`$${++param}`, v.node.getStart(this.sf))}`);
      this.cx.emit(g`UPDATE ${qualified(table)} SET ${Sql.join(sets, ', ', at)}${whereSql}`, node);
    } else if (verb === 'delete') {
      this.cx.emit(g`DELETE FROM ${qualified(table)}${whereSql}`, node);
    } else if (verb === 'insert') {
      const rows = payload?.kind === 'array' ? payload.items : payload ? [payload] : [];
      if (rows.length === 0 || rows.some((r) => r.kind !== 'object')) {
        this.cx.unresolved(node, 'The rows of the insert are not object literals; the statement was not checked');
        return;
      }
      const cols = [...(rows[0] as Extract<Value, { kind: 'object' }>).props.keys()];
      const tuples = rows.map((r) => {
        const props = (r as Extract<Value, { kind: 'object' }>).props;
        return gen(r.node.getStart(this.sf))`(${Sql.join(
          cols.map((c) => {
            const v = props.get(c);
            return (v && (this.rawOf(v.node as ts.Expression) ?? constantSql(v, this.cx))) ?? Sql.at(`$${++param}`, r.node.getStart(this.sf));
          }),
          ', ',
          r.node.getStart(this.sf),
        )})`;
      });
      this.cx.emit(g`INSERT INTO ${qualified(table)} (${Sql.join(cols.map((c) => ident(c, at)), ', ', at)}) VALUES ${Sql.join(tuples, ', ', at)}`, node);
    }
  }

  /** `knex.raw('now()')`, `knex.fn.now()`: SQL written as is. */
  rawOf(e: ts.Expression | undefined): Sql | undefined {
    if (!e) return undefined;
    const x = unwrap(e);
    if (!ts.isCallExpression(x)) return undefined;
    const callee = unwrap(x.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    if (callee.name.text === 'raw' && (this.isReceiver(callee.expression) || this.isSchema(callee.expression))) {
      const s = this.cx.str(x.arguments[0], x, 'The SQL of `raw`');
      return s ? this.bind(s, x.arguments[1], x) : undefined;
    }
    const inner = unwrap(callee.expression);
    if (callee.name.text === 'now' && ts.isPropertyAccessExpression(inner) && inner.name.text === 'fn' && this.isReceiver(inner.expression)) {
      return Sql.at('CURRENT_TIMESTAMP', this.cx.start(x));
    }
    return undefined;
  }

  schemaChain(links: Link[]): void {
    let schema: Sql | undefined;
    const name = (n: Sql) => (schema ? Sql.concat([ident(schema), Sql.at('.', schema.offsets[0] ?? 0), ident(n)]) : qualified(n));
    for (const l of links) {
      const g = gen(this.cx.start(l === links[0] ? l.call : l.nameNode));
      const at = this.cx.start(l === links[0] ? l.call : l.nameNode);
      const stmt = (sql: Sql) => this.cx.emit(sql, l.call);
      const arg = (i: number, what: string) => this.cx.str(l.args[i], l.call, what);
      switch (l.name) {
        case 'withSchema':
          schema = arg(0, 'The schema name');
          if (!schema) return;
          break;
        case 'createTable':
        case 'createTableIfNotExists': {
          const t = arg(0, 'The table name');
          if (!t) return;
          this.table(t, name(t), l, 'create', at, l.name === 'createTableIfNotExists');
          break;
        }
        case 'createTableLike': {
          const t = arg(0, 'The table name');
          const like = arg(1, 'The table name');
          if (!t || !like) return;
          stmt(g`create table ${name(t)} (like ${name(like)} including all)`);
          if (l.args[2]) this.table(t, name(t), { ...l, args: [l.args[0], l.args[2]] }, 'alter', at, false);
          break;
        }
        case 'alterTable':
        case 'table': {
          const t = arg(0, 'The table name');
          if (!t) return;
          this.table(t, name(t), l, 'alter', at, false);
          break;
        }
        case 'dropTable':
        case 'dropTableIfExists': {
          const t = arg(0, 'The table name');
          if (t) stmt(g`drop table ${l.name === 'dropTableIfExists' ? 'if exists ' : ''}${name(t)}`);
          break;
        }
        case 'renameTable': {
          const from = arg(0, 'The table name');
          const to = arg(1, 'The new table name');
          if (from && to) stmt(g`alter table ${name(from)} rename to ${ident(to)}`);
          break;
        }
        case 'createSchema':
        case 'createSchemaIfNotExists': {
          const s = arg(0, 'The schema name');
          if (s) stmt(g`create schema ${l.name === 'createSchemaIfNotExists' ? 'if not exists ' : ''}${ident(s)}`);
          break;
        }
        case 'dropSchema':
        case 'dropSchemaIfExists': {
          const s = arg(0, 'The schema name');
          if (s) stmt(g`drop schema ${l.name === 'dropSchemaIfExists' ? 'if exists ' : ''}${ident(s)}${asBool(this.cx.consts.value(l.args[1])) ? ' cascade' : ''}`);
          break;
        }
        case 'createExtension':
        case 'createExtensionIfNotExists': {
          const s = arg(0, 'The extension name');
          if (s) stmt(g`create extension ${l.name === 'createExtensionIfNotExists' ? 'if not exists ' : ''}${ident(s)}`);
          break;
        }
        case 'dropExtension':
        case 'dropExtensionIfExists': {
          const s = arg(0, 'The extension name');
          if (s) stmt(g`drop extension ${l.name === 'dropExtensionIfExists' ? 'if exists ' : ''}${ident(s)}`);
          break;
        }
        case 'raw':
          this.raw(l);
          break;
        case 'hasTable':
        case 'hasColumn':
        case 'then':
        case 'catch':
        case 'finally':
        case 'transacting':
          break;
        default:
          this.cx.unsupported(l.call, `\`knex.schema.${l.name}(…)\` is not translated to SQL by Plumbline; whatever it changes is not checked and not known to later migrations`);
      }
    }
  }

  /** A table builder callback: `(t) => { t.string('email').notNullable(); t.index(['user_id']) }`. */
  table(raw: Sql, table: Sql, link: Link, mode: 'create' | 'alter', at: number, ifNotExists: boolean): void {
    const g = gen(at);
    const fnArg = link.args[1] ? unwrap(link.args[1]) : undefined;
    const fn = fnArg && (ts.isArrowFunction(fnArg) || ts.isFunctionExpression(fnArg)) ? fnArg : undefined;
    if (!fn && link.args[1]) {
      this.cx.unresolved(link.args[1], 'The table builder is not a function written in place; the statement was not checked');
      return;
    }
    const t = fn ? paramNames(fn)[0] : undefined;
    const columns: Column[] = [];
    const after: Array<{ sql: Sql; node: ts.Node }> = [];
    let comment: Sql | undefined;
    const body = fn?.body;
    const statements = !body ? [] : ts.isBlock(body) ? [...body.statements] : [body];
    for (const st of statements) {
      const expr = ts.isExpressionStatement(st) ? st.expression : ts.isExpression(st as ts.Node) ? (st as ts.Expression) : undefined;
      if (!expr) continue;
      const call = unwrap(expr);
      if (!ts.isCallExpression(call)) continue;
      const { base, links } = chainOf(call);
      const b = unwrap(base);
      if (!ts.isIdentifier(b) || b.text !== t || links.length === 0) continue;
      const first = links[0];
      const sAt = this.cx.start(st);
      const sg = gen(sAt);
      if (COLUMN_TYPES.has(first.name)) {
        const col = this.column(raw, table, links, st, mode);
        if (col) columns.push(col);
        continue;
      }
      const colsArg = (i: number) => {
        const v = this.cx.consts.value(first.args[i]);
        return asStrings(v) ?? (v ? undefined : []);
      };
      const nameArg = (i: number) => {
        const v = this.cx.consts.value(first.args[i]);
        if (v?.kind === 'object') return asString(prop(v, 'indexName')) ?? asString(prop(v, 'constraintName'));
        return asString(v);
      };
      switch (first.name) {
        case 'timestamps': {
          const defaultToNow = asBool(this.cx.consts.value(first.args[1])) === true;
          const camel = asBool(this.cx.consts.value(first.args[2])) === true;
          for (const n of camel ? ['createdAt', 'updatedAt'] : ['created_at', 'updated_at']) {
            const def = sg`${ident(n, sAt)} timestamptz${defaultToNow ? ' not null default CURRENT_TIMESTAMP' : ''}`;
            columns.push({ name: Sql.at(n, sAt), def, extra: [], before: [], node: st });
          }
          break;
        }
        case 'index': {
          const cols = colsArg(0);
          if (!cols) {
            this.cx.unresolved(first.call, 'The index columns are not constants');
            break;
          }
          const n = nameArg(1) ?? Sql.at(combinedName('index', raw.text, cols.map((c) => c.text)), sAt);
          const opts = this.cx.consts.value(first.args[2]);
          const indexType = asString(opts?.kind === 'object' ? prop(opts, 'indexType') : opts);
          const predicate = opts?.kind === 'object' ? prop(opts, 'predicate') : undefined;
          let sql = sg`create index ${ident(n)} on ${table}${indexType ? sg` using ${indexType}` : ''} (${Sql.join(cols.map((c) => ident(c)), ', ', sAt)})`;
          if (predicate) {
            const where = this.whereOf(predicate.node as ts.Expression);
            if (!where) break;
            sql = sg`${sql} where ${where}`;
          }
          after.push({ sql, node: st });
          break;
        }
        case 'unique': {
          const cols = colsArg(0);
          if (!cols) {
            this.cx.unresolved(first.call, 'The unique columns are not constants');
            break;
          }
          const opts = this.cx.consts.value(first.args[1]);
          const n = nameArg(1) ?? Sql.at(combinedName('unique', raw.text, cols.map((c) => c.text)), sAt);
          const useConstraint = opts?.kind === 'object' ? asBool(prop(opts, 'useConstraint')) : undefined;
          if (useConstraint === false) after.push({ sql: sg`create unique index ${ident(n)} on ${table} (${Sql.join(cols.map((c) => ident(c)), ', ', sAt)})`, node: st });
          else after.push({ sql: sg`alter table ${table} add constraint ${ident(n)} unique (${Sql.join(cols.map((c) => ident(c)), ', ', sAt)})`, node: st });
          break;
        }
        case 'primary': {
          const cols = colsArg(0);
          if (!cols) break;
          const n = nameArg(1) ?? Sql.at(`${raw.text}_pkey`, sAt);
          after.push({ sql: sg`alter table ${table} add constraint ${ident(n)} primary key (${Sql.join(cols.map((c) => ident(c)), ', ', sAt)})`, node: st });
          break;
        }
        case 'foreign': {
          const cols = colsArg(0);
          if (!cols) break;
          const fk = this.references(links.slice(1), sAt, st);
          if (!fk) break;
          const n = nameArg(1) ?? Sql.at(combinedName('foreign', raw.text, cols.map((c) => c.text)), sAt);
          after.push({ sql: sg`alter table ${table} add constraint ${ident(n)} foreign key (${Sql.join(cols.map((c) => ident(c)), ', ', sAt)}) ${fk}`, node: st });
          break;
        }
        case 'check': {
          const text = this.cx.str(first.args[0], first.call, 'The check expression');
          const expr = text && this.bind(text, first.args[1], first.call);
          if (!expr) break;
          const n = asString(this.cx.consts.value(first.args[2]));
          after.push({ sql: n ? sg`alter table ${table} add constraint ${ident(n)} check (${expr})` : sg`alter table ${table} add check (${expr})`, node: st });
          break;
        }
        case 'dropColumn':
        case 'dropColumns': {
          const cols: Sql[] = [];
          for (const a of first.args) {
            const v = this.cx.consts.value(a);
            const list = asStrings(v);
            if (!list) {
              this.cx.unresolved(a, 'The column name is not a constant');
              return;
            }
            cols.push(...list);
          }
          after.push({ sql: sg`alter table ${table} ${Sql.join(cols.map((c) => sg`drop column ${ident(c)}`), ', ', sAt)}`, node: st });
          break;
        }
        case 'dropTimestamps': {
          const camel = asBool(this.cx.consts.value(first.args[0])) === true;
          after.push({ sql: sg`alter table ${table} drop column ${camel ? '"createdAt"' : '"created_at"'}, drop column ${camel ? '"updatedAt"' : '"updated_at"'}`, node: st });
          break;
        }
        case 'renameColumn': {
          const from = this.cx.str(first.args[0], first.call, 'The column name');
          const to = this.cx.str(first.args[1], first.call, 'The new column name');
          if (from && to) after.push({ sql: sg`alter table ${table} rename ${ident(from)} to ${ident(to)}`, node: st });
          break;
        }
        case 'dropIndex': {
          const cols = colsArg(0) ?? [];
          const n = nameArg(1) ?? (first.args[0] && !asStrings(this.cx.consts.value(first.args[0])) ? undefined : Sql.at(combinedName('index', raw.text, cols.map((c) => c.text)), sAt));
          if (!n) {
            this.cx.unresolved(first.call, 'The index name is not a constant');
            break;
          }
          after.push({ sql: sg`drop index ${ident(n)}`, node: st });
          break;
        }
        case 'dropUnique':
        case 'dropForeign':
        case 'dropPrimary': {
          const type = first.name === 'dropUnique' ? 'unique' : first.name === 'dropForeign' ? 'foreign' : 'pkey';
          const n =
            first.name === 'dropPrimary'
              ? (nameArg(0) ?? Sql.at(`${raw.text}_pkey`, sAt))
              : (nameArg(1) ?? (colsArg(0) ? Sql.at(combinedName(type, raw.text, colsArg(0)!.map((c) => c.text)), sAt) : undefined));
          if (n) after.push({ sql: sg`alter table ${table} drop constraint ${ident(n)}`, node: st });
          break;
        }
        case 'setNullable':
        case 'dropNullable': {
          const c = this.cx.str(first.args[0], first.call, 'The column name');
          if (c) after.push({ sql: sg`alter table ${table} alter column ${ident(c)} ${first.name === 'setNullable' ? 'drop' : 'set'} not null`, node: st });
          break;
        }
        case 'comment': {
          const c = this.cx.str(first.args[0], first.call, 'The comment');
          if (c) comment = sg`comment on table ${table} is ${quote(c)}`;
          break;
        }
        case 'engine':
        case 'charset':
        case 'collate':
        case 'inherits':
          break;
        default:
          this.cx.unsupported(first.call, `\`${t}.${first.name}(…)\` is not translated to SQL by Plumbline`);
      }
    }
    for (const c of columns) for (const b of c.before) this.cx.emit(b, c.node);
    const added = columns.filter((c) => !c.alter);
    if (mode === 'create') {
      this.cx.emit(g`create table ${ifNotExists ? 'if not exists ' : ''}${table} (${Sql.join(added.map((c) => c.def), ', ', at)})`, link.call);
    } else if (added.length) {
      this.cx.emit(g`alter table ${table} ${Sql.join(added.map((c) => gen(c.node.getStart(this.sf))`add column ${c.def}`), ', ', at)}`, link.call);
    }
    if (comment) this.cx.emit(comment, link.call);
    for (const c of columns) {
      if (c.alter) this.alterColumn(table, c);
      for (const e of c.extra) this.cx.emit(e, c.node);
    }
    for (const a of after) this.cx.emit(a.sql, a.node);
  }

  /** The five statements Knex runs for `.alter()` on PostgreSQL. */
  alterColumn(table: Sql, c: Column): void {
    const sg = gen(c.node.getStart(this.sf));
    const a = c.alter!;
    const col = ident(c.name);
    if (a.type) {
      this.cx.emit(sg`alter table ${table} alter column ${col} drop default`, c.node);
      if (a.nullable) this.cx.emit(sg`alter table ${table} alter column ${col} drop not null`, c.node);
      this.cx.emit(sg`alter table ${table} alter column ${col} type ${a.typeSql} using (${col}::${a.typeSql})`, c.node);
    } else if (a.nullable) {
      this.cx.emit(sg`alter table ${table} alter column ${col} drop not null`, c.node);
    }
    if (a.defaultTo) this.cx.emit(sg`alter table ${table} alter column ${col} set default ${a.defaultTo}`, c.node);
    if (a.notNull && a.nullable) this.cx.emit(sg`alter table ${table} alter column ${col} set not null`, c.node);
  }

  whereOf(e: ts.Expression): Sql | undefined {
    const raw = this.rawOf(e);
    if (raw) return raw;
    this.cx.unresolved(e, 'The index predicate is not a `knex.raw(…)` constant');
    return undefined;
  }

  /** `.references('users.id')`, `.references('id').inTable('users')`, `.onDelete('CASCADE')`. */
  references(links: Link[], at: number, node: ts.Node): Sql | undefined {
    const g = gen(at);
    let refTable: Sql | undefined;
    let refCol: Sql | undefined;
    let onDelete: string | undefined;
    let onUpdate: string | undefined;
    let seen = false;
    for (const l of links) {
      if (l.name === 'references') {
        seen = true;
        const v = this.cx.consts.value(l.args[0]);
        const s = asString(v) ?? asStrings(v)?.[0];
        if (!s) {
          this.cx.unresolved(l.call, 'The referenced column is not a constant');
          return undefined;
        }
        const split = splitRef(s);
        if (split) {
          refTable = split.table;
          refCol = split.column;
        } else refCol = s;
      } else if (l.name === 'inTable') refTable = this.cx.str(l.args[0], l.call, 'The referenced table');
      else if (l.name === 'onDelete') onDelete = action(this.cx.str(l.args[0], l.call, 'The ON DELETE action'));
      else if (l.name === 'onUpdate') onUpdate = action(this.cx.str(l.args[0], l.call, 'The ON UPDATE action'));
    }
    if (!seen) return undefined;
    if (!refTable || !refCol) {
      this.cx.unresolved(node, 'The foreign key names no referenced table (`.inTable(…)` or `references(\'table.column\')`)');
      return undefined;
    }
    let sql = g`references ${qualified(refTable)} (${ident(refCol)})`;
    if (onDelete) sql = g`${sql} on delete ${onDelete.toLowerCase()}`;
    if (onUpdate) sql = g`${sql} on update ${onUpdate.toLowerCase()}`;
    return sql;
  }

  /** A column chain: `t.string('email', 64).notNullable().defaultTo('x').unique()`. */
  column(raw: Sql, table: Sql, links: Link[], st: ts.Node, mode: 'create' | 'alter'): Column | undefined {
    const at = this.cx.start(st);
    const g = gen(at);
    const first = links[0];
    // `t.increments()` names its column `id`.
    const increments = first.name === 'increments' || first.name === 'bigIncrements' || first.name === 'bigincrements';
    const name = first.args[0] === undefined && increments ? Sql.at('id', at) : this.cx.str(first.args[0], first.call, 'The column name');
    if (!name) {
      if (first.args[0] === undefined) this.cx.unresolved(first.call, 'The column has no name');
      return undefined;
    }
    const before: Sql[] = [];
    let type: Sql;
    const numArg = (i: number) => asNumber(this.cx.consts.value(first.args[i]));
    switch (first.name) {
      case 'increments':
      case 'bigIncrements':
      case 'bigincrements': {
        const opts = this.cx.consts.value(first.args[1]);
        const pk = opts?.kind === 'object' ? asBool(prop(opts, 'primaryKey')) !== false : true;
        type = Sql.at(`${first.name === 'increments' ? 'serial' : 'bigserial'}${pk ? ' primary key' : ''}`, at);
        break;
      }
      case 'string':
      case 'varchar': {
        const len = first.args[1] ? numArg(1) : 255;
        type = Sql.at(len ? `varchar(${len})` : 'varchar', at);
        break;
      }
      case 'decimal': {
        const p = this.cx.consts.value(first.args[1]);
        type = Sql.at(p?.kind === 'null' ? 'decimal' : `decimal(${asNumber(p) ?? 8}, ${numArg(2) ?? 2})`, at);
        break;
      }
      case 'datetime':
      case 'timestamp': {
        const opt = this.cx.consts.value(first.args[1]);
        let useTz = true;
        let precision: number | undefined;
        if (opt?.kind === 'object') {
          useTz = asBool(prop(opt, 'useTz')) ?? true;
          precision = asNumber(prop(opt, 'precision'));
        } else if (opt?.kind === 'boolean') {
          useTz = !opt.value;
          precision = numArg(2);
        }
        type = Sql.at(`${useTz ? 'timestamptz' : 'timestamp'}${precision !== undefined ? `(${precision})` : ''}`, at);
        break;
      }
      case 'enu':
      case 'enum': {
        const values = asStrings(this.cx.consts.value(first.args[1]));
        const opts = this.cx.consts.value(first.args[2]);
        const native = asBool(prop(opts, 'useNative')) === true;
        const enumName = asString(prop(opts, 'enumName'));
        const existing = asBool(prop(opts, 'existingType')) === true;
        if (native) {
          if (!enumName) {
            this.cx.unresolved(first.call, 'The enum type name is not a constant');
            return undefined;
          }
          if (!existing) {
            if (!values) {
              this.cx.unresolved(first.call, 'The enum values are not constants');
              return undefined;
            }
            before.push(g`create type ${ident(enumName)} as enum (${Sql.join(values.map((v) => quote(v)), ', ', at)})`);
          }
          type = ident(enumName);
        } else {
          if (!values) {
            this.cx.unresolved(first.call, 'The enum values are not constants');
            return undefined;
          }
          type = g`text check (${ident(name)} in (${Sql.join(values.map((v) => quote(v)), ', ', at)}))`;
        }
        break;
      }
      case 'specificType': {
        const s = this.cx.str(first.args[1], first.call, 'The column type');
        if (!s) return undefined;
        type = s;
        break;
      }
      default:
        type = Sql.at(SIMPLE_TYPES[first.name], at);
    }
    const extra: Sql[] = [];
    let notNull = false;
    let nullable: boolean | undefined;
    let defaultTo: Sql | undefined;
    let alter: { type: boolean; nullable: boolean } | undefined;
    const isBool = first.name === 'boolean' || first.name === 'bool';
    for (const l of links.slice(1)) {
      switch (l.name) {
        case 'notNullable':
          notNull = true;
          nullable = false;
          break;
        case 'nullable':
          nullable = true;
          notNull = false;
          break;
        case 'defaultTo': {
          const e = l.args[0];
          const rawSql = this.rawOf(e);
          const v = this.cx.consts.value(e);
          if (rawSql) defaultTo = rawSql;
          else if (v?.kind === 'null') defaultTo = Sql.at('null', this.cx.start(e));
          else if (isBool && (v?.kind === 'boolean' || v?.kind === 'number')) defaultTo = Sql.at(`'${(v.kind === 'boolean' ? v.value : v.value !== 0) ? 1 : 0}'`, this.cx.start(e));
          else if (v?.kind === 'string') defaultTo = quote(v.sql);
          else if (v?.kind === 'number') defaultTo = Sql.at(`'${v.text}'`, this.cx.start(e));
          else if (v?.kind === 'boolean') defaultTo = Sql.at(`'${v.value}'`, this.cx.start(e));
          else {
            this.cx.unresolved(e, `The default of column \`${name.text}\` is not a constant; the statement was not checked`);
            return undefined;
          }
          break;
        }
        case 'primary':
          extra.push(g`alter table ${table} add constraint ${ident(`${raw.text}_pkey`)} primary key (${ident(name)})`);
          break;
        case 'unique': {
          const n = asString(this.cx.consts.value(l.args[0])) ?? asString(prop(this.cx.consts.value(l.args[0]), 'indexName')) ?? Sql.at(combinedName('unique', raw.text, [name.text]), at);
          extra.push(g`alter table ${table} add constraint ${ident(n)} unique (${ident(name)})`);
          break;
        }
        case 'index': {
          const n = asString(this.cx.consts.value(l.args[0])) ?? Sql.at(combinedName('index', raw.text, [name.text]), at);
          extra.push(g`create index ${ident(n)} on ${table} (${ident(name)})`);
          break;
        }
        case 'references': {
          const fk = this.references(links.slice(links.indexOf(l)), at, st);
          if (fk) {
            const n = asString(prop(this.cx.consts.value(l.args[1]), 'foreignKeyConstraintName')) ?? Sql.at(combinedName('foreign', raw.text, [name.text]), at);
            extra.push(g`alter table ${table} add constraint ${ident(n)} foreign key (${ident(name)}) ${fk}`);
          }
          break;
        }
        case 'comment': {
          const c = this.cx.str(l.args[0], l.call, 'The comment');
          if (c) extra.push(g`comment on column ${table}.${ident(name)} is ${quote(c)}`);
          break;
        }
        case 'alter': {
          const opts = this.cx.consts.value(l.args[0]);
          alter = { type: asBool(prop(opts, 'alterType')) !== false, nullable: asBool(prop(opts, 'alterNullable')) !== false };
          break;
        }
        case 'collate': {
          const c = this.cx.str(l.args[0], l.call, 'The collation');
          if (c) type = g`${type} collate ${ident(c)}`;
          break;
        }
        default:
          // unsigned, first, after, inTable/onDelete (read with references), check helpers: no SQL of their own here.
          break;
      }
    }
    let def = g`${ident(name)} ${type}`;
    if (nullable === false) def = g`${def} not null`;
    else if (nullable === true) def = g`${def} null`;
    if (defaultTo) def = g`${def} default ${defaultTo}`;
    if (alter) {
      return { name, def, extra, before, node: st, alter: { type: alter.type, nullable: alter.nullable, defaultTo, notNull, typeSql: type } };
    }
    return { name, def, extra, before, node: st };
  }
}

function configTransaction(file: ToolFile): boolean | undefined {
  const config = file.shape.exported.get('config');
  if (!config) return undefined;
  const e = unwrap(config);
  if (!ts.isObjectLiteralExpression(e)) return undefined;
  for (const p of e.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText(file.sf) === 'transaction') {
      const v = unwrap(p.initializer).kind;
      if (v === ts.SyntaxKind.FalseKeyword) return false;
      if (v === ts.SyntaxKind.TrueKeyword) return true;
    }
  }
  return undefined;
}

export const knexTool: ToolSpec = {
  id: 'knex',
  name: 'Knex',
  detectedBy: 'Knex migration files (up(knex) with knex.schema / knex.raw)',
  matches: (text) => /\bKnex\b|['"]knex['"]|\bknex\s*\.\s*(?:schema|raw)\b|\.schema\s*\.\s*(?:createTable|alterTable|table|dropTable)\s*\(/.test(text),
  confirm: (file) => {
    const up = file.shape.up;
    if (!up || file.shape.cls) return false;
    const text = up.getText(file.sf);
    const p = paramNames(up)[0];
    return !!p && new RegExp(`\\b${p}\\s*(?:\\.\\s*(?:schema|raw|transaction|fn)\\b|\\()`).test(text);
  },
  translator(_file, fn: FnLike, cx) {
    const first = paramNames(fn)[0];
    if (first) cx.receivers.add(first);
    const tr = new KnexTranslator(cx);
    return {
      call: (node) => tr.call(node),
      enterCallback: (cb, call) => {
        // `knex.transaction(async (trx) => …)`: `trx` works like `knex`.
        const callee = unwrap(call.expression);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'transaction' && tr.isReceiver(callee.expression)) {
          const p = paramNames(cb)[0];
          if (p && !cx.receivers.has(p)) {
            cx.receivers.add(p);
            return () => cx.receivers.delete(p);
          }
        }
        return undefined;
      },
    };
  },
  transaction(file) {
    const t = configTransaction(file);
    if (t === false) return { wrapped: false, reason: 'the file exports `config = { transaction: false }`, so Knex runs it outside a transaction' };
    return {
      wrapped: true,
      reason: 'Knex runs each migration in a transaction (all pending migrations in one) unless the file exports `config = { transaction: false }`',
    };
  },
  version: (file) => /^(\d+)/.exec(file.stem)?.[1] ?? file.stem,
  compare: (a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0),
};

