import type { Expr } from '../ir.js';
import type { FuncNode, GlobalVar, ProgramIndex } from '../index/index.js';
import type { Binding, VarInfo } from './bindings.js';
import { externalMethodName, knownFunc, stdlibFunc } from './external.js';
import { SideTable } from './side.js';
import { BOOL, EMPTY_IFACE, INT, STRING, someTypeIn, substitute, unify, UNKNOWN, type Type } from './types.js';
import type { Binder } from './walk.js';

const RECURSIVE = UNKNOWN('recursive definition');

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||']);

/**
 * The light type inference: the type of an expression from the bindings phase one recorded.
 * Lazy and memoized per expression object, so only the expressions calls depend on are typed.
 * `unknown` carries a short reason, which becomes the reason of an unresolved call.
 */
export class Typer {
  private readonly memo = new SideTable<Expr, Type>();
  private readonly globals = new Map<GlobalVar, Type>();
  private readonly busy = new Set<object>();

  constructor(
    private readonly index: ProgramIndex,
    private readonly b: Binder,
  ) {}

  typeOf(e: Expr): Type {
    const m = this.memo.get(e);
    if (m) return m;
    // Seen again while being computed: a definition in terms of itself.
    this.memo.set(e, RECURSIVE);
    const t = this.compute(e);
    this.memo.set(e, t);
    return t;
  }

  /**
   * The type an expression denotes when it is used as a type: `T`, `pkg.T`, `*T`, `List[int]`. A member of a
   * package outside the checkout may be a type or a function, which its source (that we do not have) would tell;
   * `external` says the position admits only a type (`new(pkg.T)`), so that member is the type named there.
   */
  typeDenoted(e: Expr, external = false): Type | undefined {
    switch (e.k) {
      case 'type':
        return this.b.written.get(e);
      case 'id': {
        const r = this.b.refs.get(e);
        return r?.k === 'type' ? r.t : undefined;
      }
      case 'sel': {
        const path = this.pkgOf(e.x);
        if (path === undefined) return undefined;
        const pkg = this.index.packages.get(path);
        if (!pkg) return external ? { k: 'named', path, name: e.name } : undefined;
        const m = pkg.members.get(e.name);
        if (m?.k === 'type') return this.index.resolveType({ k: 'name', name: e.name }, this.index.scopeOf(m.info.file));
        return undefined;
      }
      case 'unary': {
        const inner = e.op === '*' ? this.typeDenoted(e.x, external) : undefined;
        return inner && { k: 'ptr', elem: inner };
      }
      case 'index': {
        const base = this.typeDenoted(e.x, external);
        if (base?.k !== 'named') return undefined;
        return { ...base, args: e.index.map((i) => this.typeDenoted(i) ?? UNKNOWN('type argument')) };
      }
      default:
        return undefined;
    }
  }

  /**
   * The type a call converts to, when the call is a conversion: `T(x)`, `pkg.T(x)`, `(*T)(x)`, `[]byte(s)`. A
   * called `(*pkg.X)` is a conversion also when the package is outside the checkout: the `*` makes `pkg.X` a type
   * (the other reading, a pointer to a function dereferenced and called, is not how Go is written).
   */
  conversionType(fn: Expr): Type | undefined {
    return this.typeDenoted(fn, fn.k === 'unary' && fn.op === '*');
  }

  /** The import path when `e` names an imported package. */
  pkgOf(e: Expr): string | undefined {
    if (e.k !== 'id') return undefined;
    const r = this.b.refs.get(e);
    return r?.k === 'pkg' ? r.path : undefined;
  }

  varType(v: VarInfo): Type {
    if (v.type) return v.type;
    if (this.busy.has(v)) return UNKNOWN('recursive definition');
    this.busy.add(v);
    const d = v.def;
    let t: Type;
    switch (d.k) {
      case 'type':
        t = d.t;
        break;
      case 'expr':
        t = d.ok ? BOOL : this.pick(this.typeOf(d.e), d.index);
        break;
      case 'range':
        t = this.rangeType(this.index.under(this.typeOf(d.x)), d.which);
        break;
      case 'recv': {
        const u = this.index.under(this.typeOf(d.ch));
        t = u.k === 'chan' ? u.elem : UNKNOWN('receive from a non-channel');
        break;
      }
      case 'switch':
        t = d.t && !(d.t.k === 'unknown' && d.t.why === 'unknown type nil') ? d.t : this.typeOf(d.x);
        break;
    }
    this.busy.delete(v);
    v.type = t;
    return t;
  }

  globalType(g: GlobalVar): Type {
    const m = this.globals.get(g);
    if (m) return m;
    if (this.busy.has(g)) return UNKNOWN('recursive definition');
    this.busy.add(g);
    const d = g.decl;
    let t: Type;
    if (d.type) t = this.index.resolveType(d.type, this.index.scopeOf(g.file));
    else if (d.values.length === d.names.length) t = this.typeOf(d.values[g.index]!);
    else if (d.values.length === 1) t = this.pick(this.typeOf(d.values[0]!), g.index);
    else t = UNKNOWN(d.isConst ? 'constant' : 'global without initializer');
    this.busy.delete(g);
    this.globals.set(g, t);
    return t;
  }

