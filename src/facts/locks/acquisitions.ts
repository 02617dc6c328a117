/**
 * Acquisitions: "what does a call acquire while this function holds a lock?" — the second pass of the
 * lock facts, which lifts acquisitions up call chains without a walk, only for the functions some
 * walked function calls while holding a lock, and notes re-acquisitions and lock-order edges.
 */
import type { FuncNode } from '../../resolve/callgraph.js';
import type { CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { FRESH } from '../identity/roots.js';
import { shortName } from '../names.js';
import type { LockCalls } from './calls.js';
import { instanceOf, keyOf, MAX_STEPS, MAX_TAKES, NO_TAKES, type Walked } from './state.js';
import type { LockOp, LockOrder, LockSummary, Reacquire } from './types.js';

/** Acquisitions per function, and the re-acquisitions and lock-order edges they make. */
export class Acquisitions {
  constructor(
    private readonly facts: SyncFacts,
    private readonly calls: LockCalls,
    /** The first pass's holds and releases, and its walks. */
    private readonly effects: ReadonlyMap<FuncNode, LockSummary>,
    private readonly walked: ReadonlyMap<FuncNode, Walked>,
    private readonly reacquires: Reacquire[],
    private readonly orders: LockOrder[],
  ) {}

  /** Fills the acquisitions of the functions that matter, callees first, then checks the walked functions' calls. */
  run(sccs: readonly FuncNode[][]): void {
    const wanted = this.wanted();
    for (const scc of wanted.size ? sccs : []) {
      const members = scc.length === 1 ? (wanted.has(scc[0]!) ? scc : []) : scc.filter((n) => wanted.has(n));
      const rounds = Math.min(members.length, 2);
      for (let round = 0; round < rounds; round++) for (const node of members) this.takes.set(node, this.acquisitions(node));
    }
    for (const [node, w] of this.walked) this.checkCalls(node, w);
  }

  readonly takes = new Map<FuncNode, LockOp[]>();

  /** Reacquires and lock-order edges already noted: loops visit their acquisitions more than once. */
  private readonly seen = new Set<string>();

  /**
   * The functions whose acquisitions matter: those a walked function calls while holding a lock,
   * and theirs, as deep as a witness path goes.
   */
  private wanted(): Set<FuncNode> {
    const out = new Set<FuncNode>();
    let frontier: FuncNode[] = [];
    for (const [node, w] of this.walked) {
      for (const [call, st] of w.calls) {
        if (st.must.size === 0) continue;
        for (const t of this.facts.dispatch.targetsOf(node, call)) if (t.precise && !out.has(t.callee)) out.add(t.callee), frontier.push(t.callee);
      }
    }
    for (let depth = 1; depth < MAX_STEPS && frontier.length; depth++) {
      const next: FuncNode[] = [];
      for (const node of frontier) for (const [, callee] of this.preciseCalls(node)) if (!out.has(callee)) out.add(callee), next.push(callee);
      frontier = next;
    }
    return out;
  }

  /** A function's synchronous calls with a precise target, and their targets. */
  private *preciseCalls(node: FuncNode): Generator<[CallExpr, FuncNode]> {
    const w = this.walked.get(node);
    // Unwalked, its calls on a side of an `if` the values decide never runs are left out, as a walk leaves them.
    const calls = w ? w.calls.keys() : this.facts.graph.sites(node).flatMap((s) => (s.mode === 'call' && !this.facts.conds.decided.deadCall(node, s.call) ? [s.call] : []));
    for (const call of calls) for (const t of this.facts.dispatch.targetsOf(node, call)) if (t.precise) yield [call, t.callee];
  }

  /** A callee's acquisitions in the caller's names, those it still holds on return excluded (they are its holds). */
  private liftTakes(node: FuncNode, call: CallExpr, callee: FuncNode, conds: ReadonlySet<Atom>): LockOp[] {
    const taken = this.takes.get(callee);
    if (!taken?.length) return NO_TAKES;
    const held = this.effects.get(callee)?.holds.map(keyOf) ?? [];
    const step: Step = { node, pos: call.pos, message: `calls ${shortName(callee)}` };
    return taken.flatMap((op) => (held.includes(keyOf(op)) ? [] : (this.calls.lift(node, callee, call, op, step, conds) ?? [])));
  }

  /**
   * Every acquisition a function makes before it holds that mutex itself. A function that was not
   * walked holds nothing itself, so each of its calls' acquisitions counts, under the `if` branches around it.
   */
  private acquisitions(node: FuncNode): LockOp[] {
    const w = this.walked.get(node);
    const out = new Map<string, LockOp>((w?.direct ?? []).map((op) => [keyOf(op), op]));
    for (const [call, callee] of this.preciseCalls(node)) {
      const st = w?.calls.get(call);
      for (const op of this.liftTakes(node, call, callee, st?.conds ?? this.facts.conds.enclosingConds(node, call))) {
        if (out.size >= MAX_TAKES) return [...out.values()];
        const key = keyOf(op);
        if (!st?.may.has(key) && !w?.entry.has(instanceOf(key)) && !out.has(key)) out.set(key, op);
      }
    }
    return [...out.values()];
  }

  /** The acquisitions down the calls a walked function makes while holding locks. */
  private checkCalls(node: FuncNode, w: Walked): void {
    for (const [call, st] of w.calls) {
      if (st.must.size === 0) continue;
      for (const t of this.facts.dispatch.targetsOf(node, call)) {
        if (!t.precise) continue;
        for (const op of this.liftTakes(node, call, t.callee, st.conds)) this.noteAcquire(node, st.must, op);
      }
    }
  }

  /** An acquisition checked against what is certainly held: the same instance again, or another mutex after it. */
  noteAcquire(node: FuncNode, must: ReadonlyMap<string, LockOp>, op: LockOp): void {
    const inst = instanceOf(keyOf(op));
    for (const [k, held] of must) {
      // The caller's lock, held by contract: the caller's own walk checks its acquisitions.
      if (held.entry) continue;
      const key = `${node.id}|${op.steps[0]!.pos}|${keyOf(op)}`;
      if (instanceOf(k) !== inst || op.root === FRESH) {
        const edge = `${key}|${k}`;
        if (held.id === op.id || this.seen.has(edge)) continue;
        this.seen.add(edge);
        const others = [...must.values()].flatMap((o) => (o.id === held.id || o.id === op.id ? [] : [o.id]));
        this.orders.push({ fn: node, held, taken: op, others });
        continue;
      }
      if (this.seen.has(key)) return;
      this.seen.add(key);
      this.reacquires.push({ fn: node, held, again: op, readRead: held.mode === 'r' && op.mode === 'r' });
      return;
    }
  }
}
