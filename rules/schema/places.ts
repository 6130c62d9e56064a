/**
 * Where a schema object was defined. The catalog keeps the range of the statement that created each
 * object; schema findings point closer when they can: the column's line of a `CREATE TABLE`, the
 * `ADD CONSTRAINT` of a multi-command `ALTER TABLE`. The statement is parsed again (only when a rule
 * reports), and any doubt falls back to the whole statement.
 */
import type { Constraint, Origin, Table } from '../../src/catalog/catalog.js';
import type { Range } from '../../src/core/source.js';
import { alterCommandRanges, displayRelation, quoteIdent } from '../../src/rules/helpers.js';
import { alterCommands, columnConstraints, strings } from '../../src/sql/ast.js';
import { parseSql, type SqlStatement } from '../../src/sql/parse.js';

export { displayRelation, quoteIdent };

/** The statement an object was created by, parsed again from its file. */
export function statementAt(origin: Origin): SqlStatement | undefined {
  try {
    const { statements } = parseSql(origin.file.text.slice(origin.range.start, origin.range.end), origin.range.start);
    return statements.find((s) => s.range.start === origin.range.start) ?? statements[0];
  } catch {
    return undefined;
  }
}

/** The range of each element of a `CREATE TABLE (…)` list, in the order of `tableElts`; empty when they do not line up. */
export function tableElementRanges(stmt: SqlStatement): Range[] {
  const toks = stmt.tokens;
  const open = toks.findIndex((t) => t.text === '(');
  const out: Range[] = [];
  if (open < 0) return out;
  let depth = 0;
  let start = open + 1;
  for (let k = open + 1; k < toks.length; k++) {
    const text = toks[k].text;
    if (text === '(' || text === '[') depth++;
    else if ((text === ')' || text === ']') && depth > 0) depth--;
    else if (text === ')' || (text === ',' && depth === 0)) {
      if (k > start) out.push({ start: toks[start].start, end: toks[k - 1].end });
      start = k + 1;
      if (text === ')') break;
    }
  }
  return out.length === (stmt.node.tableElts?.length ?? 0) ? out : [];
}

/** Where a column was defined: its element of the `CREATE TABLE`, or its `ADD COLUMN`. */
export function columnPlace(origin: Origin, column: string): Range {
  const stmt = statementAt(origin);
  if (stmt?.kind === 'CreateStmt') {
    const i = (stmt.node.tableElts ?? []).findIndex((e: any) => e.ColumnDef?.colname === column);
    const ranges = tableElementRanges(stmt);
    if (i >= 0 && ranges[i]) return ranges[i];
  }
  if (stmt?.kind === 'AlterTableStmt') {
    const cmds = alterCommands(stmt.node);
    const i = cmds.findIndex((c: any) => c.subtype === 'AT_AddColumn' && c.def?.ColumnDef?.colname === column);
    const ranges = alterCommandRanges(stmt, cmds.length);
    if (i >= 0 && ranges[i]) return ranges[i];
  }
  return origin.range;
}

const CONTYPE: Record<Constraint['type'], string> = {
  primary: 'CONSTR_PRIMARY',
  unique: 'CONSTR_UNIQUE',
  foreign: 'CONSTR_FOREIGN',
  check: 'CONSTR_CHECK',
  exclusion: 'CONSTR_EXCLUSION',
};

/**
 * Where a constraint was defined: the column that declares it inline (`customer_id bigint REFERENCES …`),
 * its table constraint in a `CREATE TABLE`, or its command of an `ALTER TABLE`.
 */
export function constraintPlace(constraint: Constraint): Range {
  const origin = constraint.origin;
  const stmt = statementAt(origin);
  if (!stmt) return origin.range;
  const contype = CONTYPE[constraint.type];
  // Each element (or command) of the statement that declares a constraint of this type, with its columns.
  const candidates: Array<{ index: number; name?: string; columns: string[] }> = [];
  const fromColumn = (def: any, index: number) => {
    for (const c of columnConstraints(def)) if (c.contype === contype) candidates.push({ index, name: c.conname, columns: [def.colname] });
  };
  const fromConstraint = (c: any, index: number) => {
    if (c?.contype !== contype) return;
    candidates.push({ index, name: c.conname, columns: strings(constraint.type === 'foreign' ? c.fk_attrs : c.keys) });
  };
  let ranges: Range[] = [];
  if (stmt.kind === 'CreateStmt') {
    (stmt.node.tableElts ?? []).forEach((e: any, i: number) => (e.ColumnDef ? fromColumn(e.ColumnDef, i) : fromConstraint(e.Constraint, i)));
    ranges = tableElementRanges(stmt);
  } else if (stmt.kind === 'AlterTableStmt') {
    const cmds = alterCommands(stmt.node);
    cmds.forEach((c: any, i: number) => {
      if (c.subtype === 'AT_AddColumn' && c.def?.ColumnDef) fromColumn(c.def.ColumnDef, i);
      if (c.subtype === 'AT_AddConstraint') fromConstraint(c.def?.Constraint, i);
    });
    // A single-command ALTER TABLE is its own best place: the statement's first line names the table.
    ranges = cmds.length > 1 ? alterCommandRanges(stmt, cmds.length) : [];
  }
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const match =
    candidates.find((c) => c.name === constraint.name) ??
    candidates.find((c) => !c.name && same(c.columns, constraint.columns)) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  return (match && ranges[match.index]) || origin.range;
}

/** The source text of each key of a `CREATE INDEX (…)` (`lower(email)`, `created_at DESC`), or undefined. */
export function indexElementTexts(origin: Origin): string[] | undefined {
  const stmt = statementAt(origin);
  if (stmt?.kind !== 'IndexStmt') return undefined;
  const toks = stmt.tokens;
  const on = toks.findIndex((t) => t.kind === 'ON');
  const open = toks.findIndex((t, i) => i > on && t.text === '(');
  if (on < 0 || open < 0) return undefined;
  const out: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let k = open + 1; k < toks.length; k++) {
    const text = toks[k].text;
    if (text === '(' || text === '[') depth++;
    else if ((text === ')' || text === ']') && depth > 0) depth--;
    else if (text === ')' || (text === ',' && depth === 0)) {
      if (k > start) out.push(stmt.text.slice(toks[start].start - stmt.range.start, toks[k - 1].end - stmt.range.start));
      start = k + 1;
      if (text === ')') break;
    }
  }
  return out.length === (stmt.node.indexParams?.length ?? -1) ? out : undefined;
}

/**
 * A name for a new index, the way PostgreSQL makes them up (`<table>_<columns>_idx`), kept within 63
 * bytes, not taken yet, and quoted where SQL needs it.
 */
export function indexNameFor(table: string, columns: string[], taken: (name: string) => boolean, suffix = 'idx'): string {
  let base = [table, ...columns].join('_');
  while (Buffer.byteLength(`${base}_${suffix}`) > 63) base = base.slice(0, -1);
  let name = `${base}_${suffix}`;
  for (let n = 1; taken(name); n++) name = `${base}_${suffix}${n}`;
  return quoteIdent(name);
}

/** A table's name as SQL: `orders`, `billing.orders`, `"Order"`. */
export function tableName(table: Table): string {
  return table.schema === 'public' ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/** `a, b` with identifiers quoted where PostgreSQL needs it. */
export function columnList(columns: string[]): string {
  return columns.map(quoteIdent).join(', ');
}
