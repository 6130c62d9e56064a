/**
 * The `sarif` format: valid against the official OASIS SARIF 2.1.0 JSON schema (test/schemas/), and
 * carrying every property GitHub code scanning requires or recommends ("SARIF support for code
 * scanning"), on a realistic run: a plain migration folder with findings, a syntax error and a file
 * that is not UTF-8. Also: embedded related-location links, fixes that apply, limits and determinism.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check, type CheckResult } from '../src/check.js';
import type { Finding } from '../src/core/finding.js';
import { helpUri } from '../src/core/rule.js';
import { SourceFile } from '../src/core/source.js';
import { buildSarif, GITHUB_LIMITS, sarifReporter } from '../src/reporters/sarif.js';
import type { ReportContext } from '../src/reporters/types.js';
import { parseSql } from '../src/sql/parse.js';
import { FIXTURES } from './helpers/fixtures.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const CTX: ReportContext = { color: false, toolVersion: '1.2.3' };
const SCHEMA_FILE = path.resolve(import.meta.dirname, 'schemas/sarif-schema-2.1.0.json');

let validate: ValidateFunction;
const temps: string[] = [];

beforeAll(() => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  // The OASIS schema is draft-04: its only draft-04-only keyword is the top-level `id` (draft-07 `$id`).
  expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  const { id, $schema: _draft, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  validate = ajv.compile({ $id: id, ...rest });
});

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function expectValid(doc: unknown): void {
  const ok = validate(doc);
  expect(ok ? [] : validate.errors).toEqual([]);
}

function tempRoot(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-sarif-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const fixture = (name: string) => readFileSync(path.join(FIXTURES, 'rules/require-concurrent-index', name), 'utf8');

/** A plain folder (no framework: files are not wrapped in a transaction) with real problems in it. */
function realisticRoot(): string {
  return tempRoot({
    'db/migrations/001_create_orders.sql': fixture('invalid/V1__create_orders.sql'),
    'db/migrations/002_index_orders_status.sql': fixture('invalid/V2__index_orders_status.sql'),
    'db/migrations/003_add_region.sql': 'ALTER TABLE orders ADD COLUMN region text;\nCREATE INDEX orders_region_idx ON orders (region\n  WHERE region IS NOT NULL;\n',
    // "café" in Latin-1: 0xE9 alone is not valid UTF-8.
    'db/migrations/004_legacy_latin1.sql': Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 1;\n')]),
  });
}

