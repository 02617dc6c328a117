/**
 * From an entry function's IR to its goroutine model (src/explore/model.ts): which sync objects its code
 * touches, and in what order each goroutine may touch them. Calls with one known target are inlined to a
 * bounded depth; anything else the model cannot see makes the objects it is given escape, so that no
 * verdict rests on what an unseen caller or callee might do.
 */
import type { Location } from '../findings.js';
import type { Expr, FuncDecl, Stmt, SwitchCase } from '../ir.js';
import { colOf, lineOf, type Pos } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { deref, type Type } from '../resolve/types.js';
import { forEachExpr, forEachSubExpr, libraryName } from '../facts/calls.js';
import { isErrorCheck } from '../facts/conditions/errorcheck.js';
import type { NoReturn } from '../facts/noreturn.js';
import { exprText } from '../irtext.js';
import { STORE_RE } from '../facts/conditions/atomics.js';
import { failsTest } from '../facts/program/testcode.js';
import type { Block, Choice, Cond, EntryModel, Flag, Instr, Obj, ObjKind, SelectCase } from './model.js';
import type { HarnessPlan } from './harness.js';
import { MAX_COUNT } from './search.js';
import { ACQUIRE, drains } from '../facts/semaphores.js';

/** How deep calls are inlined into the model: deeper ones are left out, their arguments escaping. */
const MAX_INLINE = 3;

/** A function's variables as this inlined copy of it names them. */
interface Env {
  /** Which inlined copy of each function on the lexical chain this body belongs to. */
  copies: Map<string, number>;
  /** Parameters bound to the caller's objects: `P:fn:index` to a key. */
  params: Map<string, string>;
  /** Functions being inlined, to cut recursion. */
  stack: string[];
  node: FuncNode;
  /** For an inlined call: the objects its `return` statements hand back to the caller. */
  ret?: Set<string>;
  /** A harness's constructor: a `return` that hands back no instance (`return nil, err`) ends the harness's run. */
  mustHand?: true;
}

const SYNC_KINDS: Record<string, ObjKind> = {
  'sync.Mutex': 'mutex',
  'sync.RWMutex': 'mutex',
  'sync.WaitGroup': 'wg',
  'sync.Once': 'once',
};

export class ModelBuilder {
  private readonly objs: Obj[] = [];
  private readonly objByKey = new Map<string, number>();
  private readonly flags: Flag[] = [];
  private readonly flagByKey = new Map<string, number>();
  /** `a := b`: a's key names b's object. */
  private readonly aliases = new Map<string, string>();
  /** Keys assigned two different values: the model cannot tell which object they hold. */
  private readonly ambiguous = new Set<string>();
  private readonly escaped = new Map<string, string>();
  private nextBlock = 0;
  private copies = 0;
  private unidentified = false;
  /** A wait the model cannot count was met (a semaphore drained to its full weight, see semaphores.ts). */
  private drained = false;
  private loopDepth = 0;
  private readonly madeInLoop = new Set<string>();
  /** Range variables over collections: one element each round. */
  private readonly perIteration = new Set<string>();
  /** Variables a loop gives a new value each round (range variables, a counted loop's index). */
  private readonly roundVars = new Set<string>();
  /** The round variables and every key they are a field of: a read overlaps one when it is among these. */
  private readonly roundOwners = new Set<string>();
  /** Channels made with a computed capacity, and the variables that capacity reads. */
  private readonly capReads = new Map<number, string[]>();
  /** What the counted loops around the statement being built count over (their loopBound names). */
  private readonly counting: string[] = [];
  /** Per channel: what the counted loops around its sends count over. */
  private readonly sendCounts = new Map<number, Set<string>>();
  private readonly bounds = new Map<string, number>();
  /** `var ch chan T`: channel variables declared without a value, nil until assigned. */
  private readonly nilDecls = new Set<string>();
  /** Struct variables declared in the model (`var idx Index`, `idx := &Index{}`): their mutexes and WaitGroups are its own. */
  private readonly localStructs = new Set<string>();
  private fresh = 0;
  /** Local variables holding a function literal, with the environment it was made in. */
  private readonly funcVars = new Map<string, { lit: Extract<Expr, { k: 'funclit' }>; env: Env }>();
  private readonly choices: Choice[] = [];
  private readonly choiceByKey = new Map<string, number>();
  /** The variables each `write` instruction assigns, until finish() turns them into the choices they reopen. */
  private readonly writes = new Map<Extract<Instr, { k: 'write' }>, string[]>();

  constructor(
    private readonly graph: CallGraph,
    private readonly noReturn: NoReturn,
  ) {}

  build(entry: FuncNode): EntryModel | undefined {
    if (!entry.decl.body) return undefined;
    const env: Env = { copies: new Map([[entry.id, this.copies++]]), params: new Map(), stack: [entry.id], node: entry };
    return this.finish(entry.id, this.body(entry.decl, env));
  }

  /**
   * A lifecycle harness (src/explore/harness.ts) as a model: goroutine 0 makes one instance (its constructor,
   * else a zero value of the type's own), starts it, runs each concurrent method on a goroutine of its own, and
   * calls the teardown. Undefined when the constructor hands back no instance the model can name, or when no
   * concurrent method touches a sync object.
   */
  buildHarness(h: HarnessPlan): EntryModel | undefined {
    const env: Env = { copies: new Map(), params: new Map(), stack: [], node: h.teardown };
    const out: Instr[] = [];
    let recv: string | undefined;
    if (h.ctor) {
      const made = this.inlineAs(h.ctor, undefined, env, true);
      if (made?.ret === undefined) return undefined;
      if (made.block.instrs.length) out.push({ k: 'call', body: made.block, name: h.ctor.id, at: declAt(h.ctor) });
      recv = made.ret;
    } else {
      recv = `L:harness#${this.copies++}`;
      this.localStructs.add(recv);
    }
    const call = (fn: FuncNode, k: 'call' | 'go'): boolean => {
      const b = this.inlineAs(fn, recv, env);
      if (!b?.block.instrs.length) return false;
      out.push({ k, body: b.block, name: fn.id, at: declAt(fn) });
      return true;
    };
    if (h.start) call(h.start, 'call');
    // An operation that does nothing the model sees races nothing: the harness has no question to ask.
    if (!h.concurrent.map((fn) => call(fn, 'go')).some(Boolean)) return undefined;
    call(h.teardown, 'call');
    return this.finish(h.name, this.block(out));
  }

