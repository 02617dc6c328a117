import type { Expr, SelectCase, Stmt } from '../ir.js';

/**
 * A forward dataflow walk over one function body's structured statements.
 * States are values of a join-semilattice supplied by the rule; `null` means "unreachable".
 * Loops iterate to a fixpoint, so a hook may see a statement more than once: rules dedupe by position.
 */
export interface FlowDomain<S> {
  join(a: S, b: S): S;
  equal(a: S, b: S): boolean;
}

/** How each field of a record state is compared; fields not listed are not compared. */
export type FieldEquals<S> = { readonly [K in keyof S]?: (a: S[K], b: S[K]) => boolean };

/** Equality of a record of lattices: every listed field equal, checked in the order listed (cheapest first). */
export function fieldwiseEqual<S extends object>(fields: FieldEquals<S>): (a: S, b: S) => boolean {
  const entries = Object.entries(fields) as [keyof S, (a: unknown, b: unknown) => boolean][];
  return (a, b) => entries.every(([key, equal]) => equal(a[key], b[key]));
}

/** How each field of a record state joins; fields not listed keep the first state's value. */
export type FieldJoins<S> = { readonly [K in keyof S]?: (a: S[K], b: S[K]) => S[K] };

/**
 * The join of a record of lattices, field by field. Joins run at every branch of every function, so the
 * result is one of the inputs itself whenever every listed field came out as that input's own value:
 * identity lets the walks' fixpoint and equality checks stop early, and saves an allocation.
 */
export function fieldwiseJoin<S extends object>(fields: FieldJoins<S>): (a: S, b: S) => S {
  const entries = Object.entries(fields) as [keyof S, (a: unknown, b: unknown) => unknown][];
  return (a, b) => {
    if (a === b) return a;
    const out = { ...a };
    let asA = true;
    let asB = true;
    for (const [key, join] of entries) {
      const v = join(a[key], b[key]) as S[keyof S];
      out[key] = v;
      if (v !== a[key]) asA = false;
      if (v !== b[key]) asB = false;
    }
    return asA ? a : asB ? b : out;
  };
}

export interface FlowHooks<S> {
  /** A simple statement (expr, send, assign, var, incdec, go, defer, return) in execution order. */
  simple(stmt: Stmt, state: S): S;
  /** An expression evaluated for control flow: conditions, switch tags, range operands. */
  expr(e: Expr, state: S): S;
  /**
   * Variables bound without an assignment statement: a range loop's at the start of every iteration,
   * a select receive case's (`case v, ok := <-ch`) when the case is taken.
   */
  bind?(targets: Expr[], state: S): S;
  /** Entering `branch`, the side of an `if` where `cond` evaluated to `holds`: lets a rule learn from checks. */
  assume?(cond: Expr, holds: boolean, state: S, branch: Stmt[]): S;
  /**
   * The value a condition certainly has where it is tested, when the program decides it (`err != nil` just
   * after a write that cannot fail): the other side is dead, as under `if false`. `def` is the statement that
   * last ran before the test: the `if`'s init, or the one just before it in its block.
   */
  decide?(cond: Expr, def: Stmt | undefined): boolean | undefined;
  /** Whether a switch on `tag` whose cases name `values` covers every value the tag can have here: its `default` is dead. */
  exhausts?(tag: Expr, values: Expr[], state: S): boolean;
  /**
   * Whether a call never returns (`panic`, a resolved `t.Fatalf`, a helper that always exits: the
   * no-return part, src/facts/noreturn.ts). The path after such a call is dead.
   */
  noReturn?(call: Expr): boolean;
  /**
   * A receive from `ch` as a `select` case, or (`untilClosed`) the way out of a `range` over it, which
   * a range over a channel takes only once the channel is closed. Receives inside expressions are
   * the rule's to find in `simple` and `expr`.
   */
  recv?(ch: Expr, state: S, untilClosed: boolean): S;
  /**
   * Whether a `range` over `x` never runs its body: a channel that is only ever closed, never sent on (a
   * context's `Done()`). The loop then only waits for the close and leaves.
   */
  emptyRange?(x: Expr): boolean;
}

export interface FlowResult<S> {
  /** States at each way out of the function: every `return` and falling off the end. */
  exits: S[];
}

type Maybe<S> = S | null;

interface Jumps<S> {
  breaks: Map<string, Maybe<S>>;
  continues: Map<string, Maybe<S>>;
  exits: S[];
}

const receives = new WeakMap<SelectCase, Expr>();

