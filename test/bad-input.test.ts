/**
 * Bad input never throws: every unreadable, binary, oversized, looping or missing input becomes a
 * notification (or a finding), and good files next to it are still checked.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../rules/index.js';
import { check, type CheckResult } from '../src/check.js';
import { exitCodeFor } from '../src/cli/main.js';
import type { Notification } from '../src/core/finding.js';
import { decode, MAX_FILE_BYTES, readSourceFile } from '../src/io/read.js';

let root: string;

/** Only require-concurrent-index and the engine rules, so the expected findings do not depend on other rules. */
const CONFIG = {
  rules: {
    ...Object.fromEntries(allRules.filter((r) => r.family !== 'engine').map((r) => [r.id, 'off' as const])),
    'require-concurrent-index': 'error' as const,
  },
};

/** Writes a folder with one good migration pair: V2 gets one require-concurrent-index finding. */
function goodSet(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'V1__create_orders.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n');
  writeFileSync(path.join(dir, 'V2__index_orders.sql'), 'CREATE INDEX orders_status_idx ON orders (status);\n');
}

async function run(paths: string[]): Promise<CheckResult> {
  return check({ root, paths, config: CONFIG });
}

const summary = (r: CheckResult) => ({
  findings: r.findings.map((f) => `${f.file.relPath}:${f.file.position(f.range.start).line}:${f.ruleId}`),
  notifications: r.notifications.map((n) => `${n.level}:${n.id}:${n.path ?? ''}`),
});

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'plumbline-bad-input-'));
});

afterAll(() => {
  // Restore permissions so the temporary folder can be removed.
  try {
    chmodSync(path.join(root, 'unreadable/V3__secret.sql'), 0o644);
  } catch {
    /* not created */
  }
  rmSync(root, { recursive: true, force: true });
});

