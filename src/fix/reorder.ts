import type { Expr, Pos, Stmt } from '../ir.js';
import { lineOf } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { allStmts, callsInStmt, type CallExpr } from '../facts/calls.js';
import { childBlocks } from '../flow/nest.js';
import { accessOf, declaredBy, definiteWrites, type Access } from './access.js';
import { fieldEffects, overlaps, REACH_LIMIT } from './fields.js';

/**
 * A proposed reorder, as plain data from the IR: the statements to move and where. The text edit is made
 * from it later (src/fix/edit.ts), by the report phase, which may read files; a rule may not.
 */
export interface ReorderPlan {
  path: string;
  /** Size of the file the positions are in: a file of another size changed after it was parsed. */
  bytes: number;
  /** Start of each statement that moves (the call reaching the send and its error checks), in order. */
  moved: Pos[];
  /** Start of the statement after them in the block; absent when they end the function body. */
  next?: Pos;
  /** The function's closing brace, when `next` is absent. */
  bodyEnd: Pos;
  /** Start of the statement the moved ones go before. */
  before: Pos;
  /** Where a moved `=` must become `:=` (it now comes before the declaration): just after its last target. */
  declareAfter?: Pos;
  /** Where a `:=` moved over must become `=` (the moved statement now declares all it declared): after its last target. */
  undeclareAfter?: Pos[];
  /** The moved call, as written in the hint: `ei.closeWriters()`. */
  movedCall: string;
  /** The close it moves before: `indexEngine.Close(...)`. */
  beforeCall: string;
}

type Block = readonly Stmt[];

/** Why no reorder is offered: said by `gohazard fix --dry-run`. */
export interface Refusal {
  refused: string;
}

function refuse(refused: string): Refusal {
  return { refused };
}

/**
 * The fix for "fn closes at `closeAt` then sends at `sendAt`" (call sites in fn's body): move the statement
 * that reaches the send before the one that closes, when they are siblings in one block and nothing between
 * them produces what the moved statement reads (or reads what it writes), no return, jump or label lies
 * between (except an error exit of a statement moved over), and no defer is involved.
 */
export function planReorder(
  fn: FuncNode,
  graph: CallGraph,
  closeAt: Pos,
  sendAt: Pos,
  /** Whether a call may close the channel too: moving such a call first only moves the close. */
  closes: (call: CallExpr) => boolean,
  /** Why moving the first statements before the second would leave a blocking operation without its partner, if it would. */
  crosses: (moved: readonly Stmt[], between: readonly Stmt[]) => string | undefined,
): ReorderPlan | Refusal {
  const body = fn.decl.body;
  if (!body) return refuse('the function has no body');
  const sibling = siblings(body, closeAt, sendAt);
  if (!sibling) return refuse('the close and the send are not two statements of one block');
  const { block, i, j } = sibling;
  const first = block[j]!;
  if (first.k === 'defer' || first.k === 'go' || block[i]!.k === 'defer') return refuse('a defer or go statement would move');
  const file = fn.file;

  // The moved unit: the call and the error checks right after it (`if err != nil { log }`).
  let end = j + 1;
  const assigned = new Set(definiteWrites(first));
  while (end < block.length && isCheckOf(block[end]!, assigned)) end++;
  const moved = block.slice(j, end);
  const m = accessOf(moved, file, false);
  if (m.leaves || m.defers) return refuse('the statements to move return, jump or defer');
  if (m.calls.some(closes)) return refuse('the statement to move closes the channel too: moving it would only move the close');

  // Statements that only prepare the close (`en := ei.engine`) stay with it: the move goes before them too.
  let k = i;
  while (k > 0) {
    const prev = block[k - 1]!;
    const names = declaredBy(prev);
    if (prev.k !== 'assign' || names.length === 0) break;
    const later = accessOf(block.slice(k, i + 1), file, false);
    if (!names.every((n) => later.exposed.has(n)) || names.some((n) => m.exposed.has(n))) break;
    k--;
  }
  const between = block.slice(k, j);
  const s = accessOf(between, file, true);
  if (s.leaves || s.defers) return refuse('a return, jump or defer lies between the close and the send');
  const crossed = crosses(moved, between);
  if (crossed !== undefined) return refuse(crossed);
  if (intersects(m.exposed, s.writes) || intersects(s.exposed, m.writes)) return refuse('the send needs a variable the close sequence sets (or sets one it reads)');
  // Fields, through every call on both sides: the channel operations differ, the data must not flow between them.
  const mf = fieldEffects(graph, fn, moved);
  const sf = fieldEffects(graph, fn, between);
  if (!mf.complete || !sf.complete) return refuse(`the calls reach more than ${REACH_LIMIT} functions: their fields were not all checked`);
  const written = overlaps(sf.writes, mf.reads);
  if (written !== undefined) return refuse(`the code to move reads ${fieldText(written)}, which the code it would move before writes`);
  const read = overlaps(mf.writes, sf.reads);
  if (read !== undefined) return refuse(`the code to move writes ${fieldText(read)}, which the code it would move before reads`);
  // Both assign v: afterwards v holds what the statements moved over left in it, so nothing may read it next.
  for (const v of m.writes) if (s.writes.has(v) && liveAfter(v, block, end, block === body, fn)) return refuse(`both sides assign ${v}, which is read afterwards`);

  // Declarations: a variable the moved code assigns but the statements moved over declare.
  // Names already declared in this block where the moved code lands: a `:=` of them only assigns.
  const outer = new Set(block.slice(0, k).flatMap(declaredBy));
  if (block === body) for (const p of [...fn.decl.params, ...fn.decl.results, ...(fn.decl.recv ? [fn.decl.recv] : [])]) if (p.name) outer.add(p.name);
  const declareAfter = redeclare(first, s, outer, m);
  if (declareAfter === null) return refuse('no declaration of the moved variables would be correct after the move');
  const undeclareAfter: Pos[] = [];
  if (declareAfter !== undefined) {
    const known = new Set([...outer, ...definiteWrites(first)]);
    for (const st of between) {
      const names = declaredBy(st);
      if (st.k === 'var' && names.some((n) => known.has(n))) return refuse('a var declaration moved over would redeclare a name');
      if (st.k === 'assign' && names.length > 0 && names.every((n) => known.has(n))) undeclareAfter.push(afterTargets(st.lhs));
      names.forEach((n) => known.add(n));
    }
  }
  const next = block[end];
  // The end of a nested block is not in the IR: only the function body's closing brace is.
  if (!next && block !== body) return refuse('the send ends a nested block');
  return {
    path: file.path,
    bytes: file.bytes,
    moved: moved.map((x) => x.pos),
    ...(next ? { next: next.pos } : {}),
    bodyEnd: fn.decl.span.end,
    before: block[k]!.pos,
    ...(declareAfter !== undefined ? { declareAfter } : {}),
    ...(undeclareAfter.length ? { undeclareAfter } : {}),
    movedCall: callText(first, sendAt),
    beforeCall: callText(block[i]!, closeAt),
  };
}

