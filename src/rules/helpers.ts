/** Helpers shared by migration rules: finding keywords, building fixes, wording transaction facts. */
import type { Fix } from '../core/finding.js';
import type { MigrationContext } from '../core/rule.js';
import type { Range } from '../core/source.js';
import type { SqlStatement, SqlToken } from '../sql/parse.js';
import { displayRelation } from '../locks/lock-table.js';

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
