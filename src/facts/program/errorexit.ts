/**
 * Terminal on error: "does the process end once this function has returned a non-nil error?" — a whole-program
 * fact, top-down over the callers like terminal.ts, for the failures a program does not survive: a server's
 * start-up error that main turns into `log.Fatal`, a CLI step whose error goes up to the command and out. It
 * holds for a function whose every call takes the error and, on that path, ends the process (`log.Fatal(err)`,
 * `os.Exit`, `t.Fatal` in a test) or returns a non-nil error from a function of which the same holds, or from
 * one the process ends after anyway (terminal.ts). A goroutine left blocked only on such a return leaks nothing.
 *
 * A caller in test code that does something else with the error (stores it, compares it) is a test that then
 * fails or expects the failure: the leak lives in the test binary only, and a finding resting on it mattering
 * names that (the fact's assumptions are a finding's, not the fact's own).
 * A caller that hands the error back into a function under way (a recursion, or an interface call CHA also
 * resolves to the caller itself) is taken to end as that function's other callers do. A fatal log line whose exit
 * is out of sight (noreturn.ts) ends the error path, named.
 * Any other caller (a loop that logs and retries, a handler that reports the error and goes on serving), a
 * function used as a value, or a chain longer than MAX_DEPTH, and the fact does not hold.
 */
