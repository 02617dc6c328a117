import { MAX_NESTING, type FileSummary, type FuncDecl, type TypeDecl, type TypeExpr, type ValueDecl } from '../ir.js';
import { blame } from '../blame.js';
import { literalName, qualifiedName, type Package, type Program } from '../program.js';
import {
  EMPTY_IFACE,
  ERROR,
  isBasicName,
  someTypeIn,
  typeString,
  UNKNOWN,
  type IfaceMethod,
  type Named,
  type StructField,
  type Type,
} from '../resolve/types.js';

/** A function, method or function literal of the program: a node of the call graph. */
export interface FuncNode {
  /** qualifiedName() from src/program.ts. */
  id: string;
  pkg: Package;
  file: FileSummary;
  decl: FuncDecl;
}

export interface PkgInfo {
  pkg: Package;
  members: Map<string, Member>;
}

export interface TypeInfo {
  pkg: PkgInfo;
  file: FileSummary;
  decl: TypeDecl;
  /** `import/path.Name`. */
  key: string;
  methods: Map<string, MethodInfo>;
}

export interface MethodInfo {
  node: FuncNode;
  ptr: boolean;
  /** Names the receiver gives the type's parameters: `func (m *Map[K, V])` -> [K, V]. */
  recvParams: string[];
}

export interface GlobalVar {
  pkg: PkgInfo;
  file: FileSummary;
  decl: ValueDecl;
  index: number;
  name: string;
}

export type Member = { k: 'func'; node: FuncNode } | { k: 'type'; info: TypeInfo } | { k: 'var'; g: GlobalVar };

/** What a file sees besides its package: its imports by the name it uses for them. */
export interface FileScope {
  pkg: PkgInfo;
  file: FileSummary;
  imports: Map<string, string>;
  /** Import paths of `import . "path"`. */
  dots: string[];
}

/** Type parameters in scope while resolving a type expression, by name. */
export type TParams = ReadonlyMap<string, Type>;

/** What `x.name` selects, found through pointers and embedded fields as Go's selector rules say. */
export type Selection =
  | { k: 'method'; method: MethodInfo; recv: Named; promoted: boolean }
  | { k: 'field'; field: StructField; owner: Named | undefined; promoted: boolean }
  | { k: 'iface'; iface: Type; method: IfaceMethod }
  /** A method or field of a type outside the checkout (possibly promoted through embedding). */
  | { k: 'external'; recv: Named };

const MAX_EMBED_DEPTH = 6;

/** `type A B`, `type B C` ... followed recursively: a chain longer than the nesting cap is not (only generators write one). */
const TOO_LONG = 'declared through too many other types';

/** A type's methods by name; null for one supplied by an embedded interface field. */
type MethodSet = Map<string, FuncNode | null>;

/** Program-wide tables built from the per-file summaries: packages, types, methods, globals, imports. */
export class ProgramIndex {
  readonly packages = new Map<string, PkgInfo>();
  readonly funcs: FuncNode[] = [];
  readonly types: TypeInfo[] = [];
  private readonly nodes = new Map<FileSummary, FuncNode[]>();
  private readonly scopes = new Map<FileSummary, FileScope>();
  private readonly underlyingCache = new Map<string, Type>();
  private readonly resolving = new Set<string>();
  private readonly sigCache = new Map<FuncNode, Extract<Type, { k: 'func' }>>();
  private readonly selectCache = new Map<string, Selection | undefined>();
  private methodSets: Map<TypeInfo, MethodSet> | undefined;
  private byMethod: Map<string, TypeInfo[]> | undefined;

  constructor(readonly program: Program) {
    const infos: PkgInfo[] = [];
    for (const pkg of program.packages) {
      // Two folders can claim one import path (two copies of a module): the first one wins the path, and
      // the other is still analyzed with its own scope, though other packages cannot reach it.
      const info: PkgInfo = { pkg, members: new Map() };
      infos.push(info);
      if (!this.packages.has(pkg.importPath)) this.packages.set(pkg.importPath, info);
      for (const file of pkg.files) this.addFile(info, file);
    }
    for (const info of infos) {
      for (const file of info.pkg.files) {
        blame(file);
        this.scopes.set(file, this.fileScope(info, file));
      }
    }
    for (const info of infos) for (const file of info.pkg.files) this.addMethods(info, file);
    blame(undefined);
  }

