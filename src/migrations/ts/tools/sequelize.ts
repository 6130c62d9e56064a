/**
 * Sequelize (sequelize-cli / umzug): `up: async (queryInterface, Sequelize) => {…}`.
 *
 * `queryInterface.sequelize.query('…')` is copied as written. Query-interface calls are translated the
 * way Sequelize's PostgreSQL query generator writes them: `createTable` (`CREATE TABLE IF NOT EXISTS`,
 * enum columns get their `enum_<table>_<column>` type first), `dropTable` (`IF EXISTS`), `renameTable`,
 * `addColumn`, `removeColumn`, `changeColumn` (NOT NULL, DEFAULT and TYPE changes), `renameColumn`,
 * `addIndex` (with `unique`, `concurrently`, `using`, `where` of constants; default name
 * `<table>_<fields>`), `removeIndex`, `addConstraint` (unique, primary key, foreign key; default names
 * `<table>_<fields>_uk|pk|fk`), `removeConstraint`, `bulkInsert`, `bulkUpdate`, `bulkDelete` (with
 * constant `where` objects), `createSchema`, `dropSchema`. Types: `Sequelize.STRING(…)`, `DataTypes.*`.
 *
 * Order: file name. Transactions: sequelize-cli runs each migration without a transaction; a
 * migration that wraps its calls in `queryInterface.sequelize.transaction(async (t) => …)` (or opens
 * one with `await queryInterface.sequelize.transaction()` and commits it) gets `BEGIN`/`COMMIT`
 * around them, mapped to that call.
 */
import { ts } from 'ts-morph';
import { type CallContext, type FnLike, methodName, paramNames, receiverOf, rootOf, shorten } from '../extract.js';
import { asBool, asNumber, asString, asStrings, prop, unwrap, type Value } from '../literals.js';
import { gen, ident, qualified, Sql } from '../mapped.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { action, constantSql, verbatim } from './shared.js';

const TYPES: Record<string, string> = {
  TEXT: 'TEXT',
  CITEXT: 'CITEXT',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  SMALLINT: 'SMALLINT',
  TINYINT: 'SMALLINT',
  MEDIUMINT: 'INTEGER',
  FLOAT: 'FLOAT',
  REAL: 'REAL',
  DOUBLE: 'DOUBLE PRECISION',
  BOOLEAN: 'BOOLEAN',
  DATE: 'TIMESTAMP WITH TIME ZONE',
  DATEONLY: 'DATE',
  TIME: 'TIME',
  UUID: 'UUID',
  JSON: 'JSON',
  JSONB: 'JSONB',
  BLOB: 'BYTEA',
  INET: 'INET',
  CIDR: 'CIDR',
  MACADDR: 'MACADDR',
  HSTORE: 'HSTORE',
  TSVECTOR: 'TSVECTOR',
};

/** `createdAt` → `created_at`, as Sequelize's `Utils.underscore` names indexes. */
function underscore(s: string): string {
  return s.replace(/([a-z\d])([A-Z])/g, '$1_$2').replace(/[-\s]+/g, '_').toLowerCase();
}

interface ColumnSql {
  def: Sql;
  before: Sql[];
  after: Sql[];
  notNull: boolean;
  defaultSql?: Sql;
  type: Sql;
}

class SequelizeTranslator {
  /** Identifiers that hold the data types (`Sequelize`, `DataTypes`). */
  readonly typeRoots = new Set<string>(['Sequelize', 'DataTypes']);
  /** Variables holding an unmanaged transaction (`const t = await queryInterface.sequelize.transaction()`). */
  private readonly transactions = new Set<string>();

  constructor(private readonly cx: CallContext) {}

  private get sf() {
    return this.cx.sf;
  }

  /** `queryInterface.sequelize` (or `this.sequelize`…): the Sequelize instance. */
  isSequelizeInstance(e: ts.Expression): boolean {
    const x = unwrap(e);
    return ts.isPropertyAccessExpression(x) && x.name.text === 'sequelize' && ts.isIdentifier(unwrap(x.expression)) && this.cx.receivers.has((unwrap(x.expression) as ts.Identifier).text);
  }

