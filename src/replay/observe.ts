/**
 * What replay reads from PostgreSQL around one statement: the relations that exist (with their
 * storage file, to see rewrites) and the relation-level locks this session holds.
 */
import type { LockMode } from '../locks/lock-table.js';
import { LOCK_MODES } from '../locks/lock-table.js';
import { SYSTEM_SCHEMA_SQL, type ReplayDatabase } from './database.js';

export type RelationKind =
  | 'table'
  | 'partitioned table'
  | 'index'
  | 'partitioned index'
  | 'sequence'
  | 'view'
  | 'materialized view'
  | 'foreign table'
  | 'composite type'
  | 'toast table';

const RELKINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  i: 'index',
  I: 'partitioned index',
  S: 'sequence',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
  c: 'composite type',
  t: 'toast table',
};

/** `pg_locks.mode` → the lock table's names. */
export const PG_LOCK_MODES: Record<string, LockMode> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};

export interface Relation {
  oid: string;
  /** `schema.name`, as the catalog keys relations (`public.orders`). */
  key: string;
  kind: RelationKind;
  /** `pg_class.relfilenode`: a new value means new storage (a rewrite); 0 for relations without storage. */
  filenode: string;
  /** For an index: the oid of its table. */
  tableOid?: string;
}

export type RelationMap = Map<string, Relation>;

/** Every relation outside PostgreSQL's own schemas, by oid. */
export async function relations(db: ReplayDatabase): Promise<RelationMap> {
  const rows = await db.query<{ oid: string; schema: string; name: string; kind: string; filenode: string; table: string | null }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relfilenode::text AS filenode,
            i.indrelid::text AS table
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
      WHERE ${SYSTEM_SCHEMA_SQL}`,
  );
  return new Map(
    rows.map((r) => {
      const rel: Relation = { oid: r.oid, key: `${r.schema}.${r.name}`, kind: RELKINDS[r.kind] ?? 'table', filenode: r.filenode };
      if (r.table) rel.tableOid = r.table;
      return [r.oid, rel];
    }),
  );
}

export interface HeldLock {
  oid: string;
  mode: LockMode;
}

/** Relation-level locks this session holds right now (granted or waited for), on any relation. */
export async function heldLocks(db: ReplayDatabase): Promise<HeldLock[]> {
  const rows = await db.query<{ oid: string; mode: string }>(
    `SELECT l.relation::text AS oid, l.mode
       FROM pg_catalog.pg_locks l
      WHERE l.locktype = 'relation' AND l.pid = pg_catalog.pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`,
  );
  return rows.filter((r) => PG_LOCK_MODES[r.mode]).map((r) => ({ oid: r.oid, mode: PG_LOCK_MODES[r.mode] }));
}

export interface ObservedLock {
  /** `schema.name`; a relation dropped by the statement keeps the name it had before. */
  relation: string;
  kind: RelationKind;
  /** For an index: its table (`schema.name`). */
  table?: string;
  mode: LockMode;
  /** The statement created this relation (a new index, table, sequence): no other session could wait for it. */
  created: boolean;
}

export interface ObservedRewrite {
  relation: string;
  kind: RelationKind;
}

/**
 * The locks in `after` that were not in `before` (both from `heldLocks` in the same transaction), on
 * relations outside PostgreSQL's own schemas, named from the relations that existed before or after.
 */
export function newLocks(before: HeldLock[], after: HeldLock[], relsBefore: RelationMap, relsAfter: RelationMap): ObservedLock[] {
  const had = new Set(before.map((l) => `${l.oid}/${l.mode}`));
  const out: ObservedLock[] = [];
  for (const l of after) {
    if (had.has(`${l.oid}/${l.mode}`)) continue;
    const rel = relsBefore.get(l.oid) ?? relsAfter.get(l.oid);
    if (!rel) continue; // a system catalog
    const created = !relsBefore.has(l.oid);
    if (out.some((o) => o.relation === rel.key && o.mode === l.mode && o.created === created)) continue;
    const lock: ObservedLock = { relation: rel.key, kind: rel.kind, mode: l.mode, created };
    const table = rel.tableOid ? (relsBefore.get(rel.tableOid) ?? relsAfter.get(rel.tableOid)) : undefined;
    if (table) lock.table = table.key;
    out.push(lock);
  }
  return out.sort((a, b) => a.relation.localeCompare(b.relation) || LOCK_MODES.indexOf(b.mode) - LOCK_MODES.indexOf(a.mode));
}

/**
 * Relations that existed before and after with a different storage file: the statement rewrote them.
 * `ALTER COLUMN … TYPE` drops and recreates the indexes on the column under the same name (a new oid):
 * such an index counts as rebuilt only when its storage file changed too (PostgreSQL keeps the old file
 * when the index does not need rebuilding).
 */
export function rewrites(relsBefore: RelationMap, relsAfter: RelationMap): ObservedRewrite[] {
  const out: ObservedRewrite[] = [];
  const afterByKey = new Map([...relsAfter.values()].map((r) => [r.key, r]));
  for (const [oid, before] of relsBefore) {
    let after = relsAfter.get(oid);
    if (!after) {
      const sameName = afterByKey.get(before.key);
      if (sameName && sameName.kind === before.kind && !relsBefore.has(sameName.oid)) after = sameName;
    }
    if (!after || before.filenode === '0' || after.filenode === '0' || before.filenode === after.filenode) continue;
    out.push({ relation: after.key, kind: after.kind });
  }
  return out.sort((a, b) => a.relation.localeCompare(b.relation));
}

/**
 * The locks that can make other sessions wait: not on relations the statement created, not ACCESS SHARE
 * (it conflicts only with ACCESS EXCLUSIVE), and not on an index when its table is locked at least as
 * strongly (nobody reaches the index without locking the table first).
 */
export function blockingLocks(locks: ObservedLock[]): ObservedLock[] {
  const live = locks.filter((l) => !l.created && l.mode !== 'ACCESS SHARE');
  const tables = strongestByRelation(live.filter((l) => !l.table));
  return live.filter((l) => {
    const tableMode = l.table ? tables.get(l.table) : undefined;
    return !tableMode || LOCK_MODES.indexOf(l.mode) > LOCK_MODES.indexOf(tableMode);
  });
}

/** The strongest mode taken on each relation. */
export function strongestByRelation(locks: ObservedLock[]): Map<string, LockMode> {
  const out = new Map<string, LockMode>();
  for (const l of locks) {
    const prev = out.get(l.relation);
    if (!prev || LOCK_MODES.indexOf(l.mode) > LOCK_MODES.indexOf(prev)) out.set(l.relation, l.mode);
  }
  return out;
}
