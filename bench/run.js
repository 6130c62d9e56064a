#!/usr/bin/env node
/**
 * Benchmark: Plumbline against squawk on the generated migration corpus (bench/corpus.js).
 *
 * Every run is a fresh process (what CI pays): parser load, discovery, analysis and output included.
 * Runs alternate between the tools (ABBA order) after one untimed warm-up each, so that disk cache
 * and machine load drift hit both alike. Wall time is measured with process.hrtime around the spawn;
 * peak RSS with GNU time (`/usr/bin/time -f %M`, which covers the process and its waited-for
 * children — squawk's npm entry point is a Node shim that spawns the native binary), else by polling
 * VmHWM in /proc for the process tree, else not at all.
 *
 *   node bench/run.js [--runs N] [--rebuild] [--no-native] [--no-small] [--no-gnu-time] [--quiet]
 *                     [--no-ts | --ts-only] [--eslint-concurrency auto|N] [--no-linearity] [--no-editor]
 *
 * Besides the corpus, the same tools run on the bundled example (examples/shop, 16 files): the
 * startup-dominated case of a CI job that checks a few changed migrations.
 *
 * TypeScript section (skip with --no-ts, run alone with --ts-only): `plumbline check` on the generated
 * TypeScript service tree (bench/ts-corpus.js → bench/.ts-corpus) against ESLint with typescript-eslint's
 * `recommended` config, untyped (bench/eslint.config.js), same machinery (cold processes, warm-up, ABBA,
 * median), plus a linearity check of Plumbline on about 1/4, 1/2 and all of the tree.
 *
 * Writes bench/results/latest.json (git-ignored). Needs `npm run build` first (`npm run bench` does it).
 * The corpus is generated locally. squawk-cli is installed on first use into bench/.tools (it cannot be a
 * devDependency: the registry here lacks its macOS/Windows binaries, so `npm ci` refuses a lock file that
 * names them).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCorpus, DEFAULT_OUT, DEFAULT_SEED, GENERATOR_VERSION } from './corpus.js';
import { DEFAULT_TS_OUT, ensureTsCorpus } from './ts-corpus.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const CORPUS_REL = path.relative(REPO, DEFAULT_OUT).split(path.sep).join('/');
const SMALL_REL = 'examples/shop';
const TS_CORPUS_REL = path.relative(REPO, DEFAULT_TS_OUT).split(path.sep).join('/');
const ESLINT_BIN = 'node_modules/eslint/bin/eslint.js';
const ESLINT_CONFIG = 'bench/eslint.config.js';
/** Targets the issue sets for the TypeScript analyzer. */
const TS_TARGETS = { ratio: 0.5, peakRssMb: 1024 };

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const RUNS = Math.max(1, Number.parseInt(value('--runs', '5'), 10) || 5);
const quiet = flag('--quiet');
const log = (...a) => {
  if (!quiet) console.error(...a);
};

// ---------------------------------------------------------------------------------------------
// Corpus

