import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(REPO, 'fixtures');
export const BIN = path.join(REPO, 'bin', 'gohazard.js');

/** Runs the built CLI the way a user does. */
/**
 * A snippet's function under an exported name: one nothing in the snippet calls is otherwise dead code, whose
 * hazards rest on a `reached` assumption (src/facts/program/reached.ts).
 */
export function exported(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function cli(args: string[], cwd: string = REPO): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, GOHAZARD_DEBUG: '', CI: '' } });
  // A report past the buffer would come back cut short and fail as bad JSON far from the cause.
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes a tree of files (path -> contents) under a fresh temp folder, removed at the end of the run, and returns it. */
export function tempTree(files: Record<string, string | Buffer>): string {
  const scratch = process.env.GOHAZARD_TEST_TMP;
  if (!scratch) throw new Error('GOHAZARD_TEST_TMP is not set: run the tests with vitest.config.ts, whose global setup cleans up after them');
  const dir = mkdtempSync(path.join(scratch, 'tree-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return dir;
}

/** stderr without the closing summary line (`gohazard: 2 findings: ...; exit 1: ...`): just the diagnostics. */
export function diagnosticsOf(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^gohazard: (\d+|no) findings?\b/.test(l))
    .join('\n');
}
