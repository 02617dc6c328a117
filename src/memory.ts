import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/**
 * Heap a whole-program run needs per byte of Go source it parses. Measured with --trace-gc: the live
 * heap after the last full collection peaked at 13.5× the source on TiDB (48 MB of Go) and 13× on the
 * Debian benchmark corpus; the rest is room for the collector, which near its limit spends the run
 * collecting instead of analyzing.
 */
const HEAP_PER_SOURCE_BYTE = 20;
/**
 * Heap the later phases need per byte of a summary's JSON, at worst: 25× measured on 40,000 goroutine
 * statements in one function (1 MB of Go, 15 MB of summary, 376 MB peak); ordinary code needs about 4.5×.
 */
const HEAP_PER_SUMMARY_BYTE = 25;
/** Of the heap, what one package may take: the rest of the program and the collector need the rest. */
const PACKAGE_SHARE = 0.5;

/**
 * The most summary JSON one package (and so one file) may have: a package past it would exhaust the
 * heap in the whole-program phases (V8's `FATAL ERROR`, after minutes of collecting), so it is skipped
 * with a warning instead. Scales with the heap, which the relaunch may have raised (see checkHeap).
 */
export function summaryBudget(heapLimit: number = getHeapStatistics().heap_size_limit): number {
  return Math.floor((heapLimit * PACKAGE_SHARE) / HEAP_PER_SUMMARY_BYTE);
}

/** Why a file or package over summaryBudget is skipped, and what the user can do. */
export function overBudget(what: string, bytes: number, budget: number): string {
  const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
  return `${what} ${mb(bytes)} of summary, more than the ${mb(budget)} this process's heap allows one package; raise NODE_OPTIONS=--max-old-space-size (in MB) or exclude it`;
}

/**
 * Heap that summarizing takes per node of a file's syntax tree, at worst, doubled: 90 bytes measured
 * (Go's ssa/rewriteAMD64.go, 314,522 nodes, summarized in 32 MB of old space and not in 24 MB; a file of
 * 40,000 goroutine statements took 55).
 */
const HEAP_PER_TREE_NODE = 200;

/**
 * The most syntax-tree nodes a file may have to be summarized in a heap this size (a parse thread's
 * own). A thread that runs out of memory while tree-sitter's native code is on its stack takes the whole
 * process down with it (`terminate called after throwing an instance of 'Napi::Error'`), so such a file
 * is skipped before summarizing. At 15–20 characters of summary per node, it would be over summaryBudget
 * anyway. Comments between declarations do not count (see FileParser).
 */
export function treeBudget(heapLimit: number = getHeapStatistics().heap_size_limit): number {
  return Math.floor((heapLimit * PACKAGE_SHARE) / HEAP_PER_TREE_NODE);
}

/** Why a file over treeBudget is skipped, and what the user can do. */
export function overTreeBudget(nodes: number, budget: number): string {
  const m = (n: number) => `${(n / 1e6).toFixed(1)} million`;
  return `its syntax tree has ${m(nodes)} nodes, more than the ${m(budget)} this process's heap can summarize; raise NODE_OPTIONS=--max-old-space-size (in MB) or exclude it`;
}

/** Of the machine's memory, what the analysis heap may take: the parse workers and the system need the rest. */
const MACHINE_SHARE = 0.7;
/** Set in the relaunched process: it does not relaunch again. */
export const RELAUNCH_ENV = 'GOHAZARD_RELAUNCHED_HEAP_MB';

const MB = 1 << 20;

/**
 * The tree needs a larger heap than Node gave this process, and the machine has it: the CLI runs the
 * same command again in a Node with `--max-old-space-size=mb` (nothing has been reported yet).
 */
export class NeedsLargerHeap extends Error {
  constructor(
    readonly mb: number,
    readonly sourceBytes: number,
    what = `analyzing ${formatMb(sourceBytes)} of Go source`,
  ) {
    super(`${what} needs a heap of about ${formatMb(mb * MB)}`);
  }
}

export interface HeapCheck {
  /** May the caller run the command again in a larger Node (the CLI may; a library caller may not)? */
  relaunch: boolean;
  /** Larger files are skipped unparsed, and cost nothing. */
  maxFileBytes: number;
}

