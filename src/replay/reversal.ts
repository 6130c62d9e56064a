/**
 * The reversibility proof (`down-reverses-up`, replay half): for a migration with a down, replay takes a
 * snapshot of the schema before the up, applies the up (observed, as usual), applies the down, takes a
 * snapshot again and compares. Then it brings the database back to the state after the up (a rollback,
 * the up again, or every up from scratch) and goes on with the next migration.
 */
import type { ReportInput } from '../core/rule.js';
import type { Range } from '../core/source.js';
import { parseScript } from '../engine/migrations.js';
import { displayRelation } from '../locks/lock-table.js';
import type { Migration, MigrationScript } from '../migrations/model.js';
import { quoteIdent } from '../rules/helpers.js';
import type { SqlStatement } from '../sql/parse.js';
import { applyScript, environmentError, type ApplyFailure } from './apply.js';
import { errorInfo, type ReplayDatabase } from './database.js';
import { diffSchemas, sameSchema, snapshot, type SchemaDifference, type SchemaObject, type Snapshot } from './schema.js';

export interface ReversalProof {
  migration: Migration;
  /**
   * - `reverses`: the schema after up then down is the schema before the up;
   * - `differs`: it is not (`differences` says how);
   * - `down-fails`: PostgreSQL rejected a statement of the down (`failure`);
   * - `refused`: the down raised an exception on purpose (`RAISE EXCEPTION`: an irreversible migration that says so);
   * - `unavailable`: the down failed for a reason about the replay database (an extension PGlite lacks…).
   */
  outcome: 'reverses' | 'differs' | 'down-fails' | 'refused' | 'unavailable';
  differences: SchemaDifference[];
  failure?: ApplyFailure;
  /**
   * How the database got back to the state after the up: `rollback` (the down ran in a transaction that
   * was rolled back), `up` (the up again), `nothing` (the down failed before changing anything), or
   * `rebuild` (every up so far, from an empty database).
   */
  restoredBy: 'rollback' | 'up' | 'nothing' | 'rebuild';
  /** Snapshots, down, restore: the cost of the proof on top of the replay. */
  durationMs: number;
}

/** A down the proof can run: present, distinct from the up, parses, and does something. */
export function provable(migration: Migration): migration is Migration & { down: MigrationScript } {
  const down = migration.down;
  if (!down || down === migration.up) return false;
  const parsed = parseScript(down);
  return parsed.errors.length === 0 && parsed.statements.some((s) => !s.viaDo && s.kind !== 'TransactionStmt' && s.kind !== 'VariableSetStmt');
}

/**
 * Runs the down of `migration` (whose up just ran) and compares the schema with `before`, then brings the
 * database back to the state after the up.
 *
 * The cheap and exact way, for a down without transaction control of its own: run it inside a
 * transaction, check deferred constraints (`SET CONSTRAINTS ALL IMMEDIATE`), read the schema, and roll
 * back; PostgreSQL's DDL is transactional, so the rollback restores the state after the up, rows included.
 * Otherwise (the down has its own BEGIN/COMMIT, or a statement PostgreSQL refuses in a transaction block,
 * such as DROP INDEX CONCURRENTLY): run the down as the framework does, then the up again, and when that
 * does not give back the schema after the up, every up so far from an empty database (`rebuild`, which
 * returns the failure when even that does not work; the replay then stops).
 */
