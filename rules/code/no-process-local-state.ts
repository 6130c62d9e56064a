import { ts } from 'ts-morph';
import { defineRule, type CodePlace } from '../../src/core/rule.js';
import type { CodeAnalysis } from '../../src/code/analyze.js';
import type { Step } from '../../src/code/effects.js';
import type { Entry } from '../../src/code/entries.js';
import type { CodeFile } from '../../src/code/project.js';
import { hasModifier, isFunctionLike, skipOuter, type FnNode } from '../../src/code/resolve.js';
import { calleeName } from '../../src/code/report.js';

/**
 * Names that say the state is meant to be per process: a cache (each instance warms its own; the
 * source of truth is elsewhere), memoisation, metrics and stats (scraped per instance), registries
 * (filled at startup with handlers, plugins, clients).
 */
const PER_PROCESS_NAME = /cache|memo|lru|metric|stats|registry/i;
/** Methods that change the collection they are called on. */
const MUTATORS = new Set(['set', 'add', 'delete', 'clear', 'push', 'unshift', 'splice', 'pop', 'shift', 'sort', 'reverse', 'fill', 'copyWithin']);
const COLLECTIONS = new Set(['Map', 'Set', 'Array']);
const MAX_DEPTH = 8;
const MAX_FUNCTIONS = 2000;

type StateKind = 'Map' | 'Set' | 'array' | 'object' | 'counter' | 'variable';

interface State {
  decl: ts.VariableDeclaration;
  name: string;
  kind: StateKind;
  file: CodeFile;
}

export default defineRule({
  id: 'no-process-local-state',
  family: 'code',
  meta: {
    description: 'A module-level variable (Map, Set, array, object, counter) is written while handling a request or a message: the state lives in one process only.',
    rationale:
      'Services run as several processes (replicas behind a load balancer, cluster workers, serverless instances) that restart on every deploy. State kept in module memory is seen only by the process that wrote it: the next request lands elsewhere and does not find it, counters and limits apply per instance, and a restart silently loses everything.',
    remedy: 'Keep shared state where every instance sees it: the database, Redis (`INCR`, `SET … EX`, hashes), a session or rate-limit store backed by Redis. Keep module state only for values that are the same in every process (configuration, clients).',
    severity: 'warning',
    precision: 'high',
    tags: ['scalability', 'correctness'],
    recommended: true,
    sources: {},
  },
  check(ctx) {
    const { analysis } = ctx;
    const states = new StateIndex(analysis);
    const reported = new Set<ts.Node>();
    const walked = new Set<FnNode>();
    for (const entry of analysis.entries()) {
      for (const { fn, path } of reachedFrom(entry, analysis)) {
        // A function reached from several entries is reported once, for the first entry that reaches it.
        if (walked.has(fn)) continue;
        walked.add(fn);
        const file = analysis.resolver.fileOf(fn);
        for (const m of mutationsIn(fn, states)) {
          if (reported.has(m.node)) continue;
          reported.add(m.node);
          const s = m.state;
          const flow: Array<CodePlace & { message: string }> = path.length
            ? [...path.map((step) => ({ node: step.call, file: step.file, message: `calls \`${calleeName(step.call)}\`` })), { node: m.node, file, message: `writes \`${s.name}\`` }]
            : [];
          ctx.report({
            node: m.node,
            file,
            message: `\`${m.text}\` ${m.verb} \`${s.name}\`, ${kindLabel(s.kind)} declared at module level, from ${entryLabel(entry)}${path.length ? ` (through ${path.length} call${path.length > 1 ? 's' : ''})` : ''}: each process keeps its own copy.`,
            why: `\`${s.name}\` lives in the memory of one process. With several replicas, cluster workers or serverless instances, the next request${entry.kind === 'consumer' ? ' or message' : ''} usually reaches another process that never saw this write, ${s.kind === 'counter' ? 'so the count (or limit) applies per instance instead of globally' : 'so reads there miss it or see a different value'}; a restart or deploy erases it.`,
            remedy: remedyFor(s.kind),
            related: [{ node: s.decl, file: s.file, message: `\`${s.name}\` is declared here, once per process` }],
            ...(flow.length > 1 ? { flow } : {}),
            properties: { variable: s.name, kind: s.kind },
          });
        }
      }
    }
  },
});

