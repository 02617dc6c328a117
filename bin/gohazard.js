#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

// A reader that stops early (`gohazard rules | head -1`) closes the pipe: the rest of the output has
// nowhere to go, which is the reader's choice and no failure of ours. Node ignores SIGPIPE, so without
// this the write's EPIPE would end the run with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.exitCode = await main(process.argv);
