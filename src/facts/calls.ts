/**
 * Calls and statements in the IR: the calls an expression or statement makes, every statement of a body,
 * the loops calls sit in, and a resolved call's library name. Plain syntax, asked by every part.
 */
import { walkNested } from '../flow/nest.js';
import type { Expr, FuncDecl, Pos, Stmt } from '../ir.js';
import type { CallGraph, CallInfo, FuncNode } from '../resolve/callgraph.js';
import { SideTable } from '../resolve/side.js';

export type CallExpr = Extract<Expr, { k: 'call' }>;

/**
 * The direct operands of an expression, in Go's evaluation order. Function literals are not entered:
 * their bodies are functions of their own.
 */
export function forEachSubExpr(e: Expr, fn: (x: Expr) => void): void {
  switch (e.k) {
    case 'call':
      fn(e.fn);
      e.args.forEach(fn);
      break;
    case 'sel':
    case 'slice':
    case 'assert':
    case 'unary':
      fn(e.x);
      break;
    case 'index':
      fn(e.x);
      e.index.forEach(fn);
      break;
    case 'binary':
      fn(e.x);
      fn(e.y);
      break;
    case 'composite':
      for (const el of e.elems) fn(el.value);
      break;
  }
}

/**
 * The standard library's name for a call: `sync.(*WaitGroup).Wait` whether sync is outside the
 * checkout (an external leaf) or analyzed with it (Go's own source tree).
 */
export function libraryName(info: CallInfo): string | undefined {
  if (info.kind === 'external') return info.name;
  if (info.kind === 'resolved' && info.targets.length === 1) return info.targets[0]!.callee.id;
  return undefined;
}

/** Whether `e` is or holds the call object `call` (not looking into function literals). */
export function containsCall(e: Expr, call: CallExpr): boolean {
  if (e === call) return true;
  let found = false;
  forEachSubExpr(e, (x) => {
    found ||= containsCall(x, call);
  });
  return found;
}

/** The calls an expression makes, operands and arguments before the call that consumes them. */
export function callsIn(e: Expr | undefined, out: CallExpr[] = []): CallExpr[] {
  if (!e) return out;
  forEachSubExpr(e, (x) => callsIn(x, out));
  if (e.k === 'call') out.push(e);
  return out;
}

/**
 * The expressions a simple statement evaluates itself, in evaluation order; none for `go`/`defer`
 * (their call runs elsewhere or later) and for statements that hold blocks.
 */
export function exprsOfSimple(s: Stmt): readonly Expr[] {
  switch (s.k) {
    case 'expr':
    case 'incdec':
      return [s.x];
    case 'send':
      return [s.ch, s.value];
    case 'assign':
      return s.lhs.length ? [...s.rhs, ...s.lhs] : s.rhs;
    case 'var':
    case 'return':
      return s.values;
    default:
      return [];
  }
}

/** Calls made by a simple statement (not entering nested blocks), in evaluation order. */
export function callsInSimple(s: Stmt): CallExpr[] {
  const out: CallExpr[] = [];
  for (const e of exprsOfSimple(s)) callsIn(e, out);
  return out;
}

/** Every expression a body evaluates, nested blocks included, operands after their parents; literals not entered. */
export function forEachExpr(body: Stmt[], fn: (e: Expr) => void): void {
  const deep = (e: Expr | undefined): void => {
    if (!e) return;
    fn(e);
    forEachSubExpr(e, deep);
  };
  for (const st of allStmts(body)) {
    exprsOfSimple(st).forEach(deep);
    switch (st.k) {
      case 'go':
      case 'defer':
        deep(st.call);
        break;
      case 'if':
        deep(st.cond);
        break;
      case 'for':
        deep(st.cond);
        if (st.range) [st.range.x, st.range.key, st.range.value].forEach(deep);
        break;
      case 'switch':
        deep(st.tag);
        for (const c of st.cases) c.exprs.forEach(deep);
        break;
      case 'typeswitch':
        deep(st.x);
        break;
      case 'select':
        for (const c of st.cases) if (c.kind === 'recv') [c.ch, ...c.lhs].forEach(deep);
        break;
    }
  }
}

