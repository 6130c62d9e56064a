/**
 * Suppression comments in SQL:
 *   -- plumbline-ignore <rule-id>[, <rule-id>…]: <reason>        the next statement
 *   -- plumbline-ignore-file <rule-id>[, <rule-id>…]: <reason>   the whole file
 *   -- squawk-ignore <squawk-id>[, …]  /  -- squawk-ignore-file   mapped through each rule's `sources.squawk`
 * A suppression that names an unknown rule, has no reason, or suppresses nothing is itself reported.
 */
import type { Range, SourceFile } from '../core/source.js';

export interface Suppression {
  file: SourceFile;
  /** The comment, for reporting it. */
  range: Range;
  /** Plumbline rule ids this suppression covers (squawk ids already mapped). */
  ruleIds: string[];
  /** Ids as written that map to no rule. */
  unknownIds: string[];
  scope: 'next-statement' | 'file';
  /** For `next-statement`: the range of the statement it applies to (set by the engine). */
  target?: Range;
  reason: string;
  origin: 'plumbline' | 'squawk';
  used: Set<string>;
}

const PATTERN = /--\s*(plumbline|squawk)-ignore(-file)?(?=\s|$)([^\n\r]*)/g;

/**
 * Finds suppression comments in the given regions of a file. `squawkToPlumbline` maps squawk ids.
 */
export function findSuppressions(
  file: SourceFile,
  sections: Range[],
  knownIds: Set<string>,
  squawkToPlumbline: Map<string, string[]>,
): Suppression[] {
  const out: Suppression[] = [];
  for (const section of sections) {
    const text = file.text.slice(section.start, section.end);
    if (!text.includes('-ignore')) continue;
    for (const m of text.matchAll(PATTERN)) {
      const origin = m[1] as 'plumbline' | 'squawk';
      const rest = m[3].trim();
      const colon = rest.indexOf(':');
      const idsText = colon >= 0 ? rest.slice(0, colon) : rest;
      const reason = colon >= 0 ? rest.slice(colon + 1).trim() : '';
      const written = idsText.split(/[\s,]+/).filter(Boolean);
      const ruleIds: string[] = [];
      const unknownIds: string[] = [];
      for (const id of written) {
        if (origin === 'squawk') {
          const mapped = squawkToPlumbline.get(id);
          if (mapped) ruleIds.push(...mapped);
          else unknownIds.push(id);
        } else if (knownIds.has(id)) ruleIds.push(id);
        else unknownIds.push(id);
      }
      const start = section.start + (m.index ?? 0);
      out.push({
        file,
        range: { start, end: start + m[0].trimEnd().length },
        ruleIds,
        unknownIds,
        scope: m[2] ? 'file' : 'next-statement',
        reason,
        origin,
        used: new Set(),
      });
    }
  }
  return out;
}

/** Binds each next-statement suppression to the first statement that starts after it. */
export function bindSuppressions(suppressions: Suppression[], statementRanges: Range[]): void {
  const sorted = [...statementRanges].sort((a, b) => a.start - b.start);
  for (const s of suppressions) {
    if (s.scope !== 'next-statement') continue;
    s.target = sorted.find((r) => r.start >= s.range.end);
  }
}

/** The suppression covering a finding of `ruleId` at `range`, if any (and marks it used). */
export function suppressionFor(suppressions: Suppression[], ruleId: string, range: Range): Suppression | undefined {
  for (const s of suppressions) {
    if (!s.ruleIds.includes(ruleId)) continue;
    if (s.scope === 'file' || (s.target && range.start >= s.target.start && range.start <= s.target.end)) {
      s.used.add(ruleId);
      return s;
    }
  }
  return undefined;
}
