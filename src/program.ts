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

export function buildProgram(root: string, files: FileWithPackage[]): Program {
  const byKey = new Map<string, Package>();
  for (const f of files) {
    // An external test package (`package foo_test`) is a package of its own, as in Go.
    const isXTest = f.summary.packageName.endsWith('_test') && f.summary.path.endsWith('_test.go');
    const importPath = isXTest ? `${f.importPath}_test` : f.importPath;
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
