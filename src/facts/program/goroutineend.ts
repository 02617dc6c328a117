/**
 * A goroutine's end as its starter's: "does this function end once a goroutine it started has returned?" — a
 * program's body run in a goroutine (`go func() { defer close(done); run() }()`) or a server whose result main
 * waits for (`go func() { errc <- srv.Start() }()`), while main waits for that or a signal. Asked by terminal.ts:
 * when the starter is a function the process ends after, so is the goroutine, and what it leaves blocked leaks
 * nothing.
 *
 * It holds when the goroutine's last act tells a channel it is done (a top-level `defer close(done)`, or a final
 * `close(done)` or `done <- v` with no return before it), and its starter, from the `go` on (not in a loop), only
 * waits where that channel wakes it: a receive from it, or a `select` with a case on it. Until then the starter
 * makes no call that may keep it going (a log line, `signal.Notify`, a context's cancel are not such; the program's
 * brief calls, such as constructors, are taken to return soon, named), and once
 * woken by the channel it leaves without more work. A wait a process signal ends (a channel given to
 * `signal.Notify`) is the start of a shutdown: whatever follows it is on the way out.
 */
import type { Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { walkFunction } from '../../flow/walk.js';
import { storageKey } from '../../resolve/bindings.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, exprsOfSimple, forEachExpr, forEachSubExpr, libraryName, stmtsInLoops, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { exitSignal } from '../goroutines/exits.js';
import type { Brief } from './brief.js';

/** The starter after the `go`: not yet there, woken by a signal (shutting down), woken by the goroutine's end, waiting on it. */
const enum After {
  Before = 0,
  Down = 1,
  Done = 2,
  Running = 3,
}

/** The calls that make a context's cancel function, which returns at once. */
const CANCEL_MAKERS = /^context\.With(Cancel|CancelCause|Timeout|TimeoutCause|Deadline|DeadlineCause)$/;

/**
 * Whether the function that started the goroutine literal `lit` (at `edge`) ends once `lit` returns, and what that
 * takes for granted: that the program's brief calls it makes meanwhile (constructors, brief.ts) return soon.
 */
export function endsWithGoroutine(facts: SyncFacts, lit: FuncNode, edge: CallerEdge, harmless: (c: CallExpr) => boolean, brief: Brief): false | Assumption[] {
  const { caller, call } = edge;
  const body = caller.decl.body;
  const go = body && allStmts(body).find((st) => st.k === 'go' && st.call === call);
  if (!body || !go || stmtsInLoops(body).has(go)) return false;
  const graph = facts.graph;
  const key = (node: FuncNode, e: Expr): string | undefined => {
    const s = e.k === 'id' ? graph.storageOf(node, e) : undefined;
    return s && storageKey(s);
  };
  const done = exitSignal(lit)?.ch;
  const doneKey = done && key(lit, done);
  if (doneKey === undefined) return false;
  const isDone = (ch: Expr) => key(caller, ch) === doneKey;
  // Channels a process signal is delivered on, and the channels of every select that the goroutine's end wakes.
  const signals = new Set<string>();
  const waking = new Set<Expr>();
  for (const st of allStmts(body)) {
    if (st.k === 'select' && st.cases.some((c) => c.kind === 'recv' && isDone(c.ch))) for (const c of st.cases) if (c.kind === 'recv') waking.add(c.ch);
  }
  forEachExpr(body, (e) => {
    const k = e.k === 'call' && libraryName(graph.callInfo(e)) === 'os/signal.Notify' && e.args[0] ? key(caller, e.args[0]) : undefined;
    if (k !== undefined) signals.add(k);
  });
  const cancels = new Set(
    graph
      .locals(caller)
      .filter((v) => v.def.k === 'expr' && v.def.index === 1 && v.def.e.k === 'call' && CANCEL_MAKERS.test(libraryName(graph.callInfo(v.def.e)) ?? ''))
      .map((v) => v.storage.name),
  );
  const passed = new Set<CallExpr>();
  const quick = (c: CallExpr): boolean =>
    harmless(c) ||
    graph.callInfo(c).kind === 'builtin' ||
    (c.fn.k === 'id' && graph.storageOf(caller, c.fn)?.kind === 'local' && cancels.has(c.fn.name)) ||
    (brief.call(c) && passed.add(c) !== undefined);
  let fails = false;
  // A receive from `ch`, in a select (`inSelect`) or on its own, in state s.
  const received = (ch: Expr, s: After, inSelect: boolean): After => {
    if (s === After.Before || s === After.Down) return s;
    if (isDone(ch)) return After.Done;
    if (s === After.Running && key(caller, ch) !== undefined && signals.has(key(caller, ch)!)) return After.Down;
    if (!(inSelect && waking.has(ch))) fails = true;
    return s;
  };
  // What evaluating e does in state s: its receives, and calls that may keep the starter going.
  const evaluate = (e: Expr, s: After): After => {
    if (s === After.Before || s === After.Down) return s;
    let out: After = s;
    const visit = (x: Expr): void => {
      forEachSubExpr(x, visit);
      if (x.k === 'unary' && x.op === '<-') out = received(x.x, out, false);
      else if (x.k === 'call' && out !== After.Down && !quick(x)) fails = true;
    };
    visit(e);
    return out;
  };
  const ends = (c: Expr) => c.k === 'call' && facts.noReturn.endingOf(c) === 'program';
  walkFunction<After>(body, After.Before, { join: (a, b) => (a > b ? a : b), equal: (a, b) => a === b }, {
    simple: (st: Stmt, s) => {
      if (st === go) return After.Running;
      if (st.k === 'go' || st.k === 'defer' || s === After.Before || s === After.Down) return s;
      if (st.k === 'send') fails = true;
      if (st.k === 'expr' && ends(st.x)) return s;
      return exprsOfSimple(st).reduce<After>((acc, e) => evaluate(e, acc), s);
    },
    expr: (e, s) => evaluate(e, s),
    recv: (ch, s) => received(ch, s, true),
    noReturn: ends,
  });
  return fails ? false : [...passed].map((c) => brief.assumption(caller, c));
}
