/**
 * What an expression is, as far as reading the code can tell, without a type checker: a function of the
 * repository, a class or an instance of one, an object literal, another file's module namespace, or a
 * value of an external library described by its path from the import (`pg.Pool()`, `axios.create().get`).
 *
 * The external path is what the API catalogue matches: `new Pool()` imported from the pg package is `pg.Pool()`, its
 * `connect()` result is `pg.Pool().connect()`, `import axios from 'axios'` is `axios`. Type annotations
 * count (`orders: Repository<Order>` from 'typeorm' is `typeorm.Repository()`), so constructor injection
 * works, and a local class that extends a library class (`PrismaService extends PrismaClient`) has the
 * library's members.
 */
import { ts } from 'ts-morph';
import type { CodeBase, CodeFile } from './project.js';

export type FnNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.GetAccessorDeclaration;

export type Value =
  | { kind: 'fn'; decl: FnNode; file: CodeFile }
  | { kind: 'class'; decl: ts.ClassLikeDeclaration; file: CodeFile }
  | { kind: 'instance'; decl: ts.ClassLikeDeclaration; file: CodeFile }
  | { kind: 'object'; lit: ts.ObjectLiteralExpression; file: CodeFile }
  | { kind: 'module'; file: CodeFile }
  | ExternalValue;

export interface ExternalValue {
  kind: 'ext';
  /** Module (dots escaped as `%`) then members; `()` marks a call or construction: `pg.Pool()`, `#fetch`. */
  path: string;
  /** The call or `new` that created the instance (its options tell timeouts), and where it is. */
  creation?: ts.CallExpression | ts.NewExpression;
  creationFile?: CodeFile;
  /** The variable the instance is bound to (to find `client.defaults.timeout = …`). */
  binding?: ts.VariableDeclaration;
  /** A client handed to a transaction callback (`$transaction(async (tx) => …)`). */
  transaction?: ts.CallExpression;
  /** Type arguments of an annotation (`Repository<Order>` → Order), for table names. */
  typeArgs?: ts.NodeArray<ts.TypeNode>;
}

type Decl = ts.Node;

/** A transaction callback's client parameter: the resolver asks the catalogue whether a call opens one. */
export type TransactionProbe = (call: ts.CallExpression, callee: ExternalValue) => boolean;

/** Nesting bound of `valueOf` (a fluent chain costs two levels per link: `db('t').where().limit()…`). */
const MAX_DEPTH = 64;

/** Import paths of a Prisma client generated into the repository: `src/generated/prisma/client`, `../generated/prisma`, `.prisma/client`. */
const GENERATED_PRISMA = /^(?!@prisma\/)(?:.*\/)?(?:generated\/prisma(?:-client)?|\.prisma\/client)(?:\/client|\/index)?(?:\.[mc]?[jt]s)?$/;

export class Resolver {
  private readonly scopes = new WeakMap<ts.Node, Map<string, Decl>>();
  private readonly declValues = new WeakMap<ts.Node, Value | null>();
  private readonly assignments = new WeakMap<ts.SourceFile, Map<string, ts.Expression[]>>();
  private depth = 0;
  /** Counts answers cut short by MAX_DEPTH: a declaration resolved during a cut is not cached. */
  private truncated = 0;
  transactionProbe: TransactionProbe = () => false;

  constructor(readonly base: CodeBase) {}

  fileOf(node: ts.Node): CodeFile {
    const sf = node.getSourceFile();
    const file = this.base.file(sf.fileName);
    if (!file) throw new Error(`internal: ${sf.fileName} is not loaded`);
    return file;
  }

  /** The declaration an identifier refers to, by lexical scope. */
  declarationOf(id: ts.Identifier): Decl | undefined {
    const name = id.text;
    for (let node: ts.Node | undefined = id.parent; node; node = node.parent) {
      const decl = this.scopeOf(node)?.get(name);
      if (decl && decl !== id.parent) return decl;
      if (decl && decl === id.parent && !ts.isVariableDeclaration(decl)) return decl;
    }
    return undefined;
  }

  private scopeOf(node: ts.Node): Map<string, Decl> | undefined {
    if (!isScope(node)) return undefined;
    let map = this.scopes.get(node);
    if (!map) {
      map = new Map();
      collectScope(node, map);
      this.scopes.set(node, map);
    }
    return map;
  }

