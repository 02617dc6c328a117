import { blame } from '../blame.js';
import type { Expr, Pos, Stmt } from '../ir.js';
import { walkFunction, type FlowDomain } from '../flow/walk.js';
import { builtinArg, exprKey } from '../irutil.js';
import type { CallGraph, CallInfo, CallTarget, FuncNode, Storage } from '../resolve/callgraph.js';
import { SideTable } from '../resolve/side.js';
import { allStmts, callsIn, callsInSimple, callsInStmt, forEachSubExpr, type CallExpr } from './calls.js';

/**
 * Channel identity, relative to the function whose facts hold it:
 * `field:<pkg>.<Type>.<field>`, `global:<pkg>.<name>`, `local:<fn>:<name>`, `param:<i>` (-1 = receiver),
 * or `expr:<fn>:<path>` when only the expression's shape is known.
 */
export type ChanId = string;

export interface Step {
  node: FuncNode;
  pos: Pos;
  message: string;
}

/** One close or send, as seen from some function: how it is reached and what protects it. */
export interface OpFact {
  /** From the function holding the fact down to the operation; the last step is the operation. */
  steps: Step[];
  /** What the operation's channel is called where it happens (`e.metaCh`), for messages. */
  display: string;
  /**
   * The variable, in the function holding the fact, through which this instance is reached
   * (`ei` for `ei.Clean()` closing a field of ei): reassigning it means another instance.
   */
  root?: string;
  /** Mutexes held at the operation, from every function on the path. */
  locks: string[];
  /** A closed flag was checked (and found unset) on the way to the operation. */
  flagChecked: boolean;
  /** Some function on the path recovers from panics. */
  recovers: boolean;
  /** Runs inside a `sync.Once.Do` function. */
  once: boolean;
  /** Runs on a goroutine started along the path. */
  async: boolean;
  /** Every hop is a static, concrete-method or closure call: no interface or function-value dispatch. */
  precise: boolean;
}

/** What a call may run, and whether it waits for goroutines started before it. */
interface CallShape {
  targets: Target[];
  waits: boolean;
}

/** A call's effects as mapped during the walk numbered `walk`. */
interface EffectsMemo {
  walk: number;
  effects: CallEffects;
}

interface Target {
  callee: FuncNode;
  /** Called through `sync.Once.Do`. */
  once: boolean;
  precise: boolean;
}

export interface FuncFacts {
  closes: Map<ChanId, OpFact>;
  sends: Map<ChanId, OpFact>;
  /** Channel fields and globals the function assigns (`w.metasCh = make(...)`), with the instance root. */
  remakes: Map<ChanId, string | undefined>;
}

/**
 * One close or send of a call's target, already named as an id of the caller but not yet lifted into
 * an OpFact: most of them are never needed (the caller already has that id, or nothing was closed
 * before the send), and building every witness path eagerly dominated the run time.
 */
export interface CalleeOp {
  id: ChanId;
  /** The fact as the callee holds it. */
  op: OpFact;
  /** The step into the callee; shared by all of its operations at this call. */
  step: Step;
  /** The instance root seen from the caller. */
  root: string | undefined;
  /** Called through `sync.Once.Do`. */
  once: boolean;
  /** The call itself is static or a concrete method (see OpFact.precise). */
  precise: boolean;
}

/** A call as the walks see it: its targets' effects, mapped into the caller, independent of the guards at the call. */
export interface CallEffects {
  closes: CalleeOp[];
  sends: CalleeOp[];
  remakes: Map<ChanId, string | undefined>;
  /** `sync.(*WaitGroup).Wait` and friends: goroutines started before have finished. */
  waits: boolean;
}

/** The guards in force at a call, which every operation it reaches inherits. */
export interface CallContext {
  locks: ReadonlySet<string>;
  flagChecked: boolean;
  async: boolean;
  once: boolean;
}

/**
 * Witness paths longer than this are not lifted further: a close twelve calls down is rarely the one
 * a reader can act on, and unbounded lifting made every function near the top of a program carry
 * everything below it.
 */
const MAX_STEPS = 12;
/** The guards of a deferred call: none of the locks held where it is deferred are held when it runs. */
export const NO_LOCKS: ReadonlySet<string> = new Set();
const NO_FACTS: FuncFacts = { closes: new Map(), sends: new Map(), remakes: new Map() };
const NO_EFFECTS: CallEffects = { closes: [], sends: [], remakes: new Map(), waits: false };
const NO_SHAPE: CallShape = { targets: [], waits: false };
const WAITS: CallShape = { targets: [], waits: true };
/**
 * Channels one function's facts keep per kind. A function near the top of a large program can reach
 * hundreds; past this many, the orderings that matter are decided by the first ones found, and
 * copying the rest into every caller dominated the run time.
 */
const MAX_FACTS = 64;
/**
 * Dispatch wider than this is not followed: an interface with dozens of implementations (an executor's
 * `Next`) or a function parameter called with every callback in the program would make every function
 * reach every close, and the facts say nothing. Measured on TiDB: the model case needs 5 implementations.
 */
