/**
 * Goroutine leaks on channels: "can a goroutine block forever on a send nobody will receive?" — the
 * function made the channel, unbuffered, and can return without receiving from it.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { walkFunction } from '../../flow/walk.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callTaking, exprsOfSimple, forEachExpr, forEachSubExpr, literalsOf, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { perProgram } from '../perprogram.js';
import { joinAssumptions, type Assumption } from '../../findings.js';
import { nodeLocation } from '../report.js';
import { errorExitOf, failingReturns } from '../program/errorexit.js';
import { doneOf, processContext } from '../program/processctx.js';
import { isShutdownSignal } from '../program/signals.js';
import { terminalOf } from '../program/terminal.js';
import { failsTest } from '../program/testcode.js';
import { failsAsCancelled, failsBeforeCancel, sameDone } from './cancelrace.js';
import { chanMake, usesInSight, type ChannelUse } from './chanuses.js';
import { builtinArg } from '../../irutil.js';
import { serveFailsFirst, serverClosedGuard, servesHttp, shutsServerDown, stoppedByManager, stopsAtExit } from './shutdown.js';
import { timerFired } from './timerstop.js';

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
  /**
   * What the leak takes for granted where the engine cannot see (a call the channel escapes to, a branch that
   * decides the exit, a call named like FailNow that every way out goes past); empty when it saw everything.
   */
  assumed: Assumption[];
  /**
   * Set when every way out that leaves the goroutine blocked is one the process does not survive (onTheWayOut):
   * what the leak still takes for granted there (a caller in test code, a cancel handed on); empty when that is
   * decided, and the leak is none.
   */
  exitOnly?: Assumption[];
}

/**
 * Only channels whose every use is in sight count: made here with `make(chan T)`, never assigned again,
 * never passed on, stored or returned, received from only by the function itself, and sent on only by
 * the one goroutine it starts, outside any `select` (which could take another way out). Anything else,
 * and the partner might be somewhere we do not look.
 */
export const goroutineLeaks = perProgram((facts: SyncFacts): GoroutineLeak[] => {
  const out: GoroutineLeak[] = [];
  for (const fn of facts.graph.funcs) {
    const body = fn.decl.body;
    if (!body || !allStmts(body).some((st) => st.k === 'go' && st.call.k === 'call' && st.call.fn.k === 'funclit')) continue;
    // When the process ends once fn returns (`func main`, `return run()` in main, a Stop followed by
    // os.Exit), no goroutine fn leaves blocked outlives it: every way out is one the process does not survive,
    // save where test code calls fn and goes on. A thrown-away result leaks in its caller.
    const ends = terminalOf(facts).ending(fn);
    for (const leak of leaksIn(fn, body, facts)) {
      if (leak.discard !== undefined || ends === false) out.push(leak);
      else if (ends.length > 0) out.push({ ...leak, exitOnly: leak.exitOnly && leak.exitOnly.length <= ends.length ? leak.exitOnly : ends });
    }
  }
  return out;
});

