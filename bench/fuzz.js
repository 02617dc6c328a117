#!/usr/bin/env node
// Fuzzes the built CLI with mutated real Go files (issue 14: no input loses the run).
//
//   node bench/fuzz.js [--seed N] [--seconds S] [--until-files N] [--files F] [--corpus DIR]... [--keep DIR]
//                      [--scenarios] [--deep]
//
// Each round writes a module of a few packages into a fresh temp folder, every file a mutation of a
// Go file from the corpus (truncation, byte flips, token shuffles, deep nesting, huge lines, invalid
// UTF-8, NUL bytes, BOM and CRLF, binary noise, splices, package clause edits), runs
// `gohazard check --no-cache ./...` on it twice, and checks that:
//   - the exit code is 0, 1 or 2 and the run ends within its time limit;
//   - nothing on stderr is a stack trace or an `internal error`;
//   - both runs print the same bytes (stdout and stderr);
//   - nothing was written, changed or removed inside the analyzed tree.
// With --scenarios (issue 29) a round may also hold a generated call chain or recursion cycle and a
// config file (valid, nested up to 5,000 deep, or mangled), and may then
//   - run with a cache, corrupt its files (bytes flipped, payloads of the wrong shape under a valid
//     checksum, FIFOs, truncation, an emptied ownership mark) and run again: both must print what the
//     run without a cache printed (a report that differs is a lost run);
//   - commit the tree, build a hostile revision with `git mktree` (`..` entries, symlinks out, a folder
//     behind a symlink) and run `--new-from-rev` on it: nothing may change outside the analyzed tree,
//     and the run's temp folder must be gone afterwards.
// Chains and cycles are at most 800 calls deep, so that a round stays short; --deep adds 3,000 and
// 20,000 (a 20,000-deep round takes minutes: the facts walk call chains on explicit stacks).
// A round that breaks one is a crash: its folder is kept under --keep (default: the temp folder) and
// named in the output, to rerun by hand. The run stops after --seconds (or once --until-files files were
// tried) and prints a summary; the exit
// code is 1 when there was a crash. Everything follows from --seed: the same seed and corpus give the
// same files.
//
// The short run in `npm test` (test/fuzz.test.ts) uses fixtures/ as the corpus for 15 seconds. The long
// run, over real code as well, is in bench/README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bin', 'gohazard.js');
/**
 * Generous: a 1 MB file is a few seconds of work, but this machine is shared, and a time-out here should
 * mean a hang or a blow-up, not a busy neighbour.
 */
const RUN_TIMEOUT_MS = 300_000;
/** Corpus files larger than this are cut: a round should take about a second. */
const MAX_SOURCE_BYTES = 64 * 1024;

function parseArgs(argv) {
  const opts = { seed: 1, seconds: 20, untilFiles: Infinity, files: 24, corpus: [], keep: undefined, scenarios: false, deep: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--scenarios' || flag === '--deep') {
      opts[flag.slice(2)] = true;
      continue;
    }
    if (flag === '--seed') opts.seed = Number(value);
    else if (flag === '--seconds') opts.seconds = Number(value);
    else if (flag === '--files') opts.files = Number(value);
    else if (flag === '--until-files') opts.untilFiles = Number(value);
    else if (flag === '--corpus') opts.corpus.push(value);
    else if (flag === '--keep') opts.keep = value;
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (opts.corpus.length === 0) opts.corpus.push(path.join(here, '..', 'fixtures'));
  return opts;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

function goFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) goFiles(abs, out);
    else if (e.isFile() && e.name.endsWith('.go')) out.push(abs);
  }
  return out;
}

const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d+|"(?:[^"\\\n]|\\.)*"|\s+|./gs;

