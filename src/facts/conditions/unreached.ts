/**
 * Code after a call that never returns: "can this position in a body ever run?" — not when, in a statement
 * list that encloses it, an earlier statement is a call that never returns (`t.SkipNow()` or `t.Fatal` first in a
 * test, `os.Exit`, a helper that always panics): what follows it in that list, nested code and function literals
 * written there included, is dead.
 */
import type { Pos, Stmt } from '../../ir.js';
import type { CallExpr } from '../calls.js';

/** The positions [from, to) that never run. */
export type Dead = readonly (readonly [Pos, Pos])[];

/**
 * The dead stretches of `body`, which ends at `end`: from each statement that is a call `noReturn` says never
 * returns to the end of the list it is in. Each nested list ends where the next part of its statement (the
 * `else`, the next case) or the next statement begins, so one branch's ending never covers another branch.
 */
export function deadStretches(body: readonly Stmt[], end: Pos, noReturn: (call: CallExpr) => boolean): Dead {
  const out: [Pos, Pos][] = [];
  const list = (stmts: readonly Stmt[], until: Pos): void => {
    stmts.forEach((st, i) => {
      const next = stmts[i + 1]?.pos ?? until;
      if (st.k === 'expr' && st.x.k === 'call' && noReturn(st.x)) {
        out.push([st.pos, until]);
        return;
      }
      nested(st, next);
    });
  };
  const parts = (lists: readonly (readonly Stmt[])[], starts: readonly Pos[], until: Pos) =>
    lists.forEach((l, i) => list(l, starts.slice(i + 1).find((p) => p !== undefined) ?? until));
  const nested = (st: Stmt, until: Pos): void => {
    switch (st.k) {
      case 'if':
        list(st.then, st.else?.[0]?.pos ?? until);
        if (st.else) list(st.else, until);
        return;
      case 'for':
      case 'block':
        list(st.body, until);
        return;
      case 'labeled':
        if (st.stmt) nested(st.stmt, until);
        return;
      case 'switch':
      case 'typeswitch':
      case 'select':
        parts(
          st.cases.map((c) => c.body),
          st.cases.map((c) => c.pos),
          until,
        );
        return;
      default:
        return;
    }
  };
  list(body, end);
  return out;
}

/** Whether `pos` is in one of the dead stretches. */
export function isDead(dead: Dead, pos: Pos): boolean {
  return dead.some(([from, to]) => pos > from && pos < to);
}
