/**
 * Effect summaries: for each function, what it does to the outside world (the catalogue's facts about
 * each call), in which loop and which transaction each thing happens, and — through calls to other
 * functions of the repository — what its callees do, with the call chain kept for the report.
 *
 * One walk per function body. Callbacks passed as arguments are part of the flow (array callbacks are
 * loops, transaction callbacks are transactions); functions that are only defined are summarised on
 * their own and count where they are called.
 */
import { ts } from 'ts-morph';
import type { CallFacts, Catalogue } from './catalogue/index.js';
import type { CodeFile } from './project.js';
import { isFunctionLike, skipOuter, type FnNode, type Resolver } from './resolve.js';

export interface Loop {
  /** The loop statement, or the `.map(…)`/`.forEach(…)` call. */
  node: ts.Node;
  file: CodeFile;
  kind: 'for' | 'for-of' | 'for-in' | 'while' | 'do' | 'array-callback';
  /** The body whose declarations count as per-iteration values (for the callback: the function). */
  body: ts.Node;
  /** A literal bound: `for (const x of [a, b, c])`, `for (let i = 0; i < 3; i++)`. */
  constantBound?: number;
  /** `Promise.all(items.map(async …))`: iterations run concurrently (Prisma batches findUnique then). */
  concurrent?: boolean;
  /** The loop exits on success and goes round again on an error: a retry loop, not an iteration. */
  retry?: boolean;
}

export interface TxRegion {
  node: ts.Node;
  file: CodeFile;
  kind: 'callback' | 'batch' | 'begin';
}

/** A call on the way from a summarised function down to an effect. */
export interface Step {
  call: ts.CallExpression | ts.NewExpression;
  file: CodeFile;
  target: FnNode;
}

/** A loop around an effect, and the call (in the loop's own function) that leads to it. */
export interface LoopSite {
  loop: Loop;
  site: ts.Node;
}

export interface Effect {
  facts: CallFacts;
  /** Where the effect really happens (the query, the publish). */
  node: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression;
  file: CodeFile;
  /** The function the node is in. */
  fn: FnNode | ts.SourceFile;
  loops: LoopSite[];
  tx?: TxRegion;
  /** Calls from the summarised function down to `node`'s function (empty for its own effects). */
  via: Step[];
}

export interface Summary {
  fn: FnNode;
  file: CodeFile;
  /** Own and inherited effects in the order they appear in the function. */
  effects: Effect[];
  /** Calls to functions of the repository, for rules that follow data (lost updates, state). */
  calls: Step[];
}

const ARRAY_CALLBACKS = new Set(['forEach', 'map', 'flatMap', 'reduce', 'reduceRight', 'filter', 'some', 'every', 'find', 'findIndex', 'findLast']);
const MAX_VIA = 8;
const MAX_EFFECTS = 400;

export class Effects {
  private readonly summaries = new Map<ts.Node, Summary | null>();

  constructor(
    readonly resolver: Resolver,
    readonly catalogue: Catalogue,
  ) {}

  summary(fn: FnNode): Summary {
    const known = this.summaries.get(fn);
    if (known) return known;
    const file = this.resolver.fileOf(fn);
    if (known === null) return { fn, file, effects: [], calls: [] }; // recursion: the cycle adds nothing new
    this.summaries.set(fn, null);
    const s = this.build(fn, file);
    this.summaries.set(fn, s);
    return s;
  }