import { joinAssumptions, type Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { walkFunction } from '../../flow/walk.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { nilCompared } from '../../irutil.js';
import { allStmts, containsCall, exprsOfSimple, libraryName, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { perProgram } from '../perprogram.js';
import { decidingBranches } from '../evidence/branches.js';
import { nodeLocation } from '../report.js';
import { terminalOf } from './terminal.js';
import { valueUsesOf } from './valueuses.js';
import { isTestCode, showsUse } from './testcode.js';

/** When the fact holds, what a finding on such a return still takes for granted (none: decided); false when it does not. */
export type ErrorExit = false | Assumption[];

/** How many callers up an error is followed before the fact gives up. */
const MAX_DEPTH = 8;

/**
 * Library calls that make a new error, never nil: `fmt.Errorf`, `errors.New`, pkg/errors' and xerrors'
 * constructors, urfave/cli's exit errors.
 */
const NEW_ERROR_RE =
  /^(fmt\.Errorf|errors\.New|github\.com\/pkg\/errors\.(New|Errorf)|golang\.org\/x\/xerrors\.(New|Errorf)|github\.com\/urfave\/cli(\/v[0-9]+)?\.(Exit|NewExitError))$/;

/** pkg/errors' wrappers: not nil when the error they wrap (their first argument) is not. */
const WRAP_RE = /^github\.com\/pkg\/errors\.(Wrap|Wrapf|WithMessage|WithMessagef|WithStack)$/;

/** On the way from the call: 'err' while the callee's error is the path's, 'nil' past a check that it is nil. */
type State = 'before' | 'err' | 'nil';

export const errorExitOf = perProgram((facts: SyncFacts) => new ErrorExits(facts));

export class ErrorExits {
  private readonly known = new Map<FuncNode, ErrorExit>();
  /** The functions under way, by how deep in the chain of callers each was asked. */
  private readonly busy = new Map<FuncNode, number>();
  /** The shallowest function under way that the answer being worked out took to hold (Infinity: none). */
  private low = Infinity;

  constructor(private readonly facts: SyncFacts) {}

  /** Whether the process ends once `fn` has returned a non-nil error, on every way the program reaches it. */
  ends(fn: FuncNode, depth = 0): ErrorExit {
    const terminal = terminalOf(this.facts);
    if (terminal.isTerminal(fn)) return [];
    const got = this.known.get(fn);
    if (got !== undefined) return got;
    // A call back into a function under way (recursion, or an interface call that may reach the caller itself)
    // hands the error to that function's own callers, whose answer is the one being worked out: taken to hold,
    // and kept only once the function it rests on has its answer.
    const under = this.busy.get(fn);
    if (under !== undefined) {
      this.low = Math.min(this.low, under);
      return [];
    }
    if (depth > MAX_DEPTH || !returnsError(fn)) return false;
    const outer = this.low;
    this.low = Infinity;
    this.busy.set(fn, depth);
    const out = this.callersEnd(fn, depth);
    this.busy.delete(fn);
    // An answer resting on a caller still under way holds only if that caller's does: asked again after it.
    if (this.low >= depth) this.known.set(fn, out);
    this.low = Math.min(outer, this.low < depth ? this.low : Infinity);
    return out;
  }

  private callersEnd(fn: FuncNode, depth: number): ErrorExit {
    const callers = this.facts.graph.callers(fn);
    // Callers in tests and a library's examples alone say nothing of the program's (its importers are not in sight).
    let out: ErrorExit = callers.some((e) => !isTestCode(e.caller) && !showsUse(fn, e.caller)) ? [] : false;
    for (const edge of callers) {
      if (out === false) break;
      const got = this.handled(edge, depth);
      out = got === false ? false : joinAssumptions(out, got);
    }
    // A use as a value is a caller out of sight. Asked last: the program-wide scan behind it is the costly part.
    if (out !== false && valueUsesOf(this.facts.graph).usedAsValue(fn)) out = false;
    return out;
  }

  /**
   * Whether the caller, on the path where this call returned an error, ends the process or hands a non-nil error
   * to callers that do; in test code, anything else it does is assumed to fail the test.
   */
  private handled(edge: CallerEdge, depth: number): ErrorExit {
    const { caller, call } = edge;
    const got = edge.mode === 'call' ? this.walk(caller, call, depth) : false;
    if (got !== false || !isTestCode(caller)) return got;
    return [{ kind: 'failed-test', text: `a goroutine left blocked when \`${exprText(call.fn)}()\` returns an error to test code matters`, location: nodeLocation(caller, call.pos) }];
  }

  private walk(caller: FuncNode, call: CallExpr, depth: number): ErrorExit {
    const body = caller.decl.body;
    if (!body) return false;
    const errVar = errorTarget(body, call);
    const graph = this.facts.graph;
    const nameOf = (c: CallExpr) => libraryName(graph.callInfo(c));
    const fresh = (v: Expr | undefined): boolean =>
      v !== undefined &&
      (v === call || (v.k === 'id' && v.name === errVar) || newError(v, nameOf) || (v.k === 'call' && WRAP_RE.test(nameOf(v) ?? '') && fresh(v.args[0])));
    // What the error path does: makes the call again (a retry the process survives), returns something other than a
    // non-nil error (the error is dropped), or hands one up.
    let again = false;
    let dropped = false;
    let upward = false;
    // Work on the error path before the way out (another call than a log line, a receive) may keep the process going.
    let lingers = false;
    const terminal = terminalOf(this.facts);
    const end: Stmt = { k: 'return', values: [], pos: caller.decl.span.end };
    // A fatal log line whose exit is out of sight ends the path too, named where the error path relies on it.
    const fatal = (c: Expr) => (c.k === 'call' ? this.facts.noReturn.assumedExit(caller, c) : undefined);
    let exits: Assumption[] = [];
    const ends = (c: Expr) => c.k === 'call' && (this.facts.noReturn.endingOf(c) !== undefined || fatal(c) !== undefined);
    const onPath = (s: State, e: Expr): State => {
      const here = containsCall(e, call);
      if (here && s === 'err') again = true;
      if (!here && s === 'err' && terminal.mayWait(e)) lingers = true;
      return here ? 'err' : s;
    };
    walkFunction<State>([...body, end], 'before', { join: (a, b) => (a === 'err' || b === 'err' ? 'err' : a === 'nil' ? b : a), equal: (a, b) => a === b }, {
      simple: (st, s) => {
        // A return's own values make the error it hands up (`return cli.Exit(err, 2)`, `return f()`).
        if (st.k === 'return' && (s === 'err' || st.values.some((v) => containsCall(v, call)))) {
          if (s === 'err' && st.values.some((v) => containsCall(v, call))) again = true;
          if (fresh(st.values.at(-1))) upward = true;
          else dropped = true;
          return s;
        }
        // A call that never returns ends the path (noReturn); a deferred or started one does not wait here.
        if (s === 'err' && (st.k === 'defer' || st.k === 'go' || (st.k === 'expr' && ends(st.x)))) {
          const named = st.k === 'expr' ? fatal(st.x) : undefined;
          if (named) exits = joinAssumptions(exits, [named]);
          return s;
        }
        return exprsOfSimple(st).reduce(onPath, s);
      },
      expr: (e, s) => onPath(s, e),
      recv: (_ch, s) => {
        if (s === 'err') lingers = true;
        return s;
      },
      assume: (cond, holds, s) => (s === 'err' && errVar !== undefined && nilCheck(cond, errVar) === holds ? 'nil' : s),
      noReturn: ends,
    });
    if (again || lingers) return false;
    // A caller the process ends after anyway; else every way out on the error path ends it or hands the error up,
    // and failing that, a caller the process ends after save where test code calls it.
    const callerEnds = terminal.ending(caller);
    if (callerEnds !== false && callerEnds.length === 0) return exits;
    const handed = dropped ? false : upward ? this.ends(caller, depth + 1) : [];
    return handed !== false ? joinAssumptions(exits, handed) : callerEnds;
  }
}

/** The variable the call's error result is assigned to (`err := f()`, `x, err = f()`, `if err := f(); ...`). */
function errorTarget(body: Stmt[], call: CallExpr): string | undefined {
  for (const st of allStmts(body)) {
    if (st.k === 'assign' && st.rhs.length === 1 && st.rhs[0] === call) {
      const last = st.lhs.at(-1);
      return last?.k === 'id' && last.name !== '_' ? last.name : undefined;
    }
    if (st.k === 'var' && st.values.length === 1 && st.values[0] === call) return st.names.at(-1);
  }
  return undefined;
}

/** For `v != nil` (`v == nil`), the value it has when v is not nil: true (false); undefined for any other condition. */
export function notNilWhen(cond: Expr, v: string): boolean | undefined {
  const nil = nilCheck(cond, v);
  return nil === undefined ? undefined : !nil;
}

/** For `v != nil` (`v == nil`), the value it has when v is nil: false (true); undefined for any other condition. */
function nilCheck(cond: Expr, v: string): boolean | undefined {
  if (cond.k === 'unary' && cond.op === '!') {
    const inner = nilCheck(cond.x, v);
    return inner === undefined ? undefined : !inner;
  }
  const nil = nilCompared(cond);
  return nil?.x.k === 'id' && nil.x.name === v ? nil.op === '==' : undefined;
}

/** A new error, never nil: a constructor's (`fmt.Errorf`, `errors.New`), a composite literal. */
export function newError(v: Expr, nameOf: (c: CallExpr) => string | undefined): boolean {
  if (v.k === 'composite' || (v.k === 'unary' && v.op === '&' && v.x.k === 'composite')) return true;
  return v.k === 'call' && NEW_ERROR_RE.test(nameOf(v) ?? '');
}

/** Whether `fn`'s last result is an `error`. */
export function returnsError(fn: FuncNode): boolean {
  const t = fn.decl.results.at(-1)?.type;
  return t?.k === 'name' && t.pkg === undefined && t.name === 'error';
}

/** The error values fn's returns hand back known not to be nil: a new error, or a variable just checked not nil. */
export function failingReturns(fn: FuncNode, facts: SyncFacts): Set<Expr> {
  const out = new Set<Expr>();
  const body = fn.decl.body ?? [];
  for (const st of allStmts(body)) {
    const v = st.k === 'return' ? st.values.at(-1) : undefined;
    if (!v) continue;
    const checked = v.k === 'id' && (decidingBranches(body, st.pos) ?? []).some((b) => b.kind === 'if' && b.taken !== undefined && notNilWhen(b.conds[0]!, v.name) === b.taken);
    if (checked || newError(v, (c) => libraryName(facts.graph.callInfo(c)))) out.add(v);
  }
  return out;
}
