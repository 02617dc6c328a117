// The project list a validation script reads: a file name relative to this folder (or absolute), projects.json
// (the first corpus) by default. Shared by run.js and sample.js so both read the same list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The projects of the list `file`, in its order: { name, repo, commit, subfolder? }. */
export function readProjects(file = 'projects.json') {
  return JSON.parse(readFileSync(path.resolve(here, file), 'utf8'));
}
