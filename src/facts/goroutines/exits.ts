/**
 * Exit signals: "which channel tells that a goroutine is over, and which calls wait for one?" — a goroutine's
 * exit signal is the channel it closes (or sends on) as its last act: a `defer close(done)` among its top-level
 * statements, or a last statement `close(done)` or `done <- v` with no return before it. A receive from it returns
 * only once the goroutine has made every send and close of its body, so it joins the goroutine as `wg.Wait` does
 * (what defers registered before it do comes after: unlocks and cleanup, as written in practice, not sends).
 * A call joins one when its callee receives from such a channel (`Stop() { close(w.stop); <-w.exited }`): the
 * caller has then received from it on some path, as it would have by receiving itself.
 */
import type { Expr, Pos } from '../../ir.js';
import { builtinArg } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { Dispatch } from '../dispatch.js';
import type { ChanId } from '../identity/ids.js';
import type { Identity } from '../identity/identity.js';
import type { Goroutines } from './goroutines.js';

/**
 * The exit signal of a function run as a goroutine (see the header), as written in it; `closed` unless it is a send;
 * `at`, where the close or send is written.
 */
export function exitSignal(fn: FuncNode): { ch: Expr; closed: boolean; at: Pos } | undefined {
  const body = fn.decl.body ?? [];
  const closed = (e: Expr): Expr | undefined => builtinArg(e, 'close');
  for (const st of body) {
    const ch = st.k === 'defer' ? closed(st.call) : undefined;
    if (ch) return { ch, closed: true, at: st.pos };
  }
  if (allStmts(body).some((st) => st.k === 'return')) return undefined;
  const last = body.at(-1);
  if (last?.k === 'send') return { ch: last.ch, closed: false, at: last.pos };
  const ch = last?.k === 'expr' ? closed(last.x) : undefined;
  return ch && { ch, closed: true, at: last!.pos };
}

/** The program's exit signals, and the calls that wait for them; memoized. */
export class ExitSignals {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly ids: Identity,
    private readonly goroutines: Goroutines,
  ) {}

  private signals: ReadonlySet<ChanId> | undefined;

  /**
   * The channels goroutines of the program close as their exit signal (`go f()`, `g.Go(func() {...})`), as ids of
   * the function that starts them; not a parameter's, which names a different channel in each function. A last
   * send is left out: receiving it is receiving what the goroutine sends, which the walks follow already.
   */
  private all(): ReadonlySet<ChanId> {
    if (this.signals) return this.signals;
    const out = new Set<ChanId>();
    const started = (fn: FuncNode, call: CallExpr) => {
      for (const t of this.dispatch.targetsOf(fn, call)) {
        const signal = exitSignal(t.callee);
        const own = signal?.closed ? this.ids.idOf(t.callee, signal.ch) : undefined;
        const id = own === undefined ? undefined : this.ids.mapId(own, fn, t.callee, call);
        if (id !== undefined && !id.startsWith('param:')) out.add(id);
      }
    };
    for (const fn of this.graph.funcs) {
      for (const st of allStmts(fn.decl.body ?? [])) {
        if (st.k === 'go' && st.call.k === 'call') started(fn, this.goroutines.goCall(fn, st.call));
        for (const c of callsInStmt(st)) {
          const spawned = this.goroutines.spawnOf(fn, c);
          if (spawned) started(fn, spawned);
        }
      }
    }
    return (this.signals = out);
  }

  private readonly waited = new Map<FuncNode, ReadonlySet<ChanId>>();

  /**
   * The exit signals a function receives from on some path, itself or in the calls it makes, as its own ids; and
   * its parameters received from, which may be a caller's exit signal. Nothing else: a function high in the call
   * graph receives from thousands of channels below it.
   */
  private receivedIn(fn: FuncNode): ReadonlySet<ChanId> {
    let out = this.waited.get(fn);
    if (out) return out;
    const signals = this.all();
    const found = new Set<ChanId>();
    const note = (id: ChanId) => {
      if (signals.has(id) || id.startsWith('param:')) found.add(id);
    };
    // A recursive call adds nothing new: what it receives is what is being computed.
    this.waited.set(fn, found);
    for (const id of this.goroutines.receivesIn(fn)) note(id);
    for (const st of allStmts(fn.decl.body ?? [])) {
      if (st.k === 'go' || st.k === 'defer') continue;
      for (const c of callsInStmt(st)) this.received(fn, c).forEach(note);
    }
    out = found;
    return out;
  }

  /** What a call's one callee receives from on some path (receivedIn), as ids of the caller. */
  private received(node: FuncNode, call: CallExpr): ChanId[] {
    const callee = this.dispatch.soleCallee(node, call);
    if (!callee || callee === node) return [];
    return [...this.receivedIn(callee)].flatMap((id) => this.ids.mapId(id, node, callee, call) ?? []);
  }

  /**
   * The exit signals a call's callee (or a call it makes) receives from before it returns, on some path as the
   * caller's own receives count, as ids of the caller.
   */
  awaitedBy(node: FuncNode, call: CallExpr): ChanId[] {
    const signals = this.all();
    return signals.size === 0 ? [] : this.received(node, call).filter((id) => signals.has(id));
  }
}
