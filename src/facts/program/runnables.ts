/**
 * Manager runnables: "with which contexts does a library's manager run this `Start(ctx)`?" A component manager
 * (controller-runtime's `mgr.Add(r)`, and the like) takes a value whose type has a `Start(ctx)` method, and runs
 * that method itself once the program starts the manager (`mgr.Start(ctx)`), with a context it cancels as its
 * own is done. No call the program writes reaches the runnable's Start: the call graph sees no caller, only the
 * value handed to `Add`. What a runnable's Start waits for on its context is what it waits for on the context the
 * program starts the manager with.
 *
 * Told by evidence in sight: a call `m.Add(v)` the engine cannot follow (the manager is outside the checkout)
 * whose one argument is of the method's type, and the calls `m.Start(ctx)` on that same manager, a variable
 * followed back through the parameters it is passed down as (`AddToManager(mgr)`). That the library runs Start
 * once with a context derived from the manager's is what a finding resting on it names.
 */
import type { Assumption } from '../../findings.js';
import type { Expr } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { storageKey } from '../../resolve/bindings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { deref } from '../../resolve/types.js';
import { forEachExpr, literalsOf, type CallExpr } from '../calls.js';
import { perProgram } from '../perprogram.js';
import { nodeLocation } from '../report.js';
import { isTestCode } from './testcode.js';

/** How many calls up a manager passed down as a parameter is followed. */
const MAX_DEPTH = 8;

/** A manager's start the program writes: the function making it and the context it is given. */
export interface ManagedStart {
  node: FuncNode;
  ctx: Expr;
  /** That the manager runs the runnable with a context done when this one is. */
  assumed: Assumption;
}

/** A call the program makes to a method outside its sight (or one it cannot resolve). */
const opaque = (graph: CallGraph, call: CallExpr): boolean => {
  const kind = graph.callInfo(call).kind;
  return kind === 'external' || kind === 'unresolved';
};

/** Each runnable's Start method, and the `Add` calls (with their functions) that hand a value of its type to a manager. */
const handOffsOf = perProgram((graph: CallGraph): ReadonlyMap<FuncNode, { node: FuncNode; call: CallExpr }[]> => {
  const out = new Map<FuncNode, { node: FuncNode; call: CallExpr }[]>();
  for (const node of graph.funcs) {
    if (isTestCode(node)) continue;
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k !== 'call' || e.fn.k !== 'sel' || e.fn.name !== 'Add' || e.args.length !== 1 || e.spread || !opaque(graph, e)) return;
      const t = deref(graph.typeOf(node, e.args[0]!));
      const start = t.k === 'named' ? graph.index.typeInfo(t)?.methods.get('Start')?.node : undefined;
      if (!start || !takesContextFirst(start)) return;
      out.set(start, [...(out.get(start) ?? []), { node, call: e }]);
    });
  }
  return out;
});

/** `Start(ctx context.Context)`: a method whose first parameter is a context, as written. */
function takesContextFirst(fn: FuncNode): boolean {
  const t = fn.decl.params[0]?.type;
  return t?.k === 'name' && t.name === 'Context';
}

/** Whether the program hands a value of `fn`'s type to a manager that runs it as a runnable's Start. */
export function isManagedStart(graph: CallGraph, fn: FuncNode): boolean {
  return handOffsOf(graph).has(fn);
}

/**
 * The manager starts that run `start` (a runnable's `Start(ctx)` method) through a value the program hands a
 * manager; undefined when none is handed, or a manager's starts cannot all be found.
 */
export function managedStarts(graph: CallGraph, start: FuncNode): ManagedStart[] | undefined {
  const handOffs = handOffsOf(graph).get(start);
  if (!handOffs) return undefined;
  const out: ManagedStart[] = [];
  for (const { node, call } of handOffs) {
    if (call.fn.k !== 'sel') return undefined;
    const got = startsOf(graph, node, call.fn.x, call, 0);
    if (!got) return undefined;
    out.push(...got);
  }
  return out;
}

/** The `m.Start(ctx)` calls on the manager `m` (in fn's body), followed up through parameters; undefined if some way has none. */
function startsOf(graph: CallGraph, fn: FuncNode, m: Expr, add: CallExpr, depth: number): ManagedStart[] | undefined {
  if (depth > MAX_DEPTH || m.k !== 'id') return undefined;
  const s = graph.storageOf(fn, m);
  if (!s || s.kind === 'field') return undefined;
  if (s.kind === 'param') {
    const owner = graph.byId.get(s.fn);
    const callers = owner ? graph.callers(owner).filter((e) => !isTestCode(e.caller)) : [];
    if (callers.length === 0 || s.index < 0) return undefined;
    const out: ManagedStart[] = [];
    for (const edge of callers) {
      const arg = edge.call.args[s.index];
      const got = arg && !edge.call.spread ? startsOf(graph, edge.caller, arg, add, depth + 1) : undefined;
      if (!got) return undefined;
      out.push(...got);
    }
    return out;
  }
  // The variable's own function and its literals (`go func() { mgr.Start(ctx) }()`): where it is in scope.
  const key = storageKey(s);
  const home = s.kind === 'local' ? graph.byId.get(s.fn) : fn;
  if (!home || key === undefined) return undefined;
  const out: ManagedStart[] = [];
  for (const node of [home, ...literalsOf(home, graph).values()]) {
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k !== 'call' || e.fn.k !== 'sel' || e.fn.name !== 'Start' || e.args.length !== 1 || !opaque(graph, e)) return;
      const r = e.fn.x.k === 'id' ? graph.storageOf(node, e.fn.x) : undefined;
      if (!r || storageKey(r) !== key) return;
      const assumed: Assumption = {
        kind: 'opaque-call',
        text: `\`${exprText(add.fn)}(...)\` runs Start once, with a context done only when \`${exprText(e.fn)}(${exprText(e.args[0]!)})\`'s is`,
        location: nodeLocation(node, e.pos),
      };
      out.push({ node, ctx: e.args[0]!, assumed });
    });
  }
  return out.length > 0 ? out : undefined;
}
