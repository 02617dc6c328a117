/**
 * No-return: which calls never come back to their caller, so that a path "continuing" after one is no
 * path at all. Three sources, one answer:
 * - library functions known never to return, by resolved Go name (`testing.(*T).Fatalf`, `os.Exit`);
 * - program functions none of whose paths returns, inferred bottom-up over the call graph (a test helper
 *   that ends in `t.Fatal` on every path, a project's `FatalStack` that ends in `os.Exit`);
 * - calls we cannot see into whose name says they may not return (`s.Require().FailNow()`): not taken as
 *   no-return, but a finding whose path goes on past one names that as its assumption.
 */
import type { Assumption } from '../findings.js';
import type { Expr, Stmt } from '../ir.js';
import type { CallGraph, CallInfo, FuncNode } from '../resolve/callgraph.js';
import { walkFunction } from '../flow/walk.js';
import { exprText } from '../irtext.js';
import { allStmts, libraryName, type CallExpr } from './calls.js';
import { nodeLocation } from './report.js';
import { run, type Steps } from './steps.js';

/**
 * How a call that never returns ends things: the goroutine, running its defers (`runtime.Goexit`,
 * `t.FailNow`); a panic, unwinding with its defers (a deferred `recover` may stop it); the whole program
 * (`os.Exit`, `log.Fatal`); or never (a loop with no way out, `select {}`).
 */
export type Ending = 'goroutine' | 'panic' | 'program' | 'forever';

const TESTING = String.raw`testing\.(\(\*(T|B|F|common)\)|TB)\.(Fatal|Fatalf|FailNow|Skip|Skipf|SkipNow)`;
const LOG_FATAL = String.raw`log\.(\(\*Logger\)\.)?(Fatal|Fatalf|Fatalln)`;
const LOG_PANIC = String.raw`log\.(\(\*Logger\)\.)?(Panic|Panicf|Panicln)`;
const TESTIFY = String.raw`github\.com/stretchr/testify`;
/**
 * testify's `require.Fail`/`Failf`/`FailNow`/`FailNowf` (and `assert.FailNow`) end in `t.FailNow()`; a suite's `FailNow` is
 * its embedded `*assert.Assertions`'. `assert.Fail` returns, and so is not here.
 */
const TESTIFY_FAILNOW = String.raw`${TESTIFY}/(require\.(\(\*Assertions\)\.)?(Fail|Failf|FailNow|FailNowf)|assert\.(\(\*Assertions\)\.)?FailNow|suite\.\(\*Suite\)\.FailNow)`;
/**
 * Loggers whose Fatal exits the process after writing: logrus (through its ExitFunc, `os.Exit` unless a
 * test swaps it), zap (a fatal hook that returns is replaced by one that exits), klog and glog.
 */
const LOGGERS_FATAL = [
  String.raw`github\.com/sirupsen/logrus\.((\(\*(Logger|Entry)\)|FieldLogger|Ext1FieldLogger)\.)?(Fatal|Fatalf|Fatalln)`,
  String.raw`go\.uber\.org/zap\.\(\*(Logger|SugaredLogger)\)\.(Fatal|Fatalf|Fatalw|Fatalln)`,
  String.raw`k8s\.io/klog(/v2)?\.(Fatal|Fatalf|Fatalln|FatalDepth|Exit|Exitf|Exitln|ExitDepth)`,
  String.raw`github\.com/golang/glog\.(Fatal|Fatalf|Fatalln|FatalDepth|Exit|Exitf|Exitln|ExitDepth)`,
].join('|');

/** Loggers whose Panic writes, then panics: logrus's and zap's (zap's DPanic panics only in development). */
const LOGGERS_PANIC = [
  String.raw`github\.com/sirupsen/logrus\.((\(\*(Logger|Entry)\)|FieldLogger|Ext1FieldLogger)\.)?(Panic|Panicf|Panicln)`,
  String.raw`go\.uber\.org/zap\.\(\*(Logger|SugaredLogger)\)\.(Panic|Panicf|Panicw|Panicln)`,
].join('|');

