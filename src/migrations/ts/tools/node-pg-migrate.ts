/**
 * node-pg-migrate: `export async function up(pgm: MigrationBuilder)` / `exports.up = (pgm) => {…}`.
 *
 * `pgm.sql('…')` (and `pgm.db.query`) is copied as written. The builder calls are translated the way
 * node-pg-migrate's operations write them (src/operations/*): `createTable`, `dropTable`,
 * `renameTable`, `addColumns`/`addColumn`, `dropColumns`/`dropColumn`, `renameColumn`, `alterColumn`,
 * `addConstraint`/`createConstraint`, `dropConstraint`, `createIndex`/`addIndex` (with `concurrently`,
 * `unique`, `where`, `method`; default name `<table>_<columns>[_unique]_index`), `dropIndex`,
 * `createType`, `addTypeValue`, `dropType`, `createExtension`, `createSchema`. Column shorthands:
 * `'id'` (serial primary key) and the ones the file exports in `shorthands`.
 *
 * Order: by the numeric prefix of the file name (a 13-digit millisecond timestamp, or a 17-digit UTC
 * stamp), then by name. Transactions: all pending migrations run in one transaction
 * (`singleTransaction`, the default); `pgm.noTransaction()` takes that migration out of it (node-pg-
 * migrate commits before it and begins again after). A file without `down` gets the reverse of `up`,
 * as node-pg-migrate infers it; `down = false` disables it.
 */
import { ts } from 'ts-morph';
import { CallContext, type FnLike, methodName, paramNames, receiverOf, rootOf, shorten } from '../extract.js';
import { asBool, asString, asStrings, prop, unwrap, type Value } from '../literals.js';
import { gen, ident, type MappedStatement, qualified, Sql } from '../mapped.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { action, verbatim } from './shared.js';

const TYPE_ADAPTERS: Record<string, string> = {
  int: 'integer',
  string: 'text',
  float: 'real',
  double: 'double precision',
  datetime: 'timestamp',
  bool: 'boolean',
};

/** How the down of each `up` operation is inferred; `null` for operations node-pg-migrate cannot reverse. */
const reversals = new WeakMap<CallContext, Array<MappedStatement | null | 'unknown'>>();

class PgmTranslator {
  private readonly reverse: Array<MappedStatement | null | 'unknown'> = [];
  private readonly shorthands: Map<string, Value>;

  constructor(
    private readonly cx: CallContext,
    file: ToolFile,
  ) {
    reversals.set(cx, this.reverse);
    const sh = file.shape.exported.get('shorthands');
    const v = sh ? cx.consts.value(sh) : undefined;
    this.shorthands = v?.kind === 'object' ? v.props : new Map();
  }

  private get sf() {
    return this.cx.sf;
  }

  private irreversible(): void {
    this.reverse.push(null);
  }

  private reversible(sql: Sql, node: ts.Node): void {
    this.reverse.push({ sql, end: node.end });
  }

  /** `"orders"` or `"billing"."orders"` from a string or `{ schema, name }`. */
  private name(v: Value | undefined, call: ts.Node, what: string): Sql | undefined {
    if (v?.kind === 'string') return ident(v.sql);
    if (v?.kind === 'object') {
      const n = asString(prop(v, 'name'));
      const s = asString(prop(v, 'schema'));
      if (n) return s ? Sql.concat([ident(s), Sql.at('.', s.offsets[0] ?? 0), ident(n)]) : ident(n);
    }
    this.cx.unresolved(v?.node ?? call, `${what} is not a constant`);
    return undefined;
  }

  private rawName(v: Value | undefined): string | undefined {
    if (v?.kind === 'string') return v.sql.text;
    if (v?.kind === 'object') return asString(prop(v, 'name'))?.text;
    return undefined;
  }

