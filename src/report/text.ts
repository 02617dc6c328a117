import path from 'node:path';
import type { Finding } from '../findings.js';

/**
 * `path:line:col: severity: rule-id: message`, paths relative to the working directory, one finding per
 * line. With `width` (a terminal's), a long line breaks between words, continued with an indent, so that
 * a finding still reads as one block; without it (a pipe, a file, CI logs) every finding is one line.
 */
export function formatText(findings: Finding[], root: string, cwd: string | undefined, width?: number): string {
  return findings
    .map((f) => {
      const line = `${displayPath(root, f.location.path, cwd)}:${f.location.line}:${f.location.col}: ${f.severity}: ${f.ruleId}: ${f.message}`;
      return `${width === undefined ? line : wrap(line, width)}\n${fixHint(f, root, cwd)}`;
    })
    .join('');
}

const INDENT = '    ';

/** Breaks at spaces so no line is wider than `width`; a word longer than a line stays whole. */
export function wrap(text: string, width: number): string {
  if (text.length <= width || width < 40) return text;
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const limit = lines.length === 0 ? width : width - INDENT.length;
    if (current !== '' && current.length + 1 + word.length > limit) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines.map((l, i) => (i === 0 ? l : `${INDENT}${l}`)).join('\n');
}

/** An indented line under the finding: what the fix changes and how to apply it. */
function fixHint(f: Finding, root: string, cwd: string | undefined): string {
  if (!f.fix) return '';
  return `  fix: ${displayPath(root, f.fix.path, cwd)}:${f.fix.startLine}: ${f.fix.description} Apply with \`gohazard fix\`.\n`;
}

/** Relative to the folder `cwd` when below it, absolute otherwise (always, without one: `--path-mode absolute`). */
export function displayPath(root: string, rel: string, cwd: string | undefined): string {
  const abs = path.join(root, rel);
  if (cwd === undefined) return abs;
  const r = path.relative(cwd, abs);
  return r.startsWith('..') || path.isAbsolute(r) ? abs : r;
}
