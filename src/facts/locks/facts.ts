/**
 * Lock facts: "what does calling this function do to the caller's mutexes?" — holds and releases per
 * function, from the guard-aware walk of the functions that lock or unlock (the first pass), with the
 * returns that leave a lock held; the acquisitions pass (acquisitions.ts) builds on it.
 */
import type { Expr, Pos } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import { walkGuarded } from '../guarded.js';
import type { ChanId } from '../identity/ids.js';
import { shortName } from '../names.js';
import { Acquisitions } from './acquisitions.js';
import { LockCalls, maybeValue, primitiveOf, RELEASE_NAME_RE } from './calls.js';
import { domain, ENTRY, instanceOf, keyOf, MAX_TAKES, NO_KEYS, NO_TAKES, with_, without, type CallState, type LockState, type Walked } from './state.js';
import { syncMeet, type Leak, type LockOp, type LockOrder, type LockSummary, type Meet, type MeetKind, type Reacquire } from './types.js';

const ENDS_PROCESS_RE = /^(os\.Exit|syscall\.(Kill|Exit))$/;
const EMPTY: LockSummary = { holds: [], releases: [], takes: [] };
const NO_ENTRY: ReadonlyMap<string, LockOp> = new Map();

/** The sends (by position) and receives (by channel expression) that are cases of a select. */
function selectCases(node: FuncNode): Set<Pos | Expr> {
  const out = new Set<Pos | Expr>();
  for (const st of allStmts(node.decl.body ?? [])) {
    if (st.k !== 'select') continue;
    for (const c of st.cases) if (c.kind === 'send') out.add(c.pos);
    else if (c.kind === 'recv') out.add(c.ch);
  }
  return out;
}

/** The receiver type of a method (of the method a function literal is written in): `pkg.Conn`; undefined for a function. */
function receiverOf(node: FuncNode, graph: SyncFacts['graph']): string | undefined {
  let at = node;
  while (at.decl.parent !== undefined) at = graph.nodeOf(at.file, at.file.funcs[at.decl.parent]!);
  if (!at.decl.recv) return undefined;
  return at.id.slice(0, at.id.lastIndexOf('.')).replace(/[()*]/g, '');
}

/** The values the `return` at `exit` hands back (none when the exit is not a `return` of this function). */
function returnValuesAt(node: FuncNode, exit: Pos): readonly Expr[] {
  for (const st of allStmts(node.decl.body ?? [])) if (st.k === 'return' && st.pos === exit) return st.values;
  return [];
}

/**
 * Lock effects of every function, bottom-up over the call graph in the channel facts' order: which
 * mutex instances a call leaves held or released, and which it acquires; and, found on the way, the
 * acquisitions of a mutex already certainly held, the lock order, and the returns that leave one held.
 *
 * Two passes keep this cheap. The first walks only the functions that lock or unlock themselves, or
 * call a lock or unlock helper: few, as helpers are. The second lifts acquisitions up call chains
 * without a walk, and only for the functions some walked function calls while holding a lock.
 */
export class LockFacts {
  /** Holds and releases; a function without either is absent. */
  private readonly effects = new Map<FuncNode, LockSummary>();
  private readonly walked = new Map<FuncNode, Walked>();
  readonly reacquires: Reacquire[] = [];
  readonly orders: LockOrder[] = [];
  readonly leaks: Leak[] = [];
  readonly meets: Meet[] = [];
  private readonly calls: LockCalls;
  private readonly acquired: Acquisitions;

