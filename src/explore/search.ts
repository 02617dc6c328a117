/**
 * Explicit-state search of an entry's goroutine model: every interleaving of its goroutines' sync operations,
 * states hashed, loops bounded, within a budget. Answers "can these goroutines panic, deadlock or leave one
 * blocked forever?", and keeps for each verdict the schedule that reaches it and the assumptions it took.
 */
import { joinAssumptions, type Assumption, type Location } from '../findings.js';
import type { Block, EntryModel, Instr, Obj, SelectCase } from './model.js';

export type VerdictKind = 'send-closed' | 'close-closed' | 'close-nil' | 'negative-wg' | 'unlock-unlocked' | 'leak' | 'deadlock';

export interface ScheduleStep {
  /** 0 is the entry's own goroutine. */
  g: number;
  at: Location;
  text: string;
}

export interface Verdict {
  kind: VerdictKind;
  /** The operation that panics or blocks. */
  at: Location;
  /** The object it is on, as the code names it. */
  object: string;
  /** Other operations that take part: the close before the send, the other blocked goroutines. */
  related: { at: Location; text: string }[];
  /** Branches the witness took that the model could not decide, buffers it took to be full. */
  assumptions: Assumption[];
  schedule: ScheduleStep[];
  /** Where each goroutine of the schedule starts (index 0: the entry). */
  goroutines: { name: string; at?: Location }[];
}

export interface SearchResult {
  verdicts: Verdict[];
  states: number;
  /** The budget ran out before every state was seen. */
  cut: boolean;
}

const MAX_ITER = 2;
/**
 * Local steps (branches, calls, loop heads) one entry may take in all: a goroutine with many undecided branches
 * in a row between two sync operations has exponentially many ways through them, each a state.
 */
export const MAX_LOCAL_STEPS = 5_000;
/** The highest count a WaitGroup or a channel buffer of unknown size is tracked to. */
export const MAX_COUNT = 4;
const MAX_GOROUTINES = 12;

interface Frame {
  block: Block;
  pc: number;
  kind: 'func' | 'block' | 'loop' | 'breakable';
  /** The loop instruction of a loop frame; pc -1 means "at the loop's head". */
  loop?: Extract<Instr, { k: 'loop' }>;
  iter: number;
  label?: string;
  defers: Block[];
}

interface G {
  /** stateKey's part for this goroutine, computed once: a goroutine is copied before it changes. */
  key?: string;
  frames: Frame[];
  /** run: at a sync operation or still to settle; done; exit: the program ended; cut: past a bound. */
  status: 'run' | 'done' | 'exit' | 'cut';
  exiting: boolean;
  recovers: boolean;
}

interface State {
  gs: G[];
  /** Per object: a channel's buffered count, a mutex's holders (-1 a writer), a WaitGroup's counter, a Once's done. */
  val: number[];
  closed: boolean[];
  /** 0 false, 1 true, 2 not known. */
  flags: number[];
  /** Per loop bound: how many times the first counted loop over it ran (0: none has finished yet). */
  counts: number[];
  /**
   * Per choice (model.ts Choice): the way it was decided (1 true, 0 false, or a switch's arm), -1 while open. A
   * witness is one run: what it took a condition to be holds for every goroutine until a write of what it reads.
   */
  decided: number[];
}

interface Node {
  state: State;
  parent: number;
  steps: ScheduleStep[];
  assumptions: Assumption[];
  depth: number;
}

interface Outcome {
  /** This outcome's state arrays and this one goroutine belong to it alone: they may change in place. */
  owned?: number;
  state: State;
  steps: ScheduleStep[];
  assumptions: Assumption[];
  panic?: { kind: VerdictKind; at: Location; obj: number; g: number };
}

/** `budget`: states to visit; `localSteps`: local steps to take (see MAX_LOCAL_STEPS). */
export function search(model: EntryModel, budget: number, starts: { name: string; at?: Location }[], localSteps = MAX_LOCAL_STEPS): SearchResult {
  return new Explorer(model, budget, starts, localSteps).run();
}

class Explorer {
  private readonly nodes: Node[] = [];
  private readonly seen = new Set<string>();
  private readonly verdicts = new Map<string, Verdict>();
  private cut = false;
  private localSteps = 0;
  /** Assumptions on blind choices (see Cond): no verdict rests on one. */
  private readonly blind = new Set<string>();
  /** Names and start locations of goroutines, by the order they are first spawned in any schedule. */
  private readonly names: { name: string; at?: Location }[];

