import path from 'node:path';
import type { RunResult } from '../analyze.js';
import type { Config } from '../config.js';
import type { Finding } from '../findings.js';
import { runGate } from '../gate/gate.js';
import { pathShower } from '../report/paths.js';
import { displayPath, formatText } from '../report/text.js';
import { ALL_RULES } from '../rules.js';
import { planChanges, writeAtomic } from './apply.js';
import { unifiedDiff } from './diff.js';

export interface FixOptions {
  config: Config;
  dryRun: boolean;
  analyzeAt: (cwd: string, patterns: string[]) => Promise<RunResult>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * `gohazard fix`: applies the fixes of the findings `check` would report, then analyzes again and says
 * which findings are gone and which remain. Exit codes as for `check` (1: an error-level finding
 * remains), and 2 when a file could not be written. The only command that writes the user's files.
 */
export async function runFix(patterns: string[], opts: FixOptions): Promise<number> {
  const cwd = process.cwd();
  const gate = () =>
    runGate(cwd, patterns, opts.analyzeAt, {
      config: opts.config,
      knownRules: ALL_RULES.map((r) => r.meta),
      reportUnusedIgnores: false,
      failOn: 'error',
    });
  const first = await gate();
  const { root } = first.result;
  const shown = (rel: string) => displayPath(root, rel, cwd);
  const where = (f: Finding) => `${shown(f.location.path)}:${f.location.line}:${f.location.col}: ${f.ruleId}`;
  const planned = planChanges(root, first.findings);
  for (const { finding, reason } of planned.skipped) opts.err(`gohazard: not fixed: ${where(finding)}: ${reason}\n`);
  if (opts.dryRun) {
    for (const f of first.findings) if (!f.fix) opts.err(`gohazard: no fix: ${where(f)}: ${f.noFix ?? `${f.ruleId} offers no automatic fix`}\n`);
    // Paths from the repository root, as `git apply` reads them from any folder of the checkout.
    const fromTop = pathShower('root', root, cwd);
    for (const c of planned.changes) opts.out(unifiedDiff({ ...c, path: fromTop(c.path) }));
    return first.failed ? 1 : 0;
  }
  if (planned.changes.length === 0) {
    opts.out(formatText(first.findings, root, cwd));
    opts.err(`gohazard: no fix to apply; ${count(first.findings.length, 'finding')}\n`);
    return first.failed ? 1 : 0;
  }
  let writeFailed = false;
  for (const c of planned.changes) {
    try {
      writeAtomic(path.join(root, c.path), c.after);
      opts.err(`gohazard: rewrote ${shown(c.path)} (${c.findings.length === 1 ? c.findings[0]!.fix!.description : `${c.findings.length} findings`})\n`);
    } catch (e) {
      writeFailed = true;
      opts.err(`gohazard: error: cannot write ${shown(c.path)}: ${(e as Error).message}\n`);
    }
  }
  const after = await gate();
  const remaining = new Set(after.findings.map((f) => f.fingerprint));
  const targeted = planned.changes.flatMap((c) => c.findings);
  for (const f of targeted) opts.out(`${remaining.has(f.fingerprint) ? 'still found' : 'gone'}: ${where(f)}\n`);
  opts.out(formatText(after.findings, after.result.root, cwd));
  const gone = targeted.filter((f) => !remaining.has(f.fingerprint)).length;
  opts.err(
    `gohazard: re-analyzed after fixing: ${gone} of ${count(targeted.length, 'fixed finding')} gone, ${count(after.findings.length, 'finding')} remain\n`,
  );
  if (writeFailed) return 2;
  return after.failed ? 1 : 0;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