  constructor(private readonly facts: SyncFacts) {
    this.calls = new LockCalls(facts);
    this.acquired = new Acquisitions(facts, this.calls, this.effects, this.walked, this.reacquires, this.orders);
    const sccs = facts.sccs;
    const candidates = this.lockers();
    for (const scc of sccs) {
      if (!scc.some((n) => candidates.has(n))) continue;
      // Recursion through a lock is rare; a second round lets a cycle see its members' first summaries.
      const rounds = scc.length > 1 ? 2 : 1;
      for (let round = 0; round < rounds; round++) {
        for (const node of scc) {
          if (!candidates.has(node)) continue;
          this.summarize(node, round === rounds - 1);
          if (this.effects.has(node)) for (const caller of this.callersOf(node)) candidates.add(caller);
        }
      }
    }
    this.acquired.run(sccs);
    // Only now are the methods of every returned type summarized.
    const kept = this.leaks.filter((l) => (l.exit === undefined || !this.handsToResult(l.fn, l.exit, l.acquired.id)) && !this.heldBySpawner(l));
    this.leaks.splice(0, this.leaks.length, ...kept);
  }

  /**
   * Whether the goroutine's starter holds its mutex at the `go` statement, or unlocks it without having
   * locked it: the mutex is a signal between them (the goroutine's Lock waits for the starter's Unlock;
   * a test handing its lock to the next one), and holding it at the end is the protocol, not a lock
   * nobody else can release.
   */
  private heldBySpawner(leak: Leak): boolean {
    const { spawn } = leak;
    if (!spawn) return false;
    const id = leak.acquired.id;
    const held = this.walked.get(spawn.fn)?.spawns.get(spawn.call);
    if (held !== undefined && [...held.values()].some((op) => op.id === id)) return true;
    return this.effects.get(spawn.fn)?.releases.some((op) => op.id === id) ?? false;
  }

  /** The functions that write a lock call: where the first pass starts. */
  private lockers(): Set<FuncNode> {
    const out = new Set<FuncNode>();
    for (const node of this.facts.graph.funcs) {
      for (const site of this.facts.graph.sites(node)) {
        if (primitiveOf(site.info) || (site.call.fn.k === 'id' && maybeValue(site.info) && this.calls.methodValue(node, site.call.fn.name))) {
          out.add(node);
          break;
        }
      }
    }
    return out;
  }

  /** Who may call a function, a superset of what targetsOf finds: a literal given to `Once.Do` counts for its parent. */
  private callersOf(node: FuncNode): FuncNode[] {
    const { graph } = this.facts;
    const out = graph.callers(node).map((e) => e.caller);
    const parent = node.decl.parent === undefined ? undefined : node.file.funcs[node.decl.parent];
    if (parent) out.push(graph.nodeOf(node.file, parent));
    return out;
  }

  private releasers: Map<ChanId, FuncNode[]> | undefined;

  /** The functions that release a mutex (by its type-level id) without acquiring it. */
  private releasersOfId(id: ChanId): FuncNode[] {
    if (!this.releasers) {
      this.releasers = new Map();
      for (const [node, sum] of this.effects) {
        const entry = this.walked.get(node)?.entry;
        for (const op of sum.releases) {
          // Its own Unlock: its callers release the lock through it, not by design of their own; a function
          // literal's release is its parent's (deferred or run there, or a goroutine's, which the walk forgets).
          if (op.steps.length > 1 || node.decl.parent !== undefined || entry?.has(instanceOf(keyOf(op)))) continue;
          const list = this.releasers.get(op.id);
          if (!list) this.releasers.set(op.id, [node]);
          else if (!list.includes(node)) list.push(node);
        }
      }
    }
    return this.releasers.get(id) ?? [];
  }

