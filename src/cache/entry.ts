import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { readRegularFile } from '../readfile.js';

/**
 * One cache entry on disk, as both stores (summaries, runs) keep them: a header line
 * `<magic> <key> <sha1 of payload>`, then the payload. The header makes truncated or corrupt entries
 * detectable without trusting JSON.parse; writes are atomic, so readers never see half an entry.
 */

export type EntryLookup =
  | { kind: 'hit'; payload: string }
  | { kind: 'miss' }
  /** The entry existed but was unusable; it has been removed and should be rebuilt. */
  | { kind: 'corrupt'; reason: string };

/** Far above any entry (a summary is a few times its file), far below what would exhaust the heap. */
const MAX_ENTRY_BYTES = 512 << 20;

/**
 * Reads and checks an entry of the store folder `root`; `check` may reject a payload whose checksum is
 * right (another format, the wrong shape). A usable entry is touched, marking it recently used for
 * pruning; an unusable one is removed. In a folder gohazard did not create, nothing is read or removed.
 */
export function readEntry(file: string, root: string, magic: string, key: string, check?: (payload: string) => string | undefined): EntryLookup {
  if (!isOwned(root)) return { kind: 'miss' };
  let raw: string;
  try {
    raw = readRegularFile(file, MAX_ENTRY_BYTES).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A FIFO or device in an entry's place would hang the read; an oversized file would fill the heap.
    if (code !== 'ENOTREG' && code !== 'EFBIG') return { kind: 'miss' };
    removeQuietly(file);
    return { kind: 'corrupt', reason: (err as Error).message };
  }
  const nl = raw.indexOf('\n');
  const header = (nl === -1 ? raw : raw.slice(0, nl)).split(' ');
  const payload = raw.slice(nl + 1);
  let problem: string | undefined;
  if (header.length !== 3 || header[0] !== magic || header[1] !== key) problem = 'bad header';
  else if (sha1(payload) !== header[2]) problem = 'checksum mismatch (truncated or corrupt)';
  else problem = check?.(payload);
  if (problem !== undefined) {
    // Another run may have removed or replaced it first: either way it is gone.
    removeQuietly(file);
    return { kind: 'corrupt', reason: problem };
  }
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    /* read-only cache */
  }
  return { kind: 'hit', payload };
}

/**
 * Writes atomically: a temp file unique to this process and thread, then a rename over the entry.
 * Concurrent runs writing the same key write the same bytes, so whichever rename lands last is right.
 * Returns an error message naming `root` instead of throwing: a cache that cannot be written only
 * costs speed. No entry name in the message, so the same failure on every entry reads as one.
 */
export function writeEntry(file: string, root: string, magic: string, key: string, payload: string): string | undefined {
  try {
    const problem = claimFolder(root);
    if (problem !== undefined) return `cannot write the cache in ${root}: ${problem}`;
    makeDirs(path.dirname(file));
    writeAtomically(file, `${magic} ${key} ${sha1(payload)}\n${payload}`);
    return undefined;
  } catch (err) {
    return `cannot write the cache in ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/**
 * Marks a folder as gohazard's, so that pruning can tell it from a user's folder of the same name (the
 * cache folder may be shared, even `.`). The file follows the Cache Directory Tagging Specification,
 * which also keeps backup tools out of it.
 */
export const OWNER_MARK = 'CACHEDIR.TAG';
const OWNER_MARK_TEXT = 'Signature: 8a477f597d28d172789f06886806bc55\n# This folder is a cache written by gohazard; it can be deleted.\n';
/** Folders known to be gohazard's, per thread: the mark is read once each. */
const owned = new Set<string>();

/**
 * Makes sure `root` is a folder gohazard created, creating it if need be; returns why it cannot be used
 * otherwise. The folder is made under a temporary name with its mark inside, then renamed into place, so
 * it never exists unmarked (a full disk leaves no folder rather than an unmarked one). A folder of that
 * name without the mark is the user's: it is neither adopted nor written to.
 */
function claimFolder(root: string): string | undefined {
  if (isOwned(root)) return undefined;
  const mark = path.join(root, OWNER_MARK);
  if (markText(mark) === '') {
    // Left empty by an older build on a full disk: the name and the mark's presence say it was ours.
    writeAtomically(mark, OWNER_MARK_TEXT);
    return isOwned(root) ? undefined : `cannot mark it as gohazard's`;
  }
  const st = statSync(root, { throwIfNoEntry: false });
  if (st) return st.isDirectory() ? `a folder gohazard did not create (no ${OWNER_MARK} in it)` : 'ENOTDIR';
  makeDirs(path.dirname(root));
  const tmp = mkdtempSync(`${root}.new-`);
  try {
    writeFileSync(path.join(tmp, OWNER_MARK), OWNER_MARK_TEXT);
    renameSync(tmp, root);
  } catch (err) {
    // Another run may have renamed its own folder into place first: then the root is marked.
    rmSync(tmp, { recursive: true, force: true });
    if (!isOwned(root)) throw err;
  }
  return undefined;
}

/** The mark's text; undefined when there is none (or it is not a small regular file). */
function markText(file: string): string | undefined {
  try {
    return readRegularFile(file, 4096).toString('utf8');
  } catch {
    return undefined;
  }
}

/** A temp file unique to this process and thread (named as entryNamePattern expects), then a rename over `file`. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } finally {
    removeQuietly(tmp);
  }
}

/** Whether gohazard created this folder (see claimFolder); nothing else is ever read, written or deleted. */
export function isOwned(root: string): boolean {
  if (owned.has(root)) return true;
  const ours = markText(path.join(root, OWNER_MARK))?.includes('gohazard') === true;
  if (ours) owned.add(root);
  return ours;
}

/** `<key>` or `<key>.<pid>.<thread>.<random>.tmp`, as writeEntry names them: the only names pruning deletes. */
export function entryNamePattern(keyChars: number): RegExp {
  return new RegExp(`^[0-9a-f]{${keyChars}}(\\.\\d+\\.\\d+\\.[0-9a-f]+\\.tmp)?$`);
}

/**
 * `mkdir -p` that fails instead of looping: Node's recursive mkdir retries forever where a parent exists
 * but refuses children with ENOENT (/proc). Each level is tried once, so the depth of the path bounds it.
 */
export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return;
      throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
    }
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw err;
    makeDirs(path.dirname(dir));
    mkdirSync(dir);
  }
}

/** Deletes a file that may already be gone (or never created); true when this call deleted it. */
export function removeQuietly(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}
