#!/usr/bin/env node
// `npm run bench`: gohazard against the parse-only floor on real Go code (see bench/README.md).
// A benchmark, not a test: it prints a table and writes bench/latest.json, and never fails on speed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { changeOne, ensureInstalled, listPackages, mirror } from './corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FRACTIONS = [0.25, 0.5, 1];
// Each measurement is the faster of two runs: on a shared 2-core machine one run can lose seconds to a neighbour.
const REPEATS = 2;
const workers = Math.max(1, os.availableParallelism());
const work = path.join(os.tmpdir(), 'gohazard-bench');
const log = (s) => process.stderr.write(`bench: ${s}\n`);

function node(args, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop()}`);
  return { ms, stdout: r.stdout };
}

async function best(measure) {
  let best;
  for (let i = 0; i < REPEATS; i++) {
    const r = await measure();
    if (!best || r.wallMs < best.wallMs) best = r;
  }
  return best;
}

/** The files gohazard's loader selects (the build-header check comes later, in the parser). */
async function selected(corpusDir) {
  const { load } = await import('../dist/src/load/discover.js');
  const { DEFAULT_TARGET } = await import('../dist/src/load/buildtags.js');
  return load(['./...'], { cwd: corpusDir, tests: true, target: DEFAULT_TARGET }).files.map((f) => f.abs);
}

/** Read + parse only, of the selected files, with gohazard's worker count. */
function floor(corpusDir, files) {
  const list = path.join(work, 'files.json');
  writeFileSync(list, JSON.stringify(files));
  const r = node([path.join(here, 'floor.js'), list, String(workers)], corpusDir);
  const out = JSON.parse(r.stdout);
  return { wallMs: r.ms, maxRssMB: out.maxRssMB, files: out.parsed };
}

/** One `gohazard check` run in a child process: wall time, its own phase times, peak RSS. */
function gohazard(corpusDir, extraArgs) {
  const rss = path.join(work, 'rss.json');
  const r = node([path.join(here, 'measure.js'), rss, 'check', '--tests', '--format', 'json', '--stats', '-j', String(workers), ...extraArgs, './...'], corpusDir);
  const { stats, findings } = JSON.parse(r.stdout);
  const { total, ...phases } = stats.timings;
  return {
    wallMs: r.ms,
    totalMs: total,
    phases,
    maxRssMB: JSON.parse(readFileSync(rss, 'utf8')).maxRssMB,
    files: stats.files,
    lines: stats.lines,
    bytes: stats.bytes,
    cached: stats.cached,
    findings: findings.length,
  };
}

async function main() {
  ensureInstalled(log);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const corpus = listPackages();
  const rows = [];
  for (const fraction of FRACTIONS) {
    const dir = path.join(work, `corpus-${fraction * 100}`);
    mirror(corpus, fraction, dir);
    const files = await selected(dir);
    log(`${fraction * 100}%: floor`);
    const fl = await best(() => floor(dir, files));
    const cache = path.join(work, 'cache');
    const withCache = ['--cache-dir', cache];
    log(`${fraction * 100}%: gohazard cold`);
    const cold = await best(() => {
      rmSync(cache, { recursive: true, force: true });
      return gohazard(dir, withCache);
    });
    log(`${fraction * 100}%: gohazard warm`);
    const warm = await best(() => gohazard(dir, withCache));
    log(`${fraction * 100}%: gohazard after one file changed`);
    // The middle file of the sorted list: an ordinary file, not an edge of the corpus.
    const changed = files[Math.floor(files.length / 2)];
    const one = await best(() => {
      changeOne(changed);
      return gohazard(dir, withCache);
    });
    if (one.cached !== one.files - 1) log(`warning: after changing ${changed}, ${one.files - one.cached} files were parsed, not 1`);
    rows.push({ fraction, mode: 'floor', ...fl, lines: cold.lines, bytes: cold.bytes });
    rows.push({ fraction, mode: 'cold', ...cold });
    rows.push({ fraction, mode: 'warm', ...warm });
    rows.push({ fraction, mode: 'one changed', changedFile: path.relative(dir, changed), ...one });
    rmSync(dir, { recursive: true, force: true });
  }
  const wallOf = (mode) => new Map(rows.filter((r) => r.mode === mode).map((r) => [r.fraction, r.wallMs]));
  const floors = wallOf('floor');
  const colds = wallOf('cold');
  for (const r of rows) {
    r.ratioToFloor = r.wallMs / floors.get(r.fraction);
    r.ratioToCold = r.wallMs / colds.get(r.fraction);
    r.filesPerSec = r.files / (r.wallMs / 1000);
    r.mbPerSec = r.bytes / 1e6 / (r.wallMs / 1000);
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    workers,
    rows,
  };
  writeFileSync(path.join(here, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(table(result));
  rmSync(work, { recursive: true, force: true });
}

function table({ machine, workers, rows }) {
  const s = (ms) => (ms / 1000).toFixed(2);
  const out = [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGB} GB, Node ${machine.node}; ${workers} workers`,
    '',
    '| corpus | files | MB | run | wall s | × floor | × cold | files/s | MB/s | peak RSS MB | from cache | phases (s) |',
    '|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const phases = r.phases ? Object.entries(r.phases).map(([k, v]) => `${k} ${s(v)}`).join(', ') : '';
    out.push(`| ${r.fraction * 100}% | ${r.files} | ${(r.bytes / 1e6).toFixed(1)} | ${r.mode} | ${s(r.wallMs)} | ${r.ratioToFloor.toFixed(2)} | ${r.ratioToCold.toFixed(2)} | ${r.filesPerSec.toFixed(0)} | ${r.mbPerSec.toFixed(1)} | ${r.maxRssMB.toFixed(0)} | ${r.cached ?? ''} | ${phases} |`);
  }
  return `${out.join('\n')}\n`;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 2;
});
