/**
 * Lifecycle harnesses, the explorer's second kind of entry (issue 26): a type that runs one of its own methods on
 * a goroutine (`go c.loop()` in its constructor or in Start) has its methods called from more than one goroutine.
 * Its harness drives one instance as the type's own callers do: constructor, start, one operation racing the loop
 * and the teardown; and, when two callers in the program tear it down with nothing ordering them, the teardown
 * twice at once. Each plan is one entry with its own state budget.
 */
import type { TypeInfo } from '../index/index.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { outermost } from '../facts/calls.js';

export interface HarnessPlan {
  /** For messages: `Mailbox: Post racing Close`. */
  name: string;
  /** Run first, on goroutine 0: it makes the instance and hands it back. Absent: a zero value of the type. */
  ctor?: FuncNode;
  /** Called on the instance after the constructor (the method that starts the loop, when callers call it). */
  start?: FuncNode;
  /** Each on a goroutine of its own, racing the loop and the teardown. */
  concurrent: FuncNode[];
  /** Called on goroutine 0 last. */
  teardown: FuncNode;
}

/** Methods that end an instance's life: the ones callers race against everything else. */
const TEARDOWN = /^(Close|Stop|Shutdown|Cancel|Quit|Terminate|Disconnect|Unsubscribe)$/;
/** Operations raced against the teardown, per type: a type with more gets its first ones (in source order). */
const MAX_OPS = 6;

/**
 * The harness plans of every type that runs goroutines on its own instances: a method of it starts one (`go
 * c.loop()`, `go func() { c.run() }()`), or a constructor of it starts one of its methods.
 */
export function harnesses(graph: CallGraph, starters: readonly FuncNode[]): HarnessPlan[] {
  const typeOf = new Map<FuncNode, TypeInfo>();
  for (const t of graph.index.types) for (const m of t.methods.values()) typeOf.set(m.node, t);
  const plans: HarnessPlan[] = [];
  const planned = new Set<TypeInfo>();
  for (const fn of starters) {
    if (fn.decl.parent !== undefined) continue;
    const owner = typeOf.get(fn);
    const t = owner ?? goTargets(graph, fn).map((m) => typeOf.get(m)).find((x) => x && returnsType(fn, x));
    if (!t || planned.has(t)) continue;
    // A method that starts goroutines is the type's start when its callers call it; one only the type's own
    // methods call (a run loop that starts its helpers) is reached through that start.
    // A teardown that starts a goroutine (a Stop draining events while it closes) is the teardown, not the start:
    // run as both, the harness would tear down twice in a row and report its own double close.
    const start = owner && calledFromOutside(graph, typeOf, t, fn) && !TEARDOWN.test(fn.decl.name) ? fn : undefined;
    const ctor = owner ? constructorOf(graph, t) : fn;
    if (owner && !start && !(ctor && graph.callers(fn).some((e) => outermost(graph, e.caller) === ctor))) continue;
    if (!start && !ctor) continue;
    planned.add(t);
    plans.push(...plansFor(graph, typeOf, t, ctor, start));
  }
  return plans;
}

function plansFor(graph: CallGraph, typeOf: Map<FuncNode, TypeInfo>, t: TypeInfo, ctor: FuncNode | undefined, start: FuncNode | undefined): HarnessPlan[] {
  const methods = [...t.methods.values()].map((m) => m.node).filter((n) => n.decl.body);
  const teardown = methods.find((n) => TEARDOWN.test(n.decl.name));
  // Without a teardown the loop is meant to run for the program's life: nothing to race.
  if (!teardown) return [];
  // The loops themselves run on the goroutines the start or constructor makes, not as operations.
  const loops = new Set(methods.flatMap((m) => goTargets(graph, m)));
  if (ctor) for (const m of goTargets(graph, ctor)) loops.add(m);
  const base = { ...(ctor ? { ctor } : {}), ...(start ? { start } : {}), teardown };
  const ops = methods
    .filter((n) => n !== start && !loops.has(n) && !TEARDOWN.test(n.decl.name) && calledFromOutside(graph, typeOf, t, n))
    .slice(0, MAX_OPS);
  const plans: HarnessPlan[] = ops.map((op) => ({ ...base, name: `${t.decl.name}: ${op.decl.name} racing ${teardown.decl.name}`, concurrent: [op] }));
  const tearers = new Set(graph.callers(teardown).map((e) => e.caller));
  if (tearers.size > 1) plans.push({ ...base, name: `${t.decl.name}: ${teardown.decl.name} from two callers at once`, concurrent: [teardown] });
  return plans;
}

/** The functions fn's own `go` statements run directly (`go c.loop()`). */
function goTargets(graph: CallGraph, fn: FuncNode): FuncNode[] {
  return graph.sites(fn).flatMap((s) => (s.mode === 'go' && s.info.kind === 'resolved' && s.info.targets.length === 1 ? [s.info.targets[0]!.callee] : []));
}

/** Exported, or called from code outside the type's own methods (function literals count as the method they are in). */
function calledFromOutside(graph: CallGraph, typeOf: Map<FuncNode, TypeInfo>, t: TypeInfo, fn: FuncNode): boolean {
  return /^[A-Z]/.test(fn.decl.name) || graph.callers(fn).some((e) => typeOf.get(outermost(graph, e.caller)) !== t);
}

/** A function of the type's package whose first result is the type or a pointer to it: the one declared first. */
function constructorOf(graph: CallGraph, t: TypeInfo): FuncNode | undefined {
  for (const file of t.pkg.pkg.files) {
    for (const decl of file.funcs) {
      if (decl.recv || decl.parent !== undefined || !decl.body) continue;
      const fn = graph.nodeOf(file, decl);
      if (returnsType(fn, t)) return fn;
    }
  }
  return undefined;
}

function returnsType(fn: FuncNode, t: TypeInfo): boolean {
  const r = fn.decl.results[0]?.type;
  const named = r?.k === 'ptr' ? r.elem : r;
  return fn.pkg === t.pkg.pkg && named?.k === 'name' && !named.pkg && named.name === t.decl.name;
}
