/**
 * The lock timeline of the text report (`check --replay`): per replayed migration, its statements in
 * order with the line, a short summary, the relations each locked and in which mode, the rewrites, and
 * what traffic waits behind the lock, in words. Migrations that made nobody wait are folded into one line.
 * Pure: built from `result.replay`, no durations (they differ from run to run), except with
 * `--replay-rows`, where a rewrite or an ACCESS EXCLUSIVE lock on a seeded table shows its cost at that size.
 */
import type pc from 'picocolors';
import type { CheckResult } from '../check.js';
import { blockedBy, displayRelation, locksOf, strongest, type LockMode } from '../locks/lock-table.js';
import type { ScriptReplay, SetReplay, StatementObservation } from '../replay/replay.js';
import type { ReversalProof } from '../replay/reversal.js';

type Colors = ReturnType<typeof pc.createColors>;

const SUMMARY_WIDTH = 44;

/** One line per lock (or one line saying there is none) of a statement. */
interface Row {
  line: string;
  summary: string;
  relation: string;
  mode: string;
  waits: string;
  note: string;
  /** Strongest mode on the row, for colour. */
  level?: LockMode;
  dim?: boolean;
}

/** What waits behind a lock mode, in words (from the lock table's conflict matrix). */
export function waitsBehind(mode: LockMode): string {
  const b = blockedBy(mode);
  if (b.reads) return 'reads and writes wait';
  if (b.writes) return 'writes wait';
  if (b.ddl) return 'only schema changes wait';
  return 'no reads or writes wait';
}

/** `ALTER TABLE orders ADD COLUMN shipping_country char(2) NOT NULL` → at most SUMMARY_WIDTH characters. */
function summarize(text: string): string {
  const flat = text
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length <= SUMMARY_WIDTH ? flat : `${chars.slice(0, SUMMARY_WIDTH - 1).join('')}…`;
}

/** `rewrites users (and 3 indexes)`: tables and materialized views by name, indexes counted. */
function rewriteWords(o: StatementObservation): string {
  if (o.rewrites.length === 0) return '';
  const named = o.rewrites.filter((w) => !w.kind.includes('index')).map((w) => displayRelation(w.relation));
  const indexes = o.rewrites.length - named.length;
  const counted = indexes ? `${indexes} ${indexes === 1 ? 'index' : 'indexes'}` : '';
  return `rewrites ${named.length ? `${named.join(', ')}${counted ? ` (and ${counted})` : ''}` : counted}`;
}

/** `--replay-rows`: `rewrites orders, 240 ms at 10,000 rows`, or `held 3 ms at 10,000 rows` without a rewrite. */
function costWords(o: StatementObservation): string {
  const words = rewriteWords(o);
  if (o.seededRows === undefined) return words;
  const cost = `${Math.round(o.durationMs)} ms at ${o.seededRows.toLocaleString('en-US')} ${o.seededRows === 1 ? 'row' : 'rows'}`;
  return words ? `${words}, ${cost}` : `held ${cost}`;
}

/**
 * The rows of one statement. `held`: an earlier statement of the same open transaction took a lock that
 * makes others wait (it is still held).
 */
function rowsOf(o: StatementObservation, script: ScriptReplay, pgVersion: number, held: boolean, fresh: Set<string>): Row[] {
  const line = String(script.script.file.position(o.stmt.range.start).line);
  const summary = summarize(o.stmt.text);
  const rewrites = costWords(o);
  if (o.error) return [{ line, summary, relation: '', mode: '', waits: '', note: `failed: ${o.error.message}` }];
  if (o.ran === 'control') return [{ line, summary, relation: '', mode: '', waits: '', note: '', dim: true }];
  if (o.ran === 'outside-transaction') {
    // Released before anyone can look: show what the lock table predicts for it.
    const predicted = locksOf(o.stmt, pgVersion);
    const mode = strongest(predicted.map((l) => l.mode));
    const relation = predicted[0] ? displayRelation(predicted[0].relation) : '';
    const note = [mode ? 'mode from the lock table (not observable outside a transaction)' : 'locks not observable outside a transaction', rewrites].filter(Boolean).join('; ');
    return [{ line, summary, relation, mode: mode ?? '', waits: mode ? waitsBehind(mode) : '', note, level: mode }];
  }
  const rows: Row[] = (o.blocking ?? []).map(({ relation, mode }, i) => {
    // Created earlier in the same open transaction: no other session can see it yet, so nobody waits.
    const unseen = fresh.has(relation);
    return {
      line: i === 0 ? line : '',
      summary: i === 0 ? summary : '',
      relation: displayRelation(relation),
      mode,
      waits: unseen ? 'nobody waits (new, uncommitted)' : waitsBehind(mode),
      note: i === 0 ? rewrites : '',
      level: unseen ? undefined : mode,
    };
  });
  if (rows.length === 0) {
    const none = held ? 'no new lock (earlier ones still held)' : 'no lock that makes anyone wait';
    rows.push({ line, summary, relation: '', mode: '', waits: '', note: rewrites ? `${none}; ${rewrites}` : none, dim: !rewrites });
  }
  return rows;
}

function proofLine(p: ReversalProof): string | undefined {
  switch (p.outcome) {
    case 'reverses':
      return 'down: replayed after the up, restores the schema';
    case 'differs':
      return `down: replayed after the up, does not restore the schema (${p.differences.length} ${p.differences.length === 1 ? 'difference' : 'differences'}: see down-reverses-up)`;
    case 'down-fails':
      return `down: fails when replayed after the up (${p.failure?.error.message ?? 'error'})`;
    case 'refused':
      return 'down: refuses on purpose (RAISE EXCEPTION): the migration is one-way';
    case 'unavailable':
      return `down: not proven, the replay database cannot run it (${p.failure?.error.message ?? 'error'})`;
  }
}

