/**
 * WaitGroup facts: "are Add, Done and Wait used in an order that can go wrong?" — the misuses read from
 * each function's WaitGroup operations (ops.ts): an Add inside the goroutine it counts, a Wait nothing
 * counts down, an Add a skip or an early return of its goroutine leaves uncounted, a write after the Done, a Wait in
 * the loop that starts the goroutines.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { CallGraph, CallInfo, FuncNode, Storage } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, literalsOf, PRECISE_HOWS, type CallExpr } from '../calls.js';
import { bodyOps, declaredIn, keyOf, mapKey, rootExpr, rootName, textOf, type BodyOps, type ForStmt, type GoStart, type WgOp } from './ops.js';
import { storageKey } from '../../resolve/bindings.js';
import { exprText } from '../../irtext.js';
import { shortName } from '../names.js';

/** A goroutine that counts itself in a WaitGroup only once it runs, while its starter waits on that WaitGroup. */
export interface LateAdd {
  /** The function with the `go` statement. */
  fn: FuncNode;
  go: GoStart;
  callee: FuncNode;
  add: WgOp;
  /** The Wait it races with: in `fn` or a function `fn` is a literal of. */
  wait: { fn: FuncNode; op: WgOp };
}

/** A Wait on a local WaitGroup that an Add counted up and that nothing can count down: it never returns. */
export interface MissingDone {
  fn: FuncNode;
  add: WgOp;
  wait: WgOp;
}

/**
 * An Add for a goroutine that a `continue` or `break` of the loop can skip, with nothing to count down for it:
 * once that path is taken, the Wait after the loop never returns.
 */
export interface SkippedDone {
  fn: FuncNode;
  add: WgOp;
  /** The `continue` or `break` that leaves the goroutine unstarted. */
  skip: Extract<Stmt, { k: 'branch' }>;
  /** The goroutine the Add counts, whose Done the skip leaves out. */
  go: GoStart;
  wait: WgOp;
}

/** A goroutine that can return before its Done, counted by its starter, which Waits: Wait never returns once it does. */
export interface ReturnBeforeDone {
  fn: FuncNode;
  go: GoStart;
  callee: FuncNode;
  /** The return, in the goroutine, that no Done precedes. */
  ret: Pos;
  /** The Done it skips. */
  done: WgOp;
  add: WgOp;
  wait: { fn: FuncNode; op: WgOp };
}

/** A goroutine that writes its starter's variable after its Done, which the starter reads after its Wait. */
export interface WriteAfterDone {
  fn: FuncNode;
  go: GoStart;
  callee: FuncNode;
  done: WgOp;
  /** The write, in the goroutine: what it writes (`out[i]`), and the variable (`out`). */
  write: { pos: Pos; name: string; root: string };
  wait: { fn: FuncNode; op: WgOp };
  /** The read after the Wait. */
  read: Pos;
}

/**
 * A Done that runs on every call of a function whose other Done on the same WaitGroup runs once per key: the
 * function's own check-and-set (`if w.seen[m] { return }; w.seen[m] = true`) says it is called again for one key,
 * and the unguarded Done counts down again each time: a negative counter panics.
 */
export interface UnguardedDone {
  fn: FuncNode;
  /** The Done outside the once-per-key guard. */
  done: WgOp;
  /** The Done behind it. */
  guarded: WgOp;
  /** The check (`if w.seen[m] { return }`) and the set (`w.seen[m] = true`) that make the other Done once only. */
  check: Pos;
  set: Pos;
  /** What is checked, as written. */
  key: string;
}

/** A Wait inside the loop that starts the goroutines it waits for: they run one at a time. */
export interface SerialWait {
  fn: FuncNode;
  wait: WgOp;
  go: GoStart;
  callee: FuncNode;
}

/**
 * A method run on a goroutine that Waits on its receiver's WaitGroup and then Adds to it (wait for the last
 * generation of workers, then count the next), started where two runs can overlap: from a function called from
 * two places or more, from a loop, or from two `go` statements. One run's Add meets the other's Wait: the
 * WaitGroup is reused before the previous Wait has returned.
 */
export interface ReusedWhileWaited {
  /** The method, the Wait (or the call that waits) and the Add after it. */
  fn: FuncNode;
  wait: { pos: Pos; via?: FuncNode };
  add: WgOp;
  /** A `go` statement that starts it, in `starter`. */
  starter: FuncNode;
  go: GoStart;
  /** Why two runs overlap, for the message. */
  overlap: string;
}

