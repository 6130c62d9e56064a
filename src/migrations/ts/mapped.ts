/**
 * SQL generated from a TypeScript migration, and the way back to the TypeScript file.
 *
 * A TypeScript migration (TypeORM, Knex, node-pg-migrate…) becomes a script whose `file` is a
 * `MappedSourceFile`: its `text` is the SQL the tool would send (statements separated by `;\n`), and
 * every offset of that text maps to an offset of the TypeScript file. Rules and the engine work on the
 * SQL as usual; reporters only ever turn offsets into places through `position()`, `lineText()` and
 * `lineCount()`, which this class answers in the TypeScript file's coordinates. So a finding on a
 * statement copied from a string literal lands on the exact character of the literal, and a finding on
 * a statement built from a builder call lands on that call.
 *
 * `Sql` is the unit the translators build with: text plus, for every character, the TypeScript offset it
 * comes from.
 */
import { type Position, SourceFile } from '../../core/source.js';

export class Sql {
  constructor(
    readonly text: string,
    /** TypeScript offset of each character of `text` (same length). */
    readonly offsets: readonly number[],
    /**
     * TypeScript offset just past the last character this text was copied from (for text copied from a
     * literal: the closing quote), so that a range ending at the end of `text` ends there.
     */
    readonly end?: number,
  ) {}

  get length(): number {
    return this.text.length;
  }

  /** Text whose every character comes from one place (a builder call, an argument). */
  static at(text: string, at: number): Sql {
    return new Sql(text, new Array<number>(text.length).fill(at));
  }

  static concat(parts: Sql[]): Sql {
    let text = '';
    const offsets: number[] = [];
    for (const p of parts) {
      text += p.text;
      for (const o of p.offsets) offsets.push(o);
    }
    return new Sql(text, offsets, parts.length ? parts[parts.length - 1].end : undefined);
  }

  static join(parts: Sql[], separator: string, at: number): Sql {
    const out: Sql[] = [];
    parts.forEach((p, i) => {
      if (i > 0) out.push(Sql.at(separator, at));
      out.push(p);
    });
    return Sql.concat(out);
  }

  slice(start: number, end = this.text.length): Sql {
    return new Sql(this.text.slice(start, end), this.offsets.slice(start, end), end >= this.text.length ? this.end : this.offsets[end]);
  }

  trim(): Sql {
    const start = this.text.length - this.text.trimStart().length;
    const end = this.text.trimEnd().length;
    return this.slice(start, Math.max(start, end));
  }
}

/**
 * Builds SQL mapped to `at`: the literal parts of the template and plain string values map to `at`,
 * `Sql` values keep their own offsets. `gen(call.getStart())\`DROP TABLE ${ident(name)}\``.
 */
export function gen(at: number) {
  return (strings: TemplateStringsArray, ...values: Array<Sql | string | number>): Sql => {
    const parts: Sql[] = [];
    strings.forEach((s, i) => {
      if (s) parts.push(Sql.at(s, at));
      if (i < values.length) {
        const v = values[i];
        parts.push(v instanceof Sql ? v : Sql.at(String(v), at));
      }
    });
    return Sql.concat(parts);
  };
}

/** A double-quoted identifier; quotes map to the name's first character. */
export function ident(name: Sql | string, at = 0): Sql {
  const s = typeof name === 'string' ? Sql.at(name, at) : name;
  const first = s.offsets[0] ?? at;
  const parts: Sql[] = [Sql.at('"', first)];
  for (let i = 0; i < s.text.length; i++) {
    const ch = s.text[i];
    parts.push(Sql.at(ch === '"' ? '""' : ch, s.offsets[i]));
  }
  parts.push(Sql.at('"', s.end ?? s.offsets[s.offsets.length - 1] ?? first));
  return Sql.concat(parts);
}

/** A schema-qualified name: `public.orders` → `"public"."orders"`. */
export function qualified(name: Sql | string, at = 0): Sql {
  const s = typeof name === 'string' ? Sql.at(name, at) : name;
  const dot = s.text.indexOf('.');
  if (dot <= 0 || s.text.startsWith('"')) return s.text.startsWith('"') ? s : ident(s, at);
  return Sql.concat([ident(s.slice(0, dot), at), Sql.at('.', s.offsets[dot]), ident(s.slice(dot + 1), at)]);
}

