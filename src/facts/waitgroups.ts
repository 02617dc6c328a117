/**
 * WaitGroup facts: "are Add, Done and Wait used in an order that can go wrong?" — each WaitGroup
 * operation with the loop and goroutine it sits in, and the misuses read from them.
 */
import type { Expr, Pos, Stmt } from '../ir.js';
import type { CallGraph, FuncNode, Storage } from '../resolve/callgraph.js';
import { builtinArg } from '../irutil.js';
import { allStmts, exprsOfSimple, forEachExpr, forEachSubExpr, libraryName, literalsOf, PRECISE_HOWS, type CallExpr } from './calls.js';

type ForStmt = Extract<Stmt, { k: 'for' }>;
type GoStmt = Extract<Stmt, { k: 'go' }>;

/** Where a statement sits: its innermost loop in the same function, and whether it runs on every pass of it. */
interface Place {
  loop?: ForStmt;
  /** Reached from the loop's body (or the function's, outside loops) through plain blocks only: unconditional. */
  direct: boolean;
}

export interface WgOp extends Place {
  method: 'Add' | 'Done' | 'Wait';
  /** The WaitGroup instance (see keyOf). */
  key: string;
  /** The WaitGroup as written: `wg`, `s.wg`. */
  display: string;
  /** The variable it is reached from: `s` in `s.wg`. */
  root: string;
  /** That variable's expression in the call: uses of it elsewhere are escapes. */
  recv: Expr;
  /** An Add whose delta is an unsigned integer literal other than 0: it counts up only. */
  positive: boolean;
  /** Registered with `defer`: it runs at the function's exits. */
  deferred: boolean;
  pos: Pos;
}

export interface GoStart extends Place {
  stmt: GoStmt;
  /** The function the goroutine runs, when the call has exactly one target we can read. */
  callee?: FuncNode;
}

interface BodyOps {
  ops: WgOp[];
  goes: GoStart[];
  /** Where the function receives from a channel (`<-ch`, a select's receive): a possible handshake. */
  recvs: Pos[];
  /** Whether it sends on or closes a channel: something a receiver can be ordered after. */
  signals: boolean;
  /** Names declared in each loop's body, at any depth: a fresh variable on every pass. */
  declared: Map<ForStmt, Set<string>>;
}

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

/** A Wait inside the loop that starts the goroutines it waits for: they run one at a time. */
export interface SerialWait {
  fn: FuncNode;
  wait: WgOp;
  go: GoStart;
  callee: FuncNode;
}

const WG_RE = /^sync\.\(\*WaitGroup\)\.(Add|Done|Wait)$/;
/** How many calls up a WaitGroup parameter is followed to its caller's Wait. */
const MAX_CALLER_DEPTH = 2;

/**
 * WaitGroup operations per function and the two misuses read from them. Built only by the rule that
 * reports them: no other rule pays for it.
 */
