/**
 * Freshness: "is this value an object nobody else holds yet?" — a literal, `make`, `new`, or the result of a
 * function of the program whose every return is such a value (a constructor, a helper closure, an interface
 * method whose every implementation allocates: `NewThrottler()`, `startStalledTask(k)`, `client.UDP()`).
 * Two such values are two objects, however alike their types: what tells two instances apart when they are
 * reached by two calls of one helper, or held in two variables.
 */
import type { Expr } from '../../ir.js';
import { isNil } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, type CallExpr } from '../calls.js';

/** Dispatch wider than this is not weighed: one implementation among many that caches is enough to lose it. */
const MAX_TARGETS = 8;

/** Everything assigned to each local of a function (Identity.localSources). */
export type SourcesOf = (node: FuncNode) => ReadonlyMap<string, readonly Expr[]>;

export class Freshness {
  constructor(
    private readonly graph: CallGraph,
    readonly sourcesOf: SourcesOf,
  ) {}

  private readonly returning = new Map<FuncNode, boolean>();

  /** `&T{}`, `T{}`, `make(...)`, `new(...)`, nil, a fresh call, or a local of `node` only ever bound to such values. */
  value(node: FuncNode, e: Expr): boolean {
    if (e.k === 'unary' && e.op === '&') return e.x.k === 'composite';
    if (e.k === 'composite' || isNil(e)) return true;
    if (e.k === 'call') return this.call(e);
    if (e.k !== 'id') return false;
    const st = this.graph.storageOf(node, e);
    return st?.kind === 'local' && st.fn === node.id && this.local(node, st.name);
  }

  /**
   * A local of `node` (by its storage name) only ever bound to fresh values made for it: not copied from
   * another variable (`b := a` holds a's object, however new that is).
   */
  local(node: FuncNode, name: string): boolean {
    const sources = this.sourcesOf(node).get(name) ?? [];
    return sources.length > 0 && sources.every((s) => s.k !== 'id' && this.value(node, s));
  }

  /** `make`/`new`, or a call whose every target returns a fresh value on every return. */
  call(call: CallExpr): boolean {
    const info = this.graph.callInfo(call);
    if (info.kind === 'builtin') return info.name === 'make' || info.name === 'new';
    if (info.kind !== 'resolved' || info.targets.length > MAX_TARGETS) return false;
    return info.targets.every((t) => this.returnsFresh(t.callee));
  }

  /**
   * Whether every return of `fn` hands back a fresh value as its first result. Each function is weighed once:
   * calls lead from function to function, locals only to values that are not other locals, so this ends.
   */
  returnsFresh(fn: FuncNode): boolean {
    const known = this.returning.get(fn);
    if (known !== undefined) return known;
    // A recursive constructor reads as not fresh while it is being weighed.
    this.returning.set(fn, false);
    const returns = allStmts(fn.decl.body ?? []).filter((st): st is Extract<typeof st, { k: 'return' }> => st.k === 'return');
    const out = returns.length > 0 && returns.every((st) => st.values[0] !== undefined && this.value(fn, st.values[0]));
    this.returning.set(fn, out);
    return out;
  }
}
