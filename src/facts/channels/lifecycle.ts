/**
 * Restartable lifecycles: "can a teardown's guarded close run twice across a restart?" — a setup
 * path that re-arms the close's guard and returns before it makes the channel anew.
 */
import type { Expr, Pos } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { walkGuarded } from '../guarded.js';
import type { ChanId } from '../identity/ids.js';
import { perProgram } from '../perprogram.js';

/**
 * Lifecycles that restart: a teardown (`Stop`) closes a channel field under a guard (a `sync.Once`,
 * a `closed` flag) and a setup (`Start`) re-arms the guard and makes the channel anew. When a path of
 * the setup re-arms the guard and returns (an error) before the `make`, Start;Stop;Start;Stop closes
 * the first channel twice.
 */
export interface LifecycleHazard {
  /** The setup method, and the `return` that leaves the guard re-armed with the old channel. */
  setup: FuncNode;
  at: Pos;
  /** The guard re-armed on that path (`t.once`), and where. */
  guard: { display: string; pos: Pos };
  /** The channel field, and where the setup makes it on its other paths. */
  chan: { id: ChanId; display: string; made: Pos };
  /** The teardown and its close of the channel. */
  teardown: FuncNode;
  close: OpFact;
}

interface Teardown {
  fn: FuncNode;
  op: OpFact;
  /** The guard fields that keep the close to once per setup. */
  guards: ChanId[];
}

const RECV_FIELD = /^@recv\.[^.]+$/;

export const lifecycleHazards = perProgram(find);

function find(facts: SyncFacts): LifecycleHazard[] {
  const teardowns = new Map<ChanId, Teardown[]>();
  for (const fn of facts.graph.funcs) {
    if (!fn.decl.recv) continue;
    for (const [id, op] of facts.channels.of(fn).closes) {
      if (!id.startsWith('field:') || !op.precise || op.root === undefined || !RECV_FIELD.test(op.root)) continue;
      const guards = guardsOf(facts, id, op);
      if (guards.length === 0) continue;
      const list = teardowns.get(id);
      if (list) list.push({ fn, op, guards });
      else teardowns.set(id, [{ fn, op, guards }]);
    }
  }
  if (teardowns.size === 0) return [];
  const out: LifecycleHazard[] = [];
  for (const fn of facts.graph.funcs) {
    // A setup assigns the channel field itself: its facts list that among the channels it re-makes.
    if (!fn.decl.recv || !fn.decl.body || ![...facts.channels.of(fn).remakes.keys()].some((id) => teardowns.has(id))) continue;
    out.push(...setupHazards(facts, fn, teardowns));
  }
  return out;
}

/** Same struct type: `field:<pkg>.<Type>.<field>` without the field. */
function ownerOf(id: ChanId): string {
  return id.slice(0, id.lastIndexOf('.'));
}

/**
 * What keeps a teardown's close to one per setup: the `sync.Once` whose `Do` runs it (a field of the
 * same object), or a flag of the same type that the path both tests and sets (`if s.closed { return }; s.closed = true`).
 */
function guardsOf(facts: SyncFacts, id: ChanId, op: OpFact): ChanId[] {
  const owner = ownerOf(id);
  const out = op.tests.filter((t) => t.startsWith('field:') && ownerOf(t) === owner && op.sets.includes(t));
  if (op.once) {
    for (const step of op.steps) {
      for (const site of facts.graph.sites(step.node)) {
        const fn = site.call.fn;
        if (fn.k !== 'sel' || fn.name !== 'Do' || !RECV_FIELD.test(facts.ids.rootIn(step.node, fn.x) ?? '')) continue;
        const once = facts.ids.idOf(step.node, fn.x);
        if (once !== undefined && ownerOf(once) === owner) out.push(once);
      }
    }
  }
  return out;
}

/** Resetting a guard: a new `sync.Once`, or a flag set back to false. */
function rearms(value: Expr): boolean {
  if (value.k === 'lit') return value.kind === 'false';
  if (value.k === 'composite') return true;
  return value.k === 'call' && value.fn.k === 'id' && value.fn.name === 'new';
}

/** A flag's cleared value: `false`, or `0` for an int flag. */
const cleared = (e: Expr | undefined) => e?.k === 'lit' && (e.kind === 'false' || e.zero === true);

/**
 * The atomic flag a call clears (`s.closed.Store(false)`, `s.state.Store(0)`,
 * `atomic.StoreInt32(&s.state, 0)`), the guard a CompareAndSwap tests.
 */
function rearmedBy(call: CallExpr): Expr | undefined {
  const f = call.fn;
  if (f.k !== 'sel') return undefined;
  if (f.x.k === 'id' && f.x.name === 'atomic') {
    const [target, value] = call.args;
    return /^Store/.test(f.name) && call.args.length === 2 && target?.k === 'unary' && target.op === '&' && cleared(value) ? target.x : undefined;
  }
  return f.name === 'Store' && call.args.length === 1 && cleared(call.args[0]) ? f.x : undefined;
}

/**
 * Along a path: the pairs of a guard re-armed and a channel it guards not yet made anew (some path:
 * joined by union), and the channels already made (every path: joined by intersection).
 */
interface Pending {
  pairs: ReadonlySet<string>;
  made: ReadonlySet<ChanId>;
}
const START: Pending = { pairs: new Set(), made: new Set() };
const pair = (guard: ChanId, chan: ChanId) => `${guard}\0${chan}`;
const chanOf = (p: string) => p.slice(p.indexOf('\0') + 1);

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  return a === b || (a.size === b.size && [...a].every((x) => b.has(x)));
}

