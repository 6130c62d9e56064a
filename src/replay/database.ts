/**
 * The databases replay runs on: the embedded PostgreSQL (PGlite, WebAssembly, in-process, nothing to
 * install or download) or a real server reached with the `pg` client, in a throwaway database that is
 * created for the run and dropped afterwards. Both are loaded lazily: `check` without `--replay`
 * never imports them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface ReplayDatabase {
  readonly engine: 'pglite' | 'postgres';
  /** `SELECT version()`. */
  readonly version: string;
  /** `server_version_num / 10000`: 18 for PostgreSQL 18.x. */
  readonly major: number;
  /** Milliseconds from the call to a database that answers queries (PGlite boot, or connect + CREATE DATABASE). */
  readonly startMs: number;
  /** How PGlite started: `initdb` (a fresh cluster), `cache` (a prepared data directory) ; `server` for a real server. */
  readonly startedFrom: 'initdb' | 'cache' | 'server';
  /** Rows of a query (parameters use the extended protocol). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs one statement with the simple query protocol, as a migration tool sends it. */
  exec(sql: string): Promise<void>;
  /**
   * Drops everything migrations may have created (schemas, roles, event triggers, publications) and
   * recreates an empty `public` schema, so the next migration set starts from a fresh database.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A PostgreSQL error as both clients report it. */
export interface DatabaseErrorInfo {
  message: string;
  /** SQLSTATE, e.g. `42P01` (undefined table). */
  code?: string;
  /** 1-based character position in the statement, when PostgreSQL points at one. */
  position?: number;
  detail?: string;
  hint?: string;
}

export function errorInfo(error: unknown): DatabaseErrorInfo {
  const e = error as { message?: string; code?: unknown; position?: unknown; detail?: unknown; hint?: unknown };
  const info: DatabaseErrorInfo = { message: String(e?.message ?? error) };
  if (typeof e?.code === 'string') info.code = e.code;
  const position = Number(e?.position);
  if (Number.isInteger(position) && position > 0) info.position = position;
  if (typeof e?.detail === 'string' && e.detail) info.detail = e.detail;
  if (typeof e?.hint === 'string' && e.hint) info.hint = e.hint;
  return info;
}

const require = createRequire(import.meta.url);

export interface PgliteOptions {
  /**
   * Folder for the prepared data directory (a tarball of a freshly initialised cluster): booting from
   * it skips initdb, which is most of PGlite's start-up time. Default: `$PLUMBLINE_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/plumbline`, else `~/.cache/plumbline`. `false` (or `PLUMBLINE_CACHE_DIR=off`) disables it.
   */
  cacheDir?: string | false;
}

/** The installed `@electric-sql/pglite` version (its package.json is not exported: found from the entry point). */
export function pgliteVersion(): string {
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version;
    } catch {
      // no package.json here: keep going up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

function defaultCacheDir(): string | false {
  const env = process.env.PLUMBLINE_CACHE_DIR;
  if (env === 'off' || env === '0' || env === 'false') return false;
  if (env) return env;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'plumbline');
}

/** Boots the embedded PostgreSQL. Costs a few seconds: do it once per run. */
export async function openPglite(options: PgliteOptions = {}): Promise<ReplayDatabase> {
  const started = performance.now();
  const { PGlite } = await import('@electric-sql/pglite');
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cacheFile = cacheDir ? path.join(cacheDir, `pglite-${pgliteVersion()}-datadir.tar.gz`) : undefined;

  let db: InstanceType<typeof PGlite> | undefined;
  let startedFrom: 'initdb' | 'cache' = 'initdb';
  if (cacheFile) {
    let tarball: Buffer | undefined;
    try {
      tarball = readFileSync(cacheFile);
    } catch {
      tarball = undefined;
    }
    if (tarball) {
      try {
        db = await PGlite.create({ loadDataDir: new Blob([new Uint8Array(tarball)]) });
        startedFrom = 'cache';
      } catch {
        // A damaged or foreign tarball: forget it and start from initdb.
        rmSync(cacheFile, { force: true });
        db = undefined;
      }
    }
  }
  if (!db) {
    db = await PGlite.create();
    if (cacheFile) {
      try {
        const dump = await db.dumpDataDir('gzip');
        mkdirSync(path.dirname(cacheFile), { recursive: true });
        // Write then rename: two runs preparing the cache at once never leave half a file behind.
        const tmp = `${cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        writeFileSync(tmp, new Uint8Array(await dump.arrayBuffer()));
        renameSync(tmp, cacheFile);
      } catch {
        // The cache is an optimisation: a read-only home folder only makes the next run slower.
      }
    }
  }
  const pg = db;
  const version = (await pg.query<{ version: string }>('SELECT version()')).rows[0].version;
  const num = Number((await pg.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`)).rows[0].n);
  const baseline = await rolesNow((sql) => pg.query<{ rolname: string }>(sql).then((r) => r.rows));
  const handle: ReplayDatabase = {
    engine: 'pglite',
    version,
    major: Math.floor(num / 10000),
    startMs: performance.now() - started,
    startedFrom,
    query: async <T>(sql: string, params?: unknown[]) => (await pg.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await pg.exec(sql);
    },
    reset: () => resetDatabase(handle, baseline),
    close: () => pg.close(),
  };
  return handle;
}

export interface PostgresOptions {
  /** Milliseconds to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  /** `statement_timeout` of the replay session (default 60 s): a migration that hangs fails instead. */
  statementTimeoutMs?: number;
  /** `lock_timeout` of the replay session (default 10 s): the throwaway database has no other sessions. */
  lockTimeoutMs?: number;
}

