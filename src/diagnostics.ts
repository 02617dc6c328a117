/**
 * Problems with the input itself (not findings): unreadable paths, skipped files, syntax errors.
 * Errors make the run exit 2; warnings are printed and the run goes on.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Path as the user would recognise it (relative to the working directory where possible). */
  path?: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === undefined ? '' : `${d.path}${d.line === undefined ? '' : `:${d.line}:${d.col ?? 1}`}: `;
  return `${where}${d.severity}: ${d.message}`;
}