/** The call in node's body that takes `arg` itself as an argument. */
export function callTaking(node: FuncNode, arg: Expr): CallExpr | undefined {
  let found: CallExpr | undefined;
  forEachExpr(node.decl.body ?? [], (e) => {
    if (!found && e.k === 'call' && e.args.includes(arg)) found = e;
  });
  return found;
}

const flattened = new SideTable<Stmt[], readonly Stmt[]>();

/**
 * Every statement of a body, nested ones included, in source order (the syntactic walk's order, with a
 * `select` case's send as a send statement). Kept per body: a dozen facts scan each function's statements.
 */
export function allStmts(body: Stmt[]): readonly Stmt[] {
  let out = flattened.get(body);
  if (!out) {
    const list: Stmt[] = [];
    walkNested(body, (st) => list.push(st));
    flattened.set(body, (out = list));
  }
  return out;
}

/** Targets whose body is the callee's for certain (not one of several dispatch candidates). */
export const PRECISE_HOWS: ReadonlySet<string> = new Set(['static', 'method', 'promoted', 'closure']);

const loopedStmts = new SideTable<Stmt[], ReadonlySet<Stmt>>();

/** The statements of a body inside some loop of it (a `for` of any form), at any depth. */
export function stmtsInLoops(body: Stmt[]): ReadonlySet<Stmt> {
  let out = loopedStmts.get(body);
  if (!out) {
    const set = new Set<Stmt>();
    for (const st of allStmts(body)) if (st.k === 'for') for (const inner of allStmts(st.body)) set.add(inner);
    loopedStmts.set(body, (out = set));
  }
  return out;
}

const inLoops = new SideTable<Stmt[], ReadonlySet<Pos>>();

/** Positions of the calls a body makes inside loops: each may run again on the next turn. */
export function callsInLoops(body: Stmt[]): ReadonlySet<Pos> {
  let out = inLoops.get(body);
  if (!out) {
    const set = new Set<Pos>();
    for (const st of allStmts(body)) {
      if (st.k !== 'for') continue;
      for (const inner of allStmts(st.body)) for (const c of callsInStmt(inner)) set.add(c.pos);
      if (st.post) for (const c of callsInStmt(st.post)) set.add(c.pos);
    }
    inLoops.set(body, (out = set));
  }
  return out;
}

/** Calls a statement makes itself (conditions, tags, go/defer calls included), not those of nested blocks. */
export function callsInStmt(s: Stmt): CallExpr[] {
  switch (s.k) {
    case 'go':
    case 'defer':
      return callsIn(s.call);
    case 'if':
      return callsIn(s.cond);
    case 'for':
      return [...callsIn(s.cond), ...callsIn(s.range?.x)];
    case 'switch':
      return [...callsIn(s.tag), ...s.cases.flatMap((c) => c.exprs.flatMap((e) => callsIn(e)))];
    case 'typeswitch':
      return callsIn(s.x);
    case 'select':
      return s.cases.flatMap((c) => (c.kind === 'recv' ? callsIn(c.ch) : []));
    default:
      return callsInSimple(s);
  }
}

/** The declared function a function literal is written in, at any depth (a declared function is its own). */
export function outermost(graph: CallGraph, fn: FuncNode): FuncNode {
  let decl = fn.decl;
  while (decl.parent !== undefined && fn.file.funcs[decl.parent]) decl = fn.file.funcs[decl.parent]!;
  return decl === fn.decl ? fn : graph.nodeOf(fn.file, decl);
}

/** Function literals nested in fn, at any depth, with their nodes, by declaration id. */
export function literalsOf(fn: FuncNode, graph: CallGraph): Map<number, FuncNode> {
  const out = new Map<number, FuncNode>();
  const funcs = fn.file.funcs;
  const inside = (d: FuncDecl): boolean => d.parent !== undefined && (d.parent === fn.decl.id || inside(funcs[d.parent]!));
  for (const d of funcs) if (d !== fn.decl && inside(d)) out.set(d.id, graph.nodeOf(fn.file, d));
  return out;
}
