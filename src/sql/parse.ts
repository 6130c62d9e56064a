/**
 * SQL parsing with libpg-query (the real PostgreSQL 18 grammar, compiled to WASM).
 *
 * A chunk of SQL (a whole .sql file, or one section of a dbmate file) becomes statements with exact
 * ranges in the file. When the chunk does not parse, it is split at top-level semicolons by our own
 * small lexer and each piece is parsed alone: the broken piece becomes a syntax error at its line and
 * every other statement is still checked. DDL inside `DO $$ … $$` is extracted with the PL/pgSQL parser.
 */
import { createRequire } from 'node:module';
import type { Range } from '../core/source.js';
import { Utf8Index } from '../core/source.js';

type PgQuery = typeof import('libpg-query');
// libpg-query's ESM build loads its WASM relative to import.meta; the CJS build is the faster path on
// Node (no top-level await in callers), so load it through require.
const require = createRequire(import.meta.url);
let pg: PgQuery | undefined;

/** Loads the WASM parser once per process. Every entry point awaits this before parsing. */
export async function loadParser(): Promise<void> {
  if (pg) return;
  const mod = require('libpg-query') as PgQuery;
  await mod.loadModule();
  pg = mod;
}

function parser(): PgQuery {
  if (!pg) throw new Error('SQL parser used before loadParser() finished');
  return pg;
}

export interface SqlToken {
  /** UTF-16 offsets in the file. */
  start: number;
  end: number;
  text: string;
  /** libpg-query's token name (`IDENT`, `SCONST`, `SQL_COMMENT`...) or the keyword in upper case. */
  kind: string;
  keyword: boolean;
}

export interface SqlStatement {
  /** The node type: `IndexStmt`, `AlterTableStmt`, ... */
  kind: string;
  /** The node itself (the value under `kind` in libpg-query's JSON). */
  node: any;
  /** From the first token to the end of the statement, without the terminating semicolon. */
  range: Range;
  /** The statement's text (`file.text.slice(range.start, range.end)`). */
  text: string;
  /** The statement's tokens, comments excluded. Lazily scanned. */
  readonly tokens: SqlToken[];
  /** File offset of a node's `location` (libpg-query's byte offset into the parsed chunk). */
  at(location: number): number;
  /** Set when the statement came from the body of a `DO` block. */
  viaDo?: SqlStatement;
}

export interface SqlSyntaxError {
  range: Range;
  message: string;
}

export interface ParsedChunk {
  statements: SqlStatement[];
  errors: SqlSyntaxError[];
}

/**
 * Parses `text` which starts at offset `base` of its file. Returned ranges are file offsets.
 */
export function parseSql(text: string, base = 0): ParsedChunk {
  const statements: SqlStatement[] = [];
  const errors: SqlSyntaxError[] = [];
  if (text.trim() === '') return { statements, errors };
  const index = new Utf8Index(text);
  try {
    const result = parser().parseSync(text);
    collect(result.stmts ?? [], text, base, index, statements);
  } catch (error) {
    // Whole-chunk parse failed: parse piece by piece so that one broken statement costs only itself.
    for (const piece of splitStatements(text)) {
      const pieceText = text.slice(piece.start, piece.end);
      if (pieceText.trim() === '') continue;
      try {
        const result = parser().parseSync(pieceText);
        collect(result.stmts ?? [], pieceText, base + piece.start, new Utf8Index(pieceText), statements);
      } catch (pieceError) {
        errors.push(syntaxError(pieceError, pieceText, base + piece.start));
      }
    }
  }
  const expanded: SqlStatement[] = [];
  for (const stmt of statements) {
    expanded.push(stmt);
    if (stmt.kind === 'DoStmt') expanded.push(...doBlockStatements(stmt, errors));
  }
  return { statements: expanded, errors };
}