/** How many calls up a WaitGroup parameter is followed to its caller's Wait. */
const MAX_CALLER_DEPTH = 2;

/**
 * The misuses read from each function's WaitGroup operations. Built only by the rule that reports them:
 * no other rule pays for it.
 */
export class WaitGroupFacts {
  private readonly bodies = new Map<FuncNode, BodyOps>();
  readonly lateAdds: LateAdd[] = [];
  readonly serialWaits: SerialWait[] = [];
  readonly missingDones: MissingDone[] = [];
  readonly skippedDones: SkippedDone[] = [];
  readonly returnsBeforeDone: ReturnBeforeDone[] = [];
  readonly writesAfterDone: WriteAfterDone[] = [];
  readonly unguardedDones: UnguardedDone[] = [];
  readonly reusedWhileWaited: ReusedWhileWaited[] = [];

  constructor(readonly graph: CallGraph) {
    for (const fn of graph.funcs) {
      if (!fn.decl.body) continue;
      // Most functions neither start a goroutine nor Add: the call graph's sites say so without a walk of the body.
      const sites = graph.sites(fn);
      if (sites.some((site) => site.mode === 'go')) {
        for (const go of this.bodyOf(fn).goes) {
          if (!go.callee) continue;
          this.checkLateAdd(fn, go, go.callee);
          this.checkSerialWait(fn, go, go.callee);
          this.checkWriteAfterDone(fn, go, go.callee);
          this.checkReturnBeforeDone(fn, go, go.callee);
          this.checkReusedWhileWaited(fn, go, go.callee);
        }
      }
      if (sites.filter((site) => libraryName(site.info) === 'sync.(*WaitGroup).Done').length > 1) this.checkUnguardedDone(fn);
      if (sites.some((site) => libraryName(site.info) === 'sync.(*WaitGroup).Add')) {
        this.checkMissingDone(fn);
        this.checkSkippedDone(fn);
      }
    }
  }

  /**
   * `var wg sync.WaitGroup; wg.Add(1); go work(); wg.Wait()` with no `wg.Done()` in the function or
   * any closure of it. Only a plain local that never leaves the function by another use (`&wg` passed
   * on, `wg.Done` as a method value, a call in a `go` statement) is judged; an `Add` whose delta is not
   * an unsigned literal may count down, so such a WaitGroup is left alone (and `Add(0)` counts nothing).
   */
  private checkMissingDone(fn: FuncNode): void {
    const own = this.bodyOf(fn).ops;
    for (const add of own) {
      if (!plainLocalAdd(fn, add)) continue;
      const same = this.opsOn(fn, add.key);
      if (same.some((o) => o.method === 'Done' || (o.method === 'Add' && !o.positive))) continue;
      const wait = own.find((o) => o.key === add.key && o.method === 'Wait' && o.pos > add.pos);
      if (!wait || this.missingDones.some((m) => m.wait === wait) || this.escapes(fn, add.key, same)) continue;
      this.missingDones.push({ fn, add, wait });
    }
  }

  /**
   * `for _, b := range ids { wg.Add(1); x, err := find(b); if err != nil { continue }; go func() { defer wg.Done() ... }() }`
   * then `wg.Wait()`: the `continue` leaves the Add counted and its goroutine unstarted. The Add is on a plain
   * local (as for a missing Done), by a literal count on every pass of the loop or by `len(xs)` just before a loop
   * over `xs`; the skip is an `if` of that loop's body, between the Add and the `go`, that ends in an unlabelled
   * `continue` or `break` and counts nothing down on its way; the function itself calls no Done on the WaitGroup
   * (its goroutines do), and it Waits after the loop.
   */
  private checkSkippedDone(fn: FuncNode): void {
    const { ops: own, goes } = this.bodyOf(fn);
    for (const add of own) {
      if (!add.direct || !plainLocalAdd(fn, add)) continue;
      const same = own.filter((o) => o.key === add.key);
      if (same.some((o) => o.method === 'Done' || (o.method === 'Add' && o !== add && !o.positive))) continue;
      const loop = add.positive ? add.loop : this.loopOverLength(fn, add);
      if (!loop) continue;
      const counts = (g: GoStart) => g.callee !== undefined && this.countedDown(fn, g, g.callee).has(add.key);
      const go = goes.find((g) => g.loop === loop && g.direct && g.stmt.pos > add.pos && counts(g));
      if (!go) continue;
      const from = Math.max(add.pos, loop.pos);
      const skip = loop.body.map((st) => (st.k === 'if' && !st.else && st.pos > from && st.pos < go.stmt.pos ? st.then.at(-1) : undefined)).find(
        (last): last is SkippedDone['skip'] =>
          last?.k === 'branch' && (last.kind === 'continue' || last.kind === 'break') && !last.label && !goes.some((g) => g.stmt.pos > from && g.stmt.pos < last.pos && counts(g)),
      );
      const loopEnd = Math.max(...allStmts(loop.body).map((st) => st.pos));
      const wait = same.find((o) => o.method === 'Wait' && o.pos > loopEnd);
      if (!skip || !wait || this.escapes(fn, add.key, this.opsOn(fn, add.key))) continue;
      this.skippedDones.push({ fn, add, skip, go, wait });
    }
  }

