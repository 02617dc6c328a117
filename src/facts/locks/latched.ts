/**
 * A read lock kept only once its owner is shut: "does the return that leaves holding this lock run only after a
 * flag is set that the program never clears?" (`mu.RLock(); if h.closed { return }; ...; mu.RUnlock()`, where the
 * program writes `h.closed` nowhere but `h.closed = true`, in `Close`). A read lock left held blocks writers only:
 * other readers still get it. So the leak matters only if some function write-locks the mutex after the flag is
 * set, which an owner's shutdown usually rules out by design and the engine cannot decide: the missing-unlock rule
 * names it as the finding's assumption. A write lock kept that way blocks every later reader too: not asked.
 */
import type { Expr, Pos } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { decidingBranches } from '../evidence/branches.js';
import { fieldStores } from '../identity/stores.js';

export interface Latch {
  /** The flag as the condition writes it (`h.closed`). */
  text: string;
  /** A function that sets it. */
  setter: FuncNode;
}

/** The flag a condition tests and the value it needs for the branch taken `taken`: `!h.closed` taken false needs it true. */
function tested(cond: Expr, taken: boolean): { flag: Expr; value: boolean } | undefined {
  if (cond.k === 'unary' && cond.op === '!') return tested(cond.x, !taken);
  return cond.k === 'sel' ? { flag: cond, value: taken } : undefined;
}

/**
 * The functions that set field `name` of `owner` to true, when the program writes it no other way once the struct
 * is made (a literal may start it false), and never takes its address; undefined otherwise. A store whose owner the
 * typer does not know may be to this field: it counts.
 */
function onlySetTrue(graph: CallGraph, owner: string, name: string): FuncNode[] | undefined {
  const { stores, addressed } = fieldStores(graph);
  if (addressed.has(name)) return undefined;
  const setters: FuncNode[] = [];
  for (const s of stores.get(name) ?? []) {
    if (s.made || (s.owner !== undefined && s.owner !== owner)) continue;
    if (s.value?.k !== 'lit' || s.value.kind !== 'true') return undefined;
    if (!setters.includes(s.node)) setters.push(s.node);
  }
  return setters.length > 0 ? setters : undefined;
}

/** The latch the return at `exit` of `fn` needs set: a branch deciding it that requires such a flag true. */
export function latchedExit(graph: CallGraph, fn: FuncNode, exit: Pos | undefined): Latch | undefined {
  if (exit === undefined) return undefined;
  for (const b of decidingBranches(fn.decl.body ?? [], exit) ?? []) {
    if (b.kind !== 'if' || b.taken === undefined || b.conds.length !== 1) continue;
    const t = tested(b.conds[0]!, b.taken);
    const field = t?.value ? graph.storageOf(fn, t.flag) : undefined;
    const setters = field?.kind === 'field' ? onlySetTrue(graph, field.owner, field.field) : undefined;
    if (setters) return { text: exprText(t!.flag), setter: setters[0]! };
  }
  return undefined;
}
