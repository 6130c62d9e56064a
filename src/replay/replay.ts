/**
 * Replay: apply a migration set's up-migrations to a real PostgreSQL, in order, each script in its
 * framework's transaction mode, and record for every statement the locks it took, the relations it
 * rewrote, how long it ran and the error if it failed.
 */
import { parseScript } from '../engine/migrations.js';
import type { Migration, MigrationScript, MigrationSet } from '../migrations/model.js';
import type { SqlStatement } from '../sql/parse.js';
import { walk } from '../sql/ast.js';
import { applyScript, environmentError, transactionEffect, type ApplyFailure } from './apply.js';
import { errorInfo, type DatabaseErrorInfo, type ReplayDatabase } from './database.js';
import type { LockMode } from '../locks/lock-table.js';
import { blockingLocks, heldLocks, newLocks, relations, rewrites, strongestByRelation, type HeldLock, type ObservedLock, type ObservedRewrite } from './observe.js';
import { provable, proveReversal, type ReversalProof } from './reversal.js';
import { snapshot, type Snapshot } from './schema.js';
import { seedTables, type SeedResult } from './seed.js';

/**
 * How replay ran a statement:
 * - `transaction`: inside a transaction that was already open (the framework's or the script's own
 *   `BEGIN`); its locks are those it added to the transaction's.
 * - `own-transaction`: the script runs it on its own; replay wrapped it in `BEGIN … COMMIT` to read its locks.
 * - `outside-transaction`: it cannot run in a transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`…):
 *   it ran plainly and its locks could not be observed (they are released before anyone can look). Also
 *   `LOCK TABLE` outside a transaction, which PostgreSQL refuses: it runs plainly to get the real error.
 * - `control`: `BEGIN`, `COMMIT`, `SAVEPOINT`…, `SET`, `SHOW`, run as written.
 */
export type RunMode = 'transaction' | 'own-transaction' | 'outside-transaction' | 'control';

export interface StatementObservation {
  stmt: SqlStatement;
  ran: RunMode;
  /**
   * Relation-level locks the statement took on relations outside PostgreSQL's own schemas, one entry per
   * relation and mode. Inside a longer transaction, only locks the transaction did not hold yet.
   * Absent when `ran` is `outside-transaction` or `control`.
   */
  locks?: ObservedLock[];
  /**
   * The locks among `locks` that can make other sessions wait (see `blockingLocks`), strongest mode per
   * relation, by relation name: what the lock timeline shows. Absent when `locks` is.
   */
  blocking?: Array<{ relation: string; mode: LockMode }>;
  /**
   * Inside a longer transaction: every relation-level lock the transaction holds after this statement
   * (those taken by earlier statements stay held until COMMIT). Absent otherwise.
   */
  held?: ObservedLock[];
  /** Tables, indexes and materialized views that got new storage (relfilenode changed). */
  rewrites: ObservedRewrite[];
  /** Wall-clock time of the statement itself, in milliseconds. */
  durationMs: number;
  error?: DatabaseErrorInfo;
  /**
   * With `--replay-rows`: the statement rewrote a seeded table or held ACCESS EXCLUSIVE on one, and the
   * table had this many rows (`durationMs` is then the cost at that size). Absent otherwise.
   */
  seededRows?: number;
}

export interface ScriptReplay {
  migration: Migration;
  script: MigrationScript;
  /** Whether replay opened a transaction around the whole script (the framework does). */
  wrapped: boolean;
  statements: StatementObservation[];
  /** With `--replay-rows`: the synthetic rows inserted before this up-migration (tables it touches). */
  seed?: SeedResult;
}

/** Why replay stopped before the end of the set. */
export interface ReplayStop {
  migration: Migration;
  /** `failed`: a statement failed (it carries the error); `environment`: it failed for a reason that is
   * about the replay database, not the migration (an extension PGlite does not ship…); `syntax`: the
   * script does not parse, so replay cannot know what PostgreSQL would run; `restore`: after proving a
   * down, the database could not be brought back to the state after the up. */
  reason: 'failed' | 'environment' | 'syntax' | 'restore';
  stmt?: SqlStatement;
  error?: DatabaseErrorInfo;
  /** Human explanation, for notifications. */
  message: string;
}

