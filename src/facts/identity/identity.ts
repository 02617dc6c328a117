/**
 * Identity: "which object does this expression denote here?" — a channel's (or mutex's, WaitGroup's)
 * id by its storage, the instance root it is reached through (receiver, parameter, local, captured
 * variable, an object made here), what a local aliases, and how a callee's ids and roots read in a
 * caller at one call.
 */
import type { Expr } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { SideTable } from '../../resolve/side.js';
import { allStmts, type CallExpr } from '../calls.js';
import type { Dispatch } from '../dispatch.js';
import { Distinct } from './distinct.js';
import { Freshness } from './fresh.js';
import { FieldOrigins } from './origins.js';
import { normalizeFor, storageId, type ChanId } from './ids.js';
import { argOf, CAPTURED, declaredValue, FRESH, isConstruction, MADE, ownerOf, RECEIVER, splitRoot, withPath } from './roots.js';

/** Ids and instance roots of expressions, per function, memoized. */
export class Identity {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
  ) {
    this.fresh = new Freshness(graph, (node) => this.localSources(node));
    this.distinct = new Distinct(graph, this.fresh);
    this.origins = new FieldOrigins(graph, dispatch, (node) => this.localSources(node));
  }

  /** Which made channels a field may hold: fields of two types given one channel. */
  readonly origins: FieldOrigins;

  /** Which values are objects nobody else holds yet. */
  readonly fresh: Freshness;
  /** Whether two access paths reach one channel. */
  readonly distinct: Distinct;

  /** A value made here: a construction by its shape or name, or a call of functions that all return one (`client.UDP()`). */
  private made(e: Expr): boolean {
    return isConstruction(e) || (e.k === 'call' && this.fresh.call(e));
  }

  private readonly localRoots = new Map<FuncNode, Map<string, string>>();

  /** The channel id of an expression evaluated in `node`. */
  idOf(node: FuncNode, e: Expr): ChanId | undefined {
    // `chs[i]`, `m[k]`, `f().ch`: a different channel each time, as far as we can tell; not tracked.
    if (exprKey(e) === undefined) return undefined;
    const st = this.graph.storageOf(node, e);
    if (st) return storageId(st, node);
    const key = exprKey(e);
    return key === undefined ? undefined : `expr:${node.id}:${key}`;
  }

  /**
   * The instance root of an expression in `node`: `@recv` or `@<param index>` when it starts at the
   * receiver or a parameter (so callers can map it), the local's name otherwise.
   */
  rootIn(node: FuncNode, e: Expr | undefined, depth = 0): string | undefined {
    let base = e;
    let path = '';
    while (base && (base.k === 'sel' || (base.k === 'unary' && (base.op === '*' || base.op === '&')))) {
      if (base.k === 'sel') path = `.${base.name}${path}`;
      base = base.x;
    }
    // An element of a slice or map (`c.nodes[i].mgr`), or a value just received (`w.closeSubstream(<-w.closingc)`):
    // which one, we cannot tell.
    if (base?.k === 'index' || (base?.k === 'unary' && base.op === '<-')) return FRESH;
    // `Run(&Opts{})`: built at this call, another object at every other call.
    if (base?.k === 'composite') return MADE;
    if (!base || base.k !== 'id') return undefined;
    const st = this.graph.storageOf(node, base);
    if (!st) return undefined;
    if (st.kind === 'param' && st.fn === node.id) return (st.index === -1 ? RECEIVER : `@${st.index}`) + path;
    if (st.kind !== 'local' && st.kind !== 'param') return undefined;
    // Captured from an enclosing function: that function can name it (see liftRoot).
    if (st.fn !== node.id) return `${CAPTURED}${st.fn}\0${st.name}${path}`;
    return withPath(this.localRoot(node, st.name, depth), path);
  }

  /**
   * A local that only ever aliases a path from the receiver or a parameter (`en := ei.openedEngine`)
   * is that instance; one made or looked up here (`rw := NewWorker()`, `n := nodes[i]`) is its own.
   */
  localRoot(node: FuncNode, name: string, depth: number): string {
    let memo = this.localRoots.get(node);
    if (!memo) this.localRoots.set(node, (memo = new Map()));
    let root = memo.get(name);
    if (root === undefined) {
      // While a name is being worked out, a cycle back to it (`a := b; b = a`) reads as the name itself.
      memo.set(name, name);
      root = this.computeLocalRoot(node, name, depth);
      memo.set(name, root);
    }
    return root;
  }

  private computeLocalRoot(node: FuncNode, name: string, depth: number): string {
    const { recv, params } = node.decl;
    if (recv?.name === name) return RECEIVER;
    const index = params.findIndex((p) => p.name === name);
    if (index !== -1) return `@${index}`;
    const all = this.localSources(node).get(name) ?? [];
    // Only ever an element of a collection or a received value (`ws := w.resuming[0]`, `ws, ok := m[id]`):
    // which object, we cannot tell, as for `m[k].f` itself.
    if (all.length > 0 && all.every((src) => src.k === 'index' || (src.k === 'unary' && src.op === '<-'))) return FRESH;
    if (depth < 4) {
      const sources = all;
      // A name that is sometimes made on the spot (often a shadowing declaration in a fallback branch)
      // and otherwise taken from the receiver's object graph is counted as the latter.
      const taken = sources.filter((src) => !this.made(src));
      const roots = new Set(taken.map((src) => this.rootIn(node, ownerOf(src), depth + 1)));
      const [only] = roots;
      if (roots.size === 1 && only !== undefined && only.startsWith('@')) return only;
    }
    return name;
  }

  private readonly sources = new Map<FuncNode, Map<string, Expr[]>>();

  /**
   * Everything assigned to each local of a function, by its storage name (so shadowing declarations
   * of one name are separate variables): its declaration's value, then every later assignment.
   */
  localSources(node: FuncNode): Map<string, Expr[]> {
    let out = this.sources.get(node);
    if (out) return out;
    out = new Map();
    const add = (key: string | undefined, e: Expr) => {
      if (key === undefined) return;
      const list = out!.get(key);
      if (list) list.push(e);
      else out!.set(key, [e]);
    };
    for (const v of this.graph.locals(node)) add(v.storage.name, declaredValue(v.def, node.decl.span.start));
    const keyOf = (e: Expr) => (e.k === 'id' ? this.localKey(node, e) : undefined);
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k !== 'assign' && !(st.k === 'for' && st.range && !st.range.define)) continue;
      if (st.k === 'for') {
        for (const v of [st.range!.key, st.range!.value]) if (v) add(keyOf(v), { k: 'index', x: st.range!.x, index: [], pos: st.pos });
      } else if (st.op === ':=') {
        // Names declared here have their value already; a name re-used by `:=` is assigned.
        st.lhs.forEach((l, i) => {
          const key = keyOf(l);
          const value = st.rhs.length === st.lhs.length ? st.rhs[i]! : st.rhs[0]!;
          if (key !== undefined && !out!.get(key)?.includes(value)) add(key, value);
        });
      } else if (st.op === '=' && (st.lhs.length === st.rhs.length || st.rhs.length === 1)) {
        // `v, ok = m.Load(k)`: every name comes from the one call.
        st.lhs.forEach((l, i) => add(keyOf(l), st.rhs[st.rhs.length === 1 ? 0 : i]!));
      } else {
        st.lhs.forEach((l) => add(keyOf(l), { k: 'bad', pos: st.pos }));
      }
    }
    this.sources.set(node, out);
    return out;
  }

  /** The storage name of a local of `node` named by `e`: its name, or `name'n` for a shadowing one. */
  localKey(node: FuncNode, e: Expr): string | undefined {
    const st = e.k === 'id' ? this.graph.storageOf(node, e) : undefined;
    return st?.kind === 'local' && st.fn === node.id ? st.name : undefined;
  }

  /**
   * A callee's instance root seen from the caller: its receiver's or argument's root, or FRESH for an
   * object the callee made or looked up itself, which the caller cannot name.
   */
  liftRoot(
    node: FuncNode,
    callee: FuncNode,
    root: string | undefined,
    call: CallExpr,
    receiver: Expr | undefined,
  ): string | undefined {
    if (root === undefined) return undefined;
    if (root === MADE || root === FRESH) return root;
    const { head, path } = splitRoot(root);
    if (head.startsWith(CAPTURED)) {
      const [fn = '', name = ''] = head.slice(CAPTURED.length).split('\0');
      // Back in the function that declared the variable, it is that function's own root.
      if (fn === node.id) return withPath(this.localRoot(node, name, 0), path);
      return node.decl.parent === undefined ? FRESH : root;
    }
    if (head === RECEIVER) return withPath(this.rootIn(node, receiver), path);
    if (head.startsWith('@')) return withPath(this.rootIn(node, argOf(this.dispatch.calledAs(call), head)), path);
    const sources = this.localSources(callee).get(head) ?? [];
    return sources.length > 0 && sources.every((src) => this.made(src)) ? MADE : FRESH;
  }

  /**
   * The root a condition names: an instance root, or `global:<pkg>.<name>` (and a field path) for a
   * package variable, which means the same thing in every function.
   */
  condRoot(node: FuncNode, e: Expr): string | undefined {
    const r = this.rootIn(node, e);
    if (r !== undefined && r !== FRESH && r !== MADE) return r;
    let base = e;
    let path = '';
    while (base.k === 'sel' || (base.k === 'unary' && base.op === '*')) {
      if (base.k === 'sel') path = `.${base.name}${path}`;
      base = base.x;
    }
    const st = base.k === 'id' ? this.graph.storageOf(node, base) : undefined;
    if (st?.kind === 'global') return `global:${st.pkg}.${st.name}${path}`;
    // A local holding some element (`for _, j := range jobs`): which object we cannot tell, but what a
    // condition says of it holds until the variable is bound again.
    return st?.kind === 'local' && st.fn === node.id ? `${st.name}${path}` : undefined;
  }

  private readonly writesOf = new SideTable<Expr[], { ids: ChanId[]; roots: string[] }>();

  /**
   * What an assignment's targets are, as state other functions can test (fields and package
   * variables, by id) and as condition roots; worked out once per statement, as walks revisit loops.
   */
  writes(node: FuncNode, targets: Expr[]): { ids: ChanId[]; roots: string[] } {
    let out = this.writesOf.get(targets);
    if (out) return out;
    out = { ids: [], roots: [] };
    for (const t of targets) {
      // A plain name is such state only when it is bound to a package variable.
      const global = t.k === 'id' && this.graph.storageOf(node, t)?.kind === 'global';
      const id = (t.k === 'sel' || global) && exprKey(t) !== undefined ? this.idOf(node, t) : undefined;
      if (id !== undefined && (id.startsWith('field:') || id.startsWith('global:'))) out.ids.push(id);
      const root = this.condRoot(node, t);
      if (root !== undefined) out.roots.push(root);
    }
    this.writesOf.set(targets, out);
    return out;
  }

  /**
   * Whether a field or global assigned in `node` can be a channel. Only those count as re-made:
   * every other assignment would travel up the call graph too, and did so by the tens of millions.
   */
  mayHoldChannel(node: FuncNode, e: Expr): boolean {
    const t = this.graph.typeOf(node, e);
    if (t.k === 'tparam') return true;
    const u = this.graph.index.under(t);
    return u.k === 'chan' || u.k === 'unknown';
  }

  /** Whether an expression's type is a channel (an unresolved type counts as not). */
  isChannel(node: FuncNode, e: Expr): boolean {
    const t = this.graph.typeOf(node, e);
    return this.graph.index.under(t).k === 'chan';
  }

  /** A value that did not exist before: `&T{}`, `NewT()`, or a local only ever set to such values. */
  isNew(node: FuncNode, e: Expr): boolean {
    if (this.made(e)) return true;
    const key = this.localKey(node, e);
    const sources = key === undefined ? undefined : this.localSources(node).get(key);
    return sources !== undefined && sources.length > 0 && sources.every((src) => this.made(src));
  }

  /** The function literal an argument is, or the one a local holding it was bound to (`f := func() {...}; g.Go(f)`). */
  literalOf(node: FuncNode, e: Expr | undefined): Expr | undefined {
    if (e?.k === 'funclit') return e;
    const key = e && this.localKey(node, e);
    const sources = key === undefined ? undefined : this.localSources(node).get(key);
    return sources?.length === 1 && sources[0]!.k === 'funclit' ? sources[0] : undefined;
  }

  private readonly aliases = new Map<FuncNode, Map<string, [ChanId, string | undefined] | null>>();

  /**
   * The channel a field of a local object holds when the code shows it (`w := &worker{out: ch}`,
   * `w := newWorker(ch)` with `return &worker{out: c}`): `w.out` is then `ch`, by its id and root.
   * Only a local bound once, by a literal or a constructor visible here.
   */
  fieldAlias(node: FuncNode, root: string | undefined): [ChanId, string | undefined] | undefined {
    const dot = root === undefined ? -1 : root.indexOf('.');
    if (root === undefined || dot <= 0 || root.indexOf('.', dot + 1) !== -1 || '@^#'.includes(root[0]!)) return undefined;
    let memo = this.aliases.get(node);
    if (!memo) this.aliases.set(node, (memo = new Map()));
    let out = memo.get(root);
    if (out === undefined) {
      const value = this.fieldValue(node, root.slice(0, dot), root.slice(dot + 1));
      const id = value && this.idOf(node, value);
      out = id === undefined ? null : [id, this.rootIn(node, value)];
      memo.set(root, out);
    }
    return out ?? undefined;
  }

  private fieldValue(node: FuncNode, local: string, field: string): Expr | undefined {
    const sources = this.localSources(node).get(local);
    if (sources?.length !== 1) return undefined;
    let src = sources[0]!;
    if (src.k === 'unary' && src.op === '&') src = src.x;
    if (src.k === 'composite') return src.elems.find((e) => e.key === field)?.value;
    if (src.k !== 'call') return undefined;
    const info = this.graph.callInfo(src);
    const callee = info.kind === 'resolved' && info.targets.length === 1 && info.targets[0]!.how === 'static' ? info.targets[0]!.callee : undefined;
    if (!callee) return undefined;
    // The constructor stores its parameter in the field of what it returns.
    for (const st of allStmts(callee.decl.body ?? [])) {
      if (st.k !== 'return') continue;
      let v = st.values[0];
      if (v?.k === 'unary' && v.op === '&') v = v.x;
      if (v?.k !== 'composite') continue;
      const stored = v.elems.find((e) => e.key === field)?.value;
      const p = stored?.k === 'id' ? this.graph.storageOf(callee, stored) : undefined;
      return p?.kind === 'param' && p.fn === callee.id && p.index >= 0 ? src.args[p.index] : undefined;
    }
    return undefined;
  }

  /**
   * A callee's id seen from the caller: parameters become the caller's arguments. `byPointer` for an
   * object passed by its address (a `*sync.Once` parameter): the argument `&t.once` names `t.once`.
   */
  mapId(id: ChanId, caller: FuncNode, callee: FuncNode, call: CallExpr, byPointer = false): ChanId | undefined {
    if (!id.startsWith('param:')) return normalizeFor(id, caller);
    const index = Number(id.slice('param:'.length));
    let arg = index === -1 ? this.dispatch.receiverFor(call, callee) : this.dispatch.calledAs(call).args[index];
    if (byPointer && arg?.k === 'unary' && arg.op === '&') arg = arg.x;
    return arg ? this.idOf(caller, arg) : undefined;
  }
}
