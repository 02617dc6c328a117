/**
 * Cond wake-ups: "can a waiter on a sync.Cond miss the wake-up it waits for?" — read from each Wait loop (what
 * its exit tests), the methods that write what it tests, and the Signal and Broadcast calls on the cond:
 * - a method that changes what a Wait loop tests and wakes nobody, while the type's other writers of it do
 *   (`Close` sets `closed` and broadcasts nothing, `Write` appends and broadcasts): a waiter already asleep
 *   when it runs sleeps on;
 * - a cond that only Signal ever wakes, whose waiters wait for different things (the loop's exit tests the
 *   waiter's own parameter): the one waiter Signal wakes may be waiting for something else and sleep again,
 *   and the waiter the change was for is never woken.
 * Only conds named by a type's field or a package variable, outside test files.
 */
import type { Expr, Pos, Stmt } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { allStmts, callsInStmt, forEachSubExpr, libraryName, PRECISE_HOWS, type CallExpr } from './calls.js';
import type { SyncFacts } from './engine.js';
import type { ChanId } from './identity/ids.js';
import { syncMeet, typeLevel } from './locks/types.js';

type ForStmt = Extract<Stmt, { k: 'for' }>;

/** A Wait inside a loop of a method, and what the loop's exit tests. */
export interface WaitLoop {
  fn: FuncNode;
  wait: CallExpr;
  cond: ChanId;
  /** Fields of the receiver the exit tests (`closed`, `buf`). */
  fields: ReadonlySet<string>;
  /** The waiter's own parameters the exit tests (`duty`). */
  params: ReadonlySet<string>;
}

/** A method that writes a field a Wait loop tests and wakes no waiter, where another writer of it does. */
export interface SilentWrite {
  fn: FuncNode;
  pos: Pos;
  field: string;
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

interface Wake {
  fn: FuncNode;
  call: CallExpr;
  broadcast: boolean;
}

/** How many calls down a method's wake-up is looked for (`Close` calling `wakeAll`). */
const WAKE_DEPTH = 2;

export class CondWakes {
  readonly silentWrites: SilentWrite[] = [];
  readonly narrowSignals: NarrowSignal[] = [];
  private readonly wakes = new Map<ChanId, Wake[]>();
  private readonly graph: CallGraph;

  constructor(private readonly facts: SyncFacts) {
    this.graph = facts.graph;
    const loops: WaitLoop[] = [];
    for (const fn of this.graph.funcs) {
      for (const site of this.graph.sites(fn)) {
        const kind = syncMeet(libraryName(site.info));
        if ((kind !== 'condWait' && kind !== 'signal') || site.call.fn.k !== 'sel') continue;
        const id = facts.ids.idOf(fn, site.call.fn.x);
        if (id === undefined || !typeLevel(id)) continue;
        if (kind === 'signal') this.wakes.set(id, [...(this.wakes.get(id) ?? []), { fn, call: site.call, broadcast: libraryName(site.info)!.endsWith('Broadcast') }]);
        else if (!fn.file.path.endsWith('_test.go')) {
          const loop = this.waitLoop(fn, site.call, id);
          if (loop) loops.push(loop);
        }
      }
    }
    for (const loop of loops) this.checkWriters(loop);
    for (const loop of loops) this.checkSignals(loop);
  }

  /** The innermost loop of a method around its Wait, and the receiver's fields and the parameters its exit tests. */
  private waitLoop(fn: FuncNode, wait: CallExpr, cond: ChanId): WaitLoop | undefined {
    const recv = fn.decl.recv?.name;
    const body = fn.decl.body;
    if (!recv || !body) return undefined;
    const around = allStmts(body).filter((st): st is ForStmt => st.k === 'for' && allStmts(st.body).some((s) => callsInStmt(s).includes(wait)));
    const loop = around.at(-1);
    if (!loop) return undefined;
    const params = new Set(fn.decl.params.flatMap((p) => (p.name && p.name !== '_' ? [p.name] : [])));
    const fields = new Set<string>();
    const tested = new Set<string>();
    const read = (e: Expr | undefined): void => {
      if (!e) return;
      if (e.k === 'sel' && e.x.k === 'id' && e.x.name === recv) fields.add(e.name);
      else if (e.k === 'id' && params.has(e.name)) tested.add(e.name);
      forEachSubExpr(e, read);
    };
    read(loop.cond);
    for (const st of allStmts(loop.body)) {
      if (st.k === 'if') read(st.cond);
      else if (st.k === 'for') (read(st.cond), read(st.range?.x));
    }
    return fields.size || tested.size ? { fn, wait, cond, fields, params: tested } : undefined;
  }

  /** The other methods of the waiter's type that write what its loop tests: silent ones, when another one wakes. */
  private checkWriters(loop: WaitLoop): void {
    const type = receiverType(loop.fn);
    const writers: { fn: FuncNode; pos: Pos; field: string; wakes: boolean }[] = [];
    for (const fn of this.graph.funcs) {
      if (fn === loop.fn || fn.pkg !== loop.fn.pkg || receiverType(fn) !== type || fn.file.path.endsWith('_test.go')) continue;
      // A method that waits on the cond itself is another waiter taking its turn, not a producer.
      if (this.graph.sites(fn).some((s) => syncMeet(libraryName(s.info)) === 'condWait')) continue;
      const write = fieldWrite(fn, loop.fields);
      if (write) writers.push({ fn, ...write, wakes: this.wakesIn(fn, loop.cond, 0) || this.wokenByCallers(fn, loop.cond) });
    }
    const waking = writers.find((w) => w.wakes);
    if (!waking) return;
    for (const w of writers) if (!w.wakes) this.silentWrites.push({ fn: w.fn, pos: w.pos, field: w.field, waiter: loop, waking: { fn: waking.fn, pos: waking.pos } });
  }

  /** A Signal on a cond that nothing broadcasts, when this loop's waiters each wait for their own parameter. */
  private checkSignals(loop: WaitLoop): void {
    const [param] = loop.params;
    const wakes = this.wakes.get(loop.cond) ?? [];
    if (param === undefined || wakes.some((w) => w.broadcast) || this.narrowSignals.some((n) => n.waiter.cond === loop.cond)) return;
    const signal = wakes.find((w) => !w.fn.file.path.endsWith('_test.go'));
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

/** The receiver's type name of a method, undefined for a function. */
function receiverType(fn: FuncNode): string | undefined {
  let t = fn.decl.recv?.type;
  if (t?.k === 'ptr') t = t.elem;
  return t?.k === 'name' ? t.name : undefined;
}

/** The first write in a method to one of its receiver's fields in `fields` (`t.closed = true`, `t.n++`). */
function fieldWrite(fn: FuncNode, fields: ReadonlySet<string>): { pos: Pos; field: string } | undefined {
  const recv = fn.decl.recv?.name;
  if (!recv) return undefined;
  const field = (e: Expr) => (e.k === 'sel' && e.x.k === 'id' && e.x.name === recv && fields.has(e.name) ? e.name : undefined);
  for (const st of allStmts(fn.decl.body ?? [])) {
    const targets = st.k === 'assign' && st.op !== ':=' ? st.lhs : st.k === 'incdec' ? [st.x] : [];
    for (const t of targets) {
      const name = field(t);
      if (name) return { pos: st.pos, field: name };
    }
  }
  return undefined;
}
