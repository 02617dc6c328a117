/**
 * Locals that hold one constant: "is this argument a constant under another name?" — `isDelta := false` (or
 * `var mode = modeFull`), never written again: not by an assignment, an `++`, a loop's or a receive's binding, nor
 * through its address, in the function that declares it or a closure of it. Passed to a callee, it decides the
 * callee's branches on it as the constant itself would (`removeDevice(ctx, list, false)`).
 */
import type { Expr } from '../../ir.js';
import type { Storage } from '../../resolve/bindings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, literalsOf } from '../calls.js';
import { perProgram } from '../perprogram.js';

type Local = Extract<Storage, { kind: 'local' }>;

/** Per program: the constant each local asked about holds, or null when it may hold anything else. */
const known = perProgram((_graph: CallGraph) => new Map<string, string | null>());

/** The constant `e` denotes in fn: a constant written there (CallGraph.constantOf), or a local that only ever holds one. */
export function constantValue(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
  const c = graph.constantOf(fn, e);
  if (c !== undefined || e.k !== 'id') return c;
  const s = graph.storageOf(fn, e);
  if (s?.kind !== 'local') return undefined;
  const memo = known(graph);
  const key = `${s.fn}\0${s.name}`;
  let value = memo.get(key);
  if (value === undefined) memo.set(key, (value = onlyConstant(graph, s) ?? null));
  return value ?? undefined;
}

/** The one constant every write of the local gives it, if every write is in sight and gives that one. */
function onlyConstant(graph: CallGraph, s: Local): string | undefined {
  const decl = graph.byId.get(s.fn);
  if (!decl) return undefined;
  const same = (fn: FuncNode, e: Expr | undefined) => {
    const t = e?.k === 'id' ? graph.storageOf(fn, e) : undefined;
    return t?.kind === 'local' && t.fn === s.fn && t.name === s.name;
  };
  let value: string | undefined;
  // Each value written must be a constant, the same one each time.
  const write = (fn: FuncNode, e: Expr | undefined): boolean => {
    const c = e && graph.constantOf(fn, e);
    if (c === undefined || (value !== undefined && value !== c)) return false;
    value = c;
    return true;
  };
  for (const fn of [decl, ...literalsOf(decl, graph).values()]) {
    const body = fn.decl.body ?? [];
    let lent = false;
    forEachExpr(body, (x) => {
      lent ||= x.k === 'unary' && x.op === '&' && same(fn, x.x);
    });
    if (lent) return undefined;
    for (const st of allStmts(body)) {
      const binds = st.k === 'for' ? [st.range?.key, st.range?.value] : st.k === 'select' ? st.cases.flatMap((c) => (c.kind === 'recv' ? c.lhs : [])) : [];
      if (binds.some((b) => same(fn, b)) || (st.k === 'incdec' && same(fn, st.x))) return undefined;
      if (st.k === 'var') {
        // A `var` names no storage: a declaration of the name may be this local; without a value it holds the zero value.
        const i = st.names.findIndex((n) => s.name === n || s.name.startsWith(`${n}'`));
        if (i !== -1 && fn === decl && !write(fn, st.values[i])) return undefined;
      }
      if (st.k !== 'assign') continue;
      const i = st.lhs.findIndex((l) => same(fn, l));
      if (i === -1) continue;
      if (st.lhs.length !== st.rhs.length || (st.op !== '=' && st.op !== ':=') || !write(fn, st.rhs[i])) return undefined;
    }
  }
  return value;
}
