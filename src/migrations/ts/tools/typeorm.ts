/**
 * TypeORM: `export class AddOrders1700000000000 implements MigrationInterface { async up(queryRunner) … }`.
 *
 * `queryRunner.query('…')` is copied as written. The schema calls are translated the way TypeORM's
 * PostgreSQL query runner builds them (`createTable(new Table({...}))`, `addColumn`, `dropColumn`,
 * `renameColumn`, `renameTable`, `changeColumn`, `createIndex(new TableIndex({...}))`, `dropIndex`,
 * `createForeignKey`, `dropForeignKey`, `createUniqueConstraint`, `createCheckConstraint`,
 * `createPrimaryKey`, `dropTable`, `clearTable`, `createSchema`, `dropSchema`). Constraint and index
 * names follow TypeORM's default naming strategy (`PK_`/`UQ_`/`FK_`/`CHK_` + sha1, `IDX_` + sha1).
 *
 * Order: TypeORM sorts migrations by the timestamp at the end of the class name (the last 13 digits).
 * Transactions: by default all pending migrations run in one transaction (`migrationsTransactionMode:
 * 'all'`); a class with `transaction = false` only works in the `each`/`none` modes and runs outside.
 */
import { ts } from 'ts-morph';
import { type CallContext, type FnLike, methodName, paramNames, receiverOf, rootOf, shorten } from '../extract.js';
import { asBool, asNumber, asString, asStrings, prop, unwrap, type Value } from '../literals.js';
import { gen, ident, qualified, Sql } from '../mapped.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { action, optionsOf, sha1, verbatim } from './shared.js';

const TYPE_NAMES: Record<string, string> = {
  varchar: 'character varying',
  'character varying': 'character varying',
  string: 'character varying',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  bool: 'boolean',
  timestamptz: 'timestamp with time zone',
  float: 'double precision',
  float8: 'double precision',
  float4: 'real',
  decimal: 'numeric',
};

function tableKey(name: Sql): string {
  const t = name.text.split('.').pop() ?? name.text;
  return t;
}

function pkName(table: Sql, cols: string[]): string {
  return `PK_${sha1(`${tableKey(table)}_${[...cols].sort().join('_')}`).slice(0, 27)}`;
}

function uqName(table: Sql, cols: string[]): string {
  return `UQ_${sha1(`${tableKey(table)}_${[...cols].sort().join('_')}`).slice(0, 27)}`;
}

function fkName(table: Sql, cols: string[]): string {
  return `FK_${sha1(`${tableKey(table)}_${[...cols].sort().join('_')}`).slice(0, 27)}`;
}

function idxName(table: Sql, cols: string[], where?: string): string {
  return `IDX_${sha1(`${tableKey(table).replace('.', '_')}_${[...cols].sort().join('_')}${where ? `_${where}` : ''}`).slice(0, 26)}`;
}

function chkName(table: Sql, expression: string): string {
  return `CHK_${sha1(`${tableKey(table)}_${expression}`).slice(0, 27)}`;
}

/** A table argument: a name, or a `Table` whose name is read from its options. */
function tableName(expr: ts.Expression | undefined, cx: CallContext, call: ts.Node): Sql | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isNewExpression(e)) return asString(prop(optionsOf(e, cx), 'name')) ?? cx.str(e, call, 'The table name');
  return cx.str(e, call, 'The table name');
}

function columnType(col: Value, at: number, cx: CallContext): Sql | undefined {
  const typeValue = prop(col, 'type');
  const type = asString(typeValue);
  if (!type) {
    if (typeValue) cx.unresolved(typeValue.node, `The column type \`${shorten(typeValue.node.getText(cx.sf))}\` is not a constant`);
    return undefined;
  }
  const name = TYPE_NAMES[type.text.toLowerCase()] ?? type.text;
  let text = name;
  const length = prop(col, 'length');
  const precision = asNumber(prop(col, 'precision'));
  const scale = asNumber(prop(col, 'scale'));
  const len = length?.kind === 'number' ? length.text : length?.kind === 'string' ? length.sql.text : undefined;
  if (len) text += `(${len})`;
  else if (precision !== undefined && scale !== undefined) text += `(${precision},${scale})`;
  else if (precision !== undefined) text += `(${precision})`;
  if (asBool(prop(col, 'isArray'))) text += ' array';
  return name === type.text && text === name ? type : Sql.at(text, type.offsets[0] ?? at);
}

