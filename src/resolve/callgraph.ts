import { blame } from '../blame.js';
import type { Expr, FileSummary, FuncDecl } from '../ir.js';
import { buildIndex, type FuncNode, type GlobalVar, type ProgramIndex } from '../index/index.js';
import type { Program } from '../program.js';
import type { LocalVar, Storage, VarInfo } from './bindings.js';
import { externalMethodName, externalResultName } from './external.js';
import { Typer } from './infer.js';
import { SideTable } from './side.js';
import { deref, type Type } from './types.js';
import { Binder, mayBeFunc, type CallExpr, type CallMode, type CallSite } from './walk.js';

export type { FuncNode } from '../index/index.js';
export type { Storage } from './bindings.js';
export type { CallMode } from './walk.js';

export type ResolvedHow = 'static' | 'method' | 'promoted' | 'interface' | 'func-value' | 'method-value' | 'closure';

export interface CallTarget {
  callee: FuncNode;
  how: ResolvedHow;
}

export type CallInfo =
  | { kind: 'resolved'; targets: CallTarget[] }
  /** close, len, make, panic, recover ... */
  | { kind: 'builtin'; name: string }
  | { kind: 'conversion' }
  /** A function or method outside the checkout, by Go's name: 'sync.(*WaitGroup).Wait', 'time.After'. */
  | { kind: 'external'; name: string }
  | { kind: 'unresolved'; reason: string };

export interface CallerEdge {
  caller: FuncNode;
  call: CallExpr;
  how: ResolvedHow;
  mode: CallMode;
}

export interface SiteInfo {
  call: CallExpr;
  mode: CallMode;
  info: CallInfo;
}

export interface CallGraph {
  /** Every function, method and function literal of the program. */
  funcs: FuncNode[];
  byId: Map<string, FuncNode>;
  nodeOf(file: FileSummary, decl: FuncDecl): FuncNode;
  /** Keyed by the IR call object's identity. */
  callInfo(call: CallExpr): CallInfo;
  callers(fn: FuncNode): CallerEdge[];
  /** The calls in fn's own body (not in its literals) in evaluation order (arguments first), `go`/`defer` marked. */
  sites(fn: FuncNode): SiteInfo[];
  /** Where the value of `e` (in fn's body) lives; best effort. */
  storageOf(fn: FuncNode, e: Expr): Storage | undefined;
  /** Variables of enclosing functions that a function literal uses (directly, not in nested literals). */
  captures(fn: FuncNode): Storage[];
  /** The locals fn declares, in source order; each one's storage name is unique in fn (see Binder.ordinal). */
  locals(fn: FuncNode): readonly LocalVar[];
  /** The resolved type of `e` (see src/resolve/types.ts). */
  typeOf(fn: FuncNode, e: Expr): Type;
  /**
   * A name for the value of a constant expression (`true`, `nil`, the int literal `0`, a declared
   * constant as `pkg.Name`), for telling which branch of a callee a constant argument selects;
   * undefined when not a constant we can name (other numeric and string literals carry no value in the IR).
   */
  constantOf(fn: FuncNode, e: Expr): string | undefined;
  /**
   * A call with no arguments of the function or method value `e` (`c.unlock` in `once.Do(c.unlock)`),
   * resolved as if written in fn; one per expression. Undefined unless `e` names a function or method.
   */
  callOfValue(fn: FuncNode, e: Expr): CallExpr | undefined;
  /**
   * Whether the function or method value `e` is one declared outside the checkout, as a call of it would resolve:
   * `exec.Command`, or `status.ExitCode` on a value an external package returned. Such a value is not the program's
   * function of that name.
   */
  valueFromOutside(fn: FuncNode, e: Expr): boolean;
  index: ProgramIndex;
}

type FuncValueKey = VarInfo | GlobalVar | string;

/** Targets above which a site is indexed by the method name it calls, not per target (see callers). */
const WIDE = 8;

/** Visited sources while following function values, and the first external one met. */
type Seen = Set<FuncValueKey | Expr> & { external?: string };

