import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

/** The fixtures are real Go: they must type-check, and their tests hold our claims against the Go runtime. */
function go(args: string[]): { code: number; out: string } {
  const r = spawnSync('go', args, { cwd: FIXTURES, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (r.error) {
    throw new Error(`cannot run the Go toolchain (${r.error.message}): install Go >= 1.22 and put it on PATH; the fixture checks need it`);
  }
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A cold build cache compiles the race runtime and every fixture package: minutes on a busy two-core machine. */
const GO_TIMEOUT = 600_000;

describe('fixtures module (Go toolchain)', () => {
  it('passes go vet', () => {
    const r = go(['vet', './...']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, GO_TIMEOUT);

  it('passes go test -race: hazards panic as claimed, near-misses do not', () => {
    const r = go(['test', '-race', '-count=1', './...']);
    expect(r.code, r.out).toBe(0);
  }, GO_TIMEOUT);
});
