/**
 * Command-line actions: "which functions does a CLI library run as a command's action, and where does the program
 * start the library?" A cobra command's `Run`/`RunE` or an urfave/cli command's `Action` is called by the library
 * from inside `Execute`/`Run`, not by any call the program writes: the call graph sees no caller, only a value
 * handed to a field. So is the `Run(args []string) int` method of a mitchellh/hashicorp `cli.Command`, a type the
 * program hands the library from a command factory (`func() (cli.Command, error) { return &T{...}, nil }`), its
 * result the exit code. An action is found in the command's literal or set on it after (`cmd.RunE = run`). When
 * the binaries holding an action (the `main` packages that import its package) start their CLI only where the
 * process ends once that returns (main's `cmd.Execute()`, `os.Exit(c.Run())`), an action returning is the way out
 * of the process (terminal.ts); another binary of the same repository (a daemon beside its CLI) does not count.
 */
import type { Expr, FileSummary, TypeExpr } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Type } from '../../resolve/types.js';
import { allStmts, forEachExpr, forEachSubExpr, libraryName, type CallExpr } from '../calls.js';
import { perProgram } from '../perprogram.js';
import { isTestCode } from './testcode.js';
import { valueUsesOf } from './valueuses.js';

type Composite = Extract<Expr, { k: 'composite' }>;

/** The CLI libraries whose command structs take an action as a field. */
const CLI_PACKAGE_RE = /^github\.com\/(spf13\/cobra|urfave\/cli(\/v[0-9]+)?)$/;

/** The fields of a command that hold what runs the command (cobra's `Run`/`RunE`, urfave/cli's `Action`). */
const ACTION_FIELDS = new Set(['Run', 'RunE', 'Action']);

/** The CLI libraries whose commands are types with a `Run(args []string) int` method, made by factories. */
const COMMAND_PACKAGE_RE = /^github\.com\/(mitchellh|hashicorp)\/cli$/;

/**
 * The calls that start a CLI: cobra's Execute family, urfave/cli's App.Run/RunContext (v3: Command.Run),
 * mitchellh/hashicorp cli's CLI.Run.
 */
const CLI_RUN_RE =
  /^github\.com\/(spf13\/cobra\.\(\*Command\)\.Execute(C|Context|ContextC)?|urfave\/cli(\/v[0-9]+)?\.\(\*(App|Command)\)\.Run(Context)?|(mitchellh|hashicorp)\/cli\.\(\*CLI\)\.Run)$/;

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
  /** The command types command factories hand the library, as `importpath.Type`: their `Run` method is an action. */
  commandTypes: ReadonlySet<string>;
}

/** The program's command actions and CLI starts, found once. */
export const cliActionsOf = perProgram((graph: CallGraph): CliActions => {
  const values = new Map<Expr, FileSummary>();
  const literals = new Set<FuncNode>();
  const runs: CliRun[] = [];
  const commandTypes = new Set<string>();
  const packageOf = new Map(graph.funcs.map((n) => [n.file, n.pkg.importPath] as const));
  for (const [file, importPath] of packageOf) {
    for (const t of factoryTypes(file, importPath)) commandTypes.add(t);
    const cliNames = importNames(file, CLI_PACKAGE_RE);
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
    // An action set on a command after it is made: `cmd.RunE = func(...) error {...}`.
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k !== 'assign' || st.op !== '=' || st.lhs.length !== st.rhs.length) continue;
      st.lhs.forEach((l, i) => {
        const v = st.rhs[i]!;
        if (l.k !== 'sel' || !ACTION_FIELDS.has(l.name) || !isCliCommand(graph.typeOf(node, l.x))) return;
        values.set(v, node.file);
        if (v.k === 'funclit') literals.add(graph.nodeOf(node.file, node.file.funcs[v.fn]!));
      });
    }
    if (isTestCode(node)) continue;
    forEachExpr(node.decl.body ?? [], (e) => {
      if (e.k === 'call' && CLI_RUN_RE.test(libraryName(graph.callInfo(e)) ?? '')) runs.push({ node, call: e });
    });
  }
  return { values, literals, runs, commandTypes };
});

/**
 * The CLI starts of the binaries that hold fn: those made in a package that imports fn's, directly or through
 * others. A repository of several commands (a CLI and a daemon, each its own `main`) starts a CLI in each; an
 * action runs under its own binary's.
 */
export function cliRunsOf(graph: CallGraph, fn: FuncNode): CliRun[] {
  return cliActionsOf(graph).runs.filter((r) => importsOf(graph, r.node.pkg.importPath).has(fn.pkg.importPath));
}

const closures = new WeakMap<CallGraph, Map<string, ReadonlySet<string>>>();

