import type { Expr, Pos } from '../ir.js';
import type { FlowDomain } from '../flow/walk.js';
import { builtinArg } from '../irutil.js';
import type { FuncNode } from '../resolve/callgraph.js';
import { callsRecover, FRESH, MADE, NO_LOCKS, walkGuarded, type CalleeOp, type ChanId, type ChannelFacts, type GuardState, type OpFact } from './chanfacts.js';

/**
 * Orderings of channel operations inside one function that can panic: what the two ordering rules
 * (send-after-close, double-close) report. Computed once per program and shared by both.
 */
export type SequenceHazard =
  /** A close (direct, or inside a call) precedes a send on the same channel. */
  | { kind: 'send-after-close'; fn: FuncNode; id: ChanId; close: OpFact; send: OpFact }
  /** Two closes of the same channel on one path; `loop` when it is the same close on the next iteration. */
  | { kind: 'close-after-close'; fn: FuncNode; id: ChanId; first: OpFact; second: OpFact; loop: boolean; deferred: boolean }
  /** A goroutine started here may still send when the function closes the channel (often by defer). */
  | { kind: 'close-while-sending'; fn: FuncNode; id: ChanId; close: OpFact; send: OpFact };

interface State {
  closed: ReadonlyMap<ChanId, OpFact>;
  /** Sends by goroutines started on this path that nothing has waited for yet. */
  spawned: ReadonlyMap<ChanId, OpFact>;
  deferred: ReadonlyMap<ChanId, OpFact>;
}

const EMPTY: State = { closed: new Map(), spawned: new Map(), deferred: new Map() };

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