/**
 * Connects to a real server with `url` (its database is only used to create and drop the throwaway
 * one), creates `plumbline_replay_<random>`, and returns a session on it. `close()` drops it.
 * Roles are server-wide: `reset()` and `close()` drop every role that did not exist when the session
 * opened, so use a server (or cluster) of your own, where nobody else creates roles meanwhile.
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<ReplayDatabase> {
  const started = performance.now();
  const pgModule = await import('pg');
  const Client = pgModule.default?.Client ?? (pgModule as unknown as { Client: typeof pgModule.default.Client }).Client;
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const statementTimeout = options.statementTimeoutMs ?? 60_000;
  const lockTimeout = options.lockTimeoutMs ?? 10_000;
  const config = (database?: string) => ({
    // node-postgres lets the connection string win over a separate `database`: put it in the URL.
    connectionString: database ? withDatabase(url, database) : url,
    connectionTimeoutMillis: connectTimeout,
    statement_timeout: statementTimeout,
    lock_timeout: lockTimeout,
    // A client-side guard too, for a server that stops answering altogether.
    query_timeout: statementTimeout + 5_000,
    application_name: 'plumbline-replay',
  });

  const admin = new Client(config());
  await admin.connect();
  const name = `plumbline_replay_${process.pid}_${randomBytes(4).toString('hex')}`;
  let session: InstanceType<typeof Client> | undefined;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    session = new Client(config(name));
    await session.connect();
  } catch (error) {
    await session?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    throw error;
  }
  const s = session;
  const version = (await s.query<{ version: string }>('SELECT version()')).rows[0].version;
  const num = Number((await s.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`)).rows[0].n);
  const baseline = await rolesNow(async (sql) => (await s.query<{ rolname: string }>(sql)).rows);
  const handle: ReplayDatabase = {
    engine: 'postgres',
    version,
    major: Math.floor(num / 10000),
    startMs: performance.now() - started,
    startedFrom: 'server',
    query: async <T>(sql: string, params?: unknown[]) => (await s.query(sql, params)).rows as T[],
    exec: async (sql) => {
      await s.query(sql);
    },
    reset: () => resetDatabase(handle, baseline),
    close: async () => {
      await s.end().catch(() => undefined);
      try {
        await admin.query(num >= 130000 ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
        // Roles are shared by every database of the server: drop the ones the replay created (the
        // migrations' CREATE ROLE, the roles replay assumed). Their objects went with the database.
        for (const { rolname } of (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows) {
          if (baseline.has(rolname)) continue;
          await admin.query(`DROP ROLE IF EXISTS "${rolname.replace(/"/g, '""')}"`).catch(() => undefined);
        }
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
  return handle;
}

function withDatabase(url: string, database: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('The database URL must look like postgres://user:password@host:port/database.');
  }
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function rolesNow(query: (sql: string) => Promise<Array<{ rolname: string }>>): Promise<Set<string>> {
  return new Set((await query('SELECT rolname FROM pg_roles')).map((r) => r.rolname));
}

/** Schemas that belong to PostgreSQL itself and survive a reset. */
export const SYSTEM_SCHEMA_SQL = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

async function resetDatabase(db: ReplayDatabase, baselineRoles: Set<string>): Promise<void> {
  // Whatever state the last set left behind: an aborted or open transaction, SET ROLE, search_path.
  await db.exec('ROLLBACK').catch(() => undefined);
  await db.exec('RESET ALL');
  await db.exec('SET SESSION AUTHORIZATION DEFAULT');
  for (const { name } of await db.query<{ name: string }>('SELECT quote_ident(evtname) AS name FROM pg_event_trigger')) {
    await db.exec(`DROP EVENT TRIGGER ${name}`);
  }
  for (const { name } of await db.query<{ name: string }>('SELECT quote_ident(pubname) AS name FROM pg_publication')) {
    await db.exec(`DROP PUBLICATION ${name}`);
  }
  const schemas = await db.query<{ name: string }>(`SELECT quote_ident(n.nspname) AS name FROM pg_namespace n WHERE ${SYSTEM_SCHEMA_SQL}`);
  for (const { name } of schemas) await db.exec(`DROP SCHEMA ${name} CASCADE`);
  // Extensions installed into pg_catalog or another surviving schema.
  for (const { name } of await db.query<{ name: string }>(`SELECT quote_ident(extname) AS name FROM pg_extension WHERE extname <> 'plpgsql'`)) {
    await db.exec(`DROP EXTENSION IF EXISTS ${name} CASCADE`);
  }
  for (const { rolname } of await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles')) {
    if (baselineRoles.has(rolname)) continue;
    const [{ name }] = await db.query<{ name: string }>('SELECT quote_ident($1) AS name', [rolname]);
    await db.exec(`DROP OWNED BY ${name} CASCADE`);
    await db.exec(`DROP ROLE ${name}`);
  }
  // PostgreSQL 15+ creates `public` owned by pg_database_owner with USAGE for everyone; older servers
  // create it owned by the bootstrap superuser with CREATE for everyone too.
  if (db.major >= 15) {
    await db.exec('CREATE SCHEMA public AUTHORIZATION pg_database_owner');
    await db.exec('GRANT USAGE ON SCHEMA public TO PUBLIC');
  } else {
    await db.exec('CREATE SCHEMA public');
    await db.exec('GRANT ALL ON SCHEMA public TO PUBLIC');
  }
}
