import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Fix } from '../findings.js';
import { sha256 } from './edit.js';

export interface FileChange {
  /** Relative to the analysis root. */
  path: string;
  before: string;
  after: string;
  /** The replacements made, top down, without overlaps: what the diff compares. */
  edits: LineEdit[];
  /** The findings whose fixes this change applies. */
  findings: Finding[];
}

/** Lines startLine..endLine (1-based, inclusive) of the old text replaced by `lines`. */
export interface LineEdit {
  startLine: number;
  endLine: number;
  lines: string[];
}

export interface Planned {
  changes: FileChange[];
  /** Findings whose fix was not applied, and why. */
  skipped: { finding: Finding; reason: string }[];
}

/**
 * The new text of every file the findings' fixes touch. A fix applies only to the bytes it was made
 * for; fixes that overlap one already taken (top down) wait for the next run (their lines have moved).
 * Linear in the files' sizes and the number of fixes.
 */
export function planChanges(root: string, findings: readonly Finding[]): Planned {
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.fix) continue;
    const list = byFile.get(f.fix.path);
    if (list) list.push(f);
    else byFile.set(f.fix.path, [f]);
  }
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
    const taken = new Map<string, Fix>();
    const applied: Finding[] = [];
    let reached = 0;
    const ordered = [...list].sort((a, b) => a.fix!.startLine - b.fix!.startLine || a.fix!.endLine - b.fix!.endLine);
    for (const finding of ordered) {
      const fix = finding.fix!;
      const key = `${fix.startLine}:${fix.endLine}:${fix.text}`;
      if (fix.sha256 !== current) skipped.push({ finding, reason: `${rel} changed since it was analyzed` });
      // Several sends reached by one moved call share its fix: applying it once fixes them all.
      else if (taken.has(key)) applied.push(finding);
      else if (fix.startLine <= reached) skipped.push({ finding, reason: 'overlaps another fix in this run; run gohazard fix again' });
      else {
        taken.set(key, fix);
        applied.push(finding);
        reached = fix.endLine;
      }
    }
    if (taken.size === 0) continue;
    const edits = [...taken.values()].map((fix) => ({ startLine: fix.startLine, endLine: fix.endLine, lines: fix.text.replace(/\n$/, '').split('\n') }));
    changes.push({ path: rel, before, after: applyEdits(before, edits), edits, findings: applied });
  }
  return { changes, skipped };
}

/** The text with the (top-down, disjoint) edits made, in one pass. */
export function applyEdits(text: string, edits: readonly LineEdit[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let next = 0;
  for (const e of edits) {
    for (; next < e.startLine - 1; next++) out.push(lines[next]!);
    out.push(...e.lines);
    next = e.endLine;
  }
  for (; next < lines.length; next++) out.push(lines[next]!);
  return out.join('\n');
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
