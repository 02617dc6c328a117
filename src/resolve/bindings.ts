import type { Expr } from '../ir.js';
import type { FileScope, FuncNode, GlobalVar, ProgramIndex, TParams } from '../index/index.js';
import type { Type } from './types.js';

/** Where a value lives: the channel identity the facts phase keys on. */
export type Storage =
  | { kind: 'field'; owner: string; field: string }
  | { kind: 'global'; pkg: string; name: string }
  /** `fn` is the declaring function, also for variables captured by closures. */
  | { kind: 'local'; fn: string; name: string }
  /** `index` -1 is the receiver. */
  | { kind: 'param'; fn: string; index: number; name: string };

/** One variable's storage as a string, equal for the same variable: undefined for a field, which is per object. */
export function storageKey(st: Storage): string | undefined {
  switch (st.kind) {
    case 'local':
      return `L:${st.fn}:${st.name}`;
    case 'param':
      return `P:${st.fn}:${st.index}`;
    case 'global':
      return `G:${st.pkg}.${st.name}`;
    case 'field':
      return undefined;
  }
}

/** How a local variable got its type: computed lazily, once every identifier is bound. */
export type VarDef =
  | { k: 'type'; t: Type }
  /** `index` picks one result of a multi-value expression; `ok` marks the bool of a comma-ok form. */
  | { k: 'expr'; e: Expr; index: number; ok?: boolean }
  | { k: 'range'; x: Expr; which: 'key' | 'value' }
  | { k: 'recv'; ch: Expr }
  /** The bound variable of a type switch: the case's type, or the operand's in multi-type cases. */
  | { k: 'switch'; t: Type | undefined; x: Expr };

export interface VarInfo {
  name: string;
  fn: FuncNode;
  storage: Storage;
  def: VarDef;
  /** Values assigned to it that may be functions: what a call through it may run (absent: none). */
  funcSrcs?: Expr[];
  type?: Type;
}

/** A local, as the facts phase keys it: its storage's name, unique in its function (see Binder.ordinal). */
export type LocalVar = VarInfo & { storage: Extract<Storage, { kind: 'local' }> };

export type Binding =
  | { k: 'var'; v: VarInfo }
  | { k: 'global'; g: GlobalVar }
  | { k: 'func'; node: FuncNode }
  | { k: 'type'; t: Type }
  | { k: 'pkg'; path: string }
  | { k: 'builtin'; name: string }
  | { k: 'const'; t: Type };

const BUILTIN_FUNCS = new Set([
  'append', 'cap', 'clear', 'close', 'complex', 'copy', 'delete', 'imag', 'len', 'make', 'max', 'min', 'new', 'panic',
  'print', 'println', 'real', 'recover',
]);

/** A lexical scope inside a function body (or a package-level initializer when `fn` is undefined). */
export class Scope {
  /** Allocated on the first declaration: most blocks declare nothing. */
  private vars: Map<string, Binding> | undefined;

  constructor(
    readonly index: ProgramIndex,
    readonly file: FileScope,
    readonly fn: FuncNode | undefined,
    readonly tparams: TParams | undefined,
    readonly parent?: Scope,
  ) {}

  child(fn = this.fn, tparams = this.tparams): Scope {
    return new Scope(this.index, this.file, fn, tparams, this);
  }

  declare(name: string, b: Binding): void {
    if (name !== '_') (this.vars ??= new Map()).set(name, b);
  }

  /** Declared in this very block: `:=` then assigns instead of declaring. */
  hasOwn(name: string): boolean {
    return this.vars?.has(name) ?? false;
  }

  lookup(name: string): Binding | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.vars?.get(name);
      if (b) return b;
    }
    const tp = this.tparams?.get(name);
    if (tp) return { k: 'type', t: tp };
    return cachedPackageLookup(this.index, this.file, name);
  }
}

const fileCaches = new WeakMap<FileScope, Map<string, Binding | null>>();

/** Package-level names are looked up once per file: most identifiers in a body are such names. */
function cachedPackageLookup(index: ProgramIndex, file: FileScope, name: string): Binding | undefined {
  let cache = fileCaches.get(file);
  if (!cache) fileCaches.set(file, (cache = new Map()));
  let b = cache.get(name);
  if (b === undefined) {
    b = packageLookup(index, file, name) ?? null;
    cache.set(name, b);
  }
  return b ?? undefined;
}

/** Package members, then imports, dot imports and the universe. */
export function packageLookup(index: ProgramIndex, file: FileScope, name: string): Binding | undefined {
  const m = file.pkg.members.get(name) ?? dotMember(index, file, name);
  if (m) {
    if (m.k === 'func') return { k: 'func', node: m.node };
    if (m.k === 'var') return { k: 'global', g: m.g };
    return { k: 'type', t: index.resolveType({ k: 'name', name: m.info.decl.name }, index.scopeOf(m.info.file)) };
  }
  const path = file.imports.get(name);
  if (path) return { k: 'pkg', path };
  if (BUILTIN_FUNCS.has(name)) return { k: 'builtin', name };
  if (name === 'true' || name === 'false') return { k: 'const', t: { k: 'basic', name: 'bool' } };
  if (name === 'nil') return { k: 'const', t: { k: 'unknown', why: 'nil' } };
  if (name === 'iota') return { k: 'const', t: { k: 'basic', name: 'int' } };
  const t = index.resolveType({ k: 'name', name }, file);
  return t.k === 'unknown' ? undefined : { k: 'type', t };
}

function dotMember(index: ProgramIndex, file: FileScope, name: string) {
  for (const path of file.dots) {
    const m = index.packages.get(path)?.members.get(name);
    if (m) return m;
  }
  return undefined;
}
