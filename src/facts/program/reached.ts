/**
 * Reached functions: "can anything run this function at all?" A hazard in a function that nothing in the program
 * calls, that no one outside the program can call, and that is not handed anywhere as a value happens only if
 * something we cannot see runs it: the finding rests on that (a `reached` assumption), as it would on any other
 * step the engine did not see.
 *
 * Outside callers are possible for what a package exports (an importer, a test binary), for `main` and `init`, and
 * for test code (`go test` runs it); a method may be called through an interface, the program's own (the call
 * graph follows those) or a library's, which the program does not declare: a method whose name a library
 * interface uses is taken as reached, and so is a runnable's Start a component manager is handed (runnables.ts).
 * An exported method of an unexported type is outside code's to call only when a value of the type gets out to it,
 * or into an interface (confined.ts); one that none does is not.
 * Everything else with no caller in the call graph and no use as a value is taken as not reached: an unexported
 * function nobody calls, or a method of `package main` nobody calls. A call from the function's own recursion does
 * not count: a function that only calls itself (or that only functions it calls call back, and nothing else calls
 * them) runs only once something else has run it.
 */
import type { Assumption, Location } from '../../findings.js';
import { lineOf, type FileSummary, type TypeExpr } from '../../ir.js';
import { isProgramMain, shortName } from '../names.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { SyncFacts } from '../engine.js';
import { literalsOf, outermost } from '../calls.js';
import { perProgram } from '../perprogram.js';
import { nodeLocation } from '../report.js';
import { confinedOf } from './confined.js';
import { isManagedStart } from './runnables.js';
import { valueUsesOf } from './valueuses.js';
import { isTestCode } from './testcode.js';

/**
 * Methods of the standard library's interfaces (fmt, io, sort, container/heap, encoding, database/sql, net/http,
 * context, errors, sync): a value stored as one of those is called by the library, out of the call graph's sight.
 */
const LIBRARY_METHODS = new Set([
  'String', 'GoString', 'Format', 'Error', 'Unwrap', 'Is', 'As', 'Timeout', 'Temporary',
  'Read', 'Write', 'Close', 'Seek', 'ReadAt', 'WriteAt', 'ReadFrom', 'WriteTo', 'ReadByte', 'WriteByte', 'ReadRune', 'WriteString',
  'Len', 'Less', 'Swap', 'Push', 'Pop',
  'MarshalJSON', 'UnmarshalJSON', 'MarshalText', 'UnmarshalText', 'MarshalBinary', 'UnmarshalBinary', 'MarshalXML', 'UnmarshalXML',
  'Scan', 'Value', 'ServeHTTP', 'RoundTrip', 'Header', 'WriteHeader', 'Flush', 'Hijack',
  'Deadline', 'Done', 'Err', 'Lock', 'Unlock', 'RLock', 'RUnlock',
]);

/** Functions in one recursion above which a function's callers are taken as outside it, unexamined. */
const MAX_RECURSION = 16;

export class Reached {
  private readonly known = new Map<FuncNode, boolean>();
  /** Unreached functions that their own recursion calls. */
  readonly selfCalled = new Set<FuncNode>();
  private ifaceNames: ReadonlySet<string> | undefined;

  constructor(private readonly facts: SyncFacts) {}

  /** The declared function `fn` is in, when nothing in the program or outside it can run it. */
  unreached(fn: FuncNode): FuncNode | undefined {
    const decl = outermost(this.facts.graph, fn);
    let got = this.known.get(decl);
    if (got === undefined) {
      got = this.isReached(decl);
      this.known.set(decl, got);
    }
    return got ? undefined : decl;
  }

  private isReached(fn: FuncNode): boolean {
    if (this.isEntry(fn)) return true;
    const recursion = this.recursionOf(fn);
    if (!recursion) return true;
    // The program-wide scan of names used as values runs last.
    for (const g of recursion) if (g !== fn && this.isEntry(g)) return true;
    for (const g of recursion) if (valueUsesOf(this.facts.graph).usedAsValue(g)) return true;
    if (recursion.size > 1 || this.facts.graph.callers(fn).length > 0) this.selfCalled.add(fn);
    return false;
  }

  /** Whether something outside the program may call `fn` (what it exports, its entry points, its tests). */
  private isEntry(fn: FuncNode): boolean {
    const { decl, file } = fn;
    if (isProgramMain(fn) || (decl.name === 'init' && !decl.recv) || isTestCode(fn)) return true;
    // A method of a confined type runs only where the program calls it by name (confined.ts).
    if (this.confinedMethod(fn)) return false;
    const exported = /^\p{Lu}/u.test(decl.name);
    if (exported && file.packageName !== 'main') return true;
    if (decl.recv !== undefined && isManagedStart(this.facts.graph, fn)) return true;
    return decl.recv !== undefined && (LIBRARY_METHODS.has(decl.name) || this.interfaceMethodNames().has(decl.name));
  }

