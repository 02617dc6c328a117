import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';
// @ts-expect-error: a plain-JS bench module, without type declarations
import { CLASSES, labelProblems, loadEntries } from '../bench/recall/entries.js';

interface Site { file: string; line: number; op: string }
interface Entry { id: string; kind: 'tree' | 'kernel'; split: 'dev' | 'check'; class: string; sites: Site[] }

const recallDir = path.join(REPO, 'bench/recall');
const entries: Entry[] = loadEntries(recallDir);

describe('recall benchmark labels', () => {
  it('are well-formed, with unique ids', () => {
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
  });

  it('name what is wrong with a malformed label', () => {
    const bad = { id: 'x', kind: 'tree', split: 'test', class: 'race', repo: 'r', fix: 'abc', buggy: '', source: 'here', summary: '', sites: [{ file: '../a.go', line: 0, op: 'poke' }] };
    const problems: string[] = labelProblems(bad, 'y', 'tree');
    for (const part of ['id "x"', 'split', 'class', 'repo', 'source', 'summary', 'fix', 'buggy', 'relative', 'positive', 'op poke']) {
      expect(problems.some((p) => p.includes(part)), part).toBe(true);
    }
  });

  it("point each kernel's sites at lines of its buggy twin, which has a fixed twin beside it", () => {
    for (const e of entries.filter((x) => x.kind === 'kernel')) {
      const dir = path.join(recallDir, 'kernels', e.id);
      expect(existsSync(path.join(dir, 'fixed')), `${e.id}/fixed`).toBe(true);
      for (const s of e.sites) {
        const file = path.join(dir, 'buggy', s.file);
        expect(existsSync(file), `${e.id}: ${s.file}`).toBe(true);
        const line = readFileSync(file, 'utf8').split('\n')[s.line - 1] ?? '';
        expect(line.trim(), `${e.id}: ${s.file}:${s.line} is blank`).not.toBe('');
      }
    }
  });

  it('use only the known classes', () => {
    for (const e of entries) expect(CLASSES).toContain(e.class);
  });
});
