/**
 * Process contexts: "is this context done only as the process ends?" — a context that lives as long as the
 * program: `signal.NotifyContext` made in a function the process ends after (main, a CLI's start), a cobra
 * command's `cmd.Context()` when the CLI is started with such a context (or none: then it is never done), one
 * derived from those by `context.WithCancel` whose cancel runs only as a terminal function returns, and any of them
 * passed down as an argument, or kept in a field every value of which is one (fieldsources.ts: a server's base built
 * by its constructor from main's context). What happens only once such a context is done happens on the way out.
 *
 * A cancel function handed on elsewhere may run earlier (a helper that cancels on its own failure): a finding that
 * rests on the context living on names that (`cancel` may cancel the context before fn returns). One called only
 * once a signal asking the process to end has arrived (`<-sigs; cancel()`, signals.ts), or in a goroutine started
 * only then (`<-sigs; go func() { sleep(grace); cancel() }()`), is the way out. One only deferred in the function
 * that waits on the context, or in a caller it runs within, runs after that wait, whether or not the process ends
 * then.
 *
 * Named where the evidence stops short (process-end): a signal context made in a function the process may outlive
 * (`Run` in main, followed by a flush), a library's signal handler (`ctrl.SetupSignalHandler()`, whose source
 * is out of sight), and an errgroup's context made in a function the process ends after once `g.Wait()` returns
 * (done too when a member fails: the other members are taken to return then). Named as calls out of sight: a runnable's `Start(ctx)` run by a component manager
 * (runnables.ts) with the context the program starts the manager with, and a context passed on through a call that
 * derives it (`ctx, end := StartTrace(ctx, ...)`) without making one it can end itself.
 */
import { joinAssumptions, type Assumption } from '../../findings.js';
import type { Expr } from '../../ir.js';
import { exprText } from '../../irtext.js';
import { storageKey, type Storage } from '../../resolve/bindings.js';
import type { CallerEdge, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, literalsOf, type CallExpr } from '../calls.js';
import { cliActionsOf } from './cli.js';
import { afterShutdownSignal } from './signals.js';
import type { SyncFacts } from '../engine.js';
import type { ErrorExit } from './errorexit.js';
import { nodeLocation } from '../report.js';
import { perProgram } from '../perprogram.js';
import { fieldSources } from './fieldsources.js';
import { managedStarts } from './runnables.js';
import { terminalOf } from './terminal.js';
import { isTestCode } from './testcode.js';
import { valueUsesOf } from './valueuses.js';

/** How many calls up (or derivations back) a context is followed. */
const MAX_DEPTH = 12;

const NEVER_DONE = new Set(['context.Background', 'context.TODO', 'context.WithoutCancel']);
/** A derivation done exactly when its parent is. */
const VALUE_ONLY = 'context.WithValue';
const DERIVED = new Set(['context.WithCancel', 'context.WithCancelCause']);
/** The derivations that make a context done earlier than its parent (a timeout, a cancel of its own, a group's failure). */
const ENDS_OWN_RE = /^(context\.With(Cancel|Timeout|Deadline)(Cause)?|golang\.org\/x\/sync\/errgroup\.WithContext)$/;
/** An outside function whose name says it may end the context it derives. */
const ENDING_NAME_RE = /Cancel|Timeout|Deadline/i;
const SIGNAL = 'os/signal.NotifyContext';
const ERRGROUP = 'golang.org/x/sync/errgroup.WithContext';
/**
 * A library's signal handler for the process's end: installed for SIGINT and SIGTERM, it returns a context done on
 * the first (controller-runtime's `SetupSignalHandler`, k8s apiserver's `SetupSignalContext`, and their copies).
 * By name, its source being out of sight.
 */