/** What funcTargets has yet to look at: an expression, a call's result, a callee's returns, or a value's assignments. */
type Pending =
  | { k: 'expr'; e: Expr }
  | { k: 'result'; call: CallExpr; index: number }
  | { k: 'returns'; callee: FuncNode; index: number }
  | { k: 'sources'; key: FuncValueKey; srcs: Expr[] };

/**
 * Phase two of resolution: every call site to its targets. Interface calls go to every implementer
 * in the program (CHA), narrowed to types instantiated somewhere (RTA); calls through function
 * values go to the functions visibly assigned to the variable, global, field or parameter.
 */
class Resolver {
  readonly infos = new SideTable<CallExpr, CallInfo>();
  private callerIndex: ReturnType<Resolver['indexCallers']> | undefined;
  private readonly callerEdges = new Map<FuncNode, CallerEdge[]>();
  readonly sitesOf = new Map<FuncNode, SiteInfo[]>();
  private readonly fieldSrcs = new Map<string, Expr[]>();
  private readonly implCache = new Map<string, FuncNode[]>();
  private readonly dispatched = new Map<FuncNode[], Map<ResolvedHow, CallInfo>>();
  private readonly singles = new Map<FuncNode, Map<ResolvedHow, CallInfo>>();
  private readonly instantiated: Set<string>;

  constructor(
    readonly index: ProgramIndex,
    readonly b: Binder,
    readonly typer: Typer,
  ) {
    this.instantiated = this.closeInstantiated(b.instantiated);
  }

  run(): void {
    // Each loop names the file it works on (see blame.ts); none is to blame for the work between them.
    blame(undefined);
    this.collectFieldSrcs();
    const pending: CallSite[] = [];
    for (const site of this.b.sites) {
      blame(site.caller?.file);
      const info = this.resolveDirect(site.call);
      if (info) this.infos.set(site.call, info);
      else pending.push(site);
    }
    // Parameters of function type receive the arguments of every call resolved so far.
    for (const site of this.b.sites) {
      blame(site.caller?.file);
      const info = this.infos.get(site.call);
      if (info?.kind === 'resolved') for (const t of info.targets) this.feedParams(t.callee, site.call);
    }
    for (const site of pending) {
      blame(site.caller?.file);
      this.infos.set(site.call, this.resolveValueCall(site.call));
    }
    for (const site of this.b.sites) {
      blame(site.caller?.file);
      this.link(site, this.infos.get(site.call)!);
    }
    blame(undefined);
    this.releaseScratch();
  }

  /**
   * What only resolving calls needed: every call is resolved now, and later phases ask the graph
   * for types and storage only. Held until the end, these cost tens of MB at the peak of a run.
   */
  private releaseScratch(): void {
    this.b.sites.length = 0;
    this.b.fieldAssigns.length = 0;
    this.b.compositeFuncs.length = 0;
    this.b.globalSrcs.clear();
    this.b.returns.clear();
    this.fieldSrcs.clear();
    this.implCache.clear();
    this.dispatched.clear();
    this.singles.clear();
  }

  /** Records a site on its caller, in walk order. */
  private link(site: CallSite, info: CallInfo): void {
    if (!site.caller) return;
    const list = this.sitesOf.get(site.caller);
    const s: SiteInfo = { call: site.call, mode: site.mode, info };
    if (list) list.push(s);
    else this.sitesOf.set(site.caller, [s]);
  }

