/**
 * Orderings inside one function: "does a close run before a send, or twice, on one path?" — the
 * channel effects and their guards walked in order, for send-after-close and double-close.
 */
import { walkNested } from '../../flow/nest.js';
import { fieldwiseEqual, fieldwiseJoin } from '../../flow/walk.js';
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { callsInLoops, callsInStmt, exprsOfSimple, forEachSubExpr, type CallExpr } from '../calls.js';
import { callsRecover } from '../goroutines/defers.js';
import { contextAt, NO_LOCKS, type CalleeOp, type OpFact } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { onceCaseCalls } from './oncecases.js';
import { NO_GUARDS, walkGuarded, type GuardedDomain, type GuardState } from '../guarded.js';
import type { ChanId } from '../identity/ids.js';
import { FRESH, MADE } from '../identity/roots.js';
import { perProgram } from '../perprogram.js';
import { contradicts, mentions, parseAtom, type Atom } from '../conditions/atoms.js';
import { leavesOnReportedClose } from './reportedclose.js';

/**
 * Orderings of channel operations inside one function that can panic: what the two ordering rules
 * (send-after-close, double-close) report. Computed once per program and shared by both.
 */
export type SequenceHazard =
  /** A close (direct, or inside a call) precedes a send on the same channel. */
  | { kind: 'send-after-close'; fn: FuncNode; id: ChanId; close: OpFact; send: OpFact }
  /**
   * Two closes of the same channel on one path; `loop` when it is the same close on the next iteration;
   * `concurrent` when one of them runs on a goroutine the function started and did not wait for (with
   * `loop`: each of the goroutines a `go` in a loop starts closes it).
   */
  | { kind: 'close-after-close'; fn: FuncNode; id: ChanId; first: OpFact; second: OpFact; loop: boolean; deferred: boolean; concurrent?: boolean }
  /** A goroutine started here may still send when the function closes the channel (often by defer). */
  | { kind: 'close-while-sending'; fn: FuncNode; id: ChanId; close: OpFact; send: OpFact };

interface State {
  closed: ReadonlyMap<ChanId, OpFact>;
  /**
   * For each closed channel, atoms that hold on every path where it is closed (`!job.own`, when only
   * the else-branch left it closed): a later operation under the opposite condition cannot meet it.
   */
  when: ReadonlyMap<ChanId, ReadonlySet<Atom>>;
  /** Sends by goroutines started on this path that nothing has waited for yet. */
  spawned: ReadonlyMap<ChanId, OpFact>;
  /**
   * For each channel a started goroutine closes, the channels it sends on: a receiver that sees that
   * channel closed (a `range` over it ended) knows those sends are done.
   */
  closers: ReadonlyMap<ChanId, readonly ChanId[]>;
  /** For each channel a started goroutine sends on, every channel it sends on: one signal answers for all. */
  senders: ReadonlyMap<ChanId, readonly ChanId[]>;
  /** Closes by goroutines started on this path that nothing has waited for yet. */
  spawnedCloses: ReadonlyMap<ChanId, OpFact>;
  /** Channels that goroutines started in a loop send on: one receive answers for one of them only. */
  many: ReadonlySet<ChanId>;
  deferred: ReadonlyMap<ChanId, OpFact>;
}

const EMPTY: State = {
  closed: new Map(),
  when: new Map(),
  spawned: new Map(),
  closers: new Map(),
  senders: new Map(),
  spawnedCloses: new Map(),
  many: new Set(),
  deferred: new Map(),
};
const NO_ATOMS: ReadonlySet<Atom> = new Set();

