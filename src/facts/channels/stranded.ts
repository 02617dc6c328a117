/**
 * Stranded sends: "can this plain send on a channel kept in a field (or a package variable) block forever because
 * the goroutine that receives from it may already have stopped?" A channel held by an object outlives any one
 * receiver loop: a `Submit` or `Unsubscribe` method sends on it, the object's run loop receives in a select whose
 * other case ends the loop (`case <-s.quit: return`). After that case fired, a send with no way out of its own
 * (not a select case, no `default`, no `<-s.quit` beside it) waits forever. The program itself says the
 * receivers stop in one of two ways:
 * - a receive of the channel is a select case beside another that ends the receiving function or leaves its
 *   loop (return, goto, a labelled break), where the stop is on the object that holds the channel (`<-p.quit`
 *   beside `<-p.work`), or the select runs once on a goroutine of the program's own (not in an accessor that
 *   any caller takes again). A stop on a `ctx` the receiver is given is the lifetime of the whole component,
 *   the sender's too, and is not taken as evidence;
 * - another send on the channel is a select case with a way out (a timer, a done channel; a `default` says
 *   only that a receiver may be busy): the program's own code does not count on a receiver being there.
 * That the send runs after the receiver stopped is the finding's assumption (it is not an error). Not judged: a
 * channel closed anywhere (a send after its close panics: send-after-close asks that); a send the receiving
 * function (or a literal in it) makes itself (its receiver is running); one that a `sync.Once` lets run once on
 * a channel with room for it (`make(chan T, 1)` and `once.Do(func() { ch <- v })`), or a one-value slot (capacity
 * 1, every send outside a loop: a task's `doneCh`, filled once per task); one in test code (a test
 * that hangs fails by its timeout); one that runs only inside the call of the function that closes the stop
 * signal as it returns (`defer close(sc.doneServing)` in the loop that sends).
 */
import { lineOf, type Expr, type Pos, type SelectCase, type Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { exprKey } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, outermost, stmtsInLoops } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import type { ChanId } from '../identity/ids.js';
import { storesOfField } from '../identity/stores.js';
import { perProgram } from '../perprogram.js';
import { isTestCode } from '../program/testcode.js';
import { typeLevel } from '../locks/types.js';

/** Why the program says the channel's receivers may be gone: where, and what. */
export interface StopWitness {
  node: FuncNode;
  pos: Pos;
  /** `stops receiving on <-s.quit`, or the way out of another send: `<-time.After(d)`. */
  text: string;
  kind: 'receiver-stops' | 'sender-way-out';
  /** The stop signal's channel, for a receiver that stops on one. */
  stop?: ChanId;
}

export interface StrandedSend {
  node: FuncNode;
  send: Stmt & { k: 'send' };
  name: string;
  witness: StopWitness;
}

interface Ops {
  plain: { node: FuncNode; send: Stmt & { k: 'send' }; looped: boolean }[];
  witnesses: StopWitness[];
  receivers: Set<FuncNode>;
  /** A receiver that stops only when the channel is closed: a range over it, a plain receive in a loop. */
  steady: boolean;
  /** The functions that close this channel as they return (`defer close(s.done)`). */
  closedAtExit: FuncNode[];
  /** Closed somewhere: a send after that panics instead (send-after-close's question). */
  closed: boolean;
}

/** A statement that ends the receiving function or leaves the loop around the select. */
function leaving(st: Stmt | undefined): boolean {
  if (st?.k === 'return') return true;
  return st?.k === 'branch' && (st.kind === 'goto' || (st.kind === 'break' && st.label !== undefined));
}

/** The variable an expression reaches its object through: `p` of `p.quit`, `c.ctx.Done()`. */
function rootOf(e: Expr): string | undefined {
  for (let x: Expr = e; ; ) {
    if (x.k === 'id') return x === e ? undefined : x.name;
    if (x.k === 'sel' || x.k === 'index') x = x.x;
    else if (x.k === 'call') x = x.fn;
    else return undefined;
  }
}

/**
 * Whether a select's case stops its receiver in a way the sender could see: it ends the receiving function
 * (or leaves its loop), and either the select runs once (the receiver moves on) or the case waits on the same
 * object as the channel (`<-p.quit` beside `<-p.work`), which a sender holding that object could watch too.
 */
function stopsOn(stop: SelectCase, ch: Expr, once: boolean): boolean {
  if (stop.kind !== 'recv' || !leaving(stop.body.at(-1))) return false;
  const root = rootOf(ch);
  return once || (root !== undefined && rootOf(stop.ch) === root);
}

