/**
 * Cond wake-ups: "can a waiter on a sync.Cond miss the wake-up it waits for?" — read from each Wait loop (what
 * its exit tests), the methods that write what it tests, and the Signal and Broadcast calls on the cond:
 * - a method that sets a flag ending a Wait loop and wakes nobody, while another writer of the loop's flags
 *   does (`Close` sets `closed` and broadcasts nothing, `Shutdown` sets it and broadcasts): a waiter already
 *   asleep when it runs sleeps on;
 * - a cond that only Signal ever wakes, whose waiters wait for different things (the loop's exit tests the
 *   waiter's own parameter): the one waiter Signal wakes may be waiting for something else and sleep again,
 *   and the waiter the change was for is never woken.
 * - a wake-up by a function that changes what the waiters test without ever holding the cond's lock
 *   (changesOwnerBefore, with the lock facts in the rule): a waiter between its check and its Wait misses it.
 * Only conds named by a type's field or a package variable, outside test files.
 */
import type { Expr, Pos, Stmt } from '../ir.js';
import { namedTypeName } from '../irutil.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { deref } from '../resolve/types.js';
import { allStmts, callsInStmt, forEachSubExpr, libraryName, PRECISE_HOWS, type CallExpr } from './calls.js';
import type { SyncFacts } from './engine.js';
import type { ChanId } from './identity/ids.js';
import { syncMeet, typeLevel } from './locks/types.js';
import { inTestFile } from './program/testcode.js';

type ForStmt = Extract<Stmt, { k: 'for' }>;

/** A Wait inside a loop of a method, and what the loop's exit tests. */
export interface WaitLoop {
  fn: FuncNode;
  wait: CallExpr;
  cond: ChanId;
  /** `pkg.Type` of the object the cond is a field of. */
  owner: string;
  /** Fields of the owner the loop's exits read (`closed`, `buf`). */
  fields: ReadonlySet<string>;
  /** Flags of the owner that end the loop, with the value that ends it (`closed`: true). */
  exits: ReadonlyMap<string, boolean>;
  /** The waiter's own parameters the exit compares with (`duty` in `m.Duty == duty`). */
  params: ReadonlySet<string>;
}

/** A method that sets a flag that ends a Wait loop and wakes no waiter, where another writer of the loop's flags does. */
export interface SilentWrite {
  fn: FuncNode;
  pos: Pos;
  field: string;
  /** The flag as written there (`s.closed`). */
  written: string;
  waiter: WaitLoop;
  /** A method that writes one of the loop's fields and wakes the waiters, and where it writes. */
  waking: { fn: FuncNode; pos: Pos };
}

/** A Signal on a cond nothing broadcasts, whose waiters wait for different things. */
export interface NarrowSignal {
  fn: FuncNode;
  call: CallExpr;
  waiter: WaitLoop;
  param: string;
}

/** A Wait, Signal or Broadcast call on a sync.Cond, with the cond's id when it has one. */
export interface CondCall {
  fn: FuncNode;
  call: CallExpr;
  id: ChanId | undefined;
}

/** A Signal or Broadcast. */
export interface Wake extends CondCall {
  broadcast: boolean;
}

/** Every Wait, Signal and Broadcast call of the program on a sync.Cond. */
export function condCalls(facts: SyncFacts): { waits: CondCall[]; wakes: Wake[] } {
  const waits: CondCall[] = [];
  const wakes: Wake[] = [];
  for (const fn of facts.graph.funcs) {
    for (const site of facts.graph.sites(fn)) {
      const name = libraryName(site.info);
      const kind = syncMeet(name);
      if ((kind !== 'condWait' && kind !== 'signal') || site.call.fn.k !== 'sel') continue;
      const id = facts.ids.idOf(fn, site.call.fn.x);
      if (kind === 'condWait') waits.push({ fn, call: site.call, id });
      else wakes.push({ fn, call: site.call, id, broadcast: name!.endsWith('Broadcast') });
    }
  }
  return { waits, wakes };
}

/** How many calls down a method's wake-up is looked for (`Close` calling `wakeAll`). */
const WAKE_DEPTH = 2;

