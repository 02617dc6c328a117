/**
 * The branches that decide whether a statement of a function runs: the if/switch/for/select-case
 * conditions around it, and the earlier statements at each nesting level that may leave the function
 * first (`if c { return }`, `select { case <-done: return }`). Syntax only, per function and position.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprsOfSimple, forEachSubExpr } from '../calls.js';

export interface Branch {
  /** The statement that branches. */
  pos: Pos;
  /** What it branches on (a select's received channels); one expression for if/for. */
  conds: Expr[];
  kind: 'if' | 'for' | 'switch' | 'select';
  /** An earlier statement that may leave the function: the operation runs only if it did not. */
  exit: boolean;
  /** For an `if`: the value its condition has on the way to the statement (false past `if c { return }`). */
  taken?: boolean;
}

function has(e: Expr | undefined, pos: Pos): boolean {
  if (!e) return false;
  if (e.pos === pos) return true;
  let found = false;
  forEachSubExpr(e, (x) => {
    if (!found && has(x, pos)) found = true;
  });
  return found;
}

/** The expressions a statement evaluates itself, headers included, not its nested blocks. */
function ownExprs(st: Stmt): (Expr | undefined)[] {
  switch (st.k) {
    case 'go':
    case 'defer':
      return [st.call];
    case 'if':
      return [st.cond];
    case 'for':
      return [st.cond, st.range?.x];
    case 'switch':
      return [st.tag, ...st.cases.flatMap((c) => c.exprs)];
    case 'typeswitch':
      return [st.x];
    case 'select':
      return st.cases.flatMap((c) => (c.kind === 'send' ? [c.ch, c.value] : c.kind === 'recv' ? [c.ch] : []));
    default:
      return [...exprsOfSimple(st)];
  }
}

function leaves(body: readonly Stmt[]): boolean {
  const last = body.at(-1);
  return last?.k === 'return' || (last?.k === 'expr' && last.x.k === 'call' && last.x.fn.k === 'id' && last.x.fn.name === 'panic');
}

/** An earlier statement of the block that returns on some branch: what the later ones depend on. */
function exitOf(st: Stmt): Branch | undefined {
  if (st.k === 'if' && (leaves(st.then) || (st.else !== undefined && leaves(st.else)))) return { pos: st.pos, conds: [st.cond], kind: 'if', exit: true, taken: !leaves(st.then) };
  if (st.k === 'select' && st.cases.some((c) => leaves(c.body))) {
    return { pos: st.pos, conds: st.cases.flatMap((c) => (c.kind === 'recv' && leaves(c.body) ? [c.ch] : [])), kind: 'select', exit: true };
  }
  if (st.k === 'switch' && st.cases.some((c) => leaves(c.body))) return { pos: st.pos, conds: [...(st.tag ? [st.tag] : []), ...st.cases.flatMap((c) => c.exprs)], kind: 'switch', exit: true };
  return undefined;
}

/** The branches deciding whether the statement or expression at `pos` runs, outermost first; undefined if it is not in `body`. */
export function decidingBranches(body: readonly Stmt[], pos: Pos): Branch[] | undefined {
  const before: Branch[] = [];
  for (const st of body) {
    const inner = within(st, pos);
    if (inner) return [...before, ...inner];
    const exit = exitOf(st);
    if (exit) before.push(exit);
  }
  return undefined;
}

function within(st: Stmt, pos: Pos): Branch[] | undefined {
  if (st.pos === pos || ownExprs(st).some((e) => has(e, pos))) return [];
  const nested = (body: readonly Stmt[], b?: Branch) => {
    const inner = decidingBranches(body, pos);
    return inner && (b ? [b, ...inner] : inner);
  };
  switch (st.k) {
    case 'block':
      return nested(st.body);
    case 'labeled':
      return st.stmt ? within(st.stmt, pos) : undefined;
    case 'if': {
      const b = (taken: boolean): Branch => ({ pos: st.pos, conds: [st.cond], kind: 'if', exit: false, taken });
      return (st.init && within(st.init, pos)) ?? nested(st.then, b(true)) ?? (st.else && nested(st.else, b(false)));
    }
    case 'for':
      return nested(st.body, st.cond ? { pos: st.pos, conds: [st.cond], kind: 'for', exit: false } : undefined);
    case 'switch':
    case 'typeswitch':
      for (const c of st.cases) {
        const r = nested(c.body, st.k === 'switch' ? { pos: c.pos, conds: [...(st.tag ? [st.tag] : []), ...c.exprs], kind: 'switch', exit: false } : undefined);
        if (r) return r;
      }
      return undefined;
    case 'select':
      for (const c of st.cases) {
        const r = nested(c.body, c.kind === 'recv' ? { pos: c.pos, conds: [c.ch], kind: 'select', exit: false } : undefined);
        if (r) return r;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Whether the statement at `pos` runs whenever the one at `to` does, both in `body`: every branch deciding it
 * (an `if` around it, an early return before it) decides `to` too.
 */
export function decidedWith(body: readonly Stmt[], pos: Pos, to: Pos): boolean {
  const at = decidingBranches(body, to);
  const around = decidingBranches(body, pos);
  return at !== undefined && around !== undefined && around.every((b) => at.some((x) => x.pos === b.pos));
}

/** What a statement evaluates before any block of it runs: a simple statement's expressions, a compound one's header. */
function headerOf(st: Stmt): Expr[] {
  const init = (s: Stmt | undefined) => (s ? [...exprsOfSimple(s)] : []);
  switch (st.k) {
    case 'if':
      return [...init(st.init), st.cond];
    case 'for':
      return [...init(st.init), ...(st.cond ? [st.cond] : []), ...(st.range ? [st.range.x] : [])];
    case 'switch':
      return [...init(st.init), ...(st.tag ? [st.tag] : [])];
    case 'typeswitch':
      return [...init(st.init), st.x];
    default:
      return [...exprsOfSimple(st)];
  }
}

/**
 * The expressions certainly evaluated before the statement or expression at `pos` runs: at each nesting
 * level the earlier statements' own expressions (an `if`'s condition, not its blocks), and the headers of
 * the statements around it. A `go` or `defer` statement's call runs elsewhere or later: left out.
 */
export function evaluatedBefore(body: readonly Stmt[], pos: Pos): Expr[] | undefined {
  const before: Expr[] = [];
  for (const st of body) {
    const inner = headersTo(st, pos);
    if (inner) return [...before, ...inner];
    if (st.k !== 'go' && st.k !== 'defer') before.push(...headerOf(st));
  }
  return undefined;
}

function headersTo(st: Stmt, pos: Pos): Expr[] | undefined {
  if (st.pos === pos || ownExprs(st).some((e) => has(e, pos))) return [];
  const nested = (body: readonly Stmt[]) => {
    const inner = evaluatedBefore(body, pos);
    return inner && [...headerOf(st), ...inner];
  };
  switch (st.k) {
    case 'block':
      return evaluatedBefore(st.body, pos);
    case 'labeled':
      return st.stmt ? headersTo(st.stmt, pos) : undefined;
    case 'if':
      return (st.init && headersTo(st.init, pos)) ?? nested(st.then) ?? (st.else && nested(st.else));
    case 'for':
      return nested(st.body);
    case 'switch':
    case 'typeswitch':
    case 'select':
      for (const c of st.cases) {
        const r = nested(c.body);
        if (r) return r;
      }
      return undefined;
    default:
      return undefined;
  }
}
