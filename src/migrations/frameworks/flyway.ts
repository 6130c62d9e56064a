/**
 * Flyway: `V<version>__<description>.sql` (versioned), `U<version>__…` (undo, Flyway Teams),
 * `R__<description>.sql` (repeatable, run after every versioned one, ordered by description).
 * Locations are scanned recursively, so Flyway files in subfolders of a Flyway folder join its set.
 *
 * Transactions (Flyway's PostgreSQL support, see docs/frameworks.md for sources): each script runs in
 * a transaction (`executeInTransaction` defaults to true) unless
 *  - a script configuration file `<script>.conf` sets `executeInTransaction`, which wins; or
 *  - the project configuration (`flyway.conf`, `flyway.toml`) sets `executeInTransaction=false`; or
 *  - Flyway's parser finds a statement that cannot run in a transaction (CREATE/DROP INDEX
 *    CONCURRENTLY, VACUUM, …): then the whole script runs without one. A script that mixes such a
 *    statement with transactional ones is refused unless `mixed=true`.
 */
import path from 'node:path';
import type { SqlStatement } from '../../sql/parse.js';
import type { Migration, MigrationScript, MigrationSet } from '../model.js';
import { parseScript } from '../../engine/migrations.js';
import { relativePath } from '../../io/read.js';
import {
  type Candidate,
  companion,
  type DiscoverContext,
  type FrameworkAdapter,
  ignoredFile,
  isSql,
  isUnder,
  migrationId,
  ordinal,
  script,
  setRoot,
  sortAndCheckDuplicates,
  whole,
} from './common.js';

const VERSIONED = /^([VU])(\d+(?:[._]\d+)*)__(.*)\.sql$/;
const REPEATABLE = /^R__(.*)\.sql$/;
/** Flyway Teams baseline migrations (`B<version>__`): run instead of the history on an empty database. */
const BASELINE = /^B\d+(?:[._]\d+)*__.*\.sql$/;
/** SQL callbacks (`afterMigrate.sql`, `beforeEachMigrate__audit.sql`…): hooks, not migrations. */
const CALLBACK = /^(?:before|after)[A-Z][A-Za-z]*(?:__.*)?\.sql$|^createSchema(?:__.*)?\.sql$/;

export function isFlywayName(name: string): boolean {
  return VERSIONED.test(name) || REPEATABLE.test(name);
}

/** Flyway's version: parts split at `.` (or `_`), compared as integers, trailing zero parts dropped. */
export function flywayVersionParts(version: string): bigint[] {
  const parts = version.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
  return parts;
}

