import { parentPort, workerData } from 'node:worker_threads';
import { FileParser, type FileJob, type WireOutcome, type ParseConfig } from './file.js';

export interface WorkerRequest {
  batch: number;
  jobs: FileJob[];
}

export interface WorkerResponse {
  batch: number;
  outcomes: WireOutcome[];
  /** Set when summarizing crashed on a file: a bug in gohazard, reported but not fatal. */
  crashes: { rel: string; message: string }[];
}

const parser = new FileParser(workerData as ParseConfig);

// One batch per message: returning to the event loop between batches lets the GC free native trees.
parentPort?.on('message', (req: WorkerRequest) => {
  const outcomes: WireOutcome[] = [];
  const crashes: WorkerResponse['crashes'] = [];
  for (const job of req.jobs) {
    try {
      outcomes.push(parser.parse(job));
    } catch (err) {
      crashes.push({ rel: job.rel, message: (err as Error).message });
      outcomes.push({ kind: 'skipped', reason: `internal error while summarizing: ${(err as Error).message}` });
    }
  }
  try {
    parentPort?.postMessage({ batch: req.batch, outcomes, crashes } satisfies WorkerResponse);
  } catch (err) {
    // A summary that cannot be cloned is a gohazard bug: lose that batch's files, never the run.
    const reason = `internal error while sending the summary: ${(err as Error).message}`;
    const skipped: WireOutcome[] = req.jobs.map(() => ({ kind: 'skipped', reason }));
    parentPort?.postMessage({ batch: req.batch, outcomes: skipped, crashes } satisfies WorkerResponse);
  }
});
