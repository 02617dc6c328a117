/**
 * Guarded presence tests: "which branch on a lock finding's path asks whether state the held lock guards is
 * there at all?" A lock finding (a second Lock, a return that keeps the lock) that is reached only down a
 * branch testing, while the lock is held, that a part of the locked object is missing (`s.send == nil`), that
 * a package's own state is (`activeDB == nil` under the package's mutex), that a lookup in it finds nothing,
 * or that the object's own lookup method reports nothing found, rests on that state occurring there. Such
 * state is made with the object or set up under the same lock, and the branch is most often a defensive
 * check for a state the program never reaches (an "unexpected state" error): an assumption to name, not
 * evidence (docs/evidence.md). Not such a test:
 * - an error of a call that can fail for reasons of its own (I/O, a callee of another type): errors happen;
 * - a flag, a counter or a phase (`closed`, `n < limit`, `switch s.state`): state the program visibly moves
 *   through while others wait for the lock, the ordinary way a lock is kept on an early return;
 * - a test of the finding's own function's parameters (`m, ok := l.m[key]`): its author wrote it for the
 *   values its callers pass;
 * - a re-entry guard or a lazy set-up: a test for the state the function holding it leaves behind (`if n.doneCh
 *   != nil { return }` in the `Start` that sets `n.doneCh`), which its second call reaches, or for a part missing
 *   that the branch then makes (`if c.m == nil { c.load() }`), which the first call reaches.
 */
import { lineOf, type Expr, type Pos, type Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { isNil } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { deref } from '../../resolve/types.js';
import type { Assumption } from '../../findings.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import type { ChanId } from '../identity/ids.js';
import { shortName } from '../names.js';
import { nodeLocation } from '../report.js';
import type { Parts } from './assume.js';
import { decidingBranches, type Branch } from './branches.js';
import { stateOf } from './state.js';

/** One function on the finding's path, and the position there that the path goes through. */
export interface Hop {
  node: FuncNode;
  pos: Pos;
  /** Only branches after this position run while the lock is held (the Lock itself is in this function). */
  after?: Pos;
}

/**
 * What a mutex guards, as the prefix of the state keys it covers: the other fields of the struct it is a field
 * of (`field:pkg.T.`), or the package variables of its package (`global:pkg.`). Undefined for a mutex of a
 * local or a parameter, whose object the engine does not name.
 */
function guardedPrefix(lock: ChanId): string | undefined {
  if (!/^(field|global):/.test(lock)) return undefined;
  return lock.slice(0, lock.lastIndexOf('.') + 1);
}

/** The struct type a field mutex belongs to, as `pkg.T`. */
function ownerType(prefix: string): string | undefined {
  return prefix.startsWith('field:') ? prefix.slice('field:'.length, -1) : undefined;
}

interface Definition {
  pos: Pos;
  value: Expr;
  /** The second value of a comma-ok form (`v, ok := m[k]`, `x, ok := v.(T)`): whether the lookup found something. */
  ok: boolean;
}

/** The last assignment to the local `name` written before `pos` in `node` (flow-insensitive, by position). */
function definitionBefore(node: FuncNode, name: string, pos: Pos): Definition | undefined {
  let out: Definition | undefined;
  for (const st of allStmts(node.decl.body ?? [])) {
    if (st.pos >= pos) continue;
    if (st.k === 'assign' && (st.op === ':=' || st.op === '=')) {
      st.lhs.forEach((l, i) => {
        if (l.k !== 'id' || l.name !== name) return;
        const one = st.rhs.length !== st.lhs.length;
        const value = one ? st.rhs[0] : st.rhs[i];
        if (value && (!out || st.pos > out.pos)) out = { pos: st.pos, value, ok: one && i === 1 && value.k !== 'call' };
      });
    } else if (st.k === 'var') {
      st.names.forEach((n, i) => {
        const value = st.values.length === st.names.length ? st.values[i] : st.values[0];
        if (n === name && value && (!out || st.pos > out.pos)) out = { pos: st.pos, value, ok: st.values.length !== st.names.length && i === 1 };
      });
    }
  }
  return out;
}

/**
 * A method of the lock's own struct that answers from its state alone: every error it returns is nil or a
 * package's error value (`ErrNotFound`), never one a call of it handed back. Its error reports a missing entry,
 * not a failure.
 */
function ownLookup(parts: Parts, node: FuncNode, call: CallExpr, owner: string | undefined): boolean {
  if (owner === undefined || call.fn.k !== 'sel') return false;
  const t = deref(parts.graph.typeOf(node, call.fn.x));
  if (t.k !== 'named' || `${t.path}.${t.name}` !== owner) return false;
  const callee = parts.dispatch.soleCallee(node, call);
  if (!callee?.decl.body || callee.decl.results.length === 0) return false;
  const returns = allStmts(callee.decl.body).filter((st) => st.k === 'return');
  return returns.length > 0 && returns.every((st) => {
    const last = st.k === 'return' ? st.values.at(-1) : undefined;
    if (!last) return false;
    if (isNil(last)) return true;
    return (last.k === 'id' || last.k === 'sel') && parts.graph.storageOf(callee, last)?.kind === 'global';
  });
}

interface Test {
  parts: Parts;
  prefix: string;
  /** The finding's own function: a test of its parameters is its author's, for its callers' values. */
  fn: FuncNode;
}

/** Whether `e` (in `node`, read at `pos`) is a value of the guarded state: a field or variable of it, an element, or what the object's own lookup returns. */
function guardedValue(t: Test, node: FuncNode, e: Expr, pos: Pos, depth = 0): boolean {
  if (depth > 4) return false;
  switch (e.k) {
    case 'sel':
    case 'id': {
      const s = stateOf(t.parts.graph, node, e);
      if (s?.key.startsWith(t.prefix)) return true;
      if (e.k !== 'id' || !s?.key.startsWith('local:')) return false;
      const def = definitionBefore(node, e.name, pos);
      return def !== undefined && !def.ok && guardedValue(t, node, def.value, def.pos, depth + 1);
    }
    case 'index':
    case 'assert':
      return guardedValue(t, node, e.x, pos, depth + 1);
    case 'call':
      return ownLookup(t.parts, node, e, ownerType(t.prefix));
    default:
      return false;
  }
}

/** Whether an atom of a condition tests the presence of guarded state: `x == nil`, `x != nil`, or a lookup's `ok`. */
function presence(t: Test, node: FuncNode, e: Expr, pos: Pos, depth = 0): boolean {
  if (depth > 4) return false;
  if (e.k === 'unary' && e.op === '!') return presence(t, node, e.x, pos, depth);
  if (e.k === 'binary' && (e.op === '&&' || e.op === '||')) return presence(t, node, e.x, pos, depth) || presence(t, node, e.y, pos, depth);
  if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
    return (isNil(e.y) && guardedValue(t, node, e.x, pos)) || (isNil(e.x) && guardedValue(t, node, e.y, pos));
  }
  if (e.k !== 'id') return false;
  // `isNil := db == nil`, `_, ok := s.m[k]`: the local holds the test.
  const def = definitionBefore(node, e.name, pos);
  if (!def) return false;
  if (def.ok) return (def.value.k === 'index' || def.value.k === 'assert') && guardedValue(t, node, def.value, def.pos);
  return presence(t, node, def.value, def.pos, depth + 1);
}

