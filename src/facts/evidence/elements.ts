/**
 * A per-entry flag: `if sp.pool[index] { sp.pool[index] = false; ...; close(sp.ready) }`. A path that
 * passed the check cleared the entry on its way to the operation, so a later call for the same entry
 * finds it cleared and does not get there again. Decided for two calls one after the other that reach the
 * operation down the same calls, with the entry named the same way in the function making both (`r.Report();
 * r.Report()`: `r.parent.pool[r.index]` both times), and nothing in the package setting an entry back.
 * Two entries (two keys, or keys the caller cannot name) are two flags: each call may close.
 */
import type { Expr, Pos } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { Package } from '../../program.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { OpFact, Step } from '../effects/types.js';
import { FRESH, MADE, splitRoot } from '../identity/roots.js';
import type { Parts } from './assume.js';
import { decidedWith, decidingBranches, type Branch } from './branches.js';
import { stateOf, writesOf } from './state.js';

type Index = Extract<Expr, { k: 'index' }>;

/** The entry a branch needs set (or clear) on the way: `if m[k]` taken, `if !m[k]` not. */
function entryOf(b: Branch): { entry: Index; value: boolean } | undefined {
  const [cond] = b.conds;
  if (b.kind !== 'if' || b.taken === undefined || !cond) return undefined;
  const negated = cond.k === 'unary' && cond.op === '!';
  const e = negated ? cond.x : cond;
  return e.k === 'index' && e.index.length === 1 ? { entry: e, value: negated ? !b.taken : b.taken } : undefined;
}

const isBool = (e: Expr | undefined, value: boolean) => e?.k === 'lit' && e.kind === (value ? 'true' : 'false');

/** Whether the function sets the entry to `value` after `from` and before `to`, on every path between. */
function setOnTheWay(node: FuncNode, entry: Index, value: boolean, from: Pos, to: Pos): boolean {
  const text = exprText(entry);
  return allStmts(node.decl.body ?? []).some((st) => {
    if (st.k !== 'assign' || st.op !== '=' || st.pos <= from || st.pos >= to) return false;
    return st.lhs.some((l, i) => exprText(l) === text && isBool(st.rhs[i], value)) && decidedWith(node.decl.body ?? [], st.pos, to);
  });
}

/** Whether some function of the package sets an entry of the same map or slice to `value` (re-arms it). */
function rearmed(graph: CallGraph, node: FuncNode, entry: Index, value: boolean): boolean {
  const key = stateOf(graph, node, entry.x)?.key;
  if (key === undefined) return true;
  return graph.funcs.some(
    (fn) =>
      fn.pkg === node.pkg &&
      allStmts(fn.decl.body ?? []).some((st) => st.k === 'assign' && st.lhs.some((l, i) => l.k === 'index' && stateOf(graph, fn, l.x)?.key === key && !isBool(st.rhs[i], !value))),
  );
}

/** The call of a step (the statement of `step.node` at `step.pos`). */
function callAt(step: Step): CallExpr | undefined {
  for (const st of allStmts(step.node.decl.body ?? [])) for (const c of callsInStmt(st)) if (c.pos === step.pos) return c;
  return undefined;
}

/** An expression of `steps[i].node` in the names of `steps[0].node`, through the calls of the steps above it. */
function rootAbove(parts: Parts, steps: readonly Step[], i: number, e: Expr): string | undefined {
  let root = parts.ids.condRoot(steps[i]!.node, e);
  for (let j = i; j > 0 && root !== undefined; j--) {
    const call = callAt(steps[j - 1]!);
    if (!call) return undefined;
    const callee = steps[j]!.node;
    root = parts.ids.liftRoot(steps[j - 1]!.node, callee, root, call, parts.dispatch.receiverFor(call, callee));
  }
  return root === FRESH || root === MADE ? undefined : root;
}

/** `xs = append(xs, ...)`: the entries already there keep their values. */
const appends = (l: Expr, r: Expr | undefined) => r?.k === 'call' && r.fn.k === 'id' && r.fn.name === 'append' && r.args[0] !== undefined && exprText(r.args[0]) === exprText(l);

/**
 * Whether a root keeps its value between two positions of the function naming it: its variable is not
 * assigned in between, and no function of the packages on the way (`pkgs`: those that can set the fields
 * it goes through) assigns a field of that name on its path (but for appending to the map or slice of the
 * entries itself, `grown`).
 */
function steady(graph: CallGraph, top: FuncNode, pkgs: ReadonlySet<Package>, root: string, from: Pos, to: Pos, grown: boolean): boolean {
  const { head, path } = splitRoot(root);
  if (writesOf(graph, top).some((w) => w.pos > from && w.pos < to && w.key.startsWith('local:') && w.key.endsWith(`:${head}`))) return false;
  const names = path.split('.').filter(Boolean);
  const fields = new Set(names);
  const last = grown ? names.at(-1) : undefined;
  const reassigns = (l: Expr, r: Expr | undefined) => l.k === 'sel' && fields.has(l.name) && !(l.name === last && appends(l, r));
  return fields.size === 0 || !graph.funcs.some((fn) => pkgs.has(fn.pkg) && allStmts(fn.decl.body ?? []).some((st) => st.k === 'assign' && st.lhs.some((l, i) => reassigns(l, st.rhs[i]))));
}

/** Whether the first of two calls in a row cleared the entry that the second one's path needs set (see the module's comment). */
export function entryCleared(parts: Parts, a: OpFact, b: OpFact, concurrent: boolean): boolean {
  const n = b.steps.length;
  if (concurrent || a.steps.length !== n || n < 2 || a.steps[0]!.node !== b.steps[0]!.node) return false;
  for (let i = 1; i < n; i++) if (a.steps[i]!.node !== b.steps[i]!.node || a.steps[i]!.pos !== b.steps[i]!.pos) return false;
  const top = b.steps[0]!.node;
  const pkgs = new Set(b.steps.map((s) => s.node.pkg));
  const [from, to] = [a.steps[0]!.pos, b.steps[0]!.pos].sort((x, y) => x - y);
  for (let i = 1; i < n; i++) {
    const s = b.steps[i]!;
    for (const br of decidingBranches(s.node.decl.body ?? [], s.pos) ?? []) {
      const need = entryOf(br);
      if (!need || !setOnTheWay(s.node, need.entry, !need.value, br.pos, s.pos) || rearmed(parts.graph, s.node, need.entry, need.value)) continue;
      // The same map or slice, the same key, in the names of the function making both calls.
      const named = [need.entry.x, need.entry.index[0]!].map((e) => [rootAbove(parts, a.steps, i, e), rootAbove(parts, b.steps, i, e)]);
      if (named.every(([x, y], k) => x !== undefined && x === y && steady(parts.graph, top, pkgs, x, from!, to!, k === 0))) return true;
    }
  }
  return false;
}
