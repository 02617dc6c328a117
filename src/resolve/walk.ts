import type { Expr, FuncDecl, SelectCase, Stmt, SwitchCase } from '../ir.js';
import { blame } from '../blame.js';
import { namedKey, type FuncNode, type GlobalVar, type ProgramIndex } from '../index/index.js';
import { Scope, type Binding, type LocalVar, type VarDef, type VarInfo } from './bindings.js';
import { SideTable } from './side.js';
import { BOOL, deref, type Type } from './types.js';

export type CallExpr = Extract<Expr, { k: 'call' }>;
export type CallMode = 'call' | 'go' | 'defer';

export interface CallSite {
  call: CallExpr;
  /** Undefined for calls in package-level variable initializers. */
  caller: FuncNode | undefined;
  mode: CallMode;
}

/**
 * Phase one of resolution: one pass over every body that binds each identifier to what it names
 * (locals, params, captured variables, globals, imports), resolves the types written in bodies,
 * and records what phase two needs: call sites, values that may be functions, instantiated types.
 * Types of expressions are computed afterwards, lazily, from these bindings.
 */
export class Binder {
  readonly refs = new SideTable<Expr, Binding>();
  /** Types written in bodies: composite literals, assertions, conversions, `make`/`new` arguments. */
  readonly written = new SideTable<Expr, Type>();
  readonly sites: CallSite[] = [];
  readonly litNodes = new SideTable<Expr, FuncNode>();
  /** Explicit type arguments of generic calls, resolved where they are written. */
  readonly typeArgs = new SideTable<CallExpr, Type[]>();
  readonly params = new Map<FuncNode, VarInfo[]>();
  /** `x.f = v` where v may be a function. */
  readonly fieldAssigns: { target: Extract<Expr, { k: 'sel' }>; value: Expr }[] = [];
  /** `T{f: v}` / `T{v}` where v may be a function. */
  readonly compositeFuncs: { lit: Extract<Expr, { k: 'composite' }>; key?: string; index: number; value: Expr }[] = [];
  readonly globalSrcs = new Map<GlobalVar, Expr[]>();
  /** Return statements' values, where one may be a function: `return ctx, func() {...}`. */
  readonly returns = new Map<FuncNode, Expr[][]>();
  /** Variables of enclosing functions that a function literal uses. */
  readonly captures = new Map<FuncNode, Set<VarInfo>>();
  /** `path.Name` of named types that get a value somewhere (composite, new, make, var, conversion). */
  readonly instantiated = new Set<string>();
  /** Every local a function declares (named results included), in source order. */
  readonly locals = new Map<FuncNode, LocalVar[]>();
  /**
   * How many variables of each name the function being walked has declared so far (params included).
   * A function declares all its variables while func() walks it, so one map per walk, kept on the
   * stack of nested function literals, does.
   */
  private declared = new Map<string, number>();
  private readonly walked = new Set<FuncNode>();

  constructor(private readonly index: ProgramIndex) {}

  run(): void {
    for (const info of this.index.packages.values()) {
      for (const file of info.pkg.files) {
        blame(file);
        const scope = new Scope(this.index, this.index.scopeOf(file), undefined, undefined);
        for (const decl of file.values) {
          decl.values.forEach((v, i) => {
            this.expr(v, scope, 'call');
            const name = decl.names[i];
            const m = name === undefined ? undefined : info.members.get(name);
            if (m?.k === 'var' && m.g.decl === decl && mayBeFunc(v)) this.globalSrc(m.g, v);
          });
          if (decl.type && !decl.isConst) this.instantiate(this.index.resolveType(decl.type, scope.file));
        }
      }
    }
    for (const node of this.index.funcs) {
      blame(node.file);
      if (node.decl.parent === undefined && node.decl.name) this.func(node, new Scope(this.index, this.index.scopeOf(node.file), undefined, undefined));
    }
    // Literals not reached from a body (in package-level initializers of other files' packages, say).
    for (const node of this.index.funcs) {
      blame(node.file);
      if (!this.walked.has(node)) this.func(node, new Scope(this.index, this.index.scopeOf(node.file), undefined, undefined));
    }
    blame(undefined);
  }

  private capture(fn: FuncNode, v: VarInfo): void {
    const set = this.captures.get(fn);
    if (set) set.add(v);
    else this.captures.set(fn, new Set([v]));
  }

  private globalSrc(g: GlobalVar, v: Expr): void {
    const list = this.globalSrcs.get(g);
    if (list) list.push(v);
    else this.globalSrcs.set(g, [v]);
  }

  /** Pointers create no value of their element type: `var p *T` instantiates nothing. */
  private instantiate(t: Type): void {
    if (t.k === 'ptr') return;
    const key = namedKey(t);
    if (key) this.instantiated.add(key);
  }

