/**
 * Shutdown signals: "is a receive from this channel the process being told to end?" — a channel the program hands
 * `signal.Notify` for the signals that ask a process to stop (SIGINT, SIGTERM, SIGQUIT: `os.Interrupt`,
 * `syscall.SIGTERM`, ...) and for nothing else, that nothing in the program proper sends on or closes. What a
 * function does once it has received from one is on the way out of the process: a goroutine it then leaves
 * blocked ends with the process (the same reading goroutineend.ts gives a starter woken by a signal).
 *
 * A channel also notified of SIGHUP or SIGUSR1 (a reload, a dump), of every signal (`signal.Notify(ch)`), or of a
 * list the engine cannot read (`sigs...`; a list written out, `[]os.Signal{os.Interrupt}...`, it reads) is not
 * one: the program goes on after those. A send or close of it by the program itself (a `Stop` that fakes the
 * signal) is a stop the process may survive; one in test code is not the program's. Channels are told apart as
 * variables (a local, a parameter, a package variable) or as a field of a type (`r.quit`, whatever the object).
 *
 * So is a stop channel the program closes (or sends on) only once such a signal has arrived: a handler goroutine's
 * `<-sigs; close(stop)`, or the case of a select that receives the signal. What runs after that receive, in the
 * statements that follow it or in that case's body, is on the way out too (processctx.ts asks it of a cancel).
 */
import type { Expr, Stmt } from '../../ir.js';
import { childBlocks } from '../../flow/nest.js';
import { builtinArg } from '../../irutil.js';
import { storageKey } from '../../resolve/bindings.js';
import type { CallerEdge, CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName } from '../calls.js';
import { perProgram } from '../perprogram.js';
import { isTestCode } from './testcode.js';
import { valueUsesOf } from './valueuses.js';

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

/** The program's channels a shutdown signal arrives on, or that are closed only after one has (as channelKey), found once. */
export const shutdownSignalsOf = perProgram((graph: CallGraph): ReadonlySet<string> => {
  const ending = new Set<string>();
  const other = new Set<string>();
  for (const node of graph.funcs) {
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k !== 'call' || !e.args[0] || libraryName(graph.callInfo(e)) !== 'os/signal.Notify') return;
      const key = channelKey(graph, node, e.args[0]);
      if (key === undefined) return;
      const signals = notified(e);
      (signals !== undefined && signals.length > 0 && signals.every(endsProcess) ? ending : other).add(key);
    });
  }
  // The program's own sends and closes: a stop that is no signal, unless a signal has arrived first.
  const stopped = new Set<string>();
  for (const node of graph.funcs) {
    if (isTestCode(node)) continue;
    const body = node.decl.body ?? [];
    let after: ReadonlySet<Stmt> | undefined;
    for (const st of allStmts(body)) {
      const ch = st.k === 'send' ? st.ch : st.k === 'expr' ? builtinArg(st.x, 'close') : undefined;
      const key = ch && channelKey(graph, node, ch);
      if (key === undefined) continue;
      after ??= signalled(body, (c) => isIn(graph, node, c, ending), new Set());
      (ending.has(key) || !after.has(st) ? other : stopped).add(key);
    }
  }
  for (const key of stopped) if (!other.has(key)) ending.add(key);
  for (const key of other) ending.delete(key);
  return ending;
});

/** The statements of fn (its literals apart) that run only once a shutdown signal has been received. */
export function afterShutdownSignal(graph: CallGraph, fn: FuncNode): ReadonlySet<Stmt> {
  const signals = shutdownSignalsOf(graph);
  return signalled(fn.decl.body ?? [], (ch) => isIn(graph, fn, ch, signals), new Set());
}

/**
 * Whether a receive from `ch` (in fn) is the process being told to end, or comes only once it has been: also a
 * parameter every caller passes such a channel for (`Start(stop)` given the handler's `stop`), when the function
 * is not used as a value (a caller out of sight).
 */
export function isShutdownSignal(graph: CallGraph, fn: FuncNode, ch: Expr): boolean {
  if (isIn(graph, fn, ch, shutdownSignalsOf(graph))) return true;
  const s = ch.k === 'id' ? graph.storageOf(fn, ch) : undefined;
  const owner = s?.kind === 'param' && s.index >= 0 ? graph.byId.get(s.fn) : undefined;
  if (!owner || s?.kind !== 'param') return false;
  // Each parameter judged once: the callers' arguments are asked again for every receive of every walk.
  const known = paramsOf(graph);
  const key = `${owner.id}\0${s.index}`;
  const got = known.get(key);
  if (got !== undefined) return got;
  // A call back into a function under way (recursion) passes nothing new.
  known.set(key, false);
  const index = s.index;
  const callers = graph.callers(owner);
  const passed = (edge: CallerEdge) => {
    const arg = edge.call.args[index];
    return arg !== undefined && !edge.call.spread && isShutdownSignal(graph, edge.caller, arg);
  };
  const out = callers.length > 0 && callers.every(passed) && !valueUsesOf(graph).usedAsValue(owner);
  known.set(key, out);
  return out;
}

/** The channel parameters already judged, as `function id\0index`. */
const paramsOf = perProgram((_graph: CallGraph) => new Map<string, boolean>());

function isIn(graph: CallGraph, fn: FuncNode, ch: Expr, keys: ReadonlySet<string>): boolean {
  const key = channelKey(graph, fn, ch);
  return key !== undefined && keys.has(key);
}

/**
 * Into `out`, the statements of a body that run only after a receive from a channel `signal` says is a shutdown
 * signal's: those after a statement that receives from one (`<-sigs`, `s := <-sigs`) in the same list, and the
 * body of a select case that does.
 */
function signalled(body: Stmt[], signal: (ch: Expr) => boolean, out: Set<Stmt>): Set<Stmt> {
  const receives = (e: Expr | undefined): boolean => e?.k === 'unary' && e.op === '<-' && signal(e.x);
  const waits = (st: Stmt): boolean =>
    (st.k === 'expr' && receives(st.x)) || (st.k === 'assign' && st.rhs.length === 1 && receives(st.rhs[0])) || (st.k === 'var' && st.values.length === 1 && receives(st.values[0]));
  const mark = (list: Stmt[]) => allStmts(list).forEach((st) => out.add(st));
  const visit = (list: Stmt[]): void => {
    let after = false;
    for (const st of list) {
      if (after) mark([st]);
      else if (waits(st)) after = true;
      else if (st.k === 'select') for (const c of st.cases) (c.kind === 'recv' && signal(c.ch) ? mark : visit)(c.body);
      else childBlocks(st).forEach(visit);
    }
  };
  visit(body);
  return out;
}

/** The signals a `signal.Notify(ch, ...)` call names: its arguments, or a list written out (`[]os.Signal{...}...`). */
function notified(call: Extract<Expr, { k: 'call' }>): Expr[] | undefined {
  const signals = call.args.slice(1);
  if (!call.spread) return signals;
  const list = signals.length === 1 ? signals[0]! : undefined;
  return list?.k === 'composite' && list.elems.every((x) => x.key === undefined) ? list.elems.map((x) => x.value) : undefined;
}

/** `os.Interrupt`, `syscall.SIGTERM`, `unix.SIGQUIT`: a signal that asks a process to end. */
function endsProcess(e: Expr): boolean {
  return e.k === 'sel' && e.x.k === 'id' && SIGNAL_PACKAGES.has(e.x.name) && ENDING_SIGNALS.has(e.name);
}