  /** The model of an entry; undefined when it waits in a way the model does not count: each schedule past the wait would be one the program cannot run. */
  private finish(entry: string, main: Block): EntryModel | undefined {
    if (this.drained) return undefined;
    // An object escapes with the first escape (in the order they were found) of it or of what it is a field of.
    const escapeOrder = new Map([...this.escaped.keys()].map((k, i) => [k, i] as const));
    const firstEscape = new Map<number, number>();
    for (const [k, id] of this.objByKey) {
      const owners = withOwners(k);
      for (const o of owners) {
        const at = escapeOrder.get(o);
        if (at !== undefined && at < (firstEscape.get(id) ?? Infinity)) firstEscape.set(id, at);
      }
      if (this.madeInLoop.has(k) || owners.some((o) => this.perIteration.has(o))) this.objs[id]!.perIteration = true;
    }
    const whys = [...this.escaped.values()];
    for (const [id, at] of firstEscape) this.objs[id]!.escapes ??= whys[at]!;
    // A buffer sized by what the loop sending on it counts (`len(jobs)`, `n+1` for `i < n`) holds what that loop
    // sends: as for a buffer the model cannot fill, a send on it is not judged blocked.
    for (const [id, reads] of this.capReads) {
      const counts = [...(this.sendCounts.get(id) ?? [])];
      if (reads.some((r) => counts.some((b) => overlaps(r, b)))) delete this.objs[id]!.capText;
    }
    const retested = forgetOnceTested(main);
    // Which retested choices read a key (`overlaps`): by each read and what it is a field of, and by each read as is.
    const byOwner = new Map<string, Set<number>>();
    const byRead = new Map<string, Set<number>>();
    const index = (m: Map<string, Set<number>>, k: string, id: number) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(id);
    for (const c of this.choices) {
      if (!retested.has(c.id)) continue;
      for (const r of c.reads) {
        index(byRead, r, c.id);
        for (const o of withOwners(r)) index(byOwner, o, c.id);
      }
    }
    for (const [w, keys] of this.writes) {
      const reopened = new Set<number>();
      for (const k of keys) {
        for (const id of byOwner.get(k) ?? []) reopened.add(id);
        for (const o of withOwners(k)) for (const id of byRead.get(o) ?? []) reopened.add(id);
      }
      // A choice's id is its place in this.choices: in id order, as the choices are listed.
      w.choices = [...reopened].sort((a, b) => a - b);
    }
    prune(main, new Set());
    return { entry, main, objs: this.objs, flags: this.flags, loopBounds: this.bounds.size, choices: this.choices, unidentified: this.unidentified };
  }

  /** A `write` of these variables (to the choices that read them, resolved in finish()). */
  private write(keys: (string | undefined)[], out: Instr[]): void {
    const ks = keys.filter((k): k is string => k !== undefined).map((k) => this.canon(k));
    if (!ks.length) return;
    const w: Extract<Instr, { k: 'write' }> = { k: 'write', choices: [] };
    this.writes.set(w, ks);
    out.push(w);
  }

  /** The variables an expression reads, as keys: a name or field path whole, a method call's receiver, and what calls are given. */
  private reads(e: Expr, env: Env): string[] {
    const out: string[] = [];
    const walk = (x: Expr): void => {
      if (x.k === 'id' || x.k === 'sel') {
        const k = this.keyOf(x, env);
        if (k !== undefined) return void out.push(this.canon(k));
      }
      if (x.k === 'call' && x.fn.k === 'sel') {
        const k = this.keyOf(x.fn.x, env);
        if (k !== undefined) out.push(this.canon(k));
        else walk(x.fn.x);
        return x.args.forEach(walk);
      }
      forEachSubExpr(x, walk);
    };
    walk(e);
    return [...new Set(out)].sort();
  }

  /** The choice a condition (its text without a leading `!`) reading these variables is; undefined when it reads none. */
  private choiceOf(text: string, reads: string[]): number | undefined {
    if (!reads.length) return undefined;
    const key = `${text}|${reads.join(',')}`;
    let id = this.choiceByKey.get(key);
    if (id === undefined) {
      id = this.choices.length;
      this.choices.push({ id, text, reads });
      this.choiceByKey.set(key, id);
    }
    return id;
  }

  private block(instrs: Instr[]): Block {
    return { id: this.nextBlock++, instrs };
  }

  private loc(env: Env, pos: Pos): Location {
    return { path: env.node.file.path, line: lineOf(pos), col: colOf(pos) };
  }

  /** A function's body as a block; `recovers` when a deferred call there recovers from panics. */
  private body(decl: FuncDecl, env: Env): Block {
    const instrs = this.stmts(decl.body ?? [], env);
    const b = this.block(instrs);
    if ((decl.body ?? []).some((s) => s.k === 'defer' && this.deferRecovers(s.call, env))) b.recovers = true;
    return b;
  }

  private deferRecovers(call: Expr, env: Env): boolean {
    if (call.k !== 'call' || call.fn.k !== 'funclit') return false;
    const lit = env.node.file.funcs[call.fn.fn];
    let found = false;
    forEachExpr(lit?.body ?? [], (e) => {
      if (e.k === 'call' && e.fn.k === 'id' && e.fn.name === 'recover') found = true;
    });
    return found;
  }

  private stmts(list: readonly Stmt[], env: Env): Instr[] {
    const out: Instr[] = [];
    for (const s of list) this.stmt(s, env, out);
    return out;
  }

