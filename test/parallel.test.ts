/**
 * Parallel mode: with enough SQL in two or more migration sets, `check` builds and analyses half of the
 * sets on a worker thread. The result must be byte-identical to a single-threaded run. Uses the compiled
 * build (the worker is a compiled module), which `npm test` produces first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dist = path.resolve(import.meta.dirname, '../dist/src');
const { check } = (await import(path.join(dist, 'check.js'))) as typeof import('../src/check.js');
const { reporters } = (await import(path.join(dist, 'reporters/index.js'))) as typeof import('../src/reporters/index.js');

const root = mkdtempSync(path.join(tmpdir(), 'plumbline-parallel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two services with ~350 KB of migrations each, with hazards spread through them. */
function project(): void {
  for (const service of ['billing', 'catalog']) {
    const dir = path.join(root, service, 'db', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'V1__create_base.sql'), `CREATE TABLE ${service}_items (id bigint PRIMARY KEY, name text NOT NULL, price_cents bigint);\n`);
    for (let v = 2; v <= 160; v++) {
      const comment = `-- ${service} change ${v}: widen reporting, keep the hot path lean. Überprüft ✓\n`.repeat(30);
      const body =
        v % 7 === 0
          ? `CREATE INDEX ${service}_items_c${v}_idx ON ${service}_items (name);\n`
          : v % 11 === 0
            ? `ALTER TABLE ${service}_items ADD COLUMN c${v} integer NOT NULL;\n`
            : `ALTER TABLE ${service}_items ADD COLUMN c${v} text;\nCOMMENT ON COLUMN ${service}_items.c${v} IS 'column ${v}';\n`;
      writeFileSync(path.join(dir, `V${v}__change_${v}.sql`), comment + body);
    }
  }
}

describe('parallel mode', () => {
  it('gives byte-identical JSON, SARIF and text reports with and without a worker thread', async () => {
    project();
    const parallel = await check({ root, paths: ['.'], workers: true });
    const single = await check({ root, paths: ['.'], workers: false });
    expect(parallel.threads).toBe(2);
    expect(single.threads).toBe(1);
    expect(parallel.sets.map((s) => s.root)).toEqual(['billing/db/migrations', 'catalog/db/migrations']);
    expect(single.findings.length).toBeGreaterThan(40);
    for (const format of ['json', 'sarif', 'text'] as const) {
      const ctx = { color: false, toolVersion: 'test' };
      expect(reporters[format](parallel, ctx), format).toBe(reporters[format](single, ctx));
    }
    expect(parallel.fileCount).toBe(single.fileCount);
    expect(parallel.catalogs.map((c) => [...c.tables.keys()])).toEqual(single.catalogs.map((c) => [...c.tables.keys()]));
    // Files that arrived from the worker work like local ones.
    const remote = parallel.findings.find((f) => f.file.relPath.startsWith('catalog/'))!;
    expect(remote.file.position(remote.range.start).line).toBeGreaterThan(0);
  });
});
