/**
 * Terminal functions: "does the process end once this function returns?" — a whole-program fact, top-down
 * over the callers. `func main` is terminal; so is a function every call of which in the program is followed
 * only by the way out of a terminal function or by a call that ends the process: `return run()` in main,
 * `srv.Shutdown(); os.Exit(0)`, a daemon's `Stop()` in the signal case whose command then returns, a `defer` in
 * a terminal function (the other deferred calls it runs on the way out are taken not to wait). A goroutine
 * that a terminal function leaves blocked does not outlive the process, so it leaks nothing.
 *
 * A CLI's command actions have the library for their caller (cli.ts); a goroutine literal's caller is the `go`
 * that started it, which ends the process when its starter waits for it and then leaves (goroutineend.ts).
 *
 * What it takes for known: that the program's call graph holds every call. A function with no callers at all
 * is not terminal (a test binary, an importer or a library may call it), nor one whose name is also used as a
 * value anywhere in the program (`http.HandleFunc("/", stop)`, `defer d.Stop`): a caller we cannot follow.
 * Test code that calls it and goes on after it returns does not make it a function the program outlives: the
 * fact holds for the program, naming that test caller as what a finding there rests on (the goroutine lives on
 * in the test binary), unless test code is all that calls it. Nor do a library's example programs (`examples/`)
 * make its functions terminal: the importers it is written for are not in sight.
 */
import { joinAssumptions, type Assumption } from '../../findings.js';
import type { Expr, Stmt } from '../../ir.js';
import { walkFunction } from '../../flow/walk.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { containsCall, exprsOfSimple, forEachSubExpr, libraryName, type CallExpr } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { Brief } from './brief.js';
import { cliRunsOf, isCommandAction } from './cli.js';
import { endsWithGoroutine } from './goroutineend.js';
import { isProgramMain, shortName } from '../names.js';
import { perProgram } from '../perprogram.js';
import { nodeLocation } from '../report.js';
import { isTestCode, showsUse } from './testcode.js';
import { valueUsesOf } from './valueuses.js';

/**
 * After the call: 0 not yet made, 1 made and nothing since but what cannot keep the process alive, 2 made and
 * something else ran since (a call, a loop going round). A join keeps the worst.
 */
type After = 0 | 1 | 2;

/**
 * Writing a line on the way out, or working out what to write (`errors.Is(err, context.Canceled)` in the
 * condition that decides whether to log): standard-library calls that return at once, and wait for nothing that
 * could keep the process alive.
 */
const HARMLESS_RE = new RegExp(
  '^(' +
    [
      String.raw`fmt\.(Print|Println|Printf|Fprint|Fprintln|Fprintf|Sprint|Sprintln|Sprintf|Errorf)`,
      String.raw`log\.(\(\*Logger\)\.)?(Print|Println|Printf)`,
      String.raw`errors\.(Is|As|Unwrap|New|Join)`,
      String.raw`(strings|strconv)\.[A-Z]\w*`,
      String.raw`os\.(Getenv|LookupEnv)`,
      String.raw`os/signal\.(Notify|Stop|Ignore)`,
      String.raw`time\.(After|NewTimer|Now|Since)`,
    ].join('|') +
    ')$',
);

/**
 * A logger's method, the project's own or a library's (`logs.Errorf`, `logger.Info`): it writes a line and
 * returns, whatever package it is in; or gives the entry to write it with (`l.WithFields(...)`). By name: loggers
 * are written in every project.
 */
const LOG_METHOD_RE = /^((Print|Debug|Info|Warn|Warning|Error|Errorf|Notice|Trace)(f|ln|w)?|With(Field|Fields|Error))$/;

/**
 * Whether the process ends once a function returns, and what that takes for granted (test callers that go on
 * after it; none: decided); false when it may go on.
 */
export type ProcessEnd = false | Assumption[];

/** The terminal-function fact of a program, computed on demand and kept with its facts. */
export const terminalOf = perProgram((facts: SyncFacts) => new Terminal(facts));

