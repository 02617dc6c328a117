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