  private isTypeRoot(e: ts.Expression): boolean {
    const x = unwrap(e);
    if (ts.isIdentifier(x)) return this.typeRoots.has(x.text);
    // `Sequelize.DataTypes.STRING`
    return ts.isPropertyAccessExpression(x) && x.name.text === 'DataTypes' && this.isTypeRoot(x.expression);
  }

  /** `Sequelize.STRING(100)`, `DataTypes.DECIMAL(10, 2)`, `Sequelize.ARRAY(Sequelize.TEXT)`, `Sequelize.ENUM('a', 'b')`. */
  private type(e: ts.Expression | undefined, enumType: Sql | undefined): { sql: Sql; enumValues?: Sql[] } | undefined {
    if (!e) return undefined;
    const x = unwrap(e);
    const at = this.cx.start(x);
    let name: string | undefined;
    let args: readonly ts.Expression[] = [];
    if (ts.isPropertyAccessExpression(x) && this.isTypeRoot(x.expression)) name = x.name.text;
    else if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(unwrap(x.expression)) && this.isTypeRoot((unwrap(x.expression) as ts.PropertyAccessExpression).expression)) {
      name = (unwrap(x.expression) as ts.PropertyAccessExpression).name.text;
      args = x.arguments;
    } else if (ts.isStringLiteralLike(x)) return { sql: Sql.at(x.text, at) };
    if (!name) return undefined;
    const num = (i: number) => asNumber(this.cx.consts.value(args[i]));
    switch (name) {
      case 'STRING':
        return { sql: Sql.at(`VARCHAR(${num(0) ?? 255})`, at) };
      case 'CHAR':
        return { sql: Sql.at(`CHAR(${num(0) ?? 255})`, at) };
      case 'DECIMAL':
      case 'NUMERIC':
        return { sql: Sql.at(args.length ? `DECIMAL(${num(0)}${args.length > 1 ? `,${num(1)}` : ''})` : 'DECIMAL', at) };
      case 'ARRAY': {
        const inner = this.type(args[0], undefined);
        return inner ? { sql: gen(at)`${inner.sql}[]` } : undefined;
      }
      case 'ENUM': {
        const first = this.cx.consts.value(args[0]);
        const values = first?.kind === 'object' ? asStrings(prop(first, 'values')) : asStrings({ kind: 'array', items: args.map((a) => this.cx.consts.value(a)!).filter(Boolean), node: x });
        if (!values || !enumType) return undefined;
        return { sql: enumType, enumValues: values };
      }
      default:
        return TYPES[name] ? { sql: Sql.at(TYPES[name], at) } : undefined;
    }
  }

  /** A default value: a constant, `Sequelize.fn('now')`, `Sequelize.literal('…')`; `NOW`/`UUIDV4` are filled in by Sequelize, not the database. */
  private defaultValue(v: Value | undefined): Sql | 'none' | undefined {
    if (!v) return 'none';
    if (v.kind !== 'other') return constantSql(v, this.cx);
    const x = unwrap(v.node);
    if (ts.isPropertyAccessExpression(x) && this.isTypeRoot(x.expression) && ['NOW', 'UUIDV4', 'UUIDV1'].includes(x.name.text)) return 'none';
    if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(unwrap(x.expression))) {
      const pa = unwrap(x.expression) as ts.PropertyAccessExpression;
      if (this.isTypeRoot(pa.expression) || this.isSequelizeInstance(pa.expression)) {
        if (pa.name.text === 'literal') return this.cx.consts.str(x.arguments[0]);
        if (pa.name.text === 'fn') {
          const fn = this.cx.consts.str(x.arguments[0]);
          return fn && x.arguments.length === 1 ? gen(this.cx.start(x))`${fn}()` : undefined;
        }
      }
    }
    return undefined;
  }

  private column(table: Sql, tableRaw: string, colName: Sql, spec: Value | undefined, node: ts.Node): ColumnSql | undefined {
    const at = node.getStart(this.sf);
    const g = gen(at);
    const attrs = spec?.kind === 'object' ? spec : undefined;
    const typeNode = attrs ? prop(attrs, 'type')?.node : spec?.node;
    const enumType = ident(`enum_${tableRaw}_${colName.text}`, at);
    const type = this.type(typeNode as ts.Expression | undefined, enumType);
    if (!type) {
      this.cx.unresolved(typeNode ?? node, `The type of column \`${colName.text}\` is not a Sequelize data type Plumbline knows`);
      return undefined;
    }
    const before: Sql[] = [];
    const after: Sql[] = [];
    if (type.enumValues) before.push(g`CREATE TYPE ${enumType} AS ENUM(${Sql.join(type.enumValues.map((v) => constantSql({ kind: 'string', sql: v, node }, this.cx)!), ', ', at)})`);
    let typeSql = type.sql;
    if (asBool(prop(attrs, 'autoIncrement'))) typeSql = Sql.at(/BIGINT/.test(typeSql.text) ? 'BIGSERIAL' : 'SERIAL', typeSql.offsets[0] ?? at);
    const parts: Sql[] = [g`${ident(colName)} ${typeSql}`];
    const notNull = asBool(prop(attrs, 'allowNull')) === false || asBool(prop(attrs, 'primaryKey')) === true;
    if (asBool(prop(attrs, 'allowNull')) === false) parts.push(g` NOT NULL`);
    const dv = this.defaultValue(prop(attrs, 'defaultValue'));
    if (dv === undefined) {
      this.cx.unresolved(prop(attrs, 'defaultValue')!.node, `The default of column \`${colName.text}\` is not a constant`);
      return undefined;
    }
    if (dv !== 'none') parts.push(g` DEFAULT ${dv}`);
    if (asBool(prop(attrs, 'unique'))) parts.push(g` UNIQUE`);
    if (asBool(prop(attrs, 'primaryKey'))) parts.push(g` PRIMARY KEY`);
    const refs = prop(attrs, 'references');
    if (refs?.kind === 'object') {
      const model = prop(refs, 'model');
      const refTable = asString(model) ?? asString(prop(model, 'tableName'));
      const key = asString(prop(refs, 'key')) ?? Sql.at('id', at);
      if (!refTable) {
        this.cx.unresolved(refs.node, 'The referenced table is not a constant');
        return undefined;
      }
      parts.push(g` REFERENCES ${qualified(refTable)} (${ident(key)})`);
      const onDelete = action(asString(prop(attrs, 'onDelete')));
      const onUpdate = action(asString(prop(attrs, 'onUpdate')));
      if (onDelete) parts.push(g` ON DELETE ${onDelete}`);
      if (onUpdate) parts.push(g` ON UPDATE ${onUpdate}`);
    }
    return { def: Sql.concat(parts), before, after, notNull, defaultSql: dv === 'none' ? undefined : dv, type: typeSql };
  }

  /** The table argument: `'orders'` or `{ tableName: 'orders', schema: 'billing' }`. */
  private table(e: ts.Expression | undefined, call: ts.Node): { sql: Sql; raw: string } | undefined {
    const v = this.cx.consts.value(e);
    if (v?.kind === 'string') return { sql: qualified(v.sql), raw: v.sql.text };
    const t = asString(prop(v, 'tableName'));
    const s = asString(prop(v, 'schema'));
    if (t) return { sql: s ? Sql.concat([ident(s), Sql.at('.', s.offsets[0] ?? 0), ident(t)]) : ident(t), raw: t.text };
    this.cx.unresolved(e ?? call, 'The table name is not a constant');
    return undefined;
  }

  private where(v: Value | undefined, counter: { n: number }): Sql | undefined {
    if (!v || (v.kind === 'object' && v.props.size === 0)) return Sql.at('', 0);
    if (v.kind !== 'object') return undefined;
    const parts: Sql[] = [];
    for (const [k, val] of v.props) {
      const at = val.node.getStart(this.sf);
      if (val.kind === 'null') parts.push(gen(at)`${ident(k, at)} IS NULL`);
      else if (val.kind === 'object') return undefined;
      else parts.push(gen(at)`${ident(k, at)} = ${constantSql(val, this.cx) ?? Sql.at(`$${++counter.n}`, at)}`);
    }
    return Sql.concat([Sql.at(' WHERE ', v.node.getStart(this.sf)), Sql.join(parts, ' AND ', v.node.getStart(this.sf))]);
  }

  call(node: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
    if (!ts.isCallExpression(node)) return false;
    const name = methodName(node);
    const recv = receiverOf(node);
    if (!name || !recv) return false;
    const cx = this.cx;
    const g = cx.gen(node);
    const at = cx.start(node);
    const args = node.arguments;
    // `t.commit()` of an unmanaged transaction.
    if (ts.isIdentifier(recv) && this.transactions.has(recv.text) && name === 'commit') {
      cx.emit(g`COMMIT`, node);
      return true;
    }
    const root = rootOf(recv);
    if (!root || !cx.receivers.has(root)) return false;
    if (this.isSequelizeInstance(recv)) {
      if (name === 'query') {
        cx.recognised++;
        return verbatim(args[0], node, cx);
      }
      if (name === 'transaction' && !args.some((a) => ts.isArrowFunction(unwrap(a)) || ts.isFunctionExpression(unwrap(a)))) {
        // `const t = await queryInterface.sequelize.transaction()`
        let p: ts.Node = node;
        while (p.parent && (ts.isAwaitExpression(p.parent) || ts.isParenthesizedExpression(p.parent))) p = p.parent;
        if (ts.isVariableDeclaration(p.parent) && ts.isIdentifier(p.parent.name)) this.transactions.add(p.parent.name.text);
        cx.emit(g`BEGIN`, node);
        return true;
      }
      return false;
    }
    if (!(ts.isIdentifier(recv) && cx.receivers.has(recv.text))) return false;
    cx.recognised++;
    switch (name) {
      case 'createTable': {
        const t = this.table(args[0], node);
        const attrs = cx.consts.value(args[1]);
        if (!t) return true;
        if (attrs?.kind !== 'object') {
          cx.unresolved(args[1] ?? node, 'The attributes are not an object literal');
          return true;
        }
        const cols: Sql[] = [];
        const before: Sql[] = [];
        const pks: Sql[] = [];
        for (const [col, spec] of attrs.props) {
          const colNode = spec.node.parent && ts.isPropertyAssignment(spec.node.parent) ? spec.node.parent : spec.node;
          const c = this.column(t.sql, t.raw, Sql.at(col, colNode.getStart(this.sf)), spec, colNode);
          if (!c) return true;
          before.push(...c.before);
          if (/ PRIMARY KEY/.test(c.def.text)) {
            const i = c.def.text.indexOf(' PRIMARY KEY');
            cols.push(Sql.concat([c.def.slice(0, i), c.def.slice(i + ' PRIMARY KEY'.length)]));
            pks.push(ident(col, colNode.getStart(this.sf)));
          } else cols.push(c.def);
        }
        if (pks.length) cols.push(g`PRIMARY KEY (${Sql.join(pks, ', ', at)})`);
        for (const b of before) cx.emit(b, node);
        cx.emit(g`CREATE TABLE IF NOT EXISTS ${t.sql} (${Sql.join(cols, ', ', at)})`, node);
        return true;
      }
      case 'dropTable': {
        const t = this.table(args[0], node);
        if (t) cx.emit(g`DROP TABLE IF EXISTS ${t.sql}${asBool(prop(cx.consts.value(args[1]), 'cascade')) ? ' CASCADE' : ''}`, node);
        return true;
      }
      case 'renameTable': {
        const from = this.table(args[0], node);
        const to = cx.str(args[1], node, 'The new table name');
        if (from && to) cx.emit(g`ALTER TABLE ${from.sql} RENAME TO ${ident(to)}`, node);
        return true;
      }
      case 'addColumn': {
        const t = this.table(args[0], node);
        const col = cx.str(args[1], node, 'The column name');
        if (!t || !col) return true;
        const c = this.column(t.sql, t.raw, col, cx.consts.value(args[2]), args[2] ?? node);
        if (!c) return true;
        for (const b of c.before) cx.emit(b, node);
        cx.emit(g`ALTER TABLE ${t.sql} ADD COLUMN ${c.def}`, node);
        return true;
      }
      case 'removeColumn': {
        const t = this.table(args[0], node);
        const col = cx.str(args[1], node, 'The column name');
        if (t && col) cx.emit(g`ALTER TABLE ${t.sql} DROP COLUMN ${ident(col)}`, node);
        return true;
      }
      case 'renameColumn': {
        const t = this.table(args[0], node);
        const from = cx.str(args[1], node, 'The column name');
        const to = cx.str(args[2], node, 'The new column name');
        if (t && from && to) cx.emit(g`ALTER TABLE ${t.sql} RENAME COLUMN ${ident(from)} TO ${ident(to)}`, node);
        return true;
      }
      case 'changeColumn': {
        const t = this.table(args[0], node);
        const col = cx.str(args[1], node, 'The column name');
        if (!t || !col) return true;
        const c = this.column(t.sql, t.raw, col, cx.consts.value(args[2]), args[2] ?? node);
        if (!c) return true;
        const column = ident(col);
        for (const b of c.before) cx.emit(b, node);
        cx.emit(g`ALTER TABLE ${t.sql} ALTER COLUMN ${column} ${c.notNull ? 'SET' : 'DROP'} NOT NULL`, node);
        cx.emit(c.defaultSql ? g`ALTER TABLE ${t.sql} ALTER COLUMN ${column} SET DEFAULT ${c.defaultSql}` : g`ALTER TABLE ${t.sql} ALTER COLUMN ${column} DROP DEFAULT`, node);
        cx.emit(g`ALTER TABLE ${t.sql} ALTER COLUMN ${column} TYPE ${c.type}`, node);
        return true;
      }
      case 'addIndex': {
        const t = this.table(args[0], node);
        if (!t) return true;
        let fieldsV = cx.consts.value(args[1]);
        let opts = cx.consts.value(args[2]);
        if (fieldsV?.kind === 'object') {
          opts = fieldsV;
          fieldsV = prop(fieldsV, 'fields');
        }
        const items = fieldsV?.kind === 'array' ? fieldsV.items : [];
        const names: string[] = [];
        const cols: Sql[] = [];
        for (const f of items) {
          if (f.kind === 'string') {
            names.push(f.sql.text);
            cols.push(ident(f.sql));
          } else if (f.kind === 'object' && asString(prop(f, 'name'))) {
            const n = asString(prop(f, 'name'))!;
            names.push(n.text);
            const order = asString(prop(f, 'order'));
            cols.push(order ? gen(f.node.getStart(this.sf))`${ident(n)} ${order.text.toUpperCase()}` : ident(n));
          } else {
            cx.unresolved(f.node, 'The index field is not a constant');
            return true;
          }
        }
        if (cols.length === 0) {
          cx.unresolved(args[1] ?? node, 'The index fields are not constants');
          return true;
        }
        const name = asString(prop(opts, 'name')) ?? Sql.at(underscore(`${t.raw}_${names.join('_')}`), at);
        const unique = asBool(prop(opts, 'unique')) || asString(prop(opts, 'type'))?.text.toUpperCase() === 'UNIQUE' ? 'UNIQUE ' : '';
        const concurrently = asBool(prop(opts, 'concurrently')) ? 'CONCURRENTLY ' : '';
        const using = asString(prop(opts, 'using'));
        const counter = { n: 0 };
        const whereV = prop(opts, 'where');
        const where = whereV ? this.where(whereV, counter) : Sql.at('', at);
        if (where === undefined) {
          cx.unresolved(whereV!.node, 'The index condition is not an object of constants');
          return true;
        }
        cx.emit(g`CREATE ${unique}INDEX ${concurrently}${ident(name)} ON ${t.sql}${using ? g` USING ${using}` : ''} (${Sql.join(cols, ', ', at)})${where}`, node);
        return true;
      }
      case 'removeIndex': {
        const t = this.table(args[0], node);
        const v = cx.consts.value(args[1]);
        const opts = cx.consts.value(args[2]);
        const name = asString(v) ?? (asStrings(v) && t ? Sql.at(underscore(`${t.raw}_${asStrings(v)!.map((s) => s.text).join('_')}`), at) : undefined);
        if (!name) {
          cx.unresolved(args[1] ?? node, 'The index name is not a constant');
          return true;
        }
        cx.emit(g`DROP INDEX ${asBool(prop(opts, 'concurrently')) ? 'CONCURRENTLY ' : ''}IF EXISTS ${ident(name)}`, node);
        return true;
      }
      case 'addConstraint': {
        const t = this.table(args[0], node);
        const opts = cx.consts.value(args[1]);
        const fields = asStrings(prop(opts, 'fields'));
        const type = asString(prop(opts, 'type'))?.text.toLowerCase();
        if (!t || !fields || !type) {
          if (t) cx.unresolved(args[1] ?? node, 'The constraint is not an object literal with constant `fields` and `type`');
          return true;
        }
        const suffix = type === 'unique' ? 'uk' : type === 'primary key' ? 'pk' : type === 'foreign key' ? 'fk' : type === 'check' ? 'ck' : 'df';
        const name = asString(prop(opts, 'name')) ?? Sql.at(`${t.raw}_${fields.map((f) => f.text).join('_')}_${suffix}`, at);
        const cols = Sql.join(fields.map((f) => ident(f)), ', ', at);
        let body: Sql | undefined;
        if (type === 'unique') body = g`UNIQUE (${cols})`;
        else if (type === 'primary key') body = g`PRIMARY KEY (${cols})`;
        else if (type === 'foreign key') {
          const refs = prop(opts, 'references');
          const refTable = asString(prop(refs, 'table')) ?? asString(prop(prop(refs, 'table'), 'tableName'));
          const refField = asString(prop(refs, 'field'));
          if (!refTable || !refField) {
            cx.unresolved(refs?.node ?? node, 'The referenced table and field are not constants');
            return true;
          }
          body = g`FOREIGN KEY (${cols}) REFERENCES ${qualified(refTable)} (${ident(refField)})`;
          const onDelete = action(asString(prop(opts, 'onDelete')));
          const onUpdate = action(asString(prop(opts, 'onUpdate')));
          if (onDelete) body = g`${body} ON DELETE ${onDelete}`;
          if (onUpdate) body = g`${body} ON UPDATE ${onUpdate}`;
        } else {
          cx.unsupported(node, `A \`${type}\` constraint is not translated (its condition is a Sequelize \`where\` object)`);
          return true;
        }
        cx.emit(g`ALTER TABLE ${t.sql} ADD CONSTRAINT ${ident(name)} ${body}`, node);
        return true;
      }
      case 'removeConstraint': {
        const t = this.table(args[0], node);
        const name = cx.str(args[1], node, 'The constraint name');
        if (t && name) cx.emit(g`ALTER TABLE ${t.sql} DROP CONSTRAINT ${ident(name)}`, node);
        return true;
      }
      case 'bulkInsert': {
        const t = this.table(args[0], node);
        const rows = cx.consts.value(args[1]);
        if (!t) return true;
        if (rows?.kind !== 'array' || rows.items.length === 0 || rows.items.some((r) => r.kind !== 'object')) {
          cx.unresolved(args[1] ?? node, 'The rows are not object literals; the statement was not checked');
          return true;
        }
        const first = rows.items[0] as Extract<Value, { kind: 'object' }>;
        const colNames = [...first.props.keys()];
        const counter = { n: 0 };
        const tuples = rows.items.map((r) => {
          const props = (r as Extract<Value, { kind: 'object' }>).props;
          const rAt = r.node.getStart(this.sf);
          return gen(rAt)`(${Sql.join(colNames.map((c) => constantSql(props.get(c), cx) ?? Sql.at(`$${++counter.n}`, rAt)), ',', rAt)})`;
        });
        cx.emit(g`INSERT INTO ${t.sql} (${Sql.join(colNames.map((c) => ident(c, at)), ',', at)}) VALUES ${Sql.join(tuples, ',', at)}`, node);
        return true;
      }
      case 'bulkUpdate': {
        const t = this.table(args[0], node);
        const values = cx.consts.value(args[1]);
        if (!t) return true;
        const counter = { n: 0 };
        const where = this.where(cx.consts.value(args[2]), counter);
        if (values?.kind !== 'object' || where === undefined) {
          cx.unresolved(node, 'The values or the condition are not object literals of constants; the statement was not checked');
          return true;
        }
        const sets = [...values.props].map(([k, v]) => gen(v.node.getStart(this.sf))`${ident(k, at)}=${constantSql(v, cx) ?? Sql.at(`$${++counter.n}`, v.node.getStart(this.sf))}`);
        cx.emit(g`UPDATE ${t.sql} SET ${Sql.join(sets, ',', at)}${where}`, node);
        return true;
      }
      case 'bulkDelete': {
        const t = this.table(args[0], node);
        if (!t) return true;
        const where = this.where(cx.consts.value(args[1]), { n: 0 });
        if (where === undefined) {
          cx.unresolved(args[1] ?? node, 'The condition is not an object literal of constants; the statement was not checked');
          return true;
        }
        cx.emit(g`DELETE FROM ${t.sql}${where}`, node);
        return true;
      }
      case 'createSchema': {
        const s = cx.str(args[0], node, 'The schema name');
        if (s) cx.emit(g`CREATE SCHEMA IF NOT EXISTS ${ident(s)}`, node);
        return true;
      }
      case 'dropSchema': {
        const s = cx.str(args[0], node, 'The schema name');
        if (s) cx.emit(g`DROP SCHEMA IF EXISTS ${ident(s)} CASCADE`, node);
        return true;
      }
      case 'describeTable':
      case 'showAllTables':
      case 'tableExists':
        return true;
      default:
        cx.recognised--;
        cx.unsupported(node, `\`${shorten(node.expression.getText(this.sf))}(…)\` is not translated to SQL by Plumbline; whatever it changes is not checked and not known to later migrations`);
        return true;
    }
  }
}