  private pick(t: Type, index: number): Type {
    if (t.k === 'unknown') return t;
    if (t.k === 'tuple') return t.elems[index] ?? UNKNOWN('too few results');
    return index === 0 ? t : UNKNOWN('too few results');
  }

  private rangeType(u: Type, which: 'key' | 'value'): Type {
    if (u.k === 'ptr') u = this.index.under(u.elem);
    switch (u.k) {
      case 'map':
        return which === 'key' ? u.key : u.elem;
      case 'slice':
      case 'array':
        return which === 'key' ? INT : u.elem;
      case 'chan':
        return which === 'key' ? u.elem : UNKNOWN('range over a channel has one variable');
      case 'basic':
        return u.name === 'string' ? (which === 'key' ? INT : { k: 'basic', name: 'int32' }) : u;
      case 'func': {
        // Range-over-func: the variables are the yield callback's parameters.
        const yieldT = u.params[0] && this.index.under(u.params[0]);
        const params = yieldT?.k === 'func' ? yieldT.params : [];
        return params[which === 'key' ? 0 : 1] ?? UNKNOWN('range over a function without that variable');
      }
      default:
        return u.k === 'unknown' ? u : UNKNOWN('range over an unknown type');
    }
  }

  bindingType(r: Binding): Type {
    switch (r.k) {
      case 'var':
        return this.varType(r.v);
      case 'global':
        return this.globalType(r.g);
      case 'func':
        return this.index.signature(r.node);
      case 'const':
        return r.t;
      case 'type':
        return r.t;
      case 'pkg':
        return UNKNOWN('package name');
      case 'builtin':
        return UNKNOWN('builtin');
    }
  }

  private compute(e: Expr): Type {
    switch (e.k) {
      case 'id': {
        const r = this.b.refs.get(e);
        return r ? this.bindingType(r) : UNKNOWN('unknown identifier');
      }
      case 'sel':
        return this.selType(e);
      case 'call':
        return this.callType(e);
      case 'index':
        return this.indexType(e);
      case 'slice': {
        // Slicing an array (or a pointer to one) gives a slice; strings and slices keep their type.
        const t = this.typeOf(e.x);
        let u = this.index.under(t);
        if (u.k === 'ptr') u = this.index.under(u.elem);
        return u.k === 'array' ? { k: 'slice', elem: u.elem } : t;
      }
      case 'assert':
        return this.b.written.get(e) ?? this.typeOf(e.x);
      case 'unary':
        return this.unaryType(e);
      case 'binary': {
        if (COMPARISONS.has(e.op)) return BOOL;
        const x = this.typeOf(e.x);
        return x.k === 'unknown' || (x.k === 'basic' && e.op !== '<<' && e.op !== '>>') ? this.typeOf(e.y) : x;
      }
      case 'composite':
        return this.b.written.get(e) ?? UNKNOWN('untyped composite literal');
      case 'funclit': {
        const node = this.b.litNodes.get(e);
        return node ? this.index.signature(node) : UNKNOWN('function literal');
      }
      case 'lit':
        return e.kind === 'string' ? STRING : e.kind === 'int' || e.kind === 'iota' ? INT : e.kind === 'true' || e.kind === 'false' ? BOOL : e.kind === 'nil' ? UNKNOWN('nil') : { k: 'basic', name: e.kind === 'rune' ? 'int32' : e.kind === 'float' ? 'float64' : 'complex128' };
      case 'type':
        return this.b.written.get(e) ?? UNKNOWN('type');
      case 'bad':
        return UNKNOWN('syntax error');
    }
  }

  private selType(e: Extract<Expr, { k: 'sel' }>): Type {
    const path = this.pkgOf(e.x);
    if (path !== undefined) {
      const m = this.index.packages.get(path)?.members.get(e.name);
      if (!m) return this.index.packages.has(path) ? UNKNOWN('unknown package member') : (stdlibFunc(path, e.name) ?? UNKNOWN('external package member'));
      if (m.k === 'func') return this.index.signature(m.node);
      if (m.k === 'var') return this.globalType(m.g);
      return this.typeDenoted(e) ?? UNKNOWN('type');
    }
    const recvType = this.typeDenoted(e.x);
    if (recvType) {
      // A method expression `T.M`: the method with its receiver as first parameter.
      const s = this.index.select(recvType, e.name);
      if (s?.k !== 'method') return UNKNOWN('method expression');
      const sig = this.methodSig(s.method.node, this.index.recvSubst(s.method, s.recv));
      return { ...sig, params: [recvType, ...sig.params] };
    }
    const x = this.typeOf(e.x);
    if (x.k === 'unknown') return x;
    const s = this.index.select(x, e.name);
    if (!s) return UNKNOWN('no such field or method');
    switch (s.k) {
      case 'field':
        return s.field.type;
      case 'method':
        return this.methodSig(s.method.node, this.index.recvSubst(s.method, s.recv));
      case 'iface':
        return s.method.sig;
      case 'external':
        return knownFunc(externalMethodName(s.recv, x, e.name)) ?? UNKNOWN('member of an external type');
    }
  }

