/**
 * From a TypeScript migration file to the SQL of its `up` and `down`: finds the two functions (exported
 * functions, `exports.up = …`, `module.exports = { up, down }`, class methods), walks their bodies in
 * source order and hands every call to the tool's translator, which turns it into mapped statements.
 *
 * The walk does not execute anything and does not follow calls into other functions or files: what a
 * helper does is invisible (a `note` says so when a call on the tool's object is not understood).
 * `catch` blocks are skipped (they run only when something failed); both branches of an `if` are read.
 * Suppression comments (`// plumbline-ignore <rule>: <reason>`) written above a TypeScript statement
 * become SQL comments before the statements it produces, so suppressions work in TypeScript too.
 */
import { ts } from 'ts-morph';
import type { Notification } from '../../core/finding.js';
import type { SourceFile } from '../../core/source.js';
import { Consts, unwrap } from './literals.js';
import { gen, type MappedStatement, Sql } from './mapped.js';

export type FnLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

export interface ModuleShape {
  up?: FnLike;
  down?: FnLike;
  /** `exports.down = false` (node-pg-migrate: down disabled on purpose). */
  downDisabled?: boolean;
  /** The migration class, for class-based tools (TypeORM, MikroORM). */
  cls?: ts.ClassDeclaration | ts.ClassExpression;
  /** Top-level exported values by name (`config`, `shorthands`…). */
  exported: Map<string, ts.Expression>;
}

function isFn(n: ts.Node | undefined): n is FnLike {
  return !!n && (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n));
}

function hasExport(n: ts.Node): boolean {
  return (ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
}

/** `exports.up`, `module.exports.up` → `up`; `module.exports` → `*`. */
function exportTarget(left: ts.Expression): string | undefined {
  const e = unwrap(left);
  if (ts.isPropertyAccessExpression(e)) {
    const base = unwrap(e.expression);
    if (ts.isIdentifier(base) && base.text === 'exports') return e.name.text;
    if (ts.isIdentifier(base) && base.text === 'module' && e.name.text === 'exports') return '*';
    if (ts.isPropertyAccessExpression(base) && ts.isIdentifier(base.expression) && base.expression.text === 'module' && base.name.text === 'exports') return e.name.text;
  }
  return undefined;
}

export function moduleShape(sf: ts.SourceFile): ModuleShape {
  const shape: ModuleShape = { exported: new Map() };
  const localFns = new Map<string, FnLike>();
  const localValues = new Map<string, ts.Expression>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) localFns.set(st.name.text, st);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer) {
          localValues.set(d.name.text, d.initializer);
          const init = unwrap(d.initializer);
          if (isFn(init)) localFns.set(d.name.text, init);
        }
      }
    }
  }
  const fnOf = (e: ts.Expression | undefined): FnLike | undefined => {
    if (!e) return undefined;
    const x = unwrap(e);
    if (isFn(x)) return x;
    if (ts.isIdentifier(x)) return localFns.get(x.text);
    return undefined;
  };
  const set = (name: string, value: ts.Expression | FnLike) => {
    if (name === 'up' || name === 'down') {
      if (name === 'down' && !isFn(value) && unwrap(value as ts.Expression).kind === ts.SyntaxKind.FalseKeyword) {
        shape.downDisabled = true;
        return;
      }
      const fn = isFn(value) ? value : fnOf(value as ts.Expression);
      if (fn) shape[name] = fn;
    } else if (!isFn(value)) shape.exported.set(name, value as ts.Expression);
  };
  const fromObject = (obj: ts.Expression) => {
    const o = unwrap(obj);
    if (ts.isIdentifier(o) && localValues.has(o.text)) return fromObject(localValues.get(o.text)!);
    if (!ts.isObjectLiteralExpression(o)) return;
    for (const p of o.properties) {
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (!name) continue;
      if (ts.isMethodDeclaration(p)) set(name, p);
      else if (ts.isPropertyAssignment(p)) set(name, p.initializer);
      else if (ts.isShorthandPropertyAssignment(p)) set(name, localFns.get(name) ?? localValues.get(name) ?? p.name);
    }
  };
  const fromClass = (c: ts.ClassDeclaration | ts.ClassExpression) => {
    const up = c.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !!m.body && m.name.getText(sf) === 'up');
    if (!up) return;
    shape.cls = c;
    shape.up = up;
    const down = c.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !!m.body && m.name.getText(sf) === 'down');
    if (down) shape.down = down;
  };
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && hasExport(st)) set(st.name.text, st);
    else if (ts.isVariableStatement(st) && hasExport(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) set(d.name.text, d.initializer);
    } else if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression) && st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const target = exportTarget(st.expression.left);
      if (target === '*') {
        const right = unwrap(st.expression.right);
        if (ts.isClassExpression(right)) fromClass(right);
        else fromObject(right);
      } else if (target) set(target, st.expression.right);
    } else if (ts.isExportAssignment(st)) {
      const e = unwrap(st.expression);
      if (ts.isClassExpression(e)) fromClass(e);
      else if (ts.isIdentifier(e) && localValues.has(e.text) && ts.isClassExpression(unwrap(localValues.get(e.text)!))) fromClass(unwrap(localValues.get(e.text)!) as ts.ClassExpression);
      else fromObject(e);
    } else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      // `export { up, down }`
      for (const el of st.exportClause.elements) {
        const local = (el.propertyName ?? el.name).text;
        const value = localFns.get(local) ?? localValues.get(local);
        if (value) set(el.name.text, value);
      }
    }
  }
  if (!shape.up) {
    // Class-based migrations: the first class with an `up` method (exported or default-exported).
    for (const st of sf.statements) {
      if (ts.isClassDeclaration(st)) {
        fromClass(st);
        if (shape.up) break;
      }
    }
  }
  return shape;
}

