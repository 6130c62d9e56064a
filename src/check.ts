/** `check`: the whole pipeline from paths and configuration to sorted findings and notifications. */
import path from 'node:path';
import { allRules } from '../rules/index.js';
import type { Catalog } from './catalog/catalog.js';
import { ConfigError, DEFAULT_PG_VERSION, loadConfig, resolveRules, type PlumblineConfig } from './config/config.js';
import { compareFindings, type Finding, type Notification } from './core/finding.js';
import type { Rule } from './core/rule.js';
import { analyzeMigrationSet, type ResolvedRule } from './engine/migrations.js';
import { decode } from './io/read.js';
import { discover } from './migrations/discover.js';
import type { MigrationSet } from './migrations/model.js';
import { loadParser } from './sql/parse.js';
import type { ReplayOptions, ReplayRun, ReplaySummary } from './replay/run.js';

export interface CheckOptions {
  /** Analysis root; paths in reports are relative to it. Defaults to the working directory. */
  root?: string;
  paths?: string[];
  configPath?: string;
  /** An already-loaded configuration (API use); skips reading a file. */
  config?: PlumblineConfig;
  pgVersion?: number;
  assumeInTransaction?: boolean;
  enableRules?: string[];
  disableRules?: string[];
  /** Lint this text instead of files (`--stdin`), reported under `filename`. */
  stdin?: { text: string; filename: string };
  /**
   * After the static checks, apply each set's up-migrations to PostgreSQL (PGlite unless
   * `databaseUrl` is given): failures become `replay-error` findings. Loaded only when asked for.
   */
  replay?: boolean | ReplayOptions;
}

export interface CheckResult {
  root: string;
  findings: Finding[];
  notifications: Notification[];
  /** Every rule Plumbline knows, for reporters (SARIF lists the enabled ones). */
  rules: Rule[];
  enabled: ResolvedRule[];
  sets: MigrationSet[];
  catalogs: Catalog[];
  pgVersion: number;
  /** Number of files analysed. */
  fileCount: number;
  /** What `replay` observed, when it ran. */
  replay?: ReplaySummary;
}

export { ConfigError };

export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  const root = path.resolve(options.root ?? process.cwd());
  const config = options.config ?? loadConfig(root, options.configPath, allRules).config;
  // replay-error can only fire when replaying: off otherwise, so a suppression naming it is not "unused".
  const enabled = resolveRules(allRules, config, { enable: options.enableRules, disable: options.disableRules }).filter(
    (r) => options.replay || r.rule.id !== 'replay-error',
  );
  const pgVersion = options.pgVersion ?? config.pgVersion ?? DEFAULT_PG_VERSION;
  if (!Number.isInteger(pgVersion) || pgVersion < 11 || pgVersion > 19) {
    throw new ConfigError(`--pg-version must be a PostgreSQL major version from 11 to 19, not ${pgVersion}.`);
  }
  const assumeInTransaction = options.assumeInTransaction ?? config.assumeInTransaction;

  await loadParser();
  let sets: MigrationSet[];
  const notifications: Notification[] = [];
  if (options.stdin) {
    const read = decode(Buffer.from(options.stdin.text, 'utf8'), path.resolve(root, options.stdin.filename), options.stdin.filename);
    sets = [];
    if ('notification' in read) notifications.push(read.notification);
    else {
      const wrapped = assumeInTransaction ?? false;
      sets.push({
        root: path.dirname(options.stdin.filename),
        framework: 'plain',
        migrations: [
          {
            id: options.stdin.filename,
            version: options.stdin.filename,
            name: options.stdin.filename,
            framework: 'plain',
            kind: 'versioned',
            downSupported: false,
            up: {
              file: read.file,
              sections: [{ start: 0, end: read.file.text.length }],
              wrappedInTransaction: wrapped,
              transactionReason: wrapped ? 'the configuration says each migration runs in a transaction' : 'standard input is not run by a framework',
            },
          },
        ],
      });
    }
  } else {
    const paths = options.paths?.length ? options.paths : config.paths?.length ? config.paths : ['.'];
    const found = await discover({
      root,
      paths,
      ignore: config.ignore ?? [],
      sets: config.migrations,
      assumeInTransaction,
      pgVersion,
    });
    sets = found.sets;
    notifications.push(...found.notifications);
  }

  const findings: Finding[] = [];
  const catalogs: Catalog[] = [];
  const files = new Set<string>();
  let replay: ReplayRun | undefined;
  if (options.replay && sets.length > 0) {
    const { ReplayRun } = await import('./replay/run.js');
    replay = await ReplayRun.start(options.replay === true ? {} : options.replay, notifications);
  }
  try {
    for (const set of sets) {
      const external = replay ? await replay.replay(set) : undefined;
      const result = analyzeMigrationSet(set, { pgVersion, rules: enabled, allRules, external });
      findings.push(...result.findings);
      catalogs.push(result.catalog);
      for (const m of set.migrations) {
        files.add(m.up.file.relPath);
        if (m.down) files.add(m.down.file.relPath);
      }
    }
  } catch (error) {
    await replay?.close();
    throw error;
  }
  const replaySummary = replay ? await replay.finish(findings) : undefined;
  if (!options.stdin && files.size === 0 && notifications.length === 0) {
    const given = options.paths?.length ? options.paths : config.paths?.length ? config.paths : ['.'];
    notifications.push({
      id: 'no-files',
      level: 'warning',
      message: `No SQL migration found under ${given.map((p) => `\`${p}\``).join(', ')}: nothing was checked.`,
    });
  }
  findings.sort(compareFindings);
  notifications.sort((a, b) => (a.path ?? '').localeCompare(b.path ?? '') || a.id.localeCompare(b.id) || a.message.localeCompare(b.message));
  // One notice per problem: a file given explicitly and also met while walking its folder is reported once.
  const seenNotices = new Set<string>();
  const uniqueNotifications = notifications.filter((n) => {
    const key = `${n.id}\0${n.path ?? n.message}`;
    if (seenNotices.has(key)) return false;
    seenNotices.add(key);
    return true;
  });
  return {
    root,
    findings,
    notifications: uniqueNotifications,
    rules: allRules,
    enabled,
    sets,
    catalogs,
    pgVersion,
    fileCount: files.size,
    ...(replaySummary ? { replay: replaySummary } : {}),
  };
}