const KNOWN: [RegExp, Ending][] = [
  [new RegExp(`^(${TESTING}|runtime\\.Goexit|${TESTIFY_FAILNOW})$`), 'goroutine'],
  [new RegExp(`^(os\\.Exit|syscall\\.Exit|${LOG_FATAL}|${LOGGERS_FATAL})$`), 'program'],
  [new RegExp(`^(${LOG_PANIC}|${LOGGERS_PANIC})$`), 'panic'],
];

/**
 * Loggers whose fatal or panic level is written through a chain of calls on a value from outside the program,
 * whose type the engine does not see: zerolog's `log.Fatal()` returns an event, and writing it (`.Msg`, `.Msgf`,
 * `.MsgFunc`, `.Send`, after any `.Str(...)`, `.Err(...)` in between) exits; zap's `zap.L()`/`zap.S()` return
 * its global loggers, whose Fatal exits. Each: the library call at the root of the chain (by resolved Go
 * name, so a project's own `log.Fatal()` is not taken for it), the method that ends the chain, and how.
 */
const ZEROLOG_LEVEL = String.raw`^github\.com/rs/zerolog(/log|\.\(\*?Logger\))\.`;
const ZAP_GLOBAL = /^go\.uber\.org\/zap\.(L|S)$/;
const CHAINS: { root: RegExp; last: RegExp; ending: Ending }[] = [
  { root: new RegExp(`${ZEROLOG_LEVEL}Fatal$`), last: /^(Msg|Msgf|MsgFunc|Send)$/, ending: 'program' },
  { root: new RegExp(`${ZEROLOG_LEVEL}Panic$`), last: /^(Msg|Msgf|MsgFunc|Send)$/, ending: 'panic' },
  { root: ZAP_GLOBAL, last: /^(Fatal|Fatalf|Fatalw|Fatalln)$/, ending: 'program' },
  { root: ZAP_GLOBAL, last: /^(Panic|Panicf|Panicw|Panicln)$/, ending: 'panic' },
];
const CHAIN_LAST_RE = new RegExp(CHAINS.map((c) => c.last.source).join('|'));

/**
 * The method or function name of a call we cannot see into that says it may end the goroutine or the
 * process (a test's `SkipNow`/`Skipf` end it as `FailNow` does; a bare `Skip` is too common a name). `Must*` is
 * left out: those panic only on an error, and mostly return.
 */
const MAY_NOT_RETURN_RE = /^(Fatal|Fatalf|Fatalln|Fatalw|FatalStack|FailNow|SkipNow|Skipf|Exit|Exitf|Goexit|Panic|Panicf|Panicln)$/;

/**
 * The name of a fatal log line, which writes and then exits: `log.Fatalf`, a project's `blog.Fatalf`. Where the exit
 * is out of sight (a library's logger), or decided by a value (glog's `Fatalf` exits deep in its writer, on the
 * level it is given), the name is the evidence.
 */
const FATAL_RE = /^(Fatal|Fatalf|Fatalln|Fatalw)$/;

/** Marks a function whose inference is under way: a call back into it (recursion) may return. */
const BUSY = 'busy';
const RETURNS = 'returns';
/** A function none of whose paths returns if the calls named like no-return ones that it cannot see into don't. */
const MAYBE = 'maybe';

/** Of two ways a call may end, the one that keeps the most going (what a caller may rely on for both). */
function weaker(a: Ending, b: Ending): Ending {
  for (const e of ['forever', 'goroutine', 'panic'] as const) if (a === e || b === e) return e;
  return 'program';
}

export class NoReturn {
  constructor(private readonly graph: CallGraph) {}

  private readonly inferred = new Map<FuncNode, Ending | typeof BUSY | typeof RETURNS | typeof MAYBE>();