function collect(raw: any[], text: string, base: number, index: Utf8Index, out: SqlStatement[]): void {
  for (const entry of raw) {
    const kind = Object.keys(entry.stmt)[0];
    const startByte = entry.stmt_location ?? 0;
    const endByte = entry.stmt_len === undefined || entry.stmt_len === 0 ? index.byteLength : startByte + entry.stmt_len;
    let start = index.toUtf16(startByte);
    let end = index.toUtf16(endByte);
    start = skipTrivia(text, start, end);
    end = trimTrailingComments(text, start, trimEnd(text, start, end));
    out.push(makeStatement(kind, entry.stmt[kind], text.slice(start, end), { start: base + start, end: base + end }, (loc) => base + index.toUtf16(loc)));
  }
}

function makeStatement(kind: string, node: any, text: string, range: Range, at: (location: number) => number, viaDo?: SqlStatement): SqlStatement {
  let tokens: SqlToken[] | undefined;
  return {
    kind,
    node,
    range,
    text,
    viaDo,
    at,
    get tokens() {
      tokens ??= scanTokens(text, range.start);
      return tokens;
    },
  };
}

/** Tokens of a piece of SQL (comments dropped), with file offsets. Empty when the scanner refuses the text. */
export function scanTokens(text: string, base = 0): SqlToken[] {
  try {
    const index = new Utf8Index(text);
    const out: SqlToken[] = [];
    for (const t of parser().scanSync(text).tokens) {
      if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') continue;
      const keyword = t.keywordKind !== 0;
      out.push({
        start: base + index.toUtf16(t.start),
        end: base + index.toUtf16(t.end),
        text: t.text,
        kind: keyword ? t.text.toUpperCase() : t.tokenName,
        keyword,
      });
    }
    return out;
  } catch {
    return [];
  }
}

