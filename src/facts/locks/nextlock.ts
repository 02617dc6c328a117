/**
 * Next lock: "can any Lock of this instance run after the one left held?" — a mutex left locked is a hazard
 * only through a later Lock of the same object. When the object is made in the function (or in the one whose
 * literal holds the Lock) and confined to it (identity/escape.ts), every Lock of it is written there: none
 * but the one left held, and that one running once per object, means there is no next lock (a test locking a
 * throwaway object on purpose, to race a reader against the held lock). Likewise when the object is the
 * function's receiver or parameter, kept to itself, and every call gives it one made for that call alone
 * (`rcvTLSConn(conn).read()`): once it returns nothing holds the object (freshEachCall).
 */
import type { Expr } from '../../ir.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { libraryName, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { Confinement, type PartCall } from '../identity/escape.js';
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
   * receiver or a parameter: `rcvTLSConn(conn).read()`, `(&conn{}).read()`), and `fn` keeps the object to itself
   * and locks it only this once: nothing holds it after `fn` returns. Undefined otherwise: a call passes a stored
   * object, `fn` lets it out or locks it again, or `fn` is used as a value (calls we do not see).
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
    // Made on the spot: not a variable, which another call could be given again.
    const madeFor = (e: CallerEdge): boolean => {
      const x = passed(e);
      return x !== undefined && x.k !== 'id' && !isNil(x) && ids.fresh.value(e.caller, x);
    };
    if (callers.length === 0 || !callers.every(madeFor) || valueUsesOf(this.facts.graph).usedAsValue(fn)) return undefined;
    const isVar = (node: FuncNode, e: Expr): boolean => {
      const st = e.k === 'id' ? graph.storageOf(node, e) : undefined;
      return st?.kind === 'param' && st.fn === fn.id && st.index === index;
    };
    const calls = this.confinement.confined(fn, isVar, fieldsOf(path), (node, call, i) => this.printed(node, call, i, op.id));
    return this.onlyHeld(op, calls) ? callers : undefined;
  }

  /** Whether the calls on the object's mutex are unlocks and the lock `op` left held, run once. */
  private onlyHeld(op: LockOp, calls: PartCall[] | undefined): boolean {
    const lock = op.steps[0]!;
    return calls !== undefined && calls.every((c) => UNLOCK_NAME_RE.test(c.method) || (c.node === lock.node && c.call.pos === lock.pos && c.once));
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

/** The field names of a root's path (`.writer.mu`). */
function fieldsOf(path: string): string[] {
  return path ? path.slice(1).split('.') : [];
}
