/**
 * Constant values of a TypeScript migration: string literals decoded character by character (each
 * character keeps the offset of its source, escapes included), templates and `+` concatenations of
 * constants, `const` identifiers bound to them, and the small object/array literals builder calls take.
 * Nothing is guessed: a value that is not a constant is reported as unresolved, with the node.
 */
import { ts } from 'ts-morph';
import { Sql } from './mapped.js';

/** Decodes the source text `text[start, end)` of a string literal body (`'…'`) or template piece. */
export function decodeRange(text: string, start: number, end: number, template: boolean): Sql {
  let out = '';
  const offsets: number[] = [];
  const push = (s: string, at: number) => {
    out += s;
    for (let k = 0; k < s.length; k++) offsets.push(at);
  };
  let i = start;
  while (i < end) {
    const c = text[i];
    if (c === '\r' && template) {
      // Template literals normalise CRLF and CR to LF.
      push('\n', i);
      i += text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    if (c !== '\\') {
      push(c, i);
      i++;
      continue;
    }
    const at = i;
    const n = text[i + 1];
    i += 2;
    switch (n) {
      case 'n':
        push('\n', at);
        break;
      case 't':
        push('\t', at);
        break;
      case 'r':
        push('\r', at);
        break;
      case 'b':
        push('\b', at);
        break;
      case 'f':
        push('\f', at);
        break;
      case 'v':
        push('\v', at);
        break;
      case '0':
        push('\0', at);
        break;
      case 'x': {
        push(String.fromCharCode(parseInt(text.slice(i, i + 2), 16) || 0), at);
        i += 2;
        break;
      }
      case 'u': {
        if (text[i] === '{') {
          const close = text.indexOf('}', i);
          push(String.fromCodePoint(parseInt(text.slice(i + 1, close), 16) || 0), at);
          i = close + 1;
        } else {
          push(String.fromCharCode(parseInt(text.slice(i, i + 4), 16) || 0), at);
          i += 4;
        }
        break;
      }
      case '\r':
        // Line continuation: the backslash and the line break vanish.
        if (text[i] === '\n') i++;
        break;
      case '\n':
      case '\u2028':
      case '\u2029':
        break;
      default:
        if (n !== undefined) push(n, at);
    }
  }
  return new Sql(out, offsets, end);
}

/** The decoded text of a string literal or a template without substitutions. */
export function literalSql(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral, sf: ts.SourceFile): Sql {
  const start = node.getStart(sf);
  return decodeRange(sf.text, start + 1, node.end - 1, ts.isNoSubstitutionTemplateLiteral(node));
}

/** The pieces of a template: decoded text and the `${…}` expressions between them. */
export function templatePieces(node: ts.TemplateLiteral, sf: ts.SourceFile): Array<Sql | ts.Expression> {
  if (ts.isNoSubstitutionTemplateLiteral(node)) return [literalSql(node, sf)];
  const out: Array<Sql | ts.Expression> = [];
  const head = node.head;
  // `…${`: the text between the backtick and `${`.
  out.push(decodeRange(sf.text, head.getStart(sf) + 1, head.end - 2, true));
  for (const span of node.templateSpans) {
    out.push(span.expression);
    const lit = span.literal;
    const tail = ts.isTemplateTail(lit);
    out.push(decodeRange(sf.text, lit.getStart(sf) + 1, lit.end - (tail ? 1 : 2), true));
  }
  return out;
}

export function unwrap(e: ts.Expression): ts.Expression {
  let cur = e;
  for (;;) {
    if (ts.isParenthesizedExpression(cur) || ts.isAsExpression(cur) || ts.isNonNullExpression(cur) || ts.isSatisfiesExpression(cur) || ts.isTypeAssertionExpression(cur)) {
      cur = cur.expression;
    } else if (ts.isAwaitExpression(cur)) {
      cur = cur.expression;
    } else return cur;
  }
}

export type Value =
  | { kind: 'string'; sql: Sql; node: ts.Node }
  | { kind: 'number'; value: number; text: string; node: ts.Node }
  | { kind: 'boolean'; value: boolean; node: ts.Node }
  | { kind: 'null'; node: ts.Node }
  | { kind: 'array'; items: Value[]; node: ts.Node }
  | { kind: 'object'; props: Map<string, Value>; node: ts.Node }
  /** Anything else (a call, an identifier that is not a constant…): tools look at the node. */
  | { kind: 'other'; node: ts.Expression };

/** Resolution of constants inside one file. */
export class Consts {
  private readonly decls = new Map<string, ts.Expression | null>();

  constructor(readonly sf: ts.SourceFile) {
    const visit = (n: ts.Node) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isVariableDeclarationList(n.parent) && n.parent.flags & ts.NodeFlags.Const) {
        const name = n.name.text;
        // A name declared twice (shadowing) is ambiguous without scopes: not a constant.
        this.decls.set(name, this.decls.has(name) ? null : n.initializer);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  /** The initializer of a `const` of this name (unique in the file). */
  initializer(name: string): ts.Expression | undefined {
    return this.decls.get(name) ?? undefined;
  }

  /** A constant string (literal, template of constants, concatenation, const identifier). */
  str(expr: ts.Expression | undefined, depth = 0): Sql | undefined {
    const r = this.strOrHole(expr, depth);
    return r && 'sql' in r ? r.sql : undefined;
  }

  /** A constant string, or the first sub-expression that is not a constant. */
  strOrHole(expr: ts.Expression | undefined, depth = 0): { sql: Sql } | { hole: ts.Node } | undefined {
    if (!expr || depth > 10) return expr ? { hole: expr } : undefined;
    const e = unwrap(expr);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { sql: literalSql(e, this.sf) };
    if (ts.isNumericLiteral(e)) return { sql: Sql.at(e.text, e.getStart(this.sf)) };
    if (ts.isTemplateExpression(e)) {
      const parts: Sql[] = [];
      for (const p of templatePieces(e, this.sf)) {
        if (p instanceof Sql) parts.push(p);
        else {
          const r = this.strOrHole(p, depth + 1);
          if (!r || 'hole' in r) return r ?? { hole: p };
          parts.push(r.sql);
        }
      }
      return { sql: Sql.concat(parts) };
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = this.strOrHole(e.left, depth + 1);
      if (!l || 'hole' in l) return l;
      const r = this.strOrHole(e.right, depth + 1);
      if (!r || 'hole' in r) return r;
      return { sql: Sql.concat([l.sql, r.sql]) };
    }
    if (ts.isIdentifier(e)) {
      const init = this.initializer(e.text);
      if (!init) return { hole: e };
      const r = this.strOrHole(init, depth + 1);
      return r && 'sql' in r ? r : { hole: e };
    }
    // `[ 'a', 'b' ].join('\n')` of constants.
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join' && ts.isArrayLiteralExpression(unwrap(e.expression.expression))) {
      const arr = unwrap(e.expression.expression) as ts.ArrayLiteralExpression;
      const sep = e.arguments.length ? this.str(e.arguments[0], depth + 1) : Sql.at(',', e.getStart(this.sf));
      if (!sep) return { hole: e.arguments[0] };
      const parts: Sql[] = [];
      for (const item of arr.elements) {
        const r = this.strOrHole(item, depth + 1);
        if (!r || 'hole' in r) return r ?? { hole: item };
        if (parts.length) parts.push(Sql.at(sep.text, sep.offsets[0] ?? e.getStart(this.sf)));
        parts.push(r.sql);
      }
      return { sql: Sql.concat(parts) };
    }
    return { hole: e };
  }

  /** A literal value (strings with offsets), following const identifiers. */
  value(expr: ts.Expression | undefined, depth = 0): Value | undefined {
    if (!expr) return undefined;
    const e = unwrap(expr);
    if (depth > 10) return { kind: 'other', node: e };
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e) || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)) {
      const s = this.str(e, depth);
      return s ? { kind: 'string', sql: s, node: e } : { kind: 'other', node: e };
    }
    if (ts.isNumericLiteral(e)) return { kind: 'number', value: Number(e.text), text: e.text, node: e };
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
      return { kind: 'number', value: -Number(e.operand.text), text: `-${e.operand.text}`, node: e };
    }
    if (e.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'boolean', value: true, node: e };
    if (e.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'boolean', value: false, node: e };
    if (e.kind === ts.SyntaxKind.NullKeyword) return { kind: 'null', node: e };
    if (ts.isArrayLiteralExpression(e)) {
      return { kind: 'array', items: e.elements.map((x) => this.value(x, depth + 1) ?? { kind: 'other', node: x }), node: e };
    }
    if (ts.isObjectLiteralExpression(e)) {
      const props = new Map<string, Value>();
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p)) {
          const key = propName(p.name);
          if (key !== undefined) props.set(key, this.value(p.initializer, depth + 1) ?? { kind: 'other', node: p.initializer });
        } else if (ts.isShorthandPropertyAssignment(p)) {
          props.set(p.name.text, this.value(p.name, depth + 1) ?? { kind: 'other', node: p.name });
        }
      }
      return { kind: 'object', props, node: e };
    }
    if (ts.isIdentifier(e)) {
      if (e.text === 'undefined') return undefined;
      const init = this.initializer(e.text);
      if (init) return this.value(init, depth + 1);
    }
    return { kind: 'other', node: e };
  }
}

export function propName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}

/** Reading helpers over `Value`. */
export function prop(v: Value | undefined, key: string): Value | undefined {
  return v?.kind === 'object' ? v.props.get(key) : undefined;
}

export function asBool(v: Value | undefined): boolean | undefined {
  return v?.kind === 'boolean' ? v.value : undefined;
}

export function asString(v: Value | undefined): Sql | undefined {
  return v?.kind === 'string' ? v.sql : undefined;
}

export function asNumber(v: Value | undefined): number | undefined {
  return v?.kind === 'number' ? v.value : undefined;
}

/** Strings of an array value (or a single string as a one-element list); undefined when any is not constant. */
export function asStrings(v: Value | undefined): Sql[] | undefined {
  if (!v) return undefined;
  if (v.kind === 'string') return [v.sql];
  if (v.kind !== 'array') return undefined;
  const out: Sql[] = [];
  for (const item of v.items) {
    if (item.kind !== 'string') return undefined;
    out.push(item.sql);
  }
  return out;
}
