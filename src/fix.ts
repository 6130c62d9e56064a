/**
 * Applying autofixes (`check --fix`): safe fixes only unless asked, never two overlapping edits in
 * one pass, files written only when their text changed.
 */
import { writeFileSync } from 'node:fs';
import type { Finding } from './core/finding.js';
import type { SourceFile } from './core/source.js';

export interface FixOutcome {
  /** Files rewritten, repository-relative. */
  files: string[];
  /** Fixes applied. */
  applied: number;
  /** Fixes skipped because they overlapped one already taken (a re-run applies them). */
  skipped: number;
}

/** New texts of files after applying the fixes of `findings` (pure: writes nothing). */
export function fixedTexts(findings: Finding[], includeUnsafe: boolean): { texts: Map<SourceFile, string>; applied: number; skipped: number } {
  const byFile = new Map<SourceFile, Finding[]>();
  for (const f of findings) {
    if (!f.fix || (!f.fix.safe && !includeUnsafe)) continue;
    const list = byFile.get(f.file) ?? [];
    list.push(f);
    byFile.set(f.file, list);
  }
  const texts = new Map<SourceFile, string>();
  let applied = 0;
  let skipped = 0;
  for (const [file, list] of byFile) {
    // Take fixes in file order; a fix whose edits touch a range already edited waits for the next run.
    const taken: Array<{ start: number; end: number; text: string }> = [];
    for (const f of list.sort((a, b) => a.range.start - b.range.start)) {
      const edits = f.fix!.edits;
      const overlaps = edits.some((e) => taken.some((t) => e.range.start < t.end && t.start < e.range.end || (e.range.start === t.start && e.range.end === t.end)));
      if (overlaps) {
        skipped++;
        continue;
      }
      for (const e of edits) taken.push({ start: e.range.start, end: e.range.end, text: e.text });
      applied++;
    }
    let text = file.text;
    for (const e of taken.sort((a, b) => b.start - a.start || b.end - a.end)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    if (text !== file.text) texts.set(file, text);
  }
  return { texts, applied, skipped };
}

export function applyFixes(findings: Finding[], includeUnsafe: boolean): FixOutcome {
  const { texts, applied, skipped } = fixedTexts(findings, includeUnsafe);
  for (const [file, text] of texts) writeFileSync(file.path, text);
  return { files: [...texts.keys()].map((f) => f.relPath).sort(), applied, skipped };
}
