/**
 * Process contexts: "is this context done only as the process ends?" — a context that lives as long as the
 * program: `signal.NotifyContext` made in a function the process ends after (main, a CLI's start), a cobra
 * command's `cmd.Context()` when the CLI is started with such a context (or none: then it is never done), one
 * derived from those by `context.WithCancel` whose cancel runs only as a terminal function returns, and any of them
 * passed down as an argument. What happens only once such a context is done happens on the way out.
 *
 * A cancel function handed on elsewhere may run earlier (a helper that cancels on its own failure): a finding that
 * rests on the context living on names that (`cancel` may cancel the context before fn returns). One called only
 * once a signal asking the process to end has arrived (`<-sigs; cancel()`, signals.ts) is the way out.
 */
import type { Assumption } from '../../findings.js';
import type { Expr } from '../../ir.js';
import { storageKey, type Storage } from '../../resolve/bindings.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, libraryName, literalsOf, type CallExpr } from '../calls.js';
import { cliActionsOf } from './cli.js';
import { afterShutdownSignal } from './signals.js';
import type { SyncFacts } from '../engine.js';
import type { ErrorExit } from './errorexit.js';
import { nodeLocation } from '../report.js';
import { terminalOf } from './terminal.js';
import { valueUsesOf } from './valueuses.js';

/** How many calls up (or derivations back) a context is followed. */
const MAX_DEPTH = 8;

const NEVER_DONE = new Set(['context.Background', 'context.TODO']);
const DERIVED = new Set(['context.WithCancel', 'context.WithCancelCause']);
const SIGNAL = 'os/signal.NotifyContext';
const COBRA_CONTEXT = 'github.com/spf13/cobra.(*Command).Context';
/** cobra's Execute and ExecuteC run with a background context; the Context forms with the one they are given. */
const COBRA_RUN_WITH = /^github\.com\/spf13\/cobra\.\(\*Command\)\.ExecuteContextC?$/;

/** The context `<-ctx.Done()` receives from, as written; undefined for any other channel. */
export function doneOf(ch: Expr): Expr | undefined {
  return ch.k === 'call' && ch.args.length === 0 && ch.fn.k === 'sel' && ch.fn.name === 'Done' ? ch.fn.x : undefined;
}

/** Whether the context `e` (in fn's body) is done only as the process ends, and what that assumes; false if not known to be. */
export function processContext(facts: SyncFacts, fn: FuncNode, e: Expr, depth = 0, incoming = false): ErrorExit {
  if (depth > MAX_DEPTH) return false;
  const graph = facts.graph;
  if (e.k === 'call') return madeBy(facts, fn, e, depth);
  if (e.k !== 'id') return false;
  const s = graph.storageOf(fn, e);
  if (s?.kind !== 'param' && s?.kind !== 'local') return false;
  const owner = graph.byId.get(s.fn);
  if (!owner) return false;
  if (s.kind === 'param') {
    // Each caller's argument.
    const callers = graph.callers(owner);
    if (s.index < 0 || callers.length === 0) return false;
    const index = s.index;
    let out: Assumption[] = [];
    for (const edge of callers) {
      const arg = edge.call.args[index];
      const got = arg && !edge.call.spread ? processContext(facts, edge.caller, arg, depth + 1) : false;
      if (got === false) return false;
      out = [...out, ...got];
    }
    // A function used as a value has callers we cannot see. Asked last: the program-wide scan behind it is costly.
    if (valueUsesOf(facts.graph).usedAsValue(owner)) return false;
    // `ctx, cancel := context.WithCancel(ctx)` gives the parameter a new value, made from the one passed.
    if (incoming) return out;
    for (const st of allStmts(owner.decl.body ?? [])) {
      if (st.k !== 'assign' || !st.lhs.some((l) => l.k === 'id' && sameStorage(graph.storageOf(owner, l), s))) continue;
      const made = st.rhs.length === 1 && st.rhs[0]!.k === 'call' && st.lhs[0]!.k === 'id' && sameStorage(graph.storageOf(owner, st.lhs[0]!), s) ? madeBy(facts, owner, st.rhs[0]!, depth, true) : false;
      if (made === false) return false;
      out = [...out, ...made];
    }
    return out;
  }
  const v = graph.locals(owner).find((l) => l.storage.name === s.name);
  if (v?.def.k !== 'expr' || v.def.index !== 0 || v.def.e.k !== 'call') return false;
  return madeBy(facts, owner, v.def.e, depth);
}

