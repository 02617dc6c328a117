/**
 * Exhaustive switches: "can this switch's `default` run?" — not when the tag is a parameter every call in the
 * program passes one of the cases' constants (`read(mq, _FromMemory)`: see `passedOnly`), nor when the tag is a
 * field of a struct a parser just returned without error, and that parser sets the field, on every path to a
 * nil-error return, only to constants the switch's cases name:
 *
 *     ep, err := parse(s)          // parse: `var ep Endpoint; switch { case ...: ep.Kind = HTTP ... default: return ep, errBad }`
 *     if err != nil { return err }
 *     switch ep.Kind { case HTTP: ...; case Redis: ...; default: return errUnknown }   // dead
 *
 * The struct comes back by value, so only the parser and the caller's own local can change it: the caller must
 * bind that local once and neither write it nor take its address (a method with a pointer receiver does),
 * and the parser likewise with the local it returns. Its zero value is no case unless a case says so: a path
 * to a nil-error return that leaves the field unset makes the default live.
 */
import type { Expr, Stmt } from '../../ir.js';
import { isNil } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Storage } from '../../resolve/bindings.js';
import { deref } from '../../resolve/types.js';
import { walkFunction } from '../../flow/walk.js';
import { allStmts, forEachExpr, literalsOf, PRECISE_HOWS } from '../calls.js';
import type { Dispatch } from '../dispatch.js';
import type { Identity } from '../identity/identity.js';
import { argOf } from '../identity/roots.js';
import { valueUsesOf } from '../program/valueuses.js';
import type { Atom } from './atoms.js';
import { constantValue } from './constlocals.js';

/** The constants a parser's result field is set to on its nil-error returns, or undefined when not all are known. */
type Produced = ReadonlySet<string> | undefined;

const NOTHING: ReadonlySet<string> = new Set();

/** Whether a function literal inside `fn`, at any depth, uses its variable `is` (and so may write it). */
function captured(graph: CallGraph, fn: FuncNode, is: (s: Storage) => boolean): boolean {
  for (const lit of literalsOf(fn, graph).values()) if (graph.captures(lit).some((s) => s.kind !== 'field' && s.kind !== 'global' && s.fn === fn.id && is(s))) return true;
  return false;
}

/** The index of the parameter `e` names, when `fn` neither assigns it nor lends it (`&p`, a closure). */
export function unchangedParam(graph: CallGraph, fn: FuncNode, e: Expr): number | undefined {
  const s = e.k === 'id' ? graph.storageOf(fn, e) : undefined;
  if (s?.kind !== 'param' || s.fn !== fn.id || s.index < 0 || (fn.decl.variadic && s.index === fn.decl.params.length - 1)) return undefined;
  const body = fn.decl.body ?? [];
  const isIt = (x: Expr) => x.k === 'id' && x.name === s.name;
  if (allStmts(body).some((st) => (st.k === 'assign' && st.lhs.some(isIt)) || (st.k === 'incdec' && isIt(st.x)))) return undefined;
  let lent = false;
  forEachExpr(body, (x) => {
    if (x.k === 'unary' && x.op === '&' && isIt(x.x)) lent = true;
  });
  return lent || captured(graph, fn, (c) => c.kind === 'param' && c.index === s.index) ? undefined : s.index;
}

/** Whether no code outside the checkout can call `fn` by name: it is unexported, or in package main. */
export function hiddenFromOutside(fn: FuncNode): boolean {
  const { name } = fn.decl;
  return name !== '' && (!/^\p{Lu}/u.test(name) || fn.file.packageName === 'main');
}

/** Calls through parameters that pass a caller's own parameter on (`read(mq, t)` → `readWithException(mq, t)`) followed this deep. */
const MAX_HOPS = 3;

/**
 * Whether a local of `fn` is only read where it is bound, apart from the field writes the caller weighs: its
 * address not taken, no method called on it, no function literal using it.
 */
