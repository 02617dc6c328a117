/**
 * Value-dependent reachability: "can this caller take the callee's branch that leads to the operation?"
 * A callee's branch was written for some caller, not necessarily this one. When an operation a finding
 * rests on runs only down a branch of a callee (or deeper) whose condition reads the callee's parameters
 * or values taken from them (`if ts == nil`, `if tsk.IsEmpty()`, `e, ok := cache.Get(id); if ok { return }`),
 * or compares a field of its receiver with nil (a feature some configuration leaves off), the call must
 * say which way it goes:
 * - its argument decides it (a constant, or a value certainly not nil: `&T{}`, a literal, `new`, or a
 *   variable dereferenced on every path to the call; the part of a message the caller built that the callee
 *   reads back, built.ts; the callee's own receiver field, passed from the object the call runs on,
 *   ownfield.ts): the branch is taken, and no assumption is made, or it is not, and the operation is out
 *   of this caller's reach;
 * - otherwise the finding assumes the branch goes its way (`undecided-branch`, docs/evidence.md).
 * Branches of the function holding the finding are its author's own, never asked; nor are error checks
 * (errors happen), loops and selects, and early returns of an error (a callee refusing a bad value:
 * the calls it was written for go on).
 */
import type { Expr, Pos } from '../../ir.js';
import { lineOf } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { joinAssumptions, type Assumption } from '../../findings.js';
import { allStmts, forEachSubExpr, libraryName, type CallExpr } from '../calls.js';
import { isNil, madeHere, nilCompared } from '../../irutil.js';
import { errorByName, isErrorCheck, isErrorName } from '../conditions/errorcheck.js';
import { constantValue } from '../conditions/constlocals.js';
import type { Step } from '../effects/types.js';
import { argOf } from '../identity/roots.js';
import { shortName } from '../names.js';
import { nodeLocation } from '../report.js';
import type { Parts } from './assume.js';
import { decidingBranches, evaluatedBefore, type Branch } from './branches.js';
import { builtValue } from './built.js';
import { optionValue, readsOption, type Written } from './options.js';
import { ownField } from './ownfield.js';

/** What a caller's call says of the callee's branches on the way to an operation: out of reach, or what it assumes. */
export type Reach = false | Assumption[];

/** A branch of a callee that reads what its callers pass, and the value its condition has on the way. */
interface Asked {
  branch: Branch;
  cond: Expr;
  taken: boolean;
}

const asked = new WeakMap<FuncNode, Map<Pos, Asked[]>>();

/**
 * Whether `call` in `caller` can run `callee` down to the statement at `pos`, and what that assumes.
 * Every call the lock facts map and every hop of a channel finding's path asks: the callee's side is
 * worked out once per position.
 */
export function calleeReach(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, pos: Pos): Reach {
  const out: Assumption[] = [];
  for (const a of askedAt(parts, callee, pos)) {
    const value = evaluate(parts, caller, call, callee, a.cond, a.branch.pos);
    if (value === !a.taken) return false;
    if (value === undefined && defaultOf(parts, callee, a.cond) !== a.taken) out.push(assumption(caller, callee, a));
  }
  return out;
}

/** calleeReach at every hop of a witness path below the function holding it. */
export function pathReach(parts: Parts, steps: readonly Step[]): Reach {
  let out: Assumption[] = [];
  for (let i = 1; i < steps.length; i++) {
    const [from, to] = [steps[i - 1]!, steps[i]!];
    const call = parts.graph.sites(from.node).find((s) => s.call.pos === from.pos)?.call;
    // A hop that is no call of this callee (a closure bound at a helper's call and started by it) maps no arguments.
    if (!call || !parts.dispatch.targetsOf(from.node, call).some((t) => t.callee === to.node)) continue;
    const reach = calleeReach(parts, from.node, call, to.node, to.pos);
    if (reach === false) return false;
    out = joinAssumptions(out, reach);
  }
  return out;
}

