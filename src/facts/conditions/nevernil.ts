/**
 * Variables never nil: "can this `v == nil` ever hold?" — not when `v` is a local every value of which, written
 * anywhere (in the function that declares it or in a closure that captures it), is certainly not nil where it
 * is written: made on the spot (`&T{}`, a literal, `new`, `make`), a value the writer has just checked
 * (`if res.Lease == nil { return }; lease = res.Lease`), or the result of a constructor of the program whose
 * every return hands back such a value (`s := &Session{...}; ...; return s`). A local declared without a value
 * starts nil; one whose address is taken may be written through it: neither is followed.
 */
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { madeHere, nilCompared } from '../../irutil.js';
import type { Storage } from '../../resolve/bindings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, literalsOf, type CallExpr } from '../calls.js';
import { decidedWith, decidingBranches } from '../evidence/branches.js';

type Local = Extract<Storage, { kind: 'local' }>;

/** The root variable of `x.y.z`. */
function rootOf(e: Expr): Extract<Expr, { k: 'id' }> | undefined {
  return e.k === 'id' ? e : e.k === 'sel' ? rootOf(e.x) : undefined;
}

/** How many constructors deep a result is followed (`New` returning `newWith(...)`). */
const MAX_DEPTH = 4;

export class NeverNil {
  private readonly known = new Map<string, boolean>();
  private readonly results = new Map<FuncNode, boolean>();

  constructor(private readonly graph: CallGraph) {}

  /** The value of a nil check of such a local (`v == nil` false, `v != nil` true), when the program decides it. */
  decided(fn: FuncNode, cond: Expr): boolean | undefined {
    const nil = nilCompared(cond);
    return nil?.x.k === 'id' && this.notNil(fn, nil.x) ? nil.op === '!=' : undefined;
  }

  /** Whether the value of `e`, evaluated in `fn`, is certainly not nil: made there, a local never nil, or a constructor's result. */
  notNil(fn: FuncNode, e: Expr, depth = 0): boolean {
    if (madeHere(e)) return true;
    if (e.k === 'call') return this.constructs(e, depth);
    const s = e.k === 'id' ? this.graph.storageOf(fn, e) : undefined;
    if (s?.kind !== 'local') return false;
    const key = `${s.fn}\0${s.name}`;
    let never = this.known.get(key);
    if (never === undefined) this.known.set(key, (never = this.neverNil(s, depth)));
    return never;
  }

  /**
   * Whether a call's only result is never nil: every function it may call (all of an interface's implementers)
   * is one of the program's whose every return hands back a value never nil.
   */
  private constructs(call: CallExpr, depth: number): boolean {
    const info = this.graph.callInfo(call);
    if (info.kind !== 'resolved' || info.targets.length === 0 || depth >= MAX_DEPTH) return false;
    return info.targets.every(({ callee }) => {
      let out = this.results.get(callee);
      if (out !== undefined) return out;
      // Recursion through itself proves nothing.
      this.results.set(callee, false);
      const { results, body } = callee.decl;
      const stmts = allStmts(body ?? []);
      const returns = stmts.flatMap((st) => (st.k === 'return' ? [st] : []));
      // A deferred function may set a named result after the return.
      const rewritten = results[0]?.name !== undefined && stmts.some((st) => st.k === 'defer');
      out = results.length === 1 && !rewritten && returns.length > 0 && returns.every((r) => r.values.length === 1 && (this.notNil(callee, r.values[0]!, depth + 1) || this.notNilAt(body!, r, r.values[0]!, depth + 1)));
      this.results.set(callee, out);
      return out;
    });
  }

  private same(fn: FuncNode, e: Expr, s: Local): boolean {
    const t = e.k === 'id' ? this.graph.storageOf(fn, e) : undefined;
    return t?.kind === 'local' && t.fn === s.fn && t.name === s.name;
  }

  private neverNil(s: Local, depth = 0): boolean {
    const decl = this.graph.byId.get(s.fn);
    if (!decl) return false;
    // The declaring function and every literal inside it, at any depth: where the local can be written.
    const writers = [decl, ...literalsOf(decl, this.graph).values()];
    let writes = 0;
    for (const fn of writers) {
      const body = fn.decl.body ?? [];
      let lent = false;
      forEachExpr(body, (x) => {
        if (x.k === 'unary' && x.op === '&' && this.same(fn, x.x, s)) lent = true;
      });
      if (lent) return false;
      for (const st of allStmts(body)) {
        // Bound by a loop or a receive, whatever they give: not followed.
        const binds = st.k === 'for' ? [st.range?.key, st.range?.value] : st.k === 'select' ? st.cases.flatMap((c) => (c.kind === 'recv' ? c.lhs : [])) : [];
        if (binds.some((b) => b && this.same(fn, b, s))) return false;
        // A `var` names no storage: a declaration of the name without a value (or of another one) may be it, and starts nil.
        const declared = st.k === 'var' && fn === decl ? st.names.findIndex((n) => s.name === n || s.name.startsWith(`${n}'`)) : -1;
        if (st.k === 'var' && declared !== -1) {
          if (!st.values[declared] || !madeHere(st.values[declared]!)) return false;
          writes++;
        }
        if (st.k !== 'assign') continue;
        const i = st.lhs.findIndex((l) => this.same(fn, l, s));
        if (i === -1) continue;
        if (st.lhs.length !== st.rhs.length || (st.op !== '=' && st.op !== ':=') || !this.notNilAt(body, st, st.rhs[i]!, depth)) return false;
        writes++;
      }
    }
    return writes > 0;
  }

  /** Whether `value`, written by `st` in `body`, is made there (or by a constructor), or checked not nil on the way to `st` and not written since. */
  private notNilAt(body: Stmt[], st: Stmt, value: Expr, depth: number): boolean {
    if (madeHere(value) || (value.k === 'call' && this.constructs(value, depth))) return true;
    const root = rootOf(value);
    if (!root) return false;
    const text = exprText(value);
    const check = (decidingBranches(body, st.pos) ?? []).find((b) => {
      const c = b.kind === 'if' && b.taken !== undefined ? b.conds[0] : undefined;
      const nil = c && nilCompared(c);
      // On the way to the write the check says "not nil": `== nil` untaken, or `!= nil` taken.
      return nil !== undefined && exprText(nil.x) === text && b.taken === (nil.op === '!=');
    });
    // Or written on the way, with a value made there (`h.s = &S{...}; ...; return h.s`).
    const made = check ? undefined : allStmts(body).find((w) => w.k === 'assign' && w.pos < st.pos && w.lhs.length === w.rhs.length && w.lhs.some((l, i) => exprText(l) === text && madeHere(w.rhs[i]!)) && decidedWith(body, w.pos, st.pos));
    const since = check ?? made;
    if (!since) return false;
    return !allStmts(body).some((w) => w !== made && w.k === 'assign' && w.pos > since.pos && w.pos < st.pos && w.lhs.some((l) => rootOf(l)?.name === root.name));
  }
}