interface ColumnSql {
  def: Sql;
  name: Sql;
  unique: boolean;
  primary: boolean;
}

/** `"email" character varying NOT NULL DEFAULT 'x'`, as TypeORM's `buildCreateColumnSql` writes it. */
function columnSql(col: Value | undefined, table: Sql, cx: CallContext): ColumnSql | undefined {
  if (!col || col.kind !== 'object') {
    if (col) cx.unresolved(col.node, `The column \`${shorten(col.node.getText(cx.sf))}\` is not a literal \`new TableColumn({...})\``);
    return undefined;
  }
  const at = col.node.getStart(cx.sf);
  const g = gen(at);
  const name = asString(prop(col, 'name'));
  if (!name) {
    cx.unresolved(col.node, 'The column name is not a constant');
    return undefined;
  }
  const parts: Sql[] = [ident(name)];
  const generated = asBool(prop(col, 'isGenerated'));
  const strategy = asString(prop(col, 'generationStrategy'))?.text ?? (generated ? 'increment' : undefined);
  const typeSql = columnType(col, at, cx);
  const typeText = typeSql?.text.toLowerCase() ?? '';
  if (generated && strategy === 'increment') {
    parts.push(g` ${typeText === 'bigint' || typeText === 'int8' ? 'BIGSERIAL' : typeText === 'smallint' || typeText === 'int2' ? 'SMALLSERIAL' : 'SERIAL'}`);
  } else if (generated && strategy === 'identity') {
    if (!typeSql) return undefined;
    const kind = asString(prop(col, 'generatedIdentity'))?.text.toUpperCase() === 'ALWAYS' ? 'ALWAYS' : 'BY DEFAULT';
    parts.push(g` ${typeSql} GENERATED ${kind} AS IDENTITY`);
  } else if (typeText === 'enum' || typeText === 'simple-enum') {
    parts.push(g` ${ident(`${tableKey(table)}_${name.text}_enum`)}`);
  } else {
    if (!typeSql) return undefined;
    parts.push(g` ${typeSql}`);
  }
  if (asBool(prop(col, 'isNullable')) !== true) parts.push(g` NOT NULL`);
  const def = prop(col, 'default');
  if (def && def.kind !== 'null') {
    // TypeORM writes `default` as SQL: `"'pending'"`, `'now()'`, `0`.
    const raw = def.kind === 'string' ? def.sql : def.kind === 'number' ? Sql.at(def.text, def.node.getStart(cx.sf)) : def.kind === 'boolean' ? Sql.at(String(def.value), def.node.getStart(cx.sf)) : undefined;
    if (!raw) {
      cx.unresolved(def.node, `The default \`${shorten(def.node.getText(cx.sf))}\` of column \`${name.text}\` is not a constant`);
      return undefined;
    }
    parts.push(g` DEFAULT ${raw}`);
  } else if (generated && strategy === 'uuid') {
    parts.push(g` DEFAULT uuid_generate_v4()`);
  }
  return { def: Sql.concat(parts), name, unique: asBool(prop(col, 'isUnique')) === true, primary: asBool(prop(col, 'isPrimary')) === true };
}

function enumTypes(cols: Value[], table: Sql, cx: CallContext): Sql[] {
  const out: Sql[] = [];
  for (const col of cols) {
    const type = asString(prop(col, 'type'))?.text.toLowerCase();
    if (type !== 'enum' && type !== 'simple-enum') continue;
    const name = asString(prop(col, 'name'));
    const values = asStrings(prop(col, 'enum'));
    if (!name || !values) continue;
    const g = gen(col.node.getStart(cx.sf));
    out.push(g`CREATE TYPE ${ident(`${tableKey(table)}_${name.text}_enum`)} AS ENUM(${Sql.join(values.map((v) => g`'${v.text.replace(/'/g, "''")}'`), ', ', col.node.getStart(cx.sf))})`);
  }
  return out;
}

