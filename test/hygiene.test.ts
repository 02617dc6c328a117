import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../dist/src/rules.js';
import setup from './global-setup.js';
import { REPO, tempTree } from './helpers.js';

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

describe('rule docs', () => {
  /** The text of `## title` up to the next `## ` heading, or undefined when the doc has no such section. */
  const section = (md: string, title: string) => {
    const start = md.indexOf(`\n## ${title}\n`);
    if (start === -1) return undefined;
    const next = md.indexOf('\n## ', start + 1);
    return md.slice(start, next === -1 ? undefined : next);
  };

  for (const { meta } of ALL_RULES) {
    it(`${meta.id}: a bad example, the fixed code, and how to suppress it`, () => {
      const md = readFileSync(path.join(REPO, 'rules', `${meta.id}.md`), 'utf8');
      expect(section(md, 'Example'), 'an ## Example section with Go code').toMatch(/```go\n/);
      expect(section(md, 'How to fix'), 'a ## How to fix section with the fixed Go code').toMatch(/```go\n/);
      const suppress = section(md, 'Suppressing') ?? '';
      expect(suppress, 'a ## Suppressing section').toContain(`//nolint:gohazard/${meta.id}`);
      expect(suppress).toContain(`//gohazard:ignore ${meta.id}`);
    });
  }
});