function interesting(script: ScriptReplay, proof: ReversalProof | undefined): boolean {
  if (proof && proof.outcome !== 'reverses') return true;
  // Relations created by the script itself (a table, then its comment) make nobody wait: ignore them here.
  const created = new Set(script.statements.flatMap((o) => (o.locks ?? []).filter((l) => l.created).map((l) => l.relation)));
  return script.statements.some(
    (o) => o.error || o.rewrites.length > 0 || o.ran === 'outside-transaction' || (o.blocking ?? []).some((l) => !created.has(l.relation)),
  );
}

function transactionWords(script: ScriptReplay): string {
  if (script.wrapped) return 'one transaction: locks held until COMMIT';
  const explicit = script.statements.some((o) => o.ran === 'transaction');
  return explicit ? 'its own BEGIN … COMMIT: locks inside held until COMMIT' : 'statement by statement: each lock held while its statement runs';
}

/** The timeline lines (no trailing blank line), or none when replay did not run. */
export function timelineLines(result: CheckResult, c: Colors): string[] {
  const replay = result.replay;
  if (!replay || replay.sets.length === 0) return [];
  const out: string[] = [c.bold(`Lock timeline (replayed on ${replay.label})`)];
  for (const set of replay.sets) out.push(...setLines(set, result.pgVersion, c, replay.sets.length > 1));
  return out;
}

function setLines(set: SetReplay, pgVersion: number, c: Colors, named: boolean): string[] {
  const out: string[] = [];
  if (named) out.push('', c.bold(`${set.set.root} (${set.set.framework})`));
  const proofs = new Map(set.reversals.map((p) => [p.migration, p]));
  const quiet: string[] = [];
  const blocks: Array<{ script: ScriptReplay; rows: Row[]; proof?: ReversalProof }> = [];
  for (const script of set.scripts) {
    const proof = proofs.get(script.migration);
    if (!interesting(script, proof)) {
      quiet.push(script.script.file.relPath.split('/').pop()!);
      continue;
    }
    const rows: Row[] = [];
    // Inside an open transaction: whether earlier statements hold a lock that makes others wait, and the
    // relations they created (invisible to other sessions until COMMIT).
    let held = false;
    const fresh = new Set<string>();
    for (const o of script.statements) {
      rows.push(...rowsOf(o, script, pgVersion, held, fresh));
      if (o.ran === 'transaction') {
        if ((o.blocking ?? []).some((l) => !fresh.has(l.relation))) held = true;
        for (const l of o.locks ?? []) if (l.created) fresh.add(l.relation);
      } else if (o.ran !== 'control' || (o.stmt.kind === 'TransactionStmt' && /COMMIT|ROLLBACK|PREPARE/.test(o.stmt.node.kind))) {
        held = false;
        fresh.clear();
      }
    }
    blocks.push({ script, rows, proof });
  }
  // One set of column widths for the whole set, so that the blocks line up with each other.
  const all = blocks.flatMap((b) => b.rows);
  const width = (pick: (r: Row) => string) => Math.max(0, ...all.map((r) => [...pick(r)].length));
  const w = { line: Math.max(4, width((r) => r.line)), summary: width((r) => r.summary), relation: width((r) => r.relation), mode: width((r) => r.mode), waits: width((r) => r.waits) };
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));
  for (const b of blocks) {
    out.push('');
    out.push(`${c.bold(b.script.script.file.relPath)}  ${c.dim(`(${transactionWords(b.script)})`)}`);
    for (const r of b.rows) {
      const colour = (s: string) => {
        if (r.note.startsWith('failed')) return c.red(s);
        if (!r.level) return r.dim ? c.dim(s) : s;
        const blocked = blockedBy(r.level);
        return blocked.reads ? c.red(s) : blocked.writes ? c.yellow(s) : s;
      };
      const cells = [
        r.line.padStart(w.line),
        pad(r.summary, w.summary),
        pad(r.relation, w.relation),
        colour(pad(r.mode, w.mode)),
        colour(pad(r.waits, w.waits)),
        r.note.startsWith('failed') ? c.red(r.note) : r.note.includes('rewrites') ? c.magenta(r.note) : c.dim(r.note),
      ];
      // A statement without a lock to show: its note starts where the relation column does.
      if (!r.relation && !r.mode) cells.splice(2, 3);
      const text = cells.join('  ').replace(/\s+$/, '');
      out.push(r.dim && !r.level ? c.dim(text) : text);
    }
    const words = b.proof && proofLine(b.proof);
    if (words) out.push(`${' '.repeat(w.line + 2)}${b.proof!.outcome === 'reverses' ? c.dim(words) : c.yellow(words)}`);
  }
  if (quiet.length) {
    const names = quiet.length > 6 ? `${quiet.slice(0, 6).join(', ')} and ${quiet.length - 6} more` : quiet.join(', ');
    out.push('', c.dim(`No lock that makes anyone wait, no rewrite: ${names}.`));
  }
  const stop = set.stop;
  if (stop) {
    const where = stop.stmt ? `${stop.migration.up.file.relPath} line ${stop.migration.up.file.position(stop.stmt.range.start).line}` : stop.migration.up.file.relPath;
    const what = stop.reason === 'syntax' ? 'it does not parse; it and the migrations after it are' : stop.reason === 'restore' ? 'the migrations after it are' : 'the statements and migrations after it are';
    out.push('', c.yellow(`Replay stopped at ${where}: ${what} not in the timeline.`));
  }
  return out;
}
