import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../findings.js';
import { reorderEdit } from './edit.js';
import type { ReorderPlan } from './reorder.js';

/** Turns the rules' reorder plans into text edits: the one step after the rules that reads source files. */
export function attachFixes(root: string, plans: Map<Finding, ReorderPlan>): void {
  const sources = new Map<string, string | undefined>();
  const read = (rel: string) => {
    if (!sources.has(rel)) {
      try {
        sources.set(rel, readFileSync(path.join(root, rel), 'utf8'));
      } catch {
        // Gone since it was parsed: no fix, the finding stays.
        sources.set(rel, undefined);
      }
    }
    return sources.get(rel);
  };
  for (const [finding, plan] of plans) {
    const source = read(plan.path);
    const fix = source === undefined || Buffer.byteLength(source) !== plan.bytes ? undefined : reorderEdit(plan, source);
    if (fix) finding.fix = fix;
  }
}