function askedAt(parts: Parts, callee: FuncNode, pos: Pos): Asked[] {
  let byPos = asked.get(callee);
  if (!byPos) asked.set(callee, (byPos = new Map()));
  let out = byPos.get(pos);
  if (out) return out;
  out = [];
  const errorResult = callee.decl.results.at(-1)?.type;
  const returnsError = errorResult?.k === 'name' && errorResult.name === 'error';
  for (const branch of decidingBranches(callee.decl.body ?? [], pos) ?? []) {
    if (branch.kind !== 'if' || branch.taken === undefined) continue;
    const cond = branch.conds[0]!;
    if (isErrorCheck(cond, { isError: errorByName, callName: (c) => libraryName(parts.graph.callInfo(c)) })) continue;
    if (branch.exit && returnsError && refusesWithError(callee, branch)) continue;
    if (readsPassed(parts, callee, cond, branch.pos, new Set())) out.push({ branch, cond, taken: branch.taken });
  }
  byPos.set(pos, out);
  return out;
}

/** `if h < 0 { return nil, fmt.Errorf(...) }`: the early return the operation needs not taken hands back an error. */
function refusesWithError(callee: FuncNode, branch: Branch): boolean {
  const st = allStmts(callee.decl.body ?? []).find((s) => s.pos === branch.pos);
  if (st?.k !== 'if') return false;
  const exit = branch.taken ? st.else : st.then;
  const last = exit?.at(-1);
  const err = last?.k === 'return' ? last.values.at(-1) : undefined;
  return err !== undefined && !isNil(err);
}

/** A parameter of `fn` itself (not the receiver, nor one of an enclosing function a literal captures): its index. */
function paramIndex(parts: Parts, fn: FuncNode, e: Expr): number | undefined {
  const s = e.k === 'id' ? parts.graph.storageOf(fn, e) : undefined;
  return s?.kind === 'param' && s.fn === fn.id && s.index >= 0 ? s.index : undefined;
}

function isReceiver(parts: Parts, fn: FuncNode, e: Expr): boolean {
  const s = e.k === 'id' ? parts.graph.storageOf(fn, e) : undefined;
  return s?.kind === 'param' && s.fn === fn.id && s.index === -1;
}


/**
 * Whether a condition reads what the callers pass: a parameter (`ts == nil`, `tsk.IsEmpty()`), a local taken
 * from one as a whole value (the `ok` of a lookup keyed by one), a field of the options struct built from the
 * variadic options (`opts.alreadyLocked`: options.ts), or a field of the receiver compared with nil.
 * The state of an object found through a parameter (`engine.closed.Load()`) is the object's, not the caller's:
 * the channel rules weigh it against what the other path writes (assume.ts).
 */
function readsPassed(parts: Parts, fn: FuncNode, e: Expr, at: Pos, seen: Set<string>, asBase = false): boolean {
  if (e.k === 'sel' && readsOption(parts, fn, e, at)) return true;
  if (e.k === 'id') {
    // An error may or may not be nil on any run, whatever a helper asks of it (`if !isBadConn(err) { return }`).
    if (isErrorName(e.name)) return false;
    if (paramIndex(parts, fn, e) !== undefined) return true;
    const s = parts.graph.storageOf(fn, e);
    if (asBase || s?.kind !== 'local' || s.fn !== fn.id || seen.has(s.name)) return false;
    seen.add(s.name);
    return (parts.ids.localSources(fn).get(s.name) ?? []).some((src) => readsPassed(parts, fn, src, at, seen));
  }
  const compared = nilCompared(e);
  if (compared) {
    let x = compared.x;
    if (x.k === 'sel') {
      while (x.k === 'sel') x = x.x;
      if (isReceiver(parts, fn, x)) return true;
    }
  }
  if (e.k === 'sel') return readsPassed(parts, fn, e.x, at, seen, true);
  let found = false;
  forEachSubExpr(e, (x) => {
    found ||= readsPassed(parts, fn, x, at, seen);
  });
  return found;
}

const LOOKUP_RE = /^(Load|Get|Lookup|Find)/;

/**
 * The value of a condition that asks nothing of any caller, if it has one: a field (or a local taken from
 * one) left nil, as every value starts; a lookup that finds its key, the case the callee is written for
 * (not a type assertion that finds its type: that is the case of the callers passing that type).
 * The other side (a feature some configuration sets up, a cache that misses) is for some callers only.
 */
