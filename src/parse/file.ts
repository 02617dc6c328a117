import { statSync } from 'node:fs';
import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';
import { shapeProblem } from '../cache/shape.js';
import { SUMMARY_SHAPE, SummaryStore } from '../cache/store.js';
import { overBudget, overTreeBudget, treeBudget } from '../memory.js';
import { readErrorReason, readRegularFile } from '../readfile.js';
import type { FileSummary } from '../ir.js';
import { ConstraintSyntaxError, matchHeader, type BuildTarget } from '../load/buildtags.js';
import { reparseBuiltinCalls, restoreNames } from './builtins.js';
import { summarize } from './summarize.js';

export interface ParseConfig {
  target: BuildTarget;
  maxFileBytes: number;
  /** Summary cache folder; absent to parse every file. */
  cacheDir?: string;
  /** Larger summaries (JSON characters) are not sent back: the main thread could not analyze them (see summaryBudget). */
  maxSummaryBytes?: number;
  /** Overrides parseTimeLimitMs (tests). */
  parseTimeLimitMs?: (bytes: number) => number;
}

/**
 * How long tree-sitter may take over one file before it is skipped. Its error recovery is quadratic
 * on some broken files (a 200 KB literal inside a mangled signature parses for minutes), while a
 * well-formed 4 MB file takes under a second: the limit is far from any real parse, and counted in
 * CPU time (see FileParser), so which files it skips does not depend on the load.
 */
export function parseTimeLimitMs(bytes: number): number {
  return 10_000 + (bytes / (1 << 20)) * 5_000;
}

export interface FileJob {
  abs: string;
  rel: string;
  /** Why the cached summary was unusable: parse again, and overwrite the entry (see parseAll). */
  rebuild?: string;
}

interface SummaryOutcome {
  kind: 'summary';
  summary: FileSummary;
  /** The length of its JSON: what the memory budget counts (see summaryBudget). */
  jsonBytes: number;
  /** 'hit': read from the cache; 'stored': parsed and written to it. */
  cache?: 'hit' | 'stored';
  /** A cache problem that cost only speed (corrupt entry dropped, write failed), for --verbose. */
  cacheNote?: string;
}

export type FileOutcome =
  | SummaryOutcome
  /** Left out by its build constraint: normal, not a problem. */
  | { kind: 'excluded' }
  | { kind: 'skipped'; reason: string }
  /** The cache's summary parsed but is not a summary (see SUMMARY_SHAPE): the file must be parsed again. */
  | { kind: 'stale'; reason: string };

/**
 * What a worker sends back: the summary as JSON text with an empty path (the cache entry's payload).
 * A string crosses threads in one copy and V8 parses JSON fast, while structured clone of the deep
 * summary objects cost more than the whole cache lookup (see bench/README.md). The caller restamps
 * the path, so cache hits need no parsing in the worker at all.
 */
export type WireOutcome = Exclude<FileOutcome, SummaryOutcome | { kind: 'stale' }> | (Omit<SummaryOutcome, 'summary' | 'jsonBytes'> & { json: string });

