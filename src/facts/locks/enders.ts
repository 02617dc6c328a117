/**
 * Wait enders: "which mutexes must a goroutine take before it gets to the operation that ends another's
 * wait?" — a Done, a Signal, or the receive (send, close) on the other side of a channel — the locks its own
 * calls take on the way, down synchronous calls into the program at any depth, and every lock of a loop
 * around the operation, which the goroutine takes before it comes round to it again (a run loop that locks
 * in one select case and receives in another). So a Wait under a mutex is matched with a Done that a
 * helper's Lock keeps from running (`defer wg.Done()` in a loop that calls `s.Self()`, which locks `s.mu`).
 * Also: the blocking channel operations of a function, for a caller that calls it holding a lock (a
 * `resetTimer` helper that sends, called under `mu`). Only mutexes named by type and field or by a package variable
 * count: each is one mutex wherever it is taken.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { exprKey } from '../../irutil.js';
import type { ChanId } from '../identity/ids.js';
import type { SyncFacts } from '../engine.js';
import type { LockCalls } from './calls.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
import { syncMeet, typeLevel, type LockMode, type Meet } from './types.js';
import { selectCases } from './walk.js';

/** Mutexes by id, with `w` when some acquisition is a write lock. */
export type Taken = ReadonlyMap<ChanId, LockMode>;

const NONE: Taken = new Map();
const NO_CONDS = new Set<never>();
/** Enough to tell whether one mutex is among them; a function taking more is judged on these. */
const MAX_TAKEN = 64;

export class WaitEnders {
  private readonly taking = new Map<FuncNode, Taken>();
  private readonly channels = new Map<FuncNode, Meet[]>();

  constructor(
    private readonly facts: SyncFacts,
    private readonly calls: LockCalls,
  ) {}

  /**
   * The Done and Signal calls, and the channel operations, of the functions the lock walk skipped because
   * they lock nothing themselves: meets with nothing held and nothing taken by their own hand (what their
   * calls take, takenOnTheWay answers).
   */
  unwalked(walked: ReadonlySet<FuncNode>): Meet[] {
    const out: Meet[] = [];
    for (const fn of this.facts.graph.funcs) {
      if (walked.has(fn)) continue;
      out.push(...this.channelMeets(fn));
      for (const site of this.facts.graph.sites(fn)) {
        const kind = site.mode === 'go' ? undefined : syncMeet(libraryName(site.info));
        if ((kind !== 'done' && kind !== 'signal') || site.call.fn.k !== 'sel') continue;
        const id = this.facts.ids.idOf(fn, site.call.fn.x);
        if (id === undefined || !typeLevel(id)) continue;
        const atExit = site.mode === 'defer' ? { atExit: true as const } : {};
        out.push({ fn, kind, id, display: exprKey(site.call.fn.x) ?? 'WaitGroup', pos: site.call.pos, blocks: false, held: [], took: [], ...atExit });
      }
    }
    return out;
  }

  /**
   * The mutexes a Done's or Signal's function may take before it gets (back) to it: its calls before it and
   * those of the loops around it (every call's, for a deferred Done: it runs at the exits).
   */
  takenOnTheWay(meet: Meet): Taken {
    if (meet.atExit) return this.takenIn(meet.fn, () => true);
    const around = loopsOf(meet.fn).filter((loop) => loop.has(meet.pos));
    return this.takenIn(meet.fn, (call) => call.pos < meet.pos || around.some((loop) => loop.has(call.pos)));
  }

  /**
   * The mutexes a channel operation's function may take in the loops around it, before it comes round to
   * it again. (Not those it takes once before it: a receiver that locks to register and then waits has
   * handed the sender its channel under that lock, so the sender cannot be holding it first.)
   */
  takenRoundTheLoop(meet: Meet): Taken {
    const around = loopsOf(meet.fn).filter((loop) => loop.has(meet.pos));
    return around.length ? this.takenIn(meet.fn, (call) => around.some((loop) => loop.has(call.pos))) : NONE;
  }

  /** A function's sends and receives that may block, as meets holding nothing yet (the caller's locks are added). */
  blockingIn(fn: FuncNode): Meet[] {
    return this.channelMeets(fn).filter((m) => m.blocks && m.kind !== 'close');
  }

