#!/usr/bin/env node
// Draws the seeded random sample of findings that bench/validation/README.md reads one by one, so the same
// reports give the same sample. Usage: node bench/validation/sample.js [--projects FILE] OUT SEVERITY COUNT SEED
// (OUT: the folder run.js wrote; FILE: the list run.js was given, projects.json by default). Findings are pooled
// in the list's order, each project's in report order (path, line), shuffled by Fisher-Yates with
// mulberry32(SEED), and the first COUNT printed (all if fewer).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readProjects } from './projects.js';

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { projects: { type: 'string' } } });
const [out = '/work/trees/validation', severity = 'warning', count = '20', seed = '25'] = positionals;
// A list is measured only down to the project where --enough stopped run.js: the projects after it have no report.
const projects = readProjects(opts.projects).filter((p) => existsSync(path.join(out, `${p.name}.json`)));

/** mulberry32: a tiny seeded PRNG, enough to make a sample reproducible (not for anything statistical). */
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pool = projects.flatMap((p) =>
  JSON.parse(readFileSync(path.join(out, `${p.name}.json`), 'utf8'))
    .findings.filter((f) => f.severity === severity)
    .map((f) => ({ project: p.name, ...f })),
);
const random = mulberry32(Number(seed));
for (let i = pool.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [pool[i], pool[j]] = [pool[j], pool[i]];
}
console.log(`${pool.length} ${severity} findings in ${projects.length} projects, seed ${seed}, sample of ${Math.min(pool.length, Number(count))}:`);
for (const f of pool.slice(0, Number(count))) {
  console.log(`${f.project}\t${f.location.path}:${f.location.line}\t${f.ruleId}\t${f.confidence}`);
}