  private stmt(s: Stmt, env: Env, out: Instr[], label?: string): void {
    const at = this.loc(env, s.pos);
    switch (s.k) {
      case 'expr':
        this.effects(s.x, env, out);
        return;
      case 'send': {
        this.effects(s.value, env, out, true);
        const ch = this.chanOf(s.ch, env, out);
        if (ch !== undefined) out.push(this.sent({ k: 'send', ch, at }));
        return;
      }
      case 'assign':
        this.assign(s.lhs, s.rhs, s.op, env, out);
        return;
      case 'var':
        if (!s.values.length) {
          // `var ch chan T` is nil until made; `var idx Index` is a struct of the model's own, zero-valued.
          const into = s.type?.k === 'chan' ? this.nilDecls : s.type?.k === 'name' ? this.localStructs : undefined;
          for (const name of s.names) {
            const k = into && this.declaredKey(name, env);
            if (k !== undefined) into!.add(k);
          }
        }
        if (s.values.length) {
          this.assign(s.names.map((name) => ({ k: 'id', name, pos: s.pos }) as Expr), s.values, ':=', env, out);
        }
        return;
      case 'incdec':
        this.write([this.keyOf(s.x, env)], out);
        return;
      case 'go': {
        const body = this.callBody(s.call, env, out, 'go');
        if (body) out.push({ k: 'go', body: body.block, name: body.name, at });
        return;
      }
      case 'defer': {
        const body = this.callBody(s.call, env, out, 'defer');
        if (body && body.block.instrs.length) out.push({ k: 'defer', body: body.block, at });
        return;
      }
      case 'return': {
        // An inlined callee hands its first result back to the caller (`return c, nil`): a use the model follows.
        const handed = env.ret && s.values.length ? this.keyOf(s.values[0]!, env) : undefined;
        if (handed !== undefined) env.ret!.add(this.canon(handed));
        for (const v of handed !== undefined ? s.values.slice(1) : s.values) this.effects(v, env, out, true);
        // The harness's caller would stop at the error: no lifecycle follows, so the run is not explored on.
        out.push({ k: env.mustHand && handed === undefined ? 'exit' : 'return', at });
        return;
      }
      case 'branch':
        if (s.kind === 'break') out.push({ k: 'break', ...(s.label ? { label: s.label } : {}), at });
        else if (s.kind === 'continue') out.push({ k: 'continue', ...(s.label ? { label: s.label } : {}), at });
        else if (s.kind === 'goto') this.unidentified = true;
        return;
      case 'block':
        out.push(...this.stmts(s.body, env));
        return;
      case 'labeled':
        if (s.stmt) this.stmt(s.stmt, env, out, s.label);
        return;
      case 'if': {
        if (s.init) this.stmt(s.init, env, out);
        this.effects(s.cond, env, out);
        const then = this.block(this.stmts(s.then, env));
        const els = this.block(this.stmts(s.else ?? [], env));
        if (!then.instrs.length && !els.instrs.length) return;
        out.push({ k: 'if', cond: this.cond(s.cond, env), then, else: els, at });
        return;
      }
      case 'switch':
      case 'typeswitch': {
        if (s.init) this.stmt(s.init, env, out);
        if (s.k === 'switch' && s.tag) this.effects(s.tag, env, out);
        const arms = s.cases.map((c: SwitchCase) => this.block(this.stmts(c.body, env)));
        if (!s.cases.some((c) => c.isDefault)) arms.push(this.block([]));
        if (arms.every((a) => !a.instrs.length)) return;
        const tested = [...(s.k === 'switch' && s.tag ? [s.tag] : []), ...s.cases.flatMap((c) => c.exprs)];
        const memo = this.choiceOf(`switch at ${at.path}:${at.line}`, [...new Set(tested.flatMap((x) => this.reads(x, env)))].sort());
        out.push({ k: 'switch', arms, ...(label ?? s.label ? { label: label ?? s.label } : {}), ...(memo !== undefined ? { memo } : {}), at });
        return;
      }
      case 'select': {
        const cases: SelectCase[] = [];
        let dflt: Block | undefined;
        for (const c of s.cases) {
          if (c.kind === 'default') {
            dflt = this.block(this.stmts(c.body, env));
            continue;
          }
          const ch = this.chanOf(c.ch, env, out);
          if (c.kind === 'send') this.effects(c.value, env, out, true);
          let ok: number | undefined;
          if (c.kind === 'recv' && c.lhs.length === 2) ok = this.flagFor(c.lhs[1]!, env, false);
          const body = this.block(this.stmts(c.body, env));
          if (ch === undefined) {
            // A case on a channel the model cannot name may fire at any time: a wildcard partner.
            this.unidentified = true;
            cases.push({ dir: 'recv', ch: this.timer(), body, at: this.loc(env, c.pos) });
            continue;
          }
          if (c.kind === 'send') this.sent({ k: 'send', ch, at });
          cases.push({ dir: c.kind, ch, ...(ok !== undefined ? { ok } : {}), body, at: this.loc(env, c.pos) });
        }
        out.push({ k: 'select', cases, ...(dflt ? { dflt } : {}), ...(label ?? s.label ? { label: label ?? s.label } : {}), at });
        return;
      }
      case 'for':
        this.loop(s, env, out, label ?? s.label, at);
        return;
    }
  }

  private loop(s: Extract<Stmt, { k: 'for' }>, env: Env, out: Instr[], label: string | undefined, at: Location): void {
    if (s.init) this.stmt(s.init, env, out);
    let rangeCh: number | undefined;
    if (s.range) {
      const t = deref(this.graph.typeOf(env.node, s.range.x));
      if (t.k === 'chan') {
        rangeCh = this.chanOf(s.range.x, env, out);
        if (rangeCh === undefined) this.unidentified = true;
      } else {
        this.effects(s.range.x, env, out, true);
        for (const v of [s.range.key, s.range.value]) {
          const k = v && s.range.define ? this.keyOf(v, env) : undefined;
          if (k !== undefined) this.perIteration.add(k);
        }
      }
      for (const v of [s.range.key, s.range.value]) {
        const k = v && this.keyOf(v, env);
        if (k !== undefined) this.roundVar(this.canon(k));
      }
    }
    if (s.post?.k === 'incdec' || s.post?.k === 'assign') {
      for (const x of s.post.k === 'incdec' ? [s.post.x] : s.post.lhs) {
        const k = this.keyOf(x, env);
        if (k !== undefined) this.roundVar(this.canon(k));
      }
    }
    const boundName = rangeCh === undefined ? this.boundName(s, env) : undefined;
    if (boundName !== undefined) this.counting.push(boundName);
    this.loopDepth++;
    const instrs: Instr[] = [];
    // Each round a range gives its variables new values: conditions on them are decided afresh.
    if (s.range) this.write([s.range.key, s.range.value].map((v) => v && this.keyOf(v, env)), instrs);
    instrs.push(...this.stmts(s.body, env));
    if (s.post) this.stmt(s.post, env, instrs);
    this.loopDepth--;
    if (boundName !== undefined) this.counting.pop();
    // A loop that only computes (no sync operation, no way out of the function) changes nothing the model sees.
    if (rangeCh === undefined && !instrs.some(hasEffect)) return;
    const bounded = instrs.some(function spawns(i: Instr): boolean {
      return i.k === 'go' || i.k === 'add' || ('then' in i && (i.then.instrs.some(spawns) || i.else.instrs.some(spawns)));
    });
    const bound = boundName !== undefined ? this.loopBound(boundName) : undefined;
    const shape = rangeCh !== undefined || s.range || bound !== undefined ? 'counted' : !s.cond ? 'forever' : 'maybe';
    out.push({
      k: 'loop', shape, ...(rangeCh !== undefined ? { rangeCh } : {}), ...(bound !== undefined ? { over: bound } : {}), body: this.block(instrs),
      ...(label ? { label } : {}), bounded, at,
    });
  }

  /** What a counted loop counts over (`range jobs`, `i < len(jobs)`, `i < n`); undefined for other loops. */
  private boundName(s: Extract<Stmt, { k: 'for' }>, env: Env): string | undefined {
    let x: Expr | undefined;
    if (s.range) x = s.range.x;
    else if (s.init && s.post && s.cond?.k === 'binary' && /^(<|<=|!=)$/.test(s.cond.op)) x = s.cond.y;
    if (!x) return undefined;
    if (x.k === 'call' && x.fn.k === 'id' && x.fn.name === 'len' && x.args[0]) x = x.args[0];
    return this.keyOf(x, env) ?? `text:${exprText(x)}`;
  }

  /** A send on a channel, noted with the counted loops around it (see sendCounts). */
  private sent(op: Extract<Instr, { k: 'send' }>): Instr {
    const counts = this.sendCounts.get(op.ch) ?? new Set<string>();
    for (const b of this.counting) counts.add(b);
    this.sendCounts.set(op.ch, counts);
    return op;
  }

  /** A counted loop's bound, numbered per model. */
  private loopBound(name: string): number {
    let id = this.bounds.get(name);
    if (id === undefined) this.bounds.set(name, (id = this.bounds.size));
    return id;
  }

  private assign(lhs: Expr[], rhs: Expr[], op: string, env: Env, out: Instr[]): void {
    this.assignValues(lhs, rhs, op, env, out);
    this.write(lhs.map((l) => this.keyOf(l, env)), out);
  }