/** UTF-16 offset of a SARIF line/column (columns in code points, as `columnKind` says). */
function offsetOf(text: string, line: number, column: number): number {
  const file = new SourceFile('x', 'x', text);
  let offset = file.lineStart(line);
  for (let c = 1; c < column; c++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}

describe('sarif on a realistic run', () => {
  let result: CheckResult;
  let root: string;
  let text: string;
  let log: any;

  beforeAll(async () => {
    root = realisticRoot();
    result = await check({ root, paths: ['.'], config: {} });
    text = sarifReporter(result, CTX);
    log = JSON.parse(text);
  });

  it('is valid against the OASIS SARIF 2.1.0 schema', () => {
    expectValid(log);
  });

  it('has one run of the Plumbline driver with version information', () => {
    expect(log.$schema).toMatch(/^https:\/\/.*sarif-schema-2\.1\.0\.json$/);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver.name).toBe('Plumbline');
    expect(driver.version).toBe('1.2.3');
    expect(driver.semanticVersion).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(driver.informationUri).toMatch(/^https:\/\//);
  });

  it('describes every enabled rule once, sorted by id, with what GitHub displays', () => {
    const rules = log.runs[0].tool.driver.rules;
    const ids = rules.map((r: any) => r.id);
    expect(ids).toEqual([...result.enabled.map((r) => r.rule.id)].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(rules.length).toBeLessThanOrEqual(25_000);
    for (const r of rules) {
      const rule = allRules.find((x) => x.id === r.id)!;
      expect(r.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      expect(r.name.length).toBeLessThanOrEqual(255);
      expect(r.name.toLowerCase()).toBe(r.id.replace(/-/g, ''));
      for (const d of [r.shortDescription.text, r.fullDescription.text]) {
        expect(d.trim().length).toBeGreaterThan(0);
        expect(d.length).toBeLessThanOrEqual(1024);
        expect(d).not.toContain('`');
      }
      expect(r.help.text.trim().length).toBeGreaterThan(0);
      expect(r.help.text).not.toContain('`');
      expect(r.help.markdown).toContain(helpUri(r.id));
      expect(r.helpUri).toBe(helpUri(r.id));
      expect(r.defaultConfiguration.level).toBe(rule.meta.severity);
      expect(r.properties.tags.length).toBeGreaterThan(0);
      expect(r.properties.tags.length).toBeLessThanOrEqual(20);
      expect(new Set(r.properties.tags).size).toBe(r.properties.tags.length);
      expect(r.properties.tags).toContain(rule.family);
      for (const t of rule.meta.tags) expect(r.properties.tags).toContain(t);
      expect(['very-high', 'high', 'medium', 'low']).toContain(r.properties.precision);
      expect(['error', 'warning', 'recommendation']).toContain(r.properties['problem.severity']);
      expect(r.properties).not.toHaveProperty('security-severity');
    }
  });

  it('gives every result a rule index, a level, a plain message, one located region and a fingerprint', () => {
    const run = log.runs[0];
    expect(run.results.length).toBe(result.findings.length);
    expect(run.results.length).toBeLessThanOrEqual(25_000);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.message.text.trim().length).toBeGreaterThan(0);
      expect(r.message.text).not.toContain('`');
      expect(r.message.text).toMatch(/ Fix: /);
      expect(r.locations).toHaveLength(1);
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(loc.artifactLocation.uri).toMatch(/^db\/migrations\/[^/\\]+\.sql$/);
      expect(run.artifacts[loc.artifactLocation.index].location.uri).toBe(loc.artifactLocation.uri);
      const { startLine, startColumn, endLine, endColumn } = loc.region;
      expect(startLine).toBeGreaterThanOrEqual(1);
      expect(startColumn).toBeGreaterThanOrEqual(1);
      expect(endLine).toBeGreaterThanOrEqual(startLine);
      expect(endColumn).toBeGreaterThanOrEqual(1);
      if (endLine === startLine) expect(endColumn).toBeGreaterThan(startColumn);
      expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}:\d+$/);
      expect(r.relatedLocations?.length ?? 0).toBeLessThanOrEqual(1000);
    }
    const prints = run.results.map((r: any) => `${r.ruleId} ${r.partialFingerprints.primaryLocationLineHash}`);
    expect(new Set(prints).size).toBe(prints.length);
  });

  it('reports the syntax error and the missing CONCURRENTLY where they are', () => {
    const results = log.runs[0].results;
    const syntax = results.find((r: any) => r.ruleId === 'syntax-error');
    expect(syntax.locations[0].physicalLocation.artifactLocation.uri).toBe('db/migrations/003_add_region.sql');
    expect(syntax.locations[0].physicalLocation.region).toMatchObject({ startLine: 3, startColumn: 3, endLine: 3, endColumn: 8 });
    const index = results.filter((r: any) => r.ruleId === 'require-concurrent-index');
    expect(index.map((r: any) => r.locations[0].physicalLocation.region.startLine)).toEqual([2, 4]);
  });

  it('offers fixes whose replacements apply to the file and remove the finding', async () => {
    const withFix = log.runs[0].results.filter((r: any) => r.fixes);
    expect(withFix.length).toBeGreaterThan(0);
    for (const r of withFix) {
      const [fix] = r.fixes;
      expect(fix.description.text.length).toBeGreaterThan(0);
      const [change] = fix.artifactChanges;
      expect(change.artifactLocation.uri).toBe(r.locations[0].physicalLocation.artifactLocation.uri);
      const original = readFileSync(path.join(root, change.artifactLocation.uri), 'utf8');
      let source = original;
      for (const rep of [...change.replacements].reverse()) {
        const d = rep.deletedRegion;
        const start = offsetOf(source, d.startLine, d.startColumn);
        const end = offsetOf(source, d.endLine, d.endColumn);
        source = source.slice(0, start) + rep.insertedContent.text + source.slice(end);
      }
      // The fixed text still parses (003_add_region.sql had a syntax error of its own to begin with).
      if (parseSql(original).errors.length === 0) expect(parseSql(source).errors).toEqual([]);
      const line = source.split('\n')[r.locations[0].physicalLocation.region.startLine - 1];
      if (r.ruleId === 'require-concurrent-index') expect(line).toMatch(/INDEX CONCURRENTLY/);
    }
  });

  it('lists each analysed file once, sorted, relative to %SRCROOT%', () => {
    const run = log.runs[0];
    const uris = run.artifacts.map((a: any) => a.location.uri);
    expect(uris).toEqual(['db/migrations/001_create_orders.sql', 'db/migrations/002_index_orders_status.sql', 'db/migrations/003_add_region.sql']);
    for (const a of run.artifacts) expect(a.location.uriBaseId).toBe('%SRCROOT%');
    expect(run.originalUriBaseIds['%SRCROOT%']).toBeDefined();
    expect(run.columnKind).toBe('unicodeCodePoints');
    expect(run.automationDetails.id).toMatch(/^[^/].*\/$/);
  });

  it('turns every notification into a tool execution notification, located when it names a file', () => {
    const invocation = log.runs[0].invocations[0];
    expect(invocation.executionSuccessful).toBe(true);
    const notes = invocation.toolExecutionNotifications;
    expect(notes).toHaveLength(result.notifications.length);
    const latin1 = notes.find((n: any) => n.descriptor.id === 'not-utf8');
    expect(latin1).toMatchObject({
      level: 'warning',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'db/migrations/004_legacy_latin1.sql', uriBaseId: '%SRCROOT%' } } }],
    });
    expect(latin1.message.text).toContain('UTF-8');
    for (const n of notes) {
      expect(['error', 'warning', 'note']).toContain(n.level);
      expect(n.message.text.length).toBeGreaterThan(0);
      expect(n.descriptor.id).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('is deterministic and holds no absolute path', async () => {
    const again = sarifReporter(await check({ root, paths: ['.'], config: {} }), CTX);
    expect(again).toBe(text);
    expect(text).not.toContain(root);
    expect(text).not.toContain(os.tmpdir());
    expect(text).not.toMatch(/"(file:|\/)/);
    expect(text).not.toMatch(/Time(Utc)?"/);
  });
});

/** A hand-built result: related locations, an unsafe fix, properties, notifications, a severity override. */
function syntheticResult(findingCount = 1): CheckResult {
  const text = '-- Tableau « expédition » 🚚\nALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n';
  const file = new SourceFile('/abs/db/migrations/001_orders.sql', 'db/migrations/001 orders [v2].sql', text);
  const rule = allRules.find((r) => r.id === 'require-concurrent-index')!;
  const stmt2 = text.indexOf('ALTER TABLE orders VALIDATE');
  const stmt1 = text.indexOf('ALTER TABLE orders ADD');
  const findings: Finding[] = [];
  const severities = ['note', 'warning', 'error'] as const;
  for (let i = 0; i < findingCount; i++) {
    findings.push({
      ruleId: rule.id,
      severity: severities[i % 3],
      file,
      range: { start: stmt2, end: text.indexOf(';', stmt2) + 1 },
      message: `\`VALIDATE CONSTRAINT orders_total_check\` runs in the same transaction [#${i}] as \`ADD CONSTRAINT … NOT VALID\`.`,
      why: 'The SHARE UPDATE EXCLUSIVE lock is held until commit.',
      remedy: 'Move `VALIDATE CONSTRAINT` to its own migration',
      related: [{ file, range: { start: stmt1, end: text.indexOf(';', stmt1) + 1 }, message: 'the NOT VALID constraint [pending] is added here' }],
      fix: { description: 'Drop the validation', safe: false, edits: [{ range: { start: stmt2, end: text.indexOf(';', stmt2) + 1 }, text: '' }] },
      properties: { lockMode: 'SHARE UPDATE EXCLUSIVE', table: 'orders' },
    });
  }
  return {
    root: '/abs',
    findings,
    notifications: [
      { id: 'bad-glob', level: 'error', message: 'The pattern `db/[` is not a valid glob.' },
      { id: 'binary-file', level: 'warning', path: 'db/migrations/logo.png', message: 'Skipped db/migrations/logo.png: it is a binary file.' },
    ],
    rules: allRules,
    enabled: [{ rule, severity: 'warning', options: {} }],
    sets: [],
    catalogs: [],
    pgVersion: 16,
    fileCount: 1,
  };
}

describe('sarif details', () => {
  it('embeds related locations as [text](id) links and escapes brackets in the text', () => {
    const log = buildSarif(syntheticResult(), CTX) as any;
    expectValid(log);
    const r = log.runs[0].results[0];
    expect(r.message.text).toBe(
      'VALIDATE CONSTRAINT orders_total_check runs in the same transaction \\[#0\\] as ADD CONSTRAINT … NOT VALID. The SHARE UPDATE EXCLUSIVE lock is held until commit. Fix: Move VALIDATE CONSTRAINT to its own migration. See [the NOT VALID constraint \\[pending\\] is added here](1).',
    );
    expect(r.relatedLocations).toEqual([
      {
        id: 1,
        physicalLocation: {
          artifactLocation: { uri: 'db/migrations/001%20orders%20%5Bv2%5D.sql', uriBaseId: '%SRCROOT%', index: 0 },
          region: { startLine: 2, startColumn: 1, endLine: 2, endColumn: 83 },
        },
        message: { text: 'the NOT VALID constraint [pending] is added here' },
      },
    ]);
    expect(r.properties).toEqual({ lockMode: 'SHARE UPDATE EXCLUSIVE', table: 'orders' });
  });

  it('marks unsafe fixes, and deletes with an exact region', () => {
    const r = (buildSarif(syntheticResult(), CTX) as any).runs[0].results[0];
    expect(r.fixes).toEqual([
      {
        description: { text: 'Drop the validation. (Unsafe: it changes what the migration does; review it before applying.)' },
        artifactChanges: [
          {
            artifactLocation: { uri: 'db/migrations/001%20orders%20%5Bv2%5D.sql', uriBaseId: '%SRCROOT%', index: 0 },
            replacements: [{ deletedRegion: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 59 }, insertedContent: { text: '' } }],
          },
        ],
        properties: { safe: false },
      },
    ]);
  });

  it('records a configured severity as a rule configuration override', () => {
    const run = (buildSarif(syntheticResult(), CTX) as any).runs[0];
    expect(run.tool.driver.rules[0].defaultConfiguration.level).toBe('error');
    expect(run.invocations[0].ruleConfigurationOverrides).toEqual([{ descriptor: { id: 'require-concurrent-index', index: 0 }, configuration: { level: 'warning' } }]);
  });

  it('locates notifications that name a file, and only those', () => {
    const notes = (buildSarif(syntheticResult(), CTX) as any).runs[0].invocations[0].toolExecutionNotifications;
    expect(notes).toEqual([
      { level: 'error', message: { text: 'The pattern db/[ is not a valid glob.' }, descriptor: { id: 'bad-glob' } },
      {
        level: 'warning',
        message: { text: 'Skipped db/migrations/logo.png: it is a binary file.' },
        descriptor: { id: 'binary-file' },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'db/migrations/logo.png', uriBaseId: '%SRCROOT%' } } }],
      },
    ]);
  });
});

