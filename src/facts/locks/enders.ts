/**
 * Wait enders: "which mutexes must a goroutine take before it counts a WaitGroup down or signals a Cond?" —
 * the locks its own calls take on the way, down synchronous calls into the program at any depth, so that a
 * Wait under a mutex is matched with a Done that a helper's Lock keeps from running (`defer wg.Done()` in a
 * loop that calls `s.Self()`, which locks `s.mu`). Only mutexes named by type and field or by a package
 * variable count: each is one mutex wherever it is taken.
 */
import type { Pos } from '../../ir.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { exprKey } from '../../irutil.js';
import type { ChanId } from '../identity/ids.js';
import type { SyncFacts } from '../engine.js';
import type { LockCalls } from './calls.js';
import { libraryName } from '../calls.js';
import { syncMeet, typeLevel, type Meet } from './types.js';

const NONE: ReadonlySet<ChanId> = new Set();
const NO_CONDS = new Set<never>();
/** Enough to tell whether one mutex is among them; a function taking more is judged on these. */
const MAX_TAKEN = 64;

export class WaitEnders {
  private readonly taking = new Map<FuncNode, ReadonlySet<ChanId>>();

  constructor(
    private readonly facts: SyncFacts,
    private readonly calls: LockCalls,
  ) {}

  /**
   * The Done and Signal calls of the functions the lock walk skipped because they lock nothing themselves:
   * meets with nothing held and nothing taken by their own hand.
   */
  unwalked(walked: ReadonlySet<FuncNode>): Meet[] {
    const out: Meet[] = [];
    for (const fn of this.facts.graph.funcs) {
      if (walked.has(fn)) continue;
      for (const site of this.facts.graph.sites(fn)) {
        const kind = site.mode === 'go' ? undefined : syncMeet(libraryName(site.info));
        if ((kind !== 'done' && kind !== 'signal') || site.call.fn.k !== 'sel') continue;
        const id = this.facts.ids.idOf(fn, site.call.fn.x);
        if (id === undefined || !typeLevel(id)) continue;
        const atExit = site.mode === 'defer' ? { atExit: true as const } : {};
        out.push({ fn, kind, id, display: exprKey(site.call.fn.x) ?? 'WaitGroup', pos: site.call.pos, blocks: false, held: [], took: [], ...atExit });
      }
    }
    return out;
  }

  /** The mutexes the calls of the meet's function before it may take (every call's, for a deferred Done: it runs at the exits). */
  takenOnTheWay(meet: Meet): ReadonlySet<ChanId> {
    return this.takenIn(meet.fn, meet.atExit ? undefined : meet.pos);
  }

  /** The mutexes a function may take, itself or down its synchronous calls, before `pos` (anywhere when undefined). */
  private takenIn(fn: FuncNode, pos: Pos | undefined): ReadonlySet<ChanId> {
    const out = new Set<ChanId>();
    for (const site of this.facts.graph.sites(fn)) {
      if (site.mode !== 'call' || (pos !== undefined && site.call.pos >= pos)) continue;
      const p = this.calls.primitive(fn, site.call, NO_CONDS);
      if (p) {
        if (p.op && p.prim.verb !== 'unlock' && typeLevel(p.op.id)) out.add(p.op.id);
        continue;
      }
      for (const t of this.facts.dispatch.targetsOf(fn, site.call)) {
        if (!t.precise) continue;
        for (const id of this.mayTake(t.callee)) if (out.size < MAX_TAKEN) out.add(id);
      }
    }
    return out;
  }

  private mayTake(fn: FuncNode): ReadonlySet<ChanId> {
    const known = this.taking.get(fn);
    if (known) return known;
    // A cycle of calls sees what its members take outside the cycle only.
    this.taking.set(fn, NONE);
    const out = this.takenIn(fn, undefined);
    this.taking.set(fn, out.size ? out : NONE);
    return out;
  }
}
