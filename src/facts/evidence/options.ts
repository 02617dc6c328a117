/**
 * Functional options: "what does a field of a callee's options struct hold at this call?" Go's option idiom
 * builds a struct from the variadic options a caller passes, each one a closure that sets a field:
 *
 *     func withAlreadyLocked(b bool) Option { return func(o *options) { o.alreadyLocked = b } }
 *     func getOpts(opt ...Option) options { opts := options{}; for _, o := range opt { o(&opts) }; return opts }
 *     func (k *Keys) Unwrap(opt ...Option) { opts := getOpts(opt...); if !opts.alreadyLocked { k.l.Lock() } }
 *
 * A branch of the callee on `opts.alreadyLocked` then reads what the caller passes, as a branch on a parameter
 * does (reach.ts): `k.Unwrap(withAlreadyLocked(true))` decides it. The field's value at a call is what the last
 * option setting it sets (a constant, or the constant its constructor was given), or, when none does, the value
 * the builder starts from (its default struct's, or the zero value). An option the engine cannot read (a
 * forwarded `opt...`, a variable) leaves it undecided.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, PRECISE_HOWS, type CallExpr } from '../calls.js';
import type { Parts } from './assume.js';

/** A value as written in some function: the caller's argument, or a constant in an option's own code. */
export interface Written {
  e: Expr;
  fn: FuncNode;
}

/** A field of an options struct a callee builds from its variadic parameter. */
interface OptionField {
  field: string;
  /** The index of the variadic parameter: the caller's arguments from there on are the options. */
  from: number;
  /** The option function type's parameter is a pointer to this struct; the builder. */
  builder: FuncNode;
}

/** The single function a call certainly runs. */
function calleeOf(parts: Parts, call: Expr): FuncNode | undefined {
  if (call.k !== 'call') return undefined;
  const info = parts.graph.callInfo(call);
  const t = info.kind === 'resolved' && info.targets.length === 1 ? info.targets[0]! : undefined;
  return t && PRECISE_HOWS.has(t.how) ? t.callee : undefined;
}

const isName = (e: Expr, name: string) => e.k === 'id' && e.name === name;

/** Whether a statement assigns the whole local `name` or one of its fields (`opts.f = v`). */
function writes(st: Stmt, name: string, field?: string): boolean {
  if (st.k !== 'assign') return false;
  return st.lhs.some((l) => isName(l, name) || (l.k === 'sel' && isName(l.x, name) && (field === undefined || l.name === field)));
}

/**
 * `opts.f` in `fn`, where `opts := build(opt...)` is bound once from fn's own variadic parameter, neither
 * written nor lent (`&opts`) before `at`, and `build` applies each option to the struct it returns.
 */
function optionField(parts: Parts, fn: FuncNode, e: Expr, at: Pos): OptionField | undefined {
  if (e.k !== 'sel' || e.x.k !== 'id' || !fn.decl.variadic) return undefined;
  const s = parts.graph.storageOf(fn, e.x);
  const sources = s?.kind === 'local' && s.fn === fn.id ? (parts.ids.localSources(fn).get(s.name) ?? []) : [];
  const src = sources.length === 1 ? sources[0]! : undefined;
  const from = fn.decl.params.length - 1;
  const last = src?.k === 'call' && src.spread ? src.args.at(-1) : undefined;
  if (!last || last.k !== 'id' || parts.graph.storageOf(fn, last)?.kind !== 'param' || (parts.graph.storageOf(fn, last) as { index: number }).index !== from) return undefined;
  const name = e.x.name;
  const body = fn.decl.body ?? [];
  if (allStmts(body).some((st) => st.pos < at && st.k === 'assign' && st.op !== ':=' && writes(st, name, e.name))) return undefined;
  let lent = false;
  forEachExpr(body, (x) => {
    if (x.k === 'unary' && x.op === '&' && isName(x.x, name) && x.pos < at) lent = true;
  });
  const builder = calleeOf(parts, src!);
  return !lent && builder && appliesOptions(builder) ? { field: e.name, from, builder } : undefined;
}

/**
 * Whether a builder returns the one local it applies each of its variadic options to: `for _, o := range opt
 * { o(&opts) }` (a nil check around the call allowed), and nothing else writes the local but its binding.
 */
function appliesOptions(builder: FuncNode): boolean {
  const { decl } = builder;
  const opt = decl.params.at(-1)?.name;
  const body = decl.body ?? [];
  const ret = body.at(-1);
  const local = ret?.k === 'return' && ret.values.length === 1 && ret.values[0]!.k === 'id' ? ret.values[0]!.name : undefined;
  if (!decl.variadic || !opt || !local) return false;
  const loop = body.find((st) => st.k === 'for' && st.range !== undefined && isName(st.range.x, opt));
  if (loop?.k !== 'for' || loop.range?.value?.k !== 'id') return false;
  const o = loop.range.value.name;
  let applied = false;
  forEachExpr(loop.body, (x) => {
    if (x.k === 'call' && isName(x.fn, o) && x.args.length === 1 && x.args[0]!.k === 'unary' && x.args[0]!.op === '&' && isName(x.args[0]!.x, local)) applied = true;
  });
  return applied && !allStmts(body).some((st) => st.k === 'assign' && st.op !== ':=' && writes(st, local));
}

