import { ts } from 'ts-morph';
import { defineRule, type CodeContext } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import type { Effect } from '../../src/code/effects.js';
import type { CodeFile } from '../../src/code/project.js';
import { hasModifier, isFunctionLike, propertyName, skipOuter, type FnNode } from '../../src/code/resolve.js';
import { sqlShape, sqlTextOf, type SqlHole } from '../../src/code/sql.js';
import { apiText, constInitializer } from '../../src/code/catalogue/helpers.js';

/**
 * Taint: whether a value spliced into SQL text can carry input. Sources are function parameters (a
 * handler's `req`, `ctx`, `c`, `request`, tRPC `input`, a consumer's message, a repository method's
 * arguments) unless their type says number, boolean or a union of literals. Sanitizers: number
 * conversions, identifier/literal escaping, allow-list lookups in constant objects, guards against an
 * allow-list earlier in the function. Anything the analysis cannot follow is treated as safe: the rule
 * prefers silence to a guess.
 */

const NUMBER_FUNCTIONS = new Set(['Number', 'parseInt', 'parseFloat', 'Boolean', 'BigInt', 'isNaN', 'isFinite']);
/** Escaping helpers (pg `escapeIdentifier`/`escapeLiteral`, pg-format `ident`/`literal`, mysql `escape`/`escapeId`, `quote_ident`). */
const SANITIZERS = /^(?:escape(?:Identifier|Literal|Id|String)?|quote_?(?:ident|literal|identifier)|quoteIdent(?:ifier)?|quoteLiteral|ident|literal|sanitize\w*)$/i;
/** Methods whose result is a number or a boolean, or a string shape that cannot hold a quote. */
const SAFE_METHODS = new Set([
  'indexOf', 'lastIndexOf', 'findIndex', 'findLastIndex', 'includes', 'startsWith', 'endsWith', 'test', 'some', 'every', 'has',
  'getTime', 'valueOf', 'toFixed', 'toPrecision', 'toISOString', 'toJSON', 'getFullYear', 'getMonth', 'getDate', 'getHours', 'charCodeAt',
  'localeCompare', 'search', 'isInteger', 'isFinite', 'isSafeInteger',
]);
/** Hand-written cleaning (`replace(/[^a-z_]/g, '')`, `replaceAll("'", "''")`): cannot be judged, so trusted. */
const CLEANING_METHODS = new Set(['replace', 'replaceAll']);
/** zod pieces whose output cannot carry SQL: numbers, booleans, dates, enums, literals, formats without quotes. */
const ZOD_SAFE = /^z\s*\.\s*(?:coerce\s*\.\s*)?(?:number|boolean|bigint|date|enum|nativeEnum|literal)\b|\.\s*(?:uuid|cuid2?|ulid|int|datetime|regex)\s*\(/;
/** class-validator decorators that restrict a DTO field to a safe shape. */
const SAFE_DECORATORS = /^(?:IsIn|IsEnum|IsInt|IsNumber|IsNumberString|IsPositive|IsNegative|Min|Max|IsUUID|IsBoolean|IsBooleanString|IsDate|IsDateString|IsISO8601|Matches|IsAlphanumeric|IsAlpha)$/;
const MAX_DEPTH = 12;

interface Taint {
  /** What the value derives from, as written: `req.query.sort`, `input.status`, `status`. */
  source: string;
  /** The source text is still the access path from the parameter (so an outer access can extend it). */
  atRoot: boolean;
  /** The source is a parameter of this function (for the message). */
  parameterOf?: string;
}

export default defineRule({
  id: 'no-sql-injection',
  family: 'code',
  meta: {
    description: 'SQL text is built by `${…}` interpolation or `+` concatenation of a value that comes from input (a request, a message, a function argument), instead of a bound parameter.',
    rationale:
      'Spliced text is executed as SQL: a value such as `\' OR 1=1 --` or `1; DROP TABLE orders` changes the statement instead of being compared as data, so a caller can read other customers\' rows, rewrite data or take over the database role.',
    remedy: 'Pass values as bound parameters (`$1` with a parameters array, `?` bindings, a tagged `sql`/`Prisma.sql` template). For identifiers (a sort column, a direction) choose from a constant allow-list or quote with `escapeIdentifier`/`format(\'%I\')`.',
    severity: 'error',
    precision: 'high',
    tags: ['security', 'sql'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    const judge = (query: Query): void => {
      for (const hole of query.facts.sql?.text.holes ?? []) {
        if (hole.kind === 'parameter' || reported.has(hole.node)) continue;
        const taint = new Taints(analysis).of(hole.node);
        if (!taint) continue;
        reported.add(hole.node);
        report(ctx, query, hole, taint);
      }
    };
    for (const { fn } of analysis.functions()) {
      for (const effect of analysis.summary(fn).effects) {
        if (effect.via.length > 0) continue;
        if (effect.facts.sql) judge(effect);
        else {
          const raw = rawArgument(effect, analysis);
          if (raw) judge(raw);
        }
      }
    }
    for (const query of unresolvedRawQueries(analysis)) judge(query);
  },
});

type Query = Pick<Effect, 'facts' | 'node' | 'file'>;

/** Names that only Prisma's client has: a call to them runs raw SQL even when the client cannot be resolved (`ctx.prisma` in tRPC). */
const PRISMA_UNSAFE = new Set(['$queryRawUnsafe', '$executeRawUnsafe']);

function unresolvedRawQueries(analysis: CodeAnalysis): Query[] {
  const out: Query[] = [];
  for (const file of analysis.targets()) {
    if (!file.source.text.includes('RawUnsafe')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && PRISMA_UNSAFE.has(n.expression.name.text) && n.arguments[0] && !analysis.catalogue.classify(n, file)) {
        const text = sqlTextOf(n.arguments[0], (id) => constInitializer({ resolver: analysis.resolver }, id));
        if (text) out.push({ facts: { kind: 'db.query', lib: 'prisma', api: apiText(n), sql: { text, shape: sqlShape(text.text) } }, node: n, file });
      }
      n.forEachChild(visit);
    };
    file.ast.forEachChild(visit);
  }
  return out;
}

/**
 * A query whose SQL the catalogue could not read because it is wrapped in a raw-text helper:
 * `db.execute(sql.raw(\`…\`))` (Drizzle), `query(raw(\`…\`))`. The text inside `raw(…)` is spliced as is.
 */
function rawArgument(effect: Effect, analysis: CodeAnalysis): Query | undefined {
  if (!effect.facts.kind.startsWith('db.') || ts.isTaggedTemplateExpression(effect.node)) return undefined;
  const first = effect.node.arguments?.[0] && skipOuter(effect.node.arguments[0]);
  if (!first || !ts.isCallExpression(first) || !first.arguments[0]) return undefined;
  const callee = skipOuter(first.expression);
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
  if (name !== 'raw' && name !== 'unsafe') return undefined;
  const text = sqlTextOf(first.arguments[0], (id) => constInitializer({ resolver: analysis.resolver }, id));
  return text ? { facts: { ...effect.facts, sql: { text, shape: sqlShape(text.text) } }, node: effect.node, file: effect.file } : undefined;
}

function report(ctx: CodeContext, effect: Query, hole: SqlHole, taint: Taint): void {
  const file = ctx.analysis.resolver.fileOf(hole.node);
  const text = short(hole.node.getText());
  const how = hole.kind === 'concatenation' ? 'concatenated into' : 'interpolated into';
  const from =
    taint.source !== text
      ? ` and comes from \`${taint.source}\``
      : taint.parameterOf
        ? `, ${taint.parameterOf} (its type does not restrict it to numbers or fixed values)`
        : '';
  const identifier = isIdentifierPosition(effect, hole);
  ctx.report({
    node: hole.node,
    file,
    message: `\`${text}\` is ${how} the SQL text run by \`${effect.facts.api}\`${from}: it is executed as SQL, not passed as a value.`,
    why: 'Whatever the value contains becomes part of the statement: a quote or a semicolon in it rewrites the query (SQL injection), exposing or changing data the caller must not reach. Escaping by hand misses cases; only bound parameters keep data and SQL apart.',
    remedy: identifier
      ? 'This spot takes an identifier (a column, a table, a sort order), which cannot be a bound parameter: map the input through a constant allow-list (`SORT_COLUMNS[input] ?? \'created_at\'`) or quote it with `escapeIdentifier`/`format(\'%I\', …)`.'
      : 'Put a placeholder in the text (`$1`, `?`, or a tagged `sql`/`Prisma.sql` template) and pass the value in the parameters; build `IN` lists with `= ANY($1)` and an array parameter.',
    related: [{ node: effect.node, file: effect.file, message: `the query (\`${effect.facts.api}\`)` }],
    properties: { api: effect.facts.api, source: taint.source },
  });
}

/** The hole stands where SQL expects a name: after FROM/JOIN/ORDER BY/GROUP BY/INTO/UPDATE/a dot, or as `__holeN`. */
function isIdentifierPosition(e: Query, hole: SqlHole): boolean {
  if (hole.placeholder.startsWith('__hole')) return true;
  const before = e.facts.sql?.text.text.slice(Math.max(0, hole.start - 40), hole.start) ?? '';
  return /(?:\bFROM|\bJOIN|\bORDER\s+BY|\bGROUP\s+BY|\bINTO|\bUPDATE|\bTABLE|\.|,)\s*"?$/i.test(before) && !/=\s*$/.test(before);
}

function short(t: string): string {
  const s = t.replace(/\s+/g, ' ');
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

class Taints {
  private depth = 0;
  private readonly visiting = new Set<ts.Node>();
  /** Parameters bound to the taint of an argument, while looking into a called function. */
  private readonly bound = new Map<ts.ParameterDeclaration, Taint | undefined>();

  constructor(private readonly analysis: CodeAnalysis) {}

  of(expr: ts.Expression): Taint | undefined {
    if (this.depth > MAX_DEPTH || this.visiting.has(expr)) return undefined;
    this.depth++;
    this.visiting.add(expr);
    try {
      return this.compute(expr);
    } finally {
      this.depth--;
      this.visiting.delete(expr);
    }
  }

  private resolver() {
    return this.analysis.resolver;
  }

  private compute(expr: ts.Expression): Taint | undefined {
    const e = skipOuter(expr);
    if (isLiteral(e)) return undefined;
    if (ts.isTemplateExpression(e)) return this.any(e.templateSpans.map((s) => s.expression));
    // A tagged template (`sql\`…\``, `Prisma.sql\`…\``) is a parameterised fragment.
    if (ts.isTaggedTemplateExpression(e)) return undefined;
    if (ts.isBinaryExpression(e)) return this.binary(e);
    if (ts.isConditionalExpression(e)) {
      const t = guardedBranch(e.condition, e.whenTrue) ? undefined : this.of(e.whenTrue);
      return notRoot(t ?? this.of(e.whenFalse));
    }
    if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e) || ts.isTypeOfExpression(e) || ts.isVoidExpression(e) || ts.isDeleteExpression(e)) return undefined;
    if (ts.isObjectLiteralExpression(e)) {
      return notRoot(this.any(e.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : ts.isShorthandPropertyAssignment(p) ? [p.name] : ts.isSpreadAssignment(p) ? [p.expression] : []))));
    }
    if (ts.isArrayLiteralExpression(e)) return notRoot(this.any(e.elements.filter((x): x is ts.Expression => !ts.isOmittedExpression(x)).map((x) => (ts.isSpreadElement(x) ? x.expression : x))));
    if (ts.isCallExpression(e)) return this.call(e);
    if (ts.isPropertyAccessExpression(e)) return this.property(e);
    if (ts.isElementAccessExpression(e)) return this.element(e);
    if (ts.isIdentifier(e)) return this.identifier(e);
    return undefined;
  }

  private any(list: readonly ts.Expression[]): Taint | undefined {
    for (const x of list) {
      const t = this.of(x);
      if (t) return notRoot(t);
    }
    return undefined;
  }

  private binary(e: ts.BinaryExpression): Taint | undefined {
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken:
      case ts.SyntaxKind.QuestionQuestionToken:
      case ts.SyntaxKind.BarBarToken:
        return this.any([e.left, e.right]);
      case ts.SyntaxKind.AmpersandAmpersandToken:
      case ts.SyntaxKind.CommaToken:
      case ts.SyntaxKind.EqualsToken:
        return notRoot(this.of(e.right));
      default:
        // Arithmetic, comparisons, `in`, `instanceof`: a number or a boolean.
        return undefined;
    }
  }

  private call(e: ts.CallExpression): Taint | undefined {
    const callee = skipOuter(e.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    if (name && ts.isIdentifier(callee) && NUMBER_FUNCTIONS.has(name) && !this.resolver().declarationOf(callee)) return undefined;
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ['Math', 'Number', 'Date'].includes(callee.expression.text) && !this.resolver().declarationOf(callee.expression)) return undefined;
    if (name && SANITIZERS.test(name)) return undefined;
    const value = this.resolver().valueOf(callee);
    // pg-format: `format('… %I … %L', a, b)` quotes; only `%s` splices raw text.
    if (value?.kind === 'ext' && /^pg-format(?:\.default)?(?:\.format)?$/.test(value.path)) {
      const fmt = e.arguments[0] && skipOuter(e.arguments[0]);
      if (fmt && ts.isStringLiteralLike(fmt) && !/%s/.test(fmt.text)) return undefined;
      return this.any(e.arguments.slice(1));
    }
    if (value?.kind === 'ext' && /^pg-format\.(?:ident|literal|string)$/.test(value.path)) return undefined;
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      if (SAFE_METHODS.has(method) || CLEANING_METHODS.has(method)) return undefined;
      // `xs.map((x, i) => …)`: the callback's result, its element parameter carrying the list's taint.
      if (method === 'map' || method === 'flatMap') {
        const cb = e.arguments[0] && skipOuter(e.arguments[0]);
        if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) return notRoot(this.returned(cb));
      }
      // `schema.parse(req.query)` as a whole: the request object after validation.
      const receiver = this.of(callee.expression);
      if (receiver) return receiver.atRoot ? { ...receiver, source: short(e.getText()) } : receiver;
      // A method of an object that is not input (`JSON.stringify(x)`, `Object.keys(body)`): its arguments flow into the result.
      if (value?.kind !== 'fn') return notRoot(this.any(e.arguments));
    }
    if (value?.kind === 'fn') return notRoot(this.throughFunction(value.decl, e.arguments));
    // `String(x)`, `encodeURIComponent(x)`, an unknown helper: the arguments flow into the result.
    return notRoot(this.any(e.arguments));
  }

  /** A call to a function of the repository: what it returns, with its parameters bound to the arguments' taint. */
  private throughFunction(fn: FnNode, args: readonly ts.Expression[]): Taint | undefined {
    const saved: Array<[ts.ParameterDeclaration, Taint | undefined, boolean]> = [];
    fn.parameters.forEach((p, i) => {
      saved.push([p, this.bound.get(p), this.bound.has(p)]);
      this.bound.set(p, p.dotDotDotToken ? this.any(args.slice(i)) : args[i] ? this.of(args[i]) : undefined);
    });
    try {
      return this.returned(fn);
    } finally {
      for (const [p, t, had] of saved) {
        if (had) this.bound.set(p, t);
        else this.bound.delete(p);
      }
    }
  }

  private returned(fn: FnNode): Taint | undefined {
    if (!fn.body) return undefined;
    if (!ts.isBlock(fn.body)) return this.of(fn.body);
    let found: Taint | undefined;
    const visit = (n: ts.Node): void => {
      if (found || (isFunctionLike(n) && n !== fn)) return;
      if (ts.isReturnStatement(n) && n.expression) found = this.of(n.expression);
      n.forEachChild(visit);
    };
    fn.body.forEachChild(visit);
    return found;
  }

  private property(e: ts.PropertyAccessExpression): Taint | undefined {
    const name = e.name.text;
    if (name === 'length' || name === 'size') return undefined;
    const base = skipOuter(e.expression);
    if (base.kind === ts.SyntaxKind.ThisKeyword) return undefined;
    if (ts.isPropertyAccessExpression(base) && ts.isIdentifier(base.expression) && base.expression.text === 'process' && base.name.text === 'env') return undefined;
    if (ts.isIdentifier(base)) {
      const decl = this.declOf(base);
      // `OrderStatus.Paid`, `Prisma.ModelName.Order`, a class constant.
      if (decl && (ts.isEnumDeclaration(decl) || ts.isClassDeclaration(decl) || ts.isModuleDeclaration(decl))) return undefined;
      // `TABLES.orders`: a property of a constant object.
      const obj = decl && constObject(decl);
      if (obj) {
        const v = memberOf(obj, name);
        return v ? this.of(v) : undefined;
      }
      if (decl && this.typedSafeMember(decl, name)) return undefined;
    }
    // `schema.parse(req.query).limit`, tRPC `input.limit`
    if (ts.isCallExpression(base) && zodField(base, name, this.analysis) === 'safe') return undefined;
    if (ts.isIdentifier(base)) {
      const decl = this.resolver().declarationOf(base);
      if (decl && trpcInputField(decl, name, this.analysis) === 'safe') return undefined;
    }
    if (this.guarded(e)) return undefined;
    const t = this.of(base);
    if (!t) return undefined;
    return t.atRoot ? { ...t, source: short(e.getText()) } : t;
  }

  private element(e: ts.ElementAccessExpression): Taint | undefined {
    const base = skipOuter(e.expression);
    // `SORT_COLUMNS[req.query.sort]`: whatever the key, the value is one of the constants.
    if (ts.isIdentifier(base)) {
      const decl = this.declOf(base);
      const lit = decl && constLiteralCollection(decl);
      if (lit) return this.any(lit);
    }
    if (this.guarded(e)) return undefined;
    const t = this.of(base);
    if (!t) return undefined;
    return t.atRoot ? { ...t, source: short(e.getText()) } : t;
  }

  private identifier(id: ts.Identifier): Taint | undefined {
    if (id.text === 'undefined' || id.text === 'NaN' || id.text === 'Infinity') return undefined;
    const decl = this.declOf(id);
    if (!decl) return undefined;
    if (this.guarded(id)) return undefined;
    if (ts.isParameter(decl)) return this.parameter(decl, id);
    if (ts.isVariableDeclaration(decl)) return this.variable(decl, id);
    if (ts.isBindingElement(decl)) return this.binding(decl, id);
    // Functions, classes, enums, imports of libraries: not data.
    return undefined;
  }

  private parameter(p: ts.ParameterDeclaration, use: ts.Identifier): Taint | undefined {
    if (this.bound.has(p)) return this.bound.get(p);
    if (p.type && this.safeType(p.type)) return undefined;
    // `offset = 0`: the type is inferred from the default.
    if (!p.type && p.initializer && isNumberOrBoolean(skipOuter(p.initializer))) return undefined;
    const fn = p.parent;
    // The element or index parameter of an array callback: `ids.map((id, i) => …)`.
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isCallExpression(fn.parent) && fn.parent.arguments[0] === fn) {
      const callee = skipOuter(fn.parent.expression);
      if (ts.isPropertyAccessExpression(callee) && /^(?:map|flatMap|forEach|filter|reduce|some|every|find)$/.test(callee.name.text)) {
        const index = fn.parameters.indexOf(p);
        const elementIndex = callee.name.text === 'reduce' ? 1 : 0;
        // The index is a number; a reduce accumulator is not followed.
        if (index !== elementIndex) return undefined;
        return notRoot(this.of(callee.expression));
      }
    }
    return { source: use.text, atRoot: true, parameterOf: functionName(fn) };
  }

  private variable(d: ts.VariableDeclaration, use: ts.Identifier): Taint | undefined {
    if (d.type && this.safeType(d.type)) return undefined;
    const list = d.parent;
    const holder = list.parent;
    // `for (const col of columns)`, `for (const key in req.body)`.
    if (ts.isForOfStatement(holder) || ts.isForInStatement(holder)) return notRoot(this.of(holder.expression));
    const isConst = ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
    const values: ts.Expression[] = [];
    if (d.initializer) values.push(d.initializer);
    const scope = enclosingScope(d);
    const name = (d.name as ts.Identifier).text;
    // `let orderBy = 'created_at'; switch (sort) { case 'total': orderBy = 'total_cents' }`
    if (!isConst) values.push(...assignedValues(scope, name, d, this.analysis));
    // `const where: string[] = []; where.push(\`status = $${params.length}\`)`
    const init = d.initializer && skipOuter(d.initializer);
    if (init && ts.isArrayLiteralExpression(init)) values.push(...pushedValues(scope, name, d, this.analysis));
    return notRoot(this.any(values));
  }

  private binding(b: ts.BindingElement, use: ts.Identifier): Taint | undefined {
    const key = b.propertyName ? (propertyName(b.propertyName as ts.PropertyName) ?? undefined) : ts.isIdentifier(b.name) ? b.name.text : undefined;
    const pattern = b.parent;
    const holder = pattern.parent;
    if (ts.isParameter(holder)) {
      if (holder.type && key && ts.isObjectBindingPattern(pattern)) {
        const member = this.memberType(holder.type, key);
        if (member && this.safeType(member)) return undefined;
      }
      const whole = this.parameter(holder, use);
      return whole ? { source: use.text, atRoot: true, parameterOf: whole.parameterOf } : undefined;
    }
    if (ts.isVariableDeclaration(holder) && holder.initializer) {
      if (holder.type && key && ts.isObjectBindingPattern(pattern)) {
        const member = this.memberType(holder.type, key);
        if (member && this.safeType(member)) return undefined;
      }
      const init = skipOuter(holder.initializer);
      if (key && ts.isObjectBindingPattern(pattern) && ts.isCallExpression(init) && zodField(init, key, this.analysis) === 'safe') return undefined;
      const obj = ts.isIdentifier(init) ? constObject(this.declOf(init)) : ts.isObjectLiteralExpression(init) ? init : undefined;
      if (obj && key) {
        const v = memberOf(obj, key);
        return v ? notRoot(this.of(v)) : undefined;
      }
      const t = this.of(holder.initializer);
      if (!t) return undefined;
      return { source: t.atRoot && key && ts.isObjectBindingPattern(pattern) ? `${t.source}.${key}` : t.source, atRoot: false, parameterOf: t.parameterOf };
    }
    return undefined;
  }

  /** Declaration of an identifier, following imports of repository files to the exported declaration. */
  private declOf(id: ts.Identifier): ts.Node | undefined {
    const decl = this.resolver().declarationOf(id);
    if (decl && ts.isImportSpecifier(decl)) {
      const file = this.resolver().fileOf(decl);
      return exportedDecl(this.analysis, file, moduleOf(decl), (decl.propertyName ?? decl.name).text, 0) ?? decl;
    }
    return decl;
  }

  /** A type name's declaration: an interface or type alias of the file (or an enclosing block), or what an import names. */
  private typeDeclOf(id: ts.Identifier): ts.Node | undefined {
    for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
      if (!ts.isSourceFile(n) && !ts.isBlock(n) && !ts.isModuleBlock(n)) continue;
      for (const st of n.statements) {
        if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isClassDeclaration(st)) && st.name?.text === id.text) return st;
      }
    }
    return this.declOf(id);
  }

  /** An allow-list check on the same expression earlier in its function (`if (!ALLOWED.includes(x)) throw …`). */
  private guarded(e: ts.Expression): boolean {
    const text = e.getText().replace(/\s+/g, '');
    const fn = enclosingFunction(e);
    if (!fn?.body) return false;
    let ok = false;
    const visit = (n: ts.Node): void => {
      if (ok || n.getStart() >= e.getStart()) return;
      if (isFunctionLike(n) && n !== fn) return;
      if (ts.isIfStatement(n)) {
        const cond = n.expression;
        if (rejects(cond, text) && exits(n.thenStatement)) ok = true;
        else if (accepts(cond, text) && isWithin(e, n.thenStatement)) ok = true;
      }
      // `assert(ALLOWED.has(x))`
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && /^(?:assert|invariant|ok)$/.test(n.expression.text) && n.arguments[0] && accepts(n.arguments[0], text)) ok = true;
      n.forEachChild(visit);
    };
    visit(fn.body);
    return ok;
  }

  private safeType(t: ts.TypeNode, depth = 0): boolean {
    if (depth > 6) return false;
    switch (t.kind) {
      case ts.SyntaxKind.NumberKeyword:
      case ts.SyntaxKind.BooleanKeyword:
      case ts.SyntaxKind.BigIntKeyword:
      case ts.SyntaxKind.UndefinedKeyword:
      case ts.SyntaxKind.NullKeyword:
      case ts.SyntaxKind.VoidKeyword:
      case ts.SyntaxKind.NeverKeyword:
        return true;
      default:
        break;
    }
    if (ts.isLiteralTypeNode(t)) return true;
    if (ts.isParenthesizedTypeNode(t)) return this.safeType(t.type, depth + 1);
    // `number[]`, `readonly number[]`, `Array<number>`: joined, still only digits.
    if (ts.isArrayTypeNode(t)) return this.safeType(t.elementType, depth + 1);
    if (ts.isTypeOperatorNode(t) && t.operator === ts.SyntaxKind.ReadonlyKeyword) return this.safeType(t.type, depth + 1);
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && /^(?:Readonly)?Array$/.test(t.typeName.text) && t.typeArguments?.length === 1) return this.safeType(t.typeArguments[0], depth + 1);
    if (ts.isUnionTypeNode(t)) return t.types.every((x) => this.safeType(x, depth + 1));
    // `keyof typeof SORT_COLUMNS`
    if (ts.isTypeOperatorNode(t) && t.operator === ts.SyntaxKind.KeyOfKeyword) return true;
    if (ts.isTypeReferenceNode(t)) {
      if (ts.isIdentifier(t.typeName) && t.typeName.text === 'Date') return true;
      const root = ts.isIdentifier(t.typeName) ? t.typeName : leftmost(t.typeName);
      const decl = this.typeDeclOf(root);
      if (!decl) return false;
      if (ts.isEnumDeclaration(decl)) return true;
      if (ts.isTypeAliasDeclaration(decl)) return this.safeType(decl.type, depth + 1);
    }
    return false;
  }

  /** The declared type of `name` in an object type: a type literal, a local interface, class (DTO) or alias. */
  private memberType(t: ts.TypeNode, name: string, depth = 0): ts.TypeNode | undefined {
    if (depth > 4) return undefined;
    if (ts.isTypeLiteralNode(t)) return memberTypeIn(t.members, name);
    if (ts.isTypeReferenceNode(t)) {
      const root = ts.isIdentifier(t.typeName) ? t.typeName : leftmost(t.typeName);
      const decl = this.typeDeclOf(root);
      if (!decl) return undefined;
      if (ts.isInterfaceDeclaration(decl)) return memberTypeIn(decl.members, name);
      if (ts.isTypeAliasDeclaration(decl)) return this.memberType(decl.type, name, depth + 1);
      if (ts.isClassDeclaration(decl)) {
        for (const m of decl.members) {
          if (!ts.isPropertyDeclaration(m) || !m.name || propertyName(m.name) !== name) continue;
          const decorated = (ts.getDecorators(m) ?? []).some((d) => {
            const x = d.expression;
            const n = ts.isCallExpression(x) && ts.isIdentifier(x.expression) ? x.expression.text : undefined;
            return n !== undefined && SAFE_DECORATORS.test(n);
          });
          if (decorated) return ts.factory.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
          return m.type;
        }
      }
    }
    return undefined;
  }

  /** `filters.status` where `filters: OrderFilters` declares `status: 'open' | 'paid'`. */
  private typedSafeMember(decl: ts.Node, name: string): boolean {
    const type = ts.isParameter(decl) || ts.isVariableDeclaration(decl) ? decl.type : undefined;
    if (!type) return false;
    const member = this.memberType(type, name);
    return member !== undefined && this.safeType(member);
  }
}