/** What the check reads from the process and the machine; tests pass their own. */
export interface HeapEnv {
  heapLimit: number;
  machineBytes: number;
  /** The user set the heap limit (`--max-old-space-size`), or this is already the relaunched process. */
  chosen: boolean;
}

function processHeapEnv(): HeapEnv {
  return {
    heapLimit: getHeapStatistics().heap_size_limit,
    machineBytes: totalmem(),
    chosen: process.env[RELAUNCH_ENV] !== undefined || [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('max-old-space-size')),
  };
}

/**
 * Before parsing: whether the files fit in this process's heap. Throws NeedsLargerHeap when they do
 * not and a relaunch can help; returns a warning when nothing can (the user chose the limit, or the
 * machine has no more), so that a run that then dies of it has said why first.
 */
export function checkHeap(paths: readonly string[], opts: HeapCheck, env: HeapEnv = processHeapEnv()): string | undefined {
  let bytes = 0;
  for (const p of paths) {
    const size = statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= opts.maxFileBytes) bytes += size;
  }
  const need = bytes * HEAP_PER_SOURCE_BYTE;
  const limit = env.heapLimit;
  if (need <= limit) return undefined;
  const machine = env.machineBytes * MACHINE_SHARE;
  const roomier = machine > limit * 1.1;
  if (opts.relaunch && !env.chosen && roomier) throw new NeedsLargerHeap(Math.ceil(Math.min(need, machine) / MB), bytes);
  return (
    `${formatMb(bytes)} of Go source may need a heap of about ${formatMb(need)}, more than this process may use (${formatMb(limit)}); ` +
    `if the run stops out of memory, analyze fewer packages at a time${roomier ? ' or raise NODE_OPTIONS=--max-old-space-size (in MB)' : ' or use a machine with more memory'}`
  );
}

/**
 * After parsing: whether the largest package fits summaryBudget. When it does not and a relaunch can
 * give it the heap it needs, throws NeedsLargerHeap (a package is better analyzed in a larger heap than
 * skipped: the budget is the densest code's, and a 10 MB package of ordinary Go, 84 MB of summary, is
 * just over it in Node's default heap while it peaks at 0.75 GB); otherwise the caller skips it.
 */
export function checkPackageHeap(pkg: { dir: string; summaryBytes: number; sourceBytes: number }, relaunch: boolean, env: HeapEnv = processHeapEnv()): void {
  if (pkg.summaryBytes <= summaryBudget(env.heapLimit)) return;
  // With a tenth more, so that the relaunched process's budget holds it for certain.
  const need = ((pkg.summaryBytes * HEAP_PER_SUMMARY_BYTE) / PACKAGE_SHARE) * 1.1;
  if (!relaunch || env.chosen || need > env.machineBytes * MACHINE_SHARE) return;
  throw new NeedsLargerHeap(Math.ceil(need / MB), pkg.sourceBytes, `analyzing the package ${pkg.dir} (${formatMb(pkg.sourceBytes)} of Go, ${formatMb(pkg.summaryBytes)} of summary)`);
}

function formatMb(bytes: number): string {
  return bytes >= 1024 * MB ? `${(bytes / (1024 * MB)).toFixed(1)} GB` : `${Math.round(bytes / MB)} MB`;
}

/**
 * Runs this command again in a Node whose heap limit is `mb`, with the same arguments and stdio, and
 * returns its exit code. A child that dies of a signal (V8 aborts when even that heap is exhausted)
 * gets one line saying so instead of a silent exit.
 */
export function rerunWithHeap(argv: readonly string[], mb: number, err: (s: string) => void): number | undefined {
  const args = [...process.execArgv, `--max-old-space-size=${mb}`, ...argv.slice(1)];
  const child = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, [RELAUNCH_ENV]: String(mb) } });
  if (child.error) {
    err(`gohazard: error: could not start Node again with a larger heap (${child.error.message}); set NODE_OPTIONS=--max-old-space-size=${mb} and rerun\n`);
    return undefined;
  }
  if (child.signal) {
    err(`gohazard: error: the analysis stopped (${child.signal})${child.signal === 'SIGABRT' ? `, most likely out of memory with a heap of ${formatMb(mb * MB)}` : ''}; analyze fewer packages at a time\n`);
    return undefined;
  }
  return child.status ?? undefined;
}