  /**
   * Callers of each function, built on first use (lock facts, WaitGroup and leak checks, `explain`).
   * Narrow sites are indexed by callee as flat caller/site pairs (one edge object per target of every
   * call was hundreds of thousands of objects). Wide sites (interface calls with thousands of
   * implementers: every `err.Error()`) are grouped by the method name they call and by their target
   * list, which calls that resolve alike share; a callee is looked up in each list of its name once.
   * Indexing them per target took 29 s and gigabytes on a 338 MB tree where two thousand callees were asked.
   */
  callers(fn: FuncNode): CallerEdge[] {
    let out = this.callerEdges.get(fn);
    if (out) return out;
    const index = (this.callerIndex ??= this.indexCallers());
    out = [];
    const narrow = index.narrow.get(fn) ?? [];
    for (let i = 0; i < narrow.length; i += 2) {
      const caller = narrow[i] as FuncNode;
      const { call, mode, info } = narrow[i + 1] as SiteInfo;
      if (info.kind !== 'resolved') continue;
      for (const t of info.targets) if (t.callee === fn) out.push({ caller, call, how: t.how, mode });
    }
    for (const key of [fn.decl.name, '']) {
      for (const [info, sites] of index.wide.get(key) ?? []) {
        const how = this.targetsOfWide(info).get(fn);
        if (how === undefined) continue;
        for (let i = 0; i < sites.length; i += 2) {
          const { call, mode } = sites[i + 1] as SiteInfo;
          out.push({ caller: sites[i] as FuncNode, call, how, mode });
        }
      }
    }
    this.callerEdges.set(fn, out);
    return out;
  }

  private indexCallers() {
    const narrow = new Map<FuncNode, (FuncNode | SiteInfo)[]>();
    const wide = new Map<string, Map<CallInfo, (FuncNode | SiteInfo)[]>>();
    const add = <K>(m: Map<K, (FuncNode | SiteInfo)[]>, key: K, caller: FuncNode, site: SiteInfo) => {
      const list = m.get(key);
      if (list) list.push(caller, site);
      else m.set(key, [caller, site]);
    };
    for (const [caller, sites] of this.sitesOf) {
      for (const site of sites) {
        if (site.info.kind !== 'resolved') continue;
        const { targets } = site.info;
        if (targets.length <= WIDE) {
          for (const t of targets) add(narrow, t.callee, caller, site);
          continue;
        }
        // Keyed by name only when every target bears it (a function-valued field's targets need not).
        const fn = site.call.fn;
        const name = fn.k === 'sel' && targets.every((t) => t.callee.decl.name === fn.name) ? fn.name : '';
        let byInfo = wide.get(name);
        if (!byInfo) wide.set(name, (byInfo = new Map()));
        add(byInfo, site.info, caller, site);
      }
    }
    return { narrow, wide };
  }

  private readonly wideTargets = new Map<CallInfo, Map<FuncNode, CallTarget['how']>>();

  private targetsOfWide(info: CallInfo): Map<FuncNode, CallTarget['how']> {
    let out = this.wideTargets.get(info);
    if (!out) {
      out = new Map(info.kind === 'resolved' ? info.targets.map((t) => [t.callee, t.how]) : []);
      this.wideTargets.set(info, out);
    }
    return out;
  }

  /** Value-typed fields of instantiated structs exist too (embedded ones included). */
  private closeInstantiated(seed: Set<string>): Set<string> {
    const out = new Set(seed);
    const queue = [...seed];
    while (queue.length) {
      const key = queue.pop()!;
      const dot = key.lastIndexOf('.');
      const u = this.index.underlying({ k: 'named', path: key.slice(0, dot), name: key.slice(dot + 1) });
      if (u.k !== 'struct') continue;
      for (const f of u.fields) {
        if (f.type.k !== 'named') continue;
        const k = `${f.type.path}.${f.type.name}`;
        if (!out.has(k)) {
          out.add(k);
          queue.push(k);
        }
      }
    }
    return out;
  }

  private collectFieldSrcs(): void {
    for (const { target, value } of this.b.fieldAssigns) {
      const key = this.fieldKey(this.typer.typeOf(target.x), target.name);
      if (key) this.addFieldSrc(key, value);
    }
    for (const { lit, key, index, value } of this.b.compositeFuncs) {
      const t = this.typer.typeOf(lit);
      const u = this.index.under(deref(t));
      if (u.k !== 'struct') continue;
      const name = key ?? u.fields[index]?.name;
      const k = name === undefined ? undefined : this.fieldKey(t, name);
      if (k) this.addFieldSrc(k, value);
    }
  }

  private addFieldSrc(key: string, value: Expr): void {
    const list = this.fieldSrcs.get(key);
    if (list) list.push(value);
    else this.fieldSrcs.set(key, [value]);
  }

