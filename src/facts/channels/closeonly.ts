/**
 * Channels that only close: "can a receive from this channel ever yield a value?" — not from a context's `Done()`
 * channel, which the context closes and nothing sends on (the documented contract of context.Context). A `range`
 * over one never runs its body: the loop only waits for the close and leaves, so what the body does is
 * unreachable for every rule.
 */
import type { Expr } from '../../ir.js';
import type { CallGraph } from '../../resolve/callgraph.js';
import { libraryName } from '../calls.js';

/** The standard library's channels that only ever close, by the call that yields them. */
const CLOSE_ONLY = new Set(['context.Context.Done']);

/** Whether `x` is such a channel, as written (`ctx.Done()`). */
export function onlyCloses(graph: CallGraph, x: Expr): boolean {
  if (x.k !== 'call' || x.args.length !== 0) return false;
  const name = libraryName(graph.callInfo(x));
  return name !== undefined && CLOSE_ONLY.has(name);
}