const MAX_INTERFACE_TARGETS = 8;
const MAX_FUNC_VALUE_TARGETS = 3;
const PRECISE_HOWS = new Set(['static', 'method', 'promoted', 'closure']);
const RECEIVER = '@recv';
/** An instance the function holding the fact cannot name (looked up by a callee): not provably any other. */
export const FRESH = '#fresh';
/** An instance a callee constructed itself (`&T{}`, `NewT()`, `make`): certainly not any other. */
export const MADE = '#made';
/** Prefix of a root captured by a closure: `^<declaring function id>\0<name>`. */
const CAPTURED = '^';

/**
 * The object a value is taken from, for instance roots: `x.f` and `&x.f` from x, `v.(T)` from v, and
 * `c.Load(k)` (a lookup in a container) from c. `m[k]` has none: in a loop it is another element each time.
 */
function ownerOf(e: Expr): Expr | undefined {
  switch (e.k) {
    case 'id':
    case 'sel':
      return e;
    case 'unary':
      return e.op === '&' || e.op === '*' ? ownerOf(e.x) : undefined;
    case 'assert':
      return ownerOf(e.x);
    case 'call':
      return e.fn.k === 'sel' && e.fn.x.k !== 'id' ? ownerOf(e.fn.x) : e.fn.k === 'sel' && e.fn.x.k === 'id' ? e.fn.x : undefined;
    default:
      return undefined;
  }
}

/**
 * The standard library's name for a call: `sync.(*WaitGroup).Wait` whether sync is outside the
 * checkout (an external leaf) or analyzed with it (Go's own source tree).
 */
function libraryName(info: CallInfo): string | undefined {
  if (info.kind === 'external') return info.name;
  if (info.kind === 'resolved' && info.targets.length === 1) return info.targets[0]!.callee.id;
  return undefined;
}

/** `&T{...}`, `T{...}`, `new(T)`, `make(...)`, `NewT(...)`: a value that did not exist before. */
function isConstruction(e: Expr): boolean {
  if (e.k === 'unary' && e.op === '&') return isConstruction(e.x);
  if (e.k === 'composite') return true;
  if (e.k !== 'call') return false;
  const name = e.fn.k === 'id' ? e.fn.name : e.fn.k === 'sel' ? e.fn.name : '';
  return name === 'new' || name === 'make' || /^(New|new|Make|make|Create|create|Open|open)/.test(name);
}

/**
 * An instance root is a head (`@recv`, `@<param>`, a local's name, a captured variable, FRESH, MADE)
 * and a field path below it (`@recv.writer.stopc`): two fields of one object are two instances.
 */
function splitRoot(root: string): { head: string; path: string } {
  const from = root.startsWith(CAPTURED) ? root.indexOf('\0') : 0;
  const dot = root.indexOf('.', from);
  return dot === -1 ? { head: root, path: '' } : { head: root.slice(0, dot), path: root.slice(dot) };
}

function withPath(root: string | undefined, path: string): string | undefined {
  return root === undefined || root === FRESH || root === MADE ? root : root + path;
}

/** The argument a callee's `@<index>` root refers to. */
function argOf(call: CallExpr, root: string): Expr | undefined {
  return /^@\d+$/.test(root) ? call.args[Number(root.slice(1))] : undefined;
}
const WAIT_RE = /(^sync\.\(\*WaitGroup\)\.Wait$|errgroup\.\(\*Group\)\.Wait$)/;
const ONCE_RE = /^sync\.\(\*Once\)\.Do$/;

/** The last component of a qualified function name, readable in a message: `Engine.Close`, `flush`. */
export function shortName(node: FuncNode): string {
  const afterPkg = node.id.slice(node.id.lastIndexOf('/') + 1);
  return afterPkg.slice(afterPkg.indexOf('.') + 1).replace(/[()*]/g, '');
}

/** How a channel id reads in a message: `Engine.metaCh` for a field, the variable name otherwise. */
export function displayId(id: ChanId, fallback: string): string {
  if (id.startsWith('field:') || id.startsWith('global:')) {
    const path = id.slice(id.indexOf(':') + 1);
    const tail = path.slice(path.lastIndexOf('/') + 1);
    return id.startsWith('field:') ? tail.slice(tail.indexOf('.') + 1) : tail.slice(tail.indexOf('.') + 1);
  }
  return fallback;
}

/**
 * Channel facts for every function, computed bottom-up over the call graph's strongly connected
 * components (recursion iterates to a fixpoint), plus the helpers the ordering rules need to read
 * the effects of one call in one function.
 */
export class ChannelFacts {
  private readonly facts = new Map<FuncNode, FuncFacts>();
  private readonly recovers = new Map<FuncNode, boolean>();

  /** Keyed by the graph's CallInfo objects, which calls that resolve alike share. */
  private readonly shapes = new Map<CallInfo, CallShape>();
  /**
   * Per call with effects: the last walk's. A side table, not a WeakMap: the first use of an IR
   * object as a key costs V8 an identity hash.
   */
  private readonly memos = new SideTable<CallExpr, EffectsMemo>();
  /** The walk whose effects memo is live; 0 when none is (then effects are not kept). */
  private walk = 0;
  private walks = 0;
  private readonly targetsByCallee = new Map<FuncNode, Target[]>();
  /** Memos holding effects of the live walk, released when it ends (kept, they add up to tens of MB). */
  private readonly held: EffectsMemo[] = [];
  private readonly localRoots = new Map<FuncNode, Map<string, string>>();