const SIGNAL_HANDLER_RE = /\.Setup\w*Signal(Handler|Context)$/;
const COBRA_CONTEXT = 'github.com/spf13/cobra.(*Command).Context';
/** cobra's Execute and ExecuteC run with a background context; the Context forms with the one they are given. */
const COBRA_RUN_WITH = /^github\.com\/spf13\/cobra\.\(\*Command\)\.ExecuteContextC?$/;

/** The context `<-ctx.Done()` receives from, as written; undefined for any other channel. */
export function doneOf(ch: Expr): Expr | undefined {
  return ch.k === 'call' && ch.args.length === 0 && ch.fn.k === 'sel' && ch.fn.name === 'Done' ? ch.fn.x : undefined;
}

/** A question: the facts, and whether an answer was cut short by MAX_DEPTH (a `false` that may not hold from another start). */
interface Query {
  facts: SyncFacts;
  cut: boolean;
}

/**
 * Where a context is asked about: how many calls (or derivations) above the function that waits on it; whether
 * given a new value from the one passed (`ctx, cancel := context.WithCancel(ctx)`: the value passed is asked
 * about, not the new one); and whether that function runs within this one (only calls in between, no goroutine
 * or deferred call): a cancel deferred here then runs after the wait.
 */
interface At {
  depth: number;
  incoming: boolean;
  sync: boolean;
  /** Asked through a field an object keeps from its constructor on: the object's lifetime context. */
  kept: boolean;
}

/**
 * The answers for a context as written, and where it is asked about, found above the function waiting: a chain of
 * callers is shared by the contexts of every function it reaches.
 */
const answersOf = perProgram((_facts: SyncFacts) => new Map<string, Map<Expr, ErrorExit>>());

/** Whether the context `e` (in fn's body) is done only as the process ends, and what that assumes; false if not known to be. */
export function processContext(facts: SyncFacts, fn: FuncNode, e: Expr): ErrorExit {
  return contextOf({ facts, cut: false }, fn, e, { depth: 0, incoming: false, sync: true, kept: false });
}

function contextOf(q: Query, fn: FuncNode, e: Expr, at: At): ErrorExit {
  if (at.depth > MAX_DEPTH) {
    q.cut = true;
    return false;
  }
  const answers = answersOf(q.facts);
  const key = `${at.incoming}${at.sync}${at.kept}`;
  const known = answers.get(key) ?? new Map<Expr, ErrorExit>();
  answers.set(key, known);
  const got = known.get(e);
  if (got !== undefined) return got;
  const cut = q.cut;
  q.cut = false;
  const out = contextAt(q, fn, e, at);
  if (out !== false || !q.cut) known.set(e, out);
  q.cut ||= cut;
  return out;
}

/** The next question up: a caller's argument, a derivation's parent. */
const up = (at: At, sync: boolean, incoming = false): At => ({ depth: at.depth + 1, incoming, sync, kept: at.kept });

