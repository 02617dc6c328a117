/**
 * Functions used as values: "where, if anywhere, does the program use this function other than as the callee
 * of a call?" (`http.HandleFunc("/", stop)`, `defer d.Stop`, `f := s.read`). Such a use hands the function to
 * callers the call graph cannot follow, so a fact that needs every call of it (a terminal function, code no one
 * runs, the values every caller passes) does not hold. One program-wide scan by name, on first ask.
 */
import type { Expr } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callTaking, forEachExpr, literalsOf } from '../calls.js';
import { perProgram } from '../perprogram.js';

/** The value uses of a program's functions, computed on demand and kept with its call graph. */
export const valueUsesOf = perProgram((graph: CallGraph) => new ValueUses(graph));

export class ValueUses {
  private valueNames: Map<string, { node: FuncNode; e: Expr }[]> | undefined;
  private readonly uses = new Map<FuncNode, Expr[]>();

  constructor(private readonly graph: CallGraph) {}

  /** Whether `fn` is used anywhere in the program other than as the function a call calls. */
  usedAsValue(fn: FuncNode): boolean {
    return this.of(fn).length > 0;
  }

  /**
   * The expressions that may be `fn` used as a value. By name first; a use of the name that is known to be
   * something else is not its use: a local variable or a parameter of that name (`run := func() {...}`), a
   * field, a value that resolves to other functions or to a member of a package or a value outside the checkout.
   */
  of(fn: FuncNode): Expr[] {
    let got = this.uses.get(fn);
    if (!got) {
      got = (this.byName().get(fn.decl.name) ?? []).filter(({ node, e }) => this.mayName(node, e, fn)).map(({ e }) => e);
      this.uses.set(fn, got);
    }
    return got;
  }

  /** Every name that the program declares a function by, with the places it is used other than as a callee. */
  private byName(): Map<string, { node: FuncNode; e: Expr }[]> {
    if (this.valueNames) return this.valueNames;
    const valueNames = (this.valueNames = new Map<string, { node: FuncNode; e: Expr }[]>());
    // Only a name some function is declared by can be a function used as a value: the rest are not kept.
    for (const node of this.graph.funcs) if (node.decl.name !== '') valueNames.set(node.decl.name, []);
    for (const node of this.graph.funcs) {
      // A callee is called, and an assignment's target (`pool.New = newEvent`) written, not used as a value.
      const callees = new Set<Expr>();
      const body = node.decl.body ?? [];
      for (const st of allStmts(body)) if (st.k === 'assign') for (const l of st.lhs) callees.add(l);
      // One pass: a call is visited before the function it calls.
      forEachExpr(body, (e) => {
        if (e.k === 'call') callees.add(e.fn);
        else if ((e.k === 'id' || e.k === 'sel') && !callees.has(e)) valueNames.get(e.name)?.push({ node, e });
      });
    }
    return valueNames;
  }

  /** Whether `e`, in node's body, may be the function `fn` as a value. */
  private mayName(node: FuncNode, e: Expr, fn: FuncNode): boolean {
    const kind = this.graph.storageOf(node, e)?.kind;
    if (kind === 'local' || kind === 'param' || kind === 'field') return false;
    // A field of a value of a struct type written out (`config.RunModes.Dev`, RunModes a `var RunModes = struct{...}{...}`).
    if (e.k === 'sel' && this.graph.typeOf(node, e.x).k === 'struct') return false;
    if (!fn.decl.recv && !namesFunction(node, e, fn)) return false;
    // A method is named through a value or its type, never alone, nor as a member of an imported package (`constants.Exec`).
    if (fn.decl.recv && (e.k === 'id' || (e.k === 'sel' && e.x.k === 'id' && !this.graph.storageOf(node, e.x) && importsAs(node, e.x.name)))) return false;
    // A member of a value from outside the checkout, as the call graph takes its calls: `status.ExitCode`.
    if (this.graph.valueFromOutside(node, e)) return false;
    const call = this.graph.callOfValue(node, e);
    const info = call && this.graph.callInfo(call);
    // A value resolved to a library's function (`cmd.Run` on an `*exec.Cmd`) or to others of the program is not fn.
    if (info?.kind === 'external' || info?.kind === 'builtin' || info?.kind === 'conversion') return false;
    return info?.kind !== 'resolved' || info.targets.some((t) => t.callee === fn);
  }

