/**
 * The goroutine model the explorer searches: what one entry (a function that starts goroutines) can do to
 * its sync objects, as plain data. Each goroutine is a block of instructions; branches the model cannot
 * decide are choices, and a witness that takes one records the choice as an assumption.
 */
import type { Location } from '../findings.js';

export type ObjKind = 'chan' | 'mutex' | 'wg' | 'once' | 'timer';

export interface Obj {
  id: number;
  kind: ObjKind;
  /** As a message names it: `ch`, `s.done`. */
  name: string;
  /** Made inside the entry (not a field, parameter or global that code outside the entry also reaches). */
  local: boolean;
  /** Channels: buffer size, when known (undefined: not known, e.g. `make(chan T, n)`). */
  cap?: number;
  /** A channel variable declared and never made: every operation on it blocks, close panics. */
  nil?: boolean;
  /** Why code outside the model may also use it (passed to an unmodelled call, stored, returned ...). */
  escapes?: string;
  /**
   * Made anew, or reached through a range variable, each time round a loop, while the model runs one
   * instruction for every round: its operations in two rounds may be on different objects.
   */
  perIteration?: true;
  /** Where it is made, for messages. */
  at?: Location;
}

/** A bool the model tracks (a `closed` flag, the `ok` of a receive), with its value when the entry starts. */
export interface Flag {
  id: number;
  name: string;
  /** Undefined: not known when the entry starts (a field of an object made outside). */
  initial?: boolean;
}

export type Cond =
  | { k: 'const'; value: boolean }
  | { k: 'flag'; flag: number; neg: boolean }
  /**
   * Not decided by the model: either way is possible. Whichever way a witness takes is an assumption, unless
   * the choice is `free`: a test of an error the program got (`err != nil`), which a real run can take either way.
   */
  | { k: 'choice'; text: string; free?: true };

export interface SelectCase {
  dir: 'send' | 'recv';
  ch: number;
  /** A receive's `ok`, when the case binds it. */
  ok?: number;
  body: Block;
  at: Location;
}

export type Instr =
  | { k: 'send'; ch: number; at: Location }
  | { k: 'recv'; ch: number; ok?: number; at: Location }
  | { k: 'close'; ch: number; at: Location }
  | { k: 'select'; cases: SelectCase[]; dflt?: Block; label?: string; at: Location }
  | { k: 'lock'; mu: number; read: boolean; at: Location }
  | { k: 'unlock'; mu: number; read: boolean; at: Location }
  /** WaitGroup.Add(n); Done is Add(-1). */
  | { k: 'add'; wg: number; n: number; at: Location }
  | { k: 'wait'; wg: number; at: Location }
  | { k: 'once'; once: number; body: Block; at: Location }
  | { k: 'go'; body: Block; name: string; at: Location }
  /** An inlined call: its own scope for `return` and `defer`. */
  | { k: 'call'; body: Block; name: string; at: Location }
  | { k: 'if'; cond: Cond; then: Block; else: Block; at: Location }
  /** `switch` with cases the model cannot decide: one of them runs. */
  | { k: 'switch'; arms: Block[]; label?: string; at: Location }
  /**
   * `forever`: `for {}`; `maybe`: a condition the model does not know, re-tested each time round; `counted`: a
   * range over a collection or a counted loop, run once or twice; `rangeCh`: `for v := range ch`.
   */
  | {
      k: 'loop';
      shape: 'forever' | 'maybe' | 'counted';
      rangeCh?: number;
      /** Counted loops over one collection or bound (`range jobs`, `i < len(jobs)`) run equally often. */
      over?: number;
      body: Block;
      label?: string;
      bounded: boolean;
      at: Location;
    }
  | { k: 'break'; label?: string; at: Location }
  | { k: 'continue'; label?: string; at: Location }
  | { k: 'return'; at: Location }
  /** t.Fatal, runtime.Goexit: the goroutine ends, its defers run. */
  | { k: 'goexit'; at: Location }
  /** os.Exit, log.Fatal, panic: the program ends. */
  | { k: 'exit'; at: Location }
  | { k: 'defer'; body: Block; at: Location }
  | { k: 'set'; flag: number; value: boolean };

export interface Block {
  id: number;
  instrs: Instr[];
  /** A function body with a deferred recover(): panics in it are caught, so they are not verdicts. */
  recovers?: true;
}

export interface EntryModel {
  /** The function whose run is explored: goroutine 0. */
  entry: string;
  main: Block;
  objs: Obj[];
  flags: Flag[];
  /** How many distinct collections or bounds counted loops run over (see the loop's `over`). */
  loopBounds: number;
  /** Operations on objects the model could not identify: a blocked goroutine may have a partner there. */
  unidentified: boolean;
}
