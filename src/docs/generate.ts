/**
 * Derives the generated parts of the docs from rule metadata, so nothing is written twice:
 * the header block of each docs/rules/<id>.md, the rules table in README.md, and the config JSON Schema.
 * `node dist/src/docs/generate.js` writes them; `--check` fails when a file is stale (run by the tests).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allRules } from '../../rules/index.js';
import { configSchema } from '../config/config.js';
import type { Rule } from '../core/rule.js';

/** The package root: the nearest folder with a package.json (this file runs from src/ under vitest, from dist/src/ once built). */
export const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
const BEGIN = '<!-- begin generated: `npm run docs` rewrites this block from the rule metadata -->';
const END = '<!-- end generated -->';

const TOOL_NAMES: Record<string, string> = {
  squawk: 'squawk',
  strongMigrations: 'strong_migrations',
  eugene: 'eugene',
  atlas: 'Atlas',
  pgfence: 'pgfence',
};

export function ruleHeader(rule: Rule): string {
  const m = rule.meta;
  const peers = Object.entries(m.sources).map(([tool, id]) => `${TOOL_NAMES[tool] ?? tool} \`${id}\``);
  return [
    BEGIN,
    `> ${m.description}`,
    '>',
    `> Family: **${rule.family}** · Default severity: **${m.severity}** · In \`recommended\`: **${m.recommended && !m.experimental ? 'yes' : 'no'}** · Autofix: **${m.fixable ?? 'none'}** · Precision: ${m.precision}`,
    ...(peers.length ? ['>', `> Same hazard in other tools: ${peers.join(', ')}.`] : ['>', '> No other tool checks this statically.']),
    END,
  ].join('\n');
}

export function replaceBlock(text: string, block: string): string | undefined {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return text.slice(0, start) + block + text.slice(end + END.length);
}

export function readmeTable(): string {
  const rows = allRules.map((r) => {
    const peers = Object.keys(r.meta.sources).map((t) => TOOL_NAMES[t] ?? t).join(', ');
    return `| [\`${r.id}\`](docs/rules/${r.id}.md) | ${r.family} | ${r.meta.severity} | ${r.meta.recommended && !r.meta.experimental ? '✔' : ''} | ${r.meta.fixable ?? ''} | ${r.meta.description.replace(/\|/g, '\\|')} | ${peers} |`;
  });
  return [BEGIN, '| rule | family | severity | recommended | autofix | flags | also in |', '|---|---|---|---|---|---|---|', ...rows, END].join('\n');
}

/** Every generated file and its expected content. Pages without markers are reported. */
export function generatedFiles(): { files: Map<string, string>; problems: string[] } {
  const files = new Map<string, string>();
  const problems: string[] = [];
  for (const rule of allRules) {
    const file = path.join(ROOT, 'docs/rules', `${rule.id}.md`);
    if (!existsSync(file)) {
      problems.push(`docs/rules/${rule.id}.md is missing`);
      continue;
    }
    const next = replaceBlock(readFileSync(file, 'utf8'), ruleHeader(rule));
    if (next === undefined) problems.push(`docs/rules/${rule.id}.md has no generated block markers`);
    else files.set(file, next);
  }
  const readme = path.join(ROOT, 'README.md');
  if (existsSync(readme)) {
    const next = replaceBlock(readFileSync(readme, 'utf8'), readmeTable());
    if (next === undefined) problems.push('README.md has no generated rules table markers');
    else files.set(readme, next);
  }
  files.set(path.join(ROOT, 'schema/plumbline.config.schema.json'), `${JSON.stringify(configSchema(allRules), null, 2)}\n`);
  return { files, problems };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const checkOnly = process.argv.includes('--check');
  const { files, problems } = generatedFiles();
  const stale: string[] = [];
  for (const [file, content] of files) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current === content) continue;
    stale.push(path.relative(ROOT, file));
    if (!checkOnly) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  for (const p of problems) console.error(`docs: ${p}`);
  if (checkOnly && stale.length) console.error(`docs: stale, run \`npm run docs\`: ${stale.join(', ')}`);
  else if (stale.length) console.log(`docs: updated ${stale.join(', ')}`);
  process.exitCode = problems.length || (checkOnly && stale.length) ? 1 : 0;
}
