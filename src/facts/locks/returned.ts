/**
 * Locks returned with their object: "does the return that leaves holding this lock give the caller the locked
 * object itself, and do the callers release it?" — a lookup that returns the inode locked (`in.Lock(); return in,
 * nil`, documented "returns the child locked"), whose callers unlock what they get (`child, err := lookUp(...);
 * ...; child.Unlock()`) or return it on to theirs. The lock travels with the result: keeping it is the contract,
 * and only a caller that neither releases nor passes on the object breaks it.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr } from '../calls.js';
import { CAPTURED, splitRoot } from '../identity/roots.js';
import { UNLOCK_NAME_RE } from './calls.js';
import type { LockOp } from './types.js';

export interface ReturnedLocked {
  /** The returned object, as the function names it (`in`). */
  name: string;
  /** Direct callers that release the object they are given, or return it on to their own callers. */
  release: CallerEdge[];
  /** Direct callers that do neither (or whose call the engine cannot place). */
  keep: CallerEdge[];
}

/** The variable an object is reached from (`in` for `in`, `in.mu`, `(*in).mu`), if it is a plain name. */
function rootName(e: Expr): string | undefined {
  if (e.k === 'id') return e.name;
  if (e.k === 'sel') return rootName(e.x);
  if (e.k === 'unary' && (e.op === '*' || e.op === '&')) return rootName(e.x);
  return undefined;
}

/** Whether the return statement hands back the variable `name`: among its values, or as a named result of a bare return. */
function returns(fn: FuncNode, st: Stmt, name: string): boolean {
  if (st.k !== 'return') return false;
  if (st.values.length === 0) return fn.decl.results.some((r) => r.name === name);
  return st.values.some((v) => v.k === 'id' && v.name === name);
}

/** What a caller does with the object the call returns first: releases it, returns it on, or keeps it. */
function releasedBy(edge: CallerEdge): boolean {
  const body = edge.caller.decl.body;
  if (!body) return false;
  const isCall = (e: Expr | undefined) => e !== undefined && e.pos === edge.call.pos && e.k === 'call';
  for (const st of allStmts(body)) {
    if (st.k === 'return' && st.values.some(isCall)) return true;
    if (st.k !== 'assign' || !isCall(st.rhs[0]) || st.rhs.length !== 1) continue;
    const v = st.lhs[0];
    if (v?.k !== 'id' || v.name === '_') return false;
    let released = false;
    forEachExpr(body, (e) => {
      if (e.k === 'call' && e.fn.k === 'sel' && UNLOCK_NAME_RE.test(e.fn.name) && rootName(e.fn.x) === v.name) released = true;
    });
    return released || allStmts(body).some((r) => returns(edge.caller, r, v.name));
  }
  return false;
}

/**
 * When the lock `op` that `fn` holds at the return at `exit` is on the object that return hands to the caller
 * (a local or named result, returned as it is), the callers split by whether they release or pass it on.
 */
export function returnedLocked(fn: FuncNode, op: LockOp, exit: Pos | undefined, callers: readonly CallerEdge[]): ReturnedLocked | undefined {
  if (exit === undefined || !fn.decl.body) return undefined;
  const { head } = splitRoot(op.root);
  // A local or a named result: the receiver, a parameter or a captured variable is not the callee's to give.
  if (/^[@#]|^global:/.test(head) || head.startsWith(CAPTURED)) return undefined;
  const st = allStmts(fn.decl.body).find((s) => s.pos === exit);
  if (!st || !returns(fn, st, head)) return undefined;
  const release: CallerEdge[] = [];
  const keep: CallerEdge[] = [];
  for (const e of callers) (releasedBy(e) ? release : keep).push(e);
  return { name: head, release, keep };
}