  private addFile(info: PkgInfo, file: FileSummary): void {
    blame(file);
    const nodes: FuncNode[] = [];
    for (const decl of file.funcs) {
      const node: FuncNode = { id: '', pkg: info.pkg, file, decl };
      nodes.push(node);
      this.funcs.push(node);
    }
    // qualifiedName() numbers literals among their siblings; a parent always precedes its literals,
    // so counting in order gives the same names in one pass instead of a scan per literal.
    const counts = new Map<number | undefined, number>();
    for (const n of nodes) {
      const d = n.decl;
      const parent = d.parent === undefined ? undefined : nodes[d.parent];
      if (!parent) {
        n.id = qualifiedName(info.pkg, file, d);
        continue;
      }
      const k = (counts.get(d.parent) ?? 0) + 1;
      counts.set(d.parent, k);
      n.id = literalName(parent.id, parent.decl, k);
    }
    this.nodes.set(file, nodes);
    for (const n of nodes) {
      const d = n.decl;
      if (d.parent === undefined && !d.recv && d.name && d.name !== 'init' && d.name !== '_') info.members.set(d.name, { k: 'func', node: n });
    }
    for (const decl of file.types) {
      const t: TypeInfo = { pkg: info, file, decl, key: `${info.pkg.importPath}.${decl.name}`, methods: new Map() };
      this.types.push(t);
      info.members.set(decl.name, { k: 'type', info: t });
    }
    for (const decl of file.values) {
      decl.names.forEach((name, index) => {
        if (name !== '_') info.members.set(name, { k: 'var', g: { pkg: info, file, decl, index, name } });
      });
    }
  }

  private addMethods(info: PkgInfo, file: FileSummary): void {
    blame(file);
    for (const node of this.nodes.get(file) ?? []) {
      const recv = node.decl.recv;
      if (!recv || node.decl.parent !== undefined) continue;
      const ptr = recv.type.k === 'ptr';
      const base = ptr && recv.type.k === 'ptr' ? recv.type.elem : recv.type;
      if (base.k !== 'name') continue;
      const m = info.members.get(base.name);
      if (m?.k !== 'type') continue;
      const recvParams = (base.args ?? []).map((a) => (a.k === 'name' ? a.name : '_'));
      m.info.methods.set(node.decl.name, { node, ptr, recvParams });
    }
  }

  private fileScope(pkg: PkgInfo, file: FileSummary): FileScope {
    const imports = new Map<string, string>();
    const dots: string[] = [];
    for (const imp of file.imports) {
      if (imp.name === '_') continue;
      if (imp.name === '.') dots.push(imp.path);
      else imports.set(imp.name ?? this.packageNameOf(imp.path), imp.path);
    }
    return { pkg, file, imports, dots };
  }

  /** The name a package declares; for packages outside the checkout, Go's usual conventions. */
  packageNameOf(importPath: string): string {
    const inProgram = this.packages.get(importPath);
    if (inProgram) return inProgram.pkg.name;
    const parts = importPath.split('/');
    let last = parts[parts.length - 1] ?? importPath;
    if (/^v\d+$/.test(last) && parts.length > 1) last = parts[parts.length - 2]!;
    return last.replace(/\.v\d+$/, '').replace(/^go-/, '').replace(/[-.]go$/, '').replace(/[^A-Za-z0-9_]/g, '_');
  }

  nodesOf(file: FileSummary): FuncNode[] {
    return this.nodes.get(file) ?? [];
  }

  scopeOf(file: FileSummary): FileScope {
    const s = this.scopes.get(file);
    if (!s) throw new Error(`file ${file.path} is not part of the indexed program`);
    return s;
  }

  typeInfo(t: Named): TypeInfo | undefined {
    const m = this.packages.get(t.path)?.members.get(t.name);
    return m?.k === 'type' ? m.info : undefined;
  }

