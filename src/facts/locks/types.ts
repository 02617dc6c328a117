/**
 * Lock facts, as data: one acquisition or release of a mutex instance, what calling a function does
 * to its caller's mutexes, and the findings met on the way (re-acquisitions, lock-order edges, locks
 * left held, goroutines meeting through channels, WaitGroups and Conds while holding a lock).
 */
import type { Assumption } from '../../findings.js';
import type { Pos } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import type { CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { ChanId } from '../identity/ids.js';
import type { Lookup } from '../identity/lookups.js';

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
  /**
   * Held on entry by contract, not acquired here: a function that unlocks its caller's lock and locks it
   * again ("lock must be held"). Its steps are the Unlock's. Never a first acquisition in a finding.
   */
  entry?: boolean;
  /** What the engine took for granted to name this instance in the holder's names (a getter's result as its receiver). */
  assumed?: Assumption[];
  /** The lookup whose result names the instance in the holder's names (`q := m.get(k)`; identity/lookups.ts). */
  lookup?: Lookup;
  /** A summary's release that some paths of the function skip: a goroutine started on it may keep the lock. */
  partial?: true;
  /**
   * A release by a goroutine the callee starts (a hand-over), on some paths only: a caller holding the mutex
   * still holds it after the call, on this assumption.
   */
  handOver?: Assumption;
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
  /** That a call named like FailNow returns (`s.Require().FailNow()`): every path to the exit went past one. */
  assumed?: readonly Assumption[];
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
  /** A deferred Done: it runs at the function's exits, after whatever the function took. */
  atExit?: true;
}

/** A mutex, channel or WaitGroup named by its type's field or a package variable: one object wherever it is used. */
export const typeLevel = (id: ChanId) => id.startsWith('field:') || id.startsWith('global:');

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