  constructor(readonly graph: CallGraph) {
    for (const scc of this.sccs()) {
      for (let round = 0; round < 4; round++) {
        let changed = false;
        for (const node of scc) {
          blame(node.file);
          changed = this.summarize(node) || changed;
        }
        if (!changed || (scc.length === 1 && !this.selfRecursive(scc[0]!))) break;
      }
    }
  }

  /** A close or send written in `node` itself (`verb` says which), with the guards around it. */
  directOp(node: FuncNode, ch: Expr, pos: Pos, verb: string, g: GuardState): [ChanId, OpFact] | undefined {
    const id = this.idOf(node, ch);
    if (id === undefined) return undefined;
    const display = exprKey(ch) ?? 'channel';
    const root = this.rootIn(node, ch);
    const op: OpFact = {
      steps: [{ node, pos, message: `${verb} ${display}` }],
      display,
      locks: [...g.locks],
      flagChecked: g.flag,
      recovers: this.recoversIn(node),
      once: g.once || this.selfDisabling(node),
      async: false,
      precise: true,
    };
    if (root !== undefined) op.root = root;
    return [id, op];
  }

  /**
   * Whether a field or global assigned in `node` can be a channel. Only those count as re-made:
   * every other assignment would travel up the call graph too, and did so by the tens of millions.
   */
  private mayHoldChannel(node: FuncNode, e: Expr): boolean {
    const t = this.graph.typeOf(node, e);
    if (t.k === 'tparam') return true;
    const u = this.graph.index.under(t);
    return u.k === 'chan' || u.k === 'unknown';
  }

  /** Runs one function's walk with its calls' mapped effects memoized for its duration. */
  memoized<T>(walk: () => T): T {
    this.walk = ++this.walks;
    try {
      return walk();
    } finally {
      for (const m of this.held) m.effects = NO_EFFECTS;
      this.held.length = 0;
      this.walk = 0;
    }
  }

  of(node: FuncNode): FuncFacts {
    return this.facts.get(node) ?? NO_FACTS;
  }

  /** The channel id of an expression evaluated in `node`. */
  idOf(node: FuncNode, e: Expr): ChanId | undefined {
    // `chs[i]`, `m[k]`, `f().ch`: a different channel each time, as far as we can tell; not tracked.
    if (exprKey(e) === undefined) return undefined;
    const st = this.graph.storageOf(node, e);
    if (st) return storageId(st, node);
    const key = exprKey(e);
    return key === undefined ? undefined : `expr:${node.id}:${key}`;
  }

  /**
   * The instance root of an expression in `node`: `@recv` or `@<param index>` when it starts at the
   * receiver or a parameter (so callers can map it), the local's name otherwise.
   */
  rootIn(node: FuncNode, e: Expr | undefined, depth = 0): string | undefined {
    let base = e;
    let path = '';
    while (base && (base.k === 'sel' || (base.k === 'unary' && (base.op === '*' || base.op === '&')))) {
      if (base.k === 'sel') path = `.${base.name}${path}`;
      base = base.x;
    }
    // An element of a slice or map (`c.nodes[i].mgr`): which one, we cannot tell.
    if (base?.k === 'index') return FRESH;
    if (!base || base.k !== 'id') return undefined;
    const st = this.graph.storageOf(node, base);
    if (!st) return undefined;
    if (st.kind === 'param' && st.fn === node.id) return (st.index === -1 ? RECEIVER : `@${st.index}`) + path;
    if (st.kind !== 'local' && st.kind !== 'param') return undefined;
    // Captured from an enclosing function: that function can name it (see liftRoot).
    if (st.fn !== node.id) return `${CAPTURED}${st.fn}\0${base.name}${path}`;
    return withPath(this.localRoot(node, base.name, depth), path);
  }

  /**
   * A local that only ever aliases a path from the receiver or a parameter (`en := ei.openedEngine`)
   * is that instance; one made or looked up here (`rw := NewWorker()`, `n := nodes[i]`) is its own.
   */
  private localRoot(node: FuncNode, name: string, depth: number): string {
    let memo = this.localRoots.get(node);
    if (!memo) this.localRoots.set(node, (memo = new Map()));
    let root = memo.get(name);
    if (root === undefined) {
      root = this.computeLocalRoot(node, name, depth);
      if (depth === 0) memo.set(name, root);
    }
    return root;
  }

  private computeLocalRoot(node: FuncNode, name: string, depth: number): string {
    const { recv, params } = node.decl;
    if (recv?.name === name) return RECEIVER;
    const index = params.findIndex((p) => p.name === name);
    if (index !== -1) return `@${index}`;
    if (depth < 4) {
      const sources = this.localSources(node).get(name) ?? [];
      // A name that is sometimes made on the spot (often a shadowing declaration in a fallback branch)
      // and otherwise taken from the receiver's object graph is counted as the latter.
      const taken = sources.filter((src) => !isConstruction(src));
      const roots = new Set(taken.map((src) => this.rootIn(node, ownerOf(src), depth + 1)));
      const [only] = roots;
      if (roots.size === 1 && only !== undefined && only.startsWith('@')) return only;
    }
    return name;
  }

  private readonly sources = new Map<FuncNode, Map<string, Expr[]>>();