function syntaxError(error: unknown, pieceText: string, pieceBase: number): SqlSyntaxError {
  const details = (error as { sqlDetails?: { cursorPosition?: number; message?: string } }).sqlDetails;
  // PostgreSQL quotes the rest of the input after an unterminated string: keep the message on one line.
  const message = (details?.message ?? (error instanceof Error ? error.message : String(error))).replace(/\s+/g, ' ').replace(/ "$/, '"');
  const start = skipTrivia(pieceText, 0, pieceText.length);
  const end = trimEnd(pieceText, start, pieceText.length);
  // PostgreSQL reports the cursor in characters (code points), not bytes: at the end of the input
  // ("syntax error at end of input") it points past the last token, and the whole statement is marked.
  const cursor = details?.cursorPosition === undefined ? -1 : codePointsToUtf16(pieceText, details.cursorPosition);
  if (cursor < start || cursor >= pieceText.length || /\s/.test(pieceText[cursor])) {
    return { range: { start: pieceBase + start, end: pieceBase + end }, message };
  }
  // Point at the offending token, not the whole statement: that is where the user must look.
  // An unterminated quote runs to the end of the piece (its `;` is inside the string), minus trailing space.
  let quoteEnd = pieceText.length;
  while (quoteEnd > cursor + 1 && /\s/.test(pieceText[quoteEnd - 1])) quoteEnd--;
  return { range: { start: pieceBase + cursor, end: pieceBase + tokenEndAt(pieceText, cursor, Math.max(end, cursor + 1), quoteEnd) }, message };
}

/** UTF-16 offset of the `count`-th code point of `text` (clamped to its length). */
function codePointsToUtf16(text: string, count: number): number {
  let i = 0;
  for (let k = 0; k < count && i < text.length; k++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/**
 * End of the token starting at `at`: from the scanner when it accepts the text; else an unterminated
 * quote runs to `quoteLimit` and anything else up to the next space or punctuation (at most `limit`).
 */
function tokenEndAt(text: string, at: number, limit: number, quoteLimit: number): number {
  for (const t of scanTokens(text)) {
    if (t.start === at) return t.end;
    if (t.start > at) break;
  }
  if (text[at] === "'" || text[at] === '"' || /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.test(text.slice(at, at + 64))) return quoteLimit;
  let end = at + 1;
  while (end < limit && !/[\s;,()]/.test(text[end])) end++;
  return end;
}

/** Skips whitespace and comments forward from `from`. */
function skipTrivia(text: string, from: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\ufeff') i++;
    else if (c === '-' && text[i + 1] === '-') {
      while (i < limit && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
    } else break;
  }
  return Math.min(i, limit);
}

function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /[\s;]/.test(text[e - 1])) e--;
  return e;
}

/** A statement's range ends at its last token: a comment after it (`SELECT 1 -- done`) is not part of it. */
function trimTrailingComments(text: string, start: number, end: number): number {
  const slice = text.slice(start, end);
  if (!slice.includes('--') && !slice.includes('/*')) return end;
  const tokens = scanTokens(slice);
  const last = tokens[tokens.length - 1];
  return last ? trimEnd(text, start, start + last.end) : end;
}

function skipBlockComment(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return i;
}

/**
 * Splits SQL at top-level semicolons, respecting quotes, dollar quotes, comments and
 * `BEGIN ATOMIC … END` bodies. Used only when the whole text fails to parse (the WASM scanner
 * refuses unterminated strings, so this cannot rely on it).
 */
export function splitStatements(text: string): Range[] {
  const pieces: Range[] = [];
  let start = 0;
  let atomicDepth = 0;
  let i = 0;
  let lastWords: string[] = [];
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
    } else if (c === "'" || c === '"') {
      i = skipQuoted(text, i);
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(text.slice(i, i + 64));
      if (m && !/[A-Za-z_0-9]/.test(text[i - 1] ?? '')) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (c === ';' && atomicDepth === 0) {
      pieces.push({ start, end: i + 1 });
      start = i + 1;
      lastWords = [];
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z_0-9$]/.test(text[j])) j++;
      const word = text.slice(i, j).toUpperCase();
      if (word === 'ATOMIC' && lastWords[lastWords.length - 1] === 'BEGIN') atomicDepth++;
      else if (atomicDepth > 0 && word === 'CASE') atomicDepth++;
      else if (atomicDepth > 0 && word === 'END') atomicDepth--;
      lastWords.push(word);
      if (lastWords.length > 2) lastWords.shift();
      i = j;
    } else i++;
  }
  if (start < n) pieces.push({ start, end: n });
  return pieces;
}

/** `E'…'` strings allow backslash escapes: the quote follows an `E` that is not the end of a longer word. */
/** Past the quoted string or identifier that starts at `i` ('…' with '' and E'…' escapes, or "…"). */
function skipQuoted(text: string, i: number): number {
  const quote = text[i];
  const escapes = quote === "'" && isEscapeStringStart(text, i);
  i++;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else break;
    } else if (escapes && text[i] === '\\') i += 2;
    else i++;
  }
  return i + 1;
}

function isEscapeStringStart(text: string, quotePos: number): boolean {
  const prefix = text[quotePos - 1];
  return (prefix === 'E' || prefix === 'e') && !/[A-Za-z_0-9$]/.test(text[quotePos - 2] ?? '');
}