function untouched(graph: CallGraph, ids: Identity, fn: FuncNode, key: string): boolean {
  if (captured(graph, fn, (s) => s.kind === 'local' && s.name === key)) return false;
  const isIt = (e: Expr): boolean => (e.k === 'id' ? ids.localKey(fn, e) === key : e.k === 'sel' ? isIt(e.x) : false);
  let touched = false;
  forEachExpr(fn.decl.body ?? [], (e) => {
    if (e.k === 'unary' && e.op === '&' && isIt(e.x)) touched = true;
    // `x.Set(...)` on a value may take its address for a pointer receiver.
    if (e.k === 'call' && e.fn.k === 'sel' && isIt(e.fn.x) && graph.index.select(graph.typeOf(fn, e.fn.x), e.fn.name)?.k === 'method') touched = true;
  });
  return !touched;
}

/** The fields of `key` assigned in a statement (`ep.Kind = HTTP`), with the values they get. */
function fieldWrites(ids: Identity, fn: FuncNode, st: Stmt, key: string): [string, Expr | undefined][] {
  if (st.k !== 'assign') return [];
  return st.lhs.flatMap((l, i): [string, Expr | undefined][] => {
    if (l.k !== 'sel' || l.x.k !== 'id' || ids.localKey(fn, l.x) !== key) return [];
    return [[l.name, st.op === '=' && st.rhs.length === st.lhs.length ? st.rhs[i] : undefined]];
  });
}

export class Exhaustive {
  private readonly produced = new Map<string, Produced>();
  /** Per switch tag: the error root whose nil-ness kills the default, or null when nothing does. */
  private readonly needs = new WeakMap<Expr, string | null>();