function sameStorage(a: Storage | undefined, b: Storage): boolean {
  return a !== undefined && storageKey(a) !== undefined && storageKey(a) === storageKey(b);
}

/** A context as the call that makes it: never done, a signal's, a cobra command's, or derived from one of those. */
function madeBy(facts: SyncFacts, fn: FuncNode, call: CallExpr, depth: number, incoming = false): ErrorExit {
  const name = libraryName(facts.graph.callInfo(call)) ?? '';
  if (NEVER_DONE.has(name)) return [];
  const parent = call.args[0];
  if (name === SIGNAL) return terminalOf(facts).isTerminal(fn) && parent ? processContext(facts, fn, parent, depth + 1, incoming) : false;
  if (name === COBRA_CONTEXT) return commandContexts(facts, depth);
  if (!DERIVED.has(name) || !parent) return false;
  const from = processContext(facts, fn, parent, depth + 1, incoming);
  return from === false ? false : cancelledOnExit(facts, fn, call, from);
}

/** The contexts every start of the program's cobra commands runs them with. */
function commandContexts(facts: SyncFacts, depth: number): ErrorExit {
  const { runs } = cliActionsOf(facts.graph);
  if (runs.length === 0) return false;
  let out: Assumption[] = [];
  for (const r of runs) {
    const with_ = COBRA_RUN_WITH.test(libraryName(facts.graph.callInfo(r.call)) ?? '');
    const got = with_ ? (r.call.args[0] ? processContext(facts, r.node, r.call.args[0], depth + 1) : false) : [];
    if (got === false) return false;
    out = [...out, ...got];
  }
  return out;
}

/**
 * A derived context's cancel: deferred in a function the process ends after is the way out; handed on or called
 * anywhere else, it may run earlier, which a finding then names (at its first such use).
 */
function cancelledOnExit(facts: SyncFacts, fn: FuncNode, call: CallExpr, from: Assumption[]): ErrorExit {
  const st = allStmts(fn.decl.body ?? []).find((x) => x.k === 'assign' && x.rhs.length === 1 && x.rhs[0] === call);
  const cancel = st?.k === 'assign' ? st.lhs[1] : undefined;
  if (cancel?.k !== 'id' || cancel.name === '_' || !terminalOf(facts).isTerminal(fn)) return false;
  const deferred = new Set<Expr>();
  for (const x of allStmts(fn.decl.body ?? [])) if (x.k === 'defer' && x.call.k === 'call' && x.call.fn.k === 'id' && x.call.fn.name === cancel.name) deferred.add(x.call.fn);
  const uses: { node: FuncNode; e: Expr }[] = [];
  for (const node of [fn, ...literalsOf(fn, facts.graph).values()]) {
    // A cancel run only once a shutdown signal has arrived (`<-sigs; cancel()` in a handler goroutine) is the way out.
    const onSignal = new Set<Expr>();
    forEachExpr([...afterShutdownSignal(facts.graph, node)], (e) => onSignal.add(e));
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e !== cancel && e.k === 'id' && e.name === cancel.name && !deferred.has(e) && !onSignal.has(e)) uses.push({ node, e });
    });
  }
  if (uses.length === 0) return from;
  const { node, e } = uses[0]!;
  return [...from, { kind: 'opaque-call', text: `\`${cancel.name}\` may cancel the context before ${fn.decl.name || 'its function'} returns`, location: nodeLocation(node, e.pos) }];
}