  private assignValues(lhs: Expr[], rhs: Expr[], op: string, env: Env, out: Instr[]): void {
    if (op !== '=' && op !== ':=') {
      for (const e of rhs) this.effects(e, env, out, true);
      return;
    }
    for (let i = 0; i < lhs.length; i++) {
      const l = lhs[i]!;
      const r = rhs.length === lhs.length ? rhs[i] : rhs[0];
      if (!r) continue;
      if (rhs.length === 1 && lhs.length > 1 && r.k === 'call') {
        // `c, err := newConn()`: one call, its first result handed back (an object or a struct the model made).
        if (i === 0) this.take(l, this.callValue(r, env, out), env);
        continue;
      }
      // `v, ok := <-ch`: the receive sets ok.
      if (rhs.length === 1 && lhs.length === 2 && r.k === 'unary' && r.op === '<-') {
        if (i === 1) continue;
        const ch = this.chanOf(r.x, env, out);
        const ok = this.flagFor(lhs[1]!, env, false);
        if (ch === undefined) this.unidentified = true;
        else out.push({ k: 'recv', ch, ...(ok !== undefined ? { ok } : {}), at: this.loc(env, r.pos) });
        continue;
      }
      const key = this.keyOf(l, env);
      if (r.k === 'lit' && (r.kind === 'true' || r.kind === 'false') && key !== undefined) {
        const flag = this.flagFor(l, env, op === ':=');
        if (flag !== undefined) out.push({ k: 'set', flag, value: r.kind === 'true' });
        continue;
      }
      if (r.k === 'funclit' && l.k === 'id' && key !== undefined) {
        // `stop := func() {...}`: calls through stop are inlined; the literal's objects escape only with stop.
        this.funcVars.set(this.canon(key), { lit: r, env });
        continue;
      }
      const made = this.made(r, env, out);
      const lit = r.k === 'unary' && r.op === '&' ? r.x : r;
      if (key !== undefined && made === undefined && lit.k === 'composite' && l.k === 'id') {
        const base = this.canon(key);
        this.localStructs.add(base);
        // `&T{done: make(chan struct{}), closed: false}`: the fields are the struct's own objects and flags.
        for (const el of lit.elems) {
          const field = el.key !== undefined && /^\w+$/.test(el.key) ? `${base}.${el.key}` : undefined;
          const v = el.value;
          const made = field !== undefined ? this.made(v, env, out) : undefined;
          if (made) this.bind(field!, { ...made, name: `${exprText(l)}.${el.key}` });
          else if (field !== undefined && v.k === 'lit' && (v.kind === 'true' || v.kind === 'false')) {
            out.push({ k: 'set', flag: this.flagOfKey(field, `${exprText(l)}.${el.key}`), value: v.kind === 'true' });
          } else this.effects(v, env, out, true);
        }
        continue;
      }
      if (key === undefined) {
        // `_ = sem.Acquire(context.Background(), n)`: a wait all the same.
        if (r.k === 'call') this.noteDrain(r, env);
        // Stored where the model cannot follow (a map, a slice element, a dereference): it escapes.
        this.escapeAll(r, env, `stored by ${exprText(l)}`);
        continue;
      }
      if (made !== undefined) {
        this.bind(key, { ...made, name: exprText(l) });
        continue;
      }
      const src = this.keyOf(r, env);
      if (src !== undefined && this.objByKey.has(this.canon(src))) {
        if (l.k === 'sel') this.escapeKey(this.canon(src), `stored in ${exprText(l)}`);
        else this.alias(key, this.canon(src));
        continue;
      }
      const handed = r.k === 'call' && rhs.length === lhs.length ? this.callValue(r, env, out) : (this.effects(r, env, out, true), undefined);
      if (this.take(l, handed, env)) continue;
      const k = this.canon(key);
      if (!this.objByKey.has(k) || l.k !== 'id') continue;
      // A name that aliased an object no longer surely denotes it (`doneChan := reqDone; if keep { doneChan = nil }`):
      // the name is ambiguous, the object is not. A name bound to its own object is re-assigned: that is.
      const own = this.keyOf(l, env, true);
      if (own !== undefined && own !== k && this.aliases.has(own)) {
        this.aliases.delete(own);
        this.ambiguous.add(own);
      } else this.ambiguous.add(k);
    }
  }

  /** `l` gets what an inlined call handed back, when that is an object or a struct of the model's: l names it too. */
  private take(l: Expr, handed: string | undefined, env: Env): boolean {
    const key = this.keyOf(l, env);
    if (key === undefined || handed === undefined || !(this.objByKey.has(handed) || this.localStructs.has(handed))) return false;
    if (l.k === 'sel') this.escapeKey(handed, `stored in ${exprText(l)}`);
    else this.alias(key, handed);
    return true;
  }

  private bind(key: string, made: { kind: ObjKind; cap?: number; capText?: string; capReads?: string[]; name: string; at: Location }): void {
    const k = this.canon(key);
    if (this.objByKey.has(k)) {
      // Assigned again: a re-make. The model keeps one object per name, so it cannot judge this one.
      if (this.loopDepth === 0) this.ambiguous.add(k);
    }
    if (this.loopDepth > 0) this.madeInLoop.add(k);
    if (!this.objByKey.has(k)) {
      const cap = made.cap !== undefined ? { cap: made.cap } : made.capText !== undefined ? { capText: made.capText } : {};
      const id = this.newObj(k, { kind: made.kind, name: made.name, local: true, ...cap, at: made.at });
      if (made.capReads) this.capReads.set(id, made.capReads);
    }
  }

  private alias(key: string, target: string): void {
    const prev = this.aliases.get(key);
    if (prev !== undefined && prev !== target) this.ambiguous.add(key);
    this.aliases.set(key, target);
  }

  /** `make(chan T, n)`, `&sync.WaitGroup{}`, `new(sync.Mutex)`, `sync.WaitGroup{}`: a fresh object, or undefined. */
  private made(e: Expr, env: Env, out: Instr[]): { kind: ObjKind; cap?: number; capText?: string; capReads?: string[]; name: string; at: Location } | undefined {
    const at = this.loc(env, e.pos);
    if (e.k === 'call' && e.fn.k === 'id' && e.fn.name === 'make' && e.args[0]?.k === 'type' && e.args[0].type.k === 'chan') {
      const n = e.args[1];
      for (const a of e.args.slice(1)) this.effects(a, env, out, true);
      const cap = !n ? 0 : n.k === 'lit' && n.kind === 'int' ? (n.zero ? 0 : n.value) : undefined;
      return { kind: 'chan', ...(cap !== undefined ? { cap } : n ? { capText: exprText(n), capReads: this.reads(n, env) } : {}), name: 'chan', at };
    }
    const t = e.k === 'unary' && e.op === '&' ? e.x : e;
    if (t.k === 'composite' || (t.k === 'call' && t.fn.k === 'id' && t.fn.name === 'new')) {
      const kind = syncKind(deref(this.graph.typeOf(env.node, e)));
      if (kind) return { kind, name: kind, at };
    }
    return undefined;
  }

