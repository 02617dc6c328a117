import type { FileSummary, FuncDecl, TypeExpr } from './ir.js';

/** One Go package: the files of one folder that share a package clause. */
export interface Package {
  importPath: string;
  /** Folder relative to the analysis root. */
  dir: string;
  name: string;
  files: FileSummary[];
}

/** Everything the summarize phase produced, grouped the way Go groups it. */
export interface Program {
  /** Absolute folder that FileSummary paths are relative to. */
  root: string;
  packages: Package[];
}

export interface FileWithPackage {
  summary: FileSummary;
  importPath: string;
  dir: string;
}

/** A file or folder left out of the program, with why. */
export interface Dropped {
  /** Relative to the analysis root: a file, or a folder for a package clause conflict. */
  path: string;
  message: string;
}

/**
 * Go's rules for package clauses, as go/build applies them. A file without one belongs to no package.
 * A `package documentation` file is ignored (go/build does so). Files of one folder that disagree are an
 * error for that folder in go list; here the name most of its files use is analyzed (on a tie, the first
 * file's, as go/build reports it) and the others are reported, so that one stray file costs only itself.
 */
export function settlePackageClauses(files: FileWithPackage[]): { files: FileWithPackage[]; dropped: Dropped[] } {
  const dropped: Dropped[] = [];
  const byDir = new Map<string, FileWithPackage[]>();
  for (const f of files) {
    const name = f.summary.packageName;
    if (name === '') dropped.push({ path: f.summary.path, message: 'skipped: no package clause' });
    else if (name !== 'documentation') {
      const list = byDir.get(f.dir);
      if (list) list.push(f);
      else byDir.set(f.dir, [f]);
    }
  }
  const kept: FileWithPackage[] = [];
  for (const [dir, list] of byDir) {
    const counts = new Map<string, { n: number; first: string }>();
    for (const f of list) {
      if (isXTest(f)) continue;
      const name = f.summary.packageName;
      const c = counts.get(name);
      if (c) c.n++;
      else counts.set(name, { n: 1, first: f.summary.path });
    }
    let winner: string | undefined;
    for (const [name, c] of counts) {
      const best = winner === undefined ? undefined : counts.get(winner)!;
      if (!best || c.n > best.n || (c.n === best.n && c.first < best.first)) winner = name;
    }
    if (counts.size > 1) {
      const named = [...counts].map(([name, c]) => `${name} (${c.first.slice(c.first.lastIndexOf('/') + 1)}${c.n > 1 ? ` and ${c.n - 1} more` : ''})`);
      dropped.push({ path: dir, message: `found packages ${named.join(', ')} in one folder; only package ${winner} is analyzed` });
    }
    for (const f of list) if (isXTest(f) || f.summary.packageName === winner) kept.push(f);
  }
  return { files: kept, dropped };
}

/** An external test package (`package foo_test`) is a package of its own, as in Go. */
function isXTest(f: FileWithPackage): boolean {
  return f.summary.packageName.endsWith('_test') && f.summary.path.endsWith('_test.go');
}

export function buildProgram(root: string, files: FileWithPackage[]): Program {
  const byKey = new Map<string, Package>();
  for (const f of files) {
    const importPath = isXTest(f) ? `${f.importPath}_test` : f.importPath;
    const key = `${f.dir}\0${importPath}\0${f.summary.packageName}`;
    let pkg = byKey.get(key);
    if (!pkg) {
      pkg = { importPath, dir: f.dir, name: f.summary.packageName, files: [] };
      byKey.set(key, pkg);
    }
    pkg.files.push(f.summary);
  }
  const packages = [...byKey.values()].sort((a, b) => cmp(a.importPath, b.importPath) || cmp(a.name, b.name));
  for (const p of packages) p.files.sort((a, b) => cmp(a.path, b.path));
  return { root, packages };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Go's way of naming a function, as panics and profiles print it: `path.Func`, `path.T.M`, `path.(*T).M`;
 * literals as `outer.func1` and literals within literals as `outer.func1.2`; those of package-level
 * initializers as `path.glob..func1`, numbered across the package's files (Go 1.22 says `init.func1`,
 * which would collide with the literals of a `func init`).
 */
export function qualifiedName(pkg: Package, file: FileSummary, fn: FuncDecl): string {
  if (fn.parent === undefined && !fn.name) {
    const initializers = (f: FileSummary) => f.funcs.filter((d) => d.parent === undefined && !d.name);
    const before = pkg.files.slice(0, Math.max(0, pkg.files.indexOf(file))).reduce((n, f) => n + initializers(f).length, 0);
    return `${pkg.importPath}.glob..func${before + initializers(file).indexOf(fn) + 1}`;
  }
  if (fn.parent !== undefined) {
    const parent = file.funcs[fn.parent];
    const siblings = file.funcs.filter((f) => f.parent === fn.parent);
    return parent ? literalName(qualifiedName(pkg, file, parent), parent, siblings.indexOf(fn) + 1) : `${pkg.importPath}.func$${fn.id}`;
  }
  if (!fn.recv) return `${pkg.importPath}.${fn.name}`;
  const t = fn.recv.type;
  const base = (x: TypeExpr): string => (x.k === 'name' ? x.name : x.k === 'ptr' ? base(x.elem) : '?');
  return t.k === 'ptr' ? `${pkg.importPath}.(*${base(t)}).${fn.name}` : `${pkg.importPath}.${base(t)}.${fn.name}`;
}

/** The `n`th literal directly in `parent` (named `parentId`): `F.func1` in a declared function, `F.func1.2` in a literal. */
export function literalName(parentId: string, parent: FuncDecl, n: number): string {
  return parent.name ? `${parentId}.func${n}` : `${parentId}.${n}`;
}