function defaultOf(parts: Parts, fn: FuncNode, e: Expr): boolean | undefined {
  if (e.k === 'unary' && e.op === '!') {
    const v = defaultOf(parts, fn, e.x);
    return v === undefined ? undefined : !v;
  }
  const nil = nilCompared(e);
  if (nil) {
    const x = nil.x;
    const local = x.k === 'id' ? parts.graph.storageOf(fn, x) : undefined;
    const sources = local?.kind === 'local' ? (parts.ids.localSources(fn).get(local.name) ?? []) : [];
    const field = x.k === 'sel' || (sources.length > 0 && sources.every((src) => src.k === 'sel'));
    return field ? nil.op === '==' : undefined;
  }
  if (e.k === 'id') {
    const local = parts.graph.storageOf(fn, e);
    const v = local?.kind === 'local' ? parts.graph.locals(fn).find((l) => l.storage.name === local.name) : undefined;
    if (v?.def.k !== 'expr') return undefined;
    const { e: src, index, ok } = v.def;
    // `engineI, ok := em.engines.Load(id)`: a lookup method's second result, by Go's naming habit.
    const lookup = src.k === 'call' && src.fn.k === 'sel' && LOOKUP_RE.test(src.fn.name) && index === 1;
    // A type assertion's `ok` picks out one kind of value among those the parameter's type admits (a placeholder
    // `UnresolvedDatabase` among databases): neither side is the one every caller gives.
    return (ok && src.k !== 'assert') || lookup ? true : undefined;
  }
  return undefined;
}

/**
 * The value a callee's condition has at this call, when the arguments decide it: `ts == nil` with `ts`
 * passed a variable dereferenced before the call, `op == opClose` with a constant `op`, `!lock` with `false`.
 */
function evaluate(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, e: Expr, at: Pos): boolean | undefined {
  const sub = (x: Expr) => evaluate(parts, caller, call, callee, x, at);
  if (e.k === 'unary' && e.op === '!') {
    const v = sub(e.x);
    return v === undefined ? undefined : !v;
  }
  if (e.k === 'binary' && (e.op === '&&' || e.op === '||')) {
    const [x, y] = [sub(e.x), sub(e.y)];
    const short = e.op === '||';
    if (x === short || y === short) return short;
    return x === !short && y === !short ? !short : undefined;
  }
  if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
    const equal = compare(parts, caller, call, callee, e.x, e.y, at) ?? compare(parts, caller, call, callee, e.y, e.x, at);
    return equal === undefined ? undefined : equal === (e.op === '==');
  }
  if (e.k === 'binary' && ORDER[e.op]) {
    // `if v >= 0` with `push(0)`: two small integer literals, the argument's and the callee's.
    const value = (x: Expr) => intValue(passedFor(parts, caller, call, callee, x, at)?.e ?? x);
    const [x, y] = [value(e.x), value(e.y)];
    return x === undefined || y === undefined ? undefined : ORDER[e.op]!(x, y);
  }
  const arg = passedFor(parts, caller, call, callee, e, at);
  const c = arg && constantValue(parts.graph, arg.fn, arg.e);
  return c === 'true' ? true : c === 'false' ? false : undefined;
}

const ORDER: Record<string, ((x: number, y: number) => boolean) | undefined> = {
  '<': (x, y) => x < y,
  '<=': (x, y) => x <= y,
  '>': (x, y) => x > y,
  '>=': (x, y) => x >= y,
};

/** A small decimal integer literal's value (the IR keeps no other). */
function intValue(e: Expr): number | undefined {
  return e.k === 'lit' && e.kind === 'int' ? (e.value ?? (e.zero ? 0 : undefined)) : undefined;
}

/** Whether the parameter `p` equals `other` (nil or a constant) at this call, when the argument says. */
function compare(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, p: Expr, other: Expr, at: Pos): boolean | undefined {
  const arg = passedFor(parts, caller, call, callee, p, at);
  if (!arg) return undefined;
  if (ownField(parts, caller, call, callee, arg, other)) return true;
  const c = constantValue(parts.graph, arg.fn, arg.e);
  if (isNil(other)) return c !== undefined ? c === 'nil' : arg.fn === caller && notNil(parts, caller, call, arg.e) ? false : undefined;
  const k = parts.graph.constantOf(callee, other);
  if (c === undefined || k === undefined) return undefined;
  // Two constants' names: different ones are different values, as for the path conditions (atoms.ts).
  return c === k ? true : literal(c) === literal(k) ? false : undefined;
}

