/**
 * Channel effects: "which channels may this function close or send on, and under what guards?" —
 * per function, bottom-up: its own operations (from the guard-aware walk), its calls' mapped in, the
 * goroutines it leaves running, the channel fields it re-makes, the function-typed parameters it
 * starts, and the channels an ordering hazard inside it can be about.
 */
import type { Expr, Pos, Stmt } from '../../ir.js';
import { exprKey } from '../../irutil.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { allStmts, callsInLoops, type CallExpr } from '../calls.js';
import type { Conditions } from '../conditions/conditions.js';
import type { Dispatch } from '../dispatch.js';
import { claimedOn } from '../claims.js';
import { adding, intersect, NONE, sameSet, walkGuarded, type GuardState } from '../guarded.js';
import type { Defers } from '../goroutines/defers.js';
import type { Goroutines } from '../goroutines/goroutines.js';
import type { ChanId } from '../identity/ids.js';
import type { Identity } from '../identity/identity.js';
import { MADE, nameable } from '../identity/roots.js';
import { run, type Steps } from '../steps.js';
import { EffectMapping } from './mapping.js';
import { contextAt, NO_CONTESTED, NO_FACTS, NO_LOCKS, NO_SPAWNS, type CallContext, type CallEffects, type CalleeOp, type FuncFacts, type OpFact } from './types.js';

const NO_PATHS: ReadonlySet<string> = new Set();

/** Every function's channel effects, filled by the engine, callees first. */
export class ChannelEffects {
  readonly effects: EffectMapping;

  constructor(
    readonly graph: CallGraph,
    readonly dispatch: Dispatch,
    readonly ids: Identity,
    readonly conds: Conditions,
    readonly goroutines: Goroutines,
    private readonly defers: Defers,
  ) {
    this.effects = new EffectMapping(graph, dispatch, ids, conds, goroutines, defers, (node) => this.of(node));
  }

  private readonly facts = new Map<FuncNode, FuncFacts>();

  of(node: FuncNode): FuncFacts {
    return this.facts.get(node) ?? NO_FACTS;
  }

  /** A close or send written in `node` itself (`verb` says which), with the guards around it. */
  directOp(node: FuncNode, ch: Expr, pos: Pos, verb: string, g: GuardState): [ChanId, OpFact] | undefined {
    const id = this.ids.idOf(node, ch);
    if (id === undefined) return undefined;
    const display = exprKey(ch) ?? 'channel';
    const root = this.ids.rootIn(node, ch);
    const op: OpFact = {
      steps: [{ node, pos, message: `${verb} ${display}` }],
      display,
      locks: [...g.locks],
      conds: [...g.conds],
      tests: [...g.tests],
      sets: [...g.sets],
      recvd: [...g.recvd],
      waited: g.waited,
      recovers: this.defers.recoversIn(node),
      once: this.conds.runsOnce(node, g.conds) || claimedOn(g),
      async: false,
      precise: true,
    };
    if (root !== undefined) op.root = root;
    return [id, op];
  }