  /**
   * Two Dones on one WaitGroup in one function, one after a check-and-set that lets each key through once
   * (`if w.seen[m] { return }` then `w.seen[m] = true`, before it) and one before that check: the second
   * runs on every call.
   */
  private checkUnguardedDone(fn: FuncNode): void {
    const body = fn.decl.body ?? [];
    const dones = this.bodyOf(fn).ops.filter((o) => o.method === 'Done' && !o.deferred);
    const stmts = allStmts(body);
    for (const check of stmts) {
      if (check.k !== 'if' || check.else || check.then.at(-1)?.k !== 'return') continue;
      if (check.cond.k !== 'index' && check.cond.k !== 'sel' && check.cond.k !== 'id') continue;
      const key = exprText(check.cond);
      const set = stmts.find(
        (st) => st.k === 'assign' && st.pos > check.pos && st.lhs.length === 1 && exprText(st.lhs[0]!) === key && st.rhs[0]?.k === 'lit' && st.rhs[0].kind === 'true',
      );
      if (!set) continue;
      for (const guarded of dones.filter((d) => d.pos > set.pos)) {
        const done = dones.find((d) => d.key === guarded.key && d.pos < check.pos);
        if (done && !this.unguardedDones.some((u) => u.done === done)) this.unguardedDones.push({ fn, done, guarded, check: check.pos, set: set.pos, key });
      }
    }
  }

  /** `wg.Add(len(xs))` followed by a loop over `xs`: the loop that is to start one goroutine per element. */
  private loopOverLength(fn: FuncNode, add: WgOp): ForStmt | undefined {
    const d = add.delta;
    const counted = d?.k === 'call' && d.fn.k === 'id' && d.fn.name === 'len' && d.args.length === 1 ? d.args[0] : undefined;
    const key = counted?.k === 'id' ? this.graph.storageOf(fn, counted) : undefined;
    if (!key) return undefined;
    const loop = allStmts(fn.decl.body ?? []).find((st): st is ForStmt => st.k === 'for' && st.pos > add.pos);
    const over = loop?.range?.x;
    const st = over?.k === 'id' ? this.graph.storageOf(fn, over) : undefined;
    return st && storageKey(st) === storageKey(key) ? loop : undefined;
  }

  /** The WaitGroups, in fn's names, on which the goroutine `go` starts (running callee) calls Done. */
  private countedDown(fn: FuncNode, go: GoStart, callee: FuncNode): Set<string | undefined> {
    const call = go.stmt.call as CallExpr;
    return new Set(
      this.bodyOf(callee)
        .ops.filter((o) => o.method === 'Done')
        .map((o) => mapKey(this.graph, o.key, callee, call, fn)),
    );
  }

  /** A function and its closures: where a local WaitGroup can be used. */
  private scopeOf(fn: FuncNode): FuncNode[] {
    return [fn, ...literalsOf(fn, this.graph).values()];
  }

  /** The operations on one WaitGroup in a function and its closures. */
  private checkReusedWhileWaited(starter: FuncNode, go: GoStart, fn: FuncNode): void {
    if (!fn.decl.recv || this.reusedWhileWaited.some((r) => r.fn === fn)) return;
    const own = this.bodyOf(fn).ops;
    const add = own.find((o) => o.method === 'Add' && o.key.startsWith(`P:${fn.id}:-1.`));
    if (!add) return;
    const wait = this.waitBefore(fn, add);
    // `nc.wg = &sync.WaitGroup{}` between them: each generation counts on a WaitGroup of its own.
    const renewed = (st: Stmt) => st.k === 'assign' && st.pos > wait!.pos && st.pos < add.pos && st.lhs.some((l) => keyOf(this.graph, fn, l) === add.key);
    if (!wait || allStmts(fn.decl.body ?? []).some(renewed) || this.heldAcross(fn, wait.pos, add.pos)) return;
    const callers = new Set(this.graph.callers(starter).map((e) => e.call)).size;
    const starts = this.graph.callers(fn).filter((e) => e.mode === 'go').length;
    const overlap = go.loop ? `a loop of ${shortName(starter)}` : starts > 1 ? `${starts} \`go\` statements` : callers > 1 ? `${shortName(starter)}, which ${callers} places call` : undefined;
    if (overlap) this.reusedWhileWaited.push({ fn, wait, add, starter, go, overlap });
  }

