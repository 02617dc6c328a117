/**
 * Branches the program's values decide: "can this side of an `if` ever run?" — not when its condition is an
 * error check of a call that cannot fail (NoFail), a nil check of a local never nil (NeverNil) or of a
 * parameter no caller passes nil (PassedNotNil). The walks ask it per `if` (`decide`); code that reads a
 * function without walking it (the calls a lock's holder reaches down) asks which calls sit on a dead side.
 */
import type { Expr, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { Dispatch } from '../dispatch.js';
import type { Identity } from '../identity/identity.js';
import { NeverNil } from './nevernil.js';
import { NoFail } from './nofail.js';
import { PassedNotNil } from './passednil.js';

export class Decided {
  readonly noFail: NoFail;
  readonly neverNil: NeverNil;
  readonly passed: PassedNotNil;
  private readonly dead = new Map<FuncNode, ReadonlySet<CallExpr>>();

  constructor(graph: CallGraph, dispatch: Dispatch, ids: Identity) {
    this.noFail = new NoFail(graph, ids);
    this.neverNil = new NeverNil(graph);
    this.passed = new PassedNotNil(graph, dispatch, this.neverNil);
  }

  /** The value `cond` certainly has in `fn`, where `def` is the statement just before it (or its `if`'s init). */
  decide(fn: FuncNode, cond: Expr, def: Stmt | undefined): boolean | undefined {
    return this.noFail.decided(fn, cond, def) ?? this.neverNil.decided(fn, cond) ?? this.passed.decided(fn, cond);
  }

  /** Whether `call` of `fn` sits on a side of an `if` that the values decide never runs. */
  deadCall(fn: FuncNode, call: CallExpr): boolean {
    let out = this.dead.get(fn);
    if (!out) this.dead.set(fn, (out = this.deadCalls(fn)));
    return out.has(call);
  }

  private deadCalls(fn: FuncNode): ReadonlySet<CallExpr> {
    const out = new Set<CallExpr>();
    const kill = (stmts: Stmt[]) => {
      for (const st of allStmts(stmts)) for (const c of callsInStmt(st)) out.add(c);
    };
    // Nested lists are reached through allStmts: each `if` is judged with the statement before it in its own list.
    const visit = (stmts: readonly Stmt[]) => {
      stmts.forEach((st, i) => {
        if (st.k !== 'if') return;
        const value = this.decide(fn, st.cond, st.init ?? stmts[i - 1]);
        if (value === false) kill(st.then);
        else if (value === true && st.else) kill(st.else);
      });
    };
    visit(fn.decl.body ?? []);
    for (const st of allStmts(fn.decl.body ?? [])) for (const list of nestedLists(st)) visit(list);
    return out;
  }
}

/** The statement lists directly inside a statement. */
function nestedLists(st: Stmt): readonly (readonly Stmt[])[] {
  switch (st.k) {
    case 'if':
      return st.else ? [st.then, st.else] : [st.then];
    case 'for':
    case 'block':
      return [st.body];
    case 'labeled':
      return st.stmt ? [[st.stmt]] : [];
    case 'switch':
    case 'typeswitch':
    case 'select':
      return st.cases.map((c) => c.body);
    default:
      return [];
  }
}
