/**
 * Evidence for a pair of channel operations (a close and a second close or a send): the branches on
 * either one's witness path that read state the other path writes. Such a branch is an assumption of
 * the finding (it is still taken, or its early exit is not, after the other path's write), unless it
 * is a compare-and-swap the two paths race for, or a sync.Once both run under (see once.ts), which the
 * engine can decide:
 * - the same transition (same state word, same from-value) on both paths: only one wins: no hazard;
 * - one path's transition ends where the other's starts (Close: running→closing, then
 *   Abort: closing→aborted): the second one certainly passes: no assumption.
 */
import { lineOf, type Expr, type Pos, type Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, libraryName } from '../calls.js';
import { errorByName, isErrorCheck } from '../conditions/errorcheck.js';
import type { Dispatch } from '../dispatch.js';
import type { OpFact } from '../effects/types.js';
import type { Assumption } from '../../findings.js';
import { nodeLocation } from '../report.js';
import { decidingBranches, type Branch } from './branches.js';
import { dispatchAssumptions } from './dispatch.js';
import { onceEvidence } from './once.js';
import type { Identity } from '../identity/identity.js';
import { readsOf, stateOf, writesOf, type StateWrite } from './state.js';

/** The parts of the engine evidence asks (SyncFacts has them). */
export interface Parts {
  readonly graph: CallGraph;
  readonly dispatch: Dispatch;
  readonly ids: Identity;
}

/**
 * What the pair's evidence says: `exclusive` when a compare-and-swap both paths race for lets only one through;
 * otherwise what the finding assumes, weighed on first ask: most pairs are grouped under another function's
 * pair and never reported, and weighing one reads every branch of both paths (and the program's interface
 * conversions, for a dispatch on them).
 */
export type Evidence = { exclusive: true } | { exclusive: false; assumptions: () => Assumption[] };

interface Guard {
  node: FuncNode;
  branch: Branch;
}

/** The functions a fact's enclosing function is nested in, itself included: whose locals both paths share. */
function scopeOf(graph: CallGraph, top: FuncNode): Set<string> {
  const out = new Set<string>([top.id]);
  let decl = top.decl;
  while (decl.parent !== undefined) {
    decl = top.file.funcs[decl.parent]!;
    out.add(graph.nodeOf(top.file, decl).id);
  }
  return out;
}

/** Each branch deciding each hop of the witness path. */
function guardsOf(op: OpFact): Guard[] {
  return op.steps.flatMap((s) => (decidingBranches(s.node.decl.body ?? [], s.pos) ?? []).map((branch) => ({ node: s.node, branch })));
}

/**
 * What the other path writes: everything in the functions below the one holding both facts (and in the
 * functions they call directly, a `markStopped()` helper), and in that function itself from the other
 * operation's first step on (`s.Stop(); stopped = true`), or from the start of the branch that step is in
 * (`if ... { started = true; go send() }`: a flag that goes with starting the sender).
 */
function pathWrites(parts: Parts, op: OpFact, top: FuncNode | undefined, loop: Stmt | undefined): StateWrite[] {
  const [first, ...rest] = op.steps;
  const branch = top && (decidingBranches(first!.node.decl.body ?? [], first!.pos) ?? []).filter((b) => !b.exit).at(-1);
  // On a later turn of a loop, what the loop's body wrote before the other operation was written after it too.
  const from = top === undefined ? 0 : loop ? loop.pos : branch ? branch.pos + 1 : first!.pos;
  const out = writesOf(parts.graph, first!.node).filter((w) => w.pos >= from);
  const seen = new Set<FuncNode>();
  for (const s of rest) {
    if (seen.has(s.node)) continue;
    seen.add(s.node);
    out.push(...writesOf(parts.graph, s.node));
    for (const st of allStmts(s.node.decl.body ?? [])) {
      for (const c of callsInStmt(st)) {
        const callee = parts.dispatch.soleCallee(s.node, c);
        if (callee && !seen.has(callee)) out.push(...writesOf(parts.graph, callee));
      }
    }
  }
  return out;
}

/** The innermost loop of `top` around both positions. */
function loopAround(top: FuncNode, p: Pos, q: Pos): Stmt | undefined {
  let out: Stmt | undefined;
  for (const st of allStmts(top.decl.body ?? [])) {
    if (st.k === 'for' && decidingBranches(st.body, p) && decidingBranches(st.body, q)) out = st;
  }
  return out;
}

