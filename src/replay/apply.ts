/**
 * Applying a script without observing it: the down of the reversibility proof, and the up again (or every
 * up so far) to bring the database back to where the replay was. Statements run as the framework runs
 * them: inside one transaction when it wraps the script, one by one otherwise; the file's own `BEGIN`,
 * `COMMIT` and `SET` run as written.
 */
import { parseScript } from '../engine/migrations.js';
import type { MigrationScript } from '../migrations/model.js';
import type { SqlStatement } from '../sql/parse.js';
import { errorInfo, type DatabaseErrorInfo, type ReplayDatabase } from './database.js';

export function transactionEffect(stmt: SqlStatement): 'begin' | 'end' | 'none' {
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
export function environmentError(stmt: SqlStatement, error: DatabaseErrorInfo): boolean {
  if (ENVIRONMENT_KINDS.has(stmt.kind)) return true;
  if (stmt.kind === 'CopyStmt' && stmt.node.filename) return true; // COPY … FROM '/server/file'
  const cls = (error.code ?? '').slice(0, 2);
  // 53 insufficient resources, 57 operator intervention (statement timeout), 58 system error
  // (a missing file: an extension's library), XX internal error.
  return ['53', '57', '58', 'XX'].includes(cls);
}

export interface ApplyFailure {
  stmt: SqlStatement;
  error: DatabaseErrorInfo;
  /** Statements of the script had committed before the failure: the database is halfway. */
  partial: boolean;
}

/** Runs `script` (which parses) on `db`; returns the failure, if a statement failed. */
export async function applyScript(db: ReplayDatabase, script: MigrationScript): Promise<ApplyFailure | undefined> {
  const statements = parseScript(script).statements.filter((s) => !s.viaDo);
  let inTransaction = false;
  let committed = false;
  if (script.wrappedInTransaction) {
    await db.exec('BEGIN');
    inTransaction = true;
  }
  for (const stmt of statements) {
    try {
      await db.exec(stmt.text);
    } catch (e) {
      if (inTransaction) await db.exec('ROLLBACK').catch(() => undefined);
      return { stmt, error: errorInfo(e), partial: committed };
    }
    const effect = transactionEffect(stmt);
    if (effect === 'begin') inTransaction = true;
    else if (effect === 'end') {
      inTransaction = false;
      committed = true;
    } else if (!inTransaction && stmt.kind !== 'VariableSetStmt' && stmt.kind !== 'VariableShowStmt') committed = true;
  }
  if (inTransaction) {
    // The framework's COMMIT, or the end of a script that left its own BEGIN open (replay commits it).
    try {
      await db.exec('COMMIT');
    } catch (e) {
      const last = statements[statements.length - 1];
      if (last) return { stmt: last, error: errorInfo(e), partial: committed };
    }
  }
  return undefined;
}
