import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { compareFindings, SEVERITY_RANK, type Finding, type Fix, type Location, type Severity } from '../findings.js';
import type { RuleMeta } from '../rule.js';
import { markdownToText } from '../rulehelp.js';
import { INFORMATION_URI, VERSION } from '../version.js';

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. Pure: the caller gathers everything
 * (rules and their docs, git provenance, source columns), so the same input gives byte-identical output.
 */

/** GitHub's ingestion limits (docs: "SARIF support for code scanning"). */
export const GITHUB_LIMITS = {
  resultsPerRun: 5000,
  locationsPerResult: 1000,
  threadFlowLocationsPerResult: 10_000,
  gzipBytes: 10 * 1024 * 1024,
};

export type SarifLimits = typeof GITHUB_LIMITS;

export interface SarifRule {
  meta: RuleMeta;
  /** Contents of rules/<id>.md. */
  helpMarkdown: string;
  /** The severity in force for this run (config overrides applied). */
  level: Severity;
}

export interface SarifResult {
  finding: Finding;
  /** Present when an in-source `//gohazard:ignore` matched; such results appear only with --include-suppressed. */
  suppression?: { justification: string };
}

export interface VcsProvenance {
  repositoryUri: string;
  revisionId: string;
  branch?: string;
}

export interface SarifInput {
  rules: SarifRule[];
  results: SarifResult[];
  /** Absolute analysis root: every finding path is relative to it. */
  root: string;
  /**
   * `%SRCROOT%`: the git top level when the root is in a checkout (code scanning resolves URIs against the
   * repository root, also for a run from a subfolder), else the root itself.
   */
  srcRoot: string;
  /** The analysis root relative to srcRoot, with forward slashes ('' when they are the same folder). */
  rootInSrcRoot: string;
  /** Set with --baseline or --new-from-rev: every reported result is new relative to that baseline. */
  baselineState?: 'new';
  provenance?: VcsProvenance;
  /** `automationDetails.id`, e.g. "gohazard/": GitHub's category of the analysis. */
  automationId: string;
  /** Run-level notices (e.g. skipped files), shown as tool execution notifications. */
  notices: { level: 'error' | 'warning' | 'note'; text: string }[];
  /** Our columns count bytes; SARIF's (and GitHub's) count UTF-16 code units. */
  utf16Column: (path: string, line: number, byteCol: number) => number;
  limits?: SarifLimits;
}

export interface SarifOutput {
  text: string;
  /** What was left out to stay within the limits, one sentence each (also in the SARIF as notifications). */
  truncations: string[];
}

const SRCROOT = '%SRCROOT%';
const FINGERPRINT_KEY = 'gohazard/v1';

export function formatSarif(input: SarifInput): SarifOutput {
  const limits = input.limits ?? GITHUB_LIMITS;
  const truncations: string[] = [];
  let results = input.results;
  if (results.length > limits.resultsPerRun) {
    results = mostSevere(results, limits.resultsPerRun);
    truncations.push(
      `${input.results.length} results exceed the limit of ${limits.resultsPerRun} per run: kept the ${limits.resultsPerRun} most severe.`,
    );
  }
  let out = render(input, results, limits, truncations);
  // With results capped this is rare (long code flows can get there): drop the least severe results until it fits.
  let gz = gzipSync(out.text).length;
  let sizeNote: string | undefined;
  while (gz > limits.gzipBytes && results.length > 0) {
    const keep = Math.min(results.length - 1, Math.floor((results.length * limits.gzipBytes * 0.9) / gz));
    results = mostSevere(results, keep);
    sizeNote = `the SARIF file would gzip to more than ${limits.gzipBytes} bytes: kept the ${keep} most severe results.`;
    out = render(input, results, limits, [...truncations, sizeNote]);
    gz = gzipSync(out.text).length;
  }
  if (sizeNote) truncations.push(sizeNote);
  return { text: out.text, truncations: [...truncations, ...out.perResult] };
}

function mostSevere(results: SarifResult[], n: number): SarifResult[] {
  const bySeverity = [...results].sort(
    (a, b) => SEVERITY_RANK[b.finding.severity] - SEVERITY_RANK[a.finding.severity] || compareFindings(a.finding, b.finding),
  );
  return bySeverity.slice(0, n);
}

