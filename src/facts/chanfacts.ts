import { blame } from '../blame.js';
import type { Expr, FuncDecl, Pos, Stmt } from '../ir.js';
import { walkFunction, type FlowDomain } from '../flow/walk.js';
import { builtinArg, exprKey } from '../irutil.js';
import type { VarDef } from '../resolve/bindings.js';
import type { CallGraph, CallInfo, CallTarget, FuncNode, SiteInfo, Storage } from '../resolve/callgraph.js';
import { SideTable } from '../resolve/side.js';
import { allStmts, callsIn, callsInLoops, callsInSimple, callsInStmt, forEachSubExpr, libraryName, PRECISE_HOWS, type CallExpr } from './calls.js';
import { contradicts, formatAtom, isExclusive, mentions, parseAtom, type Atom } from './conditions.js';

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
  /** The path condition, in the namespace of the function holding the fact (see conditions.ts). */
  conds: Atom[];
  /** Fields and globals that conditions on the path read (a `closed` flag, a nil check of the channel). */
  tests: ChanId[];
  /** Fields and globals certainly written on the path before the operation (`s.closed = true`). */
  sets: ChanId[];
  /** Channels some path to the operation received from first (a closer that collects one value per sender). */
  recvd: ChanId[];
  /** A `WaitGroup.Wait` (or errgroup's) certainly ran on the path before the operation. */
  waited: boolean;
  /** Some function on the path recovers from panics. */
  recovers: boolean;
  /** Runs inside a `sync.Once.Do` function. */
  once: boolean;
  /**
   * A deferred close that runs after the goroutine's `WaitGroup.Done` (`defer close(ch); defer wg.Done()`:
   * defers run last-in first-out): a `Wait` returning does not mean it happened.
   */
  afterDone?: boolean;
  /** Runs on a goroutine started along the path. */
  async: boolean;
  /** Every hop is a static, concrete-method or closure call: no interface or function-value dispatch. */
  precise: boolean;
}

/** What a branch of a condition establishes (see assumeIn). */
interface Assumed {
  atoms: Atom[];
  tests: ChanId[];
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
  /**
   * Sends by goroutines the function starts (itself or through calls) and leaves running when it
   * returns: `Start() { go s.loop() }`. For a caller they run concurrently with whatever follows the call.
   */
  async: Map<ChanId, OpFact>;
  /** Closes by those goroutines: a caller's own close of the same channel races with them. */
  asyncCloses: Map<ChanId, OpFact>;
  /** Channel fields and globals the function assigns (`w.metasCh = make(...)`), with the instance root. */
  remakes: Map<ChanId, string | undefined>;
  /**
   * Function-typed parameters the function runs on goroutines it leaves running (`go f()`, or a
   * goroutine calling f): at each call, what the argument passed there does is async for the caller.
   */
  spawns: ReadonlySet<number>;
  /**
   * Channels the function's own walk meets at two operations or more, one of them a close (two sites,
   * or one close site again on a loop's next turn): the only ones an ordering hazard inside the
   * function can be about, so the sequence walk skips functions without any.
   */
  contested: ReadonlySet<ChanId>;
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
  /** The callee's path condition, re-read in the caller (parameters become arguments). */
  conds: Atom[];
  /** What the callee received from before the operation, as ids of the caller. */
  recvd: ChanId[];
  /** Called through `sync.Once.Do`. */
  once: boolean;
  /** The call itself is static or a concrete method (see OpFact.precise). */
  precise: boolean;
}

/** A call as the walks see it: its targets' effects, mapped into the caller, independent of the guards at the call. */
export interface CallEffects {
  closes: CalleeOp[];
  sends: CalleeOp[];
  /** Sends of goroutines the callee leaves running. */
  async: CalleeOp[];
  /** Closes of goroutines the callee leaves running. */
  asyncCloses: CalleeOp[];
  remakes: Map<ChanId, string | undefined>;
  /** `sync.(*WaitGroup).Wait` and friends: goroutines started before have finished. */
  waits: boolean;
}

/** The guards in force at a call, which every operation it reaches inherits. */
export interface CallContext {
  locks: ReadonlySet<string>;
  conds: ReadonlySet<Atom>;
  tests: ReadonlySet<ChanId>;
  sets: ReadonlySet<ChanId>;
  recvd: ReadonlySet<ChanId>;
  waited: boolean;
  async: boolean;
  /**
   * For a deferred call: whether a recover deferred before it (so running after it) catches its
   * panics, and whether it runs after the goroutine's `WaitGroup.Done`.
   */
  deferred?: { recovered: boolean; afterDone: boolean };
}

/**
 * Witness paths longer than this are not lifted further: a close twelve calls down is rarely the one
 * a reader can act on, and unbounded lifting made every function near the top of a program carry
 * everything below it.
 */
const MAX_STEPS = 12;
/** The guards of a deferred call: none of the locks held where it is deferred are held when it runs. */
export const NO_LOCKS: ReadonlySet<string> = new Set();
const NO_SPAWNS: ReadonlySet<number> = new Set();
const NO_CONTESTED: ReadonlySet<ChanId> = new Set();
const NO_PATHS: ReadonlySet<string> = new Set();
const NO_SITES: readonly SiteInfo[] = [];
const NO_FACTS: FuncFacts = { closes: new Map(), sends: new Map(), async: new Map(), asyncCloses: new Map(), remakes: new Map(), spawns: NO_SPAWNS, contested: NO_CONTESTED };
const NO_EFFECTS: CallEffects = { closes: [], sends: [], async: [], asyncCloses: [], remakes: new Map(), waits: false };
const NO_SHAPE: CallShape = { targets: [], waits: false };
const WAITS: CallShape = { targets: [], waits: true };
/** Marks a CallInfo whose calls run the function literal they are given (`Once.Do`): shaped per call. */
const BY_ARGS: CallShape = { targets: [], waits: false };
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
/** Statements of a function that only wraps a wait (a lock, a flag, the wait, a log line). */
const MAX_WRAPPER_STMTS = 4;
const RECEIVER = '@recv';
/** An instance the function holding the fact cannot name (looked up by a callee): not provably any other. */
export const FRESH = '#fresh';
/** An instance a callee constructed itself (`&T{}`, `NewT()`, `make`): certainly not any other. */
export const MADE = '#made';

const nameable = (root: string | undefined) => root !== FRESH && root !== MADE;
const notMade = (root: string | undefined) => root !== MADE;
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

/**
 * What a local holds when declared: the value written (`ws := w.resuming[0]`: for `v, ok := m.Load(k)`
 * every name comes from the one call), an element of what a range or receive reads, or nothing we
 * can name (a zero value, a type switch's operand).
 */
function declaredValue(def: VarDef, pos: Pos): Expr {
  switch (def.k) {
    case 'expr':
      return def.e;
    case 'range':
      return { k: 'index', x: def.x, index: [], pos };
    case 'recv':
      return { k: 'unary', op: '<-', x: def.ch, pos };
    default:
      return { k: 'bad', pos };
  }
}

/** The argument a callee's `@<index>` root refers to. */
function argOf(call: CallExpr, root: string): Expr | undefined {
  return /^@\d+$/.test(root) ? call.args[Number(root.slice(1))] : undefined;
}
const WAIT_RE = /(^sync\.\(\*WaitGroup\)\.Wait$|errgroup\.\(\*Group\)\.Wait$)/;
/** Library calls after which the goroutine does not go on: the test stops, the process exits. */
const NO_RETURN_RE =
  /^(testing\.(\(\*(T|B|F|common)\)|TB)\.(Fatal|Fatalf|FailNow|Skip|Skipf|SkipNow)|os\.Exit|runtime\.Goexit|log\.(Fatal|Fatalf|Fatalln|Panic|Panicf|Panicln)|log\.\(\*Logger\)\.(Fatal|Fatalf|Fatalln|Panic|Panicf|Panicln))$/;
/** Methods that write the value they are called on: atomics and their wrappers. */
const STORE_RE = /^(Store|Swap|CompareAndSwap|Add|Inc|Dec|Set|Reset)/;
const ONCE_RE = /^sync\.\(\*Once\)\.Do$/;
/** The method a goroutine-starting call names (`g.Go(f)`); spawnOf checks which type it is of. */
const SPAWN_METHOD_RE = /^(Go|TryGo)$/;
/** Library methods that run their function argument on a new goroutine. */
const SPAWN_RE = /(^sync\.\(\*WaitGroup\)\.Go|errgroup\.\(\*Group\)\.(Go|TryGo))$/;