  /** Evaluates an expression for its sync effects: receives, calls. `value`: its result is used, so objects in it escape. */
  private effects(e: Expr, env: Env, out: Instr[], value = false): void {
    switch (e.k) {
      case 'unary':
        if (e.op === '<-') {
          const ch = this.chanOf(e.x, env, out);
          if (ch === undefined) this.unidentified = true;
          else out.push({ k: 'recv', ch, at: this.loc(env, e.pos) });
          return;
        }
        this.effects(e.x, env, out, value || e.op === '&');
        return;
      case 'call':
        this.callValue(e, env, out);
        return;
      case 'funclit':
        this.escapeAll(e, env, 'used by a function literal the model does not run');
        return;
      case 'id':
      case 'sel':
        if (value) this.escapeAll(e, env, `passed on as ${exprText(e)}`);
        if (e.k === 'sel') this.effects(e.x, env, out);
        return;
      case 'binary':
        // Comparisons (`ch != nil`) do not let an object escape.
        this.effects(e.x, env, out, value && !/^[=!<>]=?$/.test(e.op));
        this.effects(e.y, env, out, value && !/^[=!<>]=?$/.test(e.op));
        return;
      default:
        forEachSubExpr(e, (c) => this.effects(c, env, out, value));
    }
  }

  private noteDrain(e: Extract<Expr, { k: 'call' }>, env: Env): void {
    if (e.fn.k === 'sel' && e.fn.name === ACQUIRE && drains(this.graph, env.node, e)) this.drained = true;
  }

  /**
   * A call: a sync primitive, a builtin, an inlined body, or an opaque call whose arguments escape. Returns the
   * object an inlined callee hands back (`ch := newWorker()`), if one.
   */
  private callValue(e: Extract<Expr, { k: 'call' }>, env: Env, out: Instr[]): string | undefined {
    const at = this.loc(env, e.pos);
    const info = this.graph.callInfo(e);
    if (info.kind === 'builtin') {
      if (info.name === 'close' && e.args[0]) {
        const ch = this.chanOf(e.args[0], env, out);
        if (ch !== undefined) out.push({ k: 'close', ch, at });
        return;
      }
      if (info.name === 'panic') {
        for (const a of e.args) this.effects(a, env, out);
        this.ends(e, at, out);
        return;
      }
      for (const a of e.args) this.effects(a, env, out, info.name === 'append');
      return;
    }
    this.noteDrain(e, env);
    if (info.kind === 'external') {
      if (this.syncCall(info.name, e, env, out, at)) return;
      if (this.ends(e, at, out)) return;
      if (failsTest(this.graph, e)) return void out.push({ k: 'failed', call: exprText(e.fn), at });
      if (/^(context\.CancelFunc|context\.CancelCauseFunc)$/.test(info.name) || /\.(Errorf|Error|Log|Logf|Helper)$/.test(info.name)) return;
    }
    if (info.kind === 'resolved' && info.targets.length === 1) {
      const inlined = this.inline(e, info.targets[0]!.callee, env, out);
      if (inlined) {
        if (inlined.block.instrs.length) out.push({ k: 'call', body: inlined.block, name: info.targets[0]!.callee.id, at });
        return inlined.ret;
      }
    }
    if (e.fn.k === 'funclit') {
      const lit = this.literal(e.fn, env);
      if (lit) {
        const body = this.body(lit.decl, lit.env);
        if (body.instrs.length) out.push({ k: 'call', body, name: 'func literal', at });
        return;
      }
    }
    // A helper too deep to inline that never returns (it ends in `t.Fatal` on every path).
    if (info.kind === 'resolved' && this.ends(e, at, out)) return;
    // Opaque: whatever it is given may be used by code the model does not see. It writes what it is given the
    // address of, and the receiver of a method named for a store (`s.closed.Store(true)`, `n.Add(1)`): taking
    // every call as a write of its receiver (`c.log.Debug`) would reopen every choice on `c` at each log line.
    if (e.fn.k === 'sel') this.effects(e.fn.x, env, out, true);
    for (const a of e.args) this.effects(a, env, out, true);
    const stores = e.fn.k === 'sel' && STORE_RE.test(e.fn.name) ? [this.keyOf(e.fn.x, env)] : [];
    this.write([...stores, ...e.args.map((a) => (a.k === 'unary' && a.op === '&' ? this.keyOf(a.x, env) : undefined))], out);
    return undefined;
  }

  /**
   * A call that never returns ends the goroutine (`t.FailNow`: its defers run) or, as the model has it, the
   * program (`os.Exit`; a panic too, whose schedules are not followed further). False for a call that may
   * return, or that only loops forever (the model goes on past it, as for any opaque call).
   */
  private ends(e: Extract<Expr, { k: 'call' }>, at: Location, out: Instr[]): boolean {
    const ending = this.noReturn.endingOf(e);
    if (ending === undefined || ending === 'forever') return false;
    out.push({ k: ending === 'goroutine' ? 'goexit' : 'exit', at });
    return true;
  }

  /** WaitGroup, Mutex, Once and the errgroup/testing helpers that start or defer closures. */
  private syncCall(name: string, e: Extract<Expr, { k: 'call' }>, env: Env, out: Instr[], at: Location): boolean {
    const m = /^sync\.\(\*(Mutex|RWMutex|WaitGroup|Once)\)\.(\w+)$/.exec(name);
    const recv = e.fn.k === 'sel' ? e.fn.x : undefined;
    if (m && recv) {
      const kind = SYNC_KINDS[`sync.${m[1]}`]!;
      const id = this.objOf(recv, env, kind);
      if (id === undefined) {
        this.unidentified = true;
        return true;
      }
      switch (m[2]) {
        case 'Lock':
        case 'RLock':
          out.push({ k: 'lock', mu: id, read: m[2] === 'RLock', at });
          return true;
        case 'Unlock':
        case 'RUnlock':
          out.push({ k: 'unlock', mu: id, read: m[2] === 'RUnlock', at });
          return true;
        case 'Add': {
          const n = e.args[0];
          const count = n?.k === 'lit' && n.kind === 'int' ? (n.zero ? 0 : n.value) : n?.k === 'unary' && n.op === '-' && n.x.k === 'lit' ? -(n.x.value ?? 1) : undefined;
          if (count === undefined) this.unidentified = true;
          // `wg.Add(len(jobs))`: as many as the search counts, so that no Wait returns (and no Done goes below
          // zero) before the goroutines it counts have all finished.
          out.push({ k: 'add', wg: id, n: count ?? MAX_COUNT, at });
          return true;
        }
        case 'Done':
          out.push({ k: 'add', wg: id, n: -1, at });
          return true;
        case 'Wait':
          out.push({ k: 'wait', wg: id, at });
          return true;
        case 'Go': {
          const body = e.args[0] && this.valueBody(e.args[0], env, out);
          out.push({ k: 'add', wg: id, n: 1, at });
          if (body) out.push({ k: 'go', body: this.block([{ k: 'defer', body: this.block([{ k: 'add', wg: id, n: -1, at }]), at }, { k: 'call', body, name: 'wg.Go', at }]), name: 'wg.Go', at });
          return true;
        }
        case 'Do': {
          const body = e.args[0] && this.valueBody(e.args[0], env, out);
          out.push({ k: 'once', once: id, body: body ?? this.block([]), at });
          return true;
        }
        default:
          return false;
      }
    }
    if (/^golang\.org\/x\/sync\/errgroup\.\(\*Group\)\.Go$/.test(name) || /^time\.AfterFunc$/.test(name)) {
      const fnArg = name.startsWith('time') ? e.args[1] : e.args[0];
      const body = fnArg && this.valueBody(fnArg, env, out);
      if (body) out.push({ k: 'go', body, name, at });
      return true;
    }
    if (/^testing\.\(\*(T|B|F|common)\)\.Cleanup$/.test(name)) {
      const body = e.args[0] && this.valueBody(e.args[0], env, out);
      if (body) out.push({ k: 'defer', body, at });
      return true;
    }
    return false;
  }

