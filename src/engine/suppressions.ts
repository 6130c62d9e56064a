/**
 * Suppression comments in SQL:
 *   -- plumbline-ignore <rule-id>[, <rule-id>…]: <reason>        the next statement
 *   -- plumbline-ignore-file <rule-id>[, <rule-id>…]: <reason>   the whole file
 *   -- squawk-ignore <squawk-id>[, …]  /  -- squawk-ignore-file   mapped through each rule's `sources.squawk`
 * Block comments (`/* plumbline-ignore … *\/`) work too. Only real comments count: the same text inside
 * a string literal or a function body is not a suppression (comments inside a `DO` block's body are,
 * since the statements there are checked). A suppression that names an unknown rule, names no rule,
 * has no reason, or suppresses nothing is itself reported.
 */
import type { Range, SourceFile } from '../core/source.js';
import { sqlComments } from '../sql/parse.js';

export interface Suppression {
  file: SourceFile;
  /** The comment, for reporting it. */
  range: Range;
  /** Plumbline rule ids this suppression covers (squawk ids already mapped). */
  ruleIds: string[];
  /** Ids as written that map to no rule. */
  unknownIds: string[];
  /**
   * A bare `squawk-ignore` / `squawk-ignore-file` (no ids): squawk reads it as "every rule", Plumbline
   * as every rule that has a squawk equivalent (those are in `ruleIds`). It is unused only when none of
   * them reports anything.
   */
  all?: boolean;
  scope: 'next-statement' | 'file';
  /** For `next-statement`: the range of the statement it applies to (set by the engine). */
  target?: Range;
  reason: string;
  origin: 'plumbline' | 'squawk';
  used: Set<string>;
}

const DIRECTIVE = /^(plumbline|squawk)-ignore(-file)?(?=[\s:,]|$)([\s\S]*)$/;

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
    for (const comment of sqlComments(text, section.start)) {
      const body = (comment.text.startsWith('--') ? comment.text.slice(2) : comment.text.slice(2, -2)).trim();
      const m = DIRECTIVE.exec(body);
      if (!m) continue;
      const origin = m[1] as 'plumbline' | 'squawk';
      let rest = m[3].trim();
      // squawk ends the id list at a nested `--` (`-- squawk-ignore ban-drop-column -- legacy table`).
      if (origin === 'squawk' && rest.includes('--')) rest = rest.slice(0, rest.indexOf('--'));
      const colon = rest.indexOf(':');
      const idsText = colon >= 0 ? rest.slice(0, colon) : rest;
      const reason = colon >= 0 ? rest.slice(colon + 1).trim() : '';
      const written = idsText.split(/[\s,]+/).filter(Boolean);
      const ruleIds: string[] = [];
      const unknownIds: string[] = [];
      for (const id of written) {
        if (origin === 'squawk') {
          const mapped = squawkToPlumbline.get(id);
          if (mapped) ruleIds.push(...mapped.filter((r) => !ruleIds.includes(r)));
          else unknownIds.push(id);
        } else if (knownIds.has(id)) {
          if (!ruleIds.includes(id)) ruleIds.push(id);
        } else unknownIds.push(id);
      }
      const all = origin === 'squawk' && written.length === 0;
      if (all) for (const ids of squawkToPlumbline.values()) for (const id of ids) if (!ruleIds.includes(id)) ruleIds.push(id);
      out.push({
        file,
        range: comment.range,
        ruleIds,
        unknownIds,
        ...(all ? { all } : {}),
        scope: m[2] ? 'file' : 'next-statement',
        reason,
        origin,
        used: new Set(),
      });
    }
  }
  return out;
}

/**
 * Binds each next-statement suppression to its statement: the first statement that starts after the
 * comment within the same enclosing statement (a comment inside a `DO` body binds to the next statement
 * of that body); a comment inside a statement with nothing after it there (between the columns of a
 * `CREATE TABLE`) binds to the enclosing statement; otherwise, the next statement of the file.
 */
export function bindSuppressions(suppressions: Suppression[], statementRanges: Range[]): void {
  const sorted = [...statementRanges].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const s of suppressions) {
    if (s.scope !== 'next-statement') continue;
    let container: Range | undefined;
    for (const r of sorted) {
      if (r.start <= s.range.start && s.range.end <= r.end && (!container || r.end - r.start <= container.end - container.start)) container = r;
    }
    const next = sorted.find((r) => r.start >= s.range.end && (!container || r.end <= container.end));
    s.target = next ?? container;
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
