/**
 * The bundled example (`examples/shop`): what the README's first command shows. Pins the findings
 * that matter for the story the example tells, by locating the statements in the files themselves
 * (so the assertions say "this statement", not a bare line number).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check, type CheckResult } from '../src/check.js';
import { loadConfig } from '../src/config/config.js';
import type { Finding } from '../src/core/finding.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHOP = 'examples/shop';
const MIGRATIONS = `${SHOP}/db/migrations`;

/** 1-based line of the first line of `file` that contains `needle`. */
function lineOf(file: string, needle: string): number {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split(/\r?\n/);
  const index = lines.findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`${needle} not found in ${file}`);
  return index + 1;
}

const at = (f: Finding) => ({ ruleId: f.ruleId, path: f.file.relPath, line: f.file.position(f.range.start).line });
const inFile = (result: CheckResult, file: string) => result.findings.filter((f) => f.file.relPath === file);

describe('examples/shop', () => {
  let result: CheckResult;

  beforeAll(async () => {
    // What `node bin/plumbline.js check examples/shop` runs from the repository root, with the example's own config.
    result = await check({ root: ROOT, paths: [SHOP], configPath: `${SHOP}/plumbline.config.json` });
  });

  it('has a valid plumbline.config.json for PostgreSQL 16', () => {
    const { config } = loadConfig(path.join(ROOT, SHOP), undefined, allRules);
    expect(config.pgVersion).toBe(16);
    expect(config.$schema).toBe('../../schema/plumbline.config.schema.json');
    expect(result.pgVersion).toBe(16);
  });

  it('checks every migration and reports no notification', () => {
    expect(result.fileCount).toBe(17);
    expect(result.notifications).toEqual([]);
  });

  it('reports the syntax error at the offending token, and still checks the rest of that file', () => {
    const file = `${MIGRATIONS}/V13__orders_fulfillment.sql`;
    const findings = inFile(result, file).map(at);
    const syntax = findings.filter((f) => f.ruleId === 'syntax-error');
    // The missing comma: PostgreSQL stops at the second ADD COLUMN.
    expect(syntax).toEqual([{ ruleId: 'syntax-error', path: file, line: lineOf(file, 'ADD COLUMN tracking_number') }]);
    // The index after the broken statement is still analysed.
    expect(findings).toContainEqual({ ruleId: 'require-concurrent-index', path: file, line: lineOf(file, 'CREATE INDEX orders_open_status_idx') });
    // And exactly one syntax error in the whole example.
    expect(result.findings.filter((f) => f.ruleId === 'syntax-error')).toHaveLength(1);
  });

  it('flags the plain CREATE INDEX on the live orders table at its line', () => {
    const file = `${MIGRATIONS}/V4__index_orders_customer_id.sql`;
    const own = result.findings.filter((f) => f.ruleId === 'require-concurrent-index' && f.file.relPath === file);
    expect(own.map(at)).toEqual([{ ruleId: 'require-concurrent-index', path: file, line: lineOf(file, 'CREATE INDEX orders_customer_id_created_at_idx') }]);
    expect(own[0].message).toContain('orders');
    expect(own[0].why).toContain('SHARE');
  });

  it('leaves indexes on tables created in the same migration alone', () => {
    for (const file of ['V1__create_customers.sql', 'V2__create_orders.sql', 'V3__create_payments.sql', 'V10__create_refunds_and_webhook_events.sql', 'V15__create_outbox.sql']) {
      expect(inFile(result, `${MIGRATIONS}/${file}`).filter((f) => f.ruleId === 'require-concurrent-index')).toEqual([]);
    }
  });

  it('is silent on the concurrent index in the non-transactional migration', () => {
    const file = `${MIGRATIONS}/V7__index_payments_idempotency_key.sql`;
    const conf = readFileSync(path.join(ROOT, `${file}.conf`), 'utf8');
    expect(conf).toMatch(/^executeInTransaction=false$/m);
    const migration = result.sets.flatMap((set) => set.migrations).find((m) => m.up.file.relPath === file);
    expect(migration?.up.wrappedInTransaction).toBe(false);
    const known = ['syntax-error', 'require-concurrent-index', 'invalid-suppression', 'unused-suppression'];
    expect(inFile(result, file).filter((f) => known.includes(f.ruleId)).map(at)).toEqual([]);
  });

  it('judges the schema after the last migration: the inbox and shipments of V17', () => {
    const file = `${MIGRATIONS}/V17__create_fulfillment_inbox_and_shipments.sql`;
    const schemaRules = ['require-primary-key', 'require-fk-index', 'no-redundant-index', 'require-unique-idempotency-key'];
    const own = result.findings.filter((f) => schemaRules.includes(f.ruleId));
    const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
    // Every schema finding of the example is in V17 (the tables of V1–V16 have keys, indexed foreign
    // keys and a unique idempotency key), each at the line that defines the object.
    expect(own.map(at).sort(byLine)).toEqual([
      { ruleId: 'require-primary-key', path: file, line: lineOf(file, 'CREATE TABLE fulfillment_inbox') },
      { ruleId: 'require-unique-idempotency-key', path: file, line: lineOf(file, 'message_id   text NOT NULL') },
      { ruleId: 'require-fk-index', path: file, line: lineOf(file, 'order_id     bigint NOT NULL REFERENCES orders') },
      { ruleId: 'no-redundant-index', path: file, line: lineOf(file, 'CREATE INDEX shipments_request_id_idx') },
    ]);
    const message = (id: string) => own.find((f) => f.ruleId === id)!.message;
    expect(message('require-unique-idempotency-key')).toContain('`fulfillment_inbox_message_id_idx` is not unique');
    expect(message('no-redundant-index')).toContain('`shipments_request_id_key`');
    // With lock_timeout set and only new tables, no migration rule has anything to say about V17.
    expect(inFile(result, file).filter((f) => !schemaRules.includes(f.ruleId)).map(at)).toEqual([]);
  });

  it('honours the plumbline-ignore comment: no finding on that statement, and no unused-suppression', async () => {
    const file = `${MIGRATIONS}/V16__index_webhook_events_unprocessed.sql`;
    const first = lineOf(file, 'CREATE INDEX webhook_events_unprocessed_idx');
    const last = lineOf(file, 'WHERE processed_at IS NULL');
    const onStatement = inFile(result, file)
      .map(at)
      .filter((f) => f.line >= first && f.line <= last);
    expect(onStatement).toEqual([]);
    const suppressionFindings = result.findings.filter((f) => f.ruleId === 'unused-suppression' || f.ruleId === 'invalid-suppression');
    expect(suppressionFindings.map(at)).toEqual([]);
    // The rule really would fire without the comment: the suppression is not vacuous.
    const unsuppressed = await check({
      root: ROOT,
      config: { pgVersion: 16 },
      stdin: { text: readFileSync(path.join(ROOT, file), 'utf8').replace(/-- plumbline-ignore[^\n]*\n/, ''), filename: file },
    });
    expect(unsuppressed.findings.filter((f) => f.ruleId === 'require-concurrent-index')).toHaveLength(1);
  });
});