  private func(node: FuncNode, outer: Scope): void {
    if (this.walked.has(node)) return;
    this.walked.add(node);
    blame(node.file);
    const d = node.decl;
    const own = this.index.funcTypeParams(node);
    const tparams = own && outer.tparams ? new Map([...outer.tparams, ...own]) : (own ?? outer.tparams);
    const scope = outer.child(node, tparams);
    const resolve = (te: FuncDecl['params'][number]['type']) => this.index.resolveType(te, scope.file, tparams);
    const params: VarInfo[] = [];
    const outerDeclared = this.declared;
    this.declared = new Map();
    if (d.recv?.name) {
      this.ordinal(d.recv.name);
      const v = this.declare(scope, d.recv.name, node, { kind: 'param', fn: node.id, index: -1, name: d.recv.name }, { k: 'type', t: resolve(d.recv.type) });
      params.push(v);
    }
    d.params.forEach((p, i) => {
      const name = p.name ?? '_';
      this.ordinal(name);
      params.push(this.declare(scope, name, node, { kind: 'param', fn: node.id, index: i, name }, { k: 'type', t: resolve(p.type) }));
    });
    for (const r of d.results) if (r.name) this.local(scope, r.name, { k: 'type', t: resolve(r.type) });
    this.params.set(node, params);
    if (d.body) this.stmts(d.body, scope);
    this.declared = outerDeclared;
  }

  private declare(scope: Scope, name: string, fn: FuncNode, storage: VarInfo['storage'], def: VarDef): VarInfo {
    const v: VarInfo = { name, fn, storage, def };
    scope.declare(name, { k: 'var', v });
    return v;
  }

  /**
   * The n-th variable of one name in a function (a shadowing `ws := ...` in a nested block, a local
   * shadowing a parameter) is stored as `ws'n`: another variable, so another channel and instance.
   * The first keeps the plain name, so identities (and fingerprints) of unshadowed code do not change.
   */
  private ordinal(name: string): number {
    const n = this.declared.get(name) ?? 0;
    this.declared.set(name, n + 1);
    return n;
  }

  private local(scope: Scope, name: string, def: VarDef): VarInfo | undefined {
    const fn = scope.fn;
    if (!fn || name === '_') return undefined;
    const n = this.ordinal(name);
    const v = this.declare(scope, name, fn, { kind: 'local', fn: fn.id, name: n === 0 ? name : `${name}'${n}` }, def) as LocalVar;
    const list = this.locals.get(fn);
    if (list) list.push(v);
    else this.locals.set(fn, [v]);
    return v;
  }

  private stmts(list: Stmt[], scope: Scope): void {
    for (const s of list) this.stmt(s, scope);
  }

  private stmt(s: Stmt, scope: Scope): void {
    switch (s.k) {
      case 'expr':
        this.expr(s.x, scope, 'call');
        break;
      case 'send':
        this.expr(s.ch, scope);
        this.expr(s.value, scope);
        break;
      case 'incdec':
        this.expr(s.x, scope);
        break;
      case 'go':
      case 'defer':
        this.expr(s.call, scope, s.k);
        break;
      case 'return':
        for (const v of s.values) this.expr(v, scope);
        if (scope.fn && s.values.some(mayBeFunc)) {
          const list = this.returns.get(scope.fn);
          if (list) list.push(s.values);
          else this.returns.set(scope.fn, [s.values]);
        }
        break;
      case 'assign':
        this.assign(s, scope);
        break;
      case 'var':
        this.varStmt(s, scope);
        break;
      case 'block':
        // `var ( a = 1; b T )` arrives as a block of var statements; its names belong to this scope.
        // (A real block holding only declarations would not compile: Go rejects unused variables.)
        this.stmts(s.body, s.body.every((x) => x.k === 'var') ? scope : scope.child());
        break;
      case 'if': {
        const inner = scope.child();
        if (s.init) this.stmt(s.init, inner);
        this.expr(s.cond, inner);
        this.stmts(s.then, inner.child());
        if (s.else) this.stmts(s.else, inner.child());
        break;
      }
      case 'for':
        this.forStmt(s, scope.child());
        break;
      case 'switch': {
        const inner = scope.child();
        if (s.init) this.stmt(s.init, inner);
        if (s.tag) this.expr(s.tag, inner);
        for (const c of s.cases) this.switchCase(c, inner.child());
        break;
      }
      case 'typeswitch':
        this.typeSwitch(s, scope.child());
        break;
      case 'select':
        for (const c of s.cases) this.selectCase(c, scope.child());
        break;
      case 'labeled':
        if (s.stmt) this.stmt(s.stmt, scope);
        break;
      case 'branch':
        break;
    }
  }