/** A select case's receive as an expression, one per case: hooks may key what they learn by it. */
function receiveOf(c: Extract<SelectCase, { kind: 'recv' }>): Expr {
  let e = receives.get(c);
  if (!e) receives.set(c, (e = { k: 'unary', op: '<-', x: c.ch, pos: c.pos }));
  return e;
}

export function walkFunction<S>(body: Stmt[], entry: S, domain: FlowDomain<S>, hooks: FlowHooks<S>): FlowResult<S> {
  const jumps: Jumps<S> = { breaks: new Map(), continues: new Map(), exits: [] };
  const join = (a: Maybe<S>, b: Maybe<S>): Maybe<S> => (a === null ? b : b === null ? a : domain.join(a, b));
  const equal = (a: Maybe<S>, b: Maybe<S>) => (a === null || b === null ? a === b : domain.equal(a, b));

  const addJump = (map: Map<string, Maybe<S>>, key: string, s: S) => map.set(key, join(map.get(key) ?? null, s));
  const takeJump = (map: Map<string, Maybe<S>>, key: string): Maybe<S> => {
    const s = map.get(key) ?? null;
    map.delete(key);
    return s;
  };

  const block = (stmts: Stmt[], s: Maybe<S>): Maybe<S> => {
    let prev: Stmt | undefined;
    for (const st of stmts) {
      if (s === null) return null;
      s = stmt(st, s, prev);
      prev = st;
    }
    return s;
  };

  /** Runs a breakable statement (loop/switch/select) so that its unlabeled and labeled breaks land after it. */
  const breakable = (label: string | undefined, run: () => Maybe<S>): Maybe<S> => {
    const saved = [jumps.breaks.get(''), label === undefined ? undefined : jumps.breaks.get(label)];
    jumps.breaks.delete('');
    if (label !== undefined) jumps.breaks.delete(label);
    let out = run();
    out = join(out, takeJump(jumps.breaks, ''));
    if (label !== undefined) out = join(out, takeJump(jumps.breaks, label));
    if (saved[0] !== undefined) jumps.breaks.set('', saved[0]);
    if (label !== undefined && saved[1] !== undefined) jumps.breaks.set(label, saved[1]);
    return out;
  };

  const stmt = (st: Stmt, s: S, prev?: Stmt): Maybe<S> => {
    switch (st.k) {
      case 'expr': {
        const out = hooks.simple(st, s);
        return hooks.noReturn?.(st.x) ? null : out;
      }
      case 'send':
      case 'assign':
      case 'var':
      case 'incdec':
      case 'go':
      case 'defer':
        return hooks.simple(st, s);
      case 'return':
        jumps.exits.push(hooks.simple(st, s));
        return null;
      case 'branch':
        if (st.kind === 'break') addJump(jumps.breaks, st.label ?? '', s);
        else if (st.kind === 'continue') addJump(jumps.continues, st.label ?? '', s);
        else if (st.kind === 'fallthrough') return s;
        // goto: the target is not modelled; the path ends here (may miss findings, never invents one).
        return null;
      case 'block':
        return block(st.body, s);
      case 'labeled':
        return st.stmt ? stmt(st.stmt, s) : s;
      case 'if': {
        let cur: Maybe<S> = st.init ? stmt(st.init, s) : s;
        if (cur === null) return null;
        cur = hooks.expr(st.cond, cur);
        const thenIn = hooks.assume ? hooks.assume(st.cond, true, cur, st.then) : cur;
        const elseIn = hooks.assume ? hooks.assume(st.cond, false, cur, st.else ?? []) : cur;
        // `if false {` (code kept from the compiler's view): the side a constant rules out is dead.
        const literal = st.cond.k === 'lit' && (st.cond.kind === 'true' || st.cond.kind === 'false') ? st.cond.kind === 'true' : undefined;
        const constant = literal ?? hooks.decide?.(st.cond, st.init ?? prev);
        const thenOut = constant === false ? null : block(st.then, thenIn);
        const elseOut = constant === true ? null : st.else ? block(st.else, elseIn) : elseIn;
        return join(thenOut, elseOut);
      }
      case 'for':
        return forStmt(st, s);
      case 'switch':
      case 'typeswitch':
        return breakable(st.label, () => {
          let cur: Maybe<S> = st.init ? stmt(st.init, s) : s;
          if (cur === null) return null;
          const tag = st.k === 'switch' ? st.tag : st.x;
          if (tag) cur = hooks.expr(tag, cur);
          let out: Maybe<S> = null;
          let fall: Maybe<S> = null;
          let hasDefault = false;
          const earlier: Expr[] = [];
          const exhaustive = (tagIn: S) =>
            st.k === 'switch' && st.tag !== undefined && hooks.exhausts !== undefined && hooks.exhausts(st.tag, st.cases.flatMap((c) => c.exprs), tagIn);
          for (const c of st.cases) {
            if (c.isDefault) hasDefault = true;
            let caseIn: Maybe<S> = c.isDefault && exhaustive(cur) ? null : cur;
            for (const e of c.exprs) caseIn = caseIn === null ? null : hooks.expr(e, caseIn);
            // A case of one value says what the tag is; in a tagless switch, the earlier cases failed.
            const only = c.exprs.length === 1 ? c.exprs[0]! : undefined;
            if (hooks.assume && caseIn !== null && only && st.k === 'switch') {
              const tag = st.tag;
              const cond: Expr = tag ? { k: 'binary', op: '==', x: tag, y: only, pos: only.pos } : only;
              for (const e of tag ? [] : earlier) caseIn = hooks.assume(e, false, caseIn, c.body);
              caseIn = hooks.assume(cond, true, caseIn, c.body);
            }
            if (st.k === 'switch' && !st.tag) earlier.push(...c.exprs);
            caseIn = join(caseIn, fall);
            const caseOut = block(c.body, caseIn);
            const last = c.body[c.body.length - 1];
            if (last?.k === 'branch' && last.kind === 'fallthrough') fall = caseOut;
            else {
              fall = null;
              out = join(out, caseOut);
            }
          }
          // No `default`: the tag matched no case, unless the cases cover every value it can have.
          return hasDefault ? out : join(out, exhaustive(cur) ? null : cur);
        });
      case 'select':
        return breakable(st.label, () => {
          let out: Maybe<S> = null;
          for (const c of st.cases) {
            let caseIn: S = s;
            if (c.kind === 'send') caseIn = hooks.simple({ k: 'send', ch: c.ch, value: c.value, pos: c.pos }, caseIn);
            else if (c.kind === 'default' && hooks.assume) {
              // The default case runs when no receive was ready: none of those channels was closed.
              for (const r of st.cases) if (r.kind === 'recv') caseIn = hooks.assume(receiveOf(r), false, caseIn, c.body);
            } else if (c.kind === 'recv') {
              caseIn = hooks.expr(c.ch, caseIn);
              if (hooks.recv) caseIn = hooks.recv(c.ch, caseIn, false);
              if (c.lhs.length && hooks.bind) caseIn = hooks.bind(c.lhs, caseIn);
            }
            out = join(out, block(c.body, caseIn));
          }
          return out;
        });
    }
  };

  const forStmt = (st: Extract<Stmt, { k: 'for' }>, s: S): Maybe<S> =>
    breakable(st.label, () => {
      const init: Maybe<S> = st.init ? stmt(st.init, s) : s;
      if (init === null) return null;
      let head: S = st.range ? hooks.expr(st.range.x, init) : init;
      if (st.range && hooks.emptyRange?.(st.range.x)) return hooks.recv ? hooks.recv(st.range.x, head, true) : head;
      let exitFromHead: Maybe<S> = null;
      const savedContinue = [jumps.continues.get(''), st.label === undefined ? undefined : jumps.continues.get(st.label)];
      for (let iter = 0; iter < 8; iter++) {
        let entry: S = head;
        if (st.cond) entry = hooks.expr(st.cond, entry);
        if (st.range && hooks.bind) {
          const vars = [st.range.key, st.range.value].filter((x): x is Expr => x !== undefined);
          if (vars.length) entry = hooks.bind(vars, entry);
        }
        // A loop with a condition or a range can stop at the head; `for {}` leaves only by break/return.
        const leaving = st.range && hooks.recv ? hooks.recv(st.range.x, entry, true) : entry;
        exitFromHead = st.cond || st.range ? join(exitFromHead, leaving) : null;
        jumps.continues.delete('');
        if (st.label !== undefined) jumps.continues.delete(st.label);
        let out = block(st.body, entry);
        out = join(out, takeJump(jumps.continues, ''));
        if (st.label !== undefined) out = join(out, takeJump(jumps.continues, st.label));
        if (out !== null && st.post) out = stmt(st.post, out);
        const next = join(head, out) as S;
        if (equal(next, head)) break;
        head = next;
      }
      if (savedContinue[0] !== undefined) jumps.continues.set('', savedContinue[0]);
      if (st.label !== undefined && savedContinue[1] !== undefined) jumps.continues.set(st.label, savedContinue[1]);
      return exitFromHead;
    });

  const end = block(body, entry);
  if (end !== null) jumps.exits.push(end);
  return { exits: jumps.exits };
}
