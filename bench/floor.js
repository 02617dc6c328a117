// Child process: the parse-only floor over a file list, with the same worker count and batch size
// as gohazard's pool. Prints one JSON line: wall milliseconds, files parsed, peak RSS.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { DEFAULT_TARGET } from '../dist/src/load/buildtags.js';

const [listFile, workersArg] = process.argv.slice(2);
const paths = JSON.parse(readFileSync(listFile, 'utf8'));
const workers = Number(workersArg);
const BATCH = 16;

const t0 = performance.now();
let next = 0;
let parsed = 0;
await Promise.all(
  Array.from({ length: workers }, () => {
    const w = new Worker(new URL('./floor-worker.js', import.meta.url), { workerData: { target: DEFAULT_TARGET } });
    return new Promise((resolve, reject) => {
      const feed = () => {
        if (next >= paths.length) return void w.terminate().then(resolve);
        w.postMessage(paths.slice(next, next + BATCH));
        next += BATCH;
      };
      w.on('message', (n) => {
        parsed += n;
        feed();
      });
      w.on('error', reject);
      feed();
    });
  }),
);
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ ms, parsed, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
