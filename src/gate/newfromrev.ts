import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onInterrupt, yieldToSignals } from '../interrupt.js';
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
  // Ctrl-C would otherwise leave the whole export behind. Registered first, so that the folder never
  // exists without it. Files are written by this thread, between reads of git's output: none is
  // half-written when it runs.
  const forget = onInterrupt(() => {
    stopExport.abort();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });
  try {
    tmp = mkdtempSync(path.join(tmpdir(), 'gohazard-rev-'));
    await exportGoFiles(r.top, r.commit, tmp, stopExport.signal);
    const cwdAtRev = path.join(tmp, r.relCwd);
    // The folder may not exist at REV (it is new): then REV simply has no findings there.
    mkdirSync(cwdAtRev, { recursive: true });
    const result = await analyzeAt(cwdAtRev, r.patterns);
    // A signal that came during the analysis is handled here, while the folder is still registered.
    await yieldToSignals();
    return result;
  } finally {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    forget();
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
  // Git's object store takes any name (`git mktree` writes `..`); checkout refuses such a tree, and so does this.
  const unsafe = blobs.find((b) => !isSafePath(b.path));
  if (unsafe) throw new UsageError(`--new-from-rev: ${commit.slice(0, 12)} has a path git would not check out: ${JSON.stringify(unsafe.path)}`);
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
  dropLinksOut(dest, writer.links);
}

/** Relative, and every part a plain name: no `..`, `.`, empty part (`a//b`) or backslash (a separator on Windows). */
function isSafePath(file: string): boolean {
  return !file.includes('\\') && file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
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
  const links: string[] = [];
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
        const link = blob && writeBlob(dest, blob.path, blob.mode, pending.subarray(0, size));
        if (link !== undefined) links.push(link);
        pending = pending.subarray(size + 1);
        size = -1;
      }
    },
    written: () => next,
    links,
  };
}

/**
 * Writes one blob at `rel` (checked by isSafePath) under `dest`, never outside it: each folder on the way
 * is made here and must be a real folder, not a symlink an earlier entry wrote (`mkdir -p` would follow
 * it out), and the file is created exclusively (O_EXCL does not follow a symlink in its place). Returns
 * the path of a symlink it made, for dropLinksOut.
 */
function writeBlob(dest: string, rel: string, mode: string, bytes: Buffer): string | undefined {
  const parts = rel.split('/');
  let dir = dest;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st) mkdirSync(dir);
    else if (!st.isDirectory()) return undefined;
  }
  const file = path.join(dir, parts.at(-1)!);
  // A second entry of the same name (a tree git itself would call broken) keeps the first.
  if (lstatSync(file, { throwIfNoEntry: false })) return undefined;
  if (mode !== '120000') return void writeFileSync(file, bytes, { flag: 'wx' });
  // A symlink's blob is its target, as git checks it out.
  symlinkSync(bytes.toString('utf8'), file);
  return file;
}

/**
 * Removes the symlinks that resolve outside `dest` (or nowhere): what they point at is not part of REV,
 * and the analysis would read it. Checked once all are written, as one link can lead through another.
 */
function dropLinksOut(dest: string, links: readonly string[]): void {
  // The kernel's resolution: the JS realpathSync folds `link/..` by name, as if the link were a folder there.
  const root = realpathSync.native(dest);
  for (const link of links) {
    let real: string | undefined;
    try {
      real = realpathSync.native(link);
    } catch {
      real = undefined;
    }
    if (real === undefined || (real !== root && !real.startsWith(root + path.sep))) rmSync(link, { force: true });
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
