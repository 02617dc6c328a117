/**
 * The lock walk of one function: "what does this body do to the mutexes, path by path?" — from the mutexes its
 * callers hold by contract, the guard-aware walk (guarded.ts) with a lock state per path: acquisitions, releases
 * of mutexes not held, calls with the locks held at them, spawns, channel operations met under a lock, and the
 * state at every exit. LockFacts (facts.ts) turns these into per-function summaries and findings' facts.
 */
import type { Expr, Pos } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, libraryName, type CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { walkGuarded, type GuardState } from '../guarded.js';
import { shortName } from '../names.js';
import { maybeValue, RELEASE_NAME_RE, type LockCalls } from './calls.js';
import { domain, ENTRY, instanceOf, keyOf, MAX_TAKES, with_, without, type CallState, type LockState } from './state.js';
import { syncMeet, type LockOp, type LockSummary, type Meet, type MeetKind } from './types.js';

/** What the walk asks: the engine, the lock summaries of the callees so far, and how calls act on mutexes. */
export interface LockWalkParts {
  readonly facts: SyncFacts;
  readonly effects: ReadonlyMap<FuncNode, LockSummary>;
  readonly calls: LockCalls;
}

/** The sends (by position) and receives (by channel expression) that are cases of a select. */
export function selectCases(node: FuncNode): Set<Pos | Expr> {
  const out = new Set<Pos | Expr>();
  for (const st of allStmts(node.decl.body ?? [])) {
    if (st.k !== 'select') continue;
    for (const c of st.cases) if (c.kind === 'send') out.add(c.pos);
    else if (c.kind === 'recv') out.add(c.ch);
  }
  return out;
}

/**
 * One walk of a function's body from `entry` (the mutexes its callers hold by contract), with what
 * it meets on the way: acquisitions, releases of mutexes not held, calls, spawns, the lock state at
 * every exit.
 */
