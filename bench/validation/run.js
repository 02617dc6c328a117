#!/usr/bin/env node
// Repeats the validation-corpus measurement (bench/validation/README.md): extracts each project of
// projects.json at its pinned commit from a folder of bare mirrors, runs gohazard on it as a new user would
// (`check ./...` from the tree's root, tests included, no cache), and writes one JSON and one text report per
// project plus a summary line of counts. Usage: node bench/validation/run.js [MIRRORS] [OUT] [name...]
// MIRRORS defaults to /work/.mirror (laid out as <owner>+<name>/repo), OUT to /work/trees/validation.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', '..', 'bin', 'gohazard.js');
const [mirrors = '/work/.mirror', out = '/work/trees/validation', ...only] = process.argv.slice(2);
const projects = JSON.parse(readFileSync(path.join(here, 'projects.json'), 'utf8')).filter(
  (p) => only.length === 0 || only.includes(p.name),
);
const log = (s) => process.stderr.write(`validation: ${s}\n`);

function git(gitDir, args, input) {
  const r = spawnSync('git', [`--git-dir=${gitDir}`, ...args], { input, maxBuffer: 4 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

/**
 * Writes COMMIT's tree into dest, file by file, from `git ls-tree -r` and one `git cat-file --batch`: unlike
 * `git archive` this goes on past blobs a partial mirror lacks. Symlinks and paths escaping dest are skipped.
 * Returns the size the README reports: Go files written and their lines, outside vendor/ and testdata/ (which
 * gohazard skips).
 */
function extract(gitDir, commit, dest) {
  rmSync(dest, { recursive: true, force: true });
  const root = path.resolve(dest);
  const blobs = [];
  for (const entry of git(gitDir, ['ls-tree', '-r', '-z', commit]).toString('utf8').split('\0')) {
    if (!entry) continue;
    const tab = entry.indexOf('\t');
    const [mode, kind, sha] = entry.slice(0, tab).split(' ');
    if (kind === 'blob' && mode !== '120000') blobs.push({ sha, file: entry.slice(tab + 1) });
  }
  const batch = git(gitDir, ['cat-file', '--batch'], blobs.map((b) => b.sha).join('\n') + '\n');
  let at = 0;
  let missing = 0;
  const size = { goFiles: 0, goLines: 0 };
  for (const { file } of blobs) {
    const eol = batch.indexOf(10, at);
    const header = batch.subarray(at, eol).toString().split(' ');
    at = eol + 1;
    if (header[1] === 'missing') {
      missing++;
      continue;
    }
    const data = batch.subarray(at, at + Number(header[2]));
    at += data.length + 1;
    const target = path.resolve(root, file);
    if (!target.startsWith(root + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
    if (file.endsWith('.go') && !file.split('/').some((dir) => dir === 'vendor' || dir === 'testdata')) {
      size.goFiles++;
      size.goLines += data.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
    }
  }
  log(`${dest}: ${blobs.length - missing} files (${missing} missing), ${size.goFiles} .go files, ${size.goLines} lines`);
  return size;
}

const totals = { error: 0, warning: 0, note: 0 };
const rows = [];
for (const p of projects) {
  const gitDir = path.join(mirrors, p.repo.replace('/', '+'), 'repo');
  const tree = path.join(out, p.name);
  const size = extract(gitDir, p.commit, tree);
  const json = path.join(out, `${p.name}.json`);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [cli, 'check', '--no-cache', '--no-progress', '--format', `json:${json}`, '--format', `text:${path.join(out, `${p.name}.txt`)}`, './...'],
    { cwd: path.join(tree, p.subfolder ?? '.'), encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const seconds = Math.round((performance.now() - t0) / 1000);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${p.name}: gohazard exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const counts = { error: 0, warning: 0, note: 0 };
  for (const f of JSON.parse(readFileSync(json, 'utf8')).findings) counts[f.severity]++;
  for (const k of Object.keys(totals)) totals[k] += counts[k];
  rows.push({ name: p.name, commit: p.commit, ...size, seconds, ...counts });
  log(`${p.name}: ${counts.error} errors, ${counts.warning} warnings, ${counts.note} notes (${seconds} s)`);
}
writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ rows, totals }, null, 2) + '\n');
console.log(
  `validation: ${rows.length} projects: ${totals.error} errors, ${totals.warning} warnings, ${totals.note} notes (` +
    rows.map((r) => `${r.name} ${r.error}/${r.warning}`).join(', ') +
    ')',
);
