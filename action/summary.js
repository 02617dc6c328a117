#!/usr/bin/env node
// The job summary of the action (action/run.sh appends it to $GITHUB_STEP_SUMMARY): counts by rule, the
// top findings with links to their lines at the commit analyzed, from gohazard's JSON report (argv[2]).
// Paths are from the repository root, as the links and the annotations need them.
import { readFileSync } from 'node:fs';
import { pathShower } from '../dist/src/report/paths.js';

/** Findings listed by name; the rest are counted. */
const TOP = 10;
const SEVERITY = { error: 3, warning: 2, note: 1 };
const CONFIDENCE = { high: 3, medium: 2, low: 1 };

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const show = pathShower('root', report.root, process.cwd());
const env = process.env;
const blob = env.GITHUB_REPOSITORY && env.GITHUB_SHA ? `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}/blob/${env.GITHUB_SHA}` : undefined;

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
const { findings } = report;
const out = [];
if (findings.length === 0) {
  out.push('## gohazard: no findings', '');
} else {
  const bySeverity = Object.keys(SEVERITY).map((s) => [s, findings.filter((f) => f.severity === s).length]).filter(([, n]) => n > 0);
  out.push(`## gohazard: ${plural(findings.length, 'finding')} (${bySeverity.map(([s, n]) => plural(n, s)).join(', ')})`, '');
  const byRule = new Map();
  for (const f of findings) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
  out.push('| Rule | Findings |', '| --- | ---: |');
  for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) out.push(`| \`${rule}\` | ${n} |`);
  const top = [...findings].sort((a, b) => SEVERITY[b.severity] - SEVERITY[a.severity] || CONFIDENCE[b.confidence] - CONFIDENCE[a.confidence]).slice(0, TOP);
  out.push('', `### ${findings.length > TOP ? `Top ${TOP}` : 'Findings'}`, '', '| Severity | Where | Rule | Message |', '| --- | --- | --- | --- |');
  for (const f of top) {
    const where = `${show(f.location.path)}:${f.location.line}`;
    const link = blob ? `[${cell(where)}](${blob}/${encodeURI(show(f.location.path))}#L${f.location.line})` : `\`${cell(where)}\``;
    out.push(`| ${f.severity} | ${link} | \`${f.ruleId}\` | ${cell(f.message)} |`);
  }
  if (findings.length > TOP) out.push('', `…and ${findings.length - TOP} more: see the annotations, or upload the SARIF to code scanning.`);
  out.push('');
}
process.stdout.write(`${out.join('\n')}\n`);