  private assign(s: Extract<Stmt, { k: 'assign' }>, scope: Scope): void {
    for (const r of s.rhs) this.expr(r, scope);
    if (s.op !== ':=') {
      for (const l of s.lhs) this.expr(l, scope);
      if (s.op === '=' && s.lhs.length === s.rhs.length) s.lhs.forEach((l, i) => this.funcAssign(l, s.rhs[i]!));
      return;
    }
    s.lhs.forEach((l, i) => {
      if (l.k !== 'id') return this.expr(l, scope);
      if (scope.hasOwn(l.name)) {
        this.expr(l, scope);
      } else {
        const def: VarDef = s.lhs.length === s.rhs.length ? { k: 'expr', e: s.rhs[i]!, index: 0 } : multiDef(s.rhs[0]!, i);
        const v = this.local(scope, l.name, def);
        if (v) this.refs.set(l, { k: 'var', v });
      }
      if (s.lhs.length === s.rhs.length) this.funcAssign(l, s.rhs[i]!);
    });
  }

  private varStmt(s: Extract<Stmt, { k: 'var' }>, scope: Scope): void {
    for (const v of s.values) this.expr(v, scope);
    const t = s.type ? this.index.resolveType(s.type, scope.file, scope.tparams) : undefined;
    if (t) this.instantiate(t);
    s.names.forEach((name, i) => {
      const value = s.values.length === s.names.length ? s.values[i] : undefined;
      const def: VarDef = t ? { k: 'type', t } : value ? { k: 'expr', e: value, index: 0 } : multiDef(s.values[0] ?? { k: 'bad', pos: s.pos }, i);
      const v = this.local(scope, name, def);
      if (v && value && mayBeFunc(value)) (v.funcSrcs ??= []).push(value);
    });
  }

  /** Records `target = value` when value may be a function, for calls through the target. */
  private funcAssign(target: Expr, value: Expr): void {
    if (!mayBeFunc(value)) return;
    if (target.k === 'id') {
      const b = this.refs.get(target);
      if (b?.k === 'var') (b.v.funcSrcs ??= []).push(value);
      else if (b?.k === 'global') this.globalSrc(b.g, value);
    } else if (target.k === 'sel') {
      // `pkg.Hook = f` sets another package's variable; anything else is a field.
      const pkg = target.x.k === 'id' ? this.refs.get(target.x) : undefined;
      const m = pkg?.k === 'pkg' ? this.index.packages.get(pkg.path)?.members.get(target.name) : undefined;
      if (m?.k === 'var') this.globalSrc(m.g, value);
      else if (pkg?.k !== 'pkg') this.fieldAssigns.push({ target, value });
    }
  }

  private forStmt(s: Extract<Stmt, { k: 'for' }>, scope: Scope): void {
    if (s.init) this.stmt(s.init, scope);
    if (s.cond) this.expr(s.cond, scope);
    if (s.post) this.stmt(s.post, scope);
    const r = s.range;
    if (r) {
      this.expr(r.x, scope);
      if (r.define) {
        for (const [e, which] of [[r.key, 'key'], [r.value, 'value']] as const) {
          if (e?.k !== 'id') continue;
          const v = this.local(scope, e.name, { k: 'range', x: r.x, which });
          if (v) this.refs.set(e, { k: 'var', v });
          // Ranging over functions: the element is one of the container's (`for _, opt := range opts`).
          if (v && which === 'value') (v.funcSrcs ??= []).push(r.x);
        }
      } else {
        if (r.key) this.expr(r.key, scope);
        if (r.value) this.expr(r.value, scope);
      }
    }
    this.stmts(s.body, scope.child());
  }

  private switchCase(c: SwitchCase, scope: Scope): void {
    for (const e of c.exprs) this.expr(e, scope);
    this.stmts(c.body, scope);
  }

  private typeSwitch(s: Extract<Stmt, { k: 'typeswitch' }>, scope: Scope): void {
    if (s.init) this.stmt(s.init, scope);
    this.expr(s.x, scope);
    const operand = s.x.k === 'assert' && !s.x.type ? s.x.x : s.x;
    for (const c of s.cases) {
      const inner = scope.child();
      const types = c.types.map((t) => this.index.resolveType(t, scope.file, scope.tparams));
      if (s.bind) this.local(inner, s.bind, { k: 'switch', t: types.length === 1 ? types[0] : undefined, x: operand });
      this.stmts(c.body, inner);
    }
  }

  private selectCase(c: SelectCase, scope: Scope): void {
    if (c.kind === 'send') {
      this.expr(c.ch, scope);
      this.expr(c.value, scope);
    } else if (c.kind === 'recv') {
      this.expr(c.ch, scope);
      c.lhs.forEach((l, i) => {
        if (c.define && l.k === 'id') {
          const v = this.local(scope, l.name, i === 0 ? { k: 'recv', ch: c.ch } : { k: 'type', t: BOOL });
          if (v) this.refs.set(l, { k: 'var', v });
        } else {
          this.expr(l, scope);
        }
      });
    }
    this.stmts(c.body, scope);
  }

