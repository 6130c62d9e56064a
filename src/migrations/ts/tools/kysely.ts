/**
 * Kysely: `export async function up(db: Kysely<any>): Promise<void>`.
 *
 * `db.schema` builder chains that end in `.execute()` are translated the way Kysely's query compiler
 * writes them: `createTable(...).addColumn(name, type, (col) => col.primaryKey().notNull()…)`,
 * constraints (`addPrimaryKeyConstraint`, `addUniqueConstraint`, `addForeignKeyConstraint`,
 * `addCheckConstraint`), `alterTable` (`addColumn`, `dropColumn`, `renameColumn`, `alterColumn`,
 * `renameTo`, constraints: several alterations in one `alter table` statement), `dropTable`,
 * `createIndex(...).on(...).column(s)(...)`, `dropIndex`, `createType(...).asEnum([...])`, `dropType`,
 * `createSchema`, `dropSchema`. `sql\`…\`.execute(db)` and `sql.raw('…').execute(db)` are copied as
 * written: `sql.ref`/`sql.id`/`sql.table` holes become identifiers, `sql.raw`/`sql.lit` holes their text,
 * other values `$n` parameters.
 *
 * Order: by migration name (file name without extension), as Kysely's `Migrator` sorts them.
 * Transactions: on PostgreSQL the Migrator runs all pending migrations in one transaction
 * (`supportsTransactionalDdl`), unless it is created with `disableTransactions: true` (not visible
 * from the migration file: set `transactional: false` on the folder in plumbline.config.json).
 */
import { ts } from 'ts-morph';
import { type CallContext, chainOf, type FnLike, type Link, paramNames, rootOf } from '../extract.js';
import { asStrings, unwrap } from '../literals.js';
import { gen, ident, qualified, Sql } from '../mapped.js';
import type { ToolSpec } from '../tool.js';
import { action, constantSql, type HoleReader, splitRef, taggedSql } from './shared.js';

const EXECUTE = new Set(['execute', 'executeTakeFirst', 'executeTakeFirstOrThrow']);

class KyselyTranslator {
  /** Names the `sql` tag is imported as (`import { sql } from 'kysely'`). */
  readonly sqlTags = new Set<string>(['sql']);

  constructor(private readonly cx: CallContext) {}

  private get sf() {
    return this.cx.sf;
  }