const domain: FlowDomain<State> = {
  join: (a, b) => {
    if (a === b) return a;
    const closed = union(a.closed, b.closed);
    const spawned = union(a.spawned, b.spawned);
    const deferred = union(a.deferred, b.deferred);
    return closed === a.closed && spawned === a.spawned && deferred === a.deferred ? a : { closed, spawned, deferred };
  },
  equal: (a, b) => sameKeys(a.closed, b.closed) && sameKeys(a.spawned, b.spawned) && sameKeys(a.deferred, b.deferred),
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

/** Drops closes of channels a call assigned anew, when it is (or may be) the same instance. */
function withoutRemade(closed: ReadonlyMap<ChanId, OpFact>, remakes: Map<ChanId, string | undefined>): ReadonlyMap<ChanId, OpFact> {
  const gone = ([id, op]: [ChanId, OpFact]) => {
    if (!remakes.has(id)) return false;
    const root = remakes.get(id);
    return root === undefined || op.root === undefined || root === op.root;
  };
  return [...closed].some(gone) ? new Map([...closed].filter((e) => !gone(e))) : closed;
}

const cache = new WeakMap<ChannelFacts, SequenceHazard[]>();

export function sequenceHazards(facts: ChannelFacts): SequenceHazard[] {
  let out = cache.get(facts);
  if (!out) {
    out = [];
    // Every hazard starts at a close the function performs or reaches, and its facts list all of those.
    for (const fn of facts.graph.funcs) if (facts.of(fn).closes.size > 0) out.push(...facts.memoized(() => hazardsIn(fn, facts)));
    cache.set(facts, out);
  }
  return out;
}

function hazardsIn(fn: FuncNode, facts: ChannelFacts): SequenceHazard[] {
  const out: SequenceHazard[] = [];
  const seen = new Set<string>();
  const emit = (h: SequenceHazard, at: Pos, other: Pos) => {
    const key = `${h.kind}|${h.id}|${at}|${other}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(h);
  };
  const lastPos = (op: OpFact): Pos => op.steps[op.steps.length - 1]!.pos;
  const direct = (ch: Expr, pos: Pos, verb: string, g: GuardState) => facts.directOp(fn, ch, pos, verb, g);

  const onClose = (id: ChanId, op: OpFact, s: State, deferred: boolean): State => {
    const first = s.closed.get(id);
    // Reached through two different variables: most likely two instances (`a.Close(); b.Close()`).
    const sameInstance =
      !first ||
      ((first.root === undefined || op.root === undefined || first.root === op.root) && !unnamed(first.root) && !unnamed(op.root));
    if (first && sameInstance && !first.once && !op.once) {
      const loop = first.steps[0]!.pos === op.steps[0]!.pos;
      emit({ kind: 'close-after-close', fn, id, first, second: op, loop, deferred }, op.steps[0]!.pos, first.steps[0]!.pos);
    }
    const sender = s.spawned.get(id);
    if (sender) emit({ kind: 'close-while-sending', fn, id, close: op, send: sender }, lastPos(sender), op.steps[0]!.pos);
    return first ? s : { ...s, closed: withEntries(s.closed, new Map([[id, op]])) };
  };
  const onSend = (id: ChanId, op: OpFact, s: State) => {
    const close = s.closed.get(id);
    // The closed instance must be one this function can name (its own, its receiver's, an argument's):
    // a callee closing something it looked up or made itself (`dom := GetDomain(s); dom.Close()`) says
    // nothing about later sends. The sender may be looked up (the model case's writers come from a
    // cache, yet send on the engine that was closed); only one a callee made is surely another.
    if (close && !unnamed(close.root) && op.root !== MADE) emit({ kind: 'send-after-close', fn, id, close, send: op }, lastPos(op), close.steps[0]!.pos);
  };

  const exits = walkGuarded<State>(
    fn,
    facts,
    {
      close(ch, pos, g, s) {
        const d = direct(ch, pos, 'closes', g);
        return d ? onClose(d[0], d[1], s, false) : s;
      },
      send(ch, pos, g, s) {
        const d = direct(ch, pos, 'sends on', g);
        if (d) onSend(d[0], d[1], s);
        return s;
      },
      call(call, g, s, mode) {
        const eff = facts.effectsOf(fn, call);
        const ctx = { locks: g.locks, flagChecked: g.flag, async: mode === 'go', once: g.once };
        if (mode === 'go') return { ...s, spawned: withLifted(s.spawned, eff.sends, (c) => facts.lift(fn, c, ctx)) };
        // Only a send on something already closed matters: lift the rest never.
        for (const c of eff.sends) if (s.closed.has(c.id)) onSend(c.id, facts.lift(fn, c, ctx), s);
        let cur = s;
        // A callee that both makes and closes a channel (Start/Finish in one) closes its own instance:
        // its close is not checked against earlier ones, and afterwards the channel counts as open.
        for (const c of eff.closes) if (!eff.remakes.has(c.id)) cur = onClose(c.id, facts.lift(fn, c, ctx), cur, false);
        if (eff.remakes.size) cur = { ...cur, closed: withoutRemade(cur.closed, eff.remakes) };
        return eff.waits ? { ...cur, spawned: new Map() } : cur;
      },
      defer(call, pos, g, s) {
        if (call.k !== 'call') return s;
        const closed = builtinArg(call, 'close');
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
        const eff = facts.effectsOf(fn, call);
        const ctx = { locks: NO_LOCKS, flagChecked: false, async: false, once: g.once };
        return { ...s, deferred: withLifted(s.deferred, eff.closes, (c) => facts.lift(fn, c, ctx)) };
      },
      rebind(targets, s) {
        // Most assignments come before any close: nothing to forget.
        if (s.closed.size === 0 && s.spawned.size === 0) return s;
        const ids = new Set(targets.map((t) => facts.idOf(fn, t)).filter((x): x is ChanId => x !== undefined));
        const roots = new Set(targets.flatMap((t) => (t.k === 'id' ? [t.name] : [])));
        const gone = (id: ChanId, op: OpFact) => ids.has(id) || (op.root !== undefined && roots.has(op.root.split('.')[0]!));
        const drop = (m: ReadonlyMap<ChanId, OpFact>) => {
          if (m.size === 0 || ![...m].some(([id, op]) => gone(id, op))) return m;
          return new Map([...m].filter(([id, op]) => !gone(id, op)));
        };
        return { closed: drop(s.closed), spawned: drop(s.spawned), deferred: s.deferred };
      },
    },
    EMPTY,
    domain,
  );
  // Deferred closes run at every exit, after whatever the path did.
  for (const exit of exits) {
    let s = exit;
    for (const [id, op] of exit.deferred) s = onClose(id, op, s, true);
  }
  return out;
}