const literal = (value: string) => /^[0-9]/.test(value) || value === 'nil' || value === 'true' || value === 'false';

/**
 * What the call gives what the callee reads at `at`: the argument passed for a parameter, the value the
 * options passed put in a field of the callee's options struct (written in the caller or in an option), or
 * the part of a value the caller built that the callee reads back (`event.GetInt64("id")`: built.ts).
 */
function passedFor(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, x: Expr, at: Pos): Written | undefined {
  const arg = argumentFor(parts, call, callee, x, at);
  if (arg) return { e: arg, fn: caller };
  const calledAs = parts.dispatch.calledAs(call);
  return optionValue(parts, caller, calledAs, callee, x, at) ?? builtValue(parts, caller, calledAs, callee, x, at, (p) => argumentFor(parts, call, callee, p, at));
}

/** The argument passed for a parameter the callee has not assigned before the branch at `at`. */
function argumentFor(parts: Parts, call: CallExpr, callee: FuncNode, p: Expr, at: Pos): Expr | undefined {
  const index = paramIndex(parts, callee, p);
  if (index === undefined || p.k !== 'id') return undefined;
  const assigned = allStmts(callee.decl.body ?? []).some((st) => st.k === 'assign' && st.pos < at && st.lhs.some((l) => l.k === 'id' && l.name === p.name));
  return assigned ? undefined : argOf(parts.dispatch.calledAs(call), `@${index}`);
}

/** A value certainly not nil: made on the spot, or a variable dereferenced on every path to the call and not assigned since. */
function notNil(parts: Parts, caller: FuncNode, call: CallExpr, arg: Expr): boolean {
  if (madeHere(arg)) return true;
  if (arg.k !== 'id') return false;
  const body = caller.decl.body ?? [];
  let deref: Pos | undefined;
  const visit = (e: Expr): void => {
    if (((e.k === 'sel' || (e.k === 'unary' && e.op === '*')) && e.x.k === 'id' && e.x.name === arg.name) && (deref === undefined || e.pos > deref)) deref = e.pos;
    forEachSubExpr(e, visit);
  };
  for (const e of evaluatedBefore(body, call.pos) ?? []) visit(e);
  if (deref === undefined) return false;
  const from = deref;
  // Assigned after the dereference, on the way to the call or on a loop's way back to it.
  const loops = allStmts(body).filter((st) => st.k === 'for' && st.pos < call.pos && decidingBranches(st.body, call.pos) && !decidingBranches(st.body, from));
  const assigns = (st: (typeof body)[number]) => st.k === 'assign' && st.lhs.some((l) => l.k === 'id' && l.name === arg.name);
  return !allStmts(body).some(
    (st) => assigns(st) && ((st.pos > from && st.pos < call.pos && !evaluatedBefore([st], call.pos)) || loops.some((l) => l.k === 'for' && allStmts(l.body).includes(st))),
  );
}

/** A condition as written, its calls' arguments elided only when that keeps the assumption to one short line. */
function text(e: Expr): string {
  const full = exprText(e);
  return full.length <= 60 ? full : exprText(e, true);
}

function conditionText(a: Asked): string {
  const { cond, taken } = a;
  if (taken) return text(cond);
  if (cond.k === 'unary' && cond.op === '!') return text(cond.x);
  if (cond.k === 'binary' && (cond.op === '==' || cond.op === '!=')) return text({ ...cond, op: cond.op === '==' ? '!=' : '==' });
  return cond.k === 'binary' ? `!(${text(cond)})` : `!${text(cond)}`;
}

function assumption(caller: FuncNode, callee: FuncNode, a: Asked): Assumption {
  return {
    kind: 'undecided-branch',
    text: `\`${shortName(callee)}\` takes \`${conditionText(a)}\` (line ${lineOf(a.branch.pos)}) when called from \`${shortName(caller)}\``,
    location: nodeLocation(callee, a.branch.pos),
  };
}
