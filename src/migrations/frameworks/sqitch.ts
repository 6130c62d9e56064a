/**
 * Sqitch: `sqitch.plan` lists the changes in deploy order; each change has `deploy/<name>.sql`,
 * `revert/<name>.sql` (its down) and `verify/<name>.sql` (a check, never a migration).
 *
 * Plan syntax: `%pragma=value` lines, change lines
 * `[+|-]name [dependencies] 2024-01-08T10:00:00Z Planner Name <planner@example.com> # note`,
 * tag lines `@v1.0 2024-01-10T12:00:00Z Planner <planner@example.com> # note` (the tag applies to the
 * change above it), blank lines and `#` comments. A reworked change appears again later in the plan;
 * its earlier instance's scripts are `deploy/<name>@<tag>.sql`, for the first tag between the two
 * instances whose file exists.
 *
 * Transactions: Sqitch runs each script with `psql --file` and opens no transaction; the scripts it
 * generates start with `BEGIN;` and end with `COMMIT;` themselves, which the engine sees.
 */
import path from 'node:path';
import { relativePath } from '../../io/read.js';
import type { Migration, MigrationSet } from '../model.js';
import {
  badFrameworkFile,
  type Candidate,
  companion,
  type DiscoverContext,
  fileExists,
  type FrameworkAdapter,
  ignoredFile,
  isSql,
  isUnder,
  migrationId,
  missingFile,
  script,
  setRoot,
  whole,
} from './common.js';

const REASON = "Sqitch runs the script with psql and opens no transaction; only the script's own BEGIN/COMMIT do";
const DIRS = ['deploy', 'revert', 'verify'];

export interface PlanChange {
  name: string;
  /** `+` deploy (the default) or `-` revert. */
  operator: '+' | '-';
  dependencies: string[];
  timestamp: string;
  planner: string;
  email: string;
  note: string;
  /** Tags applied to this change (`@v1.0`), in plan order. */
  tags: string[];
  /** 1-based line in the plan. */
  line: number;
}

export interface Plan {
  pragmas: Record<string, string>;
  changes: PlanChange[];
  errors: Array<{ line: number; message: string }>;
}