export async function proveReversal(
  db: ReplayDatabase,
  migration: Migration & { down: MigrationScript },
  before: Snapshot,
  rebuild: () => Promise<ApplyFailure | undefined>,
): Promise<{ proof: ReversalProof; restored: boolean; after?: Snapshot }> {
  const started = performance.now();
  const proof: ReversalProof = { migration, outcome: 'reverses', differences: [], restoredBy: 'rollback', durationMs: 0 };
  const done = () => {
    proof.durationMs = performance.now() - started;
    return proof;
  };
  const judge = (failure: ApplyFailure) => {
    proof.failure = failure;
    proof.outcome = failure.error.code === 'P0001' ? 'refused' : environmentError(failure.stmt, failure.error) ? 'unavailable' : 'down-fails';
  };
  const down = migration.down;
  const statements = parseScript(down).statements.filter((s) => !s.viaDo);

  if (!statements.some((s) => s.kind === 'TransactionStmt')) {
    await db.exec('BEGIN');
    let asWritten = false;
    let failure: ApplyFailure | undefined;
    for (const stmt of statements) {
      try {
        await db.exec(stmt.text);
      } catch (e) {
        const error = errorInfo(e);
        if (error.code === '25001') asWritten = true; // cannot run in a transaction block: run it as written
        // Kept only when the framework also runs the down in one transaction (or it has one statement):
        // then nothing of it stays applied, as here.
        else failure = { stmt, error, partial: false };
        break;
      }
    }
    if (!asWritten && !failure) {
      try {
        // Deferred constraints and constraint triggers would fire at COMMIT: make them fire now.
        await db.exec('SET CONSTRAINTS ALL IMMEDIATE');
      } catch (e) {
        failure = { stmt: statements[statements.length - 1], error: errorInfo(e), partial: false };
      }
    }
    if (!asWritten && !failure) proof.differences = diffSchemas(before, await snapshot(db));
    await db.exec('ROLLBACK');
    // A down the framework runs statement by statement may fail in one transaction only (a new enum value
    // used by the next statement): confirm a failure by running it as written.
    if (failure && !down.wrappedInTransaction && statements.length > 1) asWritten = true;
    if (!asWritten) {
      if (failure) judge(failure);
      else proof.outcome = proof.differences.length > 0 ? 'differs' : 'reverses';
      return { proof: done(), restored: true };
    }
  }

  // The down must run as written: outside one transaction of ours.
  const afterUp = await snapshot(db);
  let restored = true;
  const failure = await applyScript(db, down);
  if (failure) {
    judge(failure);
    proof.restoredBy = 'nothing';
    if (failure.partial) {
      proof.restoredBy = 'rebuild';
      restored = !(await rebuild());
    }
  } else {
    proof.differences = diffSchemas(before, await snapshot(db));
    proof.outcome = proof.differences.length > 0 ? 'differs' : 'reverses';
    // The up again is exact when it applies and gives the same schema (it also puts back the rows a data
    // migration's down took out); otherwise start over.
    const again = await applyScript(db, migration.up);
    if (!again && sameSchema(await snapshot(db), afterUp)) proof.restoredBy = 'up';
    else {
      proof.restoredBy = 'rebuild';
      restored = !(await rebuild());
    }
  }
  return { proof: done(), restored, after: afterUp };
}

// ---------------------------------------------------------------------------------------------------
// Findings

export interface ReversalFinding {
  script: MigrationScript;
  input: ReportInput;
}

const STATEMENT_KINDS: Partial<Record<SchemaObject['kind'], string[]>> = {
  schema: ['CreateSchemaStmt'],
  table: ['CreateStmt', 'CreateTableAsStmt'],
  'partitioned table': ['CreateStmt'],
  'foreign table': ['CreateForeignTableStmt'],
  view: ['ViewStmt'],
  'materialized view': ['CreateTableAsStmt'],
  sequence: ['CreateSeqStmt', 'CreateStmt', 'AlterTableStmt'],
  column: ['AlterTableStmt', 'CreateStmt'],
  index: ['IndexStmt'],
  constraint: ['AlterTableStmt', 'CreateStmt', 'AlterDomainStmt', 'CreateDomainStmt'],
  enum: ['CreateEnumStmt', 'AlterEnumStmt'],
  'composite type': ['CompositeTypeStmt'],
  domain: ['CreateDomainStmt', 'AlterDomainStmt'],
  'range type': ['CreateRangeStmt'],
  function: ['CreateFunctionStmt'],
  procedure: ['CreateFunctionStmt'],
  aggregate: ['DefineStmt'],
  'window function': ['CreateFunctionStmt'],
  trigger: ['CreateTrigStmt', 'AlterTableStmt'],
  policy: ['CreatePolicyStmt', 'AlterPolicyStmt'],
  extension: ['CreateExtensionStmt', 'AlterExtensionStmt'],
};

