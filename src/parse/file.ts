import { readFileSync, statSync } from 'node:fs';
import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';
import { SummaryStore } from '../cache/store.js';
import type { FileSummary } from '../ir.js';
import { ConstraintSyntaxError, matchHeader, type BuildTarget } from '../load/buildtags.js';
import { summarize } from './summarize.js';

export interface ParseConfig {
  target: BuildTarget;
  maxFileBytes: number;
  /** Summary cache folder; absent to parse every file. */
  cacheDir?: string;
}

export interface FileJob {
  abs: string;
  rel: string;
}

export type FileOutcome =
  | {
      kind: 'summary';
      summary: FileSummary;
      /** 'hit': read from the cache; 'stored': parsed and written to it. */
      cache?: 'hit' | 'stored';
      /** A cache problem that cost only speed (corrupt entry dropped, write failed), for --verbose. */
      cacheNote?: string;
    }
  /** Left out by its build constraint: normal, not a problem. */
  | { kind: 'excluded' }
  | { kind: 'skipped'; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads, vets and summarizes one file; never throws for problems with the file itself. */
export class FileParser {
  private readonly parser = new Parser();
  private readonly store: SummaryStore | undefined;

  constructor(private readonly config: ParseConfig) {
    this.parser.setLanguage(Go as unknown as Parser.Language);
    this.store = config.cacheDir === undefined ? undefined : new SummaryStore(config.cacheDir);
  }

  parse(job: FileJob): FileOutcome {
    let bytes: Buffer;
    try {
      const size = statSync(job.abs).size;
      if (size > this.config.maxFileBytes) {
        return { kind: 'skipped', reason: `larger than --max-file-size (${formatBytes(size)} > ${formatBytes(this.config.maxFileBytes)})` };
      }
      bytes = readFileSync(job.abs);
    } catch (err) {
      return { kind: 'skipped', reason: `cannot read: ${(err as Error).message}` };
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
    if (!this.store) return { kind: 'summary', summary: summarize(this.parser.parse(src), src, job.rel) };
    const key = this.store.key(bytes);
    const found = this.store.get(key, job.rel);
    if (found.kind === 'hit') return { kind: 'summary', summary: found.summary, cache: 'hit' };
    const summary = summarize(this.parser.parse(src), src, job.rel);
    const writeError = this.store.put(key, summary);
    const outcome: FileOutcome = { kind: 'summary', summary, cache: 'stored' };
    if (found.kind === 'corrupt') outcome.cacheNote = `dropped a corrupt cache entry (${found.reason}) and rebuilt it`;
    if (writeError) outcome.cacheNote = writeError;
    return outcome;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}
