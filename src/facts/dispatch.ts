/**
 * Dispatch: "what may this call run?" — its target functions (static, concrete methods, interface
 * implementers, function values, literals run by `Once.Do`), whether it waits for goroutines, whether
 * it is the builtin close or a call after which the goroutine stops. Every other part asks this one.
 */
import type { Expr } from '../ir.js';
import { builtinArg } from '../irutil.js';
import type { CallGraph, CallInfo, CallTarget, FuncNode, SiteInfo } from '../resolve/callgraph.js';
import { SideTable } from '../resolve/side.js';
import { allStmts, callsInSimple, libraryName, PRECISE_HOWS, type CallExpr } from './calls.js';
import type { NoReturn } from './noreturn.js';
import { onlyCloses } from './channels/closeonly.js';
import { ACQUIRE, drains } from './semaphores.js';
import { run, type Steps } from './steps.js';

/** What a call may run, and whether it waits for goroutines started before it. */
interface CallShape {
  targets: Target[];
  waits: boolean;
}

export interface Target {
  callee: FuncNode;
  /** Called through `sync.Once.Do`. */
  once: boolean;
  precise: boolean;
}

const NO_SITES: readonly SiteInfo[] = [];
const NO_SHAPE: CallShape = { targets: [], waits: false };
const WAITS: CallShape = { targets: [], waits: true };
/** Marks a CallInfo whose calls run the function literal they are given (`Once.Do`): shaped per call. */
const BY_ARGS: CallShape = { targets: [], waits: false };
/**
 * Dispatch wider than this is not followed: an interface with dozens of implementations (an executor's
 * `Next`) or a function parameter called with every callback in the program would make every function
 * reach every close, and the facts say nothing. Measured on TiDB: the model case needs 5 implementations.
 */
const MAX_INTERFACE_TARGETS = 8;
const MAX_FUNC_VALUE_TARGETS = 3;
/** Statements of a function that only wraps a wait (a lock, a flag, the wait, a log line). */
const MAX_WRAPPER_STMTS = 4;
const WAIT_RE = /(^sync\.\(\*WaitGroup\)\.Wait$|errgroup\.\(\*Group\)\.Wait$)/;
const ONCE_RE = /^sync\.\(\*Once\)\.Do$/;
/** The method a goroutine-starting call names (`g.Go(f)`); spawnOf checks which type it is of. */
export const SPAWN_METHOD_RE = /^(Go|TryGo)$/;

/** What each call may run, worked out once per CallInfo (or per call, for calls shaped by their arguments). */
export class Dispatch {
  constructor(
    private readonly graph: CallGraph,
    readonly noReturns: NoReturn,
  ) {}

  /** Keyed by the graph's CallInfo objects, which calls that resolve alike share. */
  private readonly shapes = new Map<CallInfo, CallShape>();

  private readonly targetsByCallee = new Map<FuncNode, Target[]>();

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
  shapeOf(node: FuncNode, call: CallExpr): CallShape {
    return this.knownShape(node, call) ?? run(this.shapeSteps(node, call));
  }

  /** The shape of a call when no other call's shape is needed for it: all but the first of each CallInfo. */
  private knownShape(node: FuncNode, call: CallExpr): CallShape | undefined {
    if (call.fn.k === 'funclit') return this.argShapes.get(call);
    if (call.fn.k === 'sel' && call.fn.name === ACQUIRE && this.drainsAt(node, call)) return WAITS;
    const info = this.graph.callInfo(call);
    let shape: CallShape | undefined;
    if (info.kind === 'resolved') shape = this.shapes.get(info);
    else if (info.kind === 'external') {
      shape = this.externalShapes.get(info.name);
      if (!shape) this.externalShapes.set(info.name, (shape = ONCE_RE.test(info.name) ? BY_ARGS : WAIT_RE.test(info.name) ? WAITS : NO_SHAPE));
    } else return NO_SHAPE;
    return shape === BY_ARGS ? this.argShapes.get(call) : shape;
  }

  private readonly drained = new SideTable<CallExpr, boolean>();

  /**
   * A semaphore's Acquire waits for goroutines when it drains the semaphore (see semaphores.ts), whatever
   * the call resolves to (the semaphore's type is unknown when its package is not in the checkout): per call.
   */
  private drainsAt(node: FuncNode, call: CallExpr): boolean {
    let out = this.drained.get(call);
    if (out === undefined) this.drained.set(call, (out = drains(this.graph, node, call)));
    return out;
  }

