/**
 * `check --replay`: one replay database per run, one replay per migration set, and what the rest of
 * the pipeline gets from it: `replay-error` findings (reported through the engine, so suppressions
 * apply), notifications when replay stopped early, and observed locks and rewrites as properties of the
 * static findings on the same statements.
 */
import type { Finding, Notification } from '../core/finding.js';
import type { ReportInput } from '../core/rule.js';
import type { MigrationScript, MigrationSet } from '../migrations/model.js';
import { errorInfo, openPglite, openPostgres, pgliteVersion, type ReplayDatabase } from './database.js';
import { blockingLocks, strongestByRelation, type ObservedLock } from './observe.js';
import { replaySet, type SetReplay, type StatementObservation } from './replay.js';
import { errorRange, reversalFindings } from './reversal.js';
import { ConfigError } from '../config/config.js';
import { bareKey, MAX_REPLAY_ROWS, rowsWords } from './seed.js';

export interface ReplayOptions {
  /** Replay on a real server (a throwaway database on it) instead of the embedded PostgreSQL. */
  databaseUrl?: string;
  /** Prepared data directory cache for PGlite (see `openPglite`). */
  cacheDir?: string | false;
  /** A database already open (API use, tests): replay resets it before each set and leaves it open. */
  database?: ReplayDatabase;
  /** Prove each down migration (up, down, compare the schema, up again): default true. */
  reversibility?: boolean;
  /**
   * `--replay-rows N`: before each up-migration, top every existing table it touches up to N synthetic
   * rows (1 to 100,000; see seed.ts and docs/replay.md, "Synthetic rows"). Default: off.
   */
  rows?: number;
}

export interface ReplaySummary {
  engine: 'pglite' | 'postgres';
  /** `PostgreSQL 18.6 (PGlite 0.5.16)`. */
  label: string;
  /** PostgreSQL major version the replay ran on. */
  major: number;
  startMs: number;
  startedFrom: ReplayDatabase['startedFrom'];
  sets: SetReplay[];
}

const bare = (key: string) => (key.startsWith('public.') ? key.slice(7) : key);

export type ExternalFindings = Map<MigrationScript, Array<{ ruleId: string; input: ReportInput }>>;

export class ReplayRun {
  readonly sets: SetReplay[] = [];
  private used = false;

  private constructor(
    readonly db: ReplayDatabase,
    readonly label: string,
    private readonly notifications: Notification[],
    private readonly reversibility: boolean,
    /** Opened here, so closed here; a database passed in is only reset. */
    private readonly owned: boolean,
    private readonly rows?: number,
  ) {
    this.used = !owned;
  }

  /** Opens the replay database; on failure, records an error notification and returns undefined. */
  static async start(options: ReplayOptions, notifications: Notification[]): Promise<ReplayRun | undefined> {
    const rows = options.rows;
    if (rows !== undefined && (!Number.isInteger(rows) || rows < 0 || rows > MAX_REPLAY_ROWS)) {
      throw new ConfigError(`--replay-rows must be a whole number from 0 to ${MAX_REPLAY_ROWS.toLocaleString('en-US')}, not ${rows}.`);
    }
    try {
      const db =
        options.database ?? (options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite({ cacheDir: options.cacheDir }));
      const version = /PostgreSQL (\S+)/.exec(db.version)?.[1] ?? String(db.major);
      const label = db.engine === 'pglite' ? `PostgreSQL ${version} (PGlite ${pgliteVersion()})` : `PostgreSQL ${version} (server)`;
      return new ReplayRun(db, label, notifications, options.reversibility !== false, !options.database, rows || undefined);
    } catch (error) {
      notifications.push({
        id: 'replay-unavailable',
        level: 'error',
        message: `--replay could not start ${options.databaseUrl ? 'a session on the database server' : 'the embedded PostgreSQL (PGlite)'}: ${errorInfo(error).message}. The static checks ran; nothing was replayed.`,
      });
      return undefined;
    }
  }

