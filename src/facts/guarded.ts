/**
 * The guard-aware walk of one function: at each close, send, receive and call, the mutexes held, the
 * path condition, the state tested and written on the way and whether goroutines were waited for,
 * threading a rule's (or the effects') own state through the same control flow. The one walker that
 * the channel effects, the ordering hazards and the lock facts share.
 */
import type { Expr, Pos } from '../ir.js';
import type { FuncNode } from '../resolve/callgraph.js';
import { fieldwiseEqual, fieldwiseJoin, walkFunction, type FlowDomain } from '../flow/walk.js';
import { callsIn, callsInSimple, forEachSubExpr, type CallExpr } from './calls.js';
import { claimedOn, claiming, joinClaims, NO_CLAIMS, sameClaims, type Claims } from './claims.js';
import { formatAtom, isExclusive, mentions, type Atom } from './conditions/atoms.js';
import { STORE_RE } from './conditions/atomics.js';
import type { Conditions } from './conditions/conditions.js';
import type { Dispatch } from './dispatch.js';
import type { Goroutines } from './goroutines/goroutines.js';
import type { ChanId } from './identity/ids.js';
import type { Identity } from './identity/identity.js';

/** The parts of the engine the walk asks. */
export interface WalkParts {
  readonly dispatch: Dispatch;
  readonly ids: Identity;
  readonly conds: Conditions;
  readonly goroutines: Goroutines;
}

export interface GuardState {
  /** Mutexes certainly held here (by `Lock` calls earlier in this function). */
  locks: ReadonlySet<string>;
  /** The path condition: atoms certainly true here (see conditions.ts). */
  conds: ReadonlySet<Atom>;
  /** Fields and globals a condition on every path here read. */
  tests: ReadonlySet<ChanId>;
  /** Fields and globals certainly written on every path here. */
  sets: ReadonlySet<ChanId>;
  /** Channels received from on some path here. */
  recvd: ReadonlySet<ChanId>;
  /** A wait for goroutines ran on every path here. */
  waited: boolean;
  /**
   * Calls we cannot see into whose name says they may not return (`s.Require().FailNow()`): every path
   * here passed one of them, so what is found here rests on one returning (see noreturn.ts).
   */
  passed: ReadonlySet<CallExpr>;
  /** Fields and globals read while a mutex is held, since a mutex was last released: what a write here claims. */
  held: ReadonlySet<ChanId>;
  /** The claims made on the way here (see claims.ts). */
  claims: Claims;
  /** Every path here made a claim: what runs here runs at most once. */
  claimed: boolean;
  /**
   * Flags every path here last set to a literal (`n.ready = true` as `bool:@recv.ready`): what a callee reads of
   * them first. Apart from `conds`, which say what a branch tested: only the lock facts read these.
   */
  flags: ReadonlySet<Atom>;
}

export const NONE: ReadonlySet<string> = new Set();

/** Where a function starts, and what a deferred call at its exit may assume: nothing held, tested or known. */
export const NO_GUARDS: GuardState = { locks: NONE, conds: NONE, tests: NONE, sets: NONE, recvd: NONE, waited: false, passed: new Set(), held: NONE, claims: NO_CLAIMS, claimed: false, flags: NONE };

/** What two paths both have; one of the inputs itself whenever possible (joins happen at every branch). */
export function intersect<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  if (a === b || a.size === 0) return a;
  if (b.size === 0) return b;
  let all = true;
  for (const x of a) if (!b.has(x)) all = false;
  if (all) return a;
  const out = new Set<T>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out.size === b.size ? b : out;
}

export function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The flags after a write of `roots`: none of theirs kept, and `bool:<root>` (or its negation) for one written `true` or `false`. */
function flagsAfter(flags: ReadonlySet<Atom>, roots: readonly string[], value: Expr | undefined): ReadonlySet<Atom> {
  let out = flags.size && roots.some((r) => [...flags].some((a) => mentions(a, r))) ? new Set([...flags].filter((a) => !roots.some((r) => mentions(a, r)))) : flags;
  if (roots.length === 1 && value?.k === 'lit' && (value.kind === 'true' || value.kind === 'false')) out = adding(out, [formatAtom({ negated: value.kind === 'false', kind: 'bool', roots: [roots[0]!] })]);
  return out;
}

export function adding<T>(a: ReadonlySet<T>, xs: readonly T[]): ReadonlySet<T> {
  if (xs.every((x) => a.has(x))) return a;
  return new Set([...a, ...xs]);
}

