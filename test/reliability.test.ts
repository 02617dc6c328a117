import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, cli, tempTree } from './helpers.js';

/** Issue 29: no input, ref or cache entry may crash a run, drop unrelated packages, hang, or write outside its temp folder. */

const closeTwice = (pkg: string, fn = 'f') => `package ${pkg}\n\nfunc ${fn}(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`;

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