  /** Recomputes one function's facts; true when they grew. */
  summarize(node: FuncNode): boolean {
    const before = this.facts.get(node);
    const work = this.channelWork(node);
    if (!before && work === 'none') return this.summarizeQuiet(node);
    const closes = new Map<ChanId, OpFact>(before?.closes);
    const sends = new Map<ChanId, OpFact>(before?.sends);
    const async = new Map<ChanId, OpFact>(before?.async);
    const asyncCloses = new Map<ChanId, OpFact>(before?.asyncCloses);
    const remakes = new Map<ChanId, string | undefined>(before?.remakes);
    const spawns = new Set<number>(before?.spawns);
    const contested = new Set<ChanId>(before?.contested);
    const body = node.decl.body;
    if (body && work !== 'walk') {
      this.noteAssignedChannels(body, node, remakes);
      if (work === 'remakes') this.noteCalledRemakes(node, remakes);
    } else if (body) {
      const op = (e: Expr, pos: Pos, verb: string, g: GuardState) => this.directOp(node, e, pos, verb, g);
      const met = new Map<ChanId, { pos: Pos; close: boolean }>();
      const meet = (id: ChanId, pos: Pos, close: boolean) => {
        const prev = met.get(id);
        if ((prev && (prev.close || close) && (prev.pos !== pos || close)) || (close && callsInLoops(body).has(pos))) contested.add(id);
        if (!prev || (close && !prev.close)) met.set(id, { pos, close });
      };
      // A goroutine's send on a channel its starter made is never half of a hazard here.
      const meetAll = (pos: Pos, close: boolean, ...ops: CalleeOp[][]) => {
        for (const list of ops) for (const c of list) if (c.root !== MADE) meet(c.id, pos, close);
      };
      // A call's closes and sends, lifted only for channels the function does not know yet.
      const absorb = (eff: CallEffects, ctx: CallContext) => {
        for (const c of eff.closes) if (!closes.has(c.id)) closes.set(c.id, this.effects.lift(node, c, ctx));
        for (const c of eff.sends) if (!sends.has(c.id)) sends.set(c.id, this.effects.lift(node, c, ctx));
        for (const c of eff.async) if (!async.has(c.id)) async.set(c.id, this.effects.lift(node, c, { ...ctx, async: true }));
        for (const c of eff.asyncCloses) if (!asyncCloses.has(c.id)) asyncCloses.set(c.id, this.effects.lift(node, c, { ...ctx, async: true }));
      };
      // Facts are flow-insensitive ("may close anywhere in the function"); the walk threads only the
      // closes on the path, to learn what every path through a close writes before returning.
      const exits = this.effects.memoized(() => walkGuarded<ReadonlySet<ChanId>>(
        node,
        this,
        {
          close: (e, pos, g, path) => {
            const r = op(e, pos, 'closes', g);
            if (!r) return path;
            meet(r[0], pos, true);
            if (!closes.has(r[0])) closes.set(r[0], r[1]);
            return adding(path, [r[0]]);
          },
          send: (e, pos, g, path) => {
            const r = op(e, pos, 'sends on', g);
            if (r) meet(r[0], pos, false);
            if (r && !sends.has(r[0])) sends.set(r[0], r[1]);
            return path;
          },
          call: (call, g, path, mode) => {
            const eff = this.effects.effectsOf(node, call);
            meetAll(call.pos, true, eff.closes, eff.asyncCloses);
            meetAll(call.pos, false, eff.sends, eff.async);
            // What a goroutine does is not ordered with anything after the go statement: for callers
            // it is neither a close nor a send that happens at the call, but sends that may still run.
            if (mode === 'go') {
              const ctx = contextAt(g, true);
              for (const c of [...eff.sends, ...eff.async]) if (!async.has(c.id)) async.set(c.id, this.effects.lift(node, c, ctx));
              for (const c of [...eff.closes, ...eff.asyncCloses]) if (!asyncCloses.has(c.id)) asyncCloses.set(c.id, this.effects.lift(node, c, ctx));
              return path;
            }
            absorb(eff, contextAt(g, false));
            for (const [id, r] of eff.remakes) if (!remakes.has(id)) remakes.set(id, r);
            return eff.closes.length ? adding(path, eff.closes.map((c) => c.id)) : path;
          },
          rebind: (targets, path) => {
            this.noteRemakes(node, targets, remakes);
            return path;
          },
          defer: (call, _pos, g, path) => {
            if (call.k !== 'call') return path;
            const closed = this.dispatch.closedBy(call);
            if (closed) {
              const r = op(closed, call.pos, 'closes', g);
              if (r) meet(r[0], call.pos, true);
              if (r && this.defers.deferredAfterDone(node).has(call.pos)) r[1].afterDone = true;
              if (r && !closes.has(r[0])) closes.set(r[0], r[1]);
              return path;
            }
            const eff = this.effects.effectsOf(node, call);
            meetAll(call.pos, true, eff.closes);
            const deferred = { recovered: this.defers.deferredBeforeRecover(node).has(call.pos), afterDone: this.defers.deferredAfterDone(node).has(call.pos) };
            absorb(eff, { ...contextAt(g, false), locks: NO_LOCKS, deferred });
            return path;
          },
        },
        NONE,
        { join: (a, b) => (a === b ? a : adding(a, [...b])), equal: sameSet },
      ));
      // `close(d.errCh); d.responded = true`: by the time the call returns, the flag a second call
      // checks is set. Every path through the close, to every exit, must write it.
      const after = new Map<ChanId, ReadonlySet<ChanId>>();
      for (const exit of exits) for (const id of exit.e) after.set(id, after.has(id) ? intersect(after.get(id)!, exit.g.sets) : exit.g.sets);
      for (const [id, sets] of after) {
        const c = closes.get(id);
        if (c && [...sets].some((x) => !c.sets.includes(x))) closes.set(id, { ...c, sets: [...new Set([...c.sets, ...sets])] });
      }
    }
    // A function that waits for goroutines, or receives what they produce, before returning joins them;
    // a Wait does not join a close deferred to run after the goroutine's Done.
    // Only a parameter can be bound to a closure at the call.
    if (body && node.decl.params.length > 0) this.noteSpawns(node, spawns);
    if ((async.size || asyncCloses.size || spawns.size) && (this.waitsIn(node) || this.goroutines.receivesIn(node).size > 0)) {
      spawns.clear();
      const waitOnly = this.goroutines.receivesIn(node).size === 0;
      for (const [id, c] of async) if (!waitOnly || !c.afterDone) async.delete(id);
      for (const [id, c] of asyncCloses) if (!waitOnly || !c.afterDone) asyncCloses.delete(id);
    }
    const some = closes.size || sends.size || async.size || asyncCloses.size || remakes.size || spawns.size || contested.size;
    this.facts.set(
      node,
      some ? { closes, sends, async, asyncCloses, remakes, spawns: spawns.size ? spawns : NO_SPAWNS, contested: contested.size ? contested : NO_CONTESTED } : NO_FACTS,
    );
    return (
      !before ||
      before.closes.size !== closes.size ||
      before.sends.size !== sends.size ||
      before.async.size !== async.size ||
      before.asyncCloses.size !== asyncCloses.size ||
      before.remakes.size !== remakes.size ||
      before.spawns.size !== spawns.size
    );
  }