export const sequelizeTool: ToolSpec = {
  id: 'sequelize',
  name: 'Sequelize',
  detectedBy: 'Sequelize migration files (up(queryInterface, Sequelize))',
  matches: (text) => /\bQueryInterface\b|\bqueryInterface\b|['"]sequelize['"]|\bSequelize\.(?:STRING|INTEGER|DATE|TEXT|BOOLEAN|UUID|BIGINT)\b/.test(text),
  confirm: (file) => {
    const up = file.shape.up;
    if (!up || file.shape.cls) return false;
    const p = paramNames(up)[0];
    return (
      !!p &&
      new RegExp(`\\b${p}\\s*\\.\\s*(?:createTable|dropTable|renameTable|addColumn|removeColumn|changeColumn|renameColumn|addIndex|removeIndex|addConstraint|removeConstraint|bulkInsert|bulkUpdate|bulkDelete|sequelize)\\b`).test(up.getText(file.sf))
    );
  },
  translator(file: ToolFile, fn: FnLike, cx) {
    const names = paramNames(fn);
    if (names[0]) cx.receivers.add(names[0]);
    const tr = new SequelizeTranslator(cx);
    if (names[1]) tr.typeRoots.add(names[1]);
    void file;
    return {
      call: (node) => tr.call(node),
      enterCallback: (cb, call) => {
        // `queryInterface.sequelize.transaction(async (t) => { … })`: BEGIN before, COMMIT after.
        const callee = unwrap(call.expression);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'transaction' && tr.isSequelizeInstance(callee.expression)) {
          cx.emit(cx.gen(call)`BEGIN`, call.expression);
          void cb;
          return () => cx.emit(Sql.at('COMMIT', call.end - 1), call);
        }
        return undefined;
      },
    };
  },
  transaction() {
    return { wrapped: false, reason: 'sequelize-cli runs each migration without a transaction (only `sequelize.transaction(…)` in the migration opens one)' };
  },
  version: (file) => /^(\d+)/.exec(file.stem)?.[1] ?? file.stem,
  compare: (a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0),
};
