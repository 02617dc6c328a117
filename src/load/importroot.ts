/**
 * "Under which import path does a checkout with no go.mod live?" A GOPATH-era project (or one whose go.mod is
 * not in the analysed folder) imports its own packages by their full path (`github.com/o/r/eth/downloader`),
 * while the loader can only name them by folder (`eth/downloader`). Without the prefix, every call between the
 * project's own packages resolves to nothing. The prefix is read from the imports themselves: the one that,
 * put before the program's own folders, explains the most of the imports nothing else resolves.
 */

/** One package folder named by the loader's fallback, and the import paths its files use. */
export interface FolderImports {
  /** The folder relative to the analysis root (`eth/downloader`, `.` for the root). */
  folder: string;
  imports: readonly string[];
}

/** A repository's path starts with a host name (`github.com/o/r`): `a/b` is more likely a look-alike folder. */
const REPOSITORY_RE = /^[^/]+\.[^/]+\/[^/]+/;

/**
 * The prefix that turns folders into the import paths the program uses for them, if the imports show one
 * clearly: a repository path, explaining more distinct imports than any other prefix does. One look-alike
 * (`github.com/x/log` beside a local `log/`) loses to the project's own imports as soon as there are two.
 */
export function inferImportRoot(folders: readonly FolderImports[]): string | undefined {
  const local = new Set(folders.map((f) => f.folder).filter((f) => f !== '.'));
  const votes = new Map<string, Set<string>>();
  for (const f of folders) {
    for (const imp of f.imports) {
      if (local.has(imp)) continue;
      for (let cut = imp.indexOf('/'); cut !== -1; cut = imp.indexOf('/', cut + 1)) {
        const prefix = imp.slice(0, cut);
        if (!local.has(imp.slice(cut + 1)) || !REPOSITORY_RE.test(prefix)) continue;
        let seen = votes.get(prefix);
        if (!seen) votes.set(prefix, (seen = new Set()));
        seen.add(imp);
      }
    }
  }
  const ranked = [...votes].map(([prefix, imps]) => ({ prefix, n: imps.size })).sort((a, b) => b.n - a.n);
  const [best, next] = ranked;
  if (!best || (next && next.n === best.n)) return undefined;
  return best.prefix;
}

/** A parsed file whose import path is still its folder. */
export interface FolderFile {
  importPath: string;
  summary: { imports: readonly { path: string }[] };
}

/** Puts the inferred prefix before each file's folder, when the imports show one; returns it. */
export function placeUnderImportRoot(files: readonly FolderFile[]): string | undefined {
  const byFolder = new Map<string, Set<string>>();
  for (const f of files) {
    let imports = byFolder.get(f.importPath);
    if (!imports) byFolder.set(f.importPath, (imports = new Set()));
    for (const i of f.summary.imports) imports.add(i.path);
  }
  const prefix = inferImportRoot([...byFolder].map(([folder, imports]) => ({ folder, imports: [...imports] })));
  if (prefix === undefined) return undefined;
  for (const f of files) f.importPath = f.importPath === '.' ? prefix : `${prefix}/${f.importPath}`;
  return prefix;
}
