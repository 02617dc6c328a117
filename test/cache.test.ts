import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeOrReuse } from '../dist/src/analyze.js';
import { RUNS_DIR } from '../dist/src/cache/runs.js';
import { pruneCache } from '../dist/src/cache/prune.js';
import { defaultCacheDir, ENTRIES_DIR, SummaryStore } from '../dist/src/cache/store.js';
import { OWNER_MARK } from '../dist/src/cache/entry.js';
import { SUMMARY_FORMAT } from '../dist/src/ir.js';
import { BIN, cli, tempTree } from './helpers.js';

const HAZARD = 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

/** Every entry file under a cache folder (temp files included). */
function entries(cacheDir: string): string[] {
  const root = path.join(cacheDir, ENTRIES_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((sub) => readdirSync(path.join(root, sub.name)).map((n) => path.join(root, sub.name, n)));
}

async function run(dir: string, cacheDir: string, extra: { verbose?: boolean; cacheMaxBytes?: number } = {}) {
  return analyze({ patterns: ['./...'], cwd: dir, workers: 2, cacheDir, ...extra });
}

/** A module with `n` files, each with its own double close, so that findings show every summary is used. */
function module(n: number): string {
  const files: Record<string, string> = { 'go.mod': 'module m\n' };
  for (let i = 0; i < n; i++) files[`p${i % 5}/f${i}.go`] = `package p${i % 5}\n\nfunc F${i}(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`;
  return tempTree(files);
}

describe('summary cache', () => {
  it('serves a second run from the cache with the same findings, restamping paths', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a/x.go': HAZARD.replace('package m', 'package a'), 'b/y.go': HAZARD.replace('package m', 'package b') });
    const cacheDir = tempTree({});
    const cold = await run(dir, cacheDir);
    expect(cold.stats.cached).toBe(0);
    const stored = entries(cacheDir);
    expect(stored).toHaveLength(2);
    for (const e of stored) expect(readFileSync(e, 'utf8')).toContain('"path":""');
    // A new path with the same bytes as a cached file is served from that entry, under its own path.
    writeFileSync(path.join(dir, 'b/z.go'), readFileSync(path.join(dir, 'b/y.go')));
    const warm = await run(dir, cacheDir);
    expect(warm.stats.cached).toBe(3);
    expect(warm.findings.map((f) => f.location.path)).toEqual(['a/x.go', 'b/y.go', 'b/z.go']);
    expect(warm.findings.filter((f) => f.location.path !== 'b/z.go')).toEqual(cold.findings);
  });

  it('drops a truncated or corrupt entry, rebuilds it, and warns only under --verbose', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const cacheDir = tempTree({});
    await run(dir, cacheDir);
    const [entry] = entries(cacheDir);
    const good = readFileSync(entry!, 'utf8');

    writeFileSync(entry!, good.slice(0, good.length - 10));
    const quiet = await run(dir, cacheDir);
    expect(quiet.stats.cached).toBe(0);
    expect(quiet.findings).toHaveLength(1);
    expect(quiet.diagnostics).toEqual([]);
    expect(readFileSync(entry!, 'utf8')).toBe(good);

    // Same length, one byte flipped inside the JSON: still valid-looking, caught by the checksum.
    writeFileSync(entry!, good.replace('"double', '"dauble').replace('"funcs"', '"funcz"'));
    const loud = await run(dir, cacheDir, { verbose: true });
    expect(loud.findings).toHaveLength(1);
    expect(loud.diagnostics).toEqual([
      { severity: 'warning', path: 'a.go', message: 'cache: dropped a corrupt cache entry (checksum mismatch (truncated or corrupt)) and rebuilt it' },
    ]);
    expect((await run(dir, cacheDir)).stats.cached).toBe(1);

    writeFileSync(entry!, Buffer.from([0xff, 0x00, 0x13]));
    expect((await run(dir, cacheDir, { verbose: true })).diagnostics[0]?.message).toMatch(/bad header/);
  });

  it('rejects an entry with a valid checksum but another summary format', () => {
    const cacheDir = tempTree({});
    const store = new SummaryStore(cacheDir);
    const key = store.key(Buffer.from(HAZARD));
    store.put(key, JSON.stringify({ format: -1, path: '' }));
    expect(store.get(key)).toEqual({ kind: 'corrupt', reason: 'wrong summary format' });
    expect(entries(cacheDir)).toEqual([]);
  });

  it('misses after a gohazard version change: the version is part of the key', () => {
    const cacheDir = tempTree({});
    const bytes = Buffer.from(HAZARD);
    const v1 = new SummaryStore(cacheDir, 'v1\0');
    const v2 = new SummaryStore(cacheDir, 'v2\0');
    expect(v1.key(bytes)).not.toBe(v2.key(bytes));
    const json = JSON.stringify({ format: SUMMARY_FORMAT, path: '' });
    v1.put(v1.key(bytes), json);
    expect(v1.get(v1.key(bytes))).toEqual({ kind: 'hit', json });
    expect(v2.get(v2.key(bytes))).toEqual({ kind: 'miss' });
  });

  it('stays consistent under concurrent runs writing the same entries', async () => {
    const dir = module(60);
    const cacheDir = tempTree({});
    const runOnce = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const p = spawn(process.execPath, [BIN, 'check', '--cache-dir', cacheDir, '-j', '2'], { cwd: dir });
        let stdout = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.on('close', (code) => resolve({ code, stdout }));
      });
    const runs = await Promise.all([runOnce(), runOnce(), runOnce(), runOnce()]);
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stdout.trim().split('\n')).toHaveLength(60);
    }
    expect(entries(cacheDir).filter((e) => e.endsWith('.tmp'))).toEqual([]);
    expect(entries(cacheDir)).toHaveLength(60);
    const after = await run(dir, cacheDir, { verbose: true });
    expect(after.diagnostics).toEqual([]);
    expect(after.stats.cached).toBe(60);
    expect(after.findings).toHaveLength(60);
  });

  it('prunes the least recently used entries above the size cap, down to 80% of it', () => {
    const cacheDir = tempTree({});
    const store = new SummaryStore(cacheDir);
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) {
      const key = store.key(Buffer.from(`file ${i}`));
      store.put(key, JSON.stringify({ format: SUMMARY_FORMAT, path: '', filler: 'x'.repeat(1000) }));
      keys.push(key);
    }
    const files = entries(cacheDir).sort();
    const size = statSync(files[0]!).size;
    // Entry i was last used 10 - i hours ago; entry 0, the oldest, is then refreshed by a hit.
    const fileOf = (k: string) => path.join(cacheDir, ENTRIES_DIR, k.slice(0, 2), k.slice(2));
    keys.forEach((k, i) => {
      const t = new Date(Date.now() - (10 - i) * 3600_000);
      utimesSync(fileOf(k), t, t);
    });
    expect(store.get(keys[0]!).kind).toBe('hit');
    // Leftovers of other runs: an old layout, a stale temp file (removed), a fresh one (kept: a writer may own it).
    mkdirSync(path.join(cacheDir, 'summaries-v0'));
    writeFileSync(path.join(cacheDir, 'summaries-v0', OWNER_MARK), readFileSync(path.join(cacheDir, ENTRIES_DIR, OWNER_MARK)));
    const staleTmp = `${fileOf(keys[1]!)}.1.0.ab.tmp`;
    const freshTmp = `${fileOf(keys[1]!)}.2.0.cd.tmp`;
    writeFileSync(staleTmp, 'x');
    writeFileSync(freshTmp, 'x');
    utimesSync(staleTmp, new Date(0), new Date(0));

    const r = pruneCache(cacheDir, size * 5);
    expect(r.bytesBefore).toBe(size * 10);
    expect(r.bytesAfter).toBeLessThanOrEqual(size * 4);
    const left = new Set(entries(cacheDir));
    expect(left.has(fileOf(keys[0]!))).toBe(true);
    // Down to 4 entries: the 6 least recently used (1..6) go.
    expect(keys.slice(7).every((k) => left.has(fileOf(k)))).toBe(true);
    expect(keys.slice(1, 7).some((k) => left.has(fileOf(k)))).toBe(false);
    expect(left.has(staleTmp)).toBe(false);
    expect(left.has(freshTmp)).toBe(true);
    expect(existsSync(path.join(cacheDir, 'summaries-v0'))).toBe(false);
    expect(pruneCache(cacheDir, size * 5).removed).toBe(0);
  });

  it('never deletes what it did not write, though the cache folder is shared with the user', () => {
    const cacheDir = tempTree({
      'summaries-2023/notes.txt': 'mine',
      'summaries-q3.md': 'mine',
      'summaries-v0/a.txt': 'mine, though named like an old layout',
      'runs-v0/b.txt': 'mine too',
      [`${ENTRIES_DIR}/README`]: 'a file of mine beside the entries',
      [`${ENTRIES_DIR}/ab/notes.txt`]: 'and one in a shard',
    });
    const store = new SummaryStore(cacheDir);
    for (let i = 0; i < 5; i++) store.put(store.key(Buffer.from(`file ${i}`)), JSON.stringify({ format: SUMMARY_FORMAT, path: '', filler: 'x'.repeat(1000) }));
    expect(pruneCache(cacheDir, 1).bytesAfter).toBe(0);
    for (const f of ['summaries-2023/notes.txt', 'summaries-q3.md', 'summaries-v0/a.txt', 'runs-v0/b.txt', `${ENTRIES_DIR}/README`, `${ENTRIES_DIR}/ab/notes.txt`]) {
      expect(existsSync(path.join(cacheDir, f)), f).toBe(true);
    }
    // A user's folder named like the cache's own is not pruned at all: only a marked one is gohazard's.
    const foreign = tempTree({ [`${ENTRIES_DIR}/ab/${'c'.repeat(62)}`]: 'mine' });
    pruneCache(foreign, 1);
    expect(existsSync(path.join(foreign, ENTRIES_DIR, 'ab', 'c'.repeat(62)))).toBe(true);
  });

  it('prunes at the end of a run that wrote entries', async () => {
    const dir = module(20);
    const cacheDir = tempTree({});
    await run(dir, cacheDir, { cacheMaxBytes: 2000 });
    const total = entries(cacheDir).reduce((n, e) => n + statSync(e).size, 0);
    expect(total).toBeLessThanOrEqual(2000 * 0.8);
    expect(entries(cacheDir).length).toBeGreaterThan(0);
  });
});

