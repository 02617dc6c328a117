/**
 * Re-makes the engine does not follow, for a pair of closes: which instance a close closes when its
 * channel was just swapped out (`old := h.cur.Swap(&gen{...}); close(old.ch)`: each Swap hands its
 * caller the one previous value, so two such closes close two objects) or re-made on the closing
 * goroutine itself (`done = make(chan struct{}); close(done)` on a goroutine started after the other close).
 */
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { lineOf } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import type { ChanId } from '../identity/ids.js';
import type { Assumption } from '../../findings.js';
import { nodeLocation } from '../report.js';
import type { Parts } from './assume.js';

export type Instances = { distinct: true } | { distinct: false; assumptions: Assumption[] };

const SAME: Instances = { distinct: false, assumptions: [] };

/** The variable at the head of a channel expression: `old` for `old.ch`. */
function head(e: Expr): string | undefined {
  return e.k === 'id' ? e.name : e.k === 'sel' ? head(e.x) : undefined;
}

/** The channel a close at the operation's last step closes. */
function closedExpr(parts: Parts, op: OpFact): { node: FuncNode; ch: Expr } | undefined {
  const last = op.steps.at(-1)!;
  for (const st of allStmts(last.node.decl.body ?? [])) {
    for (const c of callsInStmt(st)) {
      const ch = c.pos === last.pos ? parts.dispatch.closedBy(c) : undefined;
      if (ch) return { node: last.node, ch };
    }
  }
  return undefined;
}

/** A value made right there: a composite literal, its address, `make(...)` or `new(...)`. */
function fresh(e: Expr | undefined): boolean {
  if (!e) return false;
  if (e.k === 'unary' && e.op === '&') return fresh(e.x);
  return e.k === 'composite' || (e.k === 'call' && e.fn.k === 'id' && (e.fn.name === 'make' || e.fn.name === 'new'));
}

/** The assignment of `name` in a body, before `pos`, and whether it is a statement of the body itself (not under a branch). */
function assignmentOf(body: readonly Stmt[], name: string, before: number): { st: Extract<Stmt, { k: 'assign' }>; value: Expr; top: boolean } | undefined {
  for (const st of allStmts(body as Stmt[])) {
    if (st.k !== 'assign' || st.pos >= before) continue;
    const i = st.lhs.findIndex((l) => l.k === 'id' && l.name === name);
    if (i >= 0 && st.rhs.length === st.lhs.length) return { st, value: st.rhs[i]!, top: body.includes(st) };
  }
  return undefined;
}

/** `x.Swap(v)` or `atomic.SwapPointer(&x, v)`: the value swapped in. */
function swappedIn(e: Expr): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel' || !/^Swap/.test(e.fn.name)) return undefined;
  return e.args.at(-1);
}

/**
 * Whether two operations that `fn` reaches, by their access paths in `fn`, are on two channels (see
 * identity/distinct.ts), or what their being one rests on.
 */
export function pathInstances(parts: Parts, fn: FuncNode, a: OpFact, b: OpFact, id: ChanId): Instances {
  const rel = parts.ids.distinct.relate(fn, a.root, b.root, id);
  if (rel.k === 'distinct') return { distinct: true };
  if (rel.k === 'same') return SAME;
  return { distinct: false, assumptions: [{ kind: 'same-instance', text: rel.why, location: nodeLocation(b.steps[0]!.node, b.steps[0]!.pos) }] };
}

/** Whether the second close of a pair closes another instance than the first, or what that rests on. */
export function closedInstances(parts: Parts, fn: FuncNode, id: ChanId, first: OpFact, second: OpFact): Instances {
  const paths = pathInstances(parts, fn, first, second, id);
  if (paths.distinct) return paths;
  const assumptions: Assumption[] = [...paths.assumptions];
  for (const op of [first, second]) {
    const closed = closedExpr(parts, op);
    const name = closed && head(closed.ch);
    if (!closed || name === undefined) continue;
    const last = op.steps.at(-1)!;
    const def = assignmentOf(closed.node.decl.body ?? [], name, last.pos);
    if (!def) continue;
    const swapped = swappedIn(def.value);
    const line = lineOf(def.st.pos);
    if (swapped) {
      if (fresh(swapped)) return { distinct: true };
      assumptions.push({ kind: 'same-instance', text: `\`${exprText(def.value)}\` (line ${line}) swaps in an object that is already there or comes back`, location: nodeLocation(closed.node, def.st.pos) });
      continue;
    }
    // Re-made on the second close's own goroutine, after the first close ran: a new channel.
    if (op === second && second.async && fresh(def.value) && closed.node.decl.parent !== undefined) {
      const ordered = first.steps[0]!.pos < second.steps[0]!.pos;
      if (def.top && ordered) return { distinct: true };
      const premise = def.top ? `has not run when the other close reads \`${name}\`` : 'is skipped';
      assumptions.push({ kind: 'same-instance', text: `\`${name} = ${exprText(def.value)}\` (line ${line}) ${premise}`, location: nodeLocation(closed.node, def.st.pos) });
    }
  }
  return assumptions.length ? { distinct: false, assumptions } : SAME;
}