/** `err != nil`, `ctx.Err() != nil`: an error check says the call failed, not that another path ran. */
function errorChecks(graph: CallGraph, conds: Expr[]): boolean {
  return conds.every((c) => isErrorCheck(c, { isError: errorByName, callName: (call) => libraryName(graph.callInfo(call)) }));
}

interface Transition {
  key: string;
  from: string;
  to: string;
}

/** `atomic.CompareAndSwapUint32((*uint32)(&m.state), running, closing)` or `m.state.CompareAndSwap(running, closing)`. */
function transitionOf(graph: CallGraph, node: FuncNode, e: Expr): Transition | undefined {
  const cond = e.k === 'unary' && e.op === '!' ? e.x : e;
  if (cond.k !== 'call' || cond.fn.k !== 'sel' || !/^CompareAndSwap/.test(cond.fn.name)) return undefined;
  const pkg = cond.fn.x.k === 'id' && cond.fn.x.name === 'atomic';
  const [word, from, to] = pkg ? cond.args : [cond.fn.x, ...cond.args];
  const state = word && stateOf(graph, node, word);
  const value = (v: Expr | undefined) => v && constantText(graph, node, v);
  const [f, t] = [value(from), value(to)];
  return state && f !== undefined && t !== undefined ? { key: state.key, from: f, to: t } : undefined;
}

/** A constant's name, through the numeric conversions the atomic package's signatures ask for (`uint32(running)`). */
function constantText(graph: CallGraph, node: FuncNode, v: Expr): string | undefined {
  const numeric = v.k === 'call' && v.args.length === 1 && (v.fn.k === 'type' || (v.fn.k === 'id' && /^u?int(8|16|32|64)?$/.test(v.fn.name)));
  if (numeric) return constantText(graph, node, v.args[0]!);
  return graph.constantOf(node, v) ?? (v.k === 'id' ? v.name : undefined);
}

/** Only a CAS that guards the operation counts: an early return when it fails, or the branch taken when it wins. */
function guardingTransition(graph: CallGraph, g: Guard): Transition | undefined {
  const [cond] = g.branch.conds;
  if (g.branch.kind !== 'if' || !cond) return undefined;
  const negated = cond.k === 'unary' && cond.op === '!';
  return negated === g.branch.exit ? transitionOf(graph, g.node, cond) : undefined;
}

/**
 * Whether some function of the package can put the state word back to `from` (a restart: an atomic
 * store, swap or CAS, or a plain assignment), so that a second winner exists.
 */
function rearmed(graph: CallGraph, node: FuncNode, t: Transition): boolean {
  const back = (fn: FuncNode, word: Expr | undefined, v: Expr | undefined) =>
    word !== undefined && v !== undefined && stateOf(graph, fn, word)?.key === t.key && constantText(graph, fn, v) === t.from;
  return graph.funcs.some(
    (fn) =>
      fn.pkg === node.pkg &&
      allStmts(fn.decl.body ?? []).some((st) =>
        (st.k === 'assign' && st.lhs.some((l, i) => back(fn, l, st.rhs[i]))) ||
        callsInStmt(st).some((c) => {
          if (c.fn.k !== 'sel' || !/^(Store|Swap|CompareAndSwap)/.test(c.fn.name)) return false;
          const pkg = c.fn.x.k === 'id' && c.fn.x.name === 'atomic';
          const word = pkg ? c.args[0] : c.fn.x;
          return back(fn, word, c.args.at(-1));
        }),
      ),
  );
}

function guardText(g: Guard): string {
  const b = g.branch;
  if (b.kind === 'select') return `case <-${exprText(b.conds[0]!)}`;
  if (b.kind === 'switch') return `switch ${b.conds.map((c) => exprText(c)).join(', ')}`;
  return `${b.kind} ${exprText(b.conds[0]!)}`;
}

function assumption(g: Guard, w: StateWrite): Assumption {
  const at = `line ${lineOf(w.pos)}${w.node.file === g.node.file ? '' : ` of ${w.node.file.path}`}`;
  const premise = g.branch.exit ? 'does not leave early' : 'is still taken';
  return {
    kind: 'undecided-branch',
    text: `\`${guardText(g)}\` (line ${lineOf(g.branch.pos)}) ${premise} after ${at} ${w.verb} \`${w.text}\``,
    location: nodeLocation(g.node, g.branch.pos),
  };
}

