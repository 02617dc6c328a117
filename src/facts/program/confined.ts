/**
 * Confined types: "can anything but a call by name in the program run a method of this unexported type?"
 * Code outside the program calls an exported method of an unexported type only on a value that gets there:
 * handed out by the package's exported API (a function's result or parameter, a field, a variable, an alias
 * whose type names the type), or as an interface; an interface call (the program's or a library's) runs it
 * only on a value stored as one. A type embedded in another lends its methods to that one. When no value of
 * the type goes any of those ways (none is returned, passed, assigned, stored, sent or converted where an
 * interface, `any` or a type parameter is expected, nor handed to a call the engine cannot type), its methods
 * run only where the program calls them by name: the call graph sees every such call (reached.ts).
 */
import type { Expr, FileSummary, TypeExpr } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Type } from '../../resolve/types.js';
import { allStmts, forEachExpr } from '../calls.js';
import { perProgram } from '../perprogram.js';

const BLANK: Type = { k: 'basic', name: '_' };

const exported = (name: string | undefined) => name !== undefined && /^\p{Lu}/u.test(name);

/** Whether a type as written names the package's own type `name`. */
function mentions(te: TypeExpr, name: string): boolean {
  switch (te.k) {
    case 'name':
      return (te.pkg === undefined && te.name === name) || (te.args ?? []).some((a) => mentions(a, name));
    case 'ptr':
    case 'slice':
    case 'array':
    case 'chan':
      return mentions(te.elem, name);
    case 'map':
      return mentions(te.key, name) || mentions(te.elem, name);
    case 'func':
      return [...te.params, ...te.results].some((p) => mentions(p.type, name));
    case 'struct':
      return te.fields.some((f) => mentions(f.type, name));
    case 'iface':
      return te.methods.some((m) => [...m.params, ...m.results].some((p) => mentions(p.type, name))) || te.embeds.some((e) => mentions(e, name));
    default:
      return false;
  }
}

/** Every struct type written inside a type, itself included. */
function structsIn(te: TypeExpr, out: Extract<TypeExpr, { k: 'struct' }>[] = []): Extract<TypeExpr, { k: 'struct' }>[] {
  if (te.k === 'struct') {
    out.push(te);
    for (const f of te.fields) structsIn(f.type, out);
  } else if (te.k === 'ptr' || te.k === 'slice' || te.k === 'array' || te.k === 'chan') structsIn(te.elem, out);
  else if (te.k === 'map') [te.key, te.elem].forEach((t) => structsIn(t, out));
  return out;
}

/** A package-level value made of the type, as written: `T{}`, `&T{}`, or a call of a function of the package returning one. */
function makes(files: readonly FileSummary[], e: Expr, name: string): boolean {
  const x = e.k === 'unary' && e.op === '&' ? e.x : e;
  if (x.k === 'composite') return x.type !== undefined && mentions(x.type, name);
  // Another package's function cannot name the type: only one of this package's can return it.
  if (x.k !== 'call' || x.fn.k !== 'id') return false;
  const fnName = x.fn.name;
  return files.some((f) => f.funcs.some((d) => d.name === fnName && !d.recv && d.results.some((r) => mentions(r.type, name))));
}

/** Whether the package's declarations hand the type out, alias it, embed it, or store it as a package-level value of another type. */
function declaredOut(files: readonly FileSummary[], name: string): boolean {
  for (const file of files) {
    for (const t of file.types) {
      if (t.alias && mentions(t.type, name)) return true;
      if (exported(t.name) && t.type.k !== 'struct' && mentions(t.type, name)) return true;
      for (const s of structsIn(t.type)) {
        for (const f of s.fields) {
          const base = f.type.k === 'ptr' ? f.type.elem : f.type;
          if (f.embedded && base.k === 'name' && base.pkg === undefined && base.name === name) return true;
          if (exported(f.name ?? (base.k === 'name' ? base.name : undefined)) && mentions(f.type, name)) return true;
        }
      }
    }
    for (const v of file.values) {
      const typed = v.type !== undefined && mentions(v.type, name);
      if (typed && v.names.some(exported)) return true;
      // `var current any = &state{}` (or untyped, which the engine does not type here): no function body shows it.
      if (!typed && v.values.some((x) => makes(files, x, name))) return true;
    }
    for (const fn of file.funcs) {
      if (fn.parent !== undefined || !exported(fn.name)) continue;
      if ([...fn.params, ...fn.results].some((p) => mentions(p.type, name))) return true;
    }
  }
  return false;
}

export class Confined {
  private readonly known = new Map<string, boolean>();
  private byPackage: Map<string, FuncNode[]> | undefined;

  constructor(private readonly graph: CallGraph) {}

  /** The functions (literals too) of a package. */
  private funcsOf(path: string): FuncNode[] {
    if (!this.byPackage) {
      this.byPackage = new Map();
      for (const n of this.graph.funcs) {
        const list = this.byPackage.get(n.pkg.importPath);
        if (list) list.push(n);
        else this.byPackage.set(n.pkg.importPath, [n]);
      }
    }
    return this.byPackage.get(path) ?? [];
  }

  /** Whether the unexported type `name` of package `path` is confined (see the header). */
  confined(path: string, name: string): boolean {
    const key = `${path}.${name}`;
    let got = this.known.get(key);
    if (got === undefined) {
      const nodes = this.funcsOf(path);
      const files = nodes[0]?.pkg.files ?? [];
      got = !exported(name) && !declaredOut(files, name) && !nodes.some((n) => this.escapesIn(n, path, name));
      this.known.set(key, got);
    }
    return got;
  }

