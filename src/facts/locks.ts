import type { Expr, Pos, Stmt, TypeExpr } from '../ir.js';
import { exprKey } from '../irutil.js';
import type { CallInfo, FuncNode } from '../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from './calls.js';
import type { Atom } from './conditions/atoms.js';
import type { Step } from './effects/types.js';
import type { SyncFacts } from './engine.js';
import { walkGuarded } from './guarded.js';
import type { ChanId } from './identity/ids.js';
import { FRESH, MADE } from './identity/roots.js';
import { shortName } from './names.js';

/** Write (`Lock`) or read (`RLock`) side of a mutex. */
export type LockMode = 'w' | 'r';

/** One acquisition or release of a mutex instance, as seen from the function holding the fact. */
export interface LockOp {
  /** The mutex's storage, type-level: `field:<pkg>.<Type>.mu`, `global:<pkg>.mu`, `param:<i>`. */
  id: ChanId;
  /** The object it belongs to, in the holder's names (`@recv.mu`, `@0.mu`, a local, `global:...`). */
  root: string;
  mode: LockMode;
  /** From the holder down to the `Lock`/`Unlock` call itself. */
  steps: Step[];
  /** What the mutex is called where the call is written (`c.mu`), for messages. */
  display: string;
  /** The path condition of the acquisition, in the holder's names: `if lock { mu.Lock() }` under `lock`. */
  conds: Atom[];
}

/** What calling a function does to the mutexes its caller can name. */
export interface LockSummary {
  /** Acquired and still held at every return: a `lock()` helper. */
  holds: LockOp[];
  /** Released without being acquired here, on some path (deferred releases included): an `unlock()` helper. */
  releases: LockOp[];
  /** Every acquisition, directly or down calls, before the function itself held that mutex. */
  takes: LockOp[];
}

/** A mutex acquired while the same instance is certainly held. */
export interface Reacquire {
  fn: FuncNode;
  /** The acquisition in force. */
  held: LockOp;
  /** The second one; its first step is in `fn` (the call or the `Lock`). */
  again: LockOp;
  /** Read after read: blocks only when a writer is waiting in between. */
  readRead: boolean;
}

/** A mutex acquired while another one is certainly held: one edge of the program's lock order. */
export interface LockOrder {
  fn: FuncNode;
  /** Held, acquired in `fn` or down a call it made earlier. */
  held: LockOp;
  /** Acquired while `held` is; its first step is in `fn`. */
  taken: LockOp;
  /** The other mutexes certainly held there, by id: a lock both orders take first makes them one at a time. */
  others: ChanId[];
}

/** An acquisition still held at one return of a function that releases it at another. */
export interface Leak {
  fn: FuncNode;
  acquired: LockOp;
  /** The return that leaves holding it; undefined when the path falls off the end of the body. */
  exit: Pos | undefined;
  /** A return (or the end) that leaves having released it. */
  releasedAt: Pos | undefined;
  /** A goroutine's body that holds it at every exit: the `go` statement that starts it. */
  spawn?: { fn: FuncNode; pos: Pos; call: CallExpr };
}

/** How a goroutine meets another through a channel, a WaitGroup or a sync.Cond (`condWait`, `signal`). */
export type MeetKind = 'send' | 'recv' | 'close' | 'wait' | 'done' | 'condWait' | 'signal';

/**
 * A channel operation or WaitGroup call in a function that handles locks, with the locks around it:
 * one that may wait (`send`, `recv`, `wait`, never a select's case) while holding a mutex, or one
 * that lets such a wait end (`recv`, `send`, `close`, `done`, select cases too) after taking one.
 */
export interface Meet {
  fn: FuncNode;
  kind: MeetKind;
  /** The channel's or the WaitGroup's id. */
  id: ChanId;
  display: string;
  pos: Pos;
  /** Not a case of a select, which may take another case instead of waiting. */
  blocks: boolean;
  /** Mutexes certainly held. */
  held: LockOp[];
  /** Mutexes (by id) acquired on some path to here, held still or not. */
  took: ChanId[];
}

