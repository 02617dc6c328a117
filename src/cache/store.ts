import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { SUMMARY_FORMAT } from '../ir.js';
import { GRAMMAR_VERSION, VERSION } from '../version.js';

/**
 * The on-disk summary cache: one file per summary, named by a hash of the Go file's bytes, the
 * gohazard version and SUMMARY_FORMAT. Nothing else goes into a summary (the build target only
 * decides *whether* a file is parsed, before the cache is asked), so that key is complete.
 *
 * Entry layout: a header line `gohazard-summary <key> <sha1 of payload>`, then the summary as JSON
 * with an empty `path` (it is restamped on load, so a cache restored on another runner or checkout
 * still fits). The header makes truncated or corrupt entries detectable without trusting JSON.parse.
 */
const MAGIC = 'gohazard-summary';

/** Under the cache dir; a layout change gets a new folder, and pruning clears the old one. */
export const ENTRIES_DIR = 'summaries-v1';

export type Lookup =
  /** The summary's JSON text, with an empty path. */
  | { kind: 'hit'; json: string }
  | { kind: 'miss' }
  /** The entry existed but was unusable; it has been removed and should be rebuilt. */
  | { kind: 'corrupt'; reason: string };

/** `$XDG_CACHE_HOME/gohazard`, else `~/.cache/gohazard`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache'), 'gohazard');
}

export class SummaryStore {
  private readonly root: string;
  private readonly salt: string;

  /** `salt` defaults to this build's version, format and grammar; tests pass another to play a different version. */
  constructor(dir: string, salt = `${VERSION}\0${SUMMARY_FORMAT}\0${GRAMMAR_VERSION}\0`) {
    this.root = path.join(dir, ENTRIES_DIR);
    this.salt = salt;
  }

  key(bytes: Uint8Array): string {
    return createHash('sha256').update(this.salt).update(bytes).digest('hex');
  }

  get(key: string): Lookup {
    const file = this.entryPath(key);
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch {
      return { kind: 'miss' };
    }
    const json = payloadOf(raw, key);
    if (json.problem !== undefined) {
      try {
        unlinkSync(file);
      } catch {
        // Another run removed or replaced it first: either way it is gone.
      }
      return { kind: 'corrupt', reason: json.problem };
    }
    // Marks the entry as recently used, for pruning; a read-only cache still serves hits.
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      /* read-only cache */
    }
    return { kind: 'hit', json: json.payload };
  }

  /**
   * Writes atomically: a temp file unique to this process and thread, then a rename over the entry.
   * Concurrent runs writing the same key write the same bytes, so whichever rename lands last is right.
   * Returns an error message instead of throwing: a cache that cannot be written only costs speed.
   */
  /** `payload` is the summary's JSON text, with an empty path. */
  put(key: string, payload: string): string | undefined {
    const file = this.entryPath(key);
    const tmp = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(tmp, `${MAGIC} ${key} ${sha1(payload)}\n${payload}`);
      renameSync(tmp, file);
      return undefined;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
      // No file name in the message: the same failure on every file is then reported once.
      return `cannot write the cache in ${this.root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  }

  private entryPath(key: string): string {
    return path.join(this.root, key.slice(0, 2), key.slice(2));
  }
}

/**
 * The entry's payload, or why the entry is unusable. The payload is not parsed here (the main thread
 * does that once); the checksum proves it is what put() wrote, and JSON.stringify always writes the
 * summary's `format` key first.
 */
function payloadOf(raw: string, key: string): { payload: string; problem?: undefined } | { problem: string } {
  const nl = raw.indexOf('\n');
  const header = (nl === -1 ? raw : raw.slice(0, nl)).split(' ');
  if (header.length !== 3 || header[0] !== MAGIC || header[1] !== key) return { problem: 'bad header' };
  const payload = raw.slice(nl + 1);
  if (sha1(payload) !== header[2]) return { problem: 'checksum mismatch (truncated or corrupt)' };
  if (!payload.startsWith(`{"format":${SUMMARY_FORMAT},`)) return { problem: 'wrong summary format' };
  return { payload };
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}