function kindLabel(kind: StateKind): string {
  switch (kind) {
    case 'Map':
      return 'a `Map`';
    case 'Set':
      return 'a `Set`';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    case 'counter':
      return 'a counter';
    default:
      return 'a variable';
  }
}

function remedyFor(kind: StateKind): string {
  if (kind === 'counter') return 'Count in shared storage (Redis `INCR` with `EXPIRE`, a database row updated with `SET n = n + 1`), or use a rate limiter backed by Redis; keep a per-process number only for local metrics, named as such.';
  if (kind === 'Map' || kind === 'Set' || kind === 'object' || kind === 'array') {
    return 'Store the entries where every instance sees them (Redis with a TTL, a database table, the session store); if a per-process copy is intended (a cache whose source of truth is elsewhere), name it as a cache or suppress with the reason.';
  }
  return 'Keep the value in shared storage (database, Redis) or pass it through the request; module variables should hold only what is identical in every process.';
}

function entryLabel(e: Entry): string {
  if (e.kind === 'consumer') {
    const name = ts.isIdentifier(e.anchor) ? e.anchor.text : ts.isPropertyAccessExpression(e.anchor) ? e.anchor.name.text : undefined;
    return `the ${e.framework} consumer${name ? ` \`${name}\`` : ''}`;
  }
  const method = e.method ?? 'HTTP';
  if (e.route) return `the \`${method} ${e.route}\` handler`;
  const name = ts.isIdentifier(e.anchor) ? e.anchor.text : undefined;
  if (name && name !== e.method) return `the \`${method}\` handler \`${name}\``;
  return `the \`${method}\` handler of ${e.file.source.relPath}`;
}

/** The entry function and every repository function it calls, directly or not, with the call chain. */
function reachedFrom(entry: Entry, analysis: CodeAnalysis): Array<{ fn: FnNode; path: Step[] }> {
  const out: Array<{ fn: FnNode; path: Step[] }> = [{ fn: entry.fn, path: [] }];
  const seen = new Set<FnNode>([entry.fn]);
  for (let i = 0; i < out.length && out.length < MAX_FUNCTIONS; i++) {
    const { fn, path } = out[i];
    if (path.length >= MAX_DEPTH) continue;
    for (const step of analysis.summary(fn).calls) {
      if (seen.has(step.target)) continue;
      seen.add(step.target);
      out.push({ fn: step.target, path: [...path, step] });
    }
  }
  return out;
}

interface Mutation {
  node: ts.Node;
  state: State;
  text: string;
  verb: string;
}

/** Writes to module state in a function body (nested callbacks included: they run in the same flow). */
function mutationsIn(fn: FnNode, states: StateIndex): Mutation[] {
  const out: Mutation[] = [];
  if (!fn.body) return out;
  const visit = (n: ts.Node): void => {
    const m = mutationAt(n, fn, states);
    if (m) out.push(m);
    n.forEachChild(visit);
  };
  visit(fn.body);
  return out;
}

