import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';
import type { Finding, Location } from '../findings.js';
import { summarize } from '../parse/summarize.js';
import type { FileWithPackage } from '../program.js';
import { planChanges } from './apply.js';

/** Rounds of re-analysis before the fixes still unproven are all dropped: each round drops one at least. */
const MAX_ROUNDS = 3;

export interface VerifyInput {
  root: string;
  /** The program as analyzed. */
  files: readonly FileWithPackage[];
  /** The findings of the run; those with a fix lose it unless it is proven. */
  findings: readonly Finding[];
  /** Fingerprints of every finding of every default rule on the program as it is. */
  before: ReadonlySet<string>;
  /** Every default rule's findings on the program with some files replaced. */
  analyzeFiles: (files: FileWithPackage[]) => Finding[];
}

/**
 * Keeps a fix only when the program with it applied, analyzed again with every default rule, no longer has
 * the finding and has no finding it did not have before (a deadlock where there was a panic, a lock left
 * held). The fixes of a run are tried together; a new finding is charged to the fixes of the files it
 * touches (to all of them when it touches none), which lose their fix, and the rest are tried again.
 */
export function verifyFixes(input: VerifyInput): void {
  let candidates = input.findings.filter((f) => f.fix);
  const drop = (f: Finding, why: string) => {
    delete f.fix;
    f.noFix = why;
  };
  let parser: Parser | undefined;
  for (let round = 0; candidates.length > 0; round++) {
    if (round === MAX_ROUNDS) {
      for (const f of candidates) drop(f, 'not proven safe: other fixes kept creating findings with it');
      return;
    }
    const planned = planChanges(input.root, candidates);
    for (const { finding, reason } of planned.skipped) drop(finding, reason);
    candidates = planned.changes.flatMap((c) => c.findings);
    if (candidates.length === 0) return;
    parser ??= goParser();
    const replaced = new Map<string, FileWithPackage['summary']>();
    for (const c of planned.changes) {
      const summary = summarize(parser.parse(c.after), c.after, c.path);
      if (summary.syntaxError) for (const f of c.findings) drop(f, 'the file would not parse after the move');
      else replaced.set(c.path, summary);
    }
    candidates = candidates.filter((f) => f.fix);
    if (candidates.length === 0) return;
    const files = input.files.map((f) => {
      const summary = replaced.get(f.summary.path);
      return summary ? { ...f, summary } : f;
    });
    let after: Finding[];
    try {
      after = input.analyzeFiles(files);
    } catch (err) {
      for (const f of candidates) drop(f, `not proven safe: re-analyzing with the fix failed (${(err as Error).message})`);
      return;
    }
    const remaining = new Set(after.map((f) => f.fingerprint));
    const created = after.filter((f) => !input.before.has(f.fingerprint));
    const dropped = new Set<Finding>();
    for (const f of candidates) {
      if (remaining.has(f.fingerprint)) {
        drop(f, 'with the move applied the finding remains');
        dropped.add(f);
      }
    }
    for (const n of created) {
      const touched = new Set(locationsOf(n).map((l) => l.path));
      const charged = candidates.filter((f) => touched.has(f.fix?.path ?? ''));
      for (const f of charged.length ? charged : candidates) {
        if (dropped.has(f)) continue;
        drop(f, `with the move applied gohazard finds ${n.ruleId} at ${n.location.path}:${n.location.line}: ${n.message.slice(0, 120)}`);
        dropped.add(f);
      }
    }
    if (dropped.size === 0) return;
    candidates = candidates.filter((f) => !dropped.has(f));
  }
}

function locationsOf(f: Finding): Location[] {
  return [f.location, ...f.related.map((r) => r.location), ...f.flows.flatMap((fl) => fl.steps.map((s) => s.location))];
}

function goParser(): Parser {
  const parser = new Parser();
  parser.setLanguage(Go as unknown as Parser.Language);
  return parser;
}
