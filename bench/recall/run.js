#!/usr/bin/env node
// `npm run recall`: how many real concurrency bugs the current build finds (see bench/recall/README.md).
// A benchmark, not a test: it prints tables, writes bench/recall/latest.json, and never fails on a score.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { extractTree } from '../extract.js';
import { loadEntries, CLASSES } from './entries.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const bin = path.join(repoRoot, 'bin/gohazard.js');
/** A finding this close to a labelled operation is taken to be about it (lines shift with blank lines and braces). */
const NEAR = 2;
const RUN_TIMEOUT_MS = 15 * 60_000;

const USAGE = `usage: npm run recall -- [options]
  --mirrors <dir>   fetched bare mirrors, one per repository as <owner>+<name>/repo (default: $GOHAZARD_MIRRORS or /work/.mirror)
  --trees <dir>     where buggy and fixed trees are extracted and kept between runs (default: $TMPDIR/gohazard-recall)
  --only <id>       run one entry (repeatable)
  --split <s>       dev, check or all (default: all)
  --kind <k>        tree, kernel or all (default: all)
  -j, --jobs <n>    entries analyzed at once (default: 1; each analysis also uses every core for parsing)
  --out <file>      where the per-entry results go (default: bench/recall/latest.json; with --only, only when given)
  --markdown        also print the tables as Markdown, for bench/recall/README.md
  --from <file>     analyze nothing: tally the results of earlier runs (repeatable; a later file's entry wins)`;