  /** `owner.field` for a field selected on a value of type t, through embedding. */
  fieldKey(t: Type, name: string): string | undefined {
    if (t.k === 'unknown') return undefined;
    const s = this.index.select(t, name);
    if (s?.k !== 'field' || !s.owner) return undefined;
    return `${s.owner.path}.${s.owner.name}.${name}`;
  }

  private feedParams(callee: FuncNode, call: CallExpr): void {
    const params = this.b.params.get(callee);
    if (!params) return;
    const last = callee.decl.params.length - 1;
    call.args.forEach((a, i) => {
      const at = callee.decl.variadic && i > last ? last : i;
      const p = params.find((v) => v.storage.kind === 'param' && v.storage.index === at);
      if (p && mayBeFunc(a)) (p.funcSrcs ??= []).push(a);
    });
  }

  /** Everything but calls through function values (those wait for parameter sources). */
  private resolveDirect(call: CallExpr): CallInfo | undefined {
    const fn = call.fn;
    switch (fn.k) {
      case 'funclit': {
        const node = this.b.litNodes.get(fn);
        return node ? this.single(node, 'closure') : { kind: 'unresolved', reason: 'function literal not indexed' };
      }
      case 'type':
        return CONVERSION;
      case 'id': {
        const r = this.b.refs.get(fn);
        if (!r) return { kind: 'unresolved', reason: 'unknown identifier' };
        if (r.k === 'builtin') return { kind: 'builtin', name: r.name };
        if (r.k === 'type') return CONVERSION;
        if (r.k === 'func') return this.single(r.node, 'static');
        return undefined;
      }
      case 'index':
        return this.typer.conversionType(fn) ? CONVERSION : undefined;
      case 'sel':
        return this.resolveSel(fn);
      case 'unary':
        return this.typer.conversionType(fn) ? CONVERSION : undefined;
      default:
        return undefined;
    }
  }

  private resolveSel(fn: Extract<Expr, { k: 'sel' }>): CallInfo | undefined {
    const path = this.typer.pkgOf(fn.x);
    if (path !== undefined) {
      const pkg = this.index.packages.get(path);
      if (!pkg) return { kind: 'external', name: `${path}.${fn.name}` };
      const m = pkg.members.get(fn.name);
      if (!m) return { kind: 'unresolved', reason: 'unknown package member' };
      if (m.k === 'func') return this.single(m.node, 'static');
      if (m.k === 'type') return CONVERSION;
      return undefined;
    }
    const recvType = this.typer.typeDenoted(fn.x);
    if (recvType) {
      const s = this.index.select(recvType, fn.name);
      if (s?.k === 'method') return this.single(s.method.node, 'method');
      if (s?.k === 'external') return { kind: 'external', name: externalMethodName(s.recv, recvType, fn.name) };
      return { kind: 'unresolved', reason: 'method expression not found' };
    }
    const t = this.typer.typeOf(fn.x);
    // A method of a value that came from outside the checkout: an external leaf of unknown type.
    if (isExternalUnknown(deref(t))) return { kind: 'external', name: `?.${fn.name}` };
    if (deref(t).k === 'unknown') return { kind: 'unresolved', reason: `receiver type unknown: ${(deref(t) as { why: string }).why}` };
    const s = this.index.select(t, fn.name);
    if (!s) return { kind: 'unresolved', reason: 'no such method or field' };
    switch (s.k) {
      case 'method':
        return this.single(s.method.node, s.promoted ? 'promoted' : 'method');
      case 'iface':
        return this.dispatch(s.iface, fn.name, 'interface');
      case 'external':
        return { kind: 'external', name: externalMethodName(s.recv, t, fn.name) };
      case 'field':
        return undefined;
    }
  }

  private dispatch(iface: Type, name: string, how: ResolvedHow): CallInfo {
    if (iface.k === 'named' && !this.index.typeInfo(iface)) {
      return { kind: 'external', name: `${iface.path ? `${iface.path}.` : ''}${iface.name}.${name}` };
    }
    const targets = this.implementers(iface, name);
    if (targets.length === 0) return { kind: 'unresolved', reason: 'interface method with no implementation in the program' };
    // Every call of one interface method dispatches alike: one CallInfo for all of them.
    let byHow = this.dispatched.get(targets);
    if (!byHow) this.dispatched.set(targets, (byHow = new Map()));
    let info = byHow.get(how);
    if (!info) byHow.set(how, (info = resolved(targets.map((callee) => ({ callee, how })))));
    return info;
  }

