import type { Confidence, FindingInput, Severity } from './findings.js';
import type { Program } from './program.js';
import type { SyncFacts } from './facts/engine.js';
import type { LockFacts } from './facts/locks/facts.js';
import type { CallGraph } from './resolve/callgraph.js';
import type { Exploration } from './explore/explore.js';

/**
 * A rule is data plus one function, in the shape of go/analysis's Analyzer and ESLint's rule `meta`.
 * A rule reads the program (and, later, the index and facts); it never parses or reads files.
 */
export interface RuleMeta {
  id: string;
  /** One line, sentence case, no final period. */
  title: string;
  /** A short paragraph: what it finds and why it matters. */
  description: string;
  severity: Severity;
  /** How often a finding is real, as in CodeQL: very-high, high, medium, low. */
  precision: 'very-high' | 'high' | 'medium' | 'low';
  tags: string[];
  /** Version that introduced the rule. */
  since: string;
  /** Off unless the config turns it on (`"rules": {"<id>": "on"}`): heuristics that a gate should not run unasked. */
  optIn?: boolean;
}

/** Project settings rules may read (from the config file). */
export interface RuleSettings {
  /** Extra name patterns of cleanup functions (Close, Stop, Shutdown ... are built in), for rules about cleanup paths. */
  cleanupFunctions: readonly RegExp[];
  /** The highest severity of a finding in test code (the config's `testCodeSeverity`; `warning` by default). */
  testCodeSeverity: Severity;
}

export const DEFAULT_SETTINGS: RuleSettings = { cleanupFunctions: [], testCodeSeverity: 'warning' };

export interface RuleContext {
  program: Program;
  settings: RuleSettings;
  /** Who calls whom, with the light type inference behind it (src/resolve/callgraph.ts). */
  graph: CallGraph;
  /** Per-function channel facts: may-close and may-send with witness paths (src/facts/engine.ts). */
  facts: SyncFacts;
  /** Per-function lock effects, and the re-acquisitions and leaked locks found on the way (src/facts/locks/). */
  locks: LockFacts;
  /** The explorer's verdicts over every function that starts goroutines (src/explore/), built on first use. */
  explored: Exploration;
  /** `testCode` defaults to "the location is in a `_test.go` file"; a rule that knows the function says it. */
  report(finding: Omit<FindingInput, 'ruleId' | 'severity' | 'testCode'> & { severity?: Severity; confidence: Confidence; testCode?: boolean }): void;
}

export interface Rule {
  meta: RuleMeta;
  run(ctx: RuleContext): void;
}