  private expr(e: Expr, scope: Scope, mode?: CallMode, expected?: Type): void {
    switch (e.k) {
      case 'id': {
        const b = scope.lookup(e.name);
        if (b) this.refs.set(e, b);
        if (b?.k === 'var' && scope.fn && b.v.fn !== scope.fn) this.capture(scope.fn, b.v);
        break;
      }
      case 'sel':
        this.expr(e.x, scope);
        // An import whose package name we could not guess (`github.com/json-iterator/go` is jsoniter).
        if (e.x.k === 'id' && !this.refs.has(e.x) && scope.file.file.imports.length) this.refs.set(e.x, { k: 'pkg', path: e.x.name });
        break;
      case 'call':
        this.call(e, scope, mode ?? 'call');
        break;
      case 'index':
        this.expr(e.x, scope);
        for (const i of e.index) this.expr(i, scope);
        break;
      case 'slice':
        this.expr(e.x, scope);
        break;
      case 'assert':
        this.expr(e.x, scope);
        if (e.type) this.written.set(e, this.index.resolveType(e.type, scope.file, scope.tparams));
        break;
      case 'unary':
        this.expr(e.x, scope, undefined, e.op === '&' && expected?.k === 'ptr' ? expected.elem : expected);
        break;
      case 'binary':
        this.expr(e.x, scope);
        this.expr(e.y, scope);
        break;
      case 'composite':
        this.composite(e, scope, expected);
        break;
      case 'funclit': {
        const node = this.index.nodesOf(scope.file.file)[e.fn];
        if (node) {
          this.litNodes.set(e, node);
          this.func(node, scope);
        }
        break;
      }
      case 'type': {
        const t = this.index.resolveType(e.type, scope.file, scope.tparams);
        this.written.set(e, t);
        break;
      }
      case 'lit':
      case 'bad':
        break;
    }
  }

  private call(e: CallExpr, scope: Scope, mode: CallMode): void {
    this.expr(e.fn, scope);
    for (const a of e.args) this.expr(a, scope);
    if (e.typeArgs) this.typeArgs.set(e, e.typeArgs.map((t) => this.index.resolveType(t, scope.file, scope.tparams)));
    this.sites.push({ call: e, caller: scope.fn, mode });
    // Values of a named type come into being here: RTA's instantiation sites.
    const b = e.fn.k === 'id' ? this.refs.get(e.fn) : undefined;
    if (b?.k === 'type') this.instantiate(b.t);
    else if (e.fn.k === 'type') this.instantiate(this.written.get(e.fn)!);
    else if (b?.k === 'builtin' && (b.name === 'new' || b.name === 'make') && e.args[0]) {
      const arg = e.args[0];
      const t = arg.k === 'type' ? this.written.get(arg) : arg.k === 'id' ? typeBinding(this.refs.get(arg)) : undefined;
      if (t) this.instantiate(b.name === 'make' ? elemOf(t) : t);
    }
  }

  private composite(e: Extract<Expr, { k: 'composite' }>, scope: Scope, expected: Type | undefined): void {
    const t = e.type ? this.index.resolveType(e.type, scope.file, scope.tparams) : expected;
    if (t) {
      this.written.set(e, t);
      this.instantiate(t);
    }
    const u = t ? this.index.under(deref(t)) : undefined;
    const elemT = u && (u.k === 'slice' || u.k === 'array' || u.k === 'map') ? u.elem : undefined;
    e.elems.forEach((el, index) => {
      this.expr(el.value, scope, undefined, elemT);
      if (u?.k === 'struct' && mayBeFunc(el.value)) {
        this.compositeFuncs.push(el.key === undefined ? { lit: e, index, value: el.value } : { lit: e, key: el.key, index, value: el.value });
      }
    });
  }
}

/** Variable `i` of `a, b := e`: a result of a call, or the value / ok of a comma-ok form. */
function multiDef(e: Expr, i: number): VarDef {
  const commaOk = e.k === 'index' || e.k === 'assert' || (e.k === 'unary' && e.op === '<-');
  return commaOk ? { k: 'expr', e, index: 0, ...(i === 1 ? { ok: true } : {}) } : { k: 'expr', e, index: i };
}

/** Values worth remembering as possible functions: literals, names, selectors, instantiations. */
export function mayBeFunc(e: Expr): boolean {
  return e.k === 'funclit' || e.k === 'id' || e.k === 'sel' || e.k === 'index' || e.k === 'call' || e.k === 'composite';
}

function typeBinding(b: Binding | undefined): Type | undefined {
  return b?.k === 'type' ? b.t : undefined;
}

function elemOf(t: Type): Type {
  return t.k === 'slice' || t.k === 'array' || t.k === 'map' || t.k === 'chan' ? t.elem : t;
}