  constructor(
    private readonly model: EntryModel,
    private readonly budget: number,
    starts: { name: string; at?: Location }[],
    private readonly maxLocalSteps: number,
  ) {
    this.names = [...starts];
  }

  run(): SearchResult {
    const m = this.model;
    const init: State = {
      gs: [{ frames: [frame(m.main, 'func')], status: 'run', exiting: false, recovers: !!m.main.recovers }],
      val: m.objs.map(() => 0),
      closed: m.objs.map(() => false),
      flags: m.flags.map((f) => (f.initial === undefined ? 2 : f.initial ? 1 : 0)),
      counts: new Array<number>(m.loopBounds).fill(0),
      decided: m.choices.map(() => -1),
    };
    const queue: number[] = [];
    for (const o of this.settle(init, 0, [], [])) this.push(o, -1, queue);
    for (let qi = 0; qi < queue.length; qi++) {
      if (this.nodes.length >= this.budget || this.localSteps > this.maxLocalSteps) {
        this.cut = true;
        break;
      }
      const id = queue[qi]!;
      const node = this.nodes[id]!;
      const outs = this.transitions(node.state);
      if (!outs.length) {
        this.terminal(id);
        continue;
      }
      for (const o of outs) {
        if (o.panic) this.panic(id, o);
        else this.push(o, id, queue);
      }
    }
    return { verdicts: [...this.verdicts.values()], states: this.nodes.length, cut: this.cut };
  }

