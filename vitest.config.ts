import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    // On CI the progress prints one line per phase, with timings: every CLI the tests spawn must print
    // the same stderr whether the suite runs on a CI runner or not.
    env: { CI: '' },
  },
});