function foreignKeySql(fk: Value | undefined, table: Sql, cx: CallContext): Sql | undefined {
  if (!fk || fk.kind !== 'object') return undefined;
  const g = gen(fk.node.getStart(cx.sf));
  const cols = asStrings(prop(fk, 'columnNames'));
  const refTable = asString(prop(fk, 'referencedTableName'));
  const refCols = asStrings(prop(fk, 'referencedColumnNames'));
  if (!cols || !refTable || !refCols) {
    cx.unresolved(fk.node, 'The foreign key is not a literal with constant `columnNames`, `referencedTableName` and `referencedColumnNames`');
    return undefined;
  }
  const name = asString(prop(fk, 'name')) ?? Sql.at(fkName(table, cols.map((c) => c.text)), fk.node.getStart(cx.sf));
  let sql = g`CONSTRAINT ${ident(name)} FOREIGN KEY (${Sql.join(cols.map((c) => ident(c)), ', ', fk.node.getStart(cx.sf))}) REFERENCES ${qualified(refTable)}(${Sql.join(refCols.map((c) => ident(c)), ', ', fk.node.getStart(cx.sf))})`;
  const onDelete = action(asString(prop(fk, 'onDelete')));
  const onUpdate = action(asString(prop(fk, 'onUpdate')));
  if (onDelete) sql = g`${sql} ON DELETE ${onDelete}`;
  if (onUpdate) sql = g`${sql} ON UPDATE ${onUpdate}`;
  return sql;
}

/** `CREATE INDEX …` of a `TableIndex`; the statement starts at `at` (the call, or the index in a table). */
function indexSql(index: Value | undefined, table: Sql, cx: CallContext, node: ts.Node, at: number): Sql | undefined {
  if (!index || index.kind !== 'object') {
    cx.unresolved(index?.node ?? node, 'The index is not a literal `new TableIndex({...})`');
    return undefined;
  }
  const g = gen(at);
  const cols = asStrings(prop(index, 'columnNames'));
  if (!cols) {
    cx.unresolved(index.node, 'The index `columnNames` are not constants');
    return undefined;
  }
  const where = asString(prop(index, 'where'));
  const name = asString(prop(index, 'name')) ?? Sql.at(idxName(table, cols.map((c) => c.text), where?.text), at);
  const unique = asBool(prop(index, 'isUnique')) ? 'UNIQUE ' : '';
  const spatial = asBool(prop(index, 'isSpatial')) ? 'USING GiST ' : '';
  let sql = g`CREATE ${unique}INDEX ${ident(name)} ON ${qualified(table)} ${spatial}(${Sql.join(cols.map((c) => ident(c)), ', ', at)})`;
  if (where) sql = g`${sql} WHERE ${where}`;
  return sql;
}

function arrayItems(v: Value | undefined): Value[] {
  return v?.kind === 'array' ? v.items : [];
}

