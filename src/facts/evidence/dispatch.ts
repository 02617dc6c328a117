/**
 * Interface calls on a witness path. A call through an interface value reaches every type of the program
 * whose method set matches (CHA); when several do, that the path's one runs there is known only if its type
 * is seen becoming that interface: converted to it in a declaration (`var _ I = (*T)(nil)`, `var x I = ...`),
 * an assignment, a struct literal's field (`&Server{store: newStore()}`), an argument (`NewServer(newStore())`),
 * returned as it by a function whose result is declared I, or held by the receiver variable itself. Otherwise
 * a type that merely has a method of that name may be all the path rests on, and the finding assumes the
 * dispatch (`opaque-call`).
 */
import { lineOf, type Expr } from '../../ir.js';
import { exprText } from '../../irtext.js';
import type { Assumption } from '../../findings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { deref, type Named, type Type } from '../../resolve/types.js';
import { allStmts, forEachExpr, PRECISE_HOWS } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import { shortName } from '../names.js';
import { perProgram } from '../perprogram.js';
import { nodeLocation } from '../report.js';
import type { Parts } from './assume.js';

/** `import/path.Name` of a named type, through one pointer. */
function namedKey(t: Type): string | undefined {
  const d = deref(t);
  return d.k === 'named' ? `${d.path}.${d.name}` : undefined;
}

function isInterface(graph: CallGraph, t: Type): t is Named {
  return t.k === 'named' && graph.index.under(t).k === 'iface';
}

/**
 * For each interface, the named types seen converted to it in some functions (one package's): by a declaration,
 * an assignment, a return, a struct literal's field, or an argument of a call with one known target.
 */
