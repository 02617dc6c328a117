import type { ChanDir } from '../ir.js';

/**
 * A resolved type: what the light inference knows about a value. Named types are references
 * (import path + name, with type arguments), so the graph of types is finite and cheap to copy;
 * their underlying types are looked up in the index on demand.
 */
export type Type =
  /** `path` is '' for the universe's `error` and `comparable`. */
  | { k: 'named'; path: string; name: string; args?: Type[] }
  | { k: 'basic'; name: string }
  | { k: 'ptr'; elem: Type }
  | { k: 'slice'; elem: Type }
  | { k: 'array'; elem: Type }
  | { k: 'map'; key: Type; elem: Type }
  | { k: 'chan'; dir: ChanDir; elem: Type }
  | { k: 'func'; params: Type[]; results: Type[]; variadic: boolean }
  | { k: 'struct'; fields: StructField[] }
  | { k: 'iface'; methods: IfaceMethod[]; embeds: Type[] }
  /** The results of a call with several of them. */
  | { k: 'tuple'; elems: Type[] }
  /** A type parameter not (yet) substituted; `constraint` lets calls on it dispatch. */
  | { k: 'tparam'; name: string; constraint: Type }
  | { k: 'unknown'; why: string };

export interface StructField {
  name: string;
  type: Type;
  embedded: boolean;
}

export interface IfaceMethod {
  name: string;
  sig: Extract<Type, { k: 'func' }>;
}

export type Named = Extract<Type, { k: 'named' }>;

export const UNKNOWN = (why: string): Type => ({ k: 'unknown', why });
export const INT: Type = { k: 'basic', name: 'int' };
export const BOOL: Type = { k: 'basic', name: 'bool' };
export const STRING: Type = { k: 'basic', name: 'string' };
export const ERROR: Named = { k: 'named', path: '', name: 'error' };
export const EMPTY_IFACE: Type = { k: 'iface', methods: [], embeds: [] };

const BASIC = new Set([
  'bool', 'string', 'int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64',
  'uintptr', 'byte', 'rune', 'float32', 'float64', 'complex64', 'complex128',
]);

/** The universe's type names (other than `error`, `any` and `comparable`, handled by the caller). */
export function isBasicName(name: string): boolean {
  return BASIC.has(name);
}

export function deref(t: Type): Type {
  return t.k === 'ptr' ? t.elem : t;
}

/** Replaces type parameters by name; returns `t` itself when nothing changes. */
export function substitute(t: Type, subst: ReadonlyMap<string, Type>): Type {
  if (subst.size === 0) return t;
  switch (t.k) {
    case 'tparam':
      return subst.get(t.name) ?? t;
    case 'named':
      return t.args ? { ...t, args: t.args.map((a) => substitute(a, subst)) } : t;
    case 'ptr':
    case 'slice':
    case 'array':
      return { ...t, elem: substitute(t.elem, subst) };
    case 'chan':
      return { ...t, elem: substitute(t.elem, subst) };
    case 'map':
      return { k: 'map', key: substitute(t.key, subst), elem: substitute(t.elem, subst) };
    case 'func':
      return {
        k: 'func',
        params: t.params.map((p) => substitute(p, subst)),
        results: t.results.map((r) => substitute(r, subst)),
        variadic: t.variadic,
      };
    case 'struct':
      return { k: 'struct', fields: t.fields.map((f) => ({ ...f, type: substitute(f.type, subst) })) };
    case 'tuple':
      return { k: 'tuple', elems: t.elems.map((e) => substitute(e, subst)) };
    default:
      return t;
  }
}

/**
 * Binds type parameters of `param` from the argument type `arg`, structurally (`[]T` against
 * `[]int` binds T=int): enough to infer the type arguments of most generic calls.
 */
export function unify(param: Type, arg: Type, out: Map<string, Type>): void {
  if (param.k === 'tparam') {
    if (!out.has(param.name) && arg.k !== 'unknown') out.set(param.name, arg);
    return;
  }
  if (param.k !== arg.k) return;
  switch (param.k) {
    case 'ptr':
    case 'slice':
    case 'array':
    case 'chan':
      unify(param.elem, (arg as typeof param).elem, out);
      break;
    case 'map':
      unify(param.key, (arg as typeof param).key, out);
      unify(param.elem, (arg as typeof param).elem, out);
      break;
    case 'named': {
      const a = arg as Named;
      if (param.args && a.args && param.name === a.name) param.args.forEach((p, i) => a.args![i] && unify(p, a.args![i]!, out));
      break;
    }
    case 'func': {
      const a = arg as typeof param;
      param.params.forEach((p, i) => a.params[i] && unify(p, a.params[i]!, out));
      param.results.forEach((p, i) => a.results[i] && unify(p, a.results[i]!, out));
      break;
    }
  }
}

/**
 * Whether a type, or any type it is built from (elements, keys, type arguments, parameters, results,
 * tuple members), satisfies `leaf`. Struct fields and interface methods are not entered.
 */
export function someTypeIn(t: Type, leaf: (t: Type) => boolean): boolean {
  if (leaf(t)) return true;
  switch (t.k) {
    case 'ptr':
    case 'slice':
    case 'array':
    case 'chan':
      return someTypeIn(t.elem, leaf);
    case 'map':
      return someTypeIn(t.key, leaf) || someTypeIn(t.elem, leaf);
    case 'named':
      return t.args !== undefined && someIn(t.args, leaf);
    case 'func':
      return someIn(t.params, leaf) || someIn(t.results, leaf);
    case 'tuple':
      return someIn(t.elems, leaf);
    default:
      return false;
  }
}

// A loop, not `.some()` with a closure: types are asked of on the resolve phase's hot path.
function someIn(ts: readonly Type[], leaf: (t: Type) => boolean): boolean {
  for (const t of ts) if (someTypeIn(t, leaf)) return true;
  return false;
}

/** Go-like spelling, with full import paths for named types: for `explain` and tests. */

export function typeString(t: Type): string {
  switch (t.k) {
    case 'named': {
      const base = t.path ? `${t.path}.${t.name}` : t.name;
      return t.args ? `${base}[${t.args.map(typeString).join(', ')}]` : base;
    }
    case 'basic':
      return t.name;
    case 'ptr':
      return `*${typeString(t.elem)}`;
    case 'slice':
      return `[]${typeString(t.elem)}`;
    case 'array':
      return `[N]${typeString(t.elem)}`;
    case 'map':
      return `map[${typeString(t.key)}]${typeString(t.elem)}`;
    case 'chan':
      return `${t.dir === 'recv' ? '<-chan' : t.dir === 'send' ? 'chan<-' : 'chan'} ${typeString(t.elem)}`;
    case 'func': {
      const res = t.results.length === 1 ? ` ${typeString(t.results[0]!)}` : t.results.length ? ` (${t.results.map(typeString).join(', ')})` : '';
      return `func(${t.params.map(typeString).join(', ')})${res}`;
    }
    case 'struct':
      return `struct{${t.fields.map((f) => (f.embedded ? typeString(f.type) : `${f.name} ${typeString(f.type)}`)).join('; ')}}`;
    case 'iface':
      return t.methods.length || t.embeds.length ? `interface{${[...t.embeds.map(typeString), ...t.methods.map((m) => m.name)].join('; ')}}` : 'interface{}';
    case 'tuple':
      return `(${t.elems.map(typeString).join(', ')})`;
    case 'tparam':
      return t.name;
    case 'unknown':
      return `?(${t.why})`;
  }
}
