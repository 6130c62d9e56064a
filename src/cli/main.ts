/**
 * The command line. Exit codes (docs/configuration.md, "Exit codes"):
 *   0  nothing at or above --fail-on;
 *   1  a finding at or above --fail-on;
 *   2  usage, configuration or internal error, or an input that could not be checked as asked
 *      (an error-level notification: a missing path, a bad glob, an unreadable file), whatever --fail-on says.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { allRules, ruleById } from '../../rules/index.js';
import { applyBaseline, BASELINE_FILE, createBaseline, readBaseline, serializeBaseline } from '../baseline.js';
import { changedFiles, filterChanged } from '../changed.js';
import { check, ConfigError, type CheckOptions, type CheckResult } from '../check.js';
import { CONFIG_FILE, DEFAULT_PG_VERSION } from '../config/config.js';
import { SEVERITY_RANK } from '../core/finding.js';
import { helpUri, type Rule } from '../core/rule.js';
import { applyFixes } from '../fix.js';
import { reporters } from '../reporters/index.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'markdown'] as const;

export function toolVersion(): string {
  // dist/src/cli/main.js when built, src/cli/main.ts when run from source (tests).
  const url = ['../../../package.json', '../../package.json'].map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u))!;
  const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version: string };
  return pkg.version;
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<string>;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const defaultIo = (): Io => ({
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('plumbline')
    .usage('$0 <command> [options]')
    .command(
      ['check [paths..]', '$0'],
      'Check migrations (and, later, TypeScript code) under the given paths',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'Files, folders or globs (default: the config paths, or .)' })
          .option('format', { alias: 'f', choices: FORMATS, describe: 'Output format (default: text, or github under GitHub Actions)' })
          .option('output', { alias: 'o', type: 'string', describe: 'Write the report to this file instead of stdout' })
          .option('config', { alias: 'c', type: 'string', describe: `Configuration file (default: ./${CONFIG_FILE} when present)` })
          .option('pg-version', { type: 'number', describe: `PostgreSQL major version the migrations run on (default ${DEFAULT_PG_VERSION})` })
          .option('assume-in-transaction', {
            type: 'boolean',
            describe: 'Plain SQL folders: assume each file runs inside a transaction (--no-assume-in-transaction: assume not)',
          })
          .option('rule', { type: 'string', array: true, describe: 'Enable a rule (repeatable)' })
          .option('disable-rule', { type: 'string', array: true, describe: 'Disable a rule (repeatable)' })
          .option('fail-on', { choices: ['error', 'warning', 'note', 'none'] as const, default: 'warning' as const, describe: 'Lowest severity that makes the exit code 1' })
          .option('stdin', { type: 'boolean', default: false, describe: 'Read one SQL migration from standard input' })
          .option('stdin-filename', { type: 'string', describe: 'Name to report for --stdin input', default: 'stdin.sql' })
          .option('replay', {
            type: 'boolean',
            default: false,
            describe: 'Also apply the migrations to an embedded PostgreSQL (PGlite) and report statements that fail (docs/replay.md)',
          })
          .option('database-url', {
            type: 'string',
            describe: 'Replay on this PostgreSQL server instead (postgres://user@host:port/db), in a throwaway database dropped afterwards; implies --replay',
          })
          .option('replay-rows', {
            type: 'number',
            describe: 'Before each migration, fill the tables it touches with N synthetic rows (up to 100000) to expose NOT NULL, unique and foreign key failures and time rewrites; implies --replay',
          })
          .option('root', { type: 'string', describe: 'Analysis root: report paths are relative to it (default: the working directory)' })
          .option('fix', { type: 'boolean', default: false, describe: 'Apply safe autofixes to the files, then report what is left' })
          .option('fix-unsafe', { type: 'boolean', default: false, describe: 'With --fix: also apply fixes that change behaviour (review the diff)' })
          .option('changed-since', {
            type: 'string',
            describe: 'Report only on files changed since this git ref (committed since the branch left it, uncommitted or untracked); every migration is still analysed',
          })
          .option('baseline', { type: 'string', describe: `Report only findings not in this baseline file (written by \`plumbline baseline\`, default name ${BASELINE_FILE})` }),
      async (args) => {
        const root = path.resolve(io.cwd, args.root ?? '.');
        // Paths on the command line are relative to the working directory (what the shell completes),
        // whatever --root says; check() takes them relative to the root.
        const fromCwd = (p: string) => (path.isAbsolute(p) ? p : path.relative(root, path.resolve(io.cwd, p)) || '.');
        if (args.fix && args.stdin) throw new UsageError('--fix rewrites files and cannot be used with --stdin.');
        const checkOptions = {
          root,
          paths: args.paths?.map(fromCwd),
          configPath: args.config === undefined ? undefined : fromCwd(args.config),
          pgVersion: args['pg-version'],
          assumeInTransaction: args['assume-in-transaction'],
          enableRules: args.rule,
          disableRules: args['disable-rule'],
          stdin: args.stdin ? { text: await io.readStdin(), filename: args['stdin-filename'] } : undefined,
          replay: replayOption(args.replay, args['database-url'], args['replay-rows']),
        };
        // --changed-since and --baseline filter the findings of a full analysis (src/changed.ts, src/baseline.ts).
        if (args.stdin && (args['changed-since'] !== undefined || args.baseline !== undefined)) {
          throw new UsageError('--changed-since and --baseline work on files and cannot be used with --stdin.');
        }
        const since = args['changed-since'];
        const changed = since === undefined ? undefined : await changedFiles(since, root);
        const baselinePath = args.baseline === undefined ? undefined : path.resolve(io.cwd, args.baseline);
        const baselineName = baselinePath && (path.relative(root, baselinePath).split(path.sep).join('/') || baselinePath);
        const baseline = baselinePath ? readBaseline(baselinePath, baselineName) : undefined;
        const narrow = (r: CheckResult) => {
          if (changed) r = filterChanged(r, since!, changed);
          if (baseline) r = applyBaseline(r, baseline, baselineName!);
          return r;
        };
        let result = narrow(await check(checkOptions));
        if (args.fix) {
          const outcome = applyFixes(result.findings, args['fix-unsafe']);
          io.stderr(`plumbline: applied ${outcome.applied} fix${outcome.applied === 1 ? '' : 'es'} in ${outcome.files.length} file${outcome.files.length === 1 ? '' : 's'}${outcome.skipped ? ` (${outcome.skipped} overlapping fix${outcome.skipped === 1 ? '' : 'es'} left for another run)` : ''}.\n`);
          // Report what is left after the fixes, on the rewritten files.
          if (outcome.files.length) result = narrow(await check(checkOptions));
        }
        const format = args.format ?? (io.env.GITHUB_ACTIONS === 'true' && reporters.github ? 'github' : 'text');
        const reporter = reporters[format];
        if (!reporter) throw new ConfigError(`The ${format} format is not available in this build.`);
        const color = io.isTTY && !args.output && !('NO_COLOR' in io.env) && format === 'text';
        const report = reporter(result, { color, toolVersion: toolVersion() });
        if (args.output) {
          try {
            writeFileSync(path.resolve(io.cwd, args.output), report);
          } catch (error) {
            throw new ConfigError(`Cannot write the report to ${args.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
          }
        } else io.stdout(report);
        exitCode = exitCodeFor(result, args['fail-on']);
      },
    )
    .command(
      'baseline [paths..]',
      `Record today's findings in a baseline file (default ${BASELINE_FILE}); \`check --baseline FILE\` then reports only new ones`,
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'Files, folders or globs (default: the config paths, or .)' })
          .option('output', { alias: 'o', type: 'string', default: BASELINE_FILE, describe: 'Baseline file to write' })
          .option('config', { alias: 'c', type: 'string', describe: `Configuration file (default: ./${CONFIG_FILE} when present)` })
          .option('pg-version', { type: 'number', describe: `PostgreSQL major version the migrations run on (default ${DEFAULT_PG_VERSION})` })
          .option('assume-in-transaction', { type: 'boolean', describe: 'Plain SQL folders: assume each file runs inside a transaction' })
          .option('rule', { type: 'string', array: true, describe: 'Enable a rule (repeatable)' })
          .option('disable-rule', { type: 'string', array: true, describe: 'Disable a rule (repeatable)' })
          .option('replay', { type: 'boolean', default: false, describe: 'Also replay the migrations (include replay-error findings)' })
          .option('root', { type: 'string', describe: 'Analysis root: paths in the baseline are relative to it (default: the working directory)' }),
      async (args) => {
        const root = path.resolve(io.cwd, args.root ?? '.');
        const fromCwd = (p: string) => (path.isAbsolute(p) ? p : path.relative(root, path.resolve(io.cwd, p)) || '.');
        const result = await check({
          root,
          paths: args.paths?.map(fromCwd),
          configPath: args.config === undefined ? undefined : fromCwd(args.config),
          pgVersion: args['pg-version'],
          assumeInTransaction: args['assume-in-transaction'],
          enableRules: args.rule,
          disableRules: args['disable-rule'],
          replay: args.replay,
        });
        // A baseline of a run that could not read everything would hide findings it never saw.
        const errors = result.notifications.filter((n) => n.level === 'error');
        if (errors.length) {
          io.stderr(`${errors.map((n) => `plumbline: ${n.message}\n`).join('')}plumbline: the baseline was not written, since not every input could be checked.\n`);
          exitCode = 2;
          return;
        }
        const baseline = createBaseline(result);
        try {
          writeFileSync(path.resolve(io.cwd, args.output), serializeBaseline(baseline));
        } catch (error) {
          throw new ConfigError(`Cannot write the baseline to ${args.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
        }
        const n = baseline.findings.length;
        io.stdout(`Wrote ${n} finding${n === 1 ? '' : 's'} to ${args.output} (${result.fileCount} file${result.fileCount === 1 ? '' : 's'} checked). \`plumbline check --baseline ${args.output}\` now reports only new findings.\n`);
      },
    )
    .command(
      'rules',
      'List every rule with its family, default severity and equivalents in other tools',
      (y) => y.option('format', { choices: ['text', 'json'] as const, default: 'text' as const }),
      (args) => {
        io.stdout(args.format === 'json' ? `${JSON.stringify(allRules.map(ruleSummary), null, 2)}\n` : rulesTable());
      },
    )
    .command(
      'explain <rule>',
      'Show what a rule flags, why, and the safe recipe',
      (y) => y.positional('rule', { type: 'string', demandOption: true }),
      (args) => {
        const rule = ruleById(args.rule);
        if (!rule) throw new ConfigError(`Unknown rule \`${args.rule}\`. Run \`plumbline rules\` to list them.`);
        io.stdout(explain(rule));
      },
    )
    .command(
      'init',
      `Write a starter ${CONFIG_FILE} in the current folder`,
      (y) => y.option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing file' }),
      (args) => {
        const file = path.join(io.cwd, CONFIG_FILE);
        if (existsSync(file) && !args.force) throw new ConfigError(`${CONFIG_FILE} already exists (use --force to overwrite).`);
        const starter = {
          $schema: './node_modules/plumbline/schema/plumbline.config.schema.json',
          preset: 'recommended',
          pgVersion: DEFAULT_PG_VERSION,
          paths: ['.'],
          ignore: ['**/node_modules/**'],
          rules: {},
        };
        writeFileSync(file, `${JSON.stringify(starter, null, 2)}\n`);
        io.stdout(`Wrote ${CONFIG_FILE}. Run \`plumbline check\` next.\n`);
      },
    )
    .strictOptions()
    .strictCommands()
    .demandCommand(0)
    .version(toolVersion())
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });

  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`plumbline: ${error.message}\nRun \`plumbline --help\` for usage.\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`plumbline: ${error.message}\n`);
      return 2;
    }
    io.stderr(`plumbline: internal error: ${(error as Error)?.stack ?? error}\n`);
    return 2;
  }
  return exitCode;
}

class UsageError extends Error {}

/** `--database-url` replays on that server (and implies `--replay`); it must be a PostgreSQL URL. */
function replayOption(replay: boolean, databaseUrl: string | undefined, rows?: number): CheckOptions['replay'] {
  // --replay-rows N (docs/replay.md, "Synthetic rows") implies --replay too.
  if (rows !== undefined && (!Number.isInteger(rows) || rows < 1 || rows > 100_000)) {
    throw new UsageError(`--replay-rows must be a whole number from 1 to 100000, not ${rows}.`);
  }
  const seed = rows !== undefined ? { rows } : {};
  if (databaseUrl === undefined) return rows !== undefined ? seed : replay;
  if (!/^postgres(ql)?:\/\/./.test(databaseUrl)) {
    throw new UsageError('--database-url must be a PostgreSQL URL: postgres://user:password@host:port/database.');
  }
  return { databaseUrl, ...seed };
}