  /** The body a function value runs (`func() {...}`, `s.stop`), inlined; undefined (and its captures escape) otherwise. */
  private valueBody(fnExpr: Expr, env: Env, out: Instr[]): Block | undefined {
    if (fnExpr.k === 'funclit') {
      const lit = this.literal(fnExpr, env);
      return lit && this.body(lit.decl, lit.env);
    }
    const call = this.graph.callOfValue(env.node, fnExpr);
    const info = call && this.graph.callInfo(call);
    if (call && info?.kind === 'resolved' && info.targets.length === 1) {
      const b = this.inline(call, info.targets[0]!.callee, env, out);
      if (b) return b.block;
    }
    this.effects(fnExpr, env, out, true);
    return undefined;
  }

  /** The block a `go` or `defer` runs, with its arguments bound; undefined when the model cannot see it. */
  private callBody(call: Expr, env: Env, out: Instr[], mode: 'go' | 'defer'): { block: Block; name: string } | undefined {
    if (call.k !== 'call') return undefined;
    if (call.fn.k === 'funclit') {
      const lit = this.literal(call.fn, env, call.args);
      if (lit) return { block: this.body(lit.decl, lit.env), name: `${env.node.id} func literal` };
    }
    const info = this.graph.callInfo(call);
    if (info.kind === 'resolved' && info.targets.length === 1) {
      const b = this.inline(call, info.targets[0]!.callee, env, out);
      if (b) return { block: b.block, name: info.targets[0]!.callee.id };
    }
    const instrs: Instr[] = [];
    this.callValue(call, env, instrs);
    if (mode === 'defer' || instrs.length) return { block: this.block(instrs), name: exprText(call.fn) };
    return undefined;
  }

  /** A function literal's declaration and its environment, its parameters bound to `args` when given. */
  private literal(e: Extract<Expr, { k: 'funclit' }>, env: Env, args: Expr[] = []): { decl: FuncDecl; env: Env } | undefined {
    const decl = env.node.file.funcs[e.fn];
    if (!decl?.body) return undefined;
    const node = this.graph.nodeOf(env.node.file, decl);
    const copies = new Map(env.copies);
    copies.set(node.id, this.copies++);
    const inner: Env = { copies, params: new Map(env.params), stack: env.stack, node };
    this.bindParams(node, decl, args, undefined, env, inner);
    return { decl, env: inner };
  }

  /** A callee's body with its receiver and parameters bound to the caller's objects; undefined if not inlined. */
  private inline(call: Extract<Expr, { k: 'call' }>, callee: FuncNode, env: Env, out: Instr[]): { block: Block; ret?: string } | undefined {
    const inner = this.calleeEnv(callee, env);
    if (!inner) return undefined;
    const recv = callee.decl.recv && call.fn.k === 'sel' ? call.fn.x : undefined;
    this.bindParams(callee, callee.decl, call.args, recv, env, inner);
    for (const a of call.args) if (!this.keyOf(a, env)) this.effects(a, env, out, true);
    return this.inlined(callee, inner);
  }

  /** A call the harness makes: the receiver is its instance, the arguments are values of the caller's own. */
  private inlineAs(callee: FuncNode, recv: string | undefined, env: Env, mustHand = false): { block: Block; ret?: string } | undefined {
    const inner = this.calleeEnv(callee, env);
    if (!inner) return undefined;
    if (mustHand) inner.mustHand = true;
    this.bindParams(callee, callee.decl, [], undefined, env, inner);
    if (recv !== undefined && callee.decl.recv) inner.params.set(`P:${callee.id}:-1`, recv);
    return this.inlined(callee, inner);
  }

  private calleeEnv(callee: FuncNode, env: Env): Env | undefined {
    if (!callee.decl.body || env.stack.length > MAX_INLINE || env.stack.includes(callee.id)) return undefined;
    // A function literal called through a variable still sees the variables of the copy it was made in.
    const copies = callee.decl.parent !== undefined ? new Map(env.copies) : new Map<string, number>();
    copies.set(callee.id, this.copies++);
    return { copies, params: new Map(), stack: [...env.stack, callee.id], node: callee, ret: new Set() };
  }

  private inlined(callee: FuncNode, inner: Env): { block: Block; ret?: string } {
    const block = this.body(callee.decl, inner);
    // Two different objects handed back: the caller cannot tell which, so both escape.
    if (inner.ret!.size > 1) for (const k of inner.ret!) this.escapeKey(k, `returned by ${callee.id}`);
    const ret = inner.ret!.size === 1 ? [...inner.ret!][0] : undefined;
    return { block, ...(ret !== undefined ? { ret } : {}) };
  }

  /**
   * Binds a callee's receiver and parameters to the caller's objects. An argument the model cannot name (a call's
   * result, `Dial().Handshake()`) is a new object each time: each inlined copy gets a name of its own.
   */
  private bindParams(node: FuncNode, decl: FuncDecl, args: Expr[], recv: Expr | undefined, outer: Env, inner: Env): void {
    const bind = (index: number, e: Expr | undefined) => {
      const k = e && this.keyOf(e, outer);
      inner.params.set(`P:${node.id}:${index}`, k !== undefined ? this.canon(k) : `U:${this.fresh++}`);
    };
    if (decl.recv) bind(-1, recv);
    decl.params.forEach((_, i) => bind(i, args[i]));
  }

  /**
   * The key of a variable a `var` statement declares without a value. Statements keep names, not identifiers,
   * so it is found among the function's locals: the one declaration of that name with a declared type.
   */
  private declaredKey(name: string, env: Env): string | undefined {
    const decls = this.graph.locals(env.node).filter((v) => v.name === name && v.def.k === 'type');
    const v = decls.length === 1 ? decls[0]! : undefined;
    const copy = env.copies.get(env.node.id);
    return v && copy !== undefined ? `L:${v.storage.fn}:${v.storage.name}#${copy}` : undefined;
  }

