import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

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

/**
 * Reads and checks an entry; `check` may reject a payload whose checksum is right (another format).
 * A usable entry is touched, marking it recently used for pruning; an unusable one is removed.
 */
export function readEntry(file: string, magic: string, key: string, check?: (payload: string) => string | undefined): EntryLookup {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return { kind: 'miss' };
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
  const tmp = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    makeDirs(path.dirname(file));
    markOwned(root);
    writeFileSync(tmp, `${magic} ${key} ${sha1(payload)}\n${payload}`);
    renameSync(tmp, file);
    return undefined;
  } catch (err) {
    removeQuietly(tmp);
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
const marked = new Set<string>();

function markOwned(root: string): void {
  if (marked.has(root)) return;
  const file = path.join(root, OWNER_MARK);
  if (!existsSync(file)) writeFileSync(file, OWNER_MARK_TEXT);
  marked.add(root);
}

/** Whether gohazard wrote this folder (see markOwned); nothing else is ever deleted. */
export function isOwned(root: string): boolean {
  try {
    return readFileSync(path.join(root, OWNER_MARK), 'utf8').includes('gohazard');
  } catch {
    return false;
  }
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
