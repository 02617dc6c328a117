import type { RunResult } from '../analyze.js';
import { severityOverride, type Config } from '../config.js';
import { compareFindings, CONFIDENCE_RANK, reportedSeverity, SEVERITY_RANK, type Confidence, type Finding, type Severity } from '../findings.js';
import { DEFAULT_SETTINGS, type RuleMeta } from '../rule.js';
import { filterByBaseline, newFindings, readBaseline, writeBaseline } from './baseline.js';
import path from 'node:path';
import { analysisRoot } from '../load/discover.js';
import { excludeMatcher, type ExcludeMatcher } from './glob.js';
import { atRevision, resolveRevision } from './newfromrev.js';
import { applySuppressions, DIRECTIVE_RULES, type Suppressed } from './suppress.js';

/**
 * The CI gate: what a run reports and whether it fails. Acts on findings only, after the rules:
 * config (severity overrides, disabled rules, excluded paths), in-source suppressions, then the baseline
 * and `--new-from-rev`, which keep only findings that are new.
 */

export type FailOn = Severity | 'none';

export interface GateOptions {
  config: Config;
  /**
   * Every rule gohazard knows, also those turned off: a suppression naming a disabled rule is not malformed.
   * The suppression checks (bad-ignore, unused-ignore) are added here.
   */
  knownRules: readonly RuleMeta[];
  reportUnusedIgnores: boolean;
  baseline?: string;
  writeBaseline?: string;
  newFromRev?: string;
  failOn: FailOn;
  maxFindings?: number;
  /** Findings below this confidence are dropped, as if their rule had not reported them. */
  minConfidence?: Confidence;
}

export interface GateOutcome {
  result: RunResult;
  /** What to report, sorted. */
  findings: Finding[];
  /** Matched by a `//gohazard:ignore` (SARIF shows them with --include-suppressed). */
  suppressed: Suppressed[];
  /** One-line notes for stderr: what the baseline and --new-from-rev hid, what was written. */
  notes: string[];
  /** How many findings the baseline and --new-from-rev hid (0 without them), for --stats. */
  hidden: { baseline: number; revision: number };
  failed: boolean;
  /** Why the gate passed or failed, for the summary line, e.g. "3 at or above --fail-on error". */
  verdict: string;
}

/**
 * Runs the analysis through `analyzeAt` (called once more on the tree of --new-from-rev, with the same
 * options), then the gate. Bad input (baseline file, revision) throws UsageError before any output.
 */
export async function runGate(
  cwd: string,
  patterns: string[],
  analyzeAt: (cwd: string, patterns: string[]) => Promise<RunResult>,
  opts: GateOptions,
): Promise<GateOutcome> {
  const baseline = opts.baseline !== undefined ? readBaseline(opts.baseline) : undefined;
  const root = analysisRoot(patterns, cwd);
  const exclude = configExcludes(opts.config.exclude, opts.config, root, cwd);
  const ruleExcludes = new Map([...opts.config.ruleExcludes].map(([id, globs]) => [id, configExcludes(globs, opts.config, root, cwd)]));
  const excluded = (f: Finding) => exclude.excluded(f.location.path) || ruleExcludes.get(f.ruleId)?.excluded(f.location.path) === true;
  const revision = opts.newFromRev !== undefined ? resolveRevision(opts.newFromRev, cwd, patterns) : undefined;
  // REV first: only its findings outlive its analysis, so the two programs are never in memory together.
  const before = revision && (await atRevision(revision, async (c, p) => triage(await analyzeAt(c, p), opts, excluded).kept));
  const result = await analyzeAt(cwd, patterns);
  const now = triage(result, opts, excluded);
  const notes: string[] = [...exclude.unused(result.paths), ...[...ruleExcludes.values()].flatMap((m) => m.unused(result.paths))].map(
    (p) => `${exclude.shown}: warning: exclude pattern ${JSON.stringify(p)} matches no analyzed file`,
  );
  const hidden = { baseline: 0, revision: 0 };
  let findings = now.kept;

  if (opts.writeBaseline !== undefined) {
    writeBaseline(opts.writeBaseline, findings);
    notes.push(`wrote ${count(findings.length, 'finding')} to the baseline ${opts.writeBaseline}`);
  }
  if (baseline) {
    const { fresh, gone } = filterByBaseline(findings, baseline);
    hidden.baseline = findings.length - fresh.length;
    notes.push(`baseline ${opts.baseline}: ${count(hidden.baseline, 'finding')} hidden`);
    if (gone > 0) {
      notes.push(`baseline ${opts.baseline}: ${count(gone, 'baselined finding')} no longer found; shrink it with --write-baseline`);
    }
    findings = fresh;
  }
  if (revision && before) {
    const fresh = newFindings(findings, before);
    hidden.revision = findings.length - fresh.length;
    notes.push(`new-from-rev ${revision.rev}: ${count(hidden.revision, 'finding')} already present there hidden`);
    findings = fresh;
  }
  findings.sort(compareFindings);
  // Writing a baseline accepts what is there: that run passes.
  const failure = opts.writeBaseline === undefined ? whyFails(findings, opts.failOn, opts.maxFindings) : undefined;
  const verdict = failure ?? whyPasses(findings, opts);
  return { result, findings, suppressed: now.suppressed, notes, hidden, failed: failure !== undefined, verdict };
}

