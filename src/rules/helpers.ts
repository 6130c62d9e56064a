/** Helpers shared by migration rules: finding keywords, building fixes, wording transaction facts. */
import type { Fix } from '../core/finding.js';
import type { MigrationContext } from '../core/rule.js';
import type { Range } from '../core/source.js';
import type { SqlStatement, SqlToken } from '../sql/parse.js';
import { alterCommands, rangeVarKey } from '../sql/ast.js';
import { displayRelation, type LockAcquisition } from '../locks/lock-table.js';

export { displayRelation };

/** The first token of a statement with this keyword (upper case), optionally after a given offset. */
export function keyword(stmt: SqlStatement, word: string, after = -1): SqlToken | undefined {
  return stmt.tokens.find((t) => t.kind === word && t.start > after);
}

/** The sequence of keywords `words` (e.g. ['NOT', 'VALID']) as one range, if the statement has it. */
export function keywords(stmt: SqlStatement, words: string[], after = -1): Range | undefined {
  const toks = stmt.tokens;
  for (let i = 0; i + words.length <= toks.length; i++) {
    if (toks[i].start <= after) continue;
    if (words.every((w, k) => toks[i + k].kind === w)) return { start: toks[i].start, end: toks[i + words.length - 1].end };
  }
  return undefined;
}

/** A fix that inserts `text` right after a token (with a leading space). */
export function insertAfter(token: { end: number }, text: string, description: string, safe: boolean): Fix {
  return { description, safe, edits: [{ range: { start: token.end, end: token.end }, text: ` ${text}` }] };
}

/** Why the statement runs in a transaction, in words: "Flyway runs each migration in a transaction". */
export function transactionCause(ctx: MigrationContext<any>): string {
  const tx = ctx.state.transaction;
  if (!tx.active) return '';
  if (tx.byFramework) return ctx.script.transactionReason;
  return 'the file opens a transaction with BEGIN';
}

/**
 * Why `CONCURRENTLY` cannot be used where this statement runs, in words, or '' when it can: inside a DO
 * block (the body runs as a function, in one transaction, where PostgreSQL refuses CONCURRENTLY), or in a
 * transaction (see transactionCause).
 */
export function concurrencyBlocker(ctx: MigrationContext<any>, stmt: SqlStatement): string {
  if (stmt.viaDo) return 'it sits in a DO block, whose body runs as a function inside one transaction';
  return transactionCause(ctx);
}

/** The range of the object a statement targets: the relation name token when found. */
export function relationRange(stmt: SqlStatement, relname: string | undefined): Range {
  if (relname) {
    const tok = stmt.tokens.find((t) => t.text === relname || t.text === `"${relname}"`);
    if (tok) return { start: tok.start, end: tok.end };
  }
  return stmt.range;
}

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * The first token naming identifier `name` after `after`: unquoted identifiers compare case-insensitively
 * (the parser folds them to lower case), quoted ones exactly. Non-reserved keywords used as names count.
 */
export function identToken(stmt: SqlStatement, name: string, after = -1): SqlToken | undefined {
  return stmt.tokens.find((t) => {
    if (t.start <= after || t.kind === 'SCONST') return false;
    if (t.text.startsWith('"')) return t.text.slice(1, -1).replace(/""/g, '"') === name;
    return t.text.toLowerCase() === name;
  });
}

/**
 * The range of each sub-command of an `ALTER TABLE` (`ADD COLUMN …`, `ALTER COLUMN …`), in the order of the
 * node's `cmds`: the tokens after the relation name split at top-level commas. Empty when the split does
 * not line up with `expected` commands (callers then fall back to the statement's range).
 */
export function alterCommandRanges(stmt: SqlStatement, expected: number): Range[] {
  // Rules read these ranges only when they report, but ask for them up front: compute on first index
  // access, because finding them needs the statement's tokens (a scan).
  let computed: Range[] | undefined;
  const get = () => (computed ??= computeAlterCommandRanges(stmt, expected));
  return new Proxy([] as Range[], {
    get: (_target, prop) => Reflect.get(get(), prop),
    has: (_target, prop) => Reflect.has(get(), prop),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_target, prop) => Reflect.getOwnPropertyDescriptor(get(), prop),
  });
}