export class Terminal {
  private readonly known = new Map<FuncNode, ProcessEnd | 'busy'>();
  private readonly brief: Brief;

  constructor(private readonly facts: SyncFacts) {
    this.brief = new Brief(facts.graph, (c) => this.harmless(c));
  }

  /** Whether the process ends as soon as `fn` returns, on every way the program (tests included) reaches it. */
  isTerminal(fn: FuncNode): boolean {
    const got = this.ending(fn);
    return got !== false && got.length === 0;
  }

  /**
   * Whether the process ends as soon as `fn` returns on every way the program proper reaches it, and what that
   * takes for granted: that test code calling it and going on after it returns matters (one assumption per
   * function so called, at its first test caller); false when some way in the program proper goes on.
   */
  ending(fn: FuncNode): ProcessEnd {
    if (isProgramMain(fn)) return [];
    const got = this.known.get(fn);
    // A call back into a function under way (recursion) is a caller that may keep going.
    if (got !== undefined) return got === 'busy' ? false : got;
    this.known.set(fn, 'busy');
    const callers = this.facts.graph.callers(fn);
    // A command's action has the CLI library for its caller, which returns as the action does.
    const action = isCommandAction(this.facts.graph, fn);
    let out: ProcessEnd = action ? this.cliEnds(fn) : callers.length > 0 ? [] : false;
    let tested = false;
    for (const edge of callers) {
      if (out === false) break;
      const after = edge.mode === 'go' ? this.goroutineEnds(fn, edge) : this.endsAfter(edge);
      if (after === false && isTestCode(edge.caller)) {
        // Test code that goes on after fn returns: what fn leaves blocked lives on in the test binary only.
        if (!tested) out = [...out, testCaller(fn, edge)];
        tested = true;
      } else out = after === false ? false : joinAssumptions(out, after);
    }
    // Test callers that go on, and no others, say nothing of the program's (a library's importers are not in sight);
    // nor do example programs of a library, whose `main` ends as the call returns: its importers' need not.
    if (tested && !action && callers.every((e) => isTestCode(e.caller))) out = false;
    if (out !== false && !action && callers.some((e) => showsUse(fn, e.caller)) && callers.every((e) => showsUse(fn, e.caller) || isTestCode(e.caller))) out = false;
    // The program-wide scan of names used as values runs last, and only once some function gets that far.
    if (out !== false && !action && valueUsesOf(this.facts.graph).usedAsValue(fn)) out = false;
    this.known.set(fn, out);
    return out;
  }

  /** Whether the binaries holding the action fn start their CLI library only where the process ends once that returns. */
  private cliEnds(fn: FuncNode): ProcessEnd {
    const runs = cliRunsOf(this.facts.graph, fn);
    let out: ProcessEnd = runs.length > 0 ? [] : false;
    for (const r of runs) {
      if (out === false) break;
      const after = this.endsAfter({ caller: r.node, call: r.call, mode: 'call' });
      out = after === false ? false : joinAssumptions(out, after);
    }
    return out;
  }

  /** For a goroutine literal `fn` started by `edge`: whether its starter ends once it returns (goroutineend.ts), and the starter's ending. */
  private goroutineEnds(fn: FuncNode, edge: CallerEdge): ProcessEnd {
    const briefly = endsWithGoroutine(this.facts, fn, edge, (c) => this.harmless(c), this.brief);
    const starter = briefly === false ? false : this.ending(edge.caller);
    return starter === false || briefly === false ? false : joinAssumptions(briefly, starter);
  }

  /** Whether the process ends once `call` (made in fn) has returned, on every path of fn; what that assumes. */
  endsAfterCall(fn: FuncNode, call: CallExpr): ProcessEnd {
    return this.endsAfter({ caller: fn, call, mode: 'call' });
  }

