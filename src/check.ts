/** `check`: the whole pipeline from paths and configuration to sorted findings and notifications. */
import path from 'node:path';
import { allRules } from '../rules/index.js';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Catalog } from './catalog/catalog.js';
import { SourceFile } from './core/source.js';
import { ConfigError, DEFAULT_PG_VERSION, loadConfig, resolveRules, type PlumblineConfig } from './config/config.js';
import { compareFindings, type Finding, type Notification } from './core/finding.js';
import type { Rule } from './core/rule.js';
import { analyzeMigrationSet, type ResolvedRule } from './engine/migrations.js';
import { isCodeFile } from './migrations/discover.js';
import { decode } from './io/read.js';
import { discover, type Shard } from './migrations/discover.js';
import type { MigrationSet } from './migrations/model.js';
import { restoreSourceFile } from './migrations/ts/mapped.js';
import { loadParser } from './sql/parse.js';
import type { ReplayOptions, ReplayRun, ReplaySummary } from './replay/run.js';
import type { BaselineSummary } from './baseline.js';
import type { ChangedSince } from './changed.js';

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
  /**
   * Check independent migration sets on two threads when there is enough SQL to be worth it (default on
   * machines with 4 or more cores; `PLUMBLINE_WORKERS=0|1` forces it off or on). Output is identical either way.
   */
  workers?: boolean;
  /** Internal: the part of the sets this process builds (set by the parallel mode for its worker). */
  shard?: Shard;
}

