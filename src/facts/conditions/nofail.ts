/**
 * Calls that cannot fail: "can this `err != nil` ever hold?" — not when the error comes from a call whose
 * error result is nil on every run. Go documents some writers as never failing: `io.Discard`, `*bytes.Buffer`,
 * `*strings.Builder` and every `hash.Hash` ("It never returns an error"). A function of the program fails no
 * more than its returns say: one whose every return hands back a literal nil cannot; `fmt.Fprintf` and
 * `io.WriteString` no more than their writer. A call through an interface (`l.out.Write(p)` with `out io.Writer`)
 * cannot fail when every value the program stores where it reads is such a writer; a call of a method of an
 * interface the program declares, when every implementation it dispatches to cannot. A field's values are followed hop by hop from the receiver's own object: the values
 * its struct literals give it (`&logger{sink: &sink{out: io.Discard}}`) and every assignment to it anywhere.
 * Only unexported fields are followed: nothing outside their package, and no reflection-based decoder, writes
 * them; a field whose address is taken may be written through it, and is not followed.
 */
import type { Expr, Stmt } from '../../ir.js';
import { isNil, nilCompared } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { deref, type Type } from '../../resolve/types.js';
import { allStmts, forEachExpr, libraryName, PRECISE_HOWS, type CallExpr } from '../calls.js';
import type { Identity } from '../identity/identity.js';
import { perProgram } from '../perprogram.js';

const WRITES = ['Write', 'WriteString', 'WriteByte', 'WriteRune'];

/** The library's writes documented never to fail, by Go's name. */
const NEVER_FAILS = new Set([
  ...WRITES.flatMap((m) => [`bytes.(*Buffer).${m}`, `strings.(*Builder).${m}`]),
  'hash.Hash.Write',
  'hash.Hash32.Write',
  'hash.Hash64.Write',
]);

/** Library functions whose only error is the one their first argument's Write returns. */
const WRITING_FUNCS = new Set(['fmt.Fprintf', 'fmt.Fprint', 'fmt.Fprintln', 'io.WriteString']);

/** Writer types whose writes never fail, by `path.Name`. */
const NEVER_FAILING_TYPES = new Set(['bytes.Buffer', 'strings.Builder']);

/** Package variables that are never-failing writers. */
const NEVER_FAILING_VARS = new Set(['io.Discard', 'io/ioutil.Discard']);

/** A value the program stores, in the function that evaluates it. */
interface Stored {
  fn: FuncNode;
  value: Expr;
}

/** What a package writes to one field: its struct literals' values, its assignments', and whether its address escapes. */
interface FieldWrites {
  literals: Stored[];
  assigned: Stored[];
  opaque: boolean;
  /** Its struct is overwritten whole somewhere (`*p = v`): an object's own literal no longer says what it holds. */
  overwritten: boolean;
}

/** How deep values are followed through locals, fields and helpers' returns. */
const MAX_DEPTH = 6;

/** The writes of every unexported field of the program, by `path.Type.field`, scanned one package at a time as asked. */
const programWrites = perProgram((graph: CallGraph) => {
  const funcs = new Map<string, FuncNode[]>();
  for (const fn of graph.funcs) {
    const list = funcs.get(fn.pkg.importPath);
    if (list) list.push(fn);
    else funcs.set(fn.pkg.importPath, [fn]);
  }
  return { funcs, scanned: new Map<string, Map<string, FieldWrites>>() };
});

const unexported = (name: string) => /^[a-z_]/.test(name);