/** The value the builder's struct starts with in a field: `options{f: v}`, or that of a helper returning one. */
function startValue(parts: Parts, builder: FuncNode, field: string, zero: Written | undefined): Written | undefined {
  const body = builder.decl.body ?? [];
  const ret = body.at(-1);
  const local = ret?.k === 'return' && ret.values[0]?.k === 'id' ? ret.values[0] : undefined;
  const s = local && parts.graph.storageOf(builder, local);
  const sources = s?.kind === 'local' ? (parts.ids.localSources(builder).get(s.name) ?? []) : [];
  if (sources.length !== 1) return undefined;
  let made: Written = { e: sources[0]!, fn: builder };
  // `opts := getDefaultOptions()`: a helper whose one statement returns the struct.
  const helper = calleeOf(parts, made.e);
  if (helper) {
    const only = helper.decl.body?.length === 1 ? helper.decl.body[0] : undefined;
    if (only?.k !== 'return' || only.values.length !== 1) return undefined;
    made = { e: only.values[0]!, fn: helper };
  }
  if (made.e.k !== 'composite') return undefined;
  if (made.e.elems.some((el) => el.key === undefined)) return undefined;
  const el = made.e.elems.find((x) => x.key === field);
  return el ? { e: el.value, fn: made.fn } : zero;
}

/** The zero value of a type, as a constant the IR can name. */
function zeroOf(parts: Parts, fn: FuncNode, e: Expr): Written | undefined {
  const t = parts.graph.index.under(parts.graph.typeOf(fn, e));
  const lit = (kind: 'false' | 'nil' | 'int'): Written => ({ e: { k: 'lit', kind, ...(kind === 'int' ? { zero: true as const, value: 0 } : {}), pos: e.pos }, fn });
  if (t.k === 'basic') return t.name === 'bool' ? lit('false') : /^u?int(8|16|32|64)?$/.test(t.name) ? lit('int') : undefined;
  return ['ptr', 'slice', 'map', 'chan', 'func', 'iface'].includes(t.k) ? lit('nil') : undefined;
}

/**
 * What one option passed at a call does to `field`: `'untouched'`, the value it sets, or undefined when the
 * engine cannot tell. The option is a call of a constructor that returns one closure setting fields of the
 * struct it is handed; the value set is a constant there, or the constructor's parameter (the caller's argument).
 */
function optionSets(parts: Parts, caller: FuncNode, arg: Expr, field: string): Written | 'untouched' | undefined {
  if (arg.k === 'lit' && arg.kind === 'nil') return 'untouched';
  const ctor = calleeOf(parts, arg);
  const only = ctor?.decl.body?.length === 1 ? ctor.decl.body[0] : undefined;
  const lit = only?.k === 'return' && only.values.length === 1 ? only.values[0] : undefined;
  if (!ctor || arg.k !== 'call' || lit?.k !== 'funclit') return undefined;
  const litDecl = ctor.file.funcs[lit.fn]!;
  const o = litDecl.params[0]?.name;
  if (!o || litDecl.params.length !== 1) return undefined;
  const litNode = parts.graph.nodeOf(ctor.file, litDecl);
  const body = litDecl.body ?? [];
  // Every use of the struct is a field it sets or reads: handed on, it could be set anywhere.
  let opaque = false;
  forEachExpr(body, (x) => {
    if (x.k === 'call' && x.args.some((a) => isName(a, o) || (a.k === 'unary' && isName(a.x, o)))) opaque = true;
    if (x.k === 'unary' && x.op === '*' && isName(x.x, o)) opaque = true;
  });
  if (opaque || allStmts(body).some((st) => st.k === 'assign' && st.lhs.some((l) => isName(l, o)))) return undefined;
  const sets = allStmts(body).filter((st) => writes(st, o, field));
  if (sets.length === 0) return 'untouched';
  const st = sets[0]!;
  if (sets.length > 1 || !body.includes(st) || st.k !== 'assign' || st.op !== '=' || st.lhs.length !== st.rhs.length) return undefined;
  const value = st.rhs[st.lhs.findIndex((l) => l.k === 'sel' && isName(l.x, o) && l.name === field)]!;
  // The constructor's parameter: the argument the caller gave it.
  const p = value.k === 'id' ? parts.graph.storageOf(litNode, value) : undefined;
  if (p?.kind === 'param' && p.fn === ctor.id && p.index >= 0) return p.index < arg.args.length && !arg.spread ? { e: arg.args[p.index]!, fn: caller } : undefined;
  return { e: value, fn: litNode };
}

/**
 * The value `e` (an options field read in `callee`, before `at`) has when `call` in `caller` runs it, as
 * written somewhere: undefined when `e` is no such field or the options passed do not say.
 */
export function optionValue(parts: Parts, caller: FuncNode, call: CallExpr, callee: FuncNode, e: Expr, at: Pos): Written | undefined {
  const of = optionField(parts, callee, e, at);
  if (!of) return undefined;
  if (call.spread) return undefined;
  const options = call.args.slice(of.from);
  for (let i = options.length - 1; i >= 0; i--) {
    const set = optionSets(parts, caller, options[i]!, of.field);
    if (set !== 'untouched') return set;
  }
  return startValue(parts, of.builder, of.field, zeroOf(parts, callee, e));
}

/** Whether `e` reads a field of the options struct a callee builds from what its callers pass. */
export function readsOption(parts: Parts, fn: FuncNode, e: Expr, at: Pos): boolean {
  return optionField(parts, fn, e, at) !== undefined;
}