  /**
   * The answer per CallInfo (calls that resolve alike share one), and per Go name for library calls,
   * whose CallInfos are one per call.
   */
  private readonly byInfo = new Map<CallInfo, Ending | typeof RETURNS>();
  private readonly byName = new Map<string, Ending | typeof RETURNS>();

  /** How a call ends, when it never returns to its caller; undefined when it may return. */
  endingOf(call: CallExpr): Ending | undefined {
    const chained = this.chainEnding(call);
    if (chained) return chained;
    const info = this.graph.callInfo(call);
    const got = info.kind === 'external' ? this.byName.get(info.name) : this.byInfo.get(info);
    if (got !== undefined) return got === RETURNS ? undefined : got;
    for (const t of this.programTargets(info)) if (!this.inferred.has(t)) run(this.infer(t));
    const out = this.settled(info);
    if (info.kind === 'external') this.byName.set(info.name, out ?? RETURNS);
    else this.byInfo.set(info, out ?? RETURNS);
    return out;
  }

  /**
   * For a call we cannot see into whose name says it may not return (`suite.FailNow()`, `logger.Fatalf`),
   * the assumption that it returns, which a finding on a path past it rests on; undefined for every other call.
   */
  assumedReturn(node: FuncNode, call: CallExpr): Assumption | undefined {
    const info = this.graph.callInfo(call);
    if (info.kind === 'resolved') {
      // A helper of the program that ends in such a call on every path (`fatalf` wrapping `f.FailNow()`).
      if (this.endingOf(call) !== undefined || !this.mayEnd(call)) return undefined;
    } else if (!this.namedToEnd(call, info) || this.endingOf(call) !== undefined) return undefined;
    const shown = info.kind === 'external' && !info.name.startsWith('?.') ? info.name : exprText(call.fn);
    return { kind: 'returns', text: `\`${shown}()\` returns`, location: nodeLocation(node, call.pos) };
  }

  /**
   * For a call named like a fatal log line (`blog.Fatalf(...)`) not known to end the process, the assumption that it
   * does, which a finding resting on the process's end past it names; undefined for every other call.
   */
  assumedExit(node: FuncNode, call: CallExpr): Assumption | undefined {
    const name = call.fn.k === 'sel' || call.fn.k === 'id' ? call.fn.name : undefined;
    if (name === undefined || !FATAL_RE.test(name) || this.endingOf(call) !== undefined) return undefined;
    return { kind: 'process-end', text: `\`${exprText(call.fn)}()\` ends the process`, location: nodeLocation(node, call.pos) };
  }

  /** How a call ends that writes a logger's fatal or panic level through a chain (CHAINS); undefined for others. */
  private chainEnding(call: CallExpr): Ending | undefined {
    // Asked of every call the walks meet: most are turned away by the method's name before anything else.
    if (call.fn.k !== 'sel' || call.fn.x.k !== 'call' || !CHAIN_LAST_RE.test(call.fn.name)) return undefined;
    const last = call.fn.name;
    const chains = CHAINS.filter((c) => c.last.test(last));
    for (let x: Expr = call.fn.x; x.k === 'call' && x.fn.k === 'sel'; x = x.fn.x) {
      const name = libraryName(this.graph.callInfo(x));
      const hit = name === undefined ? undefined : chains.find((c) => c.root.test(name));
      if (hit) return hit.ending;
    }
    return undefined;
  }

  /** How a call ends when it never returns, from what is known or inferred so far; undefined when it may return. */
  private callEnding(call: CallExpr): Ending | undefined {
    return this.chainEnding(call) ?? this.settled(this.graph.callInfo(call));
  }

  /** An external or unresolved call whose name says it may not return. */
  private namedToEnd(call: CallExpr, info: CallInfo): boolean {
    const name = call.fn.k === 'sel' || call.fn.k === 'id' ? call.fn.name : undefined;
    return (info.kind === 'external' || info.kind === 'unresolved') && name !== undefined && MAY_NOT_RETURN_RE.test(name);
  }

