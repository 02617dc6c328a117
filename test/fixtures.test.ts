import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisResult } from '../dist/src/analyze.js';
import type { Finding } from '../dist/src/findings.js';
import { ALL_RULES } from '../dist/src/rules.js';
import { FIXTURES } from './helpers.js';

/**
 * analysistest, for gohazard: every `// want "x"` comment in a fixture must be matched by a finding
 * on its line (x is a rule id, or a regexp of "rule-id: message"), and every finding must be wanted.
 * A pattern that starts with a severity (`"warning: double-close: .*assumed"`) is matched from the start of
 * "severity: rule-id: message": the evidence fixtures say at which level a finding must be reported.
 */
interface Want {
  file: string;
  line: number;
  pattern: string;
}

const WANT_RE = /\/\/ want((?:\s+(?:"(?:[^"\\]|\\.)*"|`[^`]*`))+)\s*$/;

function parseWants(file: string, text: string): Want[] {
  const wants: Want[] = [];
  text.split('\n').forEach((line, i) => {
    const m = WANT_RE.exec(line);
    if (!m?.[1]) return;
    for (const q of m[1].matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`/g)) {
      const pattern = q[1] !== undefined ? (JSON.parse(`"${q[1]}"`) as string) : (q[2] ?? '');
      wants.push({ file, line: i + 1, pattern });
    }
  });
  return wants;
}

function matches(want: Want, f: Finding): boolean {
  if (f.location.path !== want.file || f.location.line !== want.line) return false;
  if (/^(error|warning|note): /.test(want.pattern)) return new RegExp(`^(?:${want.pattern})`).test(`${f.severity}: ${f.ruleId}: ${f.message}`);
  return f.ruleId === want.pattern || new RegExp(want.pattern).test(`${f.ruleId}: ${f.message}`);
}

function goFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) out.push(...goFiles(abs));
    else if (name.endsWith('.go') && !name.endsWith('_test.go')) out.push(abs);
  }
  return out;
}

/** Fixtures for the call graph alone (checked edge by edge in callgraph.test.ts): no rule fires in them. */
const GRAPH_ONLY = new Set(['callgraph']);

const packages = readdirSync(FIXTURES).filter((d) => d !== 'internal' && statSync(path.join(FIXTURES, d)).isDirectory());

describe('fixtures', () => {
  let result: AnalysisResult;
  beforeAll(async () => {
    // Every rule, opt-in ones included: each must show both sides in a fixture.
    result = await analyze({ patterns: ['./...'], cwd: FIXTURES, workers: 2, rules: ALL_RULES });
  });

  it('analyzes every fixture file without problems', () => {
    expect(result.diagnostics).toEqual([]);
  });

  it('keeps messages short (about 200 characters): call chains are in the flows, other functions in the related locations', () => {
    // What a finding assumes is appended to its message by the evidence contract: each assumption is one
    // short checkable line, and the message before them stays within the budget.
    const body = (f: Finding) => f.message.split('; assumed: ')[0]!;
    const long = result.findings.filter((f) => body(f).length > 230).map((f) => `${f.location.path}:${f.location.line}: ${f.message.length}: ${f.message}`);
    expect(long).toEqual([]);
    const wordy = result.findings.flatMap((f) => (f.assumptions ?? []).filter((a) => a.text.length > 140).map((a) => `${f.location.path}:${f.location.line}: ${a.text}`));
    expect(wordy).toEqual([]);
  });

  for (const pkg of packages) {
    it(`${pkg}: findings match the // want comments`, () => {
      const wants = goFiles(path.join(FIXTURES, pkg)).flatMap((abs) =>
        parseWants(path.relative(FIXTURES, abs).split(path.sep).join('/'), readFileSync(abs, 'utf8')),
      );
      const findings = result.findings.filter((f) => f.location.path.startsWith(`${pkg}/`));
      const unmatched = wants.filter((w) => !findings.some((f) => matches(w, f)));
      const unexpected = findings.filter((f) => !wants.some((w) => matches(w, f)));
      const show = (f: Finding) => `${f.location.path}:${f.location.line}: ${f.ruleId}: ${f.message}`;
      expect(unmatched.map((w) => `${w.file}:${w.line}: missing finding matching ${JSON.stringify(w.pattern)}`)).toEqual([]);
      expect(unexpected.map((f) => `unexpected: ${show(f)}`)).toEqual([]);
      if (!GRAPH_ONLY.has(pkg)) expect(wants.length).toBeGreaterThan(0);
    });
  }
});
