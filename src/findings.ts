import { createHash } from 'node:crypto';
import type { ReorderPlan } from './fix/reorder.js';

export type Severity = 'error' | 'warning' | 'note';
export type Confidence = 'high' | 'medium' | 'low';

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, note: 1 };
export const CONFIDENCE_RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

export interface Location {
  /** Relative to the analysis root, forward slashes. */
  path: string;
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

export interface FlowStep {
  location: Location;
  /** What happens at this step, e.g. "calls Engine.Close" or "closes e.metaCh". */
  message: string;
}

/** A witness path, e.g. from a cleanup function down to the `close`. */
export interface Flow {
  message: string;
  steps: FlowStep[];
}

/**
 * What a finding's derivation took for granted where the engine could not see: evidence, not the absence of
 * counter-evidence. A finding that rests on any assumption is reported one severity level below its rule's
 * (error becomes warning, warning becomes note) and one confidence step lower per assumption; docs/evidence.md.
 */
export type AssumptionKind =
  /** A call resolved to nothing, or to a body the engine does not see (another module, a wrapper's method). */
  | 'opaque-call'
  /** A branch on the path the engine could not decide: it reads state the other path writes, or values callers pass. */
  | 'undecided-branch'
  /** Two objects the engine could not prove to be one instance. */
  | 'same-instance'
  /** A call that may not return (a helper ending in `t.Fatal`) taken as returning, or the reverse. */
  | 'returns'
  /** Who releases a lock: another function unlocks it without locking it (a two-phase protocol, a joined goroutine). */
  | 'hand-over'
  /** That a channel made with a computed capacity (`make(chan T, n)`) is full when a send blocks on it. */
  | 'capacity'
  /** That a hazard reached only after a call that fails the running test (`t.Errorf`) and lets it go on matters. */
  | 'failed-test'
  /** That a function nothing in the program calls, and nothing outside it can, runs at all (src/facts/program/reached.ts). */
  | 'reached'
  /** That what a component does when it is stopped (its server shut down) happens only as the process ends. */
  | 'process-end'
  /** That two operations nothing orders happen in the order the hazard needs (a send after its receiver stopped). */
  | 'interleaving';

export const ASSUMPTION_KINDS: readonly AssumptionKind[] = ['opaque-call', 'undecided-branch', 'same-instance', 'returns', 'hand-over', 'capacity', 'failed-test', 'reached', 'process-end', 'interleaving'];

export interface Assumption {
  kind: AssumptionKind;
  /** One line a maintainer can check against the code, e.g. "`syncutil.RWMutex.Unlock` does not release `l.mu`". */
  text: string;
  /** Where the assumed call, branch or object is, when it has one place. */
  location?: Location;
}

/** a, then those of b whose text is not there yet: each text once (a itself when b adds nothing). */
export function joinAssumptions(a: Assumption[], b: readonly Assumption[]): Assumption[] {
  const out = [...a];
  for (const x of b) if (!out.some((y) => y.text === x.text)) out.push(x);
  return out.length === a.length ? a : out;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  confidence: Confidence;
  message: string;
  location: Location;
  related: { location: Location; message: string }[];
  flows: Flow[];
  /**
   * Stable across unrelated edits: a hash of the rule id and the finding's identity
   * (channel, enclosing functions, operation), never of line numbers.
   */
  fingerprint: string;
  /** True when the location is in a generated file. */
  generated?: boolean;
  /** What the finding rests on beyond what the engine saw; absent when nothing (see Assumption). */
  assumptions?: Assumption[];
  /** The hazard is in test code (src/facts/program/testcode.ts, or a `_test.go` file): its severity is capped (reportedSeverity). */
  testCode?: true;
  /** A change that removes the hazard, when one is known to be safe (see src/fix/). */
  fix?: Fix;
  /** Why a rule that offers fixes offers none for this finding (`gohazard fix --dry-run` says it); not in the reports. */
  noFix?: string;
}

/** A proposed change (SARIF's `fix`): lines startLine..endLine of one file replaced by `text`. */
export interface Fix {
  description: string;
  /** Relative to the analysis root, like Location.path. */
  path: string;
  /** The sha256 of the file the change was made for: `gohazard fix` applies it to those bytes only. */
  sha256: string;
  startLine: number;
  endLine: number;
  /** The new lines, each ending in a newline. */
  text: string;
}

export type FindingInput = Omit<Finding, 'fingerprint' | 'fix'> & {
  /** What makes this finding itself: identities and function names, not positions. */
  identity: string[];
  /** A reorder that removes the hazard; made into a Fix by reading the file, after the rules ran. */
  reorder?: ReorderPlan;
  /**
   * Dropped when another rule's finding is at the same place (its location or a related one): the schedule
   * explorer's verdicts give way to the finding of the rule that names the hazard's shape.
   */
  yields?: true;
};

/** One level below: where a finding that rests on assumptions is reported. */
export function lowered(severity: Severity): Severity {
  return severity === 'error' ? 'warning' : 'note';
}

/**
 * The severity a finding is reported at, from its rule's level: in test code no higher than `testCodeSeverity`
 * (read one by one over four validation corpora, 3 of 22 error-level findings in test files were real or
 * plausible: tests close twice and tear down concurrently on purpose, to exercise the code's own guards, and a
 * hazard that fires in a test fails that test), then a level lower if it rests on assumptions.
 */
export function reportedSeverity(level: Severity, finding: Pick<Finding, 'assumptions' | 'testCode'>, testCodeSeverity: Severity): Severity {
  const capped = finding.testCode && SEVERITY_RANK[level] > SEVERITY_RANK[testCodeSeverity] ? testCodeSeverity : level;
  return finding.assumptions?.length ? lowered(capped) : capped;
}

/** Confidence one step lower for each assumption, never below low. */
export function lessConfident(confidence: Confidence, assumptions: number): Confidence {
  const rank = Math.max(1, CONFIDENCE_RANK[confidence] - assumptions);
  return rank === 3 ? 'high' : rank === 2 ? 'medium' : 'low';
}

/**
 * The assumptions named in the message, where every format shows them: "…; assumed: A; B". A trailing
 * "[high confidence]" tag, which some rules write, is kept last and says the lowered confidence.
 */
export function messageWithAssumptions(message: string, assumptions: readonly Assumption[], confidence: Confidence): string {
  if (!assumptions.length) return message;
  // The tag may carry more (`[high confidence, cleanup path]`): it stays last, with the lowered confidence.
  const tag = / \[(high|medium|low) confidence([^\]]*)\]$/.exec(message);
  const body = tag ? message.slice(0, tag.index) : message;
  return `${body}; assumed: ${assumptions.map((a) => a.text).join('; ')}${tag ? ` [${confidence} confidence${tag[2]}]` : ''}`;
}

/** Each assumption once (rules may meet one several times on the way to a finding). */
export function distinctAssumptions(list: readonly Assumption[] | undefined): Assumption[] {
  if (!list?.length) return [];
  const seen = new Set<string>();
  return list.filter((a) => {
    const key = `${a.kind}\0${a.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function fingerprintOf(ruleId: string, identity: string[]): string {
  return createHash('sha256').update([ruleId, ...identity].join('\0')).digest('hex').slice(0, 32);
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.location.path, b.location.path) ||
    a.location.line - b.location.line ||
    a.location.col - b.location.col ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