  /** Everything assigned to each local of a function (range variables count as unknown sources). */
  private localSources(node: FuncNode): Map<string, Expr[]> {
    let out = this.sources.get(node);
    if (out) return out;
    out = new Map();
    const add = (name: string, e: Expr) => {
      const list = out!.get(name);
      if (list) list.push(e);
      else out!.set(name, [e]);
    };
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k === 'assign' && (st.op === ':=' || st.op === '=') && (st.lhs.length === st.rhs.length || st.rhs.length === 1)) {
        // `v, ok := m.Load(k)`: every name comes from the one call.
        st.lhs.forEach((l, i) => l.k === 'id' && add(l.name, st.rhs[st.rhs.length === 1 ? 0 : i]!));
      } else if (st.k === 'assign' || st.k === 'var') {
        const names = st.k === 'var' ? st.names : st.lhs.flatMap((l) => (l.k === 'id' ? [l.name] : []));
        names.forEach((n, i) => add(n, st.k === 'var' && st.values.length === names.length ? st.values[i]! : { k: 'bad', pos: st.pos }));
      } else if (st.k === 'for' && st.range) {
        for (const v of [st.range.key, st.range.value]) if (v?.k === 'id') add(v.name, { k: 'bad', pos: st.pos });
      }
    }
    this.sources.set(node, out);
    return out;
  }

  /**
   * A callee's instance root seen from the caller: its receiver's or argument's root, or FRESH for an
   * object the callee made or looked up itself, which the caller cannot name.
   */
  private liftRoot(
    node: FuncNode,
    callee: FuncNode,
    root: string | undefined,
    call: CallExpr,
    receiver: Expr | undefined,
  ): string | undefined {
    if (root === undefined) return undefined;
    if (root === MADE || root === FRESH) return root;
    const { head, path } = splitRoot(root);
    if (head.startsWith(CAPTURED)) {
      const [fn = '', name = ''] = head.slice(CAPTURED.length).split('\0');
      // Back in the function that declared the variable, it is that function's own root.
      if (fn === node.id) return withPath(this.localRoot(node, name, 0), path);
      return node.decl.parent === undefined ? FRESH : root;
    }
    if (head === RECEIVER) return withPath(this.rootIn(node, receiver), path);
    if (head.startsWith('@')) return withPath(this.rootIn(node, argOf(call, head)), path);
    const sources = this.localSources(callee).get(head) ?? [];
    return sources.length > 0 && sources.every(isConstruction) ? MADE : FRESH;
  }

  private readonly disabling = new Map<FuncNode, boolean>();

  /**
   * A function that returns early on a state it sets itself (`if d.responded { return }` ...
   * `d.responded = true`; `if t.state == closing { return }` ... `t.state = closing`;
   * `if s.swapState(done) == done { return }`) does its work once: its closes are not double closes.
   */
  selfDisabling(node: FuncNode): boolean {
    let r = this.disabling.get(node);
    if (r === undefined) {
      r = isSelfDisabling(node.decl.body ?? []);
      this.disabling.set(node, r);
    }
    return r;
  }

  /** Channels the function itself receives from (`<-ch`, select receive cases, `range ch`). */
  receivesIn(node: FuncNode): ReadonlySet<ChanId> {
    const out = new Set<ChanId>();
    const body = node.decl.body;
    if (!body) return out;
    const add = (e: Expr | undefined) => {
      const id = e && this.idOf(node, e);
      if (id !== undefined) out.add(id);
    };
    const visit = (e: Expr | undefined): void => {
      if (!e) return;
      if (e.k === 'unary' && e.op === '<-') add(e.x);
      forEachSubExpr(e, visit);
    };
    for (const st of allStmts(body)) {
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') add(c.ch);
      if (st.k === 'for' && st.range) add(st.range.x);
      for (const c of callsInStmt(st)) visit(c);
      if (st.k === 'assign') st.rhs.forEach(visit);
      if (st.k === 'expr') visit(st.x);
      if (st.k === 'if') visit(st.cond);
    }
    return out;
  }

  /** Whether the function defers a `recover()`. */
  recoversIn(node: FuncNode): boolean {
    let r = this.recovers.get(node);
    if (r === undefined) {
      r = defersRecover(node);
      this.recovers.set(node, r);
    }
    return r;
  }

  /** The functions a call may run, including a function literal called on the spot or given to Once.Do. */
  targetsOf(node: FuncNode, call: CallExpr): Target[] {
    return this.shapeOf(node, call).targets;
  }

  /**
   * What a call may run. The graph shares one CallInfo among calls that resolve alike, so the shape
   * is computed once per CallInfo; only calls whose targets depend on their own arguments (a literal
   * called on the spot, `Once.Do(func() {...})`) get theirs each time.
   */
  private shapeOf(node: FuncNode, call: CallExpr): CallShape {
    if (call.fn.k === 'funclit') {
      const lit = node.file.funcs[call.fn.fn];
      return lit ? { targets: [this.target(this.graph.nodeOf(node.file, lit), false, true)], waits: false } : NO_SHAPE;
    }
    const info = this.graph.callInfo(call);
    const name = libraryName(info) ?? '';
    // sync.Once.Do and WaitGroup.Wait are external when the standard library is not in the checkout.
    if (ONCE_RE.test(name)) {
      const targets: Target[] = [];
      for (const a of call.args) {
        const lit = a.k === 'funclit' ? node.file.funcs[a.fn] : undefined;
        if (lit) targets.push(this.target(this.graph.nodeOf(node.file, lit), true, true));
      }
      return { targets, waits: false };
    }
    if (info.kind === 'external') return WAIT_RE.test(name) ? WAITS : NO_SHAPE;
    if (info.kind !== 'resolved') return NO_SHAPE;
    let shape = this.shapes.get(info);
    if (!shape) this.shapes.set(info, (shape = { targets: this.dispatchTargets(info.targets), waits: WAIT_RE.test(name) }));
    return shape;
  }

  /** One immutable Target per callee and flags, shared by every call that reaches it that way. */
  private target(callee: FuncNode, once: boolean, precise: boolean): Target {
    const slot = (once ? 2 : 0) + (precise ? 1 : 0);
    let per = this.targetsByCallee.get(callee);
    if (!per) this.targetsByCallee.set(callee, (per = []));
    return (per[slot] ??= { callee, once, precise });
  }

  private dispatchTargets(targets: readonly CallTarget[]): Target[] {
    let ifaces = 0;
    let values = 0;
    for (const t of targets) {
      if (t.how === 'interface') ifaces++;
      else if (t.how === 'func-value') values++;
    }
    const out: Target[] = [];
    for (const t of targets) {
      if (t.how === 'interface' && ifaces > MAX_INTERFACE_TARGETS) continue;
      if (t.how === 'func-value' && values > MAX_FUNC_VALUE_TARGETS) continue;
      out.push(this.target(t.callee, false, PRECISE_HOWS.has(t.how)));
    }
    return out;
  }

  /**
   * The closes and sends a call in `node` may perform, as ids of `node`. Memoized for the duration of
   * one function's walk: loops iterate to a fixpoint and revisit their calls (kept for the whole
   * program, the memo cost a gigabyte).
   */
  effectsOf(node: FuncNode, call: CallExpr): CallEffects {
    const { targets, waits } = this.shapeOf(node, call);
    if (!waits && !targets.some((t) => this.of(t.callee) !== NO_FACTS)) return NO_EFFECTS;
    if (this.walk === 0) return this.mapEffects(node, call, targets, waits);
    let memo = this.memos.get(call);
    if (memo?.walk === this.walk) return memo.effects;
    const effects = this.mapEffects(node, call, targets, waits);
    if (memo) {
      memo.walk = this.walk;
      memo.effects = effects;
    } else this.memos.set(call, (memo = { walk: this.walk, effects }));
    this.held.push(memo);
    return effects;
  }

  private mapEffects(node: FuncNode, call: CallExpr, targets: Target[], waits: boolean): CallEffects {
    const closes: CalleeOp[] = [];
    const sends: CalleeOp[] = [];
    const remakes = new Map<ChanId, string | undefined>();
    const seenCloses = new Set<ChanId>();
    const seenSends = new Set<ChanId>();
    for (const { callee, once, precise } of targets) {
      const f = this.of(callee);
      // Most callees touch no channel: skip them before building anything.
      if (f === NO_FACTS) continue;
      const receiver = call.fn.k === 'sel' && callee.decl.recv ? call.fn.x : undefined;
      if (precise) {
        for (const [id, root] of f.remakes) {
          const mapped = this.mapId(id, node, callee, call);
          if (mapped !== undefined && !remakes.has(mapped)) remakes.set(mapped, this.liftRoot(node, callee, root, call, receiver));
        }
      }
      const roots = new Map<string | undefined, string | undefined>();
      const rootOf = (root: string | undefined) => {
        if (!roots.has(root)) roots.set(root, this.liftRoot(node, callee, root, call, receiver));
        return roots.get(root);
      };
      let step: Step | undefined;
      const map = (from: Map<ChanId, OpFact>, into: CalleeOp[], seen: Set<ChanId>) => {
        for (const [id, op] of from) {
          if (into.length >= MAX_FACTS) break;
          if (op.steps.length >= MAX_STEPS) continue;
          const mapped = this.mapId(id, node, callee, call);
          if (mapped === undefined || seen.has(mapped)) continue;
          seen.add(mapped);
          // A local of the callee (not one it shares with us by capture) is made anew by every call.
          const foreignLocal = mapped.startsWith('local:') && !mapped.startsWith(`local:${node.id}:`);
          step ??= { node, pos: call.pos, message: `calls ${shortName(callee)}` };
          into.push({ id: mapped, op, step, root: foreignLocal ? MADE : rootOf(op.root), once, precise });
        }
      };
      map(f.closes, closes, seenCloses);
      map(f.sends, sends, seenSends);
    }
    return { closes, sends, remakes, waits };
  }

  /** A callee's operation as an OpFact of `node`, under the guards in force at the call. */
  lift(node: FuncNode, c: CalleeOp, ctx: CallContext): OpFact {
    const { op } = c;
    const lifted: OpFact = {
      steps: [c.step, ...op.steps],
      display: op.display,
      locks: ctx.locks.size === 0 ? op.locks : [...new Set([...ctx.locks, ...op.locks])],
      flagChecked: op.flagChecked || ctx.flagChecked,
      recovers: op.recovers || this.recoversIn(node),
      once: op.once || c.once || ctx.once,
      async: op.async || ctx.async,
      precise: op.precise && c.precise,
    };
    if (c.root !== undefined) lifted.root = c.root;
    return lifted;
  }

  /** A callee's id seen from the caller: parameters become the caller's arguments. */
  private mapId(id: ChanId, caller: FuncNode, callee: FuncNode, call: CallExpr): ChanId | undefined {
    if (!id.startsWith('param:')) return normalizeFor(id, caller);
    const index = Number(id.slice('param:'.length));
    let arg: Expr | undefined;
    if (index === -1) arg = call.fn.k === 'sel' && callee.decl.recv ? call.fn.x : undefined;
    else arg = call.args[index];
    return arg ? this.idOf(caller, arg) : undefined;
  }

  /** Recomputes one function's facts; true when they grew. */
  private summarize(node: FuncNode): boolean {
    const before = this.facts.get(node);
    const closes = new Map<ChanId, OpFact>(before?.closes);
    const sends = new Map<ChanId, OpFact>(before?.sends);
    const remakes = new Map<ChanId, string | undefined>(before?.remakes);
    const body = node.decl.body;
    if (body) {
      const op = (e: Expr, pos: Pos, verb: string, g: GuardState) => this.directOp(node, e, pos, verb, g);
      // A call's closes and sends, lifted only for channels the function does not know yet.
      const absorb = (eff: CallEffects, ctx: CallContext) => {
        for (const c of eff.closes) if (!closes.has(c.id)) closes.set(c.id, this.lift(node, c, ctx));
        for (const c of eff.sends) if (!sends.has(c.id)) sends.set(c.id, this.lift(node, c, ctx));
      };
      // Facts are flow-insensitive ("may close anywhere in the function"): no state of our own to thread.
      this.memoized(() => walkGuarded<null>(
        node,
        this,
        {
          close: (e, pos, g) => {
            const r = op(e, pos, 'closes', g);
            if (r && !closes.has(r[0])) closes.set(r[0], r[1]);
            return null;
          },
          send: (e, pos, g) => {
            const r = op(e, pos, 'sends on', g);
            if (r && !sends.has(r[0])) sends.set(r[0], r[1]);
            return null;
          },
          call: (call, g, _e, mode) => {
            // What a goroutine does is not ordered with anything after the go statement: for callers
            // it is neither a close nor a send that happens at the call.
            if (mode === 'go') return null;
            const eff = this.effectsOf(node, call);
            absorb(eff, { locks: g.locks, flagChecked: g.flag, async: false, once: g.once });
            for (const [id, r] of eff.remakes) if (!remakes.has(id)) remakes.set(id, r);
            return null;
          },
          rebind: (targets) => {
            for (const t of targets) {
              const id = t.k === 'sel' ? this.idOf(node, t) : undefined;
              if (id === undefined || !(id.startsWith('field:') || id.startsWith('global:')) || remakes.has(id)) continue;
              if (this.mayHoldChannel(node, t)) remakes.set(id, this.rootIn(node, t));
            }
            return null;
          },
          defer: (call, _pos, g) => {
            if (call.k !== 'call') return null;
            const closed = builtinArg(call, 'close');
            if (closed) {
              const r = op(closed, call.pos, 'closes', g);
              if (r && !closes.has(r[0])) closes.set(r[0], r[1]);
              return null;
            }
            absorb(this.effectsOf(node, call), { locks: NO_LOCKS, flagChecked: false, async: false, once: g.once });
            return null;
          },
        },
        null,
        { join: () => null, equal: () => true },
      ));
    }
    this.facts.set(node, closes.size || sends.size || remakes.size ? { closes, sends, remakes } : NO_FACTS);
    return !before || before.closes.size !== closes.size || before.sends.size !== sends.size || before.remakes.size !== remakes.size;
  }

  private selfRecursive(node: FuncNode): boolean {
    return this.callees(node).includes(node);
  }

  private callees(node: FuncNode): FuncNode[] {
    return this.graph.sites(node).flatMap((s) => this.targetsOf(node, s.call).map((t) => t.callee));
  }

  /** Tarjan's algorithm, iterative (call chains in real code are deep); yields callees before callers. */
  private sccs(): FuncNode[][] {
    const index = new Map<FuncNode, number>();
    const low = new Map<FuncNode, number>();
    const onStack = new Set<FuncNode>();
    const stack: FuncNode[] = [];
    const out: FuncNode[][] = [];
    let counter = 0;
    for (const root of this.graph.funcs) {
      if (index.has(root)) continue;
      const work: { node: FuncNode; succ: FuncNode[]; i: number }[] = [];
      const push = (n: FuncNode) => {
        index.set(n, counter);
        low.set(n, counter);
        counter++;
        stack.push(n);
        onStack.add(n);
        work.push({ node: n, succ: this.callees(n), i: 0 });
      };
      push(root);
      while (work.length) {
        const top = work[work.length - 1]!;
        if (top.i < top.succ.length) {
          const next = top.succ[top.i++]!;
          if (!index.has(next)) push(next);
          else if (onStack.has(next)) low.set(top.node, Math.min(low.get(top.node)!, index.get(next)!));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
        if (low.get(top.node) === index.get(top.node)) {
          const scc: FuncNode[] = [];
          let n: FuncNode;
          do {
            n = stack.pop()!;
            onStack.delete(n);
            scc.push(n);
          } while (n !== top.node);
          out.push(scc);
        }
      }
    }
    return out;
  }
}

