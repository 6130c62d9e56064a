/**
 * The lock table: which PostgreSQL table-level lock each statement takes, and what that lock blocks.
 * Source: PostgreSQL documentation, "Explicit Locking" (13.3.1, Table-Level Locks) and the lock notes on
 * the ALTER TABLE, CREATE INDEX, REINDEX, REFRESH MATERIALIZED VIEW, CREATE TRIGGER pages.
 * Messages, docs and rules read this table; nothing else hard-codes a lock mode.
 */
import { alterCommands, columnConstraints, isVacuumFull, rangeVarKey, listKey } from '../sql/ast.js';
import type { SqlStatement } from '../sql/parse.js';

export type LockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

export const LOCK_MODES: LockMode[] = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
];

/** Conflict matrix from the PostgreSQL docs (Table 13.2). */
const CONFLICTS: Record<LockMode, LockMode[]> = {
  'ACCESS SHARE': ['ACCESS EXCLUSIVE'],
  'ROW SHARE': ['EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ROW EXCLUSIVE': ['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE UPDATE EXCLUSIVE': ['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  SHARE: ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE ROW EXCLUSIVE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  EXCLUSIVE: ['ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ACCESS EXCLUSIVE': [...LOCK_MODES],
};

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

export interface Blocked {
  reads: boolean;
  writes: boolean;
  /** Other DDL, VACUUM and ANALYZE (SHARE UPDATE EXCLUSIVE). */
  ddl: boolean;
}

/** What traffic a lock mode stops: SELECT takes ACCESS SHARE, INSERT/UPDATE/DELETE ROW EXCLUSIVE. */
export function blockedBy(mode: LockMode): Blocked {
  return {
    reads: conflicts(mode, 'ACCESS SHARE'),
    writes: conflicts(mode, 'ROW EXCLUSIVE'),
    ddl: conflicts(mode, 'SHARE UPDATE EXCLUSIVE'),
  };
}

/** "reads and writes", "writes", "other schema changes": the words messages use. */
export function describeBlocked(mode: LockMode): string {
  const b = blockedBy(mode);
  if (b.reads) return 'all reads and writes';
  if (b.writes) return 'writes (INSERT, UPDATE, DELETE)';
  if (b.ddl) return 'other schema changes, VACUUM and ANALYZE';
  return 'nothing but conflicting row locks';
}

export function strongest(modes: LockMode[]): LockMode | undefined {
  let best = -1;
  for (const m of modes) best = Math.max(best, LOCK_MODES.indexOf(m));
  return best < 0 ? undefined : LOCK_MODES[best];
}

export interface LockAcquisition {
  /** Catalog key of the locked relation (`public.orders`); for DROP INDEX, the index key. */
  relation: string;
  mode: LockMode;
  /** The operation that takes it, for messages (`ALTER TABLE … ADD COLUMN`). */
  operation: string;
}

/**
 * Storage parameters whose change takes ACCESS EXCLUSIVE; every other built-in one (fillfactor, toast.*,
 * autovacuum_*, parallel_workers, vacuum_*, deduplicate_items…) takes SHARE UPDATE EXCLUSIVE. PostgreSQL
 * gives each parameter its own lock level (src/backend/access/common/reloptions.c: "anything that affects
 * the results obtained from a SELECT must be protected by AccessExclusiveLock"); the ALTER TABLE page lists
 * the SHARE UPDATE EXCLUSIVE ones: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-STORAGE-PARAMETER
 * Checked against the locks PostgreSQL takes by test/lock-table.test.ts.
 */
const ACCESS_EXCLUSIVE_RELOPTIONS = new Set([
  'user_catalog_table', // tables
  'security_barrier', // views
  'security_invoker',
  'check_option',
  'fastupdate', // GIN indexes
  'gin_pending_list_limit',
  'buffering', // GiST indexes
  'pages_per_range', // BRIN indexes
  'autosummarize',
]);

function relOptionsLock(cmd: any): LockMode {
  const items: any[] = cmd.def?.List?.items ?? [];
  const names = items.map((i) => i.DefElem?.defname as string | undefined);
  // A parameter PostgreSQL does not know (an extension's) is rejected or takes its own level: assume the worst.
  return names.some((n) => n === undefined || ACCESS_EXCLUSIVE_RELOPTIONS.has(n)) ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE';
}

/** `ALTER TABLE` (and `ALTER INDEX`) sub-commands that take less than ACCESS EXCLUSIVE. */
function alterCommandLock(cmd: any, pgVersion: number): LockMode {
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      return relOptionsLock(cmd);
    case 'AT_ValidateConstraint':
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_EnableTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
      return 'SHARE ROW EXCLUSIVE';
    case 'AT_AddConstraint': {
      const c = cmd.def?.Constraint;
      if (c?.contype === 'CONSTR_FOREIGN') return 'SHARE ROW EXCLUSIVE';
      return 'ACCESS EXCLUSIVE';
    }
    case 'AT_AttachPartition':
      return pgVersion >= 12 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    case 'AT_DetachPartition':
      return cmd.def?.PartitionCmd?.concurrent && pgVersion >= 14 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    default:
      return 'ACCESS EXCLUSIVE';
  }
}

const ALTER_WORDS: Record<string, string> = {
  AT_AddColumn: 'ADD COLUMN',
  AT_DropColumn: 'DROP COLUMN',
  AT_AlterColumnType: 'ALTER COLUMN … TYPE',
  AT_ColumnDefault: 'ALTER COLUMN … SET DEFAULT',
  AT_SetNotNull: 'ALTER COLUMN … SET NOT NULL',
  AT_DropNotNull: 'ALTER COLUMN … DROP NOT NULL',
  AT_AddConstraint: 'ADD CONSTRAINT',
  AT_ValidateConstraint: 'VALIDATE CONSTRAINT',
  AT_DropConstraint: 'DROP CONSTRAINT',
  AT_AttachPartition: 'ATTACH PARTITION',
  AT_DetachPartition: 'DETACH PARTITION',
  AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_AddIdentity: 'ADD GENERATED … AS IDENTITY',
  AT_SetStatistics: 'SET STATISTICS',
  AT_SetRelOptions: 'SET (storage parameters)',
  AT_ResetRelOptions: 'RESET (storage parameters)',
};

export function alterCommandWords(cmd: any): string {
  return ALTER_WORDS[cmd.subtype] ?? cmd.subtype.replace(/^AT_/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/**
 * The table-level locks a statement takes on existing relations. Statements that take none
 * (SET, CREATE TABLE without references, COMMENT…) return an empty list.
 */
export function locksOf(stmt: SqlStatement, pgVersion: number): LockAcquisition[] {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'IndexStmt':
      return [
        {
          relation: rangeVarKey(n.relation),
          mode: n.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE',
          operation: n.concurrent ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX',
        },
      ];
    case 'AlterTableStmt': {
      if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_MATVIEW' && n.objtype !== undefined) {
        if (n.objtype === 'OBJECT_INDEX') {
          // Per sub-command, as for tables: SET STATISTICS and most storage parameters take SHARE UPDATE
          // EXCLUSIVE, SET TABLESPACE and the GIN/GiST/BRIN parameters ACCESS EXCLUSIVE (see relOptionsLock).
          const mode = strongest(alterCommands(n).map((cmd) => alterCommandLock(cmd, pgVersion))) ?? 'SHARE UPDATE EXCLUSIVE';
          return [{ relation: rangeVarKey(n.relation), mode, operation: 'ALTER INDEX' }];
        }
        return [];
      }
      const out: LockAcquisition[] = [];
      const cmds = alterCommands(n);
      let mode: LockMode | undefined;
      let operation = 'ALTER TABLE';
      for (const cmd of cmds) {
        const m = alterCommandLock(cmd, pgVersion);
        if (!mode || LOCK_MODES.indexOf(m) > LOCK_MODES.indexOf(mode)) {
          mode = m;
          operation = `ALTER TABLE … ${alterCommandWords(cmd)}`;
        }
        // A foreign key also locks the referenced table (SHARE ROW EXCLUSIVE), whether added as a
        // constraint or inline with a new column.
        for (const fk of foreignKeysOf(cmd)) {
          out.push({ relation: rangeVarKey(fk.pktable), mode: 'SHARE ROW EXCLUSIVE', operation: 'FOREIGN KEY … REFERENCES' });
        }
        if (cmd.subtype === 'AT_AttachPartition' || cmd.subtype === 'AT_DetachPartition') {
          const partition = cmd.def?.PartitionCmd?.name;
          if (partition) out.push({ relation: rangeVarKey(partition), mode: 'ACCESS EXCLUSIVE', operation: alterCommandWords(cmd) });
        }
      }
      if (mode) out.unshift({ relation: rangeVarKey(n.relation), mode, operation });
      return out;
    }
    case 'CreateStmt': {
      // A new table locks nothing that has traffic, except the tables its foreign keys reference.
      const out: LockAcquisition[] = [];
      for (const elt of n.tableElts ?? []) {
        const constraints = elt.ColumnDef ? columnConstraints(elt.ColumnDef) : elt.Constraint ? [elt.Constraint] : [];
        for (const c of constraints) {
          if (c.contype === 'CONSTR_FOREIGN' && c.pktable) {
            out.push({ relation: rangeVarKey(c.pktable), mode: 'SHARE ROW EXCLUSIVE', operation: 'FOREIGN KEY … REFERENCES' });
          }
        }
      }
      for (const parent of n.inhRelations ?? []) {
        if (n.partbound) out.push({ relation: rangeVarKey(parent.RangeVar), mode: 'ACCESS EXCLUSIVE', operation: 'CREATE TABLE … PARTITION OF' });
      }
      return out;
    }
    case 'DropStmt': {
      const concurrent = Boolean(n.concurrent);
      const kinds: Record<string, string> = {
        OBJECT_TABLE: 'DROP TABLE',
        OBJECT_INDEX: concurrent ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX',
        OBJECT_VIEW: 'DROP VIEW',
        OBJECT_MATVIEW: 'DROP MATERIALIZED VIEW',
        OBJECT_TRIGGER: 'DROP TRIGGER',
        // Removing a policy or a rule locks its table ACCESS EXCLUSIVE, as creating one does
        // (src/backend/commands/policy.c RemovePolicyById, src/backend/rewrite/rewriteRemove.c).
        OBJECT_POLICY: 'DROP POLICY',
        OBJECT_RULE: 'DROP RULE',
      };
      const operation = kinds[n.removeType];
      if (!operation) return [];
      const onTable = n.removeType === 'OBJECT_TRIGGER' || n.removeType === 'OBJECT_POLICY' || n.removeType === 'OBJECT_RULE';
      return (n.objects ?? []).map((obj: any) => {
        const items = obj.List?.items ?? [];
        // DROP TRIGGER / POLICY / RULE name [schema?, table, name]: the table is locked.
        const key = onTable ? listKey(items.slice(0, -1)) : listKey(items);
        return { relation: key, mode: concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', operation };
      });
    }
    case 'ReindexStmt': {
      const concurrent = (n.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
      if (!n.relation) return [];
      return [
        {
          relation: rangeVarKey(n.relation),
          mode: concurrent ? 'SHARE UPDATE EXCLUSIVE' : n.kind === 'REINDEX_OBJECT_INDEX' ? 'ACCESS EXCLUSIVE' : 'SHARE',
          operation: concurrent ? 'REINDEX CONCURRENTLY' : 'REINDEX',
        },
      ];
    }
    case 'RefreshMatViewStmt':
      return [
        {
          relation: rangeVarKey(n.relation),
          mode: n.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE',
          operation: n.concurrent ? 'REFRESH MATERIALIZED VIEW CONCURRENTLY' : 'REFRESH MATERIALIZED VIEW',
        },
      ];
    case 'VacuumStmt': {
      const full = isVacuumFull(n);
      const operation = n.is_vacuumcmd ? (full ? 'VACUUM FULL' : 'VACUUM') : 'ANALYZE';
      return (n.rels ?? []).map((r: any) => ({
        relation: rangeVarKey(r.VacuumRelation?.relation),
        mode: full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE',
        operation,
      }));
    }
    case 'ClusterStmt':
      return n.relation ? [{ relation: rangeVarKey(n.relation), mode: 'ACCESS EXCLUSIVE', operation: 'CLUSTER' }] : [];
    case 'TruncateStmt':
      return (n.relations ?? []).map((r: any) => ({ relation: rangeVarKey(r.RangeVar), mode: 'ACCESS EXCLUSIVE', operation: 'TRUNCATE' }));
    case 'CreateTrigStmt':
      return [{ relation: rangeVarKey(n.relation), mode: 'SHARE ROW EXCLUSIVE', operation: 'CREATE TRIGGER' }];
    case 'RuleStmt':
      return [{ relation: rangeVarKey(n.relation), mode: 'ACCESS EXCLUSIVE', operation: 'CREATE RULE' }];
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      return [{ relation: rangeVarKey(n.table), mode: 'ACCESS EXCLUSIVE', operation: stmt.kind === 'CreatePolicyStmt' ? 'CREATE POLICY' : 'ALTER POLICY' }];
    case 'RenameStmt': {
      if (!n.relation) return [];
      const isIndex = n.renameType === 'OBJECT_INDEX';
      // Renaming an index takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12.
      const mode: LockMode = isIndex && pgVersion >= 12 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
      return [{ relation: rangeVarKey(n.relation), mode, operation: 'RENAME' }];
    }
    case 'LockStmt': {
      const modes: LockMode[] = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];
      const mode = modes[(n.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
      return (n.relations ?? []).map((r: any) => ({ relation: rangeVarKey(r.RangeVar), mode, operation: 'LOCK TABLE' }));
    }
    case 'AlterObjectSchemaStmt':
      // ALTER TABLE … SET SCHEMA is not one of the sub-commands ALTER TABLE documents as weaker, so it
      // takes ACCESS EXCLUSIVE (https://www.postgresql.org/docs/current/sql-altertable.html, "Description").
      if (!n.relation || !['OBJECT_TABLE', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'].includes(n.objectType)) return [];
      return [{ relation: rangeVarKey(n.relation), mode: 'ACCESS EXCLUSIVE', operation: 'ALTER TABLE … SET SCHEMA' }];
    case 'CommentStmt': {
      // COMMENT ON a relation or one of its columns or constraints takes SHARE UPDATE EXCLUSIVE on the
      // relation (src/backend/commands/comment.c: get_object_address(…, ShareUpdateExclusiveLock)).
      const items = n.object?.List?.items;
      if (!items) return [];
      const whole = ['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_MATVIEW', 'OBJECT_VIEW', 'OBJECT_FOREIGN_TABLE'].includes(n.objtype);
      const part = ['OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT'].includes(n.objtype);
      if (!whole && !part) return [];
      return [{ relation: listKey(part ? items.slice(0, -1) : items), mode: 'SHARE UPDATE EXCLUSIVE', operation: 'COMMENT ON' }];
    }
    case 'CreateStatsStmt':
      // CREATE STATISTICS takes SHARE UPDATE EXCLUSIVE on its table (src/backend/commands/statscmds.c).
      return (n.relations ?? [])
        .filter((r: any) => r.RangeVar)
        .map((r: any) => ({ relation: rangeVarKey(r.RangeVar), mode: 'SHARE UPDATE EXCLUSIVE', operation: 'CREATE STATISTICS' }));
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
      return [{ relation: rangeVarKey(n.relation), mode: 'ROW EXCLUSIVE', operation: stmt.kind.replace('Stmt', '').toUpperCase() }];
    default:
      return [];
  }
}

function foreignKeysOf(cmd: any): any[] {
  if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_FOREIGN') return [cmd.def.Constraint];
  if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
    return columnConstraints(cmd.def.ColumnDef).filter((c) => c.contype === 'CONSTR_FOREIGN' && c.pktable);
  }
  return [];
}

/** "`CREATE INDEX` takes a SHARE lock on `orders`: it blocks writes (INSERT, UPDATE, DELETE) until it finishes." */
/**
 * The lock an `ALTER TABLE` takes on its table, worded for one of its sub-commands: when that sub-command
 * alone takes the statement's mode, name it (`ALTER TABLE … ALTER COLUMN … TYPE`) rather than whichever
 * sub-command of that mode came first (`… SET DEFAULT`); otherwise keep the statement's wording, which
 * names the sub-command that makes the lock that strong.
 */
export function lockForCommand(lock: LockAcquisition, cmd: any, pgVersion: number): LockAcquisition {
  if (!lock.operation.startsWith('ALTER TABLE') || !cmd?.subtype || alterCommandLock(cmd, pgVersion) !== lock.mode) return lock;
  return { ...lock, operation: `ALTER TABLE … ${alterCommandWords(cmd)}` };
}

export function lockSentence(lock: LockAcquisition, until = 'until it finishes'): string {
  return `\`${lock.operation}\` takes ${/^[AEIOU]/.test(lock.mode) ? 'an' : 'a'} ${lock.mode} lock on \`${displayRelation(lock.relation)}\`, which blocks ${describeBlocked(lock.mode)} ${until}.`;
}

export function displayRelation(key: string): string {
  return key.startsWith('public.') ? key.slice(7) : key;
}