/** A keyword the statement that changes an attribute usually carries. */
const ATTRIBUTE_WORDS: Record<string, string> = {
  default: 'DEFAULT',
  nullability: 'NULL',
  type: 'TYPE',
  identity: 'IDENTITY',
  generated: 'GENERATED',
  collation: 'COLLATE',
  values: 'VALUE',
  validation: 'VALIDATE',
  'row level security': 'SECURITY',
  persistence: 'LOGGED',
};

function hasIdent(stmt: SqlStatement, name: string): boolean {
  return stmt.tokens.some((t) => {
    if (t.kind === 'SCONST') return false;
    if (t.text.startsWith('"')) return t.text.slice(1, -1).replace(/""/g, '"') === name;
    return t.text.toLowerCase() === name;
  });
}

/**
 * The statement a difference is about: the one that names the object (and its table), of a kind that
 * creates or changes such objects, carrying the attribute's keyword; the first such one wins.
 */
function locate(d: SchemaDifference, statements: SqlStatement[], own: boolean): SqlStatement | undefined {
  const o = d.object;
  const table = o.table ? o.table.slice(o.table.indexOf('.') + 1) : undefined;
  const word = d.attribute ? ATTRIBUTE_WORDS[d.attribute] : undefined;
  let best: { stmt: SqlStatement; score: number } | undefined;
  for (const stmt of statements) {
    const named = hasIdent(stmt, o.name);
    const onTable = table !== undefined && hasIdent(stmt, table);
    if (!named && !onTable) continue;
    const score =
      (named ? 8 : 0) +
      (own && (STATEMENT_KINDS[o.kind] ?? []).includes(stmt.kind) ? 4 : 0) +
      (onTable ? 2 : 0) +
      (word && stmt.tokens.some((t) => t.text.toUpperCase() === word) ? 1 : 0);
    if (!named && score < 4) continue; // only the table named, by a statement that creates nothing of the kind
    if (!best || score > best.score) best = { stmt, score };
  }
  return best?.stmt;
}

const UNSET: Record<string, string> = {
  validation: 'validated',
  validity: 'valid',
  persistence: 'LOGGED',
  firing: 'ENABLED',
  'row level security': 'disabled',
  security: 'SECURITY INVOKER',
};
/** Attributes that read "is X" rather than "has <attribute> X". */
const STATE_ATTRIBUTES = new Set(['nullability', 'validation', 'validity', 'persistence', 'firing', 'row level security', 'security', 'mode']);
const LONG = 100;

const code = (v: string) => (v.includes('`') ? `\`\` ${v} \`\`` : `\`${v}\``);
const valueOf = (attribute: string, v: string | undefined) => (v === undefined ? (UNSET[attribute] ?? 'none') : code(v));
const trim = (v: string | undefined) => (v === undefined ? '' : v.length > 300 ? `${v.slice(0, 297)}…` : v);

