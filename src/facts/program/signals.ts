/**
 * Shutdown signals: "is a receive from this channel the process being told to end?" — a channel the program hands
 * `signal.Notify` for the signals that ask a process to stop (SIGINT, SIGTERM, SIGQUIT: `os.Interrupt`,
 * `syscall.SIGTERM`, ...) and for nothing else, that nothing in the program proper sends on or closes. What a
 * function does once it has received from one is on the way out of the process: a goroutine it then leaves
 * blocked ends with the process (the same reading goroutineend.ts gives a starter woken by a signal).
 *
 * A channel also notified of SIGHUP or SIGUSR1 (a reload, a dump), of every signal (`signal.Notify(ch)`), or of a
 * list the engine cannot read (`sigs...`) is not one: the program goes on after those. A send or close of it by
 * the program itself (a `Stop` that fakes the signal) is a stop the process may survive; one in test code is not
 * the program's. Channels are told apart as variables (a local, a parameter, a package variable) or as a field of
 * a type (`r.quit`, whatever the object).
 */
import type { Expr } from '../../ir.js';
import { builtinArg } from '../../irutil.js';
import { storageKey } from '../../resolve/bindings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName } from '../calls.js';
import { perProgram } from '../perprogram.js';
import { isTestCode } from './testcode.js';

/** The packages a signal value is written from, and the signals of theirs that ask a process to end. */
const SIGNAL_PACKAGES = new Set(['os', 'syscall', 'unix']);
const ENDING_SIGNALS = new Set(['Interrupt', 'Kill', 'SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGKILL']);

/** A channel as a variable or a type's field, for comparing uses across functions; undefined for anything else. */
export function channelKey(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
  if (e.k !== 'id' && e.k !== 'sel') return undefined;
  const s = graph.storageOf(fn, e);
  if (!s) return undefined;
  return s.kind === 'field' ? `F:${s.owner}.${s.field}` : storageKey(s);
}

/** The program's channels a shutdown signal arrives on (as channelKey), found once. */
export const shutdownSignalsOf = perProgram((graph: CallGraph): ReadonlySet<string> => {
  const ending = new Set<string>();
  const other = new Set<string>();
  for (const node of graph.funcs) {
    const body = node.decl.body ?? [];
    forEachExpr(body, (e) => {
      if (e.k !== 'call' || !e.args[0] || libraryName(graph.callInfo(e)) !== 'os/signal.Notify') return;
      const key = channelKey(graph, node, e.args[0]);
      if (key === undefined) return;
      const signals = e.args.slice(1);
      (signals.length > 0 && !e.spread && signals.every(endsProcess) ? ending : other).add(key);
    });
    // The program's own send or close: a stop that is no signal.
    if (isTestCode(node)) continue;
    for (const st of allStmts(body)) {
      const ch = st.k === 'send' ? st.ch : st.k === 'expr' ? builtinArg(st.x, 'close') : undefined;
      const key = ch && channelKey(graph, node, ch);
      if (key !== undefined) other.add(key);
    }
  }
  for (const key of other) ending.delete(key);
  return ending;
});

/** Whether a receive from `ch` (in fn) is the process being told to end. */
export function isShutdownSignal(graph: CallGraph, fn: FuncNode, ch: Expr): boolean {
  const key = channelKey(graph, fn, ch);
  return key !== undefined && shutdownSignalsOf(graph).has(key);
}

/** `os.Interrupt`, `syscall.SIGTERM`, `unix.SIGQUIT`: a signal that asks a process to end. */
function endsProcess(e: Expr): boolean {
  return e.k === 'sel' && e.x.k === 'id' && SIGNAL_PACKAGES.has(e.x.name) && ENDING_SIGNALS.has(e.name);
}
