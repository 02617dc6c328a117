/**
 * A weighted semaphore acquired to the full weight it was made with (`sem := semaphore.NewWeighted(n)`, then
 * `sem.Acquire(context.Background(), n)`) returns only once every holder has released: a goroutine that holds
 * a unit and releases it in a defer after its sends has sent by then, as a WaitGroup's Wait comes after every
 * Done. Only with a context that never ends (a cancelled one returns early, holding nothing), and only when the
 * weight asked is the one the semaphore was made with (the same constant or the same variable).
 */
import type { Expr } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import type { Storage } from '../resolve/bindings.js';
import { allStmts, libraryName, type CallExpr } from './calls.js';

/** The method whose call may be a drain. */
export const ACQUIRE = 'Acquire';
const NEW_WEIGHTED_RE = /semaphore\.NewWeighted$/;

/** `context.Background()` or `context.TODO()`: a context nothing cancels. */
function endless(e: Expr): boolean {
  return e.k === 'call' && e.args.length === 0 && e.fn.k === 'sel' && e.fn.x.k === 'id' && e.fn.x.name === 'context' && /^(Background|TODO)$/.test(e.fn.name);
}

/** A local or parameter as a key: its declaring function and name (or place). */
function localKey(s: Storage | undefined): string | undefined {
  return s?.kind === 'local' ? `local:${s.fn}:${s.name}` : s?.kind === 'param' ? `param:${s.fn}:${s.index}` : undefined;
}

function sameLocal(a: Storage | undefined, b: Storage | undefined): boolean {
  const key = localKey(a);
  return key !== undefined && key === localKey(b);
}

/** The weight the semaphore in local `sem` is made with, when `node` or a function it is nested in assigns it once. */
function madeWith(graph: CallGraph, node: FuncNode, sem: Storage): { fn: FuncNode; weight: Expr } | undefined {
  let made: { fn: FuncNode; weight: Expr } | undefined;
  let assigned = 0;
  for (let fn: FuncNode | undefined = node; fn; fn = fn.decl.parent === undefined ? undefined : graph.nodeOf(fn.file, fn.file.funcs[fn.decl.parent]!)) {
    const holder = fn;
    for (const st of allStmts(holder.decl.body ?? [])) {
      if (st.k !== 'assign') continue;
      st.lhs.forEach((l, i) => {
        if (!sameLocal(graph.storageOf(holder, l), sem)) return;
        assigned++;
        const v = st.rhs[i];
        if (v?.k === 'call' && v.args.length === 1 && NEW_WEIGHTED_RE.test(libraryName(graph.callInfo(v)) ?? '')) made = { fn: holder, weight: v.args[0]! };
      });
    }
  }
  return assigned === 1 ? made : undefined;
}

function sameWeight(graph: CallGraph, node: FuncNode, asked: Expr, made: { fn: FuncNode; weight: Expr }): boolean {
  if (asked.k === 'lit' && made.weight.k === 'lit') return asked.kind === 'int' && asked.value !== undefined && asked.value === made.weight.value;
  const c = graph.constantOf(node, asked);
  if (c !== undefined) return c === graph.constantOf(made.fn, made.weight);
  return sameLocal(graph.storageOf(node, asked), graph.storageOf(made.fn, made.weight));
}

/** Whether `sem.Acquire(ctx, n)` waits for every holder of the semaphore. */
export function drains(graph: CallGraph, node: FuncNode, call: CallExpr): boolean {
  const [ctx, n] = call.args;
  if (call.fn.k !== 'sel' || !ctx || !n || !endless(ctx)) return false;
  const sem = graph.storageOf(node, call.fn.x);
  const made = sem && madeWith(graph, node, sem);
  return made !== undefined && sameWeight(graph, node, n, made);
}
