/**
 * Stable fingerprints for findings: they survive unrelated lines moving above, because they hash the
 * rule, the file and the text of the flagged lines (whitespace-normalised), not line numbers.
 * Repeated identical text in one file gets an occurrence suffix (`:2`), as GitHub's own hash does.
 */
import { createHash } from 'node:crypto';
import type { CheckResult } from '../check.js';
import type { Finding } from '../core/finding.js';

export function fingerprints(findings: Finding[]): Map<Finding, string> {
  const out = new Map<Finding, string>();
  const seen = new Map<string, number>();
  for (const f of findings) {
    const start = f.file.position(f.range.start).line;
    const end = f.file.position(Math.max(f.range.start, f.range.end - 1)).line;
    const lines: string[] = [];
    for (let l = start; l <= Math.min(end, start + 20); l++) lines.push(f.file.lineText(l).replace(/\s+/g, ' ').trim());
    const hash = createHash('sha256').update(`${f.ruleId}\0${f.file.relPath}\0${lines.join('\n')}`).digest('hex').slice(0, 32);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    out.set(f, `${hash}:${n}`);
  }
  return out;
}

/**
 * The fingerprints of a result's findings. When findings were left out after the analysis
 * (`--changed-since`, `--baseline`), the ones computed on the full list, so that a kept finding keeps
 * its occurrence number (`:2` stays `:2` when the identical `:1` is in the baseline).
 */
export function resultFingerprints(result: CheckResult): Map<Finding, string> {
  return result.fingerprints ?? fingerprints(result.findings);
}