export class WaitGroupFacts {
  private readonly bodies = new Map<FuncNode, BodyOps>();
  readonly lateAdds: LateAdd[] = [];
  readonly serialWaits: SerialWait[] = [];
  readonly missingDones: MissingDone[] = [];
  readonly writesAfterDone: WriteAfterDone[] = [];

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
        }
      }
      if (sites.some((site) => libraryName(site.info) === 'sync.(*WaitGroup).Add')) this.checkMissingDone(fn);
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
    const inner = [...literalsOf(fn, this.graph).values()];
    const all = [...own, ...inner.flatMap((f) => this.bodyOf(f).ops)];
    const local = `L:${fn.id}:`;
    for (const add of own) {
      if (add.method !== 'Add' || !add.key.startsWith(local) || add.key.includes('.', local.length)) continue;
      const same = all.filter((o) => o.key === add.key);
      if (same.some((o) => o.method === 'Done' || (o.method === 'Add' && !o.positive))) continue;
      const wait = own.find((o) => o.key === add.key && o.method === 'Wait' && o.pos > add.pos);
      if (!wait || this.missingDones.some((m) => m.wait === wait) || this.escapes([fn, ...inner], add.key, same)) continue;
      this.missingDones.push({ fn, add, wait });
    }
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

  /** Whether the WaitGroup variable is used other than as the receiver of the counted operations. */
  private escapes(scope: FuncNode[], key: string, ops: WgOp[]): boolean {
    const receivers = new Set(ops.map((o) => o.recv));
    let out = false;
    for (const f of scope) {
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
      out = { ops: [], goes: [], declared: new Map(), recvs: [], signals: false };
      this.walk(fn, fn.decl.body ?? [], { direct: true }, out);
      this.bodies.set(fn, out);
    }
    return out;
  }

  private walk(fn: FuncNode, body: readonly Stmt[], place: Place, out: BodyOps): void {
    const nested: Place = { ...place, direct: false };
    for (const s of body) {
      if (place.loop) for (const name of declaredBy(s)) this.declare(out, place.loop, name);
      this.channelUse(s, out);
      switch (s.k) {
        case 'expr':
          if (s.x.k === 'call') this.op(fn, s.x, place, out, false);
          break;
        case 'defer':
          if (s.call.k === 'call') this.op(fn, s.call, place, out, true);
          break;
        case 'go': {
          const callee = s.call.k === 'call' ? this.goroutineOf(s.call) : undefined;
          out.goes.push({ ...place, stmt: s, ...(callee ? { callee } : {}) });
          break;
        }
        case 'block':
          this.walk(fn, s.body, place, out);
          break;
        case 'labeled':
          if (s.stmt) this.walk(fn, [s.stmt], place, out);
          break;
        case 'for':
          for (const name of declaredBy(s)) this.declare(out, s, name);
          this.walk(fn, s.body, { loop: s, direct: true }, out);
          // The outer loop's pass declares what its inner loops do.
          if (place.loop) for (const name of out.declared.get(s) ?? []) this.declare(out, place.loop, name);
          break;
        case 'if':
          this.walk(fn, s.then, nested, out);
          if (s.else) this.walk(fn, s.else, nested, out);
          break;
        case 'switch':
        case 'typeswitch':
        case 'select':
          for (const c of s.cases) this.walk(fn, c.body, nested, out);
          break;
      }
    }
  }

  private channelUse(s: Stmt, out: BodyOps): void {
    if (s.k === 'send' || (s.k === 'expr' && builtinArg(s.x, 'close'))) out.signals = true;
    if (s.k === 'select') {
      for (const c of s.cases) if (c.kind === 'recv') out.recvs.push(c.pos);
      if (s.cases.some((c) => c.kind === 'send')) out.signals = true;
    } else if (exprsOfSimple(s).some(receives)) out.recvs.push(s.pos);
  }

  private declare(out: BodyOps, loop: ForStmt, name: string): void {
    const names = out.declared.get(loop);
    if (names) names.add(name);
    else out.declared.set(loop, new Set([name]));
  }

  private op(fn: FuncNode, call: CallExpr, place: Place, out: BodyOps, deferred: boolean): void {
    const m = WG_RE.exec(libraryName(this.graph.callInfo(call)) ?? '');
    if (!m || call.fn.k !== 'sel') return;
    const key = keyOf(this.graph, fn, call.fn.x);
    if (key === undefined) return;
    const delta = call.args[0];
    const positive = m[1] === 'Add' && delta?.k === 'lit' && delta.kind === 'int' && !delta.zero;
    const recv = rootExpr(call.fn.x);
    out.ops.push({ ...place, method: m[1] as WgOp['method'], key, display: textOf(call.fn.x), root: rootName(call.fn.x), recv, positive, deferred, pos: call.pos });
  }

  private goroutineOf(call: CallExpr): FuncNode | undefined {
    const info = this.graph.callInfo(call);
    if (info.kind !== 'resolved' || info.targets.length !== 1) return undefined;
    const [t] = info.targets;
    return t && PRECISE_HOWS.has(t.how) && t.callee.decl.body ? t.callee : undefined;
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
    const call = go.stmt.call as CallExpr;
    const counted = new Set(
      this.bodyOf(callee)
        .ops.filter((o) => o.method === 'Done')
        .map((o) => mapKey(this.graph, o.key, callee, call, fn)),
    );
    const body = this.bodyOf(fn);
    const wait = body.ops.find(
      (o) => o.method === 'Wait' && o.loop === go.loop && o.direct && o.pos > go.stmt.pos && counted.has(o.key) && !body.declared.get(go.loop!)?.has(o.root),
    );
    if (wait && !this.serialWaits.some((s) => s.wait === wait)) this.serialWaits.push({ fn, wait, go, callee });
  }
}

