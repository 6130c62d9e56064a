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
 *
 * Besides the corpus, the same tools run on the bundled example (examples/shop, 16 files): the
 * startup-dominated case of a CI job that checks a few changed migrations.
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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const CORPUS_REL = path.relative(REPO, DEFAULT_OUT).split(path.sep).join('/');
const SMALL_REL = 'examples/shop';

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

async function main() {
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
    console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds).');
    process.exit(2);
  }
  const manifest = ensureCorpus();
  timeBin = gnuTime();
  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-'));
  const list = tools();
  const squawkVersion = JSON.parse(readFileSync(path.join(ensureSquawk(), 'squawk-cli', 'package.json'), 'utf8')).version;
  const plumblineVersion = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
  log(`Corpus: ${manifest.files} files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.statements} statements (${CORPUS_REL})`);
  log(`Peak RSS via ${timeBin ? `${timeBin} -f '%M %U %S'` : process.platform === 'linux' ? '/proc VmHWM polling' : 'nothing (not measured)'}`);

  log('Checking that both tools analyse the whole corpus…');
  const coverage = await sanity(list, manifest);
  log(`  plumbline: ${coverage.plumbline.filesChecked} files checked, ${coverage.plumbline.findings} findings`);
  log(`  squawk:    ${coverage.squawk.issues} issues in ${coverage.squawk.filesWithIssues} files`);

  const stats = await measure(list, RUNS);
  // The common CI case is a handful of files: startup dominates. The bundled example (16 files).
  const smallList = flag('--no-small') ? [] : tools(SMALL_REL);
  const small = smallList.length ? await measure(smallList, RUNS) : undefined;
  rmSync(tmpDir, { recursive: true, force: true });

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
  const m = machine();
  const lines = [
    '',
    `Corpus: ${manifest.files} .sql files, ${(manifest.bytes / 1048576).toFixed(2)} MB, ${manifest.statements} statements (seed ${manifest.seed})`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; ${RUNS} cold runs each`,
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
    ...(m.loadAverage[0] > m.cores + 0.5 ? [`Note: load average ${m.loadAverage.join(' ')} on ${m.cores} cores: other work competed for the CPU; wall times are noisy.`] : []),
    '',
  ];
  console.log(lines.join('\n'));

  const result = {
    date: new Date().toISOString(),
    machine: m,
    versions: { plumbline: plumblineVersion, squawk: squawkVersion },
    corpus: manifest,
    rssMethod: timeBin ? 'gnu-time' : process.platform === 'linux' ? 'proc-vmhwm-poll' : 'none',
    commands: Object.fromEntries(list.map((t) => [t.id, [t.cmd === process.execPath ? 'node' : path.relative(REPO, t.cmd), ...t.args].join(' ')])),
    coverage,
    results: stats,
    ratio: Math.round(ratio * 1000) / 1000,
    ratioNative: ratioNative === undefined ? null : Math.round(ratioNative * 1000) / 1000,
    ratioCpu: cpuRatio === undefined ? null : Math.round(cpuRatio * 1000) / 1000,
    small: small ? { target: SMALL_REL, results: small, ratio: Math.round((small.plumbline.medianMs / small.squawk.medianMs) * 1000) / 1000 } : null,
  };
  mkdirSync(path.join(HERE, 'results'), { recursive: true });
  writeFileSync(path.join(HERE, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  log(`Wrote ${path.relative(process.cwd(), path.join(HERE, 'results', 'latest.json'))}`);
}

main().catch((error) => {
  console.error(`bench: ${error?.stack ?? error}`);
  process.exit(1);
});