  /** `pgm.func('now()')`: SQL written as is. */
  private func(v: Value | undefined): Sql | undefined {
    if (v?.kind !== 'other') return undefined;
    const e = unwrap(v.node);
    if (!ts.isCallExpression(e)) return undefined;
    const callee = unwrap(e.expression);
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'func' && ts.isIdentifier(unwrap(callee.expression)) && this.cx.receivers.has((unwrap(callee.expression) as ts.Identifier).text)) {
      return this.cx.str(e.arguments[0], e, 'The SQL of `pgm.func`');
    }
    // `new PgLiteral('now()')`
    return undefined;
  }

  /** node-pg-migrate's `escapeValue`: strings dollar-quoted, numbers and booleans as they are. */
  private escape(v: Value | undefined): Sql | undefined {
    if (!v) return undefined;
    const at = v.node.getStart(this.sf);
    switch (v.kind) {
      case 'null':
        return Sql.at('NULL', at);
      case 'boolean':
        return Sql.at(String(v.value), at);
      case 'number':
        return Sql.at(v.text, at);
      case 'string': {
        let tag = 'pga';
        for (let i = 0; v.sql.text.includes(`$${tag}$`); i++) tag = `pg${String.fromCharCode(98 + i)}`;
        return Sql.concat([Sql.at(`$${tag}$`, at), v.sql, Sql.at(`$${tag}$`, v.sql.end ?? at)]);
      }
      case 'array': {
        const items = v.items.map((x) => this.escape(x));
        if (items.some((x) => !x)) return undefined;
        return gen(at)`ARRAY[${Sql.join(items as Sql[], ',', at)}]`;
      }
      default:
        return this.func(v);
    }
  }

  private columnDef(colName: string, colNode: ts.Node, def: Value | undefined, table: Sql): Sql | undefined {
    const at = colNode.getStart(this.sf);
    const g = gen(at);
    let options: Value | undefined = def;
    // A type string, or a shorthand name (`'id'`, or one the file exports).
    if (def?.kind === 'string') {
      const short = this.shorthands.get(def.sql.text);
      if (short) options = short;
      else if (def.sql.text === 'id') return g`${ident(colName, at)} serial PRIMARY KEY`;
      else options = { kind: 'object', props: new Map([['type', def]]), node: def.node };
    }
    if (options?.kind !== 'object') {
      this.cx.unresolved(colNode, `The definition of column \`${colName}\` is not a literal`);
      return undefined;
    }
    const typeV = prop(options, 'type');
    const typeStr = asString(typeV);
    if (!typeStr) {
      this.cx.unresolved(typeV?.node ?? colNode, `The type of column \`${colName}\` is not a constant`);
      return undefined;
    }
    const short = this.shorthands.get(typeStr.text);
    if (short?.kind === 'object') {
      // A shorthand used as a type: its options, overridden by the column's own.
      const merged = new Map(short.props);
      for (const [k, v] of options.props) if (k !== 'type') merged.set(k, v);
      options = { kind: 'object', props: merged, node: options.node };
    }
    const type = asString(prop(options, 'type'))!;
    const typeSql = TYPE_ADAPTERS[type.text] ? Sql.at(TYPE_ADAPTERS[type.text], type.offsets[0] ?? at) : type;
    const parts: Sql[] = [g`${ident(colName, at)} ${typeSql}`];
    const collation = asString(prop(options, 'collation'));
    if (collation) parts.push(g` COLLATE ${collation}`);
    const dflt = prop(options, 'default');
    if (dflt) {
      const e = this.escape(dflt);
      if (!e) {
        this.cx.unresolved(dflt.node, `The default of column \`${colName}\` is not a constant`);
        return undefined;
      }
      parts.push(g` DEFAULT ${e}`);
    }
    if (asBool(prop(options, 'unique'))) parts.push(g` UNIQUE`);
    if (asBool(prop(options, 'primaryKey'))) parts.push(g` PRIMARY KEY`);
    if (asBool(prop(options, 'notNull'))) parts.push(g` NOT NULL`);
    const check = asString(prop(options, 'check'));
    if (check) parts.push(g` CHECK (${check})`);
    const refs = prop(options, 'references');
    if (refs) {
      const r = this.references(refs, options, at);
      if (!r) return undefined;
      const cname = asString(prop(options, 'referencesConstraintName'));
      parts.push(cname ? g` CONSTRAINT ${ident(cname)} ${r}` : g` ${r}`);
    }
    if (asBool(prop(options, 'deferrable'))) parts.push(g` DEFERRABLE INITIALLY ${asBool(prop(options, 'deferred')) ? 'DEFERRED' : 'IMMEDIATE'}`);
    const seq = prop(options, 'sequenceGenerated');
    if (seq?.kind === 'object') {
      const precedence = asString(prop(seq, 'precedence'))?.text ?? 'BY DEFAULT';
      parts.push(g` GENERATED ${precedence} AS IDENTITY`);
    }
    const expr = asString(prop(options, 'expressionGenerated'));
    if (expr) parts.push(g` GENERATED ALWAYS AS (${expr}) STORED`);
    void table;
    return Sql.concat(parts);
  }

  private references(refs: Value, options: Value, at: number): Sql | undefined {
    const g = gen(at);
    let target: Sql | undefined;
    if (refs.kind === 'string') {
      const t = refs.sql.text;
      target = t.startsWith('"') || t.endsWith(')') ? refs.sql : ident(refs.sql);
    } else target = this.name(refs, refs.node, 'The referenced table');
    if (!target) return undefined;
    let sql = g`REFERENCES ${target}`;
    const match = asString(prop(options, 'match'));
    if (match) sql = g`${sql} MATCH ${match}`;
    const onDelete = action(asString(prop(options, 'onDelete')));
    const onUpdate = action(asString(prop(options, 'onUpdate')));
    if (onDelete) sql = g`${sql} ON DELETE ${onDelete}`;
    if (onUpdate) sql = g`${sql} ON UPDATE ${onUpdate}`;
    return sql;
  }

  private columns(v: Value | undefined, table: Sql, call: ts.Node): Array<{ name: string; def: Sql }> | undefined {
    if (v?.kind !== 'object') {
      this.cx.unresolved(v?.node ?? call, 'The columns are not an object literal');
      return undefined;
    }
    const out: Array<{ name: string; def: Sql }> = [];
    for (const [name, def] of v.props) {
      const node = def.node.parent && ts.isPropertyAssignment(def.node.parent) ? def.node.parent : def.node;
      const d = this.columnDef(name, node, def, table);
      if (!d) return undefined;
      out.push({ name, def: d });
    }
    return out;
  }

  /** Table constraints (`constraints` of createTable, object form of addConstraint). */
  private constraints(v: Value | undefined, tableRaw: string, optionName: Sql | undefined, at: number): Sql[] | undefined {
    if (v?.kind !== 'object') return [];
    const g = gen(at);
    const out: Sql[] = [];
    const nameOr = (fallback: string) => (optionName ? ident(optionName) : ident(fallback, at));
    const check = prop(v, 'check');
    if (check) {
      const list = asStrings(check);
      if (!list) return undefined;
      list.forEach((c, i) => out.push(g`CONSTRAINT ${nameOr(list.length > 1 ? `${tableRaw}_chck_${i + 1}` : `${tableRaw}_chck`)} CHECK (${c})`));
    }
    const unique = prop(v, 'unique');
    if (unique) {
      const sets: Sql[][] = [];
      if (unique.kind === 'array' && unique.items.some((x) => x.kind === 'array')) {
        for (const item of unique.items) {
          const cols = asStrings(item);
          if (!cols) return undefined;
          sets.push(cols);
        }
      } else {
        const cols = asStrings(unique);
        if (!cols) return undefined;
        sets.push(cols);
      }
      for (const cols of sets) out.push(g`CONSTRAINT ${nameOr(`${tableRaw}_uniq_${cols.map((c) => c.text).join('_')}`)} UNIQUE (${Sql.join(cols.map((c) => ident(c)), ', ', at)})`);
    }
    const pk = prop(v, 'primaryKey');
    if (pk) {
      const cols = asStrings(pk);
      if (!cols) return undefined;
      out.push(g`CONSTRAINT ${nameOr(`${tableRaw}_pkey`)} PRIMARY KEY (${Sql.join(cols.map((c) => ident(c)), ', ', at)})`);
    }
    const fks = prop(v, 'foreignKeys');
    if (fks) {
      for (const fk of fks.kind === 'array' ? fks.items : [fks]) {
        const cols = asStrings(prop(fk, 'columns'));
        const refs = prop(fk, 'references');
        if (!cols || !refs) return undefined;
        const r = this.references(refs, fk, fk.node.getStart(this.sf));
        if (!r) return undefined;
        const explicit = asString(prop(fk, 'referencesConstraintName'));
        const n = explicit ? ident(explicit) : nameOr(`${tableRaw}_fk_${cols.map((c) => c.text).join('_')}`);
        out.push(gen(fk.node.getStart(this.sf))`CONSTRAINT ${n} FOREIGN KEY (${Sql.join(cols.map((c) => ident(c)), ', ', at)}) ${r}`);
      }
    }
    const exclude = asString(prop(v, 'exclude'));
    if (exclude) out.push(g`CONSTRAINT ${nameOr(`${tableRaw}_excl`)} EXCLUDE ${exclude}`);
    if (asBool(prop(v, 'deferrable'))) {
      const word = asBool(prop(v, 'deferred')) ? 'DEFERRED' : 'IMMEDIATE';
      return out.map((c) => g`${c} DEFERRABLE INITIALLY ${word}`);
    }
    return out;
  }

  private indexColumns(v: Value | undefined, at: number): { names: string[]; sql: Sql } | undefined {
    const items = v?.kind === 'array' ? v.items : v ? [v] : [];
    const names: string[] = [];
    const parts: Sql[] = [];
    for (const item of items) {
      if (item.kind === 'string') {
        names.push(item.sql.text);
        // An expression (`lower(email)`) is written as is; a column name is quoted.
        parts.push(/[ ().]/.test(item.sql.text) ? item.sql : ident(item.sql));
      } else if (item.kind === 'object') {
        const n = asString(prop(item, 'name'));
        if (!n) return undefined;
        names.push(n.text);
        const opclass = asString(prop(item, 'opclass'));
        const sort = asString(prop(item, 'sort'));
        parts.push(gen(item.node.getStart(this.sf))`${/[ ().]/.test(n.text) ? n : ident(n)}${opclass ? gen(at)` ${ident(opclass)}` : ''}${sort ? ` ${sort.text}` : ''}`);
      } else return undefined;
    }
    if (names.length === 0) return undefined;
    return { names, sql: Sql.join(parts, ', ', at) };
  }

  call(node: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
    if (!ts.isCallExpression(node)) return false;
    const name = methodName(node);
    const recv = receiverOf(node);
    if (!name || !recv) return false;
    const root = rootOf(recv);
    if (!root || !this.cx.receivers.has(root)) return false;
    const cx = this.cx;
    // `pgm.db.query('…')` / `pgm.db.select('…')`: run in the same connection and transaction.
    if (ts.isPropertyAccessExpression(recv) && recv.name.text === 'db' && (name === 'query' || name === 'select')) {
      cx.recognised++;
      this.irreversible();
      return verbatim(node.arguments[0], node, cx);
    }
    if (!ts.isIdentifier(recv)) return false;
    const args = node.arguments;
    const v = (i: number) => cx.consts.value(args[i]);
    const g = cx.gen(node);
    const at = cx.start(node);
    cx.recognised++;
    switch (name) {
      case 'sql': {
        this.irreversible();
        const params = v(1);
        if (params?.kind === 'object') {
          const r = cx.consts.strOrHole(args[0]);
          if (!r || 'hole' in r) return verbatim(args[0], node, cx);
          // `pgm.sql('… {name} …', { name: 'x' })`: node-pg-migrate substitutes `{key}`.
          const parts: Sql[] = [];
          let last = 0;
          for (const m of r.sql.text.matchAll(/\{(\w+)\}/g)) {
            const val = params.props.get(m[1]);
            const text = val?.kind === 'string' ? val.sql : val?.kind === 'number' ? Sql.at(val.text, val.node.getStart(this.sf)) : undefined;
            if (!text) {
              cx.unresolved(val?.node ?? args[1], `The value of \`{${m[1]}}\` is not a constant; the statement was not checked`);
              return true;
            }
            parts.push(r.sql.slice(last, m.index), text);
            last = m.index! + m[0].length;
          }
          parts.push(r.sql.slice(last));
          cx.emitVerbatim(Sql.concat(parts), args[0]);
          return true;
        }
        return verbatim(args[0], node, cx);
      }
      case 'noTransaction':
        cx.facts.add('noTransaction');
        return true;
      case 'func':
        return true;
      case 'createTable': {
        const table = this.name(v(0), node, 'The table name');
        const raw = this.rawName(v(0));
        if (!table || !raw) return true;
        const cols = this.columns(v(1), table, node);
        if (!cols) return true;
        const opts = v(2);
        const cons = this.constraints(prop(opts, 'constraints'), raw, undefined, at);
        if (!cons) {
          cx.unresolved(args[2] ?? node, 'The table constraints are not constants');
          return true;
        }
        const like = prop(opts, 'like');
        const likeName = like ? this.name(like.kind === 'object' && prop(like, 'table') ? prop(like, 'table') : like, node, 'The LIKE table') : undefined;
        const lines = [...cols.map((c) => c.def), ...(likeName ? [g`LIKE ${likeName}`] : []), ...cons];
        const temp = asBool(prop(opts, 'temporary')) ? 'TEMPORARY ' : '';
        const ifNot = asBool(prop(opts, 'ifNotExists')) ? 'IF NOT EXISTS ' : '';
        let sql = g`CREATE ${temp}TABLE ${ifNot}${table} (\n  ${Sql.join(lines, ',\n  ', at)}\n)`;
        const inherits = prop(opts, 'inherits');
        if (inherits) {
          const i = this.name(inherits, node, 'The inherited table');
          if (i) sql = g`${sql} INHERITS (${i})`;
        }
        cx.emit(sql, node);
        this.reversible(g`DROP TABLE ${table}`, node);
        return true;
      }
      case 'dropTable': {
        const table = this.name(v(0), node, 'The table name');
        const opts = v(1);
        if (table) cx.emit(g`DROP TABLE${asBool(prop(opts, 'ifExists')) ? ' IF EXISTS' : ''} ${table}${asBool(prop(opts, 'cascade')) ? ' CASCADE' : ''}`, node);
        this.irreversible();
        return true;
      }
      case 'renameTable': {
        const from = this.name(v(0), node, 'The table name');
        const to = this.name(v(1), node, 'The new table name');
        if (from && to) {
          cx.emit(g`ALTER TABLE ${from} RENAME TO ${to}`, node);
          this.reversible(g`ALTER TABLE ${to} RENAME TO ${from}`, node);
        }
        return true;
      }
      case 'addColumns':
      case 'addColumn': {
        const table = this.name(v(0), node, 'The table name');
        if (!table) return true;
        const cols = this.columns(v(1), table, node);
        if (!cols) return true;
        const ifNot = asBool(prop(v(2), 'ifNotExists')) ? 'IF NOT EXISTS ' : '';
        cx.emit(g`ALTER TABLE ${table}\n${Sql.join(cols.map((c) => g`  ADD ${ifNot}${c.def}`), ',\n', at)}`, node);
        this.reversible(g`ALTER TABLE ${table}\n${Sql.join(cols.map((c) => g`  DROP ${ident(c.name, at)}`), ',\n', at)}`, node);
        return true;
      }
      case 'dropColumns':
      case 'dropColumn': {
        const table = this.name(v(0), node, 'The table name');
        const colsV = v(1);
        const cols = colsV?.kind === 'object' ? [...colsV.props.keys()].map((k) => Sql.at(k, at)) : asStrings(colsV);
        if (!table) return true;
        if (!cols) {
          cx.unresolved(args[1] ?? node, 'The column names are not constants');
          return true;
        }
        const opts = v(2);
        const ifExists = asBool(prop(opts, 'ifExists')) ? 'IF EXISTS ' : '';
        const cascade = asBool(prop(opts, 'cascade')) ? ' CASCADE' : '';
        cx.emit(g`ALTER TABLE ${table}\n${Sql.join(cols.map((c) => g`  DROP ${ifExists}${ident(c)}${cascade}`), ',\n', at)}`, node);
        this.irreversible();
        return true;
      }
      case 'renameColumn': {
        const table = this.name(v(0), node, 'The table name');
        const from = cx.str(args[1], node, 'The column name');
        const to = cx.str(args[2], node, 'The new column name');
        if (table && from && to) {
          cx.emit(g`ALTER TABLE ${table} RENAME ${ident(from)} TO ${ident(to)}`, node);
          this.reversible(g`ALTER TABLE ${table} RENAME ${ident(to)} TO ${ident(from)}`, node);
        }
        return true;
      }
      case 'alterColumn': {
        this.irreversible();
        const table = this.name(v(0), node, 'The table name');
        const col = cx.str(args[1], node, 'The column name');
        const opts = v(2);
        if (!table || !col || opts?.kind !== 'object') {
          if (table && col) cx.unresolved(args[2] ?? node, 'The options of `alterColumn` are not an object literal');
          return true;
        }
        const actions: Sql[] = [];
        const dflt = prop(opts, 'default');
        if (dflt?.kind === 'null') actions.push(g`DROP DEFAULT`);
        else if (dflt) {
          const e = this.escape(dflt);
          if (!e) {
            cx.unresolved(dflt.node, 'The default is not a constant');
            return true;
          }
          actions.push(g`SET DEFAULT ${e}`);
        }
        const type = asString(prop(opts, 'type'));
        if (type) {
          const t = TYPE_ADAPTERS[type.text] ? Sql.at(TYPE_ADAPTERS[type.text], type.offsets[0] ?? at) : type;
          const collation = asString(prop(opts, 'collation'));
          const using = asString(prop(opts, 'using'));
          actions.push(g`SET DATA TYPE ${t}${collation ? g` COLLATE ${collation}` : ''}${using ? g` USING ${using}` : ''}`);
        }
        const notNull = asBool(prop(opts, 'notNull'));
        if (notNull) actions.push(g`SET NOT NULL`);
        else if (notNull === false || asBool(prop(opts, 'allowNull'))) actions.push(g`DROP NOT NULL`);
        if (actions.length) cx.emit(g`ALTER TABLE ${table}\n${Sql.join(actions.map((a) => g`  ALTER ${ident(col)} ${a}`), ',\n', at)}`, node);
        return true;
      }
      case 'addConstraint':
      case 'createConstraint': {
        const table = this.name(v(0), node, 'The table name');
        const raw = this.rawName(v(0));
        const cname = v(1)?.kind === 'null' ? undefined : cx.str(args[1], node, 'The constraint name');
        if (!table || !raw) return true;
        const def = v(2);
        let lines: Sql[] | undefined;
        if (def?.kind === 'string') lines = [cname ? g`CONSTRAINT ${ident(cname)} ${def.sql}` : def.sql];
        else lines = this.constraints(def, raw, cname, at);
        if (!lines || lines.length === 0) {
          cx.unresolved(args[2] ?? node, 'The constraint is not a constant');
          return true;
        }
        cx.emit(g`ALTER TABLE ${table}\n${Sql.join(lines.map((l) => g`  ADD ${l}`), ',\n', at)}`, node);
        if (cname) this.reversible(g`ALTER TABLE ${table} DROP CONSTRAINT ${ident(cname)}`, node);
        else this.irreversible();
        return true;
      }
      case 'dropConstraint': {
        const table = this.name(v(0), node, 'The table name');
        const cname = cx.str(args[1], node, 'The constraint name');
        const opts = v(2);
        if (table && cname) cx.emit(g`ALTER TABLE ${table} DROP CONSTRAINT${asBool(prop(opts, 'ifExists')) ? ' IF EXISTS' : ''} ${ident(cname)}${asBool(prop(opts, 'cascade')) ? ' CASCADE' : ''}`, node);
        this.irreversible();
        return true;
      }
      case 'renameConstraint': {
        const table = this.name(v(0), node, 'The table name');
        const from = cx.str(args[1], node, 'The constraint name');
        const to = cx.str(args[2], node, 'The new constraint name');
        if (table && from && to) {
          cx.emit(g`ALTER TABLE ${table} RENAME CONSTRAINT ${ident(from)} TO ${ident(to)}`, node);
          this.reversible(g`ALTER TABLE ${table} RENAME CONSTRAINT ${ident(to)} TO ${ident(from)}`, node);
        }
        return true;
      }
      case 'createIndex':
      case 'addIndex':
      case 'dropIndex': {
        const tableV = v(0);
        const table = this.name(tableV, node, 'The table name');
        const raw = this.rawName(tableV);
        const cols = this.indexColumns(v(1), at);
        if (!table || !raw) return true;
        if (!cols) {
          cx.unresolved(args[1] ?? node, 'The index columns are not constants');
          return true;
        }
        const opts = v(2);
        const unique = asBool(prop(opts, 'unique')) === true;
        const explicit = asString(prop(opts, 'name'));
        const schema = tableV?.kind === 'object' ? asString(prop(tableV, 'schema')) : undefined;
        const bare = explicit ? ident(explicit) : ident(`${raw}_${cols.names.join('_')}${unique ? '_unique' : ''}_index`, at);
        const indexName = schema ? Sql.concat([ident(schema), Sql.at('.', at), bare]) : bare;
        const concurrently = asBool(prop(opts, 'concurrently')) ? ' CONCURRENTLY' : '';
        const dropSql = g`DROP INDEX${concurrently}${asBool(prop(opts, 'ifExists')) ? ' IF EXISTS' : ''} ${indexName}${asBool(prop(opts, 'cascade')) ? ' CASCADE' : ''}`;
        if (name === 'dropIndex') {
          cx.emit(dropSql, node);
          this.irreversible();
          return true;
        }
        const method = asString(prop(opts, 'method'));
        const where = asString(prop(opts, 'where'));
        const include = asStrings(prop(opts, 'include'));
        const ifNot = asBool(prop(opts, 'ifNotExists')) ? ' IF NOT EXISTS' : '';
        cx.emit(
          g`CREATE${unique ? ' UNIQUE' : ''} INDEX${concurrently}${ifNot} ${indexName} ON ${table}${method ? g` USING ${method}` : ''} (${cols.sql})${include ? g` INCLUDE (${Sql.join(include.map((c) => ident(c)), ', ', at)})` : ''}${where ? g` WHERE ${where}` : ''}`,
          node,
        );
        this.reversible(dropSql, node);
        return true;
      }
      case 'createType':
      case 'addType': {
        const type = this.name(v(0), node, 'The type name');
        const values = asStrings(v(1));
        if (!type) return true;
        if (!values) {
          cx.unsupported(node, 'Only enum types (`pgm.createType(name, [values])`) are translated');
          return true;
        }
        cx.emit(g`CREATE TYPE ${type} AS ENUM (${Sql.join(values.map((x) => this.escape({ kind: 'string', sql: x, node: args[1] })!), ', ', at)})`, node);
        this.reversible(g`DROP TYPE ${type}`, node);
        return true;
      }
      case 'dropType': {
        const type = this.name(v(0), node, 'The type name');
        const opts = v(1);
        if (type) cx.emit(g`DROP TYPE${asBool(prop(opts, 'ifExists')) ? ' IF EXISTS' : ''} ${type}${asBool(prop(opts, 'cascade')) ? ' CASCADE' : ''}`, node);
        this.irreversible();
        return true;
      }
      case 'addTypeValue': {
        this.irreversible();
        const type = this.name(v(0), node, 'The type name');
        const value = v(1);
        const opts = v(2);
        const escaped = this.escape(value);
        if (!type || !escaped) return true;
        const before = prop(opts, 'before');
        const after = prop(opts, 'after');
        const position = before ? g` BEFORE ${this.escape(before) ?? ''}` : after ? g` AFTER ${this.escape(after) ?? ''}` : '';
        cx.emit(g`ALTER TYPE ${type} ADD VALUE${asBool(prop(opts, 'ifNotExists')) ? ' IF NOT EXISTS' : ''} ${escaped}${position}`, node);
        return true;
      }
      case 'createExtension':
      case 'addExtension': {
        const names = asStrings(v(0));
        const opts = v(1);
        if (!names) return true;
        for (const n of names) {
          cx.emit(g`CREATE EXTENSION${asBool(prop(opts, 'ifNotExists')) ? ' IF NOT EXISTS' : ''} ${ident(n)}`, node);
          this.reversible(g`DROP EXTENSION ${ident(n)}`, node);
        }
        return true;
      }
      case 'dropExtension': {
        const names = asStrings(v(0));
        if (names) for (const n of names) cx.emit(g`DROP EXTENSION${asBool(prop(v(1), 'ifExists')) ? ' IF EXISTS' : ''} ${ident(n)}`, node);
        this.irreversible();
        return true;
      }
      case 'createSchema': {
        const s = cx.str(args[0], node, 'The schema name');
        if (s) {
          cx.emit(g`CREATE SCHEMA${asBool(prop(v(1), 'ifNotExists')) ? ' IF NOT EXISTS' : ''} ${ident(s)}`, node);
          this.reversible(g`DROP SCHEMA ${ident(s)}`, node);
        }
        return true;
      }
      case 'dropSchema': {
        const s = cx.str(args[0], node, 'The schema name');
        if (s) cx.emit(g`DROP SCHEMA${asBool(prop(v(1), 'ifExists')) ? ' IF EXISTS' : ''} ${ident(s)}${asBool(prop(v(1), 'cascade')) ? ' CASCADE' : ''}`, node);
        this.irreversible();
        return true;
      }
      default:
        cx.recognised--;
        this.reverse.push('unknown');
        cx.unsupported(node, `\`${shorten(node.expression.getText(this.sf))}(…)\` is not translated to SQL by Plumbline; whatever it changes is not checked and not known to later migrations`);
        return true;
    }
  }
}