function notRoot(t: Taint | undefined): Taint | undefined {
  return t && t.atRoot ? { ...t, atRoot: false } : t;
}

/** "a parameter of `listOrders`", "a parameter of the `.query()` callback". */
function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name) return `a parameter of \`${fn.name.getText()}\``;
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return `a parameter of \`${p.name.text}\``;
  if (p && ts.isPropertyAssignment(p)) return `a parameter of \`${p.name.getText()}\``;
  if (p && ts.isCallExpression(p)) {
    const callee = skipOuter(p.expression);
    const name = ts.isPropertyAccessExpression(callee) ? `.${callee.name.text}()` : ts.isIdentifier(callee) ? `${callee.text}()` : undefined;
    return name ? `a parameter of the \`${name}\` callback` : undefined;
  }
  return undefined;
}

function isNumberOrBoolean(e: ts.Expression): boolean {
  return ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand));
}

function isLiteral(e: ts.Expression): boolean {
  return (
    ts.isStringLiteralLike(e) ||
    ts.isNumericLiteral(e) ||
    ts.isBigIntLiteral(e) ||
    ts.isRegularExpressionLiteral(e) ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    ts.isArrowFunction(e) ||
    ts.isFunctionExpression(e) ||
    ts.isNewExpression(e)
  );
}

