import { writeFileSync } from 'node:fs';
import type { Finding } from '../findings.js';
import { readErrorReason, readRegularFile } from '../readfile.js';
import { UsageError } from '../usage-error.js';

/**
 * A baseline records the findings a project has accepted for now, by fingerprint (rule + identities,
 * never line numbers), so a CI gate fails only on new ones. Path and message are kept for the reader of
 * the file and for review diffs; only the fingerprint is compared. The same fingerprint may appear more
 * than once (the same hazard twice in one function): each entry absorbs one finding.
 */
const BASELINE_VERSION = 1;

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  path: string;
  message: string;
}

export interface Baseline {
  version: number;
  findings: BaselineEntry[];
}

function baselineOf(findings: Finding[]): Baseline {
  const entries = findings.map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.location.path, message: f.message }));
  // Sorted by what is stable, so rewriting a baseline after unrelated edits changes nothing.
  entries.sort((a, b) => cmp(a.path, b.path) || cmp(a.ruleId, b.ruleId) || cmp(a.fingerprint, b.fingerprint) || cmp(a.message, b.message));
  return { version: BASELINE_VERSION, findings: entries };
}

export function writeBaseline(file: string, findings: Finding[]): void {
  try {
    writeFileSync(file, `${JSON.stringify(baselineOf(findings), null, 2)}\n`);
  } catch (err) {
    throw new UsageError(`${file}: cannot write the baseline: ${(err as Error).message}`);
  }
}

/** Far above any real baseline (a few hundred bytes a finding), far below what would exhaust the heap. */
const MAX_BASELINE_BYTES = 256 << 20;

export function readBaseline(file: string): Baseline {
  let doc: unknown;
  try {
    doc = JSON.parse(readRegularFile(file, MAX_BASELINE_BYTES).toString('utf8'));
  } catch (err) {
    const reason = err instanceof SyntaxError ? `not valid JSON (${err.message})` : readErrorReason(err);
    throw new UsageError(`${file}: cannot read the baseline: ${reason}`);
  }
  const d = doc as Partial<Baseline> | null;
  if (!d || typeof d !== 'object' || d.version !== BASELINE_VERSION || !Array.isArray(d.findings)) {
    throw new UsageError(`${file}: not a gohazard baseline (version ${BASELINE_VERSION}); write one with --write-baseline`);
  }
  const bad = d.findings.findIndex((e) => typeof (e as Partial<BaselineEntry> | null)?.fingerprint !== 'string');
  if (bad !== -1) throw new UsageError(`${file}: findings[${bad}] has no fingerprint`);
  return d as Baseline;
}

/** Findings not covered by the baseline, and how many baseline entries matched nothing (fixed since). */
export function filterByBaseline(findings: Finding[], baseline: Baseline): { fresh: Finding[]; gone: number } {
  const left = new Map<string, number>();
  for (const e of baseline.findings) left.set(e.fingerprint, (left.get(e.fingerprint) ?? 0) + 1);
  const fresh = subtract(findings, left);
  let gone = 0;
  for (const n of left.values()) gone += n;
  return { fresh, gone };
}

/** Findings whose fingerprint is not in `before`, counting multiplicity: the multiset difference. */
export function newFindings(findings: Finding[], before: Finding[]): Finding[] {
  const left = new Map<string, number>();
  for (const f of before) left.set(f.fingerprint, (left.get(f.fingerprint) ?? 0) + 1);
  return subtract(findings, left);
}

/** Consumes `left` (fingerprint -> remaining count) as findings match it. */
function subtract(findings: Finding[], left: Map<string, number>): Finding[] {
  return findings.filter((f) => {
    const n = left.get(f.fingerprint) ?? 0;
    if (n === 0) return true;
    left.set(f.fingerprint, n - 1);
    return false;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
