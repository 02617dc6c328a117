/**
 * Channel partners: "can anything ever match this channel operation?" — a local channel nothing in
 * the program receives from (or sends on).
 */
import type { Pos, Stmt } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, literalsOf, stmtsInLoops } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { perProgram } from '../perprogram.js';
import { deadStretches, isDead } from '../conditions/unreached.js';
import { chanMake, usesInSight, type ChannelUse } from './chanuses.js';

/** A channel operation that nothing in the program can ever match. */
export interface Unpartnered {
  /** The function that made the channel. */
  fn: FuncNode;
  /** The channel as written where it is made. */
  name: string;
  made: Pos;
  /**
   * `send`: nothing receives from the unbuffered channel; `recv`: nothing sends on it or closes it;
   * `early`: a send on this goroutine before the only receivers are started.
   */
  kind: 'send' | 'recv' | 'early';
  /** The operation that blocks forever. */
  op: { node: FuncNode; pos: Pos };
  /** For `early`: the `go` statement that would have received. */
  receiver?: Pos;
}

/**
 * Local channels made with `make` whose every use is in sight (the function and its literals, nothing
 * passed on, stored, returned or compared) and whose operations cannot meet: sends with no receive,
 * receives with no send or close, or a send before the goroutines that receive exist.
 */
export const unpartnered = perProgram((facts: SyncFacts): Unpartnered[] => {
  const out: Unpartnered[] = [];
  const { graph } = facts;
  for (const fn of graph.funcs) {
    const body = fn.decl.body;
    if (!body) continue;
    const made = graph.locals(fn).flatMap(({ storage, def }) => {
      if (def.k !== 'expr') return [];
      const how = chanMake(def.e);
      return how ? [{ key: storage.name, how, pos: def.e.pos }] : [];
    });
    if (made.length === 0) continue;
    const literals = literalsOf(fn, graph);
    // A channel made, or waited on, after `t.SkipNow()` or another call that never returns: that code never runs.
    const dead = deadStretches(body, fn.decl.span.end, (call) => facts.dispatch.noReturn(call));
    for (const { key, how, pos } of made) {
      if (isDead(dead, pos)) continue;
      const uses = usesInSight(fn, body, key, literals, graph);
      if (uses.some((u) => u.use === 'other' || u.use === 'returned')) continue;
      if (parked(fn, body, uses, pos)) continue;
      const found = judge(fn, body, uses, how === 'unbuffered', literals);
      if (found && !isDead(dead, found.op.pos)) out.push({ fn, name: key.replace(/'\d+$/, ''), made: pos, ...found });
    }
  }
  return out;
});

/**
 * `c := make(chan struct{}); <-c`: a channel made for nothing but one receive in the function itself, with no
 * `go` statement between the make and the receive (no goroutine it could have been meant for), is written to
 * block forever on purpose: a tool waiting for a debugger or a signal handler's exit, a server parked until
 * killed. A receive whose channel was made before a `go` statement (`ready := make(...); go work(); <-ready`)
 * waited for that goroutine, which was never given it: that one is reported.
 */
function parked(fn: FuncNode, body: Stmt[], uses: ChannelUse[], made: Pos): boolean {
  const ops = uses.filter((u) => u.use !== 'made');
  const recv = ops[0];
  if (!recv || ops.length !== 1 || recv.use !== 'recv' || recv.selectCase || recv.node !== fn) return false;
  const at = recv.stmt?.pos ?? recv.e.pos;
  return !allStmts(body).some((s) => s.k === 'go' && s.pos > made && s.pos < at);
}

function judge(
  fn: FuncNode,
  body: Stmt[],
  uses: ChannelUse[],
  unbuffered: boolean,
  literals: Map<number, FuncNode>,
): Pick<Unpartnered, 'kind' | 'op' | 'receiver'> | undefined {
  const of = (use: ChannelUse['use']) => uses.filter((u) => u.use === use);
  const cases = new Set(of('selectSend').map((u) => u.e));
  const sends = of('send');
  const recvs = of('recv');
  // A select's send case is also a send statement; only one outside a select always waits.
  const plainSend = sends.find((u) => !cases.has(u.e));
  // A buffered channel's sends block only past its capacity, which we do not count. A close written
  // with the send (`close(ch); ch <- v`) makes it a panic, which is send-after-close's to report.
  const closes = of('close');
  if (unbuffered && recvs.length === 0 && plainSend?.stmt && !closes.some((c) => c.node === plainSend.node)) {
    return { kind: 'send', op: { node: plainSend.node, pos: plainSend.stmt.pos } };
  }
  const plainRecv = recvs.find((u) => !u.selectCase);
  // `forever := make(chan bool); <-forever` at the end of main blocks the program on purpose.
  const isMain = fn.decl.name === 'main' && fn.decl.recv === undefined && fn.pkg.name === 'main';
  if (plainRecv && sends.length === 0 && cases.size === 0 && closes.length === 0 && !isMain) {
    return { kind: 'recv', op: { node: plainRecv.node, pos: plainRecv.stmt?.pos ?? plainRecv.e.pos } };
  }
  if (!unbuffered) return undefined;
  return early(fn, body, sends, recvs, cases, literals);
}

/**
 * `ch <- v; go func() { <-ch }()`: the send, on fn's own goroutine and outside any loop, comes before
 * every `go` that starts a receiver, and nothing else receives. It waits for a receiver that is never
 * started.
 */
function early(
  fn: FuncNode,
  body: Stmt[],
  sends: ChannelUse[],
  recvs: ChannelUse[],
  cases: ReadonlySet<unknown>,
  literals: Map<number, FuncNode>,
): Pick<Unpartnered, 'kind' | 'op' | 'receiver'> | undefined {
  if (recvs.length === 0 || recvs.some((u) => u.node === fn)) return undefined;
  const looped = stmtsInLoops(body);
  const send = sends.find((u) => u.node === fn && u.stmt && !looped.has(u.stmt) && !cases.has(u.e));
  if (!send) return undefined;
  const starts = new Map<FuncNode, Pos>();
  for (const st of allStmts(body)) {
    if (st.k !== 'go' || st.call.k !== 'call' || st.call.fn.k !== 'funclit') continue;
    const lit = literals.get(st.call.fn.fn);
    if (lit && !starts.has(lit)) starts.set(lit, st.pos);
  }
  const receivers = new Set(recvs.map((u) => u.node));
  const at = [...receivers].map((n) => starts.get(n));
  if (at.some((p) => p === undefined || p < send.stmt!.pos)) return undefined;
  return { kind: 'early', op: { node: fn, pos: send.stmt!.pos }, receiver: Math.min(...(at as Pos[])) };
}
