/**
 * Senders stopped under the closer's lock: "can this send follow that close, when the sender checks a stop channel
 * under a lock the closer holds while it closes the stop channel and then this one?" — the sender, holding mutex L
 * (read or write), leaves if stop channel S is closed (`select { case <-s.stop: return; default: ... }`) and sends
 * only past that check; the closer, holding L for writing, closes S and then the channel. A sender that took L
 * before the closer finishes its send before the close; one that took it after finds S closed and leaves. Decided
 * when, in one function on each path, L is locked before the check (the close) and released only by a `defer`.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInSimple, libraryName, type CallExpr } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import { typeLevel } from '../locks/types.js';
import { stateOf } from './state.js';

/** Whether the send cannot follow the close: every sender checks, under the closer's lock, a stop channel closed first. */
export function stoppedUnderLock(graph: CallGraph, close: OpFact, send: OpFact): boolean {
  const sender = senderGuards(graph, send);
  if (sender.length === 0) return false;
  return closerStops(graph, close).some((c) => sender.some((s) => s.lock === c.lock && s.stop === c.stop));
}

/** The keys of the mutexes a function locks (in `modes`) before `pos` at the top of its body, and releases only by a defer. */
function heldAt(graph: CallGraph, fn: FuncNode, pos: Pos, modes: RegExp): Set<string> {
  const held = new Set<string>();
  for (const st of fn.decl.body ?? []) {
    if (st.pos >= pos) break;
    if (st.k === 'defer') continue;
    for (const c of callsInSimple(st)) {
      const key = syncKey(graph, fn, c);
      if (!key || c.fn.k !== 'sel') continue;
      if (modes.test(c.fn.name)) held.add(key);
      else if (/Unlock$/.test(c.fn.name)) held.delete(key);
    }
  }
  return held;
}

/** `s.mu` of a sync method call `s.mu.Lock()`, as a field's or global's key. */
function syncKey(graph: CallGraph, fn: FuncNode, c: CallExpr): string | undefined {
  if (c.fn.k !== 'sel' || !libraryName(graph.callInfo(c))?.startsWith('sync.')) return undefined;
  const key = stateOf(graph, fn, c.fn.x)?.key;
  return key && typeLevel(key) ? key : undefined;
}

/** The channel's key, for a field's or global's channel. */
function chanKey(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
  const key = stateOf(graph, fn, e)?.key;
  return key && typeLevel(key) ? key : undefined;
}

/**
 * On the send's path, a function whose top-level select (before the send, or holding it in its default) has a
 * default and a receive from S whose case returns, under a lock L taken before it: each such (L, S).
 */
function senderGuards(graph: CallGraph, send: OpFact): { lock: string; stop: string }[] {
  const out: { lock: string; stop: string }[] = [];
  for (const step of send.steps) {
    const fn = step.node;
    for (const st of fn.decl.body ?? []) {
      if (st.pos > step.pos) break;
      if (st.k !== 'select' || !st.cases.some((c) => c.kind === 'default')) continue;
      const holds = st.cases.some((c) => c.kind === 'default' && contains(c.body, step.pos));
      // Past the select, or in its default: the send runs only when S was not closed at the check.
      const after = holds || !st.cases.some((c) => contains(c.body, step.pos));
      if (!after) continue;
      const locks = heldAt(graph, fn, st.pos, /^R?Lock$/);
      const stops = st.cases.map((c) => (c.kind === 'recv' && c.lhs.length === 0 && c.body.at(-1)?.k === 'return' ? chanKey(graph, fn, c.ch) : undefined));
      // Past the select, every case but the default must be such a check: another ready case could be taken instead.
      if (!holds && st.cases.some((c, i) => c.kind !== 'default' && stops[i] === undefined)) continue;
      for (const stop of stops) if (stop) for (const lock of locks) out.push({ lock, stop });
    }
  }
  return out;
}

/** On the close's path, a function that closes S before the close while holding L for writing: each such (L, S). */
function closerStops(graph: CallGraph, close: OpFact): { lock: string; stop: string }[] {
  const out: { lock: string; stop: string }[] = [];
  for (const step of close.steps) {
    const fn = step.node;
    const locks = heldAt(graph, fn, step.pos, /^Lock$/);
    if (locks.size === 0) continue;
    for (const st of allStmts(fn.decl.body ?? [])) {
      if (st.pos >= step.pos || st.k !== 'expr' || st.x.k !== 'call' || st.x.fn.k !== 'id' || st.x.fn.name !== 'close') continue;
      const stop = st.x.args[0] && chanKey(graph, fn, st.x.args[0]);
      if (stop) for (const lock of locks) out.push({ lock, stop });
    }
  }
  return out;
}

/** Whether a statement list holds position `pos` (its statements, at any depth). */
function contains(body: readonly Stmt[], pos: Pos): boolean {
  return allStmts(body as Stmt[]).some((st) => st.pos === pos) || selectCases(body).some((c) => c.pos === pos);
}

/** The cases of the selects in a statement list, at any depth: a send as a select case is positioned at its case. */
function selectCases(body: readonly Stmt[]): { pos: Pos }[] {
  return allStmts(body as Stmt[]).flatMap((st) => (st.k === 'select' ? st.cases : []));
}
