/**
 * State, for evidence: which variable an expression reads or writes, as a key two functions agree on.
 * A field is keyed by its struct type and name (`field:pkg.T.stopped`), so a getter's read and a closer's
 * write of the same field meet without mapping receivers; a local or parameter by its declaring function,
 * so that two activations of one function (two calls, two goroutines) never share it by mistake.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachSubExpr } from '../calls.js';
import { STORE_RE } from '../conditions/atomics.js';
import type { Dispatch } from '../dispatch.js';

export interface StateRef {
  key: string;
  /** Where the local or parameter is declared: only state of the function holding both paths (or of its enclosing functions) is shared by them. */
  owner?: string;
  /** The expression as written, for messages. */
  text: string;
}

export interface StateWrite extends StateRef {
  node: FuncNode;
  pos: Pos;
  /** How, for messages: `sets`, `changes` (atomics, `++`), `closes`, `deletes from`, `receives from`. */
  verb: string;
}

/** The variable behind an operand: `&x`, `(*uint32)(&x)` (a pointer conversion for the atomic package) and `*p` are x. */
function target(e: Expr): Expr {
  if (e.k === 'unary' && (e.op === '&' || e.op === '*')) return target(e.x);
  if (e.k === 'call' && e.args.length === 1 && (e.fn.k === 'type' || (e.fn.k === 'unary' && e.fn.op === '*'))) return target(e.args[0]!);
  return e;
}

export function stateOf(graph: CallGraph, fn: FuncNode, e: Expr): StateRef | undefined {
  const x = target(e);
  if (x.k !== 'id' && x.k !== 'sel') return undefined;
  const st = graph.storageOf(fn, x);
  const text = exprText(x);
  switch (st?.kind) {
    case 'field':
      return { key: `field:${st.owner}.${st.field}`, text };
    case 'global':
      return { key: `global:${st.pkg}.${st.name}`, text };
    case 'local':
      return { key: `local:${st.fn}:${st.name}`, owner: st.fn, text };
    case 'param':
      return { key: `param:${st.fn}:${st.index}`, owner: st.fn, text };
    default:
      return undefined;
  }
}

/** The atomic package's functions take the variable by pointer as their first argument. */
function atomicPkgTarget(call: Extract<Expr, { k: 'call' }>): Expr | undefined {
  return call.fn.k === 'sel' && call.fn.x.k === 'id' && call.fn.x.name === 'atomic' ? call.args[0] : undefined;
}

/**
 * What a condition reads: its variables and fields, the channels it receives from, the variable an
 * atomic call acts on, and what a method it calls reads of its own object (`m.isClosed()` selecting on
 * `m.done`): one call deep, so a getter counts and a whole subsystem does not.
 */
export function readsOf(graph: CallGraph, dispatch: Dispatch, fn: FuncNode, cond: Expr, depth = 0): StateRef[] {
  const out: StateRef[] = [];
  const visit = (e: Expr): void => {
    if (e.k === 'id' || e.k === 'sel') {
      const s = stateOf(graph, fn, e);
      if (s) out.push(s);
      if (e.k === 'sel') visit(e.x);
      return;
    }
    if (e.k === 'call') {
      const ptr = atomicPkgTarget(e);
      const s = ptr && stateOf(graph, fn, ptr);
      if (s) out.push(s);
      const callee = depth === 0 ? dispatch.soleCallee(fn, e) : undefined;
      if (callee?.decl.body) out.push(...bodyReads(graph, dispatch, callee).filter((r) => r.owner === undefined));
      e.args.forEach(visit);
      if (e.fn.k === 'sel') visit(e.fn.x);
      return;
    }
    forEachSubExpr(e, visit);
  };
  visit(cond);
  return out;
}

/** A getter's reads: its conditions, the channels it selects on and what it returns. */
function bodyReads(graph: CallGraph, dispatch: Dispatch, fn: FuncNode): StateRef[] {
  const out: StateRef[] = [];
  for (const st of allStmts(fn.decl.body ?? [])) {
    for (const e of conditionExprs(st)) out.push(...readsOf(graph, dispatch, fn, e, 1));
    if (st.k === 'return') for (const v of st.values) out.push(...readsOf(graph, dispatch, fn, v, 1));
  }
  return out;
}

/** The expressions a statement branches on (a select's received channels among them). */
export function conditionExprs(st: Stmt): Expr[] {
  switch (st.k) {
    case 'if':
      return [st.cond];
    case 'for':
      return st.cond ? [st.cond] : [];
    case 'switch':
      return [...(st.tag ? [st.tag] : []), ...st.cases.flatMap((c) => c.exprs)];
    case 'select':
      return st.cases.flatMap((c) => (c.kind === 'default' ? [] : [c.ch]));
    default:
      return [];
  }
}

const writesMemo = new WeakMap<FuncNode, StateWrite[]>();

/**
 * What a function writes: assignments, `++`/`--`, atomic stores, adds, swaps and compare-and-swaps
 * (`atomic.AddInt32(&n, 1)`, `s.running.Dec()`, through a pointer conversion), closes, map deletes,
 * and the channels it blocks receiving from: a receive that returned means what a later select probe
 * of that channel sees (an idempotent Close's `<-d.donec`) may have changed.
 */
export function writesOf(graph: CallGraph, fn: FuncNode): StateWrite[] {
  let out = writesMemo.get(fn);
  if (out) return out;
  out = [];
  const add = (e: Expr | undefined, pos: Pos, verb: string) => {
    const s = e && stateOf(graph, fn, e);
    if (s) out!.push({ ...s, node: fn, pos, verb });
  };
  const inExpr = (e: Expr, pos: Pos): void => {
    if (e.k === 'call') {
      if (e.fn.k === 'id' && e.fn.name === 'close') add(e.args[0], pos, 'closes');
      else if (e.fn.k === 'id' && e.fn.name === 'delete') add(e.args[0], pos, 'deletes from');
      else if (e.fn.k === 'sel' && STORE_RE.test(e.fn.name)) add(atomicPkgTarget(e) ?? e.fn.x, pos, 'changes');
    }
    if (e.k === 'unary' && e.op === '<-') add(e.x, pos, 'receives from');
    forEachSubExpr(e, (x) => inExpr(x, pos));
  };
  for (const st of allStmts(fn.decl.body ?? [])) {
    if (st.k === 'assign') for (const l of st.lhs) add(l, st.pos, st.op === '=' || st.op === ':=' ? 'sets' : 'changes');
    if (st.k === 'incdec') add(st.x, st.pos, 'changes');
    const exprs = st.k === 'expr' || st.k === 'assign' || st.k === 'var' || st.k === 'return' ? (st.k === 'expr' ? [st.x] : st.k === 'assign' ? st.rhs : st.values) : st.k === 'defer' ? [st.call] : conditionExprs(st).filter(() => st.k === 'if' || st.k === 'switch');
    for (const e of exprs) inExpr(e, st.pos);
  }
  writesMemo.set(fn, out);
  return out;
}
