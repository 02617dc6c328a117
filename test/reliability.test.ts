import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import { OWNER_MARK } from '../dist/src/cache/entry.js';
import { RUNS_DIR } from '../dist/src/cache/runs.js';
import { ENTRIES_DIR } from '../dist/src/cache/store.js';
import { buildIndex } from '../dist/src/index/index.js';
import { load } from '../dist/src/load/discover.js';
import { DEFAULT_TARGET } from '../dist/src/load/buildtags.js';
import { parseAll } from '../dist/src/parse/pool.js';
import { buildProgram, settlePackageClauses, type FileWithPackage } from '../dist/src/program.js';
import { buildCallGraph } from '../dist/src/resolve/callgraph.js';
import { Binder } from '../dist/src/resolve/walk.js';
import { BIN, cli, exported, tempTree } from './helpers.js';

/** Issue 29: no input, ref or cache entry may crash a run, drop unrelated packages, hang, or write outside its temp folder. */

const closeTwice = (pkg: string, fn = 'f') => `package ${pkg}\n\nfunc ${exported(fn)}(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`;

describe('output that cannot be written', () => {
  it('is one line on stderr and exit 2, no stack trace', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'p/a.go': closeTwice('p') });
    for (const args of [['check', '--no-cache', './...'], ['rules']]) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', full, 'pipe'], env: { ...process.env, GOHAZARD_DEBUG: '' } });
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^gohazard: error: cannot write to stdout: ENOSPC$/m);
        expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
      } finally {
        closeSync(full);
      }
    }
  });
});

describe('a file named on the command line', () => {
  it('that is skipped is an error (exit 2), where the same file found by ./... is a warning', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'nopkg.go': 'func F() {}\n', 'big.go': `package p\n// ${'x'.repeat(2000)}\n` });
    const noClause = cli(['check', '--no-cache', 'nopkg.go'], dir);
    expect(noClause.code).toBe(2);
    expect(noClause.stderr).toMatch(/^gohazard: nopkg\.go: error: skipped: no package clause$/m);
    const tooLarge = cli(['check', '--no-cache', '--max-file-size', '1000', 'big.go'], dir);
    expect(tooLarge.code).toBe(2);
    expect(tooLarge.stderr).toMatch(/^gohazard: big\.go: error: skipped: larger than --max-file-size/m);
    const found = cli(['check', '--no-cache', '--max-file-size', '1000', './...'], dir);
    expect(found.code).toBe(0);
    expect(found.stderr).toMatch(/^gohazard: big\.go: warning: skipped/m);
  });
});

/** Every file under a folder, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** Rewrites a cache entry's payload with a checksum that fits it: only a shape check can tell. */
function forgeEntry(file: string, payload: string): void {
  const header = readFileSync(file, 'utf8').split('\n', 1)[0]!.split(' ');
  writeFileSync(file, `${header[0]} ${header[1]} ${createHash('sha1').update(payload).digest('hex')}\n${payload}`);
}

function mkfifo(file: string): void {
  expect(spawnSync('mkfifo', [file]).status).toBe(0);
}