function ensureCorpus() {
  const manifestFile = path.join(DEFAULT_OUT, 'manifest.json');
  let manifest;
  if (!flag('--rebuild') && existsSync(manifestFile)) {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (manifest.generatorVersion !== GENERATOR_VERSION || manifest.seed !== DEFAULT_SEED || manifest.scale !== 1) manifest = undefined;
  }
  if (!manifest) {
    log('Generating the corpus…');
    manifest = buildCorpus();
  }
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// Tools

const SQUAWK_VERSION = '2.66.0';

/** node_modules folder holding squawk-cli, installed into bench/.tools on first use. */
function ensureSquawk() {
  const tools = path.join(REPO, 'bench', '.tools');
  const modules = path.join(tools, 'node_modules');
  if (!existsSync(path.join(modules, 'squawk-cli', 'package.json'))) {
    console.error(`bench: installing squawk-cli@${SQUAWK_VERSION} into bench/.tools (once)…`);
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', tools, `squawk-cli@${SQUAWK_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return modules;
}

function squawkNative() {
  const pkg = { 'linux-x64': '@squawk-cli/linux-x64', 'linux-arm64': '@squawk-cli/linux-arm64', 'darwin-x64': '@squawk-cli/darwin-x64', 'darwin-arm64': '@squawk-cli/darwin-arm64' }[`${process.platform}-${process.arch}`];
  const bin = pkg && path.join(ensureSquawk(), pkg, 'bin', 'squawk');
  return bin && existsSync(bin) ? bin : undefined;
}

function tools(target = CORPUS_REL) {
  const squawkBin = path.join(ensureSquawk(), '.bin', process.platform === 'win32' ? 'squawk.cmd' : 'squawk');
  // squawk takes files or globs, not folders; it expands the quoted glob itself (no argv limit).
  const squawkArgs = ['--reporter', 'json', `${target}/**/*.sql`];
  const list = [
    {
      id: 'plumbline',
      label: 'plumbline',
      target,
      cmd: process.execPath,
      args: ['bin/plumbline.js', 'check', target, '--format', 'json', '--output', os.devNull, '--fail-on', 'none'],
      okCodes: [0],
    },
    { id: 'squawk', label: 'squawk (npm bin)', target, cmd: squawkBin, args: squawkArgs, okCodes: [0, 1] },
  ];
  const native = squawkNative();
  if (native && !flag('--no-native')) list.push({ id: 'squawk-native', label: 'squawk (native binary)', target, cmd: native, args: squawkArgs, okCodes: [0, 1], extra: true });
  return list;
}

/** Plumbline and ESLint on the TypeScript tree (or on some of its folders, for the linearity check). */
function tsTools(targets = [TS_CORPUS_REL]) {
  const label = targets.length === 1 ? targets[0] : `${targets.length} folders`;
  const eslint = (extra = []) => [ESLINT_BIN, '-c', ESLINT_CONFIG, '--no-cache', ...extra, '--format', 'json', '-o', os.devNull, ...targets];
  const list = [
    {
      id: 'plumbline',
      label: 'plumbline',
      target: label,
      cmd: process.execPath,
      args: ['bin/plumbline.js', 'check', ...targets, '--format', 'json', '--output', os.devNull, '--fail-on', 'none'],
      okCodes: [0],
    },
    // Exit code 1 = lint errors found (typescript-eslint's recommended rules do fire on the corpus).
    { id: 'eslint', label: 'eslint (tseslint recommended)', target: label, cmd: process.execPath, args: eslint(), okCodes: [0, 1] },
  ];
  const concurrency = value('--eslint-concurrency', undefined);
  if (concurrency) list.push({ id: 'eslint-concurrent', label: `eslint --concurrency ${concurrency}`, target: label, cmd: process.execPath, args: eslint(['--concurrency', concurrency]), okCodes: [0, 1], extra: true });
  return list;
}

// ---------------------------------------------------------------------------------------------
// Measuring one process

function gnuTime() {
  if (flag('--no-gnu-time')) return undefined;
  for (const candidate of ['/usr/bin/time', '/bin/time']) {
    if (!existsSync(candidate)) continue;
    return candidate;
  }
  return undefined;
}

/** Peak VmHWM (KB) over a process and its descendants, read from /proc. */
function procTreeHwm(pid) {
  let max = 0;
  const visit = (p, depth) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) max = Math.max(max, Number(m[1]));
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children && depth < 4) for (const c of children.split(/\s+/)) visit(c, depth + 1);
      }
    } catch {
      // The process ended between two reads.
    }
  };
  visit(pid, 0);
  return max;
}

let timeBin;
let tmpDir;

