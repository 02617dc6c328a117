import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Converts our 1-based byte columns (what Go tools print) into 1-based UTF-16 columns (what SARIF and
 * GitHub count). Reads each file at most once, and only files that have findings.
 */
export function utf16Columns(root: string): (rel: string, line: number, byteCol: number) => number {
  const files = new Map<string, Buffer[] | undefined>();
  const linesOf = (rel: string) => {
    if (!files.has(rel)) {
      let lines: Buffer[] | undefined;
      try {
        lines = splitLines(readFileSync(path.join(root, rel)));
      } catch {
        lines = undefined; // A file gone since the analysis: its byte column is the best we have.
      }
      files.set(rel, lines);
    }
    return files.get(rel);
  };
  return (rel, line, byteCol) => {
    const text = linesOf(rel)?.[line - 1];
    if (!text || byteCol < 1) return byteCol;
    return text.subarray(0, byteCol - 1).toString('utf8').length + 1;
  };
}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
    out.push(buf.subarray(start, i));
    start = i + 1;
  }
  out.push(buf.subarray(start));
  return out;
}
