import { realpathSync } from 'node:fs';
import path from 'node:path';
import { gitTopLevel } from './vcs.js';

/**
 * `--path-mode`: what report paths are relative to. `root`: the repository root (the git top level, or
 * the analysis root outside git), so that annotations and reports name the same file from any working
 * directory (a monorepo job with `working-directory:`); `cwd`: the working directory; `absolute`.
 */
export const PATH_MODES = ['root', 'cwd', 'absolute'] as const;
export type PathMode = (typeof PATH_MODES)[number];

/**
 * The git top level when the analysis root is inside a checkout (git prints it with symlinks resolved, so
 * the root is too before comparing), else the root itself; and the root's place in it.
 */
export function sourceRoot(root: string): { srcRoot: string; rootInSrcRoot: string } {
  const top = gitTopLevel(root);
  let rel: string | undefined;
  try {
    rel = top === undefined ? undefined : path.relative(realpathSync(top), realpathSync(root));
  } catch {
    rel = undefined;
  }
  if (top === undefined || rel === undefined || rel.startsWith('..') || path.isAbsolute(rel)) return { srcRoot: root, rootInSrcRoot: '' };
  return { srcRoot: top, rootInSrcRoot: rel.split(path.sep).join('/') };
}

/** A path relative to the analysis root (forward slashes), as the mode shows it. */
export function pathShower(mode: PathMode, root: string, cwd: string): (rel: string) => string {
  if (mode === 'absolute') return (rel) => path.join(root, rel);
  if (mode === 'root') {
    const { rootInSrcRoot } = sourceRoot(root);
    return (rel) => (rootInSrcRoot ? `${rootInSrcRoot}/${rel}` : rel);
  }
  return (rel) => {
    const abs = path.join(root, rel);
    const r = path.relative(cwd, abs);
    return r.startsWith('..') || path.isAbsolute(r) ? abs : r;
  };
}