const pendingDomain = {
  join(a: Pending, b: Pending): Pending {
    if (a === b) return a;
    const pairs = b.pairs.size === 0 ? a.pairs : a.pairs.size === 0 ? b.pairs : new Set([...a.pairs, ...b.pairs]);
    const made = sameSet(a.made, b.made) ? a.made : new Set([...a.made].filter((c) => b.made.has(c)));
    return pairs === a.pairs && made === a.made ? a : { pairs, made };
  },
  equal: (a: Pending, b: Pending) => sameSet(a.pairs, b.pairs) && sameSet(a.made, b.made),
};

/** The path makes these channels anew: nothing re-armed before is pending for them any more. */
function making(p: Pending, chans: ChanId[]): Pending {
  if (chans.length === 0 || chans.every((c) => p.made.has(c))) return p;
  const gone = new Set(chans);
  return { pairs: new Set([...p.pairs].filter((x) => !gone.has(chanOf(x)))), made: new Set([...p.made, ...chans]) };
}

function setupHazards(facts: SyncFacts, fn: FuncNode, teardowns: Map<ChanId, Teardown[]>): LifecycleHazard[] {
  // Cheap first: the method must assign `recv.f = make(...)` for a guarded channel f, and re-arm a guard.
  const field = (t: Expr) => (t.k === 'sel' && RECV_FIELD.test(facts.ids.rootIn(fn, t) ?? '') ? facts.ids.idOf(fn, t) : undefined);
  const made = new Map<ChanId, Pos>();
  const guardsHere = new Set<ChanId>();
  for (const st of allStmts(fn.decl.body ?? [])) {
    for (const call of callsInStmt(st)) {
      const flag = rearmedBy(call);
      const id = flag && field(flag);
      if (id !== undefined) guardsHere.add(id);
    }
    if (st.k !== 'assign' || st.op !== '=' || st.lhs.length !== st.rhs.length) continue;
    st.lhs.forEach((t, i) => {
      const id = field(t);
      if (id === undefined) return;
      if (teardowns.has(id) && facts.ids.isNew(fn, st.rhs[i]!) && !made.has(id)) made.set(id, st.pos);
      if (rearms(st.rhs[i]!)) guardsHere.add(id);
    });
  }
  const guarded = new Map<ChanId, ChanId[]>();
  for (const chan of made.keys()) {
    for (const t of teardowns.get(chan)!) {
      if (t.fn === fn) continue;
      for (const g of t.guards) if (guardsHere.has(g)) guarded.set(g, [...(guarded.get(g) ?? []), chan]);
    }
  }
  if (guarded.size === 0) return [];
  const rearmedAt = new Map<ChanId, { display: string; pos: Pos }>();
  const found = new Map<Pos, ReadonlySet<string>>();
  /** The guard `t` re-armed: every channel it guards that this path has not made yet is pending. */
  const rearm = (p: Pending, t: Expr, id: ChanId): Pending => {
    const chans = guarded.get(id)?.filter((c) => !p.made.has(c));
    if (!chans?.length) return p;
    if (!rearmedAt.has(id)) rearmedAt.set(id, { display: exprKey(t) ?? 'guard', pos: t.pos });
    return { pairs: new Set([...p.pairs, ...chans.map((c) => pair(id, c))]), made: p.made };
  };
  walkGuarded<Pending>(
    fn,
    facts,
    {
      close: (_ch, _pos, _g, p) => p,
      send: (_ch, _pos, _g, p) => p,
      call(call, _g, p, mode) {
        if (mode === 'go') return p;
        const flag = rearmedBy(call);
        const id = flag && field(flag);
        if (flag && id !== undefined) return rearm(p, flag, id);
        // `s.init()` making the channel counts as the make.
        const eff = facts.effects.effectsOf(fn, call);
        return eff.remakes.size ? making(p, [...eff.remakes].filter(([id, root]) => made.has(id) && (root === undefined || RECV_FIELD.test(root))).map(([id]) => id)) : p;
      },
      rebind(targets, p, values) {
        let out = p;
        targets.forEach((t, i) => {
          const id = field(t);
          const value = values?.[i];
          if (id === undefined || !value) return;
          if (made.has(id) && facts.ids.isNew(fn, value)) out = making(out, [id]);
          if (rearms(value)) out = rearm(out, t, id);
        });
        return out;
      },
      exit(pos, _g, p) {
        if (p.pairs.size > 0) found.set(pos, p.pairs);
        return p;
      },
    },
    START,
    pendingDomain,
  );
  const out: LifecycleHazard[] = [];
  for (const [at, pending] of found) {
    // One finding per early return: the first pending pair names it.
    const [first] = [...pending].sort();
    const [guardId, chanId] = first!.split('\0') as [ChanId, ChanId];
    const teardown = teardowns.get(chanId)!.find((t) => t.fn !== fn && t.guards.includes(guardId))!;
    const chanDisplay = madeDisplay(facts, fn, chanId) ?? teardown.op.display;
    out.push({
      setup: fn,
      at,
      guard: rearmedAt.get(guardId)!,
      chan: { id: chanId, display: chanDisplay, made: made.get(chanId)! },
      teardown: teardown.fn,
      close: teardown.op,
    });
  }
  return out;
}

/** The channel as the setup writes it (`t.stop`). */
function madeDisplay(facts: SyncFacts, fn: FuncNode, id: ChanId): string | undefined {
  for (const st of allStmts(fn.decl.body ?? [])) {
    if (st.k !== 'assign') continue;
    for (const t of st.lhs) if (t.k === 'sel' && facts.ids.idOf(fn, t) === id) return exprKey(t);
  }
  return undefined;
}