function createTable(call: ts.CallExpression, cx: CallContext): void {
  const g = cx.gen(call);
  const at = cx.start(call);
  const opts = optionsOf(call.arguments[0], cx);
  const table = asString(prop(opts, 'name'));
  if (!opts || opts.kind !== 'object' || !table) {
    cx.unresolved(call.arguments[0] ?? call, 'The table is not a literal `new Table({ name: …, columns: [...] })`');
    return;
  }
  const ifNotExists = asBool(cx.consts.value(call.arguments[1])) === true;
  const createForeignKeys = asBool(cx.consts.value(call.arguments[2])) !== false;
  const createIndices = asBool(cx.consts.value(call.arguments[3])) !== false;
  const cols = arrayItems(prop(opts, 'columns'));
  for (const t of enumTypes(cols, table, cx)) cx.emit(t, call);
  const defs: Sql[] = [];
  const primary: Sql[] = [];
  for (const col of cols) {
    const c = columnSql(col, table, cx);
    if (!c) return;
    defs.push(c.def);
    if (c.primary) primary.push(c.name);
    if (c.unique) defs.push(gen(col.node.getStart(cx.sf))`CONSTRAINT ${ident(uqName(table, [c.name.text]))} UNIQUE (${ident(c.name)})`);
  }
  for (const u of arrayItems(prop(opts, 'uniques'))) {
    const uc = asStrings(prop(u, 'columnNames'));
    if (!uc) continue;
    const name = asString(prop(u, 'name')) ?? Sql.at(uqName(table, uc.map((c) => c.text)), u.node.getStart(cx.sf));
    defs.push(gen(u.node.getStart(cx.sf))`CONSTRAINT ${ident(name)} UNIQUE (${Sql.join(uc.map((c) => ident(c)), ', ', u.node.getStart(cx.sf))})`);
  }
  for (const ch of arrayItems(prop(opts, 'checks'))) {
    const expression = asString(prop(ch, 'expression'));
    if (!expression) continue;
    const name = asString(prop(ch, 'name')) ?? Sql.at(chkName(table, expression.text), ch.node.getStart(cx.sf));
    defs.push(gen(ch.node.getStart(cx.sf))`CONSTRAINT ${ident(name)} CHECK (${expression})`);
  }
  if (primary.length) defs.push(g`CONSTRAINT ${ident(pkName(table, primary.map((p) => p.text)))} PRIMARY KEY (${Sql.join(primary.map((p) => ident(p)), ', ', at)})`);
  if (createForeignKeys) {
    for (const fk of arrayItems(prop(opts, 'foreignKeys'))) {
      const f = foreignKeySql(fk, table, cx);
      if (f) defs.push(f);
    }
  }
  cx.emit(g`CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${qualified(table)} (${Sql.join(defs, ', ', at)})`, call);
  if (createIndices) {
    for (const idx of arrayItems(prop(opts, 'indices'))) {
      const s = indexSql(idx, table, cx, call, idx.node.getStart(cx.sf));
      if (s) cx.emit(s, idx.node);
    }
  }
}

function addColumn(call: ts.CallExpression, colExpr: ts.Expression | undefined, cx: CallContext): void {
  const table = tableName(call.arguments[0], cx, call);
  if (!table) return;
  const col = optionsOf(colExpr, cx);
  const c = columnSql(col, table, cx);
  if (!c) return;
  const g = cx.gen(call);
  for (const t of enumTypes(col ? [col] : [], table, cx)) cx.emit(t, call);
  cx.emit(g`ALTER TABLE ${qualified(table)} ADD ${c.def}`, call);
  if (c.unique) cx.emit(g`ALTER TABLE ${qualified(table)} ADD CONSTRAINT ${ident(uqName(table, [c.name.text]))} UNIQUE (${ident(c.name)})`, call);
  if (c.primary) cx.emit(g`ALTER TABLE ${qualified(table)} ADD CONSTRAINT ${ident(pkName(table, [c.name.text]))} PRIMARY KEY (${ident(c.name)})`, call);
}

function columnName(expr: ts.Expression | undefined, cx: CallContext, call: ts.Node): Sql | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isNewExpression(e) || ts.isObjectLiteralExpression(e)) {
    const n = asString(prop(optionsOf(e, cx), 'name'));
    if (!n) cx.unresolved(e, 'The column name is not a constant');
    return n;
  }
  return cx.str(e, call, 'The column name');
}