/** node-pg-migrate's `getNumericPrefix`: 13 digits are milliseconds, 17 digits a UTC stamp. */
function numericPrefix(stem: string): number {
  const prefix = stem.split('_')[0];
  if (/^\d+$/.test(prefix)) {
    if (prefix.length === 13) return Number(prefix);
    if (prefix.length === 17) {
      const [y, mo, d, h, mi, s, ms] = [prefix.slice(0, 4), prefix.slice(4, 6), prefix.slice(6, 8), prefix.slice(8, 10), prefix.slice(10, 12), prefix.slice(12, 14), prefix.slice(14, 17)];
      return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
    }
  }
  return Number(prefix) || 0;
}

export const nodePgMigrateTool: ToolSpec = {
  id: 'node-pg-migrate',
  name: 'node-pg-migrate',
  detectedBy: 'node-pg-migrate migration files (up(pgm: MigrationBuilder))',
  matches: (text) => /\bMigrationBuilder\b|['"]node-pg-migrate['"]|\bpgm\s*\.\s*\w+\s*\(/.test(text),
  confirm: (file) => {
    const up = file.shape.up;
    if (!up || file.shape.cls) return false;
    const p = paramNames(up)[0];
    return !!p && new RegExp(`\\b${p}\\s*\\.\\s*(?:sql|createTable|dropTable|renameTable|addColumns?|dropColumns?|renameColumn|alterColumn|addConstraint|createConstraint|dropConstraint|createIndex|addIndex|dropIndex|createType|addTypeValue|createExtension|noTransaction|db)\\b`).test(up.getText(file.sf));
  },
  translator(file, fn: FnLike, cx) {
    const first = paramNames(fn)[0];
    if (first) cx.receivers.add(first);
    const tr = new PgmTranslator(cx, file);
    return { call: (node) => tr.call(node) };
  },
  transaction(_file, _direction, cx) {
    if (cx.facts.has('noTransaction')) {
      return { wrapped: false, reason: 'the migration calls `pgm.noTransaction()`, so node-pg-migrate runs it outside a transaction' };
    }
    return { wrapped: true, reason: 'node-pg-migrate runs pending migrations in one transaction (singleTransaction, the default) unless the migration calls `pgm.noTransaction()`' };
  },
  version: (file) => file.stem.split('_')[0],
  compare: (a, b) => numericPrefix(a.stem) - numericPrefix(b.stem) || a.stem.localeCompare(b.stem, undefined, { numeric: true, sensitivity: 'variant', ignorePunctuation: true }),
  sameVersion: (a, b) => /^\d{13}(\d{4})?$/.test(a.stem.split('_')[0]) && numericPrefix(a.stem) === numericPrefix(b.stem),
  inferDown(_file, up) {
    const steps = reversals.get(up);
    if (!steps || steps.length === 0 || steps.includes('unknown')) return 'unknown';
    // node-pg-migrate throws on the first operation it cannot reverse: there is no down.
    if (steps.some((s) => s === null)) return undefined;
    const down = new CallContext(up.sf, up.source, up.consts);
    for (const f of up.facts) down.facts.add(f);
    for (const s of [...steps].reverse()) down.statements.push(s as MappedStatement);
    return down;
  },
};
