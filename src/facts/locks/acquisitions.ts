/**
 * Acquisitions: "what does a call acquire while this function holds a lock?" — the second pass of the
 * lock facts, which lifts acquisitions up call chains without a walk, only for the functions some
 * walked function calls while holding a lock, and notes re-acquisitions and lock-order edges.
 */
import type { Assumption } from '../../findings.js';
import { exprText } from '../../irtext.js';
import type { Expr } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import type { CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { CAPTURED, FRESH, splitRoot } from '../identity/roots.js';
import { fieldStores } from '../identity/stores.js';
import { shortName } from '../names.js';
import { nodeLocation } from '../report.js';
import type { LockCalls } from './calls.js';
import { instanceOf, keyOf, MAX_STEPS, MAX_TAKES, NO_TAKES, type Walked } from './state.js';
import type { LockOp, LockOrder, LockSummary, Reacquire } from './types.js';
import { inTestFile } from '../program/testcode.js';

/** A callee whose acquisitions count, and what its dispatch assumed. */
interface Callee {
  callee: FuncNode;
  assumed?: Assumption;
  /** A function handed to the call and run by it: the call of that value (`wb.callback()`), whose receiver it runs on. */
  as?: CallExpr;
  /** A callback called through a field of the object it was registered on: its captured registrant is that object. */
  registrant?: { head: string; root: string };
}

/**
 * One mutex of two objects the function is given (`a.mu` then `b.mu`, the receiver's then a parameter's): an
 * order its callers choose, an edge of the lock order between two instances of one type.
 */
function byTwoParameters(a: string, b: string): boolean {
  const [x, y] = [splitRoot(a), splitRoot(b)];
  return x.head !== y.head && x.path === y.path && x.head.startsWith('@') && y.head.startsWith('@');
}

const runParamsMemo = new WeakMap<FuncNode, readonly number[]>();

/** Indexes of a function's parameters it calls itself before returning (`cb(err)`, a deferred `done()`): not on a goroutine. */
function runParams(facts: SyncFacts, fn: FuncNode): readonly number[] {
  let out = runParamsMemo.get(fn);
  if (out) return out;
  const names = fn.decl.params.map((p) => p.name);
  const run = new Set<number>();
  for (const { call, mode } of facts.graph.sites(fn)) {
    if (mode === 'go' || call.fn.k !== 'id') continue;
    const i = names.indexOf(call.fn.name);
    if (i !== -1 && !facts.conds.decided.deadCall(fn, call)) run.add(i);
  }
  runParamsMemo.set(fn, (out = [...run]));
  return out;
}

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
        for (const t of this.targetsFor(node, call)) if (!out.has(t.callee)) out.add(t.callee), frontier.push(t.callee);
      }
    }
    for (let depth = 1; depth < MAX_STEPS && frontier.length; depth++) {
      const next: FuncNode[] = [];
      for (const node of frontier) for (const [, { callee }] of this.preciseCalls(node)) if (!out.has(callee)) out.add(callee), next.push(callee);
      frontier = next;
    }
    return out;
  }

  /** A function's synchronous calls with a target whose acquisitions count, and those targets. */
  private *preciseCalls(node: FuncNode): Generator<[CallExpr, Callee]> {
    const w = this.walked.get(node);
    // Unwalked, its calls on a side of an `if` the values decide never runs are left out, as a walk leaves them.
    const calls = w ? w.calls.keys() : this.facts.graph.sites(node).flatMap((s) => (s.mode === 'call' && !this.facts.conds.decided.deadCall(node, s.call) ? [s.call] : []));
    for (const call of calls) for (const t of this.targetsFor(node, call)) yield [call, t];
  }

  /**
   * The targets of a call whose acquisitions count: the precise ones; and, for a call through an interface
   * in code outside tests, the one implementation outside `_test.go` files, on that assumption (a test's
   * mock is not in the program that runs this code).
   */
  private targetsFor(node: FuncNode, call: CallExpr): readonly Callee[] {
    const targets = this.facts.dispatch.targetsOf(node, call);
    const precise = targets.filter((t) => t.precise);
    if (precise.length) {
      const handed = precise.flatMap((t) => this.handedAndRun(node, call, t.callee));
      return handed.length ? [...precise, ...handed] : precise;
    }
    if (targets.length === 0) return precise;
    const stored = this.storedCallbacks(node, call);
    if (stored.length || inTestFile(node)) return stored;
    const info = this.facts.graph.callInfo(call);
    if (info.kind !== 'resolved' || info.targets.some((t) => t.how !== 'interface')) return precise;
    const outside = targets.filter((t) => !inTestFile(t.callee));
    if (outside.length !== 1) return precise;
    const callee = outside[0]!.callee;
    const assumed: Assumption = {
      kind: 'opaque-call',
      text: `\`${exprText(call.fn, true)}\` runs \`${shortName(callee)}\`, its only implementation outside tests`,
      location: nodeLocation(node, call.pos),
    };
    return [{ callee, assumed }];
  }

  /**
   * The functions a call hands its callee that the callee runs before it returns (`txn.CommitWith(wb.callback)`,
   * whose body calls `cb(err)`): called by this call, with this call's receiver for a method value. A function-typed
   * parameter's calls reach every function any caller passes, too many to count; at one call, the one passed is known.
   */
  private handedAndRun(node: FuncNode, call: CallExpr, callee: FuncNode): Callee[] {
    const out: Callee[] = [];
    for (const i of runParams(this.facts, callee)) {
      const arg = call.args[i];
      if (arg?.k === 'funclit') {
        const lit = node.file.funcs[arg.fn];
        if (lit) out.push({ callee: this.facts.graph.nodeOf(node.file, lit), as: call });
        continue;
      }
      const value = arg && this.facts.graph.callOfValue(node, arg);
      if (value) for (const t of this.facts.dispatch.targetsOf(node, value)) if (t.precise) out.push({ callee: t.callee, as: value });
    }
    return out;
  }

  /**
   * A function literal called through a field (`fn := l.onLimit; fn(w, r)`) that its enclosing function stored there
   * by a setter of the object it names (`lmt.SetOnLimit(func(...) { lmt.GetMax() })`, the setter writing its parameter
   * into `l.onLimit`): the literal's captured `lmt` is the object whose field is called, whose mutexes it takes.
   */
  private storedCallbacks(node: FuncNode, call: CallExpr): Callee[] {
    const { graph, ids } = this.facts;
    const field = this.fieldCalled(node, call.fn);
    const holder = field && ids.condRoot(node, field.x);
    if (!field || holder === undefined) return [];
    // Where the field is written from a parameter (`l.onLimit = fn`): a setter, by the function and the parameter's name.
    const setters = (fieldStores(graph).stores.get(field.name) ?? []).flatMap((st) => (st.value?.k === 'id' ? [{ node: st.node, param: st.value.name }] : []));
    const out: Callee[] = [];
    for (const t of this.facts.dispatch.targetsOf(node, call)) {
      const lit = t.callee;
      const parentDecl = lit.decl.parent === undefined ? undefined : lit.file.funcs[lit.decl.parent];
      if (!parentDecl) continue;
      const parent = graph.nodeOf(lit.file, parentDecl);
      const index = lit.file.funcs.indexOf(lit.decl);
      for (const site of graph.sites(parent)) {
        const i = site.call.args.findIndex((a) => a.k === 'funclit' && a.fn === index);
        const setter = site.call.fn;
        if (i === -1 || setter.k !== 'sel' || setter.x.k !== 'id') continue;
        const sets = this.facts.dispatch
          .targetsOf(parent, site.call)
          .some((s) => s.precise && setters.some((st) => st.node === s.callee && st.param === s.callee.decl.params[i]?.name));
        if (!sets) continue;
        out.push({
          callee: lit,
          registrant: { head: `\0${setter.x.name}`, root: holder },
          assumed: {
            kind: 'same-instance',
            text: `\`${setter.x.name}\` in the callback given to \`${exprText(setter, true)}\` is the object whose \`${field.name}\` runs it`,
            location: nodeLocation(parent, site.call.pos),
          },
        });
      }
    }
    return out;
  }

  /** `l.onLimit` in `l.onLimit(w, r)`, or through a local bound to it alone (`fn := l.onLimit; fn(w, r)`). */
  private fieldCalled(node: FuncNode, fn: Expr): { x: Expr; name: string } | undefined {
    let e: Expr | undefined = fn;
    if (e.k === 'id') {
      const key = this.facts.ids.localKey(node, e);
      const sources = key === undefined ? undefined : this.facts.ids.localSources(node).get(key);
      e = sources?.length === 1 ? sources[0] : undefined;
    }
    return e?.k === 'sel' && this.facts.graph.storageOf(node, e)?.kind === 'field' ? { x: e.x, name: e.name } : undefined;
  }

  /** A callee's acquisitions in the caller's names, those it still holds on return excluded (they are its holds). */
  private liftTakes(node: FuncNode, through: CallExpr, { callee, assumed, as, registrant }: Callee, conds: ReadonlySet<Atom>): LockOp[] {
    const call = as ?? through;
    const taken = this.takes.get(callee);
    if (!taken?.length) return NO_TAKES;
    const held = this.effects.get(callee)?.holds.map(keyOf) ?? [];
    const step: Step = { node, pos: through.pos, message: as ? `calls ${shortName(callee)}, handed to ${exprText(through.fn, true)}` : `calls ${shortName(callee)}` };
    return taken.flatMap((op) => {
      if (held.includes(keyOf(op))) return [];
      if (registrant) {
        const { head, path } = splitRoot(op.root);
        if (!head.startsWith(CAPTURED) || !head.endsWith(registrant.head) || op.steps.length >= MAX_STEPS) return [];
        return [{ ...op, root: `${registrant.root}${path}`, steps: [step, ...op.steps], assumed: [...(op.assumed ?? []), ...(assumed ? [assumed] : [])] }];
      }
      const lifted = this.calls.lift(node, callee, call, op, step, conds);
      return !lifted ? [] : assumed ? [{ ...lifted, assumed: [...(lifted.assumed ?? []), assumed] }] : [lifted];
    });
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
      for (const t of this.targetsFor(node, call)) for (const op of this.liftTakes(node, call, t, st.conds)) this.noteAcquire(node, st.must, op);
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
        if ((held.id === op.id && !byTwoParameters(held.root, op.root)) || this.seen.has(edge)) continue;
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
