/**
 * Lock calls: "which mutex does this call lock or unlock, in whose names?" — the sync primitives (also
 * through an embedded mutex or a method value bound to a local), mutexes handed to code that runs
 * elsewhere (a signal, not a lock), and a callee's lock operation re-read in the caller.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprKey, namedTypeName } from '../../irutil.js';
import type { CallInfo, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, type CallExpr } from '../calls.js';
import { contradicts, parseAtom, type Atom } from '../conditions/atoms.js';
import type { Step } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import type { Assumption } from '../../findings.js';
import { exprText } from '../../irtext.js';
import { argOf, CAPTURED, FRESH, isConstruction, MADE, ownerOf, splitRoot } from '../identity/roots.js';
import { calleeReach } from '../evidence/reach.js';
import { writesOf } from '../evidence/state.js';
import { lookupOf, type Lookup } from '../identity/lookups.js';
import { nodeLocation } from '../report.js';
import { MAX_STEPS, NO_KEYS } from './state.js';
import type { LockMode, LockOp } from './types.js';
import { embeddedName } from '../../index/index.js';

const PRIMITIVE_RE = /^sync\.(\(\*(RW)?Mutex\)|Locker)\.(Lock|Unlock|RLock|RUnlock|TryLock|TryRLock)$/;
/** A function value that, by its name, releases something: `unlock`, `tx.closemuRUnlockRelease`. */
export const RELEASE_NAME_RE = /unlock|release/i;
export const UNLOCK_NAME_RE = /^R?Unlock$/;

type Primitive = { verb: 'lock' | 'unlock' | 'try'; mode: LockMode; embedded?: string };

/** Keyed by the callee's Go name: external CallInfos are one per call, and a first use as a map key costs V8 an identity hash. */
const primitives = new Map<string, Primitive | null>();

export function primitiveOf(info: CallInfo): Primitive | undefined {
  const name = libraryName(info);
  if (name === undefined) return undefined;
  let out = primitives.get(name);
  if (out === undefined) primitives.set(name, (out = parsePrimitive(name) ?? null));
  return out ?? undefined;
}

function parsePrimitive(name: string): Primitive | undefined {
  const m = PRIMITIVE_RE.exec(name);
  if (!m) return undefined;
  const method = m[3]!;
  const mode: LockMode = method.startsWith('R') || method === 'TryRLock' ? 'r' : 'w';
  const verb = method.startsWith('Try') ? 'try' : method.endsWith('Unlock') ? 'unlock' : 'lock';
  return { verb, mode, ...(m[2] !== undefined || m[1]!.includes('Mutex') ? { embedded: m[2] ? 'RWMutex' : 'Mutex' } : {}) };
}

/** Whether a call by a plain name may be of a local function value: not a declared function's. */
export function maybeValue(info: CallInfo): boolean {
  return info.kind === 'unresolved' || info.kind === 'external' || (info.kind === 'resolved' && info.targets.some((t) => t.how === 'method-value' || t.how === 'func-value'));
}

/** Lock primitives and hand-offs per function, memoized, and lock operations mapped through calls. */
export class LockCalls {
  constructor(private readonly facts: SyncFacts) {}

  private readonly methodValues = new Map<FuncNode, Map<string, Expr>>();

  /** `unlock := c.mu.Unlock`: a local bound only to a mutex's method value, called later or deferred. */
  methodValue(node: FuncNode, name: string): Expr | undefined {
    let out = this.methodValues.get(node);
    if (!out) {
      const found = new Map<string, Expr | null>();
      for (const st of allStmts(node.decl.body ?? [])) {
        if (st.k !== 'assign' || st.lhs.length !== st.rhs.length) continue;
        st.lhs.forEach((l, i) => {
          if (l.k !== 'id') return;
          const r = st.rhs[i]!;
          const isValue = r.k === 'sel' && /^(R?Unlock|R?Lock)$/.test(r.name);
          found.set(l.name, isValue && !found.has(l.name) ? r : null);
        });
      }
      out = new Map([...found].filter((e): e is [string, Expr] => e[1] !== null));
      this.methodValues.set(node, out);
    }
    return out.get(name);
  }

  private readonly handed = new Map<FuncNode, ReadonlySet<string>>();

