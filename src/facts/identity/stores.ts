/**
 * Field stores: "what does the program ever put in this field?" — every `x.f = v` (and `x.f++`), every struct literal's
 * `f: v` (keyed or positional), by field name and the owner type when known, and the fields whose address is
 * taken (`&x.f`: written through a pointer we do not follow). What makes two fields hold two objects: each only
 * ever gets a fresh one.
 */
import type { Expr } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { deref } from '../../resolve/types.js';
import { allStmts, forEachExpr } from '../calls.js';
import { perProgram } from '../perprogram.js';

export interface Store {
  node: FuncNode;
  /** `pkg.Type` of the struct written, when the typer knows it. */
  owner: string | undefined;
  /** Undefined when the value is not one expression (`x.f, err = g()` takes one result of a call). */
  value: Expr | undefined;
  /** Written as the struct is made (`T{f: v}`), not into a struct some code may already hold. */
  made: boolean;
}

export interface FieldStores {
  /** By field name. */
  stores: ReadonlyMap<string, readonly Store[]>;
  /** Names of fields whose address the program takes. */
  addressed: ReadonlySet<string>;
}

/**
 * The stores of the field a field id names (`field:pkg.T.name`): those into a struct of that owner type. None for
 * an id of anything else.
 */
export function storesOfField(graph: CallGraph, id: string): readonly Store[] {
  if (!id.startsWith('field:')) return [];
  const dot = id.lastIndexOf('.');
  const owner = id.slice('field:'.length, dot);
  return (fieldStores(graph).stores.get(id.slice(dot + 1)) ?? []).filter((s) => s.owner === owner);
}

function add(m: Map<string, Store[]>, name: string, s: Store): void {
  const list = m.get(name);
  if (list) list.push(s);
  else m.set(name, [s]);
}

export const fieldStores = perProgram((graph: CallGraph): FieldStores => {
  const stores = new Map<string, Store[]>();
  const addressed = new Set<string>();
  for (const node of graph.funcs) {
    const body = node.decl.body;
    if (!body) continue;
    for (const st of allStmts(body)) {
      if (st.k === 'incdec' && st.x.k === 'sel') {
        const target = graph.storageOf(node, st.x);
        add(stores, st.x.name, { node, owner: target?.kind === 'field' ? target.owner : undefined, value: undefined, made: false });
      }
      if (st.k !== 'assign') continue;
      st.lhs.forEach((l, i) => {
        if (l.k !== 'sel') return;
        const target = graph.storageOf(node, l);
        const owner = target?.kind === 'field' ? target.owner : undefined;
        // `x.f += 1` and `x.f, err = g()` write something that is no single expression we can judge.
        const value = st.op === '=' && st.rhs.length === st.lhs.length ? st.rhs[i] : undefined;
        add(stores, l.name, { node, owner, value, made: false });
      });
    }
    forEachExpr(body, (e) => {
      if (e.k === 'unary' && e.op === '&' && e.x.k === 'sel') addressed.add(e.x.name);
      if (e.k !== 'composite') return;
      const t = deref(graph.typeOf(node, e));
      const u = graph.index.under(t);
      if (u.k !== 'struct') return;
      const owner = t.k === 'named' ? `${t.path}.${t.name}` : undefined;
      e.elems.forEach((el, i) => {
        const name = el.key ?? u.fields[i]?.name;
        if (name !== undefined) add(stores, name, { node, owner, value: el.value, made: true });
      });
    });
  }
  return { stores, addressed };
});

/** The text of what a store writes, to tell one value stored in two fields (`t := New(); s.a = t; s.b = t`). */
export function storedKey(s: Store): string | undefined {
  return s.value && exprKey(s.value) !== undefined ? `${s.node.id}\0${exprKey(s.value)}` : undefined;
}