  /** `sql.ref('x')`, `sql.raw('…')`, `sql.lit(1)`; other holes are parameters. */
  readonly hole: HoleReader = (hole, cx) => {
    const e = unwrap(hole);
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(unwrap(e.expression))) {
      const pa = unwrap(e.expression) as ts.PropertyAccessExpression;
      const base = unwrap(pa.expression);
      if (ts.isIdentifier(base) && this.sqlTags.has(base.text)) {
        const m = pa.name.text;
        if (m === 'ref' || m === 'id' || m === 'table') {
          const s = cx.consts.str(e.arguments[0]);
          return s ? qualified(s) : undefined;
        }
        if (m === 'raw') return cx.consts.str(e.arguments[0]);
        if (m === 'lit' || m === 'literal') return constantSql(cx.consts.value(e.arguments[0]), cx);
        if (m === 'join') return undefined;
      }
    }
    return 'param';
  };

  /** A column type: `'varchar(255)'`, or `sql\`citext\``. */
  private type(e: ts.Expression | undefined, call: ts.Node): Sql | undefined {
    if (!e) return undefined;
    const x = unwrap(e);
    if (ts.isTaggedTemplateExpression(x)) return taggedSql(x, this.cx, this.hole);
    return this.cx.str(x, call, 'The column type');
  }

  /** A value: `sql\`now()\``, or a constant quoted as Kysely does. */
  private value(e: ts.Expression | undefined): Sql | undefined {
    if (!e) return undefined;
    const x = unwrap(e);
    if (ts.isTaggedTemplateExpression(x)) return taggedSql(x, this.cx, this.hole);
    const raw = this.hole(x, this.cx);
    if (raw && raw !== 'param') return raw;
    const c = constantSql(this.cx.consts.value(x), this.cx);
    if (!c) this.cx.unresolved(x, 'The value is not a constant');
    return c;
  }

  call(node: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
    if (!ts.isCallExpression(node)) return false;
    const { base, links } = chainOf(node);
    const last = links[links.length - 1];
    const b = unwrap(base);
    // `sql\`…\`.execute(db)`
    if (ts.isTaggedTemplateExpression(b) && ts.isIdentifier(unwrap(b.tag)) && this.sqlTags.has((unwrap(b.tag) as ts.Identifier).text)) {
      if (!last || !EXECUTE.has(last.name)) return true;
      this.cx.recognised++;
      const s = taggedSql(b, this.cx, this.hole);
      if (s) this.cx.emitVerbatim(s, b);
      return true;
    }
    // `sql.raw('…').execute(db)`
    if (ts.isIdentifier(b) && this.sqlTags.has(b.text) && links[0]?.name === 'raw') {
      if (!last || !EXECUTE.has(last.name)) return true;
      this.cx.recognised++;
      const s = this.cx.str(links[0].args[0], links[0].call, 'The SQL of `sql.raw`');
      if (s) this.cx.emitVerbatim(s, links[0].args[0]);
      return true;
    }
    const root = rootOf(node);
    if (!root || !this.cx.receivers.has(root)) return false;
    if (!(ts.isPropertyAccessExpression(b) && b.name.text === 'schema')) return false;
    // A builder nobody executes does nothing.
    if (!last || !EXECUTE.has(last.name)) return true;
    this.cx.recognised++;
    this.schema(links.slice(0, -1), node);
    return true;
  }

  private schema(links: Link[], node: ts.CallExpression): void {
    let i = 0;
    let schema: Sql | undefined;
    if (links[0]?.name === 'withSchema') {
      schema = this.cx.str(links[0].args[0], links[0].call, 'The schema name');
      if (!schema) return;
      i = 1;
    }
    const head = links[i];
    if (!head) return;
    const rest = links.slice(i + 1);
    const at = this.cx.start(node);
    const g = gen(at);
    const name = this.cx.str(head.args[0], head.call, 'The name');
    if (!name) return;
    const qname = schema ? Sql.concat([ident(schema), Sql.at('.', at), ident(name)]) : qualified(name);
    const has = (m: string) => rest.some((l) => l.name === m);
    switch (head.name) {
      case 'createTable': {
        const defs: Sql[] = [];
        for (const l of rest) {
          const lg = gen(this.cx.start(l.nameNode));
          if (l.name === 'addColumn') {
            const col = this.columnDef(l);
            if (!col) return;
            defs.push(col);
          } else if (l.name === 'addPrimaryKeyConstraint' || l.name === 'addUniqueConstraint') {
            const n = this.cx.str(l.args[0], l.call, 'The constraint name');
            const cols = asStrings(this.cx.consts.value(l.args[1]));
            if (!n || !cols) return;
            defs.push(lg`constraint ${ident(n)} ${l.name === 'addUniqueConstraint' ? 'unique' : 'primary key'} (${Sql.join(cols.map((c) => ident(c)), ', ', at)})`);
          } else if (l.name === 'addForeignKeyConstraint') {
            const fk = this.foreignKey(l);
            if (!fk) return;
            defs.push(fk);
          } else if (l.name === 'addCheckConstraint') {
            const n = this.cx.str(l.args[0], l.call, 'The constraint name');
            const expr = this.value(l.args[1]);
            if (!n || !expr) return;
            defs.push(lg`constraint ${ident(n)} check (${expr})`);
          } else if (!['ifNotExists', 'temporary', 'modifyEnd', 'modifyFront'].includes(l.name)) {
            this.cx.unsupported(l.call, `\`.${l.name}(…)\` of \`createTable\` is not translated; the statement was not checked`);
            return;
          }
        }
        this.cx.emit(g`create ${has('temporary') ? 'temporary ' : ''}table ${has('ifNotExists') ? 'if not exists ' : ''}${qname} (${Sql.join(defs, ', ', at)})`, node);
        return;
      }
      case 'alterTable': {
        const actions: Sql[] = [];
        for (const l of rest) {
          const lg = gen(this.cx.start(l.nameNode));
          switch (l.name) {
            case 'addColumn': {
              const col = this.columnDef(l);
              if (!col) return;
              actions.push(lg`add column ${col}`);
              break;
            }
            case 'dropColumn': {
              const c = this.cx.str(l.args[0], l.call, 'The column name');
              if (!c) return;
              actions.push(lg`drop column ${ident(c)}`);
              break;
            }
            case 'renameColumn': {
              const from = this.cx.str(l.args[0], l.call, 'The column name');
              const to = this.cx.str(l.args[1], l.call, 'The new column name');
              if (!from || !to) return;
              actions.push(lg`rename column ${ident(from)} to ${ident(to)}`);
              break;
            }
            case 'renameTo': {
              const to = this.cx.str(l.args[0], l.call, 'The new table name');
              if (!to) return;
              actions.push(lg`rename to ${ident(to)}`);
              break;
            }
            case 'alterColumn': {
              const c = this.cx.str(l.args[0], l.call, 'The column name');
              const change = this.alterColumn(l);
              if (!c || !change) return;
              actions.push(lg`alter column ${ident(c)} ${change}`);
              break;
            }
            case 'addUniqueConstraint':
            case 'addPrimaryKeyConstraint': {
              const n = this.cx.str(l.args[0], l.call, 'The constraint name');
              const cols = asStrings(this.cx.consts.value(l.args[1]));
              if (!n || !cols) return;
              actions.push(lg`add constraint ${ident(n)} ${l.name === 'addUniqueConstraint' ? 'unique' : 'primary key'} (${Sql.join(cols.map((x) => ident(x)), ', ', at)})`);
              break;
            }
            case 'addForeignKeyConstraint': {
              const fk = this.foreignKey(l);
              if (!fk) return;
              actions.push(lg`add ${fk}`);
              break;
            }
            case 'addCheckConstraint': {
              const n = this.cx.str(l.args[0], l.call, 'The constraint name');
              const expr = this.value(l.args[1]);
              if (!n || !expr) return;
              actions.push(lg`add constraint ${ident(n)} check (${expr})`);
              break;
            }
            case 'dropConstraint': {
              const n = this.cx.str(l.args[0], l.call, 'The constraint name');
              if (!n) return;
              actions.push(lg`drop constraint ${ident(n)}`);
              break;
            }
            case 'ifExists':
            case 'cascade':
              break;
            default:
              this.cx.unsupported(l.call, `\`.${l.name}(…)\` of \`alterTable\` is not translated; the statement was not checked`);
              return;
          }
        }
        if (actions.length) this.cx.emit(g`alter table ${qname} ${Sql.join(actions, ', ', at)}`, node);
        return;
      }
      case 'dropTable':
        this.cx.emit(g`drop table ${has('ifExists') ? 'if exists ' : ''}${qname}${has('cascade') ? ' cascade' : ''}`, node);
        return;
      case 'createIndex': {
        let table: Sql | undefined;
        const cols: Sql[] = [];
        let using: Sql | undefined;
        let where: Sql | undefined;
        for (const l of rest) {
          if (l.name === 'on') table = this.cx.str(l.args[0], l.call, 'The table name');
          else if (l.name === 'column') {
            const c = this.cx.str(l.args[0], l.call, 'The column name');
            if (!c) return;
            cols.push(/[ ()]/.test(c.text) ? c : ident(c));
          } else if (l.name === 'columns') {
            const list = asStrings(this.cx.consts.value(l.args[0]));
            if (!list) {
              this.cx.unresolved(l.call, 'The index columns are not constants');
              return;
            }
            cols.push(...list.map((c) => (/[ ()]/.test(c.text) ? c : ident(c))));
          } else if (l.name === 'expression') {
            const e = this.value(l.args[0]);
            if (!e) return;
            cols.push(e);
          } else if (l.name === 'using') using = this.cx.str(l.args[0], l.call, 'The index method');
          else if (l.name === 'where') {
            const w = l.args.length === 1 ? this.value(l.args[0]) : undefined;
            if (!w) {
              this.cx.unsupported(l.call, 'Only `where(sql`…`)` predicates of an index are translated; the statement was not checked');
              return;
            }
            where = w;
          } else if (!['unique', 'ifNotExists', 'nullsNotDistinct'].includes(l.name)) {
            this.cx.unsupported(l.call, `\`.${l.name}(…)\` of \`createIndex\` is not translated; the statement was not checked`);
            return;
          }
        }
        if (!table || cols.length === 0) return;
        this.cx.emit(
          g`create ${has('unique') ? 'unique ' : ''}index ${has('ifNotExists') ? 'if not exists ' : ''}${ident(name)} on ${qualified(table)}${using ? g` using ${using}` : ''} (${Sql.join(cols, ', ', at)})${where ? g` where ${where}` : ''}`,
          node,
        );
        return;
      }
      case 'dropIndex':
        this.cx.emit(g`drop index ${has('ifExists') ? 'if exists ' : ''}${qname}${has('cascade') ? ' cascade' : ''}`, node);
        return;
      case 'createType': {
        const asEnum = rest.find((l) => l.name === 'asEnum');
        const values = asEnum && asStrings(this.cx.consts.value(asEnum.args[0]));
        if (!values) {
          this.cx.unsupported(node, 'Only `createType(…).asEnum([...])` with constant values is translated');
          return;
        }
        this.cx.emit(g`create type ${qname} as enum (${Sql.join(values.map((v) => constantSql({ kind: 'string', sql: v, node: asEnum!.args[0] }, this.cx)!), ', ', at)})`, node);
        return;
      }
      case 'dropType':
        this.cx.emit(g`drop type ${has('ifExists') ? 'if exists ' : ''}${qname}`, node);
        return;
      case 'createSchema':
        this.cx.emit(g`create schema ${has('ifNotExists') ? 'if not exists ' : ''}${ident(name)}`, node);
        return;
      case 'dropSchema':
        this.cx.emit(g`drop schema ${has('ifExists') ? 'if exists ' : ''}${ident(name)}${has('cascade') ? ' cascade' : ''}`, node);
        return;
      default:
        this.cx.recognised--;
        this.cx.unsupported(head.call, `\`db.schema.${head.name}(…)\` is not translated to SQL by Plumbline; whatever it changes is not checked and not known to later migrations`);
    }
  }

  /** `.addColumn('id', 'serial', (col) => col.primaryKey())`. */
  private columnDef(l: Link): Sql | undefined {
    const at = this.cx.start(l.nameNode);
    const g = gen(at);
    const name = this.cx.str(l.args[0], l.call, 'The column name');
    const type = this.type(l.args[1], l.call);
    if (!name || !type) return undefined;
    const mods = this.modifiers(l.args[2]);
    if (!mods) return undefined;
    return mods.length ? g`${ident(name)} ${type} ${Sql.join(mods, ' ', at)}` : g`${ident(name)} ${type}`;
  }

  /** The column builder callback, in the order Kysely's compiler writes the modifiers. */
  private modifiers(cb: ts.Expression | undefined): Sql[] | undefined {
    if (!cb) return [];
    const fn = unwrap(cb);
    if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) {
      this.cx.unresolved(fn, 'The column builder is not a function written in place');
      return undefined;
    }
    const body = ts.isBlock(fn.body) ? fn.body.statements.find(ts.isReturnStatement)?.expression : fn.body;
    if (!body) return [];
    const e = unwrap(body);
    if (!ts.isCallExpression(e)) return [];
    const { links } = chainOf(e);
    const slots: Record<string, Sql[]> = { identity: [], default: [], notNull: [], unique: [], primary: [], references: [], check: [] };
    let ref: Sql | undefined;
    for (const m of links) {
      const mg = gen(this.cx.start(m.nameNode));
      switch (m.name) {
        case 'primaryKey':
          slots.primary.push(mg`primary key`);
          break;
        case 'notNull':
          slots.notNull.push(mg`not null`);
          break;
        case 'unique':
          slots.unique.push(mg`unique`);
          break;
        case 'defaultTo': {
          const v = this.value(m.args[0]);
          if (!v) return undefined;
          slots.default.push(mg`default ${v}`);
          break;
        }
        case 'references': {
          const r = this.cx.str(m.args[0], m.call, 'The referenced column');
          const split = r && splitRef(r);
          if (!split) return undefined;
          ref = mg`references ${qualified(split.table)} (${ident(split.column)})`;
          slots.references.push(ref);
          break;
        }
        case 'onDelete':
        case 'onUpdate': {
          const a = action(this.cx.str(m.args[0], m.call, 'The action'));
          if (a && slots.references.length) slots.references.push(mg`${m.name === 'onDelete' ? 'on delete' : 'on update'} ${a.toLowerCase()}`);
          break;
        }
        case 'check': {
          const v = this.value(m.args[0]);
          if (!v) return undefined;
          slots.check.push(mg`check (${v})`);
          break;
        }
        case 'generatedAlwaysAsIdentity':
          slots.identity.push(mg`generated always as identity`);
          break;
        case 'generatedByDefaultAsIdentity':
          slots.identity.push(mg`generated by default as identity`);
          break;
        default:
          break;
      }
    }
    return [...slots.identity, ...slots.default, ...slots.notNull, ...slots.unique, ...slots.primary, ...slots.references, ...slots.check];
  }

  /** `.alterColumn('c', (col) => col.setDataType('text'))`. */
  private alterColumn(l: Link): Sql | undefined {
    const fn = l.args[1] ? unwrap(l.args[1]) : undefined;
    if (!fn || (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn))) return undefined;
    const body = ts.isBlock(fn.body) ? fn.body.statements.find(ts.isReturnStatement)?.expression : fn.body;
    const e = body ? unwrap(body) : undefined;
    if (!e || !ts.isCallExpression(e)) return undefined;
    const { links } = chainOf(e);
    const m = links[0];
    if (!m) return undefined;
    const mg = gen(this.cx.start(m.nameNode));
    switch (m.name) {
      case 'setDataType': {
        const t = this.type(m.args[0], m.call);
        return t && mg`type ${t}`;
      }
      case 'setDefault': {
        const v = this.value(m.args[0]);
        return v && mg`set default ${v}`;
      }
      case 'dropDefault':
        return mg`drop default`;
      case 'setNotNull':
        return mg`set not null`;
      case 'dropNotNull':
        return mg`drop not null`;
      default:
        this.cx.unsupported(m.call, `\`.${m.name}(…)\` of \`alterColumn\` is not translated`);
        return undefined;
    }
  }

  /** `.addForeignKeyConstraint('name', ['user_id'], 'users', ['id'], (cb) => cb.onDelete('cascade'))`. */
  private foreignKey(l: Link): Sql | undefined {
    const at = this.cx.start(l.nameNode);
    const g = gen(at);
    const n = this.cx.str(l.args[0], l.call, 'The constraint name');
    const cols = asStrings(this.cx.consts.value(l.args[1]));
    const table = this.cx.str(l.args[2], l.call, 'The referenced table');
    const refCols = asStrings(this.cx.consts.value(l.args[3]));
    if (!n || !cols || !table || !refCols) {
      if (n && table) this.cx.unresolved(l.call, 'The foreign key columns are not constants');
      return undefined;
    }
    let sql = g`constraint ${ident(n)} foreign key (${Sql.join(cols.map((c) => ident(c)), ', ', at)}) references ${qualified(table)} (${Sql.join(refCols.map((c) => ident(c)), ', ', at)})`;
    const cb = l.args[4] ? unwrap(l.args[4]) : undefined;
    if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) && !ts.isBlock(cb.body) && ts.isCallExpression(unwrap(cb.body))) {
      for (const m of chainOf(unwrap(cb.body) as ts.CallExpression).links) {
        const a = action(this.cx.consts.str(m.args[0]));
        if (a && (m.name === 'onDelete' || m.name === 'onUpdate')) sql = g`${sql} ${m.name === 'onDelete' ? 'on delete' : 'on update'} ${a.toLowerCase()}`;
      }
    }
    return sql;
  }
}