  /** A function's operations on channels named by type and field or package variable, as meets holding nothing. */
  private channelMeets(fn: FuncNode): Meet[] {
    let out = this.channels.get(fn);
    if (out) return out;
    out = [];
    for (const { kind, ch, pos, blocks } of channelOps(fn)) {
      const id = this.facts.ids.idOf(fn, ch);
      if (id !== undefined && typeLevel(id)) out.push({ fn, kind, id, display: exprKey(ch) ?? 'channel', pos, blocks, held: [], took: [] });
    }
    this.channels.set(fn, out);
    return out;
  }

  /** The mutexes a function may take, itself or down its synchronous calls, at the calls `at` admits. */
  private takenIn(fn: FuncNode, at: (call: CallExpr) => boolean): Taken {
    const out = new Map<ChanId, LockMode>();
    const take = (id: ChanId, mode: LockMode) => {
      if (out.get(id) !== 'w' && (out.has(id) || out.size < MAX_TAKEN)) out.set(id, mode);
    };
    for (const site of this.facts.graph.sites(fn)) {
      if (site.mode !== 'call' || !at(site.call)) continue;
      const p = this.calls.primitive(fn, site.call, NO_CONDS);
      if (p) {
        if (p.op && p.prim.verb !== 'unlock' && typeLevel(p.op.id)) take(p.op.id, p.op.mode);
        continue;
      }
      for (const t of this.facts.dispatch.targetsOf(fn, site.call)) {
        if (!t.precise) continue;
        for (const [id, mode] of this.mayTake(t.callee)) take(id, mode);
      }
    }
    return out;
  }

  private mayTake(fn: FuncNode): Taken {
    const known = this.taking.get(fn);
    if (known) return known;
    // A cycle of calls sees what its members take outside the cycle only.
    this.taking.set(fn, NONE);
    const out = this.takenIn(fn, () => true);
    this.taking.set(fn, out.size ? out : NONE);
    return out;
  }
}

const loopsByFn = new WeakMap<FuncNode, ReadonlySet<Pos>[]>();

/** Per `for` statement of a function's body, the positions of the statements, cases and expressions inside it. */
function loopsOf(fn: FuncNode): ReadonlySet<Pos>[] {
  let out = loopsByFn.get(fn);
  if (out) return out;
  out = [];
  for (const st of allStmts(fn.decl.body ?? [])) {
    if (st.k !== 'for') continue;
    const inside = new Set<Pos>();
    const body: Stmt[] = st.post ? [...st.body, st.post] : st.body;
    for (const inner of allStmts(body)) {
      inside.add(inner.pos);
      if (inner.k === 'select') for (const c of inner.cases) inside.add(c.pos);
    }
    forEachExpr(body, (e) => inside.add(e.pos));
    for (const e of [st.cond, st.range?.x]) if (e) forEachExpr([{ k: 'expr', x: e, pos: e.pos }], (x) => inside.add(x.pos));
    out.push(inside);
  }
  loopsByFn.set(fn, out);
  return out;
}

/** A function's sends, receives and closes; those that are select cases do not block. */
function channelOps(fn: FuncNode): { kind: 'send' | 'recv' | 'close'; ch: Expr; pos: Pos; blocks: boolean }[] {
  const body = fn.decl.body ?? [];
  const cases = selectCases(fn);
  const out: { kind: 'send' | 'recv' | 'close'; ch: Expr; pos: Pos; blocks: boolean }[] = [];
  for (const st of allStmts(body)) {
    if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') out.push({ kind: 'recv', ch: c.ch, pos: c.ch.pos, blocks: false });
    if (st.k === 'send') out.push({ kind: 'send', ch: st.ch, pos: st.pos, blocks: !cases.has(st.pos) });
  }
  forEachExpr(body, (e) => {
    if (e.k === 'unary' && e.op === '<-' && !cases.has(e.x)) out.push({ kind: 'recv', ch: e.x, pos: e.x.pos, blocks: true });
    if (e.k === 'call' && e.fn.k === 'id' && e.fn.name === 'close' && e.args.length === 1) out.push({ kind: 'close', ch: e.args[0]!, pos: e.pos, blocks: false });
  });
  return out;
}
