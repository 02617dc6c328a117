import type { Expr, TypeExpr } from './ir.js';

/**
 * A stable name for a storage location written as an expression: `ch`, `s.done`, `(*p).c` -> `p.c`.
 * Undefined for anything that is not a plain variable or field path (index expressions, call results).
 */
export function exprKey(e: Expr): string | undefined {
  switch (e.k) {
    case 'id':
      return e.name === '_' ? undefined : e.name;
    case 'sel': {
      const base = exprKey(e.x);
      return base === undefined ? undefined : `${base}.${e.name}`;
    }
    case 'unary':
      return e.op === '*' ? exprKey(e.x) : undefined;
    default:
      return undefined;
  }
}

/** Whether `e` is the literal `nil`. */
export function isNil(e: Expr): boolean {
  return e.k === 'lit' && e.kind === 'nil';
}

/** A comparison with nil (`x == nil`, `nil != x`): the value compared, and the operator; undefined for any other expression. */
export function nilCompared(e: Expr): { x: Expr; op: '==' | '!=' } | undefined {
  if (e.k !== 'binary' || (e.op !== '==' && e.op !== '!=')) return undefined;
  const x = isNil(e.y) ? e.x : isNil(e.x) ? e.y : undefined;
  return x && { x, op: e.op };
}

/** Whether a value is made on the spot, and so certainly not nil: `&T{}`, a literal, a function literal, `new`, `make`. */
export function madeHere(e: Expr): boolean {
  if ((e.k === 'unary' && e.op === '&') || e.k === 'composite' || e.k === 'funclit') return true;
  return e.k === 'call' && e.fn.k === 'id' && (e.fn.name === 'new' || e.fn.name === 'make');
}

/** The argument of a call to a builtin such as `close(x)`, when `e` is one. */
export function builtinArg(e: Expr, name: string): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'id' || e.fn.name !== name) return undefined;
  return e.args[0];
}

/** The name of a named type through pointers (`S` for `S`, `*S`, `*S[K]`); undefined for any other type. */
export function namedTypeName(t: TypeExpr): string | undefined {
  return t.k === 'ptr' ? namedTypeName(t.elem) : t.k === 'name' ? t.name : undefined;
}
