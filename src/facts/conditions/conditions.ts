/**
 * Conditions: "what holds on this path?" — the atoms a branch condition establishes (nil checks,
 * flags, constants, channel comparisons, `ok` receives, select probes, one-line predicates read
 * through, atomic loads and compare-and-swaps), the conditions enclosing a call, whether an operation
 * runs at most once, and what a callee's conditions say in the caller's names at one call.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { SideTable } from '../../resolve/side.js';
import { allStmts, callsInStmt, type CallExpr } from '../calls.js';
import { decidingBranches } from '../evidence/branches.js';
import { builtField } from '../evidence/built.js';
import type { Dispatch } from '../dispatch.js';
import type { ChanId } from '../identity/ids.js';
import type { Identity } from '../identity/identity.js';
import { argOf, FRESH, MADE, RECEIVER, splitRoot } from '../identity/roots.js';
import { contradicts, formatAtom, isExclusive, parseAtom, type Atom, type Parsed } from './atoms.js';
import { constantValue } from './constlocals.js';
import { Exhaustive } from './exhaustive.js';
import { Decided } from './decided.js';
import { countedDown, loadTarget, STORE_RE, swapTarget } from './atomics.js';

/** What a branch of a condition establishes (see assumeIn). */
interface Assumed {
  atoms: Atom[];
  tests: ChanId[];
}

const NONE: ReadonlySet<Atom> = new Set();