/** Below this much SQL, a second thread costs more (its start-up and WASM load) than it saves. */
const PARALLEL_MIN_BYTES = 512 * 1024;

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
  /** Threads that analysed the sets (2 when the parallel mode ran). */
  threads: number;
  /** Set by `--changed-since` (src/changed.ts): findings in unchanged files were left out. */
  changedSince?: ChangedSince;
  /** Set by `--baseline` (src/baseline.ts): findings in the baseline were left out. */
  baseline?: BaselineSummary;
  /** Fingerprints computed before findings were left out, so each keeps the identity it has in a full run. */
  fingerprints?: Map<Finding, string>;
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
  let codeFiles: string[] = [];
  let prismaSchemas: string[] = [];
  let codeStdin: import('./core/source.js').SourceFile | undefined;
  let other: Promise<ShardResult> | undefined;
  const notifications: Notification[] = [];
  if (options.stdin) {
    const read = decode(Buffer.from(options.stdin.text, 'utf8'), path.resolve(root, options.stdin.filename), options.stdin.filename);
    sets = [];
    if ('notification' in read) notifications.push(read.notification);
    else if (isCodeFile(options.stdin.filename)) codeStdin = read.file;
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
      shard: options.shard,
      onPlan: (plan) => {
        if (!parallelAllowed(options) || plan.sets < 2 || plan.bytes < PARALLEL_MIN_BYTES) return undefined;
        // The worker starts now, before this thread reads and parses its own share.
        other = startShard({ ...options, root, config, shard: { index: 1, count: 2 } });
        return { index: 0, count: 2 };
      },
    });
    sets = found.sets;
    notifications.push(...found.notifications);
    // The code analyzer runs in the main process only (a shard worker checks migration sets).
    if (!options.shard || options.shard.index === 0) {
      codeFiles = found.codeFiles;
      prismaSchemas = found.prismaSchemas;
    }
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
  if (other) {
    const shard = await other;
    findings.push(...shard.findings);
    notifications.push(...shard.notifications);
    const pairs = [...sets.map((set, i) => ({ set, catalog: catalogs[i] })), ...shard.sets.map((set, i) => ({ set, catalog: shard.catalogs[i] }))];
    pairs.sort((a, b) => (a.set.root < b.set.root ? -1 : a.set.root > b.set.root ? 1 : a.set.framework < b.set.framework ? -1 : 1));
    sets = pairs.map((p) => p.set);
    catalogs.length = 0;
    catalogs.push(...pairs.map((p) => p.catalog));
    for (const set of shard.sets) {
      for (const m of set.migrations) {
        files.add(m.up.file.relPath);
        if (m.down) files.add(m.down.file.relPath);
      }
    }
  }
  const replaySummary = replay ? await replay.finish(findings) : undefined;
  if (codeFiles.length > 0 || codeStdin) {
    // Loaded only when there is TypeScript: the compiler is a large module.
    const { analyzeCode } = await import('./code/analyze.js');
    const { CodeBase } = await import('./code/project.js');
    let base: import('./code/project.js').CodeBase | undefined;
    if (codeStdin) {
      base = new CodeBase(root, notifications);
      base.add(codeStdin, true);
    }
    findings.push(...analyzeCode(codeFiles, { root, rules: enabled, allRules, catalogue: config.catalogue, catalogs, prismaSchemas }, notifications, base));
    for (const f of codeFiles) files.add(f);
    if (codeStdin) files.add(codeStdin.relPath);
  }
  if (!options.stdin && files.size === 0 && notifications.length === 0) {
    const given = options.paths?.length ? options.paths : config.paths?.length ? config.paths : ['.'];
    notifications.push({
      id: 'no-files',
      level: 'warning',
      message: `No SQL migration or TypeScript file found under ${given.map((p) => `\`${p}\``).join(', ')}: nothing was checked.`,
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
    threads: other ? 2 : 1,
    ...(replaySummary ? { replay: replaySummary } : {}),
  };
}

interface ShardResult {
  findings: Finding[];
  notifications: Notification[];
  sets: MigrationSet[];
  catalogs: Catalog[];
}

const WORKER = new URL('./engine/worker.js', import.meta.url);

function parallelAllowed(options: CheckOptions): boolean {
  if (options.shard || options.replay || options.stdin) return false;
  if (options.workers === false || process.env.PLUMBLINE_WORKERS === '0') return false;
  // Measured on 2 cores: V8 already keeps the second core busy (concurrent GC, WASM compilation), and a
  // worker pays its own start-up and warm-up, so two threads were ~20% slower than one (2.55 s → 3.1 s on
  // the bench corpus). Only with cores to spare is it on by default; `workers: true` or
  // PLUMBLINE_WORKERS=1 forces it.
  if (options.workers === undefined && process.env.PLUMBLINE_WORKERS !== '1' && availableParallelism() < 4) return false;
  // Running from TypeScript sources (tests) there is no compiled worker to start.
  return WORKER.protocol === 'file:' && existsSync(fileURLToPath(WORKER));
}

/**
 * Checks one shard on a worker thread. If the worker fails for any reason, the shard is checked on this
 * thread instead: parallelism may only change the speed, never the result.
 */
function startShard(options: CheckOptions): Promise<ShardResult> {
  const inProcess = () => check({ ...options, workers: false });
  return new Promise<ShardResult>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(WORKER, { workerData: { options } });
    } catch {
      resolve(inProcess());
      return;
    }
    let settled = false;
    worker.once('message', (message: ({ ok: true } & ShardResult) | { ok: false; message: string }) => {
      settled = true;
      void worker.terminate();
      resolve(message.ok ? rehydrate(message) : inProcess());
    });
    worker.once('error', () => {
      if (!settled) resolve(inProcess());
      settled = true;
    });
    worker.once('exit', () => {
      if (!settled) resolve(inProcess());
      settled = true;
    });
  });
}

/**
 * Objects arrive from a worker as plain data (structured clone keeps shared references but not
 * classes): give the source files and catalogs their classes back.
 */
function rehydrate(result: ShardResult): ShardResult {
  for (const set of result.sets) {
    for (const m of set.migrations) {
      for (const script of [m.up, m.down]) {
        if (script && !(script.file instanceof SourceFile)) restoreSourceFile(script.file);
      }
    }
  }
  for (const catalog of result.catalogs) Object.setPrototypeOf(catalog, Catalog.prototype);
  return result;
}
