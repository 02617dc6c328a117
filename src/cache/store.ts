import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { MAX_NESTING, SUMMARY_FORMAT } from '../ir.js';
import { GRAMMAR_VERSION, VERSION } from '../version.js';
import { readEntry, writeEntry } from './entry.js';
import { jsonNestingWithin, type Shape } from './shape.js';

/**
 * The on-disk summary cache: one file per summary, named by a hash of the Go file's bytes, the
 * gohazard version and SUMMARY_FORMAT. Nothing else goes into a summary (the build target only
 * decides *whether* a file is parsed, before the cache is asked), so that key is complete.
 *
 * Entry layout (see entry.ts): a checked header, then the summary as JSON with an empty `path` (it is
 * restamped on load, so a cache restored on another runner or checkout still fits).
 */
const MAGIC = 'gohazard-summary';

/** Under the cache dir; a layout change gets a new folder, and pruning clears the old one. */
export const ENTRIES_DIR = 'summaries-v1';

/**
 * A summary nests at most MAX_NESTING syntax levels, each a few JSON levels (4 for a switch case, the
 * most measured); a deeper payload was not written by summarize() and would overflow the walks after it.
 */
const MAX_SUMMARY_JSON_NESTING = 5 * MAX_NESTING;

/** What the phases after parsing read of a summary without checking, checked on every cache hit. */
export const SUMMARY_SHAPE: Shape = {
  format: 'number',
  packageName: 'string',
  imports: ['object'],
  types: ['object'],
  values: ['object'],
  funcs: [{ id: 'number', name: 'string', typeParams: ['object'], params: ['object'], results: ['object'] }],
  directives: ['object'],
  generated: 'boolean',
  lines: 'number',
  bytes: 'number',
};

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
    const found = readEntry(this.entryPath(key), this.root, MAGIC, key, (payload) => {
      // JSON.stringify always writes the summary's `format` key first. The payload is not parsed here:
      // the main thread does that once, and checks its shape (see fromWire).
      if (!payload.startsWith(`{"format":${SUMMARY_FORMAT},`)) return 'wrong summary format';
      return jsonNestingWithin(payload, MAX_SUMMARY_JSON_NESTING) ? undefined : 'nested deeper than any summary';
    });
    return found.kind === 'hit' ? { kind: 'hit', json: found.payload } : found;
  }

  /** `payload` is the summary's JSON text, with an empty path; see writeEntry. */
  put(key: string, payload: string): string | undefined {
    return writeEntry(this.entryPath(key), this.root, MAGIC, key, payload);
  }

  private entryPath(key: string): string {
    return path.join(this.root, key.slice(0, 2), key.slice(2));
  }
}
