/**
 * Next lock: "can any Lock of this instance run after the one left held?" — a mutex left locked is a hazard
 * only through a later Lock of the same object. When the object is made in the function (or in the one whose
 * literal holds the Lock) and confined to it (identity/escape.ts), every Lock of it is written there: none
 * but the one left held, and that one running once per object, means there is no next lock (a test locking a
 * throwaway object on purpose, to race a reader against the held lock).
 */
import type { Expr } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { libraryName, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { Confinement } from '../identity/escape.js';
import type { ChanId } from '../identity/ids.js';
import { CAPTURED, splitRoot } from '../identity/roots.js';
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
    const calls = this.confinement.partCalls(decl, name, path ? path.slice(1).split('.') : [], (node, call, index) => this.printed(node, call, index, op.id));
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