  /**
   * Most functions neither close nor send, directly or through a call: only their channel
   * assignments and the parameters they start matter to callers, and a scan finds those without
   * the guard-aware walk (or the maps a walked function fills). First visit only.
   */
  private summarizeQuiet(node: FuncNode): boolean {
    const body = node.decl.body;
    // Scratch collections, copied only for the few functions that fill them.
    const { remakes, spawns } = this.quiet;
    remakes.clear();
    spawns.clear();
    if (body) this.noteAssignedChannels(body, node, remakes);
    if (body && node.decl.params.length > 0) this.noteSpawns(node, spawns);
    // As in summarize: a function that receives what its goroutines produce joins them.
    if (spawns.size && this.goroutines.receivesIn(node).size > 0) spawns.clear();
    this.facts.set(
      node,
      remakes.size || spawns.size
        ? {
            closes: new Map(),
            sends: new Map(),
            async: new Map(),
            asyncCloses: new Map(),
            remakes: new Map(remakes),
            spawns: spawns.size ? new Set(spawns) : NO_SPAWNS,
            contested: NO_CONTESTED,
          }
        : NO_FACTS,
    );
    return true;
  }

  private readonly quiet = { remakes: new Map<ChanId, string | undefined>(), spawns: new Set<number>() };

  private noteAssignedChannels(body: Stmt[], node: FuncNode, remakes: Map<ChanId, string | undefined>): void {
    if (!node.decl.writesFields) return;
    for (const st of allStmts(body)) if (st.k === 'assign' && (st.op === '=' || st.op === ':=')) this.noteRemakes(node, st.lhs, remakes);
  }

  /**
   * The function-typed parameters `node` starts on a goroutine: `go f()`, `go func() { ...; f() }()`,
   * or passing f on to a helper that does.
   */
  private noteSpawns(node: FuncNode, spawns: Set<number>): void {
    const paramIndex = (e: Expr | undefined, within: FuncNode): number | undefined => {
      const st = e?.k === 'id' ? this.graph.storageOf(within, e) : undefined;
      return st?.kind === 'param' && st.fn === node.id && st.index >= 0 ? st.index : undefined;
    };
    for (const site of this.dispatch.activeSites(node)) {
      const { call } = site;
      if (site.mode === 'go') {
        const direct = paramIndex(call.fn, node);
        if (direct !== undefined) spawns.add(direct);
        const lit = call.fn.k === 'funclit' ? node.file.funcs[call.fn.fn] : undefined;
        if (!lit) continue;
        const litNode = this.graph.nodeOf(node.file, lit);
        for (const inner of this.graph.sites(litNode)) {
          const i = paramIndex(inner.call.fn, litNode);
          if (i !== undefined) spawns.add(i);
        }
        continue;
      }
      for (const t of this.dispatch.targetsOf(node, call)) {
        if (!t.precise) continue;
        for (const j of this.of(t.callee).spawns) {
          const i = paramIndex(call.args[j], node);
          if (i !== undefined) spawns.add(i);
        }
      }
    }
  }

  /** Channel fields and globals among assigned targets: callers forget what they knew closed there. */
  private noteRemakes(node: FuncNode, targets: Expr[], remakes: Map<ChanId, string | undefined>): void {
    for (const t of targets) {
      // The type first: most assigned fields cannot hold a channel, and naming one costs more.
      if (t.k !== 'sel' || !this.ids.mayHoldChannel(node, t)) continue;
      const id = this.ids.idOf(node, t);
      if (id === undefined || !(id.startsWith('field:') || id.startsWith('global:')) || remakes.has(id)) continue;
      remakes.set(id, this.ids.rootIn(node, t));
    }
  }

