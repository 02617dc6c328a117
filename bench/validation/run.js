#!/usr/bin/env node
// Repeats a validation-corpus measurement (bench/validation/README.md): extracts each project of a project list
// at its pinned commit from a folder of bare mirrors (with bench/extract.js, the recall runner's extractor), runs
// gohazard on it as a new user would (`check ./...` from the tree's root, tests included, no cache), and writes
// one JSON and one text report per project plus a summary line of counts.
// Usage: node bench/validation/run.js [--projects FILE] [--cli BIN] [--trees DIR] [--extract-only] [--enough E:P] [MIRRORS] [OUT] [name...]
// --enough E:P stops after the first project at which the error-level findings total at least E over at least P
// projects (issue 25's rule for how far down a corpus list a measurement goes).
// --extract-only prepares the trees and prints their sizes without running gohazard (a fresh corpus is prepared
// before the engine to measure is named, and must not be analyzed before then).
// --cli BIN measures another build's bin/gohazard.js (a corpus is measured on the engine the lead names, e.g. the
// untouched "before" checkout, not on the branch that holds this script); by default this checkout's own.
// --trees DIR extracts the trees into DIR instead of beside the reports in OUT.
// FILE defaults to projects.json beside this script (projects-v2.json is the second corpus), MIRRORS to
// /work/.mirror (laid out as <owner>+<name>/repo), OUT to /work/trees/validation.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { extractTree } from '../extract.js';
import { readProjects } from './projects.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    projects: { type: 'string' },
    cli: { type: 'string' },
    trees: { type: 'string' },
    'extract-only': { type: 'boolean' },
    enough: { type: 'string' },
  },
});
const cli = path.resolve(opts.cli ?? path.join(here, '..', '..', 'bin', 'gohazard.js'));
const [enoughErrors, enoughProjects] = opts.enough ? opts.enough.split(':').map(Number) : [Infinity, 0];
const [mirrors = '/work/.mirror', out = '/work/trees/validation', ...only] = positionals;
const projects = readProjects(opts.projects).filter((p) => only.length === 0 || only.includes(p.name));
const log = (s) => process.stderr.write(`validation: ${s}\n`);
mkdirSync(out, { recursive: true });

/**
 * The size the README reports: Go files and their lines, outside vendor/ and testdata/ (which gohazard skips).
 * Counted from the extracted tree, so a blob the mirror lacks is not counted.
 */
function goSize(dir, rel = '') {
  const size = { goFiles: 0, goLines: 0 };
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const file = path.join(rel, e.name);
    if (e.isDirectory() && e.name !== 'vendor' && e.name !== 'testdata') {
      const sub = goSize(dir, file);
      size.goFiles += sub.goFiles;
      size.goLines += sub.goLines;
    } else if (e.isFile() && e.name.endsWith('.go')) {
      size.goFiles++;
      size.goLines += readFileSync(path.join(dir, file)).reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
    }
  }
  return size;
}

const totals = { error: 0, warning: 0, note: 0 };
const rows = [];
for (const p of projects) {
  const gitDir = path.join(mirrors, p.repo.replace('/', '+'), 'repo');
  const tree = path.join(opts.trees ?? out, p.name);
  const { files, missing } = await extractTree(gitDir, p.commit, tree);
  const size = goSize(tree);
  log(`${tree}: ${files} files (${missing} missing), ${size.goFiles} .go files, ${size.goLines} lines`);
  if (opts['extract-only']) continue;
  const json = path.join(out, `${p.name}.json`);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [cli, 'check', '--no-cache', '--no-progress', '--format', `json:${json}`, '--format', `text:${path.join(out, `${p.name}.txt`)}`, './...'],
    { cwd: path.join(tree, p.subfolder ?? '.'), encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const seconds = Math.round((performance.now() - t0) / 1000);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${p.name}: gohazard exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const counts = { error: 0, warning: 0, note: 0 };
  for (const f of report.findings) counts[f.severity]++;
  for (const k of Object.keys(totals)) totals[k] += counts[k];
  // The README's parse-error column: files the grammar could not fully parse, whose findings may be missed.
  const parseErrorFiles = new Set(report.diagnostics.filter((d) => /syntax error/.test(d.message)).map((d) => d.path)).size;
  rows.push({ name: p.name, commit: p.commit, ...size, seconds, ...counts, parseErrorFiles });
  log(`${p.name}: ${counts.error} errors, ${counts.warning} warnings, ${counts.note} notes, ${parseErrorFiles} files with parse errors (${seconds} s)`);
  if (totals.error >= enoughErrors && rows.length >= enoughProjects) break;
}
if (opts['extract-only']) process.exit(0);
writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ rows, totals }, null, 2) + '\n');
console.log(
  `validation: ${rows.length} projects: ${totals.error} errors, ${totals.warning} warnings, ${totals.note} notes (` +
    rows.map((r) => `${r.name} ${r.error}/${r.warning}`).join(', ') +
    ')',
);
