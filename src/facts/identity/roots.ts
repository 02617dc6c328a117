/**
 * Instance roots: the string that says which object an access path starts from (`@recv.ev.ch`, `@0`,
 * a local's name, a captured variable, FRESH, MADE), and the small syntactic judgements they rest on
 * (what a value is taken from, whether it is a construction).
 */
import type { Expr, Pos } from '../../ir.js';
import type { VarDef } from '../../resolve/bindings.js';
import type { CallExpr } from '../calls.js';

/** The receiver's root; parameters are `@<index>`. */
export const RECEIVER = '@recv';
/** An instance the function holding the fact cannot name (looked up by a callee): not provably any other. */
export const FRESH = '#fresh';
/** An instance a callee constructed itself (`&T{}`, `NewT()`, `make`): certainly not any other. */
export const MADE = '#made';

export const nameable = (root: string | undefined) => root !== FRESH && root !== MADE;
export const notMade = (root: string | undefined) => root !== MADE;
/** Prefix of a root captured by a closure: `^<declaring function id>\0<name>`. */
export const CAPTURED = '^';

/**
 * The object a value is taken from, for instance roots: `x.f` and `&x.f` from x, `v.(T)` from v, and
 * `c.Load(k)` (a lookup in a container) from c. `m[k]` has none: in a loop it is another element each time.
 */
export function ownerOf(e: Expr): Expr | undefined {
  switch (e.k) {
    case 'id':
    case 'sel':
      return e;
    case 'unary':
      return e.op === '&' || e.op === '*' ? ownerOf(e.x) : undefined;
    case 'assert':
      return ownerOf(e.x);
    case 'call':
      return e.fn.k === 'sel' && e.fn.x.k !== 'id' ? ownerOf(e.fn.x) : e.fn.k === 'sel' && e.fn.x.k === 'id' ? e.fn.x : undefined;
    default:
      return undefined;
  }
}

/** `&T{...}`, `T{...}`, `new(T)`, `make(...)`, `NewT(...)`: a value that did not exist before. */
export function isConstruction(e: Expr): boolean {
  if (e.k === 'unary' && e.op === '&') return isConstruction(e.x);
  if (e.k === 'composite') return true;
  if (e.k !== 'call') return false;
  const name = e.fn.k === 'id' ? e.fn.name : e.fn.k === 'sel' ? e.fn.name : '';
  return name === 'new' || name === 'make' || /^(New|new|Make|make|Create|create|Open|open)/.test(name);
}

/**
 * An instance root is a head (`@recv`, `@<param>`, a local's name, a captured variable, FRESH, MADE)
 * and a field path below it (`@recv.writer.stopc`): two fields of one object are two instances.
 */
export function splitRoot(root: string): { head: string; path: string } {
  const from = root.startsWith(CAPTURED) ? root.indexOf('\0') : 0;
  const dot = root.indexOf('.', from);
  return dot === -1 ? { head: root, path: '' } : { head: root.slice(0, dot), path: root.slice(dot) };
}

export function withPath(root: string | undefined, path: string): string | undefined {
  return root === undefined || root === FRESH || root === MADE ? root : root + path;
}

/**
 * What a local holds when declared: the value written (`ws := w.resuming[0]`: for `v, ok := m.Load(k)`
 * every name comes from the one call), an element of what a range or receive reads, or nothing we
 * can name (a zero value, a type switch's operand).
 */
export function declaredValue(def: VarDef, pos: Pos): Expr {
  switch (def.k) {
    case 'expr':
      return def.e;
    case 'range':
      return { k: 'index', x: def.x, index: [], pos };
    case 'recv':
      return { k: 'unary', op: '<-', x: def.ch, pos };
    default:
      return { k: 'bad', pos };
  }
}

/** The argument a callee's `@<index>` root refers to. */
export function argOf(call: CallExpr, root: string): Expr | undefined {
  return /^@\d+$/.test(root) ? call.args[Number(root.slice(1))] : undefined;
}