function computeAlterCommandRanges(stmt: SqlStatement, expected: number): Range[] {
  const toks = stmt.tokens;
  let i = toks.findIndex((t) => t.kind === 'TABLE' || t.kind === 'INDEX' || t.kind === 'VIEW' || t.kind === 'SEQUENCE');
  if (i < 0) return [];
  i++;
  if (toks[i]?.kind === 'IF' && toks[i + 1]?.kind === 'EXISTS') i += 2;
  if (toks[i]?.kind === 'ONLY') i++;
  i++; // the relation name
  while (toks[i]?.text === '.' && i + 1 < toks.length) i += 2;
  if (toks[i]?.text === '*') i++;
  const out: Range[] = [];
  let depth = 0;
  let start = i;
  for (let k = i; k < toks.length; k++) {
    const text = toks[k].text;
    if (text === '(' || text === '[') depth++;
    else if (text === ')' || text === ']') depth--;
    else if (text === ',' && depth === 0) {
      if (k > start) out.push({ start: toks[start].start, end: toks[k - 1].end });
      start = k + 1;
    } else if (text === ';' && depth === 0) break;
  }
  const last = toks.length - 1 - (toks[toks.length - 1]?.text === ';' ? 1 : 0);
  if (start <= last) out.push({ start: toks[start].start, end: toks[last].end });
  return out.length === expected ? out : [];
}

/**
 * The catalog key of the table an `ALTER TABLE` changes, when that table is live: it existed before this
 * script (or is unknown, so assumed live). Undefined for other `ALTER … ` forms and for tables created
 * earlier in the same script, which have no traffic to block yet.
 */
export function liveTableAltered(ctx: MigrationContext<any>, stmt: SqlStatement): string | undefined {
  const n = stmt.node;
  if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return undefined;
  const key = rangeVarKey(n.relation);
  return ctx.isNewTable(key) ? undefined : key;
}

/**
 * What this migration itself created, for the one-way rules: dropping or loosening something that no
 * client has seen yet loses nothing. Feed every `ALTER TABLE` to `record` (columns added to tables the
 * catalog does not know are remembered too).
 */
export function createdThisMigration(ctx: MigrationContext<any>) {
  const addedHere = new Set<string>();
  return {
    record(stmt: SqlStatement): void {
      const key = rangeVarKey(stmt.node.relation);
      for (const cmd of alterCommands(stmt.node)) {
        if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname) addedHere.add(`${key}.${cmd.def.ColumnDef.colname}`);
      }
    },
    table(key: string): boolean {
      const table = ctx.state.catalog.table(key);
      return Boolean(table && (ctx.isNewTable(key) || table.origin.migrationId === ctx.migration.id));
    },
    column(key: string, name: string): boolean {
      const column = ctx.state.catalog.table(key)?.columns.get(name);
      return (column !== undefined && column.origin.migrationId === ctx.migration.id) || addedHere.has(`${key}.${name}`);
    },
  };
}

export interface AddedColumn {
  /** The `AlterTableCmd` and its `ColumnDef`. */
  cmd: any;
  def: any;
  column: string;
  /** Catalog key of the live table. */
  table: string;
  /** The lock the `ALTER TABLE` takes on it, when the lock table knows one. */
  lock?: LockAcquisition;
}

/**
 * The columns an `ALTER TABLE … ADD COLUMN` adds to a live table (see `liveTableAltered`), leaving out
 * `ADD COLUMN IF NOT EXISTS` of a column that is already there (it does nothing).
 */
export function columnsAddedToLiveTable(ctx: MigrationContext<any>, stmt: SqlStatement): AddedColumn[] {
  const table = liveTableAltered(ctx, stmt);
  if (!table) return [];
  const known = ctx.state.catalog.table(table);
  const lock = ctx.state.locks.find((l) => l.relation === table);
  const out: AddedColumn[] = [];
  for (const cmd of alterCommands(stmt.node)) {
    if (cmd.subtype !== 'AT_AddColumn' || !cmd.def?.ColumnDef) continue;
    const def = cmd.def.ColumnDef;
    const column: string = def.colname;
    if (cmd.missing_ok && known?.columns.has(column)) continue;
    out.push({ cmd, def, column, table, lock });
  }
  return out;
}
