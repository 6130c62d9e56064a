/**
 * The `markdown` format: a GitHub-flavoured Markdown report for `$GITHUB_STEP_SUMMARY` or a pull request
 * comment (documented in docs/output.md). A summary line with the counts by severity, then the findings
 * grouped by file (files in path order, findings in position order): one short line each (severity,
 * rule id linked to its docs, line, message) and a collapsed `<details>` with why, how to fix and the
 * flagged code; then the notifications.
 *
 * Size-capped for GitHub's 65,536-character limit on a comment body: when the report is longer, the
 * details go first (those of notes first, then warnings, then errors; within a severity, the last in
 * file order first), then whole findings in the same order; a closing note says what was left out.
 * Lengths are counted in UTF-16 code units, which is never fewer than the characters GitHub counts.
 */
import type { CheckResult } from '../check.js';
import type { Finding, Notification, Severity } from '../core/finding.js';
import { helpUri } from '../core/rule.js';
import pc from 'picocolors';
import { timelineLines } from './timeline.js';
import type { Reporter, ReportContext } from './types.js';

/** GitHub rejects a comment (issue, pull request, review) whose body is longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The first line: lets a workflow find and update its own earlier comment. Invisible when rendered. */
export const MARKER = '<!-- plumbline-report -->';

const ICON: Record<Severity, string> = { error: '❌', warning: '⚠️', note: 'ℹ️' };
const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
const MAX_EXCERPT_LINES = 6;
/** Notifications that the summary line already tells. */
const IN_SUMMARY = new Set(['changed-since', 'baseline']);

export const markdownReporter: Reporter = (result, ctx) => buildMarkdown(result, ctx);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const sentence = (text: string) => (/[.!?…:]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/**
 * Inline Markdown from a message: code spans (`name`) are kept, everything else is escaped so that it
 * shows as written: no emphasis, links or HTML. `@name` and `#123` become code spans: GitHub links
 * mentions and references in the rendered text, where a backslash escape is already gone.
 * Line breaks become spaces.
 */
export function inline(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, ' ');
  let out = '';
  let last = 0;
  for (const m of flat.matchAll(/`[^`]+`/g)) {
    out += escape(flat.slice(last, m.index)) + m[0];
    last = m.index! + m[0].length;
  }
  return out + escape(flat.slice(last));
}

function escape(text: string): string {
  return text
    .split(/(@[A-Za-z0-9][\w-]*|#\d+\b)/)
    .map((part, i) => (i % 2 ? codeSpan(part) : part.replace(/[\\`*_[\]<>|~#@&]/g, '\\$&')))
    .join('');
}

/** A code span holding `text` literally, whatever backticks it contains. */
export function codeSpan(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r\n|\r|\n/g, ' ')}${pad}${fence}`;
}

function language(relPath: string): string {
  const ext = relPath.slice(relPath.lastIndexOf('.') + 1).toLowerCase();
  return ext === 'sql' ? 'sql' : ext === 'ts' || ext === 'tsx' || ext === 'mts' || ext === 'cts' ? 'ts' : '';
}

/** The flagged lines (at most MAX_EXCERPT_LINES) as a fenced code block, indented for the list item. */
function excerpt(f: Finding): string[] {
  const start = f.file.position(f.range.start).line;
  let end = f.file.position(Math.max(f.range.start, f.range.end)).line;
  // A range that ends just past a line break ends on the line before.
  if (end > start && f.file.position(f.range.end).column === 1) end--;
  const last = Math.min(end, start + MAX_EXCERPT_LINES - 1);
  const lines: string[] = [];
  for (let l = start; l <= last; l++) lines.push(f.file.lineText(l).replace(/\s+$/, ''));
  if (end > last) lines.push('…');
  const runs = lines.join('\n').match(/`{3,}/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return [`${fence}${language(f.file.relPath)}`, ...lines, fence].map((l) => (l ? `  ${l}` : ''));
}