export interface SetReplay {
  set: MigrationSet;
  scripts: ScriptReplay[];
  stop?: ReplayStop;
  /** Roles the migrations grant to or use without creating: replay created them (NOLOGIN) first. */
  assumedRoles: string[];
  /** The reversibility proof of each migration with a down whose up applied, in order. */
  reversals: ReversalProof[];
  durationMs: number;
  /** `--replay-rows N`: N, when tables were seeded before each migration. */
  rows?: number;
}

/** Run as written, without snapshots or a wrapping transaction. */
const CONTROL_KINDS = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt']);

/** Statements PostgreSQL accepts only inside a transaction block (RequireTransactionBlock). */
const NEEDS_TRANSACTION_BLOCK = new Set(['LockStmt', 'DeclareCursorStmt']);

/** Role names the set refers to (GRANT … TO, OWNER TO, SET ROLE, policies…) but never creates. */
export function rolesToAssume(set: MigrationSet): string[] {
  const used = new Set<string>();
  const created = new Set<string>();
  for (const m of set.migrations) {
    for (const stmt of parseScript(m.up).statements) {
      if (stmt.kind === 'CreateRoleStmt' && stmt.node.role) created.add(stmt.node.role);
      if (stmt.kind === 'VariableSetStmt' && (stmt.node.name === 'role' || stmt.node.name === 'session_authorization')) {
        const value = stmt.node.args?.[0]?.A_Const?.sval?.sval;
        if (value && value !== 'none') used.add(value);
      }
      if (stmt.kind === 'GrantRoleStmt') {
        for (const r of stmt.node.granted_roles ?? []) if (r.AccessPriv?.priv_name) used.add(r.AccessPriv.priv_name);
      }
      walk(stmt.node, (node: any) => {
        const spec = node?.RoleSpec ?? (node?.roletype !== undefined ? node : undefined);
        if (spec?.roletype === 'ROLESPEC_CSTRING' && spec.rolename) used.add(spec.rolename);
      });
    }
  }
  return [...used].filter((r) => !created.has(r)).sort();
}

export interface ReplaySetOptions {
  /** Prove each down (up, down, compare, up again): see reversal.ts. Default true. */
  reversibility?: boolean;
  /** Before each up-migration, top the tables it touches up to this many synthetic rows (see seed.ts). */
  rows?: number;
}

/**
 * Replays the up-migrations of `set` on `db`, which must be fresh (just opened, or `reset()`).
 * Stops at the first statement that fails, as a migration tool does. For each migration with a down, it
 * also proves that the down undoes the up (`reversals`), and goes on from the state after the up.
 */
