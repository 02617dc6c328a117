/**
 * A server's serve goroutine that reports only an error other than the one the server's own shutdown makes:
 * `if err := srv.Serve(ln); err != http.ErrServerClosed { errc <- err }`. A way out that first shuts an
 * `http.Server` down (`srv.Shutdown(ctx)`, `srv.Close()`) makes Serve return `http.ErrServerClosed`, which
 * the goroutine does not send: it is left blocked only if Serve failed otherwise just before, in a race with
 * the way out. What a leak by that way out assumes.
 */
import type { Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, libraryName, type CallExpr } from '../calls.js';
import { nodeLocation } from '../report.js';

const SHUTDOWN_RE = /^net\/http\.\(\*Server\)\.(Shutdown|Close)$/;

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

/** The assumption of a leak whose ways out all shut the server down first: the goroutine's guard holds before. */
export function serveFailsFirst(lit: FuncNode, guard: Expr, shutdown: CallExpr): Assumption {
  return {
    kind: 'undecided-branch',
    text: `\`${exprText(guard)}\` holds before \`${exprText(shutdown.fn)}()\` closes the server`,
    location: nodeLocation(lit, guard.pos),
  };
}
