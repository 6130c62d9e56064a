/** The `text` format: a code frame per finding with the statement underlined, then a summary line. */
import pc from 'picocolors';
import type { Finding } from '../core/finding.js';
import { timelineLines } from './timeline.js';
import type { Reporter } from './types.js';

const MAX_FRAME_LINES = 4;

export const textReporter: Reporter = (result, ctx) => {
  const c = pc.createColors(ctx.color);
  const sev = (s: Finding['severity']) => (s === 'error' ? c.red(s) : s === 'warning' ? c.yellow(s) : c.blue(s));
  const out: string[] = [];
  for (const f of result.findings) {
    const start = f.file.position(f.range.start);
    let end = f.file.position(Math.max(f.range.start, f.range.end));
    // A range that ends just past a line break ends on the line before: no caret on the next line.
    if (end.column === 1 && end.line > start.line) end = { line: end.line - 1, column: [...f.file.lineText(end.line - 1)].length + 1 };
    out.push(`${c.bold(`${f.file.relPath}:${start.line}:${start.column}`)}  ${sev(f.severity)}  ${c.dim(f.ruleId)}`);
    out.push(`  ${f.message}`);
    out.push(...frame(f, start.line, start.column, end.line, end.column, c));
    out.push(`  ${c.bold('why:')} ${f.why}`);
    out.push(`  ${c.bold('fix:')} ${f.remedy}`);
    for (const r of f.related ?? []) {
      const p = r.file.position(r.range.start);
      out.push(`  ${c.dim('see:')} ${r.file.relPath}:${p.line}:${p.column} ${r.message}`);
    }
    if (f.flow?.length) {
      out.push(`  ${c.dim('chain:')}`);
      f.flow.forEach((step, i) => {
        const p = step.file.position(step.range.start);
        out.push(`  ${' '.repeat(2 * i)}${c.dim(i === 0 ? '→' : '↳')} ${step.file.relPath}:${p.line}:${p.column} ${step.message ?? ''}`.trimEnd());
      });
    }
    if (f.fix) out.push(`  ${c.dim(`autofix (${f.fix.safe ? 'safe' : 'unsafe'}): ${f.fix.description}`)}`);
    out.push('');
  }
  // With --replay: what each replayed statement locked (src/reporters/timeline.ts).
  const timeline = timelineLines(result, c);
  if (timeline.length) out.push(...timeline, '');
  for (const n of result.notifications) {
    out.push(`${n.level === 'error' ? c.red('error') : c.yellow(n.level)}  ${n.message}`);
  }
  if (result.notifications.length) out.push('');
  const count = (s: string) => result.findings.filter((f) => f.severity === s).length;
  const [e, w, n] = [count('error'), count('warning'), count('note')];
  const files = new Set(result.findings.map((f) => f.file.relPath)).size;
  const checked = `${result.fileCount} file${result.fileCount === 1 ? '' : 's'} checked`;
  if (result.findings.length === 0) out.push(c.green(`✔ No problems (${checked}).`));
  else {
    const parts = [`${e} error${e === 1 ? '' : 's'}`, `${w} warning${w === 1 ? '' : 's'}`];
    if (n) parts.push(`${n} note${n === 1 ? '' : 's'}`);
    out.push(c.bold(`${e ? c.red('✖') : c.yellow('⚠')} ${parts.join(', ')} in ${files} file${files === 1 ? '' : 's'} (${checked}).`));
  }
  return `${out.join('\n')}\n`;
};

function frame(f: Finding, line: number, col: number, endLine: number, endCol: number, c: ReturnType<typeof pc.createColors>): string[] {
  const lines: string[] = [];
  const last = Math.min(endLine, line + MAX_FRAME_LINES - 1);
  const width = String(last).length;
  for (let l = line; l <= last; l++) {
    const text = f.file.lineText(l).replace(/\t/g, ' ');
    const chars = [...text];
    const from = l === line ? col - 1 : chars.findIndex((ch) => ch !== ' ');
    const to = l === endLine ? Math.max(endCol - 1, from + 1) : chars.length;
    lines.push(`  ${c.dim(`${String(l).padStart(width)} |`)}${text ? ` ${text}` : ''}`);
    if (from >= 0 && to > from) {
      // Pad and underline by terminal cells, not code points: an emoji or a CJK character takes two.
      const pad = cells(chars.slice(0, from));
      const carets = Math.max(1, cells(chars.slice(from, Math.min(to, chars.length))));
      lines.push(`  ${' '.repeat(width)} ${c.dim('|')} ${' '.repeat(pad)}${c.red('^'.repeat(carets))}`);
    }
  }
  if (endLine > last) lines.push(`  ${' '.repeat(width)} ${c.dim('|')} …`);
  return lines;
}

/** Combining marks and format characters take no cell; emoji and East Asian wide characters take two. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
const WIDE =
  /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

function cells(chars: string[]): number {
  let n = 0;
  for (const ch of chars) n += ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return n;
}
