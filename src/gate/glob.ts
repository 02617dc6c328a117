import braces from 'braces';
import ignore from 'ignore';

/**
 * The config's `exclude` patterns, with .gitignore's meaning, relative to the config file's folder:
 * `*`, `?` and `[abc]` stay within one path segment, `**` spans segments, a pattern without a slash
 * (other than a trailing one) matches at any depth, a leading `/` anchors it to the config's folder, a
 * pattern that matches a folder matches everything below it, and `!` re-includes what an earlier
 * pattern excluded. `{a,b}` braces are expanded first, as in the shell.
 *
 * The matching is the `ignore` package's (the one eslint and prettier use); `braces` does the braces.
 * Both compile to regular expressions, so a pattern with many `**` segments each between wildcards can
 * still cost time polynomial in a path's depth, but `**` repeated back to back (the case that took
 * the hand-written matcher over 30 s) is matched at once.
 */
export interface ExcludeMatcher {
  /** Whether a path, relative to the config's folder with `/` separators, is excluded. */
  excluded(path: string): boolean;
  /** The patterns (as written) that match none of these paths, given relative to the config's folder. */
  unused(paths: readonly string[]): string[];
}

export function excludeMatcher(patterns: readonly string[]): ExcludeMatcher {
  const all = ignore().add(patterns.flatMap(expand));
  const each = patterns.map((p) => ({ pattern: p, ig: ignore().add(expand(p.startsWith('!') ? p.slice(1) : p)) }));
  const inside = (p: string) => p !== '' && !p.startsWith('../') && p !== '..' && !p.startsWith('/');
  return {
    excluded: (p) => patterns.length > 0 && inside(p) && all.ignores(p),
    unused: (paths) => {
      const mine = paths.filter(inside);
      return each.filter(({ ig }) => !mine.some((p) => ig.ignores(p))).map(({ pattern }) => pattern);
    },
  };
}

/** `!{a,b}/x` to `!a/x`, `!b/x`; a pattern is taken as written when braces cannot expand it. */
function expand(pattern: string): string[] {
  const negated = pattern.startsWith('!');
  const body = (negated ? pattern.slice(1) : pattern).replace(/^\.\//, '');
  let out: string[];
  try {
    out = braces(body, { expand: true, rangeLimit: 1000 });
  } catch {
    out = [body];
  }
  return (out.length > 0 ? out : [body]).map((p) => (negated ? `!${p}` : p));
}