describe('sarif limits', () => {
  it('keeps at most the result limit, errors first, and says how many were dropped', () => {
    const result = syntheticResult(7); // severities: note, warning, error, note, warning, error, note
    const log = buildSarif(result, CTX, { ...GITHUB_LIMITS, results: 3 }) as any;
    expectValid(log);
    const run = log.runs[0];
    // Both errors (#2, #5), then the first warning (#1); output keeps the findings' own order.
    expect(run.results.map((r: any) => r.message.text.match(/\\\[#(\d)\\\]/)[1])).toEqual(['1', '2', '5']);
    expect(run.results.map((r: any) => r.level)).toEqual(['warning', 'error', 'error']);
    const dropped = run.invocations[0].toolExecutionNotifications.find((n: any) => n.descriptor.id === 'results-truncated');
    expect(dropped.level).toBe('warning');
    expect(dropped.message.text).toMatch(/^Dropped 4 of 7 results/);
    // Deterministic under truncation too.
    expect(JSON.stringify(buildSarif(result, CTX, { ...GITHUB_LIMITS, results: 3 }))).toBe(JSON.stringify(log));
  });

  it('drops the least important results until the gzipped file fits', () => {
    const result = syntheticResult(300); // 100 errors, 100 warnings, 100 notes
    const gzipped = (doc: unknown) => gzipSync(`${JSON.stringify(doc, null, 2)}\n`).length;
    const limit = Math.floor(gzipped(buildSarif(result, CTX)) / 2);
    const log = buildSarif(result, CTX, { ...GITHUB_LIMITS, gzipBytes: limit }) as any;
    expectValid(log);
    expect(gzipped(log)).toBeLessThanOrEqual(limit);
    const levels = log.runs[0].results.map((r: any) => r.level);
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.length).toBeLessThan(300);
    // Errors are kept before warnings, warnings before notes.
    expect(levels.filter((l: string) => l === 'error')).toHaveLength(Math.min(levels.length, 100));
    if (levels.length < 200) expect(levels).not.toContain('note');
    const last = log.runs[0].invocations[0].toolExecutionNotifications.at(-1);
    expect(last.descriptor.id).toBe('results-truncated');
    expect(last.message.text).toMatch(new RegExp(`^Dropped ${300 - levels.length} of 300 results`));
  });

  it('caps tags per rule and related locations per result', () => {
    const result = syntheticResult();
    const f = result.findings[0];
    f.related = Array.from({ length: 5 }, () => f.related![0]);
    const log = buildSarif(result, CTX, { ...GITHUB_LIMITS, relatedLocations: 2, tagsPerRule: 1 }) as any;
    expectValid(log);
    expect(log.runs[0].results[0].relatedLocations).toHaveLength(2);
    expect(log.runs[0].tool.driver.rules[0].properties.tags).toHaveLength(1);
  });
});
