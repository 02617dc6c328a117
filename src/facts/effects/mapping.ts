/**
 * Effect mapping: "what does this call do, in the caller's names?" — a callee's closes and sends (and
 * its goroutines') re-read at one call: parameters become arguments, the receiver its expression,
 * function-typed parameters the closure passed, conditions the caller's, instance roots lifted; and a
 * callee operation lifted into an OpFact of the caller under the guards at the call.
 */
import type { FuncDecl } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { SideTable } from '../../resolve/side.js';
import type { CallExpr } from '../calls.js';
import type { Conditions } from '../conditions/conditions.js';
import type { Dispatch, Target } from '../dispatch.js';
import type { Defers } from '../goroutines/defers.js';
import type { Goroutines } from '../goroutines/goroutines.js';
import type { ChanId } from '../identity/ids.js';
import type { Identity } from '../identity/identity.js';
import { MADE, nameable, notMade } from '../identity/roots.js';
import { shortName } from '../names.js';
import { exprText } from '../../irtext.js';
import { NO_FACTS, type CallContext, type CallEffects, type CalleeOp, type FuncFacts, type OnceUse, type OpFact, type Step } from './types.js';

/** A call's effects as mapped during the walk numbered `walk`. */
interface EffectsMemo {
  walk: number;
  effects: CallEffects;
}

/**
 * Witness paths longer than this are not lifted further: a close twelve calls down is rarely the one
 * a reader can act on, and unbounded lifting made every function near the top of a program carry
 * everything below it.
 */
const MAX_STEPS = 12;
const NO_EFFECTS: CallEffects = { closes: [], sends: [], async: [], asyncCloses: [], remakes: new Map(), waits: false };
/**
 * Channels one function's facts keep per kind. A function near the top of a large program can reach
 * hundreds; past this many, the orderings that matter are decided by the first ones found, and
 * copying the rest into every caller dominated the run time.
 */
const MAX_FACTS = 64;