  /**
   * shapeOf as steps: a call's shape can need its targets' bodies' (a wrapper of a wrapper of a wait),
   * as deep as call chains go.
   */
  private *shapeSteps(node: FuncNode, call: CallExpr): Steps<CallShape> {
    const known = this.knownShape(node, call);
    if (known) return known;
    const info = call.fn.k === 'funclit' ? undefined : this.graph.callInfo(call);
    if (info?.kind === 'resolved' && !this.shapes.has(info)) {
      const shape = (yield this.resolvedSteps(info)) as CallShape;
      this.shapes.set(info, shape);
      if (shape !== BY_ARGS) return shape;
    }
    return (yield this.argSteps(node, call)) as CallShape;
  }

  private *resolvedSteps(info: CallInfo & { kind: 'resolved' }): Steps<CallShape> {
    // sync.Once.Do and WaitGroup.Wait are external when the standard library is not in the checkout.
    const name = libraryName(info) ?? '';
    if (ONCE_RE.test(name)) return BY_ARGS;
    const targets = this.dispatchTargets(info.targets);
    let waits = WAIT_RE.test(name);
    // Else a wait when every target is a precise wrapper that always waits; the first that is not decides.
    if (!waits && targets.length > 0) {
      waits = true;
      for (const t of targets) {
        if (t.precise && ((yield this.waitsSteps(t.callee)) as boolean)) continue;
        waits = false;
        break;
      }
    }
    return { targets, waits };
  }

  /** The shape of a call that runs a function literal it is given: called on the spot, or by Once.Do. */
  private *argSteps(node: FuncNode, call: CallExpr): Steps<CallShape> {
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
        for (const t of ((yield this.shapeSteps(node, value)) as CallShape).targets) targets.push(this.target(t.callee, true, t.precise));
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
   * In a recursion cycle, a member still being worked out counts as not waiting.
   */
  private *waitsSteps(callee: FuncNode): Steps<boolean> {
    const body = callee.decl.body;
    if (!body || body.length > MAX_WRAPPER_STMTS) return false;
    let out = this.waiters.get(callee);
    if (out !== undefined) return out;
    this.waiters.set(callee, false);
    out = false;
    scan: for (const st of body) {
      if (st.k === 'expr' || st.k === 'assign' || st.k === 'return') {
        for (const c of callsInSimple(st)) {
          if (((yield this.shapeSteps(callee, c)) as CallShape).waits) {
            out = true;
            break scan;
          }
        }
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

  /** The one function a call certainly runs: a single target, not one of several dispatch candidates. */
  soleCallee(node: FuncNode, call: CallExpr): FuncNode | undefined {
    const targets = this.targetsOf(node, call);
    return targets.length === 1 && targets[0]!.precise ? targets[0]!.callee : undefined;
  }

  /** Whether a call waits for goroutines: `wg.Wait()`, `g.Wait()` of an errgroup. */
  waits(node: FuncNode, call: CallExpr): boolean {
    return this.shapeOf(node, call).waits;
  }

  private readonly active = new Map<FuncNode, readonly SiteInfo[]>();

  /**
   * The calls of a function that the channel facts read: those that may run code of the program, wait
   * for goroutines, close, start a goroutine or may hand one a literal (`g.Go(func() {...})`). Most
   * calls are of the standard library or builtins; the facts scan a function's calls several times.
   */
  activeSites(node: FuncNode): readonly SiteInfo[] {
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

  /** The channel a call closes, when it is the builtin `close` (not a function of the package named so). */
  closedBy(call: CallExpr): Expr | undefined {
    const ch = builtinArg(call, 'close');
    return ch && call.args.length === 1 && this.graph.callInfo(call).kind === 'builtin' ? ch : undefined;
  }

  /** Whether a channel expression is one that is only ever closed, never sent on (`ctx.Done()`): channels/closeonly.ts. */
  onlyCloses(x: Expr): boolean {
    return onlyCloses(this.graph, x);
  }

  /** A call that never returns (`t.Fatalf`, `os.Exit`, a helper that always does): see noreturn.ts. */
  noReturn(call: CallExpr): boolean {
    return this.noReturns.endingOf(call) !== undefined;
  }
}
