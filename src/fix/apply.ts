import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Fix } from '../findings.js';
import { sha256 } from './edit.js';

export interface FileChange {
  /** Relative to the analysis root. */
  path: string;
  before: string;
  after: string;
  /** The findings whose fixes this change applies. */
  findings: Finding[];
}

export interface Planned {
  changes: FileChange[];
  /** Findings whose fix was not applied, and why. */
  skipped: { finding: Finding; reason: string }[];
}

/**
 * The new text of every file the findings' fixes touch. A fix applies only to the bytes it was made
 * for; fixes that overlap one already taken wait for the next run (their lines have moved).
 */
export function planChanges(root: string, findings: readonly Finding[]): Planned {
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) if (f.fix) byFile.set(f.fix.path, [...(byFile.get(f.fix.path) ?? []), f]);
  const changes: FileChange[] = [];
  const skipped: Planned['skipped'] = [];
  for (const [rel, list] of byFile) {
    let before: string;
    try {
      before = readFileSync(path.join(root, rel), 'utf8');
    } catch (err) {
      for (const finding of list) skipped.push({ finding, reason: `cannot read ${rel}: ${(err as Error).message}` });
      continue;
    }
    const current = sha256(before);
    const taken: Fix[] = [];
    const applied: Finding[] = [];
    for (const finding of list) {
      const fix = finding.fix!;
      if (fix.sha256 !== current) skipped.push({ finding, reason: `${rel} changed since it was analyzed` });
      // Several sends reached by one moved call share its fix: applying it once fixes them all.
      else if (taken.some((t) => same(t, fix))) applied.push(finding);
      else if (taken.some((t) => t.startLine <= fix.endLine && fix.startLine <= t.endLine)) skipped.push({ finding, reason: 'overlaps another fix in this run; run gohazard fix again' });
      else {
        taken.push(fix);
        applied.push(finding);
      }
    }
    if (taken.length === 0) continue;
    const lines = before.split('\n');
    // Bottom up, so that line numbers above stay valid.
    for (const fix of [...taken].sort((a, b) => b.startLine - a.startLine)) {
      lines.splice(fix.startLine - 1, fix.endLine - fix.startLine + 1, ...fix.text.replace(/\n$/, '').split('\n'));
    }
    changes.push({ path: rel, before, after: lines.join('\n'), findings: applied });
  }
  return { changes, skipped };
}

function same(a: Fix, b: Fix): boolean {
  return a.startLine === b.startLine && a.endLine === b.endLine && a.text === b.text;
}

/** Writes a file through a temporary sibling and a rename: a reader sees the old bytes or the new, never half. */
export function writeAtomic(file: string, text: string): void {
  const mode = statSync(file).mode;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.gohazard-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    chmodSync(tmp, mode & 0o7777);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A unified diff of one change, one hunk with three lines of context, which `git apply` and `patch` take. */
export function unifiedDiff(change: FileChange): string {
  const a = change.before.split('\n');
  const b = change.after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - 3);
  const tail = Math.min(3, a.length - 1 - endA);
  const context = (lines: string[]) => lines.map((l) => ` ${l}`);
  return [
    `--- a/${change.path}`,
    `+++ b/${change.path}`,
    `@@ -${from + 1},${endA + tail - from} +${from + 1},${endB + tail - from} @@`,
    ...context(a.slice(from, start)),
    ...a.slice(start, endA).map((l) => `-${l}`),
    ...b.slice(start, endB).map((l) => `+${l}`),
    ...context(a.slice(endA, endA + tail)),
    '',
  ].join('\n');
}
