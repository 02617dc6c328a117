import { readFileSync, statSync } from 'node:fs';
import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';
import type { FileSummary } from '../ir.js';
import { ConstraintSyntaxError, matchHeader, type BuildTarget } from '../load/buildtags.js';
import { summarize } from './summarize.js';

export interface ParseConfig {
  target: BuildTarget;
  maxFileBytes: number;
}

export interface FileJob {
  abs: string;
  rel: string;
}

export type FileOutcome =
  | { kind: 'summary'; summary: FileSummary }
  /** Left out by its build constraint: normal, not a problem. */
  | { kind: 'excluded' }
  | { kind: 'skipped'; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads, vets and summarizes one file; never throws for problems with the file itself. */
export class FileParser {
  private readonly parser = new Parser();

  constructor(private readonly config: ParseConfig) {
    this.parser.setLanguage(Go as unknown as Parser.Language);
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
    const tree = this.parser.parse(src);
    return { kind: 'summary', summary: summarize(tree, src, job.rel) };
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}
