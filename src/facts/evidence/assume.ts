/**
 * Evidence for a pair of channel operations (a close and a second close or a send): the branches on
 * either one's witness path that read state the other path writes. Such a branch is an assumption of
 * the finding (it is still taken, or its early exit is not, after the other path's write), unless it
 * is a compare-and-swap the two paths race for, or a sync.Once both run under (see once.ts), which the
 * engine can decide:
 * - the same transition (same state word, same from-value) on both paths: only one wins: no hazard;
 * - a closed-check that the other path's receive from the probed channel decides (probes.ts): no hazard;
 * - a per-entry flag the first of two calls cleared for the entry the second needs (elements.ts): no hazard;
 * - one path's transition ends where the other's starts (Close: running→closing, then
 *   Abort: closing→aborted): the second one certainly passes: no assumption.
 */
import { lineOf, type Expr, type Pos, type Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, libraryName } from '../calls.js';
import type { Conditions } from '../conditions/conditions.js';
import { errorByName, isErrorCheck } from '../conditions/errorcheck.js';
import type { Dispatch } from '../dispatch.js';
import type { OpFact } from '../effects/types.js';
import { joinAssumptions, type Assumption } from '../../findings.js';
import { nodeLocation } from '../report.js';
import { decidingBranches, type Branch } from './branches.js';
import { dispatchAssumptions } from './dispatch.js';
import { entryCleared } from './elements.js';
import { onceEvidence } from './once.js';
import { probeDecided } from './probes.js';
import { pathReach } from './reach.js';
import type { Identity } from '../identity/identity.js';
import { readsOf, stateOf, writesOf, type StateWrite } from './state.js';

/** The parts of the engine evidence asks (SyncFacts has them). */
export interface Parts {
  readonly graph: CallGraph;
  readonly dispatch: Dispatch;
  readonly ids: Identity;
  readonly conds: Conditions;
}

/**
 * What the pair's evidence says: `exclusive` when at most one of the two runs (a compare-and-swap both paths
 * race for lets only one through, one sync.Once runs both), or one cannot run at all (its path needs a
 * branch of a callee that the arguments passed rule out: reach.ts); otherwise what the finding assumes,
 * weighed on first ask: most pairs are grouped under another function's pair and never reported, and
 * weighing one reads every branch of both paths (and the program's interface conversions, for a dispatch on them).
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
  /** The function declaring the word, when it is a local: each activation has its own. */
  owner?: string;
}

/** The state word and argument of an atomic call (`atomic.AddInt32(&p.n, 1)` or `p.n.Add(1)`) whose name matches. */
function atomicCall(e: Expr, name: RegExp): { word: Expr | undefined; args: Expr[] } | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel' || !name.test(e.fn.name)) return undefined;
  const pkg = e.fn.x.k === 'id' && e.fn.x.name === 'atomic';
  return pkg ? { word: e.args[0], args: e.args.slice(1) } : { word: e.fn.x, args: e.args };
}

const isOne = (e: Expr | undefined) => e?.k === 'lit' && e.kind === 'int' && e.value === 1;

/**
 * The transition a condition races for, and whether the condition holding means this path won it:
 * `atomic.CompareAndSwapUint32((*uint32)(&m.state), running, closing)` or `m.state.CompareAndSwap(running, closing)`;
 * or a counter's first increment, `atomic.AddInt32(&p.disconnect, 1) != 1` (only the caller that moved it from 0 sees 1).
 */
function transitionOf(graph: CallGraph, node: FuncNode, e: Expr): { t: Transition; wins: boolean } | undefined {
  const negated = e.k === 'unary' && e.op === '!';
  const cond = negated ? e.x : e;
  const state = (word: Expr | undefined) => word && stateOf(graph, node, word);
  const cas = atomicCall(cond, /^CompareAndSwap/);
  if (cas) {
    const [from, to] = cas.args.map((v) => constantText(graph, node, v));
    const word = state(cas.word);
    return word && from !== undefined && to !== undefined ? { t: { key: word.key, from, to, owner: word.owner }, wins: !negated } : undefined;
  }
  if (negated || cond.k !== 'binary' || (cond.op !== '==' && cond.op !== '!=')) return undefined;
  const [call, value] = isOne(cond.y) ? [cond.x, cond.y] : [cond.y, cond.x];
  const add = atomicCall(call, /^Add/);
  const word = add && isOne(add.args[0]) && isOne(value) ? state(add.word) : undefined;
  return word ? { t: { key: word.key, from: '0', to: '1', owner: word.owner }, wins: cond.op === '==' } : undefined;
}