  /**
   * The mutexes (as written) a function hands to code that runs later, elsewhere: an Unlock inside a
   * function literal it stores or passes on (`op.replyFunc = func() { mu.Unlock() }`), or the method
   * value itself (`srv.NotifyStartedFunc = wait.Unlock`). Such a mutex is a signal: the next Lock waits
   * for that code, and is neither a second acquisition nor a lock left held. A literal called on the
   * spot, and a method value bound to a local (`unlock := mu.Unlock`, whose calls are seen), are not.
   */
  handedOff(node: FuncNode): ReadonlySet<string> {
    let out = this.handed.get(node);
    if (out) return out;
    const found = new Set<string>();
    const scan = (body: Stmt[], outer: boolean): void => {
      const called = new Set<Expr>();
      const bound = new Set<Expr>();
      for (const st of allStmts(body)) if (st.k === 'assign') st.rhs.forEach((r, i) => st.lhs[i]?.k === 'id' && bound.add(r));
      forEachExpr(body, (e) => {
        if (e.k === 'call') called.add(e.fn);
      });
      forEachExpr(body, (e) => {
        if (e.k === 'sel' && UNLOCK_NAME_RE.test(e.name) && (!outer || (!called.has(e) && !bound.has(e)))) {
          const key = exprKey(e.x);
          if (key !== undefined) found.add(key);
        } else if (e.k === 'funclit' && (!outer || !called.has(e))) {
          const lit = node.file.funcs[e.fn];
          if (lit?.body) scan(lit.body, false);
        }
      });
    };
    scan(node.decl.body ?? [], true);
    // A goroutine's Lock of a mutex the function starting it unlocks but never locks (`go func() {
    // mu.Lock(); mu.Lock() }(); ...; mu.Unlock()`) waits for that Unlock: the same signal.
    const parent = node.decl.parent === undefined ? undefined : node.file.funcs[node.decl.parent];
    const signals = parent ? this.unlockedOnly(this.facts.graph.nodeOf(node.file, parent)) : NO_KEYS;
    if (signals.size && this.facts.graph.callers(node).every((e) => e.mode === 'go')) for (const k of signals) found.add(k);
    this.handed.set(node, (out = found));
    return out;
  }

  /** The mutexes (as written) a function unlocks and never locks itself. */
  private unlockedOnly(node: FuncNode): ReadonlySet<string> {
    const unlocked = new Set<string>();
    const locked = new Set<string>();
    for (const { call, info } of this.facts.graph.sites(node)) {
      const prim = call.fn.k === 'sel' ? primitiveOf(info) : undefined;
      const key = prim && call.fn.k === 'sel' ? exprKey(call.fn.x) : undefined;
      if (key !== undefined) (prim!.verb === 'unlock' ? unlocked : locked).add(key);
    }
    for (const k of locked) unlocked.delete(k);
    return unlocked;
  }

  /** The mutex a lock call acts on, when its instance can be named. */
  private direct(node: FuncNode, x: Expr, prim: Primitive, pos: Pos, verb: string, conds: ReadonlySet<Atom>): LockOp | undefined {
    const { graph } = this.facts;
    let t = graph.typeOf(node, x);
    if (t.k === 'ptr') t = t.elem;
    // `s.Lock()` on a struct embedding the mutex: the embedded field is the mutex. Through a wrapper type
    // embedded in turn (`type Store struct{ RWLock }`, `type RWLock struct{ sync.RWMutex }`) it is the
    // wrapper's field, named as a method promoted from the wrapper names it (see receiverOf).
    const wrapped = prim.embedded !== undefined && t.k === 'named' && t.path !== 'sync' ? t : undefined;
    const sel = wrapped && this.facts.graph.index.select(wrapped, prim.embedded!);
    const holder = sel?.k === 'field' && sel.owner ? sel.owner : wrapped;
    const owner = holder && `${holder.path}.${holder.name}`;
    const embeds = owner !== undefined;
    const id = embeds ? `field:${owner}.${prim.embedded}` : this.facts.ids.idOf(node, x);
    const base = this.facts.ids.condRoot(node, x);
    if (id === undefined || base === undefined) return undefined;
    const through = holder && wrapped && (holder.path !== wrapped.path || holder.name !== wrapped.name) ? `.${holder.name}` : '';
    const root = embeds ? `${base}${through}.${prim.embedded}` : base;
    const display = embeds ? `${exprKey(x) ?? owner}.${prim.embedded}` : (exprKey(x) ?? 'mutex');
    const alias = this.resultAlias(node, x);
    return {
      id,
      root,
      mode: prim.mode,
      display,
      conds: [...conds],
      steps: [{ node, pos, message: `${verb} ${display}` }],
      ...(alias ? { assumed: [alias.assumed], lookup: alias.lookup } : {}),
    };
  }