  /**
   * The CallInfo of a call with one known target, shared by every call of that function made the
   * same way: a third of a million calls on the bench corpus, to under forty thousand functions.
   */
  private single(callee: FuncNode, how: ResolvedHow): CallInfo {
    let byHow = this.singles.get(callee);
    if (!byHow) this.singles.set(callee, (byHow = new Map()));
    let info = byHow.get(how);
    if (!info) byHow.set(how, (info = resolved([{ callee, how }])));
    return info;
  }

  /** CHA narrowed to instantiated types (RTA); all implementers when none is seen instantiated. */
  private implementers(iface: Type, name: string): FuncNode[] {
    const key = iface.k === 'named' ? `${iface.path}.${iface.name}#${name}` : undefined;
    const cached = key === undefined ? undefined : this.implCache.get(key);
    if (cached) return cached;
    const all = this.index.implementers(iface, name);
    const live = all.filter((i) => this.instantiated.has(i.type.key));
    const out = [...new Set((live.length ? live : all).map((i) => i.fn))];
    if (key !== undefined) this.implCache.set(key, out);
    return out;
  }

  private resolveValueCall(call: CallExpr): CallInfo {
    const fn = call.fn;
    const seen: Seen = new Set();
    const targets = this.funcTargets(fn, seen);
    if (targets.length) return resolved(dedupe(targets));
    // Only a function from outside the checkout reaches here: `cancel` from context.WithTimeout.
    if (seen.external) return { kind: 'external', name: seen.external };
    // A value of a function type declared outside the checkout, such as context.CancelFunc.
    const t = this.typer.typeOf(fn);
    if (t.k === 'named' && !this.index.typeInfo(t)) return { kind: 'external', name: `${t.path}.${t.name}` };
    if (isExternalUnknown(t)) return { kind: 'external', name: `?.${fn.k === 'sel' ? fn.name : '?'}` };
    return { kind: 'unresolved', reason: this.whyNoValue(fn) };
  }

  private whyNoValue(fn: Expr): string {
    if (fn.k === 'id') {
      const r = this.b.refs.get(fn);
      if (r?.k === 'var') return r.v.storage.kind === 'param' ? 'call through a function parameter with no visible argument' : 'call through a local function value with no visible assignment';
      if (r?.k === 'global') return 'call through a package-level function variable with no visible assignment';
    }
    if (fn.k === 'sel' && this.typer.pkgOf(fn.x) !== undefined) return 'call through a package-level function variable with no visible assignment';
    if (fn.k === 'sel') return 'call through a function-typed field with no visible assignment';
    if (fn.k === 'call') return 'call of a returned function';
    if (fn.k === 'index') return 'call of a function from a map or slice';
    if (fn.k === 'assert') return 'call of a type-asserted function';
    return 'call of a computed function value';
  }

