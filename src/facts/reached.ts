/**
 * Reached functions: "can anything run this function at all?" A hazard in a function that nothing in the program
 * calls, that no one outside the program can call, and that is not handed anywhere as a value happens only if
 * something we cannot see runs it: the finding rests on that (a `reached` assumption), as it would on any other
 * step the engine did not see.
 *
 * Outside callers are possible for what a package exports (an importer, a test binary), for `main` and `init`, and
 * for test code (`go test` runs it); a method may be called through an interface, the program's own (the call
 * graph follows those) or a library's, which the program does not declare: a method whose name a library
 * interface uses is taken as reached. Everything else with no caller in the call graph and no use as a value is
 * taken as not reached: an unexported function nobody calls, or a method of `package main` nobody calls.
 */
import type { Assumption, Location } from '../findings.js';
import { lineOf, type FileSummary, type TypeExpr } from '../ir.js';
import { isProgramMain, shortName } from './names.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import type { SyncFacts } from './engine.js';
import { outermost } from './calls.js';
import { perProgram } from './perprogram.js';
import { nodeLocation } from './report.js';
import { terminalOf } from './terminal.js';
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

export class Reached {
  private readonly known = new Map<FuncNode, boolean>();
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
    const { decl, file } = fn;
    if (isProgramMain(fn) || (decl.name === 'init' && !decl.recv) || isTestCode(fn)) return true;
    const exported = /^\p{Lu}/u.test(decl.name);
    if (exported && file.packageName !== 'main') return true;
    if (decl.recv && (LIBRARY_METHODS.has(decl.name) || this.interfaceMethodNames().has(decl.name))) return true;
    if (this.facts.graph.callers(fn).length > 0) return true;
    return terminalOf(this.facts).usedAsValue(fn);
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
  const dead = fn && reachedOf(facts).unreached(fn);
  if (!dead) return undefined;
  return {
    kind: 'reached',
    text: `\`${shortName(dead)}\` runs, though nothing in the program calls it or uses it as a value, and nothing outside the program can`,
    location: nodeLocation(dead, dead.decl.span.start),
  };
}