function fieldWritesIn(graph: CallGraph, funcs: readonly FuncNode[]): Map<string, FieldWrites> {
  const out = new Map<string, FieldWrites>();
  const entry = (key: string) => {
    let w = out.get(key);
    if (!w) out.set(key, (w = { literals: [], assigned: [], opaque: false, overwritten: false }));
    return w;
  };
  const fieldKey = (fn: FuncNode, e: Expr) => {
    const s = e.k === 'sel' ? graph.storageOf(fn, e) : undefined;
    return s?.kind === 'field' ? `${s.owner}.${s.field}` : undefined;
  };
  for (const fn of funcs) {
    const body = fn.decl.body ?? [];
    for (const st of allStmts(body)) {
      if (st.k !== 'assign' && !(st.k === 'for' && st.range)) continue;
      const lhs = st.k === 'assign' ? st.lhs : [st.range!.key, st.range!.value].filter((x): x is Expr => x !== undefined);
      lhs.forEach((l, i) => {
        if (l.k === 'unary' && l.op === '*') {
          const t = deref(graph.typeOf(fn, l));
          const u = graph.index.under(t);
          if (t.k === 'named' && u.k === 'struct') for (const f of u.fields) entry(`${t.path}.${t.name}.${f.name}`).overwritten = true;
        }
        const key = fieldKey(fn, l);
        if (key === undefined) return;
        // `x.f, err = open()`, `x.f += 1`, `for x.f = range ...`: a value we do not follow.
        if (st.k === 'assign' && st.op === '=' && st.rhs.length === st.lhs.length) entry(key).assigned.push({ fn, value: st.rhs[i]! });
        else entry(key).opaque = true;
      });
    }
    forEachExpr(body, (e) => {
      if (e.k === 'unary' && e.op === '&') {
        const key = fieldKey(fn, e.x);
        if (key !== undefined) entry(key).opaque = true;
      }
      if (e.k !== 'composite') return;
      const t = deref(graph.typeOf(fn, e));
      const u = graph.index.under(t);
      if (t.k !== 'named' || u.k !== 'struct') return;
      e.elems.forEach((el, i) => {
        const name = el.key ?? u.fields[i]?.name;
        if (name !== undefined) entry(`${t.path}.${t.name}.${name}`).literals.push({ fn, value: el.value });
      });
    });
  }
  return out;
}

/** Which functions of the program return a nil error on every path, worked out once per function. */
export class NoFail {
  private readonly nilErrors = new Map<FuncNode, boolean>();
  private readonly decisions = new WeakMap<Expr, boolean | undefined>();

  constructor(
    private readonly graph: CallGraph,
    private readonly ids: Identity,
  ) {}

  /**
   * The value `cond` certainly has where it is tested, when it compares an error with nil and `def`, the
   * statement that last set that error, took it from a call that cannot fail: `err != nil` is then false.
   */
  decided(fn: FuncNode, cond: Expr, def: Stmt | undefined): boolean | undefined {
    // Walks visit a condition once per pass of its loop and per walk: its statement decides it once.
    if (this.decisions.has(cond)) return this.decisions.get(cond);
    const out = this.decide(fn, cond, def);
    this.decisions.set(cond, out);
    return out;
  }

  private decide(fn: FuncNode, cond: Expr, def: Stmt | undefined): boolean | undefined {
    const nil = def && nilCompared(cond);
    if (!def || nil?.x.k !== 'id' || nil.x.name === '_') return undefined;
    const err = nil.x;
    const key = this.ids.localKey(fn, err);
    if (key === undefined) return undefined;
    let call: Expr | undefined;
    if (def.k === 'assign' && def.rhs.length === 1 && def.lhs.at(-1)?.k === 'id') {
      if (this.ids.localKey(fn, def.lhs.at(-1)!) === key) call = def.rhs[0];
    } else if (def.k === 'var' && def.values.length === 1 && def.names.at(-1) === err.name) call = def.values[0];
    if (call?.k !== 'call' || !this.cannotFail(fn, call)) return undefined;
    return nil.op === '==';
  }

  /** Whether a call's error result is nil on every run. */
  cannotFail(fn: FuncNode, call: CallExpr): boolean {
    const info = this.graph.callInfo(call);
    const name = libraryName(info);
    if (name !== undefined && NEVER_FAILS.has(name)) return true;
    // `fmt.Fprintf(&buf, ...)`, `io.WriteString(w, s)`: their error is the writer's.
    if (name !== undefined && WRITING_FUNCS.has(name)) return call.args[0] !== undefined && this.writerCannotFail(fn, call.args[0], 'Write');
    if (info.kind === 'resolved' && info.targets.length === 1 && PRECISE_HOWS.has(info.targets[0]!.how)) return this.returnsNilError(info.targets[0]!.callee);
    // A method of an interface the program declares: it fails no more than the implementations it dispatches to.
    if (info.kind === 'resolved' && info.targets.length > 0 && info.targets.every((t) => t.how === 'interface')) return info.targets.every((t) => this.returnsNilError(t.callee));
    if (call.fn.k !== 'sel' || !WRITES.includes(call.fn.name)) return false;
    return this.writerCannotFail(fn, call.fn.x, call.fn.name);
  }

