import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHeap, checkPackageHeap, NeedsLargerHeap, RELAUNCH_ENV, rerunWithHeap, summaryBudget } from '../dist/src/memory.js';
import { BIN, tempTree } from './helpers.js';

/** A tree too large for the heap must be analyzed in a larger one, or say why it may fail before it does. */

const MB = 1 << 20;
const goFile = (bytes: number) => `package p\n\n${'// filler\n'.repeat(Math.ceil(bytes / 10))}`;

describe('checkHeap', () => {
  const dir = tempTree({ 'a.go': goFile(MB), 'b.go': goFile(MB), 'huge.go': goFile(5 * MB) });
  const files = ['a.go', 'b.go', 'huge.go'].map((f) => path.join(dir, f));
  const opts = { relaunch: true, maxFileBytes: 4 * MB };

  it('says nothing when the source fits', () => {
    expect(checkHeap(files, opts, { heapLimit: 4096 * MB, machineBytes: 16384 * MB, chosen: false })).toBeUndefined();
  });

  it('asks for a larger heap when the machine has one, sized to the source (files too large to parse do not count)', () => {
    let thrown: unknown;
    try {
      checkHeap(files, opts, { heapLimit: 16 * MB, machineBytes: 16384 * MB, chosen: false });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(NeedsLargerHeap);
    const need = thrown as NeedsLargerHeap;
    expect(need.sourceBytes).toBeGreaterThan(2 * MB);
    expect(need.sourceBytes).toBeLessThan(3 * MB);
    expect(need.mb).toBeGreaterThan(40);
    expect(need.mb).toBeLessThan(60);
  });

  it('never asks for more than its share of the machine', () => {
    expect(() => checkHeap(files, opts, { heapLimit: 16 * MB, machineBytes: 40 * MB, chosen: false })).toThrow(
      expect.objectContaining({ mb: 28 }) as Error,
    );
  });

  it('warns instead when the user chose the limit, or a library caller cannot relaunch', () => {
    const chosen = checkHeap(files, opts, { heapLimit: 16 * MB, machineBytes: 16384 * MB, chosen: true });
    expect(chosen).toMatch(/^2 MB of Go source may need a heap of about \d+ MB, more than this process may use \(16 MB\); .*raise NODE_OPTIONS=--max-old-space-size/);
    expect(checkHeap(files, { ...opts, relaunch: false }, { heapLimit: 16 * MB, machineBytes: 16384 * MB, chosen: false })).toBe(chosen);
  });

  it('points at a larger machine when this one has no more to give', () => {
    expect(checkHeap(files, opts, { heapLimit: 16 * MB, machineBytes: 20 * MB, chosen: false })).toMatch(/use a machine with more memory$/);
  });
});

describe('checkPackageHeap', () => {
  const roomy = { heapLimit: 4096 * MB, machineBytes: 24576 * MB, chosen: false };
  const pkg = (summaryMb: number) => ({ dir: 'big', summaryBytes: summaryMb * MB, sourceBytes: 10 * MB });

  it('says nothing when the largest package fits the budget', () => {
    expect(() => checkPackageHeap(pkg(summaryBudget(roomy.heapLimit) / MB), true, roomy)).not.toThrow();
  });

  it('asks for a heap whose budget holds a package over it, rather than skipping the package', () => {
    let thrown: unknown;
    try {
      checkPackageHeap(pkg(84), true, roomy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(NeedsLargerHeap);
    const need = thrown as NeedsLargerHeap;
    expect(summaryBudget(need.mb * MB)).toBeGreaterThan(84 * MB);
    expect(need.message).toBe('analyzing the package big (10 MB of Go, 84 MB of summary) needs a heap of about 4.5 GB');
  });

  it('leaves the package to be skipped when the user chose the limit, the caller cannot relaunch, or the machine has no room', () => {
    expect(() => checkPackageHeap(pkg(84), true, { ...roomy, chosen: true })).not.toThrow();
    expect(() => checkPackageHeap(pkg(84), false, roomy)).not.toThrow();
    expect(() => checkPackageHeap(pkg(84), true, { ...roomy, machineBytes: 6144 * MB })).not.toThrow();
  });
});

describe('rerunWithHeap', () => {
  it('runs the command again with the heap limit and the marker, and returns its exit code', () => {
    const dir = tempTree({
      'child.mjs': `import { writeFileSync } from 'node:fs';\nimport { getHeapStatistics } from 'node:v8';\nwriteFileSync(process.argv[2], JSON.stringify({ limit: getHeapStatistics().heap_size_limit, marker: process.env.${RELAUNCH_ENV} }));\nprocess.exit(3);\n`,
    });
    const out = path.join(dir, 'out.json');
    const errors: string[] = [];
    const code = rerunWithHeap([process.execPath, path.join(dir, 'child.mjs'), out], 300, (s) => errors.push(s));
    expect(code).toBe(3);
    expect(errors).toEqual([]);
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { limit: number; marker: string };
    expect(seen.marker).toBe('300');
    expect(seen.limit).toBeGreaterThanOrEqual(300 * MB);
  });

  it('says what happened when the new process dies of a signal', () => {
    const dir = tempTree({ 'abort.mjs': `process.kill(process.pid, 'SIGABRT');\n` });
    const errors: string[] = [];
    expect(rerunWithHeap([process.execPath, path.join(dir, 'abort.mjs')], 300, (s) => errors.push(s))).toBeUndefined();
    expect(errors.join('')).toMatch(/^gohazard: error: the analysis stopped \(SIGABRT\), most likely out of memory with a heap of 300 MB; analyze fewer packages at a time\n$/);
  });
});

describe('the CLI', () => {
  it('warns before parsing when the heap the user set looks too small, and still finishes', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'p/a.go': `${goFile(2 * MB)}\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`, 'p/b.go': goFile(2 * MB) });
    const r = spawnSync(process.execPath, [BIN, 'check', '--no-cache', './...'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=16', GOHAZARD_DEBUG: '', CI: '' },
    });
    expect(r.stderr).toMatch(/^gohazard: warning: 4 MB of Go source may need a heap of about 80 MB, more than this process may use \(\d+ MB\)/);
    expect(r.stdout).toMatch(/^p\/a\.go:\d+:2: error: double-close/);
    expect(r.status).toBe(1);
  });
});