function mutationAt(n: ts.Node, fn: FnNode, states: StateIndex): Mutation | undefined {
  // x = …, x += …, x.y = …, x[k] = …
  if (ts.isBinaryExpression(n) && isAssignment(n.operatorToken.kind)) {
    const target = skipOuter(n.left);
    const root = rootOf(target, states);
    if (!root) return undefined;
    const { state, direct } = root;
    if (direct) {
      if (isLazyInit(n, state, fn)) return undefined;
      return { node: n, state, text: short(n.getText()), verb: n.operatorToken.kind === ts.SyntaxKind.EqualsToken ? 'reassigns' : 'updates' };
    }
    return { node: n, state, text: short(n.left.getText()), verb: 'writes into' };
  }
  // x++, --x, state.count++
  if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
    const root = rootOf(skipOuter(n.operand), states);
    if (!root) return undefined;
    return { node: n, state: root.state, text: n.getText(), verb: 'updates' };
  }
  // delete x[k]
  if (ts.isDeleteExpression(n)) {
    const root = rootOf(skipOuter(n.expression), states);
    if (!root || root.direct) return undefined;
    return { node: n, state: root.state, text: short(n.getText()), verb: 'deletes from' };
  }
  if (ts.isCallExpression(n)) {
    const callee = skipOuter(n.expression);
    // x.set(k, v), x.push(v), state.queue.push(v)
    if (ts.isPropertyAccessExpression(callee) && MUTATORS.has(callee.name.text)) {
      const root = rootOf(skipOuter(callee.expression), states);
      if (!root) return undefined;
      const { state } = root;
      // A collection method needs a collection: `label.sort` on a string state is not a write.
      if (root.direct && (state.kind === 'counter' || (state.kind === 'variable' && !collectionLike(state)))) return undefined;
      if (callee.name.text === 'set' && isGetOrCreateClient(n, state, fn, states)) return undefined;
      return { node: n, state, text: `${short(callee.getText())}(…)`, verb: callee.name.text === 'delete' || callee.name.text === 'clear' ? 'deletes from' : 'writes into' };
    }
    // Object.assign(state, …)
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'assign' && ts.isIdentifier(callee.expression) && callee.expression.text === 'Object' && n.arguments[0]) {
      const root = rootOf(skipOuter(n.arguments[0]), states);
      if (!root) return undefined;
      return { node: n, state: root.state, text: 'Object.assign(…)', verb: 'writes into' };
    }
  }
  return undefined;
}

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

function short(t: string): string {
  const s = t.replace(/\s+/g, ' ');
  return s.length > 50 ? `${s.slice(0, 47)}…` : s;
}

/** The module state an access path starts from: `x`, `x.y`, `x[k]`, `ns.x` (namespace import). */
function rootOf(e: ts.Expression, states: StateIndex): { state: State; direct: boolean } | undefined {
  let cur = e;
  const names: string[] = [];
  while (ts.isPropertyAccessExpression(cur) || ts.isElementAccessExpression(cur)) {
    names.unshift(ts.isPropertyAccessExpression(cur) ? cur.name.text : '');
    cur = skipOuter(cur.expression);
  }
  if (!ts.isIdentifier(cur)) return undefined;
  const found = states.lookup(cur, names[0]);
  if (!found) return undefined;
  const direct = found.viaNamespace ? names.length === 1 : names.length === 0;
  return { state: found.state, direct };
}

function collectionLike(s: State): boolean {
  return s.kind === 'Map' || s.kind === 'Set' || s.kind === 'array' || s.kind === 'object';
}

/**
 * A lazily created singleton: `client ??= new X()`, `if (!client) client = …`, `client = client ?? …`,
 * or `if (client) return client;` earlier in the same function.
 */
function isLazyInit(assign: ts.BinaryExpression, s: State, fn: FnNode): boolean {
  const op = assign.operatorToken.kind;
  if (op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.BarBarEqualsToken) return true;
  if (op !== ts.SyntaxKind.EqualsToken) return false;
  // `connection = undefined` on close: the singleton slot is emptied so that the next use reconnects.
  if (s.kind === 'variable' && isEmptySlot(s.decl) && isNullish(assign.right)) return true;
  const name = escape(s.name);
  const right = skipOuter(assign.right);
  if (ts.isBinaryExpression(right) && (right.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || right.operatorToken.kind === ts.SyntaxKind.BarBarToken) && skipOuter(right.left).getText() === s.name) return true;
  const absent = new RegExp(`(?:!\\s*${name}\\b(?!\\s*\\.)|\\b${name}\\s*===?\\s*(?:null|undefined)\\b|typeof\\s+${name}\\s*===?\\s*['"]undefined['"])`);
  for (let p: ts.Node | undefined = assign.parent; p && p !== fn; p = p.parent) {
    if ((ts.isIfStatement(p) && absent.test(p.expression.getText()) && isWithinNode(assign, p.thenStatement)) || (ts.isConditionalExpression(p) && absent.test(p.condition.getText()))) return true;
    // A companion set in the same first-use block: `if (!client) { client = createClient(); ready = client.connect(); }`.
    if (ts.isIfStatement(p) && isWithinNode(assign, p.thenStatement) && initialisesTestedVariable(p)) return true;
  }
  // `if (client) return client;` before the assignment — also for a companion (`if (channel) return channel;
  // connection = await amqp.connect(…); channel = await connection.createChannel()`).
  const present = /^\s*((?:this\.)?[\w$]+)\s*(?:!==?\s*(?:null|undefined))?\s*$/;
  let early = false;
  const scan = (n: ts.Node): void => {
    if (early || n.getStart() >= assign.getStart()) return;
    const tested = ts.isIfStatement(n) ? present.exec(n.expression.getText())?.[1] : undefined;
    if (tested && ts.isIfStatement(n) && returnsValue(n.thenStatement, tested)) early = true;
    if (isFunctionLike(n) && n !== fn) return;
    n.forEachChild(scan);
  };
  if (fn.body) scan(fn.body);
  return early;
}

