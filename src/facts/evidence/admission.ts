/**
 * Senders admitted under a flag: "can this send follow that close, when each sender is admitted under a lock
 * the closer shuts?" — the sender, holding mutex L, leaves if flag F is set and otherwise joins WaitGroup W
 * (`mu.Lock(); if s.closed { return }; s.wg.Add(1); mu.Unlock(); defer s.wg.Done(); ... s.ch <- v`); the
 * closer sets F under L, then waits on W, then closes. A sender admitted before the closer took L is waited
 * for; one admitted after finds F set and never sends. Decided when F is written nowhere but to true.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsIn, callsInSimple, libraryName, literalsOf, type CallExpr } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import { stateOf } from './state.js';

/** A sync method call on a field or global: `s.mu.Lock()` as `{ name: 'Lock', key: 'field:pkg.S.mu' }`. */
function syncCall(graph: CallGraph, fn: FuncNode, c: CallExpr): { name: string; key: string } | undefined {
  if (c.fn.k !== 'sel' || !libraryName(graph.callInfo(c))?.startsWith('sync.')) return undefined;
  const key = stateOf(graph, fn, c.fn.x)?.key;
  return key && /^(field|global):/.test(key) ? { name: c.fn.name, key } : undefined;
}

/** The statement of a body (in source order) that is, or holds, position `pos`: the last one starting at or before it. */
function indexHolding(list: readonly Stmt[], pos: Pos): number {
  let at = -1;
  list.forEach((st, i) => {
    if (st.pos <= pos) at = i;
  });
  return at;
}

/** Whether the statements end in a `return` (their last one). */
const returns = (list: readonly Stmt[]) => list.at(-1)?.k === 'return';

/** `x = true` for the flag `key`, in fn. */
function setsTrue(graph: CallGraph, fn: FuncNode, st: Stmt, key: string): boolean {
  return st.k === 'assign' && st.op === '=' && st.lhs.some((l, i) => stateOf(graph, fn, l)?.key === key && st.rhs[i]?.k === 'lit' && st.rhs[i]!.kind === 'true');
}

/**
 * The flag, lock and WaitGroup of a closer: in one function on the close's path, at the top of its body before
 * the statement that leads to the close, `F = true` while L is held, then `W.Wait()` after it.
 */
function closerProtocol(graph: CallGraph, close: OpFact): { flag: string; lock: string; wg: string }[] {
  const out: { flag: string; lock: string; wg: string }[] = [];
  for (const step of close.steps) {
    const body = step.node.decl.body ?? [];
    const at = indexHolding(body, step.pos);
    if (at < 0) continue;
    const held = new Set<string>();
    const flags: { flag: string; lock: string }[] = [];
    for (const st of body.slice(0, at)) {
      for (const c of callsInSimple(st)) {
        const s = syncCall(graph, step.node, c);
        if (!s) continue;
        if (s.name === 'Lock') held.add(s.key);
        if (s.name === 'Unlock') held.delete(s.key);
        if (s.name === 'Wait') for (const f of flags) out.push({ ...f, wg: s.key });
      }
      if (st.k !== 'assign') continue;
      for (const l of st.lhs) {
        const flag = stateOf(graph, step.node, l)?.key;
        if (flag && setsTrue(graph, step.node, st, flag)) for (const lock of held) flags.push({ flag, lock });
      }
    }
  }
  return out;
}

/**
 * Whether `list` admits under the protocol: L locked, `if F { ... return }`, `W.Add(...)`, L still held at each
 * (a deferred unlock releases it only at the end). With `nonNilExit`, the `if F` branch must return a value that
 * is not a literal nil (the caller leaves on it).
 */