  /**
   * Where a lock `except` leaves held may be handed over by design, for a mutex of a field or a global:
   * - to its callers (`view()` returns holding `t.mu` when it returns no error, and its callers release it):
   *   `callers` lists the direct callers that release the mutex without acquiring it, `keeps` those that
   *   do not (the lock leaks through them);
   * - else to `to`: functions that release it without acquiring it and are called by a caller of `except`
   *   (the protocol shows where its two halves meet: `AddPending…`, then `Commit…`), or methods of the same
   *   receiver type (`EnterExclusive` takes `c.mu`, `ExitExclusive` gives it back: the type is the protocol).
   * A helper that gives its caller's lock back (held on entry) releases it only around its own work, and is
   * none of these.
   */
  handOver(id: ChanId, except: FuncNode, spawned: boolean): { to: FuncNode[]; callers: FuncNode[]; keeps: FuncNode[] } {
    if (!/^(field|global):/.test(id)) return { to: [], callers: [], keeps: [] };
    const { graph } = this.facts;
    const releasers = this.releasersOfId(id);
    // A goroutine's lock is not its starter's callers' to release.
    const direct = spawned ? [] : [...new Set(graph.callers(except).map((e) => e.caller))].filter((n) => n !== except);
    // A caller releases what it was handed however it does (`defer t.mu.RUnlock()`, or through `t.done()`).
    const callers = direct.filter((n) => this.effects.get(n)?.releases.some((op) => op.id === id));
    if (callers.length > 0) return { to: [], callers, keeps: direct.filter((n) => !callers.includes(n)) };
    const siblings = new Set(direct);
    const owner = receiverOf(except, graph);
    const to = releasers.filter((n) => n !== except && (graph.callers(n).some((e) => siblings.has(e.caller)) || (owner !== undefined && receiverOf(n, graph) === owner)));
    return { to, callers: [], keeps: [] };
  }

  private writers: Set<ChanId> | undefined;

  /**
   * Whether some function write-locks this mutex (`Lock`, not `RLock`): without a writer, read locks
   * taken twice never wait for each other.
   */
  hasWriter(id: ChanId): boolean {
    if (!this.writers) {
      this.writers = new Set();
      for (const w of this.walked.values()) for (const op of w.direct) if (op.mode === 'w') this.writers.add(op.id);
    }
    return this.writers.has(id);
  }

  private condLocks: Map<ChanId, ChanId | null> | undefined;

  /**
   * The mutex a sync.Cond waits with (its `L`), by the cond's id, where the program makes the cond
   * with `sync.NewCond(&x.mu)` into a field: `c.ready = sync.NewCond(&c.mu)`, `&T{ready: sync.NewCond(&mu)}`.
   * Undefined when no such make is in sight or two disagree.
   */
  condLock(cond: ChanId): ChanId | undefined {
    if (!this.condLocks) {
      const out = new Map<ChanId, ChanId | null>();
      const { graph } = this.facts;
      const isNewCond = (e: Expr | undefined): e is CallExpr => e?.k === 'call' && libraryName(graph.callInfo(e)) === 'sync.NewCond';
      for (const node of graph.funcs) {
        const body = node.decl.body;
        if (!body || !graph.sites(node).some((s) => libraryName(s.info) === 'sync.NewCond')) continue;
        const note = (id: ChanId | undefined, make: CallExpr) => {
          const arg = make.args[0];
          const lock = arg?.k === 'unary' && arg.op === '&' ? this.facts.ids.idOf(node, arg.x) : undefined;
          if (id === undefined || !/^(field|global):/.test(id)) return;
          out.set(id, lock !== undefined && (!out.has(id) || out.get(id) === lock) ? lock : null);
        };
        for (const st of allStmts(body)) {
          if (st.k !== 'assign' || st.lhs.length !== st.rhs.length) continue;
          st.rhs.forEach((r, i) => isNewCond(r) && note(this.facts.ids.idOf(node, st.lhs[i]!), r));
        }
        forEachExpr(body, (e) => {
          if (e.k !== 'composite') return;
          for (const el of e.elems) {
            if (el.key === undefined || !isNewCond(el.value)) continue;
            const f = graph.index.select(graph.typeOf(node, e), el.key);
            note(f?.k === 'field' && f.owner ? `field:${f.owner.path}.${f.owner.name}.${el.key}` : undefined, el.value);
          }
        });
      }
      this.condLocks = out;
    }
    return this.condLocks.get(cond) ?? undefined;
  }

  of(node: FuncNode): LockSummary {
    const effects = this.effects.get(node);
    const takes = this.acquired.takes.get(node);
    if (!takes) return effects ?? EMPTY;
    return { holds: effects?.holds ?? [], releases: effects?.releases ?? [], takes };
  }