/** Per path: the mutexes held, keyed by instance and mode. */
interface LockState {
  /** Held on every path here, with the acquisition. */
  must: ReadonlyMap<string, LockOp>;
  /** Held on some path here. */
  may: ReadonlySet<string>;
  /** Acquired on some path here. */
  took: ReadonlySet<string>;
  /** Released by a deferred call registered on some path here. */
  deferred: ReadonlySet<string>;
  /** Tried (`TryLock`) on some path here: a release of it is not an unlock helper's. */
  tried: ReadonlySet<string>;
}

const PRIMITIVE_RE = /^sync\.(\(\*(RW)?Mutex\)|Locker)\.(Lock|Unlock|RLock|RUnlock|TryLock|TryRLock)$/;
/** A function value that, by its name, releases something: `unlock`, `tx.closemuRUnlockRelease`. */
const RELEASE_NAME_RE = /unlock|release/i;
const UNLOCK_NAME_RE = /^R?Unlock$/;
/** The WaitGroup and Cond methods, by library name, and how a goroutine meets another through each. */
const SYNC_MEETS: ReadonlyMap<string, MeetKind> = new Map<string, MeetKind>([
  ['sync.(*WaitGroup).Wait', 'wait'],
  ['sync.(*WaitGroup).Done', 'done'],
  ['sync.(*Cond).Wait', 'condWait'],
  ['sync.(*Cond).Signal', 'signal'],
  ['sync.(*Cond).Broadcast', 'signal'],
]);

/** `wg.Wait()`, `c.Signal()` ...: the meet a call of this library function is, if it is one. */
export function syncMeet(name: string | undefined): MeetKind | undefined {
  return name === undefined ? undefined : SYNC_MEETS.get(name);
}
const ENDS_PROCESS_RE = /^(os\.Exit|syscall\.(Kill|Exit))$/;
/** Witness paths are cut here, as channel facts are: a lock twelve calls down is not one a reader acts on. */
const MAX_STEPS = 12;
/** Acquisitions one summary keeps: a function near the top of a program reaches hundreds. */
const MAX_TAKES = 24;
const EMPTY: LockSummary = { holds: [], releases: [], takes: [] };
const NO_TAKES: LockOp[] = [];
const NO_KEYS: ReadonlySet<string> = new Set();
const ENTRY: LockState = { must: new Map(), may: NO_KEYS, took: NO_KEYS, deferred: NO_KEYS, tried: NO_KEYS };

/** A call of a walked function and the lock state there (its last visit: a loop's fixpoint). */
interface CallState {
  must: ReadonlyMap<string, LockOp>;
  may: ReadonlySet<string>;
  conds: ReadonlySet<Atom>;
}

/** What the walk of a function that handles locks itself leaves for the acquisitions pass. */
interface Walked {
  /** Its own acquisitions (and its lock helpers'), each before the function held that mutex. */
  direct: LockOp[];
  /** Its synchronous calls with a precise target. */
  calls: Map<CallExpr, CallState>;
  /** Its `go` statements' calls, and what it certainly holds at each. */
  spawns: Map<CallExpr, ReadonlyMap<string, LockOp>>;
}

type Primitive = { verb: 'lock' | 'unlock' | 'try'; mode: LockMode; embedded?: string };

/** Keyed by the callee's Go name: external CallInfos are one per call, and a first use as a map key costs V8 an identity hash. */
const primitives = new Map<string, Primitive | null>();

function primitiveOf(info: CallInfo): Primitive | undefined {
  const name = libraryName(info);
  if (name === undefined) return undefined;
  let out = primitives.get(name);
  if (out === undefined) primitives.set(name, (out = parsePrimitive(name) ?? null));
  return out ?? undefined;
}

function parsePrimitive(name: string): Primitive | undefined {
  const m = PRIMITIVE_RE.exec(name);
  if (!m) return undefined;
  const method = m[3]!;
  const mode: LockMode = method.startsWith('R') || method === 'TryRLock' ? 'r' : 'w';
  const verb = method.startsWith('Try') ? 'try' : method.endsWith('Unlock') ? 'unlock' : 'lock';
  return { verb, mode, ...(m[2] !== undefined || m[1]!.includes('Mutex') ? { embedded: m[2] ? 'RWMutex' : 'Mutex' } : {}) };
}

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