  /** A mutex fn locks before `from` and does not unlock (but by defer) before `to`: the two are one step under it. */
  private heldAcross(fn: FuncNode, from: Pos, to: Pos): boolean {
    const verbOf = (info: CallInfo) => /^sync\.\(\*(RW)?Mutex\)\.(Lock|Unlock)$/.exec(libraryName(info) ?? '')?.[2];
    const sites = this.graph.sites(fn).flatMap(({ call, mode, info }) => {
      const verb = verbOf(info);
      return verb && call.fn.k === 'sel' ? [{ verb, mode, pos: call.pos, mu: exprText(call.fn.x) }] : [];
    });
    return sites.some(
      (l) => l.verb === 'Lock' && l.mode === 'call' && l.pos < from && !sites.some((u) => u.verb === 'Unlock' && u.mode === 'call' && u.mu === l.mu && u.pos > l.pos && u.pos < to),
    );
  }

  /** A Wait on the Add's WaitGroup before it in fn: its own, or in a method fn calls on the same receiver first. */
  private waitBefore(fn: FuncNode, add: WgOp): { pos: Pos; via?: FuncNode } | undefined {
    const own = this.bodyOf(fn).ops.find((o) => o.method === 'Wait' && o.key === add.key && o.pos < add.pos);
    if (own) return { pos: own.pos };
    for (const { call, mode, info } of this.graph.sites(fn)) {
      if (mode !== 'call' || call.pos > add.pos || info.kind !== 'resolved' || call.fn.k !== 'sel') continue;
      for (const t of info.targets) {
        if (!PRECISE_HOWS.has(t.how) || !t.callee.decl.body) continue;
        const waits = this.bodyOf(t.callee).ops.some((o) => o.method === 'Wait' && mapKey(this.graph, o.key, t.callee, call, fn) === add.key);
        if (waits) return { pos: call.pos, via: t.callee };
      }
    }
    return undefined;
  }

  private opsOn(fn: FuncNode, key: string): WgOp[] {
    return this.scopeOf(fn).flatMap((f) => this.bodyOf(f).ops.filter((o) => o.key === key));
  }

  /**
   * `go func() { v := work(); wg.Done(); out[i] = v }()` then `wg.Wait(); use(out)`: the write comes
   * after the Done that Wait counts, so Wait may return first. The Done must run unconditionally and
   * outside loops in the literal's body (then everything written after it runs after it), and the
   * starter must read the written variable after its Wait.
   */
  private checkWriteAfterDone(fn: FuncNode, go: GoStart, callee: FuncNode): void {
    if (callee.decl.parent === undefined || !callee.decl.body) return;
    const call = go.stmt.call as CallExpr;
    for (const done of this.bodyOf(callee).ops) {
      if (done.method !== 'Done' || !done.direct || done.loop || done.deferred) continue;
      const key = mapKey(this.graph, done.key, callee, call, fn);
      const wait = key === undefined ? undefined : this.waitAfter(fn, key, go.stmt.pos, 0, false);
      if (!wait || wait === 'counted') continue;
      for (const write of this.capturedWrites(callee, done.pos)) {
        const read = this.readAfter(wait.fn, write.storage, wait.op.pos);
        if (read === undefined) continue;
        this.writesAfterDone.push({ fn, go, callee, done, write: { pos: write.pos, name: write.name, root: write.root }, wait: { fn: wait.fn, op: wait.op }, read });
        return;
      }
    }
  }