  /** Whether the process ends once this call has returned, on every path of its caller; what that assumes (ending). */
  private endsAfter(edge: Pick<CallerEdge, 'caller' | 'call' | 'mode'>): ProcessEnd {
    const { caller, call } = edge;
    // A deferred call runs as its caller returns: `defer srv.Stop()` in main.
    if (edge.mode === 'defer') return this.ending(caller);
    if (edge.mode !== 'call') return false;
    const body = caller.decl.body;
    if (!body) return false;
    const made = (e: Expr): boolean => containsCall(e, call);
    // The program's brief calls on the way out (flushing telemetry, a last check) are let through, named.
    const passed = new Set<CallExpr>();
    const calls = (e: Expr): boolean => this.mayWait(e, call, (c) => this.brief.call(c) && passed.add(c) !== undefined);
    let again = false;
    const step = (st: Stmt, s: After): After => {
      const exprs = exprsOfSimple(st);
      if (s === 0) return exprs.some(made) ? 1 : 0;
      // The call made again: a loop that goes round after it returns (`for { if err := work(); ... }`), whose paths
      // need never leave.
      if (exprs.some(made)) again = true;
      if (s === 2 || st.k === 'return' || st.k === 'defer') return s;
      if (st.k === 'send') return 2;
      // A call that ends the process ends the path (noReturn below); any other call may keep it going.
      return st.k === 'expr' && st.x.k === 'call' && this.endsProcess(st.x) ? s : exprs.some(calls) ? 2 : s;
    };
    const { exits } = walkFunction<After>(body, 0, { join: (a, b) => (a > b ? a : b) as After, equal: (a, b) => a === b }, {
      simple: step,
      expr: (e, s) => {
        if (s !== 0 && made(e)) again = true;
        return s === 0 ? (made(e) ? 1 : 0) : s === 1 && calls(e) ? 2 : s;
      },
      recv: (_ch, s) => (s === 1 ? 2 : s),
      noReturn: (c) => c.k === 'call' && this.endsProcess(c),
    });
    if (again || exits.some((s) => s === 2)) return false;
    const briefly = [...passed].map((c) => this.brief.assumption(caller, c));
    // Every path past the call that leaves the caller must leave a terminal function.
    const after = exits.some((s) => s === 1) ? this.ending(caller) : [];
    return after === false ? false : joinAssumptions(briefly, after);
  }

  /**
   * Whether `e` makes a call (other than `except`, and those `passes` lets through) or a receive that may wait, and
   * keep the process going (`d.Stop(); <-done`).
   */
  mayWait(e: Expr, except?: CallExpr, passes?: (c: CallExpr) => boolean): boolean {
    let found = false;
    const visit = (x: Expr): void => {
      if (found) return;
      if ((x.k === 'call' && x !== except && !this.harmless(x) && !passes?.(x)) || (x.k === 'unary' && x.op === '<-')) return void (found = true);
      forEachSubExpr(x, visit);
    };
    visit(e);
    return found;
  }

  private endsProcess(call: CallExpr): boolean {
    return this.facts.noReturn.endingOf(call) === 'program';
  }

  /**
   * Whether a call returns at once, waiting for nothing that could keep the process alive (HARMLESS_RE, a logger's
   * method), or is a method of the entry such a call gives, which builds and writes the line (zerolog's
   * `log.Error().Err(err).Msg("exiting")`).
   */
  harmless(call: CallExpr): boolean {
    const name = libraryName(this.facts.graph.callInfo(call));
    if (name !== undefined && HARMLESS_RE.test(name)) return true;
    if (call.fn.k !== 'sel') return false;
    return LOG_METHOD_RE.test(call.fn.name) || (call.fn.x.k === 'call' && call.fn.x.fn.k === 'sel' && this.harmless(call.fn.x));
  }
}

/** What a leak in fn rests on when test code calls it (at `edge`) and goes on after it returns. */
function testCaller(fn: FuncNode, edge: CallerEdge): Assumption {
  return { kind: 'failed-test', text: `a goroutine left blocked when \`${shortName(fn)}\` returns to test code matters`, location: nodeLocation(edge.caller, edge.call.pos) };
}
