import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../usage-error.js';

/**
 * `--new-from-rev REV`: the findings of the working tree that REV does not have. Line-diff filters miss a
 * hazard that a change causes in a file it did not touch (a new `close` in one file makes an old send in
 * another unsafe), so instead the Go files of REV are exported into a temporary folder — read from the
 * object store only: the user's working tree, index and worktree list stay untouched — and analyzed like the working tree, and the two runs are compared by fingerprint.
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
    // Files are written by this process, between reads of git's output: none is half-written when this runs.
    stopExport.abort();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
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

/**
 * Writes the Go files of `commit` (and go.mod / go.work) into `dest`; nothing else: a large repository's
 * assets would only cost time. Blobs are read with `git cat-file --batch`, not `git archive`: archive
 * honours `export-ignore`, and a path left out of REV would make its old findings look new.
 */
async function exportGoFiles(top: string, commit: string, dest: string, signal: AbortSignal): Promise<void> {
  const listing = spawnSync('git', ['ls-tree', '-r', '-z', '--full-tree', commit], { cwd: top, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (listing.status !== 0) throw new UsageError(`--new-from-rev: cannot list ${commit.slice(0, 12)}: ${listing.stderr.trim().split('\n')[0] ?? ''}`);
  const blobs = listing.stdout
    .split('\0')
    .map((line) => /^(\d+) blob ([0-9a-f]+)\t(.+)$/s.exec(line))
    .flatMap((m) => (m?.[1] && m[2] && m[3] && isWanted(m[3]) ? [{ mode: m[1], sha: m[2], path: m[3] }] : []));
  if (!blobs.some((b) => b.path.endsWith('.go'))) return;
  const cat = spawn('git', ['cat-file', '--batch'], { cwd: top, stdio: ['pipe', 'pipe', 'pipe'], signal });
  let errors = '';
  cat.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const writer = blobWriter(dest, blobs);
  cat.stdout.on('data', (chunk: Buffer) => writer.push(chunk));
  cat.stdin.on('error', () => undefined); // git died early: its exit status says why.
  cat.stdin.end(blobs.map((b) => `${b.sha}\n`).join(''));
  const code = await exited(cat, 'git');
  if (code !== 0 || writer.written() !== blobs.length) {
    throw new UsageError(`--new-from-rev: cannot read the files of ${commit.slice(0, 12)}: ${errors.trim().split('\n')[0] || 'git cat-file failed'}`);
  }
}

function isWanted(file: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return file.endsWith('.go') || base === 'go.mod' || base === 'go.work';
}

/** Parses `git cat-file --batch` output (`<sha> blob <size>\n<bytes>\n` per object, in request order) into files. */
function blobWriter(dest: string, blobs: readonly { mode: string; path: string }[]) {
  let pending: Buffer = Buffer.alloc(0);
  let size = -1;
  let next = 0;
  let broken = false;
  return {
    push(chunk: Buffer) {
      if (broken) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (size < 0) {
          const eol = pending.indexOf(10);
          if (eol === -1) return;
          size = Number(/ (\d+)$/.exec(pending.subarray(0, eol).toString('utf8'))?.[1] ?? NaN);
          // A missing object (`<sha> missing`) ends the export; the count of files written reports it.
          if (Number.isNaN(size)) {
            broken = true;
            return;
          }
          pending = pending.subarray(eol + 1);
        }
        if (pending.length < size + 1) return;
        const blob = blobs[next++];
        if (blob) writeBlob(path.join(dest, blob.path), blob.mode, pending.subarray(0, size));
        pending = pending.subarray(size + 1);
        size = -1;
      }
    },
    written: () => next,
  };
}

function writeBlob(file: string, mode: string, bytes: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // A symlink's blob is its target, as git checks it out.
  if (mode === '120000') symlinkSync(bytes.toString('utf8'), file);
  else writeFileSync(file, bytes);
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
