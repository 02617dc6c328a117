import type { Finding, Severity } from '../findings.js';

/**
 * GitHub Actions workflow commands: one `::error file=...,line=...,col=...,title=...::message` per finding,
 * which GitHub shows as annotations on the pull request's diff. GitHub matches `file=` against the
 * repository's paths, so by default (`--path-mode root`) they are relative to the git top level, also
 * when gohazard runs in a subfolder (`working-directory:`).
 */
const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

export function formatGithub(findings: Finding[], show: (rel: string) => string): string {
  return findings
    .map((f) => {
      const l = f.location;
      const props = [
        `file=${show(l.path)}`,
        `line=${l.line}`,
        `col=${l.col}`,
        ...(l.endLine !== undefined ? [`endLine=${l.endLine}`] : []),
        ...(l.endCol !== undefined ? [`endColumn=${l.endCol}`] : []),
        `title=gohazard ${f.ruleId}`,
      ];
      const related = f.related.map((r) => `${r.message} at ${show(r.location.path)}:${r.location.line}:${r.location.col}`);
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
