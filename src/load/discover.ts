import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { matchFileName, type BuildTarget } from './buildtags.js';
import { ModuleResolver, toSlash } from './modules.js';
import type { Diagnostic } from '../diagnostics.js';

export interface LoadOptions {
  cwd: string;
  tests: boolean;
  target: BuildTarget;
}

export interface CandidateFile {
  abs: string;
  /** Relative to the analysis root, forward slashes. */
  rel: string;
  /** Package folder relative to the analysis root ('.' for the root itself). */
  dir: string;
  importPath: string;
  /** The import path is the folder itself: no go.mod above it, no GOPATH `src/` in its path. */
  byFolder?: true;
  /** Named on the command line: skipping it means the user's request was not met (an error, not a warning). */
  explicit?: boolean;
}

export interface LoadResult {
  /** Absolute folder every reported path is relative to (see rootFor). */
  root: string;
  files: CandidateFile[];
  diagnostics: Diagnostic[];
  /** Files and folders left out by Go's rules (not problems: counted for --stats). */
  excludedByRules: number;
  modules: ModuleResolver;
}

const SKIP_DIRS = new Set(['vendor', 'testdata', 'node_modules']);

interface Target {
  abs: string;
  recursive: boolean;
  pattern: string;
  isFile: boolean;
}

/** Go-style patterns to the candidate .go files, applying Go's folder and file-name rules. */
export function load(patterns: string[], opts: LoadOptions): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const modules = new ModuleResolver();
  const targets: Target[] = [];
  for (const pattern of patterns.length ? patterns : ['./...']) {
    const target = resolveTarget(pattern, opts.cwd, diagnostics);
    if (target) targets.push(target);
  }
  const root = rootFor(targets.map((t) => (t.isFile ? path.dirname(t.abs) : t.abs)), opts.cwd);
  modules.findWork(root);

  const seen = new Set<string>();
  const files: CandidateFile[] = [];
  let excludedByRules = 0;

  /** Whether the pattern matched the file: also when an earlier pattern already added it. */
  const addFile = (abs: string, name: string, explicit: boolean): boolean => {
    if (!explicit) {
      if (name.startsWith('.') || name.startsWith('_')) return void excludedByRules++, false;
      if (!opts.tests && name.endsWith('_test.go')) return void excludedByRules++, false;
      if (!matchFileName(name, opts.target)) return void excludedByRules++, false;
    }
    // Overlapping patterns (`./... ./sub/...`, `a.go a.go`, `./... $PWD/...`) name a file once, as in go list.
    if (seen.has(abs)) return true;
    seen.add(abs);
    const dirAbs = path.dirname(abs);
    const { path: importPath, byFolder } = modules.importPath(dirAbs, root);
    files.push({
      abs,
      rel: toSlash(path.relative(root, abs)),
      dir: toSlash(path.relative(root, dirAbs)) || '.',
      importPath,
      ...(byFolder ? { byFolder } : {}),
      ...(explicit ? { explicit } : {}),
    });
    return true;
  };

  /**
   * One target's folders, iteratively. Symlinks to folders below the target are not followed, as the go
   * command does not follow them for `...`: they may lead out of the tree or into a loop. A target that is
   * itself a link is followed (it was named). Returns how many files the target matched.
   */
  const walkTarget = (top: string, recursive: boolean): number => {
    let matched = 0;
    const visited = new Set<string>();
    const stack = [top];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      // Below the target, an unreadable entry is skipped with a warning; the target itself is an error.
      const severity = dir === top ? 'error' : 'warning';
      let entries: Dirent[];
      try {
        // A bind mount can still loop without a symlink.
        const real = realpathSync(dir);
        if (visited.has(real)) continue;
        visited.add(real);
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        diagnostics.push(fsDiagnostic(dir, err, opts.cwd, severity));
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      for (const e of entries) {
        const abs = path.join(dir, e.name);
        let isFile = e.isFile();
        if (e.isSymbolicLink()) {
          let st;
          try {
            st = statSync(abs);
          } catch (err) {
            if (e.name.endsWith('.go')) diagnostics.push(fsDiagnostic(abs, err, opts.cwd, 'warning'));
            continue;
          }
          isFile = st.isFile();
          if (st.isDirectory() && recursive && !skippedDir(e.name)) {
            diagnostics.push({ severity: 'warning', path: rel(opts.cwd, abs), message: 'skipped: a symlink to a folder is not followed by ... patterns (as in the go command)' });
          }
        }
        if (isFile && e.name.endsWith('.go')) {
          if (addFile(abs, e.name, false)) matched++;
        } else if (e.isDirectory() && recursive) {
          if (skippedDir(e.name)) excludedByRules++;
          else subdirs.push(abs);
        }
      }
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    }
    return matched;
  };

  for (const t of targets) {
    const diagnosticsBefore = diagnostics.length;
    const matched = t.isFile ? (addFile(t.abs, path.basename(t.abs), true) ? 1 : 0) : walkTarget(t.abs, t.recursive);
    const failed = diagnostics.slice(diagnosticsBefore).some((d) => d.severity === 'error');
    if (matched === 0 && !failed) {
      diagnostics.push({ severity: 'error', path: t.pattern, message: 'matched no Go files' });
    }
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  for (const w of modules.warnings) diagnostics.push({ severity: 'warning', message: w });
  return { root, files, diagnostics, excludedByRules, modules };
}

