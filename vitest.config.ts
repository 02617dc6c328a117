import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The CLI caches summaries under $XDG_CACHE_HOME by default: tests never touch the real ~/.cache.
    env: { XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'gohazard-test-cache-')) },
  },
});
