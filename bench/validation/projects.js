// The project list a validation script reads: `--projects FILE` (relative to this folder unless absolute) picks
// one, projects.json (the first corpus) by default. Shared by run.js and sample.js so both read the same list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Takes `--projects FILE` out of argv; returns the list it names and the other arguments in order. */
export function projectList(argv) {
  const at = argv.indexOf('--projects');
  const file = at >= 0 ? argv[at + 1] : 'projects.json';
  if (at >= 0 && !file) throw new Error('--projects needs a file');
  const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv;
  return { projects: JSON.parse(readFileSync(path.resolve(here, file), 'utf8')), rest };
}