  valueOf(expr: ts.Expression | undefined): Value | undefined {
    if (!expr) return undefined;
    if (this.depth > MAX_DEPTH) {
      this.truncated++;
      return undefined;
    }
    this.depth++;
    try {
      return this.valueOfUncached(expr);
    } finally {
      this.depth--;
    }
  }

  private valueOfUncached(expr: ts.Expression): Value | undefined {
    const e = skipOuter(expr);
    if (ts.isIdentifier(e)) {
      const decl = this.declarationOf(e);
      if (decl) return this.valueOfDecl(decl);
      if (e.text === 'undefined') return undefined;
      return { kind: 'ext', path: `#${e.text}` };
    }
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      const cls = enclosingClass(e);
      return cls ? { kind: 'instance', decl: cls, file: this.fileOf(cls) } : undefined;
    }
    if (ts.isPropertyAccessExpression(e)) return this.member(this.valueOf(e.expression), e.name.text);
    if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression)) return this.member(this.valueOf(e.expression), e.argumentExpression.text);
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return { kind: 'fn', decl: e, file: this.fileOf(e) };
    if (ts.isClassExpression(e)) return { kind: 'class', decl: e, file: this.fileOf(e) };
    if (ts.isObjectLiteralExpression(e)) return { kind: 'object', lit: e, file: this.fileOf(e) };
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) return preferCreated(this.valueOf(e.left), this.valueOf(e.right));
      if (op === ts.SyntaxKind.EqualsToken) return this.valueOf(e.right);
      return undefined;
    }
    if (ts.isConditionalExpression(e)) return preferCreated(this.valueOf(e.whenTrue), this.valueOf(e.whenFalse));
    if (ts.isNewExpression(e) || ts.isCallExpression(e)) return this.valueOfCall(e);
    return undefined;
  }

  private valueOfCall(e: ts.CallExpression | ts.NewExpression): Value | undefined {
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'require' && e.arguments.length === 1 && ts.isStringLiteralLike(e.arguments[0])) {
      return this.moduleValue(this.fileOf(e), e.arguments[0].text, undefined);
    }
    const callee = this.valueOf(e.expression);
    if (!callee) return undefined;
    // A Prisma client extension (`new PrismaClient().$extends(withAccelerate())`) keeps the client's models and methods.
    if (callee.kind === 'ext' && ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && /PrismaClient\(\)\.\$extends$/.test(callee.path)) {
      return this.valueOf(e.expression.expression);
    }
    if (callee.kind === 'ext') return { kind: 'ext', path: `${callee.path}()`, creation: e, creationFile: this.fileOf(e), transaction: callee.transaction };
    if (callee.kind === 'class') return ts.isNewExpression(e) ? { kind: 'instance', decl: callee.decl, file: callee.file } : undefined;
    if (callee.kind === 'fn') return this.returnValue(callee.decl);
    return undefined;
  }

  /** What a function returns, when it returns one thing (a factory or a lazy singleton getter). */
  returnValue(fn: FnNode): Value | undefined {
    if (!fn.body) return undefined;
    if (!ts.isBlock(fn.body)) return this.valueOf(fn.body);
    let found: Value | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isReturnStatement(n) && n.expression) {
        found = this.valueOf(n.expression);
        return;
      }
      if (isFunctionLike(n)) return;
      n.forEachChild(visit);
    };
    fn.body.forEachChild(visit);
    return found;
  }

  valueOfDecl(decl: Decl): Value | undefined {
    const cached = this.declValues.get(decl);
    if (cached !== undefined) return cached ?? undefined;
    this.declValues.set(decl, null); // cycle guard
    const truncated = this.truncated;
    const value = this.valueOfDeclUncached(decl);
    // Resolved too deep inside another expression: the answer may be partial, so it is not remembered.
    if (this.truncated !== truncated) this.declValues.delete(decl);
    else this.declValues.set(decl, value ?? null);
    return value;
  }

  private valueOfDeclUncached(decl: Decl): Value | undefined {
    const file = this.fileOf(decl);
    if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) return { kind: 'fn', decl, file };
    if (ts.isClassDeclaration(decl)) return { kind: 'class', decl, file };
    if (ts.isImportClause(decl)) return this.moduleValue(file, moduleOf(decl), 'default');
    if (ts.isNamespaceImport(decl)) return this.moduleValue(file, moduleOf(decl), undefined);
    if (ts.isImportSpecifier(decl)) return this.moduleValue(file, moduleOf(decl), (decl.propertyName ?? decl.name).text);
    if (ts.isImportEqualsDeclaration(decl)) {
      const ref = decl.moduleReference;
      return ts.isExternalModuleReference(ref) && ts.isStringLiteralLike(ref.expression) ? this.moduleValue(file, ref.expression.text, undefined) : undefined;
    }
    if (ts.isVariableDeclaration(decl)) {
      let value = this.valueOf(decl.initializer);
      if (!value && ts.isIdentifier(decl.name)) {
        for (const rhs of this.assignmentsTo(decl.getSourceFile(), decl.name.text)) {
          value = this.valueOf(rhs);
          if (value) break;
        }
      }
      if (!value && decl.type) value = this.valueOfType(decl.type);
      if (value?.kind === 'ext' && !value.binding) value = { ...value, binding: decl };
      return value;
    }
    if (ts.isBindingElement(decl)) {
      const name = decl.propertyName && ts.isIdentifier(decl.propertyName) ? decl.propertyName.text : ts.isIdentifier(decl.name) ? decl.name.text : undefined;
      const pattern = decl.parent;
      const holder = pattern.parent;
      let whole: Value | undefined;
      if (ts.isVariableDeclaration(holder)) whole = this.valueOf(holder.initializer);
      else if (ts.isParameter(holder)) {
        // tRPC: `.mutation(async ({ input, ctx }) => ctx.prisma…)` — `ctx` is what `createContext` returns.
        if (name === 'ctx' && ts.isObjectBindingPattern(pattern)) {
          const context = this.trpcContext(holder);
          if (context) return context;
        }
        whole = this.valueOfParameter(holder);
      }
      return name && ts.isObjectBindingPattern(pattern) ? this.member(whole, name) : undefined;
    }
    if (ts.isParameter(decl)) return this.valueOfParameter(decl);
    if (ts.isPropertyDeclaration(decl)) return this.valueOf(decl.initializer) ?? (decl.type ? this.valueOfType(decl.type) : undefined);
    return undefined;
  }

  private valueOfParameter(param: ts.ParameterDeclaration): Value | undefined {
    const fn = param.parent;
    // A transaction callback's client: `$transaction(async (tx) => …)`, `knex.transaction(trx => …)`.
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isCallExpression(fn.parent) && fn.parameters[0] === param) {
      const call = fn.parent;
      const callee = this.valueOf(call.expression);
      if (callee?.kind === 'ext' && this.transactionProbe(call, callee)) {
        const receiver = ts.isPropertyAccessExpression(call.expression) ? this.valueOf(call.expression.expression) : undefined;
        let client = receiver?.kind === 'ext' ? receiver : callee;
        // A local class extending the client (`PrismaService extends PrismaClient`): the client is the
        // callee's path without the transaction method.
        if (client === callee && ts.isPropertyAccessExpression(call.expression) && callee.path.endsWith(`.${call.expression.name.text}`)) {
          client = { ...callee, path: callee.path.slice(0, -(call.expression.name.text.length + 1)) };
        }
        return { ...client, transaction: call };
      }
    }
    if (!param.type) {
      const declared = this.callbackParameterType(param);
      if (declared) return this.valueOfType(declared);
    }
    const typed = param.type ? this.valueOfType(param.type) : undefined;
    // `db: Executor = database`: a type the resolver cannot read, and a default value it can.
    return typed ?? (param.initializer ? this.valueOf(param.initializer) : undefined);
  }

  /**
   * An unannotated parameter of a callback handed to a repository function takes the type that function
   * declares for it: `withTransaction(async (client) => …)` with `work: (client: PoolClient) => …`.
   */
  private callbackParameterType(param: ts.ParameterDeclaration): ts.TypeNode | undefined {
    const fn = param.parent;
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
    let arg: ts.Node = fn;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
    const call = arg.parent;
    if (!ts.isCallExpression(call)) return undefined;
    const argIndex = call.arguments.indexOf(arg as ts.Expression);
    const callee = argIndex >= 0 ? this.valueOf(call.expression) : undefined;
    if (callee?.kind !== 'fn') return undefined;
    const declared = callee.decl.parameters[argIndex]?.type;
    if (!declared || !ts.isFunctionTypeNode(declared)) return undefined;
    return declared.parameters[fn.parameters.indexOf(param)]?.type;
  }

  private trpcContextValue: Value | null | undefined;

  /**
   * The context of a tRPC procedure's resolver: the value returned by the function named in
   * `initTRPC.context<typeof createContext>()` (or a `Context` alias of `Awaited<ReturnType<typeof …>>`).
   */
  private trpcContext(param: ts.ParameterDeclaration): Value | undefined {
    const fn = param.parent;
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || fn.parameters[0] !== param) return undefined;
    let arg: ts.Node = fn;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
    const call = arg.parent;
    if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression) || !/^(?:mutation|query|subscription)$/.test(call.expression.name.text)) return undefined;
    if (this.trpcContextValue === undefined) {
      this.trpcContextValue = null;
      for (const file of this.base.targets()) {
        if (!file.source.text.includes('initTRPC')) continue;
        const visit = (n: ts.Node): void => {
          if (this.trpcContextValue) return;
          if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'context' && n.typeArguments?.length === 1) {
            const creator = this.contextCreator(n.typeArguments[0], file.ast);
            const v = creator ? this.returnValue(creator) : undefined;
            if (v) this.trpcContextValue = v;
          }
          n.forEachChild(visit);
        };
        visit(file.ast);
        if (this.trpcContextValue) break;
      }
    }
    return this.trpcContextValue ?? undefined;
  }

  /** `typeof createContext`, directly or inside a local type alias. */
  private contextCreator(type: ts.TypeNode, sf: ts.SourceFile): FnNode | undefined {
    let query: ts.TypeQueryNode | undefined;
    const find = (n: ts.Node): void => {
      if (query) return;
      if (ts.isTypeQueryNode(n)) query = n;
      else n.forEachChild(find);
    };
    find(type);
    if (!query && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const alias = sf.statements.find((st): st is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(st) && st.name.text === (type.typeName as ts.Identifier).text);
      if (alias) find(alias.type);
    }
    if (!query || !ts.isIdentifier(query.exprName)) return undefined;
    const v = this.valueOf(query.exprName);
    return v?.kind === 'fn' ? v.decl : undefined;
  }

  /** An annotation as a value: an instance of the named class (local or from a library). */
  valueOfType(type: ts.TypeNode): Value | undefined {
    if (ts.isUnionTypeNode(type)) {
      for (const t of type.types) {
        const v = this.valueOfType(t);
        if (v) return v;
      }
      return undefined;
    }
    // `typeof Order`: the value itself (NestJS injects Sequelize models as `model: typeof Order`).
    if (ts.isTypeQueryNode(type) && ts.isIdentifier(type.exprName)) {
      const decl = this.declarationOf(type.exprName);
      return decl ? this.valueOfDecl(decl) : undefined;
    }
    if (!ts.isTypeReferenceNode(type)) return undefined;
    const name = type.typeName;
    const root = ts.isIdentifier(name) ? name : leftmost(name);
    const decl = this.declarationOf(root);
    if (!decl) return undefined;
    // `type Queryable = Pool | PoolClient`: the alias stands for its type (here or in the file it is imported from).
    const alias = ts.isTypeAliasDeclaration(decl) ? decl : ts.isImportSpecifier(decl) && ts.isIdentifier(name) ? this.importedTypeAlias(decl) : undefined;
    if (alias) return this.depth > MAX_DEPTH ? undefined : this.withDepth(() => this.valueOfType(alias.type));
    let value = this.valueOfDecl(decl);
    if (ts.isQualifiedName(name)) {
      const parts: string[] = [];
      for (let n: ts.EntityName = name; ts.isQualifiedName(n); n = n.left) parts.unshift(n.right.text);
      for (const p of parts) value = this.member(value, p);
    }
    if (!value) return undefined;
    if (value.kind === 'class') return { kind: 'instance', decl: value.decl, file: value.file };
    if (value.kind === 'ext') return { kind: 'ext', path: `${value.path}()`, typeArgs: type.typeArguments };
    return undefined;
  }

  private withDepth<T>(f: () => T): T {
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** The type alias an import names, when the imported file of the repository exports one. */
  private importedTypeAlias(spec: ts.ImportSpecifier): ts.TypeAliasDeclaration | undefined {
    const from = this.base.resolveImport(this.fileOf(spec), moduleOf(spec));
    const name = (spec.propertyName ?? spec.name).text;
    return from?.ast.statements.find((st): st is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(st) && st.name.text === name);
  }

  /** A member of a value: class members (then the base class), object properties, module exports, library paths. */
  member(value: Value | undefined, name: string): Value | undefined {
    if (!value) return undefined;
    switch (value.kind) {
      case 'ext':
        return { kind: 'ext', path: `${value.path}.${name}`, transaction: value.transaction, creation: value.creation, creationFile: value.creationFile, binding: value.binding, typeArgs: value.typeArgs };
      case 'module':
        return this.exportOf(value.file, name);
      case 'object': {
        for (const p of value.lit.properties) {
          if (!p.name || propertyName(p.name) !== name) continue;
          if (ts.isPropertyAssignment(p)) return this.valueOf(p.initializer);
          if (ts.isShorthandPropertyAssignment(p)) return this.valueOf(p.name);
          if (ts.isMethodDeclaration(p)) return { kind: 'fn', decl: p, file: value.file };
        }
        return undefined;
      }
      case 'instance':
      case 'class':
        return this.classMember(value.decl, name, value.kind === 'class');
      default:
        return undefined;
    }
  }

  private classMember(cls: ts.ClassLikeDeclaration, name: string, isStatic: boolean): Value | undefined {
    const file = this.fileOf(cls);
    for (const m of cls.members) {
      const staticMember = hasModifier(m, ts.SyntaxKind.StaticKeyword);
      if (staticMember !== isStatic) continue;
      if (m.name && propertyName(m.name) === name) {
        // A getter reads as the value it returns (`get channel(): ConfirmChannel { return this.ch; }`).
        if (ts.isGetAccessorDeclaration(m)) return (m.type ? this.valueOfType(m.type) : undefined) ?? this.returnValue(m) ?? { kind: 'fn', decl: m, file };
        if (ts.isMethodDeclaration(m)) return { kind: 'fn', decl: m, file };
        if (ts.isPropertyDeclaration(m)) return this.valueOfDecl(m);
      }
      if (!isStatic && ts.isConstructorDeclaration(m)) {
        for (const p of m.parameters) {
          if (ts.isIdentifier(p.name) && p.name.text === name && ts.isParameterPropertyDeclaration(p, m)) return this.valueOfDecl(p);
        }
        // `this.pool = new Pool(…)` in the constructor.
        const assigned = m.body ? findThisAssignment(m.body, name) : undefined;
        if (assigned) return this.valueOf(assigned);
      }
    }
    const heritage = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    if (!heritage) return undefined;
    const base = this.valueOf(heritage.expression);
    if (base?.kind === 'class') return this.classMember(base.decl, name, isStatic);
    if (base?.kind === 'ext') return { kind: 'ext', path: `${base.path}${isStatic ? '' : '()'}.${name}` };
    return undefined;
  }

  /** A module import: a file of the repository (its exports) or an external library path. */
  moduleValue(from: CodeFile, specifier: string, exported: string | undefined): Value | undefined {
    // A Prisma client generated into the repository (`output = "../src/generated/prisma"`) is Prisma Client.
    if (GENERATED_PRISMA.test(specifier)) specifier = '@prisma/client';
    const local = this.base.resolveImport(from, specifier);
    if (local) return exported === undefined ? { kind: 'module', file: local } : this.exportOf(local, exported);
    const root = specifier.replace(/^node:/, '').replace(/\./g, '%');
    return { kind: 'ext', path: exported === undefined || exported === 'default' ? root : `${root}.${exported}` };
  }

  private exportOf(file: CodeFile, name: string): Value | undefined {
    const sf = file.ast;
    for (const st of sf.statements) {
      if (ts.isExportAssignment(st) && name === 'default') return this.valueOf(st.expression);
      const exported = hasModifier(st, ts.SyntaxKind.ExportKeyword);
      const isDefault = hasModifier(st, ts.SyntaxKind.DefaultKeyword);
      if (exported && (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st))) {
        if ((isDefault && name === 'default') || st.name?.text === name) return this.valueOfDecl(st);
      }
      if (exported && ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return this.valueOfDecl(d);
      }
      if (ts.isExportDeclaration(st)) {
        const spec = st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        if (st.exportClause && ts.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) {
            if (el.name.text !== name) continue;
            const inner = (el.propertyName ?? el.name).text;
            if (spec) return this.moduleValue(file, spec, inner);
            const local = this.scopeOf(sf)?.get(inner);
            return local ? this.valueOfDecl(local) : undefined;
          }
        } else if (!st.exportClause && spec && name !== 'default') {
          const target = this.base.resolveImport(file, spec);
          const v = target ? this.exportOf(target, name) : undefined;
          if (v) return v;
        }
      }
    }
    return undefined;
  }

  private assignmentsTo(sf: ts.SourceFile, name: string): ts.Expression[] {
    let map = this.assignments.get(sf);
    if (!map) {
      map = new Map();
      const m = map;
      const visit = (n: ts.Node): void => {
        if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left)) {
          const list = m.get(n.left.text) ?? [];
          list.push(n.right);
          m.set(n.left.text, list);
        }
        n.forEachChild(visit);
      };
      sf.forEachChild(visit);
      this.assignments.set(sf, map);
    }
    return map.get(name) ?? [];
  }
}