function skippedDir(name: string): boolean {
  return SKIP_DIRS.has(name) || name.startsWith('.') || name.startsWith('_');
}

function resolveTarget(pattern: string, cwd: string, diagnostics: Diagnostic[]): Target | undefined {
  let p = pattern;
  let recursive = false;
  if (p === '...' || p.endsWith('/...')) {
    recursive = true;
    p = p === '...' ? '.' : p.slice(0, -'/...'.length) || '/';
  } else if (p.includes('...')) {
    diagnostics.push({ severity: 'error', path: pattern, message: 'only a trailing /... wildcard is supported' });
    return undefined;
  }
  const abs = path.resolve(cwd, p);
  let st;
  try {
    st = statSync(abs);
  } catch (err) {
    diagnostics.push(fsDiagnostic(abs, err, cwd, 'error', pattern));
    return undefined;
  }
  if (st.isFile()) {
    if (recursive || !abs.endsWith('.go')) {
      diagnostics.push({ severity: 'error', path: pattern, message: 'not a Go source file or folder' });
      return undefined;
    }
    return { abs, recursive: false, pattern, isFile: true };
  }
  if (!st.isDirectory()) {
    diagnostics.push({ severity: 'error', path: pattern, message: 'not a Go source file or folder' });
    return undefined;
  }
  return { abs, recursive, pattern, isFile: false };
}

/** The root `load` will use for these patterns, without reading the tree (config files are found from it). */
export function analysisRoot(patterns: string[], cwd: string): string {
  const dirs = (patterns.length ? patterns : ['./...']).map((p) => {
    const abs = path.resolve(cwd, p === '...' ? '.' : p.endsWith('/...') ? p.slice(0, -'/...'.length) || '/' : p);
    return abs.endsWith('.go') ? path.dirname(abs) : abs;
  });
  return rootFor(dirs, cwd);
}

/** The working directory when every target is inside it; otherwise the targets' common ancestor. */
function rootFor(dirs: string[], cwd: string): string {
  if (dirs.length === 0 || dirs.every((d) => isInside(d, cwd))) return cwd;
  let common = dirs[0] as string;
  for (const d of dirs) while (!isInside(d, common)) common = path.dirname(common);
  return common;
}

function isInside(p: string, dir: string): boolean {
  const r = path.relative(dir, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

function rel(cwd: string, p: string): string {
  const r = path.relative(cwd, p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

function fsDiagnostic(p: string, err: unknown, cwd: string, severity: Diagnostic['severity'], shown?: string): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or folder',
    ELOOP: 'symlink loop',
    EACCES: 'permission denied',
    ENOTDIR: 'not a folder',
  };
  const reason = (code && reasons[code]) ?? (err as Error).message;
  return { severity, path: shown ?? rel(cwd, p), message: `cannot read: ${reason}` };
}