/**
 * A WaitGroup instance as a string that means the same in a function and in the closures that capture
 * its variables: a variable (local or parameter, with its declaring function) or a global, and the
 * field path below it. `&wg` and `wg` are one instance; `wgs[i]` is none we can name.
 */
function keyOf(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
  switch (e.k) {
    case 'unary':
      return e.op === '&' || e.op === '*' ? keyOf(graph, fn, e.x) : undefined;
    case 'id': {
      const st = graph.storageOf(fn, e);
      return st && storageKey(st);
    }
    case 'sel': {
      const st = graph.storageOf(fn, e);
      if (st?.kind === 'global') return storageKey(st);
      const base = keyOf(graph, fn, e.x);
      return base === undefined ? undefined : `${base}.${e.name}`;
    }
    default:
      return undefined;
  }
}

function storageKey(st: Storage): string | undefined {
  switch (st.kind) {
    case 'local':
      return `L:${st.fn}:${st.name}`;
    case 'param':
      return `P:${st.fn}:${st.index}`;
    case 'global':
      return `G:${st.pkg}.${st.name}`;
    case 'field':
      return undefined;
  }
}

/**
 * A callee's WaitGroup as the caller names it: a parameter (or the receiver) is the argument passed,
 * a captured variable or a global is itself; the callee's own locals are instances the caller has not.
 */
function mapKey(graph: CallGraph, key: string, callee: FuncNode, call: CallExpr, caller: FuncNode): string | undefined {
  const own = `P:${callee.id}:`;
  if (key.startsWith(own)) {
    const m = /^(-?\d+)(.*)$/.exec(key.slice(own.length));
    if (!m) return undefined;
    const index = Number(m[1]);
    const arg = index === -1 ? (call.fn.k === 'sel' ? call.fn.x : undefined) : call.args[index];
    const base = arg && keyOf(graph, caller, arg);
    return base === undefined ? undefined : base + m[2]!;
  }
  return key.startsWith(`L:${callee.id}:`) ? undefined : key;
}

function parentOf(graph: CallGraph, fn: FuncNode): FuncNode | undefined {
  const p = fn.decl.parent === undefined ? undefined : fn.file.funcs[fn.decl.parent];
  return p && graph.nodeOf(fn.file, p);
}

/** Whether an expression receives from a channel (not counting function literals, which run elsewhere). */
function receives(e: Expr): boolean {
  if (e.k === 'unary' && e.op === '<-') return true;
  let found = false;
  forEachSubExpr(e, (x) => {
    found ||= receives(x);
  });
  return found;
}

/** Names a statement itself declares (not those of blocks it holds). */
function declaredBy(s: Stmt): string[] {
  switch (s.k) {
    case 'var':
      return s.names;
    case 'assign':
      return s.op === ':=' ? s.lhs.flatMap((l) => (l.k === 'id' ? [l.name] : [])) : [];
    case 'for':
      // A loop's own variables: with Go 1.22, a new one on every pass.
      return [...(s.init ? declaredBy(s.init) : []), ...(s.range?.define ? [s.range.key, s.range.value].flatMap((v) => (v?.k === 'id' ? [v.name] : [])) : [])];
    case 'if':
    case 'switch':
    case 'typeswitch':
      return s.init ? declaredBy(s.init) : [];
    default:
      return [];
  }
}

/** The variable an expression reaches through fields, pointers and elements: `out` in `out[i].n`. */
function rootExpr(e: Expr): Expr {
  return e.k === 'sel' || e.k === 'unary' || e.k === 'index' ? rootExpr(e.x) : e;
}

/** The name of that variable (`out` for `out[i]`), empty when the root is not one. */
function rootName(e: Expr): string {
  const root = rootExpr(e);
  return root.k === 'id' ? root.name : '';
}

function textOf(e: Expr): string {
  if (e.k === 'id') return e.name;
  if (e.k === 'index') return `${textOf(e.x)}[${e.index.map((i) => (i.k === 'id' ? i.name : '…')).join(', ')}]`;
  if (e.k === 'sel') return `${textOf(e.x)}.${e.name}`;
  if (e.k === 'unary' && (e.op === '&' || e.op === '*')) return textOf(e.x);
  return 'the WaitGroup';
}
