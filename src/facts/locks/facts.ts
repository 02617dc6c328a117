/**
 * Lock facts: "what does calling this function do to the caller's mutexes?" — holds and releases per
 * function, and the returns that leave a lock held, from the lock walk (walk.ts) of the functions that lock
 * or unlock (the first pass); the acquisitions pass (acquisitions.ts) builds on it.
 */
import { lineOf, type Expr, type Pos } from '../../ir.js';
import { shortName } from '../names.js';
import { nodeLocation } from '../report.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { deref } from '../../resolve/types.js';
import { allStmts, forEachExpr, libraryName, literalsOf, outermost, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import type { ChanId } from '../identity/ids.js';
import { Acquisitions } from './acquisitions.js';
import { LockCalls, maybeValue, primitiveOf, RELEASE_NAME_RE } from './calls.js';
import { WaitEnders, type Taken } from './enders.js';
import { ChannelHandOffs, type ChannelHandOff } from './handoff.js';
import { NextLock } from './nextlock.js';
import { EarlyWriters, type EarlyWrites } from './writers.js';
import { instanceOf, keyOf, NO_KEYS, NO_TAKES, type LockState, type Walked } from './state.js';
import { type Leak, type LockOp, type LockOrder, type LockSummary, type Meet, type Reacquire } from './types.js';
import { walkLocks, type LockWalkParts } from './walk.js';
import { inTestFile } from '../program/testcode.js';

const ENDS_PROCESS_RE = /^(os\.Exit|syscall\.(Kill|Exit))$/;
const EMPTY: LockSummary = { holds: [], releases: [], takes: [] };
const NO_ENTRY: ReadonlyMap<string, LockOp> = new Map();

/**
 * A release as the summary keeps it: marked `partial` when some exit of the function gets there without it,
 * and, for a goroutine's release of the caller's lock (`handed`), with the hand-over it then rests on.
 */
function everyPath(node: FuncNode, k: string, op: LockOp, ends: [Pos | undefined, LockState][], entry: ReadonlyMap<string, LockOp>, handed: boolean): LockOp {
  const gone = (s: LockState) => s.gave.has(k) || s.deferred.has(k) || (entry.has(k) && !s.may.has(k));
  const every = ends.every(([, s]) => gone(s));
  const rest = { ...op };
  delete rest.partial;
  if (every) return rest;
  if (!handed || op.handOver) return { ...rest, partial: true };
  const go = op.steps[0]!;
  const goroutine = op.partial
    ? `the goroutine started by \`${shortName(node)}\` (line ${lineOf(go.pos)}) ends without releasing \`${op.display}\` on some path`
    : `\`${shortName(node)}\` returns without starting the goroutine that releases \`${op.display}\` (line ${lineOf(go.pos)}) on some path`;
  return { ...rest, partial: true, handOver: { kind: 'hand-over', text: goroutine, location: nodeLocation(node, go.pos) } };
}

/** The receiver type of a method (of the method a function literal is written in): `pkg.Conn`; undefined for a function. */
function receiverOf(node: FuncNode, graph: SyncFacts['graph']): string | undefined {
  const at = outermost(graph, node);
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
  private readonly parts: LockWalkParts;

  constructor(private readonly facts: SyncFacts) {
    this.calls = new LockCalls(facts);
    this.parts = { facts, effects: this.effects, calls: this.calls };
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

  /**
   * For a goroutine that ends holding a mutex local to a function it is written in: a function literal written
   * there too (not the goroutine, nor its starter) that releases the mutex and never locks it. The goroutine's Lock
   * waits for that release: the mutex is a signal between them, held at the end by design, and a hazard only if the
   * goroutine runs again on the same mutex (what a finding on it then names).
   */
  signalledBy(leak: Leak): FuncNode | undefined {
    const { id } = leak.acquired;
    if (!leak.spawn || !id.startsWith('local:')) return undefined;
    const { graph } = this.facts;
    const decl = graph.byId.get(id.slice('local:'.length, id.lastIndexOf(':')));
    if (!decl) return undefined;
    for (const lit of literalsOf(decl, graph).values()) {
      if (lit === leak.fn || lit === leak.spawn.fn || this.walked.get(lit)?.direct.some((op) => op.id === id)) continue;
      if (this.effects.get(lit)?.releases.some((op) => op.id === id)) return lit;
    }
    return undefined;
  }

  private handOffs: ChannelHandOffs | undefined;

  /**
   * Where the lock `op` that `fn` still holds at `exit` leaves with a message: a send on the exit's path after the
   * lock, and a function that releases the mutex without acquiring it, run by a receiver of that channel when
   * one is in sight (see handoff.ts).
   */
  throughChannel(fn: FuncNode, op: LockOp, exit: Pos | undefined): ChannelHandOff | undefined {
    if (!/^(field|global):/.test(op.id)) return undefined;
    // Released as it was taken: a read lock by an RUnlock, a write lock by an Unlock.
    const releasers = this.releasersOfId(op.id).filter((n) => this.effects.get(n)?.releases.some((r) => r.id === op.id && r.mode === op.mode));
    if (releasers.length === 0) return undefined;
    return (this.handOffs ??= new ChannelHandOffs(this.facts)).of(fn, op.steps[0]!.pos, exit, releasers);
  }

  private nextLock: NextLock | undefined;

  /** Whether no Lock of the instance `op` acquires in `fn` can follow it: the object is made there and goes nowhere. */
  noNextLock(fn: FuncNode, op: LockOp): boolean {
    return (this.nextLock ??= new NextLock(this.facts)).none(fn, op);
  }

  /** Whether the object `op` leaves locked at the return at `exit` is a local of `fn` nothing else holds yet (NextLock.unsharedAt). */
  unsharedAt(fn: FuncNode, op: LockOp, exit: Pos | undefined): boolean {
    return (this.nextLock ??= new NextLock(this.facts)).unsharedAt(fn, op, exit);
  }

  /** The calls of `fn` when each gives it an object of its own for the one `op` leaves locked (NextLock.freshEachCall). */
  freshEachCall(fn: FuncNode, op: LockOp): CallerEdge[] | undefined {
    return (this.nextLock ??= new NextLock(this.facts)).freshEachCall(fn, op);
  }

  private writers: Map<ChanId, Map<FuncNode, LockOp[]>> | undefined;

  /** The functions that write-lock a mutex themselves (`Lock`, not `RLock`), with those Locks. */
  private writersOf(id: ChanId): ReadonlyMap<FuncNode, LockOp[]> | undefined {
    if (!this.writers) {
      this.writers = new Map();
      for (const [node, w] of this.walked) {
        for (const op of w.direct) {
          if (op.mode !== 'w') continue;
          let byFn = this.writers.get(op.id);
          if (!byFn) this.writers.set(op.id, (byFn = new Map()));
          byFn.set(node, [...(byFn.get(node) ?? []), op]);
        }
      }
    }
    return this.writers.get(id);
  }

  /** Whether some function write-locks this mutex: without a writer, read locks taken twice never wait for each other. */
  hasWriter(id: ChanId): boolean {
    return this.writersOf(id) !== undefined;
  }

  private early: EarlyWriters | undefined;

  /** The writers of a mutex and their calls, when each runs on a new object before its caller shares it. */
  earlyWriters(id: ChanId): EarlyWrites | undefined {
    const writes = this.writersOf(id);
    return writes && (this.early ??= new EarlyWriters(this.facts)).of(id, writes);
  }

  /** `sync.NewCond(c)` with `c` a struct that embeds its mutex: that mutex, as a Lock on `c` names it. */
  private embeddedMutex(node: FuncNode, e: Expr): ChanId | undefined {
    const t = deref(this.facts.graph.typeOf(node, e));
    if (t.k !== 'named' || t.path === 'sync') return undefined;
    for (const name of ['Mutex', 'RWMutex']) {
      const f = this.facts.graph.index.select(t, name);
      if (f?.k === 'field' && f.owner) return `field:${f.owner.path}.${f.owner.name}.${name}`;
    }
    return undefined;
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
          const lock = arg?.k === 'unary' && arg.op === '&' ? this.facts.ids.idOf(node, arg.x) : arg && this.embeddedMutex(node, arg);
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

  private enders: WaitEnders | undefined;
  private unwalkedEnders: Meet[] | undefined;

  /** The Done and Signal calls and channel operations of functions that lock nothing themselves (the walk's meets hold the others'). */
  endersUnwalked(): readonly Meet[] {
    return (this.unwalkedEnders ??= this.waitEnders().unwalked(new Set(this.walked.keys())));
  }

  /** The mutexes a Done's or Signal's function may take on its way there, down its calls. */
  takenOnTheWay(meet: Meet): Taken {
    return this.waitEnders().takenOnTheWay(meet);
  }

  /** The mutexes a channel operation's function may take in the loops around it, down its calls. */
  takenRoundTheLoop(meet: Meet): Taken {
    return this.waitEnders().takenRoundTheLoop(meet);
  }

  private waitEnders(): WaitEnders {
    return (this.enders ??= new WaitEnders(this.facts, this.calls));
  }

  /**
   * The mutexes (by id) every caller holds when it calls a function: none unless every call of it
   * is a direct call from a function that handles locks itself.
   */
  heldOnEntry(node: FuncNode): ReadonlySet<ChanId> {
    let out: Set<ChanId> | undefined;
    for (const e of this.facts.graph.callers(node)) {
      const st = e.mode === 'call' ? this.walked.get(e.caller)?.calls.get(e.call) : undefined;
      // Only a call that certainly runs this function says what its callers hold.
      if (!st || !this.facts.dispatch.targetsOf(e.caller, e.call).some((t) => t.precise)) return NO_KEYS;
      const ids = new Set([...st.must.values()].map((o) => o.id));
      out = out === undefined ? ids : new Set([...out].filter((id) => ids.has(id)));
      if (out.size === 0) return NO_KEYS;
    }
    return out ?? NO_KEYS;
  }

  private calleeWaits: Meet[] | undefined;

  /**
   * The sends and receives that may block in the functions a walked function calls while holding locks
   * (`resetTimer()` under `bs.mu`, which sends), each as a wait holding the caller's locks there.
   */
  waitsInCallees(): readonly Meet[] {
    if (this.calleeWaits) return this.calleeWaits;
    const out = new Map<string, Meet>();
    // Callers outside tests first: the first wait found for a place and a lock is the one a finding shows.
    const walked = [...this.walked].sort(([a], [b]) => Number(inTestFile(a)) - Number(inTestFile(b)));
    for (const [node, w] of walked) {
      for (const [call, st] of w.calls) {
        const held = [...st.must.values()].filter((o) => !o.entry);
        if (held.length === 0) continue;
        for (const t of this.facts.dispatch.targetsOf(node, call)) {
          if (!t.precise) continue;
          for (const m of this.waitEnders().blockingIn(t.callee)) {
            const key = `${m.fn.id}|${m.pos}|${held.map((o) => o.id).join(',')}`;
            if (!out.has(key)) out.set(key, { ...m, held });
          }
        }
      }
    }
    return (this.calleeWaits = [...out.values()]);
  }

  private summarize(node: FuncNode, final: boolean): void {
    if (!node.decl.body || !this.touchesLocks(node)) return;
    let pass = walkLocks(this.parts, node, NO_ENTRY);
    // Unlocked without being locked here, then locked again: the lock is held on entry by contract
    // ("lock must be held"), and the walk that knows it sees the re-Lock give the caller's lock back.
    // Not for a goroutine's body: it runs beside its starter, so its Unlock hands the starter's lock on.
    if (pass.relocked.size && !this.startedOnly(node)) pass = walkLocks(this.parts, node, new Map([...pass.relocked].map((k) => [k, { ...pass.releases.get(k)!, entry: true }])));
    const { direct, releases, handed, deferredOps, acquired, calls, spawns, meets, ends, entry, passedAt } = pass;
    const given = new Set([...entry.keys()].map(instanceOf));
    for (const [k, op] of handed) if (!releases.has(k)) releases.set(k, op);

    let holds: Map<string, LockOp> | undefined;
    for (const [, s] of ends) {
      const here = new Map([...s.must].filter(([k]) => !s.deferred.has(k) && !given.has(instanceOf(k))));
      holds = holds === undefined ? here : new Map([...holds].filter(([k]) => here.has(k)));
    }
    for (const [, s] of ends) for (const k of s.deferred) if (!s.took.has(k) && !releases.has(k)) releases.set(k, deferredOps.get(k)!);
    // The caller's lock, held on entry, is given up by the paths that end without it.
    for (const [k, op] of entry) if (ends.some(([, s]) => !s.may.has(k) || s.deferred.has(k))) releases.set(k, { ...op, entry: undefined });
    const held = [...(holds ?? new Map<string, LockOp>()).values()];
    const released = [...releases].map(([k, op]) => everyPath(node, k, op, ends, entry, handed.has(k)));
    if (held.length || released.length) this.effects.set(node, { holds: held, releases: released, takes: NO_TAKES });
    else this.effects.delete(node);
    this.walked.set(node, { direct: [...direct.values()], calls, spawns, entry: given });
    if (!final) return;
    for (const [must, op] of acquired) this.acquired.noteAcquire(node, must, op);
    this.noteLeaks(node, ends, holds ?? new Map(), given, passedAt);
    this.meets.push(...meets.values());
    const spawn = held.length ? this.goroutineOnly(node) : undefined;
    if (spawn) for (const op of held) this.leaks.push({ fn: node, acquired: op, exit: ends[0]![0], releasedAt: undefined, spawn });
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
        const assumed = [
          ...[...(passedAt.get(s) ?? [])].flatMap((call) => this.facts.noReturn.assumedReturn(node, call) ?? []),
          // `if s == nil { return }` holding it, in an exported function every call in the program gives a non-nil `s`.
          ...(exit === undefined ? [] : this.facts.conds.decided.passed.assumedAt(node, exit)),
        ];
        this.leaks.push({ fn: node, acquired: op, exit, releasedAt: released[0], ...(assumed.length ? { assumed } : {}) });
      }
    }
  }
}