function contextAt(q: Query, fn: FuncNode, e: Expr, at: At): ErrorExit {
  const graph = q.facts.graph;
  if (e.k === 'call') return madeBy(q, fn, e, { ...at, incoming: false });
  // A context a server keeps in a field from its constructor on: each value the field is ever given.
  if (e.k === 'sel') return fromField(q, fn, e, at);
  if (e.k !== 'id') return false;
  const s = graph.storageOf(fn, e);
  if (s?.kind !== 'param' && s?.kind !== 'local') return false;
  const owner = graph.byId.get(s.fn);
  if (!owner) return false;
  // A variable of an enclosing function, used in a literal that may run as a goroutine.
  const here: At = { ...at, sync: at.sync && owner === fn };
  if (s.kind === 'param') {
    // Each caller's argument, and each start of a manager the function is handed to as a runnable's Start.
    const callers = graph.callers(owner);
    const managed = s.index === 0 ? (managedStarts(graph, owner) ?? []) : [];
    if (s.index < 0) return false;
    // No caller in sight but tests: when only an importer can make the value keeping it, the importer's lifetime.
    const byImporter = (known: Assumption[]): ErrorExit => (at.kept && importersCall(owner) ? joinAssumptions(known, [lifetime(owner)]) : false);
    if (callers.length + managed.length === 0) return byImporter([]);
    const index = s.index;
    let out: Assumption[] = [];
    // A test that hands the program's function a context it cancels early says nothing of the program's own
    // callers: named once, as terminal.ts names a test that goes on after a terminal function returns.
    let tested = false;
    for (const edge of callers) {
      const arg = edge.call.args[index];
      const got = arg && !edge.call.spread ? contextOf(q, edge.caller, arg, up(at, here.sync && edge.mode === 'call')) : false;
      if (got === false && isTestCode(edge.caller) && !isTestCode(owner)) {
        if (!tested) out = joinAssumptions(out, [testContext(owner, edge)]);
        tested = true;
        continue;
      }
      if (got === false) return false;
      out = joinAssumptions(out, got);
    }
    // Tests alone say nothing of the program's callers.
    if (tested && managed.length === 0 && callers.every((e) => isTestCode(e.caller))) return byImporter(out);
    for (const m of managed) {
      const got = contextOf(q, m.node, m.ctx, up(at, false));
      if (got === false) return false;
      out = joinAssumptions(out, [...got, m.assumed]);
    }
    // A function used as a value may have callers we cannot see. Asked last: the program-wide scan behind it is costly.
    if (valueUsesOf(graph).calledOutOfSight(owner)) return false;
    // `ctx, cancel := context.WithCancel(ctx)` gives the parameter a new value, made from the one passed.
    if (at.incoming) return out;
    for (const st of allStmts(owner.decl.body ?? [])) {
      if (st.k !== 'assign' || !st.lhs.some((l) => l.k === 'id' && sameStorage(graph.storageOf(owner, l), s))) continue;
      const result = st.lhs.findIndex((l) => l.k === 'id' && sameStorage(graph.storageOf(owner, l), s));
      const made = st.rhs.length === 1 && st.rhs[0]!.k === 'call' ? madeBy(q, owner, st.rhs[0]!, { ...here, incoming: true }, result) : false;
      if (made === false) return false;
      out = joinAssumptions(out, made);
    }
    return out;
  }
  const v = graph.locals(owner).find((l) => l.storage.name === s.name);
  if (v?.def.k !== 'expr' || v.def.e.k !== 'call') return false;
  let out = madeBy(q, owner, v.def.e, here, v.def.index);
  // `g, ctx := errgroup.WithContext(ctx)` gives the variable a new value, made from the one it had; asked about
  // that one, the declaration answers.
  if (out === false || at.incoming) return out;
  for (const st of allStmts(owner.decl.body ?? [])) {
    if (st.k !== 'assign' || st.rhs.includes(v.def.e)) continue;
    const result = st.lhs.findIndex((l) => l.k === 'id' && sameStorage(graph.storageOf(owner, l), s));
    if (result < 0) continue;
    const made = st.rhs.length === 1 && st.rhs[0]!.k === 'call' ? madeBy(q, owner, st.rhs[0]!, { ...here, incoming: true }, result) : false;
    if (made === false) return false;
    out = joinAssumptions(out, made);
  }
  return out;
}

/** A context kept in a field (fieldsources.ts): done only as the process ends when every value it is given is. */
function fromField(q: Query, fn: FuncNode, e: Expr, at: At): ErrorExit {
  const sources = fieldSources(q.facts.graph, fn, e);
  if (!sources) return false;
  let out: Assumption[] = [];
  for (const src of sources) {
    const got = contextOf(q, src.node, src.value, up({ ...at, kept: true }, false));
    if (got === false) return false;
    out = joinAssumptions(out, got);
  }
  return out;
}

function sameStorage(a: Storage | undefined, b: Storage): boolean {
  return a !== undefined && storageKey(a) !== undefined && storageKey(a) === storageKey(b);
}

