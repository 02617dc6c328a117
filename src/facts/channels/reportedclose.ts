/**
 * A close the callee reports: "does the loop that calls it leave once it has closed?" — the callee follows its
 * close, in the same block, by a return of a constant result (`close(es.events); return zero, true`, or `return
 * nil` where its other returns give an error), and the caller binds that result and leaves the loop at once when
 * it holds it (`_, exit := sub.Next(ctx); if ctx.Err() != nil || exit { return }`; `err := m.monitor(ctx); if err
 * == nil { break }`). The next iteration then never calls it again, and "closed again on the next iteration" is
 * not a path the program has.
 */
import type { Expr, Stmt } from '../../ir.js';
import { childBlocks } from '../../flow/nest.js';
import type { OpFact } from '../effects/types.js';

/** A statement and the list it sits in, with the loop whose body that list is, if it is one. */
interface Held {
  block: readonly Stmt[];
  index: number;
  loopBody: boolean;
}

/** Whether the loop around the call that reaches the close `op` (the close in the called function's own body) leaves once that call has closed. */
export function leavesOnReportedClose(body: readonly Stmt[], op: OpFact): boolean {
  if (op.steps.length !== 2) return false;
  const [call, close] = [op.steps[0]!, op.steps[1]!];
  const reported = reportedResult(close.node.decl.body ?? [], close.pos);
  if (!reported) return false;
  const at = holding(body, (st) => bindsCall(st, call.pos) !== undefined, false);
  if (!at) return false;
  const st = at.block[at.index]!;
  const bound = bindsCall(st, call.pos)!;
  const name = bound[reported.index];
  if (name?.k !== 'id' || name.name === '_') return false;
  // `if _, exit := next(); exit { return }`, or the statement right after the call.
  const test = st.k === 'if' ? st : at.block[at.index + 1];
  return test?.k === 'if' && holdsWhen(test.cond, name.name, reported.value) && leaves(test.then, at.loopBody);
}

/** A constant a callee returns: a boolean, or nil. */
type Reported = 'true' | 'false' | 'nil';

/** The result the statements after the close return as a constant, in the close's own block. */
function reportedResult(body: readonly Stmt[], closeAt: number): { index: number; value: Reported } | undefined {
  const at = holding(body, (st) => st.pos === closeAt, false);
  if (!at) return undefined;
  for (const st of at.block.slice(at.index + 1)) {
    if (st.k === 'return') {
      const index = st.values.findIndex((v) => v.k === 'lit' && (v.kind === 'true' || v.kind === 'false' || v.kind === 'nil'));
      const v = st.values[index];
      return v?.k === 'lit' ? { index, value: v.kind as Reported } : undefined;
    }
    // Only straight-line statements (a send, a log line, a field write) between the close and the return.
    if (st.k !== 'expr' && st.k !== 'assign' && st.k !== 'send' && st.k !== 'incdec') return undefined;
  }
  return undefined;
}

/** The statement, at any depth, that `found` picks, with its list. */
function holding(body: readonly Stmt[], found: (st: Stmt) => boolean, loopBody: boolean): Held | undefined {
  for (let index = 0; index < body.length; index++) {
    const st = body[index]!;
    if (found(st)) return { block: body, index, loopBody };
    for (const inner of childBlocks(st)) {
      const got = holding(inner, found, st.k === 'for');
      if (got) return got;
    }
  }
  return undefined;
}

/** The left-hand sides bound to the call at `pos` by an assignment, or by an `if`'s init assignment. */
function bindsCall(st: Stmt, pos: number): readonly Expr[] | undefined {
  const assign = st.k === 'if' ? st.init : st;
  if (assign?.k !== 'assign' || assign.rhs.length !== 1) return undefined;
  const rhs = assign.rhs[0]!;
  return rhs.k === 'call' && rhs.pos === pos ? assign.lhs : undefined;
}

/** Whether the condition certainly holds when the variable `name` is `value` (`exit`, `!ok`, `err == nil`, `a || exit`). */
function holdsWhen(cond: Expr, name: string, value: Reported): boolean {
  const named = (e: Expr) => e.k === 'id' && e.name === name;
  if (cond.k === 'id') return named(cond) && value === 'true';
  if (cond.k === 'unary' && cond.op === '!') return named(cond.x) && value === 'false';
  if (cond.k === 'binary' && (cond.op === '==' || cond.op === '!=') && value === 'nil') {
    const nil = (e: Expr) => e.k === 'lit' && e.kind === 'nil';
    const tested = (named(cond.x) && nil(cond.y)) || (nil(cond.x) && named(cond.y));
    return tested && cond.op === '==';
  }
  if (cond.k === 'binary' && cond.op === '||') return holdsWhen(cond.x, name, value) || holdsWhen(cond.y, name, value);
  if (cond.k === 'binary' && cond.op === '&&') return holdsWhen(cond.x, name, value) && holdsWhen(cond.y, name, value);
  return false;
}

/** Whether a branch leaves the loop: it ends in a return, or in a plain `break` of the loop whose body holds it. */
function leaves(then: readonly Stmt[], inLoopBody: boolean): boolean {
  const last = then.at(-1);
  return last?.k === 'return' || (inLoopBody && last?.k === 'branch' && last.kind === 'break' && !last.label);
}
