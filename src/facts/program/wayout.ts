/**
 * A way out the process does not survive: "does the process end once fn leaves by this return?" — the question
 * the goroutine-leak rule asks of the ways out that leave a goroutine blocked (leaks.ts), asked of one return: what
 * fn leaves behind there (a goroutine, a lock held) outlives nothing. It holds when the process ends once fn returns
 * at all (terminal.ts), or when the return hands back an error known not to be nil (failingReturns) and the process
 * ends on fn's errors (errorexit.ts); and "does the process end once this close has run?", asked by double-close of
 * a close that wakes the function the process ends after.
 */
import { joinAssumptions, type Assumption } from '../../findings.js';
import type { Pos } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts } from '../calls.js';
import type { SyncFacts } from '../engine.js';
import { shortName } from '../names.js';
import { nodeLocation } from '../report.js';
import { exitSignal } from '../goroutines/exits.js';
import { errorExitOf, failingReturns } from './errorexit.js';
import { terminalOf, type ProcessEnd } from './terminal.js';

/**
 * Whether the process ends once fn leaves by the return at `exit` (the end of the body when undefined), and what
 * that takes for granted (the facts' own assumptions, such as a test caller that goes on); false when it may go on.
 */
export function endsAtReturn(facts: SyncFacts, fn: FuncNode, exit: Pos | undefined): ProcessEnd {
  const ends = terminalOf(facts).ending(fn);
  if (ends !== false) return ends;
  if (exit === undefined) return false;
  const ret = allStmts(fn.decl.body ?? []).find((st) => st.k === 'return' && st.pos === exit);
  const err = ret?.k === 'return' ? ret.values.at(-1) : undefined;
  if (err === undefined || !failingReturns(fn, facts).has(err)) return false;
  return errorExitOf(facts).ends(fn);
}

/**
 * What a finding that holds only because the process goes on past such a return rests on: that what fn leaves
 * behind there matters, though the process ends after (a later step on the way out may still need it).
 */
export function onlyAtProcessEnd(fn: FuncNode, exit: Pos | undefined, what: string): Assumption {
  const at = exit ?? fn.decl.span.end;
  return { kind: 'process-end', text: `${what} matters, though the process ends once \`${shortName(fn)}\` returns there`, location: nodeLocation(fn, at) };
}

/**
 * Whether the process ends once the close at `pos` in `node` has run, and what that takes for granted; false when
 * it may go on. It holds for a goroutine's last act, the close that tells its starter it is done (exits.ts), when
 * the process ends once that goroutine returns (terminal.ts: its starter waits for that close, then leaves).
 */
export function endsAtClose(facts: SyncFacts, node: FuncNode, pos: Pos): ProcessEnd {
  const signal = exitSignal(node);
  if (!signal?.closed || signal.at !== pos) return false;
  return terminalOf(facts).ending(node);
}

/**
 * For two closes of one channel on goroutines that nothing orders, when each ends the process (endsAtClose): what
 * a panic of the second rests on, that it matters though it can only come as the process exits (the first close
 * has already woken the function the process ends after); undefined when either close may leave the process going.
 */
export function closedOnTheWayOut(facts: SyncFacts, a: { node: FuncNode; pos: Pos }, b: { node: FuncNode; pos: Pos }): Assumption[] | undefined {
  const first = endsAtClose(facts, a.node, a.pos);
  const second = first === false ? false : endsAtClose(facts, b.node, b.pos);
  if (first === false || second === false) return undefined;
  const exit: Assumption = {
    kind: 'process-end',
    text: `a second close matters, though the process ends once \`${shortName(a.node)}\` or \`${shortName(b.node)}\` has closed it`,
    location: nodeLocation(b.node, b.pos),
  };
  return joinAssumptions([exit], joinAssumptions(first, second));
}