  /** Whether `fn` is an exported method of an unexported type no value of which leaves the program's sight. */
  private confinedMethod(fn: FuncNode): boolean {
    const recv = fn.decl.recv?.type;
    const base = recv?.k === 'ptr' ? recv.elem : recv;
    if (base?.k !== 'name' || base.pkg !== undefined || /^\p{Lu}/u.test(base.name) || !/^\p{Lu}/u.test(fn.decl.name)) return false;
    return confinedOf(this.facts.graph).confined(fn.pkg.importPath, base.name);
  }

  /**
   * The declared functions whose calls reach `fn` (by way of callers, from `fn` itself on), when each of them is
   * also one `fn` calls, at any depth: its recursion, which nothing outside calls. Undefined when something
   * outside it calls into it.
   */
  private recursionOf(fn: FuncNode): Set<FuncNode> | undefined {
    const graph = this.facts.graph;
    const callersOf = new Set<FuncNode>([fn]);
    const todo = [fn];
    while (todo.length) {
      for (const c of graph.callers(todo.pop()!)) {
        const caller = outermost(graph, c.caller);
        if (callersOf.has(caller)) continue;
        if (callersOf.size >= MAX_RECURSION) return undefined;
        callersOf.add(caller);
        todo.push(caller);
      }
    }
    if (callersOf.size === 1) return callersOf;
    // Each of them is in the recursion only if fn's calls reach it back, through the others.
    const called = new Set<FuncNode>([fn]);
    const next = [fn];
    while (next.length) {
      const g = next.pop()!;
      for (const node of [g, ...literalsOf(g, graph).values()]) {
        for (const site of graph.sites(node)) {
          if (site.info.kind !== 'resolved') continue;
          for (const t of site.info.targets) {
            const callee = outermost(graph, t.callee);
            if (!callersOf.has(callee) || called.has(callee)) continue;
            called.add(callee);
            next.push(callee);
          }
        }
      }
    }
    return called.size === callersOf.size ? callersOf : undefined;
  }

  /** Every method name an interface of the program declares: a method of that name may be called through it. */
  private interfaceMethodNames(): ReadonlySet<string> {
    if (!this.ifaceNames) this.ifaceNames = collectInterfaceMethods(new Set(this.facts.graph.funcs.map((n) => n.file)));
    return this.ifaceNames;
  }
}

function collectInterfaceMethods(files: Iterable<FileSummary>): ReadonlySet<string> {
  const names = new Set<string>();
  const visit = (t: TypeExpr): void => {
    if (t.k !== 'iface') return;
    for (const m of t.methods) names.add(m.name);
  };
  for (const file of files) for (const t of file.types) visit(t.type);
  return names;
}

/** The reached-function fact of a program, computed on demand and kept with its facts. */
export const reachedOf = perProgram((facts: SyncFacts) => new Reached(facts));

/** The declared functions of each file, by path: where a finding's line is. */
const declaredByPath = perProgram((graph: CallGraph) => {
  const byPath = new Map<string, FuncNode[]>();
  for (const n of graph.funcs) {
    if (n.decl.parent !== undefined) continue;
    const list = byPath.get(n.file.path) ?? [];
    list.push(n);
    byPath.set(n.file.path, list);
  }
  return byPath;
});

/** The declared function whose text holds this line of this file, if one does. */
export function functionAt(graph: CallGraph, path: string, line: number): FuncNode | undefined {
  return declaredByPath(graph).get(path)?.find((n) => lineOf(n.decl.span.start) <= line && line <= lineOf(n.decl.span.end));
}

/** What a finding at `at` rests on when the function it is in is not reached: that something unseen runs it. */
export function reachedAssumption(facts: SyncFacts, at: Location): Assumption | undefined {
  const fn = functionAt(facts.graph, at.path, at.line);
  const reached = reachedOf(facts);
  const dead = fn && reached.unreached(fn);
  if (!dead) return undefined;
  const name = `\`${shortName(dead)}\``;
  return {
    kind: 'reached',
    text: reached.selfCalled.has(dead)
      ? `${name} runs, though only its own recursion calls it, and nothing outside the program can`
      : `${name} runs, though nothing in the program calls it or uses it as a value, and nothing outside the program can`,
    location: nodeLocation(dead, dead.decl.span.start),
  };
}