describe('summary cache: CLI', () => {
  it('defaults to $XDG_CACHE_HOME/gohazard, else ~/.cache/gohazard', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/gohazard');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\.cache\/gohazard$/);
    expect(defaultCacheDir({})).toMatch(/\.cache\/gohazard$/);
  });

  it('writes to the default folder, and not at all with --no-cache', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const xdg = tempTree({});
    const env = { ...process.env, XDG_CACHE_HOME: xdg };
    const run = (args: string[]) => new Promise<number | null>((resolve) => spawn(process.execPath, [BIN, ...args], { cwd: dir, env }).on('close', resolve));
    expect(await run(['check', '--no-cache'])).toBe(1);
    expect(existsSync(path.join(xdg, 'gohazard'))).toBe(false);
    expect(await run(['check'])).toBe(1);
    expect(entries(path.join(xdg, 'gohazard'))).toHaveLength(1);
  });

  it('a cache folder that cannot be created (under /proc) does not hang: one warning, then no cache', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const r = spawnSync(process.execPath, [BIN, 'check', '--cache-dir', '/proc/gohazard-none/cache'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^a\.go:5:2: /);
    expect(r.stderr).toBe('gohazard: warning: cache: cannot create /proc/gohazard-none/cache (ENOENT); running without a cache\n' + 'gohazard: 1 finding: 1 error (double-close 1); exit 1: 1 at or above --fail-on error\n');
  });

  it('keeps going when the cache folder cannot be written, saying so under --verbose', () => {
    // The folder exists, but where summaries go is a file: every write fails, and the run goes on.
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD, 'b.go': HAZARD.replace('f(', 'g('), 'c.go': 'package m\n', 'blocker/summaries-v1': 'a file, not a folder' });
    const r = cli(['check', '--verbose', '--cache-dir', path.join(dir, 'blocker')], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^a\.go:5:2: error: double-close/);
    expect(r.stderr).toMatch(/^gohazard: a\.go: warning: cache: cannot write the cache in .*blocker.*: ENOTDIR \(and 2 more files\)\ngohazard: 2 findings: [^\n]*\n$/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(cli(['check', '--cache-dir', path.join(dir, 'blocker')], dir).stderr).toBe('gohazard: 2 findings: 2 errors (double-close 2); exit 1: 2 at or above --fail-on error\n');
  });
});

