import type { Finding, Severity } from '../findings.js';
import { displayPath } from './text.js';

/**
 * GitHub Actions workflow commands: one `::error file=...,line=...,col=...,title=...::message` per finding,
 * which GitHub shows as annotations on the pull request's diff. Paths are relative to the working
 * directory, which in a workflow is the checkout (the repository root).
 */
const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

export function formatGithub(findings: Finding[], root: string, cwd: string): string {
  return findings
    .map((f) => {
      const l = f.location;
      const props = [
        `file=${displayPath(root, l.path, cwd)}`,
        `line=${l.line}`,
        `col=${l.col}`,
        ...(l.endLine !== undefined ? [`endLine=${l.endLine}`] : []),
        ...(l.endCol !== undefined ? [`endColumn=${l.endCol}`] : []),
        `title=gohazard ${f.ruleId}`,
      ];
      const related = f.related.map((r) => `${r.message} at ${displayPath(root, r.location.path, cwd)}:${r.location.line}:${r.location.col}`);
      const message = related.length ? `${f.message} (${related.join('; ')})` : f.message;
      return `::${COMMAND[f.severity]} ${props.map(escapeProperty).join(',')}::${escapeData(message)}\n`;
    })
    .join('');
}

/** The toolkit's escaping (actions/toolkit, command.ts): data escapes %, CR and LF. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value also escapes the separators `:` and `,`; the key's `=` is left as is. */
function escapeProperty(kv: string): string {
  const eq = kv.indexOf('=');
  return kv.slice(0, eq + 1) + escapeData(kv.slice(eq + 1)).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
