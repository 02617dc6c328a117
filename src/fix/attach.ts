import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../findings.js';
import { reorderEdit, sourceText, type SourceText } from './edit.js';
import type { ReorderPlan } from './reorder.js';

/** Turns the rules' reorder plans into text edits: the one step after the rules that reads source files. */
export function attachFixes(root: string, plans: Map<Finding, ReorderPlan>): void {
  // Each file is read, split and hashed once: a file with thousands of fixes costs one pass, not one per fix.
  const sources = new Map<string, SourceText | undefined>();
  const read = (rel: string) => {
    if (!sources.has(rel)) {
      try {
        sources.set(rel, sourceText(readFileSync(path.join(root, rel), 'utf8')));
      } catch {
        // Gone since it was parsed: no fix, the finding stays.
        sources.set(rel, undefined);
      }
    }
    return sources.get(rel);
  };
  for (const [finding, plan] of plans) {
    const source = read(plan.path);
    if (source === undefined || source.bytes !== plan.bytes) {
      finding.noFix = `${plan.path} changed while it was analyzed`;
      continue;
    }
    const fix = reorderEdit(plan, source);
    if (fix) finding.fix = fix;
    else finding.noFix = 'the statements to move or the one they would go before share a line with other code';
  }
}
