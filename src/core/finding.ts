import type { Range, SourceFile } from './source.js';

export type Severity = 'error' | 'warning' | 'note';

export const SEVERITY_RANK: Record<Severity, number> = { note: 1, warning: 2, error: 3 };

export interface Location {
  file: SourceFile;
  range: Range;
  /** What this place has to do with the finding ("the NOT VALID constraint was added here"). */
  message?: string;
}

export interface TextEdit {
  range: Range;
  text: string;
}

export interface Fix {
  description: string;
  /** Safe fixes keep the meaning of the migration; unsafe ones change it and need a human look. */
  safe: boolean;
  edits: TextEdit[];
}

/** The one result type: rules, parse errors and suppression checks all produce it. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  file: SourceFile;
  range: Range;
  /** What is wrong, in one sentence. */
  message: string;
  /** Why it breaks an invariant: the lock and what it blocks, or the data that is lost. */
  why: string;
  /** What to do instead. */
  remedy: string;
  related?: Location[];
  /** A multi-step flow (call chain from a handler down to a query): SARIF `codeFlows`. */
  flow?: Location[];
  fix?: Fix;
  /** Facts for machine consumers (lock mode, table...). Carried into JSON and SARIF properties. */
  properties?: Record<string, string | number | boolean>;
}

/** Problems with inputs that are not findings about code: unreadable files, bad globs, skipped files. */
export interface Notification {
  level: 'error' | 'warning' | 'note';
  message: string;
  /** Repository-relative path, when the notification is about one file. */
  path?: string;
  /** A stable id such as `unreadable-file`, `binary-file`, `file-too-large`. */
  id: string;
}

export function compareFindings(a: Finding, b: Finding): number {
  if (a.file.relPath !== b.file.relPath) return a.file.relPath < b.file.relPath ? -1 : 1;
  const as = a.file.orderOffset?.(a.range.start) ?? a.range.start;
  const bs = b.file.orderOffset?.(b.range.start) ?? b.range.start;
  if (as !== bs) return as - bs;
  if (a.range.start !== b.range.start) return a.range.start - b.range.start;
  if (a.ruleId !== b.ruleId) return a.ruleId < b.ruleId ? -1 : 1;
  if (a.range.end !== b.range.end) return a.range.end - b.range.end;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
