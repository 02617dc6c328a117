/**
 * Next lock: "can any Lock of this instance run after the one left held?" — a mutex left locked is a hazard
 * only through a later Lock of the same object. When the object is made in the function (or in the one whose
 * literal holds the Lock) and confined to it (identity/escape.ts), every Lock of it is written there: none
 * but the one left held, and that one running once per object, means there is no next lock (a test locking a
 * throwaway object on purpose, to race a reader against the held lock). Likewise when the object is the
 * function's receiver or parameter, kept to itself, and every call gives it one made for that call alone
 * (`rcvTLSConn(conn).read()`): once it returns nothing holds the object (freshEachCall). And when the object is a
 * local that nothing has been given yet at the return that keeps it locked (the goroutine that shares it is started
 * further on): leaving by that return, the function takes the object with it (unsharedAt).
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { Confinement, isLocal, type PartCall } from '../identity/escape.js';
import type { ChanId } from '../identity/ids.js';
import { CAPTURED, RECEIVER, splitRoot } from '../identity/roots.js';
import { isNil } from '../../irutil.js';
import { valueUsesOf } from '../program/valueuses.js';
import { primitiveOf, UNLOCK_NAME_RE } from './calls.js';
import type { LockOp } from './types.js';

/** fmt's printers: they keep nothing they are given, and call only the methods below on it. */
const PRINTER_RE = /^fmt\.(S|F)?print(f|ln)?$/i;
const PRINTED_METHODS = ['String', 'Error', 'Format', 'GoString'];
/** How many functions a printed method's callees are searched for a Lock of the mutex before giving up. */
const MAX_SEARCH = 2000;

export class NextLock {
  private readonly confinement: Confinement;

  constructor(private readonly facts: SyncFacts) {
    this.confinement = new Confinement(facts.graph, facts.ids);
  }

