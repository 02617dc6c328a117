import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../usage-error.js';

/**
 * `--new-from-rev REV`: the findings of the working tree that REV does not have. Line-diff filters miss a
 * hazard that a change causes in a file it did not touch (a new `close` in one file makes an old send in
 * another unsafe), so instead the Go files of REV are exported into a temporary folder — with
 * `git archive`, which reads the object store only: the user's working tree, index and worktree list stay
 * untouched — and analyzed like the working tree, and the two runs are compared by fingerprint.
 *
 * The second analysis is a plain `analyze()` call: with the per-file summary cache (keyed by file content)
 * every file REV shares with the working tree is a cache hit, so the comparison costs little more than one run.
 */

/** A revision checked and its paths mapped, before any analysis runs: bad input fails fast. */
export interface Revision {
  rev: string;
  commit: string;
  /** The checkout's top folder. */
  top: string;
  /** The working directory relative to `top`. */
  relCwd: string;
  /** The patterns, absolute ones made relative to the working directory. */
  patterns: string[];
}

export function resolveRevision(rev: string, cwd: string, patterns: string[]): Revision {
  const top = git(cwd, ['rev-parse', '--show-toplevel'], `--new-from-rev needs a git checkout, and ${cwd} is not in one`);
  const commit = git(cwd, ['rev-parse', '--verify', '-q', `${rev}^{commit}`], `--new-from-rev: unknown revision "${rev}"`);
  const realCwd = realpathSync(cwd);
  const mapped = patterns.map((p) => {
    if (!path.isAbsolute(p) && !p.split(/[\\/]/).includes('..')) return p;
    // An absolute or upward pattern must stay inside the checkout; it is rewritten relative to the working directory.
    const wildcard = p === '...' || p.endsWith('/...') ? '/...' : '';
    const abs = path.resolve(realCwd, wildcard ? p.slice(0, -wildcard.length) || '/' : p);
    const rel = path.relative(top, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`--new-from-rev: ${p} is outside the git checkout ${top}`);
    return (path.relative(realCwd, abs) || '.') + wildcard;
  });
  return { rev, commit, top, relCwd: path.relative(top, realCwd), patterns: mapped };
}

/**
 * Runs `analyzeAt` on the tree of the revision, with the working directory and patterns mapped to the
 * same places inside it, and removes the temporary folder afterwards, also on failure or interruption.
 */
export async function atRevision<T>(r: Revision, analyzeAt: (cwd: string, patterns: string[]) => Promise<T>): Promise<T> {
  const stopExport = new AbortController();
  let tmp: string | undefined;
  // Node dies at once on SIGINT or SIGTERM, skipping `finally`: Ctrl-C would leave the whole export behind.
  // The listener comes first, so that the folder never exists without it.
  const interrupted = (signal: NodeJS.Signals) => {
    // A signal sent to gohazard alone (not Ctrl-C, which reaches the whole process group) leaves tar
    // extracting into the folder; killing it is not instant, so the removal retries if the folder refills.
    stopExport.abort();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
    process.exit(128 + constants.signals[signal]);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    tmp = mkdtempSync(path.join(tmpdir(), 'gohazard-rev-'));
    await exportGoFiles(r.top, r.commit, tmp, stopExport.signal);
    const cwdAtRev = path.join(tmp, r.relCwd);
    // The folder may not exist at REV (it is new): then REV simply has no findings there.
    mkdirSync(cwdAtRev, { recursive: true });
    return await analyzeAt(cwdAtRev, r.patterns);
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Exports the Go files of `commit` (and go.mod / go.work); nothing else: a large repository's assets would only cost time. */
async function exportGoFiles(top: string, commit: string, dest: string, signal: AbortSignal): Promise<void> {
  const names = spawnSync('git', ['ls-tree', '-r', '--name-only', '-z', commit], { cwd: top, encoding: 'utf8', maxBuffer: 1 << 30 });
  const files = names.stdout.split('\0');
  if (!files.some((f) => f.endsWith('.go'))) return;
  // git archive fails on a pathspec that matches nothing, so name go.mod and go.work only when REV has them.
  const specs = [':(glob)**/*.go', ...['go.mod', 'go.work'].filter((n) => files.some((f) => f === n || f.endsWith(`/${n}`))).map((n) => `:(glob)**/${n}`)];
  const archive = spawn('git', ['archive', '--format=tar', commit, '--', ...specs], { cwd: top, stdio: ['ignore', 'pipe', 'pipe'], signal });
  const tar = spawn('tar', ['-x', '-f', '-', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'], signal });
  archive.stdout.pipe(tar.stdin);
  let errors = '';
  archive.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const [a, t] = await Promise.all([exited(archive, 'git'), exited(tar, 'tar')]);
  if (a !== 0 || t !== 0) {
    throw new UsageError(`--new-from-rev: cannot export ${commit.slice(0, 12)}: ${errors.trim().split('\n')[0] || 'git archive failed'}`);
  }
}

function exited(child: ChildProcess, what: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new UsageError(`--new-from-rev: cannot run ${what}: ${err.message}`)));
    child.on('close', resolve);
  });
}

function git(cwd: string, args: string[], failure: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.error) throw new UsageError(`--new-from-rev: cannot run git: ${r.error.message}`);
  const out = r.status === 0 ? r.stdout.trim() : '';
  if (!out) throw new UsageError(failure);
  return out;
}
