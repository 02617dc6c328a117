/**
 * Defers: "what runs after what when a function ends?" — whether it recovers, and which deferred
 * calls run after its `WaitGroup.Done` or its wait for goroutines, or before its recover (defers run
 * last-in first-out).
 */
import type { Pos, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, libraryName, type CallExpr } from '../calls.js';
import type { Dispatch } from '../dispatch.js';

/** Orderings of a function's defers, per function, memoized. */
export class Defers {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
  ) {}

  private readonly recovers = new Map<FuncNode, boolean>();

  /** Whether the function defers a `recover()`. */
  recoversIn(node: FuncNode): boolean {
    let r = this.recovers.get(node);
    if (r === undefined) {
      r = defersRecover(node);
      this.recovers.set(node, r);
    }
    return r;
  }

  private readonly afterDone = new Map<FuncNode, ReadonlySet<Pos>>();

  private readonly afterWait = new Map<FuncNode, ReadonlySet<Pos>>();

  private readonly beforeRecover = new Map<FuncNode, ReadonlySet<Pos>>();

  /**
   * Deferred calls registered before a deferred `wg.Done()` (or a deferred literal calling it): they
   * run after it, since defers run last-in first-out.
   */
  deferredAfterDone(node: FuncNode): ReadonlySet<Pos> {
    const done = (_fn: FuncNode, call: CallExpr) =>
      call.fn.k === 'sel' && call.fn.name === 'Done' && libraryName(this.graph.callInfo(call)) === 'sync.(*WaitGroup).Done';
    return this.deferredBefore(node, done, this.afterDone);
  }

  /**
   * Deferred calls registered after a deferred `recover()` (itself or in a deferred literal): they run
   * before it, so it catches their panics. The handler itself is not covered by its own recover.
   */
  deferredBeforeRecover(node: FuncNode): ReadonlySet<Pos> {
    const recover = (_fn: FuncNode, call: CallExpr) => call.fn.k === 'id' && call.fn.name === 'recover';
    return this.deferredBefore(node, recover, this.beforeRecover, true);
  }

  /** Deferred calls registered before a deferred wait for goroutines (`defer func() { wg.Wait() }()`): they run after it. */
  deferredAfterWait(node: FuncNode): ReadonlySet<Pos> {
    return this.deferredBefore(node, (fn, call) => this.dispatch.waits(fn, call), this.afterWait);
  }

  /**
   * Positions (of the statement and of its call) of the defers that run after a later-registered defer
   * that does `what`, itself or in a deferred literal; with `runBefore`, of those that run before an
   * earlier-registered one. By source order, as the defers are registered.
   */
  private deferredBefore(
    node: FuncNode,
    what: (fn: FuncNode, call: CallExpr) => boolean,
    memo: Map<FuncNode, ReadonlySet<Pos>>,
    runBefore = false,
  ): ReadonlySet<Pos> {
    let out = memo.get(node);
    if (out) return out;
    const found = new Set<Pos>();
    const defers: { pos: Pos; call: CallExpr }[] = [];
    for (const st of allStmts(node.decl.body ?? [])) if (st.k === 'defer' && st.call.k === 'call') defers.push({ pos: st.pos, call: st.call });
    const does = (call: CallExpr): boolean => {
      if (what(node, call)) return true;
      const lit = call.fn.k === 'funclit' ? node.file.funcs[call.fn.fn] : undefined;
      if (!lit?.body) return false;
      const litNode = this.graph.nodeOf(node.file, lit);
      return this.graph.sites(litNode).some((site) => what(litNode, site.call));
    };
    if (runBefore) {
      let first = 0;
      while (first < defers.length && !does(defers[first]!.call)) first++;
      for (let i = first + 1; i < defers.length; i++) found.add(defers[i]!.pos).add(defers[i]!.call.pos);
    } else {
      let last = defers.length - 1;
      while (last >= 0 && !does(defers[last]!.call)) last--;
      for (let i = 0; i < last; i++) found.add(defers[i]!.pos).add(defers[i]!.call.pos);
    }
    memo.set(node, found);
    return found;
  }
}

function defersRecover(node: FuncNode): boolean {
  const body = node.decl.body;
  if (!body) return false;
  for (const st of allStmts(body)) {
    if (st.k !== 'defer') continue;
    if (st.call.k === 'call' && st.call.fn.k === 'id' && st.call.fn.name === 'recover') return true;
    if (st.call.k === 'call' && st.call.fn.k === 'funclit') {
      const lit = node.file.funcs[st.call.fn.fn];
      if (lit?.body && callsRecover(lit.body)) return true;
    }
  }
  return false;
}

export function callsRecover(body: Stmt[]): boolean {
  for (const st of allStmts(body)) for (const c of callsInStmt(st)) if (c.fn.k === 'id' && c.fn.name === 'recover') return true;
  return false;
}