  /** Resolves a type as written in `scope`'s file; type parameters in `tparams` win over package names. */
  resolveType(te: TypeExpr, scope: FileScope, tparams?: TParams): Type {
    const r = (x: TypeExpr): Type => this.resolveType(x, scope, tparams);
    switch (te.k) {
      case 'name': {
        const args = te.args?.map(r);
        if (te.pkg) {
          const path = scope.imports.get(te.pkg);
          if (!path) return UNKNOWN(`unknown package ${te.pkg}`);
          return this.namedIn(path, te.name, args);
        }
        const tp = tparams?.get(te.name);
        if (tp) return tp;
        if (scope.pkg.members.get(te.name)?.k === 'type') return this.namedIn(scope.pkg.pkg.importPath, te.name, args);
        for (const dot of scope.dots) {
          if (this.packages.get(dot)?.members.get(te.name)?.k === 'type') return this.namedIn(dot, te.name, args);
        }
        if (isBasicName(te.name)) return { k: 'basic', name: te.name === 'byte' ? 'uint8' : te.name === 'rune' ? 'int32' : te.name };
        if (te.name === 'error') return ERROR;
        if (te.name === 'any') return EMPTY_IFACE;
        if (te.name === 'comparable') return { k: 'named', path: '', name: 'comparable' };
        return UNKNOWN(`unknown type ${te.name}`);
      }
      case 'ptr':
        return { k: 'ptr', elem: r(te.elem) };
      case 'slice':
        return { k: 'slice', elem: r(te.elem) };
      case 'array':
        return { k: 'array', elem: r(te.elem) };
      case 'map':
        return { k: 'map', key: r(te.key), elem: r(te.elem) };
      case 'chan':
        return { k: 'chan', dir: te.dir, elem: r(te.elem) };
      case 'func':
        return { k: 'func', params: te.params.map((p) => r(p.type)), results: te.results.map((p) => r(p.type)), variadic: te.variadic ?? false };
      case 'struct':
        return {
          k: 'struct',
          fields: te.fields.map((f) => ({ name: f.name ?? embeddedName(f.type), type: r(f.type), embedded: f.embedded ?? false })),
        };
      case 'iface':
        return {
          k: 'iface',
          methods: te.methods.map((m) => ({
            name: m.name,
            sig: { k: 'func', params: m.params.map((p) => r(p.type)), results: m.results.map((p) => r(p.type)), variadic: m.variadic ?? false },
          })),
          embeds: te.embeds.map(r),
        };
      case 'other':
        return UNKNOWN('type not modelled');
    }
  }

  /** A named type of package `path`; aliases are followed to what they stand for. */
  private namedIn(path: string, name: string, args: Type[] | undefined): Type {
    const info = this.packages.get(path)?.members.get(name);
    if (info?.k === 'type' && info.info.decl.alias) {
      const key = `alias ${info.info.key}`;
      if (this.resolving.has(key)) return UNKNOWN('alias cycle');
      if (this.resolving.size >= MAX_NESTING) return UNKNOWN(TOO_LONG);
      this.resolving.add(key);
      try {
        return this.resolveType(info.info.decl.type, this.scopeOf(info.info.file), this.typeParamsOf(info.info, args));
      } finally {
        this.resolving.delete(key);
      }
    }
    return args && args.length ? { k: 'named', path, name, args } : { k: 'named', path, name };
  }

  /** The type parameters of a generic declaration, bound to `args` where given. */
  typeParamsOf(info: TypeInfo, args: Type[] | undefined): TParams | undefined {
    if (info.decl.typeParams.length === 0) return undefined;
    const scope = this.scopeOf(info.file);
    const out = new Map<string, Type>();
    info.decl.typeParams.forEach((tp, i) => out.set(tp.name, args?.[i] ?? { k: 'tparam', name: tp.name, constraint: EMPTY_IFACE }));
    if (!args) for (const tp of info.decl.typeParams) out.set(tp.name, { k: 'tparam', name: tp.name, constraint: this.resolveType(tp.constraint, scope, out) });
    return out;
  }