export function compareFlywayVersions(a: string, b: string): number {
  const x = flywayVersionParts(a);
  const y = flywayVersionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0n;
    const q = y[i] ?? 0n;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export const flywayAdapter: FrameworkAdapter = {
  id: 'flyway',
  detect(pool) {
    const dirs = [...new Set(pool.filter((f) => isFlywayName(path.basename(f))).map((f) => path.dirname(f)))];
    // A Flyway folder inside another Flyway folder is part of it: locations are scanned recursively.
    // Folders without Flyway file names stay out, so a stray folder of SQL below is not swallowed.
    const roots = dirs.filter((d) => !dirs.some((o) => o !== d && isUnder(d, o))).sort();
    return roots.map((root) => {
      const members = new Set(dirs.filter((d) => isUnder(d, root)));
      return {
        framework: 'flyway' as const,
        root,
        files: pool.filter((f) => members.has(path.dirname(f))),
        detectedBy: 'V<version>__<description>.sql file names',
      };
    });
  },
  build(candidate, ctx) {
    return [buildSet(candidate, ctx)];
  },
};

interface Item {
  migration: Migration;
  version: string;
  description: string;
}

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet {
  const root = setRoot(ctx, candidate.root);
  const project = projectSettings(candidate.root, ctx);
  const versioned: Item[] = [];
  const repeatable: Item[] = [];
  const undos = new Map<string, { path: string; used: boolean }[]>();
  const versionKey = (v: string) => flywayVersionParts(v).join('.');

  for (const f of candidate.files.filter(isSql)) {
    const name = path.basename(f);
    const v = VERSIONED.exec(name);
    const r = REPEATABLE.exec(name);
    if (v?.[1] === 'U') {
      const list = undos.get(versionKey(v[2])) ?? [];
      list.push({ path: f, used: false });
      undos.set(versionKey(v[2]), list);
      continue;
    }
    if (!v && !r) {
      if (BASELINE.test(name) || CALLBACK.test(name)) continue; // part of the layout, never replayed as history
      ignoredFile(ctx, f, `Flyway only runs files named \`V<version>__<description>.sql\` or \`R__<description>.sql\` (note the two underscores), so it never runs this one`);
      continue;
    }
    const file = ctx.read(f);
    if (!file) continue;
    const description = (v ? v[3] : r![1]).replace(/_/g, ' ');
    const version = v ? v[2].replace(/_/g, '.') : '';
    const up = flywayScript(file, f, ctx, project);
    const migration: Migration = {
      id: migrationId(root, name.replace(/\.sql$/, '')),
      version: v ? version : `R__${r![1]}`,
      name: description,
      framework: 'flyway',
      kind: v ? 'versioned' : 'repeatable',
      up,
      downSupported: false,
    };
    (v ? versioned : repeatable).push({ migration, version, description });
  }

  // Undo scripts (Flyway Teams) pair with the versioned migration of the same version.
  const hasUndo = undos.size > 0;
  for (const item of versioned) {
    item.migration.downSupported = hasUndo;
    const candidates = undos.get(versionKey(item.version));
    const undo = candidates?.find((u) => !u.used);
    if (!undo) continue;
    undo.used = true;
    const file = ctx.read(undo.path);
    if (file) item.migration.down = flywayScript(file, undo.path, ctx, project);
  }
  for (const [, list] of undos) {
    for (const u of list.filter((x) => !x.used)) {
      ignoredFile(ctx, u.path, 'it is an undo script, but no versioned migration (`V…__`) of the same version exists');
    }
  }

  const ordered = sortAndCheckDuplicates(
    versioned,
    (a, b) => compareFlywayVersions(a.version, b.version),
    (a, b) => compareFlywayVersions(a.version, b.version) === 0,
    ctx,
    'Flyway',
  );
  // Repeatables run after all versioned migrations, ordered by description (Java String order).
  const repeatables = [...repeatable].sort((a, b) => ordinal(a.description, b.description) || ordinal(a.migration.up.file.relPath, b.migration.up.file.relPath));
  return {
    root,
    framework: 'flyway',
    migrations: [...ordered, ...repeatables].map((i) => i.migration),
    detectedBy: candidate.detectedBy,
  };
}

interface ProjectSettings {
  executeInTransaction?: boolean;
  mixed?: boolean;
  /** Repository-relative path of the file that set them. */
  source?: string;
}

/**
 * `executeInTransaction` and `mixed` from a Flyway project configuration (`flyway.toml`, `flyway.conf`
 * or `conf/flyway.conf`) in the set's folder or a parent folder up to the analysis root.
 */
function projectSettings(dir: string, ctx: DiscoverContext): ProjectSettings {
  for (let d = dir; isUnder(d, ctx.root); d = path.dirname(d)) {
    for (const name of ['flyway.toml', 'flyway.conf', path.join('conf', 'flyway.conf')]) {
      const file = path.join(d, name);
      const text = ctx.readText(file);
      if (text === undefined) continue;
      const setting = (key: string): boolean | undefined => {
        const re = name.endsWith('.toml') ? new RegExp(`^\\s*${key}\\s*=\\s*(true|false)\\b`, 'im') : new RegExp(`^\\s*flyway\\.${key}\\s*[=:]\\s*(true|false)\\s*$`, 'im');
        const m = re.exec(text);
        return m ? m[1].toLowerCase() === 'true' : undefined;
      };
      return { executeInTransaction: setting('executeInTransaction'), mixed: setting('mixed'), source: relativePath(ctx.root, file) };
    }
    if (d === path.dirname(d)) break;
  }
  return {};
}

/** `executeInTransaction` from the script configuration file beside a script (`V1__x.sql.conf`). */
function scriptSetting(scriptPath: string, ctx: DiscoverContext): { value: boolean; conf: string } | undefined {
  const conf = companion(ctx, `${scriptPath}.conf`);
  if (!conf) return undefined;
  const text = ctx.readText(conf);
  const m = text === undefined ? null : /^\s*executeInTransaction\s*[=:]\s*(true|false)\s*$/im.exec(text);
  return m ? { value: m[1].toLowerCase() === 'true', conf: path.basename(conf) } : undefined;
}

function flywayScript(file: MigrationScript['file'], scriptPath: string, ctx: DiscoverContext, project: ProjectSettings): MigrationScript {
  const s = script(file, whole(file), true, 'Flyway runs each migration in a transaction (executeInTransaction defaults to true)');
  const override = scriptSetting(scriptPath, ctx);
  if (override) {
    s.wrappedInTransaction = override.value;
    s.transactionReason = override.value
      ? `${override.conf} sets executeInTransaction=true, so Flyway runs this migration in a transaction`
      : `${override.conf} sets executeInTransaction=false, so Flyway runs each statement on its own`;
    return s;
  }
  const statements = parseScript(s).statements.filter((st) => !st.viaDo);
  const outside = statements.filter((st) => cannotRunInTransaction(st, ctx.pgVersion));
  const what = outside.length > 0 ? describe(outside[0]) : '';
  const mixed = outside.length > 0 && outside.length < statements.length;
  // Flyway refuses a script that mixes both kinds unless `mixed` is on (only a script .conf skips the check).
  if (mixed && project.mixed !== true) {
    const line = file.position(outside[0].range.start).line;
    ctx.notifications.push({
      id: 'flyway-mixed-transaction',
      level: 'warning',
      path: file.relPath,
      message:
        `\`${file.relPath}\` mixes ${what} (line ${line}), which Flyway must run outside a transaction, with statements it runs inside one: ` +
        'Flyway refuses this migration unless `mixed=true` (and then runs none of it in a transaction). Move that statement to its own migration.',
    });
  }
  if (project.executeInTransaction === false) {
    s.wrappedInTransaction = false;
    s.transactionReason = `${project.source} sets executeInTransaction=false, so Flyway runs each statement on its own`;
    return s;
  }
  if (outside.length === 0) return s;
  s.wrappedInTransaction = false;
  s.transactionReason = mixed
    ? `Flyway runs this migration outside a transaction: it mixes ${what} with transactional statements (allowed only with mixed=true)`
    : `Flyway runs this migration outside a transaction because it contains ${what}, which cannot run in one`;
  return s;
}

/**
 * The statements Flyway's PostgreSQL parser marks as non-transactional: CREATE/DROP DATABASE,
 * TABLESPACE and SUBSCRIPTION, ALTER SYSTEM, CREATE/DROP INDEX CONCURRENTLY, REINDEX SCHEMA/DATABASE/
 * SYSTEM, VACUUM, DISCARD ALL, and ALTER TYPE … ADD VALUE before PostgreSQL 12. Other CONCURRENTLY
 * forms (REINDEX TABLE CONCURRENTLY, DETACH PARTITION CONCURRENTLY) are not detected by Flyway: they
 * stay in the transaction, and PostgreSQL rejects them there.
 */
export function cannotRunInTransaction(stmt: SqlStatement, pgVersion: number): boolean {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
    case 'CreateSubscriptionStmt':
    case 'DropSubscriptionStmt':
    case 'AlterSystemStmt':
      return true;
    case 'IndexStmt':
      return n.concurrent === true;
    case 'DropStmt':
      return n.removeType === 'OBJECT_INDEX' && n.concurrent === true;
    case 'ReindexStmt':
      return ['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(n.kind);
    case 'VacuumStmt':
      return n.is_vacuumcmd === true;
    case 'DiscardStmt':
      return n.target === 'DISCARD_ALL';
    case 'AlterEnumStmt':
      return pgVersion < 12 && n.newVal !== undefined && n.oldVal === undefined;
    default:
      return false;
  }
}

function describe(stmt: SqlStatement): string {
  const words = stmt.text.replace(/\s+/g, ' ').split(' ');
  const n = stmt.node;
  if (stmt.kind === 'IndexStmt') return n.unique ? 'CREATE UNIQUE INDEX CONCURRENTLY' : 'CREATE INDEX CONCURRENTLY';
  if (stmt.kind === 'DropStmt') return 'DROP INDEX CONCURRENTLY';
  if (stmt.kind === 'AlterEnumStmt') return 'ALTER TYPE … ADD VALUE';
  return words.slice(0, 2).join(' ').toUpperCase();
}
