/**
 * Replay: apply a migration set's up-migrations to a real PostgreSQL, in order, each script in its
 * framework's transaction mode, and record for every statement the locks it took, the relations it
 * rewrote, how long it ran and the error if it failed.
 */
import { parseScript } from '../engine/migrations.js';
import type { Migration, MigrationScript, MigrationSet } from '../migrations/model.js';
import type { SqlStatement } from '../sql/parse.js';
import { walk } from '../sql/ast.js';
import { errorInfo, type DatabaseErrorInfo, type ReplayDatabase } from './database.js';
import { heldLocks, newLocks, relations, rewrites, type HeldLock, type ObservedLock, type ObservedRewrite } from './observe.js';

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
   * Inside a longer transaction: every relation-level lock the transaction holds after this statement
   * (those taken by earlier statements stay held until COMMIT). Absent otherwise.
   */
  held?: ObservedLock[];
  /** Tables, indexes and materialized views that got new storage (relfilenode changed). */
  rewrites: ObservedRewrite[];
  /** Wall-clock time of the statement itself, in milliseconds. */
  durationMs: number;
  error?: DatabaseErrorInfo;
}

export interface ScriptReplay {
  migration: Migration;
  script: MigrationScript;
  /** Whether replay opened a transaction around the whole script (the framework does). */
  wrapped: boolean;
  statements: StatementObservation[];
}

/** Why replay stopped before the end of the set. */
export interface ReplayStop {
  migration: Migration;
  /** `failed`: a statement failed (it carries the error); `environment`: it failed for a reason that is
   * about the replay database, not the migration (an extension PGlite does not ship…); `syntax`: the
   * script does not parse, so replay cannot know what PostgreSQL would run. */
  reason: 'failed' | 'environment' | 'syntax';
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
  durationMs: number;
}

/** Statement kinds whose failure says something about the replay database rather than the migration. */
const ENVIRONMENT_KINDS = new Set([
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'CreatedbStmt',
  'DropdbStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'CreateTableSpaceStmt',
  'DropTableSpaceStmt',
  'AlterSystemStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
  'LoadStmt',
  'CreateFdwStmt',
  'CreateForeignServerStmt',
  'CreateUserMappingStmt',
  'ImportForeignSchemaStmt',
]);

/** SQLSTATE classes that mean the database could not do it, not that the migration is wrong. */
function environmentError(stmt: SqlStatement, error: DatabaseErrorInfo): boolean {
  if (ENVIRONMENT_KINDS.has(stmt.kind)) return true;
  if (stmt.kind === 'CopyStmt' && stmt.node.filename) return true; // COPY … FROM '/server/file'
  const cls = (error.code ?? '').slice(0, 2);
  // 53 insufficient resources, 57 operator intervention (statement timeout), 58 system error
  // (a missing file: an extension's library), XX internal error.
  return ['53', '57', '58', 'XX'].includes(cls);
}

/** Run as written, without snapshots or a wrapping transaction. */
const CONTROL_KINDS = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt']);

/** Statements PostgreSQL accepts only inside a transaction block (RequireTransactionBlock). */
const NEEDS_TRANSACTION_BLOCK = new Set(['LockStmt', 'DeclareCursorStmt']);

function transactionEffect(stmt: SqlStatement): 'begin' | 'end' | 'none' {
  if (stmt.kind !== 'TransactionStmt') return 'none';
  switch (stmt.node.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin';
    case 'TRANS_STMT_COMMIT':
    case 'TRANS_STMT_ROLLBACK':
    case 'TRANS_STMT_PREPARE':
      return 'end';
    default:
      return 'none';
  }
}

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

/**
 * Replays the up-migrations of `set` on `db`, which must be fresh (just opened, or `reset()`).
 * Stops at the first statement that fails, as a migration tool does.
 */
export async function replaySet(db: ReplayDatabase, set: MigrationSet): Promise<SetReplay> {
  const started = performance.now();
  const result: SetReplay = { set, scripts: [], assumedRoles: [], durationMs: 0 };
  const existing = new Set((await db.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles')).map((r) => r.rolname));
  for (const role of rolesToAssume(set)) {
    if (existing.has(role)) continue;
    await db.exec(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    result.assumedRoles.push(role);
  }
  for (const migration of set.migrations) {
    const stop = await replayScript(db, migration, migration.up, result);
    if (stop) {
      result.stop = stop;
      break;
    }
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function replayScript(db: ReplayDatabase, migration: Migration, script: MigrationScript, result: SetReplay): Promise<ReplayStop | undefined> {
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
    if (!ownTransaction) observation.held = newLocks([], locksNow, relsBefore, relsAfter);
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