/** `ALLOWED.includes(x) ? x : 'created_at'`, `dir === 'desc' ? dir : 'asc'`: the branch is the checked value. */
function guardedBranch(cond: ts.Expression, branch: ts.Expression): boolean {
  return accepts(cond, skipOuter(branch).getText().replace(/\s+/g, ''));
}

/** The condition holds only for allowed values of `text`. */
function accepts(cond: ts.Expression, text: string): boolean {
  const c = skipOuter(cond);
  if (ts.isBinaryExpression(c) && c.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) return accepts(c.left, text) || accepts(c.right, text);
  if (ts.isCallExpression(c) && ts.isPropertyAccessExpression(c.expression)) {
    const m = c.expression.name.text;
    const arg = c.arguments[0] && c.arguments[0].getText().replace(/\s+/g, '');
    if ((m === 'includes' || m === 'has') && arg === text) return true;
    // `/^[a-z_]+$/.test(x)`, `Number.isInteger(x)`, `isUUID(x)`
    if (m === 'test' && ts.isRegularExpressionLiteral(skipOuter(c.expression.expression)) && arg === text) return true;
    if (/^is(?:Integer|SafeInteger|Finite)$/.test(m) && arg === text) return true;
  }
  if (ts.isCallExpression(c) && ts.isIdentifier(c.expression) && /^is(?:UUID|Uuid|Int|Integer|Numeric|ValidColumn|AllowedColumn|SortColumn)\w*$/.test(c.expression.text)) {
    return c.arguments[0]?.getText().replace(/\s+/g, '') === text;
  }
  if (ts.isBinaryExpression(c)) {
    const op = c.operatorToken.kind;
    const l = c.left.getText().replace(/\s+/g, '');
    const r = skipOuter(c.right);
    if ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) && l === text && ts.isStringLiteralLike(r)) return true;
    if (op === ts.SyntaxKind.InKeyword && l === text) return true;
    // `typeof x === 'number'`
    if ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) && ts.isTypeOfExpression(skipOuter(c.left)) && (skipOuter(c.left) as ts.TypeOfExpression).expression.getText().replace(/\s+/g, '') === text && ts.isStringLiteralLike(r) && /^(?:number|boolean|bigint)$/.test(r.text)) return true;
  }
  return false;
}