describe('run cache', () => {
  const reuse = (dir: string, cacheDir: string, extra: { verbose?: boolean; tests?: boolean } = {}) =>
    analyzeOrReuse({ patterns: ['./...'], cwd: dir, workers: 2, cacheDir, ...extra });
  const runFiles = (cacheDir: string) => (existsSync(path.join(cacheDir, RUNS_DIR)) ? readdirSync(path.join(cacheDir, RUNS_DIR)).filter((n) => n !== OWNER_MARK) : []);

  it('reuses the results of an identical run, diagnostics and directives included', async () => {
    const dir = tempTree({
      'go.mod': 'module m\n',
      'a.go': HAZARD,
      'b.go': 'package m\n\nfunc G(ch chan int) {\n\tclose(ch)\n\t//gohazard:ignore double-close -- closed twice on purpose\n\tclose(ch)\n}\n',
      'broken.go': 'package m\n\nfunc h( {\n',
    });
    const cacheDir = tempTree({});
    const first = await reuse(dir, cacheDir);
    expect(first.stats.reused).toBe(false);
    expect(runFiles(cacheDir)).toHaveLength(1);
    const second = await reuse(dir, cacheDir);
    expect(second.stats.reused).toBe(true);
    expect(second.findings).toEqual(first.findings);
    expect(second.diagnostics).toEqual(first.diagnostics);
    expect(second.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/^syntax error/)]);
    expect(second.directives).toEqual(first.directives);
    expect(second.directives.map((d) => d.path)).toEqual(['b.go']);
    const counts = ({ files, packages, lines, bytes, syntaxErrors, skipped, excluded, calls }: typeof first.stats) =>
      ({ files, packages, lines, bytes, syntaxErrors, skipped, excluded, calls });
    expect(counts(second.stats)).toEqual(counts(first.stats));
  });

  it('analyzes again after any file, option or entry changes', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD, 'a_test.go': 'package m\n' });
    const cacheDir = tempTree({});
    await reuse(dir, cacheDir);
    expect((await reuse(dir, cacheDir)).stats.reused).toBe(true);
    expect((await reuse(dir, cacheDir, { tests: true })).stats.reused).toBe(false);
    writeFileSync(path.join(dir, 'a.go'), `${HAZARD}\n// one more line\n`);
    const changed = await reuse(dir, cacheDir);
    expect(changed.stats.reused).toBe(false);
    expect(changed.stats.cached).toBe(0);
    writeFileSync(path.join(dir, 'c.go'), 'package m\n');
    expect((await reuse(dir, cacheDir)).stats.reused).toBe(false);
    expect((await reuse(dir, cacheDir)).stats.reused).toBe(true);
    // No Go file changed, but every package has another import path.
    writeFileSync(path.join(dir, 'go.mod'), 'module example.com/m\n');
    expect((await reuse(dir, cacheDir)).stats.reused).toBe(false);

    // A truncated entry is dropped and rebuilt, said only under --verbose.
    for (const name of runFiles(cacheDir)) {
      const file = path.join(cacheDir, RUNS_DIR, name);
      writeFileSync(file, readFileSync(file, 'utf8').slice(0, -5));
    }
    const rebuilt = await reuse(dir, cacheDir, { verbose: true });
    expect(rebuilt.stats.reused).toBe(false);
    expect(rebuilt.findings).toHaveLength(1);
    expect(rebuilt.diagnostics.map((d) => d.message)).toEqual(['cache: dropped a corrupt run entry (checksum mismatch (truncated or corrupt)) and rebuilt it']);
    expect((await reuse(dir, cacheDir)).stats.reused).toBe(true);
  });

  it('analyzes again when cleanupFunctions change: a RegExp is part of the key by its source', async () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const cacheDir = tempTree({});
    const withCleanup = (re: RegExp) =>
      analyzeOrReuse({ patterns: ['./...'], cwd: dir, workers: 2, cacheDir, settings: { cleanupFunctions: [re] } });
    await withCleanup(/^Teardown$/);
    expect((await withCleanup(/^Teardown$/)).stats.reused).toBe(true);
    expect((await withCleanup(/^Release$/)).stats.reused).toBe(false);
    expect((await withCleanup(/^release$/i)).stats.reused).toBe(false);
  });

  it('says so under --stats, and the CLI reports the same findings with suppressions applied', () => {
    const dir = tempTree({
      'go.mod': 'module m\n',
      'a.go': HAZARD,
      'b.go': 'package m\n\nfunc G(ch chan int) {\n\tclose(ch)\n\t//gohazard:ignore double-close -- closed twice on purpose\n\tclose(ch)\n}\n',
    });
    const cacheDir = tempTree({});
    const cold = cli(['check', '--stats', '--cache-dir', cacheDir], dir);
    const warm = cli(['check', '--stats', '--cache-dir', cacheDir], dir);
    expect(warm.code).toBe(1);
    expect(warm.stdout).toBe(cold.stdout);
    expect(warm.stdout).toMatch(/^a\.go:5:2: error: double-close/);
    expect(warm.stdout).not.toMatch(/b\.go/);
    expect(cold.stderr).not.toMatch(/reused/);
    expect(warm.stderr).toMatch(/results reused from an identical earlier run/);
  });
});