/**
 * A context as the call that makes it (its result at `result`): never done, a signal's, a cobra command's, derived
 * from one of those, or passed on through a call that derives it. Only a function of the program is followed to a
 * context among other results (`out, ctx = WithEventContext(ctx, out)`): an outside one's may be another's
 * (errgroup's `g, gctx := errgroup.WithContext(ctx)`).
 */
function madeBy(q: Query, fn: FuncNode, call: CallExpr, at: At, result = 0): ErrorExit {
  const { facts } = q;
  const info = facts.graph.callInfo(call);
  const name = libraryName(info) ?? '';
  const parent = call.args[0];
  const known = result === 0 ? name : '';
  if (result === 1 && name === ERRGROUP) return groupContext(q, fn, call, at);
  if (result !== 0 && info.kind !== 'resolved') return false;
  if (NEVER_DONE.has(known)) return [];
  if (known === SIGNAL) {
    const from = parent ? contextOf(q, fn, parent, up(at, at.sync, at.incoming)) : false;
    return from === false || terminalOf(facts).isTerminal(fn) ? from : [...from, outlived(fn, call, `the signal context made in ${fn.decl.name || 'this function'}`)];
  }
  if (info.kind === 'external' && SIGNAL_HANDLER_RE.test(known)) return [outlived(fn, call, `\`${exprText(call.fn)}()\`'s context`)];
  if (known === COBRA_CONTEXT) return commandContexts(q, at);
  const derives = DERIVED.has(known) || known === VALUE_ONLY;
  if (!derives && !(parent && passedOn(q, fn, call, name))) return result === 0 ? returnedBy(q, call, at) : false;
  if (!parent) return false;
  const from = contextOf(q, fn, parent, up(at, at.sync, at.incoming));
  if (from === false || known === VALUE_ONLY) return from;
  return DERIVED.has(known) ? cancelledOnExit(q, fn, call, from, at.sync) : [...from, passes(fn, call, parent)];
}

/**
 * A context a function of the program makes and returns (`ctx := preCommand(ctx, name)`, a project's own signal
 * handler): what each of its returns gives, asked in that function.
 */
function returnedBy(q: Query, call: CallExpr, at: At): ErrorExit {
  const info = q.facts.graph.callInfo(call);
  if (info.kind !== 'resolved' || info.targets.length !== 1) return false;
  const callee = info.targets[0]!.callee;
  let out: ErrorExit = false;
  for (const st of allStmts(callee.decl.body ?? [])) {
    if (st.k !== 'return') continue;
    const got = st.values.length > 0 ? contextOf(q, callee, st.values[0]!, up(at, false)) : false;
    if (got === false) return false;
    out = joinAssumptions(out || [], got);
  }
  return out;
}

/**
 * An errgroup's context (`g, gctx := errgroup.WithContext(parent)`): done when its parent is, or once a member of
 * the group fails. That failure is the way out when the function making the group is one the process ends after,
 * and the process ends once its `g.Wait()` returns: named, since Wait returns only once the other members do too.
 */
function groupContext(q: Query, fn: FuncNode, call: CallExpr, at: At): ErrorExit {
  const { facts } = q;
  const st = allStmts(fn.decl.body ?? []).find((x) => x.k === 'assign' && x.rhs.length === 1 && x.rhs[0] === call);
  const g = st?.k === 'assign' ? st.lhs[0] : undefined;
  const parent = call.args[0];
  if (g?.k !== 'id' || !parent) return false;
  const terminal = terminalOf(facts);
  const waits: CallExpr[] = [];
  forEachExpr(fn.decl.body ?? [], (e) => {
    if (e.k === 'call' && e.fn.k === 'sel' && e.fn.name === 'Wait' && e.fn.x.k === 'id' && e.fn.x.name === g.name) waits.push(e);
  });
  let out: ErrorExit = waits.length > 0 ? terminal.ending(fn) : false;
  for (const w of waits) {
    if (out === false) break;
    const after = terminal.endsAfterCall(fn, w);
    out = after === false ? false : joinAssumptions(out, after);
  }
  if (out === false) return false;
  const from = contextOf(q, fn, parent, up(at, at.sync, at.incoming));
  if (from === false) return false;
  const group: Assumption = {
    kind: 'process-end',
    text: `\`${g.name}\`'s members return once one fails, and the process ends after \`${g.name}.Wait()\``,
    location: nodeLocation(fn, call.pos),
  };
  return joinAssumptions(joinAssumptions(from, out), [group]);
}