/** Back from the wire, on the main thread. */
export function fromWire(o: WireOutcome, rel: string): FileOutcome {
  if (o.kind !== 'summary') return o;
  const { json, ...rest } = o;
  let summary: FileSummary;
  try {
    summary = JSON.parse(json) as FileSummary;
  } catch (err) {
    if (o.cache === 'hit') return { kind: 'stale', reason: 'not JSON' };
    return { kind: 'skipped', reason: `internal error: unreadable summary: ${(err as Error).message}` };
  }
  // Only a cache hit needs the check: a summary just made is the shape summarize() gives.
  const problem = o.cache === 'hit' ? shapeProblem(summary, SUMMARY_SHAPE, 'summary') : undefined;
  if (problem !== undefined) return { kind: 'stale', reason: problem };
  summary.path = rel;
  return { ...rest, summary, jsonBytes: json.length };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads, vets and summarizes one file; never throws for problems with the file itself. */
export class FileParser {
  private readonly parser = new Parser();
  private readonly store: SummaryStore | undefined;
  /** Computed where the parser runs: a parse thread's heap is its own. */
  private readonly maxTreeNodes = treeBudget();

  constructor(private readonly config: ParseConfig) {
    this.parser.setLanguage(Go as unknown as Parser.Language);
    this.store = config.cacheDir === undefined ? undefined : new SummaryStore(config.cacheDir);
  }

  parse(job: FileJob): WireOutcome {
    const outcome = this.summary(job);
    const max = this.config.maxSummaryBytes;
    if (outcome.kind !== 'summary' || max === undefined || outcome.json.length <= max) return outcome;
    return { kind: 'skipped', reason: overBudget('it has', outcome.json.length, max) };
  }

  private summary(job: FileJob): WireOutcome {
    let bytes: Buffer;
    try {
      const size = statSync(job.abs).size;
      if (size > this.config.maxFileBytes) {
        return { kind: 'skipped', reason: `larger than --max-file-size (${formatBytes(size)} > ${formatBytes(this.config.maxFileBytes)})` };
      }
      bytes = readRegularFile(job.abs, this.config.maxFileBytes);
    } catch (err) {
      return { kind: 'skipped', reason: `cannot read: ${readErrorReason(err)}` };
    }
    if (bytes.subarray(0, 8000).includes(0)) return { kind: 'skipped', reason: 'binary file (contains NUL bytes)' };
    let src: string;
    try {
      src = decoder.decode(bytes);
    } catch {
      return { kind: 'skipped', reason: 'not valid UTF-8' };
    }
    try {
      if (!matchHeader(src, this.config.target)) return { kind: 'excluded' };
    } catch (err) {
      if (err instanceof ConstraintSyntaxError) return { kind: 'skipped', reason: err.message };
      throw err;
    }
    // The cache is asked only now: whether a file is parsed depends on the target, its summary does not.
    const key = this.store?.key(bytes);
    const found = this.store && key ? (job.rebuild !== undefined ? { kind: 'corrupt' as const, reason: job.rebuild } : this.store.get(key)) : undefined;
    if (found?.kind === 'hit') return { kind: 'summary', json: found.json, cache: 'hit' };
    const limit = (this.config.parseTimeLimitMs ?? parseTimeLimitMs)(bytes.length);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    // Called every hundred or so parser steps (tens of microseconds); returning true stops the parse, which
    // then gives no tree. Only every 16th call reads the clock: even that read cost 5% of the parse when
    // asked each time, and the limit is seconds. The clock is read first (cheap), CPU time decides: on a
    // machine busy with other work a parse takes longer by the clock, and which files are skipped must not
    // depend on that (two runs would differ).
    let calls = 0;
    const overLimit = () => (++calls & 15) === 0 && performance.now() - start > limit && cpuMs(cpuStart) > limit;
    const parse = (text: string) => this.parser.parse(text, undefined, { progressCallback: overLimit }) as Parser.Tree | undefined;
    const tree = parse(src);
    if (!tree) {
      // A stopped parse would otherwise resume on the next call, with the next file's text.
      this.parser.reset();
      return { kind: 'skipped', reason: `parsing took longer than ${Math.round(limit / 100) / 10} s (tree-sitter's error recovery is slow on this file's syntax errors); fix them or exclude the file` };
    }
    const nodes = tree.rootNode.descendantCount;
    if (nodes > this.maxTreeNodes && nodes - topLevelComments(tree) > this.maxTreeNodes) return { kind: 'skipped', reason: overTreeBudget(nodes, this.maxTreeNodes) };
    // Go 1.26's `new(expr)` is a syntax error to this grammar: parsed again as an ordinary call.
    const again = tree.rootNode.hasError ? reparseBuiltinCalls(src, tree, parse) : undefined;
    // Out of time in a reparse: the first tree stands, and the parser must not resume the stopped parse.
    if (performance.now() - start > limit) this.parser.reset();
    const summary = summarize(again?.tree ?? tree, again?.src ?? src, '');
    if (again) restoreNames(summary, again.renamed);
    const json = JSON.stringify(summary);
    if (!this.store || !key || !found) return { kind: 'summary', json };
    const writeError = this.store.put(key, json);
    const outcome: WireOutcome = { kind: 'summary', json, cache: 'stored' };
    if (found.kind === 'corrupt') outcome.cacheNote = `dropped a corrupt cache entry (${found.reason}) and rebuilt it`;
    if (writeError) outcome.cacheNote = writeError;
    return outcome;
  }
}

/** Comments between declarations: nodes that cost the summary nothing (a file of comments is cheap to summarize). */
function topLevelComments(tree: Parser.Tree): number {
  const cursor = tree.walk();
  let n = 0;
  if (cursor.gotoFirstChild()) {
    do if (cursor.nodeType === 'comment') n++;
    while (cursor.gotoNextSibling());
  }
  return n;
}

/** CPU time this process has used since `start`, in ms (all its threads: parse workers run side by side). */
function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}
