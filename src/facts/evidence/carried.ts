/**
 * Pairs carried to the next turn of a loop: the second operation (the same close again, or a send the path
 * makes before its close) runs on a later turn than the first. Each turn runs the whole path again, so when
 * the object is what a call on that path hands back (`routine, ok := reg.Load(name)`, `conn, err :=
 * client.UDP()`), the pair rests on that call handing back the same object on the next turn: the engine names
 * such a value by the receiver it was asked of, a part of that receiver. A call that certainly allocates is not
 * asked about (its value is a new instance: identity/fresh.ts); one of the top function's own outside the loop
 * runs once.
 */
import { lineOf, type Expr, type Pos } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { Assumption } from '../../findings.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { OpFact, Step } from '../effects/types.js';
import { isConstruction } from '../identity/roots.js';
import { nodeLocation } from '../report.js';
import type { Parts } from './assume.js';

/** The call made at a step. */
function callAt(step: Step): CallExpr | undefined {
  for (const st of allStmts(step.node.decl.body ?? [])) for (const c of callsInStmt(st)) if (c.pos === step.pos) return c;
  return undefined;
}

/** The channel an operation's last step closes or sends on. */
function channelAt(parts: Parts, step: Step): Expr | undefined {
  const call = callAt(step);
  const closed = call && parts.dispatch.closedBy(call);
  if (closed) return closed;
  for (const st of allStmts(step.node.decl.body ?? [])) if (st.k === 'send' && st.pos === step.pos) return st.ch;
  return undefined;
}

/** The variable an expression starts from: `v` of `v.(*T).ch`, `&v.x`. */
function baseOf(e: Expr | undefined): Expr | undefined {
  while (e && (e.k === 'sel' || e.k === 'assert' || (e.k === 'unary' && (e.op === '*' || e.op === '&')))) e = e.x;
  return e;
}

/**
 * The call whose result the operation's object is, followed up the witness path through receivers and
 * arguments: where the object the last step works on came from, when a step obtained it from a call.
 */
function obtainedBy(parts: Parts, op: OpFact): { node: FuncNode; call: CallExpr } | undefined {
  let i = op.steps.length - 1;
  let e = baseOf(channelAt(parts, op.steps[i]!));
  while (e?.k === 'id') {
    const { node } = op.steps[i]!;
    const st = parts.graph.storageOf(node, e);
    if (st?.kind === 'local' && st.fn === node.id) {
      const sources = parts.ids.localSources(node).get(st.name) ?? [];
      const call = sources.find((s): s is CallExpr => s.k === 'call' && !isConstruction(s) && !parts.ids.fresh.call(s));
      return call && { node, call };
    }
    if (st?.kind !== 'param' || st.fn !== node.id || i === 0) return undefined;
    const site = callAt(op.steps[--i]!);
    if (!site) return undefined;
    e = baseOf(st.index === -1 ? parts.dispatch.receiverFor(site, node) : parts.dispatch.calledAs(site).args[st.index]);
  }
  return undefined;
}

/** Whether `b` runs on a later turn than `a`: the same path again, or `b` before `a` where the two paths part. */
export function carriedOver(a: OpFact, b: OpFact): boolean {
  const at = a.steps.findIndex((s, i) => s.node !== b.steps[i]?.node || s.pos !== b.steps[i]?.pos);
  if (at === -1) return a.steps.length === b.steps.length;
  const [sa, sb] = [a.steps[at]!, b.steps[at]];
  return sb !== undefined && sa.node === sb.node && sb.pos < sa.pos;
}

/** Whether the calls at two positions of `top` are in one loop of `top`. */
function inLoopWith(top: FuncNode, at: Pos, around: Pos): boolean {
  const has = (body: Parameters<typeof allStmts>[0], pos: Pos) => allStmts(body).some((x) => callsInStmt(x).some((c) => c.pos === pos));
  return allStmts(top.decl.body ?? []).some((st) => st.k === 'for' && has(st.body, at) && has(st.body, around));
}

/** What a pair carried to the next turn assumes of the call that hands both operations their object. */
export function carriedAssumptions(parts: Parts, top: FuncNode, a: OpFact, b: OpFact): Assumption[] {
  const from = obtainedBy(parts, a);
  if (!from || obtainedBy(parts, b)?.call !== from.call) return [];
  // Called once before the loop, it handed every turn the one object.
  if (from.node === top && !inLoopWith(top, from.call.pos, a.steps[0]!.pos)) return [];
  const where = `line ${lineOf(from.call.pos)}${from.node.file === top.file ? '' : ` of ${from.node.file.path}`}`;
  return [{ kind: 'same-instance', text: `\`${exprText(from.call)}\` (${where}) hands back the same object on the next turn of the loop`, location: nodeLocation(from.node, from.call.pos) }];
}
