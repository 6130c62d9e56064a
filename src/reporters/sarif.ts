/**
 * The `sarif` format: one SARIF 2.1.0 log with one run, shaped for GitHub code scanning (documented in
 * docs/output.md). Deterministic: no timestamps, no absolute paths, every array in a stable order.
 *
 * Columns are counted in Unicode code points (`run.columnKind: "unicodeCodePoints"`), the unit of
 * `SourceFile.position`, so the text, json, sarif and github formats all agree on a column.
 */
import { gzipSync } from 'node:zlib';
import type { CheckResult } from '../check.js';
import type { Finding, Notification, Severity } from '../core/finding.js';
import { DOCS_BASE_URL, helpUri, type Rule } from '../core/rule.js';
import type { Range, SourceFile } from '../core/source.js';
import { resultFingerprints } from './fingerprint.js';
import type { Reporter, ReportContext } from './types.js';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const SRCROOT = '%SRCROOT%';
/** GitHub reads the category from everything before the last `/` of this id. */
export const AUTOMATION_ID = 'plumbline/';
export const INFORMATION_URI = DOCS_BASE_URL.replace(/\/blob\/.*$/, '');

/** GitHub code scanning limits for one run (docs: "SARIF support for code scanning", "results exceed limit"). */
export interface SarifLimits {
  results: number;
  rules: number;
  /** Related locations kept per result. */
  relatedLocations: number;
  tagsPerRule: number;
  /** Size of the gzip-compressed file. */
  gzipBytes: number;
}

export const GITHUB_LIMITS: SarifLimits = {
  results: 25_000,
  rules: 25_000,
  relatedLocations: 1_000,
  tagsPerRule: 20,
  gzipBytes: 10 * 1024 * 1024,
};

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', note: 'note' };
const PROBLEM_SEVERITY: Record<Severity, 'error' | 'warning' | 'recommendation'> = { error: 'error', warning: 'warning', note: 'recommendation' };
const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
/** GitHub shows at most 1024 characters of a rule's short and full descriptions. */
const MAX_DESCRIPTION = 1024;
const MAX_NAME = 255;

export const sarifReporter: Reporter = (result, ctx) => `${JSON.stringify(buildSarif(result, ctx), null, 2)}\n`;

