/**
 * Error checks: "does this condition only test whether something failed?" — `err != nil`, `err == nil`,
 * `errors.Is(err, io.EOF)`, `ctx.Err() != nil`, and `!`, `&&`, `||` of such tests. Errors happen: either side
 * of such a branch is a real run, so a path through one rests on no assumption (docs/evidence.md). What holds
 * an error is the caller's to say: by type where it knows types (the explorer), else by Go's naming habit.
 */
import type { Expr } from '../../ir.js';
import type { CallExpr } from '../calls.js';
import { isNil } from '../../irutil.js';

/** A variable that holds an error, by Go's naming habit (`err`, `readErr`). */
export function isErrorName(name: string): boolean {
  return /^\w*(err|Err)$/.test(name);
}

/** An error by its name alone: a variable named like one (isErrorName), or a context's `Err()` (`ctx.Err()`). */
export function errorByName(x: Expr): boolean {
  return (x.k === 'id' && isErrorName(x.name)) || (x.k === 'call' && x.fn.k === 'sel' && x.fn.name === 'Err' && x.args.length === 0);
}

/** How a condition's parts read: which expressions hold an error, and the Go name of a call (`errors.Is`). */
export interface ErrorValues {
  isError(x: Expr): boolean;
  callName(call: CallExpr): string | undefined;
}

/** Whether `e` only tests errors: a comparison of an error with nil, `errors.Is`/`errors.As` of one, and `!`/`&&`/`||` of those. */
export function isErrorCheck(e: Expr, values: ErrorValues): boolean {
  switch (e.k) {
    case 'unary':
      return e.op === '!' && isErrorCheck(e.x, values);
    case 'binary': {
      if (e.op === '&&' || e.op === '||') return isErrorCheck(e.x, values) && isErrorCheck(e.y, values);
      if (e.op !== '==' && e.op !== '!=') return false;
      return (values.isError(e.x) && isNil(e.y)) || (values.isError(e.y) && isNil(e.x));
    }
    case 'call': {
      const name = values.callName(e);
      return name !== undefined && /^errors\.(Is|As)$/.test(name) && e.args[0] !== undefined && values.isError(e.args[0]);
    }
    default:
      return false;
  }
}