  private build(fn: FnNode, file: CodeFile): Summary {
    const effects: Effect[] = [];
    const calls: Step[] = [];
    const own: Array<{ effect: Effect; pos: number }> = [];
    const visit = (node: ts.Node, loops: Loop[], tx: TxRegion | undefined, loopHead: ts.Node | undefined): void => {
      if (effects.length > MAX_EFFECTS) return;
      if (node !== fn && isFunctionLike(node)) {
        // Defined here, run elsewhere: summarised where it is called (unless passed as a callback, below).
        return;
      }
      const loop = this.loopOf(node, file);
      if (loop) {
        const inner = [...loops, loop];
        node.forEachChild((child) => visit(child, isLoopBody(node, child) ? inner : loops, tx, undefined));
        return;
      }
      if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) {
        // Execution order: the callee and the arguments are evaluated before the call runs.
        // Arguments: callbacks are walked as part of this flow.
        const facts = this.catalogue.classify(node, file);
        const callbackTx: TxRegion | undefined =
          (facts?.kind === 'tx' && (facts.tx === 'callback' || facts.tx === 'batch') ? { node, file, kind: facts.tx } : undefined) ?? this.wrapperTx(node, file);
        const iteration = ts.isCallExpression(node) ? this.arrayLoop(node, file) : undefined;
        node.forEachChild((child) => {
          const c = skipOuter(child as ts.Expression);
          const isArg = ts.isCallExpression(node) || ts.isNewExpression(node) ? (node.arguments?.includes(child as ts.Expression) ?? false) : false;
          if (isArg && (ts.isArrowFunction(c) || ts.isFunctionExpression(c))) {
            const innerLoops = iteration && ts.isCallExpression(node) && node.arguments[0] === child ? [...loops, iteration] : loops;
            visitBody(c, innerLoops, callbackTx ?? tx);
          } else if (isArg && callbackTx) {
            visit(child, loops, callbackTx, undefined);
          } else {
            visit(child, loops, tx, undefined);
          }
        });
        this.visitCall(node, file, fn, loops, tx, effects, calls, own);
        return;
      }
      node.forEachChild((child) => visit(child, loops, tx, loopHead));
    };
    const visitBody = (f: ts.ArrowFunction | ts.FunctionExpression, loops: Loop[], tx: TxRegion | undefined) => {
      if (f.body) visit(f.body, loops, tx, undefined);
    };
    if (fn.body) visit(fn.body, [], undefined, undefined);
    markBeginCommit(own);
    return { fn, file, effects, calls };
  }

  private visitCall(
    call: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression,
    file: CodeFile,
    fn: FnNode,
    loops: Loop[],
    tx: TxRegion | undefined,
    effects: Effect[],
    calls: Step[],
    own: Array<{ effect: Effect; pos: number }>,
  ): void {
    const facts = this.catalogue.classify(call, file);
    if (facts) {
      // A fluent chain is one query: only its outermost classified link counts.
      if (outerLinkClassified(this.catalogue, call, file, facts.lib)) return;
      const effect: Effect = { facts, node: call, file, fn, loops: loops.map((loop) => ({ loop, site: call })), tx, via: [] };
      effects.push(effect);
      own.push({ effect, pos: call.getStart() });
      return;
    }
    if (ts.isTaggedTemplateExpression(call)) return;
    const callee = this.resolver.valueOf(call.expression);
    if (callee?.kind === 'fn' || (callee?.kind === 'class' && ts.isNewExpression(call))) {
      const target = callee.kind === 'fn' ? callee.decl : constructorOf(callee.decl);
      if (!target || target === fn) return;
      const step: Step = { call, file, target };
      calls.push(step);
      const inner = this.summary(target);
      for (const e of inner.effects) {
        if (e.via.length >= MAX_VIA || effects.length > MAX_EFFECTS) break;
        const inherited: Effect = { ...e, loops: [...loops.map((loop) => ({ loop, site: call })), ...e.loops], tx: tx ?? e.tx, via: [step, ...e.via] };
        effects.push(inherited);
        // Between this function's BEGIN and COMMIT, what the callee does is in that transaction too.
        own.push({ effect: inherited, pos: call.getStart() });
      }
    }
  }

  /**
   * `withTransaction(async (client) => …)`: a call to a repository function that runs one of its function
   * parameters inside a transaction (between its BEGIN and COMMIT, or inside a library transaction
   * callback). The callback passed here is then in a transaction region.
   */
  private wrapperTx(call: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression, file: CodeFile): TxRegion | undefined {
    if (!ts.isCallExpression(call) || !call.arguments.some((a) => ts.isArrowFunction(skipOuter(a)) || ts.isFunctionExpression(skipOuter(a)))) return undefined;
    const callee = this.resolver.valueOf(call.expression);
    if (callee?.kind !== 'fn') return undefined;
    return this.runsCallbackInTx(callee.decl) ? { node: call, file, kind: 'callback' } : undefined;
  }

  private readonly txWrappers = new Map<ts.Node, boolean>();

  private runsCallbackInTx(fn: FnNode): boolean {
    const known = this.txWrappers.get(fn);
    if (known !== undefined) return known;
    this.txWrappers.set(fn, false);
    const params = new Set<ts.Node>(fn.parameters);
    const own = this.summary(fn).effects.filter((e) => e.via.length === 0 && e.facts.kind === 'tx');
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const decl = this.resolver.declarationOf(n.expression);
        if (decl && params.has(decl)) {
          const pos = n.getStart();
          if (own.some((e) => e.facts.tx === 'callback' && isWithin(n, e.node))) found = true;
          let open = false;
          for (const e of [...own].sort((a, b) => a.node.getStart() - b.node.getStart())) {
            if (e.node.getStart() > pos) break;
            if (e.facts.tx === 'begin') open = true;
            else if (e.facts.tx === 'commit' || e.facts.tx === 'rollback') open = false;
          }
          if (open) found = true;
        }
      }
      n.forEachChild(visit);
    };
    if (fn.body) visit(fn.body);
    this.txWrappers.set(fn, found);
    return found;
  }

  private loopOf(node: ts.Node, file: CodeFile): Loop | undefined {
    if (ts.isForOfStatement(node) || ts.isForInStatement(node)) {
      const expr = skipOuter(node.expression);
      const constantBound = ts.isArrayLiteralExpression(expr) && !expr.elements.some(ts.isSpreadElement) ? expr.elements.length : undefined;
      return { node, file, kind: ts.isForOfStatement(node) ? 'for-of' : 'for-in', body: node, constantBound, retry: isRetryBody(node.statement) };
    }
    if (ts.isForStatement(node)) return { node, file, kind: 'for', body: node, constantBound: numericBound(node.condition), retry: isRetryBody(node.statement) };
    if (ts.isWhileStatement(node)) return { node, file, kind: 'while', body: node.statement, retry: isRetryBody(node.statement) };
    if (ts.isDoStatement(node)) return { node, file, kind: 'do', body: node.statement, retry: isRetryBody(node.statement) };
    return undefined;
  }

  /** `items.map(async (item) => …)`: the callback runs once per element. */
  private arrayLoop(call: ts.CallExpression, file: CodeFile): Loop | undefined {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !ARRAY_CALLBACKS.has(callee.name.text)) return undefined;
    const first = call.arguments[0] && skipOuter(call.arguments[0]);
    if (!first || !(ts.isArrowFunction(first) || ts.isFunctionExpression(first))) return undefined;
    const receiver = skipOuter(callee.expression);
    const constantBound = ts.isArrayLiteralExpression(receiver) && !receiver.elements.some(ts.isSpreadElement) ? receiver.elements.length : undefined;
    return { node: call, file, kind: 'array-callback', body: first, constantBound, concurrent: isAwaitedTogether(call, this.resolver) };
  }
}

