/**
 * The lock timeline of the text report (`check --replay`, src/reporters/timeline.ts), snapshot-tested on
 * the bundled example and on a golang-migrate fixture with downs, replayed on PGlite.
 * Update with `npx vitest run test/timeline.test.ts -u` and review the diff.
 */
import path from 'node:path';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, type CheckResult } from '../src/check.js';
import { LOCK_MODES } from '../src/locks/lock-table.js';
import { openPglite, type ReplayDatabase } from '../src/replay/database.js';
import { buildMarkdown } from '../src/reporters/markdown.js';
import { textReporter } from '../src/reporters/text.js';
import { timelineLines, waitsBehind } from '../src/reporters/timeline.js';
import { FIXTURES } from './helpers/fixtures.js';

const SHOP = path.resolve(import.meta.dirname, '../examples/shop');
const plain = pc.createColors(false);

describe('lock timeline', () => {
  let db: ReplayDatabase;
  const replay = {
    get database() {
      return db;
    },
  };
  let shop: CheckResult;
  beforeAll(async () => {
    db = await openPglite();
    shop = await check({ root: SHOP, replay });
  }, 180_000);
  afterAll(async () => {
    await db?.close();
  });

  it('examples/shop', async () => {
    await expect(`${timelineLines(shop, plain).join('\n')}\n`).toMatchFileSnapshot('__snapshots__/timeline/examples-shop.txt');
  });

  it('a golang-migrate set with downs: rewrites and the reversibility proof', async () => {
    const result = await check({
      root: path.join(FIXTURES, 'replay', 'down-reverses-up', 'invalid-golang-migrate'),
      paths: ['.'],
      config: { preset: 'recommended', migrations: [{ path: '.', framework: 'golang-migrate' }] },
      replay,
    });
    const text = timelineLines(result, plain).join('\n');
    expect(text).toContain('rewrites users (and 3 indexes)');
    expect(text).toContain('down: replayed after the up, restores the schema');
    await expect(`${text}\n`).toMatchFileSnapshot('__snapshots__/timeline/golang-migrate-downs.txt');
  });

  it('is part of the text report with --replay only, and coloured only when colours are on', async () => {
    const ctx = { color: false, toolVersion: '1.2.3' };
    const withReplay = textReporter(shop, ctx);
    expect(withReplay).toContain('Lock timeline (replayed on PostgreSQL');
    // Between the findings and the notifications.
    expect(withReplay.indexOf('Lock timeline')).toBeLessThan(withReplay.indexOf('Replay on PostgreSQL'));
    expect(withReplay).not.toMatch(/\u001b\[/);
    expect(textReporter({ ...shop, replay: undefined }, ctx)).not.toContain('Lock timeline');
    const coloured = timelineLines(shop, pc.createColors(true)).join('\n');
    expect(coloured).toMatch(/\u001b\[31mACCESS EXCLUSIVE/); // red: reads wait
    expect(coloured).toMatch(/\u001b\[33mSHARE ROW EXCLUSIVE/); // yellow: writes wait
  });

  it('is in the markdown report as a collapsed block, and is the first thing dropped when the report is too long', () => {
    const ctx = { color: false, toolVersion: '1.2.3' };
    const md = buildMarkdown(shop, ctx);
    expect(md).toMatch(/<details><summary>Lock timeline \(replayed on PostgreSQL[^<]*<\/summary>\n\n```text\n/);
    expect(md).not.toMatch(/\u001b\[/);
    expect(buildMarkdown({ ...shop, replay: undefined }, ctx)).not.toContain('Lock timeline');
    // Just too long for the timeline: it goes, the findings and their details stay.
    const withoutTimeline = buildMarkdown(shop, ctx, md.length - 1);
    expect(withoutTimeline).not.toContain('<summary>Lock timeline');
    expect(withoutTimeline).toContain('the lock timeline');
    expect(withoutTimeline.split('<details>').length).toBe(md.split('<details>').length - 1);
  });

  it('says what waits behind every lock mode', () => {
    expect(Object.fromEntries(LOCK_MODES.map((m) => [m, waitsBehind(m)]))).toEqual({
      'ACCESS SHARE': 'no reads or writes wait',
      'ROW SHARE': 'no reads or writes wait',
      'ROW EXCLUSIVE': 'no reads or writes wait',
      'SHARE UPDATE EXCLUSIVE': 'only schema changes wait',
      SHARE: 'writes wait',
      'SHARE ROW EXCLUSIVE': 'writes wait',
      EXCLUSIVE: 'writes wait',
      'ACCESS EXCLUSIVE': 'reads and writes wait',
    });
  });
});
