import type { Finding, Severity } from '../findings.js';

/**
 * GitLab's Code Quality report (a subset of the Code Climate spec): a JSON array, one issue per finding,
 * shown in merge request widgets. Paths are relative to the repository root, as GitLab resolves them;
 * the fingerprint is gohazard's (no line numbers), with an occurrence number as in SARIF.
 */
const SEVERITY: Record<Severity, string> = { error: 'critical', warning: 'major', note: 'minor' };

export function formatCodeClimate(findings: Finding[], pathFromRepoRoot: (rel: string) => string): string {
  const seen = new Map<string, number>();
  const issues = findings.map((f) => {
    const n = (seen.get(f.fingerprint) ?? 0) + 1;
    seen.set(f.fingerprint, n);
    return {
      type: 'issue',
      check_name: f.ruleId,
      description: `${f.ruleId}: ${f.message}`,
      categories: ['Bug Risk'],
      severity: SEVERITY[f.severity],
      fingerprint: `${f.fingerprint}:${n}`,
      location: { path: pathFromRepoRoot(f.location.path), lines: { begin: f.location.line } },
    };
  });
  return `${JSON.stringify(issues, null, 2)}\n`;
}