export class CondWakes {
  readonly silentWrites: SilentWrite[] = [];
  readonly narrowSignals: NarrowSignal[] = [];
  private readonly wakes = new Map<ChanId, Wake[]>();
  private readonly graph: CallGraph;

  /** From the program's cond calls (condCalls). */
  constructor(graph: CallGraph, calls: { waits: readonly CondCall[]; wakes: readonly Wake[] }) {
    this.graph = graph;
    for (const w of calls.wakes) if (w.id !== undefined && typeLevel(w.id)) this.wakes.set(w.id, [...(this.wakes.get(w.id) ?? []), w]);
    const loops: WaitLoop[] = [];
    for (const { fn, call, id } of calls.waits) {
      if (id === undefined || !typeLevel(id) || inTestFile(fn)) continue;
      const loop = this.waitLoop(fn, call, id);
      if (loop) loops.push(loop);
    }
    for (const loop of loops) this.checkWriters(loop);
    for (const loop of loops) this.checkSignals(loop);
  }

  /**
   * The innermost loop around a Wait, the flags of the cond's owner that end it (`for !s.closed`, `if s.done
   * { return }`, or the `if` that guards the Wait: `if s.head == nil && !s.closed { s.cond.Wait() }`) and the
   * parameters its exit compares items with (`m.To == id`). The owner is the variable the cond is a field of
   * (`s` in `s.cond.Wait()`): the receiver of a method, or a parameter its owner's other user hands it.
   */
  private waitLoop(fn: FuncNode, wait: CallExpr, cond: ChanId): WaitLoop | undefined {
    const body = fn.decl.body;
    const found = ownerOf(wait);
    const owner = found?.k === 'id' ? found : undefined;
    const type = owner && namedOf(this.graph, fn, owner);
    if (!owner || !type || !body) return undefined;
    const name = owner.name;
    const around = allStmts(body).filter((st): st is ForStmt => st.k === 'for' && allStmts(st.body).some((s) => callsInStmt(s).includes(wait)));
    const loop = around.at(-1);
    if (!loop) return undefined;
    const exits = new Map<string, boolean>();
    const flag = (e: Expr, ends: boolean): void => {
      const negated = e.k === 'unary' && e.op === '!';
      const x = negated ? e.x : e;
      if (x.k === 'sel' && x.x.k === 'id' && x.x.name === name) exits.set(x.name, negated ? !ends : ends);
    };
    // `for !s.closed && ...`: the loop goes on while each conjunct holds, so a flag ends it by turning its conjunct false.
    if (loop.cond) for (const c of split(loop.cond, '&&')) flag(c, false);
    for (const st of loop.body) {
      const last = st.k === 'if' ? st.then.at(-1) : undefined;
      if (st.k === 'if' && (last?.k === 'return' || (last?.k === 'branch' && last.kind === 'break' && !last.label))) for (const c of split(st.cond, '||')) flag(c, true);
      // `if s.head == nil && !s.closed { s.cond.Wait() }`: the same, for the `if` that guards the Wait.
      if (st.k === 'if' && !st.else && allStmts(st.then).some((x) => callsInStmt(x).includes(wait))) for (const c of split(st.cond, '&&')) flag(c, false);
    }
    const fields = new Set<string>();
    const read = (e: Expr | undefined): void => {
      if (!e) return;
      if (e.k === 'sel' && e.x.k === 'id' && e.x.name === name) fields.add(e.name);
      forEachSubExpr(e, read);
    };
    read(loop.cond);
    for (const st of allStmts(loop.body)) if (st.k === 'if') read(st.cond);
    const names = new Set(fn.decl.params.flatMap((p) => (p.name && p.name !== '_' ? [p.name] : [])));
    const params = new Set<string>();
    for (const st of allStmts(loop.body)) {
      if (st.k !== 'if') continue;
      for (const c of split(st.cond, '&&')) {
        if (c.k !== 'binary' || (c.op !== '==' && c.op !== '!=')) continue;
        for (const side of [c.x, c.y]) if (side.k === 'id' && names.has(side.name)) params.add(side.name);
      }
    }
    return exits.size || params.size ? { fn, wait, cond, owner: type, fields, exits, params } : undefined;
  }