/** The condition holds for disallowed values of `text` (the negation of `accepts`). */
function rejects(cond: ts.Expression, text: string): boolean {
  const c = skipOuter(cond);
  if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) return accepts(c.operand, text);
  if (ts.isBinaryExpression(c) && c.operatorToken.kind === ts.SyntaxKind.BarBarToken) return rejects(c.left, text) || rejects(c.right, text);
  if (ts.isBinaryExpression(c)) {
    const op = c.operatorToken.kind;
    const l = skipOuter(c.left);
    const r = skipOuter(c.right);
    // `ALLOWED.indexOf(x) === -1`, `< 0`
    if (ts.isCallExpression(l) && ts.isPropertyAccessExpression(l.expression) && l.expression.name.text === 'indexOf' && l.arguments[0]?.getText().replace(/\s+/g, '') === text) {
      if (op === ts.SyntaxKind.LessThanToken || ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) && r.getText() === '-1')) return true;
    }
    // `typeof x !== 'number'`
    if ((op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) && ts.isTypeOfExpression(l) && l.expression.getText().replace(/\s+/g, '') === text && ts.isStringLiteralLike(r) && /^(?:number|boolean|bigint)$/.test(r.text)) return true;
  }
  // `Number.isNaN(x)`
  if (ts.isCallExpression(c) && ts.isPropertyAccessExpression(c.expression) && /^isNaN$/.test(c.expression.name.text) && c.arguments[0]?.getText().replace(/\s+/g, '') === text) return true;
  return false;
}