  /** Whether a function writes a lock call or calls a lock or unlock helper: the others need no walk. */
  private touchesLocks(node: FuncNode): boolean {
    for (const site of this.facts.graph.sites(node)) {
      if (primitiveOf(site.info)) return true;
      if (site.call.fn.k === 'id' && maybeValue(site.info) && this.calls.methodValue(node, site.call.fn.name)) return true;
      if (this.facts.dispatch.targetsOf(node, site.call).some((t) => this.effects.has(t.callee))) return true;
    }
    return false;
  }

  /**
   * The mutexes (by id) every caller holds when it calls a function: none unless every call of it
   * is a direct call from a function that handles locks itself.
   */
  heldOnEntry(node: FuncNode): ReadonlySet<ChanId> {
    let out: Set<ChanId> | undefined;
    for (const e of this.facts.graph.callers(node)) {
      const st = e.mode === 'call' ? this.walked.get(e.caller)?.calls.get(e.call) : undefined;
      if (!st) return NO_KEYS;
      const ids = new Set([...st.must.values()].map((o) => o.id));
      out = out === undefined ? ids : new Set([...out].filter((id) => ids.has(id)));
      if (out.size === 0) return NO_KEYS;
    }
    return out ?? NO_KEYS;
  }

  private summarize(node: FuncNode, final: boolean): void {
    if (!node.decl.body || !this.touchesLocks(node)) return;
    let pass = this.walk(node, NO_ENTRY);
    // Unlocked without being locked here, then locked again: the lock is held on entry by contract
    // ("lock must be held"), and the walk that knows it sees the re-Lock give the caller's lock back.
    // Not for a goroutine's body: it runs beside its starter, so its Unlock hands the starter's lock on.
    if (pass.relocked.size && !this.startedOnly(node)) pass = this.walk(node, new Map([...pass.relocked].map((k) => [k, { ...pass.releases.get(k)!, entry: true }])));
    const { direct, releases, deferredOps, acquired, calls, spawns, meets, ends, entry, passedAt } = pass;
    const given = new Set([...entry.keys()].map(instanceOf));

    let holds: Map<string, LockOp> | undefined;
    for (const [, s] of ends) {
      const here = new Map([...s.must].filter(([k]) => !s.deferred.has(k) && !given.has(instanceOf(k))));
      holds = holds === undefined ? here : new Map([...holds].filter(([k]) => here.has(k)));
    }
    for (const [, s] of ends) for (const k of s.deferred) if (!s.took.has(k) && !releases.has(k)) releases.set(k, deferredOps.get(k)!);
    // The caller's lock, held on entry, is given up by the paths that end without it.
    for (const [k, op] of entry) if (ends.some(([, s]) => !s.may.has(k) || s.deferred.has(k))) releases.set(k, { ...op, entry: undefined });
    const held = [...(holds ?? new Map<string, LockOp>()).values()];
    if (held.length || releases.size) this.effects.set(node, { holds: held, releases: [...releases.values()], takes: NO_TAKES });
    else this.effects.delete(node);
    this.walked.set(node, { direct: [...direct.values()], calls, spawns, entry: given });
    if (!final) return;
    for (const [must, op] of acquired) this.acquired.noteAcquire(node, must, op);
    this.noteLeaks(node, ends, holds ?? new Map(), given, passedAt);
    this.meets.push(...meets.values());
    const spawn = held.length ? this.goroutineOnly(node) : undefined;
    if (spawn) for (const op of held) this.leaks.push({ fn: node, acquired: op, exit: ends[0]![0], releasedAt: undefined, spawn });
  }

