import { describe, expect, it } from 'vitest';
import { progressMode, progressReporter } from '../dist/src/progress.js';

function recorder(mode: 'terminal' | 'ci' | 'off') {
  const out: string[] = [];
  let t = 0;
  const p = progressReporter(mode, (s) => out.push(s), () => t);
  return { out, p, at: (ms: number) => (t = ms) };
}

describe('progress', () => {
  it('on a terminal: phase, percentage and elapsed time, rewritten in place once the run takes a moment', () => {
    const { out, p, at } = recorder('terminal');
    p.update('parse', 10, 100);
    expect(out).toEqual([]);
    at(1500);
    p.update('parse', 25, 100);
    at(2000);
    p.update('indexing', 0, 0);
    p.clear();
    expect(out).toEqual(['\r\x1b[Kparse 25% (25/100 files) 1.5s', '\r\x1b[Kindexing… 2.0s', '\r\x1b[K']);
  });

  it('on CI: one line per phase, the two trees of --new-from-rev labelled', () => {
    const { out, p, at } = recorder('ci');
    p.update('parse', 1, 50, 'origin/main');
    p.update('parse', 50, 50, 'origin/main');
    at(800);
    p.update('rules', 0, 0, 'origin/main');
    p.update('parse', 3, 60, 'working tree');
    expect(out).toEqual([
      'gohazard: origin/main: parse (50 files) at 0.0s\n',
      'gohazard: origin/main: rules at 0.8s\n',
      'gohazard: working tree: parse (60 files) at 0.8s\n',
    ]);
  });

  it('terminal when stderr is one, CI lines when CI is set, else nothing; --no-progress wins', () => {
    expect(progressMode(true, true, {})).toBe('terminal');
    expect(progressMode(true, false, { CI: 'true' })).toBe('ci');
    expect(progressMode(true, false, { CI: 'false' })).toBe('off');
    expect(progressMode(true, false, {})).toBe('off');
    expect(progressMode(false, true, { CI: 'true' })).toBe('off');
  });
});
