/**
 * A file's text and the one place where offsets become lines and columns.
 *
 * Every range inside Plumbline is a pair of UTF-16 offsets into `SourceFile.text` (what JavaScript
 * strings index). libpg-query speaks UTF-8 bytes; `Utf8Index` converts those once, here.
 */

export interface Range {
  /** UTF-16 offset of the first character. */
  start: number;
  /** UTF-16 offset just past the last character. */
  end: number;
}

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in Unicode code points (what editors and SARIF's default `charOffset`-free columns show). */
  column: number;
}

export class SourceFile {
  private lineStartsCache: number[] | undefined;

  constructor(
    /** Absolute path on disk (or a virtual name for stdin). */
    readonly path: string,
    /** Path relative to the analysis root, with forward slashes: what reports print. */
    readonly relPath: string,
    readonly text: string,
  ) {}

  private get lineStarts(): number[] {
    if (!this.lineStartsCache) {
      const starts = [0];
      const text = this.text;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10) starts.push(i + 1);
        else if (c === 13) {
          if (text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
      this.lineStartsCache = starts;
    }
    return this.lineStartsCache;
  }

  /** Line and column of a UTF-16 offset. Columns count code points, so an emoji is one column. */
  position(offset: number): Position {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo];
    let column = 1;
    for (let i = lineStart; i < offset && i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      // Skip the low half of a surrogate pair: one code point, one column.
      if (c >= 0xdc00 && c <= 0xdfff && i > lineStart) {
        const prev = this.text.charCodeAt(i - 1);
        if (prev >= 0xd800 && prev <= 0xdbff) continue;
      }
      column++;
    }
    return { line: lo + 1, column };
  }

  lineCount(): number {
    return this.lineStarts.length;
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.lineStarts;
    const start = starts[line - 1];
    if (start === undefined) return '';
    const next = starts[line] ?? this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$|\r$/, '');
  }

  /** UTF-16 offset where a 1-based line starts. */
  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line - 1, this.lineStarts.length - 1))];
  }

  /**
   * The offset findings are ordered by: the offset itself. SQL generated from a TypeScript migration
   * (`MappedSourceFile`) orders by the TypeScript offset it comes from, so its findings follow the file.
   */
  orderOffset(offset: number): number {
    return offset;
  }
}

/**
 * Maps UTF-8 byte offsets of a string to UTF-16 offsets. Built once per parsed chunk; ASCII-only text
 * (the common case) takes a shortcut where both offsets are equal.
 */
export class Utf8Index {
  private readonly byteToUtf16: Uint32Array | undefined;
  readonly byteLength: number;

  constructor(readonly text: string) {
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.byteLength = text.length;
      return;
    }
    const byteLength = Buffer.byteLength(text, 'utf8');
    const map = new Uint32Array(byteLength + 1);
    let byte = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let width: number;
      if (c < 0x80) width = 1;
      else if (c < 0x800) width = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        // A surrogate pair is 4 UTF-8 bytes and 2 UTF-16 units.
        for (let k = 0; k < 4; k++) map[byte + k] = i;
        byte += 4;
        i++;
        continue;
      } else width = 3;
      for (let k = 0; k < width; k++) map[byte + k] = i;
      byte += width;
    }
    map[byteLength] = text.length;
    this.byteToUtf16 = map;
    this.byteLength = byteLength;
  }

  toUtf16(byteOffset: number): number {
    if (!this.byteToUtf16) return Math.min(byteOffset, this.text.length);
    if (byteOffset >= this.byteLength) return this.text.length;
    return this.byteToUtf16[Math.max(0, byteOffset)];
  }
}