  private push(o: Outcome, parent: number, queue: number[]): void {
    if (o.state.gs.some((g) => g.status === 'exit')) return;
    const assumed = parent >= 0 ? this.nodes[parent]!.assumptions.length + o.assumptions.length : o.assumptions.length;
    const key = `${assumed ? 1 : 0}|${stateKey(o.state)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const p = parent >= 0 ? this.nodes[parent]! : undefined;
    this.nodes.push({
      state: o.state,
      parent,
      steps: o.steps,
      assumptions: p ? joinAssumptions(p.assumptions, o.assumptions) : o.assumptions,
      depth: p ? p.depth + 1 : 0,
    });
    queue.push(this.nodes.length - 1);
  }

  // ---- verdicts ----

  private record(kind: VerdictKind, at: Location, obj: Obj | undefined, nodeId: number, extra: ScheduleStep[], extraAssumptions: Assumption[], related: Verdict['related']): void {
    const node = this.nodes[nodeId]!;
    const assumptions = joinAssumptions(node.assumptions, extraAssumptions);
    if (assumptions.some((a) => this.blind.has(a.text))) return;
    const key = `${kind}@${at.path}:${at.line}:${at.col}`;
    const prev = this.verdicts.get(key);
    if (prev && prev.assumptions.length <= assumptions.length) return;
    const schedule = [...this.scheduleTo(nodeId), ...extra];
    const used = new Set(schedule.map((s) => s.g));
    this.verdicts.set(key, {
      kind, at, object: obj?.name ?? '', related, assumptions, schedule,
      goroutines: this.names.map((n, i) => (used.has(i) ? n : { name: n.name })),
    });
  }

  private scheduleTo(nodeId: number): ScheduleStep[] {
    const parts: ScheduleStep[][] = [];
    for (let n = nodeId; n >= 0; n = this.nodes[n]!.parent) parts.push(this.nodes[n]!.steps);
    return parts.reverse().flat();
  }

  private panic(nodeId: number, o: Outcome): void {
    const p = o.panic!;
    const obj = this.model.objs[p.obj];
    if (obj?.perIteration) return;
    const g = o.state.gs[p.g];
    if (g?.recovers) return;
    const related: Verdict['related'] = [];
    if (p.kind === 'send-closed' || p.kind === 'close-closed') {
      const close = [...this.scheduleTo(nodeId), ...o.steps].find((s) => s.text === `closes ${obj?.name}`);
      if (close) related.push({ at: close.at, text: `${obj?.name} is closed here` });
    }
    this.record(p.kind, p.at, obj, nodeId, o.steps, o.assumptions, related);
  }

  /** No goroutine can move: a deadlock if the entry is stuck, leaks if it has returned. */
  private terminal(nodeId: number): void {
    const { state } = this.nodes[nodeId]!;
    const blocked = state.gs.map((g, i) => ({ g, i })).filter((x) => x.g.status === 'run');
    if (!blocked.length || state.gs.some((g) => g.status === 'cut') || this.model.unidentified) return;
    const ops = blocked.map((b) => ({ ...b, op: current(b.g) }));
    if (!ops.every((o) => o.op && this.judgeable(o.op))) return;
    const mainBlocked = state.gs[0]!.status === 'run';
    const related = ops.map((o) => ({ at: opAt(o.op!), text: `goroutine ${o.i} blocks here (${describe(o.op!, this.model.objs)})` }));
    const full = this.fullBuffers(ops.map((o) => o.op!));
    if (mainBlocked) {
      const first = ops[0]!;
      this.record('deadlock', opAt(first.op!), this.objOfOp(first.op!), nodeId, [], full, related.slice(1));
      return;
    }
    for (const o of ops) {
      this.record('leak', opAt(o.op!), this.objOfOp(o.op!), nodeId, [], full, related.filter((r) => r.at !== opAt(o.op!)));
    }
  }

  /** Every object the operation waits on is made in the entry, once, and used nowhere the model cannot see. */
  private judgeable(op: Instr | 'head'): boolean {
    const ids = objectsOf(op);
    return ids.length > 0 && ids.every((id) => {
      const o = this.model.objs[id]!;
      return o.local && !o.escapes && !o.perIteration && o.kind !== 'timer' && (o.kind !== 'chan' || o.nil || o.cap !== undefined || o.capText !== undefined);
    });
  }

  /**
   * A send blocked on a buffer of computed size, which the search gives one slot: blocked for real only when
   * more values are sent than the buffer holds, which is assumed.
   */
  private fullBuffers(ops: (Instr | 'head')[]): Assumption[] {
    const objs = this.model.objs;
    const chans = new Set(ops.flatMap((op) => (op === 'head' ? [] : op.k === 'send' ? [op.ch] : op.k === 'select' ? op.cases.filter((c) => c.dir === 'send').map((c) => c.ch) : [])));
    return [...chans].flatMap((ch) => {
      const o = objs[ch]!;
      if (o.capText === undefined) return [];
      const made = o.at ? ` (made at line ${o.at.line})` : '';
      return [{ kind: 'capacity' as const, text: `\`${o.name}\`'s buffer of \`${o.capText}\`${made} fills up before its receivers stop`, ...(o.at ? { location: o.at } : {}) }];
    });
  }

  private objOfOp(op: Instr | 'head'): Obj | undefined {
    const id = objectsOf(op)[0];
    return id === undefined ? undefined : this.model.objs[id];
  }

  // ---- transitions ----

  private transitions(s: State): Outcome[] {
    const out: Outcome[] = [];
    s.gs.forEach((g, i) => {
      if (g.status !== 'run') return;
      const op = current(g);
      if (!op) return;
      this.moves(s, i, op, out);
    });
    return out;
  }

  private moves(s: State, i: number, op: Instr | 'head', out: Outcome[]): void {
    const objs = this.model.objs;
    const g = s.gs[i]!;
    if (op === 'head') {
      const ch = top(g).loop!.rangeCh!;
      if (this.canRecv(s, ch)) out.push(...this.after(s, i, { recv: ch, range: true }));
      return;
    }
    const at = op.k === 'set' || op.k === 'write' ? undefined : opAt(op);
    switch (op.k) {
      case 'send':
        this.sendMoves(s, i, op.ch, at!, out, undefined);
        return;
      case 'recv':
        if (this.canRecv(s, op.ch)) out.push(...this.after(s, i, { recv: op.ch, ...(op.ok !== undefined ? { ok: op.ok } : {}) }));
        return;
      case 'close': {
        const o = objs[op.ch]!;
        if (o.kind === 'timer') return void out.push(...this.after(s, i, {}));
        if (o.nil) return void out.push(panicOut(s, 'close-nil', at!, op.ch, i));
        if (s.closed[op.ch]) return void out.push(panicOut(s, 'close-closed', at!, op.ch, i));
        const n = clone(s);
        n.closed[op.ch] = true;
        out.push(...this.after(n, i, {}, [{ g: i, at: at!, text: `closes ${o.name}` }]));
        return;
      }
      case 'select': {
        let any = false;
        op.cases.forEach((c, ci) => {
          const before = out.length;
          if (c.dir === 'send') this.sendMoves(s, i, c.ch, c.at, out, ci);
          else if (this.canRecv(s, c.ch)) out.push(...this.after(s, i, { recv: c.ch, case: ci, ...(c.ok !== undefined ? { ok: c.ok } : {}) }));
          if (out.length > before) any = true;
        });
        // A receive case can also be matched by a sender waiting elsewhere: those moves come from the sender's side.
        if (!any && !this.hasSender(s, i, op.cases) && op.dflt) out.push(...this.after(s, i, { dflt: true }));
        return;
      }
      case 'lock': {
        const v = s.val[op.mu]!;
        if (v < 0 || (!op.read && v > 0)) return;
        const n = clone(s);
        n.val[op.mu] = op.read ? v + 1 : -1;
        out.push(...this.after(n, i, {}, [{ g: i, at: at!, text: `${op.read ? 'read-' : ''}locks ${objs[op.mu]!.name}` }]));
        return;
      }
      case 'unlock': {
        const v = s.val[op.mu]!;
        if (v === 0 && this.model.objs[op.mu]!.local) return void out.push(panicOut(s, 'unlock-unlocked', at!, op.mu, i));
        const n = clone(s);
        n.val[op.mu] = v < 0 || v === 0 ? 0 : v - 1;
        out.push(...this.after(n, i, {}, [{ g: i, at: at!, text: `unlocks ${objs[op.mu]!.name}` }]));
        return;
      }
      case 'add': {
        const v = s.val[op.wg]! + op.n;
        if (v < 0 && this.model.objs[op.wg]!.local) return void out.push(panicOut(s, 'negative-wg', at!, op.wg, i));
        const n = clone(s);
        n.val[op.wg] = Math.max(0, Math.min(MAX_COUNT, v));
        out.push(...this.after(n, i, {}, [{ g: i, at: at!, text: op.n < 0 ? `${objs[op.wg]!.name}.Done()` : `${objs[op.wg]!.name}.Add(${op.n})` }]));
        return;
      }
      case 'wait':
        if (s.val[op.wg] === 0) out.push(...this.after(s, i, {}, [{ g: i, at: at!, text: `${objs[op.wg]!.name}.Wait() returns` }]));
        return;
      default:
        return;
    }
  }

  private canRecv(s: State, ch: number): boolean {
    const o = this.model.objs[ch]!;
    if (o.kind === 'timer') return true;
    if (o.nil) return false;
    return s.val[ch]! > 0 || s.closed[ch]!;
  }

  /** Whether some other goroutine waits to send on one of these receive cases (then default is not taken). */
  private hasSender(s: State, i: number, cases: SelectCase[]): boolean {
    return cases.some((c) => c.dir === 'recv' && s.gs.some((h, j) => j !== i && h.status === 'run' && sendsOn(current(h), c.ch)));
  }

  /** A send (or a select's send case `ci`): into the buffer, to a waiting receiver, or a panic when closed. */
  private sendMoves(s: State, i: number, ch: number, at: Location, out: Outcome[], ci: number | undefined): void {
    const o = this.model.objs[ch]!;
    if (o.kind === 'timer' || o.nil) return;
    if (s.closed[ch]) return void out.push(panicOut(s, 'send-closed', at, ch, i));
    // A buffer of computed size gets one slot: what one slot allows, a bigger buffer allows too (see fullBuffers).
    const cap = o.cap ?? (o.capText !== undefined ? 1 : MAX_COUNT);
    if (cap > 0 && s.val[ch]! < cap) {
      const n = clone(s);
      n.val[ch] = s.val[ch]! + 1;
      out.push(...this.after(n, i, ci === undefined ? {} : { case: ci }, [{ g: i, at, text: `sends on ${o.name}` }]));
      return;
    }
    if (cap > 0) return;
    s.gs.forEach((h, j) => {
      if (j === i || h.status !== 'run') return;
      const rop = current(h);
      const rc = recvCase(rop, ch, top(h));
      if (rc === undefined) return;
      const step = { g: i, at, text: `sends on ${o.name} to goroutine ${j}` };
      for (const a of this.after(s, i, ci === undefined ? {} : { case: ci }, [step])) {
        out.push(...this.after(a.state, j, { ...rc, delivered: true }, [], a.steps, a.assumptions));
      }
    });
  }

  /**
   * Moves goroutine i past its current operation (taking a select case, entering a range body, setting a
   * receive's ok), then runs it to its next sync operation: one outcome per undecided branch on the way.
   */
  private after(
    s: State,
    i: number,
    how: { recv?: number; ok?: number; case?: number; dflt?: true; range?: boolean; delivered?: boolean },
    steps: ScheduleStep[] = [],
    prevSteps: ScheduleStep[] = [],
    prevAssumptions: Assumption[] = [],
  ): Outcome[] {
    const n = clone(s);
    const g = cloneG(n, i);
    const f = top(g);
    const objs = this.model.objs;
    let allSteps = [...prevSteps, ...steps];
    if (how.recv !== undefined) {
      const ch = how.recv;
      const o = objs[ch]!;
      const gotValue = how.delivered || o.kind === 'timer' || n.val[ch]! > 0;
      if (!how.delivered && o.kind !== 'timer' && n.val[ch]! > 0) n.val[ch] = n.val[ch]! - 1;
      if (how.ok !== undefined) n.flags[how.ok] = gotValue ? 1 : 0;
      const op = f.pc >= 0 ? f.block.instrs[f.pc] : undefined;
      const at = how.range ? f.loop!.at : op && op.k !== 'set' && op.k !== 'write' ? (how.case !== undefined && op.k === 'select' ? op.cases[how.case]!.at : opAt(op)) : undefined;
      if (at) allSteps.push({ g: i, at, text: o.kind === 'timer' ? 'a timer or context fires' : gotValue ? `receives from ${o.name}` : `receives from closed ${o.name}` });
      if (how.range) {
        if (gotValue) {
          f.pc = 0;
          f.iter = 0;
        } else g.frames.pop();
        return this.settle(n, i, allSteps, prevAssumptions);
      }
    }
    const op = f.block.instrs[f.pc]!;
    f.pc++;
    if (op.k === 'select') {
      const body = how.dflt ? op.dflt! : op.cases[how.case!]!.body;
      g.frames.push({ ...frame(body, 'breakable'), ...(op.label ? { label: op.label } : {}) });
      if (how.dflt) allSteps.push({ g: i, at: op.at, text: 'takes the default case' });
    }
    allSteps = allSteps.filter((x, k, a) => a.indexOf(x) === k);
    return this.settle(n, i, allSteps, prevAssumptions);
  }

  /** Runs goroutine i (and any it starts) through local instructions up to its next sync operation. */
  private settle(s: State, i: number, steps: ScheduleStep[], assumptions: Assumption[]): Outcome[] {
    const done: Outcome[] = [];
    const work: Outcome[] = [{ state: s, steps, assumptions }];
    // A local loop that comes back to where it was without a sync operation makes no progress: cut it there.
    const visited = new Set<string>();
    while (work.length) {
      if (++this.localSteps > this.maxLocalSteps) {
        this.cut = true;
        break;
      }
      const o = work.pop()!;
      const key = `${goroutineKey(o.state.gs[i]!)}|${o.state.gs.length}|${o.state.flags.join('')}|${o.state.counts.join('')}`;
      if (visited.has(key)) continue;
      visited.add(key);
      const g = o.state.gs[i]!;
      if (g.status !== 'run') {
        done.push(o);
        continue;
      }
      const f = g.frames[g.frames.length - 1];
      if (!f) {
        own(o, i).g.status = 'done';
        done.push(o);
        continue;
      }
      if (f.pc === -1 || f.pc >= f.block.instrs.length) {
        if (f.kind === 'loop' && f.loop!.rangeCh !== undefined && f.pc === -1) {
          done.push(o);
          continue;
        }
        work.push(...this.endOfFrame(o, i));
        continue;
      }
      const op = f.block.instrs[f.pc]!;
      if (isSync(op)) {
        if (op.k === 'once') {
          const { n, g: ng } = own(o, i);
          top(ng).pc++;
          if (!n.val[op.once]) {
            n.val[op.once] = 1;
            ng.frames.push(frame(op.body, 'func'));
          }
          work.push(o);
          continue;
        }
        done.push(o);
        continue;
      }
      work.push(...this.local(o, i, op));
    }
    return done;
  }

  private endOfFrame(o: Outcome, i: number): Outcome[] {
    const { g } = own(o, i);
    const f = top(g);
    if (f.kind === 'loop') return this.loopHead(o, i, f);
    if (f.kind === 'func' && f.defers.length) {
      const d = f.defers.pop()!;
      g.frames.push(frame(d, 'func'));
      return [o];
    }
    g.frames.pop();
    if (f.kind === 'func' && g.exiting) unwindToFunc(g);
    return [o];
  }

  /** The loop in frame f (of a cloned state) decides whether to go round again. */
  private loopHead(o: Outcome, i: number, f: Frame): Outcome[] {
    const loop = f.loop!;
    const g = o.state.gs[i]!;
    if (loop.rangeCh !== undefined) {
      f.pc = -1;
      return [o];
    }
    const iter = f.iter;
    // o is this settle's own: one way out reuses it, a second way gets a copy taken before either changes it.
    const againOn = (r: Outcome): Outcome => {
      const t = top(r.state.gs[i]!);
      t.pc = 0;
      t.iter = loop.bounded || loop.shape === 'counted' ? iter + 1 : 0;
      return r;
    };
    const leaveOn = (r: Outcome): Outcome => {
      r.state.gs[i]!.frames.pop();
      if (loop.over !== undefined && !r.state.counts[loop.over]) r.state.counts[loop.over] = iter;
      return r;
    };
    const both = (): Outcome[] => {
      const n = clone(o.state);
      cloneG(n, i);
      return [leaveOn({ ...o, state: n, owned: i }), againOn(o)];
    };
    if (loop.shape === 'forever') {
      if (loop.bounded && iter >= MAX_ITER) {
        g.status = 'cut';
        return [o];
      }
      return [againOn(o)];
    }
    if (loop.shape === 'counted') {
      const same = loop.over !== undefined ? o.state.counts[loop.over]! : 0;
      if (same) return [iter < same ? againOn(o) : leaveOn(o)];
      if (iter === 0) return [againOn(o)];
      return iter < MAX_ITER ? both() : [leaveOn(o)];
    }
    if (loop.bounded && iter >= MAX_ITER) return [leaveOn(o)];
    return both();
  }

  /** One local instruction: control flow, flags, spawns. */
  private local(o: Outcome, i: number, op: Instr): Outcome[] {
    const { n, g } = own(o, i);
    const f = top(g);
    f.pc++;
    const next = (): Outcome[] => [o];
    /** A copy of this outcome as it is now, for a second way on. */
    const fork = (): { o2: Outcome; g2: G } => {
      const n2 = clone(n);
      const g2 = cloneG(n2, i);
      return { o2: { ...o, state: n2, owned: i }, g2 };
    };
    switch (op.k) {
      case 'set':
        n.flags[op.flag] = op.value ? 1 : 0;
        return next();
      case 'go': {
        if (n.gs.length >= MAX_GOROUTINES) {
          g.status = 'cut';
          return next();
        }
        const j = n.gs.length;
        n.gs.push({ frames: [frame(op.body, 'func')], status: 'run', exiting: false, recovers: !!op.body.recovers });
        if (!this.names[j]) this.names[j] = { name: op.name, at: op.at };
        const steps = [...o.steps, { g: i, at: op.at, text: `starts goroutine ${j}` }];
        return this.settle(n, j, steps, o.assumptions);
      }
      case 'call':
        g.frames.push(frame(op.body, 'func'));
        return next();
      case 'defer':
        funcFrame(g).defers.push(op.body);
        return next();
      case 'return':
        unwindToFunc(g);
        return next();
      case 'goexit':
        g.exiting = true;
        unwindToFunc(g);
        return next();
      case 'exit':
        g.status = 'exit';
        return next();
      case 'failed': {
        const text = `what follows \`${op.call}()\`, which has failed the test, matters`;
        return [{ ...o, assumptions: [...o.assumptions, { kind: 'failed-test' as const, text, location: op.at }] }];
      }
      case 'break':
      case 'continue':
        return this.jump(g, op, o);
      case 'write':
        // What these variables hold may have changed: the choices reading them are decided afresh.
        for (const c of op.choices) n.decided[c] = -1;
        return next();
      case 'if': {
        const c = op.cond;
        const take = (b: Block, gg: G) => top(gg).block === b || gg.frames.push(frame(b, 'block'));
        const memo = c.k === 'choice' && c.memo !== undefined && n.decided[c.memo]! >= 0 ? n.decided[c.memo] : undefined;
        if (c.k === 'const' || (c.k === 'flag' && n.flags[c.flag] !== 2) || memo !== undefined) {
          const v = c.k === 'const' ? c.value : c.k === 'flag' ? (n.flags[c.flag] === 1) !== c.neg : (memo === 1) !== !!c.neg;
          take(v ? op.then : op.else, g);
          return next();
        }
        const text = c.k === 'choice' ? c.text : this.model.flags[c.flag]!.name;
        const { o2, g2 } = fork();
        take(op.then, g);
        take(op.else, g2);
        // Decided now, decided for what follows: a flag until it is set, a choice until what it reads is written.
        if (c.k === 'flag') {
          n.flags[c.flag] = c.neg ? 0 : 1;
          o2.state.flags[c.flag] = c.neg ? 1 : 0;
        } else if (c.memo !== undefined) {
          n.decided[c.memo] = c.neg ? 0 : 1;
          o2.state.decided[c.memo] = c.neg ? 1 : 0;
        }
        if (c.k === 'choice' && c.free) return [o, o2];
        const where = `${op.at.path}:${op.at.line}`;
        const assumed = (holds: boolean): Assumption => {
          const a: Assumption = { kind: 'undecided-branch', text: `\`${text}\` is ${holds} at ${where}`, location: op.at };
          if (c.k === 'choice' && c.blind) this.blind.add(a.text);
          return a;
        };
        return [
          { ...o, assumptions: [...o.assumptions, assumed(true)] },
          { ...o2, assumptions: [...o.assumptions, assumed(false)] },
        ];
      }
      case 'switch': {
        const memo = op.memo !== undefined && n.decided[op.memo]! >= 0 ? n.decided[op.memo] : undefined;
        if (memo !== undefined) {
          g.frames.push({ ...frame(op.arms[memo]!, 'breakable'), ...(op.label ? { label: op.label } : {}) });
          return next();
        }
        const ways = op.arms.map((_, k) => (k === 0 ? { o2: o, g2: g } : fork()));
        return op.arms.map((arm, k) => {
          const { o2, g2 } = ways[k]!;
          g2.frames.push({ ...frame(arm, 'breakable'), ...(op.label ? { label: op.label } : {}) });
          if (op.memo !== undefined) o2.state.decided[op.memo] = k;
          const text = `case ${k + 1} of the switch at ${op.at.path}:${op.at.line} runs`;
          return { ...o2, assumptions: [...o.assumptions, { kind: 'undecided-branch' as const, text, location: op.at }] };
        });
      }
      case 'loop':
        if (op.shape !== 'forever' && op.shape !== 'counted' && op.rangeCh === undefined) {
          // A condition the model does not know: the loop may not run at all.
          const { o2 } = fork();
          g.frames.push({ ...frame(op.body, 'loop'), loop: op, ...(op.label ? { label: op.label } : {}) });
          return [o, o2];
        }
        g.frames.push({ ...frame(op.body, 'loop'), loop: op, ...(op.label ? { label: op.label } : {}), pc: op.rangeCh !== undefined ? -1 : 0 });
        return next();
      default:
        return next();
    }
  }

  private jump(g: G, op: Extract<Instr, { k: 'break' | 'continue' }>, o: Outcome): Outcome[] {
    while (g.frames.length) {
      const f = top(g);
      if (f.kind === 'func') return [o];
      const target = op.label ? f.label === op.label : f.kind === 'loop' || (op.k === 'break' && f.kind === 'breakable');
      if (!target) {
        g.frames.pop();
        continue;
      }
      if (op.k === 'break') {
        g.frames.pop();
        return [o];
      }
      f.pc = f.block.instrs.length;
      return [o];
    }
    return [o];
  }
}

