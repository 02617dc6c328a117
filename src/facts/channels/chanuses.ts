/**
 * Channel uses in sight: how a function uses a channel it made (receives, sends, hands it out), so that
 * leak and partner checks know when a claim about who else touches it still holds.
 */
import type { Expr, Stmt } from '../../ir.js';
import { builtinArg } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, forEachExpr } from '../calls.js';

/**
 * How a function uses a channel it made: `other` is anything that lets it out of sight (passed to a
 * call, stored, assigned, compared), which ends any claim about who else sends or receives.
 */
export type Use = 'made' | 'recv' | 'send' | 'selectSend' | 'measure' | 'arg' | 'returned' | 'close' | 'other';

export interface ChannelUse {
  node: FuncNode;
  use: Use;
  e: Expr;
  stmt?: Stmt;
  /** A receive that is a case of a `select` (which may take another case). */
  selectCase?: boolean;
}

/** `make(chan T)` or `make(chan T, n)`. */
export function chanMake(e: Expr): 'unbuffered' | 'buffered' | undefined {
  if (e.k !== 'call' || e.fn.k !== 'id' || e.fn.name !== 'make' || e.args[0]?.k !== 'type' || e.args[0].type.k !== 'chan') return undefined;
  return e.args.length === 1 ? 'unbuffered' : 'buffered';
}

/**
 * Every use of the local channel `key` made in fn, by kind and by function: fn itself and the literals
 * nested in it, where a literal started as `go func(c chan T) { ... }(ch)` uses its parameter as the
 * channel.
 */
export function usesInSight(fn: FuncNode, body: Stmt[], key: string, literals: Map<number, FuncNode>, graph: CallGraph): ChannelUse[] {
  const aliases = new Map<string, string>();
  const isChan = (node: FuncNode, e: Expr): boolean => {
    if (e.k !== 'id') return false;
    const st = graph.storageOf(node, e);
    if (!st) return false;
    if (st.kind === 'local') return st.fn === fn.id && st.name === key;
    return st.kind === 'param' && aliases.get(`${st.fn}\0${st.index}`) === key;
  };
  for (const st of allStmts(body)) {
    if (st.k !== 'go' || st.call.k !== 'call' || st.call.fn.k !== 'funclit') continue;
    const lit = literals.get(st.call.fn.fn);
    if (!lit) continue;
    st.call.args.forEach((a, i) => {
      if (isChan(fn, a)) aliases.set(`${lit.id}\0${i}`, key);
    });
  }
  const uses: ChannelUse[] = [];
  const classify = (node: FuncNode, stmts: Stmt[]) => {
    const known = new Set<Expr>();
    const note = (e: Expr | undefined, use: Use, stmt?: Stmt, selectCase?: boolean) => {
      if (e && isChan(node, e)) {
        known.add(e);
        uses.push({ node, use, e, ...(stmt ? { stmt } : {}), ...(selectCase ? { selectCase } : {}) });
      }
    };
    for (const st of allStmts(stmts)) {
      // The declaration itself; any other assignment makes it another channel, and ends the search.
      if (st.k === 'assign' && st.op === ':=' && st.lhs.length === st.rhs.length) st.lhs.forEach((l, i) => chanMake(st.rhs[i]!) && note(l, 'made'));
      if (st.k === 'send') note(st.ch, 'send', st);
      if (st.k === 'for' && st.range) note(st.range.x, 'recv', st);
      if (st.k === 'select') {
        for (const c of st.cases) {
          if (c.kind === 'recv') note(c.ch, 'recv', st, true);
          // allStmts yields select send cases as send statements too: this marks them.
          if (c.kind === 'send' && isChan(node, c.ch)) uses.push({ node, use: 'selectSend', e: c.ch });
        }
      }
      if (st.k === 'go' && st.call.k === 'call' && st.call.fn.k === 'funclit') st.call.args.forEach((a) => note(a, 'arg'));
      if (st.k === 'return' && node === fn) st.values.forEach((v) => note(v, 'returned', st));
      if (st.k === 'expr' || st.k === 'defer') note(builtinArg(st.k === 'expr' ? st.x : st.call, 'close'), 'close');
    }
    forEachExpr(stmts, (e) => {
      if (e.k === 'unary' && e.op === '<-') note(e.x, 'recv');
      if (e.k === 'call' && e.fn.k === 'id' && (e.fn.name === 'len' || e.fn.name === 'cap') && e.args.length === 1) note(e.args[0], 'measure');
    });
    forEachExpr(stmts, (e) => {
      if (!known.has(e) && isChan(node, e)) uses.push({ node, use: 'other', e });
    });
  };
  classify(fn, body);
  for (const lit of literals.values()) classify(lit, lit.decl.body ?? []);
  return uses;
}
