/**
 * A server's serve goroutine and the way out that shuts its server down: "what does a goroutine left blocked
 * after `srv.Shutdown(ctx)` take for granted?" A way out that first shuts an `http.Server` down
 * (`srv.Shutdown(ctx)`, `srv.Close()`) makes Serve return `http.ErrServerClosed`.
 *
 * A goroutine that reports only another error (`if err := srv.Serve(ln); err != http.ErrServerClosed { errc <- err }`)
 * does not send that one: it is left blocked only if Serve failed otherwise just before, in a race with the way out.
 * One that reports whatever Serve returns (`errc <- srv.ListenAndServe()`) is left blocked by every shutdown: one
 * goroutine each time the server stops, which leaks nothing when a server is stopped once, as its process ends: a
 * component's `Start(stop)` or `Run(ctx)` shutting its server down when the program stops its components on the
 * way out. That holds for the shape only when the stop comes from a component manager: the function receives from
 * its own `stop` (or `ctx.Done()`) parameter, and every call in the program proper passes it one of the caller's
 * own parameters the same way, up to calls through an interface (the manager's `c.Start(stop)`), past which the
 * engine cannot see who closes it. That the server stops only as the process ends is what such a leak is named to
 * rest on. A stop that comes from anything else (a request's `r.Context()`, a timeout, a channel made by the
 * caller) is one the process outlives: the leak stays.
 */
import type { Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
import { doneOf } from '../program/processctx.js';
import { isTestCode } from '../program/testcode.js';
import { nodeLocation } from '../report.js';

const SHUTDOWN_RE = /^net\/http\.\(\*Server\)\.(Shutdown|Close)$/;
const SERVE_RE = /^net\/http\.\(\*Server\)\.(Serve|ServeTLS|ListenAndServe|ListenAndServeTLS)$/;

/** The goroutine's send runs only under a condition that rules out `http.ErrServerClosed`: that condition. */
export function serverClosedGuard(lit: FuncNode, send: Stmt): Expr | undefined {
  for (const st of allStmts(lit.decl.body ?? [])) {
    if (st.k === 'if' && allStmts(st.then).includes(send) && excludesServerClosed(st.cond)) return st.cond;
  }
  return undefined;
}

/** `err != http.ErrServerClosed`, `!errors.Is(err, http.ErrServerClosed)`, or a conjunction holding one. */
function excludesServerClosed(cond: Expr): boolean {
  if (cond.k === 'binary' && cond.op === '&&') return excludesServerClosed(cond.x) || excludesServerClosed(cond.y);
  if (cond.k === 'binary' && cond.op === '!=') return isServerClosed(cond.x) || isServerClosed(cond.y);
  return cond.k === 'unary' && cond.op === '!' && cond.x.k === 'call' && cond.x.fn.k === 'sel' && cond.x.fn.name === 'Is' && cond.x.args.some(isServerClosed);
}

const isServerClosed = (e: Expr): boolean => e.k === 'sel' && e.name === 'ErrServerClosed' && e.x.k === 'id' && e.x.name === 'http';

/** Whether `e` is a call that shuts an `http.Server` down. */
export function shutsServerDown(graph: CallGraph, e: Expr): e is CallExpr {
  if (e.k !== 'call') return false;
  const name = libraryName(graph.callInfo(e));
  return name !== undefined && SHUTDOWN_RE.test(name);
}

/** Whether the goroutine literal runs an `http.Server`'s Serve (or ListenAndServe). */
export function servesHttp(graph: CallGraph, lit: FuncNode): boolean {
  let found = false;
  forEachExpr(lit.decl.body ?? [], (e) => {
    found ||= e.k === 'call' && SERVE_RE.test(libraryName(graph.callInfo(e)) ?? '');
  });
  return found;
}

/** The assumption of a leak whose ways out all shut the server down first: the goroutine's guard holds before. */
export function serveFailsFirst(lit: FuncNode, guard: Expr, shutdown: CallExpr): Assumption {
  return {
    kind: 'undecided-branch',
    text: `\`${exprText(guard)}\` holds before \`${exprText(shutdown.fn)}()\` closes the server`,
    location: nodeLocation(lit, guard.pos),
  };
}

/**
 * The assumption of a leak whose ways out all shut down the server whose every result the goroutine sends: the
 * server stops only as the process ends.
 */
export function stopsAtExit(fn: FuncNode, shutdown: CallExpr): Assumption {
  return {
    kind: 'process-end',
    text: `\`${exprText(shutdown.fn)}()\` stops the server only as the process ends (each other stop leaves one goroutine blocked)`,
    location: nodeLocation(fn, shutdown.pos),
  };
}

/** How many calls up a stop parameter is followed to a component manager's interface call. */
const MAX_DEPTH = 8;

/**
 * Whether fn receives from a stop it has from a component manager: a parameter (a channel, or a context's
 * `Done()`) that every call of fn outside tests passes through an interface, or passes one of its caller's
 * parameters of which the same holds.
 */
export function stoppedByManager(graph: CallGraph, fn: FuncNode): boolean {
  const body = fn.decl.body ?? [];
  const received: Expr[] = [];
  forEachExpr(body, (e) => {
    if (e.k === 'unary' && e.op === '<-') received.push(e.x);
  });
  for (const st of allStmts(body)) if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') received.push(c.ch);
  return received.some((ch) => {
    const index = paramIndex(graph, fn, doneOf(ch) ?? ch);
    return index !== undefined && fromManager(graph, fn, index, 0);
  });
}

/** The index of the parameter of fn that `e` names; undefined for anything else (the receiver included). */
function paramIndex(graph: CallGraph, fn: FuncNode, e: Expr): number | undefined {
  const s = e.k === 'id' ? graph.storageOf(fn, e) : undefined;
  return s?.kind === 'param' && s.fn === fn.id && s.index >= 0 ? s.index : undefined;
}

function fromManager(graph: CallGraph, fn: FuncNode, index: number, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  const callers = graph.callers(fn).filter((e) => !isTestCode(e.caller));
  if (callers.length === 0) return false;
  return callers.every((edge) => {
    if (edge.how === 'interface') return true;
    const arg = edge.call.args[index];
    const up = arg && !edge.call.spread ? paramIndex(graph, edge.caller, arg) : undefined;
    return up !== undefined && fromManager(graph, edge.caller, up, depth + 1);
  });
}