/** `changeColumn(table, oldColumn, newColumn)`: what TypeORM's PostgreSQL runner does, when both columns are literals. */
function changeColumn(call: ts.CallExpression, cx: CallContext): void {
  const table = tableName(call.arguments[0], cx, call);
  if (!table) return;
  const oldCol = optionsOf(call.arguments[1], cx);
  const newCol = optionsOf(call.arguments[2], cx);
  if (oldCol?.kind !== 'object' || newCol?.kind !== 'object') {
    cx.unresolved(call, 'TypeORM compares `changeColumn` with the column as it is in the database; with the old column given by name, what it runs cannot be known statically, so the statement was not checked (pass both columns as `new TableColumn({...})`)');
    return;
  }
  const g = cx.gen(call);
  const oldName = asString(prop(oldCol, 'name'));
  const newName = asString(prop(newCol, 'name'));
  if (!oldName || !newName) return;
  const sameType = (k: string) => JSON.stringify(valueKey(prop(oldCol, k))) === JSON.stringify(valueKey(prop(newCol, k)));
  if (!sameType('type') || !sameType('length') || !sameType('isArray')) {
    // TypeORM recreates the column instead of converting it: the data of the column is lost.
    cx.emit(g`ALTER TABLE ${qualified(table)} DROP COLUMN ${ident(oldName)}`, call);
    const c = columnSql(newCol, table, cx);
    if (c) cx.emit(g`ALTER TABLE ${qualified(table)} ADD ${c.def}`, call);
    return;
  }
  if (oldName.text !== newName.text) cx.emit(g`ALTER TABLE ${qualified(table)} RENAME COLUMN ${ident(oldName)} TO ${ident(newName)}`, call);
  const newType = columnType(newCol, cx.start(call), cx);
  if (!sameType('precision') || !sameType('scale')) {
    if (newType) cx.emit(g`ALTER TABLE ${qualified(table)} ALTER COLUMN ${ident(newName)} TYPE ${newType}`, call);
  }
  if (!sameType('default')) {
    const def = prop(newCol, 'default');
    const raw = def?.kind === 'string' ? def.sql : def?.kind === 'number' ? Sql.at(def.text, def.node.getStart(cx.sf)) : undefined;
    if (raw) cx.emit(g`ALTER TABLE ${qualified(table)} ALTER COLUMN ${ident(newName)} SET DEFAULT ${raw}`, call);
    else cx.emit(g`ALTER TABLE ${qualified(table)} ALTER COLUMN ${ident(newName)} DROP DEFAULT`, call);
  }
  const oldNullable = asBool(prop(oldCol, 'isNullable')) === true;
  const newNullable = asBool(prop(newCol, 'isNullable')) === true;
  if (oldNullable !== newNullable) cx.emit(g`ALTER TABLE ${qualified(table)} ALTER COLUMN ${ident(newName)} ${newNullable ? 'DROP' : 'SET'} NOT NULL`, call);
}

function valueKey(v: Value | undefined): unknown {
  if (!v) return null;
  switch (v.kind) {
    case 'string':
      return v.sql.text;
    case 'number':
      return v.value;
    case 'boolean':
      return v.value;
    case 'null':
      return null;
    default:
      return v.node.getText();
  }
}

function namesOf(expr: ts.Expression | undefined, cx: CallContext, call: ts.Node, key: string): Sql | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isNewExpression(e) || ts.isObjectLiteralExpression(e)) return asString(prop(optionsOf(e, cx), key));
  return cx.str(e, call, 'The name');
}

