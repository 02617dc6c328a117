/**
 * Confinement: "can anything but this function reach an object it made?" — a small, conservative escape check
 * of a local bound once to a value made on the spot (`&T{}`, `T{}`, `new(T)`, a zero `var x T`, a constructor
 * of the program that returns a literal). Every use of the variable, in the function and the literals inside
 * it, must be a part of the object off a given path (`p.name`, `p.stats.n`: another field), a call on the part
 * at the path itself (`p.mu.Lock()`), a nil comparison, or an argument a caller-given judge accepts. Anything
 * else lets the object out: returned, stored, sent, passed, its address or the part on the path taken, a
 * method called on it.
 */
import type { Expr, FuncDecl } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInLoops, forEachExpr, type CallExpr } from '../calls.js';
import { isNil } from '../../irutil.js';
import type { Identity } from './identity.js';
import { isConstruction } from './roots.js';

/** A call made on the confined part itself, and whether it runs at most once per object made. */
export interface PartCall {
  node: FuncNode;
  call: CallExpr;
  method: string;
  once: boolean;
}

/** Whether a use of the object as argument `index` of `call` in `node` cannot let it out. */
export type ArgJudge = (node: FuncNode, call: CallExpr, index: number) => boolean;

/** Whether `e` names the local `name` of `decl` (from `node`, `decl` or a literal inside it). */
export function isLocal(graph: CallGraph, node: FuncNode, e: Expr, decl: FuncNode, name: string): boolean {
  const st = e.k === 'id' ? graph.storageOf(node, e) : undefined;
  return st?.kind === 'local' && st.fn === decl.id && st.name === name;
}

/** `a.b.c` as its base and the names selected, outermost last. */
function chainOf(e: Expr): { base: Expr; names: string[] } {
  const names: string[] = [];
  let base = e;
  while (base.k === 'sel') {
    names.unshift(base.name);
    base = base.x;
  }
  return { base, names };
}

export class Confinement {
  constructor(
    private readonly graph: CallGraph,
    private readonly ids: Identity,
  ) {}

  /** A value that exists nowhere else yet: a literal, `new`, or a constructor of the program that returns a literal. */
  made(e: Expr): boolean {
    if (e.k === 'composite' || (e.k === 'unary' && e.op === '&' && e.x.k === 'composite')) return true;
    if (e.k !== 'call' || !isConstruction(e)) return false;
    if (e.fn.k === 'id' && e.fn.name === 'new') return true;
    const info = this.graph.callInfo(e);
    const callee = info.kind === 'resolved' && info.targets.length === 1 && info.targets[0]!.how === 'static' ? info.targets[0]!.callee : undefined;
    const returns = callee ? allStmts(callee.decl.body ?? []).filter((st) => st.k === 'return') : [];
    return returns.length > 0 && returns.every((st) => st.k === 'return' && st.values[0] !== undefined && this.made(st.values[0]));
  }

  /** The literals declared inside `decl`, at any depth, with `decl` itself first. */
  private within(decl: FuncNode): FuncNode[] {
    const { funcs } = decl.file;
    const inside = (f: FuncDecl): boolean => f === decl.decl || (f.parent !== undefined && inside(funcs[f.parent]!));
    return [decl, ...funcs.filter((f) => f !== decl.decl && inside(f)).map((f) => this.graph.nodeOf(decl.file, f))];
  }

  /** Whether a call in `node` runs at most once per run of `decl`: out of loops, in literals called on the spot. */
  private once(decl: FuncNode, node: FuncNode, call: CallExpr): boolean {
    if (callsInLoops(node.decl.body ?? []).has(call.pos)) return false;
    if (node === decl) return true;
    const parentDecl = node.decl.parent === undefined ? undefined : node.file.funcs[node.decl.parent];
    if (!parentDecl) return false;
    const parent = this.graph.nodeOf(node.file, parentDecl);
    const index = node.file.funcs.indexOf(node.decl);
    let site: CallExpr | undefined;
    let mentions = 0;
    forEachExpr(parent.decl.body ?? [], (e) => {
      if (e.k === 'funclit' && e.fn === index) mentions++;
      if (e.k === 'call' && e.fn.k === 'funclit' && e.fn.fn === index) site = e;
    });
    return site !== undefined && mentions === 1 && this.once(decl, parent, site);
  }

