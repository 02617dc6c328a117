import type { FileSummary } from './ir.js';

/**
 * The file the whole-program phases are working on, so that an internal error can be pinned on a
 * package and cost only that package (see analyze.ts). Set at the top of their per-file and
 * per-function loops: one assignment each, no try/catch on the hot path.
 */
let current: FileSummary | undefined;

export function blame(file: FileSummary | undefined): void {
  current = file;
}

export function blamed(): FileSummary | undefined {
  return current;
}