  private methodSig(node: Parameters<ProgramIndex['signature']>[0], subst: Map<string, Type>): Extract<Type, { k: 'func' }> {
    return substitute(this.index.signature(node), subst) as Extract<Type, { k: 'func' }>;
  }

  private callType(e: Extract<Expr, { k: 'call' }>): Type {
    const fnRef = e.fn.k === 'id' ? this.b.refs.get(e.fn) : undefined;
    if (fnRef?.k === 'builtin') return this.builtinType(fnRef.name, e);
    const conv = this.conversionType(e.fn);
    if (conv) return conv;
    const ft = this.typeOf(e.fn);
    const u = this.index.under(ft);
    if (u.k !== 'func') return ft.k === 'unknown' ? ft : UNKNOWN('call of a non-function');
    let results = u.results;
    if (results.some(hasTypeParam)) {
      const subst = new Map<string, Type>();
      const decl = this.calleeDecl(e.fn);
      this.b.typeArgs.get(e)?.forEach((t, i) => {
        const name = decl?.typeParams[i]?.name;
        if (name) subst.set(name, t);
      });
      u.params.forEach((p, i) => e.args[i] && unify(p, this.typeOf(e.args[i]!), subst));
      results = results.map((r) => substitute(r, subst));
    }
    if (results.length === 0) return UNKNOWN('call without results');
    return results.length === 1 ? results[0]! : { k: 'tuple', elems: results };
  }

  private calleeNode(fn: Expr): FuncNode | undefined {
    if (fn.k === 'id') {
      const r = this.b.refs.get(fn);
      return r?.k === 'func' ? r.node : undefined;
    }
    if (fn.k === 'sel') {
      const path = this.pkgOf(fn.x);
      const m = path === undefined ? undefined : this.index.packages.get(path)?.members.get(fn.name);
      return m?.k === 'func' ? m.node : undefined;
    }
    if (fn.k === 'index') return this.calleeNode(fn.x);
    return undefined;
  }

  private calleeDecl(fn: Expr) {
    return this.calleeNode(fn)?.decl;
  }

  private builtinType(name: string, e: Extract<Expr, { k: 'call' }>): Type {
    const arg = e.args[0];
    switch (name) {
      case 'new': {
        const t = arg && (this.typeDenoted(arg, true) ?? UNKNOWN('new of an unknown type'));
        return t ? { k: 'ptr', elem: t } : UNKNOWN('new without a type');
      }
      case 'make':
        return (arg && this.typeDenoted(arg, true)) ?? UNKNOWN('make of an unknown type');
      case 'append':
      case 'min':
      case 'max':
        return arg ? this.typeOf(arg) : UNKNOWN('no arguments');
      case 'len':
      case 'cap':
      case 'copy':
        return INT;
      case 'recover':
        return EMPTY_IFACE;
      case 'real':
      case 'imag':
        return { k: 'basic', name: 'float64' };
      case 'complex':
        return { k: 'basic', name: 'complex128' };
      default:
        return UNKNOWN('call without results');
    }
  }

  private indexType(e: Extract<Expr, { k: 'index' }>): Type {
    const node = this.calleeNode(e.x);
    if (node) {
      // `F[int]`: an instantiated generic function.
      const subst = new Map<string, Type>();
      node.decl.typeParams.forEach((tp, i) => {
        const arg = e.index[i];
        const t = arg && this.typeDenoted(arg);
        if (t) subst.set(tp.name, t);
      });
      return substitute(this.index.signature(node), subst);
    }
    const denoted = this.typeDenoted(e);
    if (denoted) return denoted;
    const x = this.typeOf(e.x);
    let u = this.index.under(x);
    if (u.k === 'ptr') u = this.index.under(u.elem);
    switch (u.k) {
      case 'map':
      case 'slice':
      case 'array':
        return u.elem;
      case 'basic':
        return u.name === 'string' ? { k: 'basic', name: 'uint8' } : UNKNOWN('index of a non-container');
      default:
        return x.k === 'unknown' ? x : UNKNOWN('index of a non-container');
    }
  }

  private unaryType(e: Extract<Expr, { k: 'unary' }>): Type {
    switch (e.op) {
      case '&':
        return { k: 'ptr', elem: this.typeOf(e.x) };
      case '*': {
        const denoted = this.typeDenoted(e);
        if (denoted) return denoted;
        const x = this.typeOf(e.x);
        const u = this.index.under(x);
        return u.k === 'ptr' ? u.elem : x.k === 'unknown' ? x : UNKNOWN('dereference of a non-pointer');
      }
      case '<-': {
        const u = this.index.under(this.typeOf(e.x));
        return u.k === 'chan' ? u.elem : UNKNOWN('receive from a non-channel');
      }
      case '!':
        return BOOL;
      default:
        return this.typeOf(e.x);
    }
  }
}

const isTypeParam = (t: Type) => t.k === 'tparam';

function hasTypeParam(t: Type): boolean {
  return someTypeIn(t, isTypeParam);
}
