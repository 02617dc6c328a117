/**
 * Order: the call graph's strongly connected components, callees before callers, so that facts are
 * computed bottom-up (recursion iterating to a fixpoint), and the functions that call themselves.
 */
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';

/** Tarjan's algorithm, iterative (call chains in real code are deep); `callees` gives the edges. */
export function calleesFirst(graph: CallGraph, callees: (node: FuncNode) => FuncNode[]): { sccs: FuncNode[][]; selfCalls: Set<FuncNode> } {
  const selfCalls = new Set<FuncNode>();
  const index = new Map<FuncNode, number>();
  const low = new Map<FuncNode, number>();
  const onStack = new Set<FuncNode>();
  const stack: FuncNode[] = [];
  const out: FuncNode[][] = [];
  let counter = 0;
  for (const root of graph.funcs) {
    if (index.has(root)) continue;
    const work: { node: FuncNode; succ: FuncNode[]; i: number }[] = [];
    const push = (n: FuncNode) => {
      index.set(n, counter);
      low.set(n, counter);
      counter++;
      stack.push(n);
      onStack.add(n);
      work.push({ node: n, succ: callees(n), i: 0 });
    };
    push(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      if (top.i < top.succ.length) {
        const next = top.succ[top.i++]!;
        if (next === top.node) selfCalls.add(next);
        if (!index.has(next)) push(next);
        else if (onStack.has(next)) low.set(top.node, Math.min(low.get(top.node)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const scc: FuncNode[] = [];
        let n: FuncNode;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          scc.push(n);
        } while (n !== top.node);
        out.push(scc);
      }
    }
  }
  return { sccs: out, selfCalls };
}
