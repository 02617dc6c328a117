// Parse-only floor, one worker: read, decode, check the build header (as gohazard does before
// parsing) and parse with tree-sitter; the tree is dropped. Nothing else.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';
import { matchHeader } from '../dist/src/load/buildtags.js';

const parser = new Parser();
parser.setLanguage(Go);
const decoder = new TextDecoder('utf-8', { fatal: true });

// One batch per message, like gohazard's pool: returning to the event loop lets the GC free trees.
parentPort.on('message', (paths) => {
  let parsed = 0;
  for (const p of paths) {
    let src;
    try {
      src = decoder.decode(readFileSync(p));
      if (!matchHeader(src, workerData.target)) continue;
    } catch {
      continue;
    }
    parser.parse(src);
    parsed++;
  }
  parentPort.postMessage(parsed);
});
