/**
 * Go-like source text for an IR expression, for messages that name a condition, an object or a callee the way
 * the code spells it (`err != nil`, `s.done`, `e.Close(...)`). Long or unmodelled parts are elided, never guessed.
 */
import type { Expr } from './ir.js';

const MAX = 60;

/** `brief`: a callee as `explain` lists it, arguments and indexes elided (`s.get(...)[...]`). */
export function exprText(e: Expr, brief = false): string {
  const s = render(e, 0, brief);
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}

function render(e: Expr, depth: number, brief: boolean): string {
  if (depth > 6) return '…';
  const r = (x: Expr) => render(x, depth + 1, brief);
  switch (e.k) {
    case 'id':
      return e.name;
    case 'sel':
      return `${r(e.x)}.${e.name}`;
    case 'call':
      return `${r(e.fn)}(${brief ? '...' : e.args.length > 2 ? '…' : e.args.map(r).join(', ')})`;
    case 'index':
      return `${r(e.x)}[${brief ? '...' : e.index.map(r).join(', ')}]`;
    case 'slice':
      return `${r(e.x)}[…]`;
    case 'assert':
      return brief ? `${r(e.x)}.(...)` : `${r(e.x)}.(…)`;
    case 'unary':
      return brief ? `(${e.op}${r(e.x)})` : `${e.op}${r(e.x)}`;
    case 'binary':
      return `${r(e.x)} ${e.op} ${r(e.y)}`;
    case 'lit':
      return e.kind === 'nil' || e.kind === 'true' || e.kind === 'false' ? e.kind : e.zero ? '0' : e.kind === 'int' && e.value !== undefined ? String(e.value) : '…';
    case 'funclit':
      return brief ? 'func(){...}' : 'func(…) {…}';
    case 'composite':
      return '{…}';
    case 'type':
      return 'T';
    default:
      return '…';
  }
}
