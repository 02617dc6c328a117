import { SEVERITY_RANK, type Finding, type Severity } from '../findings.js';

/**
 * The last line of a run: what was reported, by severity and rule, and why the exit code is what it
 * is — the question a red CI job raises first.
 *
 *   7 findings: 5 errors (send-after-close 3, double-close 2), 2 warnings (bad-ignore 2); exit 1: 5 at or above --fail-on error
 */
export function summaryLine(findings: readonly Finding[], exit: { code: number; reason: string }): string {
  const bySeverity = new Map<Severity, Map<string, number>>();
  for (const f of findings) {
    const rules = bySeverity.get(f.severity) ?? new Map<string, number>();
    rules.set(f.ruleId, (rules.get(f.ruleId) ?? 0) + 1);
    bySeverity.set(f.severity, rules);
  }
  const groups = [...bySeverity.entries()]
    .sort(([a], [b]) => SEVERITY_RANK[b] - SEVERITY_RANK[a])
    .map(([severity, rules]) => {
      const total = [...rules.values()].reduce((a, b) => a + b, 0);
      const list = [...rules.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([id, n]) => `${id} ${n}`);
      return `${plural(total, severity)} (${list.join(', ')})`;
    });
  const head = findings.length === 0 ? 'no findings' : `${plural(findings.length, 'finding')}: ${groups.join(', ')}`;
  return `${head}; exit ${exit.code}: ${exit.reason}`;
}

export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