  /**
   * `wg.Add(1); go func() { if err := save(); err != nil { return }; ...; wg.Done() }(); wg.Wait()`: a return of the
   * goroutine before its Done leaves the WaitGroup counted, and the Wait never returns once that path is taken. The
   * goroutine's Dones on it are its own calls, none deferred; the starter Adds before the `go`, calls no Done itself,
   * and Waits after it. A return counts only when no Done on that WaitGroup is written before it (one in another
   * branch may be on its path) and no call before it reaches a function that calls Done on any WaitGroup.
   */
  private checkReturnBeforeDone(fn: FuncNode, go: GoStart, callee: FuncNode): void {
    const body = this.bodyOf(callee);
    const dones = body.ops.filter((o) => o.method === 'Done');
    if (dones.length === 0 || dones.some((o) => o.deferred) || body.ops.some((o) => o.method !== 'Done')) return;
    const call = go.stmt.call as CallExpr;
    const key = mapKey(this.graph, dones[0]!.key, callee, call, fn);
    if (key === undefined || dones.some((o) => mapKey(this.graph, o.key, callee, call, fn) !== key)) return;
    const own = this.bodyOf(fn).ops.filter((o) => o.key === key);
    const add = own.filter((o) => o.method === 'Add' && o.positive && o.pos < go.stmt.pos).at(-1);
    if (!add || own.some((o) => o.method === 'Done')) return;
    const first = Math.min(...dones.map((o) => o.pos));
    const ret = allStmts(callee.decl.body ?? []).find((st) => st.k === 'return' && st.pos < first);
    if (!ret || this.doneCalledBefore(callee, ret.pos)) return;
    const wait = this.waitAfter(fn, key, go.stmt.pos, 0, false);
    if (!wait || wait === 'counted') return;
    this.returnsBeforeDone.push({ fn, go, callee, ret: ret.pos, done: dones[0]!, add, wait: { fn: wait.fn, op: wait.op } });
  }

  /** Whether a call in fn before `pos` reaches a function that calls Done on a WaitGroup (it may count this one down). */
  private doneCalledBefore(fn: FuncNode, pos: Pos): boolean {
    return this.graph
      .sites(fn)
      .some((site) => site.call.pos < pos && site.info.kind === 'resolved' && site.info.targets.some((t) => this.bodyOf(t.callee).ops.some((o) => o.method === 'Done')));
  }

  /** Writes after `pos` in a literal's body to variables of the functions around it. */
  private capturedWrites(lit: FuncNode, pos: Pos): { pos: Pos; name: string; root: string; storage: Storage }[] {
    const out: { pos: Pos; name: string; root: string; storage: Storage }[] = [];
    const note = (target: Expr, at: Pos) => {
      const root = rootExpr(target);
      const st = root.k === 'id' ? this.graph.storageOf(lit, root) : undefined;
      if (st && (st.kind === 'local' || st.kind === 'param') && st.fn !== lit.id) out.push({ pos: at, name: textOf(target), root: rootName(target), storage: st });
    };
    for (const st of allStmts(lit.decl.body ?? [])) {
      if (st.pos < pos) continue;
      if (st.k === 'assign' && st.op !== ':=') st.lhs.forEach((l) => note(l, st.pos));
      else if (st.k === 'incdec') note(st.x, st.pos);
    }
    return out;
  }

  /** The first read of a variable in `fn` after `pos`. */
  private readAfter(fn: FuncNode, storage: Storage, pos: Pos): Pos | undefined {
    const key = storageKey(storage);
    let out: Pos | undefined;
    forEachExpr(fn.decl.body ?? [], (e) => {
      if (e.k !== 'id' || e.pos <= pos || (out !== undefined && out < e.pos)) return;
      const st = this.graph.storageOf(fn, e);
      if (st && storageKey(st) === key) out = e.pos;
    });
    return out;
  }

  /** Whether the WaitGroup variable is used, in fn or its closures, other than as the receiver of the counted operations. */
  private escapes(fn: FuncNode, key: string, ops: WgOp[]): boolean {
    // The variable's own declaration (`wg := sync.WaitGroup{}`) lets nothing out.
    const receivers = new Set<Expr>(ops.map((o) => o.recv));
    let out = false;
    for (const f of this.scopeOf(fn)) {
      for (const st of allStmts(f.decl.body ?? [])) if (st.k === 'assign' && st.op === ':=') st.lhs.forEach((l) => receivers.add(l));
      forEachExpr(f.decl.body ?? [], (e) => {
        if (out || e.k !== 'id' || receivers.has(e)) return;
        out = keyOf(this.graph, f, e) === key;
      });
      if (out) return true;
    }
    return false;
  }

  private bodyOf(fn: FuncNode): BodyOps {
    let out = this.bodies.get(fn);
    if (!out) {
      out = bodyOps(this.graph, fn);
      this.bodies.set(fn, out);
    }
    return out;
  }