describe('files that cannot be checked', () => {
  it('a binary file with NUL bytes named .sql: binary-file warning, the good files still checked', async () => {
    const dir = path.join(root, 'binary');
    goodSet(dir);
    writeFileSync(path.join(dir, 'V3__dump.sql'), Buffer.from([0x50, 0x47, 0x44, 0x4d, 0x50, 0x00, 0x01, 0x00, 0xff]));
    const r = await run(['binary']);
    expect(summary(r)).toEqual({
      findings: ['binary/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['warning:binary-file:binary/V3__dump.sql'],
    });
    expect(r.notifications[0].message).toBe('Skipped binary/V3__dump.sql: it is a binary file (it contains NUL bytes).');
    expect(r.fileCount).toBe(2);
  });

  it('a latin-1 file: not-utf8 warning', async () => {
    const dir = path.join(root, 'latin1');
    goodSet(dir);
    writeFileSync(path.join(dir, 'V3__comment.sql'), Buffer.from("COMMENT ON TABLE orders IS 'Commandes pass\xe9es';\n", 'latin1'));
    const r = await run(['latin1']);
    expect(summary(r)).toEqual({
      findings: ['latin1/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['warning:not-utf8:latin1/V3__comment.sql'],
    });
    expect(r.notifications[0].message).toMatch(/not valid UTF-8\. Re-save it as UTF-8/);
  });

  it('UTF-16 (with BOM) is named as such; a UTF-8 BOM is dropped', () => {
    const utf16 = decode(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('SELECT 1;', 'utf16le')]), '/x.sql', 'x.sql');
    expect(utf16).toEqual({ notification: expect.objectContaining({ id: 'not-utf8', level: 'warning' }) });
    expect((utf16 as { notification: Notification }).notification.message).toMatch(/UTF-16/);
    const bom = decode(Buffer.from('\ufeffSELECT 1;', 'utf8'), '/x.sql', 'x.sql');
    expect('file' in bom && bom.file.text).toBe('SELECT 1;');
  });

  it('a 50 MB file is skipped from its size, quickly, without reading it', async () => {
    const dir = path.join(root, 'huge');
    goodSet(dir);
    const file = path.join(dir, 'V3__seed.sql');
    const fd = openSync(file, 'w');
    writeSync(fd, 'INSERT INTO orders VALUES (1);\n');
    ftruncateSync(fd, 50 * 1024 * 1024); // sparse: no 50 MB written to disk
    closeSync(fd);
    const started = performance.now();
    const r = await run(['huge']);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(summary(r)).toEqual({
      findings: ['huge/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['warning:file-too-large:huge/V3__seed.sql'],
    });
    expect(r.notifications[0].message).toBe(`Skipped huge/V3__seed.sql: 50.0 MB is over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit for one file.`);
  });

  it('an unreadable file: unreadable-file error (exit code 2), the good files still checked', async (ctx) => {
    const dir = path.join(root, 'unreadable');
    goodSet(dir);
    const file = path.join(dir, 'V3__secret.sql');
    writeFileSync(file, 'SELECT 1;\n');
    chmodSync(file, 0o000);
    // root reads through chmod 000: the sub-case cannot be set up; the FIFO and directory cases below
    // exercise the same unreadable-file notification.
    ctx.skip(process.getuid?.() === 0, 'running as root: chmod 000 does not stop root from reading');
    const r = await run(['unreadable']);
    expect(summary(r)).toEqual({
      findings: ['unreadable/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['error:unreadable-file:unreadable/V3__secret.sql'],
    });
    expect(r.notifications[0].message).toBe('Cannot read unreadable/V3__secret.sql: permission denied.');
    expect(exitCodeFor(r, 'none')).toBe(2);
  });

  it('readSourceFile refuses a FIFO and a directory without blocking', () => {
    const dir = path.join(root, 'special');
    mkdirSync(path.join(dir, 'folder.sql'), { recursive: true });
    execFileSync('mkfifo', [path.join(dir, 'pipe.sql')]);
    expect(readSourceFile(path.join(dir, 'pipe.sql'), root)).toEqual({
      notification: { id: 'unreadable-file', level: 'error', path: 'special/pipe.sql', message: 'Cannot read special/pipe.sql: it is a named pipe.' },
    });
    expect(readSourceFile(path.join(dir, 'folder.sql'), root)).toEqual({
      notification: { id: 'unreadable-file', level: 'error', path: 'special/folder.sql', message: 'Cannot read special/folder.sql: it is a directory.' },
    });
    expect(readSourceFile(path.join(dir, 'missing.sql'), root)).toEqual({
      notification: { id: 'unreadable-file', level: 'error', path: 'special/missing.sql', message: 'Cannot read special/missing.sql: no such file.' },
    });
  });

  it('a FIFO named .sql in a folder does not hang the run; a directory named .sql is walked', async () => {
    const dir = path.join(root, 'fifo');
    goodSet(dir);
    execFileSync('mkfifo', [path.join(dir, 'V3__pipe.sql')]);
    mkdirSync(path.join(dir, 'V4__folder.sql'));
    const r = await run(['fifo']);
    expect(r.findings.map((f) => `${f.file.relPath}:${f.ruleId}`)).toEqual(['fifo/V2__index_orders.sql:require-concurrent-index']);
    // Met while walking, it is reported (never read: reading a FIFO would block) and fails the run.
    expect(r.notifications).toEqual([expect.objectContaining({ id: 'unreadable-file', level: 'error', path: 'fifo/V3__pipe.sql' })]);
    // Given explicitly, the FIFO is an error: the run did not check what was asked.
    const explicit = await run(['fifo/V3__pipe.sql', 'fifo']);
    expect(explicit.notifications).toEqual([expect.objectContaining({ level: 'error', path: 'fifo/V3__pipe.sql' })]);
    expect(explicit.findings).toHaveLength(1);
    expect(exitCodeFor(explicit, 'warning')).toBe(2);
  });
});

describe('folders and paths', () => {
  it('a symlink loop (a folder linking to its parent) and a self-referential symlink', async () => {
    // loops/set/up -> .. (loops/, which holds set/ again), loops/set/itself -> .
    const dir = path.join(root, 'loops/set');
    goodSet(dir);
    symlinkSync('..', path.join(dir, 'up'), 'dir');
    symlinkSync('.', path.join(dir, 'itself'), 'dir');
    symlinkSync('V9__self.sql', path.join(dir, 'V9__self.sql'));
    const r = await run(['loops/set']);
    expect(summary(r)).toEqual({
      // Each file once: the loop is not followed twice.
      findings: ['loops/set/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['warning:symlink-loop:loops/set/V9__self.sql'],
    });
    expect(r.notifications[0].message).toBe('Skipped loops/set/V9__self.sql: symbolic link loop.');
    expect(r.fileCount).toBe(2);
  });

  it('a broken symlink', async () => {
    const dir = path.join(root, 'broken-link');
    goodSet(dir);
    symlinkSync('does-not-exist.sql', path.join(dir, 'V3__gone.sql'));
    const r = await run(['broken-link']);
    expect(summary(r).notifications).toEqual(['warning:broken-symlink:broken-link/V3__gone.sql']);
    expect(r.findings).toHaveLength(1);
  });

  it('an empty folder: a no-files warning, exit code 0', async () => {
    mkdirSync(path.join(root, 'empty'));
    const r = await run(['empty']);
    expect(summary(r)).toEqual({ findings: [], notifications: ['warning:no-files:'] });
    expect(r.notifications[0].message).toBe('No SQL migration or TypeScript file found under `empty`: nothing was checked.');
    expect(r.fileCount).toBe(0);
    expect(exitCodeFor(r, 'note')).toBe(0);
  });

  it('a glob matching nothing: no-match warning; other paths still checked', async () => {
    goodSet(path.join(root, 'globbed'));
    const r = await run(['nothing-here/**/*.sql', 'globbed']);
    expect(summary(r)).toEqual({
      findings: ['globbed/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['warning:no-match:'],
    });
    expect(r.notifications[0].message).toBe('The pattern `nothing-here/**/*.sql` matches no file.');
    expect(exitCodeFor(r, 'error')).toBe(1);
  });

  it('a glob that matches files', async () => {
    goodSet(path.join(root, 'globbed'));
    const r = await run(['globbed/V2*.sql']);
    // Only V2 is checked: `orders` is not created in it, so it is a live table.
    expect(summary(r).findings).toEqual(['globbed/V2__index_orders.sql:1:require-concurrent-index']);
    expect(r.fileCount).toBe(1);
    expect(r.notifications, JSON.stringify(r.notifications)).toEqual([]);
  });

  it('a malformed glob becomes a notification, never an exception', async () => {
    goodSet(path.join(root, 'globbed'));
    const r = await run(['globbed/**/*.{sql', 'globbed']);
    expect(r.notifications).toHaveLength(1);
    expect(r.notifications[0]).toMatchObject({ id: 'bad-glob', level: 'error' });
    expect(r.notifications[0].message).toContain('globbed/**/*.{sql');
    expect(r.notifications[0].message).toContain('Missing closing');
    expect(r.findings).toHaveLength(1);
  });

  it('a missing path: missing-path error, exit code 2 whatever --fail-on says', async () => {
    goodSet(path.join(root, 'present'));
    const r = await run(['present', 'db/typo']);
    expect(summary(r)).toEqual({
      findings: ['present/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: ['error:missing-path:db/typo'],
    });
    expect(r.notifications[0].message).toBe('The path `db/typo` does not exist.');
    for (const failOn of ['error', 'warning', 'note', 'none'] as const) expect(exitCodeFor(r, failOn)).toBe(2);
  });

  it('everything at once: never throws, every problem reported once, sorted by path', async () => {
    const dir = path.join(root, 'all');
    goodSet(dir);
    writeFileSync(path.join(dir, 'V3__dump.sql'), Buffer.from([0x00, 0x01]));
    writeFileSync(path.join(dir, 'V4__latin.sql'), Buffer.from('SELECT \'\xe9\';', 'latin1'));
    const fd = openSync(path.join(dir, 'V5__huge.sql'), 'w');
    ftruncateSync(fd, 11 * 1024 * 1024);
    closeSync(fd);
    symlinkSync('V6__self.sql', path.join(dir, 'V6__self.sql'));
    mkdirSync(path.join(root, 'all-empty'));
    const r = await run(['all', 'all-empty', 'nothing/*.sql', 'missing-folder']);
    expect(summary(r)).toEqual({
      findings: ['all/V2__index_orders.sql:1:require-concurrent-index'],
      notifications: [
        'warning:no-match:',
        'warning:binary-file:all/V3__dump.sql',
        'warning:not-utf8:all/V4__latin.sql',
        'warning:file-too-large:all/V5__huge.sql',
        'warning:symlink-loop:all/V6__self.sql',
        'error:missing-path:missing-folder',
      ],
    });
  });
});