  /**
   * The functions a function-valued expression may hold, from the assignments visible to us. A search
   * over the value's sources with a stack of its own, not recursion: a chain of 20,000 `return next()`
   * functions or `x2 := x1` assignments is as deep as the program is long. Each item's sources are
   * pushed in reverse, so the search visits them (and collects targets) in the order recursion did.
   */
  private funcTargets(start: Expr, seen: Seen): CallTarget[] {
    const out: CallTarget[] = [];
    const stack: Pending[] = [{ k: 'expr', e: start }];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      const next = this.sourcesOf(w, seen, out);
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
    }
    return out;
  }

  /** One step of funcTargets: the targets `w` names itself go to `out`; what it takes its value from is returned. */
  private sourcesOf(w: Pending, seen: Seen, out: CallTarget[]): Pending[] {
    switch (w.k) {
      case 'expr':
        return this.exprSources(w.e, seen, out);
      case 'result': {
        // What result `index` of a call may be: what the callee returns there (options, middleware,
        // `return ctx, cancel`). A result that comes from outside the checkout is noted in `seen.external`.
        const info = this.infos.get(w.call);
        if (info?.kind === 'external') seen.external ??= externalResultName(info.name, w.index);
        if (info?.kind !== 'resolved') return [];
        return info.targets.map((t) => ({ k: 'returns', callee: t.callee, index: w.index }));
      }
      case 'returns': {
        const key = `${w.callee.id}#${w.index}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return (this.b.returns.get(w.callee) ?? []).flatMap((values): Pending[] => {
          // `return g()` passes on all of g's results.
          const only = values.length === 1 ? values[0] : undefined;
          if (only?.k === 'call' && w.index > 0) return [{ k: 'result', call: only, index: w.index }];
          const v = values[w.index];
          return v ? [{ k: 'expr', e: v }] : [];
        });
      }
      case 'sources':
        if (seen.has(w.key)) return [];
        seen.add(w.key);
        return w.srcs.map((e) => ({ k: 'expr', e }));
    }
  }

  private exprSources(e: Expr, seen: Seen, out: CallTarget[]): Pending[] {
    if (seen.has(e)) return [];
    seen.add(e);
    switch (e.k) {
      case 'funclit': {
        const node = this.b.litNodes.get(e);
        if (node) out.push({ callee: node, how: 'func-value' });
        return [];
      }
      case 'id': {
        const r = this.b.refs.get(e);
        if (r?.k === 'func') out.push({ callee: r.node, how: 'func-value' });
        if (r?.k === 'var') {
          // `ctx, cancel := f()`: the second result of f.
          const d = r.v.def;
          const result: Pending[] = d.k === 'expr' && !d.ok && d.e.k === 'call' ? [{ k: 'result', call: d.e, index: d.index }] : [];
          return [...result, { k: 'sources', key: r.v, srcs: r.v.funcSrcs ?? [] }];
        }
        if (r?.k === 'global') return [{ k: 'sources', key: r.g, srcs: this.b.globalSrcs.get(r.g) ?? [] }];
        return [];
      }
      case 'index':
        return [{ k: 'expr', e: e.x }];
      case 'sel':
        return this.selSources(e, out);
      case 'composite':
        return e.elems.map((el) => ({ k: 'expr', e: el.value }));
      case 'call':
        return [{ k: 'result', call: e, index: 0 }];
      default:
        return [];
    }
  }

  private selSources(e: Extract<Expr, { k: 'sel' }>, out: CallTarget[]): Pending[] {
    const path = this.typer.pkgOf(e.x);
    if (path !== undefined) {
      const m = this.index.packages.get(path)?.members.get(e.name);
      if (m?.k === 'func') out.push({ callee: m.node, how: 'func-value' });
      if (m?.k === 'var') return [{ k: 'sources', key: m.g, srcs: this.b.globalSrcs.get(m.g) ?? [] }];
      return [];
    }
    const t = this.typer.typeDenoted(e.x) ?? this.typer.typeOf(e.x);
    if (t.k === 'unknown') return [];
    const s = this.index.select(t, e.name);
    if (s?.k === 'method') out.push({ callee: s.method.node, how: 'method-value' });
    if (s?.k === 'iface') {
      const info = this.dispatch(s.iface, e.name, 'method-value');
      if (info.kind === 'resolved') for (const target of info.targets) out.push(target);
    }
    if (s?.k === 'field') {
      const key = this.fieldKey(t, e.name);
      return key ? [{ k: 'sources', key, srcs: this.fieldSrcs.get(key) ?? [] }] : [];
    }
    return [];
  }

  constantOf(e: Expr): string | undefined {
    if (e.k === 'lit') return e.kind === 'nil' || e.kind === 'true' || e.kind === 'false' ? e.kind : e.zero ? '0' : undefined;
    if (e.k === 'id') {
      const r = this.b.refs.get(e);
      if (r?.k === 'const') return e.name;
      if (r?.k === 'global' && r.g.decl.isConst) return `${r.g.pkg.pkg.importPath}.${r.g.name}`;
      return undefined;
    }
    if (e.k === 'sel' && e.x.k === 'id') {
      const path = this.typer.pkgOf(e.x);
      const m = path === undefined ? undefined : this.index.packages.get(path)?.members.get(e.name);
      return m?.k === 'var' && m.g.decl.isConst ? `${path}.${e.name}` : undefined;
    }
    return undefined;
  }

  private readonly valueCalls = new SideTable<Expr, CallExpr | null>();

  callOfValue(e: Expr): CallExpr | undefined {
    let call = this.valueCalls.get(e);
    if (call === undefined) {
      const made: CallExpr = { k: 'call', fn: e, args: [], pos: e.pos };
      const info = e.k === 'sel' || e.k === 'id' ? this.resolveDirect(made) : undefined;
      call = info?.kind === 'resolved' ? made : null;
      if (info && call) this.infos.set(call, info);
      this.valueCalls.set(e, call);
    }
    return call ?? undefined;
  }

  valueFromOutside(e: Expr): boolean {
    return e.k === 'sel' && this.resolveSel(e)?.kind === 'external';
  }

  storageOf(e: Expr): Storage | undefined {
    switch (e.k) {
      case 'id': {
        const r = this.b.refs.get(e);
        if (r?.k === 'var') return r.v.storage;
        if (r?.k === 'global') return { kind: 'global', pkg: r.g.pkg.pkg.importPath, name: r.g.name };
        return undefined;
      }
      case 'sel': {
        const path = this.typer.pkgOf(e.x);
        if (path !== undefined) return { kind: 'global', pkg: path, name: e.name };
        const s = this.index.select(this.typer.typeOf(e.x), e.name);
        if (s?.k !== 'field' || !s.owner) return undefined;
        return { kind: 'field', owner: `${s.owner.path}.${s.owner.name}`, field: e.name };
      }
      case 'unary':
        return e.op === '*' ? this.storageOf(e.x) : undefined;
      default:
        return undefined;
    }
  }
}

/** Unknown because it comes from a package outside the checkout, not because we failed to follow it. */
function isExternalUnknown(t: Type): boolean {
  return t.k === 'unknown' && /^(external|member of an external|unknown package)/.test(t.why);
}

const CONVERSION: CallInfo = { kind: 'conversion' };

function resolved(targets: CallTarget[]): CallInfo {
  return { kind: 'resolved', targets };
}

function dedupe(targets: CallTarget[]): CallTarget[] {
  const seen = new Set<FuncNode>();
  return targets.filter((t) => !seen.has(t.callee) && seen.add(t.callee));
}

/** Builds the index (unless given), binds every body, and resolves every call site. */
export function buildCallGraph(program: Program, index: ProgramIndex = buildIndex(program)): CallGraph {
  const binder = new Binder(index);
  binder.run();
  const typer = new Typer(index, binder);
  const r = new Resolver(index, binder, typer);
  r.run();
  const byId = new Map<string, FuncNode>();
  for (const f of index.funcs) if (!byId.has(f.id)) byId.set(f.id, f);
  return {
    funcs: index.funcs,
    byId,
    index,
    nodeOf(file, decl) {
      const n = index.nodesOf(file)[decl.id];
      if (!n) throw new Error(`function ${decl.name || '<literal>'} of ${file.path} is not in the call graph`);
      return n;
    },
    callInfo: (call) => r.infos.get(call) ?? { kind: 'unresolved', reason: 'call not in the program' },
    callers: (fn) => r.callers(fn),
    sites: (fn) => r.sitesOf.get(fn) ?? [],
    storageOf: (_fn, e) => r.storageOf(e),
    captures: (fn) => [...(binder.captures.get(fn) ?? [])].map((v) => v.storage),
    locals: (fn) => binder.locals.get(fn) ?? [],
    typeOf: (_fn, e) => typer.typeOf(e),
    constantOf: (_fn, e) => r.constantOf(e),
    callOfValue: (_fn, e) => r.callOfValue(e),
    valueFromOutside: (_fn, e) => r.valueFromOutside(e),
  };
}
