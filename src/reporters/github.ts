/**
 * The `github` format: GitHub Actions workflow commands (`::error file=…,line=…::message`), which the
 * runner turns into annotations on the pull request diff, then one plain summary line for the log.
 * Documented in docs/output.md.
 *
 * Escaping follows @actions/core: in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property
 * values `:` and `,` also become `%3A` and `%2C`. Columns are Unicode code points, as in every format;
 * the runner accepts columns only on single-line annotations, so multi-line ranges carry lines only.
 */
import type { Finding, Notification, Severity } from '../core/finding.js';
import { plainText, sarifRegion } from './sarif.js';
import type { Reporter } from './types.js';

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', note: 'notice' };

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, properties: Array<[string, string | number | undefined]>, message: string): string {
  const props = properties.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${name}${props.length ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}

function annotation(f: Finding): string {
  const r = sarifRegion(f.file, f.range);
  const oneLine = r.startLine === r.endLine;
  const lines = [plainText(f.message), `Why: ${plainText(f.why)}`, `Fix: ${plainText(f.remedy)}`];
  for (const rel of f.related ?? []) {
    const p = rel.file.position(rel.range.start);
    lines.push(`See ${rel.file.relPath}:${p.line}:${p.column}${rel.message ? ` (${plainText(rel.message)})` : ''}`);
  }
  return command(
    COMMAND[f.severity],
    [
      ['file', f.file.relPath],
      ['line', r.startLine],
      ['col', oneLine ? r.startColumn : undefined],
      ['endLine', r.endLine],
      ['endColumn', oneLine ? r.endColumn : undefined],
      ['title', `plumbline(${f.ruleId})`],
    ],
    lines.join('\n'),
  );
}

function notificationAnnotation(n: Notification): string {
  return command(COMMAND[n.level], [['file', n.path], ['title', `plumbline(${n.id})`]], plainText(n.message));
}

export const githubReporter: Reporter = (result) => {
  const out = [...result.findings.map(annotation), ...result.notifications.map(notificationAnnotation)];
  const count = (s: Severity) => result.findings.filter((f) => f.severity === s).length;
  const [e, w, n] = [count('error'), count('warning'), count('note')];
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const checked = `${plural(result.fileCount, 'file')} checked`;
  const files = new Set(result.findings.map((f) => f.file.relPath)).size;
  const notices = result.notifications.length ? `, ${plural(result.notifications.length, 'notification')}` : '';
  out.push(
    result.findings.length === 0
      ? `plumbline: no problems (${checked}${notices}).`
      : `plumbline: ${plural(e, 'error')}, ${plural(w, 'warning')}, ${plural(n, 'note')} in ${plural(files, 'file')} (${checked}${notices}).`,
  );
  return `${out.join('\n')}\n`;
};