/**
 * `pools.set(tenant, new Pool(…))` after `pools.get(tenant)` / `pools.has(tenant)`: one client per key,
 * created once and reused — a registry of connections, not request state.
 */
function isGetOrCreateClient(call: ts.CallExpression, s: State, fn: FnNode, states: StateIndex): boolean {
  const value = call.arguments[1] && skipOuter(call.arguments[1]);
  if (!value || !isClientCreation(value, states)) return false;
  const probe = new RegExp(`\\b${escape(s.name)}\\s*\\.\\s*(?:get|has)\\s*\\(`);
  const before = fn.body ? fn.body.getSourceFile().text.slice(fn.body.getStart(), call.getStart()) : '';
  return probe.test(before);
}

function isClientCreation(value: ts.Expression, states: StateIndex): boolean {
  let v = value;
  if (ts.isIdentifier(v)) {
    const decl = states.analysis.resolver.declarationOf(v);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) v = skipOuter(decl.initializer);
  }
  if (ts.isNewExpression(v)) return states.analysis.resolver.valueOf(v.expression)?.kind === 'ext';
  if (ts.isCallExpression(v)) return states.analysis.catalogue.classify(v, states.analysis.resolver.fileOf(v))?.kind === 'client';
  return false;
}

function isNullish(e: ts.Expression): boolean {
  const v = skipOuter(e);
  return v.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(v) && v.text === 'undefined') || ts.isVoidExpression(v);
}

/** `let client: Redis | undefined;`, `let channel = null`: a slot for a singleton, empty until first use. */
function isEmptySlot(decl: ts.VariableDeclaration): boolean {
  return !decl.initializer || isNullish(decl.initializer);
}

/** `if (!x) { x = …; … }`: the block runs once, the first time, and sets the variable it tests. */
function initialisesTestedVariable(stmt: ts.IfStatement): boolean {
  const cond = skipOuter(stmt.expression);
  const tested = ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken && ts.isIdentifier(skipOuter(cond.operand)) ? (skipOuter(cond.operand) as ts.Identifier).text : undefined;
  if (!tested) return false;
  let sets = false;
  const visit = (n: ts.Node): void => {
    if (sets || isFunctionLike(n)) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(skipOuter(n.left)) && (skipOuter(n.left) as ts.Identifier).text === tested) sets = true;
    n.forEachChild(visit);
  };
  visit(stmt.thenStatement);
  return sets;
}

/** `return client;` (the tested value itself) in the statement. */
function returnsValue(n: ts.Node, text: string): boolean {
  let found = false;
  const visit = (m: ts.Node): void => {
    if (found || isFunctionLike(m)) return;
    if (ts.isReturnStatement(m) && m.expression && skipOuter(m.expression).getText() === text) found = true;
    m.forEachChild(visit);
  };
  visit(n);
  return found;
}

function isWithinNode(node: ts.Node, container: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === container) return true;
  return false;
}

