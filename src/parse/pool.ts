import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fromWire, type FileJob, type FileOutcome, type ParseConfig } from './file.js';
import type { WorkerRequest, WorkerResponse } from './worker.js';

/** Files per message: large enough to amortize messaging, small enough to balance the tail. */
const BATCH = 16;

export interface PoolOptions {
  workers?: number;
  onProgress?: (done: number, total: number) => void;
  /** The script the threads run, and their heap: tests stand in a thread that runs out of memory on a chosen file. */
  workerUrl?: URL;
  resourceLimits?: ResourceLimits;
}

/** What parsing ends with: a stale cache entry has been rebuilt by then. */
export type ParsedOutcome = Exclude<FileOutcome, { kind: 'stale' }>;

/**
 * Parses files on worker threads with a shared queue: each idle worker takes the next batch,
 * so one slow file never leaves the other workers waiting (a static split did, by half, in measurements).
 * A thread that dies (out of memory on a huge file) loses only the file it died on, skipped with a reason.
 */
export async function parseAll(jobs: FileJob[], config: ParseConfig, opts: PoolOptions = {}): Promise<ParsedOutcome[]> {
  const outcomes = await parseOnWorkers(jobs, config, opts);
  // A cached summary of the wrong shape is parsed again once, and its entry overwritten.
  const stale = outcomes.flatMap((o, i) => (o.kind === 'stale' ? [i] : []));
  if (stale.length === 0) return outcomes as ParsedOutcome[];
  const again = await parseOnWorkers(
    stale.map((i) => ({ ...jobs[i]!, rebuild: (outcomes[i] as { reason: string }).reason })),
    config,
    { ...opts, onProgress: undefined },
  );
  stale.forEach((i, j) => {
    const o = again[j]!;
    outcomes[i] = o.kind === 'stale' ? { kind: 'skipped', reason: `internal error: the summary is unusable (${o.reason})` } : o;
  });
  return outcomes as ParsedOutcome[];
}

/**
 * Files lost to dying parser threads before the run gives up: a thread that dies on file after file
 * (it cannot load, the machine is out of memory) is not one bad file, and is the run's error.
 */
const MAX_LOST = 8;

/** Why a file was skipped when the thread parsing it alone died. */
function lostReason(err: Error | undefined, code: number): string {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return "the parser ran out of memory on it (its thread's heap is full); raise NODE_OPTIONS=--max-old-space-size (in MB) or exclude it";
  }
  return `internal error: the parser's thread stopped on it (${err ? err.message : `exit code ${code}`})`;
}

async function parseOnWorkers(jobs: FileJob[], config: ParseConfig, opts: PoolOptions): Promise<FileOutcome[]> {
  const outcomes = new Array<FileOutcome>(jobs.length);
  if (jobs.length === 0) return outcomes;
  // Each batch is the indexes of its jobs; the files of a batch whose thread died come back one by one.
  const queue: number[][] = [];
  for (let i = 0; i < jobs.length; i += BATCH) queue.push(Array.from({ length: Math.min(BATCH, jobs.length - i) }, (_, j) => i + j));
  const count = Math.max(1, Math.min(opts.workers ?? availableParallelism(), queue.length));
  const workerUrl = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
  const sent: number[][] = [];
  let done = 0;
  let lost = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const live = new Set<Worker>();
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of live) void w.terminate();
      reject(err);
    };
    const start = () => {
      const w = new Worker(workerUrl, { workerData: config, ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}) });
      live.add(w);
      // The batch this thread is parsing, and the error it died of: a thread that dies takes only that batch.
      let current: number | undefined;
      let error: Error | undefined;
      const feed = () => {
        const batch = queue.shift();
        if (batch === undefined || failed) {
          live.delete(w);
          void w.terminate();
          if (live.size === 0 && !failed) resolve();
          return;
        }
        current = sent.length;
        sent.push(batch);
        w.postMessage({ batch: current, jobs: batch.map((i) => jobs[i]!) } satisfies WorkerRequest);
      };
      w.on('message', (res: WorkerResponse) => {
        const batch = sent[res.batch]!;
        res.outcomes.forEach((o, j) => {
          const i = batch[j]!;
          outcomes[i] = fromWire(o, jobs[i]!.rel);
        });
        current = undefined;
        done += res.outcomes.length;
        opts.onProgress?.(done, jobs.length);
        feed();
      });
      w.on('error', (err) => {
        error = err;
      });
      w.on('exit', (code) => {
        if (!live.delete(w) || failed) return;
        if (current === undefined) {
          fail(new Error(`parser worker stopped unexpectedly (${error ? error.message : `exit code ${code}`})`));
          return;
        }
        const batch = sent[current]!;
        if (batch.length > 1) {
          // Which file killed it is not known: each is parsed again alone, first, so the rest of the batch survives.
          queue.unshift(...batch.map((i) => [i]));
        } else {
          outcomes[batch[0]!] = { kind: 'skipped', reason: lostReason(error, code) };
          done++;
          opts.onProgress?.(done, jobs.length);
          if (++lost > MAX_LOST) {
            fail(new Error(`parser threads stopped on ${lost} files (the last: ${lostReason(error, code)})`));
            return;
          }
        }
        if (queue.length > 0) start();
        else if (live.size === 0) resolve();
      });
      feed();
    };
    for (let i = 0; i < count; i++) start();
  });
  return outcomes;
}