/** How many synchronous callers up a function is looked for under a go statement. */
const GO_DEPTH = 3;

/**
 * Whether a function runs on a goroutine of the program's own: it, or a synchronous caller a few calls up, is
 * started with `go`. A select run once in such a function is that goroutine's last receive; one in an accessor
 * (`Receive()`, `Next(ctx)`) is taken again by whoever calls it next.
 */
function onOwnGoroutine(graph: CallGraph, fn: FuncNode, depth = 0): boolean {
  const callers = graph.callers(fn);
  if (callers.some((e) => e.mode === 'go')) return true;
  return depth < GO_DEPTH && callers.some((e) => e.mode === 'call' && e.caller !== fn && onOwnGoroutine(graph, e.caller, depth + 1));
}

const caseText = (c: SelectCase): string => (c.kind === 'recv' ? `<-${exprText(c.ch)}` : c.kind === 'send' ? `${exprText(c.ch)} <- …` : 'default');

function record(m: Map<ChanId, Ops>, id: ChanId): Ops {
  let ops = m.get(id);
  if (!ops) m.set(id, (ops = { plain: [], witnesses: [], receivers: new Set(), steady: false, closedAtExit: [], closed: false }));
  return ops;
}

/** Every function's operations on type-level channels: plain sends, and what says the receivers may stop. */
const opsByChannel = perProgram((facts: SyncFacts): ReadonlyMap<ChanId, Ops> => {
  const out = new Map<ChanId, Ops>();
  const idOf = (node: FuncNode, ch: Expr) => {
    const id = facts.ids.idOf(node, ch);
    return id !== undefined && typeLevel(id) ? id : undefined;
  };
  for (const node of facts.graph.funcs) {
    const body = node.decl.body;
    if (!body) continue;
    const caseSends = new Set<Pos>();
    const looped = stmtsInLoops(body);
    for (const st of allStmts(body)) {
      if (st.k === 'for' && st.range) {
        const id = idOf(node, st.range.x);
        if (id) {
          const ops = record(out, id);
          ops.receivers.add(node);
          ops.steady = true;
        }
      }
      if (st.k !== 'select') continue;
      for (const c of st.cases) {
        if (c.kind === 'default') continue;
        if (c.kind === 'send') caseSends.add(c.pos);
        const id = idOf(node, c.ch);
        if (!id) continue;
        const ops = record(out, id);
        const others = st.cases.filter((o) => o !== c);
        if (c.kind === 'recv') {
          ops.receivers.add(node);
          const once = !looped.has(st) && onOwnGoroutine(facts.graph, node);
          const stop = others.find((o) => stopsOn(o, c.ch, once));
          const stopId = stop?.kind === 'recv' ? idOf(node, stop.ch) : undefined;
          if (stop) ops.witnesses.push({ node, pos: c.pos, text: `stops receiving on \`${caseText(stop)}\``, kind: 'receiver-stops', ...(stopId ? { stop: stopId } : {}) });
        } else {
          // A `default` says a receiver may be busy, not gone: only a case that waits for something else says that.
          const out = others.find((o) => o.kind !== 'default');
          if (out) ops.witnesses.push({ node, pos: c.pos, text: caseText(out), kind: 'sender-way-out' });
        }
      }
    }
    for (const st of allStmts(body)) {
      if (st.k === 'defer' && st.call.k === 'call' && st.call.fn.k === 'id' && st.call.fn.name === 'close' && st.call.args.length === 1) {
        const id = idOf(node, st.call.args[0]!);
        if (id) record(out, id).closedAtExit.push(node);
      }
      if (st.k !== 'send' || caseSends.has(st.pos)) continue;
      const id = idOf(node, st.ch);
      if (id) record(out, id).plain.push({ node, send: st, looped: looped.has(st) });
    }
    const inLoops = new Set<Expr>();
    for (const st of allStmts(body)) if (st.k === 'for') forEachExpr(st.body, (e) => inLoops.add(e));
    // Select cases hold their channel, not a `<-` expression: every `<-x` here is a plain receive.
    forEachExpr(body, (e) => {
      if (e.k === 'call' && e.fn.k === 'id' && e.fn.name === 'close' && e.args.length === 1) {
        const id = idOf(node, e.args[0]!);
        if (id) record(out, id).closed = true;
      }
      if (e.k !== 'unary' || e.op !== '<-') return;
      const id = idOf(node, e.x);
      if (!id) return;
      const ops = record(out, id);
      ops.receivers.add(node);
      ops.steady ||= inLoops.has(e);
    });
  }
  return out;
});

