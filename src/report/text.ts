import path from 'node:path';
import type { Finding } from '../findings.js';

/** `path:line:col: rule-id: message`, paths relative to the working directory, one finding per line. */
export function formatText(findings: Finding[], root: string, cwd: string): string {
  return findings.map((f) => `${displayPath(root, f.location.path, cwd)}:${f.location.line}:${f.location.col}: ${f.ruleId}: ${f.message}\n${fixHint(f, root, cwd)}`).join('');
}

/** An indented line under the finding: what the fix changes and how to apply it. */
function fixHint(f: Finding, root: string, cwd: string): string {
  if (!f.fix) return '';
  return `  fix: ${displayPath(root, f.fix.path, cwd)}:${f.fix.startLine}: ${f.fix.description} Apply with \`gohazard fix\`.\n`;
}

/** Relative to the working directory when below it, absolute otherwise. */
export function displayPath(root: string, rel: string, cwd: string): string {
  const abs = path.join(root, rel);
  const r = path.relative(cwd, abs);
  return r.startsWith('..') || path.isAbsolute(r) ? abs : r;
}
