import type { FileChange, LineEdit } from './apply.js';

/** Lines of context around each change, as `diff -u` and git print. */
const CONTEXT = 3;
/** Past this many cells, a replaced region is shown as deleted and re-added rather than compared line by line. */
const MAX_COMPARE = 4_000_000;

type Op = { k: ' ' | '-' | '+'; text: string };

/**
 * A unified diff of one change that `git apply` and `patch` take: within each edited region only the
 * lines that differ (a moved block shows as its lines removed in one place and added in the other, not
 * as the whole region rewritten), with three lines of context, hunks merged where their context meets.
 * Linear in the file's size plus the square of each edited region's.
 */
export function unifiedDiff(change: Pick<FileChange, 'path' | 'before' | 'edits'>): string {
  const old = change.before.split('\n');
  // A final newline ends the last line; it does not start another.
  if (old[old.length - 1] === '') old.pop();
  const ops: Op[] = [];
  let next = 0;
  for (const e of change.edits) {
    for (; next < e.startLine - 1; next++) ops.push({ k: ' ', text: old[next]! });
    ops.push(...compare(old.slice(e.startLine - 1, e.endLine), e.lines));
    next = e.endLine;
  }
  for (; next < old.length; next++) ops.push({ k: ' ', text: old[next]! });

  const out = [`--- a/${change.path}`, `+++ b/${change.path}`];
  const changed = ops.flatMap((op, i) => (op.k === ' ' ? [] : [i]));
  // Old and new lines before each op: where a hunk starts, without recounting.
  const oldBefore = new Uint32Array(ops.length + 1);
  const newBefore = new Uint32Array(ops.length + 1);
  ops.forEach((op, k) => {
    oldBefore[k + 1] = oldBefore[k]! + (op.k === '+' ? 0 : 1);
    newBefore[k + 1] = newBefore[k]! + (op.k === '-' ? 0 : 1);
  });
  let i = 0;
  while (i < changed.length) {
    // One hunk: changes no more than twice the context apart.
    let j = i;
    while (j + 1 < changed.length && changed[j + 1]! - changed[j]! <= 2 * CONTEXT + 1) j++;
    const from = Math.max(0, changed[i]! - CONTEXT);
    const to = Math.min(ops.length, changed[j]! + CONTEXT + 1);
    const oldLen = oldBefore[to]! - oldBefore[from]!;
    const newLen = newBefore[to]! - newBefore[from]!;
    out.push(`@@ -${oldBefore[from]! + (oldLen ? 1 : 0)},${oldLen} +${newBefore[from]! + (newLen ? 1 : 0)},${newLen} @@`);
    for (let k = from; k < to; k++) out.push(`${ops[k]!.k}${ops[k]!.text}`);
    i = j + 1;
  }
  return `${out.join('\n')}\n`;
}

/**
 * The lines of a region, old against new, as difflib matches them: the longest run of equal lines is kept,
 * then the same on each side of it. A moved block then shows as moved (removed here, added there) around
 * the code that stayed, rather than as whichever scattered lines (`}`, `if err != nil {`) match most.
 */
function compare(a: readonly string[], b: LineEdit['lines']): Op[] {
  if (a.length * b.length > MAX_COMPARE) return [...a.map((text) => ({ k: '-' as const, text })), ...b.map((text) => ({ k: '+' as const, text }))];
  const ops: Op[] = [];
  const walk = (a0: number, a1: number, b0: number, b1: number): void => {
    const [i, j, n] = longestRun(a, b, a0, a1, b0, b1);
    if (n === 0) {
      for (let k = a0; k < a1; k++) ops.push({ k: '-', text: a[k]! });
      for (let k = b0; k < b1; k++) ops.push({ k: '+', text: b[k]! });
      return;
    }
    walk(a0, i, b0, j);
    for (let k = 0; k < n; k++) ops.push({ k: ' ', text: a[i + k]! });
    walk(i + n, a1, j + n, b1);
  };
  walk(0, a.length, 0, b.length);
  return ops;
}

/** The longest run of equal lines of a[a0..a1) and b[b0..b1): its start in each, and its length (the first such run). */
function longestRun(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number): [number, number, number] {
  let best: [number, number, number] = [a0, b0, 0];
  // run[j]: the length of the equal run ending at a[i-1], b[j-1], for the previous row.
  let prev = new Uint32Array(b1 - b0 + 1);
  let row = new Uint32Array(b1 - b0 + 1);
  for (let i = a0; i < a1; i++) {
    for (let j = b0; j < b1; j++) {
      const n = a[i] === b[j] ? prev[j - b0]! + 1 : 0;
      row[j - b0 + 1] = n;
      if (n > best[2]) best = [i - n + 1, j - n + 1, n];
    }
    [prev, row] = [row, prev];
  }
  return best;
}