/** The outcome's state and goroutine i, made its own first if they are shared: from here on they change in place. */
function own(o: Outcome, i: number): { n: State; g: G } {
  if (o.owned !== i) {
    o.state = clone(o.state);
    cloneG(o.state, i);
    o.owned = i;
  }
  const g = o.state.gs[i]!;
  g.key = undefined;
  return { n: o.state, g };
}

function frame(block: Block, kind: Frame['kind']): Frame {
  return { block, pc: 0, kind, iter: 0, defers: [] };
}

function top(g: G): Frame {
  return g.frames[g.frames.length - 1]!;
}

function funcFrame(g: G): Frame {
  for (let k = g.frames.length - 1; k >= 0; k--) if (g.frames[k]!.kind === 'func') return g.frames[k]!;
  return g.frames[0]!;
}

/** `return`: leave every frame above the innermost function's, and run its defers next. */
function unwindToFunc(g: G): void {
  while (g.frames.length && top(g).kind !== 'func') g.frames.pop();
  if (g.frames.length) top(g).pc = top(g).block.instrs.length;
}

function clone(s: State): State {
  return { gs: s.gs.slice(), val: s.val.slice(), closed: s.closed.slice(), flags: s.flags.slice(), counts: s.counts.slice(), decided: s.decided.slice() };
}

