import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import setup from './global-setup.js';
import { tempTree } from './helpers.js';

describe('test hygiene', () => {
  it('removes every temp tree when the run ends', () => {
    const saved = { GOHAZARD_TEST_TMP: process.env.GOHAZARD_TEST_TMP, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
    // A run inside this one: its own scratch folder, torn down before this test ends.
    const teardown = setup();
    let dir: string;
    try {
      dir = tempTree({ 'go.mod': 'module m\n', 'a/b.go': 'package a\n' });
      expect(existsSync(dir)).toBe(true);
    } finally {
      teardown();
      Object.assign(process.env, saved);
    }
    expect(existsSync(dir)).toBe(false);
  });
});
