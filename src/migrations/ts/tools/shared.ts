/** Helpers the tool translators share: verbatim SQL arguments, `new X({...})` options, hashes. */
import { createHash } from 'node:crypto';
import { ts } from 'ts-morph';
import { type CallContext, shorten } from '../extract.js';
import { templatePieces, unwrap, type Value } from '../literals.js';
import { Sql } from '../mapped.js';

/** Emits the SQL of a string argument as it is written (`queryRunner.query('…')`, `knex.raw('…')`). */
export function verbatim(expr: ts.Expression | undefined, call: ts.Node, cx: CallContext, what = 'The SQL'): boolean {
  if (!expr) return true;
  const r = cx.consts.strOrHole(expr);
  if (r && 'sql' in r) {
    cx.emitVerbatim(r.sql, expr);
    return true;
  }
  const hole = r?.hole ?? expr;
  cx.unresolved(
    hole,
    `${what} passed to \`${shorten(calleeText(call, cx.sf))}\` is built from \`${shorten(hole.getText(cx.sf), 40)}\`, which is not a constant; the statement was not checked`,
  );
  return true;
}

export function calleeText(call: ts.Node, sf: ts.SourceFile): string {
  if (ts.isCallExpression(call)) return `${call.expression.getText(sf)}(…)`;
  if (ts.isTaggedTemplateExpression(call)) return `${call.tag.getText(sf)}\`…\``;
  return call.getText(sf);
}

/** The options object of `new Table({...})`, `new TableColumn({...})`, or a plain object literal. */
export function optionsOf(expr: ts.Expression | undefined, cx: CallContext): Value | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isNewExpression(e)) return e.arguments?.[0] ? cx.consts.value(e.arguments[0]) : undefined;
  const v = cx.consts.value(e);
  if (v?.kind === 'other' && ts.isNewExpression(unwrap(v.node as ts.Expression))) return optionsOf(v.node as ts.Expression, cx);
  return v;
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** A value's SQL text as written (numbers, booleans, raw strings), mapped to the value. */
export function rawSql(v: Value | undefined, cx: CallContext): Sql | undefined {
  if (!v) return undefined;
  const at = v.node.getStart(cx.sf);
  switch (v.kind) {
    case 'string':
      return v.sql;
    case 'number':
      return Sql.at(v.text, at);
    case 'boolean':
      return Sql.at(v.value ? 'true' : 'false', at);
    case 'null':
      return Sql.at('NULL', at);
    default:
      return undefined;
  }
}

/** A JavaScript value as a SQL constant (strings quoted), mapped to the value. */
export function constantSql(v: Value | undefined, cx: CallContext): Sql | undefined {
  if (!v) return undefined;
  const at = v.node.getStart(cx.sf);
  switch (v.kind) {
    case 'string': {
      const parts: Sql[] = [Sql.at("'", at)];
      for (let i = 0; i < v.sql.text.length; i++) parts.push(Sql.at(v.sql.text[i] === "'" ? "''" : v.sql.text[i], v.sql.offsets[i]));
      parts.push(Sql.at("'", v.sql.end ?? at));
      return Sql.concat(parts);
    }
    case 'number':
      return Sql.at(v.text, at);
    case 'boolean':
      return Sql.at(v.value ? 'true' : 'false', at);
    case 'null':
      return Sql.at('NULL', at);
    default:
      return undefined;
  }
}

/** `'users.id'` → `["users", "id"]` split at the last dot. */
export function splitRef(s: Sql): { table: Sql; column: Sql } | undefined {
  const dot = s.text.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return { table: s.slice(0, dot), column: s.slice(dot + 1) };
}

/** Upper-cases an action word (`'cascade'` → `CASCADE`, `SET_NULL` → `SET NULL`), or undefined if it is not one. */
export function action(s: Sql | undefined): string | undefined {
  if (!s) return undefined;
  const word = s.text.trim().toUpperCase().replace(/_/g, ' ');
  return ['CASCADE', 'RESTRICT', 'SET NULL', 'SET DEFAULT', 'NO ACTION'].includes(word) ? word : undefined;
}

/**
 * How a tool reads one `${…}` hole of a tagged SQL template: SQL text (an identifier, raw SQL, a nested
 * fragment), `param` (a value sent as a bound parameter), or undefined when it cannot be known.
 */
export type HoleReader = (hole: ts.Expression, cx: CallContext) => Sql | 'param' | undefined;

/** The SQL of a tagged template (`sql\`…\``): holes read by the tool, values as `$n` parameters. */
export function taggedSql(node: ts.TaggedTemplateExpression, cx: CallContext, readHole: HoleReader, counter = { n: 0 }): Sql | undefined {
  const parts: Sql[] = [];
  for (const piece of templatePieces(node.template, cx.sf)) {
    if (piece instanceof Sql) {
      parts.push(piece);
      continue;
    }
    const inner = unwrap(piece);
    if (ts.isTaggedTemplateExpression(inner)) {
      const nested = taggedSql(inner, cx, readHole, counter);
      if (!nested) return undefined;
      parts.push(nested);
      continue;
    }
    const r = readHole(piece, cx);
    if (r === undefined) {
      cx.unresolved(piece, `The SQL fragment \`\${${shorten(piece.getText(cx.sf), 40)}}\` in \`${shorten(calleeText(node, cx.sf))}\` is not a constant; the statement was not checked`);
      return undefined;
    }
    // A bound value that is a constant has the effect of the same literal: inline it (the statement then
    // also replays). Any other value stays a parameter.
    parts.push(r === 'param' ? (constantSql(cx.consts.value(piece), cx) ?? Sql.at(`$${++counter.n}`, piece.getStart(cx.sf))) : r);
  }
  return Sql.concat(parts);
}