  /**
   * The other functions of the package that write what the loop tests on an object of the owner's type (its
   * methods, or another type's that walks its owner's items): silent ones, when another one wakes.
   */
  private checkWriters(loop: WaitLoop): void {
    const writers: { fn: FuncNode; pos: Pos; field: string; ends: { pos: Pos; field: string; written: string } | undefined; wakes: boolean }[] = [];
    const ofOwner = (fn: FuncNode, x: Expr) => namedOf(this.graph, fn, x) === loop.owner;
    for (const fn of this.graph.funcs) {
      if (fn === loop.fn || fn.pkg !== loop.fn.pkg || inTestFile(fn)) continue;
      // A function that waits on the cond itself is another waiter taking its turn, not a producer.
      if (this.graph.sites(fn).some((s) => syncMeet(libraryName(s.info)) === 'condWait')) continue;
      const write = fieldWrite(fn, loop.fields, ofOwner);
      if (write) writers.push({ fn, ...write, ends: flagWrite(fn, loop.exits, ofOwner), wakes: this.wakesIn(fn, loop.cond, 0) || this.wokenByCallers(fn, loop.cond) });
    }
    // The convention broken is the writer's own type's: another method of its type that writes the flags wakes.
    const typeOf = (fn: FuncNode) => (fn.decl.recv ? namedTypeName(fn.decl.recv.type) : undefined);
    for (const w of writers) {
      const waking = w.ends && !w.wakes ? writers.find((x) => x.wakes && typeOf(x.fn) === typeOf(w.fn)) : undefined;
      if (waking && w.ends) this.silentWrites.push({ fn: w.fn, ...w.ends, waiter: loop, waking: { fn: waking.fn, pos: waking.pos } });
    }
  }

  /** A Signal on a cond that nothing broadcasts, when this loop's waiters each wait for their own parameter. */
  private checkSignals(loop: WaitLoop): void {
    const [param] = loop.params;
    const wakes = this.wakes.get(loop.cond) ?? [];
    if (param === undefined || wakes.some((w) => w.broadcast) || this.narrowSignals.some((n) => n.waiter.cond === loop.cond)) return;
    const signal = wakes.find((w) => !inTestFile(w.fn));
    if (signal) this.narrowSignals.push({ fn: signal.fn, call: signal.call, waiter: loop, param });
  }

  /** Whether fn signals or broadcasts the cond, itself or down its calls. */
  private wakesIn(fn: FuncNode, cond: ChanId, depth: number): boolean {
    if ((this.wakes.get(cond) ?? []).some((w) => w.fn === fn)) return true;
    if (depth === WAKE_DEPTH) return false;
    return this.graph
      .sites(fn)
      .some((s) => s.info.kind === 'resolved' && s.info.targets.some((t) => PRECISE_HOWS.has(t.how) && this.wakesIn(t.callee, cond, depth + 1)));
  }

  /** Whether every caller of fn wakes the cond's waiters itself (`c.close(); c.cond.Broadcast()`). */
  private wokenByCallers(fn: FuncNode, cond: ChanId): boolean {
    const callers = this.graph.callers(fn).filter((e) => e.mode === 'call');
    return callers.length > 0 && callers.every((e) => this.wakesIn(e.caller, cond, WAKE_DEPTH));
  }
}

/** The first write in a function to one of `fields` of an object of the owner's type (`t.buf = append(...)`, `s.n++`). */
function fieldWrite(fn: FuncNode, fields: ReadonlySet<string>, ofOwner: (fn: FuncNode, x: Expr) => boolean): { pos: Pos; field: string } | undefined {
  for (const st of allStmts(fn.decl.body ?? [])) {
    for (const t of assigned(st)) if (t.k === 'sel' && t.x.k === 'id' && fields.has(t.name) && ofOwner(fn, t.x)) return { pos: st.pos, field: t.name };
  }
  return undefined;
}

