/** Replay on a real PostgreSQL (embedded PGlite, or a server): lazily imported by `check --replay`. */
export { openPglite, openPostgres, pgliteVersion, errorInfo, type ReplayDatabase, type DatabaseErrorInfo, type PgliteOptions, type PostgresOptions } from './database.js';
export { relations, heldLocks, newLocks, rewrites, strongestByRelation, blockingLocks, PG_LOCK_MODES, type ObservedLock, type ObservedRewrite, type Relation, type RelationKind } from './observe.js';
export { replaySet, rolesToAssume, type SetReplay, type ScriptReplay, type StatementObservation, type ReplayStop, type RunMode } from './replay.js';
export { ReplayRun, type ReplayOptions, type ReplaySummary } from './run.js';