  /**
   * `go func() { wg.Add(1); defer wg.Done(); ... }()` with a Wait on that wg after the `go`: the Add
   * comes first in the goroutine (unconditionally, before it starts goroutines of its own) and the
   * goroutine's own Done says that it is what the Add counts, not work it hands on.
   */
  private checkLateAdd(fn: FuncNode, go: GoStart, callee: FuncNode): void {
    const body = this.bodyOf(callee);
    const firstGo = Math.min(...body.goes.map((g) => g.stmt.pos));
    const add = body.ops.find((o) => o.method === 'Add' && o.direct && !o.loop && o.pos < firstGo);
    if (!add || !body.ops.some((o) => o.method === 'Done' && o.key === add.key)) return;
    const key = mapKey(this.graph, add.key, callee, go.stmt.call as CallExpr, fn);
    const wait = key === undefined ? undefined : this.waitAfter(fn, key, go.stmt.pos, 0);
    if (!wait || wait === 'counted') return;
    // `go func() { wg.Add(1); ready <- true ... }()` then `<-ready; wg.Wait()`: the Add may be ordered first.
    const { after, ...found } = wait;
    if (body.signals && this.bodyOf(found.fn).recvs.some((r) => r > after && r < found.op.pos)) return;
    this.lateAdds.push({ fn, go, callee, add, wait: found });
  }

  /**
   * The first Wait on `key` after `pos` in `fn`, in the functions it is a closure of, or (for a
   * WaitGroup passed in) in its callers after the call, up to MAX_CALLER_DEPTH calls up. 'counted'
   * when an Add on it comes first there (unless `stopAtAdd` is false): the counter is then above zero
   * when the goroutine adds.
   */
  private waitAfter(fn: FuncNode, key: string, pos: Pos, depth: number, stopAtAdd = true): { fn: FuncNode; op: WgOp; after: Pos } | 'counted' | undefined {
    const chain: FuncNode[] = [];
    for (let at: FuncNode | undefined = fn; at; at = parentOf(this.graph, at)) chain.push(at);
    for (const at of chain) {
      const ops = this.bodyOf(at).ops;
      if (stopAtAdd && ops.some((o) => o.method === 'Add' && o.key === key && o.pos < pos)) return 'counted';
      const op = ops.find((o) => o.method === 'Wait' && o.key === key && o.pos > pos);
      if (op) return { fn: at, op, after: pos };
    }
    if (depth === MAX_CALLER_DEPTH) return undefined;
    const at = chain.find((f) => key.startsWith(`P:${f.id}:`));
    if (!at) return undefined;
    for (const edge of this.graph.callers(at)) {
      if (edge.mode !== 'call' || !PRECISE_HOWS.has(edge.how)) continue;
      const up = mapKey(this.graph, key, at, edge.call, edge.caller);
      const found = up === undefined ? undefined : this.waitAfter(edge.caller, up, edge.call.pos, depth + 1, stopAtAdd);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * A Wait on every pass of the innermost loop around a `go` whose goroutine calls Done on that
   * WaitGroup. A Wait under a condition (every n items) or after an inner loop (per batch) is a
   * deliberate bound on concurrency and stays silent.
   */
  private checkSerialWait(fn: FuncNode, go: GoStart, callee: FuncNode): void {
    if (!go.loop) return;
    const counted = this.countedDown(fn, go, callee);
    let declared: Set<string> | undefined;
    const fresh = (name: string) => (declared ??= declaredIn(go.loop!)).has(name);
    const wait = this.bodyOf(fn).ops.find((o) => o.method === 'Wait' && o.loop === go.loop && o.direct && o.pos > go.stmt.pos && counted.has(o.key) && !fresh(o.root));
    if (wait && !this.serialWaits.some((s) => s.wait === wait)) this.serialWaits.push({ fn, wait, go, callee });
  }
}

/** A WaitGroup Add on a plain local of fn (not a field below it): one whose every use fn and its closures show. */
function plainLocalAdd(fn: FuncNode, op: WgOp): boolean {
  const local = `L:${fn.id}:`;
  return op.method === 'Add' && op.key.startsWith(local) && !op.key.includes('.', local.length);
}

function parentOf(graph: CallGraph, fn: FuncNode): FuncNode | undefined {
  const p = fn.decl.parent === undefined ? undefined : fn.file.funcs[fn.decl.parent];
  return p && graph.nodeOf(fn.file, p);
}
