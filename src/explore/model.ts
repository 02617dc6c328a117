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
   * Channels made with a capacity the code computes (`make(chan T, n)`): its text. The search gives such a buffer
   * one slot (a schedule with one slot is a schedule with more), and a goroutine blocked because it is full is
   * judged only on the assumption that it fills.
   */
  capText?: string;
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
   * `memo` (see Choice) makes a witness decide the same condition the same way until what it reads is written.
   */
  | {
      k: 'choice';
      text: string;
      free?: true;
      memo?: number;
      neg?: true;
      /**
       * No witness may rest on it: it reads what a loop changes each round (`k == n-1` in a goroutine per index),
       * while the model runs a round for many; or it changes what it tests (`n.Add(1) == 2`), a count the model does
       * not keep. Either way a witness deciding it says nothing of a real run, and is not reported.
       */
      blind?: true;
    };

/**
 * An undecided condition as the search remembers it: once a witness has decided it, every later test of it (another
 * round of a loop, a second check of the same state, on any goroutine) goes the same way until a `write` of a
 * variable it reads. Without it a witness could take `if s.closed` both ways with nothing written between.
 */
export interface Choice {
  id: number;
  /** The condition's text with a leading `!` removed (the memo is of the text without it). */
  text: string;
  /** The variables it reads, as model keys (`L:f:c#0.state`). */
  reads: string[];
}

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
  /** `switch` with cases the model cannot decide: one of them runs (`memo`: as for an `if`'s choice). */
  | { k: 'switch'; arms: Block[]; label?: string; memo?: number; at: Location }
  /** Variables assigned (by the code, a range, or an opaque call given their address): the choices reading them are open again. */
  | { k: 'write'; choices: number[] }
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
  /** `t.Errorf`, `assert.Fail`: the test is failed and goes on; what a witness finds past it, it finds in a failed test. */
  | { k: 'failed'; call: string; at: Location }
  | { k: 'defer'; body: Block; at: Location }
  | { k: 'set'; flag: number; value: boolean };

export interface Block {
  id: number;
  /** Fixed once the model is built (finish() drops the writes that matter to no choice). */
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
  /** Conditions a goroutine keeps deciding the same way (see Choice). */
  choices: Choice[];
  /** Operations on objects the model could not identify: a blocked goroutine may have a partner there. */
  unidentified: boolean;
}