/** The last component of a qualified function name, readable in a message: `Engine.Close`, `flush`. */
export function shortName(node: FuncNode): string {
  // Cut at the import path, not at a dot: `gopkg.in/yaml.v3.(*Decoder).Decode` is `Decoder.Decode`.
  const path = node.pkg.importPath;
  const local = node.id.startsWith(`${path}.`) ? node.id.slice(path.length + 1) : node.id.slice(node.id.lastIndexOf('/') + 1);
  return local.replace(/[()*]/g, '');
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
        if (!changed || (scc.length === 1 && !this.selfCalls.has(scc[0]!))) break;
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
      conds: [...g.conds],
      tests: [...g.tests],
      sets: [...g.sets],
      recvd: [...g.recvd],
      waited: g.waited,
      recovers: this.recoversIn(node),
      once: this.runsOnce(node, g.conds),
      async: false,
      precise: true,
    };
    if (root !== undefined) op.root = root;
    return [id, op];
  }

  /** The channel a call closes, when it is the builtin `close` (not a function of the package named so). */
  closedBy(call: CallExpr): Expr | undefined {
    const ch = builtinArg(call, 'close');
    return ch && call.args.length === 1 && this.graph.callInfo(call).kind === 'builtin' ? ch : undefined;
  }

  /** A call after which this goroutine goes no further (`t.Fatalf`, `os.Exit`), resolved, not by name alone. */
  noReturn(call: CallExpr): boolean {
    const name = libraryName(this.graph.callInfo(call));
    return name !== undefined && NO_RETURN_RE.test(name);
  }

  /**
   * Whether an operation under these conditions runs at most once however often the function is
   * called: a compare-and-swap won, or a condition on state the function itself changes
   * (`if s.ch != nil { close(s.ch); s.ch = nil }`, `if !d.done { d.done = true; ... }`,
   * `if ticks == stopAt { close(stop) }` with `ticks++`). Conditions not in force at the operation
   * (an unrelated `if` before it, one after it) say nothing.
   */
  runsOnce(node: FuncNode, conds: ReadonlySet<Atom> | readonly Atom[]): boolean {
    let written: Set<string> | undefined;
    for (const a of conds) {
      if (isExclusive(a)) return true;
      // `if w.isClosed() { return }; close(w.done)`: closing is what changes the answer.
      if (a.startsWith('!closed:') && this.closedRoots(node).has(parseAtom(a).roots[0]!)) return true;
      written ??= this.writtenRoots(node);
      if (parseAtom(a).roots.some((r) => written!.has(r) || [...written!].some((w) => r.startsWith(`${w}.`)))) return true;
    }
    return false;
  }

  private readonly written = new Map<FuncNode, Set<string>>();
  private readonly closedHere = new Map<FuncNode, ReadonlySet<string>>();

  /** The roots of the channels a function closes itself. */
  private closedRoots(node: FuncNode): ReadonlySet<string> {
    let out = this.closedHere.get(node);
    if (out) return out;
    const roots = new Set<string>();
    for (const st of allStmts(node.decl.body ?? [])) {
      for (const c of callsInStmt(st)) {
        const ch = this.closedBy(c);
        const r = ch && this.condRoot(node, ch);
        if (r !== undefined) roots.add(r);
      }
    }
    this.closedHere.set(node, (out = roots));
    return out;
  }

  /** The roots of everything a function assigns, increments or stores into (atomics included). */
  private writtenRoots(node: FuncNode): Set<string> {
    let out = this.written.get(node);
    if (out) return out;
    out = new Set();
    const add = (e: Expr | undefined) => {
      const r = e && this.condRoot(node, e);
      if (r !== undefined) out!.add(r);
    };
    // A declaration writes its variable (`var once bool`, a range variable, a select case's `v, ok`).
    for (const { storage } of this.graph.locals(node)) {
      const r = this.localRoot(node, storage.name, 0);
      out.add(r === FRESH ? storage.name : r);
    }
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k === 'assign') st.lhs.forEach(add);
      else if (st.k === 'incdec') add(st.x);
      else if (st.k === 'for' && st.range) [st.range.key, st.range.value].forEach(add);
      for (const c of callsInStmt(st)) {
        if (c.fn.k !== 'sel') continue;
        if (STORE_RE.test(c.fn.name)) add(c.fn.x);
        // atomic.StoreInt32(&s.state, 1), atomic.CompareAndSwapInt32(&s.state, 0, 1)
        const target = c.args[0];
        if (c.fn.x.k === 'id' && c.fn.x.name === 'atomic' && target?.k === 'unary' && target.op === '&') add(target.x);
      }
    }
    this.written.set(node, out);
    return out;
  }

  /**
   * The root a condition names: an instance root, or `global:<pkg>.<name>` (and a field path) for a
   * package variable, which means the same thing in every function.
   */
  condRoot(node: FuncNode, e: Expr): string | undefined {
    const r = this.rootIn(node, e);
    if (r !== undefined && r !== FRESH && r !== MADE) return r;
    let base = e;
    let path = '';
    while (base.k === 'sel' || (base.k === 'unary' && base.op === '*')) {
      if (base.k === 'sel') path = `.${base.name}${path}`;
      base = base.x;
    }
    const st = base.k === 'id' ? this.graph.storageOf(node, base) : undefined;
    if (st?.kind === 'global') return `global:${st.pkg}.${st.name}${path}`;
    // A local holding some element (`for _, j := range jobs`): which object we cannot tell, but what a
    // condition says of it holds until the variable is bound again.
    return st?.kind === 'local' && st.fn === node.id ? `${st.name}${path}` : undefined;
  }

  /** Per call, once its function was scanned (see enclosingConds); a side table, as calls are many. */
  private readonly enclosing = new SideTable<CallExpr, ReadonlySet<Atom>>();
  private readonly enclosed = new Set<FuncNode>();

  /**
   * The conditions of the `if` branches a call sits in, and of the `if ... { return }` before it in its
   * block, read from the syntax alone: for a function no guard-aware walk visits (`if lock { p.sub =
   * Get(name) }` in a function that takes no lock itself). Weaker than a walk, never wrong the other way.
   */
  enclosingConds(node: FuncNode, call: CallExpr): ReadonlySet<Atom> {
    if (!this.enclosed.has(node)) {
      this.enclosed.add(node);
      const out = this.enclosing;
      const visit = (stmts: readonly Stmt[], outer: ReadonlySet<Atom>): void => {
        let atoms = outer;
        for (const st of stmts) {
          if (atoms.size) for (const c of callsInStmt(st)) out.set(c, atoms);
          switch (st.k) {
            case 'if': {
              if (st.init) visit([st.init], atoms);
              const before = atoms;
              const branch = (holds: boolean): ReadonlySet<Atom> => {
                const more = this.assumed(node, st.cond, holds).atoms;
                return more.length ? new Set([...before, ...more]) : before;
              };
              visit(st.then, branch(true));
              if (st.else) visit(st.else, branch(false));
              // `if c.Key == nil { return err }`: what follows runs only when the condition failed.
              else if (st.then.at(-1)?.k === 'return') atoms = branch(false);
              break;
            }
            case 'block':
              visit(st.body, atoms);
              break;
            case 'labeled':
              if (st.stmt) visit([st.stmt], atoms);
              break;
            case 'for':
              visit([...(st.init ? [st.init] : []), ...(st.post ? [st.post] : []), ...st.body], atoms);
              break;
            case 'switch':
            case 'typeswitch':
            case 'select':
              if ('init' in st && st.init) visit([st.init], atoms);
              for (const c of st.cases) visit(c.body, atoms);
              break;
          }
        }
      };
      visit(node.decl.body ?? [], new Set());
    }
    return this.enclosing.get(call) ?? NONE;
  }

  private readonly writesOf = new SideTable<Expr[], { ids: ChanId[]; roots: string[] }>();

  /**
   * What an assignment's targets are, as state other functions can test (fields and package
   * variables, by id) and as condition roots; worked out once per statement, as walks revisit loops.
   */
  writes(node: FuncNode, targets: Expr[]): { ids: ChanId[]; roots: string[] } {
    let out = this.writesOf.get(targets);
    if (out) return out;
    out = { ids: [], roots: [] };
    for (const t of targets) {
      // A plain name is such state only when it is bound to a package variable.
      const global = t.k === 'id' && this.graph.storageOf(node, t)?.kind === 'global';
      const id = (t.k === 'sel' || global) && exprKey(t) !== undefined ? this.idOf(node, t) : undefined;
      if (id !== undefined && (id.startsWith('field:') || id.startsWith('global:'))) out.ids.push(id);
      const root = this.condRoot(node, t);
      if (root !== undefined) out.roots.push(root);
    }
    this.writesOf.set(targets, out);
    return out;
  }

  private readonly assumptions = new SideTable<Expr, [Assumed | undefined, Assumed | undefined]>();

  /** assumeIn for one branch of a condition, worked out once: walks visit a loop's branches until a fixpoint. */
  assumed(node: FuncNode, cond: Expr, holds: boolean): Assumed {
    let both = this.assumptions.get(cond);
    if (!both) this.assumptions.set(cond, (both = [undefined, undefined]));
    const i = holds ? 1 : 0;
    let out = both[i];
    if (!out) {
      out = { atoms: [], tests: [] };
      this.assumeIn(node, cond, holds, out.atoms, out.tests);
      both[i] = out;
    }
    return out;
  }

  /**
   * What entering a branch where `cond` evaluated to `holds` establishes: atoms, and the fields and
   * globals the condition read.
   */
  assumeIn(node: FuncNode, cond: Expr, holds: boolean, atoms: Atom[], tests: ChanId[], depth = 0): void {
    if (cond.k === 'unary' && cond.op === '!') return this.assumeIn(node, cond.x, !holds, atoms, tests, depth);
    // A receive that was not ready (a select's default case): the channel was not closed.
    if (cond.k === 'unary' && cond.op === '<-') {
      const root = holds ? undefined : this.condRoot(node, cond.x);
      if (root !== undefined) atoms.push(formatAtom({ negated: true, kind: 'closed', roots: [root] }));
      return;
    }
    if (cond.k === 'binary' && (cond.op === '&&' || cond.op === '||')) {
      // `a && b` holding, or `a || b` failing, says both; the other two say nothing certain.
      if ((cond.op === '&&') === holds) {
        this.assumeIn(node, cond.x, holds, atoms, tests, depth);
        this.assumeIn(node, cond.y, holds, atoms, tests, depth);
      }
      return;
    }
    const read = (e: Expr) => {
      const id = exprKey(e) === undefined ? undefined : this.idOf(node, e);
      if (id !== undefined && (id.startsWith('field:') || id.startsWith('global:'))) tests.push(id);
    };
    const atom = (kind: string, e: Expr, truth: boolean, value?: string, other?: string): void => {
      read(e);
      const root = this.condRoot(node, e);
      if (root === undefined) return;
      atoms.push(formatAtom({ negated: !truth, kind, roots: other === undefined ? [root] : [root, other], ...(value !== undefined ? { value } : {}) }));
    };
    if (cond.k === 'binary' && (cond.op === '==' || cond.op === '!=')) {
      const equal = cond.op === '==' ? holds : !holds;
      // `if s.swapState(stopped) == stopped { return }`: only one caller gets past it.
      const swapped = swapTarget(cond.x) ?? swapTarget(cond.y);
      if (swapped) return atom('cas', swapped, !equal);
      const counted = countedDown(cond.x, cond.y);
      if (counted) return atom('cas', counted, equal);
      // `atomic.LoadInt32(&m.shutdown) == 1` compares m.shutdown.
      let [x, y] = [loadTarget(cond.x) ?? cond.x, loadTarget(cond.y) ?? cond.y];
      if (x.k === 'lit' || this.graph.constantOf(node, x) !== undefined) [x, y] = [y, x];
      if (y.k === 'lit' && y.kind === 'nil') return atom('nil', x, equal);
      const c = this.graph.constantOf(node, y);
      if (c !== undefined) return atom('eq', x, equal, c);
      // A literal whose value the IR does not keep (`== 1`, `== "done"`): the path depends on x, no more.
      if (y.k === 'lit') return atom('cmp', x, true);
      read(y);
      const other = this.condRoot(node, y);
      // Compared with an expression we cannot name (`k == n-1`): as with a literal, the path depends on x.
      if (other !== undefined) atom('same', x, equal, undefined, other);
      else atom('cmp', x, true);
      return;
    }
    // `if m.hasShutdown() { return }`: a one-line predicate is read as its expression, in the caller's names.
    if (cond.k === 'call' && depth < 2) {
      const inlined = this.predicateAt(node, cond);
      const probe = inlined ? undefined : this.probeAt(node, cond);
      const callee = inlined?.callee ?? probe?.callee;
      if (callee) {
        const inner: Atom[] = [];
        if (inlined) this.assumeIn(callee, inlined.expr, holds, inner, tests, depth + 1);
        const probed = probe && this.condRoot(callee, probe.ch);
        if (probe && probed !== undefined) inner.push(formatAtom({ negated: holds !== probe.whenClosed, kind: 'closed', roots: [probed] }));
        const receiver = this.receiverFor(cond, callee);
        const mapped = inner.length ? this.mapConds(node, callee, inner, cond, receiver) : false;
        if (mapped) atoms.push(...mapped);
        return;
      }
    }
    if (cond.k === 'call' && cond.fn.k === 'sel') {
      const name = cond.fn.name;
      if (name === 'Load' && cond.args.length === 0) return atom('bool', cond.fn.x, holds);
      const swapped = swapTarget(cond);
      // CompareAndSwap reports winning; Swap returns the old value, so the winner sees false.
      if (swapped) atom('cas', swapped, /^CompareAndSwap/.test(name) ? holds : !holds);
      return;
    }
    if (cond.k === 'id' || cond.k === 'sel') atom('bool', cond, holds);
  }

  /** The callee of a call whose whole body is `return <expr>`, and that expression: a predicate to read through. */
  private predicateAt(node: FuncNode, call: CallExpr): { callee: FuncNode; expr: Expr } | undefined {
    const { callee, only } = this.oneStatementCallee(node, call) ?? {};
    return callee && only?.k === 'return' && only.values.length === 1 ? { callee, expr: only.values[0]! } : undefined;
  }

  /** The sole callee of a call whose body is one statement, and that statement: a helper to read through. */
  private oneStatementCallee(node: FuncNode, call: CallExpr): { callee: FuncNode; only: Stmt } | undefined {
    const callee = this.soleCallee(node, call);
    const body = callee?.decl.body;
    return callee && body?.length === 1 ? { callee, only: body[0]! } : undefined;
  }

  /**
   * The callee of a call whose whole body asks whether a channel is closed, and the answer it gives
   * when it is: `select { case <-w.done: return true; default: return false }` (fsnotify's `isClosed`).
   */
  private probeAt(node: FuncNode, call: CallExpr): { callee: FuncNode; ch: Expr; whenClosed: boolean } | undefined {
    const { callee, only } = this.oneStatementCallee(node, call) ?? {};
    if (!callee || only?.k !== 'select' || only.cases.length !== 2) return undefined;
    const answer = (stmts: Stmt[]) => {
      const r = stmts.length === 1 ? stmts[0] : undefined;
      const v = r?.k === 'return' && r.values.length === 1 ? r.values[0] : undefined;
      return v?.k === 'lit' && (v.kind === 'true' || v.kind === 'false') ? v.kind === 'true' : undefined;
    };
    const recv = only.cases.find((c) => c.kind === 'recv');
    const other = only.cases.find((c) => c.kind === 'default');
    const [closed, open] = [recv && answer(recv.body), other && answer(other.body)];
    return recv?.kind === 'recv' && closed !== undefined && open === !closed ? { callee, ch: recv.ch, whenClosed: closed } : undefined;
  }

  /** The one function a call certainly runs: a single target, not one of several dispatch candidates. */
  private soleCallee(node: FuncNode, call: CallExpr): FuncNode | undefined {
    const targets = this.targetsOf(node, call);
    return targets.length === 1 && targets[0]!.precise ? targets[0]!.callee : undefined;
  }

  /**
   * A callee's condition atom re-read at a call: `true` or `false` when a constant argument decides
   * it (`s.apply(opFlush)` never takes `case opClose:`), the atom in the caller's names, or undefined
   * when the caller cannot name what it is about.
   */
  private mapAtom(node: FuncNode, callee: FuncNode, atom: Atom, call: CallExpr, receiver: Expr | undefined): Atom | boolean | undefined {
    const p = parseAtom(atom);
    const [root] = p.roots;
    if (root !== undefined && /^@\d+$/.test(root) && p.kind !== 'same' && p.kind !== 'cas' && p.kind !== 'cmp' && p.kind !== 'closed') {
      const arg = argOf(this.calledAs(call), root);
      const c = arg && this.graph.constantOf(node, arg);
      if (c !== undefined) {
        const v = p.kind === 'nil' ? c === 'nil' : p.kind === 'bool' ? (c === 'true' ? true : c === 'false' ? false : undefined) : c === p.value;
        if (v !== undefined) return v !== p.negated;
      }
    }
    const roots: string[] = [];
    for (const r of p.roots) {
      const { head, path } = splitRoot(r);
      // A condition on a parameter is one on the argument, whatever object it holds.
      const arg = head === RECEIVER ? receiver : /^@\d+$/.test(head) ? argOf(this.calledAs(call), head) : undefined;
      const base = arg && this.condRoot(node, arg);
      const mapped = r.startsWith('global:') ? r : arg ? base && base + path : this.liftRoot(node, callee, r, call, receiver);
      if (mapped === undefined || mapped === FRESH || mapped === MADE) return undefined;
      roots.push(mapped);
    }
    return formatAtom({ ...p, roots });
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

  /** Whether an expression's type is a channel (an unresolved type counts as not). */
  isChannel(node: FuncNode, e: Expr): boolean {
    const t = this.graph.typeOf(node, e);
    return this.graph.index.under(t).k === 'chan';
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
    // An element of a slice or map (`c.nodes[i].mgr`), or a value just received (`w.closeSubstream(<-w.closingc)`):
    // which one, we cannot tell.
    if (base?.k === 'index' || (base?.k === 'unary' && base.op === '<-')) return FRESH;
    // `Run(&Opts{})`: built at this call, another object at every other call.
    if (base?.k === 'composite') return MADE;
    if (!base || base.k !== 'id') return undefined;
    const st = this.graph.storageOf(node, base);
    if (!st) return undefined;
    if (st.kind === 'param' && st.fn === node.id) return (st.index === -1 ? RECEIVER : `@${st.index}`) + path;
    if (st.kind !== 'local' && st.kind !== 'param') return undefined;
    // Captured from an enclosing function: that function can name it (see liftRoot).
    if (st.fn !== node.id) return `${CAPTURED}${st.fn}\0${st.name}${path}`;
    return withPath(this.localRoot(node, st.name, depth), path);
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
      // While a name is being worked out, a cycle back to it (`a := b; b = a`) reads as the name itself.
      memo.set(name, name);
      root = this.computeLocalRoot(node, name, depth);
      memo.set(name, root);
    }
    return root;
  }

  private computeLocalRoot(node: FuncNode, name: string, depth: number): string {
    const { recv, params } = node.decl;
    if (recv?.name === name) return RECEIVER;
    const index = params.findIndex((p) => p.name === name);
    if (index !== -1) return `@${index}`;
    const all = this.localSources(node).get(name) ?? [];
    // Only ever an element of a collection or a received value (`ws := w.resuming[0]`, `ws, ok := m[id]`):
    // which object, we cannot tell, as for `m[k].f` itself.
    if (all.length > 0 && all.every((src) => src.k === 'index' || (src.k === 'unary' && src.op === '<-'))) return FRESH;
    if (depth < 4) {
      const sources = all;
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

  /**
   * Everything assigned to each local of a function, by its storage name (so shadowing declarations
   * of one name are separate variables): its declaration's value, then every later assignment.
   */
  private localSources(node: FuncNode): Map<string, Expr[]> {
    let out = this.sources.get(node);
    if (out) return out;
    out = new Map();
    const add = (key: string | undefined, e: Expr) => {
      if (key === undefined) return;
      const list = out!.get(key);
      if (list) list.push(e);
      else out!.set(key, [e]);
    };
    for (const v of this.graph.locals(node)) add(v.storage.name, declaredValue(v.def, node.decl.span.start));
    const keyOf = (e: Expr) => (e.k === 'id' ? this.localKey(node, e) : undefined);
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k !== 'assign' && !(st.k === 'for' && st.range && !st.range.define)) continue;
      if (st.k === 'for') {
        for (const v of [st.range!.key, st.range!.value]) if (v) add(keyOf(v), { k: 'index', x: st.range!.x, index: [], pos: st.pos });
      } else if (st.op === ':=') {
        // Names declared here have their value already; a name re-used by `:=` is assigned.
        st.lhs.forEach((l, i) => {
          const key = keyOf(l);
          const value = st.rhs.length === st.lhs.length ? st.rhs[i]! : st.rhs[0]!;
          if (key !== undefined && !out!.get(key)?.includes(value)) add(key, value);
        });
      } else if (st.op === '=' && (st.lhs.length === st.rhs.length || st.rhs.length === 1)) {
        // `v, ok = m.Load(k)`: every name comes from the one call.
        st.lhs.forEach((l, i) => add(keyOf(l), st.rhs[st.rhs.length === 1 ? 0 : i]!));
      } else {
        st.lhs.forEach((l) => add(keyOf(l), { k: 'bad', pos: st.pos }));
      }
    }
    this.sources.set(node, out);
    return out;
  }

  /** The storage name of a local of `node` named by `e`: its name, or `name'n` for a shadowing one. */
  localKey(node: FuncNode, e: Expr): string | undefined {
    const st = e.k === 'id' ? this.graph.storageOf(node, e) : undefined;
    return st?.kind === 'local' && st.fn === node.id ? st.name : undefined;
  }

  /**
   * A callee's instance root seen from the caller: its receiver's or argument's root, or FRESH for an
   * object the callee made or looked up itself, which the caller cannot name.
   */
  liftRoot(
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
    if (head.startsWith('@')) return withPath(this.rootIn(node, argOf(this.calledAs(call), head)), path);
    const sources = this.localSources(callee).get(head) ?? [];
    return sources.length > 0 && sources.every(isConstruction) ? MADE : FRESH;
  }

  private readonly oks = new Map<FuncNode, Map<string, Expr>>();

  /**
   * The `ok` variables of two-value receives (`v, ok := <-ch`, `case v, ok = <-ch:`) and the channel
   * each reports on; a name bound from two different channels is left out.
   */
  okOf(node: FuncNode): ReadonlyMap<string, Expr> {
    let out = this.oks.get(node);
    if (out) return out;
    const found = new Map<string, Expr | null>();
    const note = (lhs: Expr[], ch: Expr | undefined) => {
      const ok = lhs[1];
      const key = ok && this.localKey(node, ok);
      if (lhs.length !== 2 || key === undefined || !ch) return;
      const prev = found.get(key);
      found.set(key, prev === undefined || (prev && exprKey(prev) === exprKey(ch)) ? ch : null);
    };
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k === 'assign' && st.rhs.length === 1 && st.rhs[0]!.k === 'unary' && st.rhs[0]!.op === '<-') note(st.lhs, st.rhs[0]!.x);
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') note(c.lhs, c.ch);
    }
    out = new Map([...found].filter((e): e is [string, Expr] => e[1] !== null));
    this.oks.set(node, out);
    return out;
  }

  private readonly observed = new Map<FuncNode, ReadonlySet<ChanId>>();

  /**
   * Channels a function or any function literal inside it receives from or measures (`len(done)`):
   * how a function waits for the goroutines it started, when it does not use a WaitGroup.
   */
  observes(node: FuncNode): ReadonlySet<ChanId> {
    let out = this.observed.get(node);
    if (out) return out;
    const set = new Set<ChanId>();
    const visit = (fn: FuncNode) => {
      for (const id of this.receivesIn(fn)) set.add(id);
      for (const st of allStmts(fn.decl.body ?? [])) {
        for (const c of callsInStmt(st)) {
          const arg = c.args[0];
          if (c.fn.k === 'id' && (c.fn.name === 'len' || c.fn.name === 'cap') && arg) {
            const id = this.idOf(fn, arg);
            if (id !== undefined) set.add(id);
          }
        }
      }
    };
    const funcs = node.file.funcs;
    const pending = [node.decl.id];
    while (pending.length) {
      const id = pending.pop()!;
      visit(this.graph.nodeOf(node.file, funcs[id]!));
      // Literals follow the function they are declared in, so their children come after them.
      for (let i = id + 1; i < funcs.length; i++) if (funcs[i]!.parent === id) pending.push(i);
    }
    this.observed.set(node, set);
    return set;
  }

  private readonly alwaysReceived = new Map<FuncNode, ReadonlySet<number>>();

  /**
   * The parameters a function receives from before it can return: `<-r` among its top-level
   * statements, or a `select` whose other cases end the goroutine (`t.Fatalf` on a timeout), with no
   * `return` before it. A call of it is a receive of that argument (`expectUpdate(t, r1, ...)`).
   */
  private receivesAlways(node: FuncNode): ReadonlySet<number> {
    let out = this.alwaysReceived.get(node);
    if (out) return out;
    const found = new Set<number>();
    const param = (e: Expr): number | undefined => {
      if (e.k !== 'id') return undefined;
      const st = this.graph.storageOf(node, e);
      return st?.kind === 'param' && st.fn === node.id && st.index >= 0 ? st.index : undefined;
    };
    const ends = (body: Stmt[]) => {
      const last = body.at(-1);
      return last?.k === 'expr' && last.x.k === 'call' && this.noReturn(last.x);
    };
    for (const st of node.decl.body ?? []) {
      const recv = st.k === 'expr' ? st.x : st.k === 'assign' && st.rhs.length === 1 ? st.rhs[0]! : undefined;
      if (recv?.k === 'unary' && recv.op === '<-') {
        const i = param(recv.x);
        if (i !== undefined) found.add(i);
        continue;
      }
      if (st.k === 'select') {
        const received = st.cases.flatMap((c) => (c.kind === 'recv' ? [param(c.ch)] : []));
        const i = received.find((x) => x !== undefined);
        const others = st.cases.filter((c) => c.kind !== 'recv' || param(c.ch) !== i);
        if (i !== undefined && others.every((c) => c.kind !== 'default' && ends(c.body))) found.add(i);
      }
      if (allStmts([st]).some((x) => x.k === 'return')) break;
    }
    this.alwaysReceived.set(node, (out = found));
    return out;
  }

  /** The arguments a call certainly receives from before it returns (see receivesAlways). */
  receivedBy(node: FuncNode, call: CallExpr): Expr[] {
    const callee = call.args.length > 0 ? this.soleCallee(node, call) : undefined;
    return callee ? [...this.receivesAlways(callee)].flatMap((i) => (call.args[i] ? [call.args[i]!] : [])) : [];
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
      // A range over a slice or map receives nothing.
      if (st.k === 'for' && st.range && this.isChannel(node, st.range.x)) add(st.range.x);
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
   * is kept per CallInfo (per Go name for external calls, whose CallInfos are per call); only calls
   * whose targets depend on their own arguments (a literal called on the spot, `Once.Do(func() {...})`)
   * get theirs per call. Nothing is stored on the call itself: a property added to each of a
   * million cloned IR objects costs V8 a hidden-class transition apiece.
   */
  private readonly argShapes = new SideTable<CallExpr, CallShape>();
  private readonly externalShapes = new Map<string, CallShape>();
  /** `once.Do(c.m)`: the call of `c.m` it makes, whose receiver and arguments the callee's facts map through. */
  private readonly runsAs = new SideTable<CallExpr, CallExpr>();

  /** The call whose receiver and arguments a callee of `call` sees (see runsAs). */
  calledAs(call: CallExpr): CallExpr {
    return this.runsAs.get(call) ?? call;
  }

  /** The receiver a call gives a method it runs: `c` in `c.m()`, and in `once.Do(c.m)`. */
  receiverFor(call: CallExpr, callee: FuncNode): Expr | undefined {
    const at = this.calledAs(call);
    return at.fn.k === 'sel' && callee.decl.recv ? at.fn.x : undefined;
  }

  /** Asked of every call many times over (facts, guards, waits): worked out once per CallInfo. */
  private shapeOf(node: FuncNode, call: CallExpr): CallShape {
    if (call.fn.k === 'funclit') return this.argShape(node, call);
    const info = this.graph.callInfo(call);
    let shape: CallShape | undefined;
    if (info.kind === 'resolved') {
      shape = this.shapes.get(info);
      if (!shape) this.shapes.set(info, (shape = this.resolvedShape(info)));
    } else if (info.kind === 'external') {
      shape = this.externalShapes.get(info.name);
      if (!shape) this.externalShapes.set(info.name, (shape = ONCE_RE.test(info.name) ? BY_ARGS : WAIT_RE.test(info.name) ? WAITS : NO_SHAPE));
    } else return NO_SHAPE;
    return shape === BY_ARGS ? this.argShape(node, call) : shape;
  }

  private resolvedShape(info: CallInfo & { kind: 'resolved' }): CallShape {
    // sync.Once.Do and WaitGroup.Wait are external when the standard library is not in the checkout.
    const name = libraryName(info) ?? '';
    if (ONCE_RE.test(name)) return BY_ARGS;
    const targets = this.dispatchTargets(info.targets);
    const waits = WAIT_RE.test(name) || (targets.length > 0 && targets.every((t) => t.precise && this.waitsAlways(t.callee)));
    return { targets, waits };
  }

  /** The shape of a call that runs a function literal it is given: called on the spot, or by Once.Do. */
  private argShape(node: FuncNode, call: CallExpr): CallShape {
    let shape = this.argShapes.get(call);
    if (shape) return shape;
    const literal = (e: Expr) => (e.k === 'funclit' ? node.file.funcs[e.fn] : undefined);
    if (call.fn.k === 'funclit') {
      const lit = literal(call.fn);
      shape = lit ? { targets: [this.target(this.graph.nodeOf(node.file, lit), false, true)], waits: false } : NO_SHAPE;
    } else {
      const targets: Target[] = [];
      for (const a of call.args) {
        const lit = literal(a);
        if (lit) targets.push(this.target(this.graph.nodeOf(node.file, lit), true, true));
        // `unlockOnce.Do(c.unlock)` runs `c.unlock()`: that call's receiver and arguments are the ones to map.
        const value = lit ? undefined : this.graph.callOfValue(node, a);
        if (!value) continue;
        this.runsAs.set(call, value);
        for (const t of this.shapeOf(node, value).targets) targets.push(this.target(t.callee, true, t.precise));
      }
      shape = { targets, waits: false };
    }
    this.argShapes.set(call, shape);
    return shape;
  }

  private readonly waiters = new Map<FuncNode, boolean>();

  /**
   * A wrapper that waits for goroutines on every path (`func (p *Pool) Wait() { p.wg.Wait() }`,
   * `return g.eg.Wait()`): calling it is a wait. Only short bodies, and a wait no `return` can skip.
   */
  private waitsAlways(callee: FuncNode): boolean {
    const body = callee.decl.body;
    if (!body || body.length > MAX_WRAPPER_STMTS) return false;
    let out = this.waiters.get(callee);
    if (out !== undefined) return out;
    this.waiters.set(callee, false);
    out = false;
    for (const st of body) {
      if ((st.k === 'expr' || st.k === 'assign' || st.k === 'return') && callsInSimple(st).some((c) => this.waits(callee, c))) {
        out = true;
        break;
      }
      if (allStmts([st]).some((x) => x.k === 'return')) break;
    }
    this.waiters.set(callee, out);
    return out;
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
    const async: CalleeOp[] = [];
    const asyncCloses: CalleeOp[] = [];
    const remakes = new Map<ChanId, string | undefined>();
    const seenCloses = new Set<ChanId>();
    const seenSends = new Set<ChanId>();
    const seenAsync = new Set<ChanId>();
    const seenAsyncCloses = new Set<ChanId>();
    // Bound at this call, a closure argument is known exactly: its operations come before the ones
    // that function-value dispatch guesses for the helper's `go f()`.
    for (const { callee, precise } of targets) {
      const { spawns } = this.of(callee);
      if (!precise || spawns.size === 0) continue;
      for (const index of spawns) {
        const lit = this.boundCall(node, this.calledAs(call).args[index]);
        if (!lit) continue;
        const eff = this.effectsOf(node, lit);
        const step: Step = { node, pos: call.pos, message: `calls ${shortName(callee)}` };
        const bind = (from: CalleeOp[], into: CalleeOp[], seen: Set<ChanId>) => {
          for (const c of from) {
            if (into.length >= MAX_FACTS || seen.has(c.id)) continue;
            seen.add(c.id);
            into.push({ ...c, step, op: { ...c.op, steps: [c.step, ...c.op.steps] } });
          }
        };
        bind([...eff.sends, ...eff.async], async, seenAsync);
        bind([...eff.closes, ...eff.asyncCloses], asyncCloses, seenAsyncCloses);
      }
    }
    for (const { callee, once, precise } of targets) {
      const f = this.of(callee);
      // Most callees touch no channel: skip them before building anything.
      if (f === NO_FACTS) continue;
      const receiver = this.receiverFor(call, callee);
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
      const map = (from: Map<ChanId, OpFact>, into: CalleeOp[], seen: Set<ChanId>, keep: (root: string | undefined) => boolean) => {
        for (const [id, op] of from) {
          if (into.length >= MAX_FACTS) break;
          if (op.steps.length >= MAX_STEPS) continue;
          let mapped = this.mapId(id, node, callee, call);
          if (mapped === undefined) continue;
          let aliasRoot: [string | undefined] | undefined;
          if (mapped.startsWith('field:')) {
            const alias = this.fieldAlias(node, rootOf(op.root));
            if (alias) [mapped, aliasRoot] = [alias[0], [alias[1]]];
          }
          if (seen.has(mapped)) continue;
          const conds = this.mapConds(node, callee, op.conds, call, receiver);
          // A constant argument rules the operation out: `s.apply(opFlush)` never runs `case opClose:`.
          if (conds === false) continue;
          // A local of the callee (not one it shares with us by capture) is made anew by every call.
          const root = aliasRoot ? aliasRoot[0] : this.foreignLocal(node, mapped) ? MADE : rootOf(op.root);
          if (!keep(root)) continue;
          seen.add(mapped);
          step ??= { node, pos: call.pos, message: `calls ${shortName(callee)}` };
          const recvd = op.recvd.length ? op.recvd.flatMap((r) => this.mapId(r, node, callee, call) ?? []) : op.recvd;
          into.push({ id: mapped, op, step, root, conds, recvd, once, precise });
        }
      };
      // The sequence walk reports a close only of an instance it can name, and a send on anything but
      // an instance the callee made; neither changes on the way up (an unnamed root stays unnamed).
      // Dropping them here spares every caller of such code the guarded walk. The same holds for the
      // sends of goroutines the callee left running on a channel it made: the caller can neither close
      // nor receive that channel by name (a goroutine's other sends, on channels it can name, still join
      // it), and carried up they made every caller of `exec.Cmd.Run` and its own callers walk.
      map(f.closes, closes, seenCloses, nameable);
      map(f.sends, sends, seenSends, notMade);
      map(f.async, async, seenAsync, notMade);
      map(f.asyncCloses, asyncCloses, seenAsyncCloses, nameable);
    }
    return { closes, sends, async, asyncCloses, remakes, waits };
  }

  /** A channel local to a function other than `node` and those enclosing it: made anew by every call of it. */
  private foreignLocal(node: FuncNode, id: ChanId): boolean {
    return id.startsWith('local:') && !this.declaresLocal(node, id);
  }

  /**
   * Whether a local channel belongs to `node` or to a function enclosing it: a literal two levels down
   * (a goroutine's deferred recover handler) still sends on its starter's channel.
   */
  private declaresLocal(node: FuncNode, id: ChanId): boolean {
    for (let fn: FuncNode | undefined = node; fn; ) {
      if (id.startsWith(`local:${fn.id}:`)) return true;
      const parent: FuncDecl | undefined = fn.decl.parent === undefined ? undefined : fn.file.funcs[fn.decl.parent];
      fn = parent && this.graph.nodeOf(fn.file, parent);
    }
    return false;
  }

  /** A callee's operation as an OpFact of `node`, under the guards in force at the call. */
  lift(node: FuncNode, c: CalleeOp, ctx: CallContext): OpFact {
    const { op } = c;
    const lifted: OpFact = {
      steps: [c.step, ...op.steps],
      display: op.display,
      locks: merged(ctx.locks, op.locks),
      conds: merged(ctx.conds, c.conds),
      tests: merged(ctx.tests, op.tests),
      sets: merged(ctx.sets, op.sets),
      recvd: merged(ctx.recvd, c.recvd),
      waited: op.waited || ctx.waited,
      // A recover covers its own goroutine only, and a deferred call only when deferred before it.
      recovers: op.recovers || (!ctx.async && !op.async && (ctx.deferred ? ctx.deferred.recovered : this.recoversIn(node))),
      once: op.once || c.once || this.runsOnce(node, ctx.conds),
      async: op.async || ctx.async,
      precise: op.precise && c.precise,
    };
    if (op.afterDone || ctx.deferred?.afterDone) lifted.afterDone = true;
    if (c.root !== undefined) lifted.root = c.root;
    return lifted;
  }

  /** A callee's path condition in the caller's names; false when the call's constant arguments rule it out. */
  mapConds(node: FuncNode, callee: FuncNode, conds: Atom[], call: CallExpr, receiver: Expr | undefined): Atom[] | false {
    if (conds.length === 0) return conds;
    const out: Atom[] = [];
    for (const a of conds) {
      const m = this.mapAtom(node, callee, a, call, receiver);
      if (m === false) return false;
      if (typeof m === 'string') out.push(m);
    }
    // Two conditions on different names in the callee, on one in the caller: `post(ctx, c.Key, ...)`
    // reaching `if key == nil` past `if c.Key == nil { return }`.
    if (out.length > 1 && contradicts(out, new Set(out))) return false;
    return out;
  }

  /** A callee's id seen from the caller: parameters become the caller's arguments. */
  mapId(id: ChanId, caller: FuncNode, callee: FuncNode, call: CallExpr): ChanId | undefined {
    if (!id.startsWith('param:')) return normalizeFor(id, caller);
    const index = Number(id.slice('param:'.length));
    const arg = index === -1 ? this.receiverFor(call, callee) : this.calledAs(call).args[index];
    return arg ? this.idOf(caller, arg) : undefined;
  }

  /** Recomputes one function's facts; true when they grew. */
  private summarize(node: FuncNode): boolean {
    const before = this.facts.get(node);
    const work = this.channelWork(node);
    if (!before && work === 'none') return this.summarizeQuiet(node);
    const closes = new Map<ChanId, OpFact>(before?.closes);
    const sends = new Map<ChanId, OpFact>(before?.sends);
    const async = new Map<ChanId, OpFact>(before?.async);
    const asyncCloses = new Map<ChanId, OpFact>(before?.asyncCloses);
    const remakes = new Map<ChanId, string | undefined>(before?.remakes);
    const spawns = new Set<number>(before?.spawns);
    const contested = new Set<ChanId>(before?.contested);
    const body = node.decl.body;
    if (body && work !== 'walk') {
      this.noteAssignedChannels(body, node, remakes);
      if (work === 'remakes') this.noteCalledRemakes(node, remakes);
    } else if (body) {
      const op = (e: Expr, pos: Pos, verb: string, g: GuardState) => this.directOp(node, e, pos, verb, g);
      const met = new Map<ChanId, { pos: Pos; close: boolean }>();
      const meet = (id: ChanId, pos: Pos, close: boolean) => {
        const prev = met.get(id);
        if ((prev && (prev.close || close) && (prev.pos !== pos || close)) || (close && callsInLoops(body).has(pos))) contested.add(id);
        if (!prev || (close && !prev.close)) met.set(id, { pos, close });
      };
      // A goroutine's send on a channel its starter made is never half of a hazard here.
      const meetAll = (pos: Pos, close: boolean, ...ops: CalleeOp[][]) => {
        for (const list of ops) for (const c of list) if (c.root !== MADE) meet(c.id, pos, close);
      };
      // A call's closes and sends, lifted only for channels the function does not know yet.
      const absorb = (eff: CallEffects, ctx: CallContext) => {
        for (const c of eff.closes) if (!closes.has(c.id)) closes.set(c.id, this.lift(node, c, ctx));
        for (const c of eff.sends) if (!sends.has(c.id)) sends.set(c.id, this.lift(node, c, ctx));
        for (const c of eff.async) if (!async.has(c.id)) async.set(c.id, this.lift(node, c, { ...ctx, async: true }));
        for (const c of eff.asyncCloses) if (!asyncCloses.has(c.id)) asyncCloses.set(c.id, this.lift(node, c, { ...ctx, async: true }));
      };
      // Facts are flow-insensitive ("may close anywhere in the function"); the walk threads only the
      // closes on the path, to learn what every path through a close writes before returning.
      const exits = this.memoized(() => walkGuarded<ReadonlySet<ChanId>>(
        node,
        this,
        {
          close: (e, pos, g, path) => {
            const r = op(e, pos, 'closes', g);
            if (!r) return path;
            meet(r[0], pos, true);
            if (!closes.has(r[0])) closes.set(r[0], r[1]);
            return adding(path, [r[0]]);
          },
          send: (e, pos, g, path) => {
            const r = op(e, pos, 'sends on', g);
            if (r) meet(r[0], pos, false);
            if (r && !sends.has(r[0])) sends.set(r[0], r[1]);
            return path;
          },
          call: (call, g, path, mode) => {
            const eff = this.effectsOf(node, call);
            meetAll(call.pos, true, eff.closes, eff.asyncCloses);
            meetAll(call.pos, false, eff.sends, eff.async);
            // What a goroutine does is not ordered with anything after the go statement: for callers
            // it is neither a close nor a send that happens at the call, but sends that may still run.
            if (mode === 'go') {
              const ctx = contextAt(g, true);
              for (const c of [...eff.sends, ...eff.async]) if (!async.has(c.id)) async.set(c.id, this.lift(node, c, ctx));
              for (const c of [...eff.closes, ...eff.asyncCloses]) if (!asyncCloses.has(c.id)) asyncCloses.set(c.id, this.lift(node, c, ctx));
              return path;
            }
            absorb(eff, contextAt(g, false));
            for (const [id, r] of eff.remakes) if (!remakes.has(id)) remakes.set(id, r);
            return eff.closes.length ? adding(path, eff.closes.map((c) => c.id)) : path;
          },
          rebind: (targets, path) => {
            this.noteRemakes(node, targets, remakes);
            return path;
          },
          defer: (call, _pos, g, path) => {
            if (call.k !== 'call') return path;
            const closed = this.closedBy(call);
            if (closed) {
              const r = op(closed, call.pos, 'closes', g);
              if (r) meet(r[0], call.pos, true);
              if (r && this.deferredAfterDone(node).has(call.pos)) r[1].afterDone = true;
              if (r && !closes.has(r[0])) closes.set(r[0], r[1]);
              return path;
            }
            const eff = this.effectsOf(node, call);
            meetAll(call.pos, true, eff.closes);
            const deferred = { recovered: this.deferredBeforeRecover(node).has(call.pos), afterDone: this.deferredAfterDone(node).has(call.pos) };
            absorb(eff, { ...contextAt(g, false), locks: NO_LOCKS, deferred });
            return path;
          },
        },
        NONE,
        { join: (a, b) => (a === b ? a : adding(a, [...b])), equal: sameSet },
      ));
      // `close(d.errCh); d.responded = true`: by the time the call returns, the flag a second call
      // checks is set. Every path through the close, to every exit, must write it.
      const after = new Map<ChanId, ReadonlySet<ChanId>>();
      for (const exit of exits) for (const id of exit.e) after.set(id, after.has(id) ? intersect(after.get(id)!, exit.g.sets) : exit.g.sets);
      for (const [id, sets] of after) {
        const c = closes.get(id);
        if (c && [...sets].some((x) => !c.sets.includes(x))) closes.set(id, { ...c, sets: [...new Set([...c.sets, ...sets])] });
      }
    }
    // A function that waits for goroutines, or receives what they produce, before returning joins them;
    // a Wait does not join a close deferred to run after the goroutine's Done.
    // Only a parameter can be bound to a closure at the call.
    if (body && node.decl.params.length > 0) this.noteSpawns(node, spawns);
    if ((async.size || asyncCloses.size || spawns.size) && (this.waitsIn(node) || this.receivesIn(node).size > 0)) {
      spawns.clear();
      const waitOnly = this.receivesIn(node).size === 0;
      for (const [id, c] of async) if (!waitOnly || !c.afterDone) async.delete(id);
      for (const [id, c] of asyncCloses) if (!waitOnly || !c.afterDone) asyncCloses.delete(id);
    }
    const some = closes.size || sends.size || async.size || asyncCloses.size || remakes.size || spawns.size || contested.size;
    this.facts.set(
      node,
      some ? { closes, sends, async, asyncCloses, remakes, spawns: spawns.size ? spawns : NO_SPAWNS, contested: contested.size ? contested : NO_CONTESTED } : NO_FACTS,
    );
    return (
      !before ||
      before.closes.size !== closes.size ||
      before.sends.size !== sends.size ||
      before.async.size !== async.size ||
      before.asyncCloses.size !== asyncCloses.size ||
      before.remakes.size !== remakes.size ||
      before.spawns.size !== spawns.size
    );
  }

  /**
   * Most functions neither close nor send, directly or through a call: only their channel
   * assignments and the parameters they start matter to callers, and a scan finds those without
   * the guard-aware walk (or the maps a walked function fills). First visit only.
   */
  private summarizeQuiet(node: FuncNode): boolean {
    const body = node.decl.body;
    // Scratch collections, copied only for the few functions that fill them.
    const { remakes, spawns } = this.quiet;
    remakes.clear();
    spawns.clear();
    if (body) this.noteAssignedChannels(body, node, remakes);
    if (body && node.decl.params.length > 0) this.noteSpawns(node, spawns);
    // As in summarize: a function that receives what its goroutines produce joins them.
    if (spawns.size && this.receivesIn(node).size > 0) spawns.clear();
    this.facts.set(
      node,
      remakes.size || spawns.size
        ? {
            closes: new Map(),
            sends: new Map(),
            async: new Map(),
            asyncCloses: new Map(),
            remakes: new Map(remakes),
            spawns: spawns.size ? new Set(spawns) : NO_SPAWNS,
            contested: NO_CONTESTED,
          }
        : NO_FACTS,
    );
    return true;
  }

  private readonly quiet = { remakes: new Map<ChanId, string | undefined>(), spawns: new Set<number>() };

  private noteAssignedChannels(body: Stmt[], node: FuncNode, remakes: Map<ChanId, string | undefined>): void {
    if (!node.decl.writesFields) return;
    for (const st of allStmts(body)) if (st.k === 'assign' && (st.op === '=' || st.op === ':=')) this.noteRemakes(node, st.lhs, remakes);
  }

  /**
   * The function-typed parameters `node` starts on a goroutine: `go f()`, `go func() { ...; f() }()`,
   * or passing f on to a helper that does.
   */
  private noteSpawns(node: FuncNode, spawns: Set<number>): void {
    const paramIndex = (e: Expr | undefined, within: FuncNode): number | undefined => {
      const st = e?.k === 'id' ? this.graph.storageOf(within, e) : undefined;
      return st?.kind === 'param' && st.fn === node.id && st.index >= 0 ? st.index : undefined;
    };
    for (const site of this.activeSites(node)) {
      const { call } = site;
      if (site.mode === 'go') {
        const direct = paramIndex(call.fn, node);
        if (direct !== undefined) spawns.add(direct);
        const lit = call.fn.k === 'funclit' ? node.file.funcs[call.fn.fn] : undefined;
        if (!lit) continue;
        const litNode = this.graph.nodeOf(node.file, lit);
        for (const inner of this.graph.sites(litNode)) {
          const i = paramIndex(inner.call.fn, litNode);
          if (i !== undefined) spawns.add(i);
        }
        continue;
      }
      for (const t of this.targetsOf(node, call)) {
        if (!t.precise) continue;
        for (const j of this.of(t.callee).spawns) {
          const i = paramIndex(call.args[j], node);
          if (i !== undefined) spawns.add(i);
        }
      }
    }
  }

  private readonly bound = new Map<Expr, CallExpr>();

  /** A call of the function literal passed as an argument, for its effects; one per argument. */
  private boundCall(node: FuncNode, arg: Expr | undefined): CallExpr | undefined {
    const lit = this.literalOf(node, arg);
    if (!lit || !arg) return undefined;
    let call = this.bound.get(arg);
    if (!call) this.bound.set(arg, (call = { k: 'call', fn: lit, args: [], pos: arg.pos }));
    return call;
  }

  /**
   * The call a `go` statement makes, with a local bound only to a literal (`send := func() {...}; go send()`)
   * taken as that literal's call. Only for goroutines: a literal called through a local on this goroutine
   * (`if handleRead() { return }`) often acts on what it returns, which the facts do not follow, so its
   * effects stay as imprecise as any function value's.
   */
  goCall(node: FuncNode, call: CallExpr): CallExpr {
    return call.args.length === 0 && call.fn.k === 'id' ? (this.boundCall(node, call.fn) ?? call) : call;
  }

  /** The function literal an argument is, or the one a local holding it was bound to (`f := func() {...}; g.Go(f)`). */
  private literalOf(node: FuncNode, e: Expr | undefined): Expr | undefined {
    if (e?.k === 'funclit') return e;
    const key = e && this.localKey(node, e);
    const sources = key === undefined ? undefined : this.localSources(node).get(key);
    return sources?.length === 1 && sources[0]!.k === 'funclit' ? sources[0] : undefined;
  }

  private readonly aliases = new Map<FuncNode, Map<string, [ChanId, string | undefined] | null>>();

  /**
   * The channel a field of a local object holds when the code shows it (`w := &worker{out: ch}`,
   * `w := newWorker(ch)` with `return &worker{out: c}`): `w.out` is then `ch`, by its id and root.
   * Only a local bound once, by a literal or a constructor visible here.
   */
  fieldAlias(node: FuncNode, root: string | undefined): [ChanId, string | undefined] | undefined {
    const dot = root === undefined ? -1 : root.indexOf('.');
    if (root === undefined || dot <= 0 || root.indexOf('.', dot + 1) !== -1 || '@^#'.includes(root[0]!)) return undefined;
    let memo = this.aliases.get(node);
    if (!memo) this.aliases.set(node, (memo = new Map()));
    let out = memo.get(root);
    if (out === undefined) {
      const value = this.fieldValue(node, root.slice(0, dot), root.slice(dot + 1));
      const id = value && this.idOf(node, value);
      out = id === undefined ? null : [id, this.rootIn(node, value)];
      memo.set(root, out);
    }
    return out ?? undefined;
  }

  private fieldValue(node: FuncNode, local: string, field: string): Expr | undefined {
    const sources = this.localSources(node).get(local);
    if (sources?.length !== 1) return undefined;
    let src = sources[0]!;
    if (src.k === 'unary' && src.op === '&') src = src.x;
    if (src.k === 'composite') return src.elems.find((e) => e.key === field)?.value;
    if (src.k !== 'call') return undefined;
    const info = this.graph.callInfo(src);
    const callee = info.kind === 'resolved' && info.targets.length === 1 && info.targets[0]!.how === 'static' ? info.targets[0]!.callee : undefined;
    if (!callee) return undefined;
    // The constructor stores its parameter in the field of what it returns.
    for (const st of allStmts(callee.decl.body ?? [])) {
      if (st.k !== 'return') continue;
      let v = st.values[0];
      if (v?.k === 'unary' && v.op === '&') v = v.x;
      if (v?.k !== 'composite') continue;
      const stored = v.elems.find((e) => e.key === field)?.value;
      const p = stored?.k === 'id' ? this.graph.storageOf(callee, stored) : undefined;
      return p?.kind === 'param' && p.fn === callee.id && p.index >= 0 ? src.args[p.index] : undefined;
    }
    return undefined;
  }

  /** Channel fields and globals among assigned targets: callers forget what they knew closed there. */
  private noteRemakes(node: FuncNode, targets: Expr[], remakes: Map<ChanId, string | undefined>): void {
    for (const t of targets) {
      // The type first: most assigned fields cannot hold a channel, and naming one costs more.
      if (t.k !== 'sel' || !this.mayHoldChannel(node, t)) continue;
      const id = this.idOf(node, t);
      if (id === undefined || !(id.startsWith('field:') || id.startsWith('global:')) || remakes.has(id)) continue;
      remakes.set(id, this.rootIn(node, t));
    }
  }

  /** Per function: its repointed paths; null while being worked out (a call cycle reads as none). */
  private readonly repoints = new Map<FuncNode, ReadonlySet<string> | null>();

  /**
   * Paths from the receiver or a parameter that a function points at another object, itself
   * (`ts.domain, err = session.BootstrapSession(store)`, `s.conn = dial()`) or through its calls.
   */
  private repointsOf(node: FuncNode): ReadonlySet<string> {
    const known = this.repoints.get(node);
    if (known !== undefined) return known ?? NO_PATHS;
    this.repoints.set(node, null);
    const out = new Set<string>();
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k !== 'assign' || st.op !== '=') continue;
      // `a.x, err = open()`: every target takes a result of the one call.
      const shared = st.rhs.length === 1 && st.lhs.length > 1 ? st.rhs[0] : undefined;
      st.lhs.forEach((t, i) => {
        const v = shared ?? st.rhs[i];
        if (t.k !== 'sel' || !v || !(v.k === 'call' || this.isNew(node, v))) return;
        const root = this.rootIn(node, t);
        if (root?.startsWith('@')) out.add(root);
      });
    }
    for (const site of this.activeSites(node)) {
      if (site.mode !== 'call') continue;
      for (const root of this.repointedBy(node, site.call)) if (root.startsWith('@')) out.add(root);
    }
    const result = out.size ? out : NO_PATHS;
    this.repoints.set(node, result);
    return result;
  }

  /**
   * The instance roots of `node` that a call points at other objects: what was closed through them
   * before the call is not what they hold after it.
   */
  repointedBy(node: FuncNode, call: CallExpr): string[] {
    const out: string[] = [];
    for (const { callee, precise } of this.targetsOf(node, call)) {
      if (!precise) continue;
      const receiver = this.receiverFor(call, callee);
      for (const root of this.repointsOf(callee)) {
        const lifted = this.liftRoot(node, callee, root, call, receiver);
        if (lifted !== undefined && nameable(lifted)) out.push(lifted);
      }
    }
    return out;
  }

  /** A value that did not exist before: `&T{}`, `NewT()`, or a local only ever set to such values. */
  isNew(node: FuncNode, e: Expr): boolean {
    if (isConstruction(e)) return true;
    const key = this.localKey(node, e);
    const sources = key === undefined ? undefined : this.localSources(node).get(key);
    return sources !== undefined && sources.length > 0 && sources.every(isConstruction);
  }

  private readonly afterDone = new Map<FuncNode, ReadonlySet<Pos>>();
  private readonly afterWait = new Map<FuncNode, ReadonlySet<Pos>>();
  private readonly beforeRecover = new Map<FuncNode, ReadonlySet<Pos>>();

  /**
   * Deferred calls registered before a deferred `wg.Done()` (or a deferred literal calling it): they
   * run after it, since defers run last-in first-out.
   */
  deferredAfterDone(node: FuncNode): ReadonlySet<Pos> {
    const done = (_fn: FuncNode, call: CallExpr) =>
      call.fn.k === 'sel' && call.fn.name === 'Done' && libraryName(this.graph.callInfo(call)) === 'sync.(*WaitGroup).Done';
    return this.deferredBefore(node, done, this.afterDone);
  }

  /**
   * Deferred calls registered after a deferred `recover()` (itself or in a deferred literal): they run
   * before it, so it catches their panics. The handler itself is not covered by its own recover.
   */
  deferredBeforeRecover(node: FuncNode): ReadonlySet<Pos> {
    const recover = (_fn: FuncNode, call: CallExpr) => call.fn.k === 'id' && call.fn.name === 'recover';
    return this.deferredBefore(node, recover, this.beforeRecover, true);
  }

  /** Deferred calls registered before a deferred wait for goroutines (`defer func() { wg.Wait() }()`): they run after it. */
  deferredAfterWait(node: FuncNode): ReadonlySet<Pos> {
    return this.deferredBefore(node, (fn, call) => this.waits(fn, call), this.afterWait);
  }

  /**
   * Positions (of the statement and of its call) of the defers that run after a later-registered defer
   * that does `what`, itself or in a deferred literal; with `runBefore`, of those that run before an
   * earlier-registered one. By source order, as the defers are registered.
   */
  private deferredBefore(
    node: FuncNode,
    what: (fn: FuncNode, call: CallExpr) => boolean,
    memo: Map<FuncNode, ReadonlySet<Pos>>,
    runBefore = false,
  ): ReadonlySet<Pos> {
    let out = memo.get(node);
    if (out) return out;
    const found = new Set<Pos>();
    const defers: { pos: Pos; call: CallExpr }[] = [];
    for (const st of allStmts(node.decl.body ?? [])) if (st.k === 'defer' && st.call.k === 'call') defers.push({ pos: st.pos, call: st.call });
    const does = (call: CallExpr): boolean => {
      if (what(node, call)) return true;
      const lit = call.fn.k === 'funclit' ? node.file.funcs[call.fn.fn] : undefined;
      if (!lit?.body) return false;
      const litNode = this.graph.nodeOf(node.file, lit);
      return this.graph.sites(litNode).some((site) => what(litNode, site.call));
    };
    if (runBefore) {
      let first = 0;
      while (first < defers.length && !does(defers[first]!.call)) first++;
      for (let i = first + 1; i < defers.length; i++) found.add(defers[i]!.pos).add(defers[i]!.call.pos);
    } else {
      let last = defers.length - 1;
      while (last >= 0 && !does(defers[last]!.call)) last--;
      for (let i = 0; i < last; i++) found.add(defers[i]!.pos).add(defers[i]!.call.pos);
    }
    memo.set(node, found);
    return found;
  }

  /** Whether the function calls `WaitGroup.Wait`, `errgroup.Wait` or the like. */
  private waitsIn(node: FuncNode): boolean {
    return this.activeSites(node).some((site) => this.waits(node, site.call));
  }

  /** Whether a call waits for goroutines: `wg.Wait()`, `g.Wait()` of an errgroup. */
  waits(node: FuncNode, call: CallExpr): boolean {
    return this.shapeOf(node, call).waits;
  }

  private readonly spawns = new Map<Expr, CallExpr>();

  /**
   * The goroutine a call starts, as a call of the function literal it is given: `errgroup.Group.Go`,
   * `sync.WaitGroup.Go`. One synthetic call per literal, so that memos keyed by calls stay small.
   */
  spawnOf(node: FuncNode, call: CallExpr): CallExpr | undefined {
    const f = call.args[0];
    if (call.args.length !== 1 || !f || call.fn.k !== 'sel' || !SPAWN_METHOD_RE.test(call.fn.name)) return undefined;
    const fn = this.literalOf(node, f);
    if (!fn || !SPAWN_RE.test(libraryName(this.graph.callInfo(call)) ?? '')) return undefined;
    let lit = this.spawns.get(f);
    if (!lit) this.spawns.set(f, (lit = { k: 'call', fn, args: [], pos: call.pos }));
    return lit;
  }

  /**
   * What a function's facts need of its body: nothing but a scan when it neither closes nor sends,
   * directly or through a call, nor waits for goroutines; its calls' re-made channels too when that
   * is all its callees have (two thirds of the functions that call anything with facts: no path
   * condition or order changes a re-make, so they skip the walk); else the guard-aware walk.
   */
  private channelWork(node: FuncNode): 'none' | 'remakes' | 'walk' {
    let remakes = false;
    // The walk also reads the goroutines that `g.Go(func() { ... })` starts.
    let spawns = false;
    for (const site of this.activeSites(node)) {
      if (this.closedBy(site.call)) return 'walk';
      const { targets, waits } = this.shapeOf(node, site.call);
      if (waits) return 'walk';
      for (const t of targets) {
        const f = this.of(t.callee);
        if (f === NO_FACTS) continue;
        if (this.reaches(node, f)) return 'walk';
        remakes = true;
      }
      spawns ||= this.spawnOf(node, site.call) !== undefined;
    }
    if (node.decl.sends) return 'walk';
    return !remakes ? 'none' : spawns ? 'walk' : 'remakes';
  }

  /**
   * Whether a callee's operations reach `node` at all: those on a channel local to another function
   * (the callee made it) come up with an unnameable root, and mapEffects drops them.
   */
  private reaches(node: FuncNode, f: FuncFacts): boolean {
    if (f.spawns.size) return true;
    for (const ops of [f.closes, f.sends, f.async, f.asyncCloses]) {
      for (const id of ops.keys()) if (!this.foreignLocal(node, id)) return true;
    }
    return false;
  }

  /** What the walk's calls would add for a function whose callees only re-make channels. */
  private noteCalledRemakes(node: FuncNode, remakes: Map<ChanId, string | undefined>): void {
    for (const site of this.activeSites(node)) {
      if (site.mode !== 'call') continue;
      for (const [id, r] of this.effectsOf(node, site.call).remakes) if (!remakes.has(id)) remakes.set(id, r);
    }
  }

  /** Functions that call themselves, noted by tarjan() as it meets their edges. */
  private readonly selfCalls = new Set<FuncNode>();

  private callees(node: FuncNode): FuncNode[] {
    const out: FuncNode[] = [];
    for (const s of this.activeSites(node)) for (const t of this.targetsOf(node, s.call)) out.push(t.callee);
    return out;
  }

  private readonly active = new Map<FuncNode, readonly SiteInfo[]>();

  /**
   * The calls of a function that the channel facts read: those that may run code of the program, wait
   * for goroutines, close, start a goroutine or may hand one a literal (`g.Go(func() {...})`). Most
   * calls are of the standard library or builtins; the facts scan a function's calls several times.
   */
  private activeSites(node: FuncNode): readonly SiteInfo[] {
    let out = this.active.get(node);
    if (out) return out;
    const list: SiteInfo[] = [];
    for (const site of this.graph.sites(node)) {
      const { call } = site;
      const { targets, waits } = this.shapeOf(node, call);
      if (targets.length || waits || site.mode === 'go' || this.closedBy(call) || (call.fn.k === 'sel' && SPAWN_METHOD_RE.test(call.fn.name))) list.push(site);
    }
    out = list.length ? list : NO_SITES;
    this.active.set(node, out);
    return out;
  }

  private order: FuncNode[][] | undefined;

  /** The call graph's strongly connected components, callees before callers (lock facts reuse them). */
  sccs(): FuncNode[][] {
    return (this.order ??= this.tarjan());
  }

  /** Tarjan's algorithm, iterative (call chains in real code are deep). */
  private tarjan(): FuncNode[][] {
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
          if (next === top.node) this.selfCalls.add(next);
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

/** The guards at a call, as the operations it reaches inherit them. */
export function contextAt(g: GuardState, async: boolean): CallContext {
  return { locks: g.locks, conds: g.conds, tests: g.tests, sets: g.sets, recvd: g.recvd, waited: g.waited, async };
}

function merged<T>(a: ReadonlySet<T>, b: T[]): T[] {
  if (a.size === 0) return b;
  if (b.length === 0) return [...a];
  return [...new Set([...a, ...b])];
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
}

const NONE: ReadonlySet<string> = new Set();

/** Where a function starts, and what a deferred call at its exit may assume: nothing held, tested or known. */
export const NO_GUARDS: GuardState = { locks: NONE, conds: NONE, tests: NONE, sets: NONE, recvd: NONE, waited: false };

/** What two paths both have; one of the inputs itself whenever possible (joins happen at every branch). */
function intersect<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  if (a === b || a.size === 0) return a;
  if (b.size === 0) return b;
  let all = true;
  for (const x of a) if (!b.has(x)) all = false;
  if (all) return a;
  const out = new Set<T>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out.size === b.size ? b : out;
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function adding<T>(a: ReadonlySet<T>, xs: readonly T[]): ReadonlySet<T> {
  if (xs.every((x) => a.has(x))) return a;
  return new Set([...a, ...xs]);
}

const guardDomain: FlowDomain<GuardState> = {
  join: (a, b) => {
    if (a === b) return a;
    const locks = intersect(a.locks, b.locks);
    const conds = intersect(a.conds, b.conds);
    const tests = intersect(a.tests, b.tests);
    const sets = intersect(a.sets, b.sets);
    const recvd = b.recvd.size === 0 ? a.recvd : a.recvd.size === 0 ? b.recvd : adding(a.recvd, [...b.recvd]);
    const waited = a.waited && b.waited;
    if (locks === a.locks && conds === a.conds && tests === a.tests && sets === a.sets && recvd === a.recvd && waited === a.waited) return a;
    if (locks === b.locks && conds === b.conds && tests === b.tests && sets === b.sets && recvd === b.recvd && waited === b.waited) return b;
    return { locks, conds, tests, sets, recvd, waited };
  },
  equal: (a, b) =>
    a.waited === b.waited &&
    sameSet(a.locks, b.locks) &&
    sameSet(a.conds, b.conds) &&
    sameSet(a.tests, b.tests) &&
    sameSet(a.sets, b.sets) &&
    sameSet(a.recvd, b.recvd),
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
export function walkGuarded<E>(node: FuncNode, facts: ChannelFacts, v: GuardVisitor<E>, init: E, domain: GuardedDomain<E>): { e: E; g: GuardState }[] {
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
  const written = (g: GuardState, targets: Expr[]): GuardState => {
    const { ids, roots } = facts.writes(node, targets);
    let conds = g.conds;
    // What was known of the old value says nothing of the new one; that the path tested it and then
    // wrote it still holds (`if c.closed { return }; c.closed = true; close(c.done)`: runs once).
    for (const root of conds.size ? roots : []) {
      if ([...conds].some((a) => mentions(a, root))) {
        conds = new Set([...[...conds].filter((a) => !mentions(a, root)), formatAtom({ negated: false, kind: 'cmp', roots: [root] })]);
      }
    }
    const sets = adding(g.sets, ids);
    return sets === g.sets && conds === g.conds ? g : { ...g, sets, conds };
  };
  const onCalls = (calls: CallExpr[], s: Both<E>, mode: 'sync' | 'go'): Both<E> => {
    if (calls.length === 0) return s;
    let { g, e } = s;
    for (const c of calls) {
      const closed = facts.closedBy(c);
      if (closed) {
        e = v.close(closed, c.pos, g, e);
        continue;
      }
      if (mode === 'go') {
        e = v.call(facts.goCall(node, c), g, e, mode);
        continue;
      }
      e = v.call(c, g, e, mode);
      for (const ch of facts.receivedBy(node, c)) {
        if (v.recv) e = v.recv(ch, false, g, e);
        g = received(g, ch);
      }
      // `g.Go(func() { ... })` starts a goroutine as a `go` statement does.
      const spawned = facts.spawnOf(node, c);
      if (spawned) e = v.call(spawned, g, e, 'go');
      if (!g.waited && facts.waits(node, c)) g = { ...g, waited: true };
      if (c.fn.k !== 'sel') continue;
      const name = c.fn.name;
      // `atomic.CompareAndSwapInt32(&s.state, 0, 1)` writes its pointee, not the package.
      if (c.fn.x.k === 'id' && c.fn.x.name === 'atomic') {
        if (c.args[0]?.k === 'unary' && c.args[0].op === '&') g = written(g, [c.args[0].x]);
      } else if (STORE_RE.test(name)) g = written(g, [c.fn.x]);
      const isLock = name === 'Lock' || name === 'RLock';
      const isUnlock = name === 'Unlock' || name === 'RUnlock';
      if (!isLock && !isUnlock) continue;
      const id = facts.idOf(node, c.fn.x);
      if (id === undefined) continue;
      g = { ...g, locks: isLock ? adding(g.locks, [id]) : new Set([...g.locks].filter((l) => l !== id)) };
    }
    return { g, e };
  };
  const received = (g: GuardState, ch: Expr): GuardState => {
    const id = facts.idOf(node, ch);
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
    const g = written(s.g, targets);
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
    recv: (ch, s, untilClosed) => (untilClosed && !facts.isChannel(node, ch) ? s : { g: received(s.g, ch), e: v.recv ? v.recv(ch, untilClosed, s.g, s.e) : s.e }),
    noReturn: (call) => call.k === 'call' && facts.noReturn(call),
    assume(cond, holds, s) {
      let out = s;
      // `v, ok := <-ch; if !ok { ... }`: in there, ch is closed, and whoever closed it is done before.
      const ok = cond.k === 'unary' && cond.op === '!' ? cond.x : cond;
      const okKey = v.recv && holds === (ok !== cond) ? facts.localKey(node, ok) : undefined;
      const seesClose = okKey === undefined ? undefined : facts.okOf(node).get(okKey);
      if (seesClose) out = { g: out.g, e: v.recv!(seesClose, true, out.g, out.e) };
      const { atoms, tests } = facts.assumed(node, cond, holds);
      if (atoms.length === 0 && tests.length === 0) return out;
      return { g: { ...out.g, conds: adding(out.g.conds, atoms), tests: adding(out.g.tests, tests) }, e: out.e };
    },
  });
  return exits;
}

/** The value an atomic load in a condition reads: `atomic.LoadInt32(&m.shutdown)`, `m.shutdown.Load()`. */
function loadTarget(e: Expr): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel') return undefined;
  // `atomic.LoadInt32(&x)` or `x.Load()`, not a map's `m.Load(key)`.
  const pkg = e.fn.x.k === 'id' && e.fn.x.name === 'atomic';
  return e.args.length === (pkg ? 1 : 0) ? atomicTarget(e, /^Load(Int32|Int64|Uint32|Uint64|Pointer)?$/) : undefined;
}