/** Path conditions of branches and calls, per function, memoized. */
export class Conditions {
  /** Branches the program's values decide: error checks of calls that cannot fail, nil checks of values never nil. */
  readonly decided: Decided;
  /** Switches on a parameter every call passes a case's constant, or on a field a parser sets only to them: their default is dead. */
  readonly exhaustive: Exhaustive;

  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly ids: Identity,
  ) {
    this.decided = new Decided(graph, dispatch, ids);
    this.exhaustive = new Exhaustive(graph, dispatch, ids);
  }

  /**
   * Whether an operation under these conditions runs at most once however often the function is
   * called: a compare-and-swap won, or a condition on state the function itself changes
   * (`if s.ch != nil { close(s.ch); s.ch = nil }`, `if !d.done { d.done = true; ... }`,
   * `if ticks == stopAt { close(stop) }` with `ticks++`). Conditions not in force at the operation
   * (an unrelated `if` before it, one after it) say nothing.
   */
  runsOnce(node: FuncNode, conds: ReadonlySet<Atom> | readonly Atom[]): boolean {
    let written: Set<string> | undefined;
    for (const a of conds) {
      if (isExclusive(a)) return true;
      // `if w.isClosed() { return }; close(w.done)`: closing is what changes the answer.
      if (a.startsWith('!closed:') && this.closedRoots(node).has(parseAtom(a).roots[0]!)) return true;
      written ??= this.writtenRoots(node);
      if (parseAtom(a).roots.some((r) => written!.has(r) || [...written!].some((w) => r.startsWith(`${w}.`)))) return true;
    }
    return false;
  }

  private readonly written = new Map<FuncNode, Set<string>>();

  private readonly closedHere = new Map<FuncNode, ReadonlySet<string>>();

  /** The roots of the channels a function closes itself. */
  private closedRoots(node: FuncNode): ReadonlySet<string> {
    let out = this.closedHere.get(node);
    if (out) return out;
    const roots = new Set<string>();
    for (const st of allStmts(node.decl.body ?? [])) {
      for (const c of callsInStmt(st)) {
        const ch = this.dispatch.closedBy(c);
        const r = ch && this.ids.condRoot(node, ch);
        if (r !== undefined) roots.add(r);
      }
    }
    this.closedHere.set(node, (out = roots));
    return out;
  }

  /** The roots of everything a function assigns, increments or stores into (atomics included). */
  private writtenRoots(node: FuncNode): Set<string> {
    let out = this.written.get(node);
    if (out) return out;
    out = new Set();
    const add = (e: Expr | undefined) => {
      const r = e && this.ids.condRoot(node, e);
      if (r !== undefined) out!.add(r);
    };
    // A declaration writes its variable (`var once bool`, a range variable, a select case's `v, ok`).
    for (const { storage } of this.graph.locals(node)) {
      const r = this.ids.localRoot(node, storage.name, 0);
      out.add(r === FRESH ? storage.name : r);
    }
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k === 'assign') st.lhs.forEach(add);
      else if (st.k === 'incdec') add(st.x);
      else if (st.k === 'for' && st.range) [st.range.key, st.range.value].forEach(add);
      for (const c of callsInStmt(st)) {
        if (c.fn.k !== 'sel') continue;
        if (STORE_RE.test(c.fn.name)) add(c.fn.x);
        // atomic.StoreInt32(&s.state, 1), atomic.CompareAndSwapInt32(&s.state, 0, 1)
        const target = c.args[0];
        if (c.fn.x.k === 'id' && c.fn.x.name === 'atomic' && target?.k === 'unary' && target.op === '&') add(target.x);
      }
    }
    this.written.set(node, out);
    return out;
  }

  /** Per call, once its function was scanned (see enclosingConds); a side table, as calls are many. */
  private readonly enclosing = new SideTable<CallExpr, ReadonlySet<Atom>>();

  private readonly enclosed = new Set<FuncNode>();

  /**
   * The conditions of the `if` branches a call sits in, and of the `if ... { return }` before it in its
   * block, read from the syntax alone: for a function no guard-aware walk visits (`if lock { p.sub =
   * Get(name) }` in a function that takes no lock itself). Weaker than a walk, never wrong the other way.
   */
  enclosingConds(node: FuncNode, call: CallExpr): ReadonlySet<Atom> {
    if (!this.enclosed.has(node)) {
      this.enclosed.add(node);
      const out = this.enclosing;
      const visit = (stmts: readonly Stmt[], outer: ReadonlySet<Atom>): void => {
        let atoms = outer;
        for (const st of stmts) {
          if (atoms.size) for (const c of callsInStmt(st)) out.set(c, atoms);
          switch (st.k) {
            case 'if': {
              if (st.init) visit([st.init], atoms);
              const before = atoms;
              const branch = (holds: boolean): ReadonlySet<Atom> => {
                const more = this.assumed(node, st.cond, holds).atoms;
                return more.length ? new Set([...before, ...more]) : before;
              };
              visit(st.then, branch(true));
              if (st.else) visit(st.else, branch(false));
              // `if c.Key == nil { return err }`: what follows runs only when the condition failed.
              else if (st.then.at(-1)?.k === 'return') atoms = branch(false);
              break;
            }
            case 'block':
              visit(st.body, atoms);
              break;
            case 'labeled':
              if (st.stmt) visit([st.stmt], atoms);
              break;
            case 'for':
              visit([...(st.init ? [st.init] : []), ...(st.post ? [st.post] : []), ...st.body], atoms);
              break;
            case 'switch':
            case 'typeswitch':
            case 'select':
              if ('init' in st && st.init) visit([st.init], atoms);
              for (const c of st.cases) visit(c.body, atoms);
              break;
          }
        }
      };
      visit(node.decl.body ?? [], new Set());
    }
    return this.enclosing.get(call) ?? NONE;
  }

  private readonly assumptions = new SideTable<Expr, [Assumed | undefined, Assumed | undefined]>();

  /** assumeIn for one branch of a condition, worked out once: walks visit a loop's branches until a fixpoint. */
  assumed(node: FuncNode, cond: Expr, holds: boolean): Assumed {
    let both = this.assumptions.get(cond);
    if (!both) this.assumptions.set(cond, (both = [undefined, undefined]));
    const i = holds ? 1 : 0;
    let out = both[i];
    if (!out) {
      out = { atoms: [], tests: [] };
      this.assumeIn(node, cond, holds, out.atoms, out.tests);
      both[i] = out;
    }
    return out;
  }

  /**
   * What entering a branch where `cond` evaluated to `holds` establishes: atoms, and the fields and
   * globals the condition read.
   */
  assumeIn(node: FuncNode, cond: Expr, holds: boolean, atoms: Atom[], tests: ChanId[], depth = 0): void {
    if (cond.k === 'unary' && cond.op === '!') return this.assumeIn(node, cond.x, !holds, atoms, tests, depth);
    // A receive that was not ready (a select's default case): the channel was not closed.
    if (cond.k === 'unary' && cond.op === '<-') {
      const root = holds ? undefined : this.ids.condRoot(node, cond.x);
      if (root !== undefined) atoms.push(formatAtom({ negated: true, kind: 'closed', roots: [root] }));
      return;
    }
    if (cond.k === 'binary' && (cond.op === '&&' || cond.op === '||')) {
      // `a && b` holding, or `a || b` failing, says both; the other two say nothing certain.
      if ((cond.op === '&&') === holds) {
        this.assumeIn(node, cond.x, holds, atoms, tests, depth);
        this.assumeIn(node, cond.y, holds, atoms, tests, depth);
      }
      return;
    }
    const read = (e: Expr) => {
      const id = exprKey(e) === undefined ? undefined : this.ids.idOf(node, e);
      if (id !== undefined && (id.startsWith('field:') || id.startsWith('global:'))) tests.push(id);
    };
    const atom = (kind: string, e: Expr, truth: boolean, value?: string, other?: string): void => {
      read(e);
      const root = this.ids.condRoot(node, e);
      if (root === undefined) return;
      atoms.push(formatAtom({ negated: !truth, kind, roots: other === undefined ? [root] : [root, other], ...(value !== undefined ? { value } : {}) }));
    };
    if (cond.k === 'binary' && (cond.op === '==' || cond.op === '!=')) {
      const equal = cond.op === '==' ? holds : !holds;
      // `if s.swapState(stopped) == stopped { return }`: only one caller gets past it.
      const swapped = swapTarget(cond.x) ?? swapTarget(cond.y);
      if (swapped) return atom('cas', swapped, !equal);
      const counted = countedDown(cond.x, cond.y);
      if (counted) return atom('cas', counted, equal);
      // `atomic.LoadInt32(&m.shutdown) == 1` compares m.shutdown.
      let [x, y] = [loadTarget(cond.x) ?? cond.x, loadTarget(cond.y) ?? cond.y];
      if (x.k === 'lit' || this.graph.constantOf(node, x) !== undefined) [x, y] = [y, x];
      if (y.k === 'lit' && y.kind === 'nil') return atom('nil', x, equal);
      const c = this.graph.constantOf(node, y);
      if (c !== undefined) return atom('eq', x, equal, c);
      // A literal whose value the IR does not keep (`== 1`, `== "done"`): the path depends on x, no more.
      if (y.k === 'lit') return atom('cmp', x, true);
      read(y);
      const other = this.ids.condRoot(node, y);
      // Compared with an expression we cannot name (`k == n-1`): as with a literal, the path depends on x.
      if (other !== undefined) atom('same', x, equal, undefined, other);
      else atom('cmp', x, true);
      return;
    }
    // `if m.hasShutdown() { return }`: a one-line predicate is read as its expression, in the caller's names.
    if (cond.k === 'call' && depth < 2) {
      const inlined = this.predicateAt(node, cond);
      const probe = inlined ? undefined : this.probeAt(node, cond);
      const callee = inlined?.callee ?? probe?.callee;
      if (callee) {
        const inner: Atom[] = [];
        if (inlined) this.assumeIn(callee, inlined.expr, holds, inner, tests, depth + 1);
        const probed = probe && this.ids.condRoot(callee, probe.ch);
        if (probe && probed !== undefined) inner.push(formatAtom({ negated: holds !== probe.whenClosed, kind: 'closed', roots: [probed] }));
        const receiver = this.dispatch.receiverFor(cond, callee);
        const mapped = inner.length ? this.mapConds(node, callee, inner, cond, receiver) : false;
        if (mapped) atoms.push(...mapped);
        return;
      }
    }
    if (cond.k === 'call' && cond.fn.k === 'sel') {
      const name = cond.fn.name;
      if (name === 'Load' && cond.args.length === 0) return atom('bool', cond.fn.x, holds);
      const swapped = swapTarget(cond);
      // CompareAndSwap reports winning; Swap returns the old value, so the winner sees false.
      if (swapped) atom('cas', swapped, /^CompareAndSwap/.test(name) ? holds : !holds);
      return;
    }
    // `was := c.closed.Swap(true); if was { return }`: the local is the swap's answer. The field was read
    // where the swap ran, not here: no test of it (a test of state the other path writes is a guard).
    const swapped = cond.k === 'id' ? this.swappedInto(node, cond) : undefined;
    if (swapped) {
      const root = this.ids.condRoot(node, swapped.target);
      if (root !== undefined) atoms.push(formatAtom({ negated: swapped.reportsWin !== holds, kind: 'cas', roots: [root] }));
      return;
    }
    if (cond.k === 'id' || cond.k === 'sel') atom('bool', cond, holds);
  }

  /** The swapped variable of a local whose only value is a swap's or compare-and-swap's result. */
  private swappedInto(node: FuncNode, local: Expr): { target: Expr; reportsWin: boolean } | undefined {
    const key = this.ids.localKey(node, local);
    const sources = key === undefined ? undefined : this.ids.localSources(node).get(key);
    const only = sources?.length === 1 ? sources[0]! : undefined;
    const target = only && swapTarget(only);
    return target && only.k === 'call' && only.fn.k === 'sel' ? { target, reportsWin: /^CompareAndSwap/.test(only.fn.name) } : undefined;
  }

  /**
   * Whether the atoms of one branch of a condition say all it tested: a conjunction (or a failed
   * disjunction) of flags, nil checks and comparisons with constants, each named. Then wherever those
   * atoms hold again on the same values, the branch was taken.
   */
  decides(node: FuncNode, cond: Expr, holds: boolean): boolean {
    if (cond.k === 'unary' && cond.op === '!') return this.decides(node, cond.x, !holds);
    if (cond.k === 'binary' && (cond.op === '&&' || cond.op === '||')) {
      return (cond.op === '&&') === holds && this.decides(node, cond.x, holds) && this.decides(node, cond.y, holds);
    }
    const { atoms } = this.assumed(node, cond, holds);
    return atoms.length === 1 && parseAtom(atoms[0]!).kind !== 'cmp';
  }

  /** Whether the path condition at `pos` says all that decides it runs: outside loops, under `if`s that each decide their branch. */
  decidedAt(node: FuncNode, pos: Pos): boolean {
    const body = node.decl.body ?? [];
    if (allStmts(body).some((st) => st.k === 'for' && decidingBranches(st.body, pos) !== undefined)) return false;
    const branches = decidingBranches(body, pos);
    return branches !== undefined && branches.every((b) => b.kind === 'if' && b.taken !== undefined && this.decides(node, b.conds[0]!, b.taken));
  }

  /** The callee of a call whose whole body is `return <expr>`, and that expression: a predicate to read through. */
  private predicateAt(node: FuncNode, call: CallExpr): { callee: FuncNode; expr: Expr } | undefined {
    const { callee, only } = this.oneStatementCallee(node, call) ?? {};
    return callee && only?.k === 'return' && only.values.length === 1 ? { callee, expr: only.values[0]! } : undefined;
  }

  /** The sole callee of a call whose body is one statement, and that statement: a helper to read through. */
  private oneStatementCallee(node: FuncNode, call: CallExpr): { callee: FuncNode; only: Stmt } | undefined {
    const callee = this.dispatch.soleCallee(node, call);
    const body = callee?.decl.body;
    return callee && body?.length === 1 ? { callee, only: body[0]! } : undefined;
  }

  /**
   * The callee of a call whose whole body asks whether a channel is closed, and the answer it gives
   * when it is: `select { case <-w.done: return true; default: return false }` (fsnotify's `isClosed`).
   */
  private probeAt(node: FuncNode, call: CallExpr): { callee: FuncNode; ch: Expr; whenClosed: boolean } | undefined {
    const { callee, only } = this.oneStatementCallee(node, call) ?? {};
    if (!callee || only?.k !== 'select' || only.cases.length !== 2) return undefined;
    const answer = (stmts: Stmt[]) => {
      const r = stmts.length === 1 ? stmts[0] : undefined;
      const v = r?.k === 'return' && r.values.length === 1 ? r.values[0] : undefined;
      return v?.k === 'lit' && (v.kind === 'true' || v.kind === 'false') ? v.kind === 'true' : undefined;
    };
    const recv = only.cases.find((c) => c.kind === 'recv');
    const other = only.cases.find((c) => c.kind === 'default');
    const [closed, open] = [recv && answer(recv.body), other && answer(other.body)];
    return recv?.kind === 'recv' && closed !== undefined && open === !closed ? { callee, ch: recv.ch, whenClosed: closed } : undefined;
  }

  /**
   * A callee's condition atom re-read at a call: `true` or `false` when a constant argument decides
   * it (`s.apply(opFlush)` never takes `case opClose:`), the atom in the caller's names, or undefined
   * when the caller cannot name what it is about.
   */
  private mapAtom(node: FuncNode, callee: FuncNode, atom: Atom, call: CallExpr, receiver: Expr | undefined): Atom | boolean | undefined {
    const p = parseAtom(atom);
    const [root] = p.roots;
    const valued = root !== undefined && p.kind !== 'same' && p.kind !== 'cas' && p.kind !== 'cmp' && p.kind !== 'closed';
    if (valued && /^@\d+$/.test(root)) {
      const arg = argOf(this.dispatch.calledAs(call), root);
      const v = byConstant(p, arg && constantValue(this.graph, node, arg));
      if (v !== undefined) return v;
    }
    // `opts := &T{lock: lock}; v.run(opts)` reaching `if opts.lock`: the atom is about what the literal put there.
    const built = valued ? this.builtAtom(node, call, p, root) : undefined;
    if (built !== undefined) return built;
    const roots: string[] = [];
    for (const r of p.roots) {
      const { head, path } = splitRoot(r);
      // A condition on a parameter is one on the argument, whatever object it holds.
      const arg = head === RECEIVER ? receiver : /^@\d+$/.test(head) ? argOf(this.dispatch.calledAs(call), head) : undefined;
      const base = arg && this.ids.condRoot(node, arg);
      const mapped = r.startsWith('global:') ? r : arg ? base && base + path : this.ids.liftRoot(node, callee, r, call, receiver);
      if (mapped === undefined || mapped === FRESH || mapped === MADE) return undefined;
      roots.push(mapped);
    }
    return formatAtom({ ...p, roots });
  }

  /**
   * An atom on a field of a parameter (`@0.lock`) whose argument the caller built on the spot as a struct
   * literal: decided by the element if it is a constant, else the same atom on the element (a parameter or
   * variable of the caller's, `@3`), for the caller's own callers to decide.
   */
  private builtAtom(node: FuncNode, call: CallExpr, p: Parsed, root: string): Atom | boolean | undefined {
    const m = /^(@\d+)\.(\w+)$/.exec(root);
    const arg = m ? argOf(this.dispatch.calledAs(call), m[1]!) : undefined;
    const v = arg && builtField({ graph: this.graph, ids: this.ids }, node, call, arg, m![2]!);
    if (!v) return undefined;
    const decided = byConstant(p, constantValue(this.graph, node, v));
    if (decided !== undefined) return decided;
    const mapped = v.k === 'id' ? this.ids.condRoot(node, v) : undefined;
    return mapped === undefined || mapped === FRESH || mapped === MADE ? undefined : formatAtom({ ...p, roots: [mapped] });
  }

  /** A callee's path condition in the caller's names; false when the call's constant arguments rule it out. */
  mapConds(node: FuncNode, callee: FuncNode, conds: Atom[], call: CallExpr, receiver: Expr | undefined): Atom[] | false {
    if (conds.length === 0) return conds;
    const out: Atom[] = [];
    for (const a of conds) {
      const m = this.mapAtom(node, callee, a, call, receiver);
      if (m === false) return false;
      if (typeof m === 'string') out.push(m);
    }
    // Two conditions on different names in the callee, on one in the caller: `post(ctx, c.Key, ...)`
    // reaching `if key == nil` past `if c.Key == nil { return }`.
    if (out.length > 1 && contradicts(out, new Set(out))) return false;
    return out;
  }

  private readonly oks = new Map<FuncNode, Map<string, Expr>>();

  /**
   * The `ok` variables of two-value receives (`v, ok := <-ch`, `case v, ok = <-ch:`) and the channel
   * each reports on; a name bound from two different channels is left out.
   */
  okOf(node: FuncNode): ReadonlyMap<string, Expr> {
    let out = this.oks.get(node);
    if (out) return out;
    const found = new Map<string, Expr | null>();
    const note = (lhs: Expr[], ch: Expr | undefined) => {
      const ok = lhs[1];
      const key = ok && this.ids.localKey(node, ok);
      if (lhs.length !== 2 || key === undefined || !ch) return;
      const prev = found.get(key);
      found.set(key, prev === undefined || (prev && exprKey(prev) === exprKey(ch)) ? ch : null);
    };
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k === 'assign' && st.rhs.length === 1 && st.rhs[0]!.k === 'unary' && st.rhs[0]!.op === '<-') note(st.lhs, st.rhs[0]!.x);
      if (st.k === 'select') for (const c of st.cases) if (c.kind === 'recv') note(c.lhs, c.ch);
    }
    out = new Map([...found].filter((e): e is [string, Expr] => e[1] !== null));
    this.oks.set(node, out);
    return out;
  }
}

/** Whether a valued atom (nil check, flag, comparison with a constant) holds of a constant; undefined when it does not say. */
function byConstant(p: Parsed, c: string | undefined): boolean | undefined {
  if (c === undefined) return undefined;
  const v = p.kind === 'nil' ? c === 'nil' : p.kind === 'bool' ? (c === 'true' ? true : c === 'false' ? false : undefined) : c === p.value;
  return v === undefined ? undefined : v !== p.negated;
}