/**
 * The moved code's first statement is `v = f()` with v declared by a statement it moves over: it must
 * become `v := f()`. Undefined when nothing changes; null when no correct declaration exists (a name
 * declared further out would be shadowed, or the assignment is nested).
 */
function redeclare(first: Stmt, s: Access, outer: Set<string>, m: Access): Pos | undefined | null {
  const needs = [...m.writes].filter((v) => s.declared.has(v) && !outer.has(v));
  if (needs.length === 0) return undefined;
  if (first.k !== 'assign' || first.op !== '=') return null;
  const names = definiteWrites(first);
  if (names.length !== first.lhs.filter((e) => !(e.k === 'id' && e.name === '_')).length) return null;
  if (!needs.every((v) => names.includes(v))) return null;
  if (names.some((n) => !s.declared.has(n) && !outer.has(n))) return null;
  return afterTargets(first.lhs);
}

/** `T.f`, or for a field of a type not known, `a field f` (which matches any type's). */
function fieldText(key: string): string {
  return key.startsWith('?.') ? `a field ${key.slice(2)} (of a type not known)` : key;
}

function afterTargets(lhs: Expr[]): Pos {
  const last = lhs[lhs.length - 1]!;
  return last.pos + (last.k === 'id' ? last.name.length : 0);
}

/** `if err != nil { ... }` right after the statement that assigned err. */
function isCheckOf(s: Stmt, assigned: Set<string>): boolean {
  return s.k === 'if' && !s.init && s.cond.k === 'binary' && s.cond.x.k === 'id' && assigned.has(s.cond.x.name);
}

function intersects(a: Set<string>, b: Set<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Whether v may be read after block[from..] before being assigned again. */
function liveAfter(v: string, block: Block, from: number, isBody: boolean, fn: FuncNode): boolean {
  for (const st of block.slice(from)) {
    const a = accessOf([st], fn.file, false);
    if (a.exposed.has(v)) return true;
    if (definiteWrites(st).includes(v)) return false;
  }
  // A deferred call reads what the variable holds when the function returns.
  if (isBody) return fn.decl.results.some((r) => r.name === v) || accessOf(block.filter((st) => st.k === 'defer'), fn.file, false).exposed.has(v);
  // Past the block's end: dead only if the block itself declared it.
  return !block.some((st) => declaredBy(st).includes(v));
}

/** The block holding the statements that contain `a` and `b` as two different siblings, `a` first. */
function siblings(block: Block, a: Pos, b: Pos): { block: Block; i: number; j: number } | undefined {
  const i = block.findIndex((s) => stmtHas(s, a));
  const j = block.findIndex((s) => stmtHas(s, b));
  if (i < 0 || j < 0) return undefined;
  if (i < j) return { block, i, j };
  if (i > j) return undefined;
  for (const inner of childBlocks(block[i]!)) {
    const found = siblings(inner, a, b);
    if (found) return found;
  }
  return undefined;
}

/** The call at `p` in s (not in a closure in it: those are other functions), or s itself when it is the send at `p`. */
function stepIn(s: Stmt, p: Pos): CallExpr | Stmt | undefined {
  for (const st of allStmts([s])) {
    if (st.k === 'send' && st.pos === p) return st;
    const call = callsInStmt(st).find((c) => c.pos === p);
    if (call) return call;
  }
  return undefined;
}

function stmtHas(s: Stmt, p: Pos): boolean {
  return stepIn(s, p) !== undefined;
}

/** `ei.closeWriters()` for the hint: the callee as written, with `(...)` when it has arguments. */
function callText(s: Stmt, at: Pos): string {
  const step = stepIn(s, at);
  if (step?.k !== 'call') return `the statement at line ${lineOf(s.pos)}`;
  return `${calleeText(step.fn)}(${step.args.length ? '...' : ''})`;
}

function calleeText(e: Expr): string {
  if (e.k === 'id') return e.name;
  if (e.k === 'sel') return `${calleeText(e.x)}.${e.name}`;
  return '…';
}