function findingLines(f: Finding, detailed: boolean): string[] {
  const line = f.file.position(f.range.start).line;
  const head = `- ${ICON[f.severity]} **${f.severity}** [${codeSpan(f.ruleId)}](${helpUri(f.ruleId)}) · line ${line}: ${inline(f.message)}`;
  if (!detailed) return [head];
  const body = [`**Why:** ${inline(f.why)}`, `**Fix:** ${inline(f.remedy)}`];
  for (const r of f.related ?? []) {
    const p = r.file.position(r.range.start);
    body.push(`**See:** ${codeSpan(`${r.file.relPath}:${p.line}:${p.column}`)}${r.message ? ` ${inline(r.message)}` : ''}`);
  }
  if (f.fix) {
    body.push(`**Autofix (${f.fix.safe ? 'safe' : 'unsafe: it changes what the migration does'}):** ${inline(sentence(f.fix.description))} ${f.fix.safe ? '`plumbline check --fix`' : '`plumbline check --fix --fix-unsafe`'} applies it.`);
  }
  return [
    head,
    '  <details><summary>Why, how to fix, and the code</summary>',
    '',
    ...body.flatMap((b) => [`  ${b}`, '']),
    ...excerpt(f),
    '',
    '  </details>',
    '',
  ];
}

function notificationLine(n: Notification): string {
  return `- ${ICON[n.level]} **${n.level}** ${codeSpan(n.id)}${n.path ? ` · ${codeSpan(n.path)}` : ''}: ${inline(n.message)}`;
}

function summary(result: CheckResult): string[] {
  const count = (s: Severity) => result.findings.filter((f) => f.severity === s).length;
  const checked = `${plural(result.fileCount, 'file')} checked`;
  const files = new Set(result.findings.map((f) => f.file.relPath)).size;
  const lines = [
    result.findings.length === 0
      ? `✅ **No problems** (${checked}).`
      : `${ICON.error} **${plural(count('error'), 'error')}**, ${ICON.warning} **${plural(count('warning'), 'warning')}**, ${ICON.note} **${plural(count('note'), 'note')}** in ${plural(files, 'file')} (${checked}).`,
  ];
  const scope: string[] = [];
  if (result.changedSince) {
    const c = result.changedSince;
    scope.push(
      `Only the ${plural(c.files.length, 'file')} changed since ${codeSpan(c.ref)} ${c.files.length === 1 ? 'is' : 'are'} reported${c.hidden ? `: ${plural(c.hidden, 'finding')} in other files ${c.hidden === 1 ? 'is' : 'are'} not shown` : ''}.`,
    );
  }
  if (result.baseline) {
    const b = result.baseline;
    scope.push(
      `${plural(b.suppressed, 'finding')} already in the baseline ${codeSpan(b.file)} ${b.suppressed === 1 ? 'is' : 'are'} not shown` +
        `${b.fixed ? `; ${b.fixed === 1 ? '1 baseline entry is' : `${b.fixed} baseline entries are`} fixed` : ''}.`,
    );
  }
  if (scope.length) lines.push('', scope.join(' '));
  return lines;
}

interface Cut {
  /** Findings shown, and those among them shown with their details. */
  kept: Set<Finding>;
  detailed: Set<Finding>;
  /** Notifications shown (the first N, errors first). */
  notifications: Notification[];
  /** What was left out, to say so. */
  omitted?: { details: number; findings: Finding[]; notifications: number; timeline?: boolean };
  /** With --replay: show the lock timeline (the first thing left out when the report is too long). */
  timeline?: boolean;
}

/** Each finding's lines, rendered once however many cuts are tried. */
type Lines = (f: Finding, detailed: boolean) => string[];

function memoLines(): Lines {
  const cache = new Map<Finding, [string[]?, string[]?]>();
  return (f, detailed) => {
    const entry = cache.get(f) ?? [];
    cache.set(f, entry);
    const i = detailed ? 1 : 0;
    return (entry[i] ??= findingLines(f, detailed));
  };
}

