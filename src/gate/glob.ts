/**
 * gitignore-style globs over root-relative, slash-separated paths: `*` and `?` stay within one path
 * segment, `**` spans segments, a pattern without a slash matches at any depth, and a pattern that
 * matches a folder matches everything below it.
 */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map(globToRegExp);
  return (p) => {
    if (res.length === 0) return false;
    const parts = p.split('/');
    for (let i = parts.length; i > 0; i--) {
      const prefix = parts.slice(0, i).join('/');
      if (res.some((re) => re.test(prefix))) return true;
    }
    return false;
  };
}

function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!g.includes('/')) g = `**/${g}`;
  let out = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
