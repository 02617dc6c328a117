import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from './helpers.js';

// A short, seeded run of the fuzz harness (bench/fuzz.js): mutated copies of fixtures/ in multi-file
// packages, with the scenarios of issue 29 (deep calls, configs, corrupted caches, hostile revisions).
// The long run is documented in bench/README.md.
it('fuzzed Go input never crashes the CLI, changes the tree, or gives different output twice', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bench', 'fuzz.js'), '--seed', '14', '--seconds', '15', '--files', '16', '--scenarios'], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: process.env.GOHAZARD_TEST_TMP },
  });
  const summary = JSON.parse(r.stdout) as { rounds: number; files: number; crashes: number; crashDetails: unknown[] };
  expect(summary.crashDetails).toEqual([]);
  expect(r.status).toBe(0);
  expect(summary.rounds).toBeGreaterThan(0);
});
