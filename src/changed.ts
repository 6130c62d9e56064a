/**
 * `check --changed-since <ref>`: report only on the files a branch changes, for adopting Plumbline on a
 * codebase whose old migrations nobody will rewrite. Documented in docs/output.md ("Only what a branch changes").
 *
 * The changed files are, relative to the repository root:
 *   - `git diff --name-only <ref>...HEAD`: every file changed by the commits since the branch left `<ref>`
 *     (the diff from the merge base of `<ref>` and HEAD to HEAD, what a pull request shows), and
 *   - `git diff --name-only HEAD`: uncommitted changes to tracked files, staged or not, and
 *   - `git ls-files --others --exclude-standard`: untracked files that are not ignored,
 * so the same command works in CI (a clean checkout) and on a laptop before committing.
 *
 * The analysis itself is not narrowed: every migration is still replayed, because the earlier ones
 * define the tables the changed ones alter (whether a table is new or existing, its columns and
 * indexes). Only the FINDINGS are filtered afterwards, by the file they are in. Schema-family findings
 * (about the final catalog) are kept wherever they point. Notifications about inputs are kept when they
 * are errors or name no file; warnings and notes about an unchanged file are left out like its findings.
 *
 * Git runs as a child process (`git` on PATH) with a timeout; any failure (no git, not a repository,
 * an unknown ref, no merge base in a shallow clone) is a ConfigError: exit code 2 and a message.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from './check.js';
import { ConfigError } from './config/config.js';
import type { Finding, Notification } from './core/finding.js';
import { fingerprints } from './reporters/fingerprint.js';

/** What `--changed-since` did, for reporters (json `summary.changedSince`, markdown). */
export interface ChangedSince {
  /** The ref as given on the command line. */
  ref: string;
  /** Every changed path under git, relative to the analysis root (forward slashes), sorted. */
  changed: string[];
  /** The analysed files among them: the files whose findings are reported. Sorted. */
  files: string[];
  /** Findings left out because they are in unchanged files. */
  hidden: number;
}

const GIT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

interface GitOutput {
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8', windowsHide: true, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

function gitMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; signal?: string };
  if (e.killed || e.signal === 'SIGTERM') return `git did not answer within ${GIT_TIMEOUT_MS / 1000} s`;
  const stderr = (e.stderr ?? '').trim().split(/\r?\n/).filter(Boolean);
  return stderr.length ? stderr.join(' ') : e.message;
}

/** Splits `-z` output (NUL-terminated paths). */
function paths(out: string): string[] {
  return out.split('\0').filter(Boolean);
}

/**
 * The files changed since `ref`, relative to `root` (forward slashes), sorted. Throws ConfigError
 * with an actionable message when git cannot answer.
 */
export async function changedFiles(ref: string, root: string): Promise<string[]> {
  const flag = '--changed-since';
  if (!ref.trim()) throw new ConfigError(`${flag} needs a git revision (a branch, tag or commit), for example \`${flag} origin/main\`.`);
  // A ref starting with `-` would be read by git as an option.
  if (ref.startsWith('-')) throw new ConfigError(`${flag}: \`${ref}\` is not a git revision.`);
  let top: string;
  try {
    top = (await git(['rev-parse', '--show-toplevel'], root)).stdout.trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`${flag} runs git, which was not found on PATH (or the analysis root does not exist).`);
    }
    throw new ConfigError(`${flag}: the analysis root is not inside a git repository (${gitMessage(error)}).`);
  }
  try {
    await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top);
  } catch {
    throw new ConfigError(
      `${flag}: unknown git revision \`${ref}\`. In CI, fetch it first: actions/checkout with \`fetch-depth: 0\`, or \`git fetch origin <branch>\`.`,
    );
  }
  const found = new Set<string>();
  try {
    // Always from the repository's top level: `ls-files` lists paths relative to its working directory.
    for (const p of paths((await git(['diff', '--name-only', '-z', `${ref}...HEAD`, '--'], top)).stdout)) found.add(p);
    for (const p of paths((await git(['diff', '--name-only', '-z', 'HEAD', '--'], top)).stdout)) found.add(p);
    for (const p of paths((await git(['ls-files', '--others', '--exclude-standard', '-z'], top)).stdout)) found.add(p);
  } catch (error) {
    const message = gitMessage(error);
    const hint = /merge base/i.test(message) ? ' The checkout is probably shallow: use actions/checkout with `fetch-depth: 0`.' : '';
    throw new ConfigError(`${flag}: git could not list the changes since \`${ref}\` (${message}).${hint}`);
  }
  const realTop = safeRealpath(top);
  const realRoot = safeRealpath(root);
  const out = new Set<string>();
  for (const p of found) out.add(path.relative(realRoot, path.join(realTop, p)).split(path.sep).join('/'));
  return [...out].sort();
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Relative paths of the files the run analysed (up and down scripts). */
export function analysedFiles(result: CheckResult): Set<string> {
  const files = new Set<string>();
  for (const set of result.sets) {
    for (const m of set.migrations) {
      files.add(m.up.file.relPath);
      if (m.down) files.add(m.down.file.relPath);
    }
  }
  return files;
}

export function compareNotifications(a: Notification, b: Notification): number {
  return (a.path ?? '').localeCompare(b.path ?? '') || a.id.localeCompare(b.id) || a.message.localeCompare(b.message);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Keeps the findings in changed files (and schema-family findings), after a full analysis. Fingerprints
 * are computed on the full list first, so every kept finding has the identity it has in a full run.
 */
export function filterChanged(result: CheckResult, ref: string, changed: string[]): CheckResult {
  const prints = result.fingerprints ?? fingerprints(result.findings);
  const changedSet = new Set(changed);
  const schemaRules = new Set(result.rules.filter((r) => r.family === 'schema').map((r) => r.id));
  const keep = (f: Finding) => changedSet.has(f.file.relPath) || schemaRules.has(f.ruleId);
  const findings = result.findings.filter(keep);
  const hidden = result.findings.length - findings.length;
  const files = [...analysedFiles(result)].filter((p) => changedSet.has(p)).sort();
  const notifications = result.notifications.filter((n) => n.level === 'error' || !n.path || changedSet.has(n.path));
  notifications.push({
    id: 'changed-since',
    level: 'note',
    message:
      `Reported only the ${plural(files.length, 'analysed file')} changed since \`${ref}\` (committed since the branch left it, uncommitted or untracked)` +
      `${hidden ? `: ${plural(hidden, 'finding')} in other files ${hidden === 1 ? 'is' : 'are'} not shown` : ''}. Every migration was still analysed in order.`,
  });
  notifications.sort(compareNotifications);
  return { ...result, findings, notifications, fingerprints: prints, changedSince: { ref, changed: [...changed].sort(), files, hidden } };
}
