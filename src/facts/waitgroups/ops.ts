/**
 * WaitGroup operations: "which WaitGroup does this function Add to, mark Done or Wait on, and where?" —
 * each operation (from the table of `sync.WaitGroup` methods) and each `go` with the place the syntactic
 * walk gives it, the WaitGroup named so that a function, its closures and its callers agree on it.
 */
import { walkNested, type Place } from '../../flow/nest.js';
import type { Expr, Pos, Stmt } from '../../ir.js';
import { builtinArg } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { storageKey } from '../../resolve/bindings.js';
import { allStmts, exprsOfSimple, forEachSubExpr, libraryName, PRECISE_HOWS, type CallExpr } from '../calls.js';

export type ForStmt = Extract<Stmt, { k: 'for' }>;
type GoStmt = Extract<Stmt, { k: 'go' }>;

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
  /** An Add's delta as written. */
  delta?: Expr;
  /** Registered with `defer`: it runs at the function's exits. */
  deferred: boolean;
  pos: Pos;
}

export interface GoStart extends Place {
  stmt: GoStmt;
  /** The function the goroutine runs, when the call has exactly one target we can read. */
  callee?: FuncNode;
}

export interface BodyOps {
  ops: WgOp[];
  goes: GoStart[];
  /** Where the function receives from a channel (`<-ch`, a select's receive): a possible handshake. */
  recvs: Pos[];
  /** Whether it sends on or closes a channel: something a receiver can be ordered after. */
  signals: boolean;
}

/** The WaitGroup methods, by their standard library name: the table the walk consults at each call. */
const WG_RE = /^sync\.\(\*WaitGroup\)\.(Add|Done|Wait)$/;

/** A function's WaitGroup operations, `go` statements and channel handshakes, in source order. */
export function bodyOps(graph: CallGraph, fn: FuncNode): BodyOps {
  const out: BodyOps = { ops: [], goes: [], recvs: [], signals: false };
  walkNested(fn.decl.body ?? [], (s, place, role) => {
    if (role !== 'stmt') return;
    channelUse(s, out);
    if (s.k === 'expr' && s.x.k === 'call') op(graph, fn, s.x, place, out, false);
    else if (s.k === 'defer' && s.call.k === 'call') op(graph, fn, s.call, place, out, true);
    else if (s.k === 'go') {
      const callee = s.call.k === 'call' ? goroutineOf(graph, s.call) : undefined;
      out.goes.push({ ...place, stmt: s, ...(callee ? { callee } : {}) });
    }
  });
  return out;
}

function channelUse(s: Stmt, out: BodyOps): void {
  if (s.k === 'send' || (s.k === 'expr' && builtinArg(s.x, 'close'))) out.signals = true;
  if (s.k === 'select') {
    for (const c of s.cases) if (c.kind === 'recv') out.recvs.push(c.pos);
    if (s.cases.some((c) => c.kind === 'send')) out.signals = true;
  } else if (exprsOfSimple(s).some(receives)) out.recvs.push(s.pos);
}

function op(graph: CallGraph, fn: FuncNode, call: CallExpr, place: Place, out: BodyOps, deferred: boolean): void {
  const m = WG_RE.exec(libraryName(graph.callInfo(call)) ?? '');
  if (!m || call.fn.k !== 'sel') return;
  const key = keyOf(graph, fn, call.fn.x);
  if (key === undefined) return;
  const delta = call.args[0];
  const positive = m[1] === 'Add' && delta?.k === 'lit' && delta.kind === 'int' && !delta.zero;
  const recv = rootExpr(call.fn.x);
  out.ops.push({ ...place, method: m[1] as WgOp['method'], key, display: textOf(call.fn.x), root: rootName(call.fn.x), recv, positive, ...(delta ? { delta } : {}), deferred, pos: call.pos });
}

function goroutineOf(graph: CallGraph, call: CallExpr): FuncNode | undefined {
  const info = graph.callInfo(call);
  if (info.kind !== 'resolved' || info.targets.length !== 1) return undefined;
  const [t] = info.targets;
  return t && PRECISE_HOWS.has(t.how) && t.callee.decl.body ? t.callee : undefined;
}

/** Names declared in a loop, at any depth, its own variables included: a fresh variable on every pass. */
export function declaredIn(loop: ForStmt): Set<string> {
  return new Set([...declaredBy(loop), ...allStmts(loop.body).flatMap(declaredBy)]);
}

/**
 * A WaitGroup instance as a string that means the same in a function and in the closures that capture
 * its variables: a variable (local or parameter, with its declaring function) or a global, and the
 * field path below it. `&wg` and `wg` are one instance; `wgs[i]` is none we can name.
 */
export function keyOf(graph: CallGraph, fn: FuncNode, e: Expr): string | undefined {
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


/**
 * A callee's WaitGroup as the caller names it: a parameter (or the receiver) is the argument passed,
 * a captured variable or a global is itself; the callee's own locals are instances the caller has not.
 */
export function mapKey(graph: CallGraph, key: string, callee: FuncNode, call: CallExpr, caller: FuncNode): string | undefined {
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
export function rootExpr(e: Expr): Expr {
  return e.k === 'sel' || e.k === 'unary' || e.k === 'index' ? rootExpr(e.x) : e;
}

/** The name of that variable (`out` for `out[i]`), empty when the root is not one. */
export function rootName(e: Expr): string {
  const root = rootExpr(e);
  return root.k === 'id' ? root.name : '';
}

/** An expression as a message names it: `s.wg`, `out[i]`. */
export function textOf(e: Expr): string {
  if (e.k === 'id') return e.name;
  if (e.k === 'index') return `${textOf(e.x)}[${e.index.map((i) => (i.k === 'id' ? i.name : '…')).join(', ')}]`;
  if (e.k === 'sel') return `${textOf(e.x)}.${e.name}`;
  if (e.k === 'unary' && (e.op === '&' || e.op === '*')) return textOf(e.x);
  return 'the WaitGroup';
}