export function storageId(st: Storage, node: FuncNode): ChanId {
  switch (st.kind) {
    case 'field':
      return `field:${st.owner}.${st.field}`;
    case 'global':
      return `global:${st.pkg}.${st.name}`;
    case 'local':
      return `local:${st.fn}:${st.name}`;
    case 'param':
      return st.fn === node.id ? `param:${st.index}` : `paramof:${st.fn}:${st.index}`;
  }
}

/** A parameter of an enclosing function, captured by a closure, is that function's own parameter there. */
function normalizeFor(id: ChanId, node: FuncNode): ChanId {
  if (!id.startsWith('paramof:')) return id;
  const prefix = `paramof:${node.id}:`;
  return id.startsWith(prefix) ? `param:${id.slice(prefix.length)}` : id;
}

function defersRecover(node: FuncNode): boolean {
  const body = node.decl.body;
  if (!body) return false;
  for (const st of allStmts(body)) {
    if (st.k !== 'defer') continue;
    if (st.call.k === 'call' && st.call.fn.k === 'id' && st.call.fn.name === 'recover') return true;
    if (st.call.k === 'call' && st.call.fn.k === 'funclit') {
      const lit = node.file.funcs[st.call.fn.fn];
      if (lit?.body && callsRecover(lit.body)) return true;
    }
  }
  return false;
}

