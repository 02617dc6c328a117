import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Severity } from '../findings.js';

/** How the text report looks on its way to a reader. */
export interface TextStyle {
  /** A terminal's width: long lines wrap. */
  width?: number;
  /** ANSI colours (a terminal, --color, NO_COLOR and FORCE_COLOR decide; see colorWanted). */
  color?: boolean;
  /** Under each finding, its source line and a caret under the column, as gcc and golangci-lint print. */
  source?: boolean;
}

/**
 * `path:line:col: severity: rule-id: message`, paths relative to the working directory, one finding per
 * line. With `width` (a terminal's), a long line breaks between words, continued with an indent, so that
 * a finding still reads as one block; without it (a pipe, a file, CI logs) every finding is one line.
 * Control characters in paths and messages (a file named with a newline or an escape sequence) are
 * printed escaped: one finding stays one line, and a name cannot drive the terminal.
 */
export function formatText(findings: Finding[], root: string, cwd: string, style: TextStyle = {}): string {
  const paint = style.color ? PAINT : PLAIN;
  const sources = new SourceLines(root);
  return findings
    .map((f) => {
      const where = `${escapeControls(displayPath(root, f.location.path, cwd))}:${f.location.line}:${f.location.col}:`;
      const line = `${where} ${f.severity}: ${f.ruleId}: ${escapeControls(f.message)}`;
      const wrapped = style.width === undefined ? line : wrap(line, style.width);
      // Painted after wrapping, so that escape codes never count as width; the head is never wrapped.
      const plainHead = `${where} ${f.severity}: ${f.ruleId}:`;
      const head = `${paint.bold(where)} ${paint[f.severity](`${f.severity}:`)} ${paint.dim(`${f.ruleId}:`)}`;
      const painted = wrapped.startsWith(plainHead) ? `${head}${wrapped.slice(plainHead.length)}` : wrapped;
      const shown = style.source ? sources.excerpt(f.location.path, f.location.line, f.location.col, paint) : '';
      return `${painted}\n${shown}${fixHint(f, root, cwd)}`;
    })
    .join('');
}

type Paint = Record<Severity | 'bold' | 'dim' | 'caret', (s: string) => string>;

const sgr = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const PAINT: Paint = { error: sgr('1;31'), warning: sgr('1;33'), note: sgr('1;36'), bold: sgr('1'), dim: sgr('2'), caret: sgr('1;32') };
const PLAIN: Paint = { error: (s) => s, warning: (s) => s, note: (s) => s, bold: (s) => s, dim: (s) => s, caret: (s) => s };

/**
 * Whether to colour: `--color always|never` decides; with `auto`, NO_COLOR (set, not empty) says no,
 * FORCE_COLOR (set, not 0 or false) says yes, else only a terminal gets colour.
 */
export function colorWanted(mode: 'auto' | 'always' | 'never', isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR);
  return isTTY;
}

/** The analyzed files' lines, read once each: a missing or unreadable file shows no excerpt. */
class SourceLines {
  private readonly files = new Map<string, string[] | undefined>();
  constructor(private readonly root: string) {}

  /** The line, tabs kept, and a caret under the 1-based byte column (tabs copied, so that it lines up). */
  excerpt(rel: string, line: number, col: number, paint: Paint): string {
    const lines = this.linesOf(rel);
    const text = lines?.[line - 1]?.replace(/\r$/, '');
    if (text === undefined) return '';
    const before = Buffer.from(text).subarray(0, Math.max(0, col - 1)).toString();
    const pad = before.replace(/[^\t]/g, ' ');
    return `${INDENT}${escapeControls(text, true)}\n${INDENT}${pad}${paint.caret('^')}\n`;
  }

  private linesOf(rel: string): string[] | undefined {
    if (!this.files.has(rel)) {
      let lines: string[] | undefined;
      try {
        lines = readFileSync(path.join(this.root, rel), 'utf8').split('\n');
      } catch {
        lines = undefined;
      }
      this.files.set(rel, lines);
    }
    return this.files.get(rel);
  }
}

/** C0 controls and DEL as `\n`, `\x1b` ...; with `keepTabs`, tabs as they are (source lines). */
export function escapeControls(s: string, keepTabs = false): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\t' && keepTabs) return c;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
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
function fixHint(f: Finding, root: string, cwd: string): string {
  if (!f.fix) return '';
  return `  fix: ${escapeControls(displayPath(root, f.fix.path, cwd))}:${f.fix.startLine}: ${f.fix.description} Apply with \`gohazard fix\`.\n`;
}

/** Relative to the working directory when below it, absolute otherwise. */
export function displayPath(root: string, rel: string, cwd: string): string {
  const abs = path.join(root, rel);
  const r = path.relative(cwd, abs);
  return r.startsWith('..') || path.isAbsolute(r) ? abs : r;
}
