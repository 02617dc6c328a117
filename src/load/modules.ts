import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../readfile.js';

export interface GoModule {
  /** Absolute directory holding go.mod. */
  dir: string;
  /** Module path from the `module` directive. */
  path: string;
  /** The `go` directive, if any. */
  goVersion?: string;
}

export interface GoWork {
  dir: string;
  /** Absolute directories named by `use`. */
  use: string[];
}

/** Strips `//` comments and surrounding quotes the way go.mod allows. */
function clean(token: string): string {
  const t = token.replace(/\/\/.*$/, '').trim();
  return t.startsWith('"') || t.startsWith('`') ? t.slice(1, -1) : t;
}

export function parseGoMod(text: string, dir: string): GoModule | undefined {
  let modPath: string | undefined;
  let goVersion: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*(module|go)\s+(\S.*)$/.exec(line);
    if (!m?.[2]) continue;
    if (m[1] === 'module') modPath = clean(m[2]);
    else goVersion = clean(m[2]);
  }
  if (modPath === undefined) return undefined;
  return goVersion === undefined ? { dir, path: modPath } : { dir, path: modPath, goVersion };
}

export function parseGoWork(text: string, dir: string): GoWork {
  const use: string[] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line) use.push(path.resolve(dir, clean(line)));
      continue;
    }
    const m = /^use\s+(.*)$/.exec(line);
    if (!m?.[1]) continue;
    if (m[1].trim() === '(') inBlock = true;
    else use.push(path.resolve(dir, clean(m[1])));
  }
  return { dir, use };
}

/**
 * Finds the module of each directory by looking for the nearest go.mod upward, memoized per directory,
 * so that a checkout with nested modules (or a go.work) maps every folder to the right import path.
 */
/** go.mod and go.work files are small; a larger one (or a FIFO, a device) is reported, not read. */
const MAX_MOD_BYTES = 16 << 20;

export class ModuleResolver {
  private readonly byDir = new Map<string, GoModule | null>();
  readonly modules = new Map<string, GoModule>();
  work: GoWork | undefined;
  readonly warnings: string[] = [];

  moduleOf(dir: string): GoModule | undefined {
    const cached = this.byDir.get(dir);
    if (cached !== undefined) return cached ?? undefined;
    let found: GoModule | null = null;
    const gomod = path.join(dir, 'go.mod');
    if (existsSync(gomod)) {
      try {
        const mod = parseGoMod(readRegularFile(gomod, MAX_MOD_BYTES).toString('utf8'), dir);
        if (mod) {
          found = mod;
          this.modules.set(dir, mod);
        } else {
          this.warnings.push(`${gomod}: no module directive; treating the folder as outside any module`);
        }
      } catch (err) {
        this.warnings.push(`${gomod}: cannot read: ${(err as Error).message}`);
      }
    }
    if (found === null) {
      const parent = path.dirname(dir);
      if (parent !== dir) found = this.moduleOf(parent) ?? null;
    }
    this.byDir.set(dir, found);
    return found ?? undefined;
  }

  /** Looks for go.work from `dir` upward; records the first one found. */
  findWork(dir: string): GoWork | undefined {
    for (let d = dir; ; d = path.dirname(d)) {
      const file = path.join(d, 'go.work');
      if (existsSync(file)) {
        try {
          this.work = parseGoWork(readRegularFile(file, MAX_MOD_BYTES).toString('utf8'), d);
        } catch (err) {
          this.warnings.push(`${file}: cannot read: ${(err as Error).message}`);
        }
        return this.work;
      }
      if (path.dirname(d) === d) return undefined;
    }
  }

  /**
   * Import path of a package folder. Outside any module, a GOPATH-style `.../src/` prefix is dropped;
   * failing that the folder relative to the analysis root stands in (`byFolder`: analyze puts the prefix
   * the program's own imports show before it, see importroot.ts).
   */
  importPath(dir: string, root: string): { path: string; byFolder?: true } {
    const mod = this.moduleOf(dir);
    if (mod) {
      const rel = toSlash(path.relative(mod.dir, dir));
      // The standard library's module is `std`, but its import paths carry no prefix.
      if (mod.path === 'std') return { path: rel || 'std' };
      return { path: rel ? `${mod.path}/${rel}` : mod.path };
    }
    const slashed = toSlash(dir);
    const src = slashed.lastIndexOf('/src/');
    if (src !== -1) return { path: slashed.slice(src + '/src/'.length) };
    return { path: toSlash(path.relative(root, dir)) || '.', byFolder: true };
  }
}

export function toSlash(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}