/** The values the `return` at `exit` hands back (none when the exit is not a `return` of this function). */
function returnValuesAt(node: FuncNode, exit: Pos): readonly Expr[] {
  for (const st of allStmts(node.decl.body ?? [])) if (st.k === 'return' && st.pos === exit) return st.values;
  return [];
}

/** Whether a call by a plain name may be of a local function value: not a declared function's. */
function maybeValue(info: CallInfo): boolean {
  return info.kind === 'unresolved' || info.kind === 'external' || (info.kind === 'resolved' && info.targets.some((t) => t.how === 'method-value' || t.how === 'func-value'));
}

function typeName(t: TypeExpr): string | undefined {
  if (t.k === 'ptr') return typeName(t.elem);
  return t.k === 'name' ? t.name : undefined;
}

const keyOf = (op: Pick<LockOp, 'id' | 'root' | 'mode'>) => `${op.id}\0${op.root}\0${op.mode}`;
const instanceOf = (key: string) => key.slice(0, key.lastIndexOf('\0'));

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  for (const x of b) if (!a.has(x)) return new Set([...a, ...b]);
  return a;
}

function sameKeys(a: ReadonlySet<string> | ReadonlyMap<string, unknown>, b: ReadonlySet<string> | ReadonlyMap<string, unknown>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function with_(s: ReadonlySet<string>, k: string): ReadonlySet<string> {
  return s.has(k) ? s : new Set([...s, k]);
}

function without(s: ReadonlySet<string>, k: string): ReadonlySet<string> {
  if (!s.has(k)) return s;
  const out = new Set(s);
  out.delete(k);
  return out;
}

const domain = {
  join(a: LockState, b: LockState): LockState {
    if (a === b) return a;
    let must: ReadonlyMap<string, LockOp> = a.must;
    if (!sameKeys(a.must, b.must)) must = new Map([...a.must].filter(([k]) => b.must.has(k)));
    return { must, may: union(a.may, b.may), took: union(a.took, b.took), deferred: union(a.deferred, b.deferred), tried: union(a.tried, b.tried) };
  },
  equal: (a: LockState, b: LockState) =>
    sameKeys(a.must, b.must) && sameKeys(a.may, b.may) && sameKeys(a.took, b.took) && sameKeys(a.deferred, b.deferred) && sameKeys(a.tried, b.tried),
};

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
  private readonly takes = new Map<FuncNode, LockOp[]>();
  private readonly walked = new Map<FuncNode, Walked>();
  readonly reacquires: Reacquire[] = [];
  readonly orders: LockOrder[] = [];
  readonly leaks: Leak[] = [];
  readonly meets: Meet[] = [];
  /** Reacquires and lock-order edges already noted: loops visit their acquisitions more than once. */
  private readonly seen = new Set<string>();

  constructor(private readonly facts: SyncFacts) {
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
    const wanted = this.wanted();
    for (const scc of wanted.size ? sccs : []) {
      const members = scc.length === 1 ? (wanted.has(scc[0]!) ? scc : []) : scc.filter((n) => wanted.has(n));
      const rounds = Math.min(members.length, 2);
      for (let round = 0; round < rounds; round++) for (const node of members) this.takes.set(node, this.acquisitions(node));
    }
    for (const [node, w] of this.walked) this.checkCalls(node, w);
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
        if (primitiveOf(site.info) || (site.call.fn.k === 'id' && maybeValue(site.info) && this.methodValue(node, site.call.fn.name))) {
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
    const takes = this.takes.get(node);
    if (!takes) return effects ?? EMPTY;
    return { holds: effects?.holds ?? [], releases: effects?.releases ?? [], takes };
  }

  /** Whether a function writes a lock call or calls a lock or unlock helper: the others need no walk. */
  private touchesLocks(node: FuncNode): boolean {
    for (const site of this.facts.graph.sites(node)) {
      if (primitiveOf(site.info)) return true;
      if (site.call.fn.k === 'id' && maybeValue(site.info) && this.methodValue(node, site.call.fn.name)) return true;
      if (this.facts.dispatch.targetsOf(node, site.call).some((t) => this.effects.has(t.callee))) return true;
    }
    return false;
  }

  /** A function's synchronous calls with a precise target, and their targets. */
  private *preciseCalls(node: FuncNode): Generator<[CallExpr, FuncNode]> {
    const w = this.walked.get(node);
    const calls = w ? w.calls.keys() : this.facts.graph.sites(node).flatMap((s) => (s.mode === 'call' ? [s.call] : []));
    for (const call of calls) for (const t of this.facts.dispatch.targetsOf(node, call)) if (t.precise) yield [call, t.callee];
  }

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

  /** A callee's acquisitions in the caller's names, those it still holds on return excluded (they are its holds). */
  private liftTakes(node: FuncNode, call: CallExpr, callee: FuncNode, conds: ReadonlySet<Atom>): LockOp[] {
    const taken = this.takes.get(callee);
    if (!taken?.length) return NO_TAKES;
    const held = this.effects.get(callee)?.holds.map(keyOf) ?? [];
    const step: Step = { node, pos: call.pos, message: `calls ${shortName(callee)}` };
    return taken.flatMap((op) => (held.includes(keyOf(op)) ? [] : (this.lift(node, callee, call, op, step, conds) ?? [])));
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
        if (!st?.may.has(key) && !out.has(key)) out.set(key, op);
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
  private noteAcquire(node: FuncNode, must: ReadonlyMap<string, LockOp>, op: LockOp): void {
    const inst = instanceOf(keyOf(op));
    for (const [k, held] of must) {
      const key = `${node.id}|${op.steps[0]!.pos}|${keyOf(op)}`;
      if (instanceOf(k) !== inst) {
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

  private readonly methodValues = new Map<FuncNode, Map<string, Expr>>();

  /** `unlock := c.mu.Unlock`: a local bound only to a mutex's method value, called later or deferred. */
  private methodValue(node: FuncNode, name: string): Expr | undefined {
    let out = this.methodValues.get(node);
    if (!out) {
      const found = new Map<string, Expr | null>();
      for (const st of allStmts(node.decl.body ?? [])) {
        if (st.k !== 'assign' || st.lhs.length !== st.rhs.length) continue;
        st.lhs.forEach((l, i) => {
          if (l.k !== 'id') return;
          const r = st.rhs[i]!;
          const isValue = r.k === 'sel' && /^(R?Unlock|R?Lock)$/.test(r.name);
          found.set(l.name, isValue && !found.has(l.name) ? r : null);
        });
      }
      out = new Map([...found].filter((e): e is [string, Expr] => e[1] !== null));
      this.methodValues.set(node, out);
    }
    return out.get(name);
  }

  private readonly handed = new Map<FuncNode, ReadonlySet<string>>();

  /**
   * The mutexes (as written) a function hands to code that runs later, elsewhere: an Unlock inside a
   * function literal it stores or passes on (`op.replyFunc = func() { mu.Unlock() }`), or the method
   * value itself (`srv.NotifyStartedFunc = wait.Unlock`). Such a mutex is a signal: the next Lock waits
   * for that code, and is neither a second acquisition nor a lock left held. A literal called on the
   * spot, and a method value bound to a local (`unlock := mu.Unlock`, whose calls are seen), are not.
   */
  private handedOff(node: FuncNode): ReadonlySet<string> {
    let out = this.handed.get(node);
    if (out) return out;
    const found = new Set<string>();
    const scan = (body: Stmt[], outer: boolean): void => {
      const called = new Set<Expr>();
      const bound = new Set<Expr>();
      for (const st of allStmts(body)) if (st.k === 'assign') st.rhs.forEach((r, i) => st.lhs[i]?.k === 'id' && bound.add(r));
      forEachExpr(body, (e) => {
        if (e.k === 'call') called.add(e.fn);
      });
      forEachExpr(body, (e) => {
        if (e.k === 'sel' && UNLOCK_NAME_RE.test(e.name) && (!outer || (!called.has(e) && !bound.has(e)))) {
          const key = exprKey(e.x);
          if (key !== undefined) found.add(key);
        } else if (e.k === 'funclit' && (!outer || !called.has(e))) {
          const lit = node.file.funcs[e.fn];
          if (lit?.body) scan(lit.body, false);
        }
      });
    };
    scan(node.decl.body ?? [], true);
    // A goroutine's Lock of a mutex the function starting it unlocks but never locks (`go func() {
    // mu.Lock(); mu.Lock() }(); ...; mu.Unlock()`) waits for that Unlock: the same signal.
    const parent = node.decl.parent === undefined ? undefined : node.file.funcs[node.decl.parent];
    const signals = parent ? this.unlockedOnly(this.facts.graph.nodeOf(node.file, parent)) : NO_KEYS;
    if (signals.size && this.facts.graph.callers(node).every((e) => e.mode === 'go')) for (const k of signals) found.add(k);
    this.handed.set(node, (out = found));
    return out;
  }

  /** The mutexes (as written) a function unlocks and never locks itself. */
  private unlockedOnly(node: FuncNode): ReadonlySet<string> {
    const unlocked = new Set<string>();
    const locked = new Set<string>();
    for (const { call, info } of this.facts.graph.sites(node)) {
      const prim = call.fn.k === 'sel' ? primitiveOf(info) : undefined;
      const key = prim && call.fn.k === 'sel' ? exprKey(call.fn.x) : undefined;
      if (key !== undefined) (prim!.verb === 'unlock' ? unlocked : locked).add(key);
    }
    for (const k of locked) unlocked.delete(k);
    return unlocked;
  }

  /** The mutex a lock call acts on, when its instance can be named. */
  private direct(node: FuncNode, x: Expr, prim: Primitive, pos: Pos, verb: string, conds: ReadonlySet<Atom>): LockOp | undefined {
    const { graph } = this.facts;
    let t = graph.typeOf(node, x);
    if (t.k === 'ptr') t = t.elem;
    // `s.Lock()` on a struct embedding the mutex: the embedded field is the mutex.
    const owner = prim.embedded !== undefined && t.k === 'named' && t.path !== 'sync' ? `${t.path}.${t.name}` : undefined;
    const embeds = owner !== undefined;
    const id = embeds ? `field:${owner}.${prim.embedded}` : this.facts.ids.idOf(node, x);
    const base = this.facts.ids.condRoot(node, x);
    if (id === undefined || base === undefined) return undefined;
    const root = embeds ? `${base}.${prim.embedded}` : base;
    const display = embeds ? `${exprKey(x) ?? owner}.${prim.embedded}` : (exprKey(x) ?? 'mutex');
    return { id, root, mode: prim.mode, display, conds: [...conds], steps: [{ node, pos, message: `${verb} ${display}` }] };
  }

  /** A call's own lock primitive (`c.mu.Lock()`, `s.RUnlock()`, `unlock()`), if it is one. */
  private primitive(node: FuncNode, call: CallExpr, conds: ReadonlySet<Atom>): { prim: Primitive; op: LockOp | undefined } | undefined {
    if (call.fn.k === 'id') {
      const value = this.methodValue(node, call.fn.name);
      if (value?.k !== 'sel') return undefined;
      const prim: Primitive = { verb: value.name.endsWith('Unlock') ? 'unlock' : 'lock', mode: value.name.startsWith('R') ? 'r' : 'w' };
      return { prim, op: this.direct(node, value.x, prim, call.pos, value.name, conds) };
    }
    if (call.fn.k !== 'sel') return undefined;
    const prim = primitiveOf(this.facts.graph.callInfo(call));
    if (!prim) return undefined;
    return { prim, op: this.direct(node, call.fn.x, prim, call.pos, call.fn.name, conds) };
  }

  /**
   * A callee's lock operation in the caller's names, under the caller's path condition; undefined when
   * the caller cannot name the instance, or its constant arguments rule the operation out
   * (`c.Reset(false)` never runs `if lock { c.Lock() }`).
   */
  private lift(node: FuncNode, callee: FuncNode, call: CallExpr, op: LockOp, step: Step, conds: ReadonlySet<Atom>): LockOp | undefined {
    if (op.steps.length >= MAX_STEPS) return undefined;
    const id = this.facts.ids.mapId(op.id, node, callee, call);
    if (id === undefined || (id.startsWith('local:') && !id.startsWith(`local:${node.id}:`))) return undefined;
    const receiver = this.receiverOf(call, callee);
    const mapped = this.facts.conds.mapConds(node, callee, op.conds, call, receiver);
    if (mapped === false) return undefined;
    const root = op.root.startsWith('global:') ? op.root : this.facts.ids.liftRoot(node, callee, op.root, call, receiver);
    if (root === undefined || root === FRESH || root === MADE) return undefined;
    return { ...op, id, root, conds: mapped.length ? [...new Set([...conds, ...mapped])] : [...conds], steps: [step, ...op.steps] };
  }

  /**
   * The object a method runs on. A method promoted from an embedded field runs on that field:
   * `t.Lock()` on a type embedding batchTx is `t.batchTx.Lock()`, and its mutex is `t.batchTx.mu`.
   */
  private receiverOf(through: CallExpr, callee: FuncNode): Expr | undefined {
    const x = this.facts.dispatch.receiverFor(through, callee);
    const recv = callee.decl.recv;
    if (!x || !recv) return undefined;
    const info = this.facts.graph.callInfo(this.facts.dispatch.calledAs(through));
    const promoted = info.kind === 'resolved' && info.targets.some((t) => t.callee === callee && t.how === 'promoted');
    const field = promoted ? typeName(recv.type) : undefined;
    return field === undefined ? x : { k: 'sel', x, name: field, pos: x.pos };
  }

  private summarize(node: FuncNode, final: boolean): void {
    if (!node.decl.body || !this.touchesLocks(node)) return;
    const direct = new Map<string, LockOp>();
    const releases = new Map<string, LockOp>();
    const returns = new Map<Pos, LockState>();
    const returned = new Set<LockState>();
    const deferredOps = new Map<string, LockOp>();
    const acquired: [ReadonlyMap<string, LockOp>, LockOp][] = [];
    const calls = new Map<CallExpr, CallState>();
    const spawns = new Map<CallExpr, ReadonlyMap<string, LockOp>>();
    const meets = new Map<string, Meet>();
    const deferredDone: CallExpr[] = [];
    const inSelect = selectCases(node);
    /** The last visit of each operation: a loop's fixpoint. */
    const meet = (kind: MeetKind, x: Expr, pos: Pos, s: LockState, blocks: boolean): LockState => {
      const id = this.facts.ids.idOf(node, x);
      if (id === undefined || (s.must.size === 0 && s.took.size === 0)) return s;
      const took = [...new Set([...s.took].map((k) => k.slice(0, k.indexOf('\0'))))];
      meets.set(`${kind}|${pos}`, { fn: node, kind, id, display: exprKey(x) ?? 'channel', pos, blocks, held: [...s.must.values()], took });
      return s;
    };
    const meetOf = (call: CallExpr) => (call.fn.k === 'sel' ? syncMeet(libraryName(this.facts.graph.callInfo(call))) : undefined);

    /** An acquisition, checked against what is certainly held once the walk is done. */
    const check = (s: LockState, op: LockOp): void => {
      const key = keyOf(op);
      if (s.must.size) acquired.push([s.must, op]);
      if (!s.may.has(key) && !direct.has(key) && direct.size < MAX_TAKES) direct.set(key, op);
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
        const lift = (ops: LockOp[]) => ops.flatMap((op) => this.lift(node, t.callee, call, op, step, conds) ?? []);
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
            const p = this.primitive(node, call, g.conds);
            if (!p) {
              const after = viaCall(call, s, 'sync', g.conds);
              // `unlock := unlockOnce(&s.mu); ...; unlock()`: a release we cannot see into may release anything held.
              const opaqueRelease = call.fn.k === 'id' && RELEASE_NAME_RE.test(call.fn.name) && maybeValue(this.facts.graph.callInfo(call));
              return opaqueRelease && effectsOf(call, g.conds).every((t) => t.releases.length === 0) ? { ...after, must: new Map() } : after;
            }
            if (!p.op) return s;
            // A mutex used as a signal: the Unlock runs later, elsewhere, and the next Lock waits for it.
            if (p.prim.verb === 'lock' && call.fn.k === 'sel' && this.handedOff(node).has(exprKey(call.fn.x) ?? '')) return forget(acquire(s, p.op), p.op);
            if (p.prim.verb === 'lock') return acquire(s, p.op);
            if (p.prim.verb === 'unlock') return release(s, p.op);
            return { ...s, tried: with_(s.tried, keyOf(p.op)) };
          },
          defer: (call, _pos, g, s) => {
            if (call.k !== 'call') return s;
            const p = this.primitive(node, call, g.conds);
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
          exit: (pos, _g, s) => {
            // The last visit of a return in a loop is the one at the fixpoint.
            const out = { ...s };
            returns.set(pos, out);
            returned.add(out);
            return out;
          },
        },
        ENTRY,
        domain,
      ),
    );
    const ends: [Pos | undefined, LockState][] = [...returns];
    for (const x of exits) if (!returned.has(x.e)) ends.push([undefined, x.e]);

    let holds: Map<string, LockOp> | undefined;
    for (const [, s] of ends) {
      const here = new Map([...s.must].filter(([k]) => !s.deferred.has(k)));
      holds = holds === undefined ? here : new Map([...holds].filter(([k]) => here.has(k)));
    }
    for (const [, s] of ends) for (const k of s.deferred) if (!s.took.has(k) && !releases.has(k)) releases.set(k, deferredOps.get(k)!);
    const held = [...(holds ?? new Map<string, LockOp>()).values()];
    if (held.length || releases.size) this.effects.set(node, { holds: held, releases: [...releases.values()], takes: NO_TAKES });
    else this.effects.delete(node);
    this.walked.set(node, { direct: [...direct.values()], calls, spawns });
    if (!final) return;
    for (const [must, op] of acquired) this.noteAcquire(node, must, op);
    this.noteLeaks(node, ends, holds ?? new Map());
    // A deferred Done runs at the exits, after whatever the paths there took.
    const atEnd = ends.reduce((s, [, e]) => domain.join(s, e), ends[0]?.[1] ?? ENTRY);
    for (const call of deferredDone) if (call.fn.k === 'sel') meet('done', call.fn.x, call.pos, { ...atEnd, must: new Map() }, false);
    this.meets.push(...meets.values());
    const spawn = held.length ? this.goroutineOnly(node) : undefined;
    if (spawn) for (const op of held) this.leaks.push({ fn: node, acquired: op, exit: ends[0]![0], releasedAt: undefined, spawn });
  }

  /**
   * The `go` statement that starts a function, when nothing else calls it: a goroutine that ends
   * holding a lock leaves it held for good (a lock helper's caller would release it; nobody returns
   * from a goroutine).
   */
  private goroutineOnly(node: FuncNode): Leak['spawn'] {
    const edges = this.facts.graph.callers(node);
    if (edges.length === 0 || edges.some((e) => e.mode !== 'go')) return undefined;
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
  private noteLeaks(node: FuncNode, ends: [Pos | undefined, LockState][], holds: ReadonlyMap<string, LockOp>): void {
    const reported = new Set<string>();
    for (const [exit, s] of ends) {
      if (exit !== undefined && this.handsBackRelease(node, exit)) continue;
      for (const [k, op] of s.must) {
        if (s.deferred.has(k) || holds.has(k) || reported.has(k) || op.steps.length > 1) continue;
        const released = ends.find(([, o]) => o.took.has(k) && (!o.may.has(k) || o.deferred.has(k)));
        if (!released) continue;
        reported.add(k);
        this.leaks.push({ fn: node, acquired: op, exit, releasedAt: released[0] });
      }
    }
  }
}
