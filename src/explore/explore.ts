/**
 * The explore phase: which functions are entries (those that start goroutines, tests included), their models
 * searched within a budget, and the verdicts kept once per operation, each with the schedule that reaches it.
 */
import { lineOf, type Stmt } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import type { NoReturn } from '../facts/noreturn.js';
import { ModelBuilder } from './build.js';
import { harnesses } from './harness.js';
import { search, type Verdict, type VerdictKind } from './search.js';

function declAt(fn: FuncNode): { path: string; line: number; col: number } {
  return { path: fn.file.path, line: lineOf(fn.decl.span.start), col: 1 };
}

/** States one entry may visit: enough for a handful of goroutines, small enough for thousands of entries. */
export const STATE_BUDGET = 1000;
/**
 * A lifecycle harness's budget: its questions (an operation after the teardown, two teardowns) are answered by
 * short schedules, which the breadth-first search visits first; a type gets up to seven harnesses.
 */
const HARNESS_STATES = 300;
const HARNESS_LOCAL_STEPS = 1_500;

export interface ExploredVerdict extends Verdict {
  /** The function explored; for a lifecycle harness, the teardown it calls last. */
  entry: FuncNode;
  /** The lifecycle harness that found it (`Mailbox: Post racing Close`), if one did. */
  harness?: string;
}

export interface ExploreStats {
  /** Functions that start goroutines, and their callers. */
  entries: number;
  /** Searched to the end; the others ran out of their state budget. */
  explored: number;
  cutByBudget: number;
  states: number;
  verdicts: number;
  /** Verdicts whose every witness takes a branch the model could not decide: reported a level lower. */
  assumed: number;
  /** Lifecycle harnesses (src/explore/harness.ts): planned, searched to the end, cut by their budget. */
  harnesses: number;
  harnessesExplored: number;
  harnessesCut: number;
}

export interface Exploration {
  verdicts: ExploredVerdict[];
  of(kind: VerdictKind): ExploredVerdict[];
  stats: ExploreStats | undefined;
}

/** What a run without the explorer's rule sees: no verdicts, and no stats to print. */
export const NOTHING_EXPLORED: Exploration = { verdicts: [], of: () => [], stats: undefined };

export function explore(graph: CallGraph, noReturn: NoReturn): Exploration {
  const verdicts = new Map<string, ExploredVerdict>();
  const stats: ExploreStats = {
    entries: 0, explored: 0, cutByBudget: 0, states: 0, verdicts: 0, assumed: 0, harnesses: 0, harnessesExplored: 0, harnessesCut: 0,
  };
  const keep = (v: Verdict, entry: FuncNode, name: string, harness?: string): void => {
    // Every schedule that deadlocks an entry shows the same mistake: one finding per entry.
    const key = v.kind === 'deadlock' ? `deadlock@${name}` : `${v.kind}@${v.at.path}:${v.at.line}:${v.at.col}`;
    const prev = verdicts.get(key);
    if (!prev || prev.assumptions.length > v.assumptions.length) verdicts.set(key, { ...v, entry, ...(harness ? { harness } : {}) });
  };
  const starters = graph.funcs.filter((fn) => fn.decl.body && startsGoroutines(fn.decl.body));
  const builder = (): ModelBuilder => new ModelBuilder(graph, noReturn);
  for (const fn of entries(graph, starters)) {
    stats.entries++;
    const model = builder().build(fn);
    if (!model) continue;
    const result = search(model, STATE_BUDGET, [{ name: fn.id, at: declAt(fn) }]);
    stats.states += result.states;
    if (result.cut) stats.cutByBudget++;
    else stats.explored++;
    for (const v of result.verdicts) keep(v, fn, fn.id);
  }
  for (const plan of harnesses(graph, starters)) {
    stats.harnesses++;
    const model = builder().buildHarness(plan);
    if (!model) continue;
    const result = search(model, HARNESS_STATES, [{ name: plan.name, at: declAt(plan.teardown) }], HARNESS_LOCAL_STEPS);
    stats.states += result.states;
    if (result.cut) stats.harnessesCut++;
    else stats.harnessesExplored++;
    for (const v of result.verdicts) keep(v, plan.teardown, plan.name, plan.name);
  }
  const all = [...verdicts.values()];
  stats.verdicts = all.length;
  stats.assumed = all.filter((v) => v.assumptions.length).length;
  return { verdicts: all, of: (kind) => all.filter((v) => v.kind === kind), stats };
}

/**
 * Functions that start goroutines, and their direct callers: a helper that starts a goroutine and hands back
 * its channel (`ch := start()`) shows its hazard only in the caller that uses the channel.
 */
function entries(graph: CallGraph, starters: readonly FuncNode[]): FuncNode[] {
  const all = new Set(starters);
  for (const fn of starters) {
    for (const edge of graph.callers(fn)) if (edge.mode === 'call' && edge.caller.decl.body) all.add(edge.caller);
  }
  return [...all];
}

/** A `go` statement in the function's own body (not in the function literals it holds: they are their own entries). */
function startsGoroutines(body: readonly Stmt[]): boolean {
  const walk = (list: readonly Stmt[]): boolean =>
    list.some((s) => {
      switch (s.k) {
        case 'go':
          return true;
        case 'block':
          return walk(s.body);
        case 'labeled':
          return s.stmt ? walk([s.stmt]) : false;
        case 'if':
          return walk(s.then) || walk(s.else ?? []);
        case 'for':
          return walk(s.body);
        case 'switch':
        case 'typeswitch':
          return s.cases.some((c) => walk(c.body));
        case 'select':
          return s.cases.some((c) => walk(c.body));
        default:
          return false;
      }
    });
  return walk(body);
}