/** That a signal context is done only as the process ends, where the process may outlive the function making it. */
function outlived(fn: FuncNode, call: CallExpr, what: string): Assumption {
  return { kind: 'process-end', text: `${what} is done only as the process ends`, location: nodeLocation(fn, call.pos) };
}

/** That a call given a context returns one done only when it is. */
/** Whether only an importer of fn's package can call it: exported, outside `package main` and tests. */
function importersCall(fn: FuncNode): boolean {
  return /^\p{Lu}/u.test(fn.decl.name) && fn.file.packageName !== 'main' && !isTestCode(fn);
}

/**
 * That the context an importer hands a constructor, kept by the value it makes, ends only as the process does: a
 * server's lifetime, not a request's. Nothing in the program makes the value, so nothing shows which.
 */
function lifetime(fn: FuncNode): Assumption {
  return { kind: 'process-end', text: `the context an importer hands \`${fn.decl.name}\` ends only as the process does (each earlier end leaves a goroutine blocked)`, location: nodeLocation(fn, fn.decl.span.start) };
}

/** That a test's own context, cancelled when the test chooses, matters no more than the test's goroutines do. */
function testContext(fn: FuncNode, edge: CallerEdge): Assumption {
  return { kind: 'failed-test', text: `a goroutine left blocked when test code cancels the context it hands \`${fn.decl.name}\` matters`, location: nodeLocation(edge.caller, edge.call.pos) };
}

function passes(fn: FuncNode, call: CallExpr, parent: Expr): Assumption {
  return { kind: 'opaque-call', text: `\`${exprText(call.fn)}(...)\` returns a context done only when \`${exprText(parent)}\` is`, location: nodeLocation(fn, call.pos) };
}

/**
 * Whether a call given a context may be taken to pass it on (`ctx, end := StartTrace(ctx, name)`, a logger put in
 * it): not a derivation that ends its own (a timeout), nor a function of the program that makes one, nor an
 * outside one whose name says it may.
 */
function passedOn(q: Query, fn: FuncNode, call: CallExpr, name: string): boolean {
  if (ENDS_OWN_RE.test(name) || DERIVED.has(name)) return false;
  const info = q.facts.graph.callInfo(call);
  if (info.kind === 'external') return !ENDING_NAME_RE.test(name);
  if (info.kind !== 'resolved' || info.targets.length !== 1) return false;
  const callee = info.targets[0]!.callee;
  let ends = false;
  for (const node of [callee, ...literalsOf(callee, q.facts.graph).values()]) {
    forEachExpr(node.decl.body ?? [], (e) => {
      ends ||= e.k === 'call' && ENDS_OWN_RE.test(libraryName(q.facts.graph.callInfo(e)) ?? '');
    });
  }
  return !ends && callee !== fn;
}

/** The contexts every start of the program's cobra commands runs them with. */
function commandContexts(q: Query, at: At): ErrorExit {
  const { runs } = cliActionsOf(q.facts.graph);
  if (runs.length === 0) return false;
  let out: Assumption[] = [];
  for (const r of runs) {
    const with_ = COBRA_RUN_WITH.test(libraryName(q.facts.graph.callInfo(r.call)) ?? '');
    const got = with_ ? (r.call.args[0] ? contextOf(q, r.node, r.call.args[0], up(at, false)) : false) : [];
    if (got === false) return false;
    out = joinAssumptions(out, got);
  }
  return out;
}

