/**
 * Goroutine leaks on channels: "can a goroutine block forever on a send nobody will receive?" — the
 * function made the channel, unbuffered, and can return without receiving from it.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { walkFunction } from '../../flow/walk.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, exprsOfSimple, forEachExpr, forEachSubExpr, literalsOf, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { chanMake, usesInSight, type ChannelUse } from './chanuses.js';

/**
 * A goroutine that blocks forever on a send: the function that started it made the channel, unbuffered,
 * and can return without receiving from it.
 */
export interface GoroutineLeak {
  fn: FuncNode;
  /** The channel as written where it is made (`ch`). */
  name: string;
  /** The `go` statement. */
  start: Pos;
  /** The goroutine's send that never completes; in the goroutine's function literal. */
  send: { node: FuncNode; pos: Pos };
  /**
   * A return (or the end of the body) reached without receiving; with `several`, a return from the
   * loop that receives one value per goroutine, before the last; undefined when it receives once.
   */
  exit: Pos | undefined;
  /** Started in a loop: every goroutine after the first blocks (received once, or a receive loop left early). */
  several: boolean;
  /** fn returns the channel, and this call (in another function) throws it away. */
  discard?: { node: FuncNode; pos: Pos };
  /** Calls that may not return (`s.Require().FailNow()`): every way to `exit` goes past one of them. */
  passed?: readonly CallExpr[];
}

const cache = new WeakMap<SyncFacts, GoroutineLeak[]>();

/**
 * Only channels whose every use is in sight count: made here with `make(chan T)`, never assigned again,
 * never passed on, stored or returned, received from only by the function itself, and sent on only by
 * the one goroutine it starts, outside any `select` (which could take another way out). Anything else,
 * and the partner might be somewhere we do not look.
 */
export function goroutineLeaks(facts: SyncFacts): GoroutineLeak[] {
  let out = cache.get(facts);
  if (!out) {
    out = [];
    for (const fn of facts.graph.funcs) {
      const body = fn.decl.body;
      if (!body || !allStmts(body).some((st) => st.k === 'go' && st.call.k === 'call' && st.call.fn.k === 'funclit')) continue;
      out.push(...leaksIn(fn, body, facts));
    }
    cache.set(facts, out);
  }
  return out;
}