export function callsRecover(body: Stmt[]): boolean {
  for (const st of allStmts(body)) for (const c of callsInStmt(st)) if (c.fn.k === 'id' && c.fn.name === 'recover') return true;
  return false;
}

// ---- the guard-aware walk of one function, shared by facts and the ordering rules ---------------

export interface GuardState {
  /** Mutexes certainly held here (by `Lock` calls earlier in this function). */
  locks: ReadonlySet<string>;
  /** A closed flag was certainly checked and found unset on the way here. */
  flag: boolean;
  /** Inside a branch that disables itself (`if !done { done = true; ... }`): runs at most once. */
  once: boolean;
}

const guardDomain: FlowDomain<GuardState> = {
  // Joins happen at every branch of every function: return an input unchanged whenever possible.
  join: (a, b) => {
    if (a === b) return a;
    const sameLocks = a.locks.size === b.locks.size && [...a.locks].every((l) => b.locks.has(l));
    const flag = a.flag && b.flag;
    const once = a.once && b.once;
    if (sameLocks && flag === a.flag && once === a.once) return a;
    if (sameLocks && flag === b.flag && once === b.once) return b;
    return { locks: sameLocks ? a.locks : new Set([...a.locks].filter((l) => b.locks.has(l))), flag, once };
  },
  equal: (a, b) =>
    a.flag === b.flag && a.once === b.once && a.locks.size === b.locks.size && [...a.locks].every((l) => b.locks.has(l)),
};

