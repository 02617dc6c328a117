/**
 * Sends ordered by a timer's Stop: "does a receive from this timer's channel mean the goroutine will not send?" —
 * `if t.Stop() { ch <- v } else { v.Close() }` sends only when Stop reports that the timer had not fired, and then
 * it never fires: a function that got past `<-t.C` saw it fire, so the goroutine took the other branch.
 */
import type { Expr, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { storageKey } from '../../resolve/bindings.js';
import { allStmts, forEachExpr, libraryName } from '../calls.js';

const TIMER_STOP = 'time.(*Timer).Stop';

/** The variable the timer is kept in, when `send` runs only on the true side of `T.Stop()` in `lit`. */
function stopGuard(lit: FuncNode, send: Stmt, graph: CallGraph): string | undefined {
  for (const st of allStmts(lit.decl.body ?? [])) {
    if (st.k !== 'if' || st.init || !allStmts(st.then).includes(send)) continue;
    const c = st.cond;
    if (c.k !== 'call' || c.fn.k !== 'sel' || c.args.length !== 0 || libraryName(graph.callInfo(c)) !== TIMER_STOP) continue;
    const timer = graph.storageOf(lit, c.fn.x);
    const key = timer && storageKey(timer);
    if (key) return key;
  }
  return undefined;
}

/**
 * The receives from `T.C` in fn, when the goroutine literal `lit` makes its send only if `T.Stop()` reports true,
 * T a timer variable that neither fn nor lit assigns again after making it: each of them takes the send, as a
 * receive from the channel would (the send will not happen).
 */
export function timerFired(fn: FuncNode, lit: FuncNode, send: Stmt, graph: CallGraph): Expr[] {
  const timer = stopGuard(lit, send, graph);
  if (!timer) return [];
  const isTimer = (node: FuncNode, e: Expr) => {
    const st = graph.storageOf(node, e);
    return st !== undefined && storageKey(st) === timer;
  };
  // Another timer in the same variable would be another Stop's and another channel's.
  const assigns = [fn, lit].flatMap((node) => allStmts(node.decl.body ?? []).filter((st) => st.k === 'assign' && st.lhs.some((l) => isTimer(node, l))));
  if (assigns.length > 1) return [];
  // A Reset arms it again: a fire after the goroutine's Stop no longer means it did not send.
  let reset = false;
  for (const node of [fn, lit]) forEachExpr(node.decl.body ?? [], (e) => (reset ||= e.k === 'call' && e.fn.k === 'sel' && e.fn.name === 'Reset' && isTimer(node, e.fn.x)));
  if (reset) return [];
  const out: Expr[] = [];
  forEachExpr(fn.decl.body ?? [], (e) => {
    if (e.k === 'sel' && e.name === 'C' && isTimer(fn, e.x)) out.push(e);
  });
  return out;
}