  /** Whether writing to `w` with `method` cannot fail: by its own type, or by every value stored where it reads. */
  private writerCannotFail(fn: FuncNode, w: Expr, method: string): boolean {
    if (this.neverFailingWriter({ fn, value: w }, method)) return true;
    const values = this.valuesOf(fn, w, 0);
    return values !== undefined && values.every((v) => this.neverFailingWriter(v, method));
  }

  /**
   * A function whose every return hands back a nil error: a literal nil, the error of a call that cannot fail
   * (`return l.out.Write(p)`, `return r.reload()`), or a local bound once to one (`n, err := l.out.Write(p); ...; return n, err`).
   */
  private returnsNilError(callee: FuncNode): boolean {
    let out = this.nilErrors.get(callee);
    if (out !== undefined) return out;
    // Recursion through itself proves nothing.
    this.nilErrors.set(callee, false);
    const { results, body } = callee.decl;
    const last = results.at(-1)?.type;
    const stmts = allStmts(body ?? []);
    const returns = stmts.flatMap((st) => (st.k === 'return' ? [st] : []));
    // A deferred function may set a named error result after the return (`defer func() { err = recover()... }()`).
    const rewritten = results.at(-1)?.name !== undefined && stmts.some((st) => st.k === 'defer');
    const nilError = (values: Expr[]): boolean => {
      if (values.length === 1 && results.length > 1) return values[0]!.k === 'call' && this.cannotFail(callee, values[0]);
      if (values.length !== results.length) return false;
      const err = values.at(-1)!;
      return isNil(err) || (err.k === 'call' && results.length === 1 && this.cannotFail(callee, err)) || (err.k === 'id' && this.boundToNoFail(callee, stmts, err));
    };
    out = last?.k === 'name' && last.name === 'error' && !rewritten && returns.length > 0 && returns.every((st) => nilError(st.values));
    this.nilErrors.set(callee, out);
    return out;
  }

  /** Whether a local is bound once, as the last result of a call that cannot fail. */
  private boundToNoFail(fn: FuncNode, stmts: readonly Stmt[], err: Expr): boolean {
    const key = this.ids.localKey(fn, err);
    const sources = key === undefined ? undefined : this.ids.localSources(fn).get(key);
    const call = sources?.length === 1 ? sources[0] : undefined;
    if (call?.k !== 'call') return false;
    const def = stmts.find((st) => st.k === 'assign' && st.rhs.length === 1 && st.rhs[0] === call);
    const lastLhs = def?.k === 'assign' ? def.lhs.at(-1) : undefined;
    return lastLhs?.k === 'id' && this.ids.localKey(fn, lastLhs) === key && this.cannotFail(fn, call);
  }

  private neverFailingWriter({ fn, value }: Stored, method: string): boolean {
    const st = this.graph.storageOf(fn, value);
    if (st?.kind === 'global' && NEVER_FAILING_VARS.has(`${st.pkg}.${st.name}`)) return true;
    const t = deref(this.graph.typeOf(fn, value));
    if (t.k !== 'named') return false;
    if (NEVER_FAILING_TYPES.has(`${t.path}.${t.name}`)) return true;
    // A writer of the program's own: its method fails no more than its returns say.
    const sel = this.graph.index.select(t, method);
    return sel?.k === 'method' && this.returnsNilError(sel.method.node);
  }