function translateCall(call: ts.CallExpression, cx: CallContext): boolean {
  const name = methodName(call);
  const recv = receiverOf(call);
  if (!name || !recv) return false;
  const root = rootOf(recv);
  if (!root || !cx.receivers.has(root)) return false;
  // `queryRunner.query`, `queryRunner.manager.query`, `queryRunner.connection.query`.
  if (name === 'query') {
    cx.recognised++;
    return verbatim(call.arguments[0], call, cx);
  }
  if (!(ts.isIdentifier(recv) && cx.receivers.has(recv.text))) return false;
  const args = call.arguments;
  const g = cx.gen(call);
  cx.recognised++;
  switch (name) {
    case 'createTable':
      createTable(call, cx);
      return true;
    case 'dropTable': {
      const t = tableName(args[0], cx, call);
      if (t) cx.emit(g`DROP TABLE ${asBool(cx.consts.value(args[1])) ? 'IF EXISTS ' : ''}${qualified(t)}${asBool(cx.consts.value(args[3])) ? ' CASCADE' : ''}`, call);
      return true;
    }
    case 'renameTable': {
      const from = tableName(args[0], cx, call);
      const to = cx.str(args[1], call, 'The new table name');
      if (from && to) cx.emit(g`ALTER TABLE ${qualified(from)} RENAME TO ${ident(to.text.split('.').pop()!)}`, call);
      return true;
    }
    case 'clearTable': {
      const t = tableName(args[0], cx, call);
      if (t) cx.emit(g`TRUNCATE TABLE ${qualified(t)}`, call);
      return true;
    }
    case 'addColumn':
      addColumn(call, args[1], cx);
      return true;
    case 'addColumns': {
      const list = unwrap(args[1] ?? call);
      if (ts.isArrayLiteralExpression(list)) for (const el of list.elements) addColumn(call, el, cx);
      else cx.unresolved(list, 'The columns are not an array literal');
      return true;
    }
    case 'dropColumn':
    case 'dropColumns': {
      const t = tableName(args[0], cx, call);
      if (!t) return true;
      const list = name === 'dropColumns' ? unwrap(args[1] ?? call) : undefined;
      const cols = list && ts.isArrayLiteralExpression(list) ? [...list.elements] : [args[1]];
      for (const c of cols) {
        const col = columnName(c, cx, call);
        if (col) cx.emit(g`ALTER TABLE ${qualified(t)} DROP COLUMN ${ident(col)}`, call);
      }
      return true;
    }
    case 'renameColumn': {
      const t = tableName(args[0], cx, call);
      const from = columnName(args[1], cx, call);
      const to = columnName(args[2], cx, call);
      if (t && from && to) cx.emit(g`ALTER TABLE ${qualified(t)} RENAME COLUMN ${ident(from)} TO ${ident(to)}`, call);
      return true;
    }
    case 'changeColumn':
      changeColumn(call, cx);
      return true;
    case 'createIndex':
    case 'createIndices': {
      const t = tableName(args[0], cx, call);
      if (!t) return true;
      const list = name === 'createIndices' ? unwrap(args[1] ?? call) : undefined;
      const items = list && ts.isArrayLiteralExpression(list) ? [...list.elements] : [args[1]];
      for (const item of items) {
        const s = indexSql(optionsOf(item, cx), t, cx, call, cx.start(call));
        if (s) cx.emit(s, call);
      }
      return true;
    }
    case 'dropIndex': {
      const idx = namesOf(args[1], cx, call, 'name');
      if (idx) cx.emit(g`DROP INDEX ${ident(idx)}`, call);
      else if (args[1]) cx.unresolved(args[1], 'The index name is not known (TypeORM looks it up in the database)');
      return true;
    }
    case 'createForeignKey':
    case 'createForeignKeys': {
      const t = tableName(args[0], cx, call);
      if (!t) return true;
      const list = name === 'createForeignKeys' ? unwrap(args[1] ?? call) : undefined;
      const items = list && ts.isArrayLiteralExpression(list) ? [...list.elements] : [args[1]];
      for (const item of items) {
        const fk = foreignKeySql(optionsOf(item, cx), t, cx);
        if (fk) cx.emit(g`ALTER TABLE ${qualified(t)} ADD ${fk}`, call);
      }
      return true;
    }
    case 'dropForeignKey':
    case 'dropUniqueConstraint':
    case 'dropCheckConstraint': {
      const t = tableName(args[0], cx, call);
      const c = namesOf(args[1], cx, call, 'name');
      if (t && c) cx.emit(g`ALTER TABLE ${qualified(t)} DROP CONSTRAINT ${ident(c)}`, call);
      else if (t) cx.unresolved(args[1] ?? call, 'The constraint name is not known (TypeORM looks it up in the database)');
      return true;
    }
    case 'createUniqueConstraint': {
      const t = tableName(args[0], cx, call);
      const u = optionsOf(args[1], cx);
      const cols = asStrings(prop(u, 'columnNames'));
      if (!t || !cols) return true;
      const n = asString(prop(u, 'name')) ?? Sql.at(uqName(t, cols.map((c) => c.text)), cx.start(call));
      cx.emit(g`ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${ident(n)} UNIQUE (${Sql.join(cols.map((c) => ident(c)), ', ', cx.start(call))})`, call);
      return true;
    }
    case 'createCheckConstraint': {
      const t = tableName(args[0], cx, call);
      const ch = optionsOf(args[1], cx);
      const expression = asString(prop(ch, 'expression'));
      if (!t || !expression) return true;
      const n = asString(prop(ch, 'name')) ?? Sql.at(chkName(t, expression.text), cx.start(call));
      cx.emit(g`ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${ident(n)} CHECK (${expression})`, call);
      return true;
    }
    case 'createPrimaryKey': {
      const t = tableName(args[0], cx, call);
      const cols = asStrings(cx.consts.value(args[1]));
      if (!t || !cols) return true;
      const n = asString(cx.consts.value(args[2])) ?? Sql.at(pkName(t, cols.map((c) => c.text)), cx.start(call));
      cx.emit(g`ALTER TABLE ${qualified(t)} ADD CONSTRAINT ${ident(n)} PRIMARY KEY (${Sql.join(cols.map((c) => ident(c)), ', ', cx.start(call))})`, call);
      return true;
    }
    case 'createSchema': {
      const s = cx.str(args[0], call, 'The schema name');
      if (s) cx.emit(g`CREATE SCHEMA ${asBool(cx.consts.value(args[1])) ? 'IF NOT EXISTS ' : ''}${ident(s)}`, call);
      return true;
    }
    case 'dropSchema': {
      const s = cx.str(args[0], call, 'The schema name');
      if (s) cx.emit(g`DROP SCHEMA ${asBool(cx.consts.value(args[1])) ? 'IF EXISTS ' : ''}${ident(s)}${asBool(cx.consts.value(args[2])) ? ' CASCADE' : ''}`, call);
      return true;
    }
    case 'hasTable':
    case 'hasColumn':
    case 'getTable':
    case 'release':
    case 'connect':
      return true;
    default:
      cx.recognised--;
      cx.unsupported(call, `\`${shorten(call.expression.getText(cx.sf))}(…)\` is not translated to SQL by Plumbline; whatever it changes is not checked and not known to later migrations`);
      return true;
  }
}