/**
 * The config's exclude patterns (`exclude`, or a rule's) over root-relative paths: they are written
 * relative to the config file's folder, which may be above the analysis root or below it.
 */
function configExcludes(globs: string[], config: Config, root: string, cwd: string): ExcludeMatcher & { shown: string } {
  const file = config.file === undefined ? cwd : path.resolve(cwd, config.file);
  const base = path.relative(root, path.dirname(file)).split(path.sep).join('/');
  const fromBase = (p: string) => path.posix.relative(base, p);
  const m = excludeMatcher(globs);
  const shownFile = path.relative(cwd, file);
  return {
    excluded: (p) => m.excluded(fromBase(p)),
    unused: (paths) => m.unused(paths.map(fromBase)),
    shown: shownFile.startsWith('..') ? file : shownFile,
  };
}

/** One tree's reportable findings: config applied (`excluded` says which paths it leaves out), then suppressions. */
function triage(result: RunResult, opts: Pick<GateOptions, 'config' | 'knownRules' | 'reportUnusedIgnores' | 'minConfidence'>, excluded: (f: Finding) => boolean) {
  const { config } = opts;
  const knownRules = new Set([...opts.knownRules, ...DIRECTIVE_RULES].map((r) => r.id));
  const { kept, suppressed } = applySuppressions(result.findings, result.directives, { knownRules, reportUnused: opts.reportUnusedIgnores });
  const configured = (f: Finding): Finding | undefined => {
    if (config.rules.get(f.ruleId) === 'off' || excluded(f)) return undefined;
    if (opts.minConfidence && CONFIDENCE_RANK[f.confidence] < CONFIDENCE_RANK[opts.minConfidence]) return undefined;
    const severity = severityOverride(config, f.ruleId);
    // A rule's configured severity is for its findings on evidence in the code under test: the others stay below.
    return severity ? { ...f, severity: reportedSeverity(severity, f, config.testCodeSeverity ?? DEFAULT_SETTINGS.testCodeSeverity) } : f;
  };
  return {
    kept: kept.flatMap((f) => configured(f) ?? []),
    suppressed: suppressed.flatMap((s) => {
      const finding = configured(s.finding);
      return finding ? [{ ...s, finding }] : [];
    }),
  };
}

/** Why the gate fails, if it does: more findings than --max-findings, or a finding at or above --fail-on. */
function whyFails(findings: Finding[], failOn: FailOn, maxFindings: number | undefined): string | undefined {
  if (maxFindings !== undefined && findings.length > maxFindings) return `${findings.length} findings exceed --max-findings ${maxFindings}`;
  if (failOn === 'none') return undefined;
  const failing = findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]).length;
  return failing > 0 ? `${failing} at or above --fail-on ${failOn}` : undefined;
}

function whyPasses(findings: Finding[], opts: Pick<GateOptions, 'failOn' | 'writeBaseline'>): string {
  if (opts.writeBaseline !== undefined) return 'a baseline was written';
  if (findings.length === 0) return 'nothing to report';
  return opts.failOn === 'none' ? '--fail-on none' : `none at or above --fail-on ${opts.failOn}`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
