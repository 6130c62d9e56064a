#!/usr/bin/env node
/**
 * Editor latency: what the Plumbline ESLint plugin adds to linting one file in a warm editor.
 *
 * An editor's ESLint server keeps one process alive and re-lints the open file on each change. This
 * bench does the same with ESLint's `Linter` (what the servers call): for each sampled file of the
 * generated TypeScript corpus, it lints with typescript-eslint's parser alone and with the parser plus
 * `plumbline.configs.recommended`, a few times each, after a warm-up pass over the whole sample. The
 * difference of the medians is what the plugin adds for that file. Every lint sees an edited version of
 * the file (a comment appended), as after a keystroke, so nothing about that file can be reused. Printed: median and p95 over files,
 * plus the first (cold) lint of the project, which loads the SQL parser and reads the imported files.
 *
 *   node bench/editor-latency.js [--files N] [--repeat N] [--json]
 *
 * Needs `npm run build` (the plugin is loaded from dist/) and the TypeScript corpus (bench/ts-corpus.js,
 * built by `npm run bench` or `node bench/ts-corpus.js`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const CORPUS = path.join(HERE, '.ts-corpus');

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const FILES = value('--files', 200);
const REPEAT = value('--repeat', 5);

export async function measureEditorLatency({ files = FILES, repeat = REPEAT } = {}) {
  if (!existsSync(CORPUS)) throw new Error('bench/.ts-corpus is missing: run `node bench/ts-corpus.js` (or `npm run bench`) first.');
  const { default: plumbline } = await import(path.join(REPO, 'dist/src/eslint/plugin.js'));
  const all = walk(CORPUS).filter((f) => f.endsWith('.ts')).sort();
  // A deterministic spread over the whole project: every k-th file.
  const step = Math.max(1, Math.floor(all.length / files));
  const sample = all.filter((_, i) => i % step === 0).slice(0, files);
  const base = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }];
  const withPlugin = [...base, plumbline.configs.recommended];
  const linter = new Linter({ configType: 'flat', cwd: CORPUS });
  const texts = new Map(sample.map((f) => [f, readFileSync(f, 'utf8')]));

  // Each lint sees a new version of the file (as after a keystroke): the plugin cannot reuse its
  // summaries of the file, only what it knows about the rest of the project.
  let edit = 0;
  const lint = (config, file) => {
    const text = `${texts.get(file)}\n// edit ${edit++}\n`;
    const t0 = process.hrtime.bigint();
    const messages = linter.verify(text, config, file);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const fatal = messages.find((m) => m.fatal);
    if (fatal) throw new Error(`${file}: ${fatal.message}`);
    return { ms, count: messages.length };
  };

  // Cold: the first file linted with the plugin pays for the SQL parser and the project's imports.
  const cold = lint(withPlugin, sample[0]).ms;
  // Warm-up: every file once each way (JIT, parsed imports, cached summaries of dependencies).
  let findings = 0;
  for (const f of sample) {
    lint(base, f);
    findings += lint(withPlugin, f).count;
  }
  const added = [];
  const plain = [];
  for (const f of sample) {
    const a = [];
    const b = [];
    for (let i = 0; i < repeat; i++) {
      a.push(lint(base, f).ms);
      b.push(lint(withPlugin, f).ms);
    }
    const ma = median(a);
    plain.push(ma);
    added.push(Math.max(0, median(b) - ma));
  }
  return {
    files: sample.length,
    repeat,
    findings,
    coldFirstFileMs: round(cold),
    eslintAloneMedianMs: round(median(plain)),
    addedMedianMs: round(median(added)),
    addedP95Ms: round(percentile(added, 0.95)),
    addedMaxMs: round(Math.max(...added)),
  };
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const full = path.join(dir, e);
    if (statSync(full).isDirectory()) {
      if (e !== 'node_modules') out.push(...walk(full));
    } else out.push(full);
  }
  return out;
}

function median(xs) {
  return percentile(xs, 0.5);
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1));
  return s[i];
}

function round(x) {
  return Math.round(x * 100) / 100;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await measureEditorLatency();
  if (args.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`Editor latency (ESLint Linter, warm, ${r.files} files × ${r.repeat} runs, typescript-eslint parser):`);
    console.log(`  ESLint with the parser alone: median ${r.eslintAloneMedianMs} ms per file`);
    console.log(`  added by plumbline.configs.recommended: median ${r.addedMedianMs} ms, p95 ${r.addedP95Ms} ms, max ${r.addedMaxMs} ms per file (target ≤ 15 ms median)`);
    console.log(`  first file, cold (SQL parser load, imported files read): ${r.coldFirstFileMs} ms; ${r.findings} findings in the sample`);
  }
}
