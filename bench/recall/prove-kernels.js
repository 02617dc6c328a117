#!/usr/bin/env node
// Proves every recall kernel: its buggy/ test must fail by the bug its label
// names, and its fixed/ test must pass.
//
//   node bench/recall/prove-kernels.js [--only <id>] [--repeat <n>]
//
// Runs `go test -count=1 -timeout 10s ./<id>/<variant>` in bench/recall/kernels,
// at most two packages at a time (each hang costs its full 10 s, and the
// machine is shared). Prints one row per kernel and exits 1 if any proof fails.
// --repeat runs each proof n times, to check that a kernel is deterministic.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KERNELS = join(dirname(fileURLToPath(import.meta.url)), 'kernels');
const PARALLEL = 2;
const GO_TIMEOUT = '10s';

// How a `go test` run ended, read from its output. Order matters: a test that
// panics also prints FAIL.
const OUTCOMES = [
  ['send-on-closed', /panic: send on closed channel/],
  ['close-of-closed', /panic: close of closed channel/],
  ['negative-waitgroup', /sync: negative WaitGroup counter/],
  ['unlock-of-unlocked', /unlock of unlocked (RW)?mutex/i],
  ['deadlock', /fatal error: all goroutines are asleep - deadlock!/],
  ['timeout', /panic: test timed out after/],
];

// The failures that prove each class; "other" accepts any of them.
const HANGS = ['deadlock', 'timeout'];
const EXPECTED = {
  'send-after-close': ['send-on-closed'],
  'double-close': ['close-of-closed'],
  'waitgroup': ['negative-waitgroup', ...HANGS],
  'missing-unlock': [...HANGS, 'unlock-of-unlocked'],
  'double-lock': HANGS,
  'lock-order': HANGS,
  'block-under-lock': HANGS,
  'goroutine-leak': HANGS,
  'cond': HANGS,
  'other': OUTCOMES.map(([name]) => name),
};

function parseArgs(argv) {
  const opts = { only: null, repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') opts.only = argv[++i];
    else if (argv[i] === '--repeat') opts.repeat = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(opts.repeat) || opts.repeat < 1) throw new Error('--repeat takes a positive integer');
  return opts;
}

function loadKernels(only) {
  const ids = readdirSync(KERNELS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(KERNELS, d.name, 'label.json')))
    .map((d) => d.name)
    .filter((id) => !only || id === only)
    .sort();
  if (only && ids.length === 0) throw new Error(`no kernel ${only}`);
  return ids.map((id) => JSON.parse(readFileSync(join(KERNELS, id, 'label.json'), 'utf8')));
}

function goTest(pkg) {
  return new Promise((resolve) => {
    const child = spawn('go', ['test', '-count=1', `-timeout=${GO_TIMEOUT}`, `./${pkg}`], { cwd: KERNELS });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve(classify(code, out)));
  });
}

function classify(code, out) {
  if (code === 0) return 'pass';
  const hit = OUTCOMES.find(([, re]) => re.test(out));
  return hit ? hit[0] : `fail: ${out.trim().split('\n').slice(-3).join(' | ')}`;
}

// Runs the jobs with at most PARALLEL of them under way.
async function pool(jobs) {
  const results = new Array(jobs.length);
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

// Every distinct outcome of the repeated runs, e.g. "timeout" or "pass,timeout";
// an unexpected failure shows as "fail", its output is printed after the table.
function summarize(outcomes) {
  return [...new Set(outcomes.map((o) => (o.startsWith('fail') ? 'fail' : o)))].join(',');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const kernels = loadKernels(opts.only);
  const jobs = [];
  for (const k of kernels) {
    for (let r = 0; r < opts.repeat; r++) {
      jobs.push(() => goTest(`${k.id}/buggy`), () => goTest(`${k.id}/fixed`));
    }
  }
  const outcomes = await pool(jobs);

  const rows = kernels.map((k, i) => {
    const runs = outcomes.slice(i * 2 * opts.repeat, (i + 1) * 2 * opts.repeat);
    const buggy = runs.filter((_, j) => j % 2 === 0);
    const fixed = runs.filter((_, j) => j % 2 === 1);
    const expected = EXPECTED[k.class] ?? [];
    const ok = buggy.every((o) => expected.includes(o)) && fixed.every((o) => o === 'pass');
    const failures = [...new Set(runs.filter((o) => o.startsWith('fail')))];
    return { id: k.id, class: k.class, buggy: summarize(buggy), fixed: summarize(fixed), ok, failures };
  });

  const header = { id: 'id', class: 'class', buggy: 'buggy', fixed: 'fixed', ok: 'proof' };
  const width = (key) => Math.max(...[header, ...rows].map((r) => String(r[key]).length));
  const line = (r) => ['id', 'class', 'buggy', 'fixed']
    .map((key) => String(r[key]).padEnd(width(key)))
    .concat(typeof r.ok === 'boolean' ? (r.ok ? 'ok' : 'FAILED') : r.ok)
    .join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  for (const r of rows) for (const f of r.failures) console.log(`\n${r.id}: ${f}`);

  const failed = rows.filter((r) => !r.ok).length;
  console.log(`\n${rows.length - failed}/${rows.length} kernels proven${opts.repeat > 1 ? ` (${opts.repeat} runs each)` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});
