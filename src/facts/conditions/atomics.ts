/**
 * Atomics in conditions: which variable an atomic load, swap, compare-and-swap or counter reads or
 * changes, so that `if atomic.LoadInt32(&s.closed) == 1` is a condition on `s.closed`.
 */
import type { Expr } from '../../ir.js';

/** Methods that write the value they are called on: atomics and their wrappers. */
export const STORE_RE = /^(Store|Swap|CompareAndSwap|Add|Inc|Dec|Set|Reset)/;

/** The value an atomic load in a condition reads: `atomic.LoadInt32(&m.shutdown)`, `m.shutdown.Load()`. */
export function loadTarget(e: Expr): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel') return undefined;
  // `atomic.LoadInt32(&x)` or `x.Load()`, not a map's `m.Load(key)`.
  const pkg = e.fn.x.k === 'id' && e.fn.x.name === 'atomic';
  return e.args.length === (pkg ? 1 : 0) ? atomicTarget(e, /^Load(Int32|Int64|Uint32|Uint64|Pointer)?$/) : undefined;
}

/** The value a swap-like call in a condition changes: `s.closed.Swap(true)`, `atomic.CompareAndSwapInt32(&s.state, 0, 1)`. */
export function swapTarget(e: Expr): Expr | undefined {
  return atomicTarget(e, /^(swap|Swap|CompareAndSwap)/);
}

const ATOMIC_ADD_RE = /^Add(Int32|Int64|Uint32|Uint64)?$/;

/** `atomic.AddInt32(&s.pending, -1)`, `s.pending.Add(-1)`: compared with 0, only the caller that counted down to it sees it. */
export function countedDown(x: Expr, y: Expr): Expr | undefined {
  const zero = (e: Expr) => e.k === 'lit' && e.zero === true;
  if (zero(y)) return atomicTarget(x, ATOMIC_ADD_RE);
  return zero(x) ? atomicTarget(y, ATOMIC_ADD_RE) : undefined;
}

/** The variable an atomic call acts on: `atomic.F(&x, ...)`'s pointee, or the receiver of a method of an atomic type. */
function atomicTarget(e: Expr, method: RegExp): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'sel' || !method.test(e.fn.name)) return undefined;
  const target = e.fn.x.k === 'id' && e.fn.x.name === 'atomic' ? e.args[0] : e.fn.x;
  return target?.k === 'unary' && target.op === '&' ? target.x : target;
}
