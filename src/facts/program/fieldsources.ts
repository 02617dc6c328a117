/**
 * Field sources: "which values can this field of this object hold?" — for `s.ctx` (or `s.Ctx` promoted from an
 * embedded `BaseServer`), the expressions every way of filling it reads: the struct literals of the object's type
 * that set it (`&grpcServer{BaseServer: base}`), followed into an embedded value a constructor of the program
 * builds (`base := NewBaseServer(ctx, ...)`, whose every return is a `BaseServer{Ctx: ctx}` literal: the argument
 * passed for `ctx` at that call), and every assignment to the field anywhere (`x.Ctx = other`). Asked by
 * processctx.ts of a context a server keeps in a field from its constructor on.
 *
 * Undefined where the program may fill it out of sight: its address taken (`&s.ctx`), a store whose owner type is
 * not known, an embedded value not built by such a constructor, or a value assigned among others (`s.ctx, err = f()`).
 */
import type { Expr } from '../../ir.js';
import { storageKey, type Storage } from '../../resolve/bindings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { deref, type Type } from '../../resolve/types.js';
import { allStmts } from '../calls.js';
import { fieldStores, type Store } from '../identity/stores.js';

/** One value the field may hold: an expression, as written in the function that reads it. */
export interface FieldSource {
  node: FuncNode;
  value: Expr;
}

/** How many embedded structs down a promoted field is looked for. */
const MAX_EMBED = 3;

/** The values the field `e` (a selector, in fn) may hold; undefined when some way of filling it is out of sight. */
export function fieldSources(graph: CallGraph, fn: FuncNode, e: Expr): FieldSource[] | undefined {
  if (e.k !== 'sel') return undefined;
  const t = deref(graph.typeOf(fn, e.x));
  const chain = t.k === 'named' ? fieldChain(graph, t, e.name, 0) : undefined;
  return chain && t.k === 'named' ? sourcesOf(graph, `${t.path}.${t.name}`, chain) : undefined;
}

/** The fields from type t down to `name`: `['Ctx']`, or `['BaseServer', 'Ctx']` when promoted from an embedded struct. */
function fieldChain(graph: CallGraph, t: Type, name: string, depth: number): string[] | undefined {
  const u = graph.index.under(t);
  if (u.k !== 'struct' || depth > MAX_EMBED) return undefined;
  if (u.fields.some((f) => f.name === name)) return [name];
  for (const f of u.fields) {
    if (!f.embedded) continue;
    const rest = fieldChain(graph, deref(f.type), name, depth + 1);
    if (rest) return [f.name, ...rest];
  }
  return undefined;
}

/** The values field chain[0] of an object of type `owner` may hold, followed down the rest of the chain. */
function sourcesOf(graph: CallGraph, owner: string, chain: string[]): FieldSource[] | undefined {
  const { stores, addressed } = fieldStores(graph);
  const [field, ...rest] = chain;
  if (addressed.has(field!)) return undefined;
  const all = stores.get(field!) ?? [];
  if (all.some((s) => s.owner === undefined)) return undefined;
  const mine = all.filter((s) => s.owner === owner);
  if (mine.length === 0) return undefined;
  const out: FieldSource[] = [];
  for (const s of mine) {
    if (!s.value) return undefined;
    const got = rest.length === 0 ? [{ node: s.node, value: s.value }] : within(graph, s, rest);
    if (!got) return undefined;
    out.push(...got);
  }
  return out;
}

/**
 * The values the field chain `rest` holds inside the embedded value a store writes: set in a literal written there,
 * or in the literal a constructor of the program returns (its parameter read at the call), and by any assignment to
 * that field anywhere.
 */
function within(graph: CallGraph, s: Store, rest: string[]): FieldSource[] | undefined {
  const value = s.value!.k === 'unary' && s.value!.op === '&' ? s.value!.x : s.value!;
  const t = deref(graph.typeOf(s.node, value));
  if (t.k !== 'named' || rest.length !== 1) return undefined;
  const owner = `${t.path}.${t.name}`;
  const field = rest[0]!;
  // Stores after construction, into any object of the embedded type.
  const later = (fieldStores(graph).stores.get(field) ?? []).filter((x) => x.owner === owner && !x.made);
  if (later.some((x) => !x.value)) return undefined;
  const built = builtBy(graph, s.node, value, field);
  return built && [...built, ...later.map((x) => ({ node: x.node, value: x.value! }))];
}

/** What `field` is set to in the struct `value` is: its literal's element, or the element of a constructor's literals. */
function builtBy(graph: CallGraph, node: FuncNode, value: Expr, field: string): FieldSource[] | undefined {
  const literal = elementOf(graph, node, value, field);
  if (literal) return [{ node, value: literal }];
  const local = value.k === 'id' ? graph.storageOf(node, value) : undefined;
  const v = local?.kind === 'local' ? graph.locals(node).find((l) => l.storage.name === local.name) : undefined;
  const call = v?.def.k === 'expr' && v.def.index === 0 && v.def.e.k === 'call' ? v.def.e : value.k === 'call' ? value : undefined;
  if (!call || call.spread || (local && reassigned(graph, node, local, call))) return undefined;
  const info = graph.callInfo(call);
  const callee = info.kind === 'resolved' && info.targets.length === 1 ? info.targets[0]!.callee : undefined;
  if (!callee?.decl.body) return undefined;
  const out: FieldSource[] = [];
  for (const st of allStmts(callee.decl.body)) {
    if (st.k !== 'return') continue;
    const ret = st.values.length === 1 ? st.values[0]! : undefined;
    const el = ret && elementOf(graph, callee, ret.k === 'unary' && ret.op === '&' ? ret.x : ret, field);
    if (!el) return undefined;
    // The constructor's parameter, as the caller passed it.
    const p = el.k === 'id' ? graph.storageOf(callee, el) : undefined;
    const arg = p?.kind === 'param' && p.fn === callee.id && p.index >= 0 ? call.args[p.index] : undefined;
    out.push(arg ? { node, value: arg } : { node: callee, value: el });
  }
  return out.length > 0 ? out : undefined;
}

/** The element a struct literal sets `field` to (keyed or positional). */
function elementOf(graph: CallGraph, node: FuncNode, e: Expr, field: string): Expr | undefined {
  if (e.k !== 'composite') return undefined;
  const u = graph.index.under(deref(graph.typeOf(node, e)));
  if (u.k !== 'struct') return undefined;
  return e.elems.find((el, i) => (el.key ?? u.fields[i]?.name) === field)?.value;
}

/** Whether a local is assigned anywhere but where it is declared (`def`, the value it is declared with). */
function reassigned(graph: CallGraph, node: FuncNode, s: Storage, def: Expr): boolean {
  const key = storageKey(s);
  return allStmts(node.decl.body ?? []).some(
    (st) => st.k === 'assign' && !st.rhs.includes(def) && st.lhs.some((l) => l.k === 'id' && storageKey(graph.storageOf(node, l) ?? s) === key && graph.storageOf(node, l) !== undefined),
  );
}