function admits(graph: CallGraph, fn: FuncNode, list: readonly Stmt[], p: { flag: string; lock: string; wg: string }, nonNilExit: boolean): boolean {
  let held = false;
  let checked = false;
  for (const st of list) {
    if (st.k === 'defer') continue;
    if (st.k === 'if' && checked === false && held && !st.init && !st.else && returns(st.then)) {
      const flag = stateOf(graph, fn, st.cond)?.key;
      const ret = st.then.at(-1) as Extract<Stmt, { k: 'return' }>;
      if (flag === p.flag && (!nonNilExit || (ret.values.length > 0 && !ret.values.some((v) => v.k === 'lit' && v.kind === 'nil')))) {
        checked = true;
        continue;
      }
    }
    for (const c of callsInSimple(st)) {
      const s = syncCall(graph, fn, c);
      if (s?.key === p.lock && s.name === 'Lock') held = true;
      if (s?.key === p.lock && s.name === 'Unlock') held = false;
      if (s?.key === p.wg && s.name === 'Add' && held && checked) return true;
    }
  }
  return false;
}

/** `err := func() error { ... }()`: the literal a statement calls at once, and the variable its result goes to. */
function calledLiteral(st: Stmt): { lit: number; into: Expr } | undefined {
  if (st.k !== 'assign' || st.lhs.length !== 1 || st.rhs.length !== 1) return undefined;
  const call = st.rhs[0]!;
  return call.k === 'call' && call.fn.k === 'funclit' && call.args.length === 0 ? { lit: call.fn.fn, into: st.lhs[0]! } : undefined;
}

/** `if v != nil { ... return }`. */
function leavesOnNonNil(st: Stmt | undefined, v: Expr): boolean {
  if (st?.k !== 'if' || st.init || st.else || !returns(st.then)) return false;
  const c = st.cond;
  return c.k === 'binary' && c.op === '!=' && c.y.k === 'lit' && c.y.kind === 'nil' && c.x.k === 'id' && v.k === 'id' && c.x.name === v.name;
}

/**
 * Whether the send's path is admitted: in one function on it, before the statement that leads to the send (at
 * the top of its body), the admission itself, or a function literal called there that admits, returning a
 * non-nil value otherwise, whose result the next statement leaves on; and no `W.Done()` before the send but
 * a deferred one.
 */
function sendAdmitted(graph: CallGraph, send: OpFact, p: { flag: string; lock: string; wg: string }): boolean {
  for (const step of send.steps) {
    const body = step.node.decl.body ?? [];
    const at = indexHolding(body, step.pos);
    if (at < 0) continue;
    const before = body.slice(0, at);
    const done = before.some((st) => st.k !== 'defer' && callsIn(st.k === 'expr' ? st.x : undefined).some((c) => syncCall(graph, step.node, c)?.key === p.wg && c.fn.k === 'sel' && c.fn.name === 'Done'));
    if (done) continue;
    if (admits(graph, step.node, before, p, false)) return true;
    const literals = literalsOf(step.node, graph);
    for (let i = 0; i < before.length; i++) {
      const called = calledLiteral(before[i]!);
      const lit = called && literals.get(called.lit);
      if (lit && admits(graph, lit, lit.decl.body ?? [], p, true) && leavesOnNonNil(before[i + 1], called.into)) return true;
    }
  }
  return false;
}

/** Whether anything in the program writes the flag other than to true (a reopen would admit senders again). */
function reset(graph: CallGraph, flag: string): boolean {
  return graph.funcs.some((fn) =>
    allStmts(fn.decl.body ?? []).some((st) => st.k === 'assign' && st.op !== ':=' && st.lhs.some((l) => stateOf(graph, fn, l)?.key === flag) && !setsTrue(graph, fn, st, flag)),
  );
}

/** Whether the send cannot follow the close: its sender is admitted under the flag the closer sets before it waits and closes. */
export function admittedUnderFlag(graph: CallGraph, close: OpFact, send: OpFact): boolean {
  return closerProtocol(graph, close).some((p) => sendAdmitted(graph, send, p) && !reset(graph, p.flag));
}
