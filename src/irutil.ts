import type { Expr, FileSummary, FuncDecl, Pos, Stmt } from './ir.js';
import type { Package, Program } from './program.js';

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

/** The argument of a call to a builtin such as `close(x)`, when `e` is one. */
export function builtinArg(e: Expr, name: string): Expr | undefined {
  if (e.k !== 'call' || e.fn.k !== 'id' || e.fn.name !== name) return undefined;
  return e.args[0];
}

/** Keys of the storage a statement (re)binds: assignment targets, new variables, range variables. */
export function assignedKeys(s: Stmt): string[] {
  const out: string[] = [];
  const add = (e: Expr | undefined) => {
    const k = e && exprKey(e);
    if (k !== undefined) out.push(k);
  };
  switch (s.k) {
    case 'assign':
      if (s.op === '=' || s.op === ':=') s.lhs.forEach(add);
      break;
    case 'var':
      out.push(...s.names.filter((n) => n !== '_'));
      break;
    case 'for':
      if (s.range) {
        add(s.range.key);
        add(s.range.value);
      }
      break;
  }
  return out;
}

/** Whether `key` is `prefix` itself or a field path below it. */
export function keyWithin(key: string, prefix: string): boolean {
  return key === prefix || key.startsWith(`${prefix}.`);
}

export function forEachFunc(program: Program, fn: (pkg: Package, file: FileSummary, decl: FuncDecl) => void): void {
  for (const pkg of program.packages) for (const file of pkg.files) for (const decl of file.funcs) fn(pkg, file, decl);
}

export function posKey(p: Pos): string {
  return `${p.line}:${p.col}`;
}
