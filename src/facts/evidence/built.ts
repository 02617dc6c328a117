/**
 * Values built for a callee: "what does the callee read out of an argument its caller built on the spot?"
 * A caller often packs what it passes into a message made at the call, and the callee's branch reads one
 * part of it back:
 *
 *     event := NewDict().Set("id", m.id).Set("op", op)      // or Msg{From: m.id, Op: op}
 *     return m.handle(event)
 *     func (m *Manager) handle(event *Dict) { id, _ := event.GetInt64("id"); if id == m.id { return } ... }
 *
 * The part read is the value written under the same key (a `Set(key, v)` of a builder chain, read by a
 * `Get…(key)`: Go's naming habit for keyed containers) or in the same field of a struct literal. Neither side
 * may touch the value otherwise on the way (no other method call, no field write, no `&`, not handed on),
 * so what was written is what is read. reach.ts weighs the callee's condition with it.
 */
import type { Expr, Pos } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr, type CallExpr } from '../calls.js';
import type { Parts } from './assume.js';
import type { Written } from './options.js';

/** Which part of a parameter a callee reads: a struct field, or the value under a key. */
interface Part {
  param: Extract<Expr, { k: 'id' }>;
  field?: string;
  key?: string;
}

const GET_RE = /^Get/;

/** A short string literal's text: a key. */
function keyOf(e: Expr | undefined): string | undefined {
  return e?.k === 'lit' && e.kind === 'string' ? e.text : undefined;
}

/** `p.f` or `p.Get…("k")`, with `p` an identifier. */
function partOf(e: Expr): Part | undefined {
  if (e.k === 'sel' && e.x.k === 'id') return { param: e.x, field: e.name };
  if (e.k === 'call' && e.fn.k === 'sel' && e.fn.x.k === 'id' && GET_RE.test(e.fn.name) && e.args.length === 1) {
    const key = keyOf(e.args[0]);
    return key === undefined ? undefined : { param: e.fn.x, key };
  }
  return undefined;
}

/**
 * The part of a parameter that `x` reads in `fn`: `x` is `p.f` itself, or a local bound once to it (the
 * first result of `p.GetInt64("id")`).
 */
function readPart(parts: Parts, fn: FuncNode, x: Expr): Part | undefined {
  let src = x;
  if (x.k === 'id') {
    const s = parts.graph.storageOf(fn, x);
    if (s?.kind !== 'local' || s.fn !== fn.id) return undefined;
    const v = parts.graph.locals(fn).find((l) => l.storage.name === s.name);
    if (v?.def.k !== 'expr' || v.def.index !== 0 || v.def.ok || (parts.ids.localSources(fn).get(s.name) ?? []).length !== 1) return undefined;
    src = v.def.e;
  }
  const part = partOf(src);
  const p = part && parts.graph.storageOf(fn, part.param);
  return p?.kind === 'param' && p.fn === fn.id && p.index >= 0 ? part : undefined;
}

/**
 * Whether every use of the variable `name` in `fn` before `until` only reads a part of it (`v.f`, `v.Get…(k)`),
 * so nothing there changes what it holds; its own binding (`v := ...`) is no use.
 */
function onlyRead(fn: FuncNode, name: string, until: Pos): boolean {
  const body = fn.decl.body ?? [];
  const stmts = allStmts(body).filter((st) => st.pos < until);
  const bound = new Set<Expr>();
  const written = new Set<Expr>();
  for (const st of stmts) {
    if (st.k === 'assign') for (const l of st.lhs) (l.k === 'id' ? bound : written).add(l);
    if (st.k === 'incdec') written.add(st.x);
  }
  const methods = new Set<Expr>();
  const read = new Set<Expr>();
  let touched = false;
  forEachExpr(body, (e) => {
    if (e.pos >= until) return;
    if (e.k === 'call') methods.add(e.fn);
    if (e.k === 'call' && e.fn.k === 'sel' && GET_RE.test(e.fn.name)) read.add(e.fn.x);
    if (e.k === 'sel' && !methods.has(e) && !written.has(e)) read.add(e.x);
    if (e.k === 'id' && e.name === name && !bound.has(e) && !read.has(e)) touched = true;
  });
  return !touched;
}

/** The value the caller passed, as built: a struct literal (`&T{...}` too) or a builder chain, directly or through a local bound once to it. */
function builtArg(parts: Pick<Parts, 'graph' | 'ids'>, caller: FuncNode, call: CallExpr, arg: Expr): Expr | undefined {
  let e = arg.k === 'unary' && arg.op === '&' ? arg.x : arg;
  if (e.k === 'id') {
    const s = parts.graph.storageOf(caller, e);
    const sources = s?.kind === 'local' && s.fn === caller.id ? (parts.ids.localSources(caller).get(s.name) ?? []) : [];
    if (sources.length !== 1 || !onlyRead(caller, e.name, call.pos)) return undefined;
    e = sources[0]!.k === 'unary' && (sources[0] as { op: string }).op === '&' ? (sources[0] as { x: Expr }).x : sources[0]!;
  }
  return e.k === 'composite' || e.k === 'call' ? e : undefined;
}

/** What a built value holds in a part: the literal's field, or the last `Set(key, v)` of the chain for the key. */
function valueIn(made: Expr, part: Pick<Part, 'field' | 'key'>): Expr | undefined {
  if (part.field !== undefined) return made.k === 'composite' ? made.elems.find((el) => el.key === part.field)?.value : undefined;
  for (let e = made; e.k === 'call' && e.fn.k === 'sel' && e.fn.name === 'Set' && e.args.length === 2; e = e.fn.x) {
    if (keyOf(e.args[0]) === part.key) return e.args[1];
  }
  return undefined;
}

/**
 * What field `field` of the argument `arg` holds as the caller built it (`opts := &T{lock: lock}; v.run(opts)`):
 * the literal's element, when the caller only reads the struct up to the call; undefined otherwise.
 */
export function builtField(parts: Pick<Parts, 'graph' | 'ids'>, caller: FuncNode, call: CallExpr, arg: Expr, field: string): Expr | undefined {
  const made = builtArg(parts, caller, call, arg);
  return made && made.k === 'composite' ? valueIn(made, { field }) : undefined;
}

/**
 * The value `x` (read in `callee` before `at`) has when `call` in `caller` runs it, as the caller wrote it,
 * when `x` reads a part of an argument the caller built; `argument` maps a callee's parameter to what the call
 * passes for it (undefined when the callee assigns it first).
 */
export function builtValue(
  parts: Parts,
  caller: FuncNode,
  call: CallExpr,
  callee: FuncNode,
  x: Expr,
  at: Pos,
  argument: (p: Expr) => Expr | undefined,
): Written | undefined {
  const part = readPart(parts, callee, x);
  if (!part || !onlyRead(callee, part.param.name, at)) return undefined;
  const arg = argument(part.param);
  const made = arg && builtArg(parts, caller, call, arg);
  const value = made && valueIn(made, part);
  return value && { e: value, fn: caller };
}