/** The capacity every store of a field gives its channel, when each is `make(chan T, n)` with one constant n. */
function capacityOf(graph: CallGraph, id: ChanId): number | undefined {
  if (!id.startsWith('field:')) return undefined;
  let cap: number | undefined;
  for (const s of storesOfField(graph, id)) {
    const v = s.value;
    if (v?.k !== 'call' || v.fn.k !== 'id' || v.fn.name !== 'make') return undefined;
    const n = v.args[1];
    const size = n === undefined ? 0 : n.k === 'lit' && n.kind === 'int' ? n.value : undefined;
    if (size === undefined || (cap !== undefined && cap !== size)) return undefined;
    cap = size;
  }
  return cap;
}

/** How far up the callers of a send the search for another way in goes before it assumes there is one. */
const MAX_CALLERS = 64;

/**
 * Whether every way to `fn` runs inside a call of `owner`, on its goroutine: no chain of synchronous callers
 * reaches `fn` from a function nothing calls, or from a goroutine, without passing through `owner`.
 */
function onlyInside(graph: CallGraph, fn: FuncNode, owner: FuncNode): boolean {
  const seen = new Set<FuncNode>([fn]);
  const todo = [fn];
  while (todo.length) {
    const f = todo.pop()!;
    if (f === owner) continue;
    const callers = graph.callers(f);
    if (!callers.length) return false;
    for (const e of callers) {
      if (e.mode !== 'call') return false;
      if (seen.has(e.caller)) continue;
      if (seen.size >= MAX_CALLERS) return false;
      seen.add(e.caller);
      todo.push(e.caller);
    }
  }
  return true;
}

/** Whether a function literal is the function a `sync.Once`'s `Do` runs. */
function runByOnce(graph: CallGraph, lit: FuncNode): boolean {
  const parent = lit.decl.parent === undefined ? undefined : lit.file.funcs[lit.decl.parent];
  if (!parent?.body) return false;
  let found = false;
  forEachExpr(parent.body, (e) => {
    found ||=
      e.k === 'call' &&
      e.args[0]?.k === 'funclit' &&
      e.args[0].fn === lit.decl.id &&
      libraryName(graph.callInfo(e)) === 'sync.(*Once).Do';
  });
  return found;
}

export const strandedSends = perProgram((facts: SyncFacts): StrandedSend[] => {
  const out: StrandedSend[] = [];
  const all = opsByChannel(facts);
  for (const [id, ops] of all) {
    if (!ops.plain.length || ops.closed) continue;
    // A receiver that stops on a signal is no evidence beside one that receives until the channel closes; what a
    // test does with the channel (a timeout while it waits) says nothing of the program's receivers.
    const own = ops.witnesses.filter((w) => !isTestCode(w.node));
    const witness = own.find((w) => w.kind === 'sender-way-out') ?? (ops.steady ? undefined : own[0]);
    if (!witness) continue;
    const cap = capacityOf(facts.graph, id);
    // A one-value slot (`doneCh: make(chan error, 1)` in each task), filled by sends outside loops: a result
    // handed over once per object, which never waits for its reader.
    if (cap === 1 && ops.plain.every((p) => !p.looped)) continue;
    for (const { node, send } of ops.plain) {
      // A test driving an object hangs when the send does, and its timeout says so; the receiver's own sends see it running.
      // (A literal of the receiving function counts as it: `defer func() { sem <- token }()` gives a token back.)
      if (ops.receivers.has(node) || ops.receivers.has(outermost(facts.graph, node)) || isTestCode(node)) continue;
      // At most one send, the once's, on a channel with room for it.
      if (cap !== undefined && cap >= 1 && runByOnce(facts.graph, node)) continue;
      // The stop fires as a function returns that every way to this send runs inside: the send comes first.
      const closers = witness.stop ? (all.get(witness.stop)?.closedAtExit ?? []) : [];
      if (closers.some((owner) => onlyInside(facts.graph, node, owner))) continue;
      out.push({ node, send, name: exprKey(send.ch) ?? exprText(send.ch), witness });
    }
  }
  return out;
});

/** `s.quit` at line 12 (of other.go): where a witness is, for a message. */
export function witnessLine(w: StopWitness, from: FuncNode): string {
  return `line ${lineOf(w.pos)}${w.node.file === from.file ? '' : ` of ${w.node.file.path}`}`;
}