function exits(s: ts.Statement): boolean {
  if (ts.isThrowStatement(s) || ts.isReturnStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some((x) => ts.isThrowStatement(x) || ts.isReturnStatement(x));
  if (ts.isExpressionStatement(s)) return false;
  return false;
}

function isWithin(node: ts.Node, container: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === container) return true;
  return false;
}

function enclosingFunction(n: ts.Node): FnNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

function enclosingScope(n: ts.Node): ts.Node {
  return enclosingFunction(n) ?? n.getSourceFile();
}

/** Values assigned to a variable after its declaration (`x = …`, `x += …`), in its scope. */
function assignedValues(scope: ts.Node, name: string, decl: ts.Node, analysis: CodeAnalysis): ts.Expression[] {
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const left = skipOuter(n.left);
      if (ts.isIdentifier(left) && left.text === name && analysis.resolver.declarationOf(left) === decl) out.push(n.right);
    }
    n.forEachChild(visit);
  };
  visit(scope);
  return out;
}

/** Arguments of `name.push(…)`/`unshift(…)` on an array variable, in its scope. */
function pushedValues(scope: ts.Node, name: string, decl: ts.Node, analysis: CodeAnalysis): ts.Expression[] {
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(?:push|unshift)$/.test(n.expression.name.text)) {
      const recv = skipOuter(n.expression.expression);
      if (ts.isIdentifier(recv) && recv.text === name && analysis.resolver.declarationOf(recv) === decl) out.push(...n.arguments.map((a) => (ts.isSpreadElement(a) ? a.expression : a)));
    }
    n.forEachChild(visit);
  };
  visit(scope);
  return out;
}

