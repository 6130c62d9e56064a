/**
 * Baselines: `plumbline baseline` records the findings a codebase has today, and `check --baseline FILE`
 * reports only the findings that are not in it. Documented in docs/output.md ("Baseline").
 *
 * A finding is identified by its fingerprint (src/reporters/fingerprint.ts): a hash of the rule, the
 * file path and the whitespace-normalised text of the flagged lines, plus `:N` for the N-th identical
 * one in the file. Lines added or removed elsewhere in the file do not change it; editing the flagged
 * statement, or renaming the file, does (the finding is then new, and the old entry is reported fixed).
 *
 * The file is JSON, version 1, one finding per line, sorted by path, rule and fingerprint, so a diff of
 * the baseline shows one line per finding that appeared or went away:
 *
 *   {
 *     "version": 1,
 *     "findings": [
 *       {"ruleId": "require-concurrent-index", "path": "db/migrations/V4__index.sql", "fingerprint": "…:1", "message": "…"}
 *     ]
 *   }
 *
 * `message` is there for the reader only; matching uses `fingerprint` (which already covers rule and path).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from './check.js';
import { analysedFiles, compareNotifications } from './changed.js';
import { ConfigError } from './config/config.js';
import type { Notification } from './core/finding.js';
import { fingerprints } from './reporters/fingerprint.js';

export const BASELINE_FILE = 'plumbline-baseline.json';
export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  ruleId: string;
  /** Relative to the analysis root, forward slashes: the path reports print. */
  path: string;
  fingerprint: string;
  message: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  findings: BaselineEntry[];
}

/** What `--baseline` did, for reporters (json `summary.baseline`, sarif `baselineState`, markdown). */
export interface BaselineSummary {
  /** The baseline file as given on the command line. */
  file: string;
  /** Entries in the file. */
  entries: number;
  /** Current findings left out because the baseline has them. */
  suppressed: number;
  /** Entries whose finding is gone (in the files this run analysed). */
  fixed: number;
}

function compareEntries(a: BaselineEntry, b: BaselineEntry): number {
  const key = (e: BaselineEntry) => [e.path, e.ruleId, e.fingerprint];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/** The baseline of a result: every finding it has (whatever filters a later check uses). */
export function createBaseline(result: CheckResult): Baseline {
  const prints = result.fingerprints ?? fingerprints(result.findings);
  const findings = result.findings
    .map((f) => ({ ruleId: f.ruleId, path: f.file.relPath, fingerprint: prints.get(f)!, message: f.message }))
    .sort(compareEntries);
  return { version: BASELINE_VERSION, findings };
}

/** One finding per line: a finding that appears or goes away is a one-line diff. Deterministic. */
export function serializeBaseline(baseline: Baseline): string {
  const lines = baseline.findings.map(
    (e) => `    {"ruleId": ${JSON.stringify(e.ruleId)}, "path": ${JSON.stringify(e.path)}, "fingerprint": ${JSON.stringify(e.fingerprint)}, "message": ${JSON.stringify(e.message)}}`,
  );
  return `{\n  "version": ${baseline.version},\n  "findings": [${lines.length ? `\n${lines.join(',\n')}\n  ` : ''}]\n}\n`;
}

/** Reads and checks a baseline file; any problem is a ConfigError (exit code 2) naming the file. */
export function readBaseline(file: string, shownAs = file): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `Baseline file ${shownAs} does not exist. Create it with \`plumbline baseline --output ${shownAs}\`.`
        : `Cannot read the baseline file ${shownAs}: ${code ?? (error as Error).message}.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Baseline file ${shownAs} is not valid JSON: ${(error as Error).message}.`);
  }
  const bad = (what: string) => new ConfigError(`Baseline file ${shownAs} is not a Plumbline baseline: ${what}.`);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('expected a JSON object');
  const { version, findings } = doc as { version?: unknown; findings?: unknown };
  if (version !== BASELINE_VERSION) {
    throw bad(`\`version\` is ${JSON.stringify(version)}, this Plumbline reads version ${BASELINE_VERSION} (run \`plumbline baseline\` to rewrite it)`);
  }
  if (!Array.isArray(findings)) throw bad('`findings` must be an array');
  const entries: BaselineEntry[] = [];
  findings.forEach((e, i) => {
    const entry = e as Partial<BaselineEntry> | null;
    for (const key of ['ruleId', 'path', 'fingerprint'] as const) {
      if (!entry || typeof entry[key] !== 'string' || !entry[key]) throw bad(`findings[${i}].${key} must be a non-empty string`);
    }
    entries.push({ ruleId: entry!.ruleId!, path: entry!.path!, fingerprint: entry!.fingerprint!, message: typeof entry!.message === 'string' ? entry!.message : '' });
  });
  return { version: BASELINE_VERSION, findings: entries };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Leaves out the findings the baseline has. Run after `filterChanged` when both are given: the
 * fingerprints then come from the full run. A baseline entry whose finding is gone becomes a note
 * (one per file), but only for files this run analysed or that no longer exist (and, with
 * `--changed-since`, only for changed files): an entry for a file outside the checked paths says nothing.
 */
export function applyBaseline(result: CheckResult, baseline: Baseline, file: string): CheckResult {
  const prints = result.fingerprints ?? fingerprints(result.findings);
  const known = new Set(baseline.findings.map((e) => e.fingerprint));
  const findings = result.findings.filter((f) => !known.has(prints.get(f)!));
  const suppressed = result.findings.length - findings.length;

  // Every finding of the full run, including those another filter left out: they are not "fixed".
  const current = new Set(prints.values());
  const analysed = analysedFiles(result);
  const changed = result.changedSince ? new Set(result.changedSince.changed) : undefined;
  const fixedByFile = new Map<string, BaselineEntry[]>();
  for (const e of baseline.findings) {
    if (current.has(e.fingerprint)) continue;
    if (!analysed.has(e.path) && existsSync(path.resolve(result.root, e.path))) continue;
    if (changed && !changed.has(e.path)) continue;
    fixedByFile.set(e.path, [...(fixedByFile.get(e.path) ?? []), e]);
  }
  const notifications: Notification[] = [...result.notifications];
  let fixed = 0;
  for (const [p, entries] of fixedByFile) {
    fixed += entries.length;
    const rules = [...new Set(entries.map((e) => e.ruleId))].sort();
    notifications.push({
      id: 'baseline-fixed',
      level: 'note',
      path: p,
      message: `${entries.length === 1 ? '1 baseline entry' : `${entries.length} baseline entries`} for \`${p}\` (${rules.map((r) => `\`${r}\``).join(', ')}) ${entries.length === 1 ? 'is' : 'are'} fixed since the baseline: run \`plumbline baseline\` to refresh ${file}.`,
    });
  }
  if (suppressed) {
    notifications.push({
      id: 'baseline',
      level: 'note',
      message: `${plural(suppressed, 'finding')} already in the baseline ${file} ${suppressed === 1 ? 'is' : 'are'} not shown.`,
    });
  }
  notifications.sort(compareNotifications);
  return {
    ...result,
    findings,
    notifications,
    fingerprints: prints,
    baseline: { file, entries: baseline.findings.length, suppressed, fixed },
  };
}