/** Each mutation takes a Buffer and returns another. */
const MUTATIONS = {
  truncate: (b, r) => b.subarray(0, r.int(b.length + 1)),
  flipBytes: (b, r) => {
    const c = Buffer.from(b);
    for (let n = 1 + r.int(8); n > 0 && c.length > 0; n--) c[r.int(c.length)] = r.int(256);
    return c;
  },
  shuffleTokens: (b, r) => {
    const toks = b.toString('latin1').match(TOKEN) ?? [];
    for (let n = 1 + r.int(20); n > 0 && toks.length > 1; n--) {
      const i = r.int(toks.length);
      const j = r.int(toks.length);
      [toks[i], toks[j]] = [toks[j], toks[i]];
    }
    return Buffer.from(toks.join(''), 'latin1');
  },
  dropTokens: (b, r) => {
    const toks = b.toString('latin1').match(TOKEN) ?? [];
    for (let n = 1 + r.int(10); n > 0 && toks.length > 0; n--) toks.splice(r.int(toks.length), 1);
    return Buffer.from(toks.join(''), 'latin1');
  },
  deepNesting: (b, r) => {
    const n = r.pick([50, 500, 3000, 20000]);
    const shapes = [
      () => `func deep${n}(ch chan int) {\n${'for {\n'.repeat(n)}close(ch)\n${'}\n'.repeat(n)}}\n`,
      () => `func deep${n}(x int) {\nif x == 0 {\n}${' else if x == 1 {\n}'.repeat(n)}\n}\n`,
      () => `var deep${n} ${'*'.repeat(n)}int\n`,
      () => `var deep${n} = ${'('.repeat(n)}1${')'.repeat(n)}\n`,
      () => `var deep${n} = ${'[]any{'.repeat(n)}${'}'.repeat(n)}\n`,
      () => `func deep${n}(ch chan int) {\n${'go func() {\n'.repeat(n)}ch <- 1\n${'}()\n'.repeat(n)}}\n`,
      () => `var deep${n} = x${'.f'.repeat(n)}\n`,
      () => `var deep${n} = ${Array(n).fill('1').join(' + ')}\n`,
      () => `type deep${n} ${'struct { a '.repeat(n)}int${' }'.repeat(n)}\n`,
      () => `func deep${n}() {\n${'{'.repeat(n)}${'}'.repeat(n)}\n}\n`,
    ];
    // Unbalanced too, sometimes: the tail is cut.
    let s = r.pick(shapes)();
    if (r.chance(0.2)) s = s.slice(0, r.int(s.length));
    return Buffer.concat([b, Buffer.from(`\n${s}`)]);
  },
  hugeLine: (b, r) => {
    const n = r.pick([10_000, 200_000, 1_000_000]);
    const lines = [
      () => `var huge = "${'x'.repeat(n)}"\n`,
      () => `// ${'y'.repeat(n)}\n`,
      () => `var ${'z'.repeat(n)} = 1\n`,
      // Each element is a node to parse and summarize: a 1 MB literal list is 15 s of work, not an edge case.
      () => `var huge = []int{${'1,'.repeat(Math.min(n, 200_000) / 2)}}\n`,
    ];
    return Buffer.concat([b, Buffer.from(r.pick(lines)())]);
  },
  invalidUtf8: (b, r) => insertAt(b, r, Buffer.from(r.pick([[0xff], [0xfe, 0xff], [0xc3], [0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]))),
  nul: (b, r) => insertAt(b, r, Buffer.alloc(1 + r.int(4))),
  bom: (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]),
  crlf: (b) => Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
  loneCr: (b) => Buffer.from(b.toString('latin1').replace(/\n/g, '\r'), 'latin1'),
  binary: (b, r) => {
    const c = Buffer.alloc(r.int(4096));
    for (let i = 0; i < c.length; i++) c[i] = r.int(256);
    return r.chance(0.5) ? c : Buffer.concat([b.subarray(0, r.int(b.length)), c]);
  },
  duplicateLines: (b, r) => {
    const lines = b.toString('latin1').split('\n');
    for (let n = 1 + r.int(10); n > 0 && lines.length > 0; n--) {
      const i = r.int(lines.length);
      lines.splice(r.int(lines.length), 0, lines[i]);
    }
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  packageClause: (b, r) => {
    const s = b.toString('latin1');
    const name = r.pick(['', 'main', 'documentation', 'other', 'p_test', '_', 'func']);
    return Buffer.from(s.replace(/^package\s+\w+/m, name === '' ? '' : `package ${name}`), 'latin1');
  },
  empty: () => Buffer.alloc(0),
};

/** A whole file of generated code: a call chain, a recursion cycle, or a chain of returned or assigned function values. */
function deepCalls(pkg, r, deep) {
  const n = r.pick(deep ? [50, 300, 800, 3000, 20000] : [50, 300, 800]);
  const shapes = [
    // A chain ending in a wait and a double close, so that the facts walk all of it.
    () => `import "sync"\n\n${Array.from({ length: n }, (_, i) => `func C${i}(wg *sync.WaitGroup, ch chan int) { C${i + 1}(wg, ch) }\n`).join('')}func C${n}(wg *sync.WaitGroup, ch chan int) { wg.Wait(); close(ch); close(ch) }\n`,
    () => Array.from({ length: n }, (_, i) => `func R${i}(ch chan int) { R${(i + 1) % n}(ch); close(ch) }\n`).join(''),
    () => `${Array.from({ length: n }, (_, i) => `func V${i}() func() { return V${i + 1}() }\n`).join('')}func V${n}() func() { return func() {} }\nfunc UseV() { V0()() }\n`,
    () => `func Assign(ch chan int) {\n\tx0 := func() { close(ch) }\n${Array.from({ length: n }, (_, i) => `\tx${i + 1} := x${i}\n`).join('')}\tx${n}()\n\tx0()\n}\n`,
  ];
  const shape = r.int(shapes.length);
  return { name: `deepCalls${shape}x${n}`, bytes: Buffer.from(`package ${pkg}\n\n${shapes[shape]()}`) };
}

/** A config file: valid, nested deep, or mangled. */
function configFile(r) {
  const n = r.pick([3, 40, 5000]);
  const kinds = [
    () => JSON.stringify({ rules: { 'double-close': r.pick(['off', 'warning', 'on']) }, exclude: [r.pick([`${'**/a*/'.repeat(16)}x`, 'p1/**', '!p1/f1.go', '*_test.go'])] }),
    () => `{"exclude": ${'['.repeat(n)}${']'.repeat(n)}}`,
    () => `{"rules": ${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
    () => '{"rules": {"double-close": "warning",',
    () => `{"cleanupFunctions": ["${'('.repeat(r.int(50))}"]}`,
  ];
  const kind = r.int(kinds.length);
  return { name: `config${kind}`, text: kinds[kind]() };
}

function insertAt(b, r, bytes) {
  const i = r.int(b.length + 1);
  return Buffer.concat([b.subarray(0, i), bytes, b.subarray(i)]);
}

/** A Go file's bytes with its package clause set, so that most files of a folder agree. */
function withPackage(b, pkg) {
  const s = b.toString('latin1');
  const m = /^package\s+\w+/m.exec(s);
  return Buffer.from(m ? s.replace(m[0], `package ${pkg}`) : `package ${pkg}\n${s}`, 'latin1');
}

function mutate(src, pkg, r, sources) {
  let b = withPackage(src, pkg);
  const names = Object.keys(MUTATIONS);
  const applied = [];
  for (let n = r.int(4); n >= 0; n--) {
    const name = r.chance(0.1) ? 'splice' : r.pick(names);
    if (name === 'splice') {
      const other = r.pick(sources);
      b = Buffer.concat([b.subarray(0, r.int(b.length + 1)), other.subarray(r.int(other.length + 1))]);
    } else b = MUTATIONS[name](b, r);
    applied.push(name);
  }
  return { bytes: b, applied };
}

/** Every entry under a folder with its size and modification time: what "nothing written" compares. */
function snapshot(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(d, e.name);
      const st = lstatSync(abs);
      out.push(`${path.relative(dir, abs)} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(abs);
    }
  };
  walk(dir);
  return out.join('\n');
}

