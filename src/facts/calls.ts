import type { Expr, Stmt } from '../ir.js';

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

/** The calls an expression makes, operands and arguments before the call that consumes them. */
export function callsIn(e: Expr | undefined, out: CallExpr[] = []): CallExpr[] {
  if (!e) return out;
  forEachSubExpr(e, (x) => callsIn(x, out));
  if (e.k === 'call') out.push(e);
  return out;
}

/** Calls made by a simple statement (not entering nested blocks), in evaluation order. */
export function callsInSimple(s: Stmt): CallExpr[] {
  const out: CallExpr[] = [];
  switch (s.k) {
    case 'expr':
      callsIn(s.x, out);
      break;
    case 'send':
      callsIn(s.ch, out);
      callsIn(s.value, out);
      break;
    case 'assign':
      for (const r of s.rhs) callsIn(r, out);
      for (const l of s.lhs) callsIn(l, out);
      break;
    case 'var':
      for (const v of s.values) callsIn(v, out);
      break;
    case 'incdec':
      callsIn(s.x, out);
      break;
    case 'return':
      for (const v of s.values) callsIn(v, out);
      break;
  }
  return out;
}

/** Every statement of a body, nested ones included, in source order. */
export function* allStmts(body: Stmt[]): Generator<Stmt> {
  for (const s of body) {
    yield s;
    switch (s.k) {
      case 'block':
        yield* allStmts(s.body);
        break;
      case 'labeled':
        if (s.stmt) yield* allStmts([s.stmt]);
        break;
      case 'if':
        if (s.init) yield* allStmts([s.init]);
        yield* allStmts(s.then);
        if (s.else) yield* allStmts(s.else);
        break;
      case 'for':
        if (s.init) yield* allStmts([s.init]);
        if (s.post) yield* allStmts([s.post]);
        yield* allStmts(s.body);
        break;
      case 'switch':
      case 'typeswitch':
        if (s.init) yield* allStmts([s.init]);
        for (const c of s.cases) yield* allStmts(c.body);
        break;
      case 'select':
        for (const c of s.cases) {
          if (c.kind === 'send') yield { k: 'send', ch: c.ch, value: c.value, pos: c.pos };
          yield* allStmts(c.body);
        }
        break;
    }
  }
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
