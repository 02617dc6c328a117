import braces from 'braces';

/**
 * The config's `exclude` patterns, with .gitignore's meaning, relative to the config file's folder:
 * `*`, `?` and `[abc]` stay within one path segment, `**` spans segments, a pattern without a slash
 * (other than a trailing one) matches at any depth, a leading `/` anchors it to the config's folder, a
 * trailing `/` matches folders only, a pattern that matches a folder matches everything below it, and
 * `!` re-includes what an earlier pattern excluded (not below an excluded folder, as in git). `{a,b}`
 * braces are expanded first, as in the shell.
 *
 * Matched here, not through regular expressions: a pattern such as `**` + `/a*` repeated sixteen times made
 * a backtracking engine take minutes on a deep path. A pattern's segments are run as a set of states over
 * the path's segments, one segment at a time, and each segment's wildcards by the two-pointer method:
 * the cost is the pattern's length times the path's, whatever the pattern.
 */
export interface ExcludeMatcher {
  /** Whether a path, relative to the config's folder with `/` separators, is excluded. */
  excluded(path: string): boolean;
  /** The patterns (as written) that match none of these paths, given relative to the config's folder. */
  unused(paths: readonly string[]): string[];
}

export function excludeMatcher(patterns: readonly string[]): ExcludeMatcher {
  const all = patterns.flatMap(expand).flatMap((p) => compile(p) ?? []);
  const each = patterns.map((p) => ({ pattern: p, rules: expand(p.startsWith('!') ? p.slice(1) : p).flatMap((q) => compile(q) ?? []) }));
  const inside = (p: string) => p !== '' && !p.startsWith('../') && p !== '..' && !p.startsWith('/');
  return {
    excluded: (p) => all.length > 0 && inside(p) && ignores(all, p),
    unused: (paths) => {
      const mine = paths.filter(inside);
      return each.filter(({ rules }) => !mine.some((p) => ignores(rules, p))).map(({ pattern }) => pattern);
    },
  };
}

/** `!{a,b}/x` to `!a/x`, `!b/x`; a pattern is taken as written when braces cannot expand it. */
function expand(pattern: string): string[] {
  const negated = pattern.startsWith('!');
  const body = (negated ? pattern.slice(1) : pattern).replace(/^\.\//, '');
  let out: string[];
  try {
    // Escapes are kept for the glob: `k\*.go` names a star, not every k...go.
    out = braces(body, { expand: true, rangeLimit: 1000, keepEscaping: true });
  } catch {
    out = [body];
  }
  return (out.length > 0 ? out : [body]).map((p) => (negated ? `!${p}` : p));
}

/** One segment of a pattern: `**`, or a segment glob as tokens (a literal or class is one character). */
type Segment = '**' | Token[];
type Token = { star: true } | { star: false; test: (c: string) => boolean };

interface Rule {
  negated: boolean;
  dirOnly: boolean;
  segments: Segment[];
}

/** A .gitignore line to a rule; undefined for a blank line or a comment. */
function compile(line: string): Rule | undefined {
  let p = line.replace(/(?<!\\)\s+$/, '');
  if (p === '' || p.startsWith('#')) return undefined;
  const negated = p.startsWith('!');
  if (negated) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  // A slash at the start or in the middle anchors the pattern; otherwise it matches at any depth.
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  if (p === '') return undefined;
  const segments: Segment[] = p.split('/').map((s) => (s === '**' ? '**' : tokens(s)));
  if (!anchored) segments.unshift('**');
  return { negated, dirOnly, segments };
}

/** A segment glob's tokens: `*`, `?`, `[...]` (with `!` or `^` to negate, and ranges), `\x`, literals. */
function tokens(s: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '*') {
      // `**` inside a segment is `*`; consecutive stars are one.
      if (out.at(-1)?.star !== true) out.push({ star: true });
    } else if (c === '?') out.push({ star: false, test: () => true });
    else if (c === '\\' && i + 1 < s.length) {
      const lit = s[++i]!;
      out.push({ star: false, test: (x) => x === lit });
    } else if (c === '[' && s.indexOf(']', i + 2) !== -1) {
      const end = s.indexOf(']', i + 2);
      let body = s.slice(i + 1, end);
      const not = body.startsWith('!') || body.startsWith('^');
      if (not) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([body[j]!, body[j + 2]!]);
          j += 2;
        } else ranges.push([body[j]!, body[j]!]);
      }
      out.push({ star: false, test: (x) => ranges.some(([lo, hi]) => x >= lo && x <= hi) !== not });
      i = end;
    } else out.push({ star: false, test: (x) => x === c });
  }
  return out;
}

/**
 * Whether one path segment matches a segment glob: greedy, remembering only the last star to fall back
 * to, which is exact for globs whose other tokens each match one character. O(glob × segment).
 */
function segmentMatches(glob: Token[], s: string): boolean {
  let g = 0;
  let i = 0;
  let starG = -1;
  let starI = 0;
  while (i < s.length) {
    const t = glob[g];
    if (t && !t.star && t.test(s[i]!)) {
      g++;
      i++;
    } else if (t?.star) {
      starG = g++;
      starI = i;
    } else if (starG !== -1) {
      g = starG + 1;
      i = ++starI;
    } else return false;
  }
  while (glob[g]?.star) g++;
  return g === glob.length;
}

/**
 * For each prefix of `parts` (one segment, two, ... all), whether the rule's segments match it exactly:
 * the states are the pattern positions reached so far, advanced one path segment at a time. A `**`
 * matches any number of segments, but at the end of a pattern at least one (git's `dir/**` is what is
 * inside dir, not dir itself).
 */
function prefixMatches(rule: Rule, parts: readonly string[]): boolean[] {
  const segs = rule.segments;
  const n = segs.length;
  // `**` can be skipped (zero segments), except the last one.
  const close = (states: Set<number>) => {
    for (let k = 0; k < n; k++) if (states.has(k) && segs[k] === '**' && k < n - 1) states.add(k + 1);
    return states;
  };
  let states = close(new Set([0]));
  const out: boolean[] = [];
  for (const part of parts) {
    const next = new Set<number>();
    for (const k of states) {
      const seg = segs[k];
      if (seg === undefined) continue;
      if (seg === '**') {
        next.add(k); // one more segment inside the `**`
        next.add(k + 1); // the `**` ends with this segment
      } else if (segmentMatches(seg, part)) next.add(k + 1);
    }
    states = close(next);
    out.push(states.has(n));
    if (states.size === 0) break;
  }
  while (out.length < parts.length) out.push(false);
  return out;
}

/**
 * The gitignore decision for a file path: excluded when one of its folders is (and then no `!` can bring
 * it back), else when the last rule matching the file itself is not negated.
 */
function ignores(rules: readonly Rule[], path: string): boolean {
  const parts = path.split('/');
  const matched = rules.map((r) => prefixMatches(r, parts));
  const decide = (i: number, isDir: boolean) => {
    let ignored = false;
    rules.forEach((r, k) => {
      if (matched[k]![i] && (isDir || !r.dirOnly)) ignored = !r.negated;
    });
    return ignored;
  };
  for (let i = 0; i < parts.length - 1; i++) if (decide(i, true)) return true;
  return decide(parts.length - 1, false);
}