  /** The underlying type of a named type; `unknown` outside the checkout. */
  underlying(t: Named): Type {
    if (t.path === '' && t.name === 'error') {
      return { k: 'iface', methods: [{ name: 'Error', sig: { k: 'func', params: [], results: [{ k: 'basic', name: 'string' }], variadic: false } }], embeds: [] };
    }
    const info = this.typeInfo(t);
    if (!info) return UNKNOWN(`external type ${t.path}.${t.name}`);
    const key = t.args ? `${info.key}[${t.args.length}]${JSON.stringify(t.args)}` : info.key;
    const cached = this.underlyingCache.get(key);
    if (cached) return cached;
    if (this.resolving.has(key)) return UNKNOWN('type cycle');
    if (this.resolving.size >= MAX_NESTING) return UNKNOWN(TOO_LONG);
    this.resolving.add(key);
    let u = this.resolveType(info.decl.type, this.scopeOf(info.file), this.typeParamsOf(info, t.args));
    if (u.k === 'named') u = this.underlying(u);
    this.resolving.delete(key);
    this.underlyingCache.set(key, u);
    return u;
  }

  /** Underlying of named types, the type itself otherwise. */
  under(t: Type): Type {
    if (t.k === 'named') return this.underlying(t);
    if (t.k === 'tparam') return t.constraint.k === 'named' || t.constraint.k === 'iface' ? this.under(t.constraint) : t.constraint;
    return t;
  }

  /** A function's signature with its own (and its receiver's) type parameters as `tparam`s. */
  signature(node: FuncNode): Extract<Type, { k: 'func' }> {
    const cached = this.sigCache.get(node);
    if (cached) return cached;
    const d = node.decl;
    const scope = this.scopeOf(node.file);
    const tparams = new Map<string, Type>();
    const recvBase = d.recv ? (d.recv.type.k === 'ptr' ? d.recv.type.elem : d.recv.type) : undefined;
    if (recvBase?.k === 'name') for (const a of recvBase.args ?? []) if (a.k === 'name') tparams.set(a.name, { k: 'tparam', name: a.name, constraint: EMPTY_IFACE });
    for (const tp of d.typeParams) tparams.set(tp.name, { k: 'tparam', name: tp.name, constraint: EMPTY_IFACE });
    for (const tp of d.typeParams) tparams.set(tp.name, { k: 'tparam', name: tp.name, constraint: this.resolveType(tp.constraint, scope, tparams) });
    const sig: Extract<Type, { k: 'func' }> = {
      k: 'func',
      params: d.params.map((p) => this.resolveType(p.type, scope, tparams)),
      results: d.results.map((p) => this.resolveType(p.type, scope, tparams)),
      variadic: d.variadic ?? false,
    };
    this.sigCache.set(node, sig);
    return sig;
  }

  /** The type parameters in scope inside a function: its own and its receiver's. */
  funcTypeParams(node: FuncNode): TParams | undefined {
    const d = node.decl;
    const recvBase = d.recv ? (d.recv.type.k === 'ptr' ? d.recv.type.elem : d.recv.type) : undefined;
    const recvArgs = recvBase?.k === 'name' ? (recvBase.args ?? []) : [];
    if (d.typeParams.length === 0 && recvArgs.length === 0) return undefined;
    const out = new Map<string, Type>();
    for (const a of recvArgs) if (a.k === 'name') out.set(a.name, { k: 'tparam', name: a.name, constraint: EMPTY_IFACE });
    const scope = this.scopeOf(node.file);
    for (const tp of d.typeParams) out.set(tp.name, { k: 'tparam', name: tp.name, constraint: this.resolveType(tp.constraint, scope, out) });
    return out;
  }

  /** Substitution for a method's receiver type parameters from the receiver's type arguments. */
  recvSubst(method: MethodInfo, recv: Named): Map<string, Type> {
    const out = new Map<string, Type>();
    method.recvParams.forEach((name, i) => {
      const a = recv.args?.[i];
      if (a) out.set(name, a);
    });
    return out;
  }

  /** Go's selector lookup: the shallowest field or method named `name`, through pointers and embedding. */
  select(t: Type, name: string): Selection | undefined {
    // Most selections are on plain named types (or pointers to them): remember those.
    const base = t.k === 'ptr' ? t.elem : t;
    if (base.k !== 'named' || base.args) return this.selectUncached(t, name);
    const key = `${base.path}.${base.name}#${name}`;
    if (this.selectCache.has(key)) return this.selectCache.get(key);
    const sel = this.selectUncached(t, name);
    this.selectCache.set(key, sel);
    return sel;
  }