export function exitCodeFor(result: CheckResult, failOn: 'error' | 'warning' | 'note' | 'none'): number {
  // A path that does not exist or a file that cannot be read means the run did not check what CI asked
  // for: a green build would be a lie. Warnings (a skipped binary or huge file, a glob matching nothing) do not fail.
  if (result.notifications.some((n) => n.level === 'error')) return 2;
  if (failOn === 'none') return 0;
  const threshold = SEVERITY_RANK[failOn];
  return result.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}

export function ruleSummary(rule: Rule) {
  return {
    id: rule.id,
    family: rule.family,
    severity: rule.meta.severity,
    recommended: rule.meta.recommended && !rule.meta.experimental,
    description: rule.meta.description,
    fixable: rule.meta.fixable ?? false,
    sources: rule.meta.sources,
    docs: helpUri(rule.id),
  };
}

function rulesTable(): string {
  const width = Math.max(...allRules.map((r) => r.id.length));
  const lines = allRules.map((r) => `${r.id.padEnd(width)}  ${r.family.padEnd(9)}  ${r.meta.severity.padEnd(7)}  ${r.meta.recommended ? '✔' : ' '}  ${r.meta.description}`);
  return `${'id'.padEnd(width)}  ${'family'.padEnd(9)}  ${'severity'.padEnd(7)} rec  description\n${lines.join('\n')}\n`;
}

function explain(rule: Rule): string {
  const sources = Object.entries(rule.meta.sources)
    .map(([tool, id]) => `${tool}: ${id}`)
    .join(', ');
  return [
    `${rule.id} (${rule.family}, ${rule.meta.severity}${rule.meta.recommended ? ', recommended' : ''})`,
    '',
    rule.meta.description,
    '',
    `Why: ${rule.meta.rationale}`,
    '',
    `What to do: ${rule.meta.remedy}`,
    '',
    ...(sources ? [`Same hazard elsewhere: ${sources}`, ''] : []),
    `Docs: ${helpUri(rule.id)}`,
    '',
  ].join('\n');
}
