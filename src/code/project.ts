/**
 * Loading TypeScript for the code analyzer: one syntax tree per file, compiler options from the nearest
 * `tsconfig.json` (path aliases, baseUrl), and import resolution across files.
 *
 * The raw compiler API bundled with ts-morph is used directly: parsing with `createSourceFile` is several
 * times cheaper than building a ts-morph `Project`, and no rule needs types by default. Nothing here needs
 * `node_modules`: a bare import that does not resolve to a file of the repository is an external library,
 * known by its specifier (that is what the API catalogue matches on).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ts } from 'ts-morph';
import type { Notification } from '../core/finding.js';
import type { SourceFile } from '../core/source.js';
import { readSourceFile, relativePath } from '../io/read.js';

export interface CodeFile {
  source: SourceFile;
  ast: ts.SourceFile;
  options: ts.CompilerOptions;
  /** Findings are reported in target files only; other files are loaded to follow imports. */
  target: boolean;
}

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

export class CodeBase {
  private readonly files = new Map<string, CodeFile | null>();
  private readonly configs = new Map<string, ts.CompilerOptions>();
  private readonly resolutions = new Map<string, string | null>();
  private readonly moduleCache: ts.ModuleResolutionCache;
  /** When each file read from disk was read: a long-lived process (the ESLint plugin) notices edits. */
  readonly diskVersions = new Map<string, { mtimeMs: number; size: number }>();

  constructor(
    readonly root: string,
    readonly notifications: Notification[],
  ) {
    this.moduleCache = ts.createModuleResolutionCache(root, (f) => f);
  }

  /** Loads the files to analyse; unreadable ones become notifications. */
  static load(root: string, files: string[], notifications: Notification[]): CodeBase {
    const base = new CodeBase(root, notifications);
    for (const f of files) base.file(f, true);
    return base;
  }

  /** Target files, in path order. */
  targets(): CodeFile[] {
    const out: CodeFile[] = [];
    for (const f of this.files.values()) if (f?.target) out.push(f);
    return out.sort((a, b) => (a.source.relPath < b.source.relPath ? -1 : a.source.relPath > b.source.relPath ? 1 : 0));
  }

  /** A file by absolute path, parsed on first use (imports outside the given paths are still followed). */
  file(absolute: string, target = false): CodeFile | undefined {
    const known = this.files.get(absolute);
    if (known !== undefined) {
      if (known && target) known.target = true;
      return known ?? undefined;
    }
    const read = readSourceFile(absolute, this.root);
    try {
      const st = statSync(absolute);
      this.diskVersions.set(absolute, { mtimeMs: st.mtimeMs, size: st.size });
    } catch {
      // reported by readSourceFile
    }
    if ('notification' in read) {
      if (target) this.notifications.push(read.notification);
      this.files.set(absolute, null);
      return undefined;
    }
    return this.add(read.file, target);
  }

  /** A file already loaded (or known unreadable), without reading anything. */
  peek(absolute: string): CodeFile | undefined {
    return this.files.get(absolute) ?? undefined;
  }

  /** Adds a file from text (stdin, the ESLint plugin, tests). */
  add(source: SourceFile, target = true, ast?: ts.SourceFile): CodeFile {
    const kind = source.path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const tree = ast ?? ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true, kind);
    const file: CodeFile = { source, ast: tree, options: this.optionsFor(path.dirname(source.path)), target };
    this.files.set(source.path, file);
    const diagnostics = (tree as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
    if (target && diagnostics.length > 0) {
      const d = diagnostics[0];
      const pos = source.position(d.start);
      this.notifications.push({
        id: 'typescript-syntax-error',
        level: 'warning',
        path: source.relPath,
        message: `${source.relPath}:${pos.line}:${pos.column}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')} — the rest of the file is analysed as far as it parses.`,
      });
    }
    return file;
  }

  /** Repository files a file imports (`import`, `export … from`, `require`, `import()`), resolved. */
  importsOf(file: CodeFile): CodeFile[] {
    const out = new Set<CodeFile>();
    const add = (spec: ts.Expression | undefined) => {
      if (spec && ts.isStringLiteralLike(spec)) {
        const target = this.resolveImport(file, spec.text);
        if (target) out.add(target);
      }
    };
    for (const st of file.ast.statements) {
      if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) add(st.moduleSpecifier);
      else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference)) add(st.moduleReference.expression);
    }
    if (/\brequire\(|\bimport\(/.test(file.source.text)) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) add(n.arguments[0]);
        n.forEachChild(visit);
      };
      file.ast.forEachChild(visit);
    }
    return [...out];
  }

  /** The repository file an import specifier points at, if any (external packages resolve to undefined). */
  resolveImport(from: CodeFile, specifier: string): CodeFile | undefined {
    const dir = path.dirname(from.source.path);
    const key = `${dir}\0${specifier}`;
    let target = this.resolutions.get(key);
    if (target === undefined) {
      target = this.resolveUncached(from, specifier);
      this.resolutions.set(key, target);
    }
    return target ? this.file(target) : undefined;
  }

  private resolveUncached(from: CodeFile, specifier: string): string | null {
    const { resolvedModule } = ts.resolveModuleName(specifier, from.source.path, from.options, ts.sys, this.moduleCache);
    const resolved = resolvedModule?.resolvedFileName;
    if (resolved && !resolvedModule.isExternalLibraryImport && !resolved.includes(`${path.sep}node_modules${path.sep}`) && !/\.d\.[mc]?ts$/.test(resolved)) {
      return resolved;
    }
    // ESM sources import `./x.js` for `./x.ts`; TypeScript maps that, but without options it may not.
    if (specifier.startsWith('.')) {
      const base = path.resolve(path.dirname(from.source.path), specifier.replace(/\.[mc]?js$/, ''));
      for (const ext of EXTENSIONS) if (existsSync(base + ext)) return base + ext;
      for (const ext of EXTENSIONS) if (existsSync(path.join(base, `index${ext}`))) return path.join(base, `index${ext}`);
    }
    return null;
  }

  /** Compiler options of the nearest tsconfig.json above `dir` (stopping at a package root). */
  private optionsFor(dir: string): ts.CompilerOptions {
    const cached = this.configs.get(dir);
    if (cached) return cached;
    let options: ts.CompilerOptions;
    const config = path.join(dir, 'tsconfig.json');
    const parent = path.dirname(dir);
    if (existsSync(config)) options = this.readConfig(config);
    else if (parent === dir || existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, '.git'))) options = defaultOptions();
    else options = this.optionsFor(parent);
    this.configs.set(dir, options);
    return options;
  }

  private readConfig(configPath: string): ts.CompilerOptions {
    const problems: string[] = [];
    const host: ts.ParseConfigFileHost = {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, ' ')),
    };
    // Only the options matter: an empty include list keeps TypeScript from walking the whole folder.
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: true }, host, undefined, undefined, undefined);
    if (!parsed || problems.length > 0) {
      this.notifications.push({
        id: 'tsconfig-error',
        level: 'warning',
        path: relativePath(this.root, configPath),
        message: `Cannot read ${relativePath(this.root, configPath)}: ${problems[0] ?? 'unknown error'}. Imports through its path aliases are not followed.`,
      });
      return defaultOptions();
    }
    return { ...defaultOptions(), ...parsed.options };
  }
}

function defaultOptions(): ts.CompilerOptions {
  return { moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext, allowJs: false, target: ts.ScriptTarget.Latest };
}