/** Markdown code spans become plain text: GitHub shows `message.text` and `*.text` verbatim. */
export function plainText(markdown: string): string {
  return markdown.replace(/`([^`\n]+)`/g, '$1');
}

export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** A repository-relative path as a relative URI reference: forward slashes, each segment percent-encoded. */
export function toUri(relPath: string): string {
  return relPath
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?…:]$/.test(t) ? t : `${t}.`;
}

/** Escapes the characters that would start or end an embedded link in a SARIF plain-text message. */
function escapeLinkText(text: string): string {
  return text.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

/**
 * SARIF region of a range. The end column is the column after the last character; a range that ends
 * just past a line break is reported as ending at the end of the previous line.
 */
export function sarifRegion(file: SourceFile, range: Range) {
  const start = file.position(range.start);
  let end = file.position(Math.max(range.start, range.end));
  if (end.column === 1 && end.line > start.line) {
    const line = end.line - 1;
    end = { line, column: [...file.lineText(line)].length + 1 };
  }
  return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column };
}

function ruleName(id: string): string {
  return truncate(pascalCase(id), MAX_NAME);
}

function descriptor(rule: Rule, limits: SarifLimits) {
  const meta = rule.meta;
  const uri = helpUri(rule.id);
  const peers = Object.entries(meta.sources).filter((entry): entry is [string, string] => Boolean(entry[1]));
  const helpText = [
    sentence(plainText(meta.description)),
    `Why it matters: ${sentence(plainText(meta.rationale))}`,
    `How to fix: ${sentence(plainText(meta.remedy))}`,
    ...(peers.length ? [`Same check in other tools: ${peers.map(([tool, id]) => `${tool} ${id}`).join(', ')}.`] : []),
    `Documentation: ${uri}`,
  ].join('\n\n');
  const helpMarkdown = [
    sentence(meta.description),
    `**Why it matters.** ${sentence(meta.rationale)}`,
    `**How to fix.** ${sentence(meta.remedy)}`,
    ...(peers.length ? [`**Same check in other tools:** ${peers.map(([tool, id]) => `${tool} \`${id}\``).join(', ')}.`] : []),
    `[Documentation for ${rule.id}](${uri})`,
  ].join('\n\n');
  const tags = [...new Set([...meta.tags, rule.family])].slice(0, limits.tagsPerRule);
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: truncate(sentence(plainText(meta.description)), MAX_DESCRIPTION) },
    fullDescription: { text: truncate(sentence(plainText(meta.rationale)), MAX_DESCRIPTION) },
    helpUri: uri,
    help: { text: helpText, markdown: helpMarkdown },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: {
      tags,
      precision: meta.precision,
      'problem.severity': PROBLEM_SEVERITY[meta.severity],
    },
  };
}

/** Keeps the most severe results first, then the earliest (the findings arrive sorted by file and offset). */
function byPriority(findings: Finding[]): Finding[] {
  const order = new Map(findings.map((f, i) => [f, i]));
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || order.get(a)! - order.get(b)!);
}

export function buildSarif(result: CheckResult, ctx: ReportContext, limits: SarifLimits = GITHUB_LIMITS) {
  // Rules: every enabled rule, plus (defensively) any rule a finding names.
  const known = new Map(result.rules.map((r) => [r.id, r]));
  const ruleSet = new Map<string, Rule>();
  for (const r of result.enabled) ruleSet.set(r.rule.id, r.rule);
  for (const f of result.findings) {
    const rule = known.get(f.ruleId);
    if (rule && !ruleSet.has(rule.id)) ruleSet.set(rule.id, rule);
  }
  const rules = [...ruleSet.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limits.rules);
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));

  // Artifacts: each analysed file once (plus any file a location points into), sorted by path.
  const files = new Set<string>();
  for (const set of result.sets) {
    for (const m of set.migrations) {
      files.add(m.up.file.relPath);
      if (m.down) files.add(m.down.file.relPath);
    }
  }
  for (const f of result.findings) {
    files.add(f.file.relPath);
    for (const r of f.related ?? []) files.add(r.file.relPath);
    for (const r of f.flow ?? []) files.add(r.file.relPath);
  }
  const paths = [...files].sort();
  const artifactIndex = new Map(paths.map((p, i) => [p, i]));
  const artifactLocation = (relPath: string) => {
    const index = artifactIndex.get(relPath);
    return { uri: toUri(relPath), uriBaseId: SRCROOT, ...(index === undefined ? {} : { index }) };
  };
  const physical = (file: SourceFile, range: Range) => ({ artifactLocation: artifactLocation(file.relPath), region: sarifRegion(file, range) });

  const prints = resultFingerprints(result);
  const toResult = (f: Finding) => {
    const related = (f.related ?? []).slice(0, limits.relatedLocations);
    let text = `${sentence(plainText(f.message))} ${sentence(plainText(f.why))} Fix: ${sentence(plainText(f.remedy))}`;
    if (related.length) {
      // GitHub links related locations only when the message embeds them: `[text](id)`.
      const links = related.map((r, i) => {
        const p = r.file.position(r.range.start);
        const label = r.message ? plainText(r.message) : `${r.file.relPath}:${p.line}`;
        return `[${escapeLinkText(label)}](${i + 1})`;
      });
      text = `${escapeLinkText(text)} See ${links.join('; ')}.`;
    }
    const index = ruleIndex.get(f.ruleId);
    return {
      ruleId: f.ruleId,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: LEVEL[f.severity],
      message: { text },
      locations: [{ physicalLocation: physical(f.file, f.range) }],
      partialFingerprints: { primaryLocationLineHash: prints.get(f)! },
      // With --baseline only the findings the baseline lacks are left: each is new relative to it.
      ...(result.baseline ? { baselineState: 'new' as const } : {}),
      ...(related.length
        ? {
            relatedLocations: related.map((r, i) => ({
              id: i + 1,
              physicalLocation: physical(r.file, r.range),
              ...(r.message ? { message: { text: plainText(r.message) } } : {}),
            })),
          }
        : {}),
      // A hazard that crosses functions (handler → service → repository → query) is a thread flow.
      ...(f.flow?.length
        ? {
            codeFlows: [
              {
                threadFlows: [
                  {
                    locations: f.flow.slice(0, limits.relatedLocations).map((step, i) => ({
                      location: { physicalLocation: physical(step.file, step.range), ...(step.message ? { message: { text: plainText(step.message) } } : {}) },
                      nestingLevel: i,
                      executionOrder: i + 1,
                    })),
                  },
                ],
              },
            ],
          }
        : {}),
      ...(f.fix
        ? {
            fixes: [
              {
                description: { text: `${sentence(plainText(f.fix.description))}${f.fix.safe ? '' : ' (Unsafe: it changes what the migration does; review it before applying.)'}` },
                artifactChanges: [
                  {
                    artifactLocation: artifactLocation(f.file.relPath),
                    replacements: [...f.fix.edits]
                      .sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end)
                      .map((e) => ({ deletedRegion: fixRegion(f.file, e.range), insertedContent: { text: e.text } })),
                  },
                ],
                properties: { safe: f.fix.safe },
              },
            ],
          }
        : {}),
      ...(f.properties ? { properties: { ...f.properties } } : {}),
    };
  };

  const notificationOf = (n: Notification) => ({
    level: n.level,
    message: { text: plainText(n.message) },
    descriptor: { id: n.id },
    ...(n.path ? { locations: [{ physicalLocation: { artifactLocation: artifactLocation(n.path) } }] } : {}),
  });

  const overrides = rules.flatMap((rule, index) => {
    const resolved = result.enabled.find((r) => r.rule.id === rule.id);
    return resolved && resolved.severity !== rule.meta.severity
      ? [{ descriptor: { id: rule.id, index }, configuration: { level: LEVEL[resolved.severity] } }]
      : [];
  });

  const build = (kept: Set<Finding>, dropped: number) => {
    const notifications = result.notifications.map(notificationOf);
    if (dropped) {
      notifications.push({
        level: 'warning',
        message: {
          text: `Dropped ${dropped} of ${result.findings.length} results to stay within GitHub code scanning's limits for one run (${limits.results} results, ${Math.round(limits.gzipBytes / 1024 / 1024)} MB gzipped). Errors were kept first, then warnings, then notes; run the text or json format to see every finding.`,
        },
        descriptor: { id: 'results-truncated' },
      });
    }
    return {
      $schema: SARIF_SCHEMA,
      version: '2.1.0' as const,
      runs: [
        {
          tool: {
            driver: {
              name: 'Plumbline',
              version: ctx.toolVersion,
              semanticVersion: ctx.toolVersion,
              informationUri: INFORMATION_URI,
              rules: rules.map((r) => descriptor(r, limits)),
            },
          },
          automationDetails: { id: AUTOMATION_ID },
          originalUriBaseIds: {
            [SRCROOT]: { description: { text: 'The analysis root (--root, by default the working directory): every uri is relative to it.' } },
          },
          columnKind: 'unicodeCodePoints' as const,
          newlineSequences: ['\r\n', '\n', '\r'],
          artifacts: paths.map((p) => ({ location: { uri: toUri(p), uriBaseId: SRCROOT }, roles: ['analysisTarget'] })),
          invocations: [
            {
              executionSuccessful: true,
              ...(overrides.length ? { ruleConfigurationOverrides: overrides } : {}),
              toolExecutionNotifications: notifications,
            },
          ],
          results: result.findings.filter((f) => kept.has(f)).map(toResult),
        },
      ],
    };
  };

  const prioritized = byPriority(result.findings);
  let keep = Math.min(prioritized.length, limits.results);
  let doc = build(new Set(prioritized.slice(0, keep)), prioritized.length - keep);
  // The upload limit is on the gzipped file: drop the least important results until it fits.
  if (tooLarge(doc, limits)) {
    let lo = 0;
    let hi = keep;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (tooLarge(build(new Set(prioritized.slice(0, mid)), prioritized.length - mid), limits)) hi = mid - 1;
      else lo = mid;
    }
    keep = lo;
    doc = build(new Set(prioritized.slice(0, keep)), prioritized.length - keep);
  }
  return doc;
}

function tooLarge(doc: unknown, limits: SarifLimits): boolean {
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  // Compressed JSON is smaller than the JSON itself: ordinary reports skip the compression.
  if (Buffer.byteLength(json) <= limits.gzipBytes) return false;
  return gzipSync(json).length > limits.gzipBytes;
}

/** The region an autofix edit replaces: an insertion is an empty region (end column = start column). */
function fixRegion(file: SourceFile, range: Range) {
  const start = file.position(range.start);
  const end = file.position(Math.max(range.start, range.end));
  return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column };
}