/** A fluent chain is one call: only its outermost classified link of the same library counts. */
export function outerLinkClassified(catalogue: Catalogue, call: ts.Node, file: CodeFile, lib: string): boolean {
  let p = call.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAwaitExpression(p) || ts.isNonNullExpression(p))) p = p.parent;
  if (!p || !ts.isPropertyAccessExpression(p) || !p.parent || !ts.isCallExpression(p.parent) || p.parent.expression !== p) return false;
  const outer = catalogue.classify(p.parent, file);
  return outer !== undefined && outer.lib === lib && outer.kind !== 'client';
}

/** True when `child` is the part of a loop statement that runs once per iteration. */
function isLoopBody(loop: ts.Node, child: ts.Node): boolean {
  if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) return child === loop.statement;
  if (ts.isForStatement(loop)) return child === loop.statement || child === loop.condition || child === loop.incrementor;
  if (ts.isWhileStatement(loop) || ts.isDoStatement(loop)) return child === loop.statement || child === loop.expression;
  return false;
}

/** `i < 3`, `i <= 2`, `attempt < MAX` with a literal: loops with a small constant trip count. */
function numericBound(cond: ts.Expression | undefined): number | undefined {
  if (!cond || !ts.isBinaryExpression(cond)) return undefined;
  const op = cond.operatorToken.kind;
  const right = skipOuter(cond.right);
  if (!ts.isNumericLiteral(right)) return undefined;
  const n = Number(right.text);
  if (op === ts.SyntaxKind.LessThanToken) return n;
  if (op === ts.SyntaxKind.LessThanEqualsToken) return n + 1;
  return undefined;
}