function conversionsIn(graph: CallGraph, funcs: readonly FuncNode[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  const add = (iface: Type, value: Type) => {
    const [key, impl] = [namedKey(iface), namedKey(value)];
    if (key === undefined || impl === undefined) return;
    const set = map.get(key);
    if (set) set.add(impl);
    else map.set(key, new Set([impl]));
  };
  // A function of each file: package-level declarations are typed in its context.
  const files = new Map<FuncNode['file'], FuncNode>();
  const paramTypes = new Map<FuncNode, Type[]>();
  const paramsOf = (callee: FuncNode) => {
    let out = paramTypes.get(callee);
    if (!out) paramTypes.set(callee, (out = callee.decl.params.map((p) => graph.index.resolveType(p.type, graph.index.scopeOf(callee.file)))));
    return out;
  };
  for (const fn of funcs) {
    if (!files.has(fn.file)) files.set(fn.file, fn);
    const { results, body } = fn.decl;
    if (!body) continue;
    const scope = graph.index.scopeOf(fn.file);
    const into = (target: Type | undefined, value: Expr | undefined) => {
      if (target && value && isInterface(graph, target)) add(target, graph.typeOf(fn, value));
    };
    const types = results.map((r) => graph.index.resolveType(r.type, scope));
    const returnsInterface = types.some((t) => isInterface(graph, t));
    for (const st of allStmts(body)) {
      if (st.k === 'assign' && st.op === '=' && st.lhs.length === st.rhs.length) st.lhs.forEach((l, i) => into(graph.typeOf(fn, l), st.rhs[i]));
      else if (st.k === 'var' && st.type) st.values.forEach((v) => into(graph.index.resolveType(st.type!, scope), v));
      else if (st.k === 'return' && returnsInterface) {
        if (st.values.length === types.length) st.values.forEach((v, i) => into(types[i], v));
        else if (st.values.length === 1) {
          // `return openWriter(cfg)` in a function returning (I, error): the call's own results.
          const t = graph.typeOf(fn, st.values[0]!);
          if (t.k === 'tuple') t.elems.forEach((e, i) => types[i] && isInterface(graph, types[i]!) && add(types[i]!, e));
        }
      }
    }
    // `&Server{store: newStore()}` into an interface field, `NewServer(newStore())` into an interface parameter.
    forEachExpr(body, (e) => {
      if (e.k === 'composite' && e.elems.length) {
        const u = graph.index.under(graph.typeOf(fn, e));
        if (u.k !== 'struct') return;
        e.elems.forEach((el, i) => into(el.key === undefined ? u.fields[i]?.type : u.fields.find((f) => f.name === el.key)?.type, el.value));
      } else if (e.k === 'call') {
        const info = graph.callInfo(e);
        if (info.kind !== 'resolved' || info.targets.length !== 1 || !PRECISE_HOWS.has(info.targets[0]!.how)) return;
        const params = paramsOf(info.targets[0]!.callee);
        if (params.some((t) => isInterface(graph, t))) e.args.forEach((a, i) => into(params[i], a));
      }
    });
  }
  for (const [file, anyFn] of files) {
    const scope = graph.index.scopeOf(file);
    for (const v of file.values) {
      if (v.isConst || !v.type) continue;
      const t = graph.index.resolveType(v.type, scope);
      if (isInterface(graph, t)) for (const value of v.values) add(t, graph.typeOf(anyFn, value));
    }
  }
  return map;
}


/**
 * The conversions of the program, scanned one package at a time as asked: a value of type T becomes an
 * interface I only in code that can name both, in a package that imports (directly or not) both T's and I's.
 */
const programConversions = perProgram((graph: CallGraph) => {
  const funcs = new Map<string, FuncNode[]>();
  const importers = new Map<string, Set<string>>();
  const seen = new Set<FuncNode['pkg']>();
  for (const fn of graph.funcs) {
    const path = fn.pkg.importPath;
    const list = funcs.get(path);
    if (list) list.push(fn);
    else funcs.set(path, [fn]);
    if (seen.has(fn.pkg)) continue;
    seen.add(fn.pkg);
    for (const file of fn.pkg.files) {
      for (const imp of file.imports) {
        const set = importers.get(imp.path);
        if (set) set.add(path);
        else importers.set(imp.path, new Set([path]));
      }
    }
  }
  return { funcs, importers, namers: new Map<string, Set<string>>(), scanned: new Map<string, Map<string, Set<string>>>() };
});

/** The packages that can name what `path` declares: itself and every package importing it, directly or not. */
function namersOf(program: ReturnType<typeof programConversions>, path: string): Set<string> {
  let out = program.namers.get(path);
  if (out) return out;
  out = new Set([path]);
  const queue = [path];
  while (queue.length) {
    for (const p of program.importers.get(queue.pop()!) ?? []) {
      if (out.has(p)) continue;
      out.add(p);
      queue.push(p);
    }
  }
  program.namers.set(path, out);
  return out;
}

/** Whether the program shows a value of one of `types` (`import/path.Name` keys) becoming the interface. */
function seenConverted(graph: CallGraph, iface: Named, types: string[]): boolean {
  const program = programConversions(graph);
  const key = `${iface.path}.${iface.name}`;
  // `error` is the language's own: every package names it.
  const ifaceNamers = iface.path === '' ? undefined : namersOf(program, iface.path);
  const where = new Set<string>();
  for (const t of types) for (const p of namersOf(program, t.slice(0, t.lastIndexOf('.')))) if (!ifaceNamers || ifaceNamers.has(p)) where.add(p);
  for (const path of where) {
    let conversions = program.scanned.get(path);
    if (!conversions) program.scanned.set(path, (conversions = conversionsIn(graph, program.funcs.get(path) ?? [])));
    const seen = conversions.get(key);
    if (types.some((t) => seen?.has(t))) return true;
  }
  return false;
}

/** The types of the program that run `callee` for a call of `name` through `iface`. */
function implementersRunning(graph: CallGraph, iface: Type, name: string, callee: FuncNode): string[] {
  return graph.index.implementers(iface, name).flatMap((i) => (i.fn === callee ? [i.type.key] : []));
}

/** What the path's interface calls with several implementers assume: which implementer runs. */
export function dispatchAssumptions(parts: Parts, op: OpFact): Assumption[] {
  const { graph, ids } = parts;
  const out: Assumption[] = [];
  for (let i = 0; i + 1 < op.steps.length; i++) {
    const step = op.steps[i]!;
    const callee = op.steps[i + 1]!.node;
    const site = graph.sites(step.node).find((s) => s.call.pos === step.pos);
    if (!site || site.info.kind !== 'resolved' || site.call.fn.k !== 'sel') continue;
    const ifaceTargets = site.info.targets.filter((t) => t.how === 'interface');
    if (ifaceTargets.length < 2 || !ifaceTargets.some((t) => t.callee === callee)) continue;
    const recv = site.call.fn.x;
    const iface = graph.typeOf(step.node, recv);
    if (!isInterface(graph, iface)) continue;
    const types = implementersRunning(graph, iface, site.call.fn.name, callee);
    if (seenConverted(graph, iface, types)) continue;
    // `ss := newStore()` with ss declared as the interface: the receiver holds one of those types here.
    const local = recv.k === 'id' ? ids.localKey(step.node, recv) : undefined;
    const held = local === undefined ? [] : (ids.localSources(step.node).get(local) ?? []);
    if (held.some((src) => types.includes(namedKey(graph.typeOf(step.node, src)) ?? ''))) continue;
    out.push({
      kind: 'opaque-call',
      text: `\`${exprText(site.call.fn)}()\` (line ${lineOf(step.pos)}) dispatches to \`${shortName(callee)}\`, one of ${ifaceTargets.length} implementations`,
      location: nodeLocation(step.node, step.pos),
    });
  }
  return out;
}