function escape(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

/** Module-level variables holding mutable state, found from the identifiers that use them. */
class StateIndex {
  private readonly cache = new Map<ts.Node, State | null>();

  constructor(readonly analysis: CodeAnalysis) {}

  /** The state an identifier refers to (through imports, and `ns.name` for namespace imports). */
  lookup(id: ts.Identifier, firstMember: string | undefined): { state: State; viaNamespace: boolean } | undefined {
    const decl = this.analysis.resolver.declarationOf(id);
    if (!decl) return undefined;
    if (ts.isVariableDeclaration(decl)) {
      const s = this.stateOf(decl);
      return s ? { state: s, viaNamespace: false } : undefined;
    }
    const file = this.analysis.resolver.fileOf(decl);
    if (ts.isImportSpecifier(decl)) {
      const s = this.exported(file, moduleOf(decl), (decl.propertyName ?? decl.name).text, 0);
      return s ? { state: s, viaNamespace: false } : undefined;
    }
    if (ts.isNamespaceImport(decl) && firstMember) {
      const s = this.exported(file, moduleOf(decl), firstMember, 0);
      return s ? { state: s, viaNamespace: true } : undefined;
    }
    return undefined;
  }

  private exported(from: CodeFile, specifier: string, name: string, depth: number): State | undefined {
    if (depth > 4) return undefined;
    const target = this.analysis.resolver.base.resolveImport(from, specifier);
    if (!target) return undefined;
    for (const st of target.ast.statements) {
      if (ts.isVariableStatement(st) && hasModifier(st, ts.SyntaxKind.ExportKeyword)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return this.stateOf(d);
      }
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          if (el.name.text !== name) continue;
          const inner = (el.propertyName ?? el.name).text;
          const spec = st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
          if (spec) return this.exported(target, spec, inner, depth + 1);
          return this.topLevel(target, inner);
        }
      }
      if (ts.isExportDeclaration(st) && !st.exportClause && st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier)) {
        const s = this.exported(target, st.moduleSpecifier.text, name, depth + 1);
        if (s) return s;
      }
    }
    return undefined;
  }

  private topLevel(file: CodeFile, name: string): State | undefined {
    for (const st of file.ast.statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return this.stateOf(d);
    }
    return undefined;
  }

  stateOf(decl: ts.VariableDeclaration): State | undefined {
    const known = this.cache.get(decl);
    if (known !== undefined) return known ?? undefined;
    const s = this.build(decl);
    this.cache.set(decl, s ?? null);
    return s;
  }

  private build(decl: ts.VariableDeclaration): State | undefined {
    if (!ts.isIdentifier(decl.name)) return undefined;
    const list = decl.parent;
    const statement = list.parent;
    if (!ts.isVariableStatement(statement) || !ts.isSourceFile(statement.parent)) return undefined;
    if (hasModifier(statement, ts.SyntaxKind.DeclareKeyword)) return undefined;
    const name = decl.name.text;
    if (PER_PROCESS_NAME.test(name)) return undefined;
    // State declared in any file of the repository counts (the mutation is what gets reported).
    const file = this.analysis.resolver.fileOf(decl);
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    const init = decl.initializer ? skipOuter(decl.initializer) : undefined;
    const collection = init ? this.collectionKind(init) : undefined;
    if (collection) return { decl, name, kind: collection, file };
    if (isConst) return undefined;
    const numeric = init && (ts.isNumericLiteral(init) || (ts.isPrefixUnaryExpression(init) && ts.isNumericLiteral(init.operand)));
    return { decl, name, kind: numeric ? 'counter' : 'variable', file };
  }

  private collectionKind(init: ts.Expression): StateKind | undefined {
    if (ts.isArrayLiteralExpression(init)) return 'array';
    if (ts.isObjectLiteralExpression(init)) return 'object';
    if (ts.isNewExpression(init) && ts.isIdentifier(init.expression) && COLLECTIONS.has(init.expression.text)) {
      // Only the globals: a local class named Map is something else.
      if (this.analysis.resolver.declarationOf(init.expression)) return undefined;
      return init.expression.text === 'Array' ? 'array' : (init.expression.text as 'Map' | 'Set');
    }
    return undefined;
  }
}

function moduleOf(decl: ts.ImportSpecifier | ts.NamespaceImport): string {
  let n: ts.Node = decl;
  while (!ts.isImportDeclaration(n)) n = n.parent;
  return (n.moduleSpecifier as ts.StringLiteral).text;
}