/** The names of a function's parameters (destructured ones give their bound names). */
export function paramNames(fn: FnLike): string[] {
  const out: string[] = [];
  for (const p of fn.parameters) {
    if (ts.isIdentifier(p.name)) out.push(p.name.text);
    else out.push('');
  }
  return out;
}

/** The identifier (or `this`) at the root of a chain `a.b(…).c`. */
export function rootOf(expr: ts.Expression): string | undefined {
  let e: ts.Expression = unwrap(expr);
  for (;;) {
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = unwrap(e.expression);
    else if (ts.isCallExpression(e)) e = unwrap(e.expression);
    else if (ts.isTaggedTemplateExpression(e)) e = unwrap(e.tag);
    else break;
  }
  if (ts.isIdentifier(e)) return e.text;
  if (e.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  return undefined;
}

/** `a.b.c(…)` → the method name `c`. */
export function methodName(call: ts.CallExpression): string | undefined {
  const callee = unwrap(call.expression);
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isIdentifier(callee)) return callee.text;
  return undefined;
}

/** The object a method is called on: `a.b.c(…)` → `a.b`. */
export function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  const callee = unwrap(call.expression);
  return ts.isPropertyAccessExpression(callee) ? unwrap(callee.expression) : undefined;
}

/** Source text of an expression with whitespace collapsed, for comparisons like `knex.schema`. */
export function textOf(e: ts.Node, sf: ts.SourceFile): string {
  return e.getText(sf).replace(/\s+/g, '');
}

/**
 * A chain of calls `x.a(1).b(2).c()` as links in call order, each with its call node and its name node.
 * The chain starts at the first call on a non-call expression.
 */
export interface Link {
  name: string;
  call: ts.CallExpression;
  nameNode: ts.Node;
  args: readonly ts.Expression[];
}

export function chainOf(call: ts.CallExpression): { base: ts.Expression; links: Link[] } {
  const links: Link[] = [];
  let cur: ts.Expression = call;
  for (;;) {
    const c = unwrap(cur);
    if (ts.isCallExpression(c) && ts.isPropertyAccessExpression(unwrap(c.expression))) {
      const pa = unwrap(c.expression) as ts.PropertyAccessExpression;
      links.unshift({ name: pa.name.text, call: c, nameNode: pa.name, args: c.arguments });
      cur = pa.expression;
    } else {
      return { base: c, links };
    }
  }
}

export interface Note {
  node: ts.Node;
  id: 'unresolved-sql' | 'unsupported-migration-call';
  message: string;
}

/** What a translator can do while the walk is at a call. */
export class CallContext {
  readonly statements: MappedStatement[] = [];
  readonly notes: Note[] = [];
  /** Identifiers the tool's calls are rooted at (`queryRunner`, `knex`, `trx`, `pgm`, `db`…). */
  readonly receivers = new Set<string>();
  /** Free-form facts a tool collects on the way (`pgm.noTransaction()` seen, …). */
  readonly facts = new Set<string>();
  /** Suppression comments waiting for the next statement. */
  private pendingComments: Sql[] = [];
  /** Calls the tool recognised, for "nothing understood" diagnostics. */
  recognised = 0;

  constructor(
    readonly sf: ts.SourceFile,
    readonly source: SourceFile,
    readonly consts: Consts,
  ) {}

  start(node: ts.Node): number {
    return node.getStart(this.sf);
  }

  gen(node: ts.Node) {
    return gen(node.getStart(this.sf));
  }

  /** Adds a statement built from `node` (a call): the terminating `;` maps to the end of the node. */
  emit(sql: Sql, node: ts.Node): void {
    this.statements.push({ sql: this.withComments(sql), end: node.end });
  }