  /**
   * `subDir, _ := d.getDir(i)`: identity reads a local taken from a method's result as the object the
   * method was called on (a getter returns a part of it, or itself). Whether it is that very object, or
   * another of the same type (a child directory), the code does not say: a mutex reached through it is
   * the same instance only by assumption.
   */
  private resultAlias(node: FuncNode, e: Expr | undefined): { assumed: Assumption; lookup: Lookup } | undefined {
    let base = e;
    while (base && (base.k === 'sel' || (base.k === 'unary' && (base.op === '*' || base.op === '&')))) base = base.x;
    if (base?.k !== 'id') return undefined;
    const { ids } = this.facts;
    const key = ids.localKey(node, base);
    const call = key === undefined ? undefined : ids.localSources(node).get(key)?.find((src) => src.k === 'call' && !isConstruction(src));
    const owner = call && ownerOf(call);
    if (call?.k !== 'call' || !owner || !ids.rootIn(node, base)?.startsWith('@')) return undefined;
    return {
      assumed: { kind: 'same-instance', text: `\`${base.name}\` (from \`${exprText(call, true)}\`) is \`${exprText(owner, true)}\``, location: nodeLocation(node, base.pos) },
      lookup: lookupOf(this.facts.graph, node, base.name, call),
    };
  }

  /** A call's own lock primitive (`c.mu.Lock()`, `s.RUnlock()`, `unlock()`), if it is one. */
  primitive(node: FuncNode, call: CallExpr, conds: ReadonlySet<Atom>): { prim: Primitive; op: LockOp | undefined } | undefined {
    if (call.fn.k === 'id') {
      const value = this.methodValue(node, call.fn.name);
      if (value?.k !== 'sel') return undefined;
      const prim: Primitive = { verb: value.name.endsWith('Unlock') ? 'unlock' : 'lock', mode: value.name.startsWith('R') ? 'r' : 'w' };
      return { prim, op: this.direct(node, value.x, prim, call.pos, value.name, conds) };
    }
    if (call.fn.k !== 'sel') return undefined;
    const prim = primitiveOf(this.facts.graph.callInfo(call));
    if (!prim) return undefined;
    return { prim, op: this.direct(node, call.fn.x, prim, call.pos, call.fn.name, conds) };
  }

  /**
   * A callee's lock operation in the caller's names, under the caller's path condition; undefined when
   * the caller cannot name the instance, or its constant arguments rule the operation out
   * (`c.Reset(false)` never runs `if lock { c.Lock() }`).
   */
  lift(node: FuncNode, callee: FuncNode, call: CallExpr, op: LockOp, step: Step, conds: ReadonlySet<Atom>): LockOp | undefined {
    if (op.steps.length >= MAX_STEPS) return undefined;
    const id = this.facts.ids.mapId(op.id, node, callee, call);
    if (id === undefined || (id.startsWith('local:') && !id.startsWith(`local:${node.id}:`))) return undefined;
    const receiver = this.receiverOf(call, callee);
    const mapped = this.facts.conds.mapConds(node, callee, op.conds, call, receiver);
    // The callee locks only under a condition the caller's path rules out (a flag it has just set), unless a
    // function on the way down writes that state first (`ready = false` before the nested call).
    if (mapped === false || (contradicts(mapped, conds) && !this.rewrittenOnPath(op, mapped))) return undefined;
    const root = op.root.startsWith('global:') ? op.root : (this.capturedHere(node, op.root) ?? this.facts.ids.liftRoot(node, callee, op.root, call, receiver));
    // A mutex the callee made itself is no one else's yet; one it looked up (an element of a collection) is a
    // mutex of its type that others may hold: no instance to compare, but an order between types.
    if (root === undefined || root === MADE) return undefined;
    const head = op.root.startsWith('@recv') ? receiver : op.root.startsWith('@') ? argOf(this.facts.dispatch.calledAs(call), op.root.split('.')[0]!) : undefined;
    const alias = this.resultAlias(node, head);
    // A branch of the callee on the way to the operation that reads what this call passes: decided by it, or assumed.
    const branches = calleeReach(this.facts, node, call, callee, op.steps[0]!.pos);
    if (branches === false) return undefined;
    const added = [...(alias ? [alias.assumed] : []), ...branches];
    const assumed = added.length ? [...(op.assumed ?? []), ...added] : op.assumed;
    // A lookup is in the names of the function it is written in: the callee's own is not the caller's.
    const { lookup: _callee, ...rest } = op;
    return {
      ...rest,
      id,
      root,
      conds: mapped.length ? [...new Set([...conds, ...mapped])] : [...conds],
      steps: [step, ...op.steps],
      ...(assumed ? { assumed } : {}),
      ...(alias ? { lookup: alias.lookup } : {}),
    };
  }

  /**
   * Whether a function on the operation's path writes a field named as one the callee's conditions are about: any
   * function above the one holding the Lock, and that one before it. By name: a write of another object's field
   * of that name counts too.
   */
  private rewrittenOnPath(op: LockOp, mapped: readonly Atom[]): boolean {
    const names = new Set(mapped.flatMap((a) => parseAtom(a).roots.map((r) => r.slice(r.lastIndexOf('.') + 1))));
    return op.steps.some((s, i) => writesOf(this.facts.graph, s.node).some((w) => names.has(w.text.slice(w.text.lastIndexOf('.') + 1)) && (i < op.steps.length - 1 || w.pos < s.pos)));
  }

