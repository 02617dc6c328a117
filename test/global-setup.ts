import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * One scratch folder per test run, removed when the run ends, whatever the tests did: temp trees
 * (`tempTree`) and the CLI's default cache live in it. The test workers and the CLIs they spawn
 * inherit it through the environment, which vitest copies after this setup ran.
 */
export default function setup(): () => void {
  const scratch = mkdtempSync(path.join(tmpdir(), 'gohazard-test-'));
  process.env.GOHAZARD_TEST_TMP = scratch;
  // The CLI caches summaries under $XDG_CACHE_HOME by default: tests never touch the real ~/.cache.
  process.env.XDG_CACHE_HOME = path.join(scratch, 'cache');
  return () => rmSync(scratch, { recursive: true, force: true });
}