  /** The key naming the value of `e`: a variable, a field path from one, or a global. */
  /** `raw`: a local's own key, not what it aliases. */
  private keyOf(e: Expr, env: Env, raw = false): string | undefined {
    switch (e.k) {
      case 'id': {
        const s = this.graph.storageOf(env.node, e);
        if (!s) return undefined;
        if (s.kind === 'local') {
          const copy = env.copies.get(s.fn);
          // A variable of a function outside the model (an entry that is a function literal): shared with it.
          if (copy === undefined) return `C:${s.fn}:${s.name}`;
          const own = `L:${s.fn}:${s.name}#${copy}`;
          return raw ? own : this.canon(own);
        }
        if (s.kind === 'param') return env.params.get(`P:${s.fn}:${s.index}`) ?? `P:${s.fn}:${s.index}`;
        if (s.kind === 'global') return `G:${s.pkg}.${s.name}`;
        return undefined;
      }
      case 'sel': {
        const s = this.graph.storageOf(env.node, e);
        if (s?.kind === 'global') return `G:${s.pkg}.${s.name}`;
        const base = this.keyOf(e.x, env);
        return base === undefined ? undefined : this.canon(`${base}.${e.name}`);
      }
      case 'unary':
        return e.op === '&' || e.op === '*' ? this.keyOf(e.x, env) : undefined;
      default:
        return undefined;
    }
  }

  private canon(key: string): string {
    for (let i = 0; i < 64; i++) {
      const next = this.aliases.get(key);
      if (next === undefined) return key;
      key = next;
    }
    return key;
  }

  /** The channel `e` denotes; a call in it runs first (its instructions go to `out`), and may hand one back. */
  private chanOf(e: Expr, env: Env, out: Instr[]): number | undefined {
    if (e.k === 'call') {
      const info = this.graph.callInfo(e);
      if (info.kind === 'external' && /^(time\.(After|Tick)|\(context\.Context\)\.Done|context\.Context\.Done|time\.\(\*(Timer|Ticker)\)\.C)$/.test(info.name)) {
        return this.timer();
      }
      if (info.kind === 'external' && /\.Done$/.test(info.name)) return this.timer();
      const handed = this.callValue(e, env, out);
      return handed === undefined ? undefined : this.objOfKey(handed, 'chan', exprText(e));
    }
    const t = deref(this.graph.typeOf(env.node, e));
    if (t.k === 'named' && t.path === 'time' && (t.name === 'Time')) return this.timer();
    return this.objOf(e, env, 'chan');
  }

  /** A channel that may deliver at any time: timers, `ctx.Done()`, cases the model cannot name. */
  private timer(): number {
    const key = '#timer';
    return this.objByKey.get(key) ?? this.newObj(key, { kind: 'timer', name: 'timer', local: false });
  }

  private objOf(e: Expr, env: Env, kind: ObjKind): number | undefined {
    const key = this.keyOf(e, env);
    return key === undefined ? undefined : this.objOfKey(key, kind, exprText(e));
  }

  private objOfKey(key: string, kind: ObjKind, name: string): number | undefined {
    const k = this.canon(key);
    if (this.ambiguous.has(k)) {
      this.unidentified = true;
      return undefined;
    }
    const id = this.objByKey.get(k);
    if (id !== undefined) return this.objs[id]!.kind === kind ? id : undefined;
    // A channel variable declared and never made is nil; a mutex or WaitGroup variable of the model is its own.
    const nil = kind === 'chan' && this.nilDecls.has(k);
    const plainLocal = k.startsWith('L:') && (/#\d+$/.test(k) || this.localStructs.has(k.slice(0, k.indexOf('.', k.lastIndexOf('#')))));
    return this.newObj(k, { kind, name, local: nil || (kind !== 'chan' && plainLocal), ...(nil ? { nil: true } : {}) });
  }

  private newObj(key: string, o: Omit<Obj, 'id'>): number {
    const id = this.objs.length;
    this.objs.push({ id, ...o });
    this.objByKey.set(key, id);
    return id;
  }

  /** A bool the model can track: a local or a field path assigned only `true`/`false` in the model. */
  private flagFor(e: Expr, env: Env, declares: boolean): number | undefined {
    const key = this.keyOf(e, env);
    return key === undefined ? undefined : this.flagOfKey(this.canon(key), exprText(e), declares);
  }

  /** A local bool, or a field of a struct the model made (zero: false), starts false; others are not known. */
  private flagOfKey(k: string, name: string, declares = false): number {
    const have = this.flagByKey.get(k);
    if (have !== undefined) return have;
    const id = this.flags.length;
    const dot = k.indexOf('.', Math.max(0, k.lastIndexOf('#')));
    const local = k.startsWith('L:') && (!k.slice(2).includes('.') || (dot > 0 && this.localStructs.has(k.slice(0, dot))));
    this.flags.push({ id, name, ...(declares || local ? { initial: false } : {}) });
    this.flagByKey.set(k, id);
    return id;
  }

  private cond(e: Expr, env: Env): Cond {
    if (e.k === 'lit' && (e.kind === 'true' || e.kind === 'false')) return { k: 'const', value: e.kind === 'true' };
    const neg = e.k === 'unary' && e.op === '!';
    const x = neg ? (e as Extract<Expr, { k: 'unary' }>).x : e;
    const key = this.keyOf(x, env);
    const flag = key !== undefined ? this.flagByKey.get(this.canon(key)) : undefined;
    if (flag !== undefined) return { k: 'flag', flag, neg };
    if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
      const nilSide = e.y.k === 'lit' && e.y.kind === 'nil' ? e.x : e.x.k === 'lit' && e.x.kind === 'nil' ? e.y : undefined;
      const id = nilSide && this.objByKey.get(this.canon(this.keyOf(nilSide, env) ?? '\0'));
      if (id !== undefined && this.objs[id]!.local) return { k: 'const', value: (this.objs[id]!.nil === true) === (e.op === '==') };
    }
    const reads = this.reads(x, env);
    // An error check is no assumption either way: nothing to keep consistent.
    const free = this.errorCheck(e, env);
    const memo = free ? undefined : this.choiceOf(exprText(x), reads);
    return {
      k: 'choice', text: exprText(e), ...(free ? { free: true as const } : {}), ...(memo !== undefined ? { memo, ...(neg ? { neg: true as const } : {}) } : {}),
      ...(reads.some((r) => this.roundOwners.has(r) || withOwners(r).some((o) => this.roundVars.has(o))) || changesWhatItReads(x) ? { blind: true as const } : {}),
    };
  }

  private roundVar(k: string): void {
    this.roundVars.add(k);
    for (const o of withOwners(k)) this.roundOwners.add(o);
  }

  /**
   * A test of an error the function got (`err != nil`, `err == nil`, `errors.Is(err, io.EOF)`, and `&&`/`||`/`!`
   * of such tests): errors happen, so either way is a real run. Only a local variable or a parameter counts: an
   * error stored in a field (`c.err != nil`) is usually the object's own state, such as "closed".
   */
  private errorCheck(e: Expr, env: Env): boolean {
    const isErrVar = (x: Expr): boolean => {
      if (x.k !== 'id') return false;
      const s = this.graph.storageOf(env.node, x);
      const t = this.graph.typeOf(env.node, x);
      return (s?.kind === 'local' || s?.kind === 'param') && t.k === 'named' && t.path === '' && t.name === 'error';
    };
    return isErrorCheck(e, { isError: isErrVar, callName: (call) => libraryName(this.graph.callInfo(call)) });
  }