export function walkLocks({ facts, effects: summaries, calls: lockCalls }: LockWalkParts, node: FuncNode, entry: ReadonlyMap<string, LockOp>) {
  const direct = new Map<string, LockOp>();
  const releases = new Map<string, LockOp>();
  /** Released by goroutines started here, not held here: kept apart, as no later Lock here re-takes a caller's lock. */
  const handed = new Map<string, LockOp>();
  const returns = new Map<Pos, LockState>();
  const returned = new Set<LockState>();
  /** Per exit state: calls that may not return which every path there passed (see GuardState.passed). */
  const passedAt = new Map<LockState, ReadonlySet<CallExpr>>();
  const deferredOps = new Map<string, LockOp>();
  const acquired: [ReadonlyMap<string, LockOp>, LockOp][] = [];
  const calls = new Map<CallExpr, CallState>();
  const spawns = new Map<CallExpr, ReadonlyMap<string, LockOp>>();
  const meets = new Map<string, Meet>();
  const deferredDone: CallExpr[] = [];
  const inSelect = selectCases(node);
  /** Released here without being held, then acquired again: the caller's lock, by contract. */
  const relocked = new Set<string>();
  const given = new Set([...entry.keys()].map(instanceOf));
  /** The last visit of each operation: a loop's fixpoint. */
  const meet = (kind: MeetKind, x: Expr, pos: Pos, s: LockState, blocks: boolean, atExit = false): LockState => {
    const id = facts.ids.idOf(node, x);
    if (id === undefined || (s.must.size === 0 && s.took.size === 0)) return s;
    const took = [...new Set([...s.took].map((k) => k.slice(0, k.indexOf('\0'))))];
    meets.set(`${kind}|${pos}`, { fn: node, kind, id, display: exprKey(x) ?? 'channel', pos, blocks, held: [...s.must.values()].filter((o) => !o.entry), took, ...(atExit ? { atExit } : {}) });
    return s;
  };
  const meetOf = (call: CallExpr) => (call.fn.k === 'sel' ? syncMeet(libraryName(facts.graph.callInfo(call))) : undefined);

  /** An acquisition, checked against what is certainly held once the walk is done. */
  const check = (s: LockState, op: LockOp): void => {
    const key = keyOf(op);
    if (s.must.size) acquired.push([s.must, op]);
    if (s.may.has(key) || given.has(instanceOf(key))) return;
    if (releases.has(key)) relocked.add(key);
    if (!direct.has(key) && direct.size < MAX_TAKES) direct.set(key, op);
  };
  const acquire = (s: LockState, op: LockOp): LockState => {
    check(s, op);
    const key = keyOf(op);
    const must = new Map(s.must);
    must.set(key, op);
    return { ...s, must, may: with_(s.may, key), took: with_(s.took, key) };
  };
  const release = (s: LockState, op: LockOp): LockState => {
    const key = keyOf(op);
    // A goroutine's release on some of its paths: the lock may stay held, which the assumption names.
    if (op.handOver && s.may.has(key)) {
      const held = s.must.get(key);
      if (!held || held.assumed?.includes(op.handOver)) return s;
      return { ...s, must: new Map(s.must).set(key, { ...held, assumed: [...(held.assumed ?? []), op.handOver] }) };
    }
    if (s.may.has(key)) {
      const must = new Map(s.must);
      must.delete(key);
      return { ...s, must, may: without(s.may, key) };
    }
    if (!s.tried.has(key) && !releases.has(key)) releases.set(key, op);
    return { ...s, gave: with_(s.gave, key) };
  };
  /** A goroutine started here releases a mutex this function does not hold: its caller's lock, handed over. */
  const handTo = (s: LockState, op: LockOp): LockState => {
    const key = keyOf(op);
    if (!handed.has(key)) handed.set(key, op);
    return op.partial || op.handOver ? s : { ...s, gave: with_(s.gave, key) };
  };
  const forget = (s: LockState, op: LockOp): LockState => {
    const key = keyOf(op);
    if (!s.must.has(key)) return s;
    const must = new Map(s.must);
    must.delete(key);
    return { ...s, must };
  };
  const defer = (s: LockState, op: LockOp): LockState => {
    const key = keyOf(op);
    if (!deferredOps.has(key)) deferredOps.set(key, op);
    return { ...s, deferred: with_(s.deferred, key) };
  };
  // Loops walk their calls up to eight times: each call's effects are lifted once per summary.
  const lifted = new Map<CallExpr, { precise: boolean; handle: boolean; releases: LockOp[]; holds: LockOp[] }[]>();
  const effectsOf = (call: CallExpr, conds: ReadonlySet<Atom>) => {
    let out = lifted.get(call);
    if (out) return out;
    out = [];
    for (const t of facts.dispatch.targetsOf(node, call)) {
      const sum = summaries.get(t.callee);
      if (!sum) continue;
      const step: Step = { node, pos: call.pos, message: `calls ${shortName(t.callee)}` };
      const lift = (ops: LockOp[]) => ops.flatMap((op) => lockCalls.lift(node, t.callee, call, op, step, conds) ?? []);
      out.push({
        precise: t.precise,
        // A lock helper that returns something may hand the lock to it (`txn := s.Write(); ...; txn.End()`).
        handle: t.callee.decl.results.length > 0,
        releases: lift(sum.releases),
        holds: lift(sum.holds),
      });
    }
    lifted.set(call, out);
    return out;
  };
  /** What a call does, in order: its releases, its acquisitions (checked in the second pass), its holds. */
  const viaCall = (call: CallExpr, s: LockState, how: 'sync' | 'go' | 'defer', conds: ReadonlySet<Atom>): LockState => {
    const effects = effectsOf(call, conds);
    for (const t of effects) {
      for (const op of t.releases) {
        // A goroutine that unlocks (a mutex used as a semaphore) may have done so by any later point; one
        // that unlocks what this function does not hold takes it over from the caller.
        if (how === 'go') s = s.may.has(keyOf(op)) ? forget(s, op) : handTo(s, op);
        else s = how === 'defer' ? defer(s, op) : release(s, op);
      }
    }
    if (how !== 'sync') return s;
    // Kept for every call with a target; through an interface or a function value, "may lock" is too weak to
    // claim a deadlock, and the acquisitions pass decides which targets count.
    if (facts.dispatch.targetsOf(node, call).length) calls.set(call, { must: s.must, may: s.may, conds });
    for (const t of effects) {
      if (!t.precise) continue;
      // What releases a lock handed to a returned handle is not ours to name: held, but not certainly.
      for (const op of t.holds) s = t.handle ? forget(acquire(s, op), op) : acquire(s, op);
    }
    return s;
  };

  // At a call, what the callee finds: the path's conditions, and the flags just set (`n.ready = true; n.fill()`).
  const atCall = (g: GuardState): ReadonlySet<Atom> => (g.flags.size ? new Set([...g.conds, ...g.flags]) : g.conds);
  const exits = facts.effects.memoized(() =>
    walkGuarded<LockState>(
      node,
      facts,
      {
        close: (ch, pos, _g, s) => meet('close', ch, pos, s, false),
        send: (ch, pos, _g, s) => meet('send', ch, pos, s, !inSelect.has(pos)),
        recv: (ch, untilClosed, _g, s) => (untilClosed ? s : meet('recv', ch, ch.pos, s, !inSelect.has(ch))),
        call: (call, g, s, mode) => {
          if (mode === 'go') {
            if (s.must.size) spawns.set(call, s.must);
            return viaCall(call, s, 'go', g.conds);
          }
          const kind = meetOf(call);
          if (kind && call.fn.k === 'sel') return meet(kind, call.fn.x, call.pos, s, true);
          const p = lockCalls.primitive(node, call, g.conds);
          if (!p) {
            const viaOpaque = { ...s, must: lockCalls.opaqueOnOwner(node, call, s.must) };
            const after = viaCall(call, viaOpaque, 'sync', atCall(g));
            // `unlock := unlockOnce(&s.mu); ...; unlock()`: a release we cannot see into may release anything held.
            const opaqueRelease = call.fn.k === 'id' && RELEASE_NAME_RE.test(call.fn.name) && maybeValue(facts.graph.callInfo(call));
            return opaqueRelease && effectsOf(call, atCall(g)).every((t) => t.releases.length === 0) ? { ...after, must: new Map() } : after;
          }
          if (!p.op) return s;
          // A mutex used as a signal: the Unlock runs later, elsewhere, and the next Lock waits for it.
          if (p.prim.verb === 'lock' && call.fn.k === 'sel' && lockCalls.handedOff(node).has(exprKey(call.fn.x) ?? '')) return forget(acquire(s, p.op), p.op);
          if (p.prim.verb === 'lock') return acquire(s, p.op);
          if (p.prim.verb === 'unlock') return release(s, p.op);
          return { ...s, tried: with_(s.tried, keyOf(p.op)) };
        },
        defer: (call, _pos, g, s) => {
          if (call.k !== 'call') return s;
          const p = lockCalls.primitive(node, call, g.conds);
          if (p) return p.op && p.prim.verb === 'unlock' ? defer(s, p.op) : s;
          if (meetOf(call) === 'done') deferredDone.push(call);
          return viaCall(call, s, 'defer', g.conds);
        },
        rebind: (targets, s) => {
          // A local bound again names another object: what was held through it is no longer known.
          const names = targets.flatMap((t) => (t.k === 'id' ? [facts.ids.localKey(node, t) ?? t.name] : []));
          if (names.length === 0 || s.must.size === 0) return s;
          const gone = (k: string) => names.some((n) => k.split('\0')[1] === n || k.split('\0')[1]!.startsWith(`${n}.`));
          if (![...s.must.keys()].some(gone)) return s;
          return { ...s, must: new Map([...s.must].filter(([k]) => !gone(k))) };
        },
        exit: (pos, g, s) => {
          // The last visit of a return in a loop is the one at the fixpoint.
          const out = { ...s };
          returns.set(pos, out);
          returned.add(out);
          if (g.passed.size) passedAt.set(out, g.passed);
          return out;
        },
      },
      entry.size ? { ...ENTRY, must: entry, may: new Set(entry.keys()) } : ENTRY,
      domain,
    ),
  );
  const ends: [Pos | undefined, LockState][] = [...returns];
  for (const x of exits) {
    if (returned.has(x.e)) continue;
    ends.push([undefined, x.e]);
    if (x.g.passed.size) passedAt.set(x.e, x.g.passed);
  }
  // A deferred Done runs at the exits, after whatever the paths there took.
  const atEnd = ends.reduce((s, [, e]) => domain.join(s, e), ends[0]?.[1] ?? ENTRY);
  for (const call of deferredDone) if (call.fn.k === 'sel') meet('done', call.fn.x, call.pos, { ...atEnd, must: new Map() }, false, true);
  return { direct, releases, handed, deferredOps, acquired, calls, spawns, meets, ends, entry, relocked, passedAt };
}

