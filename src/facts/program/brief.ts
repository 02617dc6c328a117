/**
 * Brief calls: "does this call of the program's do some work and return, rather than keep the process going?" —
 * asked of the calls on the way out of a process (terminal.ts): a CLI that flushes its telemetry or checks the
 * server's version after its command failed, then exits. A brief function has no loop, no select, no channel
 * operation and starts no goroutine; its calls are brief in turn (a few levels down), or the standard library's
 * and loggers' calls that return at once, or library calls not named like ones that wait (`Serve`, `Wait`, `Run`).
 * That such a call returns soon is not proven (a library call may still block): a finding that rests on it names
 * it, as the `process-end` assumption.
 */
import type { Assumption } from '../../findings.js';
import { exprText } from '../../irtext.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, type CallExpr } from '../calls.js';
import { nodeLocation } from '../report.js';

/** How many calls down a brief function's callees are followed. */
const MAX_DEPTH = 3;

/** Library calls named like ones that wait for something (a server, a process, a group, the clock). */
const WAITS_RE = /^(Serve|ServeTLS|ListenAndServe|ListenAndServeTLS|Accept|Wait|Run|Start|Sleep|Lock|RLock|Do)(Context)?$/;

export class Brief {
  /** Settled answers: true at any depth, false only when found with the whole depth to spend. */
  private readonly known = new Map<FuncNode, boolean>();
  /** Under way: a call back into one (recursion) may go round, and is not brief. */
  private readonly busy = new Set<FuncNode>();

  constructor(
    private readonly graph: CallGraph,
    /** Calls that return at once whatever they are (a log line, a standard formatting call). */
    private readonly quick: (c: CallExpr) => boolean,
  ) {}

  /** Whether the program call `c` is brief: it resolves to the program's functions, each brief. */
  call(c: CallExpr, depth = 0): boolean {
    const info = this.graph.callInfo(c);
    return info.kind === 'resolved' && info.targets.length > 0 && info.targets.every((t) => this.fn(t.callee, depth));
  }

  /** What a finding resting on `c` being brief takes for granted, made in `node`. */
  assumption(node: FuncNode, c: CallExpr): Assumption {
    return { kind: 'process-end', text: `\`${exprText(c.fn)}()\` returns soon, and the process ends after`, location: nodeLocation(node, c.pos) };
  }

  private fn(fn: FuncNode, depth: number): boolean {
    const got = this.known.get(fn);
    if (got !== undefined) return got;
    if (depth > MAX_DEPTH || this.busy.has(fn)) return false;
    const body = fn.decl.body;
    if (!body) return false;
    this.busy.add(fn);
    let out = !allStmts(body).some((st) => st.k === 'for' || st.k === 'select' || st.k === 'send' || st.k === 'go' || (st.k === 'branch' && st.kind === 'goto'));
    if (out) {
      forEachExpr(body, (e) => {
        if (!out) return;
        if (e.k === 'unary' && e.op === '<-') out = false;
        else if (e.k === 'call') out = this.callee(e, depth);
      });
    }
    this.busy.delete(fn);
    if (out || depth === 0) this.known.set(fn, out);
    return out;
  }

  /** Whether a call inside a brief function leaves it brief. */
  private callee(c: CallExpr, depth: number): boolean {
    if (this.quick(c)) return true;
    const info = this.graph.callInfo(c);
    if (info.kind === 'builtin' || info.kind === 'conversion') return true;
    if (info.kind === 'resolved') return this.call(c, depth + 1);
    const name = c.fn.k === 'sel' || c.fn.k === 'id' ? c.fn.name : undefined;
    return info.kind === 'external' && name !== undefined && !WAITS_RE.test(name);
  }
}