function leaksIn(fn: FuncNode, body: Stmt[], facts: SyncFacts): GoroutineLeak[] {
  const graph = facts.graph;
  const chans = graph.locals(fn).filter((v) => v.def.k === 'expr' && chanMake(v.def.e) !== undefined);
  const made = chans.filter((v) => v.def.k === 'expr' && chanMake(v.def.e) === 'unbuffered').map((v) => v.storage.name);
  if (made.length === 0) return [];
  const literals = literalsOf(fn, graph);
  const uses = chans.map((v) => usesInSight(fn, body, v.storage.name, literals, graph));
  const senders = new Map(chans.map((v, i) => [v.storage.name, senderOf(fn, body, v.storage.name, uses[i]!, literals, facts)] as const));
  const out: GoroutineLeak[] = [];
  for (const key of made) {
    const sender = senders.get(key);
    const name = key.replace(/'\d+$/, '');
    const leak = sender && leakOf(fn, body, sender, name, facts, sentBefore(fn, sender, uses));
    if (leak) out.push(leak);
    else if (sender) out.push(...discarded(fn, sender, name, facts));
  }
  return out;
}

/**
 * The receives in fn of the other channels the same goroutine sends on or closes, after a send or close of which it
 * never sends on the channel: `if err != nil { errc <- err; return }; done <- v`, `if err != nil { errc <- err };
 * out <- v` for `errc`, or `if err != nil { errc <- err; return }; close(done)`. A receive from such a channel
 * means the goroutine is past that send or close, so past every send on the channel it was to make before (each
 * blocked until received), and will make no other: it takes the send as a receive would. Each such channel is sent
 * on and closed by that goroutine alone, received from by fn alone, and never out of sight, so what a receive gets
 * is its send or its close; a close it defers runs once it has made every send.
 */
function sentBefore(fn: FuncNode, sender: Sender, chans: ChannelUse[][]): Expr[] {
  const own = new Set(sender.uses.filter((u) => u.use === 'send').map((u) => u.stmt!));
  return chans.flatMap((uses) => {
    if (uses.some((u) => u.e === sender.send.e) || !signalsOnlyTo(fn, sender.lit, uses)) return [];
    const closed = new Set(uses.filter((u) => u.use === 'close').map((u) => u.e));
    const theirs = new Set<Stmt>(uses.filter((u) => u.use === 'send').map((u) => u.stmt!));
    for (const st of allStmts(sender.lit.decl.body ?? [])) {
      const arg = st.k === 'expr' ? builtinArg(st.x, 'close') : undefined;
      if (arg && closed.has(arg)) theirs.add(st);
    }
    let after = false;
    walkFunction<0 | 1>(sender.lit.decl.body ?? [], 0, { join: (a, b) => (a > b ? a : b), equal: (a, b) => a === b }, {
      simple: (st, sent) => {
        after ||= sent === 1 && own.has(st);
        return theirs.has(st) ? 1 : sent;
      },
      expr: (_e, sent) => sent,
    });
    return after ? [] : uses.filter((u) => u.use === 'recv').map((u) => u.e);
  });
}

/** Whether only the literal sends on or closes the channel (at least once), only fn receives from it, and nothing else uses it. */
function signalsOnlyTo(fn: FuncNode, lit: FuncNode, uses: ChannelUse[]): boolean {
  const partner = (u: ChannelUse) =>
    u.use === 'made' || u.use === 'arg' || u.use === 'measure' || (u.use === 'recv' && u.node === fn) || ((u.use === 'send' || u.use === 'close') && u.node === lit);
  return uses.every(partner) && uses.some((u) => u.use === 'send' || u.use === 'close');
}

/** The one goroutine literal that sends on a channel, started by one `go` of the function that made it. */
interface Sender {
  uses: ChannelUse[];
  go: Extract<Stmt, { k: 'go' }>;
  lit: FuncNode;
  send: ChannelUse;
  /** Calls outside the engine's sight that the channel is handed to: each may hold its partner. */
  escapes: Assumption[];
}

/**
 * The uses of the channel `key` made in fn, when they are all in sight and one goroutine literal fn
 * starts once is the only sender, outside any `select`. Uses of kind `returned` are the caller's to judge.
 */
function senderOf(fn: FuncNode, body: Stmt[], key: string, uses: ChannelUse[], literals: Map<number, FuncNode>, facts: SyncFacts): Sender | undefined {
  if (uses.some((u) => u.use === 'selectSend')) return undefined;
  const escapes = opaqueEscapes(uses, key.replace(/'\d+$/, ''), facts.graph);
  if (!escapes) return undefined;
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
  return { uses, go: starts[0]!, lit: lit!, send: uses.find((u) => u.use === 'send')!, escapes };
}

/**
 * The channel's uses beyond sends, receives and closes in sight, when each one hands it to a call the engine
 * cannot see (a function value nobody visibly assigns, code outside the checkout): that call may receive from
 * it, which the leak then assumes it does not. Undefined when it escapes any other way (stored, assigned,
 * compared, passed to a function in sight, which would have to be followed).
 */
function opaqueEscapes(uses: ChannelUse[], name: string, graph: CallGraph): Assumption[] | undefined {
  const out: Assumption[] = [];
  for (const u of uses) {
    if (u.use !== 'other') continue;
    const call = callTaking(u.node, u.e);
    const info = call && graph.callInfo(call);
    if (!call || (info?.kind !== 'external' && info?.kind !== 'unresolved')) return undefined;
    out.push({ kind: 'opaque-call', text: `nothing receives from ${name} through \`${exprText(call.fn)}(...)\``, location: nodeLocation(u.node, call.pos) });
  }
  return out;
}

function leakOf(fn: FuncNode, body: Stmt[], sender: Sender, name: string, facts: SyncFacts, siblings: Expr[]): GoroutineLeak | undefined {
  const { uses } = sender;
  // A close by the goroutine after its send, or by fn, frees no blocked send (fn's close makes it panic instead).
  if (uses.some((u) => u.use === 'returned' || (u.use === 'close' && u.node !== sender.lit && u.node !== fn))) return undefined;
  const goroutine = { st: sender.go, lit: sender.lit };
  const send = sender.send;
  const recvs = uses.filter((u) => u.use === 'recv');
  if (recvs.length === 0) return undefined;
  const loops = loopContext(body);
  const recvInLoop = recvs.some((u) => loops.inLoop.has(u.e));
  const base = { fn, name, start: goroutine.st.pos, send: { node: goroutine.lit, pos: send.stmt!.pos }, assumed: sender.escapes };
  const closes = uses.filter((u) => u.use === 'close' && u.node === fn).map((u) => u.e);
  if (loops.goInLoop.has(goroutine.st)) {
    // Closed by fn while some of them still send: those panic instead (send-after-close's to report).
    if (closes.length) return undefined;
    // One goroutine per iteration. Several receives in a row may count them; a `go` under a condition
    // of the loop (`if item.ID == id`) may start only one.
    if (!loops.everyIteration.has(goroutine.st)) return undefined;
    if (!recvInLoop) return recvs.length === 1 ? { ...base, exit: undefined, several: true } : undefined;
    // Receives in a loop take one from each, unless the loop returns part-way: the rest stay blocked.
    const exit = returnInReceiveLoop(body, goroutine.st, new Set(recvs.map((u) => u.e)));
    return exit === undefined ? undefined : { ...base, exit, several: true };
  }
  // A range over the channel gets past its head only with a value or once the channel is closed: either way the
  // goroutine's send (its only one, outside any loop of its own) was taken.
  const once = recvs.some((u) => loops.rangeHeads.has(u.e)) && sendsOnce(sender);
  const ranges = new Set(recvs.filter((u) => once && loops.rangeHeads.has(u.e) && !loops.inCountedLoop.has(u.e)).map((u) => u.e));
  // A loop with a condition or a range may run no receive at all, though the author counted on it.
  if (recvs.some((u) => (loops.inCountedLoop.has(u.e) || loops.rangeHeads.has(u.e)) && !ranges.has(u.e))) return undefined;
  const fired = timerFired(fn, sender.lit, send.stmt!, facts.graph);
  const taking = new Set([...recvs.map((u) => u.e), ...siblings, ...fired]);
  const q: ExitQuery = {
    fn,
    body,
    start: goroutine.st,
    recvs: taking,
    past: new Set([...ranges, ...closes]),
    written: new Set([...goroutineWrites(sender.lit, facts.graph), ...writtenOnReceipt(fn, body, taking, facts.graph)]),
    facts,
  };
  const all = pendingExit(q);
  if (all === undefined) return undefined;
  const shutdown = afterShutdown(q, sender.lit, send.stmt!) ?? afterCancel(q, sender.lit, send.stmt!);
  // A server stopped only as the process ends is a way out the process does not survive, as an assumption.
  const race = shutdown?.kind === 'process-end' ? undefined : shutdown;
  const way = onTheWayOut(q);
  const exitOnly = way.rest === undefined ? way.assumed : shutdown && !race ? [shutdown] : undefined;
  // The ways out the process survives are what the leak rests on: those it reaches only past more undecided branches
  // than the way out it does not survive (a start-up timeout's error return) carry them.
  const pending = way.rest !== undefined && way.rest.assumed.length > all.assumed.length ? way.rest : all;
  return { ...base, exit: pending.exit, several: false, assumed: [...base.assumed, ...pending.assumed, ...(race ? [race] : [])], ...(exitOnly ? { exitOnly } : {}) };
}

/**
 * What fn writes only once the send is taken: in the body of a select case that receives it (`case <-synced:
 * n++`). A branch that reads it (`if n == 2 { return nil }`) may be one the receive decides.
 */
function writtenOnReceipt(fn: FuncNode, body: Stmt[], recvs: ReadonlySet<Expr>, graph: CallGraph): Set<string> {
  const out = new Set<string>();
  const note = (e: Expr) => {
    const st = graph.storageOf(fn, e.k === 'index' ? e.x : e);
    if (st) out.add(JSON.stringify(st));
  };
  for (const sel of allStmts(body)) {
    if (sel.k !== 'select') continue;
    for (const c of sel.cases) {
      if (c.kind !== 'recv' || !recvs.has(c.ch)) continue;
      for (const st of allStmts(c.body)) {
        if (st.k === 'assign' && st.op !== ':=') st.lhs.forEach(note);
        if (st.k === 'incdec') note(st.x);
      }
    }
  }
  return out;
}

/**
 * When the goroutine serves an `http.Server` and every way out without receiving shuts one down first
 * (shutdown.ts): a goroutine reporting only failures other than `http.ErrServerClosed` needs Serve to fail just
 * before, one reporting every result (in a component a manager stops) needs the server to be stopped other than as
 * the process ends; named.
 */
function afterShutdown(q: ExitQuery, lit: FuncNode, send: Stmt): Assumption | undefined {
  const guard = serverClosedGuard(lit, send);
  if (!guard && !(servesHttp(q.facts.graph, lit) && stoppedByManager(q.facts.graph, q.fn))) return undefined;
  let met: CallExpr | undefined;
  const takes = (e: Expr): boolean => {
    if (!shutsServerDown(q.facts.graph, e)) return false;
    met ??= e;
    return true;
  };
  const rest = pendingExit({ ...q, takes });
  if (rest !== undefined || met === undefined) return undefined;
  return guard ? serveFailsFirst(lit, guard, met) : stopsAtExit(q.fn, met);
}

/**
 * When the goroutine sends only the failure of a call that fails only before waiting for a context, and every
 * way out without receiving waits for that context's Done (cancelrace.ts): the call failed just as it was done.
 */
function afterCancel(q: ExitQuery, lit: FuncNode, send: Stmt): Assumption | undefined {
  const first = failsBeforeCancel(q.facts, lit, send);
  if (!first || pendingExit({ ...q, takesRecv: (ch) => sameDone(first, ch) }) !== undefined) return undefined;
  return failsAsCancelled(lit, first);
}

/**
 * Whether every way out left pending is one the process does not survive (a goroutine left blocked there leaks
 * nothing): a return of a non-nil error when the process ends on fn's errors (errorexit.ts), or a way past the
 * receive from a context done only as the process ends (processctx.ts) or from a channel a signal asking the
 * process to end arrives on (signals.ts). What a leak there still takes for granted (none: it is no leak); else
 * `rest`, the first of the ways out not known to end the process, and what it takes.
 */
function onTheWayOut(q: ExitQuery): { rest?: { exit: Pos; assumed: Assumption[] }; assumed: Assumption[] } {
  const { fn, facts } = q;
  const errors = errorExitOf(facts).ends(fn);
  const failing = errors === false ? new Set<Expr>() : failingReturns(fn, facts);
  let erred = false;
  let contexts: Assumption[] = [];
  const takes = (e: Expr) => failing.has(e) && (erred = true);
  const takesRecv = (ch: Expr) => {
    if (isShutdownSignal(facts.graph, fn, ch)) return true;
    const ctx = doneOf(ch);
    const got = ctx && processContext(facts, fn, ctx);
    if (!got) return false;
    contexts = joinAssumptions(contexts, got);
    return true;
  };
  const rest = pendingExit({ ...q, takes, takesRecv });
  if (rest !== undefined) return { rest, assumed: [] };
  return { assumed: [...(erred && errors ? errors : []), ...contexts] };
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
    out.push({ fn, name, start: sender.go.pos, send, exit: undefined, several: false, discard: { node: edge.caller, pos: edge.call.pos }, assumed: sender.escapes });
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
 * While the goroutine's send is pending: the branch sides the path took whose condition reads state the goroutine
 * writes (as `lit+`/`lit-` keys), which the engine cannot decide; none on a path it saw whole.
 */
type Pending = false | readonly string[];

/** A goroutine started by `start` in fn's body, the receives that would take its send, and what it writes. */
interface ExitQuery {
  fn: FuncNode;
  body: Stmt[];
  start: Stmt;
  recvs: ReadonlySet<Expr>;
  /** The channel as written where getting past it means the send was taken or can no longer block: a range's head, fn's own close. */
  past: ReadonlySet<Expr>;
  written: ReadonlySet<string>;
  facts: SyncFacts;
  /** Expressions that also take the send, as a receive would (a server's shutdown, for shutdown.ts's guard). */
  takes?: (e: Expr) => boolean;
  /** Channels a receive from which also takes it (a context done only as the process ends). */
  takesRecv?: (ch: Expr) => boolean;
}

/**
 * Where fn can return (or end) after starting the goroutine and before receiving from the channel. When
 * every such way goes past a call whose name says it may not return (and we cannot see that it does),
 * those calls come along: the leak rests on one of them returning.
 */
function pendingExit(q: ExitQuery): { exit: Pos; assumed: Assumption[] } | undefined {
  const { fn, facts } = q;
  const passed = new Map<CallExpr, Assumption>();
  const ends = (call: Expr, strict: boolean): boolean => {
    if (call.k !== 'call') return false;
    if (facts.dispatch.noReturn(call)) return true;
    const why = facts.noReturn.assumedReturn(fn, call) ?? failedTest(fn, call, facts);
    if (!why) return false;
    passed.set(call, why);
    return strict;
  };
  const found = exitPast(q, (call) => ends(call, false));
  if (found === undefined) return undefined;
  const sure = passed.size ? exitPast(q, (call) => ends(call, true)) : found;
  if (sure) return sure;
  // Every way out goes on past a call whose name says it may not return, or one that fails the test: the leak
  // assumes the one returns, and that a leak in a test already failed matters. Named: each call past which alone
  // a way out is left (the timeout's `t.Errorf`, not the `t.Error` of a received error), else all of them.
  const calls = [...passed.keys()];
  const alone = calls.filter((c) => exitPast(q, (call) => ends(call, call !== c)) !== undefined);
  return { ...found, assumed: [...found.assumed, ...(alone.length ? alone : calls).map((c) => passed.get(c)!)] };
}

/** For a call that fails the running test and lets it go on (`t.Errorf` on a timeout), what a leak past it assumes. */
function failedTest(fn: FuncNode, call: CallExpr, facts: SyncFacts): Assumption | undefined {
  if (!failsTest(facts.graph, call)) return undefined;
  return { kind: 'failed-test', text: `a goroutine left blocked after \`${exprText(call.fn)}()\` has failed the test matters`, location: nodeLocation(fn, call.pos) };
}

/**
 * The first exit pending from `start` without a receive, paths ending at the calls `ends` says never return:
 * on a path decided by what the engine sees if there is one, else on one that takes a branch it cannot decide
 * (the goroutine's own writes may keep fn from it), named as an assumption.
 */
function exitPast(q: ExitQuery, ends: (call: Expr) => boolean): { exit: Pos; assumed: Assumption[] } | undefined {
  const { fn, body, start, recvs, written, facts } = q;
  const receives = (e: Expr | undefined): boolean => {
    if (!e) return false;
    if ((e.k === 'unary' && e.op === '<-' && (recvs.has(e.x) || q.takesRecv?.(e.x))) || q.past.has(e) || q.takes?.(e)) return true;
    let found = false;
    forEachSubExpr(e, (x) => {
      found ||= receives(x);
    });
    return found;
  };
  const conds: Expr[] = [];
  const literal = (cond: Expr, holds: boolean) => {
    if (!conds.includes(cond)) conds.push(cond);
    return `${conds.indexOf(cond)}${holds ? '+' : '-'}`;
  };
  let exit: { pos: Pos; via: readonly string[] } | undefined;
  // Over every exit: one taken when a branch goes one way and another when it goes the other decide nothing.
  let exits = false as Pending;
  const end: Stmt = { k: 'return', values: [], pos: fn.decl.span.end };
  walkFunction<Pending>([...body, end], false, { join: fewerAssumed, equal: (a, b) => a === b || (a !== false && b !== false && a.join() === b.join()) }, {
    simple(st, pending) {
      if (st === start) return [];
      const now = pending !== false && !exprsOfSimple(st).some(receives) ? pending : false;
      if (st.k === 'return' && now !== false) {
        exits = fewerAssumed(exits, now);
        if (!exit || (exit.via.length > 0 && now.length === 0)) exit = { pos: st.pos, via: now };
      }
      return now;
    },
    expr: (e, pending) => (pending !== false && !receives(e) ? pending : false),
    recv: (ch, pending) => (pending !== false && !recvs.has(ch) && !q.takesRecv?.(ch) ? pending : false),
    assume: (cond, holds, pending) =>
      pending === false || !readsAny(fn, cond, written, facts.graph) ? pending : [...new Set([...pending, literal(cond, holds)])].sort(),
    // `t.Fatal` on a timeout: the test is over, and what it leaves running with it.
    noReturn: ends,
  });
  if (!exit || exits === false) return undefined;
  const assumed = exits.map((key): Assumption => {
    const cond = conds[parseInt(key, 10)]!;
    const side = key.endsWith('+') ? exprText(cond) : cond.k === 'unary' && cond.op === '!' ? exprText(cond.x) : `!(${exprText(cond)})`;
    return { kind: 'undecided-branch', text: `\`${side}\` can hold before the goroutine sends`, location: nodeLocation(fn, cond.pos) };
  });
  return { exit: exit.pos, assumed };
}

/**
 * Two paths that may both still be pending: the one that takes fewer undecided branches, and none when they
 * differ only by the two sides of one branch (an `if` whose both sides leave the send pending decides nothing).
 */
function fewerAssumed(a: Pending, b: Pending): Pending {
  if (a === false) return b;
  if (b === false) return a;
  if (a.every((k) => b.includes(k))) return a;
  if (b.every((k) => a.includes(k))) return b;
  const onlyA = a.filter((k) => !b.includes(k));
  const onlyB = b.filter((k) => !a.includes(k));
  if (onlyA.length === 1 && onlyB.length === 1 && onlyA[0]!.slice(0, -1) === onlyB[0]!.slice(0, -1)) return a.filter((k) => k !== onlyA[0]);
  return a.length < b.length || (a.length === b.length && a.join() <= b.join()) ? a : b;
}

/** Mutating methods of sync/atomic values and their wrappers: `done.Store(true)`, `n.Add(1)`. */
const MUTATORS = new Set(['Store', 'Add', 'Swap', 'CompareAndSwap', 'Set', 'Inc', 'Dec']);

/** What the goroutine's literal writes: the storage of each variable or field it assigns or mutates. */
function goroutineWrites(lit: FuncNode, graph: CallGraph): ReadonlySet<string> {
  const out = new Set<string>();
  const note = (e: Expr) => {
    const target = e.k === 'index' ? e.x : e;
    const st = graph.storageOf(lit, target);
    if (st) out.add(JSON.stringify(st));
  };
  for (const st of allStmts(lit.decl.body ?? [])) {
    if (st.k === 'assign' && st.op !== ':=') st.lhs.forEach(note);
    if (st.k === 'incdec') note(st.x);
  }
  forEachExpr(lit.decl.body ?? [], (e) => {
    if (e.k === 'call' && e.fn.k === 'sel' && MUTATORS.has(e.fn.name)) note(e.fn.x);
  });
  return out;
}

/** The condition reads a variable or field in `written`. */
function readsAny(fn: FuncNode, cond: Expr, written: ReadonlySet<string>, graph: CallGraph): boolean {
  if (written.size === 0) return false;
  let found = false;
  const visit = (e: Expr) => {
    if (found) return;
    if (e.k === 'id' || e.k === 'sel') {
      const st = graph.storageOf(fn, e);
      if (st && written.has(JSON.stringify(st))) return void (found = true);
    }
    forEachSubExpr(e, visit);
  };
  visit(cond);
  return found;
}

/** Whether the goroutine sends at most once: one send, outside any loop of its own. */
function sendsOnce(sender: Sender): boolean {
  const sends = sender.uses.filter((u) => u.use === 'send' && u.node === sender.lit);
  return sends.length === 1 && !loopContext(sender.lit.decl.body ?? []).inLoop.has(sends[0]!.e);
}

/** Which `go` statements and expressions of a body sit in loops, and which in loops that can end by their own condition. */
function loopContext(body: Stmt[]): {
  goInLoop: ReadonlySet<Stmt>;
  /** Run on every iteration of their loop, not under an `if`, `switch` or `select` of it. */
  everyIteration: ReadonlySet<Stmt>;
  inLoop: ReadonlySet<Expr>;
  inCountedLoop: ReadonlySet<Expr>;
  /** What `for ... range x` ranges over. */
  rangeHeads: ReadonlySet<Expr>;
} {
  const goInLoop = new Set<Stmt>();
  const everyIteration = new Set<Stmt>();
  const inLoop = new Set<Expr>();
  const inCountedLoop = new Set<Expr>();
  const rangeHeads = new Set<Expr>();
  for (const loop of allStmts(body)) {
    if (loop.k !== 'for') continue;
    const counted = loop.cond !== undefined || loop.range !== undefined;
    const mark = (e: Expr) => {
      inLoop.add(e);
      if (counted) inCountedLoop.add(e);
    };
    // A range over the channel is a receive of its own loop.
    if (loop.range) {
      rangeHeads.add(loop.range.x);
      inLoop.add(loop.range.x);
    }
    forEachExpr(loop.body, mark);
    for (const st of allStmts(loop.body)) if (st.k === 'go') goInLoop.add(st);
    for (const st of unconditional(loop.body)) if (st.k === 'go') everyIteration.add(st);
  }
  return { goInLoop, everyIteration, inLoop, inCountedLoop, rangeHeads };
}

/** The statements of a body that run whenever it does: through blocks and labels, not into branches or loops. */
function unconditional(body: Stmt[]): Stmt[] {
  return body.flatMap((st) => (st.k === 'block' ? unconditional(st.body) : st.k === 'labeled' && st.stmt ? unconditional([st.stmt]) : [st]));
}