  /**
   * A call whose body the engine does not see (outside the analyzed code, or an interface method, whose
   * implementers here need not be the one that runs) made on a held mutex's owner or handed the mutex (`pool.Release(l)`, `l.Done()` on an embedded
   * foreign type): it could release the mutex, so what holds it afterwards rests on an assumption.
   */
  opaqueOnOwner(node: FuncNode, call: CallExpr, must: ReadonlyMap<string, LockOp>): ReadonlyMap<string, LockOp> {
    if (must.size === 0) return must;
    const info = this.facts.graph.callInfo(call);
    // An interface's implementers seen here need not be all the ones that run.
    const opaque =
      info.kind === 'external' || info.kind === 'unresolved' || (info.kind === 'resolved' && this.facts.dispatch.targetsOf(node, call).every((t) => !t.precise));
    // The standard library unlocks nobody's mutex but through sync, whose calls are primitives.
    if (!opaque || (info.kind === 'external' && !info.name.split('/')[0]!.includes('.'))) return must;
    const handed = [...(call.fn.k === 'sel' ? [call.fn.x] : []), ...call.args].flatMap((e) => this.facts.ids.condRoot(node, e) ?? []);
    if (handed.length === 0) return must;
    let out: Map<string, LockOp> | undefined;
    const receiver = call.fn.k === 'sel' ? call.fn.x : undefined;
    for (const [k, op] of must) {
      if (!handed.some((r) => op.root === r || op.root.startsWith(`${r}.`))) continue;
      if (receiver && !call.args.length && !this.methodSees(node, receiver, op)) continue;
      const text = `\`${exprText(call.fn, true)}(...)\` does not release \`${op.display}\``;
      if (op.assumed?.some((x) => x.text === text)) continue;
      (out ??= new Map(must)).set(k, { ...op, assumed: [...(op.assumed ?? []), { kind: 'opaque-call', text, location: nodeLocation(node, call.pos) }] });
    }
    return out ?? must;
  }

  /**
   * Whether a method we cannot see, called on `recv`, can reach the mutex `op` holds below it. On a struct of
   * the program such a method is promoted from an embedded type of elsewhere, and its receiver is that
   * embedded value: it reaches `c.mu` only through the embedded field (`c.BaseService.IsRunning()` cannot unlock
   * `c.mtx`). Any other receiver (an interface, a type we do not know) may reach anything it holds.
   */
  private methodSees(node: FuncNode, recv: Expr, op: LockOp): boolean {
    let t = this.facts.graph.typeOf(node, recv);
    if (t.k === 'ptr') t = t.elem;
    const decl = t.k === 'named' ? this.facts.graph.index.typeInfo(t)?.decl : undefined;
    if (decl?.type.k !== 'struct') return true;
    const below = op.display.split('.').slice(exprText(recv, true).split('.').length);
    if (below.length === 0) return true;
    const field = decl.type.fields.find((f) => (f.name ?? embeddedName(f.type)) === below[0]);
    return field === undefined || field.embedded === true;
  }

  /**
   * A root a function literal captured from `node` (`go func() { ...; mb.mu.Unlock() }()`), named as `node`
   * names its own lock calls on it (see condRoot): a local taken from a collection is one object for as long
   * as the variable is not bound again, in the literal as here.
   */
  private capturedHere(node: FuncNode, root: string): string | undefined {
    if (!root.startsWith(CAPTURED)) return undefined;
    const { head, path } = splitRoot(root);
    const [fn, name] = head.slice(CAPTURED.length).split('\0');
    if (fn !== node.id || name === undefined) return undefined;
    const own = this.facts.ids.localRoot(node, name, 0);
    return own === FRESH || own === MADE ? `${name}${path}` : `${own}${path}`;
  }

  /**
   * The object a method runs on. A method promoted from an embedded field runs on that field:
   * `t.Lock()` on a type embedding batchTx is `t.batchTx.Lock()`, and its mutex is `t.batchTx.mu`.
   */
  private receiverOf(through: CallExpr, callee: FuncNode): Expr | undefined {
    const x = this.facts.dispatch.receiverFor(through, callee);
    const recv = callee.decl.recv;
    if (!x || !recv) return undefined;
    const info = this.facts.graph.callInfo(this.facts.dispatch.calledAs(through));
    const promoted = info.kind === 'resolved' && info.targets.some((t) => t.callee === callee && t.how === 'promoted');
    const field = promoted ? namedTypeName(recv.type) : undefined;
    return field === undefined ? x : { k: 'sel', x, name: field, pos: x.pos };
  }
}
