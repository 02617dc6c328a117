import { allStmts, callsInStmt, forEachSubExpr, type CallExpr } from '../facts/calls.js';
import { perProgram } from '../facts/perprogram.js';
import type { Expr, Stmt } from '../ir.js';
import type { Package } from '../program.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { typeString } from '../resolve/types.js';

/** Functions followed from one side of a reorder; beyond, the move is not proven safe. */
export const REACH_LIMIT = 5000;

/** Fields as `Type.field` (`?.field` when the type is unknown) that code and everything it may call writes and reads. */
export interface FieldEffects {
  writes: Set<string>;
  reads: Set<string>;
  /** False when the walk stopped at REACH_LIMIT. */
  complete: boolean;
}

export function fieldEffects(graph: CallGraph, fn: FuncNode, stmts: readonly Stmt[]): FieldEffects {
  const out: FieldEffects = { writes: new Set(), reads: new Set(), complete: true };
  const seen = new Set<FuncNode>();
  const queue: FuncNode[] = [];
  const follow = (caller: FuncNode, call: CallExpr) => {
    const info = graph.callInfo(call);
    if (info.kind !== 'resolved') return;
    for (const { callee, how } of info.targets) {
      if (seen.has(callee)) continue;
      if (how === 'interface' && !sees(graph, caller, callee)) continue;
      seen.add(callee);
      queue.push(callee);
    }
  };
  scan(graph, fn, stmts, out).forEach((c) => follow(fn, c));
  while (queue.length) {
    if (seen.size > REACH_LIMIT) {
      out.complete = false;
      break;
    }
    const f = queue.pop()!;
    scan(graph, f, f.decl.body ?? [], out).forEach((c) => follow(f, c));
  }
  return out;
}

interface Imports {
  packages: Map<string, Package>;
  /** Every package a package imports, directly or not, by import path. */
  closures: Map<string, Set<string>>;
}

/** The program's packages, and the import closures asked for so far (each computed on first ask). */
const importsOf = perProgram((graph: CallGraph): Imports => ({ packages: new Map(graph.funcs.map((f) => [f.pkg.importPath, f.pkg])), closures: new Map() }));

/**
 * Whether an interface call in `caller` is followed to `callee`: when the callee's package is the caller's
 * or one it imports, directly or not. Interface calls are resolved by method set over all the code loaded,
 * so which implementations in importing packages they reach depends on the pattern (`./...` loads
 * more than `./pkg/...`): an unrelated `Flush() error` of a package that imports the caller's made the same
 * fix refused from one pattern and offered from the other. Code the caller's package cannot name is what it
 * reaches only through values handed to it at run time, which the re-analysis of the fix still covers.
 */
function sees(graph: CallGraph, caller: FuncNode, callee: FuncNode): boolean {
  const from = caller.pkg.importPath;
  const to = callee.pkg.importPath;
  if (from === to) return true;
  const imports = importsOf(graph);
  let closure = imports.closures.get(from);
  if (!closure) {
    closure = new Set<string>();
    const queue = [from];
    while (queue.length) {
      for (const file of imports.packages.get(queue.pop()!)?.files ?? []) {
        for (const imp of file.imports) {
          if (closure.has(imp.path)) continue;
          closure.add(imp.path);
          queue.push(imp.path);
        }
      }
    }
    imports.closures.set(from, closure);
  }
  return closure.has(to);
}

/** A field one side writes that the other reads (as `Type.field`), if any; an unknown type matches any type's field of that name. */
export function overlaps(writes: Set<string>, reads: Set<string>): string | undefined {
  const byName = (set: Set<string>) => {
    const m = new Map<string, Set<string>>();
    for (const k of set) {
      const dot = k.lastIndexOf('.');
      const name = k.slice(dot + 1);
      m.set(name, (m.get(name) ?? new Set()).add(k.slice(0, dot)));
    }
    return m;
  };
  const r = byName(reads);
  for (const [name, types] of byName(writes)) {
    const other = r.get(name);
    if (!other) continue;
    const known = [...types].find((t) => t !== '?' && (other.has(t) || other.has('?'))) ?? [...other].find((t) => t !== '?' && types.has('?'));
    if (known !== undefined || (types.has('?') && other.has('?'))) return `${known ?? '?'}.${name}`;
  }
  return undefined;
}

/** Adds the fields f's statements write and read; returns their calls. */
function scan(graph: CallGraph, f: FuncNode, stmts: readonly Stmt[], out: FieldEffects): CallExpr[] {
  const key = (e: Extract<Expr, { k: 'sel' }>) => {
    const t = graph.typeOf(f, e.x);
    const name = t.k === 'unknown' ? '?' : typeString(t).replace(/^\*/, '');
    return `${name}.${e.name}`;
  };
  const visit = (e: Expr, written: boolean): void => {
    if (e.k === 'sel') (written ? out.writes : out.reads).add(key(e));
    // `x.f[k] = v` and `*x.f = v` change what x.f holds.
    if (written && (e.k === 'index' || (e.k === 'unary' && e.op === '*'))) {
      visit(e.x, true);
      if (e.k === 'index') e.index.forEach((i) => visit(i, false));
      return;
    }
    if (e.k === 'unary' && e.op === '&') return visit(e.x, true);
    forEachSubExpr(e, (x) => visit(x, false));
  };
  const calls: CallExpr[] = [];
  for (const st of allStmts([...stmts])) {
    switch (st.k) {
      case 'assign':
        st.lhs.forEach((l) => visit(l, true));
        if (st.op !== '=' && st.op !== ':=') st.lhs.forEach((l) => visit(l, false));
        st.rhs.forEach((x) => visit(x, false));
        break;
      case 'incdec':
        visit(st.x, true);
        visit(st.x, false);
        break;
      case 'expr':
        visit(st.x, false);
        break;
      case 'send':
        visit(st.ch, false);
        visit(st.value, false);
        break;
      case 'var':
      case 'return':
        st.values.forEach((x) => visit(x, false));
        break;
      case 'go':
      case 'defer':
        visit(st.call, false);
        break;
      case 'if':
        visit(st.cond, false);
        break;
      case 'for':
        if (st.cond) visit(st.cond, false);
        if (st.range) visit(st.range.x, false);
        break;
      case 'switch':
        if (st.tag) visit(st.tag, false);
        break;
      case 'typeswitch':
        visit(st.x, false);
        break;
      default:
        break;
    }
    calls.push(...callsInStmt(st));
  }
  return calls;
}