/** A package of the program and every package of the program it imports, directly or through others. */
function importsOf(graph: CallGraph, importPath: string): ReadonlySet<string> {
  let byPath = closures.get(graph);
  if (!byPath) closures.set(graph, (byPath = new Map()));
  let out = byPath.get(importPath);
  if (out) return out;
  const seen = new Set<string>([importPath]);
  const todo = [importPath];
  for (let path = todo.pop(); path !== undefined; path = todo.pop()) {
    for (const file of graph.index.packages.get(path)?.pkg.files ?? []) {
      for (const imp of file.imports) {
        if (seen.has(imp.path) || !graph.index.packages.has(imp.path)) continue;
        seen.add(imp.path);
        todo.push(imp.path);
      }
    }
  }
  byPath.set(importPath, (out = seen));
  return out;
}

/** Whether a value of type t is a CLI library's command (or a pointer to one): `*cobra.Command`, `*cli.Command`. */
function isCliCommand(t: Type): boolean {
  const named = t.k === 'ptr' ? t.elem : t;
  return named.k === 'named' && CLI_PACKAGE_RE.test(named.path);
}

/** The types a file's command factories return as a `cli.Command` (`return &T{...}, nil`), as `importpath.Type`. */
function factoryTypes(file: FileSummary, importPath: string): string[] {
  const names = importNames(file, COMMAND_PACKAGE_RE);
  if (names.size === 0) return [];
  const out: string[] = [];
  for (const decl of file.funcs) {
    const t = decl.results[0]?.type;
    if (t?.k !== 'name' || t.name !== 'Command' || t.pkg === undefined || !names.has(t.pkg)) continue;
    for (const st of allStmts(decl.body ?? [])) {
      const v = st.k === 'return' ? st.values[0] : undefined;
      const c = v?.k === 'unary' && v.op === '&' ? v.x : v;
      const made = c?.k === 'composite' ? c.type : undefined;
      if (made?.k !== 'name') continue;
      const path = made.pkg === undefined ? importPath : file.imports.find((i) => (i.name ?? lastPart(i.path)) === made.pkg)?.path;
      if (path !== undefined) out.push(`${path}.${made.name}`);
    }
  }
  return out;
}

/**
 * Whether the CLI library is what calls fn, as a command's action: a literal given as one, a function named as one
 * (`RunE: run`) or a method value the resolver ties to it (`RunE: c.run`) and used as no other value, or a command
 * type's `Run` that nothing else takes as a value.
 */
export function isCommandAction(graph: CallGraph, fn: FuncNode): boolean {
  const cli = cliActionsOf(graph);
  if (cli.literals.has(fn)) return true;
  const uses = valueUsesOf(graph);
  // A method's value uses are asked of the resolver; a function's names are matched first, the costly scan after.
  const named = cli.values.size > 0 && (fn.decl.recv ? uses.of(fn).some((e) => uses.resolvesTo(e, fn)) : [...cli.values].some(([e, file]) => namesAction(fn, e, file)));
  if (named && uses.of(fn).every((e) => cli.values.has(e))) return true;
  return isCommandRun(fn, cli.commandTypes) && !uses.of(fn).some((e) => uses.resolvesTo(e, fn));
}

/** Whether fn is the `Run` method of a command type that a factory hands a mitchellh/hashicorp CLI. */
function isCommandRun(fn: FuncNode, commandTypes: ReadonlySet<string>): boolean {
  const recv = fn.decl.recv?.type;
  const named = recv?.k === 'ptr' ? recv.elem : recv;
  return fn.decl.name === 'Run' && named?.k === 'name' && named.pkg === undefined && commandTypes.has(`${fn.pkg.importPath}.${named.name}`);
}

/** The names a file imports the libraries `re` matches under (`cobra`, `cli`, an alias). */
function importNames(file: FileSummary, re: RegExp): ReadonlySet<string> {
  const out = new Set<string>();
  for (const imp of file.imports) if (re.test(imp.path)) out.add(imp.name ?? lastPart(imp.path));
  return out;
}

/** The name a package is imported under by default: its path's last part, a major version suffix left out. */
function lastPart(path: string): string {
  return path.split('/').filter((p) => !/^v[0-9]+$/.test(p)).at(-1)!;
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
function namesAction(fn: FuncNode, e: Expr, file: FileSummary): boolean {
  if (fn.decl.recv || fn.decl.parent !== undefined) return false;
  if (e.k === 'id') return e.name === fn.decl.name && fn.pkg.files.includes(file);
  if (e.k !== 'sel' || e.name !== fn.decl.name || e.x.k !== 'id') return false;
  const alias = e.x.name;
  return file.imports.some((imp) => imp.path === fn.pkg.importPath && (imp.name ?? imp.path.slice(imp.path.lastIndexOf('/') + 1)) === alias);
}