/** A single-quoted string constant. */
export function quote(value: Sql | string, at = 0): Sql {
  const s = typeof value === 'string' ? Sql.at(value, at) : value;
  const first = s.offsets[0] ?? at;
  const parts: Sql[] = [Sql.at("'", first)];
  for (let i = 0; i < s.text.length; i++) {
    const ch = s.text[i];
    parts.push(Sql.at(ch === "'" ? "''" : ch, s.offsets[i]));
  }
  parts.push(Sql.at("'", s.end ?? first));
  return Sql.concat(parts);
}

/** One statement of a script: its SQL and where the TypeScript code that produces it ends. */
export interface MappedStatement {
  sql: Sql;
  /** TypeScript offset the terminating `;` maps to (the end of the call or literal). */
  end: number;
}

/** Concatenates statements into one SQL text (`;\n` after each) with its offset map. */
export function assemble(statements: MappedStatement[], eofOffset: number): { text: string; offsets: Int32Array } {
  let text = '';
  const offsets: number[] = [];
  for (const st of statements) {
    text += st.sql.text;
    for (const o of st.sql.offsets) offsets.push(o);
    // A statement ending in a `--` comment would swallow the semicolon: end the line first.
    const separator = /--[^\n]*$/.test(st.sql.text) ? '\n;\n' : ';\n';
    text += separator;
    for (let i = 0; i < separator.length; i++) offsets.push(st.end);
  }
  offsets.push(eofOffset);
  return { text, offsets: Int32Array.from(offsets) };
}

/**
 * A script generated from a TypeScript file: `text` is SQL, positions and lines are the TypeScript
 * file's. `path` and `relPath` are the TypeScript file's, so reports, SARIF and fingerprints name it.
 */
export class MappedSourceFile extends SourceFile {
  /** Marks generated text: autofix edits would be edits to SQL that is not on disk, so none are offered. */
  readonly generated = true;

  constructor(
    readonly origin: SourceFile,
    text: string,
    /** TypeScript offset of every offset of `text`, and one more for the end of the text. */
    readonly offsets: Int32Array,
  ) {
    super(origin.path, origin.relPath, text);
  }

  /** The TypeScript offset an offset of the generated SQL comes from. */
  originOffset(offset: number): number {
    const i = Math.max(0, Math.min(Math.floor(offset), this.offsets.length - 1));
    return this.offsets[i] ?? 0;
  }

  override position(offset: number): Position {
    const i = Math.max(0, Math.min(Math.floor(offset), this.offsets.length - 1));
    // Where the mapping jumps back (after a name copied from an argument, the generated text around it
    // maps to the call again), the offset is the end of what came before: a range ending there ends
    // just past that name, not back at the call.
    // A statement (or line) start is never such an end.
    if (i > 0 && this.offsets[i] < this.offsets[i - 1] && !/[;\n]/.test(this.text[i - 1] ?? '')) return this.origin.position(this.offsets[i - 1] + 1);
    return this.origin.position(this.offsets[i] ?? 0);
  }

  override lineCount(): number {
    return this.origin.lineCount();
  }

  override lineText(line: number): string {
    return this.origin.lineText(line);
  }

  override orderOffset(offset: number): number {
    return this.originOffset(offset);
  }

  /** The first generated offset that comes from the given TypeScript line or a later one. */
  override lineStart(line: number): number {
    const target = this.origin.lineStart(line);
    for (let i = 0; i < this.offsets.length; i++) if (this.offsets[i] >= target) return i;
    return this.text.length;
  }
}

export function isGenerated(file: SourceFile): file is MappedSourceFile {
  return (file as Partial<MappedSourceFile>).generated === true;
}

/**
 * Gives a source file that crossed a worker thread (structured clone keeps data, not classes) its class
 * back: `MappedSourceFile` (and its origin) for generated scripts, `SourceFile` otherwise.
 */
export function restoreSourceFile(file: SourceFile): void {
  const data = file as Partial<MappedSourceFile>;
  if (data.generated === true && data.origin) {
    Object.setPrototypeOf(data.origin, SourceFile.prototype);
    Object.setPrototypeOf(file, MappedSourceFile.prototype);
  } else {
    Object.setPrototypeOf(file, SourceFile.prototype);
  }
}