function classProperty(file: ToolFile, name: string): ts.Expression | undefined {
  const cls = file.shape.cls;
  if (!cls) return undefined;
  for (const m of cls.members) {
    if (ts.isPropertyDeclaration(m) && m.name.getText(file.sf) === name && m.initializer) return m.initializer;
  }
  return undefined;
}

/** The 13-digit timestamp TypeORM reads from the end of the class (or `name`) — its migration order. */
function timestamp(file: ToolFile): string {
  const nameProp = classProperty(file, 'name');
  const className = nameProp && ts.isStringLiteralLike(unwrap(nameProp)) ? (unwrap(nameProp) as ts.StringLiteral).text : file.shape.cls?.name?.text;
  const fromClass = className ? /(\d{13})$/.exec(className)?.[1] : undefined;
  return fromClass ?? /^(\d+)/.exec(file.stem)?.[1] ?? file.stem;
}

export const typeormTool: ToolSpec = {
  id: 'typeorm',
  name: 'TypeORM',
  detectedBy: 'TypeORM migration classes (MigrationInterface with up(queryRunner))',
  matches: (text) => /\bMigrationInterface\b|\bQueryRunner\b|\bqueryRunner\s*[.:]/.test(text),
  confirm: (file) => !!file.shape.cls && !!file.shape.up && ts.isMethodDeclaration(file.shape.up),
  translator(_file, fn: FnLike, cx) {
    const first = paramNames(fn)[0];
    if (first) cx.receivers.add(first);
    return { call: (node, c) => (ts.isCallExpression(node) ? translateCall(node, c) : false) };
  },
  transaction(file) {
    const t = classProperty(file, 'transaction');
    const v = t ? unwrap(t).kind : undefined;
    if (v === ts.SyntaxKind.FalseKeyword) {
      return { wrapped: false, reason: 'the migration class sets `transaction = false` (TypeORM then runs it outside a transaction, in the `each` and `none` transaction modes)' };
    }
    if (v === ts.SyntaxKind.TrueKeyword) return { wrapped: true, reason: 'the migration class sets `transaction = true`, so TypeORM runs it in a transaction' };
    return { wrapped: true, reason: "TypeORM runs pending migrations in a transaction by default (migrationsTransactionMode 'all')" };
  },
  version: timestamp,
  compare: (a, b) => {
    const x = timestamp(a);
    const y = timestamp(b);
    return /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
  },
  sameVersion: (a, b) => /^\d{13}$/.test(timestamp(a)) && timestamp(a) === timestamp(b),
};