/** Either side's additions: what some path here has (one input itself whenever the other adds nothing). */
function either<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  return b.size === 0 ? a : a.size === 0 ? b : adding(a, [...b]);
}

const joinFields = fieldwiseJoin<GuardState>({
    locks: intersect,
    conds: intersect,
    tests: intersect,
    sets: intersect,
    recvd: either,
    waited: (a, b) => a && b,
    // A path that passed none of them leaves nothing to assume; else each path passed one of either side's.
    passed: (a, b) => (a.size === 0 ? a : b.size === 0 ? b : adding(a, [...b])),
    held: intersect,
    claims: joinClaims,
    flags: intersect,
  });

const guardDomain: FlowDomain<GuardState> = {
  join: (a, b) => {
    if (a === b) return a;
    const joined = joinFields(a, b);
    // Whether each side claimed is read before the join drops the atoms that say so.
    const claimed = claimedOn(a) && claimedOn(b);
    return joined.claimed === claimed ? joined : { ...joined, claimed };
  },
  equal: fieldwiseEqual<GuardState>({
    waited: (a, b) => a === b,
    passed: sameSet,
    locks: sameSet,
    conds: sameSet,
    tests: sameSet,
    sets: sameSet,
    recvd: sameSet,
    held: sameSet,
    claims: sameClaims,
    claimed: (a, b) => a === b,
    flags: sameSet,
  }),
};

/** What a rule tracks alongside the guard state, returned updated by each callback. */
export interface GuardVisitor<E> {
  close(ch: Expr, pos: Pos, g: GuardState, e: E): E;
  send(ch: Expr, pos: Pos, g: GuardState, e: E): E;
  /** Every call in execution order; `go` for the call of a `go` statement. */
  call(call: CallExpr, g: GuardState, e: E, mode: 'sync' | 'go'): E;
  /** The call of a `defer` statement (its arguments were already visited as sync calls). */
  defer?(call: Expr, pos: Pos, g: GuardState, e: E): E;
  /** A `return` statement, after its values were evaluated: the state it leaves the function with. */
  exit?(pos: Pos, g: GuardState, e: E): E;
  /** Storage (re)bound by an assignment, a declaration or a range clause. */
  rebind?(targets: Expr[], e: E, values?: readonly Expr[]): E;
  /** A receive from a channel; `untilClosed` on leaving a `range` over it (it was closed). */
  recv?(ch: Expr, untilClosed: boolean, g: GuardState, e: E): E;
}

/** A rule's state domain; `joinWith` also sees each side's guards, to remember under which conditions a fact holds. */
export interface GuardedDomain<E> extends FlowDomain<E> {
  joinWith?(a: E, ga: GuardState, b: E, gb: GuardState): E;
}

interface Both<E> {
  g: GuardState;
  e: E;
}

/**
 * Walks a function noting, at each close, send, receive and call, the mutexes held, the path
 * condition, and the state tested and written on the way (the halves of a "flag under the mutex"
 * guard), threading a rule's own state `E` through the same control flow. Returns both states at
 * the function's exits.
 */