describe('cache entries', () => {
  const tree = () => tempTree({ 'go.mod': 'module m\n', 'a.go': closeTwice('m') });
  const check = (dir: string, cacheDir: string) => spawnSync(process.execPath, [BIN, 'check', '-v', '--cache-dir', cacheDir, './...'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, GOHAZARD_DEBUG: '' } });
  const summaryEntries = (cacheDir: string) => filesUnder(path.join(cacheDir, ENTRIES_DIR)).filter((f) => f.includes('/')).map((f) => path.join(cacheDir, ENTRIES_DIR, f));
  const runEntries = (cacheDir: string) => filesUnder(path.join(cacheDir, RUNS_DIR)).filter((f) => f !== OWNER_MARK).map((f) => path.join(cacheDir, RUNS_DIR, f));

  it('of the wrong shape, with a valid checksum, are dropped and rebuilt once, with a -v line', () => {
    const dir = tree();
    const cacheDir = tempTree({});
    expect(check(dir, cacheDir).status).toBe(1);
    // The run entry would answer first: forge it, then the summary.
    forgeEntry(runEntries(cacheDir)[0]!, '{"findings":7}');
    const afterRun = check(dir, cacheDir);
    expect(afterRun.status).toBe(1);
    expect(afterRun.stdout).toMatch(/^a\.go:5:2: error: double-close/);
    expect(afterRun.stderr).toMatch(/^gohazard: warning: cache: dropped a corrupt run entry \(payload\.findings is not a list\) and rebuilt it$/m);
    for (const f of runEntries(cacheDir)) forgeEntry(f, 'not json');
    for (const f of summaryEntries(cacheDir)) forgeEntry(f, `{"format":${JSON.parse(readFileSync(f, 'utf8').split('\n')[1]!).format},"packageName":7}`);
    const afterSummary = check(dir, cacheDir);
    expect(afterSummary.status).toBe(1);
    expect(afterSummary.stdout).toMatch(/^a\.go:5:2: error: double-close/);
    expect(afterSummary.stderr).toMatch(/^gohazard: a\.go: warning: cache: dropped a corrupt cache entry \(summary\.packageName is not a string\) and rebuilt it$/m);
    expect(afterSummary.stderr).toMatch(/dropped a corrupt run entry \(not JSON\)/);
    // Rebuilt: the next run is served from the cache without a word.
    const warm = check(dir, cacheDir);
    expect(warm.stdout).toBe(afterSummary.stdout);
    expect(warm.stderr).not.toMatch(/cache:/);
  });

  it('that are a FIFO are dropped, not waited on', () => {
    const dir = tree();
    const cacheDir = tempTree({});
    check(dir, cacheDir);
    for (const f of [...runEntries(cacheDir), ...summaryEntries(cacheDir)]) {
      writeFileSync(f, '');
      spawnSync('rm', [f]);
      mkfifo(f);
    }
    const r = check(dir, cacheDir);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dropped a corrupt run entry \(not a regular file\)/);
    expect(r.stderr).toMatch(/dropped a corrupt cache entry \(not a regular file\)/);
  });

  it('in a folder gohazard did not create are neither read, written nor deleted', () => {
    const dir = tree();
    const cacheDir = tempTree({});
    check(dir, cacheDir);
    const userDir = tempTree({});
    // The user's own folder, with a file named exactly like the entry gohazard would read.
    const theirs = summaryEntries(cacheDir).map((f) => path.join(userDir, path.relative(cacheDir, f)));
    for (const f of theirs) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'my notes\n');
    }
    const r = check(dir, userDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cache: cannot write the cache in .*${ENTRIES_DIR}: a folder gohazard did not create \\(no CACHEDIR\\.TAG in it\\)`));
    for (const f of theirs) expect(readFileSync(f, 'utf8')).toBe('my notes\n');
    expect(existsSync(path.join(userDir, ENTRIES_DIR, OWNER_MARK))).toBe(false);
    expect(cli(['check', '--cache-dir', userDir, '--cache-max-size', '1', './...'], dir).code).toBe(1);
    for (const f of theirs) expect(readFileSync(f, 'utf8')).toBe('my notes\n');
  });

  it('get an ownership mark that is never left empty: an empty one (a full disk) is rewritten', () => {
    const dir = tree();
    const cacheDir = tempTree({});
    check(dir, cacheDir);
    const mark = path.join(cacheDir, ENTRIES_DIR, OWNER_MARK);
    expect(readFileSync(mark, 'utf8')).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55\n/);
    // What an older build left when the disk filled between creating the mark and writing it.
    writeFileSync(mark, '');
    for (const f of runEntries(cacheDir)) spawnSync('rm', [f]);
    for (const f of summaryEntries(cacheDir)) spawnSync('rm', [f]);
    expect(check(dir, cacheDir).status).toBe(1);
    expect(readFileSync(mark, 'utf8')).toMatch(/gohazard/);
    expect(summaryEntries(cacheDir)).toHaveLength(1);
    // No folder was left half-made next to the cache.
    expect(readdirSync(cacheDir).sort()).toEqual([RUNS_DIR, ENTRIES_DIR].sort());
  });
});

describe('config files', () => {
  it('that are a FIFO or a link to /dev/zero are refused at once, not read', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': closeTwice('m') });
    mkfifo(path.join(dir, '.gohazard.json'));
    const fifo = spawnSync(process.execPath, [BIN, 'check', '--no-cache', './...'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(fifo.status).toBe(2);
    expect(fifo.stderr).toBe('gohazard: error: .gohazard.json: cannot read the config: not a regular file\n');
    symlinkSync('/dev/zero', path.join(dir, 'zero.json'));
    const zero = spawnSync(process.execPath, [BIN, 'check', '--no-cache', '--config', 'zero.json', './...'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(zero.status).toBe(2);
    expect(zero.stderr).toBe('gohazard: error: zero.json: cannot read the config: not a regular file\n');
  });

  it('nested 5,000 deep are a usage error, not a stack overflow', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': closeTwice('m'), 'deep.json': `{"rules": ${'['.repeat(5000)}${']'.repeat(5000)}}` });
    const r = cli(['check', '--no-cache', '--config', 'deep.json', './...'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gohazard: error: deep.json:1:42: nested more than 32 levels deep; a config has at most three\n');
  });
});

describe('Go files and go.mod that are not regular files', () => {
  it('are reported instead of hanging the run', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': closeTwice('m'), 'sub/go.mod': 'x' });
    mkfifo(path.join(dir, 'fifo.go'));
    spawnSync('rm', [path.join(dir, 'sub/go.mod')]);
    mkfifo(path.join(dir, 'sub/go.mod'));
    writeFileSync(path.join(dir, 'sub/b.go'), closeTwice('sub'));
    const r = spawnSync(process.execPath, [BIN, 'check', '--no-cache', './...', 'fifo.go'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^a\.go:5:2: error: double-close/m);
    expect(r.stderr).toMatch(/^gohazard: fifo\.go: error: not a Go source file or folder$/m);
    expect(r.stderr).toMatch(/sub\/go\.mod: cannot read: not a regular file/);
  });
});

describe('programs as deep as they are long', () => {
  const N = 20_000;
  const shapes: Record<string, string> = {
    // A call chain and a recursion cycle through every function; the rest nest values and types as deep
    // (embedding is followed to a bounded depth, so its method is not expected to resolve).
    chain: `${Array.from({ length: N }, (_, i) => `func F${i}(ch chan int) { F${i + 1}(ch) }\n`).join('')}func F${N}(ch chan int) { close(ch) }\n`,
    cycle: Array.from({ length: N }, (_, i) => `func F${i}(ch chan int) { F${(i + 1) % N}(ch) }\n`).join(''),
    returns: `${Array.from({ length: N }, (_, i) => `func F${i}() func() { return F${i + 1}() }\n`).join('')}func F${N}() func() { return func() {} }\nfunc G() { F0()() }\n`,
    assigns: `func G(ch chan int) {\n\tx0 := func() { close(ch) }\n${Array.from({ length: N }, (_, i) => `\tx${i + 1} := x${i}\n`).join('')}\tx${N}()\n}\n`,
    globals: `${Array.from({ length: N }, (_, i) => `var V${i} = V${i + 1}\n`).join('')}var V${N} = func() {}\nfunc G() { V0() }\n`,
    embeds: `type T0 struct{}\n\nfunc (T0) M() {}\n${Array.from({ length: N }, (_, i) => `type T${i + 1} struct{ T${i} }\n`).join('')}func G(t T${N}) { t.M() }\n`,
    ifaces: `type I0 interface{ M() }\n${Array.from({ length: N }, (_, i) => `type I${i + 1} interface{ I${i} }\n`).join('')}func G(x I${N}) { x.M() }\n`,
  };

  it('are indexed and their calls resolved without recursion on their length', async () => {
    const files: Record<string, string> = { 'go.mod': 'module m\n' };
    for (const [name, body] of Object.entries(shapes)) files[`${name}/a.go`] = `package ${name}\n\n${body}`;
    const dir = tempTree(files);
    const loaded = load(['./...'], { cwd: dir, tests: false, target: DEFAULT_TARGET });
    const outcomes = await parseAll(loaded.files, { target: DEFAULT_TARGET, maxFileBytes: 1 << 24 }, { workers: 2 });
    const parsed: FileWithPackage[] = outcomes.map((o, i) => {
      if (o.kind !== 'summary') throw new Error(`${loaded.files[i]!.rel}: ${o.kind}`);
      return { summary: o.summary, importPath: loaded.files[i]!.importPath, dir: loaded.files[i]!.dir };
    });
    const program = buildProgram(loaded.root, settlePackageClauses(parsed).files);
    const graph = buildCallGraph(program, buildIndex(program));
    const callees = (id: string) => graph.sites(graph.byId.get(id)!).flatMap((s) => (s.info.kind === 'resolved' ? s.info.targets.map((t) => t.callee.id) : []));
    expect(callees('m/returns.G')).toContain('m/returns.F0');
    expect(callees('m/assigns.G')).toContain('m/assigns.G.func1');
    expect(callees('m/globals.G')).toContain('m/globals.glob..func1');
  });
});

describe('an internal error outside any file', () => {
  it('is the run\'s, never pinned on the last file an earlier loop saw (an unrelated package)', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a/a.go': closeTwice('a'), 'z/z.go': closeTwice('z') });
    const run = Binder.prototype.run;
    const spy = vi.spyOn(Binder.prototype, 'run').mockImplementation(function (this: Binder) {
      run.call(this);
      throw new RangeError('Maximum call stack size exceeded');
    });
    try {
      await expect(analyze({ patterns: ['./...'], cwd: dir, workers: 1 })).rejects.toThrow('Maximum call stack size exceeded');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a memory budget', () => {
  const goroutines = (pkg: string, fn: string, n: number) => `package ${pkg}\n\nfunc ${fn}(ch chan int) {\n${'\tgo func() { ch <- 1 }()\n'.repeat(n)}}\n`;

  it('skips a file or package whose summary the heap could not analyze, with a warning, and analyzes the rest', () => {
    const files: Record<string, string> = {
      'go.mod': 'module m\n',
      'big/a.go': goroutines('big', 'F', 10_000),
      // Comments cost no summary: a file larger than the budget in bytes is not skipped for its size.
      'huge/a.go': `package huge\n\n${`// ${'x'.repeat(97)}\n`.repeat(40_000)}`,
      'ok/a.go': closeTwice('ok'),
    };
    for (let k = 0; k < 4; k++) files[`pkg/f${k}.go`] = goroutines('pkg', `F${k}`, 2_500);
    const dir = tempTree(files);
    // A small heap stands in for a large input: the budget scales with the heap (100 MB: 3 MB of summary).
    const r = spawnSync(process.execPath, [BIN, 'check', '--no-cache', './...'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOHAZARD_DEBUG: '', CI: '', NODE_OPTIONS: '--max-old-space-size=100' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ok\/a\.go:5:2: error: double-close/);
    // The summary's size follows the IR (3.6 MB since int literals keep their values); the budget is the heap's.
    expect(r.stderr).toMatch(/^gohazard: big\/a\.go: warning: skipped: it has 3\.\d MB of summary, more than the 3\.0 MB this process's heap allows one package; raise NODE_OPTIONS=--max-old-space-size \(in MB\) or exclude it$/m);
    expect(r.stderr).not.toMatch(/huge/);
    expect(r.stderr).toMatch(/^gohazard: pkg: warning: skipped: the package has 3\.\d MB of summary/m);
    expect(r.stderr).not.toMatch(/FATAL|internal error/);
  });

  it('skips a file whose syntax tree a parse thread could not summarize before trying (out of memory in tree-sitter\'s native code aborts the process)', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'big/a.go': goroutines('big', 'F', 40_000), 'ok/a.go': closeTwice('ok') });
    // Was: `terminate called after throwing an instance of 'Napi::Error'`, exit 134, nothing reported.
    const r = spawnSync(process.execPath, [BIN, 'check', '--no-cache', './...'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOHAZARD_DEBUG: '', CI: '', NODE_OPTIONS: '--max-old-space-size=16' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ok\/a\.go:5:2: error: double-close/);
    expect(r.stderr).toMatch(/^gohazard: big\/a\.go: warning: skipped: its syntax tree has 0\.8 million nodes, more than the 0\.\d million this process's heap can summarize; raise NODE_OPTIONS/m);
  });
});

describe('a parser thread that dies', () => {
  const REAL_WORKER = new URL('../dist/src/parse/worker.js', import.meta.url).href;
  /**
   * A thread that runs out of memory (pure JS, so no native frame is in the way) on a batch holding a file
   * named `die`, or on every batch; every other batch goes to the real worker.
   */
  const dyingWorker = (dies: string) => {
    const dir = tempTree({
      // Imported first, so its listener sees each batch before the real worker's does.
      'hog.mjs':
        `import { parentPort } from 'node:worker_threads';\n` +
        `const hog = [];\n` +
        `parentPort.on('message', (req) => {\n` +
        `  if (req.jobs.some((j) => ${dies})) for (;;) hog.push(new Array(1e5).fill(hog.length));\n` +
        `});\n`,
      'worker.mjs': `import './hog.mjs';\nimport ${JSON.stringify(REAL_WORKER)};\n`,
    });
    return pathToFileURL(path.join(dir, 'worker.mjs'));
  };
  const files = (n: number) => {
    const tree: Record<string, string> = { 'go.mod': 'module m\n' };
    for (let i = 0; i < n; i++) tree[`p/f${i}.go`] = closeTwice('p', `f${i}`);
    tree['p/die.go'] = closeTwice('p', 'die');
    return tree;
  };
  const limits = { maxOldGenerationSizeMb: 48 };

  it('out of memory on one file loses only that file, skipped with a reason; its batch and the rest are parsed', async () => {
    const dir = tempTree(files(40));
    const loaded = load(['./...'], { cwd: dir, tests: false, target: DEFAULT_TARGET });
    const outcomes = await parseAll(loaded.files, { target: DEFAULT_TARGET, maxFileBytes: 1 << 20 }, { workers: 2, workerUrl: dyingWorker("j.rel.endsWith('die.go')"), resourceLimits: limits });
    const byFile = new Map(outcomes.map((o, i) => [loaded.files[i]!.rel, o]));
    expect(byFile.get('p/die.go')).toEqual({ kind: 'skipped', reason: expect.stringMatching(/^the parser ran out of memory on it \(its thread's heap is full\); raise NODE_OPTIONS/) });
    expect([...byFile].filter(([rel, o]) => rel !== 'p/die.go' && o.kind !== 'summary')).toEqual([]);
    expect(byFile.size).toBe(41);
  });

  it('on every file is the run\'s error after a few files, not a thread per file', async () => {
    const dir = tempTree(files(40));
    const loaded = load(['./...'], { cwd: dir, tests: false, target: DEFAULT_TARGET });
    await expect(parseAll(loaded.files, { target: DEFAULT_TARGET, maxFileBytes: 1 << 20 }, { workers: 2, workerUrl: dyingWorker('true'), resourceLimits: limits })).rejects.toThrow(
      /^parser threads stopped on 9 files \(the last: the parser ran out of memory on it/,
    );
  });
});

describe('double-close', () => {
  it('is linear in a function\'s goroutines: 20,000 `go func() { ch <- 1 }()` take it well under a second (was 13 s)', async () => {
    const { doubleClose } = await import('../dist/rules/double-close.js');
    const dir = tempTree({ 'go.mod': 'module m\n', 'p/a.go': `package p\n\nfunc F(ch chan int) {\n${'\tgo func() { ch <- 1 }()\n'.repeat(20_000)}}\n` });
    const r = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules: [doubleClose] });
    expect(r.findings).toEqual([]);
    // Generous for a shared machine: the quadratic pass took 13 s on this input.
    expect(r.stats.ruleTimes!['double-close']).toBeLessThan(3_000);
  });
});
