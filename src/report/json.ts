import type { RunResult } from '../analyze.js';
import { VERSION } from '../version.js';

/** Bump on any incompatible change to the JSON output; documented in docs/json-format.md. */
export const JSON_SCHEMA_VERSION = 1;

export function formatJson(result: RunResult, includeStats: boolean): string {
  const doc = {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: 'gohazard', version: VERSION },
    root: result.root,
    findings: result.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      confidence: f.confidence,
      message: f.message,
      location: f.location,
      related: f.related,
      flows: f.flows,
      fingerprint: f.fingerprint,
      ...(f.assumptions ? { assumptions: f.assumptions } : {}),
      ...(f.testCode ? { testCode: true } : {}),
      ...(f.fix ? { fix: f.fix } : {}),
    })),
    diagnostics: result.diagnostics,
    ...(includeStats ? { stats: result.stats } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
