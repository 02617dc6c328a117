import { lineOf, type Directive, type FuncDecl } from '../ir.js';

// What a summary reads from the source text alone, without the tree.

const GENERATED_RE = /^\/\/ Code generated .* DO NOT EDIT\.$/m;

export function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

export function countLines(src: string): number {
  let n = 0;
  let i = -1;
  while ((i = src.indexOf('\n', i + 1)) !== -1) n++;
  return src.length > 0 && !src.endsWith('\n') ? n + 1 : n;
}

/** Go's rule: the marker line must appear before the package clause... in practice anywhere in the header. */
export function isGenerated(src: string): boolean {
  const pkg = src.search(/^package\s/m);
  return GENERATED_RE.test(pkg === -1 ? src : src.slice(0, pkg));
}

/**
 * golangci-lint's rule for a `//nolint` on its own line: it covers the declaration below it. Here that is
 * a function whose declaration starts on the next line that is not a comment.
 */
export function spanDeclarations(directives: Directive[], funcs: readonly FuncDecl[], src: string): void {
  if (!directives.some((d) => d.ownLine)) return;
  const ends = new Map(funcs.filter((f) => f.name !== '').map((f) => [lineOf(f.span.start), lineOf(f.span.end)]));
  const lines = src.split('\n');
  for (const d of directives) {
    if (!d.ownLine) continue;
    let next = d.line + 1;
    while (next <= lines.length && /^\s*\/\//.test(lines[next - 1] ?? '')) next++;
    const end = ends.get(next);
    if (end !== undefined) d.until = end;
  }
}

/**
 * Suppression comments: `//gohazard:...`, golangci-lint's `//nolint...` and staticcheck's `//lint:ignore` /
 * `//lint:file-ignore` (src/gate/suppress.ts decides which concern gohazard). A space after the slashes is
 * accepted: unlike `//go:` directives, ours are read by people who write them like any comment, and a
 * suppression silently ignored for one space is worse than a lenient parser. A directive ends where the
 * next one on its line starts, and a repeated one is kept once.
 */
export function findDirectives(src: string): Directive[] {
  const starts: { at: number; slashes: number }[] = [];
  // indexOf, then a look back for the slashes: a regexp over every comment costs twice as much.
  for (const marker of ['gohazard:', 'lint']) {
    for (let i = src.indexOf(marker); i !== -1; i = src.indexOf(marker, i + 1)) {
      const at = marker === 'lint' && src.startsWith('no', i - 2) ? i - 2 : i;
      if (marker === 'lint' && !(at < i ? /^[:\s]|^$/.test(src.slice(i + 4, i + 5)) : src.startsWith('lint:', i))) continue;
      let j = at;
      while (j > 0 && (src[j - 1] === ' ' || src[j - 1] === '\t')) j--;
      if (j < 2 || src[j - 1] !== '/' || src[j - 2] !== '/') continue;
      starts.push({ at, slashes: j - 2 });
    }
  }
  starts.sort((a, b) => a.at - b.at);
  const out: Directive[] = [];
  const seen = new Set<string>();
  starts.forEach(({ at, slashes }, k) => {
    const eol = src.indexOf('\n', at);
    const lineEnd = eol === -1 ? src.length : eol;
    const next = starts[k + 1];
    const text = src.slice(at, next && next.slashes < lineEnd ? next.slashes : lineEnd).trim();
    const line = countLines(src.slice(0, slashes + 1));
    if (seen.has(`${line}\0${text}`)) return;
    seen.add(`${line}\0${text}`);
    const ownLine = /^[ \t]*$/.test(src.slice(src.lastIndexOf('\n', slashes) + 1, slashes));
    out.push({ line, text, ...(ownLine ? { ownLine: true as const } : {}) });
  });
  return out;
}
