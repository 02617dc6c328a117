// Child process: runs the gohazard CLI in-process and appends its peak RSS (worker threads
// included: they share the process) to the file named by the first argument.
import { writeFileSync } from 'node:fs';
import { main } from '../dist/src/cli.js';

const [out, ...args] = process.argv.slice(2);
const code = await main([process.argv[0], 'gohazard', ...args]);
writeFileSync(out, JSON.stringify({ code, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