function isSelfDisabling(body: Stmt[]): boolean {
  const tested = new Set<string>();
  for (const st of body) {
    if (st.k !== 'if' || st.else || st.then[st.then.length - 1]?.k !== 'return') continue;
    const cond = st.cond.k === 'unary' && st.cond.op === '!' ? st.cond.x : st.cond;
    const sides = cond.k === 'binary' && (cond.op === '==' || cond.op === '!=') ? [cond.x, cond.y] : [cond];
    for (const side of sides) {
      if (side.k === 'call' && side.fn.k === 'sel' && /^(swap|Swap|CompareAndSwap)/.test(side.fn.name)) return true;
      const key = exprKey(side.k === 'call' && side.fn.k === 'sel' && side.fn.name === 'Load' ? side.fn.x : side);
      if (key?.includes('.')) tested.add(key);
    }
  }
  if (tested.size === 0) return false;
  for (const st of allStmts(body)) {
    if (st.k === 'assign' && st.lhs.some((l) => tested.has(exprKey(l) ?? ''))) return true;
    if (st.k === 'expr' && st.x.k === 'call' && st.x.fn.k === 'sel' && /^(Store|Swap|CompareAndSwap)$/.test(st.x.fn.name) && tested.has(exprKey(st.x.fn.x) ?? '')) {
      return true;
    }
  }
  return false;
}

/** Whether a branch assigns a variable or field that its condition reads. */
function flipsOwnCondition(cond: Expr, branch: Stmt[]): boolean {
  // `if atomic.CompareAndSwapUint32(&x.closed, 0, 1) { close(x.ch) }`: only one caller wins.
  if (cond.k === 'call' && (cond.fn.k === 'sel' || cond.fn.k === 'id') && /^CompareAndSwap/.test(cond.fn.k === 'sel' ? cond.fn.name : cond.fn.name)) return true;
  const read = new Set<string>();
  const collect = (e: Expr): void => {
    const key = exprKey(e);
    if (key !== undefined) read.add(key);
    if (e.k === 'unary') collect(e.x);
    else if (e.k === 'binary') {
      collect(e.x);
      collect(e.y);
    } else if (e.k === 'call' && e.fn.k === 'sel') collect(e.fn.x);
  };
  collect(cond);
  for (const st of branch) {
    if (st.k === 'assign' && st.lhs.some((l) => read.has(exprKey(l) ?? ''))) return true;
    if (st.k === 'expr' && st.x.k === 'call' && st.x.fn.k === 'sel' && /^(Store|Swap|CompareAndSwap)$/.test(st.x.fn.name) && read.has(exprKey(st.x.fn.x) ?? '')) {
      return true;
    }
  }
  return false;
}