/** The value a swap-like call in a condition changes: `s.closed.Swap(true)`, `atomic.CompareAndSwapInt32(&s.state, 0, 1)`. */
function swapTarget(e: Expr): Expr | undefined {
  return atomicTarget(e, /^(swap|Swap|CompareAndSwap)/);
}

const ATOMIC_ADD_RE = /^Add(Int32|Int64|Uint32|Uint64)?$/;

/** `atomic.AddInt32(&s.pending, -1)`, `s.pending.Add(-1)`: compared with 0, only the caller that counted down to it sees it. */
function countedDown(x: Expr, y: Expr): Expr | undefined {
  const zero = (e: Expr) => e.k === 'lit' && e.zero === true;
  if (zero(y)) return atomicTarget(x, ATOMIC_ADD_RE);
  return zero(x) ? atomicTarget(y, ATOMIC_ADD_RE) : undefined;
}


/** The variable an atomic call acts on: `atomic.F(&x, ...)`'s pointee, or the receiver of a method of an atomic type. */
function atomicTarget(e: Expr, method: RegExp): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel' || !method.test(e.fn.name)) return undefined;
  const target = e.fn.x.k === 'id' && e.fn.x.name === 'atomic' ? e.args[0] : e.fn.x;
  return target?.k === 'unary' && target.op === '&' ? target.x : target;
}