  /** Per function and parameter index: the constants every call passes (passedTo). */
  private readonly passed = new Map<string, ReadonlySet<string> | null>();
  /** Per switch tag: whether the calls' constants leave its default dead. */
  private readonly onlyCases = new WeakMap<Expr, boolean>();

  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly ids: Identity,
  ) {}

  /**
   * The value a statement declares a local with (`var x T`: the literal `nil` stands for the zero value), if it
   * declares it. A `var` names no storage: any declaration of the name counts, which can only unset it.
   */
  private declaredValue(fn: FuncNode, st: Stmt, key: string): Expr | undefined {
    if (st.k === 'var') {
      const i = st.names.findIndex((n) => key === n || key.startsWith(`${n}'`));
      return i === -1 ? undefined : (st.values[i] ?? { k: 'lit', kind: 'nil', pos: st.pos });
    }
    if (st.k !== 'assign' || st.op !== ':=') return undefined;
    const i = st.lhs.findIndex((l) => l.k === 'id' && this.ids.localKey(fn, l) === key);
    return i === -1 ? undefined : st.rhs[i];
  }

  /** Whether a switch on `tag` with these case values has a dead default where the path condition is `conds`. */
  covers(fn: FuncNode, tag: Expr, cases: readonly Expr[], conds: ReadonlySet<Atom>): boolean {
    // Walks visit a switch once per pass of its loop and per walk: all but the path condition is worked out once.
    let only = this.onlyCases.get(tag);
    if (only === undefined) this.onlyCases.set(tag, (only = this.passedOnly(fn, tag, cases)));
    if (only) return true;
    let need = this.needs.get(tag);
    if (need === undefined) this.needs.set(tag, (need = this.errorToExclude(fn, tag, cases) ?? null));
    return need !== null && conds.has(`nil:${need}`);
  }

  /**
   * Whether the tag is a parameter of `fn` that `fn` never changes, and every call of `fn` in the program
   * passes a constant a case names: the function must have callers, and no caller the call graph cannot
   * see (it is unexported, or in package main, and not used as a value).
   */
  private passedOnly(fn: FuncNode, tag: Expr, cases: readonly Expr[]): boolean {
    const index = unchangedParam(this.graph, fn, tag);
    if (index === undefined || this.graph.callers(fn).length === 0) return false;
    const values = this.passedTo(fn, index, new Set());
    const named = new Set(cases.map((c) => this.graph.constantOf(fn, c)));
    return values !== undefined && [...values].every((v) => named.has(v));
  }


  /**
   * The constants parameter `index` of `fn` holds over every call in the program: a constant argument, or the
   * caller's own unchanged parameter, whose callers are asked in turn. Undefined when some call passes anything
   * else, or `fn` may have callers the call graph does not hold.
   */
  private passedTo(fn: FuncNode, index: number, seen: Set<string>): ReadonlySet<string> | undefined {
    const key = `${fn.id}\0${index}`;
    // A cycle of calls passing the parameter round adds no value of its own.
    if (seen.has(key)) return new Set();
    // Only a whole answer is kept: one worked out inside a cycle lacks what the cycle's first function adds.
    if (seen.size === 0 && this.passed.has(key)) return this.passed.get(key) ?? undefined;
    const out = this.computePassed(fn, index, new Set([...seen, key]));
    if (seen.size === 0) this.passed.set(key, out ?? null);
    return out;
  }

  private computePassed(fn: FuncNode, index: number, seen: Set<string>): ReadonlySet<string> | undefined {
    if (!hiddenFromOutside(fn) || seen.size > MAX_HOPS + 1) return undefined;
    const values = new Set<string>();
    for (const { caller, call } of this.graph.callers(fn)) {
      const arg = argOf(this.dispatch.calledAs(call), `@${index}`);
      const c = arg && constantValue(this.graph, caller, arg);
      if (c !== undefined) {
        values.add(c);
        continue;
      }
      const p = arg && unchangedParam(this.graph, caller, arg);
      const through = p === undefined ? undefined : this.passedTo(caller, p, seen);
      if (!through) return undefined;
      for (const v of through) values.add(v);
    }
    // Asked last: the program-wide scan behind it is costly.
    return valueUsesOf(this.graph).usedAsValue(fn) ? undefined : values;
  }

  /**
   * The condition root of the error that must be nil for the default to be dead: the one the parser that made
   * the tag's struct returned alongside it. Undefined when the default is live whatever that error is.
   */
  private errorToExclude(fn: FuncNode, tag: Expr, cases: readonly Expr[]): string | undefined {
    if (tag.k !== 'sel' || tag.x.k !== 'id') return undefined;
    const key = this.ids.localKey(fn, tag.x);
    const local = key === undefined ? undefined : this.graph.locals(fn).find((v) => v.storage.name === key);
    const def = local?.def;
    if (def?.k !== 'expr' || def.e.k !== 'call' || this.ids.localSources(fn).get(key!)?.length !== 1) return undefined;
    const call = def.e;
    const info = this.graph.callInfo(call);
    const target = info.kind === 'resolved' && info.targets.length === 1 && PRECISE_HOWS.has(info.targets[0]!.how) ? info.targets[0]!.callee : undefined;
    if (!target || !untouched(this.graph, this.ids, fn, key!)) return undefined;
    if (allStmts(fn.decl.body ?? []).some((st) => fieldWrites(this.ids, fn, st, key!).some(([f]) => f === tag.name))) return undefined;
    const values = this.producedBy(target, def.index, tag.name);
    const named = new Set(cases.map((c) => this.graph.constantOf(fn, c)));
    if (!values || ![...values].every((v) => named.has(v))) return undefined;
    return this.errorRoot(fn, call, target.decl.results.length - 1);
  }

  /** The condition root of the local the error result of `call` is bound to, when bound once. */
  private errorRoot(fn: FuncNode, call: Expr, index: number): string | undefined {
    const err = this.graph.locals(fn).find((v) => v.def.k === 'expr' && v.def.e === call && v.def.index === index);
    // An error variable bound again may hold another call's error when it is tested.
    if (!err || this.ids.localSources(fn).get(err.storage.name)?.length !== 1) return undefined;
    let use: Expr | undefined;
    forEachExpr(fn.decl.body ?? [], (e) => {
      if (!use && e.k === 'id' && this.ids.localKey(fn, e) === err.storage.name) use = e;
    });
    // A local aliasing its call's receiver (`ep, err := p.parse(s)`) shares that root with the receiver's own nil checks.
    return use && this.ids.condRoot(fn, use) === err.storage.name ? err.storage.name : undefined;
  }

  /**
   * The constants result `index` of `parser` has in `field` at its nil-error returns: a struct value held in one
   * local of the parser, set on every path to such a return. Undefined when some path leaves it unset or sets
   * it to anything but a constant.
   */
  private producedBy(parser: FuncNode, index: number, field: string): Produced {
    const memo = `${parser.id}\0${index}\0${field}`;
    if (this.produced.has(memo)) return this.produced.get(memo);
    this.produced.set(memo, undefined);
    const out = this.compute(parser, index, field);
    this.produced.set(memo, out);
    return out;
  }

  private compute(parser: FuncNode, index: number, field: string): Produced {
    const { results, body } = parser.decl;
    const errType = results.at(-1)?.type;
    const resultType = results[index] && this.graph.index.resolveType(results[index]!.type, this.graph.index.scopeOf(parser.file));
    if (!body || errType?.k !== 'name' || errType.name !== 'error' || index === results.length - 1) return undefined;
    if (resultType?.k !== 'named' || deref(resultType) !== resultType || this.graph.index.under(resultType).k !== 'struct') return undefined;
    const values = new Set<string>();
    let known = true;
    const constant = (e: Expr | undefined) => {
      const c = e && this.graph.constantOf(parser, e);
      if (c === undefined) known = false;
      else values.add(c);
    };
    // The locals returned: each bound once, by a declaration without a value or a struct literal.
    const returned = new Set<string>();
    for (const st of allStmts(body)) {
      if (st.k !== 'return' || st.values.length !== results.length || !isNil(st.values.at(-1)!)) continue;
      const v = st.values[index]!;
      const key = v.k === 'id' ? this.ids.localKey(parser, v) : undefined;
      if (key === undefined) return undefined;
      returned.add(key);
    }
    for (const key of returned) {
      const sources = this.ids.localSources(parser).get(key) ?? [];
      if (!untouched(this.graph, this.ids, parser, key) || sources.some((s) => s.k !== 'composite' && s.k !== 'bad')) return undefined;
      for (const s of sources) if (s.k === 'composite') s.elems.filter((el) => el.key === field).forEach((el) => constant(el.value));
      for (const st of allStmts(body)) for (const [f, value] of fieldWrites(this.ids, parser, st, key)) if (f === field) constant(value);
    }
    if (!known || !this.setOnEveryReturn(parser, index, field, returned)) return undefined;
    return values.size ? values : NOTHING;
  }

  /** Whether every path to a nil-error return sets the field of the local it returns (must-assigned, joined by intersection). */
  private setOnEveryReturn(parser: FuncNode, index: number, field: string, returned: ReadonlySet<string>): boolean {
    let ok = true;
    const domain = {
      join: (a: ReadonlySet<string>, b: ReadonlySet<string>) => (a === b ? a : new Set([...a].filter((k) => b.has(k)))),
      equal: (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((k) => b.has(k)),
    };
    const setIn = (st: Stmt, s: ReadonlySet<string>) => {
      let out = s;
      for (const key of returned) {
        const declared = this.declaredValue(parser, st, key);
        const sets = fieldWrites(this.ids, parser, st, key).some(([f]) => f === field) || (declared?.k === 'composite' && declared.elems.some((el) => el.key === field));
        // A declaration without the field starts the local over, unset.
        if (sets) out = out.has(key) ? out : new Set([...out, key]);
        else if (declared !== undefined && out.has(key)) out = new Set([...out].filter((k) => k !== key));
      }
      return out;
    };
    walkFunction<ReadonlySet<string>>(parser.decl.body ?? [], NOTHING, domain, {
      simple: (st, s) => {
        if (st.k === 'return' && st.values.length > index && isNil(st.values.at(-1)!)) {
          const v = st.values[index]!;
          const key = v.k === 'id' ? this.ids.localKey(parser, v) : undefined;
          if (key === undefined || !s.has(key)) ok = false;
        }
        return setIn(st, s);
      },
      expr: (_e, s) => s,
    });
    return ok;
  }
}
