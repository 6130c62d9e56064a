/**
 * The `json` format, version 1. Shape (documented in docs/output.md):
 * { version: 1, tool: { name, version }, summary: { files, findings, errors, warnings, notes,
 *     changedSince?: { ref, files, hidden }, baseline?: { file, entries, suppressed, fixed } },
 *   findings: [{ ruleId, severity, path, start: {line, column, offset}, end: {…}, message, why, remedy,
 *                fingerprint, related?: [{ path, start, end, message }], flow?: [same, in execution order], fix?: { description, safe, edits },
 *                properties? }],
 *   notifications: [{ id, level, path?, message }] }
 * Offsets are UTF-16 code units into the file text; lines and columns are 1-based.
 */
import type { Range, SourceFile } from '../core/source.js';
import { resultFingerprints } from './fingerprint.js';
import type { Reporter } from './types.js';

function span(file: SourceFile, range: Range) {
  const s = file.position(range.start);
  const e = file.position(range.end);
  return { start: { line: s.line, column: s.column, offset: range.start }, end: { line: e.line, column: e.column, offset: range.end } };
}

export const jsonReporter: Reporter = (result, ctx) => {
  const prints = resultFingerprints(result);
  const count = (s: string) => result.findings.filter((f) => f.severity === s).length;
  const doc = {
    version: 1,
    tool: { name: 'plumbline', version: ctx.toolVersion },
    summary: {
      files: result.fileCount,
      findings: result.findings.length,
      errors: count('error'),
      warnings: count('warning'),
      notes: count('note'),
      ...(result.changedSince
        ? { changedSince: { ref: result.changedSince.ref, files: result.changedSince.files.length, hidden: result.changedSince.hidden } }
        : {}),
      ...(result.baseline
        ? { baseline: { file: result.baseline.file, entries: result.baseline.entries, suppressed: result.baseline.suppressed, fixed: result.baseline.fixed } }
        : {}),
    },
    findings: result.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      path: f.file.relPath,
      ...span(f.file, f.range),
      message: f.message,
      why: f.why,
      remedy: f.remedy,
      fingerprint: prints.get(f),
      ...(f.related ? { related: f.related.map((r) => ({ path: r.file.relPath, ...span(r.file, r.range), message: r.message })) } : {}),
      ...(f.flow ? { flow: f.flow.map((r) => ({ path: r.file.relPath, ...span(r.file, r.range), message: r.message })) } : {}),
      ...(f.fix
        ? { fix: { description: f.fix.description, safe: f.fix.safe, edits: f.fix.edits.map((e) => ({ ...span(f.file, e.range), text: e.text })) } }
        : {}),
      ...(f.properties ? { properties: f.properties } : {}),
    })),
    notifications: result.notifications,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
};