  /** Whether a call never returns, or may not by its name or a helper's (whose targets are inferred). */
  private mayEnd(call: CallExpr): boolean {
    const info = this.graph.callInfo(call);
    if (this.callEnding(call) !== undefined || this.namedToEnd(call, info)) return true;
    const targets = this.programTargets(info);
    return (
      targets.length > 0 &&
      targets.every((t) => {
        const e = this.inferred.get(t);
        return e !== undefined && e !== BUSY && e !== RETURNS;
      })
    );
  }

  /** The answer for a call whose program targets are all inferred (or under way, which counts as returning). */
  private settled(info: CallInfo): Ending | undefined {
    if (info.kind === 'builtin') return info.name === 'panic' ? 'panic' : undefined;
    const name = libraryName(info);
    if (name !== undefined) for (const [re, ending] of KNOWN) if (re.test(name)) return ending;
    const targets = this.programTargets(info);
    if (targets.length === 0) return undefined;
    let out: Ending | undefined;
    for (const t of targets) {
      const e = this.inferred.get(t);
      if (e === undefined || e === BUSY || e === RETURNS || e === MAYBE) return undefined;
      out = out === undefined ? e : weaker(out, e);
    }
    return out;
  }

  private programTargets(info: CallInfo): FuncNode[] {
    return info.kind === 'resolved' ? info.targets.map((t) => t.callee) : [];
  }

  /**
   * Whether none of a function's paths returns, callees first (on the explicit stack of steps.ts: call
   * chains are deep). A path ends at a call that never returns, a loop with no way out, or a `select {}`.
   */
  private *infer(node: FuncNode): Steps<void> {
    if (this.inferred.has(node)) return;
    this.inferred.set(node, BUSY);
    const body = node.decl.body;
    const stmts = body ? allStmts(body) : [];
    // The walk ends a path at a goto without following it: such a function is taken to return.
    if (!body || stmts.some((s) => s.k === 'branch' && s.kind === 'goto')) {
      this.inferred.set(node, RETURNS);
      return;
    }
    const calls = stmts.flatMap((s) => (s.k === 'expr' && s.x.k === 'call' ? [s.x] : []));
    for (const c of calls) for (const t of this.programTargets(this.graph.callInfo(c))) if (!this.inferred.has(t)) yield this.infer(t);
    const defers = stmts.some((s) => s.k === 'defer');
    const ends = calls.some((c) => this.callEnding(c) !== undefined) || stmts.some(endless);
    const sure = ends ? this.walkEnding(body, defers, (c) => this.callEnding(c)) : undefined;
    // Else, if paths that return all pass a call that may not: the function may not either.
    const maybe = !sure && calls.some((c) => this.mayEnd(c)) && this.walkEnding(body, defers, (c) => (this.mayEnd(c) ? (this.callEnding(c) ?? 'forever') : undefined));
    this.inferred.set(node, sure ?? (maybe ? MAYBE : RETURNS));
  }

  /** How a body ends when no path of it returns, paths ending at the calls `ending` names; undefined when one does. */
  private walkEnding(body: Stmt[], defers: boolean, ending: (call: CallExpr) => Ending | undefined): Ending | undefined {
    let out: Ending | undefined;
    const { exits } = walkFunction<true>(body, true, { join: () => true, equal: () => true }, {
      simple: (_st, s) => s,
      expr: (_e, s) => s,
      noReturn: (call) => {
        if (call.k !== 'call') return false;
        const e = ending(call);
        // A deferred function may recover the panic, and the function then returns.
        if (e === undefined || (e === 'panic' && defers)) return false;
        out = out === undefined ? e : weaker(out, e);
        return true;
      },
    });
    return exits.length ? undefined : (out ?? 'forever');
  }
}

/** `for {}` with no condition, or `select {}`: a statement that may end every path through it. */
function endless(s: Stmt): boolean {
  return (s.k === 'for' && !s.cond && !s.range) || (s.k === 'select' && s.cases.length === 0);
}
