import type { Finding, Severity } from '../findings.js';

/**
 * The two XML reports CI servers read, in the shapes golangci-lint writes them: checkstyle (Jenkins
 * warnings-ng, reviewdog) and JUnit (test-report views in GitLab, Jenkins, Azure): one test suite per
 * file, one failed test case per finding. Paths are relative to the working directory.
 */
const CHECKSTYLE_SEVERITY: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'info' };

export function formatCheckstyle(findings: Finding[], show: (rel: string) => string): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<checkstyle version="5.0">'];
  for (const [file, list] of byFile(findings, show)) {
    out.push(`  <file name="${esc(file)}">`);
    for (const f of list) {
      out.push(
        `    <error line="${f.location.line}" column="${f.location.col}" severity="${CHECKSTYLE_SEVERITY[f.severity]}" message="${esc(f.message)}" source="gohazard.${esc(f.ruleId)}"></error>`,
      );
    }
    out.push('  </file>');
  }
  out.push('</checkstyle>');
  return `${out.join('\n')}\n`;
}

export function formatJunit(findings: Finding[], show: (rel: string) => string): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="gohazard" tests="${findings.length}" failures="${findings.length}">`];
  for (const [file, list] of byFile(findings, show)) {
    out.push(`  <testsuite name="${esc(file)}" tests="${list.length}" errors="0" failures="${list.length}">`);
    for (const f of list) {
      const where = `${file}:${f.location.line}:${f.location.col}`;
      out.push(
        `    <testcase name="${esc(f.ruleId)}" classname="${esc(where)}">`,
        `      <failure message="${esc(`${where}: ${f.message}`)}" type="${f.severity}">${esc(`${f.severity}: ${f.ruleId}: ${f.message}`)}</failure>`,
        '    </testcase>',
      );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/** Findings grouped by displayed path, in the order they come (sorted by path already). */
function byFile(findings: Finding[], show: (rel: string) => string): Map<string, Finding[]> {
  const files = new Map<string, Finding[]>();
  for (const f of findings) {
    const file = show(f.location.path);
    const list = files.get(file);
    if (list) list.push(f);
    else files.set(file, [f]);
  }
  return files;
}

/** Escapes for attribute values and text; characters XML 1.0 cannot carry at all are dropped. */
function esc(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
