/**
 * Early writers: "can a writer of this RWMutex arrive while a reader holds it?" — a recursive RLock deadlocks
 * only when a writer's Lock queues between the two RLocks. When every write Lock of the mutex is in a method
 * (a setter) called only on an object its caller has just made and not yet shown to anything else (`c :=
 * NewClient(...); c.SetLocal(...); c.SetVersion(...)`, the object not yet returned, stored, passed or captured),
 * no writer runs on an object some reader can hold. That rests on the object being another one than the
 * reader's, which the finding then names as its assumption.
 */
import type { Expr } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { callsInLoops, forEachExpr, forEachSubExpr, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { Confinement, isLocal } from '../identity/escape.js';
import { RECEIVER, splitRoot } from '../identity/roots.js';
import { valueUsesOf } from '../program/valueuses.js';
import type { ChanId } from '../identity/ids.js';
import type { LockOp } from './types.js';

/** The writers of one mutex and the calls that run them, each on a new object before it is shared. */
/** Methods the standard library calls through its interfaces on values handed to it. */
const STD_CALLBACK_RE = /^(Set|Scan|Unmarshal\w*|Decode\w*|Write|Read|Close|Reset|ServeHTTP)$/;

export interface EarlyWrites {
  writers: FuncNode[];
  calls: { caller: FuncNode; call: CallExpr }[];
}

export class EarlyWriters {
  private readonly confinement: Confinement;

  constructor(private readonly facts: SyncFacts) {
    this.confinement = new Confinement(facts.graph, facts.ids);
  }

  /** The writers (functions write-locking the mutex themselves, with those Locks) when all of them write early. */
  of(id: ChanId, writes: ReadonlyMap<FuncNode, LockOp[]>): EarlyWrites | undefined {
    if (!id.startsWith('field:') || this.usedAsValue(id)) return undefined;
    const writers = [...writes.keys()];
    const calls: EarlyWrites['calls'] = [];
    for (const [w, ops] of writes) {
      const path = ops.map((op) => splitRoot(op.root));
      if (!w.decl.recv || ops.some((op) => op.steps.length !== 1) || path.some((p) => p.head !== RECEIVER) || new Set(path.map((p) => p.path)).size !== 1) return undefined;
      if (this.calledThroughInterface(w.decl.name) || !this.keepsReceiver(w, path[0]!.path.slice(1).split('.'))) return undefined;
      const edges = this.facts.graph.callers(w);
      if (edges.length === 0 || valueUsesOf(this.facts.graph).usedAsValue(w)) return undefined;
      for (const e of edges) {
        if (e.mode !== 'call' || !this.onNewObject(e.caller, e.call, w, writers)) return undefined;
        calls.push({ caller: e.caller, call: e.call });
      }
    }
    return { writers, calls };
  }

  /**
   * Whether the mutex field is used anywhere but as the receiver of its own methods (`l := &c.mu`, a Locker
   * made of it): a Lock through such a value is one no walk names.
   */
  private usedAsValue(id: ChanId): boolean {
    const { graph, ids } = this.facts;
    const field = id.slice(id.lastIndexOf('.') + 1);
    for (const node of graph.funcs) {
      const receivers = new Set<Expr>();
      const body = node.decl.body ?? [];
      forEachExpr(body, (e) => {
        if (e.k === 'call' && e.fn.k === 'sel') receivers.add(e.fn.x);
      });
      let found = false;
      forEachExpr(body, (e) => (found ||= e.k === 'sel' && e.name === field && !receivers.has(e) && ids.idOf(node, e) === id));
      if (found) return true;
    }
    return false;
  }

  private ifaceMethods: Set<string> | undefined;

  /**
   * Whether code we may not see can call a method of this name on any object: an interface of the program
   * declares it, or the standard library calls it through one on values it is given (`flag.Value.Set`,
   * `sql.Scanner.Scan`, `json.Unmarshaler`).
   */
  private calledThroughInterface(name: string): boolean {
    if (STD_CALLBACK_RE.test(name)) return true;
    if (!this.ifaceMethods) {
      this.ifaceMethods = new Set();
      for (const info of this.facts.graph.index.types) if (info.decl.type.k === 'iface') for (const m of info.decl.type.methods) this.ifaceMethods.add(m.name);
    }
    return this.ifaceMethods.has(name);
  }

  /** Whether the writer only works on its receiver's fields and that mutex: it shows the object to nobody. */
  private keepsReceiver(w: FuncNode, path: string[]): boolean {
    const isRecv = (node: FuncNode, e: Expr) => {
      const st = e.k === 'id' ? this.facts.graph.storageOf(node, e) : undefined;
      return st?.kind === 'param' && st.fn === w.id && st.index === -1;
    };
    return this.confinement.confined(w, isRecv, path, () => false) !== undefined;
  }

  /**
   * Whether `call` runs `w` on a local its caller made (`c := NewClient(...)`) and, up to this call, used only to
   * run writers on: the object is not shared yet. Out of loops, and with the object not among the arguments.
   */
  private onNewObject(caller: FuncNode, call: CallExpr, w: FuncNode, writers: readonly FuncNode[]): boolean {
    const { graph, dispatch, ids } = this.facts;
    const targets = dispatch.targetsOf(caller, call);
    if (targets.length !== 1 || targets[0]!.callee !== w || !targets[0]!.precise || call.fn.k !== 'sel' || call.fn.x.k !== 'id') return false;
    if (callsInLoops(caller.decl.body ?? []).has(call.pos)) return false;
    const receiver = call.fn.x;
    const name = ids.localKey(caller, receiver);
    const sources = name === undefined ? [] : (ids.localSources(caller).get(name) ?? []);
    if (name === undefined || sources.length !== 1 || !this.confinement.made(sources[0]!)) return false;
    const isVar = (e: Expr) => isLocal(graph, caller, e, caller, name);
    let inArgs = false;
    const visit = (e: Expr): void => {
      inArgs ||= isVar(e);
      forEachSubExpr(e, visit);
    };
    call.args.forEach(visit);
    if (inArgs) return false;
    // Earlier uses: the declaration, and receivers of writer calls.
    const early = new Set<Expr>();
    const allowed = new Set<Expr>();
    forEachExpr(caller.decl.body ?? [], (e) => {
      if (isVar(e) && e.pos <= call.pos && e !== receiver) early.add(e);
      if (e.k === 'call' && e.fn.k === 'sel' && e.fn.x.k === 'id' && isVar(e.fn.x)) {
        if (dispatch.targetsOf(caller, e).every((t) => t.precise && writers.includes(t.callee))) allowed.add(e.fn.x);
      }
    });
    const declared = sources[0]!.pos;
    return [...early].every((e) => allowed.has(e) || e.pos < declared) && !this.capturedBefore(caller, name, call.pos);
  }

  /** Whether a function literal of `caller` written before `pos` names the local: it may run, and share it, any time. */
  private capturedBefore(caller: FuncNode, name: string, pos: number): boolean {
    const { funcs } = caller.file;
    return funcs.some((f, i) => {
      if (f.parent === undefined || f.span.start >= pos) return false;
      let at: number | undefined = i;
      while (at !== undefined && funcs[at] !== caller.decl) at = funcs[at]!.parent;
      if (at === undefined) return false;
      const node = this.facts.graph.nodeOf(caller.file, f);
      let names = false;
      forEachExpr(f.body ?? [], (e) => (names ||= isLocal(this.facts.graph, node, e, caller, name)));
      return names;
    });
  }
}