  /** Replays one set on a fresh database; returns the findings to report through the engine. */
  async replay(set: MigrationSet): Promise<ExternalFindings> {
    const external: ExternalFindings = new Map();
    if (this.used) await this.db.reset();
    this.used = true;
    let result: SetReplay;
    try {
      result = await replaySet(this.db, set, { reversibility: this.reversibility, ...(this.rows ? { rows: this.rows } : {}) });
    } catch (error) {
      // The replay machinery itself failed (the database went away): say so, keep the static results.
      this.notifications.push({
        id: 'replay-stopped',
        level: 'warning',
        path: set.root,
        message: `Replay of \`${set.root}\` failed: ${errorInfo(error).message}.`,
      });
      return external;
    }
    this.sets.push(result);
    const skipped = result.scripts.flatMap((s) => (s.seed?.skipped ?? []).map((k) => ({ script: s.script, ...k })));
    if (skipped.length > 0) {
      this.notifications.push({
        id: 'replay-rows-skipped',
        level: 'note',
        path: set.root,
        message:
          `--replay-rows could not fill ${skipped.length === 1 ? 'a table' : `${skipped.length} tables`}, replayed without synthetic rows there: ` +
          skipped.map((k) => `\`${bareKey(k.table)}\` before \`${k.script.file.relPath}\` (${k.reason})`).join('; ') +
          '.',
      });
    }
    for (const proof of result.reversals) {
      for (const { script, input } of reversalFindings(proof, this.label)) {
        const list = external.get(script) ?? [];
        list.push({ ruleId: 'down-reverses-up', input });
        external.set(script, list);
      }
    }
    const stop = result.stop;
    if (!stop) return external;
    if (stop.reason === 'failed' && stop.stmt && stop.error) {
      const script = stop.migration.up;
      const error = stop.error;
      // PostgreSQL's position is a 1-based character offset into the statement: point at that token.
      const range = errorRange(stop.stmt, error.position);
      const seeded = result.scripts.find((s) => s.script === script)?.seed?.seeded ?? [];
      // A constraint violation (class 23) or a data exception (class 22) on tables replay filled with
      // synthetic rows: the rows exposed it, and the same rows in production would.
      const dataFailure = seeded.length > 0 && /^2[23]/.test(error.code ?? '');
      const exposed = dataFailure
        ? ` Replay had filled ${seeded.map((t) => `\`${bareKey(t.table)}\``).join(', ')} with ${rowsWords(Math.max(...seeded.map((t) => t.rows)))} of synthetic data first (--replay-rows): those rows exposed it, and rows like them in production fail the same way.`
        : '';
      const list = external.get(script) ?? [];
      list.push({
        ruleId: 'replay-error',
        input: {
          stmt: stop.stmt,
          range,
          message: `Replaying the migrations in order fails here: ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}.${exposed}`,
          why:
            `${error.detail ? `${error.detail} ` : ''}${this.label} rejected this statement after applying every migration before it, so a deploy stops here too: ` +
            (script.wrappedInTransaction
              ? 'the framework rolls this migration back, and every later migration waits until it is fixed.'
              : 'the statements before it in this file have already run and stay applied, and every later migration waits until someone repairs the database by hand.'),
          remedy:
            `${error.hint ? `${error.hint} ` : ''}Fix the statement, or the earlier migration it depends on. ` +
            'If it relies on something created outside these migrations (an extension, a table owned by another service, data), replay cannot know it: see docs/replay.md.',
          properties: { ...(error.code ? { sqlstate: error.code } : {}), replayedOn: this.label, ...(dataFailure ? { replayRows: this.rows! } : {}) },
        },
      });
      external.set(script, list);
    } else {
      this.notifications.push({ id: 'replay-stopped', level: 'warning', path: stop.migration.up.file.relPath, message: stop.message });
    }
    return external;
  }

  /**
   * Adds what replay saw to the static findings on replayed statements (JSON and SARIF `properties`),
   * records the summary notification, and closes the database.
   */
  async finish(findings: Finding[]): Promise<ReplaySummary> {
    supersedeStaticReversals(findings, this.sets);
    const byFile = new Map<string, StatementObservation[]>();
    for (const set of this.sets) {
      for (const s of set.scripts) {
        const list = byFile.get(s.script.file.path) ?? [];
        list.push(...s.statements);
        byFile.set(s.script.file.path, list);
      }
    }
    for (const f of findings) {
      if (f.ruleId === 'replay-error') continue;
      const obs = byFile.get(f.file.path)?.find((o) => o.stmt.range.start <= f.range.start && f.range.start < Math.max(o.stmt.range.end, o.stmt.range.start + 1));
      if (!obs) continue;
      const props: Record<string, string | number | boolean> = { replayDurationMs: Math.round(obs.durationMs * 10) / 10 };
      const describe = (locks: ObservedLock[]) =>
        [...strongestByRelation(blockingLocks(locks))].map(([rel, mode]) => `${bare(rel)}: ${mode}`).join('; ') || 'none';
      if (obs.locks) {
        props.replayLocks = describe(obs.locks);
        if (obs.held) props.replayLocksHeld = describe(obs.held);
      } else if (obs.ran === 'outside-transaction') {
        props.replayLocks = 'not observable (runs outside a transaction)';
      }
      if (obs.rewrites.length > 0) props.replayRewrites = obs.rewrites.map((r) => bare(r.relation)).join(', ');
      if (obs.seededRows !== undefined) props.replayRows = obs.seededRows;
      f.properties = { ...f.properties, ...props };
    }

    const total = this.sets.reduce((n, s) => n + s.set.migrations.length, 0);
    // A set that stopped on a failing statement has that migration among its scripts, not applied.
    const applied = this.sets.reduce((n, s) => n + s.scripts.length - (s.stop?.stmt ? 1 : 0), 0);
    const statements = this.sets.reduce((n, s) => n + s.scripts.reduce((m, sc) => m + sc.statements.length, 0), 0);
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const roles = [...new Set(this.sets.flatMap((s) => s.assumedRoles))];
    const proofs = this.sets.flatMap((s) => s.reversals);
    const failing = proofs.filter((p) => p.outcome === 'differs' || p.outcome === 'down-fails').length;
    const proved = proofs.length
      ? `; replayed ${proofs.length} ${proofs.length === 1 ? 'down' : 'downs'} after ${proofs.length === 1 ? 'its up' : 'their ups'} (${failing ? `${failing} ${failing === 1 ? 'does' : 'do'} not restore the schema` : 'each restores the schema'}) in ${seconds(proofs.reduce((n, p) => n + p.durationMs, 0))}`
      : '';
    this.notifications.push({
      id: 'replay-summary',
      level: 'note',
      message:
        `Replay on ${this.label}: ${applied} of ${total} ${total === 1 ? 'migration' : 'migrations'} applied (${statements} ${statements === 1 ? 'statement' : 'statements'} run) in ` +
        `${seconds(this.sets.reduce((n, s) => n + s.durationMs, 0))}, after ${seconds(this.db.startMs)} to start it` +
        proved +
        seededWords(this.sets) +
        (roles.length ? `; created the roles ${roles.map((r) => `\`${r}\``).join(', ')} (NOLOGIN), which the migrations use but do not create` : '') +
        '.',
    });
    const summary: ReplaySummary = {
      engine: this.db.engine,
      label: this.label,
      major: this.db.major,
      startMs: this.db.startMs,
      startedFrom: this.db.startedFrom,
      sets: this.sets,
    };
    if (this.owned) await this.db.close().catch(() => undefined);
    return summary;
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close().catch(() => undefined);
  }
}

/** `; filled 3 tables with synthetic rows (10,000 each) in 0.4 s`, or nothing without --replay-rows. */
function seededWords(sets: SetReplay[]): string {
  const rows = sets.find((s) => s.rows)?.rows;
  if (!rows) return '';
  const seeds = sets.flatMap((s) => s.scripts.map((sc) => sc.seed).filter((x) => x !== undefined));
  const tables = new Set(seeds.flatMap((x) => x.seeded.filter((t) => t.inserted > 0).map((t) => t.table)));
  const ms = seeds.reduce((n, x) => n + x.durationMs, 0);
  return `; filled ${tables.size} ${tables.size === 1 ? 'table' : 'tables'} with synthetic rows (up to ${rowsWords(rows)} each, --replay-rows) in ${(ms / 1000).toFixed(1)} s`;
}

/**
 * Where replay proved a migration's down (it ran, and the schema was compared), its result replaces the
 * static rule's guesses about objects left behind on that migration: a leftover the replay found is
 * reported once, with the catalog difference; one it did not find is not there. The static findings
 * about data a down cannot bring back (a dropped table or column recreated empty) stay: replay compares
 * the schema, not the rows.
 */
function supersedeStaticReversals(findings: Finding[], sets: SetReplay[]): void {
  const proven = new Map<string, Array<{ start: number; end: number }>>();
  for (const set of sets) {
    for (const proof of set.reversals) {
      if (proof.outcome !== 'reverses' && proof.outcome !== 'differs') continue;
      const up = proof.migration.up;
      proven.set(up.file.path, [...(proven.get(up.file.path) ?? []), ...up.sections]);
    }
  }
  if (proven.size === 0) return;
  for (let i = findings.length - 1; i >= 0; i--) {
    const f = findings[i];
    if (f.ruleId !== 'down-reverses-up' || f.properties?.proof === 'replay') continue;
    if (String(f.properties?.kind ?? '').startsWith('dropped')) continue;
    const sections = proven.get(f.file.path);
    if (sections?.some((r) => r.start <= f.range.start && f.range.start < Math.max(r.end, r.start + 1))) findings.splice(i, 1);
  }
}