/** The SQL statements inside a `DO` block's PL/pgSQL body, located in the file. */
function doBlockStatements(doStmt: SqlStatement, errors: SqlSyntaxError[]): SqlStatement[] {
  const args: any[] = doStmt.node.args ?? [];
  const language = args.find((a) => a.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval ?? 'plpgsql';
  const body: string | undefined = args.find((a) => a.DefElem?.defname === 'as')?.DefElem?.arg?.String?.sval;
  if (body === undefined || language.toLowerCase() !== 'plpgsql') return [];
  // Find the body in the file: it is the string constant token of the statement.
  const bodyToken = doStmt.tokens.find((t) => t.kind === 'SCONST' && t.text.includes(body));
  if (!bodyToken) return [];
  const bodyStart = bodyToken.start + bodyToken.text.indexOf(body);
  let result: any;
  try {
    result = parser().parsePlPgSQLSync(`CREATE FUNCTION plumbline_do() RETURNS void LANGUAGE plpgsql AS $plumbline$${body}$plumbline$`);
  } catch {
    return []; // The body is checked by PostgreSQL at run time only; a body we cannot read yields no findings.
  }
  const queries: string[] = [];
  walkPlpgsql(result, queries);
  const out: SqlStatement[] = [];
  let cursor = 0;
  for (const query of queries) {
    const at = body.indexOf(query, cursor);
    if (at < 0) continue;
    cursor = at + query.length;
    const parsed = parseSql(query, bodyStart + at);
    for (const s of parsed.statements) {
      out.push(makeStatement(s.kind, s.node, s.text, s.range, s.at, doStmt));
    }
    errors.push(...parsed.errors);
  }
  return out;
}

function walkPlpgsql(node: unknown, queries: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) walkPlpgsql(item, queries);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  const execsql = obj.PLpgSQL_stmt_execsql as { sqlstmt?: { PLpgSQL_expr?: { query?: string } } } | undefined;
  if (execsql?.sqlstmt?.PLpgSQL_expr?.query) queries.push(execsql.sqlstmt.PLpgSQL_expr.query);
  for (const key of Object.keys(obj)) {
    if (key !== 'PLpgSQL_stmt_execsql') walkPlpgsql(obj[key], queries);
  }
}

export interface SqlComment {
  /** File offsets of the whole comment, `--`/`/*` included. */
  range: Range;
  text: string;
  /** The comment sits inside the dollar-quoted PL/pgSQL body of a `DO` block (whose statements rules also see). */
  inDoBody: boolean;
}

/**
 * The comments of a piece of SQL, found by the same small lexer as `splitStatements`: text inside
 * string literals, quoted identifiers and dollar-quoted bodies is not a comment. The one exception is
 * the body of a `DO` block (`DO $$ … $$`, `DO LANGUAGE plpgsql $$ … $$`): its statements are checked
 * like top-level ones, so its comments are returned too. Works on text that does not parse.
 */
export function sqlComments(text: string, base = 0, inDoBody = false): SqlComment[] {
  const out: SqlComment[] = [];
  let lastWords: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const start = i;
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      out.push({ range: { start: base + start, end: base + i }, text: text.slice(start, i), inDoBody });
    } else if (c === '/' && text[i + 1] === '*') {
      const start = i;
      i = skipBlockComment(text, i);
      out.push({ range: { start: base + start, end: base + i }, text: text.slice(start, i), inDoBody });
    } else if (c === "'" || c === '"') {
      i = skipQuoted(text, i);
      lastWords = [];
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(text.slice(i, i + 64));
      if (m && !/[A-Za-z_0-9]/.test(text[i - 1] ?? '')) {
        const bodyStart = i + m[0].length;
        const close = text.indexOf(m[0], bodyStart);
        const bodyEnd = close < 0 ? n : close;
        const w = lastWords;
        const isDo = w[w.length - 1] === 'DO' || (w.length >= 3 && w[w.length - 3] === 'DO' && w[w.length - 2] === 'LANGUAGE' && w[w.length - 1] === 'PLPGSQL');
        if (isDo) out.push(...sqlComments(text.slice(bodyStart, bodyEnd), base + bodyStart, true));
        i = close < 0 ? n : close + m[0].length;
        lastWords = [];
      } else i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z_0-9$]/.test(text[j])) j++;
      lastWords.push(text.slice(i, j).toUpperCase());
      if (lastWords.length > 3) lastWords.shift();
      i = j;
    } else {
      if (!/\s/.test(c)) lastWords = [];
      i++;
    }
  }
  return out;
}
