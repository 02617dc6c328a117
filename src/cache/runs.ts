import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../diagnostics.js';
import type { Finding } from '../findings.js';
import type { Directive } from '../ir.js';
import type { CallStats } from '../resolve/stats.js';
import { readRegularFile } from '../readfile.js';
import { GRAMMAR_VERSION } from '../version.js';
import { entryNamePattern, isOwned, readEntry, removeQuietly, writeEntry } from './entry.js';
import { shapeProblem, type Shape } from './shape.js';

/**
 * Whole-run results, keyed by everything that decides them: the bytes of every selected Go file, the
 * options, and this build of gohazard itself. A run over a tree nothing changed in (a re-run CI job,
 * the base revision of `--new-from-rev` on every push of a pull request) reads one small file instead
 * of analyzing the program again. Any change to any input is a miss: whole-program phases are not
 * incremental, so a run either reuses everything or nothing.
 */
export const RUNS_DIR = 'runs-v1';

/** Entries kept: a few trees (branches, base revisions) per cache folder. */
const KEEP_RUNS = 16;
const MAGIC = 'gohazard-run';
const ENTRY = entryNamePattern(64);

/** Per file of the program: what suppressions read. */
export interface FileDirectives {
  path: string;
  directives: Directive[];
}

/** What a run produces that a report needs, without the program itself. */
export interface StoredRun {
  findings: Finding[];
  /** From parsing (skipped files, syntax errors); the loader's own are recomputed on every run. */
  diagnostics: Diagnostic[];
  directives: FileDirectives[];
  paths: string[];
  counts: { files: number; packages: number; lines: number; bytes: number; syntaxErrors: number; skipped: number; excluded: number };
  calls: CallStats;
}

const LOCATION: Shape = { path: 'string', line: 'number', col: 'number' };

/** What report and gate code read of a StoredRun, checked before a hit is used (see shape.ts). */
const STORED_RUN: Shape = {
  findings: [
    {
      ruleId: 'string',
      severity: 'string',
      confidence: 'string',
      message: 'string',
      location: LOCATION,
      related: [{ location: LOCATION, message: 'string' }],
      flows: [{ message: 'string', steps: [{ location: LOCATION, message: 'string' }] }],
      fingerprint: 'string',
    },
  ],
  diagnostics: [{ severity: 'string', message: 'string' }],
  directives: [{ path: 'string', directives: ['object'] }],
  paths: ['string'],
  counts: { files: 'number', packages: 'number', lines: 'number', bytes: 'number', syntaxErrors: 'number', skipped: 'number', excluded: 'number' },
  calls: {
    total: 'number',
    static: 'number',
    interface: 'number',
    funcValue: 'number',
    external: 'number',
    builtin: 'number',
    conversion: 'number',
    unresolved: 'number',
    reasons: [{ reason: 'string', count: 'number' }],
  },
};

let buildHash: string | undefined;

/**
 * A hash of this gohazard build's code: results depend on every phase, and a development build
 * changes without a version bump. Hashing the ~60 compiled files costs a few milliseconds.
 */
function buildFingerprint(): string {
  if (buildHash === undefined) {
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const h = createHash('sha256');
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else if (e.name.endsWith('.js')) h.update(e.name).update(readFileSync(abs));
      }
    };
    walk(dist);
    buildHash = h.digest('hex');
  }
  return buildHash;
}

/**
 * The key of a run: options (as JSON) and each selected file's path, import path (a go.mod edit
 * renames packages without touching a Go file) and content hash. A file that cannot be read is part
 * of the key too (as unreadable): the run reports it, so its outcome is data; so is one larger than
 * `maxFileBytes`, by its size alone (the run skips it, saying how large it is).
 */
export function runKey(options: unknown, files: readonly { abs: string; rel: string; importPath: string }[], maxFileBytes: number): string {
  const h = createHash('sha256').update(`${MAGIC}\0${buildFingerprint()}\0${GRAMMAR_VERSION}\0${JSON.stringify(options, regExpSource)}\0`);
  for (const f of files) {
    h.update(f.rel).update('\0').update(f.importPath).update('\0');
    try {
      h.update(createHash('sha1').update(readRegularFile(f.abs, maxFileBytes)).digest());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      h.update(code === 'EFBIG' ? `too large ${statSync(f.abs, { throwIfNoEntry: false })?.size}` : `unreadable ${code}`);
    }
    h.update('\0');
  }
  return h.digest('hex');
}

/** JSON.stringify writes a RegExp as `{}`: two configs differing only in a pattern would share a key. */
function regExpSource(_key: string, value: unknown): unknown {
  return value instanceof RegExp ? value.toString() : value;
}

export type RunLookup = { kind: 'hit'; run: StoredRun } | { kind: 'miss' } | { kind: 'corrupt'; reason: string };

export class RunStore {
  private readonly root: string;

  constructor(dir: string) {
    this.root = path.join(dir, RUNS_DIR);
  }

  get(key: string): RunLookup {
    let run: StoredRun | undefined;
    const found = readEntry(path.join(this.root, key), this.root, MAGIC, key, (payload) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return 'not JSON';
      }
      const problem = shapeProblem(parsed, STORED_RUN);
      if (problem === undefined) run = parsed as StoredRun;
      return problem;
    });
    // The check ran and passed on every hit, so `run` is set.
    return found.kind === 'hit' ? { kind: 'hit', run: run as StoredRun } : found;
  }

  /** Atomic, like the summary store (see writeEntry); returns an error message instead of throwing. */
  put(key: string, run: StoredRun): string | undefined {
    const problem = writeEntry(path.join(this.root, key), this.root, MAGIC, key, JSON.stringify(run));
    if (problem === undefined) this.prune();
    return problem;
  }

  /** Keeps the most recently used entries; temp files of runs that died are swept with the rest. */
  private prune(): void {
    let names: string[];
    try {
      names = isOwned(this.root) ? readdirSync(this.root).filter((n) => ENTRY.test(n)) : [];
    } catch {
      return;
    }
    if (names.length <= KEEP_RUNS) return;
    const aged = names
      .map((name) => ({ file: path.join(this.root, name), mtime: statSync(path.join(this.root, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { file } of aged.slice(KEEP_RUNS)) removeQuietly(file);
  }
}