/** A constant's name, through the numeric conversions the atomic package's signatures ask for (`uint32(running)`). */
function constantText(graph: CallGraph, node: FuncNode, v: Expr): string | undefined {
  const numeric = v.k === 'call' && v.args.length === 1 && (v.fn.k === 'type' || (v.fn.k === 'id' && /^u?int(8|16|32|64)?$/.test(v.fn.name)));
  if (numeric) return constantText(graph, node, v.args[0]!);
  return graph.constantOf(node, v) ?? (v.k === 'id' ? v.name : undefined);
}

/** Only a transition that guards the operation counts: an early return when it is lost, or the branch taken when it is won. */
function guardingTransition(graph: CallGraph, g: Guard): Transition | undefined {
  const [cond] = g.branch.conds;
  if (g.branch.kind !== 'if' || !cond) return undefined;
  const race = transitionOf(graph, g.node, cond);
  return race && race.wins !== g.branch.exit ? race.t : undefined;
}

/**
 * Whether some function of the package can put the state word back to `from` (a restart: an atomic
 * store, swap, CAS or decrement, or a plain assignment), so that a second winner exists.
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
          const set = atomicCall(c, /^(Store|Swap|CompareAndSwap)/);
          if (set) return back(fn, set.word, set.args.at(-1));
          // A counter's decrement (or any step but the guard's +1) can bring it back to where the guard started.
          const add = atomicCall(c, /^Add/);
          return add !== undefined && !isOne(add.args[0]) && add.word !== undefined && stateOf(graph, fn, add.word)?.key === t.key;
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
  // A branch of a callee on either path that reads what its caller passes: decided there, or assumed.
  const [ra, rb] = [pathReach(parts, a.steps), a === b ? [] : pathReach(parts, b.steps)];
  if (ra === false || rb === false) return { exclusive: true };
  const shared = top ? scopeOf(graph, top) : new Set<string>();
  const [ga, gb] = [guardsOf(a), guardsOf(b)];
  const [ta, tb] = [ga, gb].map((gs) => gs.map((g) => ({ g, t: guardingTransition(graph, g) })));
  // One transition both paths must win: only one of them gets past it; a word local to each activation is not one.
  for (const x of ta!) {
    if (x.t && (x.t.owner === undefined || shared.has(x.t.owner)) && tb!.some((y) => y.t && y.t.key === x.t!.key && y.t.from === x.t!.from) && !rearmed(graph, x.g.node, x.t)) return { exclusive: true };
  }
  // A closed-check the other path's receive decides: whichever runs second finds the channel closed.
  if (probeDecided(parts, b, a, concurrent) && (!concurrent || probeDecided(parts, a, b, true))) return { exclusive: true };
  // A per-entry flag the first call cleared on its way, for the entry the second one needs.
  if (entryCleared(parts, a, b, concurrent)) return { exclusive: true };
  let weighed: Assumption[] | undefined;
  const reached = joinAssumptions(ra, rb);
  const assumptions = () => (weighed ??= assumptionsOf(parts, top, shared, a, b, concurrent, once.assumptions, reached, ta!, tb!));
  return { exclusive: false, assumptions };
}

type Guarded = { g: Guard; t: Transition | undefined }[];

/** What a pair that no transition or Once rules out assumes: its dispatches, and the branches that read the other path's writes. */
function assumptionsOf(parts: Parts, top: FuncNode | undefined, shared: Set<string>, a: OpFact, b: OpFact, concurrent: boolean, onces: Assumption[], reached: Assumption[], ta: Guarded, tb: Guarded): Assumption[] {
  const { graph } = parts;
  // Which implementer an interface call on either path runs, when the program never shows its type becoming that interface.
  const out: Assumption[] = [...onces, ...dispatchAssumptions(parts, a), ...(a === b ? [] : dispatchAssumptions(parts, b)), ...reached];
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