/** A field or package variable compared with nil, and whether the path needs it nil. */
interface NilTest {
  key: string;
  isNil: boolean;
}

/**
 * The guarded values the condition, holding as `holds` says, compares with nil, and which way the path needs
 * each: through `!`, `&&`, `||` (any of a disjunction's atoms may be the one that holds) and a local holding a
 * comparison (`isNil := db == nil`).
 */
function nilTests(t: Test, node: FuncNode, e: Expr, pos: Pos, holds: boolean, depth = 0): NilTest[] {
  if (depth > 4) return [];
  if (e.k === 'unary' && e.op === '!') return nilTests(t, node, e.x, pos, !holds, depth);
  if (e.k === 'binary' && (e.op === '&&' || e.op === '||')) return [...nilTests(t, node, e.x, pos, holds, depth), ...nilTests(t, node, e.y, pos, holds, depth)];
  if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
    const x = isNil(e.y) ? e.x : isNil(e.x) ? e.y : undefined;
    const s = x && stateOf(t.parts.graph, node, x);
    return s?.key.startsWith(t.prefix) ? [{ key: s.key, isNil: (e.op === '==') === holds }] : [];
  }
  const def = e.k === 'id' ? definitionBefore(node, e.name, pos) : undefined;
  return def && !def.ok ? nilTests(t, node, def.value, def.pos, holds, depth + 1) : [];
}

/** Whether the statements of `node` put one of the tested values into the state the test says: nil, or a value (also through its address, `init(&x)`). */
function writes(t: Test, node: FuncNode, stmts: readonly Stmt[], tests: readonly NilTest[]): boolean {
  const keyOf = (e: Expr) => stateOf(t.parts.graph, node, e)?.key;
  return stmts.some(
    (st) =>
      (st.k === 'assign' &&
        st.lhs.some((l, i) => {
          const value = st.rhs.length === st.lhs.length ? st.rhs[i] : undefined;
          return value !== undefined && tests.some((x) => x.key === keyOf(l) && x.isNil === isNil(value));
        })) ||
      callsInStmt(st).some((c) => c.args.some((a) => a.k === 'unary' && a.op === '&' && tests.some((x) => !x.isNil && x.key === keyOf(a.x)))),
  );
}

/**
 * Whether the program visibly reaches the state a nil test on hop `i` asks for, so the branch is no defensive
 * check: the function holding it leaves that state itself (`if n.doneCh != nil { return }` in the `Start` that
 * sets `n.doneCh`: a re-entry guard its second call meets), or the branch sets up what it found missing, itself
 * or down the path's calls (`if c.m == nil { c.load() }`: a lazy set-up, which the first call goes down, as
 * every value starts nil).
 */
