/**
 * A goroutine that reports only a call's failure, where the call fails only at once: "what does a goroutine left
 * blocked after `<-ctx.Done()` take for granted?" With
 *
 *     go func() { if err := q.Start(ctx); err != nil { errc <- err } }()
 *     select { case <-ctx.Done(): return nil; case err := <-errc: return err }
 *
 * and `Start` returning a nil error on every return after it has waited for that context (its failures come
 * first: a repeated start), a way out through the same `ctx.Done()` leaves the goroutine blocked only if the call
 * failed at once just as the context was done: a race, which the leak names as its assumption.
 */
import type { Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { isNil, nilCompared } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { decidingBranches } from '../evidence/branches.js';
import { doneOf } from '../program/processctx.js';
import { nodeLocation } from '../report.js';

/** The call whose failure the goroutine sends, and the context argument after waiting for which it cannot fail. */
export interface FailsFirst {
  call: CallExpr;
  ctx: Expr;
  guard: Expr;
}

/** The goroutine `lit` runs `send` only under `err != nil` of a call that fails only before waiting for a context it is passed. */
export function failsBeforeCancel(facts: SyncFacts, lit: FuncNode, send: Stmt): FailsFirst | undefined {
  const body = lit.decl.body ?? [];
  const stmts = allStmts(body);
  for (const b of decidingBranches(body, send.pos) ?? []) {
    const nil = b.kind === 'if' ? nilCompared(b.conds[0]!) : undefined;
    if (nil?.x.k !== 'id' || b.taken !== (nil.op === '!=')) continue;
    const key = facts.ids.localKey(lit, nil.x);
    const sources = key === undefined ? undefined : facts.ids.localSources(lit).get(key);
    const call = sources?.length === 1 && sources[0]!.k === 'call' ? sources[0] : undefined;
    // Bound as the call's last result: its error.
    const bound = call && stmts.some((st) => st.k === 'assign' && st.rhs.length === 1 && st.rhs[0] === call && st.lhs.at(-1)?.k === 'id' && facts.ids.localKey(lit, st.lhs.at(-1)!) === key);
    if (!call || !bound) continue;
    const info = facts.graph.callInfo(call);
    if (info.kind !== 'resolved' || info.targets.length === 0) continue;
    const ctx = call.args.find((_, i) => info.targets.every((t) => nilAfterWait(t.callee, i)));
    if (ctx) return { call, ctx, guard: b.conds[0]! };
  }
  return undefined;
}

/**
 * Whether `fn` waits, in its own body's statement list, for its parameter `index`'s `Done()`, and every return
 * after that hands back a nil error (nothing deferred can change it: its results are unnamed).
 */
function nilAfterWait(fn: FuncNode, index: number): boolean {
  const { params, results, body } = fn.decl;
  const param = params[index]?.name;
  const last = results.at(-1)?.type;
  if (param === undefined || last?.k !== 'name' || last.name !== 'error' || results.some((r) => r.name !== undefined)) return false;
  const wait = (body ?? []).find((st) => {
    const ch = st.k === 'expr' && st.x.k === 'unary' && st.x.op === '<-' ? doneOf(st.x.x) : undefined;
    return ch?.k === 'id' && ch.name === param;
  });
  if (!wait) return false;
  const after = allStmts(body ?? []).filter((st) => st.k === 'return' && st.pos > wait.pos);
  return after.every((st) => st.k === 'return' && st.values.length === results.length && isNil(st.values.at(-1)!));
}

/** Whether `ch` is the `Done()` of the very context the call was passed. */
export function sameDone(first: FailsFirst, ch: Expr): boolean {
  const ctx = doneOf(ch);
  return ctx !== undefined && exprText(ctx) === exprText(first.ctx);
}

/** The assumption of a leak whose every way out waits for that context: the call failed just as it was done. */
export function failsAsCancelled(lit: FuncNode, first: FailsFirst): Assumption {
  return {
    kind: 'undecided-branch',
    text: `\`${exprText(first.call.fn)}\` fails (it fails only before waiting for \`${exprText(first.ctx)}\`) just as \`${exprText(first.ctx)}\` is done`,
    location: nodeLocation(lit, first.guard.pos),
  };
}
