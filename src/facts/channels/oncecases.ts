/**
 * Select cases that fire once: "can this call in a loop's select case run again on the loop's next turn?" — not
 * when the case receives from a variable that its own body sets to nil (`case <-done: close(ready); done = nil`):
 * a nil channel's case is never chosen again. That holds while the loop assigns the variable nothing but nil.
 */
import type { Pos, Stmt } from '../../ir.js';
import { allStmts, callsInStmt } from '../calls.js';

/** `name = nil` (or one of several targets set to nil). */
function setsNil(st: Stmt, name: string): boolean {
  return st.k === 'assign' && st.op === '=' && st.lhs.some((l, i) => l.k === 'id' && l.name === name && st.rhs[i]?.k === 'lit' && st.rhs[i]!.kind === 'nil');
}

/** Whether `st` assigns `name` anything but nil (a `:=` that may shadow it counts). */
function setsOther(st: Stmt, name: string): boolean {
  if (st.k === 'var') return st.names.includes(name);
  if (st.k === 'for' && st.range) return [st.range.key, st.range.value].some((e) => e?.k === 'id' && e.name === name);
  if (st.k === 'select') return st.cases.some((c) => c.kind === 'recv' && c.lhs.some((l) => l.k === 'id' && l.name === name));
  return st.k === 'assign' && st.lhs.some((l, i) => l.k === 'id' && l.name === name && (st.op !== '=' || st.rhs[i]?.k !== 'lit' || st.rhs[i]!.kind !== 'nil'));
}

/** The positions of the calls that a loop's select case runs at most once, in a function body. */
export function onceCaseCalls(body: readonly Stmt[]): ReadonlySet<Pos> {
  const out = new Set<Pos>();
  for (const loop of allStmts(body as Stmt[])) {
    if (loop.k !== 'for') continue;
    const inLoop = allStmts(loop.body);
    for (const sel of inLoop) {
      if (sel.k !== 'select') continue;
      for (const c of sel.cases) {
        if (c.kind !== 'recv' || c.ch.k !== 'id') continue;
        const name = c.ch.name;
        if (!c.body.some((st) => setsNil(st, name)) || inLoop.some((st) => setsOther(st, name))) continue;
        for (const st of allStmts(c.body)) for (const call of callsInStmt(st)) out.add(call.pos);
      }
    }
  }
  return out;
}