  /**
   * One walk of a function's body from `entry` (the mutexes its callers hold by contract), with what
   * it meets on the way: acquisitions, releases of mutexes not held, calls, spawns, the lock state at
   * every exit.
   */
  private walk(node: FuncNode, entry: ReadonlyMap<string, LockOp>) {
    const direct = new Map<string, LockOp>();
    const releases = new Map<string, LockOp>();
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
    const meet = (kind: MeetKind, x: Expr, pos: Pos, s: LockState, blocks: boolean): LockState => {
      const id = this.facts.ids.idOf(node, x);
      if (id === undefined || (s.must.size === 0 && s.took.size === 0)) return s;
      const took = [...new Set([...s.took].map((k) => k.slice(0, k.indexOf('\0'))))];
      meets.set(`${kind}|${pos}`, { fn: node, kind, id, display: exprKey(x) ?? 'channel', pos, blocks, held: [...s.must.values()].filter((o) => !o.entry), took });
      return s;
    };
    const meetOf = (call: CallExpr) => (call.fn.k === 'sel' ? syncMeet(libraryName(this.facts.graph.callInfo(call))) : undefined);

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
      if (s.may.has(key)) {
        const must = new Map(s.must);
        must.delete(key);
        return { ...s, must, may: without(s.may, key) };
      }
      if (!s.tried.has(key) && !releases.has(key)) releases.set(key, op);
      return s;
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
      for (const t of this.facts.dispatch.targetsOf(node, call)) {
        const sum = this.effects.get(t.callee);
        if (!sum) continue;
        const step: Step = { node, pos: call.pos, message: `calls ${shortName(t.callee)}` };
        const lift = (ops: LockOp[]) => ops.flatMap((op) => this.calls.lift(node, t.callee, call, op, step, conds) ?? []);
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
          // A goroutine that unlocks (a mutex used as a semaphore) may have done so by any later point.
          if (how === 'go') s = forget(s, op);
          else s = how === 'defer' ? defer(s, op) : release(s, op);
        }
      }
      if (how !== 'sync') return s;
      // Through an interface or a function value, "may lock" is too weak to claim a deadlock.
      if (this.facts.dispatch.targetsOf(node, call).some((t) => t.precise)) calls.set(call, { must: s.must, may: s.may, conds });
      for (const t of effects) {
        if (!t.precise) continue;
        // What releases a lock handed to a returned handle is not ours to name: held, but not certainly.
        for (const op of t.holds) s = t.handle ? forget(acquire(s, op), op) : acquire(s, op);
      }
      return s;
    };

    const exits = this.facts.effects.memoized(() =>
      walkGuarded<LockState>(
        node,
        this.facts,
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
            const p = this.calls.primitive(node, call, g.conds);
            if (!p) {
              const viaOpaque = { ...s, must: this.calls.opaqueOnOwner(node, call, s.must) };
              const after = viaCall(call, viaOpaque, 'sync', g.conds);
              // `unlock := unlockOnce(&s.mu); ...; unlock()`: a release we cannot see into may release anything held.
              const opaqueRelease = call.fn.k === 'id' && RELEASE_NAME_RE.test(call.fn.name) && maybeValue(this.facts.graph.callInfo(call));
              return opaqueRelease && effectsOf(call, g.conds).every((t) => t.releases.length === 0) ? { ...after, must: new Map() } : after;
            }
            if (!p.op) return s;
            // A mutex used as a signal: the Unlock runs later, elsewhere, and the next Lock waits for it.
            if (p.prim.verb === 'lock' && call.fn.k === 'sel' && this.calls.handedOff(node).has(exprKey(call.fn.x) ?? '')) return forget(acquire(s, p.op), p.op);
            if (p.prim.verb === 'lock') return acquire(s, p.op);
            if (p.prim.verb === 'unlock') return release(s, p.op);
            return { ...s, tried: with_(s.tried, keyOf(p.op)) };
          },
          defer: (call, _pos, g, s) => {
            if (call.k !== 'call') return s;
            const p = this.calls.primitive(node, call, g.conds);
            if (p) return p.op && p.prim.verb === 'unlock' ? defer(s, p.op) : s;
            if (meetOf(call) === 'done') deferredDone.push(call);
            return viaCall(call, s, 'defer', g.conds);
          },
          rebind: (targets, s) => {
            // A local bound again names another object: what was held through it is no longer known.
            const names = targets.flatMap((t) => (t.k === 'id' ? [this.facts.ids.localKey(node, t) ?? t.name] : []));
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
    for (const call of deferredDone) if (call.fn.k === 'sel') meet('done', call.fn.x, call.pos, { ...atEnd, must: new Map() }, false);
    return { direct, releases, deferredOps, acquired, calls, spawns, meets, ends, entry, relocked, passedAt };
  }

  /** Whether every call of a function starts it as a goroutine (`go f()`, `go func() {...}()`). */
  private startedOnly(node: FuncNode): boolean {
    const edges = this.facts.graph.callers(node);
    return edges.length > 0 && edges.every((e) => e.mode === 'go');
  }

  /**
   * The `go` statement that starts a function, when nothing else calls it: a goroutine that ends
   * holding a lock leaves it held for good (a lock helper's caller would release it; nobody returns
   * from a goroutine).
   */
  private goroutineOnly(node: FuncNode): Leak['spawn'] {
    if (!this.startedOnly(node)) return undefined;
    const edges = this.facts.graph.callers(node);
    // A goroutine that ends the process (a signal handler) holds its lock to keep others out until then.
    if (this.facts.graph.sites(node).some((site) => ENDS_PROCESS_RE.test(libraryName(site.info) ?? ''))) return undefined;
    return { fn: edges[0]!.caller, pos: edges[0]!.call.pos, call: edges[0]!.call };
  }

  /**
   * `return tx.dc, tx.closemuRUnlockRelease, nil`: the return hands the caller the function that
   * releases the lock, a conditional lock helper by design.
   */
  private handsBackRelease(node: FuncNode, exit: Pos): boolean {
    return returnValuesAt(node, exit).some((v) => {
      if (v.k === 'funclit') {
        const lit = node.file.funcs[v.fn];
        return lit !== undefined && this.of(this.facts.graph.nodeOf(node.file, lit)).releases.length > 0;
      }
      return (v.k === 'sel' || v.k === 'id') && RELEASE_NAME_RE.test(v.name);
    });
  }

  /**
   * `return t, nil` from bbolt's `beginTx`, whose `Tx.Rollback` releases the read lock taken for it: the
   * return hands the held lock to the object it returns, which releases it later (a transaction, a
   * cursor). Only the returned type's own methods are asked.
   */
  private handsToResult(node: FuncNode, exit: Pos, id: ChanId): boolean {
    const { graph } = this.facts;
    return returnValuesAt(node, exit).some((v) => {
      let t = graph.typeOf(node, v);
      if (t.k === 'ptr') t = t.elem;
      const info = t.k === 'named' ? graph.index.typeInfo(t) : undefined;
      return info !== undefined && [...info.methods.values()].some((m) => this.of(m.node).releases.some((r) => r.id === id));
    });
  }

  /** Acquisitions held at some return and released at another: the early return inside a locked region. */
  private noteLeaks(
    node: FuncNode,
    ends: [Pos | undefined, LockState][],
    holds: ReadonlyMap<string, LockOp>,
    given: ReadonlySet<string>,
    passedAt: ReadonlyMap<LockState, ReadonlySet<CallExpr>>,
  ): void {
    const reported = new Set<string>();
    for (const [exit, s] of ends) {
      if (exit !== undefined && this.handsBackRelease(node, exit)) continue;
      for (const [k, op] of s.must) {
        // The caller's lock given back (held on entry, re-locked): the function's net effect is none.
        if (s.deferred.has(k) || holds.has(k) || given.has(instanceOf(k)) || reported.has(k) || op.steps.length > 1) continue;
        const released = ends.find(([, o]) => o.took.has(k) && (!o.may.has(k) || o.deferred.has(k)));
        if (!released) continue;
        reported.add(k);
        const assumed = [...(passedAt.get(s) ?? [])].flatMap((call) => this.facts.noReturn.assumedReturn(node, call) ?? []);
        this.leaks.push({ fn: node, acquired: op, exit, releasedAt: released[0], ...(assumed.length ? { assumed } : {}) });
      }
    }
  }
}
