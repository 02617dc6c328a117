/**
 * Goroutines: "what runs on another goroutine, and what joins it?" — the goroutine a call starts
 * (`go f()`, `g.Go(func() {...})`, a local bound to a literal), and the receives by which a function
 * waits for what its goroutines produce (its own, its literals', a helper's that always receives, a callee's
 * of a goroutine's exit signal: exits.ts).
 */
import type { Expr, Stmt } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInStmt, forEachSubExpr, libraryName, type CallExpr } from '../calls.js';
import { SPAWN_METHOD_RE, type Dispatch } from '../dispatch.js';
import type { ChanId } from '../identity/ids.js';
import type { Identity } from '../identity/identity.js';
import { ExitSignals } from './exits.js';

/** Library methods that run their function argument on a new goroutine. */
const SPAWN_RE = /(^sync\.\(\*WaitGroup\)\.Go|errgroup\.\(\*Group\)\.(Go|TryGo))$/;

/** Spawns and receive-joins, per function or call, memoized. */
export class Goroutines {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly ids: Identity,
  ) {
    this.exits = new ExitSignals(graph, dispatch, ids, this);
  }

  /** The channels that tell a goroutine is over, and the calls that wait for them. */
  readonly exits: ExitSignals;

  private readonly observed = new Map<FuncNode, ReadonlySet<ChanId>>();

  /**
   * Channels a function or any function literal inside it receives from or measures (`len(done)`):
   * how a function waits for the goroutines it started, when it does not use a WaitGroup.
   */
  observes(node: FuncNode): ReadonlySet<ChanId> {
    let out = this.observed.get(node);
    if (out) return out;
    const set = new Set<ChanId>();
    const visit = (fn: FuncNode) => {
      for (const id of this.receivesIn(fn)) set.add(id);
      for (const st of allStmts(fn.decl.body ?? [])) {
        for (const c of callsInStmt(st)) {
          const arg = c.args[0];
          if (c.fn.k === 'id' && (c.fn.name === 'len' || c.fn.name === 'cap') && arg) {
            const id = this.ids.idOf(fn, arg);
            if (id !== undefined) set.add(id);
          }
        }
      }
    };
    const funcs = node.file.funcs;
    const pending = [node.decl.id];
    while (pending.length) {
      const id = pending.pop()!;
      visit(this.graph.nodeOf(node.file, funcs[id]!));
      // Literals follow the function they are declared in, so their children come after them.
      for (let i = id + 1; i < funcs.length; i++) if (funcs[i]!.parent === id) pending.push(i);
    }
    this.observed.set(node, set);
    return set;
  }

  private readonly alwaysReceived = new Map<FuncNode, ReadonlySet<number>>();

  /**
   * The parameters a function receives from before it can return: `<-r` among its top-level
   * statements, or a `select` whose other cases end the goroutine (`t.Fatalf` on a timeout), with no
   * `return` before it. A call of it is a receive of that argument (`expectUpdate(t, r1, ...)`).
   */
  private receivesAlways(node: FuncNode): ReadonlySet<number> {
    let out = this.alwaysReceived.get(node);
    if (out) return out;
    const found = new Set<number>();
    const param = (e: Expr): number | undefined => {
      if (e.k !== 'id') return undefined;
      const st = this.graph.storageOf(node, e);
      return st?.kind === 'param' && st.fn === node.id && st.index >= 0 ? st.index : undefined;
    };
    const ends = (body: Stmt[]) => {
      const last = body.at(-1);
      return last?.k === 'expr' && last.x.k === 'call' && this.dispatch.noReturn(last.x);
    };
    for (const st of node.decl.body ?? []) {
      const recv = st.k === 'expr' ? st.x : st.k === 'assign' && st.rhs.length === 1 ? st.rhs[0]! : undefined;
      if (recv?.k === 'unary' && recv.op === '<-') {
        const i = param(recv.x);
        if (i !== undefined) found.add(i);
        continue;
      }
      if (st.k === 'select') {
        const received = st.cases.flatMap((c) => (c.kind === 'recv' ? [param(c.ch)] : []));
        const i = received.find((x) => x !== undefined);
        const others = st.cases.filter((c) => c.kind !== 'recv' || param(c.ch) !== i);
        if (i !== undefined && others.every((c) => c.kind !== 'default' && ends(c.body))) found.add(i);
      }
      if (allStmts([st]).some((x) => x.k === 'return')) break;
    }
    this.alwaysReceived.set(node, (out = found));
    return out;
  }

  /** The arguments a call certainly receives from before it returns (see receivesAlways). */
  receivedBy(node: FuncNode, call: CallExpr): Expr[] {
    const callee = call.args.length > 0 ? this.dispatch.soleCallee(node, call) : undefined;
    return callee ? [...this.receivesAlways(callee)].flatMap((i) => (call.args[i] ? [call.args[i]!] : [])) : [];
  }

  /** Channels the function itself receives from (`<-ch`, select receive cases, `range ch`). */
  receivesIn(node: FuncNode): ReadonlySet<ChanId> {
    const out = new Set<ChanId>();
    const body = node.decl.body;
    if (!body) return out;
    const add = (e: Expr | undefined) => {
      const id = e && this.ids.idOf(node, e);
      if (id !== undefined) out.add(id);
    };
    const visit = (e: Expr | undefined): void => {
      if (!e) return;
      if (e.k === 'unary' && e.op === '<-') add(e.x);
      forEachSubExpr(e, visit);
    };
    for (const st of allStmts(body)) {
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') add(c.ch);
      // A range over a slice or map receives nothing.
      if (st.k === 'for' && st.range && this.ids.isChannel(node, st.range.x)) add(st.range.x);
      for (const c of callsInStmt(st)) visit(c);
      if (st.k === 'assign') st.rhs.forEach(visit);
      if (st.k === 'expr') visit(st.x);
      if (st.k === 'if') visit(st.cond);
    }
    return out;
  }

  private readonly bound = new Map<Expr, CallExpr>();

  /** A call of the function literal passed as an argument, for its effects; one per argument. */
  boundCall(node: FuncNode, arg: Expr | undefined): CallExpr | undefined {
    const lit = this.ids.literalOf(node, arg);
    if (!lit || !arg) return undefined;
    let call = this.bound.get(arg);
    if (!call) this.bound.set(arg, (call = { k: 'call', fn: lit, args: [], pos: arg.pos }));
    return call;
  }

  /**
   * The call a `go` statement makes, with a local bound only to a literal (`send := func() {...}; go send()`)
   * taken as that literal's call. Only for goroutines: a literal called through a local on this goroutine
   * (`if handleRead() { return }`) often acts on what it returns, which the facts do not follow, so its
   * effects stay as imprecise as any function value's.
   */
  goCall(node: FuncNode, call: CallExpr): CallExpr {
    return call.args.length === 0 && call.fn.k === 'id' ? (this.boundCall(node, call.fn) ?? call) : call;
  }

  private readonly spawns = new Map<Expr, CallExpr>();

  /**
   * The goroutine a call starts, as a call of the function literal it is given: `errgroup.Group.Go`,
   * `sync.WaitGroup.Go`. One synthetic call per literal, so that memos keyed by calls stay small.
   */
  spawnOf(node: FuncNode, call: CallExpr): CallExpr | undefined {
    const f = call.args[0];
    if (call.args.length !== 1 || !f || call.fn.k !== 'sel' || !SPAWN_METHOD_RE.test(call.fn.name)) return undefined;
    const fn = this.ids.literalOf(node, f);
    if (!fn || !SPAWN_RE.test(libraryName(this.graph.callInfo(call)) ?? '')) return undefined;
    let lit = this.spawns.get(f);
    if (!lit) this.spawns.set(f, (lit = { k: 'call', fn, args: [], pos: call.pos }));
    return lit;
  }
}