function sqlTagsOf(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== 'kysely') continue;
    const named = st.importClause?.namedBindings;
    if (named && ts.isNamedImports(named)) for (const el of named.elements) if ((el.propertyName ?? el.name).text === 'sql') out.push(el.name.text);
  }
  return out;
}

export const kyselyTool: ToolSpec = {
  id: 'kysely',
  name: 'Kysely',
  detectedBy: 'Kysely migration files (up(db: Kysely<any>))',
  matches: (text) => /\bKysely\s*</.test(text) || (/['"]kysely['"]/.test(text) && /\.schema\s*\.|\.execute\(/.test(text)),
  confirm: (file) => {
    const up = file.shape.up;
    if (!up || file.shape.cls) return false;
    const p = up.parameters[0];
    if (p?.type && /^Kysely\s*</.test(p.type.getText(file.sf))) return true;
    const name = paramNames(up)[0];
    return !!name && new RegExp(`\\b${name}\\s*\\.\\s*schema\\b[\\s\\S]*\\.execute\\(`).test(up.getText(file.sf));
  },
  translator(file, fn: FnLike, cx) {
    const first = paramNames(fn)[0];
    if (first) cx.receivers.add(first);
    const tr = new KyselyTranslator(cx);
    for (const t of sqlTagsOf(file.sf)) tr.sqlTags.add(t);
    return { call: (node) => tr.call(node) };
  },
  transaction() {
    return {
      wrapped: true,
      reason: "Kysely's Migrator runs all pending migrations in one transaction on PostgreSQL (unless it is created with disableTransactions)",
    };
  },
  version: (file) => /^([\d_.T-]*\d)/.exec(file.stem)?.[1] ?? file.stem,
  compare: (a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0),
};