/** A `const` bound to an object literal (through `as const`/`satisfies`). */
function constObject(decl: ts.Node | undefined): ts.ObjectLiteralExpression | undefined {
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
  if (!((decl.parent.flags & ts.NodeFlags.Const) !== 0)) return undefined;
  const init = skipOuter(decl.initializer);
  return ts.isObjectLiteralExpression(init) ? init : undefined;
}

/** The values of a constant allow-list: `const SORT = { newest: 'created_at', … }`, `new Map([['a', 'x']])`, `['a', 'b'] as const`. */
function constLiteralCollection(decl: ts.Node): ts.Expression[] | undefined {
  const obj = constObject(decl);
  if (obj) {
    const values: ts.Expression[] = [];
    for (const p of obj.properties) {
      if (ts.isPropertyAssignment(p)) values.push(p.initializer);
      else return undefined;
    }
    return values;
  }
  if (!ts.isVariableDeclaration(decl) || !decl.initializer || (decl.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
  const init = skipOuter(decl.initializer);
  if (ts.isArrayLiteralExpression(init)) return init.elements.filter((x): x is ts.Expression => !ts.isSpreadElement(x) && !ts.isOmittedExpression(x));
  return undefined;
}

function memberOf(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (!p.name || propertyName(p.name) !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function memberTypeIn(members: ts.NodeArray<ts.TypeElement>, name: string): ts.TypeNode | undefined {
  for (const m of members) {
    if (ts.isPropertySignature(m) && m.name && propertyName(m.name) === name) return m.type;
  }
  return undefined;
}

function leftmost(name: ts.EntityName): ts.Identifier {
  let n = name;
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}

/**
 * `schema.parse(x).field` / `const { field } = schema.parse(x)` where `schema = z.object({ field: z.number() … })`:
 * 'safe' when the field's schema only admits numbers, booleans, dates, enums, literals, uuids or a regex.
 */
function zodField(call: ts.CallExpression, field: string, analysis: CodeAnalysis): 'safe' | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !/^(?:parse|parseAsync)$/.test(callee.name.text)) return undefined;
  return zodSchemaField(callee.expression, field, analysis);
}

/**
 * tRPC: `procedure.input(z.object({ status: z.enum([…]) })).query(({ input }) => …)` — `input.status`
 * has been validated by the schema given to `.input()` in the procedure's chain.
 */
function trpcInputField(decl: ts.Node, field: string, analysis: CodeAnalysis): 'safe' | undefined {
  if (!ts.isBindingElement(decl) || !ts.isIdentifier(decl.name) || decl.name.text !== 'input') return undefined;
  const param = decl.parent.parent;
  const fn = param?.parent;
  if (!param || !ts.isParameter(param) || !fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isCallExpression(fn.parent)) return undefined;
  for (let e: ts.Expression = skipOuter(fn.parent.expression); ts.isPropertyAccessExpression(e); ) {
    const recv = skipOuter(e.expression);
    if (ts.isCallExpression(recv) && ts.isPropertyAccessExpression(skipOuter(recv.expression))) {
      const pa = skipOuter(recv.expression) as ts.PropertyAccessExpression;
      if (pa.name.text === 'input' && recv.arguments[0]) return zodSchemaField(recv.arguments[0], field, analysis);
      e = pa;
    } else break;
  }
  return undefined;
}

function zodSchemaField(schemaExpr: ts.Expression, field: string, analysis: CodeAnalysis): 'safe' | undefined {
  let schema: ts.Expression = skipOuter(schemaExpr);
  for (let i = 0; i < 4 && ts.isIdentifier(schema); i++) {
    const decl = analysis.resolver.declarationOf(schema);
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    schema = skipOuter(decl.initializer);
  }
  // `z.object({ … }).strict()` and friends: find the object literal of z.object.
  let obj: ts.ObjectLiteralExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (obj) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'object' && n.arguments[0] && ts.isObjectLiteralExpression(n.arguments[0])) obj = n.arguments[0];
    n.forEachChild(visit);
  };
  visit(schema);
  const piece = obj && memberOf(obj, field);
  return piece && ZOD_SAFE.test(piece.getText()) ? 'safe' : undefined;
}