/** Goroutine i of a cloned state, itself cloned (frames copied) so it can be changed. */
function cloneG(s: State, i: number): G {
  const g = s.gs[i]!;
  const c: G = { frames: g.frames.map((f) => ({ ...f, defers: f.defers.slice() })), status: g.status, exiting: g.exiting, recovers: g.recovers };
  s.gs[i] = c;
  return c;
}

function panicOut(s: State, kind: VerdictKind, at: Location, obj: number, g: number): Outcome {
  return { state: s, steps: [], assumptions: [], panic: { kind, at, obj, g } };
}

/** The sync operation goroutine g waits at, 'head' for a range loop's receive, or undefined. */
function current(g: G): Instr | 'head' | undefined {
  const f = g.frames[g.frames.length - 1];
  if (!f) return undefined;
  if (f.pc === -1) return 'head';
  return f.block.instrs[f.pc];
}

function isSync(op: Instr): boolean {
  return ['send', 'recv', 'close', 'select', 'lock', 'unlock', 'add', 'wait', 'once'].includes(op.k);
}

function opAt(op: Instr | 'head'): Location {
  return op === 'head' || op.k === 'set' || op.k === 'write' ? { path: '', line: 0, col: 0 } : op.at;
}

function objectsOf(op: Instr | 'head'): number[] {
  if (op === 'head') return [];
  switch (op.k) {
    case 'send':
    case 'recv':
    case 'close':
      return [op.ch];
    case 'select':
      return op.cases.map((c) => c.ch);
    case 'lock':
    case 'unlock':
      return [op.mu];
    case 'wait':
    case 'add':
      return [op.wg];
    default:
      return [];
  }
}

