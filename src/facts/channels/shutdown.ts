/**
 * A server's serve goroutine and the way out that shuts its server down: "what does a goroutine left blocked
 * after `srv.Shutdown(ctx)` take for granted?" A way out that first shuts an `http.Server` down
 * (`srv.Shutdown(ctx)`, `srv.Close()`) makes Serve return `http.ErrServerClosed`.
 *
 * A goroutine that reports only another error (`if err := srv.Serve(ln); err != http.ErrServerClosed { errc <- err }`)
 * does not send that one: it is left blocked only if Serve failed otherwise just before, in a race with the way out.
 * One that reports whatever Serve returns (`errc <- srv.ListenAndServe()`) is left blocked by every shutdown: one
 * goroutine each time the server stops, which leaks nothing when a server is stopped once, as its process ends (a
 * component's `Start(stop)` or `Run(ctx)` shutting its server down when the program stops its components on the
 * way out). That the server stops only then is what the engine cannot see (who closes `stop`, who cancels `ctx`,
 * through a component manager's interface calls), and what such a leak is named to rest on.
 */
import type { Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
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