/** Calls' effects mapped into their callers, memoized for the duration of one function's walk. */
export class EffectMapping {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly ids: Identity,
    private readonly conds: Conditions,
    private readonly goroutines: Goroutines,
    private readonly defers: Defers,
    /** The callee's facts as computed so far (bottom-up, callees first). */
    private readonly factsOf: (node: FuncNode) => FuncFacts,
  ) {}

  /**
   * Per call with effects: the last walk's. A side table, not a WeakMap: the first use of an IR
   * object as a key costs V8 an identity hash.
   */
  private readonly memos = new SideTable<CallExpr, EffectsMemo>();

  /** The walk whose effects memo is live; 0 when none is (then effects are not kept). */
  private walk = 0;

  private walks = 0;

  /** Memos holding effects of the live walk, released when it ends (kept, they add up to tens of MB). */
  private readonly held: EffectsMemo[] = [];

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

  /**
   * The closes and sends a call in `node` may perform, as ids of `node`. Memoized for the duration of
   * one function's walk: loops iterate to a fixpoint and revisit their calls (kept for the whole
   * program, the memo cost a gigabyte).
   */
  effectsOf(node: FuncNode, call: CallExpr): CallEffects {
    const { targets, waits } = this.dispatch.shapeOf(node, call);
    if (!waits && !targets.some((t) => this.factsOf(t.callee) !== NO_FACTS)) return NO_EFFECTS;
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
      const { spawns } = this.factsOf(callee);
      if (!precise || spawns.size === 0) continue;
      for (const index of spawns) {
        const lit = this.goroutines.boundCall(node, this.dispatch.calledAs(call).args[index]);
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
      const f = this.factsOf(callee);
      // Most callees touch no channel: skip them before building anything.
      if (f === NO_FACTS) continue;
      const receiver = this.dispatch.receiverFor(call, callee);
      if (precise) {
        for (const [id, root] of f.remakes) {
          const mapped = this.ids.mapId(id, node, callee, call);
          if (mapped !== undefined && !remakes.has(mapped)) remakes.set(mapped, this.ids.liftRoot(node, callee, root, call, receiver));
        }
      }
      const roots = new Map<string | undefined, string | undefined>();
      const rootOf = (root: string | undefined) => {
        if (!roots.has(root)) roots.set(root, this.ids.liftRoot(node, callee, root, call, receiver));
        return roots.get(root);
      };
      let step: Step | undefined;
      const map = (from: Map<ChanId, OpFact>, into: CalleeOp[], seen: Set<ChanId>, keep: (root: string | undefined) => boolean) => {
        for (const [id, op] of from) {
          if (into.length >= MAX_FACTS) break;
          if (op.steps.length >= MAX_STEPS) continue;
          let mapped = this.ids.mapId(id, node, callee, call);
          if (mapped === undefined) continue;
          let aliasRoot: [string | undefined] | undefined;
          if (mapped.startsWith('field:')) {
            const alias = this.ids.fieldAlias(node, rootOf(op.root));
            if (alias) [mapped, aliasRoot] = [alias[0], [alias[1]]];
          }
          if (seen.has(mapped)) continue;
          const conds = this.conds.mapConds(node, callee, op.conds, call, receiver);
          // A constant argument rules the operation out: `s.apply(opFlush)` never runs `case opClose:`.
          if (conds === false) continue;
          // A local of the callee (not one it shares with us by capture) is made anew by every call.
          const root = aliasRoot ? aliasRoot[0] : this.foreignLocal(node, mapped) ? MADE : rootOf(op.root);
          if (!keep(root)) continue;
          seen.add(mapped);
          step ??= { node, pos: call.pos, message: `calls ${shortName(callee)}` };
          const recvd = op.recvd.length ? op.recvd.flatMap((r) => this.ids.mapId(r, node, callee, call) ?? []) : op.recvd;
          const onces = op.onces || once ? this.oncesAt(node, callee, call, op.onces, once, rootOf) : undefined;
          into.push({ id: mapped, op, step, root, conds, recvd, once, precise, ...(onces ? { onces } : {}) });
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

  /**
   * The Once objects an operation of `callee` runs under, seen from `node` at `call`: the callee's own,
   * mapped as channels are (a `*sync.Once` parameter becomes the `&t.once` passed), and the Once of
   * `call` itself when it is a `once.Do(f)` running the callee.
   */
  private oncesAt(node: FuncNode, callee: FuncNode, call: CallExpr, inner: OnceUse[] | undefined, viaDo: boolean, rootOf: (r: string | undefined) => string | undefined): OnceUse[] | undefined {
    const out: OnceUse[] = [];
    const add = (id: ChanId | undefined, root: string | undefined, at: Step) => {
      if (id !== undefined) out.push(root === undefined ? { id, at } : { id, root, at });
    };
    if (viaDo && call.fn.k === 'sel') add(this.ids.idOf(node, call.fn.x), this.ids.rootIn(node, call.fn.x), { node, pos: call.pos, message: exprText(call.fn.x) });
    for (const u of inner ?? []) add(this.ids.mapId(u.id, node, callee, call, true), rootOf(u.root), u.at);
    return out.length ? out : undefined;
  }

  /** A channel local to a function other than `node` and those enclosing it: made anew by every call of it. */
  foreignLocal(node: FuncNode, id: ChanId): boolean {
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
      recovers: op.recovers || (!ctx.async && !op.async && (ctx.deferred ? ctx.deferred.recovered : this.defers.recoversIn(node))),
      once: op.once || c.once || ctx.claimed || this.conds.runsOnce(node, ctx.conds),
      async: op.async || ctx.async,
      precise: op.precise && c.precise,
    };
    if (c.onces) lifted.onces = c.onces;
    if (op.afterDone || ctx.deferred?.afterDone) lifted.afterDone = true;
    if (c.root !== undefined) lifted.root = c.root;
    return lifted;
  }
}

function merged<T>(a: ReadonlySet<T>, b: T[]): T[] {
  if (a.size === 0) return b;
  if (b.length === 0) return [...a];
  return [...new Set([...a, ...b])];
}