function describe(op: Instr | 'head', objs: Obj[]): string {
  if (op === 'head') return 'range';
  switch (op.k) {
    case 'send':
      return `send on ${objs[op.ch]!.name}`;
    case 'recv':
      return `receive from ${objs[op.ch]!.name}`;
    case 'select':
      return `select on ${op.cases.map((c) => objs[c.ch]!.name).join(', ')}`;
    case 'lock':
      return `lock of ${objs[op.mu]!.name}`;
    case 'wait':
      return `${objs[op.wg]!.name}.Wait()`;
    default:
      return op.k;
  }
}

function sendsOn(op: Instr | 'head' | undefined, ch: number): boolean {
  if (!op || op === 'head') return false;
  return (op.k === 'send' && op.ch === ch) || (op.k === 'select' && op.cases.some((c) => c.dir === 'send' && c.ch === ch));
}

/** How goroutine h can take a value sent on ch at its current operation, or undefined. */
function recvCase(op: Instr | 'head' | undefined, ch: number, f: Frame): { recv: number; ok?: number; case?: number; range?: boolean } | undefined {
  if (!op) return undefined;
  if (op === 'head') return f.loop!.rangeCh === ch ? { recv: ch, range: true } : undefined;
  if (op.k === 'recv' && op.ch === ch) return { recv: ch, ...(op.ok !== undefined ? { ok: op.ok } : {}) };
  if (op.k === 'select') {
    const ci = op.cases.findIndex((c) => c.dir === 'recv' && c.ch === ch);
    if (ci >= 0) {
      const c = op.cases[ci]!;
      return { recv: ch, case: ci, ...(c.ok !== undefined ? { ok: c.ok } : {}) };
    }
  }
  return undefined;
}

function goroutineKey(g: G): string {
  if (g.key === undefined) {
    let k = `${g.status[0]}${g.exiting ? 'x' : ''}:`;
    for (const f of g.frames) {
      k += `${f.block.id}.${f.pc}.${f.iter}`;
      if (f.defers.length) k += `[${f.defers.map((d) => d.id).join(',')}]`;
      k += '/';
    }
    g.key = k;
  }
  return g.key;
}

function stateKey(s: State): string {
  let k = '';
  for (const g of s.gs) k += `${goroutineKey(g)};`;
  // Not `decided`: states that differ only in what their witnesses decided are one, searched from the first to
  // come (keeping them apart cost amqp091-go half its searches); a later witness is then missed, never made up.
  return `${k}|${s.val.join(',')}|${s.closed.map((c) => (c ? 1 : 0)).join('')}|${s.flags.join('')}|${s.counts.join('')}`;
}