/**
 * A derived context's cancel: deferred in a function the process ends after is the way out; deferred in one the
 * waiting function runs within (`sync`), it runs after the wait. Handed on or called anywhere else, it may run
 * earlier, which a finding then names (at its first such use) where the process ends after the function.
 */
function cancelledOnExit(q: Query, fn: FuncNode, call: CallExpr, from: Assumption[], sync: boolean): ErrorExit {
  const { facts } = q;
  const st = allStmts(fn.decl.body ?? []).find((x) => x.k === 'assign' && x.rhs.length === 1 && x.rhs[0] === call);
  const cancel = st?.k === 'assign' ? st.lhs[1] : undefined;
  if (cancel?.k !== 'id' || cancel.name === '_') return false;
  // Where test code calls fn and goes on, a cancel deferred here ends the test's context, not the process's: what
  // rests on fn ending the process names that (terminal.ts), as the test callers of the waiting function are.
  const terminalFacts = terminalOf(facts);
  const deferred = new Set<Expr>();
  for (const x of allStmts(fn.decl.body ?? [])) if (x.k === 'defer' && x.call.k === 'call' && x.call.fn.k === 'id' && x.call.fn.name === cancel.name) deferred.add(x.call.fn);
  const uses: { node: FuncNode; e: Expr }[] = [];
  for (const { node, onSignal } of signalled(q, fn)) {
    // A call of cancel after which the process ends on every path (`cancel(); select { ...: os.Exit(1) }`) is the way out.
    const exiting = new Set<Expr>();
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k !== 'call' || e.fn.k !== 'id' || e.fn.name !== cancel.name || e.args.length > 0) return;
      const after = terminalFacts.endsAfterCall(node, e);
      if (after !== false && after.length === 0) exiting.add(e.fn);
    });
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e !== cancel && e.k === 'id' && e.name === cancel.name && !deferred.has(e) && !onSignal(e) && !exiting.has(e)) uses.push({ node, e });
    });
  }
  // Cancelled only on the way out, and never deferred: the context ends only as the process does, wherever fn is.
  if (deferred.size === 0 && uses.length === 0) return from;
  const ending = terminalFacts.ending(fn);
  const terminal = ending !== false;
  if (!terminal && !sync) return false;
  if (uses.length === 0) return sync ? from : joinAssumptions(from, ending || []);
  if (!terminal) return false;
  const { node, e } = uses[0]!;
  return [...joinAssumptions(from, ending), { kind: 'opaque-call', text: `\`${cancel.name}\` may cancel the context before ${fn.decl.name || 'its function'} returns`, location: nodeLocation(node, e.pos) }];
}

/**
 * fn and its literals, each with which of its expressions run only once a shutdown signal has arrived: those after
 * the signal's receive (signals.ts), and all of a literal written there (`<-sigs; go func() { ...; cancel() }()`).
 */
function signalled(q: Query, fn: FuncNode): { node: FuncNode; onSignal: (e: Expr) => boolean }[] {
  const graph = q.facts.graph;
  const literals = [...literalsOf(fn, graph).values()];
  const out: { node: FuncNode; onSignal: (e: Expr) => boolean }[] = [];
  const visit = (node: FuncNode, all: boolean): void => {
    const after = new Set<Expr>();
    if (!all) forEachExpr([...afterShutdownSignal(graph, node)], (e) => after.add(e));
    out.push({ node, onSignal: (e) => all || after.has(e) });
    for (const lit of literals) {
      if (lit.decl.parent !== node.decl.id) continue;
      let written = false;
      for (const e of after) written ||= e.k === 'funclit' && e.fn === lit.decl.id;
      visit(lit, all || written);
    }
  };
  visit(fn, false);
  return out;
}
