import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { entryNamePattern, isOwned, removeQuietly } from './entry.js';
import { RUNS_DIR } from './runs.js';
import { ENTRIES_DIR } from './store.js';

export const DEFAULT_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

/** Folders of a cache layout, current or older; deleted only when marked as gohazard's (see isOwned). */
const LAYOUT_DIR = /^(summaries|runs)-v\d+$/;
/** Summary entries live in `<first 2 hex digits of the key>/<the other 62>`. */
const SHARD = /^[0-9a-f]{2}$/;
const ENTRY = entryNamePattern(62);

/** Temp files older than this were left by a run that died between write and rename. */
const STALE_TMP_MS = 60 * 60 * 1000;

export interface PruneResult {
  bytesBefore: number;
  bytesAfter: number;
  removed: number;
}

/**
 * Keeps the cache under `maxBytes` by deleting the least recently used entries (a hit refreshes an
 * entry's mtime) down to 80% of the cap, so that the next few runs do not prune again. Also drops
 * folders of older cache layouts. Only ever deletes what gohazard wrote: the cache folder may be shared
 * with the user's own files (even `--cache-dir .`), so names alone prove nothing. Safe next to a concurrent run: an entry deleted under a reader is
 * a miss, and files that vanish under us are skipped.
 */
export function pruneCache(dir: string, maxBytes: number, now = Date.now()): PruneResult {
  let top: string[];
  try {
    top = readdirSync(dir);
  } catch {
    return { bytesBefore: 0, bytesAfter: 0, removed: 0 };
  }
  for (const name of top) {
    const old = path.join(dir, name);
    if (LAYOUT_DIR.test(name) && name !== ENTRIES_DIR && name !== RUNS_DIR && isOwned(old)) rmSync(old, { recursive: true, force: true });
  }
  const entries: { file: string; size: number; mtime: number }[] = [];
  let total = 0;
  let removed = 0;
  const root = path.join(dir, ENTRIES_DIR);
  const subs = isOwned(root) ? safeReaddir(root).filter((s) => SHARD.test(s)) : [];
  for (const sub of subs) {
    for (const name of safeReaddir(path.join(root, sub))) {
      if (!ENTRY.test(name)) continue;
      const file = path.join(root, sub, name);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      if (name.endsWith('.tmp')) {
        if (now - st.mtimeMs > STALE_TMP_MS && removeQuietly(file)) removed++;
        continue;
      }
      entries.push({ file, size: st.size, mtime: st.mtimeMs });
      total += st.size;
    }
  }
  const bytesBefore = total;
  if (total > maxBytes) {
    entries.sort((a, b) => a.mtime - b.mtime);
    const target = maxBytes * 0.8;
    for (const e of entries) {
      if (total <= target) break;
      if (removeQuietly(e.file)) removed++;
      total -= e.size;
    }
  }
  return { bytesBefore, bytesAfter: total, removed };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