const { values: opts } = parseOptions({
  options: {
    mirrors: { type: 'string', default: process.env.GOHAZARD_MIRRORS ?? '/work/.mirror' },
    trees: { type: 'string', default: path.join(os.tmpdir(), 'gohazard-recall') },
    only: { type: 'string', multiple: true },
    split: { type: 'string', default: 'all' },
    kind: { type: 'string', default: 'all' },
    jobs: { type: 'string', short: 'j', default: '1' },
    out: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    from: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
/** parseArgs, with a bad flag or a stray argument told in one line and the usage, not a stack trace. */
function parseOptions(config) {
  try {
    return parseArgs(config);
  } catch (e) {
    process.stderr.write(`recall: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const log = (s) => process.stderr.write(`recall: ${s}\n`);

/**
 * Every rule runs, opt-in ones included, so one run per tree scores both what the default gate reports and what
 * the analyzer can report at all (a rule's findings do not depend on which other rules run).
 */
async function ruleConfig() {
  const { ALL_RULES } = await import(path.join(repoRoot, 'dist/src/rules.js'));
  // One file per run: two runs of different builds (before and after a change) may share the trees folder.
  const file = path.join(opts.trees, `all-rules-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ rules: Object.fromEntries(ALL_RULES.map((r) => [r.meta.id, 'on'])) }));
  return { file, optIn: new Set(ALL_RULES.filter((r) => r.meta.optIn).map((r) => r.meta.id)) };
}

/** Runs a command to its end, collecting its output (killed after RUN_TIMEOUT_MS). */
function run(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd, env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192`.trim() },
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** One `gohazard check` of `pattern` from `cwd`: its findings, with locations made absolute. */
async function analyze(cwd, pattern, configFile) {
  const args = [bin, 'check', '--tests', '--format', 'json', '--no-progress', '--fail-on', 'none', '--config', configFile,
    '--cache-dir', path.join(opts.trees, '.cache'), pattern];
  const t0 = performance.now();
  const r = await run(args, cwd);
  const seconds = (performance.now() - t0) / 1000;
  if (!r.stdout.trim().startsWith('{')) {
    const why = r.signal ? `killed by ${r.signal}` : r.stderr.trim().split('\n').pop();
    return { error: `gohazard failed in ${cwd} (exit ${r.status}): ${why}`, seconds };
  }
  const report = JSON.parse(r.stdout);
  const abs = (loc) => ({ file: path.resolve(report.root, loc.path), line: loc.line });
  const findings = report.findings
    .filter((f) => f.ruleId !== 'bad-ignore' && f.ruleId !== 'unused-ignore')
    .map((f) => ({
      ruleId: f.ruleId, severity: f.severity, confidence: f.confidence, message: f.message, fingerprint: f.fingerprint,
      locations: [abs(f.location), ...(f.related ?? []).map((x) => abs(x.location))],
      at: `${f.location.path}:${f.location.line}`,
    }));
  return { findings, seconds, incomplete: r.status === 2 };
}

/** The findings that point (primary or related location) within NEAR lines of a labelled site. */
function nearSites(findings, root, sites) {
  const targets = sites.map((s) => ({ file: path.resolve(root, s.file), line: s.line }));
  return findings.filter((f) => f.locations.some((l) => targets.some((t) => t.file === l.file && Math.abs(t.line - l.line) <= NEAR)));
}

/**
 * detected: a finding about a faulty operation that the fix removes; flagged-both: such findings exist but the fixed
 * code keeps them all; missed: nothing about the faulty operations. A tree pair's findings are matched by
 * fingerprint (rule, identities, function names: no lines); a kernel's twins live in different folders, so a
 * finding counts as removed when the fixed twin has none of its rule.
 */
function score(entry, buggyRoot, buggy, fixed) {
  const near = nearSites(buggy.findings, buggyRoot, entry.sites);
  const kept = entry.kind === 'tree'
    ? (f) => fixed.findings.some((g) => g.fingerprint === f.fingerprint)
    : (f) => fixed.findings.some((g) => g.ruleId === f.ruleId);
  const removed = near.filter((f) => !kept(f));
  const outcome = removed.length ? 'detected' : near.length ? 'flagged-both' : 'missed';
  const pick = (removed.length ? removed : near)[0];
  const gate = removed.some((f) => f.severity === 'error' && !ruleConfigCache.optIn.has(f.ruleId));
  return {
    outcome,
    gate,
    finding: pick && { ruleId: pick.ruleId, severity: pick.severity, at: pick.at, message: pick.message },
    fixedSilent: fixed.findings.length === 0,
  };
}

let ruleConfigCache;

async function runEntry(entry) {
  if (entry.kind === 'kernel') {
    const kernels = path.join(here, 'kernels');
    const [buggy, fixed] = await Promise.all([
      analyze(kernels, `./${entry.id}/buggy`, ruleConfigCache.file),
      analyze(kernels, `./${entry.id}/fixed`, ruleConfigCache.file),
    ]);
    if (buggy.error || fixed.error) return { error: buggy.error ?? fixed.error };
    return { ...score(entry, path.join(kernels, entry.id, 'buggy'), buggy, fixed), seconds: buggy.seconds + fixed.seconds };
  }
  const [owner, name] = entry.repo.split('/');
  const gitDir = path.join(opts.mirrors, `${owner}+${name}`, 'repo');
  if (!existsSync(gitDir)) return { error: `no mirror of ${entry.repo} at ${gitDir} (fetch github:${entry.repo})` };
  const roots = {};
  for (const side of ['buggy', 'fixed']) {
    roots[side] = path.join(opts.trees, `${owner}+${name}`, entry[side === 'buggy' ? 'buggy' : 'fix'].slice(0, 12));
    try {
      await extractTree(gitDir, entry[side === 'buggy' ? 'buggy' : 'fix'], roots[side]);
    } catch (err) {
      return { error: `cannot extract ${side} ${entry.repo}: ${err.message}` };
    }
  }
  const buggy = await analyze(roots.buggy, './...', ruleConfigCache.file);
  const fixed = await analyze(roots.fixed, './...', ruleConfigCache.file);
  if (buggy.error || fixed.error) return { error: buggy.error ?? fixed.error };
  return { ...score(entry, roots.buggy, buggy, fixed), seconds: buggy.seconds + fixed.seconds, incomplete: buggy.incomplete || fixed.incomplete };
}

function tally(results) {
  const rows = new Map();
  const add = (key, r) => {
    const row = rows.get(key) ?? { entries: 0, detected: 0, gate: 0, 'flagged-both': 0, missed: 0, error: 0, kernels: 0, fixedSilent: 0 };
    row.entries++;
    row[r.error ? 'error' : r.outcome]++;
    if (r.gate) row.gate++;
    if (r.kind === 'kernel' && !r.error) {
      row.kernels++;
      if (r.fixedSilent) row.fixedSilent++;
    }
    rows.set(key, row);
  };
  for (const r of results) {
    add(r.class, r);
    add('all', r);
  }
  return [...CLASSES, 'all'].filter((c) => rows.has(c)).map((c) => ({ class: c, ...rows.get(c) }));
}

function printTable(title, rows, markdown) {
  const head = ['class', 'entries', 'detected', 'at error (defaults)', 'flagged-both', 'missed', 'failed to run', 'kernels silent on fixed'];
  const cells = rows.map((r) => [r.class, r.entries, r.detected, r.gate, r['flagged-both'], r.missed, r.error, r.kernels ? `${r.fixedSilent}/${r.kernels}` : '']);
  console.log(`\n${title}`);
  if (markdown) {
    console.log(`| ${head.join(' | ')} |\n|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
    for (const c of cells) console.log(`| ${c.join(' | ')} |`);
    return;
  }
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => (i ? String(x).padStart(widths[i]) : String(x).padEnd(widths[i]))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

function printTables(results) {
  for (const split of ['dev', 'check']) {
    const part = results.filter((r) => r.split === split);
    if (part.length) printTable(`${split} split (${part.length} entries)`, tally(part), opts.markdown);
  }
}

/** --from: the entries of earlier runs' JSON files, one per id, tallied again. */
function retally(files) {
  const byId = new Map();
  for (const f of files) for (const r of JSON.parse(readFileSync(f, 'utf8')).results) if (r) byId.set(r.id, r);
  printTables([...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
}

async function main() {
  if (opts.from?.length) return retally(opts.from);
  if (!existsSync(path.join(repoRoot, 'dist/src/rules.js'))) throw new Error('no build: run `npm run build` first');
  mkdirSync(opts.trees, { recursive: true });
  ruleConfigCache = await ruleConfig();
  process.on('exit', () => rmSync(ruleConfigCache.file, { force: true }));
  let entries = loadEntries(here);
  if (opts.only?.length) {
    const unknown = opts.only.filter((id) => !entries.some((e) => e.id === id));
    if (unknown.length) throw new Error(`no entry ${unknown.join(', ')}`);
    entries = entries.filter((e) => opts.only.includes(e.id));
  }
  if (opts.split !== 'all') entries = entries.filter((e) => e.split === opts.split);
  if (opts.kind !== 'all') entries = entries.filter((e) => e.kind === opts.kind);
  const results = new Array(entries.length);
  let next = 0;
  let finished = 0;
  // Entries of one repository share its mirror and extracted trees: a worker takes the next entry in id order.
  const worker = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i];
      const r = await runEntry(entry);
      const what = r.error ? `FAILED: ${r.error}` : `${r.outcome}${r.finding ? ` (${r.finding.ruleId} ${r.finding.severity} at ${r.finding.at})` : ''}`;
      log(`[${++finished}/${entries.length}] ${entry.id} (${entry.split}, ${entry.class}): ${what}${r.seconds ? `, ${r.seconds.toFixed(1)} s` : ''}`);
      results[i] = { id: entry.id, kind: entry.kind, split: entry.split, class: entry.class, repo: entry.repo, ...r };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(opts.jobs)) }, worker));
  printTables(results);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
  if (!opts.only?.length || opts.out) {
    const out = opts.out ?? path.join(here, 'latest.json');
    const tables = Object.fromEntries(['dev', 'check'].map((s) => [s, tally(results.filter((r) => r.split === s))]));
    writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), commit, near: NEAR, tables, results }, null, 1)}\n`);
    log(`wrote ${path.relative(process.cwd(), out)}`);
  }
}

main().catch((err) => {
  process.stderr.write(`recall: ${err.message}\n`);
  process.exit(2);
});
