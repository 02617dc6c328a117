/**
 * Effects, as data: one close or send as seen from some function (OpFact, with its witness path and
 * guards), a function's channel effects (FuncFacts), and a call's effects named in the caller
 * (CallEffects) before they are lifted under the guards at the call (CallContext).
 */
import type { Pos } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { claimedOn } from '../claims.js';
import type { Atom } from '../conditions/atoms.js';
import type { ChanId } from '../identity/ids.js';
import type { GuardState } from '../guarded.js';

export interface Step {
  node: FuncNode;
  pos: Pos;
  message: string;
}

/**
 * A `sync.Once` whose `Do` runs an operation (`s.once.Do(func() { close(s.done) })`), named in the
 * function holding the fact: two operations behind one Once never both run.
 */
export interface OnceUse {
  id: ChanId;
  /** The instance it is reached through, as OpFact.root. */
  root?: string;
  /** The `Do` call; its message is the Once as written there (`s.once`). */
  at: Step;
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
  /** The Once objects whose `Do` calls on the path run it, outermost first; absent when none. */
  onces?: OnceUse[];
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
  /** The Once objects on the path, the one of this call included, as ids of the caller (see OpFact.onces). */
  onces?: OnceUse[];
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

/** The guards in force at a call, which every operation it reaches inherits (not the caller's `passed`, its own path's). */
export interface CallContext extends Omit<GuardState, 'passed' | 'held' | 'claims' | 'flags'> {
  async: boolean;
  /**
   * For a deferred call: whether a recover deferred before it (so running after it) catches its
   * panics, and whether it runs after the goroutine's `WaitGroup.Done`.
   */
  deferred?: { recovered: boolean; afterDone: boolean };
}

/** The guards of a deferred call: none of the locks held where it is deferred are held when it runs. */
export const NO_LOCKS: ReadonlySet<string> = new Set();
export const NO_SPAWNS: ReadonlySet<number> = new Set();
export const NO_CONTESTED: ReadonlySet<ChanId> = new Set();
/** The facts of a function that touches no channel, shared: callers compare against it to skip it. */
export const NO_FACTS: FuncFacts = { closes: new Map(), sends: new Map(), async: new Map(), asyncCloses: new Map(), remakes: new Map(), spawns: NO_SPAWNS, contested: NO_CONTESTED };

/** The guards at a call, as the operations it reaches inherit them. */
export function contextAt(g: GuardState, async: boolean): CallContext {
  return { locks: g.locks, conds: g.conds, tests: g.tests, sets: g.sets, recvd: g.recvd, waited: g.waited, claimed: claimedOn(g), async };
}