  /** Per function: its repointed paths; null while being worked out (a call cycle reads as none). */
  private readonly repoints = new Map<FuncNode, ReadonlySet<string> | null>();

  /**
   * Paths from the receiver or a parameter that a function points at another object, itself
   * (`ts.domain, err = session.BootstrapSession(store)`, `s.conn = dial()`) or through its calls, as
   * deep as call chains go: hence steps.
   */
  private *repointsSteps(node: FuncNode): Steps<ReadonlySet<string>> {
    const known = this.repoints.get(node);
    if (known !== undefined) return known ?? NO_PATHS;
    this.repoints.set(node, null);
    const out = new Set<string>();
    for (const st of allStmts(node.decl.body ?? [])) {
      if (st.k !== 'assign' || st.op !== '=') continue;
      // `a.x, err = open()`: every target takes a result of the one call.
      const shared = st.rhs.length === 1 && st.lhs.length > 1 ? st.rhs[0] : undefined;
      st.lhs.forEach((t, i) => {
        const v = shared ?? st.rhs[i];
        if (t.k !== 'sel' || !v || !(v.k === 'call' || this.ids.isNew(node, v))) return;
        const root = this.ids.rootIn(node, t);
        if (root?.startsWith('@')) out.add(root);
      });
    }
    for (const site of this.dispatch.activeSites(node)) {
      if (site.mode !== 'call') continue;
      for (const root of (yield this.repointedSteps(node, site.call)) as string[]) if (root.startsWith('@')) out.add(root);
    }
    const result = out.size ? out : NO_PATHS;
    this.repoints.set(node, result);
    return result;
  }

  /**
   * The instance roots of `node` that a call points at other objects: what was closed through them
   * before the call is not what they hold after it.
   */
  repointedBy(node: FuncNode, call: CallExpr): string[] {
    return run(this.repointedSteps(node, call));
  }

  private *repointedSteps(node: FuncNode, call: CallExpr): Steps<string[]> {
    const out: string[] = [];
    for (const { callee, precise } of this.dispatch.targetsOf(node, call)) {
      if (!precise) continue;
      const receiver = this.dispatch.receiverFor(call, callee);
      for (const root of (yield this.repointsSteps(callee)) as ReadonlySet<string>) {
        const lifted = this.ids.liftRoot(node, callee, root, call, receiver);
        if (lifted !== undefined && nameable(lifted)) out.push(lifted);
      }
    }
    return out;
  }

  /**
   * What a function's facts need of its body: nothing but a scan when it neither closes nor sends,
   * directly or through a call, nor waits for goroutines; its calls' re-made channels too when that
   * is all its callees have (two thirds of the functions that call anything with facts: no path
   * condition or order changes a re-make, so they skip the walk); else the guard-aware walk.
   */
  private channelWork(node: FuncNode): 'none' | 'remakes' | 'walk' {
    let remakes = false;
    // The walk also reads the goroutines that `g.Go(func() { ... })` starts.
    let spawns = false;
    for (const site of this.dispatch.activeSites(node)) {
      if (this.dispatch.closedBy(site.call)) return 'walk';
      const { targets, waits } = this.dispatch.shapeOf(node, site.call);
      if (waits) return 'walk';
      for (const t of targets) {
        const f = this.of(t.callee);
        if (f === NO_FACTS) continue;
        if (this.reaches(node, f)) return 'walk';
        remakes = true;
      }
      spawns ||= this.goroutines.spawnOf(node, site.call) !== undefined;
    }
    if (node.decl.sends) return 'walk';
    return !remakes ? 'none' : spawns ? 'walk' : 'remakes';
  }

  /**
   * Whether a callee's operations reach `node` at all: those on a channel local to another function
   * (the callee made it) come up with an unnameable root, and mapEffects drops them.
   */
  private reaches(node: FuncNode, f: FuncFacts): boolean {
    if (f.spawns.size) return true;
    for (const ops of [f.closes, f.sends, f.async, f.asyncCloses]) {
      for (const id of ops.keys()) if (!this.effects.foreignLocal(node, id)) return true;
    }
    return false;
  }

  /** What the walk's calls would add for a function whose callees only re-make channels. */
  private noteCalledRemakes(node: FuncNode, remakes: Map<ChanId, string | undefined>): void {
    for (const site of this.dispatch.activeSites(node)) {
      if (site.mode !== 'call') continue;
      for (const [id, r] of this.effects.effectsOf(node, site.call).remakes) if (!remakes.has(id)) remakes.set(id, r);
    }
  }

  /** Whether the function calls `WaitGroup.Wait`, `errgroup.Wait` or the like. */
  private waitsIn(node: FuncNode): boolean {
    return this.dispatch.activeSites(node).some((site) => this.dispatch.waits(node, site.call));
  }
}