const CHANGE = /^([+-])?([^\s@#:\\[\]]+)(?:\s+\[([^\]]*)\])?\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\s+(.*?)\s*<([^>]*)>\s*(?:#\s?(.*))?$/;
const TAG = /^@([^\s@#:\\]+)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\s+(.*?)\s*<([^>]*)>\s*(?:#\s?(.*))?$/;
const PRAGMA = /^%\s*([^\s=]+)\s*=\s*(.*?)\s*$/;

export function parsePlan(text: string): Plan {
  const plan: Plan = { pragmas: {}, changes: [], errors: [] };
  text.split(/\r?\n|\r/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let m: RegExpExecArray | null;
    if ((m = PRAGMA.exec(line))) {
      plan.pragmas[m[1]] = m[2];
    } else if ((m = TAG.exec(line))) {
      const last = plan.changes[plan.changes.length - 1];
      if (last) last.tags.push(m[1]);
      else plan.errors.push({ line: i + 1, message: `tag @${m[1]} comes before any change` });
    } else if ((m = CHANGE.exec(line))) {
      plan.changes.push({
        operator: (m[1] as '+' | '-' | undefined) ?? '+',
        name: m[2],
        dependencies: (m[3] ?? '').split(/\s+/).filter(Boolean),
        timestamp: m[4],
        planner: m[5],
        email: m[6],
        note: m[7] ?? '',
        tags: [],
        line: i + 1,
      });
    } else {
      plan.errors.push({ line: i + 1, message: `line ${i + 1} is neither a pragma, a change nor a tag` });
    }
  });
  return plan;
}

/**
 * The script name of each change instance: the last instance of a name uses `<name>`, an earlier
 * (reworked) instance `<name>@<tag>` for the first tag between it and the next instance whose deploy
 * script exists (else the first of those tags).
 */
export function scriptNames(plan: Plan, deployExists: (scriptName: string) => boolean): string[] {
  const names: string[] = [];
  plan.changes.forEach((change, i) => {
    const next = plan.changes.findIndex((c, j) => j > i && c.name === change.name);
    if (next < 0) {
      names.push(change.name);
      return;
    }
    const tags = plan.changes.slice(i, next).flatMap((c) => c.tags);
    const candidates = tags.map((t) => `${change.name}@${t}`);
    names.push(candidates.find(deployExists) ?? candidates[0] ?? change.name);
  });
  return names;
}

export const sqitchAdapter: FrameworkAdapter = {
  id: 'sqitch',
  detect(pool) {
    const roots = new Set<string>();
    for (const f of pool) {
      if (path.basename(f) === 'sqitch.plan') roots.add(path.dirname(f));
      // A script given on its own: the plan sits beside its deploy/revert/verify folder.
      else if (isSql(f) && DIRS.includes(path.basename(path.dirname(f))) && fileExists(path.join(path.dirname(path.dirname(f)), 'sqitch.plan'))) {
        roots.add(path.dirname(path.dirname(f)));
      }
    }
    return [...roots].sort().map((root) => ({
      framework: 'sqitch' as const,
      root,
      files: pool.filter((f) => path.dirname(f) === root || DIRS.some((d) => isUnder(f, path.join(root, d)))),
      detectedBy: 'sqitch.plan',
    }));
  },
  build(candidate, ctx) {
    const set = buildSet(candidate, ctx);
    return set ? [set] : [];
  },
};

function buildSet(candidate: Candidate, ctx: DiscoverContext): MigrationSet | undefined {
  const root = setRoot(ctx, candidate.root);
  const planPath = path.join(candidate.root, 'sqitch.plan');
  const text = ctx.readText(planPath);
  if (text === undefined) {
    badFrameworkFile(ctx, planPath, 'the file is missing or unreadable, so the order of the changes is unknown');
    return undefined;
  }
  const plan = parsePlan(text);
  for (const e of plan.errors) badFrameworkFile(ctx, planPath, `${e.message}; the line is skipped`);
  const collected = new Set(candidate.files);
  const deployPath = (name: string) => path.join(candidate.root, 'deploy', `${name}.sql`);
  const names = scriptNames(plan, (name) => companion(ctx, deployPath(name)) !== undefined);
  plan.changes.forEach((change, i) => {
    const next = plan.changes.findIndex((c, j) => j > i && c.name === change.name);
    if (next >= 0 && names[i] === change.name) {
      ctx.notifications.push({
        id: 'duplicate-version',
        level: 'error',
        path: relativePath(ctx.root, planPath),
        message:
          `sqitch.plan plans \`${change.name}\` twice (lines ${change.line} and ${plan.changes[next].line}) with no tag between them: ` +
          'Sqitch only accepts a reworked change after a tag. Both instances are checked, with the same scripts.',
      });
    }
  });
  for (const f of candidate.files) {
    if (isSql(f) && path.dirname(f) === path.join(candidate.root, 'deploy') && !names.includes(path.basename(f, '.sql'))) {
      ignoredFile(ctx, f, 'sqitch.plan does not plan this change, so Sqitch never deploys it');
    }
  }
  const migrations: Migration[] = [];
  plan.changes.forEach((change, i) => {
    const name = names[i];
    if (change.operator === '-') {
      ctx.notifications.push({
        id: 'bad-framework-file',
        level: 'note',
        path: relativePath(ctx.root, planPath),
        message: `sqitch.plan line ${change.line} reverts \`${change.name}\` (\`-\` operator); Plumbline does not replay reverts inside a plan, so the change is skipped.`,
      });
      return;
    }
    const deploy = deployPath(name);
    if (!collected.has(deploy)) {
      // Only the given scripts are checked; a missing script is reported when the whole project was given.
      if (!ctx.isIgnored(deploy) && !companion(ctx, deploy) && collected.has(planPath)) {
        missingFile(ctx, migrationId(root, `deploy/${name}.sql`), `sqitch.plan line ${change.line} plans \`${change.name}\`, but \`${migrationId(root, `deploy/${name}.sql`)}\` does not exist`);
      }
      return;
    }
    const up = ctx.read(deploy);
    if (!up) return;
    const migration: Migration = {
      id: migrationId(root, name),
      version: String(i + 1),
      name,
      framework: 'sqitch',
      kind: 'versioned',
      up: script(up, whole(up), false, REASON),
      downSupported: true,
    };
    const revertPath = companion(ctx, path.join(candidate.root, 'revert', `${name}.sql`));
    const revert = revertPath ? ctx.read(revertPath) : undefined;
    if (revert) migration.down = script(revert, whole(revert), false, REASON);
    migrations.push(migration);
  });
  return { root, framework: 'sqitch', migrations, detectedBy: candidate.detectedBy };
}