  /**
   * The calls made on `name.path` (a local of `decl`, `path` its field names) when the object `name` holds is
   * made in `decl` and confined to it; undefined when it may be reached otherwise.
   */
  partCalls(decl: FuncNode, name: string, path: readonly string[], judge: ArgJudge): PartCall[] | undefined {
    const local = this.graph.locals(decl).find((v) => v.storage.name === name);
    const sources = this.ids.localSources(decl).get(name) ?? [];
    const zero = local?.def.k === 'type' && local.def.t.k !== 'ptr';
    if (!local || sources.length !== 1 || !(zero || this.made(sources[0]!))) return undefined;
    return this.confined(decl, (node, e) => isLocal(this.graph, node, e, decl, name), path, judge);
  }

  /**
   * The calls made on the part at `path` of what `isVar` names (a variable of `decl`), when every use of it in
   * `decl` and its literals is one that keeps the object there (see the module's comment); undefined otherwise.
   */
  confined(decl: FuncNode, isVar: (node: FuncNode, e: Expr) => boolean, path: readonly string[], judge: ArgJudge): PartCall[] | undefined {
    const out: PartCall[] = [];
    const used = new Set<Expr>();
    const seen: Expr[] = [];
    for (const node of this.within(decl)) {
      const body = node.decl.body ?? [];
      // The declaration's own name.
      for (const st of allStmts(body)) if (st.k === 'assign' && st.op === ':=') for (const l of st.lhs) if (isVar(node, l)) used.add(l);
      forEachExpr(body, (e) => {
        if (isVar(node, e)) seen.push(e);
        if (e.k === 'call') {
          e.args.forEach((a, i) => isVar(node, a) && judge(node, e, i) && used.add(a));
          if (e.fn.k !== 'sel') return;
          const { base, names } = chainOf(e.fn.x);
          if (!isVar(node, base) || used.has(base)) return;
          const onPath = names.every((n, i) => n === path[i]);
          // `p.Lock()` on a struct embedding the mutex at `path`: a call on the part, promoted.
          if (onPath && (names.length === path.length || (names.length + 1 === path.length && this.promotedFrom(node, e.fn, path.at(-1)!)))) {
            used.add(base);
            out.push({ node, call: e, method: e.fn.name, once: this.once(decl, node, e) });
          }
        } else if (e.k === 'sel') {
          const { base, names } = chainOf(e);
          if (isVar(node, base) && !used.has(base) && this.offPath(node, e, names, path)) used.add(base);
        } else if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
          for (const [x, y] of [[e.x, e.y], [e.y, e.x]] as const) if (isVar(node, x) && isNil(y)) used.add(x);
        }
      });
    }
    return seen.every((e) => used.has(e)) ? out : undefined;
  }

  /** Whether `x.m` is a method promoted from the embedded field `field` of x's struct (`s.Lock()` of an embedded `sync.Mutex`). */
  private promotedFrom(node: FuncNode, sel: Extract<Expr, { k: 'sel' }>, field: string): boolean {
    let t = this.graph.typeOf(node, sel.x);
    if (t.k === 'ptr') t = t.elem;
    const s = this.graph.index.select(t, sel.name);
    return (s?.k === 'external' || (s?.k === 'method' && s.promoted)) && s.recv.name === field;
  }

  /** Whether `x.a.b` selects fields that leave `path` (a field not on it), not the part on it or a method. */
  private offPath(node: FuncNode, e: Expr, names: readonly string[], path: readonly string[]): boolean {
    const at = names.findIndex((n, i) => i >= path.length || n !== path[i]);
    if (at === -1 || at >= path.length) return false;
    let x: Expr = e;
    for (let i = names.length - 1; i > at; i--) x = (x as Extract<Expr, { k: 'sel' }>).x;
    if (x.k !== 'sel') return false;
    let t = this.graph.typeOf(node, x.x);
    if (t.k === 'ptr') t = t.elem;
    return this.graph.index.select(t, x.name)?.k === 'field';
  }
}
