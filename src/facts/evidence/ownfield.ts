/**
 * The receiver's own field: "does this call hand the callee a field of the very object it runs on?"
 * A method that compares what it is passed with a field of its receiver (`if id == m.id { return }`: skip
 * our own messages) is asked by a caller that passes that field of that same receiver (`m.handle(m.id)`, or
 * a message built with it): the comparison holds at that call, provided the field cannot change in between.
 * It cannot when the program only ever sets it as the struct is made (`&Manager{id: newID()}`): no
 * assignment, `++`, or address taken anywhere.
 */
import type { Expr } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, type CallExpr } from '../calls.js';
import { fieldStores } from '../identity/stores.js';
import type { Parts } from './assume.js';
import type { Written } from './options.js';

/** A parameter of `fn` (its receiver too) that `fn` never assigns: one object for the whole call. */
function fixedParam(parts: Parts, fn: FuncNode, e: Expr): boolean {
  const s = e.k === 'id' ? parts.graph.storageOf(fn, e) : undefined;
  if (s?.kind !== 'param' || s.fn !== fn.id || e.k !== 'id') return false;
  return !allStmts(fn.decl.body ?? []).some((st) => st.k === 'assign' && st.lhs.some((l) => l.k === 'id' && l.name === e.name));
}

/** Whether the program sets field `name` of `owner` only in struct literals, and never takes its address. */
function setOnlyWhenMade(parts: Parts, owner: string, name: string): boolean {
  const { stores, addressed } = fieldStores(parts.graph);
  if (addressed.has(name)) return false;
  return (stores.get(name) ?? []).every((s) => s.made || (s.owner !== undefined && s.owner !== owner));
}

/**
 * Whether `passed` (what `call` in `caller` gives the callee for one side of a comparison) is the field
 * `other` reads of the callee's receiver (`m.id`), taken from the same object the call runs on.
 */
export function ownField(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, passed: Written, other: Expr): boolean {
  if (other.k !== 'sel' || other.x.k !== 'id' || passed.fn !== caller || passed.e.k !== 'sel' || passed.e.name !== other.name) return false;
  const self = parts.graph.storageOf(callee, other.x);
  if (self?.kind !== 'param' || self.fn !== callee.id || self.index !== -1) return false;
  const recv = parts.dispatch.receiverFor(call, callee);
  const base = passed.e.x;
  if (recv?.k !== 'id' || base.k !== 'id' || recv.name !== base.name || !fixedParam(parts, caller, recv) || !fixedParam(parts, caller, base)) return false;
  const field = parts.graph.storageOf(callee, other);
  return field?.kind === 'field' && setOnlyWhenMade(parts, field.owner, field.field);
}