  /** Whether a type holds values of the type: it, a pointer to it, or a container or unnamed struct of them. */
  private holds(t: Type, path: string, name: string, depth = 0): boolean {
    if (depth > 4) return true;
    const h = (x: Type) => this.holds(x, path, name, depth + 1);
    switch (t.k) {
      case 'named':
        return t.path === path && t.name === name;
      case 'ptr':
      case 'slice':
      case 'array':
      case 'chan':
        return h(t.elem);
      case 'map':
        return h(t.key) || h(t.elem);
      case 'struct':
        return t.fields.some((f) => h(f.type));
      case 'tuple':
        return t.elems.some(h);
      default:
        return false;
    }
  }

  /** A destination a value loses its type in: an interface, a type parameter, or one the engine cannot type. */
  private erases(t: Type | undefined): boolean {
    if (t === undefined) return true;
    const u = this.graph.index.under(t);
    return u.k === 'iface' || u.k === 'tparam' || u.k === 'unknown' || t.k === 'tparam';
  }

  /** Whether `fn`'s body lets a value of the type into an interface (or a destination it cannot type). */
  private escapesIn(fn: FuncNode, path: string, name: string): boolean {
    const { graph } = this;
    const typeOf = (e: Expr) => graph.typeOf(fn, e);
    const holds = (e: Expr) => this.holds(typeOf(e), path, name);
    const flows = (src: Expr, dest: Type | undefined) => holds(src) && this.erases(dest);
    // One multi-valued source spread over several destinations: `x, err = load()`, `return load()`.
    const spread = (src: Expr, dests: (Type | undefined)[]) => {
      const t = typeOf(src);
      const elems = t.k === 'tuple' ? t.elems : [t];
      return elems.some((e, i) => this.holds(e, path, name) && this.erases(dests[i]));
    };
    const scope = graph.index.scopeOf(fn.file);
    const resolve = (te: TypeExpr) => graph.index.resolveType(te, scope);
    const body = fn.decl.body ?? [];
    for (const st of allStmts(body)) {
      if (st.k === 'assign' && st.op === '=') {
        // `_ = v` keeps nothing.
        const dests = st.lhs.map((l) => (l.k === 'id' && l.name === '_' ? BLANK : typeOf(l)));
        if (st.lhs.length === st.rhs.length ? st.rhs.some((r, i) => flows(r, dests[i])) : st.rhs.length === 1 && spread(st.rhs[0]!, dests)) return true;
      }
      if (st.k === 'var' && st.type && st.values.some((v) => flows(v, resolve(st.type!)))) return true;
      if (st.k === 'return' && st.values.length > 0) {
        const dests = fn.decl.results.map((r) => resolve(r.type));
        if (st.values.length === dests.length ? st.values.some((v, i) => flows(v, dests[i])) : spread(st.values[0]!, dests)) return true;
      }
      // `for _, v = range ts` into variables declared elsewhere.
      if (st.k === 'for' && st.range && !st.range.define && holds(st.range.x) && [st.range.key, st.range.value].some((v) => v && this.erases(typeOf(v)))) return true;
      if (st.k === 'send') {
        const ch = graph.index.under(typeOf(st.ch));
        if (flows(st.value, ch.k === 'chan' ? ch.elem : undefined)) return true;
      }
    }
    let out = false;
    forEachExpr(body, (e) => {
      if (out) return;
      if (e.k === 'call') out = this.callLets(fn, e, flows);
      else if (e.k === 'composite') {
        const u = graph.index.under(typeOf(e));
        out = e.elems.some((el, i) => {
          if (u.k === 'struct') return flows(el.value, (el.key !== undefined ? u.fields.find((f) => f.name === el.key) : u.fields[i])?.type);
          return flows(el.value, u.k === 'map' || u.k === 'slice' || u.k === 'array' ? u.elem : undefined);
        });
      }
    });
    return out;
  }

  /** Whether a call hands a value of the type to a parameter (or a conversion) that erases it. */
  private callLets(fn: FuncNode, call: Extract<Expr, { k: 'call' }>, flows: (src: Expr, dest: Type | undefined) => boolean): boolean {
    const { graph } = this;
    const info = graph.callInfo(call);
    if (info.kind === 'builtin') {
      if (info.name === 'append' && call.args.length > 1 && !call.spread) {
        const s = graph.index.under(graph.typeOf(fn, call.args[0]!));
        return call.args.slice(1).some((a) => flows(a, s.k === 'slice' ? s.elem : undefined));
      }
      return ['panic', 'print', 'println'].includes(info.name) && call.args.some((a) => flows(a, undefined));
    }
    const ft = graph.index.under(graph.typeOf(fn, call.fn));
    // Not a function: a conversion, `any(v)`, whose type is the call's.
    if (ft.k !== 'func') return call.args.some((a) => flows(a, graph.typeOf(fn, call)));
    return call.args.some((a, i) => {
      const last = ft.params.length - 1;
      if (!ft.variadic || i < last || call.spread) return flows(a, ft.params[Math.min(i, last)]);
      const v = graph.index.under(ft.params[last]!);
      return flows(a, v.k === 'slice' ? v.elem : undefined);
    });
  }
}

/** The confined types of a program, worked out per type on first ask. */
export const confinedOf = perProgram((graph: CallGraph) => new Confined(graph));