/**
 * A retry loop: its body tries something and leaves the loop on success (return/break inside the try)
 * while the catch lets it go round again.
 */
export function isRetryBody(body: ts.Statement): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isTryStatement(n) && n.catchClause) {
      let exits = false;
      const scan = (m: ts.Node): void => {
        if (exits || isFunctionLike(m)) return;
        if (ts.isReturnStatement(m) || (ts.isBreakStatement(m) && !m.label)) exits = true;
        m.forEachChild(scan);
      };
      scan(n.tryBlock);
      if (exits) found = true;
      return;
    }
    n.forEachChild(visit);
  };
  visit(body);
  return found;
}

/** `await Promise.all(items.map(…))` (directly, or through a variable): the callbacks run concurrently. */
function isAwaitedTogether(call: ts.CallExpression, resolver: Resolver): boolean {
  let p: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
  if (ts.isCallExpression(p) && isPromiseCombinator(p.expression)) return true;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) {
    const name = p.name.text;
    const scope = p.parent?.parent?.parent;
    let used = false;
    const visit = (n: ts.Node): void => {
      if (used) return;
      if (ts.isCallExpression(n) && isPromiseCombinator(n.expression) && n.arguments.some((a) => ts.isIdentifier(skipOuter(a)) && (skipOuter(a) as ts.Identifier).text === name && resolver.declarationOf(skipOuter(a) as ts.Identifier) === p)) used = true;
      n.forEachChild(visit);
    };
    if (scope) visit(scope);
    return used;
  }
  return false;
}

function isPromiseCombinator(e: ts.Expression): boolean {
  const callee = skipOuter(e);
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Promise' && ['all', 'allSettled'].includes(callee.name.text);
}

function constructorOf(cls: ts.ClassLikeDeclaration): ts.ConstructorDeclaration | undefined {
  return cls.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined);
}

/** `client.query('BEGIN')` … `client.query('COMMIT')`: the effects between them are in a transaction. */
function markBeginCommit(own: Array<{ effect: Effect; pos: number }>): void {
  own.sort((a, b) => a.pos - b.pos);
  let open: TxRegion | undefined;
  for (const { effect } of own) {
    const f = effect.facts;
    if (f.kind === 'tx' && f.tx === 'begin') {
      open = { node: effect.node, file: effect.file, kind: 'begin' };
      continue;
    }
    if (f.kind === 'tx' && (f.tx === 'commit' || f.tx === 'rollback')) {
      if (f.tx === 'commit') open = undefined;
      continue;
    }
    if (open && !effect.tx) effect.tx = open;
  }
}

/** Whether `node` uses a value that changes per iteration of `loop` (declared inside it). */
export function dependsOnIteration(node: ts.Node, loop: Loop, resolver: Resolver): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      const decl = resolver.declarationOf(n);
      if (decl && isWithin(decl, loop.body) && !isWithin(decl, node)) found = true;
    }
    n.forEachChild(visit);
  };
  // The callee's receiver counts too (`item.save()`, `knex('t').where('id', item.id)`).
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    visit(node.expression);
    node.arguments?.forEach(visit);
  } else visit(node);
  return found;
}

export function isWithin(node: ts.Node, container: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === container) return true;
  return false;
}
