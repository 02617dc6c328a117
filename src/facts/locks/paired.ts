/**
 * Paired releases: "does every caller of the function that keeps the lock release it afterwards, through a
 * function that releases it without locking it?" — a lock held by design across two calls: a `Setup` that keeps a
 * global lock and the matching `Cleanup` of the same type that releases it (`fw.Setup(t); t.Cleanup(func() {
 * fw.Cleanup(t) })`), or a package's `begin()`/`end()` pair. Told by evidence: each call of the keeper is followed,
 * in the same function or a function literal written there (a deferred call, a cleanup callback), by a call of a
 * releaser on the same receiver variable (or, for package-level functions, by a call of one of the same package).
 * That no call of the keeper is left without its release is what a finding resting on it then names.
 */
import { storageKey } from '../../resolve/bindings.js';
import type { CallerEdge, CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { literalsOf, type CallExpr } from '../calls.js';

/** The keeper's call and the releaser's call that follows it, in the first caller. */
export interface PairedRelease {
  keep: CallerEdge;
  release: { node: FuncNode; call: CallExpr; releaser: FuncNode };
}

/** The pairing of `fn` (which keeps a lock on some return) with one of `releasers`, when every call of `fn` has one. */
export function pairedRelease(graph: CallGraph, fn: FuncNode, releasers: readonly FuncNode[]): PairedRelease | undefined {
  if (releasers.length === 0) return undefined;
  const callers = graph.callers(fn);
  let first: PairedRelease | undefined;
  for (const edge of callers) {
    const release = edge.mode === 'call' ? releaseAfter(graph, edge, releasers) : undefined;
    if (!release) return undefined;
    first ??= { keep: edge, release };
  }
  return first;
}

/** A call of a releaser on the keeper's receiver after the keeper's call, in its caller or a literal written there. */
function releaseAfter(graph: CallGraph, edge: CallerEdge, releasers: readonly FuncNode[]): PairedRelease['release'] | undefined {
  const { caller, call } = edge;
  const keptOn = receiverKey(graph, caller, call);
  if (keptOn === null) return undefined;
  for (const node of [caller, ...literalsOf(caller, graph).values()]) {
    for (const site of graph.sites(node)) {
      if (site.call.pos <= call.pos || site.info.kind !== 'resolved') continue;
      const releaser = site.info.targets.find((t) => releasers.includes(t.callee))?.callee;
      if (releaser && receiverKey(graph, node, site.call) === keptOn) return { node, call: site.call, releaser };
    }
  }
  return undefined;
}

/** The variable a method call is made on (its storage), '' for a package-level function, null for anything else. */
function receiverKey(graph: CallGraph, node: FuncNode, call: CallExpr): string | null {
  const info = graph.callInfo(call);
  // A package-level function (`end()`, `pkg.End()`): no receiver to match.
  if (info.kind === 'resolved' && info.targets.every((t) => !t.callee.decl.recv)) return '';
  if (call.fn.k !== 'sel' || call.fn.x.k !== 'id') return null;
  const st = graph.storageOf(node, call.fn.x);
  return st ? (storageKey(st) ?? null) : null;
}