function runOnce(tool, { stdout = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const rssFile = timeBin ? path.join(tmpDir, `rss-${tool.id}`) : undefined;
    const [cmd, argv] = timeBin ? [timeBin, ['-f', '%M %U %S', '-o', rssFile, tool.cmd, ...tool.args]] : [tool.cmd, tool.args];
    const chunks = [];
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', stdout === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    if (stdout === 'capture') child.stdout.on('data', (d) => chunks.push(d));
    let polledKb = 0;
    const poller =
      !timeBin && process.platform === 'linux'
        ? setInterval(() => {
            polledKb = Math.max(polledKb, procTreeHwm(child.pid));
          }, 5)
        : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (poller) clearInterval(poller);
      let rssKb;
      let cpuMs;
      if (rssFile) {
        const text = existsSync(rssFile) ? readFileSync(rssFile, 'utf8') : '';
        // GNU time writes "Command exited with non-zero status N" before the figures.
        const m = /(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/.exec(text.trim());
        if (m) {
          rssKb = Number(m[1]);
          cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
        }
      } else if (polledKb > 0) rssKb = polledKb;
      if (!tool.okCodes.includes(code)) {
        reject(new Error(`${tool.label} exited with ${code}:\n${stderr.slice(0, 2000)}`));
        return;
      }
      resolve({ ms, rssKb, cpuMs, stdout: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Checking that both tools really analyse the whole corpus

async function sanity(list, manifest) {
  const out = {};
  const pl = list.find((t) => t.id === 'plumbline');
  const plJson = { ...pl, id: 'plumbline-check', args: ['bin/plumbline.js', 'check', CORPUS_REL, '--format', 'json', '--fail-on', 'none'] };
  const plRun = await runOnce(plJson, { stdout: 'capture' });
  const report = JSON.parse(plRun.stdout);
  const plFiles = report.summary?.files ?? report.summary?.fileCount;
  const byRule = {};
  for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  out.plumbline = { filesChecked: plFiles, findings: report.findings.length, byRule, notifications: report.notifications?.length ?? 0 };

  const sq = list.find((t) => t.id === 'squawk');
  const sqRun = await runOnce(sq, { stdout: 'capture' });
  const issues = JSON.parse(sqRun.stdout || '[]');
  const files = new Set(issues.map((i) => i.file));
  const sqByRule = {};
  for (const i of issues) sqByRule[i.rule_name] = (sqByRule[i.rule_name] ?? 0) + 1;
  out.squawk = { filesWithIssues: files.size, issues: issues.length, byRule: sqByRule };

  if (plFiles !== undefined && plFiles !== manifest.files) throw new Error(`plumbline checked ${plFiles} files, the corpus has ${manifest.files}`);
  // squawk lists only files with issues; a file without any is still linted. Every file of the
  // corpus that has a lock-taking statement gets at least one squawk warning (timeouts), so the
  // count must be close to the corpus size — far below it would mean the glob missed folders.
  if (files.size < manifest.files * 0.6) throw new Error(`squawk reported on only ${files.size} of ${manifest.files} files: is the glob expanded?`);
  const dirs = new Set([...files].map((f) => f.split('/').slice(0, 4).join('/')));
  out.squawk.services = dirs.size;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timed runs: one untimed warm-up each (page cache), then ABBA-alternating cold processes.

async function measure(list, runs) {
  for (const tool of list) await runOnce(tool);
  const samples = Object.fromEntries(list.map((t) => [t.id, []]));
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? list : [...list].reverse();
    for (const tool of order) {
      const r = await runOnce(tool);
      samples[tool.id].push(r);
      log(`  run ${i + 1}/${runs} ${tool.label.padEnd(24)} ${tool.target.padEnd(14)} ${Math.round(r.ms)} ms${r.rssKb ? `, ${(r.rssKb / 1024).toFixed(1)} MB` : ''}`);
    }
  }
  return Object.fromEntries(list.map((t) => [t.id, summarize(samples[t.id])]));
}

// ---------------------------------------------------------------------------------------------
// Statistics and output

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function summarize(samples) {
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.rssKb).filter((x) => x !== undefined);
  const cpu = samples.map((s) => s.cpuMs).filter((x) => x !== undefined);
  return {
    runs: samples.length,
    medianMs: Math.round(median(ms)),
    minMs: Math.round(Math.min(...ms)),
    maxMs: Math.round(Math.max(...ms)),
    peakRssMb: rss.length ? Math.round(Math.max(...rss) / 102.4) / 10 : null,
    medianRssMb: rss.length ? Math.round(median(rss) / 102.4) / 10 : null,
    medianCpuMs: cpu.length ? Math.round(median(cpu)) : null,
    samplesMs: ms.map((x) => Math.round(x)),
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, ri) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ') + (ri === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1073741824),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The migration benchmark (Plumbline against squawk); prints its tables, returns its part of latest.json. */
async function runSql() {
  const manifest = ensureCorpus();
  const list = tools();
  const squawkVersion = JSON.parse(readFileSync(path.join(ensureSquawk(), 'squawk-cli', 'package.json'), 'utf8')).version;
  log(`Corpus: ${manifest.files} files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.statements} statements (${CORPUS_REL})`);

  log('Checking that both tools analyse the whole corpus…');
  const coverage = await sanity(list, manifest);
  log(`  plumbline: ${coverage.plumbline.filesChecked} files checked, ${coverage.plumbline.findings} findings`);
  log(`  squawk:    ${coverage.squawk.issues} issues in ${coverage.squawk.filesWithIssues} files`);

  const stats = await measure(list, RUNS);
  // The common CI case is a handful of files: startup dominates. The bundled example (16 files).
  const smallList = flag('--no-small') ? [] : tools(SMALL_REL);
  const small = smallList.length ? await measure(smallList, RUNS) : undefined;

  const ratio = stats.plumbline.medianMs / stats.squawk.medianMs;
  const ratioNative = stats['squawk-native'] ? stats.plumbline.medianMs / stats['squawk-native'].medianMs : undefined;
  const rows = [['tool', 'median ms', 'min ms', 'max ms', 'CPU ms (user+sys, median)', 'peak RSS MB']];
  for (const t of list) {
    const s = stats[t.id];
    rows.push([t.label, s.medianMs, s.minMs, s.maxMs, s.medianCpuMs ?? 'n/a', s.peakRssMb ?? 'n/a']);
  }
  const cpuRatio = stats.plumbline.medianCpuMs && stats.squawk.medianCpuMs ? stats.plumbline.medianCpuMs / stats.squawk.medianCpuMs : undefined;
  const smallRows = [['tool', 'median ms', 'min ms', 'max ms', 'CPU ms (user+sys, median)', 'peak RSS MB']];
  for (const t of smallList) {
    const s = small[t.id];
    smallRows.push([t.label, s.medianMs, s.minMs, s.maxMs, s.medianCpuMs ?? 'n/a', s.peakRssMb ?? 'n/a']);
  }
  const lines = [
    '',
    `Corpus: ${manifest.files} .sql files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.statements} statements (seed ${manifest.seed})`,
    '',
    table(rows),
    '',
    `Ratio plumbline / squawk (median wall time): ${ratio.toFixed(2)}x  (target: <= 1.00x)`,
    ...(ratioNative ? [`Ratio plumbline / squawk native binary, without the npm shim: ${ratioNative.toFixed(2)}x`] : []),
    ...(cpuRatio ? [`Ratio plumbline / squawk (median CPU time): ${cpuRatio.toFixed(2)}x`] : []),
    ...(small
      ? [
          '',
          `Small input: ${SMALL_REL} (startup-dominated, like CI on a few changed files)`,
          '',
          table(smallRows),
          '',
          `Ratio plumbline / squawk on the small input (median wall time): ${(small.plumbline.medianMs / small.squawk.medianMs).toFixed(2)}x`,
        ]
      : []),
    '',
  ];
  console.log(lines.join('\n'));

  return {
    versions: { squawk: squawkVersion },
    corpus: manifest,
    commands: Object.fromEntries(list.map((t) => [t.id, [t.cmd === process.execPath ? 'node' : path.relative(REPO, t.cmd), ...t.args].join(' ')])),
    coverage,
    results: stats,
    ratio: Math.round(ratio * 1000) / 1000,
    ratioNative: ratioNative === undefined ? null : Math.round(ratioNative * 1000) / 1000,
    ratioCpu: cpuRatio === undefined ? null : Math.round(cpuRatio * 1000) / 1000,
    small: small ? { target: SMALL_REL, results: small, ratio: Math.round((small.plumbline.medianMs / small.squawk.medianMs) * 1000) / 1000 } : null,
  };
}

// ---------------------------------------------------------------------------------------------
// TypeScript: Plumbline's code analyzer against ESLint + typescript-eslint on bench/.ts-corpus

/** Checks that ESLint lints every .ts file of the tree (and parses them all), and what Plumbline sees. */
async function tsSanity(list, manifest) {
  const out = { notes: [] };
  const pl = list.find((t) => t.id === 'plumbline');
  const plRun = await runOnce({ ...pl, id: 'plumbline-ts-check', args: ['bin/plumbline.js', 'check', TS_CORPUS_REL, '--format', 'json', '--fail-on', 'none'] }, { stdout: 'capture' });
  const report = JSON.parse(plRun.stdout);
  const plFiles = report.summary?.files ?? report.summary?.fileCount;
  const byRule = {};
  for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  out.plumbline = { filesChecked: plFiles ?? null, findings: report.findings.length, byRule, notifications: (report.notifications ?? []).map((n) => n.id) };
  if (!plFiles) {
    out.notes.push('Plumbline checked no file of the TypeScript tree (is the code analyzer in this build?): its time below is startup and discovery only.');
  } else if (plFiles !== manifest.files) {
    out.notes.push(`Plumbline counted ${plFiles} files; the tree has ${manifest.files} .ts files.`);
  }

  const es = list.find((t) => t.id === 'eslint');
  const esArgs = es.args.filter((a, i, xs) => a !== '-o' && xs[i - 1] !== '-o');
  const esRun = await runOnce({ ...es, id: 'eslint-check', args: esArgs }, { stdout: 'capture' });
  const results = JSON.parse(esRun.stdout);
  let fatal = 0;
  const esByRule = {};
  let messages = 0;
  for (const r of results) {
    fatal += r.fatalErrorCount ?? 0;
    for (const m of r.messages) {
      messages++;
      esByRule[m.ruleId ?? 'parse-error'] = (esByRule[m.ruleId ?? 'parse-error'] ?? 0) + 1;
    }
  }
  const tsFiles = results.filter((r) => r.filePath.endsWith('.ts')).length;
  out.eslint = { filesLinted: results.length, tsFiles, fatal, messages, byRule: esByRule };
  if (tsFiles !== manifest.files) throw new Error(`eslint linted ${tsFiles} .ts files, the tree has ${manifest.files}: check ${ESLINT_CONFIG} and its ignores`);
  if (fatal > 0) throw new Error(`eslint could not parse ${fatal} file(s) of the tree`);
  return out;
}

/** Prefixes of the service folders holding about `fraction` of the tree's files (whole services, so that cross-file flows stay intact). */
function tsSubset(manifest, fraction) {
  const want = manifest.files * fraction;
  let best;
  let count = 0;
  const dirs = [];
  for (const s of manifest.perService) {
    dirs.push(`${TS_CORPUS_REL}/${s.dir}`);
    count += s.files;
    const candidate = { dirs: [...dirs], files: count, bytes: manifest.perService.slice(0, dirs.length).reduce((a, x) => a + x.bytes, 0) };
    if (!best || Math.abs(count - want) < Math.abs(best.files - want)) best = candidate;
  }
  return best;
}

/** Plumbline alone on ~1/4, ~1/2 and all of the tree; a least-squares line through the three points. */
async function tsLinearity(manifest, runs) {
  const points = [];
  const sizes = [
    { label: '~1/4', ...tsSubset(manifest, 0.25) },
    { label: '~1/2', ...tsSubset(manifest, 0.5) },
    { label: 'all', dirs: [TS_CORPUS_REL], files: manifest.files, bytes: manifest.bytes },
  ];
  for (const size of sizes) {
    const tool = { ...tsTools(size.dirs)[0], id: `plumbline-part-${points.length}`, target: size.label };
    await runOnce(tool); // warm-up (page cache)
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await runOnce(tool));
    const s = summarize(samples);
    log(`  linearity ${size.label.padEnd(5)} ${String(size.files).padStart(5)} files  ${s.medianMs} ms`);
    points.push({ label: size.label, folders: size.dirs.length, files: size.files, bytes: size.bytes, medianMs: s.medianMs, samplesMs: s.samplesMs, msPerFile: Math.round((s.medianMs / size.files) * 1000) / 1000, peakRssMb: s.peakRssMb });
  }
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.files, 0) / n;
  const my = points.reduce((a, p) => a + p.medianMs, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.files - mx) ** 2, 0);
  const slope = sxx ? points.reduce((a, p) => a + (p.files - mx) * (p.medianMs - my), 0) / sxx : 0;
  const intercept = my - slope * mx;
  const maxDeviation = Math.max(...points.map((p) => Math.abs(p.medianMs - (intercept + slope * p.files)) / Math.max(1, p.medianMs)));
  return { runs, points, fit: { msPerFile: Math.round(slope * 1000) / 1000, interceptMs: Math.round(intercept), maxRelativeDeviation: Math.round(maxDeviation * 1000) / 1000 } };
}

/** The TypeScript benchmark; prints its tables, returns the `typescript` part of latest.json. */
async function runTs() {
  const manifest = ensureTsCorpus({ rebuild: flag('--rebuild'), log });
  const list = tsTools();
  const version = (pkg) => JSON.parse(readFileSync(path.join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  const versions = { eslint: version('eslint'), 'typescript-eslint': version('typescript-eslint'), typescript: version('typescript') };
  log(`TypeScript tree: ${manifest.files} .ts files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.lines} lines, ${manifest.perService.length} services (${TS_CORPUS_REL})`);
  log('Checking what both tools analyse…');
  const coverage = await tsSanity(list, manifest);
  log(`  plumbline: ${coverage.plumbline.filesChecked ?? 0} files checked, ${coverage.plumbline.findings} findings`);
  log(`  eslint:    ${coverage.eslint.tsFiles} .ts files linted, ${coverage.eslint.messages} messages, ${coverage.eslint.fatal} parse errors`);
  for (const note of coverage.notes) log(`  note: ${note}`);

  const stats = await measure(list, RUNS);
  const linearity = flag('--no-linearity') ? undefined : (log('Linearity (plumbline alone)…'), await tsLinearity(manifest, Math.min(3, RUNS)));

  const ratio = stats.plumbline.medianMs / stats.eslint.medianMs;
  const cpuRatio = stats.plumbline.medianCpuMs && stats.eslint.medianCpuMs ? stats.plumbline.medianCpuMs / stats.eslint.medianCpuMs : undefined;
  const throughput = Object.fromEntries(
    list.map((t) => {
      const sec = stats[t.id].medianMs / 1000;
      return [t.id, { filesPerSec: Math.round(manifest.files / sec), mbPerSec: Math.round((manifest.bytes / 1048576 / sec) * 100) / 100, linesPerSec: Math.round(manifest.lines / sec) }];
    }),
  );
  const rows = [['tool', 'median ms', 'min ms', 'max ms', 'CPU ms (median)', 'peak RSS MB', 'files/s', 'MB/s']];
  for (const t of list) {
    const s = stats[t.id];
    rows.push([t.label, s.medianMs, s.minMs, s.maxMs, s.medianCpuMs ?? 'n/a', s.peakRssMb ?? 'n/a', throughput[t.id].filesPerSec, throughput[t.id].mbPerSec.toFixed(2)]);
  }
  const rss = stats.plumbline.peakRssMb;
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  const out = [
    '',
    `TypeScript tree: ${manifest.files} .ts files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.lines} lines, ${manifest.perService.length} services (seed ${manifest.seed}, generator v${manifest.generatorVersion})`,
    `ESLint ${versions.eslint} + typescript-eslint ${versions['typescript-eslint']} (recommended, no type information), ${RUNS} cold runs each`,
    '',
    table(rows),
    '',
    `Ratio plumbline / eslint (median wall time): ${ratio.toFixed(2)}x  (target: <= ${TS_TARGETS.ratio.toFixed(2)}x, ${verdict(ratio <= TS_TARGETS.ratio)})`,
    ...(cpuRatio ? [`Ratio plumbline / eslint (median CPU time): ${cpuRatio.toFixed(2)}x`] : []),
    `Peak RSS plumbline: ${rss ?? 'n/a'} MB (target: <= ${TS_TARGETS.peakRssMb} MB${rss ? `, ${verdict(rss <= TS_TARGETS.peakRssMb)}` : ''}); eslint: ${stats.eslint.peakRssMb ?? 'n/a'} MB`,
    `Findings: plumbline ${coverage.plumbline.findings}${Object.keys(coverage.plumbline.byRule).length ? ` (${Object.entries(coverage.plumbline.byRule).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; eslint ${coverage.eslint.messages} messages`,
    ...coverage.notes.map((n) => `Note: ${n}`),
  ];
  if (linearity) {
    const lrows = [['plumbline on', 'folders', 'files', 'MB', 'median ms', 'ms per file']];
    for (const p of linearity.points) lrows.push([p.label, p.folders, p.files, (p.bytes / 1048576).toFixed(2), p.medianMs, p.msPerFile.toFixed(3)]);
    out.push(
      '',
      `Linearity (${linearity.runs === 1 ? 'one run' : `median of ${linearity.runs}`} each; subsets are whole services, in order)`,
      '',
      table(lrows),
      '',
      `Least-squares fit: ${linearity.fit.interceptMs} ms + ${linearity.fit.msPerFile.toFixed(3)} ms per file; largest deviation from the line ${(linearity.fit.maxRelativeDeviation * 100).toFixed(1)}%`,
    );
  }
  out.push('');
  console.log(out.join('\n'));
  return {
    versions,
    corpus: manifest,
    commands: Object.fromEntries(list.map((t) => [t.id, ['node', ...t.args].join(' ')])),
    coverage,
    results: stats,
    throughput,
    ratio: Math.round(ratio * 1000) / 1000,
    ratioCpu: cpuRatio === undefined ? null : Math.round(cpuRatio * 1000) / 1000,
    targets: TS_TARGETS,
    linearity: linearity ?? null,
  };
}

async function main() {
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
    console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds).');
    process.exit(2);
  }
  if (flag('--ts-only') && flag('--no-ts')) {
    console.error('--ts-only and --no-ts exclude each other.');
    process.exit(2);
  }
  const doSql = !flag('--ts-only');
  const doTs = !flag('--no-ts');
  timeBin = gnuTime();
  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-'));
  const m = machine();
  const plumblineVersion = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
  log(`Peak RSS via ${timeBin ? `${timeBin} -f '%M %U %S'` : process.platform === 'linux' ? '/proc VmHWM polling' : 'nothing (not measured)'}`);
  console.log(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; ${RUNS} cold runs each`);

  // A run of one section keeps the other section's figures from the previous latest.json.
  const latestFile = path.join(HERE, 'results', 'latest.json');
  let result = {};
  if ((!doSql || !doTs) && existsSync(latestFile)) {
    try {
      result = JSON.parse(readFileSync(latestFile, 'utf8'));
    } catch {
      result = {};
    }
  }
  const sql = doSql ? await runSql() : undefined;
  const ts = doTs ? await runTs() : undefined;
  // Editor latency of the ESLint plugin (bench/editor-latency.js), on the same TypeScript tree.
  let editor;
  if (doTs && !flag('--no-editor')) {
    const { measureEditorLatency } = await import('./editor-latency.js');
    editor = await measureEditorLatency({ files: 100, repeat: 3 });
    console.log(`Editor latency (ESLint plugin, warm, ${editor.files} files, each lint after an edit): ESLint alone ${editor.eslintAloneMedianMs} ms/file; plumbline adds median ${editor.addedMedianMs} ms, p95 ${editor.addedP95Ms} ms (target ≤ 15 ms median); cold first file ${editor.coldFirstFileMs} ms\n`);
  }
  rmSync(tmpDir, { recursive: true, force: true });
  const after = machine();
  if (Math.max(m.loadAverage[0], after.loadAverage[0]) > m.cores + 0.5) {
    console.log(`Note: load average ${after.loadAverage.join(' ')} on ${m.cores} cores: other work competed for the CPU; wall times are noisy.\n`);
  }

  const date = new Date().toISOString();
  const rssMethod = timeBin ? 'gnu-time' : process.platform === 'linux' ? 'proc-vmhwm-poll' : 'none';
  // Top-level date/machine describe the migration figures; the typescript section carries its own.
  if (sql) {
    const { versions, ...rest } = sql;
    Object.assign(result, { date, machine: after, rssMethod, versions: { plumbline: plumblineVersion, ...versions } }, rest);
  }
  if (ts) result.typescript = { date, machine: after, rssMethod, plumblineVersion, ...ts, ...(editor ? { editor } : {}) };
  mkdirSync(path.join(HERE, 'results'), { recursive: true });
  writeFileSync(latestFile, `${JSON.stringify(result, null, 2)}\n`);
  log(`Wrote ${path.relative(process.cwd(), latestFile)}`);
}

main().catch((error) => {
  console.error(`bench: ${error?.stack ?? error}`);
  process.exit(1);
});