  /** Every value `e` can hold in `fn`, as far as the program shows them; undefined when some are not known. */
  private valuesOf(fn: FuncNode, e: Expr, depth: number): Stored[] | undefined {
    if (depth > MAX_DEPTH) return undefined;
    if (e.k === 'unary' && e.op === '&') return this.valuesOf(fn, e.x, depth + 1);
    if (e.k === 'id') {
      const st = this.graph.storageOf(fn, e);
      if (st?.kind === 'global') return [{ fn, value: e }];
      const key = this.ids.localKey(fn, e);
      const sources = key === undefined ? undefined : this.ids.localSources(fn).get(key);
      return sources?.length ? this.all(sources.map((value) => ({ fn, value })), depth) : undefined;
    }
    if (e.k === 'sel') {
      const st = this.graph.storageOf(fn, e);
      if (st?.kind === 'global') return [{ fn, value: e }];
      const hops = st?.kind === 'field' ? this.hops(this.graph.typeOf(fn, e.x), e.name) : undefined;
      if (!hops) return undefined;
      let cur = this.valuesOf(fn, e.x, depth + 1);
      for (const hop of hops) {
        cur = this.hop(cur, hop, depth);
        if (!cur) return undefined;
      }
      return cur;
    }
    if (e.k === 'call') {
      const info = this.graph.callInfo(e);
      const callee = info.kind === 'resolved' && info.targets.length === 1 && info.targets[0]!.how === 'static' ? info.targets[0]!.callee : undefined;
      // A helper of the program that builds the value (`newSink(w)`): what its returns hand back.
      if (!callee) return [{ fn, value: e }];
      const returned = allStmts(callee.decl.body ?? []).flatMap((st) => (st.k === 'return' && st.values.length ? [{ fn: callee, value: st.values[0]! }] : []));
      return returned.length ? this.all(returned, depth) : undefined;
    }
    return [{ fn, value: e }];
  }

  private all(stored: Stored[], depth: number): Stored[] | undefined {
    const out: Stored[] = [];
    for (const s of stored) {
      const v = this.valuesOf(s.fn, s.value, depth + 1);
      if (!v) return undefined;
      out.push(...v);
    }
    return out;
  }

  /**
   * The unexported fields `name` is reached through from a value of type `t`, outermost first, by their
   * `path.Type.field` keys: the embedded ones a promoted field goes through, then the field itself.
   */
  private hops(t: Type, name: string, depth = 0): string[] | undefined {
    const d = deref(t);
    const u = this.graph.index.under(d);
    if (d.k !== 'named' || u.k !== 'struct' || depth > 3) return undefined;
    const here = `${d.path}.${d.name}`;
    if (u.fields.some((f) => f.name === name)) return unexported(name) ? [`${here}.${name}`] : undefined;
    for (const f of u.fields) {
      if (!f.embedded || !unexported(f.name)) continue;
      const rest = this.hops(f.type, name, depth + 1);
      if (rest) return [`${here}.${f.name}`, ...rest];
    }
    return undefined;
  }

  /**
   * The values of one field of the objects `owners` (all the program's objects when not known): a struct
   * literal's own element for it, or every struct literal's; and every assignment to it.
   */
  private hop(owners: Stored[] | undefined, key: string, depth: number): Stored[] | undefined {
    const pkg = key.slice(0, key.lastIndexOf('.', key.lastIndexOf('.') - 1));
    const program = programWrites(this.graph);
    let scanned = program.scanned.get(pkg);
    if (!scanned) program.scanned.set(pkg, (scanned = fieldWritesIn(this.graph, program.funcs.get(pkg) ?? [])));
    const writes = scanned.get(key) ?? { literals: [], assigned: [], opaque: false, overwritten: false };
    if (writes.opaque) return undefined;
    const field = key.slice(key.lastIndexOf('.') + 1);
    // The owners' own literals when all are known and keyed; else every literal of the owner type, positional ones included.
    const literals = !writes.overwritten && owners?.every((o) => o.value.k === 'composite' && o.value.elems.every((el) => el.key !== undefined))
      ? owners.flatMap(({ fn, value }) => (value.k === 'composite' ? value.elems.filter((el) => el.key === field).map((el) => ({ fn, value: el.value })) : []))
      : writes.literals;
    // A literal that leaves the field out holds nil there: a call through it panics, it does not fail.
    return this.all([...literals, ...writes.assigned], depth);
  }
}
