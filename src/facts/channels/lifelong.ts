/**
 * Goroutines started once for the process's life: "is this function run only as one goroutine, started once
 * from main's own setup?" — its one caller starts it with `go`, out of any loop, in a function that only main
 * runs, once (directly or down single calls, none in a loop). Such a goroutine may park for good at its end
 * (`go w.Start()` whose `Start` ends in `<-done`): one goroutine, nothing waiting for it to return. Whether it
 * was meant to end is what a finding resting on it names.
 */
import type { Pos } from '../../ir.js';
import type { CallGraph, CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { callsInLoops } from '../calls.js';
import { isProgramMain } from '../names.js';
import { valueUsesOf } from '../program/valueuses.js';

/** How many single calls up from the `go` statement main may be. */
const MAX_DEPTH = 4;

/** Whether the call at `at` in fn runs once per process: fn is main, or runs once from it, and `at` is in no loop. */
function oncePerProcess(graph: CallGraph, fn: FuncNode, at: Pos, depth: number): boolean {
  if (callsInLoops(fn.decl.body ?? []).has(at)) return false;
  if (isProgramMain(fn)) return true;
  const edges = graph.callers(fn);
  if (depth >= MAX_DEPTH || edges.length !== 1 || edges[0]!.mode !== 'call' || valueUsesOf(graph).usedAsValue(fn)) return false;
  return oncePerProcess(graph, edges[0]!.caller, edges[0]!.call.pos, depth + 1);
}

/** The `go` call that starts fn, when it is fn's only caller and runs once per process. */
export function startedOnceForLife(graph: CallGraph, fn: FuncNode): CallerEdge | undefined {
  const edges = graph.callers(fn);
  const only = edges.length === 1 ? edges[0]! : undefined;
  if (only?.mode !== 'go' || valueUsesOf(graph).usedAsValue(fn)) return undefined;
  return oncePerProcess(graph, only.caller, only.call.pos, 0) ? only : undefined;
}