function subject(o: SchemaObject): string {
  if (o.kind === 'constraint' || o.kind === 'trigger' || o.kind === 'policy' || o.kind === 'index') return `${o.kind} \`${o.display}\` on \`${displayRelation(o.table!)}\``;
  return `${o.kind} \`${o.display}\``;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * `Column \`users.locale\` has default \`'en'\` after the down, none before the up.` `by`: the script whose
 * statement the finding points at, which says who added or removed the object.
 */
export function differenceSentence(d: SchemaDifference, by: 'up' | 'down' = d.change === 'removed' ? 'down' : 'up'): string {
  const o = d.object;
  // A schema's contents are worth naming (DROP SCHEMA needs CASCADE for them); a table's columns are not.
  // Only what sits directly in the schema: not the columns of its tables, nor a sequence a column owns.
  const contained = new Set((d.contents ?? []).map((c) => c.key));
  const inside = o.kind === 'schema' ? (d.contents ?? []).filter((c) => !c.table && c.parents.every((p) => p === o.key || !contained.has(p))) : [];
  const also = inside.length ? ` (with ${listContents(inside)} in it)` : '';
  if (d.change === 'left behind') {
    return by === 'up'
      ? `The down leaves ${subject(o)}${also} behind: it does not exist before the up, and still does after up then down.`
      : `The down creates ${subject(o)}${also}, which did not exist before the up.`;
  }
  if (d.change === 'removed') {
    return by === 'down'
      ? `The down drops ${subject(o)}${also}, which existed before the up: after up then down it is gone.`
      : `The up drops ${subject(o)}${also} and the down does not bring it back: it existed before the up, and is gone after up then down.`;
  }
  const a = d.attribute!;
  const long = (d.before?.length ?? 0) > LONG || (d.after?.length ?? 0) > LONG || a === 'body';
  if (long) return `${capital(subject(o))} has a different ${a} after the down than before the up.`;
  if (STATE_ATTRIBUTES.has(a)) return `${capital(subject(o))} is ${d.after ?? UNSET[a] ?? 'none'} after the down, ${d.before ?? UNSET[a] ?? 'none'} before the up.`;
  return `${capital(subject(o))} has ${a} ${valueOf(a, d.after)} after the down, ${valueOf(a, d.before)} before the up.`;
}

function listContents(contents: SchemaObject[]): string {
  const names = contents.slice(0, 4).map((c) => `${c.kind} \`${c.display}\``);
  return contents.length > 4 ? `${names.join(', ')} and ${contents.length - 4} more` : names.join(', ');
}

function dropSql(o: SchemaObject, contents: SchemaObject[] = []): string {
  const rel = (key: string) => displayRelation(key);
  const name = o.schema === 'public' || !o.schema ? quoteIdent(o.name) : `${quoteIdent(o.schema)}.${quoteIdent(o.name)}`;
  switch (o.kind) {
    case 'schema':
      return `DROP SCHEMA ${quoteIdent(o.name)}${contents.length ? ' CASCADE' : ''};`;
    case 'table':
    case 'partitioned table':
      return `DROP TABLE ${name};`;
    case 'view':
      return `DROP VIEW ${name};`;
    case 'materialized view':
      return `DROP MATERIALIZED VIEW ${name};`;
    case 'sequence':
      return `DROP SEQUENCE ${name};`;
    case 'foreign table':
      return `DROP FOREIGN TABLE ${name};`;
    case 'column':
      return `ALTER TABLE ${rel(o.table!)} DROP COLUMN ${quoteIdent(o.name)};`;
    case 'index':
      return `DROP INDEX ${name};`;
    case 'constraint':
      return o.parents.some((p) => p.startsWith('type:'))
        ? `ALTER DOMAIN ${rel(o.table!)} DROP CONSTRAINT ${quoteIdent(o.name)};`
        : `ALTER TABLE ${rel(o.table!)} DROP CONSTRAINT ${quoteIdent(o.name)};`;
    case 'enum':
    case 'composite type':
    case 'range type':
      return `DROP TYPE ${name};`;
    case 'domain':
      return `DROP DOMAIN ${name};`;
    case 'function':
    case 'window function':
      return `DROP FUNCTION ${o.display};`;
    case 'procedure':
      return `DROP PROCEDURE ${o.display};`;
    case 'aggregate':
      return `DROP AGGREGATE ${o.display};`;
    case 'trigger':
      return `DROP TRIGGER ${quoteIdent(o.name)} ON ${rel(o.table!)};`;
    case 'policy':
      return `DROP POLICY ${quoteIdent(o.name)} ON ${rel(o.table!)};`;
    case 'extension':
      return `DROP EXTENSION ${quoteIdent(o.name)};`;
  }
}

function changeRemedy(d: SchemaDifference, downPath: string): string {
  const o = d.object;
  const a = d.attribute!;
  const inDown = `in the down script (\`${downPath}\`)`;
  if (o.kind === 'column') {
    const alter = `ALTER TABLE ${displayRelation(o.table!)} ALTER COLUMN ${quoteIdent(o.name)}`;
    if (a === 'default') return `Restore the default ${inDown}: \`${alter} ${d.before === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${d.before}`};\`.`;
    if (a === 'nullability') return `Restore the nullability ${inDown}: \`${alter} ${d.before === 'NOT NULL' ? 'SET NOT NULL' : 'DROP NOT NULL'};\`.`;
    if (a === 'type') return `Change the type back ${inDown}: \`${alter} TYPE ${d.before};\` (with \`USING\` if the values need converting).`;
  }
  if (o.kind === 'enum' && a === 'values') {
    return (
      'PostgreSQL cannot remove a value from an enum type. Either accept the value as permanent (and say so in the down with a comment), ' +
      `or make the down recreate the type without it: create the old type under a new name, convert every column with \`ALTER COLUMN … TYPE … USING col::text::<new type>\`, drop \`${o.display}\` and rename the new type.`
    );
  }
  if (o.kind === 'constraint' && a === 'validation') return `Recreate the constraint as it was ${inDown} (\`DROP CONSTRAINT\`, then \`ADD CONSTRAINT … ${d.before ?? ''}\`), or keep it validated on purpose and remove it from the down.`;
  const previous = d.before !== undefined && d.before.length <= LONG && a !== 'body' ? `: ${code(d.before)}` : '';
  return `Make the down restore the ${a} the ${o.kind} had before the up${previous} ${inDown}${o.kind.endsWith('function') || o.kind === 'procedure' ? ', with CREATE OR REPLACE and the previous definition' : ''}.`;
}