  private escapeAll(e: Expr, env: Env, why: string): void {
    // One expression: its names escape, and a function literal's body (or one a variable holds) is read too.
    const one = (x: Expr, litEnv: Env): void => {
      if (x.k === 'id' || x.k === 'sel') {
        const k = this.keyOf(x, litEnv);
        if (k !== undefined) this.escapeKey(this.canon(k), why);
        const fv = k !== undefined ? this.funcVars.get(this.canon(k)) : undefined;
        if (fv) {
          this.funcVars.delete(this.canon(k!));
          deep(fv.lit, fv.env);
        }
      }
      if (x.k === 'funclit') {
        const decl = litEnv.node.file.funcs[x.fn];
        if (decl?.body) {
          const inner: Env = { ...litEnv, node: this.graph.nodeOf(litEnv.node.file, decl) };
          forEachExpr(decl.body, (y) => one(y, inner));
        }
      }
    };
    const deep = (x: Expr, litEnv: Env): void => {
      one(x, litEnv);
      forEachSubExpr(x, (c) => deep(c, litEnv));
    };
    deep(e, env);
  }

  private escapeKey(key: string, why: string): void {
    if (!this.escaped.has(key)) this.escaped.set(key, why);
  }
}

/** Whether an instruction does more than steer its own loop: a sync operation, a spawn, a way out. */
function hasEffect(i: Instr): boolean {
  switch (i.k) {
    case 'break':
    case 'continue':
    case 'write':
      return false;
    case 'if':
      return i.then.instrs.some(hasEffect) || i.else.instrs.some(hasEffect);
    case 'switch':
      return i.arms.some((a) => a.instrs.some(hasEffect));
    case 'loop':
      return i.rangeCh !== undefined || i.body.instrs.some(hasEffect);
    default:
      return true;
  }
}

/**
 * A condition that changes what it tests (`n.Add(1) == 2`, `s.closed.CompareAndSwap(false, true)`): each test sees
 * the count of those before it, which the model does not keep.
 */
function changesWhatItReads(e: Expr): boolean {
  let found = false;
  const walk = (x: Expr): void => {
    if (x.k === 'call' && x.fn.k === 'sel' && STORE_RE.test(x.fn.name)) found = true;
    forEachSubExpr(x, walk);
  };
  walk(e);
  return found;
}

/** Whether two keys are one variable or one holds the other (`c` and `c.state`). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/** A key and each key it is a field of (`a.b.c`, `a.b`, `a`): the keys `overlaps` finds it under from above. */
function withOwners(k: string): string[] {
  const out = [k];
  for (let i = k.lastIndexOf('.'); i > 0; i = k.lastIndexOf('.', i - 1)) out.push(k.slice(0, i));
  return out;
}

/**
 * Removes what cannot change a verdict but costs the search steps: writes that reopen no choice (most
 * assignments), branches left with nothing in them, and calls and goroutines whose bodies only steer themselves
 * (a helper with `if x { return }` and no sync operation: every way through it ends the same).
 */
function prune(b: Block, seen: Set<Block>): void {
  if (seen.has(b)) return;
  seen.add(b);
  for (const i of b.instrs) for (const inner of blocksOf(i)) prune(inner, seen);
  b.instrs = b.instrs.filter((i) => {
    if (i.k === 'write') return i.choices.length > 0;
    if (i.k === 'if') return i.then.instrs.length > 0 || i.else.instrs.length > 0;
    if (i.k === 'switch') return i.arms.some((a) => a.instrs.length);
    if (i.k === 'call' || i.k === 'go' || i.k === 'defer') return !inert(i.body);
    return true;
  });
  // A switch's arms that do nothing lead to the same place: one of them stands for all (`case A, B, C:` of a
  // 19-case switch that only panics on its default is two ways, not nineteen).
  for (const i of b.instrs) {
    if (i.k !== 'switch') continue;
    const idle = i.arms.findIndex((a) => !a.instrs.length);
    if (idle >= 0) i.arms = i.arms.filter((a, k) => a.instrs.length || k === idle);
  }
}

/** A function body that does nothing but leave itself: no sync operation, spawn, write, flag or program end. */
function inert(b: Block): boolean {
  return b.instrs.every((i) => {
    switch (i.k) {
      case 'return':
      case 'break':
      case 'continue':
        return true;
      case 'if':
        return inert(i.then) && inert(i.else);
      case 'switch':
        return i.arms.every(inert);
      case 'loop':
        return i.rangeCh === undefined && inert(i.body);
      default:
        return false;
    }
  });
}

/**
 * A choice tested at one place outside any loop is never tested again: remembering its way would only keep apart
 * states that are otherwise the same, so it is forgotten (its memo dropped). Returns the choices still remembered.
 */
function forgetOnceTested(main: Block): Set<number> {
  const tests = new Map<number, number>();
  const uses: { i: Extract<Instr, { k: 'if' | 'switch' }> }[] = [];
  const seen = new Set<Block>();
  const walk = (b: Block, inLoop: boolean): void => {
    if (seen.has(b)) return;
    seen.add(b);
    for (const i of b.instrs) {
      const memo = i.k === 'if' && i.cond.k === 'choice' ? i.cond.memo : i.k === 'switch' ? i.memo : undefined;
      if (memo !== undefined) {
        tests.set(memo, (tests.get(memo) ?? 0) + (inLoop ? 2 : 1));
        uses.push({ i: i as Extract<Instr, { k: 'if' | 'switch' }> });
      }
      for (const inner of blocksOf(i)) walk(inner, inLoop || i.k === 'loop');
    }
  };
  walk(main, false);
  for (const { i } of uses) {
    if (i.k === 'if' && i.cond.k === 'choice' && i.cond.memo !== undefined && tests.get(i.cond.memo)! < 2) {
      const { memo: _, neg: __, ...rest } = i.cond;
      i.cond = rest;
    }
    if (i.k === 'switch' && i.memo !== undefined && tests.get(i.memo)! < 2) delete i.memo;
  }
  return new Set([...tests].filter(([, n]) => n >= 2).map(([id]) => id));
}

function blocksOf(i: Instr): Block[] {
  switch (i.k) {
    case 'select':
      return [...i.cases.map((c) => c.body), ...(i.dflt ? [i.dflt] : [])];
    case 'once':
    case 'go':
    case 'call':
    case 'loop':
    case 'defer':
      return [i.body];
    case 'if':
      return [i.then, i.else];
    case 'switch':
      return i.arms;
    default:
      return [];
  }
}

function declAt(fn: FuncNode): Location {
  return { path: fn.file.path, line: lineOf(fn.decl.span.start), col: 1 };
}

function syncKind(t: Type): ObjKind | undefined {
  return t.k === 'named' ? SYNC_KINDS[`${t.path}.${t.name}`] : undefined;
}