  /**
   * Whether some value use of fn may hand it to a caller the call graph does not see. A use as the argument of a
   * call of functions of the program, whose parameter there is only ever called (`NoArgs(doBuild)`, inside
   * which `action(ctx, out)` is all `action` is used for), is in sight: the graph follows the value to those calls.
   */
  calledOutOfSight(fn: FuncNode): boolean {
    return this.of(fn).some((e) => {
      const node = this.valueNames?.get(fn.decl.name)?.find((u) => u.e === e)?.node;
      return !node || !this.passedToCall(node, e);
    });
  }

  /** Whether `e` (in node's body) is an argument of a call of functions of the program that each only call that parameter. */
  private passedToCall(node: FuncNode, e: Expr): boolean {
    const call = callTaking(node, e);
    const info = call && !call.spread ? this.graph.callInfo(call) : undefined;
    if (info?.kind !== 'resolved' || info.targets.length === 0) return false;
    const index = call!.args.indexOf(e);
    return info.targets.every(({ callee }) => !callee.decl.variadic && this.onlyCalled(callee, index));
  }

  /** Whether the parameter at `index` of fn is used, in fn and its literals, only as the function a call calls. */
  private onlyCalled(fn: FuncNode, index: number): boolean {
    let other = false;
    for (const n of [fn, ...literalsOf(fn, this.graph).values()]) {
      const callees = new Set<Expr>();
      forEachExpr(n.decl.body ?? [], (x) => {
        if (x.k === 'call') callees.add(x.fn);
        else if (x.k === 'id' && !callees.has(x)) {
          const s = this.graph.storageOf(n, x);
          other ||= s?.kind === 'param' && s.fn === fn.id && s.index === index;
        }
      });
    }
    return !other;
  }

  /**
   * Whether the value use `e` (one of `of(fn)`) is known to be fn. A command's `Run` is called by the CLI library
   * through its interface anyway; of the many other `x.Run` in a program (an `*exec.Cmd`'s on a value whose type
   * the engine does not know), only one the resolver ties to fn is another caller.
   */
  resolvesTo(e: Expr, fn: FuncNode): boolean {
    const node = this.valueNames?.get(fn.decl.name)?.find((u) => u.e === e)?.node;
    const call = node && this.graph.callOfValue(node, e);
    const info = call && this.graph.callInfo(call);
    return info?.kind === 'resolved' && info.targets.some((t) => t.callee === fn);
  }
}

/**
 * Whether `e`, written in node, can name the package-level function fn at all: `run` in fn's package (or in a file
 * that dot-imports it), `pkg.Run` where pkg is that file's name for fn's package. `info.Main` on a variable, or
 * `Run` in another package, is something else.
 */
function namesFunction(node: FuncNode, e: Expr, fn: FuncNode): boolean {
  const path = fn.pkg.importPath;
  if (e.k === 'id') return node.pkg.importPath === path || node.file.imports.some((i) => i.path === path && i.name === '.');
  if (e.k !== 'sel' || e.x.k !== 'id') return false;
  const qualifier = e.x.name;
  return node.file.imports.some((i) => i.path === path && (i.name ?? fn.file.packageName) === qualifier);
}

/** Whether node's file imports a package under `name`: as written, or the path's last element (a `/vN` skipped). */
function importsAs(node: FuncNode, name: string): boolean {
  return node.file.imports.some((i) => (i.name ?? i.path.split('/').filter((p) => !/^v\d+$/.test(p)).pop()) === name);
}