function runCli(dir, home, args = ['--no-cache'], env = {}) {
  const r = spawnSync(process.execPath, [BIN, 'check', ...args, './...'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 1 << 28,
    env: { ...process.env, GOHAZARD_DEBUG: '', HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), ...env },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** What is wrong with one run on its own: a time-out, a crash, a stack trace. */
function runProblems(run, what) {
  const problems = [];
  if (run.error?.code === 'ETIMEDOUT') problems.push(`${what}: timed out after ${RUN_TIMEOUT_MS / 1000} s`);
  else if (![0, 1, 2].includes(run.code)) problems.push(`${what}: exit code ${run.code ?? run.signal}`);
  if (/internal error/.test(run.stderr)) problems.push(`${what}: internal error`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(run.stderr)) problems.push(`${what}: stack trace`);
  return problems;
}

function problemsOf(first, second, before, after) {
  const problems = runProblems(first, 'run');
  if (first.stdout !== second.stdout || first.stderr !== second.stderr || first.code !== second.code) problems.push('output differs between two runs');
  if (before !== after) problems.push('the analyzed tree changed');
  return problems;
}

/** Every file under a folder (FIFOs included), recursively. */
function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else out.push(abs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Damages some of a cache's files the ways a disk, a user or an older build could; returns what it did. */
function corruptCache(cacheDir, r) {
  const done = [];
  for (const file of filesUnder(cacheDir)) {
    if (!r.chance(0.5)) continue;
    if (path.basename(file) === 'CACHEDIR.TAG') {
      writeFileSync(file, '');
      done.push('cacheMarkEmptied');
      continue;
    }
    const raw = readFileSync(file);
    const how = r.pick(['Flip', 'Shape', 'Fifo', 'Truncate']);
    if (how === 'Flip' && raw.length > 0) {
      raw[r.int(raw.length)] ^= 1 << r.int(8);
      writeFileSync(file, raw);
    } else if (how === 'Shape') {
      // A payload that is not what the entry should hold, under a checksum that fits it.
      const text = raw.toString('utf8');
      const nl = text.indexOf('\n');
      const [magic, key] = text.slice(0, nl).split(' ');
      const prefix = /^\{"format":\d+,/.exec(text.slice(nl + 1))?.[0] ?? '{';
      const body = r.pick(['"packageName":7}', '"funcs":[1]}', '"findings":[{}]}', `"x":${'['.repeat(5000)}${']'.repeat(5000)}}`, '"findings":7}']);
      const payload = `${prefix}${body}`;
      writeFileSync(file, `${magic} ${key} ${createHash('sha1').update(payload).digest('hex')}\n${payload}`);
    } else if (how === 'Fifo') {
      rmSync(file);
      spawnSync('mkfifo', [file]);
    } else writeFileSync(file, raw.subarray(0, r.int(raw.length + 1)));
    done.push(`cache${how}`);
  }
  return done;
}

/**
 * Commits the round's tree and builds a hostile revision from it with git plumbing: entries named `..`,
 * symlinks out of the tree (absolute, upward, or chained through links that each stay inside), and a
 * folder of the same name as a symlink. Returns the revision and what it holds.
 */
function hostileRevision(dir, outside, r) {
  const git = (args, input) => {
    const res = spawnSync('git', ['-c', 'user.name=fuzz', '-c', 'user.email=fuzz@example.com', ...args], { cwd: dir, input, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'round']);
  const blob = (text) => git(['hash-object', '-w', '--stdin'], text);
  const tree = (lines) => git(['mktree'], lines.map((l) => `${l}\n`).join(''));
  const link = (target, name) => `120000 blob ${blob(target)}\t${name}`;
  const go = blob('package p0\n\nfunc planted(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n');
  const hostile = {
    Dotdot: () => [`040000 tree ${tree([`100644 blob ${go}\tescaped.go`])}\t..`],
    LinkOut: () => [link(outside, 'out.go'), `040000 tree ${tree([`100644 blob ${go}\tplanted.go`])}\tout.go`],
    AbsLink: () => [link(path.join(outside, 'secret.go'), 'abs.go')],
    UpLink: () => [link(`${'../'.repeat(12)}${outside.slice(1)}/secret.go`, 'up.go')],
    Chained: () => [link('.', 's.go'), link('s.go/..', 'y.go'), link(`y.go/${path.basename(outside)}/secret.go`, 'chained.go')],
  };
  const names = Object.keys(hostile).filter(() => r.chance(0.4));
  if (names.length === 0) names.push(r.pick(Object.keys(hostile)));
  const lines = [...git(['ls-tree', 'HEAD']).split('\n'), ...names.flatMap((n) => hostile[n]())];
  const rev = git(['commit-tree', tree(lines), '-m', 'hostile']);
  return { rev, names: names.map((n) => `git${n}`) };
}

/**
 * The extra runs of --scenarios, after the two plain ones (`first` is their report): returns its
 * problems and what it did. The tree is left as it was, but for a `.git` folder.
 */
function scenarioProblems(dir, home, scratch, round, first, r) {
  const problems = [];
  const applied = [];
  if (r.chance(0.4)) {
    const cacheDir = path.join(scratch, `cache-${round}`);
    const cached = (what) => {
      const run = runCli(dir, home, ['--cache-dir', cacheDir]);
      problems.push(...runProblems(run, what));
      if (run.stdout !== first.stdout || run.code !== first.code) problems.push(`${what}: lost run (report differs from the run without a cache)`);
    };
    cached('cold cache');
    applied.push(...corruptCache(cacheDir, r));
    cached('corrupted cache');
    rmSync(cacheDir, { recursive: true, force: true });
  }
  if (r.chance(0.3)) {
    const outside = path.join(scratch, 'outside');
    const tmp = path.join(scratch, `tmp-${round}`);
    mkdirSync(tmp);
    const { rev, names } = hostileRevision(dir, outside, r);
    applied.push(...names);
    const [before, outsideBefore] = [snapshot(dir), snapshot(outside)];
    const run = runCli(dir, home, ['--no-cache', '--new-from-rev', rev], { TMPDIR: tmp });
    problems.push(...runProblems(run, 'new-from-rev'));
    if (snapshot(dir) !== before) problems.push('new-from-rev: the analyzed tree changed');
    if (snapshot(outside) !== outsideBefore) problems.push('new-from-rev: a folder outside the tree changed');
    if (readdirSync(tmp).length > 0) problems.push(`new-from-rev: left ${readdirSync(tmp).join(', ')} in its temp folder`);
    rmSync(tmp, { recursive: true, force: true });
  }
  return { problems, applied };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const r = rng(opts.seed);
  const sources = opts.corpus.flatMap((c) => goFiles(path.resolve(c))).map((f) => readFileSync(f).subarray(0, MAX_SOURCE_BYTES));
  if (sources.length === 0) throw new Error(`no Go files in ${opts.corpus.join(', ')}`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'gohazard-fuzz-'));
  const keep = opts.keep ?? scratch;
  const home = path.join(scratch, 'home');
  mkdirSync(home);
  // What hostile revisions point their links at: it must never change.
  mkdirSync(path.join(scratch, 'outside'));
  writeFileSync(path.join(scratch, 'outside', 'secret.go'), 'package secret\n\nfunc s(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n');
  const t0 = performance.now();
  let rounds = 0;
  let files = 0;
  const crashes = [];
  const counts = {};
  while (performance.now() - t0 < opts.seconds * 1000 && files < opts.untilFiles) {
    const dir = path.join(scratch, `round-${rounds}`);
    const nPkgs = 1 + r.int(4);
    const tree = { 'go.mod': 'module fuzz.example/m\n\ngo 1.21\n' };
    for (let i = 0; i < opts.files; i++) {
      const pkg = `p${r.int(nPkgs)}`;
      const { bytes, applied } = mutate(r.pick(sources), pkg, r, sources);
      for (const a of applied) counts[a] = (counts[a] ?? 0) + 1;
      const suffix = r.chance(0.1) ? '_test.go' : r.chance(0.05) ? '_windows.go' : '.go';
      tree[`${pkg}/f${i}${suffix}`] = bytes;
    }
    if (opts.scenarios && r.chance(0.3)) {
      const { name, bytes } = deepCalls(`p${r.int(nPkgs)}`, r, opts.deep);
      tree[`${bytes.toString('latin1', 8, bytes.indexOf(10))}/deep.go`] = bytes;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    if (opts.scenarios && r.chance(0.2)) {
      const { name, text } = configFile(r);
      tree['.gohazard.json'] = text;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    for (const [rel, content] of Object.entries(tree)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    }
    const before = snapshot(dir);
    const first = runCli(dir, home);
    const second = runCli(dir, home);
    const problems = problemsOf(first, second, before, snapshot(dir));
    if (opts.scenarios && problems.length === 0) {
      const more = scenarioProblems(dir, home, scratch, rounds, first, r);
      problems.push(...more.problems);
      for (const a of more.applied) counts[a] = (counts[a] ?? 0) + 1;
    }
    files += opts.files;
    if (problems.length > 0) {
      const kept = path.join(keep, `crash-seed${opts.seed}-round${rounds}`);
      if (kept !== dir) {
        mkdirSync(keep, { recursive: true });
        rmSync(kept, { recursive: true, force: true });
        spawnSync('cp', ['-r', dir, kept]);
      }
      writeFileSync(`${kept}.stderr`, first.stderr);
      // Both runs' reports, when they differ: the difference is the clue.
      if (first.stderr !== second.stderr || first.stdout !== second.stdout) writeFileSync(`${kept}.second`, `${second.stdout}\n--- stderr ---\n${second.stderr}`);
      crashes.push({ round: rounds, problems, dir: kept, stderr: first.stderr.split('\n').slice(0, 5).join('\n') });
      process.stderr.write(`fuzz: round ${rounds}: ${problems.join(', ')} (kept in ${kept})\n`);
    }
    if (problems.length === 0) rmSync(dir, { recursive: true, force: true });
    rounds++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary = { seed: opts.seed, rounds, files, crashes: crashes.length, seconds: Number(seconds.toFixed(1)), mutations: counts, crashDetails: crashes };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (crashes.length === 0) rmSync(scratch, { recursive: true, force: true });
  process.exitCode = crashes.length === 0 ? 0 : 1;
}

main();