export async function replaySet(db: ReplayDatabase, set: MigrationSet, options: ReplaySetOptions = {}): Promise<SetReplay> {
  const started = performance.now();
  const result: SetReplay = { set, scripts: [], assumedRoles: [], reversals: [], durationMs: 0 };
  if (options.rows) result.rows = options.rows;
  const existing = new Set((await db.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles')).map((r) => r.rolname));
  for (const role of rolesToAssume(set)) {
    if (existing.has(role)) continue;
    await db.exec(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    result.assumedRoles.push(role);
  }
  /** Every up so far again, from an empty database: the way back when undoing a down is not exact. */
  const rebuild = async (upTo: number): Promise<ApplyFailure | undefined> => {
    await db.reset();
    for (const role of result.assumedRoles) await db.exec(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    for (const m of set.migrations.slice(0, upTo + 1)) {
      const failure = await applyScript(db, m.up);
      if (failure) return failure;
    }
    return undefined;
  };
  /** The schema as it is now, when nothing ran since it was read. */
  let current: Snapshot | undefined;
  for (const [index, migration] of set.migrations.entries()) {
    const prove = options.reversibility !== false && provable(migration);
    const s0 = performance.now();
    const before = prove ? (current ?? (await snapshot(db))) : undefined;
    const beforeMs = performance.now() - s0;
    current = undefined;
    // Rows change no part of the schema the proof compares: seeding after the snapshot is the same.
    const seed = options.rows ? await seedTables(db, migration.up, options.rows) : undefined;
    const stop = await replayScript(db, migration, migration.up, result, seed);
    if (stop) {
      result.stop = stop;
      break;
    }
    if (!prove || !before) continue;
    const t0 = performance.now();
    const { proof, restored, after } = await proveReversal(db, migration, before, () => rebuild(index));
    // The whole cost of the proof: the snapshot before the up, the down, the comparison, the way back.
    proof.durationMs = beforeMs + performance.now() - t0;
    result.reversals.push(proof);
    if (!restored) {
      result.stop = {
        migration,
        reason: 'restore',
        message: `Replay stopped after proving the down of \`${migration.up.file.relPath}\`: the database could not be brought back to the state after its up (replaying the ups again failed), so later migrations were not replayed.`,
      };
      break;
    }
    // After a rollback nothing was read outside the down's transaction; after the up again, the schema
    // was checked to be the one after the up.
    if (proof.restoredBy === 'up') current = after;
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function replayScript(
  db: ReplayDatabase,
  migration: Migration,
  script: MigrationScript,
  result: SetReplay,
  seed?: SeedResult,
): Promise<ReplayStop | undefined> {
  const parsed = parseScript(script);
  if (parsed.errors.length > 0) {
    const line = script.file.position(parsed.errors[0].range.start).line;
    return {
      migration,
      reason: 'syntax',
      message: `Replay stopped at \`${script.file.relPath}\`: line ${line} does not parse, so the database state after it is unknown.`,
    };
  }
  const replay: ScriptReplay = { migration, script, wrapped: script.wrappedInTransaction, statements: [] };
  if (seed) replay.seed = seed;
  /** Seeded tables and their row counts: a rewrite or ACCESS EXCLUSIVE on one records the size. */
  const seededRows = new Map((seed?.seeded ?? []).map((t) => [t.table, t.rows]));
  result.scripts.push(replay);
  let inTransaction = false;
  let txLocks: HeldLock[] = [];
  if (script.wrappedInTransaction) {
    await db.exec('BEGIN');
    inTransaction = true;
  }

  const fail = async (stmt: SqlStatement, error: DatabaseErrorInfo): Promise<ReplayStop> => {
    if (inTransaction) await db.exec('ROLLBACK').catch(() => undefined);
    const environment = environmentError(stmt, error);
    const line = script.file.position(stmt.range.start).line;
    return {
      migration,
      reason: environment ? 'environment' : 'failed',
      stmt,
      error,
      message: environment
        ? `Replay stopped at \`${script.file.relPath}\` line ${line}: the replay database cannot run it (${error.message}); later statements were not replayed.`
        : `Replay stopped at \`${script.file.relPath}\` line ${line}: ${error.message}.`,
    };
  };

  for (const stmt of parsed.statements) {
    if (stmt.viaDo) continue; // the DO statement runs its body
    const effect = transactionEffect(stmt);
    // Transaction control and settings run as written: no snapshot query may come first (SET TRANSACTION
    // must be the transaction's first statement), and they lock nothing.
    if (CONTROL_KINDS.has(stmt.kind)) {
      const t0 = performance.now();
      try {
        await db.exec(stmt.text);
      } catch (error) {
        const info = errorInfo(error);
        replay.statements.push({ stmt, ran: 'control', rewrites: [], durationMs: performance.now() - t0, error: info });
        return fail(stmt, info);
      }
      replay.statements.push({ stmt, ran: 'control', rewrites: [], durationMs: performance.now() - t0 });
      if (effect === 'begin' && !inTransaction) {
        inTransaction = true;
        txLocks = [];
      } else if (effect === 'end') {
        inTransaction = false;
        txLocks = [];
      }
      continue;
    }

    const relsBefore = await relations(db);
    if (!inTransaction && NEEDS_TRANSACTION_BLOCK.has(stmt.kind)) {
      // Outside a transaction PostgreSQL refuses these ("can only be used in transaction blocks"):
      // run them as the script does, so that the error is the real one.
      const t0 = performance.now();
      const error = await db.exec(stmt.text).then(
        () => undefined,
        (e: unknown) => errorInfo(e),
      );
      const relsAfter = error ? relsBefore : await relations(db);
      replay.statements.push({ stmt, ran: 'outside-transaction', rewrites: rewrites(relsBefore, relsAfter), durationMs: performance.now() - t0, ...(error ? { error } : {}) });
      if (error) return fail(stmt, error);
      continue;
    }
    let ownTransaction = false;
    if (!inTransaction) {
      await db.exec('BEGIN');
      ownTransaction = true;
      txLocks = [];
    }
    let t0 = performance.now();
    let error: DatabaseErrorInfo | undefined;
    try {
      await db.exec(stmt.text);
    } catch (e) {
      error = errorInfo(e);
    }
    let durationMs = performance.now() - t0;
    if (error && ownTransaction && error.code === '25001') {
      // "cannot run inside a transaction block": run it as the script does, unobserved.
      await db.exec('ROLLBACK');
      t0 = performance.now();
      error = undefined;
      try {
        await db.exec(stmt.text);
      } catch (e) {
        error = errorInfo(e);
      }
      durationMs = performance.now() - t0;
      const relsAfter = error ? relsBefore : await relations(db);
      replay.statements.push({ stmt, ran: 'outside-transaction', rewrites: rewrites(relsBefore, relsAfter), durationMs, ...(error ? { error } : {}) });
      if (error) return fail(stmt, error);
      continue;
    }
    if (error) {
      replay.statements.push({ stmt, ran: ownTransaction ? 'own-transaction' : 'transaction', rewrites: [], durationMs, error });
      inTransaction = inTransaction || ownTransaction;
      return fail(stmt, error);
    }
    const locksNow = await heldLocks(db);
    const relsAfter = await relations(db);
    const observation: StatementObservation = {
      stmt,
      ran: ownTransaction ? 'own-transaction' : 'transaction',
      locks: newLocks(txLocks, locksNow, relsBefore, relsAfter),
      rewrites: rewrites(relsBefore, relsAfter),
      durationMs,
    };
    observation.blocking = [...strongestByRelation(blockingLocks(observation.locks!))].map(([relation, mode]) => ({ relation, mode }));
    if (!ownTransaction) observation.held = newLocks([], locksNow, relsBefore, relsAfter);
    if (seededRows.size > 0) {
      const heavy = [
        ...observation.rewrites.filter((w) => !w.kind.includes('index')).map((w) => w.relation),
        ...observation.locks!.filter((l) => l.mode === 'ACCESS EXCLUSIVE' && !l.created).map((l) => l.table ?? l.relation),
      ];
      const sizes = heavy.map((rel) => seededRows.get(rel)).filter((n): n is number => n !== undefined);
      if (sizes.length > 0) observation.seededRows = Math.max(...sizes);
    }
    replay.statements.push(observation);
    txLocks = locksNow;
    if (ownTransaction) {
      try {
        // Deferred constraints and triggers run here: their failure is this statement's.
        await db.exec('COMMIT');
      } catch (e) {
        observation.error = errorInfo(e);
        return fail(stmt, observation.error);
      }
    }
  }

  if (inTransaction) {
    // The framework's COMMIT (or the end of a script that left its own BEGIN open: replay commits it so
    // the next migration sees its work; no-uncommitted-transaction reports the missing COMMIT).
    try {
      await db.exec('COMMIT');
    } catch (e) {
      const last = replay.statements.at(-1);
      const info = errorInfo(e);
      if (last) {
        last.error = info;
        inTransaction = false;
        return fail(last.stmt, info);
      }
    }
  }
  return undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