/** A created instance wins over an unknown or a plain global in `a ?? new B()`. */
function preferCreated(a: Value | undefined, b: Value | undefined): Value | undefined {
  if (a?.kind === 'ext' && a.path.startsWith('#') && b) return b;
  return a ?? b;
}

export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e) || ts.isAwaitExpression(e)) e = e.expression;
    else return e;
  }
}

function leftmost(name: ts.EntityName): ts.Identifier {
  let n = name;
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}

function moduleOf(decl: ts.ImportClause | ts.NamespaceImport | ts.ImportSpecifier): string {
  let n: ts.Node = decl;
  while (!ts.isImportDeclaration(n)) n = n.parent;
  return (n.moduleSpecifier as ts.StringLiteral).text;
}

export function propertyName(name: ts.PropertyName | ts.MemberName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) return name.expression.text;
  return undefined;
}

export function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) return n;
    // `this` inside a plain function is not the class instance.
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) return undefined;
  }
  return undefined;
}

export function isFunctionLike(n: ts.Node): n is FnNode {
  return ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n);
}

function isScope(n: ts.Node): boolean {
  return ts.isSourceFile(n) || ts.isBlock(n) || ts.isModuleBlock(n) || ts.isCaseBlock(n) || isFunctionLike(n) || ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isCatchClause(n);
}