/** The first write in a function of the value that ends the loop to one of the owner's flags (`t.closed = true`). */
function flagWrite(fn: FuncNode, exits: ReadonlyMap<string, boolean>, ofOwner: (fn: FuncNode, x: Expr) => boolean): { pos: Pos; field: string; written: string } | undefined {
  for (const st of allStmts(fn.decl.body ?? [])) {
    if (st.k !== 'assign' || st.op !== '=') continue;
    for (const [i, t] of st.lhs.entries()) {
      const v = st.rhs[i];
      if (t.k !== 'sel' || t.x.k !== 'id' || v?.k !== 'lit' || (v.kind !== 'true' && v.kind !== 'false') || !ofOwner(fn, t.x)) continue;
      if (exits.get(t.name) === (v.kind === 'true')) return { pos: st.pos, field: t.name, written: `${t.x.name}.${t.name}` };
    }
  }
  return undefined;
}

/** The operands of a chain of `op` (`a && b && c`), parentheses aside. */
function split(e: Expr, op: '&&' | '||'): Expr[] {
  return e.k === 'binary' && e.op === op ? [...split(e.x, op), ...split(e.y, op)] : [e];
}

/** Atomic writes of a field (`c.state.Store(s)`), by method name. */
const ATOMIC_WRITE_RE = /^(Store|Swap|Add|CompareAndSwap|And|Or)$/;

/**
 * Whether a function changes the state of the cond's owner before it wakes the waiters (`c.cond.Broadcast()`):
 * writes a field of an object of the owner's type, or calls a method of that type that writes one of its own
 * (`c.setState(s)`, which stores `c.state`).
 */
export function changesOwnerBefore(graph: CallGraph, fn: FuncNode, wake: CallExpr): boolean {
  const owner = ownerOf(wake);
  if (!owner) return false;
  const type = namedOf(graph, fn, owner);
  if (!type) return false;
  const ofOwner = (node: FuncNode, x: Expr) => namedOf(graph, node, x) === type;
  for (const st of allStmts(fn.decl.body ?? [])) {
    if (st.pos >= wake.pos) continue;
    if (writesField(graph, fn, st, ofOwner)) return true;
    for (const call of callsInStmt(st)) {
      const info = graph.callInfo(call);
      if (info.kind !== 'resolved') continue;
      for (const t of info.targets) {
        const recv = t.callee.decl.recv;
        if (!PRECISE_HOWS.has(t.how) || !recv?.name || `${t.callee.pkg.importPath}.${namedTypeName(recv.type)}` !== type) continue;
        const own = (_: FuncNode, x: Expr) => x.k === 'id' && x.name === recv.name;
        if (allStmts(t.callee.decl.body ?? []).some((s) => writesField(graph, t.callee, s, own))) return true;
      }
    }
  }
  return false;
}

/** `x.f = v`, `x.f++` or `x.f.Store(v)` with `x` accepted by `of`. */
function writesField(graph: CallGraph, fn: FuncNode, st: Stmt, of: (fn: FuncNode, x: Expr) => boolean): boolean {
  if (assigned(st).some((t) => t.k === 'sel' && of(fn, t.x))) return true;
  return callsInStmt(st).some((c) => c.fn.k === 'sel' && ATOMIC_WRITE_RE.test(c.fn.name) && c.fn.x.k === 'sel' && of(fn, c.fn.x.x) && graph.callInfo(c).kind === 'external');
}

/** The object a cond call's cond is a field of: `s` in `s.cond.Wait()`. */
function ownerOf(call: CallExpr): Expr | undefined {
  const cond = call.fn.k === 'sel' ? call.fn.x : undefined;
  return cond?.k === 'sel' ? cond.x : undefined;
}

/** What a statement writes: the left sides of an assignment (not a declaration), or the target of `x++`. */
function assigned(st: Stmt): readonly Expr[] {
  return st.k === 'assign' && st.op !== ':=' ? st.lhs : st.k === 'incdec' ? [st.x] : [];
}

/** `pkg.Type` of an expression, through one pointer. */
function namedOf(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
  const t = deref(graph.typeOf(fn, e));
  return t.k === 'named' ? `${t.path}.${t.name}` : undefined;
}