function moduleOf(decl: ts.ImportSpecifier): string {
  let n: ts.Node = decl;
  while (!ts.isImportDeclaration(n)) n = n.parent;
  return (n.moduleSpecifier as ts.StringLiteral).text;
}

/** The declaration a repository module exports under `name` (variables, types, enums, classes, functions). */
function exportedDecl(analysis: CodeAnalysis, from: CodeFile, specifier: string, name: string, depth: number): ts.Node | undefined {
  if (depth > 4) return undefined;
  const target = analysis.resolver.base.resolveImport(from, specifier);
  if (!target) return undefined;
  for (const st of target.ast.statements) {
    const exported = hasModifier(st, ts.SyntaxKind.ExportKeyword);
    if (exported && ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return d;
    }
    if (exported && (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st)) && st.name?.text === name) return st;
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) {
        if (el.name.text !== name) continue;
        const inner = (el.propertyName ?? el.name).text;
        const spec = st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        if (spec) return exportedDecl(analysis, target, spec, inner, depth + 1);
        for (const s of target.ast.statements) {
          if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === inner) return d;
          if ((ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s)) && s.name.text === inner) return s;
        }
      }
    }
    if (ts.isExportDeclaration(st) && !st.exportClause && st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier)) {
      const d = exportedDecl(analysis, target, st.moduleSpecifier.text, name, depth + 1);
      if (d) return d;
    }
  }
  return undefined;
}
