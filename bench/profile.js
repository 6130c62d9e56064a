#!/usr/bin/env node
/**
 * Where Plumbline's time goes on the benchmark corpus. Two views:
 *
 * 1. Phases, measured in one process through the built modules (dist/): module load, WASM parser
 *    load, discovery (walk + read), parsing (libpg-query parse of every script), token scanning
 *    (forced for every statement, as rules would), the engine without rules (catalog replay, lock
 *    table, suppressions), the engine with the enabled rules (and the time spent inside each rule's
 *    listeners), and the JSON report.
 * 2. A V8 CPU profile of the real CLI run (`node --cpu-prof bin/plumbline.js check …`), self time
 *    grouped by where the code lives (libpg-query WASM and glue, our parser wrapper, rules, catalog,
 *    GC, …) plus the top functions.
 *
 *   node bench/profile.js [--phases-only] [--cpu-only] [--json FILE]
 *
 * Needs `npm run build` and the corpus (`node bench/corpus.js`, or any `npm run bench`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCorpus, DEFAULT_OUT } from './corpus.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const CORPUS_REL = path.relative(REPO, DEFAULT_OUT).split(path.sep).join('/');
const args = process.argv.slice(2);
const dist = (p) => pathToFileURL(path.join(REPO, 'dist', p)).href;
const fmt = (ms) => `${Math.round(ms)}`.padStart(7);

async function phases() {
  const out = [];
  // Wall time and CPU time (user + system of this process) of each phase: on a busy machine the CPU
  // figure is the steadier one.
  let cpu0 = process.cpuUsage();
  const mark = (name, start) => {
    const ms = performance.now() - start;
    const c = process.cpuUsage(cpu0);
    const inPg = Object.values(wasm).reduce((a, v) => a + v.ms, 0);
    out.push({ phase: name, ms: Math.round(ms), cpuMs: Math.round((c.user + c.system) / 1000), libpgQueryMs: Math.round(inPg - pg0) });
    return ms;
  };
  const wasm = {};
  let pg0 = 0;
  const begin = () => {
    cpu0 = process.cpuUsage();
    pg0 = Object.values(wasm).reduce((a, v) => a + v.ms, 0);
    return performance.now();
  };
  let t = performance.now();
  const bootMs = t; // time from process start to this script running (node bootstrap)
  const { allRules } = await import(dist('rules/index.js'));
  const { resolveRules } = await import(dist('src/config/config.js'));
  const engine = await import(dist('src/engine/migrations.js'));
  const { discover } = await import(dist('src/migrations/discover.js'));
  const { loadParser } = await import(dist('src/sql/parse.js'));
  const { reporters } = await import(dist('src/reporters/index.js'));
  const { compareFindings } = await import(dist('src/core/finding.js'));
  mark('import plumbline modules', t);

  // Count the time spent inside libpg-query's entry points, wherever they are called from (discovery
  // parses framework scripts to decide their transaction mode; the engine reuses that parse).
  const { createRequire } = await import('node:module');
  const pg = createRequire(path.join(REPO, 'dist', 'src', 'sql', 'parse.js'))('libpg-query');
  for (const name of ['parseSync', 'scanSync', 'parsePlPgSQLSync']) {
    const original = pg[name];
    if (typeof original !== 'function') continue;
    const acc = (wasm[name] = { calls: 0, ms: 0, inputChars: 0 });
    pg[name] = function (...a) {
      const s = performance.now();
      try {
        return original.apply(this, a);
      } finally {
        acc.ms += performance.now() - s;
        acc.calls++;
        acc.inputChars += typeof a[0] === 'string' ? a[0].length : 0;
      }
    };
  }

  t = begin();
  await loadParser();
  mark('load libpg-query WASM', t);

  t = begin();
  const found = await discover({ root: REPO, paths: [CORPUS_REL], ignore: [], pgVersion: 16 });
  mark('discovery (walk, read, detect frameworks; parses framework scripts for their transaction mode)', t);
  const scripts = found.sets.flatMap((s) => s.migrations.flatMap((m) => (m.down ? [m.up, m.down] : [m.up])));

  t = begin();
  let statements = 0;
  let bytes = 0;
  const parsed = [];
  for (const script of scripts) {
    const chunk = engine.parseScript(script);
    parsed.push(chunk);
    statements += chunk.statements.length;
    bytes += script.file.text.length;
  }
  mark(`parse the rest (${statements} statements in all, incl. DO bodies)`, t);

  t = begin();
  let tokens = 0;
  for (const chunk of parsed) for (const s of chunk.statements) tokens += s.tokens.length;
  mark(`scan tokens (${tokens} tokens, all statements)`, t);

  const enabled = resolveRules(allRules, {});
  t = begin();
  for (const set of found.sets) engine.analyzeMigrationSet(set, { pgVersion: 16, rules: [], allRules });
  mark('engine without rules (catalog, locks, suppressions)', t);

  // With rules: wrap each rule's listeners to attribute time to it.
  const perRule = new Map();
  const timed = enabled.map((r) => {
    if (r.rule.family !== 'migration' || typeof r.rule.create !== 'function') return r;
    const rule = r.rule;
    const wrapped = Object.create(rule);
    wrapped.create = (ctx) => {
      const s0 = performance.now();
      const listeners = rule.create(ctx);
      perRule.set(rule.id, (perRule.get(rule.id) ?? 0) + performance.now() - s0);
      const out = {};
      for (const [k, fn] of Object.entries(listeners ?? {})) {
        out[k] = (...a) => {
          const s = performance.now();
          try {
            return fn(...a);
          } finally {
            perRule.set(rule.id, (perRule.get(rule.id) ?? 0) + performance.now() - s);
          }
        };
      }
      return out;
    };
    return { ...r, rule: wrapped };
  });
  t = begin();
  const findings = [];
  const catalogs = [];
  for (const set of found.sets) {
    const r = engine.analyzeMigrationSet(set, { pgVersion: 16, rules: timed, allRules });
    findings.push(...r.findings);
    catalogs.push(r.catalog);
  }
  findings.sort(compareFindings);
  const withRules = mark(`engine with ${enabled.length} enabled rules (${findings.length} findings)`, t);

  t = begin();
  const result = { root: REPO, findings, notifications: found.notifications, rules: allRules, enabled, sets: found.sets, catalogs, pgVersion: 16, fileCount: scripts.length };
  const report = reporters.json(result, { color: false, toolVersion: '0' });
  mark(`JSON report (${(report.length / 1048576).toFixed(1)} MB)`, t);

  const rules = [...perRule].sort((a, b) => b[1] - a[1]).map(([id, ms]) => ({ rule: id, ms: Math.round(ms * 10) / 10 }));
  for (const v of Object.values(wasm)) v.ms = Math.round(v.ms);
  return { bootMs: Math.round(bootMs), phases: out, libpgQuery: wasm, totalMs: out.reduce((a, b) => a + b.ms, 0), totalCpuMs: out.reduce((a, b) => a + b.cpuMs, 0), rulesTotalMs: Math.round(rules.reduce((s, r) => s + r.ms, 0)), engineWithRulesMs: Math.round(withRules), rules, files: scripts.length, bytes, statements, tokens };
}

function category(frame) {
  const url = frame.url ?? '';
  const fn = frame.functionName;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native (program: compile, builtins)';
  if (url.startsWith('wasm://') || /^\$?(wasm-function|func)\[?\d/.test(fn)) return 'libpg-query WASM';
  if (url.includes('node_modules/libpg-query')) return 'libpg-query JS glue (strings, JSON.parse)';
  if (url.includes('/dist/src/sql/')) return 'plumbline sql/ (parse wrapper, tokens, comments)';
  if (url.includes('/dist/rules/')) return 'rules';
  if (url.includes('/dist/src/catalog/')) return 'catalog';
  if (url.includes('/dist/src/locks/')) return 'lock table';
  if (url.includes('/dist/src/engine/')) return 'engine (state, suppressions)';
  if (url.includes('/dist/src/migrations/') || url.includes('/dist/src/io/')) return 'discovery + reading';
  if (url.includes('/dist/src/reporters/')) return 'reporters';
  if (url.includes('/dist/src/core/')) return 'core (source positions, findings)';
  if (url.includes('/dist/')) return 'plumbline (other)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `dependency ${nm[1]}`;
  if (url.startsWith('node:') || url === '' || !url.includes('/')) return 'Node.js internals / builtins';
  return 'other';
}

function cpuProfile() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-prof-'));
  const start = performance.now();
  const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200', 'bin/plumbline.js', 'check', CORPUS_REL, '--format', 'json', '--output', os.devNull, '--fail-on', 'none'], { cwd: REPO, encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (run.status !== 0) throw new Error(`plumbline exited ${run.status}: ${run.stderr}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const cats = new Map();
  const fns = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    const c = category(node.callFrame);
    cats.set(c, (cats.get(c) ?? 0) + ms);
    const key = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url || '')}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + ms);
    total += ms;
  }
  // Inclusive time of a few entry points, to see whole phases through the call tree.
  const parents = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const inclusive = new Map();
  for (const [id, ms] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parents.get(cur)) {
      const f = byId.get(cur).callFrame;
      const name = `${f.functionName} ${path.basename(f.url || '')}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  const pickInclusive = ['loadParser parse.js', 'discover discover.js', 'parseScript migrations.js', 'parseSql parse.js', 'scanTokens parse.js', 'analyzeMigrationSet migrations.js', 'apply catalog.js', 'locksOf lock-table.js', 'jsonReporter json.js', 'parseSync index.cjs', 'scanSync index.cjs', 'parsePlPgSQLSync index.cjs'];
  return {
    wallMs: Math.round(wallMs),
    sampledMs: Math.round(total),
    categories: [...cats].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 })),
    top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, ms]) => ({ name, ms: Math.round(ms) })),
    inclusive: pickInclusive.filter((n) => inclusive.has(n)).map((n) => ({ name: n, ms: Math.round(inclusive.get(n)) })),
  };
}

async function main() {
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
    console.error('dist/ is missing: run `npm run build` first.');
    process.exit(2);
  }
  if (!existsSync(path.join(DEFAULT_OUT, 'manifest.json'))) buildCorpus();
  const result = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverage: os.loadavg() };
  if (!args.includes('--cpu-only')) {
    const p = await phases();
    result.phases = p;
    console.log(`\nPhases (one process, ${p.files} scripts (up and down), ${p.statements} statements; node bootstrap before this script: ${p.bootMs} ms)`);
    console.log('   wall      CPU  in libpg-query (ms)');
    for (const ph of p.phases) console.log(`${fmt(ph.ms)}  ${fmt(ph.cpuMs)}  ${fmt(ph.libpgQueryMs)}  ${ph.phase}`);
    console.log(`${fmt(p.totalMs)}  ${fmt(p.totalCpuMs)}  ${fmt(Object.values(p.libpgQuery).reduce((a, v) => a + v.ms, 0))}  total`);
    console.log('\nInside libpg-query (all phases above; WASM call + string copies + JSON.parse of its output):');
    for (const [name, v] of Object.entries(p.libpgQuery)) console.log(`${fmt(v.ms)} ms  ${name}: ${v.calls} calls on ${(v.inputChars / 1048576).toFixed(2)} M chars`);
    console.log(`\nTime inside rule listeners (part of "engine with rules"; ${p.rulesTotalMs} ms in all):`);
    for (const r of p.rules.slice(0, 15)) console.log(`${fmt(r.ms)} ms  ${r.rule}`);
  }
  if (!args.includes('--phases-only')) {
    const c = cpuProfile();
    result.cpu = c;
    console.log(`\nCPU profile of the CLI run (wall ${c.wallMs} ms incl. profiler overhead; ${c.sampledMs} ms sampled), self time by area:`);
    for (const cat of c.categories) console.log(`${fmt(cat.ms)} ms  ${String(cat.share).padStart(5)}%  ${cat.name}`);
    console.log('\nInclusive time of entry points:');
    for (const i of c.inclusive) console.log(`${fmt(i.ms)} ms  ${i.name}`);
    console.log('\nTop functions by self time:');
    for (const f of c.top) console.log(`${fmt(f.ms)} ms  ${f.name}`);
  }
  const jsonOut = args.indexOf('--json');
  if (jsonOut >= 0) writeFileSync(args[jsonOut + 1], `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error) => {
  console.error(`profile: ${error?.stack ?? error}`);
  process.exit(1);
});