function collectScope(node: ts.Node, map: Map<string, Decl>): void {
  const addBinding = (name: ts.BindingName, decl: Decl) => {
    if (ts.isIdentifier(name)) {
      if (!map.has(name.text)) map.set(name.text, decl);
      return;
    }
    for (const el of name.elements) if (!ts.isOmittedExpression(el)) addBinding(el.name, ts.isIdentifier(el.name) ? el : decl);
  };
  const addVariables = (list: ts.VariableDeclarationList) => {
    for (const d of list.declarations) addBinding(d.name, d);
  };
  const addStatement = (st: ts.Statement) => {
    if (ts.isVariableStatement(st)) addVariables(st.declarationList);
    else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) map.set(st.name.text, st);
    else if (ts.isImportDeclaration(st) && st.importClause) {
      const c = st.importClause;
      if (c.name) map.set(c.name.text, c);
      const nb = c.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) map.set(nb.name.text, nb);
      else if (nb) for (const el of nb.elements) map.set(el.name.text, el);
    } else if (ts.isImportEqualsDeclaration(st)) map.set(st.name.text, st);
  };
  if (ts.isSourceFile(node) || ts.isBlock(node) || ts.isModuleBlock(node)) {
    for (const st of node.statements) addStatement(st);
    // Type aliases last: a value of the same name (`const Order = z.object(…)`) wins.
    for (const st of node.statements) if (ts.isTypeAliasDeclaration(st) && !map.has(st.name.text)) map.set(st.name.text, st);
  }
  else if (ts.isCaseBlock(node)) for (const clause of node.clauses) for (const st of clause.statements) addStatement(st);
  else if (isFunctionLike(node)) {
    for (const p of node.parameters) addBinding(p.name, ts.isIdentifier(p.name) ? p : p);
    if ((ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node)) && node.name && !map.has(node.name.text)) map.set(node.name.text, node);
  } else if ((ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node)) && node.initializer && ts.isVariableDeclarationList(node.initializer)) {
    addVariables(node.initializer);
  } else if (ts.isCatchClause(node) && node.variableDeclaration) addBinding(node.variableDeclaration.name, node.variableDeclaration);
}

function findThisAssignment(body: ts.Block, name: string): ts.Expression | undefined {
  for (const st of body.statements) {
    if (!ts.isExpressionStatement(st) || !ts.isBinaryExpression(st.expression)) continue;
    const { left, operatorToken, right } = st.expression;
    if (operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(left) && left.expression.kind === ts.SyntaxKind.ThisKeyword && left.name.text === name) return right;
  }
  return undefined;
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) ? (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false) : false;
}