function visiblyReached(t: Test, hops: readonly Hop[], i: number, b: Branch): boolean {
  const { node } = hops[i]!;
  const body = node.decl.body ?? [];
  const tests = nilTests(t, node, b.conds[0]!, b.conds[0]!.pos, b.taken !== false);
  if (tests.length === 0) return false;
  if (writes(t, node, allStmts(body), tests)) return true;
  const made = tests.filter((x) => x.isNil).map((x) => ({ ...x, isNil: false }));
  const st = allStmts(body).find((s) => s.k === 'if' && s.pos === b.pos);
  if (made.length === 0 || st?.k !== 'if') return false;
  if (writes(t, node, allStmts(b.taken === false ? (st.else ?? []) : st.then), made)) return true;
  return hops.slice(i + 1).some((h) => writes(t, h.node, allStmts(h.node.decl.body ?? []), made));
}

/** Whether the condition reads a parameter of the finding's function, directly or through a local made from one. */
function readsOwnParam(t: Test, node: FuncNode, e: Expr, pos: Pos, depth = 0): boolean {
  if (node !== t.fn || depth > 4) return false;
  let found = false;
  const visit = (x: Expr): void => {
    if (found) return;
    if (x.k === 'id') {
      const st = t.parts.graph.storageOf(node, x);
      // The receiver is the locked object itself, not a value the caller chose.
      if (st?.kind === 'param' && st.fn === node.id && st.index >= 0) found = true;
      else if (st?.kind === 'local') {
        const def = definitionBefore(node, x.name, pos);
        if (def && readsOwnParam(t, node, def.value, def.pos, depth + 1)) found = true;
      }
      return;
    }
    // A field of a parameter (the receiver's `s.send`) is the object's state, not a value the caller chose.
    if (x.k === 'sel') return stateOf(t.parts.graph, node, x)?.key.startsWith('field:') ? undefined : visit(x.x);
    if (x.k === 'call') {
      x.args.forEach(visit);
      // `oid := ord.ID()`: a value of the parameter's own.
      if (x.fn.k === 'sel') visit(x.fn.x);
      return;
    }
    if (x.k === 'index') {
      visit(x.x);
      x.index.forEach(visit);
      return;
    }
    if (x.k === 'unary' || x.k === 'assert') return visit(x.x);
    if (x.k === 'binary') {
      visit(x.x);
      visit(x.y);
    }
  };
  visit(e);
  return found;
}

/** The condition as written; a local that holds the test (`isNil`) with what it was made from. */
function text(b: Branch, name: string, node: FuncNode): string {
  const cond = b.conds[0]!;
  const local = cond.k === 'unary' && cond.op === '!' ? cond.x : cond;
  const def = local.k === 'id' ? definitionBefore(node, local.name, cond.pos) : undefined;
  const made = def && !def.ok ? ` (\`${exprText(def.value)}\`)` : '';
  const way = b.taken === false ? 'is false' : 'holds';
  return `\`${exprText(cond)}\`${made} (line ${lineOf(b.pos)} in \`${shortName(node)}\`) ${way} while ${name} is held`;
}

/**
 * The guarded presence tests the path goes into while the lock `lock` (called `name`) is held, one assumption
 * each, but for a branch one of the finding's `known` assumptions already names: the `if` blocks around each hop's position (after the Lock, in the function that takes it). An early
 * return the path goes past (`if s.conn == nil { return errClosed }`) leaves it in the state a live object is
 * in, which asks nothing; the hazard inside the block is what only the tested state reaches.
 */
export function guardedTests(parts: Parts, fn: FuncNode, lock: ChanId, name: string, hops: readonly Hop[], known: readonly Assumption[]): Assumption[] {
  const prefix = guardedPrefix(lock);
  if (!prefix) return [];
  const t: Test = { parts, prefix, fn };
  const out: Assumption[] = [];
  hops.forEach((hop, i) => {
    for (const b of decidingBranches(hop.node.decl.body ?? [], hop.pos) ?? []) {
      if (b.kind !== 'if' || b.exit || (hop.after !== undefined && b.pos < hop.after)) continue;
      const cond = b.conds[0]!;
      // Read where the condition is, after an `if v, ok := m[k];` header's assignment.
      if (!presence(t, hop.node, cond, cond.pos) || readsOwnParam(t, hop.node, cond, cond.pos) || visiblyReached(t, hops, i, b)) continue;
      const location = nodeLocation(hop.node, b.pos);
      // A callee's branch that reach.ts already named, as what its caller passes: one assumption, not two.
      if (known.some((a) => a.location?.path === location.path && a.location.line === location.line)) continue;
      out.push({ kind: 'undecided-branch', text: text(b, name, hop.node), location });
    }
  });
  return out;
}
