import { allStmts, callsInStmt, forEachExpr } from '../facts/calls.js';
import type { SyncFacts } from '../facts/engine.js';
import type { ChanId } from '../facts/identity/ids.js';
import { displayId } from '../facts/names.js';
import { perProgram } from '../facts/perprogram.js';
import type { Stmt } from '../ir.js';
import type { FuncNode } from '../resolve/callgraph.js';

/** The channels a run of statements sends on, closes and receives from, itself and (sends, closes) through its calls. */
interface ChannelOps {
  sends: Set<ChanId>;
  closes: Set<ChanId>;
  recvs: Set<ChanId>;
}

function opsOf(facts: SyncFacts, fn: FuncNode, stmts: readonly Stmt[]): ChannelOps {
  const out: ChannelOps = { sends: new Set(), closes: new Set(), recvs: new Set() };
  const add = (set: Set<ChanId>, id: ChanId | undefined) => id !== undefined && set.add(id);
  const flat = allStmts([...stmts]);
  for (const st of flat) {
    if (st.k === 'send') add(out.sends, facts.ids.idOf(fn, st.ch));
    if (st.k === 'select') for (const c of st.cases) if (c.kind !== 'default') add(c.kind === 'send' ? out.sends : out.recvs, facts.ids.idOf(fn, c.ch));
    if (st.k === 'for' && st.range && facts.ids.isChannel(fn, st.range.x)) add(out.recvs, facts.ids.idOf(fn, st.range.x));
    for (const call of callsInStmt(st)) {
      const closed = facts.dispatch.closedBy(call);
      if (closed) add(out.closes, facts.ids.idOf(fn, closed));
      const effects = facts.effects.effectsOf(fn, call);
      for (const op of effects.sends) out.sends.add(op.id);
      for (const op of effects.closes) out.closes.add(op.id);
    }
  }
  forEachExpr([...stmts], (e) => {
    if (e.k === 'unary' && e.op === '<-') add(out.recvs, facts.ids.idOf(fn, e.x));
  });
  return out;
}

/** Every function of the program that receives from each channel, by the channel's program-wide id. */
const receiversOf = perProgram((facts: SyncFacts): Map<ChanId, Set<FuncNode>> => {
  const out = new Map<ChanId, Set<FuncNode>>();
  for (const node of facts.graph.funcs) {
    for (const id of facts.goroutines.receivesIn(node)) {
      const set = out.get(id) ?? new Set<FuncNode>();
      out.set(id, set.add(node));
    }
  }
  return out;
});

/** Ids that name the same channel in every function: fields, globals, and a function's locals (its closures see them by that id). */
function programWide(id: ChanId): boolean {
  return id.startsWith('field:') || id.startsWith('global:') || id.startsWith('local:');
}

/**
 * Why moving `moved` before `between` (both in fn, on fn's goroutine) could block where the code panicked
 * before, or block where it ran: a send moved before the close of its channel needs a receiver on another
 * goroutine (`ch := make(chan T); close(ch); ch <- v` has none: moved, the send waits forever); a send or
 * receive moved before this goroutine's own receive, send or close of that channel loses its partner.
 * Undefined when no such partner is crossed.
 */
export function crossedPartner(facts: SyncFacts, fn: FuncNode, moved: readonly Stmt[], between: readonly Stmt[]): string | undefined {
  const m = opsOf(facts, fn, moved);
  const s = opsOf(facts, fn, between);
  for (const id of m.recvs) {
    if (s.sends.has(id) || s.closes.has(id)) return `the moved code receives from ${shown(id)}, which the code it would move before sends on or closes`;
  }
  for (const id of m.sends) {
    if (s.recvs.has(id)) return `the moved send on ${shown(id)} would come before this goroutine's own receive from it`;
    if (!s.closes.has(id)) continue;
    const others = [...(receiversOf(facts).get(id) ?? [])].filter((node) => node !== fn);
    if (!programWide(id) || others.length === 0) {
      return `nothing on another goroutine receives from ${shown(id)}: moved before the close, the send would block forever instead of panicking`;
    }
  }
  return undefined;
}

/** The channel as a reader knows it: `T.ch` for a field, the variable's name for a local. */
function shown(id: ChanId): string {
  return displayId(id, id.slice(id.lastIndexOf(':') + 1).replace(/'\d+$/, ''));
}