function union<V>(a: ReadonlyMap<ChanId, V>, b: ReadonlyMap<ChanId, V>): ReadonlyMap<ChanId, V> {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

function sameKeys<V>(a: ReadonlyMap<ChanId, V>, b: ReadonlyMap<ChanId, V>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

/** What holds with a closed channel on one side of a join: what held before, and that side's path condition. */
function alongside(when: ReadonlySet<Atom> | undefined, conds: ReadonlySet<Atom>): ReadonlySet<Atom> {
  if (!when || when.size === 0) return conds;
  if (conds.size === 0) return when;
  return new Set([...when, ...conds]);
}

function joinWhen(a: State, ga: GuardState, b: State, gb: GuardState, closed: ReadonlyMap<ChanId, OpFact>): ReadonlyMap<ChanId, ReadonlySet<Atom>> {
  if (closed.size === 0) return closed as ReadonlyMap<ChanId, never>;
  if (a.closed === b.closed && ga.conds === gb.conds && a.when === b.when) return a.when;
  const out = new Map<ChanId, ReadonlySet<Atom>>();
  for (const id of closed.keys()) {
    const wa = a.closed.has(id) ? alongside(a.when.get(id), ga.conds) : undefined;
    const wb = b.closed.has(id) ? alongside(b.when.get(id), gb.conds) : undefined;
    const w = wa && wb ? [...wa].filter((x) => wb.has(x)) : [...(wa ?? wb ?? [])];
    if (w.length) out.set(id, new Set(w));
  }
  return out;
}

const joinFields = fieldwiseJoin<State>({
  closed: union,
  spawned: union,
  closers: union,
  senders: union,
  spawnedCloses: union,
  deferred: union,
  many: (a, b) => (b.size === 0 || a === b ? a : a.size === 0 ? b : new Set([...a, ...b])),
});

const domain: GuardedDomain<State> = {
  join: (a, b) => {
    const joined = joinFields(a, b);
    if (joined === a) return a;
    const when = joined.closed === a.closed ? a.when : joined.closed === b.closed ? b.when : union(a.when, b.when);
    return when === joined.when ? joined : { ...joined, when };
  },
  joinWith: (a, ga, b, gb) => {
    if (a === b && ga.conds === gb.conds) return a;
    const joined = domain.join(a, b);
    const when = joinWhen(a, ga, b, gb, joined.closed);
    return when === joined.when ? joined : { ...joined, when };
  },
  equal: fieldwiseEqual<State>({
    closed: sameKeys,
    spawned: sameKeys,
    closers: sameKeys,
    spawnedCloses: sameKeys,
    many: (a, b) => a.size === b.size,
    deferred: sameKeys,
  }),
};

function withEntries(m: ReadonlyMap<ChanId, OpFact>, add: Map<ChanId, OpFact>): ReadonlyMap<ChanId, OpFact> {
  let out: Map<ChanId, OpFact> | undefined;
  for (const [k, v] of add) {
    if (m.has(k) || out?.has(k)) continue;
    out ??= new Map(m);
    out.set(k, v);
  }
  return out ?? m;
}

/** withEntries for a call's operations, lifting only those whose channel is new to `m`. */
function withLifted(m: ReadonlyMap<ChanId, OpFact>, add: CalleeOp[], lift: (c: CalleeOp) => OpFact): ReadonlyMap<ChanId, OpFact> {
  let out: Map<ChanId, OpFact> | undefined;
  for (const c of add) {
    if (m.has(c.id) || out?.has(c.id)) continue;
    out ??= new Map(m);
    out.set(c.id, lift(c));
  }
  return out ?? m;
}

function unnamed(root: string | undefined): boolean {
  return root === FRESH || root === MADE;
}

/**
 * An instance this function can name: across goroutines, where no order ties two operations to one
 * object, an object reached through a call's result (`Server(s, cfg).Handshake()` on one goroutine,
 * `Client(c, cfg).Handshake()` on the other) is not assumed to be the same one.
 */
function named(root: string | undefined): root is string {
  return root !== undefined && !unnamed(root);
}

/**
 * Two different objects for sure: instance roots held in two different local variables of the
 * function (`a, b := open(1), open(2)`). A root from the receiver or a parameter may alias anything.
 */
function distinct(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || unnamed(a) || unnamed(b)) return false;
  const head = (r: string) => r.split('.')[0]!;
  const [ha, hb] = [head(a), head(b)];
  return ha !== hb && !ha.startsWith('@') && !hb.startsWith('@') && !ha.startsWith('^') && !hb.startsWith('^');
}

/** What was known along with a closed channel about a rebound variable no longer holds. */
function forgetting(when: ReadonlyMap<ChanId, ReadonlySet<Atom>>, rebound: () => string[]): ReadonlyMap<ChanId, ReadonlySet<Atom>> {
  if (when.size === 0) return when;
  const roots = rebound();
  if (roots.length === 0) return when;
  let out: Map<ChanId, ReadonlySet<Atom>> | undefined;
  for (const [id, w] of when) {
    if (![...w].some((a) => roots.some((r) => mentions(a, r)))) continue;
    out ??= new Map(when);
    out.set(id, new Set([...w].filter((a) => !roots.some((r) => mentions(a, r)))));
  }
  return out ?? when;
}

/**
 * The later operation checked state that the earlier one's path certainly wrote: a closed flag, a
 * nil-ed field, set by the closing function before its close or after it, before returning. (Writes
 * on the later operation's own path are its own bookkeeping, not a guard against the close.)
 */
function guardedBy(later: OpFact, earlier: OpFact): boolean {
  return later.tests.length > 0 && later.tests.some((t) => earlier.sets.includes(t));
}

/**
 * Calls (and direct closes) that a loop runs only under an `if` or `switch` of its own: whether they
 * run again on the next iteration depends on data, and "closed again next time" is a guess.
 * A `select` case is not such a condition: a case receiving from a closed channel fires every time, unless
 * its body sets that channel variable to nil (oncecases.ts): then it never fires again.
 */
function conditionalInLoops(fn: FuncNode): ReadonlySet<Pos> {
  const out = new Set<Pos>(onceCaseCalls(fn.decl.body ?? []));
  walkNested(fn.decl.body ?? [], (st, place, role) => {
    if (role === 'stmt' && place.loop && place.decided) for (const c of callsInStmt(st)) out.add(c.pos);
  });
  return out;
}

/**
 * What a function does in loops: the calls it makes there (a `go` in a loop starts several goroutines),
 * the channel expressions it receives from there, and the channels it ranges over (one receive per
 * goroutine, as far as we can tell without counting).
 */
interface LoopShape {
  calls: ReadonlySet<Pos>;
  recvAt: ReadonlySet<Pos>;
  recvIds: ReadonlySet<ChanId>;
  /** Every channel the function receives from itself, in a loop or not. */
  ownRecvIds: ReadonlySet<ChanId>;
}

function loopShape(fn: FuncNode, facts: SyncFacts): LoopShape {
  const recvAt = new Set<Pos>();
  const recvIds = new Set<ChanId>();
  const ownRecvIds = new Set<ChanId>();
  let inLoop = false;
  const received = (ch: Expr) => {
    const id = facts.ids.idOf(fn, ch);
    if (id !== undefined) ownRecvIds.add(id);
    if (!inLoop) return;
    recvAt.add(ch.pos);
    if (id !== undefined) recvIds.add(id);
  };
  const exprs = (e: Expr | undefined): void => {
    if (!e) return;
    forEachSubExpr(e, exprs);
    if (e.k === 'unary' && e.op === '<-') received(e.x);
  };
  const visit = (stmts: Stmt[]): void => {
    for (const st of stmts) {
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') received(c.ch);
      exprsOfSimple(st).forEach(exprs);
      if (st.k === 'if') exprs(st.cond);
      switch (st.k) {
        case 'block':
          visit(st.body);
          break;
        case 'labeled':
          if (st.stmt) visit([st.stmt]);
          break;
        case 'if':
          if (st.init) visit([st.init]);
          visit(st.then);
          if (st.else) visit(st.else);
          break;
        case 'switch':
        case 'typeswitch':
          if (st.init) visit([st.init]);
          for (const c of st.cases) visit(c.body);
          break;
        case 'select':
          for (const c of st.cases) visit(c.body);
          break;
        case 'for': {
          const outer = inLoop;
          inLoop = true;
          if (st.range && facts.ids.isChannel(fn, st.range.x)) received(st.range.x);
          exprs(st.cond);
          visit(st.body);
          inLoop = outer;
          break;
        }
      }
    }
  };
  visit(fn.decl.body ?? []);
  return { calls: callsInLoops(fn.decl.body ?? []), recvAt, recvIds, ownRecvIds };
}

/** An instance root at `path` or below it (`ts.domain.exit` is within `ts.domain`). */
function within(root: string, path: string): boolean {
  return root === path || root.startsWith(`${path}.`);
}

/** The state without the closes and goroutines' operations `gone` names: they were of objects no longer reachable as before. */
function forget(s: State, gone: (id: ChanId, op: OpFact) => boolean): State {
  const drop = (m: ReadonlyMap<ChanId, OpFact>) => {
    if (m.size === 0 || ![...m].some(([id, op]) => gone(id, op))) return m;
    return new Map([...m].filter(([id, op]) => !gone(id, op)));
  };
  const closed = drop(s.closed);
  const spawned = drop(s.spawned);
  const spawnedCloses = drop(s.spawnedCloses);
  return closed === s.closed && spawned === s.spawned && spawnedCloses === s.spawnedCloses ? s : { ...s, closed, spawned, spawnedCloses };
}

/** Drops closes of channels a call assigned anew, when it is (or may be) the same instance. */
function withoutRemade(closed: ReadonlyMap<ChanId, OpFact>, remakes: Map<ChanId, string | undefined>): ReadonlyMap<ChanId, OpFact> {
  const gone = ([id, op]: [ChanId, OpFact]) => {
    if (!remakes.has(id)) return false;
    const root = remakes.get(id);
    return root === undefined || op.root === undefined || root === op.root;
  };
  return [...closed].some(gone) ? new Map([...closed].filter((e) => !gone(e))) : closed;
}

export const sequenceHazards = perProgram((facts: SyncFacts): SequenceHazard[] => {
  const out: SequenceHazard[] = [];
  // Every hazard is a close and a second operation on the same channel that the function performs or
  // reaches (a close a goroutine defers past its Done among them: it outlives the starter's Wait), and
  // its facts list the channels it meets that way.
  for (const fn of facts.graph.funcs) {
    if (facts.channels.of(fn).contested.size > 0) out.push(...facts.effects.memoized(() => hazardsIn(fn, facts)));
  }
  return out;
});

/** Sends of goroutines started here (by `go`, `g.Go`, or inside a call that returned), grouped per goroutine for joins. */
function spawn(s: State, sendOps: CalleeOp[], closeOps: CalleeOp[], lift: (c: CalleeOp) => OpFact): State {
  if (sendOps.length === 0) return s;
  const sends = sendOps.map((c) => c.id);
  const group = (m: ReadonlyMap<ChanId, readonly ChanId[]>, keys: ChanId[]) => {
    const out = new Map(m);
    for (const k of keys) out.set(k, [...(out.get(k) ?? []), ...sends]);
    return out;
  };
  return {
    ...s,
    closers: closeOps.length ? group(s.closers, closeOps.map((c) => c.id)) : s.closers,
    senders: group(s.senders, sends),
    spawned: withLifted(s.spawned, sendOps, lift),
  };
}

function hazardsIn(fn: FuncNode, facts: SyncFacts): SequenceHazard[] {
  const out: SequenceHazard[] = [];
  const seen = new Set<string>();
  const emit = (h: SequenceHazard, at: Pos, other: Pos) => {
    const key = `${h.kind}|${h.id}|${at}|${other}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(h);
  };
  const lastPos = (op: OpFact): Pos => op.steps[op.steps.length - 1]!.pos;
  const direct = (ch: Expr, pos: Pos, verb: string, g: GuardState) => facts.channels.directOp(fn, ch, pos, verb, g);
  let conditional: ReadonlySet<Pos> | undefined;
  let loops: LoopShape | undefined;
  const loopsOf = () => (loops ??= loopShape(fn, facts));
  // Goroutines started by a call in a loop: several of them send on each channel.
  const several = (s: State, sends: CalleeOp[], call: CallExpr): State => {
    const ids = sends.map((c) => c.id).filter((id) => !s.many.has(id));
    if (ids.length === 0 || !loopsOf().calls.has(call.pos)) return s;
    return { ...s, many: new Set([...s.many, ...ids]) };
  };

  const onClose = (id: ChanId, op: OpFact, s: State, deferred: boolean, g: GuardState): State => {
    const first = s.closed.get(id);
    // Reached through two different variables: most likely two instances (`a.Close(); b.Close()`).
    const sameInstance =
      !first ||
      ((first.root === undefined || op.root === undefined || first.root === op.root) && !unnamed(first.root) && !unnamed(op.root));
    const when = s.when.get(id) ?? NO_ATOMS;
    const meets = !contradicts(when, g.conds) && !contradicts(op.conds, when);
    if (first && sameInstance && meets && !first.once && !op.once && !guardedBy(op, first)) {
      const loop = first.steps[0]!.pos === op.steps[0]!.pos;
      conditional ??= loop ? conditionalInLoops(fn) : undefined;
      if (!loop || !(conditional?.has(op.steps[0]!.pos) || leavesOnReportedClose(fn.decl.body ?? [], op))) {
        emit({ kind: 'close-after-close', fn, id, first, second: op, loop, deferred }, op.steps[0]!.pos, first.steps[0]!.pos);
      }
    }
    // A goroutine this function started closes it too, and nothing waited for that goroutine.
    const racing = s.spawnedCloses.get(id);
    if (racing && (!op.waited || racing.afterDone) && sameInstance && !racing.once && !op.once && named(racing.root) && named(op.root) && !distinct(racing.root, op.root)) {
      emit({ kind: 'close-after-close', fn, id, first: racing, second: op, loop: false, deferred, concurrent: true }, op.steps[0]!.pos, racing.steps.at(-1)!.pos);
    }
    const sender = s.spawned.get(id);
    // The function (or a closure of it, such as a polling condition) watches a channel the goroutine
    // signals on: it waits for the goroutine in a way we do not follow step by step.
    const signals = s.senders.get(id) ?? [id];
    // Or it received anything between starting the goroutine and closing: a pipeline whose last value
    // came through (`in, out := relay(); go produce(in); for range n { <-out }; close(in)`).
    // Several goroutines started in a loop are waited for only by receives in a loop (or a range): the
    // first error out of `errc` says nothing of the other senders.
    // A receive inside the closing callee (`doWait`: a loop of receives, then the close) is trusted:
    // the callee's loops are not counted here.
    const heard = s.many.has(id) ? (c: ChanId) => loopsOf().recvIds.has(c) || !loopsOf().ownRecvIds.has(c) : () => true;
    const waited = (sender: OpFact) =>
      signals.some((c) => heard(c) && (op.recvd.includes(c) || facts.goroutines.observes(fn).has(c))) ||
      op.recvd.some((c) => heard(c) && !sender.recvd.includes(c));
    // A channel the closing callee made itself is not the one an earlier goroutine sends on,
    // and the closed instance is one this function can name: a callee closing what it received from
    // a queue (`closeSubstream(<-w.closingc)`) need not be the one a goroutine sends on.
    // A send the goroutine defers past its Done (a recover handler reporting on errc) outlives the Wait,
    // and no receive after it says how many such sends are still to come.
    const late = op.waited && sender?.afterDone;
    if (sender && (!op.waited || late) && named(op.root) && named(sender.root) && !distinct(sender.root, op.root) && !(guardedBy(sender, op) && sender.locks.length > 0) && (late || !waited(sender))) {
      emit({ kind: 'close-while-sending', fn, id, close: op, send: sender }, lastPos(sender), op.steps[0]!.pos);
    }
    if (first) return s;
    return { ...s, closed: withEntries(s.closed, new Map([[id, op]])), when: op.conds.length ? new Map(s.when).set(id, new Set(op.conds)) : s.when };
  };
  /** `calleeTests`: what a callee's path to the send tested, after this path's writes so far; none for a send written here. */
  const onSend = (id: ChanId, op: OpFact, s: State, g: GuardState, calleeTests: readonly ChanId[] = []) => {
    // After a Wait, a close a goroutine deferred past its Done may run any moment.
    const late = op.waited ? s.spawnedCloses.get(id) : undefined;
    if (late?.afterDone && !late.once && !unnamed(late.root) && !distinct(late.root, op.root) && op.root !== MADE) {
      emit({ kind: 'send-after-close', fn, id, close: late, send: op }, lastPos(op), late.steps.at(-1)!.pos);
      return;
    }
    const close = s.closed.get(id);
    if (!close) return;
    // The closed instance must be one this function can name (its own, its receiver's, an argument's):
    // a callee closing something it looked up or made itself (`dom := GetDomain(s); dom.Close()`) says
    // nothing about later sends. The sender may be looked up (the model case's writers come from a
    // cache, yet send on the engine that was closed); only one a callee made is surely another.
    if (unnamed(close.root) || op.root === MADE || distinct(close.root, op.root)) return;
    // The send checks what the closing path set (a closed flag, a nil-ed channel), before the close or
    // on this path since (`close(w.result); w.done = true` under the lock, then a callee's
    // `if w.done { return }` before its send), or the close happened under a condition this path rules out.
    // This path's own tests ran before its writes (`if ei.openedEngine == nil` at the top of the seed's
    // Clean), so only the callee's count against them.
    const when = s.when.get(id) ?? NO_ATOMS;
    if (guardedBy(op, close) || calleeTests.some((t) => g.sets.has(t)) || contradicts(when, g.conds) || contradicts(op.conds, when)) return;
    // Both in one body that runs at most once (`c.destructor.Do(func() { c.errors <- err; close(c.errors) })`):
    // a second call runs neither, and the body's own order is its own walk's business.
    if (op.once && close.once && op.steps.at(-1)!.node === close.steps.at(-1)!.node) return;
    emit({ kind: 'send-after-close', fn, id, close, send: op }, lastPos(op), close.steps[0]!.pos);
  };

  const exits = walkGuarded<State>(
    fn,
    facts,
    {
      close(ch, pos, g, s) {
        const d = direct(ch, pos, 'closes', g);
        return d ? onClose(d[0], d[1], s, false, g) : s;
      },
      send(ch, pos, g, s) {
        const d = direct(ch, pos, 'sends on', g);
        // `if out == w.shared { out <- v }`: the code checked which channel it sends on.
        const root = d && s.closed.has(d[0]) ? facts.ids.condRoot(fn, ch) : undefined;
        if (root !== undefined && [...g.conds].some((a) => a.startsWith('same:') && parseAtom(a).roots.includes(root))) return s;
        if (d) onSend(d[0], d[1], s, g);
        return s;
      },
      call(call, g, s, mode) {
        const eff = facts.effects.effectsOf(fn, call);
        const ctx = contextAt(g, mode === 'go');
        // A callee's operation under a condition this path rules out does not happen here.
        const possible = (c: CalleeOp) => !contradicts(c.conds, g.conds);
        if (mode === 'go') {
          let cur = s;
          // The new goroutine closes what this one already closed, or what another goroutine it
          // started closes too: nothing orders the two closes.
          for (const c of eff.closes) {
            if (eff.remakes.has(c.id) || !possible(c)) continue;
            const op = facts.effects.lift(fn, c, ctx);
            const earlier = cur.closed.get(c.id) ?? cur.spawnedCloses.get(c.id);
            if (earlier && named(earlier.root) && named(op.root) && !distinct(earlier.root, op.root) && !earlier.once && !op.once) {
              // The same `go` again, on the loop's next iteration: one goroutine per element, each closing.
              const loop = earlier.steps[0]!.pos === op.steps[0]!.pos && loopsOf().calls.has(call.pos);
              // Unless each goroutine closes only under a condition of its own (`if k == last { close(done) }`):
              // how many get there depends on data, as for a conditional close in a loop.
              if (!(loop && c.conds.length > 0)) {
                emit({ kind: 'close-after-close', fn, id: c.id, first: earlier, second: op, loop, deferred: false, concurrent: true }, op.steps.at(-1)!.pos, earlier.steps.at(-1)!.pos);
              }
            }
            if (!cur.spawnedCloses.has(c.id)) cur = { ...cur, spawnedCloses: new Map(cur.spawnedCloses).set(c.id, op) };
          }
          const sends = [...eff.sends, ...eff.async].filter(possible);
          return several(spawn(cur, sends, eff.closes, (c) => facts.effects.lift(fn, c, ctx)), sends, call);
        }
        // Only a send on something already closed matters: lift the rest never.
        for (const c of eff.sends) if ((s.closed.has(c.id) || s.spawnedCloses.has(c.id)) && possible(c)) onSend(c.id, facts.effects.lift(fn, c, ctx), s, g, c.op.tests);
        let cur = s;
        // A callee that both makes and closes a channel (Start/Finish in one) closes its own instance:
        // its close is not checked against earlier ones, and afterwards the channel counts as open.
        for (const c of eff.closes) if (!eff.remakes.has(c.id) && possible(c)) cur = onClose(c.id, facts.effects.lift(fn, c, ctx), cur, false, g);
        if (eff.remakes.size) cur = { ...cur, closed: withoutRemade(cur.closed, eff.remakes) };
        // `ts.stopServer(); ts.startServer()`: the callee pointed ts.domain at a new Domain.
        if (cur.closed.size || cur.spawned.size || cur.spawnedCloses.size) {
          const paths = facts.channels.repointedBy(fn, call);
          if (paths.length) cur = forget(cur, (_id, op) => op.root !== undefined && paths.some((p) => within(op.root!, p)));
        }
        // Goroutines the callee started and left running send and close from now on (after its own
        // closes, which the callee's own walk orders against them).
        const asyncCtx = { ...ctx, async: true };
        const async = eff.async.filter(possible);
        if (async.length) cur = several(spawn(cur, async, eff.asyncCloses, (c) => facts.effects.lift(fn, c, asyncCtx)), async, call);
        for (const c of eff.asyncCloses) {
          if (!possible(c) || cur.spawnedCloses.has(c.id)) continue;
          cur = { ...cur, spawnedCloses: new Map(cur.spawnedCloses).set(c.id, facts.effects.lift(fn, c, asyncCtx)) };
        }
        if (!eff.waits) return cur;
        // A close or send the goroutine defers past its Done may still be ahead.
        const pending = (m: ReadonlyMap<ChanId, OpFact>) => new Map([...m].filter(([, op]) => op.afterDone));
        return { ...cur, spawned: pending(cur.spawned), closers: new Map(), senders: new Map(), spawnedCloses: pending(cur.spawnedCloses) };
      },
      recv(ch, untilClosed, _g, s) {
        if (s.spawned.size === 0) return s;
        const id = facts.ids.idOf(fn, ch);
        if (id === undefined) return s;
        // A receive of what a goroutine sends orders its send before what follows; a range that ended
        // saw the goroutine's close, which comes after its sends.
        const done = new Set<ChanId>(untilClosed ? (s.closers.get(id) ?? []) : (s.senders.get(id) ?? [id]));
        // One receive outside a loop hears from one of several goroutines started in a loop.
        if (!untilClosed && !loopsOf().recvAt.has(ch.pos)) for (const d of done) if (s.many.has(d)) done.delete(d);
        if (![...done].some((d) => s.spawned.has(d))) return s;
        return { ...s, spawned: new Map([...s.spawned].filter(([k]) => !done.has(k))) };
      },
      defer(call, pos, g, s) {
        if (call.k !== 'call') return s;
        const closed = facts.dispatch.closedBy(call);
        if (closed) {
          const d = direct(closed, pos, 'closes (deferred)', g);
          if (!d) return s;
          const earlier = s.deferred.get(d[0]);
          if (earlier && earlier.steps[0]!.pos !== pos) {
            emit({ kind: 'close-after-close', fn, id: d[0], first: earlier, second: d[1], loop: false, deferred: true }, pos, earlier.steps[0]!.pos);
          }
          return { ...s, deferred: withEntries(s.deferred, new Map([d])) };
        }
        // `defer func() { if r := recover(); r != nil { close(ch) } }()` closes only on the panic path,
        // where the normal path's closes did not run.
        const lit = call.fn.k === 'funclit' ? fn.file.funcs[call.fn.fn] : undefined;
        if (lit?.body && callsRecover(lit.body)) return s;
        const eff = facts.effects.effectsOf(fn, call);
        const ctx = { ...contextAt(g, false), locks: NO_LOCKS };
        return { ...s, deferred: withLifted(s.deferred, eff.closes, (c) => facts.effects.lift(fn, c, ctx)) };
      },
      rebind(targets, s, values) {
        // Most assignments come before any close: nothing to forget.
        if (s.closed.size === 0 && s.spawned.size === 0 && s.spawnedCloses.size === 0) return s;
        const ids = new Set(targets.map((t) => facts.ids.idOf(fn, t)).filter((x): x is ChanId => x !== undefined));
        // A variable re-pointed (`c = newC()`), or a field re-pointed to a new object
        // (`s.readNotifier = newNotifier()`): what was closed through it is not what it holds now.
        // A field set to nil or to another existing value (`ei.openedEngine = nil`) does not change
        // the object that was closed, nor those still holding it.
        const names = new Set(targets.flatMap((t) => (t.k === 'id' ? [facts.ids.localKey(fn, t) ?? t.name] : [])));
        const paths = targets.flatMap((t, i) => {
          const value = values?.[i];
          const r = t.k === 'sel' && value && facts.ids.isNew(fn, value) ? facts.ids.rootIn(fn, t) : undefined;
          return r === undefined || r === FRESH || r === MADE ? [] : [r];
        });
        const under = (root: string) => names.has(root.split('.')[0]!) || paths.some((p) => within(root, p));
        const kept = forget(s, (id, op) => ids.has(id) || (op.root !== undefined && under(op.root)));
        const when = forgetting(s.when, () => targets.map((t) => facts.ids.condRoot(fn, t)).filter((r): r is string => r !== undefined));
        return when === s.when ? kept : { ...kept, when };
      },
    },
    EMPTY,
    domain,
  );
  // Deferred closes run at every exit, after whatever the path did.
  for (const { e: exit } of exits) {
    let s = exit;
    for (const [id, op] of exit.deferred) {
      // A defer registered later runs first: when it waits for the goroutines, they are done by this close.
      if (s.spawned.size && facts.defers.deferredAfterWait(fn).has(op.steps[0]!.pos)) s = { ...s, spawned: new Map(), spawnedCloses: new Map([...s.spawnedCloses].filter(([, c]) => c.afterDone)) };
      s = onClose(id, op, s, true, NO_GUARDS);
    }
  }
  return out;
}
