/**
 * A closed-check decided by a receive: `if p.isClosed() { return }` (a select probe of p.finished) on one
 * path, and on the other, after its operation, a receive from p.finished that returned. A channel nothing
 * ever sends on lets a receive through only once it is closed, so once the other path got past that
 * receive, the probe sees the channel closed and this path leaves. Decided when the other path ran first
 * (one after the other in one function), or, when the two are concurrent, when both hold one mutex and the
 * other path receives before releasing any: its receive then happens before this path's probe can run.
 */
import type { Expr, Pos } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts } from '../calls.js';
import type { Conditions } from '../conditions/conditions.js';
import type { Dispatch } from '../dispatch.js';
import type { OpFact } from '../effects/types.js';
import { decidedWith, decidingBranches, type Branch } from './branches.js';
import { readsOf, stateOf, writesOf } from './state.js';

export interface ProbeParts {
  readonly graph: CallGraph;
  readonly dispatch: Dispatch;
  readonly conds: Conditions;
}

const closeOnly = new WeakMap<CallGraph, Map<string, boolean>>();

/** Whether no function of the program sends on the channel stored under `key` (a field or package variable). */
function neverSent(graph: CallGraph, key: string): boolean {
  let memo = closeOnly.get(graph);
  if (!memo) closeOnly.set(graph, (memo = new Map()));
  let out = memo.get(key);
  if (out !== undefined) return out;
  const sentOn = (fn: FuncNode, ch: Expr) => stateOf(graph, fn, ch)?.key === key;
  out = !graph.funcs.some((fn) =>
    allStmts(fn.decl.body ?? []).some((st) => (st.k === 'send' && sentOn(fn, st.ch)) || (st.k === 'select' && st.cases.some((c) => c.kind === 'send' && sentOn(fn, c.ch)))),
  );
  memo.set(key, out);
  return out;
}

/** Where a function releases a mutex itself (not by a deferred call, which runs on its way out). */
function unlocksIn(node: FuncNode): Pos[] {
  return allStmts(node.decl.body ?? []).flatMap((st) => (st.k === 'expr' && st.x.k === 'call' && st.x.fn.k === 'sel' && /^R?Unlock$/.test(st.x.fn.name) ? [st.pos] : []));
}

/**
 * The channels `op`'s function certainly receives from after `op` itself: on its way out, past no branch the
 * operation is not under; `held`, without releasing a mutex in between.
 */
function receivedAfter(graph: CallGraph, op: OpFact, held: boolean): Set<string> {
  const last = op.steps.at(-1)!;
  const out = new Set<string>();
  const unlocks = held ? unlocksIn(last.node) : [];
  for (const w of writesOf(graph, last.node)) {
    if (w.verb !== 'receives from' || w.pos <= last.pos || unlocks.some((u) => u > last.pos && u < w.pos)) continue;
    if (decidedWith(last.node.decl.body ?? [], w.pos, last.pos)) out.add(w.key);
  }
  return out;
}

/** The channels a branch on the way to an operation must find open: a probe's `!closed` in the direction the path takes. */
function probedOpen(parts: ProbeParts, node: FuncNode, b: Branch): string[] {
  const [cond] = b.conds;
  if (b.kind !== 'if' || b.taken === undefined || !cond) return [];
  const { atoms } = parts.conds.assumed(node, cond, b.taken);
  if (!atoms.some((a) => a.startsWith('!closed:'))) return [];
  return readsOf(parts.graph, parts.dispatch, node, cond).map((r) => r.key);
}

/** Whether a closed-check on `guarded`'s path certainly fails once `other`'s path has run (see the module's comment). */
export function probeDecided(parts: ProbeParts, guarded: OpFact, other: OpFact, concurrent: boolean): boolean {
  if (concurrent && !guarded.locks.some((l) => other.locks.includes(l))) return false;
  let received: Set<string> | undefined;
  for (const s of guarded.steps) {
    for (const b of decidingBranches(s.node.decl.body ?? [], s.pos) ?? []) {
      const keys = probedOpen(parts, s.node, b);
      if (keys.length === 0) continue;
      received ??= receivedAfter(parts.graph, other, concurrent);
      if (keys.some((k) => received!.has(k) && neverSent(parts.graph, k))) return true;
    }
  }
  return false;
}
