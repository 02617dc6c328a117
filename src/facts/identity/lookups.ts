/**
 * Lookups: "which lookup gave this local its object, and under which key?" — `q := m.get(RootName)`. Identity
 * reads a local taken from a method's result as the object the method was called on (roots.ts), so two locals
 * from one lookup method denote one object by that reading whatever their arguments. Two results of the same
 * lookup (the same call written on the same receiver, in one function) under different constant arguments are
 * objects the code keeps apart on purpose (the root quota and the system quota of one manager): that they are one
 * object is not proven, and a finding resting on it says so. The same key, or a key not constant, is no evidence
 * either way.
 */
import type { Expr } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { CallExpr } from '../calls.js';

/** A local's object as the result of a lookup call in `node`. */
export interface Lookup {
  node: FuncNode;
  call: CallExpr;
  /** The local, as written. */
  name: string;
  /** Each argument as a constant (a constant's name, a literal's text); undefined where not constant. */
  keys: readonly (string | undefined)[];
}

/** The lookup `call` (the one source of the local `name` in `node`) as a Lookup. */
export function lookupOf(graph: CallGraph, node: FuncNode, name: string, call: CallExpr): Lookup {
  return { node, call, name, keys: call.args.map((a) => constantKey(graph, node, a)) };
}

/** A constant argument: a constant's name (CallGraph.constantOf), or a string or number literal's text. */
function constantKey(graph: CallGraph, node: FuncNode, e: Expr): string | undefined {
  if (e.k === 'lit' && (e.kind === 'string' || e.kind === 'int' || e.kind === 'rune') && e.text !== undefined) return e.text;
  return graph.constantOf(node, e);
}

/**
 * Whether two lookups are the same method on the same receiver in one function, under constant arguments that
 * differ (a constant's name or a literal other than the other's): their results are not proven one object.
 */
export function differentKeys(a: Lookup | undefined, b: Lookup | undefined): boolean {
  if (!a || !b || a.node !== b.node || a.call === b.call || a.keys.length !== b.keys.length) return false;
  if (exprText(a.call.fn, true) !== exprText(b.call.fn, true)) return false;
  return a.keys.some((k, i) => k !== undefined && b.keys[i] !== undefined && k !== b.keys[i]);
}
