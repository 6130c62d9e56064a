/**
 * Migrations that run SQL through a `sql` tagged template: postgres.js runners (`export async function
 * up(sql) { await sql\`…\` }`, as ley and hand-written runners do) and @slonik/migrator (`export const up
 * = async ({ context: { connection, sql } }) => { await connection.query(sql\`…\`) }`).
 *
 * The template text is copied as written. Holes: `sql('name')` (postgres.js) and `sql.identifier([...])`
 * (slonik) become identifiers, `sql.unsafe('…')`/`sql.raw('…')` their text, nested `sql` fragments
 * their SQL, and any other value a `$n` parameter (that is what the driver sends). A hole that builds
 * SQL text Plumbline cannot know (`sql.join`, a function call) skips the statement with a note.
 *
 * Order: natural file-name order. Transactions: @slonik/migrator hands each migration a transaction
 * connection (`context.connection`), so slonik migrations are wrapped; a postgres.js migration runs
 * without one unless it calls `sql.begin(async (sql) => …)`, which becomes BEGIN/COMMIT around it.
 */
import { ts } from 'ts-morph';
import { type CallContext, type FnLike, methodName, receiverOf, rootOf } from '../extract.js';
import { asStrings, unwrap } from '../literals.js';
import { ident, Sql } from '../mapped.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { naturalCompare } from '../../frameworks/common.js';
import { constantSql, type HoleReader, taggedSql, verbatim } from './shared.js';

const RUN = new Set(['query', 'any', 'anyFirst', 'many', 'manyFirst', 'one', 'oneFirst', 'maybeOne', 'maybeOneFirst', 'exists', 'unsafe']);

/** Names bound by the parameters of `up`, destructured ones included (`{ context: { connection, sql } }`). */
function boundNames(fn: FnLike): string[] {
  const out: string[] = [];
  const visit = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) out.push(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) visit(el.name);
  };
  for (const p of fn.parameters) visit(p.name);
  return out;
}