/** What a rule tracks alongside the guard state, returned updated by each callback. */
export interface GuardVisitor<E> {
  close(ch: Expr, pos: Pos, g: GuardState, e: E): E;
  send(ch: Expr, pos: Pos, g: GuardState, e: E): E;
  /** Every call in execution order; `go` for the call of a `go` statement. */
  call(call: CallExpr, g: GuardState, e: E, mode: 'sync' | 'go'): E;
  /** The call of a `defer` statement (its arguments were already visited as sync calls). */
  defer?(call: Expr, pos: Pos, g: GuardState, e: E): E;
  /** Storage (re)bound by an assignment, a declaration or a range clause. */
  rebind?(targets: Expr[], e: E): E;
}

interface Both<E> {
  g: GuardState;
  e: E;
}

/**
 * Walks a function noting, at each close, send and call, which mutexes are held and whether a
 * closed flag was checked (the two halves of the "flag under the same mutex" guard), threading a
 * rule's own state `E` through the same control flow. Returns the states at the function's exits.
 */
export function walkGuarded<E>(node: FuncNode, facts: ChannelFacts, v: GuardVisitor<E>, init: E, domain: FlowDomain<E>): E[] {
  const body = node.decl.body;
  if (!body) return [];
  const both: FlowDomain<Both<E>> = {
    join: (a, b) => {
      if (a === b) return a;
      const g = guardDomain.join(a.g, b.g);
      const e = domain.join(a.e, b.e);
      return g === a.g && e === a.e ? a : g === b.g && e === b.e ? b : { g, e };
    },
    equal: (a, b) => guardDomain.equal(a.g, b.g) && domain.equal(a.e, b.e),
  };
  const onCalls = (calls: CallExpr[], s: Both<E>, mode: 'sync' | 'go'): Both<E> => {
    if (calls.length === 0) return s;
    let { g, e } = s;
    for (const c of calls) {
      const closed = builtinArg(c, 'close');
      if (closed) {
        e = v.close(closed, c.pos, g, e);
        continue;
      }
      e = v.call(c, g, e, mode);
      if (c.fn.k !== 'sel') continue;
      const name = c.fn.name;
      const isLock = name === 'Lock' || name === 'RLock';
      const isUnlock = name === 'Unlock' || name === 'RUnlock';
      if (!isLock && !isUnlock) continue;
      const id = facts.idOf(node, c.fn.x);
      if (id === undefined) continue;
      g = { ...g, locks: isLock ? new Set([...g.locks, id]) : new Set([...g.locks].filter((l) => l !== id)) };
    }
    return { g, e };
  };
  const rebind = (targets: Expr[], s: Both<E>): Both<E> => (v.rebind && targets.length ? { g: s.g, e: v.rebind(targets, s.e) } : s);
  const { exits } = walkFunction<Both<E>>(body, { g: { locks: new Set(), flag: false, once: false }, e: init }, both, {
    simple(st, s) {
      switch (st.k) {
        case 'send': {
          const out = onCalls(callsInSimple(st), s, 'sync');
          return { g: out.g, e: v.send(st.ch, st.pos, out.g, out.e) };
        }
        case 'go':
          return st.call.k === 'call'
            ? onCalls([...st.call.args.flatMap((a) => callsIn(a)), st.call], s, 'go')
            : s;
        case 'defer': {
          if (st.call.k !== 'call') return s;
          const out = onCalls(st.call.args.flatMap((a) => callsIn(a)), s, 'sync');
          return v.defer ? { g: out.g, e: v.defer(st.call, st.pos, out.g, out.e) } : out;
        }
        case 'assign': {
          const out = onCalls(callsInSimple(st), s, 'sync');
          return st.op === '=' || st.op === ':=' ? rebind(st.lhs, out) : out;
        }
        case 'var': {
          const out = onCalls(callsInSimple(st), s, 'sync');
          return rebind(st.names.map((name) => ({ k: 'id', name, pos: st.pos }) as Expr), out);
        }
        default:
          return onCalls(callsInSimple(st), s, 'sync');
      }
    },
    expr: (e, s) => onCalls(callsIn(e), s, 'sync'),
    bind: (targets, s) => rebind(targets, s),
    assume(cond, holds, s, branch) {
      let g = s.g;
      if (isFlagTest(cond, !holds)) g = { ...g, flag: true };
      // `if first { first = false; close(c) }`: the branch flips what it tests, so it runs at most once.
      if (holds && flipsOwnCondition(cond, branch)) g = { ...g, once: true };
      return g === s.g ? s : { g, e: s.e };
    },
  });
  return exits.map((x) => x.e);
}

/**
 * `if s.closed { return }` continues with the flag unset; so does the then-branch of
 * `if !s.closed.Load() { ... }`. `negated` is true on the branch where the condition is false.
 */
function isFlagTest(cond: Expr, negated: boolean): boolean {
  if (cond.k === 'unary' && cond.op === '!') return isFlagTest(cond.x, !negated);
  if (!negated) return false;
  if (cond.k === 'sel' || cond.k === 'id') return /closed|closing|stopped|shutdown/i.test(exprKey(cond) ?? '');
  if (cond.k === 'call' && cond.fn.k === 'sel' && cond.fn.name === 'Load') return isFlagTest(cond.fn.x, negated);
  // Continuing past `if a || b { return }` means both are false.
  if (cond.k === 'binary' && cond.op === '||') return isFlagTest(cond.x, negated) || isFlagTest(cond.y, negated);
  return false;
}
