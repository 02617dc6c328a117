/**
 * Go's file-selection rules: `//go:build` / `// +build` constraints and `_GOOS_GOARCH` file-name suffixes.
 * See `go help buildconstraint`.
 */

export interface BuildTarget {
  goos: string;
  goarch: string;
  /** Extra tags from --tags, plus `cgo` unless disabled. */
  tags: string[];
}

export const DEFAULT_TARGET: BuildTarget = { goos: 'linux', goarch: 'amd64', tags: ['cgo'] };

const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd',
  'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos',
]);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
const UNIX_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'linux', 'netbsd', 'openbsd', 'solaris',
]);

export function isKnownOS(s: string): boolean {
  return KNOWN_OS.has(s);
}
export function isKnownArch(s: string): boolean {
  return KNOWN_ARCH.has(s);
}

/** The set of tags satisfied for a target, as the go command computes it. */
export function satisfiedTags(t: BuildTarget): Set<string> {
  const tags = new Set<string>([t.goos, t.goarch, 'gc', ...t.tags]);
  if (t.goos === 'android') tags.add('linux');
  if (t.goos === 'illumos') tags.add('solaris');
  if (t.goos === 'ios') tags.add('darwin');
  if (UNIX_OS.has(t.goos)) tags.add('unix');
  return tags;
}

function tagOk(tag: string, tags: Set<string>): boolean {
  // Every released language version is satisfied: analysis does not depend on the toolchain.
  if (/^go1\.\d+$/.test(tag)) return true;
  return tags.has(tag);
}

/** Whether a file name (not path) is selected by its `_GOOS`, `_GOARCH` or `_GOOS_GOARCH` suffix. */
export function matchFileName(name: string, t: BuildTarget): boolean {
  let stem = name.replace(/\.go$/, '');
  if (stem.endsWith('_test')) stem = stem.slice(0, -'_test'.length);
  const i = stem.indexOf('_');
  if (i < 0) return true;
  const parts = stem.slice(i + 1).split('_');
  const n = parts.length;
  const last = parts[n - 1] ?? '';
  const prev = n >= 2 ? (parts[n - 2] ?? '') : '';
  if (n >= 2 && KNOWN_OS.has(prev) && KNOWN_ARCH.has(last)) {
    return osMatches(prev, t) && last === t.goarch;
  }
  if (KNOWN_OS.has(last)) return osMatches(last, t);
  if (KNOWN_ARCH.has(last)) return last === t.goarch;
  return true;
}

function osMatches(os: string, t: BuildTarget): boolean {
  if (os === t.goos) return true;
  if (os === 'linux' && t.goos === 'android') return true;
  if (os === 'solaris' && t.goos === 'illumos') return true;
  if (os === 'darwin' && t.goos === 'ios') return true;
  return false;
}

export class ConstraintSyntaxError extends Error {}

/**
 * Evaluates the build constraint in a file's header (the comments before `package`).
 * `//go:build` wins over `// +build` when both are present, as in Go 1.17+.
 * Throws ConstraintSyntaxError on a malformed `//go:build` line.
 */
export function matchHeader(src: string, t: BuildTarget): boolean {
  const header = headerOf(src);
  if (!header.includes('//go:build') && !header.includes('+build')) return true;
  const tags = satisfiedTags(t);
  const plus: string[] = [];
  for (const raw of header.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('//go:build')) {
      const expr = line.slice('//go:build'.length);
      if (expr !== '' && !/^\s/.test(expr)) continue;
      return evalExpr(expr, tags);
    }
    const m = /^\/\/\s*\+build\s(.*)$/.exec(line);
    if (m?.[1] !== undefined) plus.push(m[1]);
  }
  // `// +build` lines: lines are ANDed, space-separated options ORed, comma-separated terms ANDed.
  return plus.every((line) =>
    line
      .trim()
      .split(/\s+/)
      .some((opt) =>
        opt.split(',').every((term) => (term.startsWith('!') ? !tagOk(term.slice(1), tags) : tagOk(term, tags))),
      ),
  );
}

/** The leading comment block and blank lines: constraints only count there. */
function headerOf(src: string): string {
  let end = 0;
  let i = 0;
  const n = src.length;
  while (i < n) {
    while (i < n && (src[i] === ' ' || src[i] === '\t' || src[i] === '\r' || src[i] === '\n' || src[i] === '\ufeff')) i++;
    if (src.startsWith('//', i)) {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      end = i;
    } else if (src.startsWith('/*', i)) {
      const close = src.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      end = i;
    } else {
      break;
    }
  }
  return src.slice(0, end);
}

/** A recursive-descent evaluator for `||`, `&&`, `!`, parentheses and tags. */
function evalExpr(expr: string, tags: Set<string>): boolean {
  const toks = expr.match(/\(|\)|&&|\|\||!|[A-Za-z0-9_.]+|\S/g) ?? [];
  let i = 0;
  const fail = (what: string): never => {
    throw new ConstraintSyntaxError(`invalid //go:build expression: ${what}`);
  };
  const or = (): boolean => {
    let v = and();
    while (toks[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = not();
    while (toks[i] === '&&') {
      i++;
      const r = not();
      v = v && r;
    }
    return v;
  };
  const not = (): boolean => {
    const tok = toks[i];
    if (tok === '!') {
      i++;
      return !not();
    }
    if (tok === '(') {
      i++;
      const v = or();
      if (toks[i] !== ')') fail('missing )');
      i++;
      return v;
    }
    if (tok === undefined || !/^[A-Za-z0-9_.]+$/.test(tok)) return fail(tok === undefined ? 'unexpected end' : `unexpected ${tok}`);
    i++;
    return tagOk(tok, tags);
  };
  const v = or();
  if (i !== toks.length) fail(`unexpected ${toks[i]}`);
  return v;
}