/** The SARIF text, and what was cut from single results (also in it, as notifications). */
function render(input: SarifInput, results: SarifResult[], limits: SarifLimits, truncations: string[]): { text: string; perResult: string[] } {
  const rules = [...input.rules].sort((a, b) => (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
  const ruleIndex = new Map(rules.map((r, i) => [r.meta.id, i]));
  const sorted = [...results].sort((a, b) => compareFindings(a.finding, b.finding));
  const occurrences = new Map<string, number>();
  const perResult: string[] = [];

  const sarifResults = sorted.map((r) => {
    const f = r.finding;
    const index = ruleIndex.get(f.ruleId);
    if (index === undefined) throw new Error(`finding of unknown rule ${f.ruleId}`);
    // Identical fingerprints (the same hazard twice in one function) stay distinct alerts, as in CodeQL's "hash:n".
    const n = (occurrences.get(f.fingerprint) ?? 0) + 1;
    occurrences.set(f.fingerprint, n);
    const related = f.related.slice(0, limits.locationsPerResult - 1);
    if (related.length < f.related.length) perResult.push(`${where(f)}: kept ${related.length} of ${f.related.length} related locations.`);
    const codeFlows = threadFlows(f, input, limits.threadFlowLocationsPerResult);
    if (codeFlows.dropped > 0) perResult.push(`${where(f)}: left out ${codeFlows.dropped} code flow steps.`);
    return {
      ruleId: f.ruleId,
      ruleIndex: index,
      level: f.severity,
      message: { text: messageText(f.message, related.map((x) => x.message)) },
      locations: [{ physicalLocation: physical(f.location, input) }],
      ...(related.length
        ? { relatedLocations: related.map((x, i) => ({ id: i + 1, physicalLocation: physical(x.location, input), message: { text: plain(x.message) } })) }
        : {}),
      ...(codeFlows.flows.length ? { codeFlows: codeFlows.flows } : {}),
      ...(f.fix ? { fixes: [sarifFix(f.fix, input)] } : {}),
      partialFingerprints: { [FINGERPRINT_KEY]: `${f.fingerprint}:${n}` },
      ...(input.baselineState && !r.suppression ? { baselineState: input.baselineState } : {}),
      properties: { confidence: f.confidence, ...(f.assumptions ? { assumptions: f.assumptions.map((a) => `${a.kind}: ${a.text}`) } : {}), ...(f.testCode ? { testCode: true } : {}) },
      ...(r.suppression ? { suppressions: [{ kind: 'inSource', justification: r.suppression.justification }] } : {}),
    };
  });

  const notices = [...input.notices, ...[...truncations, ...perResult].map((text) => ({ level: 'warning' as const, text }))];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gohazard',
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: INFORMATION_URI,
            rules: rules.map(ruleDescriptor),
          },
        },
        automationDetails: { id: input.automationId },
        ...(input.provenance ? { versionControlProvenance: [{ ...input.provenance, mappedTo: { uriBaseId: SRCROOT } }] } : {}),
        originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(input.srcRoot).href.replace(/\/?$/, '/')}` } },
        invocations: [
          {
            executionSuccessful: !input.notices.some((n) => n.level === 'error'),
            ...(notices.length
              ? { toolExecutionNotifications: notices.map((n) => ({ level: n.level, message: { text: plain(n.text) } })) }
              : {}),
          },
        ],
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
      },
    ],
  };
  return { text: `${JSON.stringify(log, null, 2)}\n`, perResult };
}

function ruleDescriptor(r: SarifRule) {
  const m = r.meta;
  const name = pascalCase(m.id);
  return {
    id: m.id,
    // SARIF wants a name only where it differs from the id (`deadlock` would be `Deadlock`: the same to a reader).
    ...(name.toLowerCase() !== m.id.toLowerCase() ? { name } : {}),
    shortDescription: { text: sentence(m.title) },
    fullDescription: { text: sentence(m.description) },
    help: { text: markdownToText(r.helpMarkdown), markdown: r.helpMarkdown },
    defaultConfiguration: { level: r.level },
    properties: {
      tags: m.tags,
      precision: m.precision,
      // CodeQL's vocabulary, which GitHub shows as the alert's severity.
      'problem.severity': r.level === 'note' ? 'recommendation' : r.level,
    },
  };
}

/** One code flow per witness path (the close path, the send path), each a single thread of call sites. */
function threadFlows(f: Finding, input: SarifInput, budget: number) {
  let left = budget;
  let dropped = 0;
  const flows = [];
  for (const flow of f.flows) {
    const steps = flow.steps.slice(0, Math.max(0, left));
    dropped += flow.steps.length - steps.length;
    left -= steps.length;
    if (steps.length === 0) continue;
    flows.push({
      message: { text: plain(flow.message) },
      threadFlows: [
        {
          locations: steps.map((s) => ({
            location: { physicalLocation: physical(s.location, input), message: { text: plain(s.message) } },
          })),
        },
      ],
    });
  }
  return { flows, dropped };
}

/** Whole lines replaced: the deleted region runs from column 1 of the first line to column 1 after the last. */
function sarifFix(fix: Fix, input: SarifInput) {
  return {
    description: { text: plain(fix.description) },
    artifactChanges: [
      {
        artifactLocation: artifact(fix.path, input),
        replacements: [
          {
            deletedRegion: { startLine: fix.startLine, startColumn: 1, endLine: fix.endLine + 1, endColumn: 1 },
            insertedContent: { text: fix.text },
          },
        ],
      },
    ],
  };
}

/** A path relative to the analysis root, as a URI relative to %SRCROOT% (the git top level when there is one). */
function artifact(rel: string, input: SarifInput) {
  const fromSrcRoot = input.rootInSrcRoot ? `${input.rootInSrcRoot}/${rel}` : rel;
  return { uri: fromSrcRoot.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function physical(loc: Location, input: SarifInput) {
  const col = (line: number, c: number) => input.utf16Column(loc.path, line, c);
  return {
    artifactLocation: artifact(loc.path, input),
    region: {
      startLine: loc.line,
      startColumn: col(loc.line, loc.col),
      ...(loc.endLine !== undefined && loc.endCol !== undefined ? { endLine: loc.endLine, endColumn: col(loc.endLine, loc.endCol) } : {}),
    },
  };
}

/**
 * SARIF message text is a restricted markdown: literal brackets must be escaped, and `[text](n)` links
 * to related location n. GitHub shows related locations only when the message links them.
 */
function messageText(message: string, related: string[]): string {
  const links = related.map((r, i) => `[${escapeText(r)}](${i + 1})`);
  return plain(message) + (links.length ? ` See ${links.join(', ')}.` : '');
}

function plain(s: string): string {
  return sentence(escapeText(s));
}

function escapeText(s: string): string {
  return s.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

/** SARIF viewers expect messages to be sentences ending with a period. */
function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function where(f: Finding): string {
  return `${f.location.path}:${f.location.line}:${f.location.col} (${f.ruleId})`;
}