  /** Adds SQL copied from a literal: the terminating `;` maps to the end of the literal. */
  emitVerbatim(sql: Sql, node: ts.Node): void {
    if (sql.text.trim() === '') return;
    // A trailing `;` is the statement's own terminator: the script adds one.
    const m = /;\s*$/.exec(sql.text);
    const body = m && !/--[^\n]*$/.test(sql.text.slice(0, m.index)) ? new Sql(sql.text.slice(0, m.index), sql.offsets.slice(0, m.index), sql.end) : sql;
    this.statements.push({ sql: this.withComments(body), end: sql.end ?? node.end });
  }

  queueComment(comment: Sql): void {
    this.pendingComments.push(comment);
  }

  /** Suppression comments written above the TypeScript statement go before its first SQL statement. */
  private withComments(sql: Sql): Sql {
    if (this.pendingComments.length === 0) return sql;
    const out = Sql.concat([...this.pendingComments, sql]);
    this.pendingComments = [];
    return new Sql(out.text, out.offsets, sql.end);
  }

  unresolved(node: ts.Node, what: string): void {
    this.notes.push({ node, id: 'unresolved-sql', message: what });
  }

  unsupported(node: ts.Node, what: string): void {
    this.notes.push({ node, id: 'unsupported-migration-call', message: what });
  }

  /** A string argument that must be constant: its SQL, or a note and undefined. */
  str(expr: ts.Expression | undefined, call: ts.Node, what: string): Sql | undefined {
    if (!expr) return undefined;
    const r = this.consts.strOrHole(expr);
    if (r && 'sql' in r) return r.sql;
    this.unresolved(r?.hole ?? expr, `${what} is not a constant (\`${shorten((r?.hole ?? expr).getText(this.sf))}\`), so the statement of \`${shorten(call.getText(this.sf))}\` was not checked`);
    return undefined;
  }
}

export function shorten(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface Translator {
  /**
   * Translates a call (or tagged template) the walk reached. Returns true when the node is consumed
   * (its statements emitted, or deliberately nothing); false to let the walk look inside it.
   */
  call(node: ts.CallExpression | ts.TaggedTemplateExpression, cx: CallContext): boolean;
  /** Called when the walk enters a function passed as an argument (a transaction callback…). */
  enterCallback?(fn: FnLike, call: ts.CallExpression, cx: CallContext): (() => void) | void;
}

/** Walks a function body in source order, feeding calls to the translator. */
export function walkFunction(fn: FnLike, tr: Translator, cx: CallContext): void {
  const body = fn.body;
  if (!body) return;
  const seenComments = new Set<number>();
  const commentsBefore = (stmt: ts.Node) => {
    const ranges = ts.getLeadingCommentRanges(cx.sf.text, stmt.pos) ?? [];
    for (const r of ranges) {
      if (seenComments.has(r.pos)) continue;
      seenComments.add(r.pos);
      const raw = cx.sf.text.slice(r.pos, r.end);
      if (!/(plumbline|squawk)-ignore/.test(raw)) continue;
      const bodyText = (r.kind === ts.SyntaxKind.SingleLineCommentTrivia ? raw.slice(2) : raw.slice(2, -2)).replace(/\s*\n\s*\*?\s*/g, ' ').trim();
      cx.queueComment(new Sql(`-- ${bodyText}\n`, new Array(bodyText.length + 4).fill(r.pos), r.end));
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCatchClause(node)) return;
    if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) return;
    if (ts.isStatement(node) || ts.isPropertyAssignment(node)) commentsBefore(node);
    if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) {
      if (tr.call(node, cx)) return;
      if (ts.isCallExpression(node) && tr.enterCallback) {
        // Callbacks among the arguments (transaction bodies): the tool may track them.
        visit(node.expression);
        for (const a of node.arguments) {
          const fnArg = unwrap(a);
          if (ts.isArrowFunction(fnArg) || ts.isFunctionExpression(fnArg)) {
            const leave = tr.enterCallback(fnArg, node, cx);
            visit(fnArg);
            if (leave) leave();
          } else visit(a);
        }
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  if (ts.isBlock(body)) for (const st of body.statements) visit(st);
  else visit(body);
}

/** True when a function body has statements (an empty `down() {}` is a real, empty down). */
export function hasBody(fn: FnLike): boolean {
  const body = fn.body;
  if (!body) return false;
  return ts.isBlock(body) ? body.statements.length > 0 : true;
}

/**
 * Notes as notifications: `path` is the file, the message names each line. Notifications are reported
 * once per file and id, so the notes of one file with the same id are joined into one.
 */
export function noteNotifications(notes: Note[], cx: CallContext): Notification[] {
  const byId = new Map<Note['id'], string[]>();
  for (const n of notes) {
    const pos = cx.source.position(n.node.getStart(cx.sf));
    const list = byId.get(n.id) ?? [];
    list.push(`${cx.source.relPath}:${pos.line}:${pos.column}: ${n.message}.`);
    byId.set(n.id, list);
  }
  return [...byId].map(([id, messages]) => ({ id, level: 'note' as const, path: cx.source.relPath, message: messages.join(' ') }));
}
