/**
 * The lock state a walk carries along a path (held for sure, maybe held, taken, deferred, tried), its
 * join, and what a walked function leaves for the acquisitions pass.
 */
import type { CallExpr } from '../calls.js';
import type { Atom } from '../conditions/atoms.js';
import type { LockOp } from './types.js';
import { fieldwiseEqual, fieldwiseJoin } from '../../flow/walk.js';

/** Per path: the mutexes held, keyed by instance and mode. */
export interface LockState {
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
  /** Released without being held here, on every path here (by the function or a goroutine it started). */
  gave: ReadonlySet<string>;
}

/** Witness paths are cut here, as channel facts are: a lock twelve calls down is not one a reader acts on. */
export const MAX_STEPS = 12;
/** Acquisitions one summary keeps: a function near the top of a program reaches hundreds. */
export const MAX_TAKES = 24;
export const NO_TAKES: LockOp[] = [];
export const NO_KEYS: ReadonlySet<string> = new Set();
export const ENTRY: LockState = { must: new Map(), may: NO_KEYS, took: NO_KEYS, deferred: NO_KEYS, tried: NO_KEYS, gave: NO_KEYS };

/** A call of a walked function and the lock state there (its last visit: a loop's fixpoint). */
export interface CallState {
  must: ReadonlyMap<string, LockOp>;
  may: ReadonlySet<string>;
  conds: ReadonlySet<Atom>;
}

/** What the walk of a function that handles locks itself leaves for the acquisitions pass. */
export interface Walked {
  /** Its own acquisitions (and its lock helpers'), each before the function held that mutex. */
  direct: LockOp[];
  /** Its synchronous calls with a target, and the locks around each. */
  calls: Map<CallExpr, CallState>;
  /** Its `go` statements' calls, and what it certainly holds at each. */
  spawns: Map<CallExpr, ReadonlyMap<string, LockOp>>;
  /** The instances held on entry by contract (see LockOp.entry): taking them again is no acquisition for callers. */
  entry: ReadonlySet<string>;
}

export const keyOf = (op: Pick<LockOp, 'id' | 'root' | 'mode'>) => `${op.id}\0${op.root}\0${op.mode}`;
export const instanceOf = (key: string) => key.slice(0, key.lastIndexOf('\0'));

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  for (const x of b) if (!a.has(x)) return new Set([...a, ...b]);
  return a;
}

function intersection(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a === b || a.size === 0) return a;
  if (b.size === 0) return b;
  for (const x of a) if (!b.has(x)) return new Set([...a].filter((k) => b.has(k)));
  return a;
}

function sameKeys(a: ReadonlySet<string> | ReadonlyMap<string, unknown>, b: ReadonlySet<string> | ReadonlyMap<string, unknown>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

export function with_(s: ReadonlySet<string>, k: string): ReadonlySet<string> {
  return s.has(k) ? s : new Set([...s, k]);
}

export function without(s: ReadonlySet<string>, k: string): ReadonlySet<string> {
  if (!s.has(k)) return s;
  const out = new Set(s);
  out.delete(k);
  return out;
}

export const domain = {
  join: fieldwiseJoin<LockState>({
    must: (a, b) => (sameKeys(a, b) ? a : new Map([...a].filter(([k]) => b.has(k)))),
    may: union,
    took: union,
    deferred: union,
    tried: union,
    gave: intersection,
  }),
  equal: fieldwiseEqual<LockState>({
    must: sameKeys,
    may: sameKeys,
    took: sameKeys,
    deferred: sameKeys,
    tried: sameKeys,
    gave: sameKeys,
  }),
};

