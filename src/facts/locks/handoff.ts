/**
 * Locks handed off through a channel: "does the lock a function leaves held on a path that sends on a channel
 * travel with the message to the goroutine that receives it?" — `mu.RLock(); work <- job; return`, where the
 * worker that receives `job` runs a function that releases `mu` without acquiring it (`defer mu.RUnlock()`).
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, literalsOf } from '../calls.js';
import { childBlocks } from '../../flow/nest.js';
import type { SyncFacts } from '../engine.js';
import type { ChanId } from '../identity/ids.js';
import { exprText } from '../../irtext.js';

/** A send on the path to a return, and the channel it sends on, as written there. */
interface PathSend {
  pos: Pos;
  ch: ChanId;
  display: string;
}

export interface ChannelHandOff {
  /** The channel the lock leaves on, as written at the send. */
  ch: string;
  send: Pos;
  /** A function that releases the lock without acquiring it. */
  releaser: FuncNode;
  /** A function receiving from the channel that runs the releaser (itself, a literal in it, or a callee); absent when none is in sight. */
  receiver?: FuncNode;
}

/** How many calls deep from a receiving function the releaser is looked for (worker → literal → executeChain). */
const REACH_DEPTH = 4;

/** Whether the statement is, or holds at any depth, the exit at `exit`. */
function holds(st: Stmt, exit: Pos): boolean {
  return st.pos === exit || allStmts([st]).some((s) => s.pos === exit);
}

export class ChannelHandOffs {
  private receivers: Map<ChanId, FuncNode[]> | undefined;

  constructor(private readonly facts: SyncFacts) {}

  /**
   * Where the lock `lockId` that `fn` takes at `lockAt` and still holds at `exit` is handed off through a channel:
   * a send after the lock on the exit's path, and a function `releasers` names that runs in a goroutine
   * receiving from that channel (or, when no such receiver is in sight, any of them).
   */
  of(fn: FuncNode, lockAt: Pos, exit: Pos | undefined, releasers: readonly FuncNode[]): ChannelHandOff | undefined {
    const others = releasers.filter((r) => r !== fn);
    if (others.length === 0 || !fn.decl.body) return undefined;
    const sends = this.sendsOnPath(fn, fn.decl.body, exit).filter((s) => s.pos > lockAt);
    if (sends.length === 0) return undefined;
    for (const s of sends) {
      for (const receiver of this.receiversOf(s.ch)) {
        const releaser = this.runs(receiver, others);
        if (releaser) return { ch: s.display, send: s.pos, releaser, receiver };
      }
    }
    return { ch: sends[0]!.display, send: sends[0]!.pos, releaser: others[0]! };
  }

  /**
   * The sends that certainly run before the exit at `exit` (undefined: the end of the body) on its path: send
   * statements earlier in each statement list that encloses it, and the send case of a `select` whose body holds it.
   */
  private sendsOnPath(fn: FuncNode, stmts: readonly Stmt[], exit: Pos | undefined): PathSend[] {
    const out: PathSend[] = [];
    const note = (ch: Expr, pos: Pos) => {
      const id = this.facts.ids.idOf(fn, ch);
      if (id !== undefined) out.push({ pos, ch: id, display: exprText(ch) });
    };
    const walk = (list: readonly Stmt[]): boolean => {
      for (const st of list) {
        if (exit !== undefined && holds(st, exit)) {
          if (st.pos !== exit) inside(st);
          return true;
        }
        if (st.k === 'send') note(st.ch, st.pos);
      }
      return exit === undefined;
    };
    // Only the list that holds the exit: a send in an if's other branch or another case is not on its path.
    const inside = (st: Stmt): void => {
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'send' && c.body.some((s) => holds(s, exit!))) note(c.ch, c.pos);
      for (const list of childBlocks(st)) if (list.some((s) => holds(s, exit!))) walk(list);
    };
    walk(stmts);
    return out;
  }

  /** The functions that receive from a channel field or global: `<-ch`, `range ch`, a select's receive case. */
  private receiversOf(ch: ChanId): readonly FuncNode[] {
    if (!/^(field|global):/.test(ch)) return [];
    if (!this.receivers) {
      this.receivers = new Map();
      const { graph, ids } = this.facts;
      for (const node of graph.funcs) {
        const body = node.decl.body;
        if (!body) continue;
        const add = (e: Expr) => {
          const id = ids.idOf(node, e);
          if (id === undefined || !/^(field|global):/.test(id)) return;
          const list = this.receivers!.get(id);
          if (!list) this.receivers!.set(id, [node]);
          else if (!list.includes(node)) list.push(node);
        };
        for (const st of allStmts(body)) {
          if (st.k === 'for' && st.range) add(st.range.x);
          if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') add(c.ch);
        }
        forEachExpr(body, (e) => {
          if (e.k === 'unary' && e.op === '<-') add(e.x);
        });
      }
    }
    return this.receivers.get(ch) ?? [];
  }

  /** One of `releasers` that `from` runs: itself, or reached through its function literals and calls. */
  private runs(from: FuncNode, releasers: readonly FuncNode[]): FuncNode | undefined {
    const { graph, dispatch } = this.facts;
    const want = new Set(releasers);
    let frontier = [from];
    const seen = new Set(frontier);
    for (let depth = 0; depth <= REACH_DEPTH && frontier.length > 0; depth++) {
      const next: FuncNode[] = [];
      for (const node of frontier) {
        if (want.has(node)) return node;
        const more = [...literalsOf(node, graph).values()];
        for (const s of dispatch.activeSites(node)) for (const t of dispatch.targetsOf(node, s.call)) more.push(t.callee);
        for (const m of more) {
          if (seen.has(m)) continue;
          seen.add(m);
          next.push(m);
        }
      }
      frontier = next;
    }
    return undefined;
  }
}
