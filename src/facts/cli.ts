/**
 * Command-line actions: "which functions does a CLI library run as a command's action, and where does the program
 * start the library?" A cobra command's `Run`/`RunE` or an urfave/cli command's `Action` is called by the library
 * from inside `Execute`/`Run`, not by any call the program writes: the call graph sees no caller, only a value
 * handed to a field. When the program starts its CLI only where the process ends once that returns (main's
 * `cmd.Execute()`), an action returning is the way out of the process (terminal.ts).
 */
import type { Expr, FileSummary, TypeExpr } from '../ir.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { forEachExpr, forEachSubExpr, libraryName, type CallExpr } from './calls.js';
import { perProgram } from './perprogram.js';
import { isTestCode } from './testcode.js';

type Composite = Extract<Expr, { k: 'composite' }>;

/** The CLI libraries whose command structs take an action as a field. */
const CLI_PACKAGE_RE = /^github\.com\/(spf13\/cobra|urfave\/cli(\/v[0-9]+)?)$/;

/** The fields of a command that hold what runs the command (cobra's `Run`/`RunE`, urfave/cli's `Action`). */
const ACTION_FIELDS = new Set(['Run', 'RunE', 'Action']);

/** The calls that start a CLI: cobra's Execute family, urfave/cli's App.Run/RunContext (v3: Command.Run). */
const CLI_RUN_RE = /^github\.com\/(spf13\/cobra\.\(\*Command\)\.Execute(C|Context|ContextC)?|urfave\/cli(\/v[0-9]+)?\.\(\*(App|Command)\)\.Run(Context)?)$/;

/** A call the program makes to start a CLI library, and the function making it. */
export interface CliRun {
  node: FuncNode;
  call: CallExpr;
}

export interface CliActions {
  /** The expressions given as a command's action (`RunE: run`, `Action: func(c *cli.Context) error {...}`), and their files. */
  values: ReadonlyMap<Expr, FileSummary>;
  /** The function literals given as one. */
  literals: ReadonlySet<FuncNode>;
  /** Where the program (not its tests) starts a CLI library. */
  runs: readonly CliRun[];
}

/** The program's command actions and CLI starts, found once. */
export const cliActionsOf = perProgram((graph: CallGraph): CliActions => {
  const values = new Map<Expr, FileSummary>();
  const literals = new Set<FuncNode>();
  const runs: CliRun[] = [];
  for (const file of new Set(graph.funcs.map((n) => n.file))) {
    const cliNames = cliImportNames(file);
    if (cliNames.size === 0) continue;
    const actionsIn = (c: Composite): void => {
      for (const el of c.elems) {
        if (el.key !== undefined && ACTION_FIELDS.has(el.key)) {
          values.set(el.value, file);
          if (el.value.k === 'funclit') literals.add(graph.nodeOf(file, file.funcs[el.value.fn]!));
        }
        // An element of `[]*cli.Command{ {...} }` leaves its type out: it is the slice's.
        const v = el.value.k === 'unary' && el.value.op === '&' ? el.value.x : el.value;
        if (v.k === 'composite' && v.type === undefined) actionsIn(v);
      }
    };
    const typed = (e: Expr): void => {
      if (e.k === 'composite' && e.type !== undefined && namesCli(e.type, cliNames)) actionsIn(e);
    };
    const deep = (e: Expr): void => {
      typed(e);
      forEachSubExpr(e, deep);
    };
    // Package-level commands (`var rootCmd = &cobra.Command{...}`) and those built in function bodies.
    for (const v of file.values) v.values.forEach(deep);
    for (const decl of file.funcs) forEachExpr(decl.body ?? [], typed);
  }
  for (const node of graph.funcs) {
    if (isTestCode(node)) continue;
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k === 'call' && CLI_RUN_RE.test(libraryName(graph.callInfo(e)) ?? '')) runs.push({ node, call: e });
    });
  }
  return { values, literals, runs };
});

/** The names a file imports the CLI libraries under (`cobra`, `cli`, an alias). */
function cliImportNames(file: FileSummary): ReadonlySet<string> {
  const out = new Set<string>();
  for (const imp of file.imports) {
    if (!CLI_PACKAGE_RE.test(imp.path)) continue;
    const last = imp.path.split('/').filter((p) => !/^v[0-9]+$/.test(p)).at(-1)!;
    out.add(imp.name ?? last);
  }
  return out;
}

/** Whether a composite's type is one of the CLI package's (or a slice, array or map of them, or pointers to them). */
function namesCli(t: TypeExpr, names: ReadonlySet<string>): boolean {
  if (t.k === 'name') return t.pkg !== undefined && names.has(t.pkg);
  if (t.k === 'ptr' || t.k === 'slice' || t.k === 'array' || t.k === 'map') return namesCli(t.elem, names);
  return false;
}

/**
 * Whether a command's action names the declared function `fn` (`RunE: run` in its package, `Action: app.New`
 * from another); by name and import, as a package-level command has no function to resolve it in.
 */
export function namesAction(fn: FuncNode, e: Expr, file: FileSummary): boolean {
  if (fn.decl.recv || fn.decl.parent !== undefined) return false;
  if (e.k === 'id') return e.name === fn.decl.name && fn.pkg.files.includes(file);
  if (e.k !== 'sel' || e.name !== fn.decl.name || e.x.k !== 'id') return false;
  const alias = e.x.name;
  return file.imports.some((imp) => imp.path === fn.pkg.importPath && (imp.name ?? imp.path.slice(imp.path.lastIndexOf('/') + 1)) === alias);
}