function leaksIn(fn: FuncNode, body: Stmt[], facts: SyncFacts): GoroutineLeak[] {
  const graph = facts.graph;
  const made = graph.locals(fn).filter((v) => v.def.k === 'expr' && chanMake(v.def.e) === 'unbuffered').map((v) => v.storage.name);
  if (made.length === 0) return [];
  const literals = literalsOf(fn, graph);
  const out: GoroutineLeak[] = [];
  for (const key of made) {
    const sender = senderOf(fn, body, key, literals, facts);
    const name = key.replace(/'\d+$/, '');
    const leak = sender && leakOf(fn, body, sender, name, facts);
    if (leak) out.push(leak);
    else if (sender) out.push(...discarded(fn, sender, name, facts));
  }
  return out;
}

/** The one goroutine literal that sends on a channel, started by one `go` of the function that made it. */
interface Sender {
  uses: ChannelUse[];
  go: Extract<Stmt, { k: 'go' }>;
  lit: FuncNode;
  send: ChannelUse;
}

/**
 * The uses of the channel `key` made in fn, when they are all in sight and one goroutine literal fn
 * starts once is the only sender, outside any `select`. Uses of kind `returned` are the caller's to judge.
 */
function senderOf(fn: FuncNode, body: Stmt[], key: string, literals: Map<number, FuncNode>, facts: SyncFacts): Sender | undefined {
  const uses = usesInSight(fn, body, key, literals, facts.graph);
  if (uses.some((u) => u.use === 'other' || u.use === 'selectSend')) return undefined;
  // Received from only here; sent on only in one goroutine literal (and not by a send also written as
  // a select case: those were marked and ended the search).
  if (uses.some((u) => u.use === 'recv' && u.node !== fn)) return undefined;
  const senders = new Set(uses.filter((u) => u.use === 'send').map((u) => u.node));
  if (senders.size !== 1 || senders.has(fn)) return undefined;
  const [lit] = senders;
  // The sending literal is started by exactly one `go` of fn itself (not inside another literal).
  const starts = allStmts(body).filter(
    (st): st is Extract<Stmt, { k: 'go' }> => st.k === 'go' && st.call.k === 'call' && st.call.fn.k === 'funclit' && literals.get(st.call.fn.fn) === lit,
  );
  if (starts.length !== 1) return undefined;
  return { uses, go: starts[0]!, lit: lit!, send: uses.find((u) => u.use === 'send')! };
}

function leakOf(fn: FuncNode, body: Stmt[], sender: Sender, name: string, facts: SyncFacts): GoroutineLeak | undefined {
  const { uses } = sender;
  if (uses.some((u) => u.use === 'returned' || u.use === 'close')) return undefined;
  const goroutine = { st: sender.go, lit: sender.lit };
  const send = sender.send;
  const recvs = uses.filter((u) => u.use === 'recv');
  if (recvs.length === 0) return undefined;
  const loops = loopContext(body);
  const recvInLoop = recvs.some((u) => loops.inLoop.has(u.e));
  const base = { fn, name, start: goroutine.st.pos, send: { node: goroutine.lit, pos: send.stmt!.pos } };
  if (loops.goInLoop.has(goroutine.st)) {
    // One goroutine per iteration. Several receives in a row may count them; a `go` under a condition
    // of the loop (`if item.ID == id`) may start only one.
    if (!loops.everyIteration.has(goroutine.st)) return undefined;
    if (!recvInLoop) return recvs.length === 1 ? { ...base, exit: undefined, several: true } : undefined;
    // Receives in a loop take one from each, unless the loop returns part-way: the rest stay blocked.
    const exit = returnInReceiveLoop(body, goroutine.st, new Set(recvs.map((u) => u.e)));
    return exit === undefined ? undefined : { ...base, exit, several: true };
  }
  // A loop with a condition or a range may run no receive at all, though the author counted on it.
  if (recvs.some((u) => loops.inCountedLoop.has(u.e))) return undefined;
  const pending = pendingExit(fn, body, goroutine.st, new Set(recvs.map((u) => u.e)), facts);
  return pending === undefined ? undefined : { ...base, ...pending, several: false };
}

/** Calls that certainly run fn itself (not one of an interface's implementations). */
const PRECISE_HOWS = new Set(['static', 'method', 'promoted']);

/**
 * fn returns the channel its goroutine sends on and receives from it nowhere itself: each call that
 * throws the result away (`produce()`, `_ = produce()`, `go produce()`) leaves that goroutine blocked.
 */
function discarded(fn: FuncNode, sender: Sender, name: string, facts: SyncFacts): GoroutineLeak[] {
  const { uses } = sender;
  const returned = uses.filter((u) => u.use === 'returned');
  // A close by the goroutine itself, after its sends, blocks nothing.
  if (returned.length === 0 || uses.some((u) => u.use === 'recv' || (u.use === 'close' && u.node !== sender.lit))) return [];
  const at = new Set(returned.map((u) => (u.stmt as Extract<Stmt, { k: 'return' }>).values.indexOf(u.e)));
  if (at.size !== 1) return [];
  const index = [...at][0]!;
  const out: GoroutineLeak[] = [];
  for (const edge of facts.graph.callers(fn)) {
    if (!PRECISE_HOWS.has(edge.how)) continue;
    const thrown =
      edge.mode !== 'call' ||
      allStmts(edge.caller.decl.body ?? []).some(
        (st) =>
          (st.k === 'expr' && st.x === edge.call) ||
          (st.k === 'assign' && st.rhs.length === 1 && st.rhs[0] === edge.call && st.lhs.length > index && isBlank(st.lhs[index]!)),
      );
    if (!thrown) continue;
    const send = { node: sender.lit, pos: sender.send.stmt!.pos };
    out.push({ fn, name, start: sender.go.pos, send, exit: undefined, several: false, discard: { node: edge.caller, pos: edge.call.pos } });
  }
  return out;
}

const isBlank = (e: Expr) => e.k === 'id' && e.name === '_';

/**
 * A `return` inside a counted loop (`for range jobs`, `for i := 0; i < n; i++`) that receives from the
 * channel once per pass: the count is of the goroutines, so a return is before the last. A `for {}`
 * that returns when its own counter reaches zero, or a range over the channel, counts some other way.
 */
function returnInReceiveLoop(body: Stmt[], start: Stmt, recvs: ReadonlySet<Expr>): Pos | undefined {
  for (const loop of allStmts(body)) {
    if (loop.k !== 'for' || (loop.cond === undefined && loop.range === undefined) || (loop.range && recvs.has(loop.range.x))) continue;
    const inner = allStmts(loop.body);
    if (inner.includes(start)) continue;
    let receives = false;
    forEachExpr(loop.body, (e) => (receives ||= recvs.has(e)));
    const ret = receives ? inner.find((st) => st.k === 'return') : undefined;
    if (ret) return ret.pos;
  }
  return undefined;
}

/**
 * Where fn can return (or end) after starting the goroutine and before receiving from the channel. When
 * every such way goes past a call whose name says it may not return (and we cannot see that it does),
 * those calls come along: the leak rests on one of them returning.
 */
function pendingExit(fn: FuncNode, body: Stmt[], start: Stmt, recvs: ReadonlySet<Expr>, facts: SyncFacts): { exit: Pos; passed?: CallExpr[] } | undefined {
  const passed = new Set<CallExpr>();
  const ends = (call: Expr, strict: boolean): boolean => {
    if (call.k !== 'call') return false;
    if (facts.dispatch.noReturn(call)) return true;
    if (!facts.noReturn.assumedReturn(fn, call)) return false;
    passed.add(call);
    return strict;
  };
  const exit = exitPast(fn, body, start, recvs, (call) => ends(call, false));
  if (exit === undefined) return undefined;
  const sure = passed.size ? exitPast(fn, body, start, recvs, (call) => ends(call, true)) : exit;
  return sure !== undefined ? { exit: sure } : { exit, passed: [...passed] };
}

/** The first exit pending from `start` without a receive, paths ending at the calls `ends` says never return. */
function exitPast(fn: FuncNode, body: Stmt[], start: Stmt, recvs: ReadonlySet<Expr>, ends: (call: Expr) => boolean): Pos | undefined {
  const receives = (e: Expr | undefined): boolean => {
    if (!e) return false;
    if (e.k === 'unary' && e.op === '<-' && recvs.has(e.x)) return true;
    let found = false;
    forEachSubExpr(e, (x) => {
      found ||= receives(x);
    });
    return found;
  };
  let exit: Pos | undefined;
  const end: Stmt = { k: 'return', values: [], pos: fn.decl.span.end };
  walkFunction<boolean>([...body, end], false, { join: (a, b) => a || b, equal: (a, b) => a === b }, {
    simple(st, pending) {
      if (st === start) return true;
      const now = pending && !exprsOfSimple(st).some(receives);
      if (st.k === 'return' && now) exit ??= st.pos;
      return now;
    },
    expr: (e, pending) => pending && !receives(e),
    recv: (ch, pending) => pending && !recvs.has(ch),
    // `t.Fatal` on a timeout: the test is over, and what it leaves running with it.
    noReturn: ends,
  });
  return exit;
}

/** Which `go` statements and expressions of a body sit in loops, and which in loops that can end by their own condition. */
function loopContext(body: Stmt[]): {
  goInLoop: ReadonlySet<Stmt>;
  /** Run on every iteration of their loop, not under an `if`, `switch` or `select` of it. */
  everyIteration: ReadonlySet<Stmt>;
  inLoop: ReadonlySet<Expr>;
  inCountedLoop: ReadonlySet<Expr>;
} {
  const goInLoop = new Set<Stmt>();
  const everyIteration = new Set<Stmt>();
  const inLoop = new Set<Expr>();
  const inCountedLoop = new Set<Expr>();
  for (const loop of allStmts(body)) {
    if (loop.k !== 'for') continue;
    const counted = loop.cond !== undefined || loop.range !== undefined;
    const mark = (e: Expr) => {
      inLoop.add(e);
      if (counted) inCountedLoop.add(e);
    };
    // A range over the channel is a receive of its own loop.
    if (loop.range) mark(loop.range.x);
    forEachExpr(loop.body, mark);
    for (const st of allStmts(loop.body)) if (st.k === 'go') goInLoop.add(st);
    for (const st of unconditional(loop.body)) if (st.k === 'go') everyIteration.add(st);
  }
  return { goInLoop, everyIteration, inLoop, inCountedLoop };
}

/** The statements of a body that run whenever it does: through blocks and labels, not into branches or loops. */
function unconditional(body: Stmt[]): Stmt[] {
  return body.flatMap((st) => (st.k === 'block' ? unconditional(st.body) : st.k === 'labeled' && st.stmt ? unconditional([st.stmt]) : [st]));
}