/**
 * The evidence for a hazard between two operations that `top` reaches, `a` first; `concurrent` when
 * nothing orders them (on one path, what the second one's path writes cannot change how the first ran).
 * Without `top`, the two are reached by two calls of the function holding them: nothing of one call's
 * own is shared with the other.
 */
export function pairEvidence(parts: Parts, top: FuncNode | undefined, a: OpFact, b: OpFact, concurrent: boolean): Evidence {
  const { graph } = parts;
  // One sync.Once both must pass: only the first Do runs its function.
  const once = onceEvidence(graph, a, b);
  if (once.exclusive) return once;
  const [ga, gb] = [guardsOf(a), guardsOf(b)];
  const [ta, tb] = [ga, gb].map((gs) => gs.map((g) => ({ g, t: guardingTransition(graph, g) })));
  // One transition both paths must win: only one of them gets past it.
  for (const x of ta!) {
    if (x.t && tb!.some((y) => y.t && y.t.key === x.t!.key && y.t.from === x.t!.from) && !rearmed(graph, x.g.node, x.t)) return { exclusive: true };
  }
  let weighed: Assumption[] | undefined;
  const assumptions = () => (weighed ??= assumptionsOf(parts, top, a, b, concurrent, once.assumptions, ta!, tb!));
  return { exclusive: false, assumptions };
}

type Guarded = { g: Guard; t: Transition | undefined }[];

/** What a pair that no transition or Once rules out assumes: its dispatches, and the branches that read the other path's writes. */
function assumptionsOf(parts: Parts, top: FuncNode | undefined, a: OpFact, b: OpFact, concurrent: boolean, onces: Assumption[], ta: Guarded, tb: Guarded): Assumption[] {
  const { graph } = parts;
  const shared = top ? scopeOf(graph, top) : new Set<string>();
  // Which implementer an interface call on either path runs, when the program never shows its type becoming that interface.
  const out: Assumption[] = [...onces, ...dispatchAssumptions(parts, a), ...(a === b ? [] : dispatchAssumptions(parts, b))];
  const seen = new Set<Pos>();
  // The second operation written before the first in a loop of `top`: it follows on a later turn.
  const carried = top && !concurrent && b.steps[0]!.pos < a.steps[0]!.pos ? loopAround(top, a.steps[0]!.pos, b.steps[0]!.pos) : undefined;
  const check = (guards: Guarded, other: OpFact, otherTransitions: Guarded) => {
    let writes: StateWrite[] | undefined;
    for (const { g, t } of guards) {
      if (seen.has(g.branch.pos) || errorChecks(graph, g.branch.conds)) continue;
      // A branch of the function holding both, decided before the other path starts there (the seed's
      // `if ei.openedEngine == nil { return }` at the top of Clean), cannot see that path's writes;
      // unless it is in the loop that carries one operation to the next turn, where it runs again.
      if (g.node === top && g.branch.pos < other.steps[0]!.pos && !(carried && g.branch.pos > carried.pos)) continue;
      // The other path's transition ends where this one starts: this one certainly passes.
      if (t && otherTransitions.some((o) => o.t && o.t.key === t.key && o.t.to === t.from)) continue;
      const reads = g.branch.conds.flatMap((c) => readsOf(graph, parts.dispatch, g.node, c)).filter((r) => r.owner === undefined || shared.has(r.owner));
      if (reads.length === 0) continue;
      writes ??= pathWrites(parts, other, top, carried).filter((w) => w.owner === undefined || shared.has(w.owner));
      // A loop's own header (`for i := 0; i < n; i++`) writes what its condition reads: the loop decides that.
      const own = (x: StateWrite) => g.branch.kind === 'for' && x.node === g.node && lineOf(x.pos) === lineOf(g.branch.pos);
      const w = writes.find((x) => !own(x) && reads.some((r) => r.key === x.key));
      if (!w) continue;
      seen.add(g.branch.pos);
      out.push(assumption(g, w));
    }
  };
  check(tb, a, ta);
  if (concurrent) check(ta, b, tb);
  return out;
}
