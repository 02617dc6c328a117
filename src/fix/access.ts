import type { CallExpr } from '../facts/calls.js';
import type { Expr, FileSummary, SelectCase, Stmt, SwitchCase } from '../ir.js';

/**
 * Which variables a run of statements reads and writes, by name (exact up to shadowing), and how it may
 * leave: what the reorder fix needs to prove a move safe. Fields are src/fix/fields.ts's job.
 */
export interface Access {
  /** Identifiers read before the code itself assigned them (from the top-level statements in order). */
  exposed: Set<string>;
  /** Variables assigned anywhere, or whose address is taken. */
  writes: Set<string>;
  /** Names the top-level statements declare in the enclosing block (`:=`, `var`). */
  declared: Set<string>;
  /** Every call, closures' included: where the code's callees start. */
  calls: CallExpr[];
  /** A return, goto, label, fallthrough, or a break/continue that leaves the code, other than an error exit. */
  leaves: boolean;
  /** A `defer` anywhere: moving it would change what runs at exit, and when its arguments are evaluated. */
  defers: boolean;
}

/** `errorExits`: a return under `if v != nil` where the code assigned v itself is an error exit, not a leave. */
export function accessOf(stmts: readonly Stmt[], file: FileSummary, errorExits: boolean): Access {
  const a: Access = {
    exposed: new Set(),
    writes: new Set(),
    declared: new Set(),
    calls: [],
    leaves: false,
    defers: false,
  };
  const killed = new Set<string>();
  let reads = new Set<string>();
  const seenFuncs = new Set<number>();

  const expr = (e: Expr | undefined): void => {
    if (!e) return;
    switch (e.k) {
      case 'id':
        reads.add(e.name);
        return;
      case 'sel':
        return expr(e.x);
      case 'call':
        a.calls.push(e);
        expr(e.fn);
        return e.args.forEach(expr);
      case 'index':
        expr(e.x);
        return e.index.forEach(expr);
      case 'slice':
      case 'assert':
        return expr(e.x);
      case 'unary':
        if (e.op === '&') written(e.x);
        return expr(e.x);
      case 'binary':
        expr(e.x);
        return expr(e.y);
      case 'composite':
        return e.elems.forEach((el) => expr(el.value));
      case 'funclit': {
        // A closure reads and writes the variables it captures wherever it runs: count it here.
        if (seenFuncs.has(e.fn)) return;
        seenFuncs.add(e.fn);
        const body = file.funcs[e.fn]?.body ?? [];
        const outer = { leaves: a.leaves, defers: a.defers };
        for (const s of body) stmt(s, 1, false);
        // Its returns and defers are its own.
        a.leaves = outer.leaves;
        a.defers = outer.defers;
        return;
      }
      default:
        return;
    }
  };

  /** An assignment target: the variable or field written; what it is reached through is read. */
  const written = (e: Expr): void => {
    if (e.k === 'id') {
      if (e.name !== '_') a.writes.add(e.name);
    } else if (e.k === 'sel') {
      expr(e.x);
    } else if (e.k === 'unary' && e.op === '*') {
      expr(e.x);
    } else if (e.k === 'index') {
      // `x.f[k] = v` changes the map or slice in x.f.
      e.index.forEach(expr);
      written(e.x);
    } else expr(e);
  };

  /** `loops`: how many loops/switches/selects enclose s inside the code (an unlabelled break stays inside). */
  const stmt = (s: Stmt, loops: number, errorGuard: boolean): void => {
    switch (s.k) {
      case 'expr':
        return expr(s.x);
      case 'send':
        expr(s.ch);
        return expr(s.value);
      case 'assign':
        s.rhs.forEach(expr);
        if (s.op !== '=' && s.op !== ':=') s.lhs.forEach(expr);
        return s.lhs.forEach(written);
      case 'var':
        s.values.forEach(expr);
        return s.names.forEach((n) => n !== '_' && a.writes.add(n));
      case 'incdec':
        expr(s.x);
        return written(s.x);
      case 'go':
        return expr(s.call);
      case 'defer':
        a.defers = true;
        return expr(s.call);
      case 'return':
        if (!errorGuard) a.leaves = true;
        return s.values.forEach(expr);
      case 'branch':
        if (s.label !== undefined || s.kind === 'goto' || s.kind === 'fallthrough' || loops === 0) a.leaves = true;
        return;
      case 'block':
        return s.body.forEach((x) => stmt(x, loops, errorGuard));
      case 'if': {
        if (s.init) stmt(s.init, loops, errorGuard);
        expr(s.cond);
        const guard = errorGuard || (errorExits && isErrorCheck(s.cond, killed));
        s.then.forEach((x) => stmt(x, loops, guard));
        return s.else?.forEach((x) => stmt(x, loops, errorGuard));
      }
      case 'for':
        if (s.label !== undefined) a.leaves = true;
        if (s.init) stmt(s.init, loops, errorGuard);
        expr(s.cond);
        if (s.post) stmt(s.post, loops, errorGuard);
        if (s.range) {
          expr(s.range.x);
          if (s.range.key) written(s.range.key);
          if (s.range.value) written(s.range.value);
        }
        return s.body.forEach((x) => stmt(x, loops + 1, errorGuard));
      case 'switch':
      case 'typeswitch':
        if (s.label !== undefined) a.leaves = true;
        if (s.init) stmt(s.init, loops, errorGuard);
        if (s.k === 'switch') expr(s.tag);
        else {
          expr(s.x);
          if (s.bind) a.writes.add(s.bind);
        }
        return s.cases.forEach((c: SwitchCase) => {
          c.exprs.forEach(expr);
          c.body.forEach((x) => stmt(x, loops + 1, errorGuard));
        });
      case 'select':
        if (s.label !== undefined) a.leaves = true;
        return s.cases.forEach((c: SelectCase) => {
          if (c.kind === 'send') {
            expr(c.ch);
            expr(c.value);
          } else if (c.kind === 'recv') {
            expr(c.ch);
            c.lhs.forEach(written);
          }
          c.body.forEach((x) => stmt(x, loops + 1, errorGuard));
        });
      case 'labeled':
        a.leaves = true;
        if (s.stmt) stmt(s.stmt, loops, errorGuard);
        return;
    }
  };

  for (const s of stmts) {
    reads = new Set();
    stmt(s, 0, false);
    for (const r of reads) if (!killed.has(r)) a.exposed.add(r);
    for (const n of definiteWrites(s)) killed.add(n);
    for (const n of declaredBy(s)) a.declared.add(n);
  }
  return a;
}

/** `v != nil` on a value the code assigned: the branch is where that step failed. */
function isErrorCheck(cond: Expr, assigned: Set<string>): boolean {
  return cond.k === 'binary' && cond.op === '!=' && cond.x.k === 'id' && assigned.has(cond.x.name) && cond.y.k === 'lit' && cond.y.kind === 'nil';
}

/** Variables a top-level statement surely assigns (its right side is read first). */
export function definiteWrites(s: Stmt): string[] {
  if (s.k === 'assign' && (s.op === '=' || s.op === ':=')) return s.lhs.flatMap((e) => (e.k === 'id' && e.name !== '_' ? [e.name] : []));
  if (s.k === 'var') return s.names.filter((n) => n !== '_');
  return [];
}

/** Names a statement declares in its block. */
export function declaredBy(s: Stmt): string[] {
  if (s.k === 'assign' && s.op === ':=') return definiteWrites(s);
  if (s.k === 'var') return s.names.filter((n) => n !== '_');
  return [];
}
