/**
 * The sync-effects engine: builds its parts over one call graph and fills the per-function effects
 * bottom-up over the strongly connected components. Rules and the per-kind facts (locks, WaitGroups)
 * ask the part that answers their question:
 * - noReturn: which calls never return, and which may not (noreturn.ts)
 * - dispatch: what may a call run (dispatch.ts)
 * - ids: which object an expression denotes (identity/)
 * - conds: what holds on a path (conditions/)
 * - goroutines, defers: what runs on another goroutine, what joins it, in which order defers run (goroutines/)
 * - channels, effects: a function's channel operations, and a call's in the caller's names (effects/)
 */
import { blame } from '../blame.js';
import type { CallGraph, FuncNode } from '../resolve/callgraph.js';
import { Conditions } from './conditions/conditions.js';
import { Dispatch } from './dispatch.js';
import { ChannelEffects } from './effects/channels.js';
import type { EffectMapping } from './effects/mapping.js';
import { Defers } from './goroutines/defers.js';
import { Goroutines } from './goroutines/goroutines.js';
import { Identity } from './identity/identity.js';
import { NoReturn } from './noreturn.js';
import { calleesFirst } from './order.js';

/**
 * The engine's parts over one program, and every function's channel effects, computed bottom-up over
 * the call graph's strongly connected components (recursion iterates to a fixpoint).
 */
export class SyncFacts {
  readonly noReturn: NoReturn;
  readonly dispatch: Dispatch;
  readonly ids: Identity;
  readonly conds: Conditions;
  readonly goroutines: Goroutines;
  readonly defers: Defers;
  readonly channels: ChannelEffects;
  readonly effects: EffectMapping;
  /** The call graph's strongly connected components, callees before callers (lock facts reuse them). */
  readonly sccs: FuncNode[][];

  constructor(readonly graph: CallGraph) {
    this.noReturn = new NoReturn(graph);
    this.dispatch = new Dispatch(graph, this.noReturn);
    this.ids = new Identity(graph, this.dispatch);
    this.conds = new Conditions(graph, this.dispatch, this.ids);
    this.goroutines = new Goroutines(graph, this.dispatch, this.ids);
    this.defers = new Defers(graph, this.dispatch);
    this.channels = new ChannelEffects(graph, this.dispatch, this.ids, this.conds, this.goroutines, this.defers);
    this.effects = this.channels.effects;
    const { sccs, selfCalls } = calleesFirst(graph, (node) => this.callees(node));
    this.sccs = sccs;
    for (const scc of sccs) {
      for (let round = 0; round < 4; round++) {
        let changed = false;
        for (const node of scc) {
          blame(node.file);
          changed = this.channels.summarize(node) || changed;
        }
        if (!changed || (scc.length === 1 && !selfCalls.has(scc[0]!))) break;
      }
    }
  }

  /** The call graph's edges as the channel facts read them: the targets of the calls that matter. */
  private callees(node: FuncNode): FuncNode[] {
    const out: FuncNode[] = [];
    for (const s of this.dispatch.activeSites(node)) for (const t of this.dispatch.targetsOf(node, s.call)) out.push(t.callee);
    return out;
  }
}