function isSlonik(file: ToolFile): boolean {
  return /['"]slonik['"]|['"]@slonik\/migrator['"]|\bcontext\s*:\s*\{/.test(file.sf.text);
}

class TemplateTranslator {
  readonly tags = new Set<string>(['sql']);

  constructor(
    private readonly cx: CallContext,
    private readonly wrapped: boolean,
  ) {}

  isTag(e: ts.Expression): boolean {
    const x = unwrap(e);
    if (ts.isIdentifier(x)) return this.tags.has(x.text);
    // `sql.unsafe\`…\``, `sql.fragment\`…\``, `sql.typeAlias('void')\`…\``
    if (ts.isPropertyAccessExpression(x)) return this.isTag(x.expression);
    if (ts.isCallExpression(x)) return this.isTag(x.expression);
    return false;
  }

  readonly hole: HoleReader = (hole, cx) => {
    const e = unwrap(hole);
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      // postgres.js `sql('orders')` / `sql(['a', 'b'])`: identifiers.
      if (ts.isIdentifier(callee) && this.tags.has(callee.text)) {
        const list = asStrings(cx.consts.value(e.arguments[0]));
        return list ? Sql.join(list.map((s) => ident(s)), ', ', cx.start(e)) : undefined;
      }
      if (ts.isPropertyAccessExpression(callee) && this.isTag(callee.expression)) {
        const m = callee.name.text;
        if (m === 'identifier') {
          const parts = asStrings(cx.consts.value(e.arguments[0]));
          return parts ? Sql.join(parts.map((s) => ident(s)), '.', cx.start(e)) : undefined;
        }
        if (m === 'unsafe' || m === 'raw') return cx.consts.str(e.arguments[0]);
        if (m === 'literalValue') return constantSql(cx.consts.value(e.arguments[0]), cx);
        return undefined;
      }
    }
    return 'param';
  };

  private runTemplate(t: ts.TaggedTemplateExpression): void {
    this.cx.recognised++;
    const s = taggedSql(t, this.cx, this.hole);
    if (s) this.cx.emitVerbatim(s, t);
  }

  call(node: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
    const cx = this.cx;
    if (ts.isTaggedTemplateExpression(node)) {
      if (!this.isTag(node.tag)) return false;
      // postgres.js runs a template when it is awaited or returned; elsewhere it is a fragment.
      let p: ts.Node = node.parent;
      while (ts.isParenthesizedExpression(p) || ts.isAwaitExpression(p) || ts.isAsExpression(p)) p = p.parent;
      if (ts.isExpressionStatement(p) || ts.isReturnStatement(p) || ts.isArrowFunction(p) || ts.isArrayLiteralExpression(p)) this.runTemplate(node);
      return true;
    }
    const name = methodName(node);
    const recv = receiverOf(node);
    if (!name || !recv) return false;
    // `sql.unsafe('…')` (postgres.js)
    if (this.isTag(recv) && name === 'unsafe') {
      cx.recognised++;
      return verbatim(node.arguments[0], node, cx);
    }
    if (this.isTag(recv) && name === 'file') {
      cx.unsupported(node, '`sql.file(…)` runs SQL from another file, which is not read; check that file as a migration of its own');
      return true;
    }
    const root = rootOf(recv);
    if (!root || !cx.receivers.has(root) || !RUN.has(name)) return false;
    const arg = node.arguments[0] ? unwrap(node.arguments[0]) : undefined;
    if (arg && ts.isTaggedTemplateExpression(arg) && this.isTag(arg.tag)) {
      this.runTemplate(arg);
      return true;
    }
    if (arg && (ts.isStringLiteralLike(arg) || ts.isTemplateExpression(arg) || ts.isBinaryExpression(arg) || ts.isIdentifier(arg))) {
      cx.recognised++;
      return verbatim(arg, node, cx);
    }
    return false;
  }

  enterCallback(cb: FnLike, call: ts.CallExpression): (() => void) | void {
    const cx = this.cx;
    const name = methodName(call);
    const recv = receiverOf(call);
    if (!recv || (name !== 'begin' && name !== 'transaction')) return undefined;
    if (!this.isTag(recv) && !(rootOf(recv) && cx.receivers.has(rootOf(recv)!))) return undefined;
    const added = boundNames(cb).filter((n) => !cx.receivers.has(n));
    for (const n of added) {
      cx.receivers.add(n);
      this.tags.add(n);
    }
    // A nested transaction inside the one the runner opened is a savepoint: only an outermost one counts.
    const own = !this.wrapped;
    if (own) cx.emit(cx.gen(call)`BEGIN`, call.expression);
    return () => {
      for (const n of added) cx.receivers.delete(n);
      if (own) cx.emit(Sql.at('COMMIT', call.end - 1), call);
    };
  }
}

export const sqlTemplateTool: ToolSpec = {
  id: 'sql-template',
  name: 'sql template migrations',
  detectedBy: 'migration files that run sql`…` templates (postgres.js, slonik)',
  matches: (text) => /\bsql(?:\s*\.\s*(?:unsafe|fragment|typeAlias\([^)]*\)))?\s*`|\bsql\s*\.\s*unsafe\s*\(/.test(text),
  confirm: (file) => {
    const up = file.shape.up;
    if (!up || file.shape.cls) return false;
    return /\bsql(?:\s*\.\s*(?:unsafe|fragment|typeAlias\([^)]*\)))?\s*`|\bsql\s*\.\s*unsafe\s*\(/.test(up.getText(file.sf));
  },
  translator(file, fn, cx) {
    for (const n of boundNames(fn)) cx.receivers.add(n);
    const tr = new TemplateTranslator(cx, isSlonik(file));
    for (const n of boundNames(fn)) if (n === 'sql') tr.tags.add(n);
    return { call: (node) => tr.call(node), enterCallback: (cb, call) => tr.enterCallback(cb, call) };
  },
  transaction(file) {
    if (isSlonik(file)) return { wrapped: true, reason: '@slonik/migrator runs each migration with a transaction connection (`context.connection`)' };
    return { wrapped: false, reason: 'a postgres.js migration runs without a transaction unless it calls `sql.begin(…)`' };
  },
  version: (file) => /^([\d._T-]*\d)/.exec(file.stem)?.[1] ?? file.stem,
  compare: (a, b) => naturalCompare(a.stem, b.stem),
};

