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

  const addFile = (abs: string, name: string, explicit: boolean) => {
    if (seen.has(abs)) return;
    if (!explicit) {
      if (name.startsWith('.') || name.startsWith('_')) return void excludedByRules++;
      if (!opts.tests && name.endsWith('_test.go')) return void excludedByRules++;
      if (!matchFileName(name, opts.target)) return void excludedByRules++;
    }
    seen.add(abs);
    const dirAbs = path.dirname(abs);
    files.push({
      abs,
      rel: toSlash(path.relative(root, abs)),
      dir: toSlash(path.relative(root, dirAbs)) || '.',
      importPath: modules.importPath(dirAbs, root),
    });
  };

  const visitedDirs = new Set<string>();
  const walk = (dir: string, recursive: boolean, ancestors: string[]) => {
    // Below the target, an unreadable entry is skipped with a warning; the target itself is an error.
    const severity = ancestors.length === 0 ? 'error' : 'warning';
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (err) {
      diagnostics.push(fsDiagnostic(dir, err, opts.cwd, severity));
      return;
    }
    if (ancestors.includes(real)) {
      diagnostics.push({ severity: 'warning', path: rel(opts.cwd, dir), message: 'skipped: symlink cycle back to an enclosing folder' });
      return;
    }
    if (visitedDirs.has(real)) return;
    visitedDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      diagnostics.push(fsDiagnostic(dir, err, opts.cwd, severity));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (err) {
          diagnostics.push(fsDiagnostic(abs, err, opts.cwd, 'warning'));
          continue;
        }
      }
      if (isFile && e.name.endsWith('.go')) addFile(abs, e.name, false);
      else if (isDir && recursive) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('.') || e.name.startsWith('_')) {
          excludedByRules++;
          continue;
        }
        subdirs.push(abs);
      }
    }
    for (const sub of subdirs) walk(sub, true, [...ancestors, real]);
  };

  for (const t of targets) {
    const filesBefore = files.length;
    const diagnosticsBefore = diagnostics.length;
    if (t.isFile) addFile(t.abs, path.basename(t.abs), true);
    else walk(t.abs, t.recursive, []);
    const failed = diagnostics.slice(diagnosticsBefore).some((d) => d.severity === 'error');
    if (files.length === filesBefore && !failed) {
      diagnostics.push({ severity: 'error', path: t.pattern, message: 'matched no Go files' });
    }
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  for (const w of modules.warnings) diagnostics.push({ severity: 'warning', message: w });
  return { root, files, diagnostics, excludedByRules, modules };
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