function render(result: CheckResult, cut: Cut, lines: Lines = findingLines): string {
  const out = [MARKER, '### Plumbline', '', ...summary(result), ''];
  let file: string | undefined;
  for (const f of result.findings) {
    if (!cut.kept.has(f)) continue;
    if (f.file.relPath !== file) {
      file = f.file.relPath;
      // A blank line ends the previous list (and its last item's details) before the heading.
      if (out[out.length - 1] !== '') out.push('');
      out.push(`#### ${codeSpan(file)}`, '');
    }
    out.push(...lines(f, cut.detailed.has(f)));
  }
  if (out[out.length - 1] !== '') out.push('');
  if (cut.timeline) {
    const timeline = timelineLines(result, pc.createColors(false));
    if (timeline.length) {
      out.push(`<details><summary>${inline(timeline[0])}</summary>`, '', '```text', ...timeline.slice(1), '```', '</details>', '');
    }
  }
  if (cut.notifications.length) {
    out.push('#### Notifications', '', ...cut.notifications.map(notificationLine), '');
  }
  const o = cut.omitted;
  if (o && (o.details || o.findings.length || o.notifications || o.timeline)) {
    const parts: string[] = [];
    if (o.details) parts.push(`the details of ${plural(o.details, 'finding')}`);
    if (o.findings.length) {
      const by = (['error', 'warning', 'note'] as const).map((s) => [s, o.findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n);
      parts.push(`${plural(o.findings.length, 'finding')} (${by.map(([s, n]) => plural(n, s)).join(', ')})`);
    }
    if (o.notifications) parts.push(plural(o.notifications, 'notification'));
    if (o.timeline) parts.push('the lock timeline');
    const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
    out.push(
      `> **Left out to fit GitHub's 65,536-character limit:** ${list}. Run \`plumbline check\` (\`text\` or \`json\` format) for the full report.`,
      '',
    );
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** Most important first: errors, then warnings, then notes; in file order within a severity. */
function byPriority(findings: Finding[]): Finding[] {
  const order = new Map(findings.map((f, i) => [f, i]));
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || order.get(a)! - order.get(b)!);
}

/** Largest n in [0, max] for which fits(n) holds, given fits is monotone (true then false); -1 if none. */
function largest(max: number, fits: (n: number) => boolean): number {
  if (!fits(0)) return -1;
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function buildMarkdown(result: CheckResult, _ctx: ReportContext, maxChars = GITHUB_COMMENT_LIMIT): string {
  const all = new Set(result.findings);
  const lines = memoLines();
  // Shown in their order; when they must go too, errors are kept first.
  const shownNotifications = result.notifications.filter((n) => !IN_SUMMARY.has(n.id));
  const position = new Map(shownNotifications.map((n, i) => [n, i]));
  const notifications = [...shownNotifications].sort((a, b) => RANK[a.level] - RANK[b.level] || position.get(a)! - position.get(b)!);
  const full = render(result, { kept: all, detailed: all, notifications: shownNotifications, timeline: true }, lines);
  if (full.length <= maxChars) return full;
  const hasTimeline = timelineLines(result, pc.createColors(false)).length > 0;
  if (hasTimeline) {
    // 0. The lock timeline goes first: the findings matter more.
    const cut: Cut = { kept: all, detailed: all, notifications: shownNotifications, omitted: { details: 0, findings: [], notifications: 0, timeline: true } };
    const text = render(result, cut, lines);
    if (text.length <= maxChars) return text;
  }

  const priority = byPriority(result.findings);
  const fits = (cut: Cut) => render(result, cut, lines).length <= maxChars;
  // 1. Drop details, least important first.
  const withDetails = (d: number): Cut => ({
    kept: all,
    detailed: new Set(priority.slice(0, d)),
    notifications: shownNotifications,
    omitted: { details: priority.length - d, findings: [], notifications: 0, timeline: hasTimeline },
  });
  const d = largest(priority.length, (n) => fits(withDetails(n)));
  if (d >= 0) return render(result, withDetails(d), lines);
  // 2. Drop whole findings, least important first.
  const withFindings = (k: number): Cut => ({
    kept: new Set(priority.slice(0, k)),
    detailed: new Set(),
    notifications: shownNotifications,
    omitted: { details: k, findings: priority.slice(k), notifications: 0, timeline: hasTimeline },
  });
  const k = largest(priority.length, (n) => fits(withFindings(n)));
  if (k >= 0) return render(result, withFindings(k), lines);
  // 3. Drop notifications too, keeping errors first (only with thousands of skipped files).
  const withNotifications = (m: number): Cut => {
    const keep = new Set(notifications.slice(0, m));
    return {
      kept: new Set(),
      detailed: new Set(),
      notifications: shownNotifications.filter((n) => keep.has(n)),
      omitted: { details: 0, findings: priority, notifications: notifications.length - m, timeline: hasTimeline },
    };
  };
  const m = largest(notifications.length, (n) => fits(withNotifications(n)));
  if (m >= 0) return render(result, withNotifications(m), lines);
  // Unreachable in practice (the header alone is a few hundred characters): cut on a code point.
  const chars = [...render(result, withNotifications(0), lines)];
  let text = '';
  for (const ch of chars) {
    if (text.length + ch.length > maxChars - 2) break;
    text += ch;
  }
  return `${text}\n`;
}