export function walkGuarded<E>(node: FuncNode, facts: WalkParts, v: GuardVisitor<E>, init: E, domain: GuardedDomain<E>): { e: E; g: GuardState }[] {
  const body = node.decl.body;
  if (!body) return [];
  const both: FlowDomain<Both<E>> = {
    join: (a, b) => {
      if (a === b) return a;
      const g = guardDomain.join(a.g, b.g);
      const e = domain.joinWith ? domain.joinWith(a.e, a.g, b.e, b.g) : domain.join(a.e, b.e);
      return g === a.g && e === a.e ? a : g === b.g && e === b.e ? b : { g, e };
    },
    equal: (a, b) => guardDomain.equal(a.g, b.g) && domain.equal(a.e, b.e),
  };
  const written = (g: GuardState, targets: Expr[], values?: readonly Expr[]): GuardState => {
    const { ids, roots } = facts.ids.writes(node, targets);
    // A flag read under the mutex still held and tested on this path, now set: this path claims it.
    const claim = g.locks.size > 0 && roots.some((r) => [...g.conds].some((a) => mentions(a, r))) ? ids.find((id) => g.held.has(id)) : undefined;
    if (claim !== undefined) g = claiming(g, claim, facts.conds.decidedAt(node, targets[0]!.pos) ? g.conds : NONE);
    let conds = g.conds;
    // What was known of the old value says nothing of the new one; that the path tested it and then
    // wrote it still holds (`if c.closed { return }; c.closed = true; close(c.done)`: runs once).
    for (const root of conds.size ? roots : []) {
      if ([...conds].some((a) => mentions(a, root))) {
        conds = new Set([...[...conds].filter((a) => !mentions(a, root)), formatAtom({ negated: false, kind: 'cmp', roots: [root] })]);
      }
    }
    const sets = adding(g.sets, ids);
    const flags = flagsAfter(g.flags, roots, targets.length === 1 ? values?.[0] : undefined);
    return sets === g.sets && conds === g.conds && flags === g.flags ? g : { ...g, sets, conds, flags };
  };
  const onCalls = (calls: CallExpr[], s: Both<E>, mode: 'sync' | 'go'): Both<E> => {
    if (calls.length === 0) return s;
    let { g, e } = s;
    for (const c of calls) {
      const closed = facts.dispatch.closedBy(c);
      if (closed) {
        e = v.close(closed, c.pos, g, e);
        continue;
      }
      if (mode === 'go') {
        e = v.call(facts.goroutines.goCall(node, c), g, e, mode);
        continue;
      }
      e = v.call(c, g, e, mode);
      if (facts.dispatch.noReturns.assumedReturn(node, c)) g = { ...g, passed: adding(g.passed, [c]) };
      for (const ch of facts.goroutines.receivedBy(node, c)) {
        if (v.recv) e = v.recv(ch, false, g, e);
        g = received(g, ch);
      }
      // `w.Stop()` waiting for a goroutine's exit signal: received on some path, as if here.
      const awaited = facts.goroutines.exits.awaitedBy(node, c);
      if (awaited.length) g = { ...g, recvd: adding(g.recvd, awaited) };
      // `g.Go(func() { ... })` starts a goroutine as a `go` statement does.
      const spawned = facts.goroutines.spawnOf(node, c);
      if (spawned) e = v.call(spawned, g, e, 'go');
      if (!g.waited && facts.dispatch.waits(node, c)) g = { ...g, waited: true };
      if (c.fn.k !== 'sel') continue;
      const name = c.fn.name;
      // `atomic.CompareAndSwapInt32(&s.state, 0, 1)` writes its pointee, not the package.
      if (c.fn.x.k === 'id' && c.fn.x.name === 'atomic') {
        if (c.args[0]?.k === 'unary' && c.args[0].op === '&') g = written(g, [c.args[0].x]);
      } else if (STORE_RE.test(name)) g = written(g, [c.fn.x]);
      const isLock = name === 'Lock' || name === 'RLock';
      const isUnlock = name === 'Unlock' || name === 'RUnlock';
      if (!isLock && !isUnlock) continue;
      const id = facts.ids.idOf(node, c.fn.x);
      if (id === undefined) continue;
      // Released, the mutex no longer keeps what was read under it from changing.
      g = isLock ? { ...g, locks: adding(g.locks, [id]) } : { ...g, locks: new Set([...g.locks].filter((l) => l !== id)), held: NONE };
    }
    return { g, e };
  };
  // `was := c.closing` under the mutex: the copy tested later was read in this hold.
  const readUnderLock = (g: GuardState, values: readonly Expr[]): GuardState => {
    if (g.locks.size === 0) return g;
    const read = values.flatMap((v) => {
      const id = v.k === 'sel' || v.k === 'id' ? facts.ids.idOf(node, v) : undefined;
      return id !== undefined && (id.startsWith('field:') || id.startsWith('global:')) ? [id] : [];
    });
    const held = adding(g.held, read);
    return held === g.held ? g : { ...g, held };
  };
  const received = (g: GuardState, ch: Expr): GuardState => {
    const id = facts.ids.idOf(node, ch);
    return id === undefined || g.recvd.has(id) ? g : { ...g, recvd: adding(g.recvd, [id]) };
  };
  const onRecvs = (exprs: (Expr | undefined)[], s: Both<E>): Both<E> => {
    let { g, e } = s;
    const visit = (x: Expr | undefined): void => {
      if (!x) return;
      forEachSubExpr(x, visit);
      if (x.k !== 'unary' || x.op !== '<-') return;
      if (v.recv) e = v.recv(x.x, false, g, e);
      g = received(g, x.x);
    };
    exprs.forEach(visit);
    return e === s.e && g === s.g ? s : { g, e };
  };
  const rebind = (targets: Expr[], s: Both<E>, values?: readonly Expr[]): Both<E> => {
    if (targets.length === 0) return s;
    const g = written(readUnderLock(s.g, values ?? []), targets, values);
    const e = v.rebind ? v.rebind(targets, s.e, values) : s.e;
    return g === s.g && e === s.e ? s : { g, e };
  };
  const { exits } = walkFunction<Both<E>>(body, { g: NO_GUARDS, e: init }, both, {
    simple(st, s) {
      switch (st.k) {
        case 'send': {
          const out = onRecvs([st.ch, st.value], onCalls(callsInSimple(st), s, 'sync'));
          return { g: out.g, e: v.send(st.ch, st.pos, out.g, out.e) };
        }
        case 'go':
          // The arguments are evaluated here, on this goroutine; only the call runs on the new one.
          return st.call.k === 'call' ? onCalls([st.call], onCalls(st.call.args.flatMap((a) => callsIn(a)), s, 'sync'), 'go') : s;
        case 'defer': {
          if (st.call.k !== 'call') return s;
          const out = onCalls(st.call.args.flatMap((a) => callsIn(a)), s, 'sync');
          return v.defer ? { g: out.g, e: v.defer(st.call, st.pos, out.g, out.e) } : out;
        }
        case 'assign': {
          const out = onRecvs(st.rhs, onCalls(callsInSimple(st), s, 'sync'));
          return st.op === '=' || st.op === ':=' ? rebind(st.lhs, out, st.rhs.length === st.lhs.length ? st.rhs : undefined) : { g: written(out.g, st.lhs), e: out.e };
        }
        case 'var': {
          const out = onRecvs(st.values, onCalls(callsInSimple(st), s, 'sync'));
          return rebind(st.names.map((name) => ({ k: 'id', name, pos: st.pos }) as Expr), out);
        }
        case 'incdec': {
          const out = onCalls(callsInSimple(st), s, 'sync');
          return { g: written(out.g, [st.x]), e: out.e };
        }
        case 'expr':
          return onRecvs([st.x], onCalls(callsInSimple(st), s, 'sync'));
        case 'return': {
          const out = onRecvs(st.values, onCalls(callsInSimple(st), s, 'sync'));
          return v.exit ? { g: out.g, e: v.exit(st.pos, out.g, out.e) } : out;
        }
        default:
          return onCalls(callsInSimple(st), s, 'sync');
      }
    },
    expr: (e, s) => onRecvs([e], onCalls(callsIn(e), s, 'sync')),
    bind: (targets, s) => rebind(targets, s),
    // A range over a slice or map comes here too: only channels are receives.
    recv: (ch, s, untilClosed) => (untilClosed && !facts.ids.isChannel(node, ch) ? s : { g: received(s.g, ch), e: v.recv ? v.recv(ch, untilClosed, s.g, s.e) : s.e }),
    noReturn: (call) => call.k === 'call' && facts.dispatch.noReturn(call),
    emptyRange: (x) => facts.dispatch.onlyCloses(x),
    decide: (cond, def) => facts.conds.decided.decide(node, cond, def),
    exhausts: (tag, values, s) => facts.conds.exhaustive.covers(node, tag, values, s.g.conds),
    assume(cond, holds, s) {
      let out = s;
      // `v, ok := <-ch; if !ok { ... }`: in there, ch is closed, and whoever closed it is done before.
      const ok = cond.k === 'unary' && cond.op === '!' ? cond.x : cond;
      const okKey = v.recv && holds === (ok !== cond) ? facts.ids.localKey(node, ok) : undefined;
      const seesClose = okKey === undefined ? undefined : facts.conds.okOf(node).get(okKey);
      if (seesClose) out = { g: out.g, e: v.recv!(seesClose, true, out.g, out.e) };
      const { atoms, tests } = facts.conds.assumed(node, cond, holds);
      if (atoms.length === 0 && tests.length === 0) return out;
      let g: GuardState = { ...out.g, conds: adding(out.g.conds, atoms), tests: adding(out.g.tests, tests) };
      if (g.locks.size > 0 && tests.length > 0) g = { ...g, held: adding(g.held, tests) };
      // A compare-and-swap won is a claim, and holds wherever it is found won again.
      for (const a of atoms) if (isExclusive(a)) g = claiming(g, a, new Set([a]));
      return { g, e: out.e };
    },
  });
  return exits;
}