/** Where PostgreSQL's error position points in the statement (1-based character offset), else the statement. */
export function errorRange(stmt: SqlStatement, position: number | undefined): Range {
  if (position === undefined) return stmt.range;
  const offset = stmt.range.start + position - 1;
  const token = stmt.tokens.find((t) => t.start <= offset && offset < t.end);
  return token ? { start: token.start, end: token.end } : stmt.range;
}

/** The `down-reverses-up` findings of one proof, each with the script it belongs to. */
export function reversalFindings(proof: ReversalProof, label: string): ReversalFinding[] {
  const m = proof.migration;
  const down = m.down!;
  const up = m.up;
  const out: ReversalFinding[] = [];
  const replayed = `Plumbline replayed the migrations up to this one on ${label}, then this up and its down, and compared the schema with the one before the up`;

  if (proof.outcome === 'down-fails' && proof.failure) {
    const { stmt, error, partial } = proof.failure;
    out.push({
      script: down,
      input: {
        stmt,
        range: errorRange(stmt, error.position),
        message: `The down migration fails when it runs right after its up: ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}.`,
        why:
          `${error.detail ? `${error.detail} ` : ''}Plumbline replayed the migrations up to this one on ${label}, then this up and its down: PostgreSQL rejected this statement, so a rollback stops here` +
          (partial ? ', with the statements before it already applied,' : '') +
          ' and the database stays on the new version until someone repairs it by hand.',
        remedy:
          `${error.hint ? `${error.hint} ` : ''}Make the down run against the schema the up leaves: undo the up's statements in reverse order, naming the objects as the up created them. ` +
          "If the migration cannot be undone, say so: `DO $$ BEGIN RAISE EXCEPTION 'irreversible'; END $$;` (the proof accepts that).",
        properties: { proof: 'replay', change: 'down fails', ...(error.code ? { sqlstate: error.code } : {}), replayedOn: label },
      },
    });
    return out;
  }
  if (proof.outcome !== 'differs') return out;

  const upStatements = parseScript(up).statements;
  const downStatements = parseScript(down).statements;
  for (const d of proof.differences) {
    // Who did it: a removed object is looked for in the down first (it dropped too much), anything else
    // in the up (it created or changed it); then the other script; then the up's first statement.
    const order: Array<[MigrationScript, SqlStatement[], boolean]> =
      d.change === 'removed' ? [[down, downStatements, false], [up, upStatements, true]] : [[up, upStatements, true], [down, downStatements, false]];
    let script: MigrationScript = up;
    let stmt: SqlStatement | undefined;
    for (const [sc, list, own] of order) {
      stmt = locate(d, list, own);
      if (stmt) {
        script = sc;
        break;
      }
    }
    stmt ??= upStatements[0];
    if (!stmt) continue;
    const by = script === up ? 'up' : 'down';
    const o = d.object;
    const message = differenceSentence(d, by);
    let why: string;
    let remedy: string;
    if (d.change === 'left behind') {
      why =
        `${replayed}. After a rollback with this down the ${o.kind} is still there while the migration tool records the version as reverted, so applying the up again fails with "already exists" (unless it says IF NOT EXISTS)` +
        (o.kind === 'column'
          ? ', and the previous application version runs against a column it does not know (a NOT NULL column without a default rejects its inserts).'
          : o.kind === 'constraint' || o.kind === 'trigger' || o.kind === 'policy'
            ? `, and the ${o.kind} still applies to the previous application version's writes.`
            : '.');
      remedy =
        by === 'down'
          ? `Remove the statement that creates it from the down script (\`${down.file.relPath}\`): the down should only undo what the up did.`
          : `Add \`${dropSql(o, d.contents)}\` to the down script (\`${down.file.relPath}\`), in reverse order of creation${d.contents?.length ? '; it removes what goes with it too' : ''}.`;
    } else if (d.change === 'removed') {
      why =
        `${replayed}. The previous application version still expects this ${o.kind}` +
        (o.kind === 'table' || o.kind === 'partitioned table' || o.kind === 'column' || o.kind === 'materialized view' ? ', and a rollback deletes its data with it.' : '.');
      remedy =
        by === 'down'
          ? `Drop only what the up created: remove the statement that drops \`${o.display}\` from the down script (\`${down.file.relPath}\`), or recreate it exactly as it was.`
          : `Make the down recreate \`${o.display}\` as it was (its rows are gone with the up anyway), or, if this migration is one-way, make the down say so: \`DO $$ BEGIN RAISE EXCEPTION 'irreversible'; END $$;\`.`;
    } else {
      why = `${replayed}. A rollback leaves the ${d.attribute} changed, so the previous application version runs against a schema it was not written for.`;
      if (o.kind === 'enum' && d.attribute === 'values') why = `${replayed}. The value stays after a rollback: PostgreSQL has no \`ALTER TYPE … DROP VALUE\`, so the previous application version can read rows carrying a value it does not know.`;
      remedy = changeRemedy(d, down.file.relPath);
    }
    const properties: Record<string, string> = { proof: 'replay', change: d.change, kind: o.kind, object: o.table && o.kind !== 'column' ? `${displayRelation(o.table)}.${o.name}` : o.display, replayedOn: label };
    if (d.attribute) {
      properties.attribute = d.attribute;
      properties.before = d.before === undefined ? (UNSET[d.attribute] ?? 'none') : trim(d.before);
      properties.after = d.after === undefined ? (UNSET[d.attribute] ?? 'none') : trim(d.after);
    }
    out.push({
      script,
      input: {
        stmt,
        message,
        why,
        remedy,
        related: [{ file: script === up ? down.file : up.file, range: (script === up ? downStatements[0] : upStatements[0])?.range ?? { start: 0, end: 0 }, message: script === up ? 'The down script replayed after this up.' : 'The up script this down should reverse.' }],
        properties,
      },
    });
  }
  return out;
}