  /** Whether no Lock of `op`'s instance can follow its acquisition in `fn`. */
  none(fn: FuncNode, op: LockOp): boolean {
    if (op.steps.length !== 1) return false;
    const { head, path } = splitRoot(op.root);
    if (/^[@#]|^global:/.test(head)) return false;
    let decl = fn;
    let name = head;
    if (head.startsWith(CAPTURED)) {
      const [owner, local] = head.slice(CAPTURED.length).split('\0');
      const found = this.enclosing(fn, owner!);
      if (!found || local === undefined) return false;
      decl = found;
      name = local;
    }
    return this.onlyHeld(op, this.confinement.partCalls(decl, name, fieldsOf(path), (node, call, index) => this.printed(node, call, index, op.id)));
  }

  /**
   * The calls of `fn` when each gives it an object made for that call alone where `op`'s object roots (its
   * receiver or a parameter: `rcvTLSConn(conn).read()`, `(&conn{}).read()`, or a local the caller makes and gives
   * to this one call only: `mu := &sync.Mutex{}; return walk(dir, mu)`), or passes on its own such object in a call
   * whose result it returns at once (a recursion), and `fn` keeps the object to itself and locks it only at this
   * Lock: nothing holds it after `fn` returns. Undefined otherwise: a call passes a stored object, `fn` lets it
   * out or locks it elsewhere, or `fn` is used as a value (calls we do not see).
   */
  freshEachCall(fn: FuncNode, op: LockOp): CallerEdge[] | undefined {
    if (op.steps.length !== 1) return undefined;
    const { head, path } = splitRoot(op.root);
    const index = head === RECEIVER ? -1 : /^@\d+$/.test(head) ? Number(head.slice(1)) : undefined;
    if (index === undefined) return undefined;
    const { graph, ids } = this.facts;
    const callers = graph.callers(fn);
    const passed = (e: CallerEdge): Expr | undefined => {
      if (index >= 0) return e.how === 'static' || e.how === 'method' ? e.call.args[index] : undefined;
      return e.how === 'method' && e.call.fn.k === 'sel' ? e.call.fn.x : undefined;
    };
    const isVar = (node: FuncNode, e: Expr): boolean => {
      const st = e.k === 'id' ? graph.storageOf(node, e) : undefined;
      return st?.kind === 'param' && st.fn === fn.id && st.index === index;
    };
    // `fn`'s own object passed on to a call of `fn` whose result it returns at once: it holds nothing after.
    const recursion = (node: FuncNode, call: CallExpr, i: number): boolean =>
      node === fn && i === index && callers.some((e) => e.caller === fn && e.call === call && returnedAtOnce(fn, call));
    // Made on the spot, or a local made for this call alone: not a variable another call could be given again.
    const madeFor = (e: CallerEdge): boolean => {
      const x = passed(e);
      if (x === undefined || isNil(x)) return false;
      if (x.k !== 'id') return ids.fresh.value(e.caller, x);
      if (index >= 0 && recursion(e.caller, e.call, index) && isVar(e.caller, x)) return true;
      const only = (node: FuncNode, call: CallExpr, i: number) => call === e.call && i === index;
      const calls = this.confinement.partCalls(e.caller, x.name, [], only);
      return calls !== undefined && calls.every((c) => c.call === e.call);
    };
    if (callers.length === 0 || !callers.every(madeFor) || valueUsesOf(this.facts.graph).usedAsValue(fn)) return undefined;
    const calls = this.confinement.confined(fn, isVar, fieldsOf(path), (node, call, i) => this.printed(node, call, i, op.id) || recursion(node, call, i));
    // A Lock of `fn`'s own body left held by a return: the loop it may be in ends there.
    return this.onlyHeld(op, calls, true) ? callers : undefined;
  }

  /**
   * Whether the object `op` leaves locked at the return at `exit` is a local of `fn` that nothing else holds there:
   * every use of the variable that could hand it on (a function literal that captures it, the variable used other
   * than for a call on it or on its fields) comes later in the body, outside any loop around the return, and the
   * return does not give it back. Leaving by that return, `fn` drops the only reference: no Lock can follow.
   */
  unsharedAt(fn: FuncNode, op: LockOp, exit: Pos | undefined): boolean {
    const body = fn.decl.body;
    const { head } = splitRoot(op.root);
    if (exit === undefined || !body || /^[@#]|^global:/.test(head) || head.startsWith(CAPTURED)) return false;
    const { graph } = this.facts;
    const isVar = (node: FuncNode, e: Expr) => isLocal(graph, node, e, fn, head);
    const ret = allStmts(body).find((st) => st.pos === exit);
    if (ret?.k !== 'return' || mentions(ret, (e) => isVar(fn, e))) return false;
    // The variable as the base of a call on it (`mu.Lock()`, `s.mu.Unlock()`), or declared: not handed on.
    const kept = new Set<Expr>();
    for (const st of allStmts(body)) if (st.k === 'assign' && st.op === ':=') for (const l of st.lhs) kept.add(l);
    forEachExpr(body, (e) => {
      if (e.k !== 'call' || e.fn.k !== 'sel') return;
      let base = e.fn.x;
      while (base.k === 'sel') base = base.x;
      kept.add(base);
    });
    const handed: Expr[] = [];
    forEachExpr(body, (e) => {
      if (e.k === 'funclit' ? this.captures(fn, e.fn, isVar) : isVar(fn, e) && !kept.has(e)) handed.push(e);
    });
    if (handed.some((e) => e.pos < exit)) return false;
    // A loop around the return may have run a later use in an earlier round.
    const loops = allStmts(body).filter((st) => st.k === 'for' && allStmts(st.body).some((s) => s.pos === exit));
    return loops.every((loop) => !handed.some((h) => mentions(loop, (e) => e === h)));
  }

  /** Whether the function literal `index` of `fn`'s file, or one inside it, uses what `isVar` names. */
  private captures(fn: FuncNode, index: number, isVar: (node: FuncNode, e: Expr) => boolean): boolean {
    const { funcs } = fn.file;
    const lit = funcs[index]!;
    const inside = (f: (typeof funcs)[number]): boolean => f === lit || (f.parent !== undefined && inside(funcs[f.parent]!));
    return funcs.filter(inside).some((f) => {
      const node = this.facts.graph.nodeOf(fn.file, f);
      let found = false;
      forEachExpr(f.body ?? [], (e) => (found ||= isVar(node, e)));
      return found;
    });
  }

  /**
   * Whether the calls on the object's mutex are unlocks and the lock `op` left held, run once (or, `inBody`, any
   * number of times in the function's own body, which the return that keeps it ends).
   */
  private onlyHeld(op: LockOp, calls: PartCall[] | undefined, inBody = false): boolean {
    const lock = op.steps[0]!;
    return calls !== undefined && calls.every((c) => UNLOCK_NAME_RE.test(c.method) || (c.node === lock.node && c.call.pos === lock.pos && (c.once || inBody)));
  }

  /** The function, enclosing `fn` or `fn` itself, whose id is `id`. */
  private enclosing(fn: FuncNode, id: string): FuncNode | undefined {
    let at: FuncNode | undefined = fn;
    while (at && at.id !== id) at = at.decl.parent === undefined ? undefined : this.facts.graph.nodeOf(at.file, at.file.funcs[at.decl.parent]!);
    return at;
  }

  /** A fmt printer given the object: harmless unless a method it calls on the object may lock that mutex. */
  private printed(node: FuncNode, call: CallExpr, index: number, id: ChanId): boolean {
    if (!PRINTER_RE.test(libraryName(this.facts.graph.callInfo(call)) ?? '')) return false;
    let t = this.facts.graph.typeOf(node, call.args[index]!);
    if (t.k === 'ptr') t = t.elem;
    const info = t.k === 'named' ? this.facts.graph.index.typeInfo(t) : undefined;
    if (!info) return false;
    return PRINTED_METHODS.every((m) => {
      const method = info.methods.get(m);
      return !method || !this.mayLock(method.node, id);
    });
  }

  /** A `sync.Mutex` or `sync.RWMutex` itself, whose id is its own (not a struct embedding one, nor a Locker). */
  private plainMutex(node: FuncNode, x: Expr): boolean {
    let t = this.facts.graph.typeOf(node, x);
    if (t.k === 'ptr') t = t.elem;
    return t.k === 'named' && t.path === 'sync' && /^(RW)?Mutex$/.test(t.name);
  }

  /** Whether a function, or one it may call, locks a mutex stored as `id`. */
  private mayLock(start: FuncNode, id: ChanId): boolean {
    const { graph, dispatch, ids } = this.facts;
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length) {
      if (seen.size > MAX_SEARCH) return true;
      const node = queue.pop()!;
      for (const site of graph.sites(node)) {
        const prim = primitiveOf(site.info);
        if (prim && prim.verb !== 'unlock' && (site.call.fn.k !== 'sel' || !this.plainMutex(node, site.call.fn.x) || ids.idOf(node, site.call.fn.x) === id)) return true;
        for (const t of dispatch.targetsOf(node, site.call)) if (!seen.has(t.callee)) seen.add(t.callee), queue.push(t.callee);
      }
    }
    return false;
  }
}

/** Whether `pred` holds for an expression in a statement, at any depth (not inside function literals). */
function mentions(st: Stmt, pred: (e: Expr) => boolean): boolean {
  let found = false;
  forEachExpr([st], (e) => (found ||= pred(e)));
  return found;
}

/** Whether `call` is the value of a return statement of `fn`: its result returned at once, nothing run after it. */
function returnedAtOnce(fn: FuncNode, call: CallExpr): boolean {
  return allStmts(fn.decl.body ?? []).some((st) => st.k === 'return' && st.values.some((v) => v === call));
}

/** The field names of a root's path (`.writer.mu`). */
function fieldsOf(path: string): string[] {
  return path ? path.slice(1).split('.') : [];
}