  private selectUncached(t: Type, name: string): Selection | undefined {
    let level: Type[] = [t.k === 'ptr' ? t.elem : t];
    const seen = new Set<string>();
    for (let depth = 0; depth < MAX_EMBED_DEPTH && level.length; depth++) {
      const next: Type[] = [];
      let external: Named | undefined;
      for (const cand of level) {
        const found = this.selectDirect(cand, name, depth > 0, next, seen);
        if (found && found.k === 'external') external ??= found.recv;
        else if (found) return found;
      }
      if (external) return { k: 'external', recv: external };
      level = next;
    }
    return undefined;
  }

  private selectDirect(t: Type, name: string, promoted: boolean, next: Type[], seen: Set<string>): Selection | undefined {
    if (t.k === 'tparam') return this.selectDirect(t.constraint, name, promoted, next, seen);
    if (t.k === 'named') {
      const key = `${t.path}.${t.name}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      const info = this.typeInfo(t);
      if (!info && t.path !== '') return { k: 'external', recv: t };
      const m = info?.methods.get(name);
      if (m) return { k: 'method', method: m, recv: t, promoted };
      const u = this.underlying(t);
      return this.selectIn(u, t, name, promoted, next);
    }
    return this.selectIn(t, undefined, name, promoted, next);
  }

  private selectIn(u: Type, owner: Named | undefined, name: string, promoted: boolean, next: Type[]): Selection | undefined {
    if (u.k === 'struct') {
      for (const f of u.fields) {
        if (f.name === name) return { k: 'field', field: f, owner, promoted };
        if (f.embedded) next.push(f.type.k === 'ptr' ? f.type.elem : f.type);
      }
    } else if (u.k === 'iface') {
      const ms = this.ifaceMethods(u);
      const method = ms.methods.get(name);
      if (method) return { k: 'iface', iface: owner ?? u, method };
      // Not declared here, so it comes from an embedded interface outside the checkout (io.Closer ...).
      if (ms.externals[0]) return { k: 'external', recv: ms.externals[0] };
    }
    return undefined;
  }

  /** An interface's methods, embedded interfaces included; `complete` is false when an embed is external. */
  ifaceMethods(t: Type): { methods: Map<string, IfaceMethod>; complete: boolean; externals: Named[] } {
    const methods = new Map<string, IfaceMethod>();
    let complete = true;
    const externals: Named[] = [];
    const seen = new Set<string>();
    const visit = (x: Type, depth: number): void => {
      if (depth > MAX_EMBED_DEPTH) return;
      if (x.k === 'named') {
        const key = `${x.path}.${x.name}`;
        if (seen.has(key)) return;
        seen.add(key);
        const u = this.underlying(x);
        if (u.k === 'unknown') {
          complete = false;
          externals.push(x);
        }
        visit(u, depth + 1);
      } else if (x.k === 'iface') {
        for (const m of x.methods) if (!methods.has(m.name)) methods.set(m.name, m);
        for (const e of x.embeds) visit(e, depth + 1);
      }
    };
    visit(t, 0);
    return { methods, complete, externals };
  }

  /**
   * Types of the program whose (pointer) method set has every method of the interface, with the
   * function each would run for `name`: class-hierarchy analysis by method name and arity.
   */
  implementers(iface: Type, name: string): { type: TypeInfo; fn: FuncNode }[] {
    const { methods } = this.ifaceMethods(iface);
    const want = methods.get(name);
    if (!want) return [];
    const sets = this.allMethodSets();
    // Start from the rarest method name: a handful of candidates instead of every type.
    let candidates: TypeInfo[] | undefined;
    for (const m of methods.keys()) {
      const c = this.byMethod!.get(m) ?? [];
      if (!candidates || c.length < candidates.length) candidates = c;
    }
    const out: { type: TypeInfo; fn: FuncNode }[] = [];
    for (const info of candidates ?? []) {
      const set = sets.get(info)!;
      let ok = true;
      for (const [mname, m] of methods) {
        const fn = set.get(mname);
        if (fn === undefined || (fn && !this.sameSignature(this.signature(fn), m.sig))) {
          ok = false;
          break;
        }
      }
      const fn = set.get(name);
      if (ok && fn) out.push({ type: info, fn });
    }
    return out;
  }

  /**
   * Whether a method implements an interface method of this signature: Go requires identical types.
   * `Do(int)` is not `Do(string)` nor `Do(int) error`. Types we could not resolve (or type parameters)
   * match anything, so an unresolved import never hides an implementer.
   */
  private sameSignature(a: Extract<Type, { k: 'func' }>, b: Extract<Type, { k: 'func' }>): boolean {
    if (a.params.length !== b.params.length || a.results.length !== b.results.length || a.variadic !== b.variadic) return false;
    const [ka, kb] = [this.sigKeys(a), this.sigKeys(b)];
    return ka.every((k, i) => k === undefined || kb[i] === undefined || k === kb[i]);
  }

  private readonly sigKeyCache = new WeakMap<Type, (string | undefined)[]>();

  /** Each parameter's and result's type as a string, undefined where it is too vague to compare. */
  private sigKeys(sig: Extract<Type, { k: 'func' }>): (string | undefined)[] {
    let keys = this.sigKeyCache.get(sig);
    if (!keys) this.sigKeyCache.set(sig, (keys = [...sig.params, ...sig.results].map((t) => (vague(t) ? undefined : typeString(t)))));
    return keys;
  }

  /** Method sets of every non-interface type of the program, promoted methods included. */
  private allMethodSets(): Map<TypeInfo, MethodSet> {
    if (this.methodSets) return this.methodSets;
    const sets = new Map<TypeInfo, MethodSet>();
    const byMethod = new Map<string, TypeInfo[]>();
    for (const info of this.types) {
      if (info.decl.alias) continue;
      const named: Named = { k: 'named', path: info.pkg.pkg.importPath, name: info.decl.name };
      const u = this.underlying(named);
      if (u.k === 'iface') continue;
      const set: MethodSet = new Map();
      for (const [n, m] of info.methods) set.set(n, m.node);
      if (u.k === 'struct') this.promotedInto(u, set, 1, new Set([info.key]));
      if (set.size === 0) continue;
      sets.set(info, set);
      for (const n of set.keys()) {
        const list = byMethod.get(n);
        if (list) list.push(info);
        else byMethod.set(n, [info]);
      }
    }
    this.methodSets = sets;
    this.byMethod = byMethod;
    return sets;
  }

  private promotedInto(u: Extract<Type, { k: 'struct' }>, set: MethodSet, depth: number, seen: Set<string>): void {
    if (depth > MAX_EMBED_DEPTH) return;
    const deeper: Extract<Type, { k: 'struct' }>[] = [];
    for (const f of u.fields) {
      if (!f.embedded) continue;
      const t = f.type.k === 'ptr' ? f.type.elem : f.type;
      if (t.k !== 'named') continue;
      const info = this.typeInfo(t);
      if (!info || seen.has(info.key)) continue;
      seen.add(info.key);
      for (const [n, m] of info.methods) if (!set.has(n)) set.set(n, m.node);
      const eu = this.underlying(t);
      if (eu.k === 'struct') deeper.push(eu);
      // An embedded interface supplies its methods (run by whatever value fills the field).
      if (eu.k === 'iface') for (const n of this.ifaceMethods(eu).methods.keys()) if (!set.has(n)) set.set(n, null);
    }
    for (const d of deeper) this.promotedInto(d, set, depth + 1, seen);
  }
}

/** The implicit name of an embedded field: its type's name without pointer, package or arguments. */
export function embeddedName(t: TypeExpr): string {
  if (t.k === 'ptr') return embeddedName(t.elem);
  return t.k === 'name' ? t.name : '';
}

/** Unwraps `T` and `*T`; also used for instantiation records. */
export function namedKey(t: Type): string | undefined {
  const b = t.k === 'ptr' ? t.elem : t;
  return b.k === 'named' ? `${b.path}.${b.name}` : undefined;
}

export function buildIndex(program: Program): ProgramIndex {
  return new ProgramIndex(program);
}

const isVagueLeaf = (t: Type) => t.k === 'unknown' || t.k === 'tparam';

/** A type that says too little to tell two signatures apart: unresolved, or holding a type parameter. */
function vague(t: Type): boolean {
  return someTypeIn(t, isVagueLeaf);
}
