import { changesOwnerBefore, condCalls, CondWakes, type CondCall, type Wake } from '../src/facts/condwakes.js';
import type { ChanId } from '../src/facts/identity/ids.js';
import { nodeLocation } from '../src/facts/report.js';
import { displayId, shortName } from '../src/facts/names.js';
import { typeLevel, type Meet } from '../src/facts/locks/types.js';
import { allStmts, callsInStmt, forEachExpr, libraryName, stmtsInLoops, type CallExpr } from '../src/facts/calls.js';
import type { Expr } from '../src/ir.js';
import { exprKey } from '../src/irutil.js';
import type { FuncNode } from '../src/resolve/callgraph.js';
import type { Rule, RuleContext } from '../src/rule.js';
import { inTestFile } from '../src/facts/program/testcode.js';


/** The cond a Wait, Signal or Broadcast is called on, as written (`s.cond`). */
const condOf = (call: CallExpr, otherwise = 'the cond') => (call.fn.k === 'sel' ? exprKey(call.fn.x) : undefined) ?? otherwise;

/** The last part of a type-level id: the field's or the variable's Go name. */
const nameOf = (id: ChanId) => id.slice(id.lastIndexOf('.') + 1);

/** `sync.NewCond(l)` or `&sync.Cond{...}`: a cond no other name holds yet. */
function isMade(ctx: RuleContext, e: Expr): boolean {
  if (e.k === 'call') return libraryName(ctx.graph.callInfo(e)) === 'sync.NewCond';
  return e.k === 'unary' && e.op === '&' && e.x.k === 'composite' && e.x.type?.k === 'name' && e.x.type.pkg === 'sync' && e.x.type.name === 'Cond';
}

/**
 * Type-level conds that are waited on, never signalled by a call we see, and never used any other
 * way: handed on, assigned from another name, a method value `c.Broadcast` given to a timer, or
 * exported for other packages to reach.
 */
function unsignalled(ctx: RuleContext, waits: CondCall[], signalled: Set<ChanId>): Set<ChanId> {
  const out = new Set<ChanId>();
  for (const w of waits) {
    if (w.id === undefined || !typeLevel(w.id) || signalled.has(w.id)) continue;
    if (/^[A-Z]/.test(nameOf(w.id))) continue;
    out.add(w.id);
  }
  if (out.size === 0) return out;
  // Where a use of the name is not an escape: the receiver of a Wait, the target of a fresh make.
  const harmless = new Set<Expr>();
  for (const w of waits) if (w.call.fn.k === 'sel') harmless.add(w.call.fn.x);
  const names = new Set([...out].map(nameOf));
  for (const fn of ctx.graph.funcs) {
    const body = fn.decl.body;
    if (!body) continue;
    for (const st of allStmts(body)) {
      if (st.k !== 'assign' || st.lhs.length !== st.rhs.length) continue;
      st.rhs.forEach((r, i) => isMade(ctx, r) && harmless.add(st.lhs[i]!));
    }
    forEachExpr(body, (e) => {
      if (e.k === 'composite') {
        // `&T{ready: c}`: the field holds a cond another name may signal.
        for (const el of e.elems) if (el.key !== undefined && names.has(el.key) && !isMade(ctx, el.value)) for (const id of out) if (nameOf(id) === el.key) out.delete(id);
        return;
      }
      const named = (e.k === 'sel' || e.k === 'id') && names.has(e.name);
      if (!named || harmless.has(e)) return;
      const id = ctx.facts.ids.idOf(fn, e);
      // A use we cannot name may be of any cond by that name.
      for (const c of out) if (id === undefined ? nameOf(c) === e.name : c === id) out.delete(c);
    });
  }
  return out;
}

export const condMisuse: Rule = {
  meta: {
    id: 'cond-misuse',
    title: 'sync.Cond.Wait not in a loop, on a cond nothing signals, or a wake-up that can be missed',
    description:
      'A call of sync.Cond.Wait that is not inside a for loop re-checking the condition. Wait returns after any ' +
      'Signal or Broadcast, and another goroutine may change the state between the wake-up and re-locking: the ' +
      'code after a single Wait cannot assume the condition it waited for holds. Test files are left out. ' +
      'Also a Wait on an unexported field or package variable that no code signals or broadcasts, and that is ' +
      'used nowhere else: that Wait never returns. And a method that changes what a Wait loop tests without waking ' +
      'the waiters while the type\'s other writers do (a Close that sets closed and broadcasts nothing), or a Signal ' +
      'on a cond nothing broadcasts whose waiters each wait for their own parameter: a waiter is left asleep. And a ' +
      "Signal or Broadcast by a function that changes what the waiters test without ever holding the cond's lock: a " +
      'waiter between its check and its Wait misses it.',
    severity: 'warning',
    precision: 'high',
    tags: ['concurrency', 'locks', 'cond'],
    since: '0.2.0',
    // Measured on one finding outside tests (Debian corpus): not enough to run unasked.
    optIn: true,
  },
  run(ctx) {
    const calls = condCalls(ctx.facts);
    const { waits } = calls;
    if (waits.length === 0) return;
    const signalled = new Set(calls.wakes.flatMap((w) => (w.id === undefined ? [] : [w.id])));
    reportMissedWakes(ctx, new CondWakes(ctx.graph, calls));
    reportUnlockedWakes(ctx, calls.wakes, new Set(waits.flatMap((w) => (w.id === undefined ? [] : [w.id]))));
    const never = unsignalled(ctx, waits, signalled);
    for (const w of waits) {
      if (w.id === undefined || !never.has(w.id)) continue;
      const cond = condOf(w.call, 'c');
      ctx.report({
        confidence: 'high',
        message: `${shortName(w.fn)} waits on ${cond}, and nothing in the program calls Signal or Broadcast on it: this Wait never returns`,
        location: nodeLocation(w.fn, w.call.pos),
        related: [],
        flows: [],
        identity: [w.fn.id, cond, 'unsignalled'],
        ...(w.fn.file.generated ? { generated: true } : {}),
      });
    }
    const byFn = new Map<FuncNode, Set<CallExpr>>();
    for (const w of waits) {
      if (w.id !== undefined && never.has(w.id)) continue;
      const set = byFn.get(w.fn);
      if (set) set.add(w.call);
      else byFn.set(w.fn, new Set([w.call]));
    }
    for (const [fn, wanted] of byFn) {
      const body = fn.decl.body;
      // A test waits once for the one Signal it sends itself.
      if (!body || inTestFile(fn)) continue;
      const stmts = allStmts(body);
      // A goto can make a loop out of any statement.
      if (stmts.some((st) => st.k === 'branch' && st.kind === 'goto')) continue;
      const looped = stmtsInLoops(body);
      for (const st of stmts) {
        if (looped.has(st)) continue;
        for (const call of callsInStmt(st)) {
          if (!wanted.has(call)) continue;
          const location = nodeLocation(fn, call.pos);
          const cond = condOf(call, 'c');
          ctx.report({
            confidence: 'medium',
            message: `${shortName(fn)} calls Wait once, not in a loop: when Wait returns, the condition it waited for may no longer hold (another goroutine can run between the Signal and the re-lock); wait in \`for !condition { ${cond}.Wait() }\``,
            location,
            related: [],
            flows: [],
            identity: [fn.id, cond],
            ...(fn.file.generated ? { generated: true } : {}),
          });
        }
      }
    }
  },
};

/** The wake-ups a waiter can miss: a silent writer of what its loop tests, a Signal among waiters for different things. */
function reportMissedWakes(ctx: RuleContext, wakes: CondWakes): void {
  for (const { fn, pos, field, written, waiter, waking } of wakes.silentWrites) {
    const waitAt = nodeLocation(waiter.fn, waiter.wait.pos);
    const at = nodeLocation(fn, pos);
    ctx.report({
      confidence: 'medium',
      message:
        `${shortName(fn)} sets ${written}, which ends the Wait loop in ${shortName(waiter.fn)} (line ${waitAt.line}), and wakes no waiter ` +
        `(${shortName(waking.fn)} does after its write): a goroutine already waiting sleeps on; broadcast ${condOf(waiter.wait)} after the write`,
      location: at,
      related: [
        { location: waitAt, message: `waits on ${condOf(waiter.wait)} until ${field} changes` },
        { location: nodeLocation(waking.fn, waking.pos), message: `${shortName(waking.fn)} writes it and wakes the waiters` },
      ],
      flows: [],
      identity: [fn.id, waiter.fn.id, field, 'silent-write'],
      ...(fn.file.generated ? { generated: true } : {}),
    });
  }
  for (const { fn, call, waiter, param } of wakes.narrowSignals) {
    const waitAt = nodeLocation(waiter.fn, waiter.wait.pos);
    ctx.report({
      confidence: 'medium',
      message:
        `${shortName(fn)} wakes one waiter of ${condOf(call)} with Signal (nothing broadcasts it), but the waiters in ${shortName(waiter.fn)} each wait for their own ${param} (line ${waitAt.line}): ` +
        'the wrong one may wake and sleep again; use Broadcast',
      location: nodeLocation(fn, call.pos),
      related: [{ location: waitAt, message: `waits until its own ${param} is served` }],
      flows: [],
      identity: [fn.id, waiter.fn.id, 'narrow-signal'],
      ...(fn.file.generated ? { generated: true } : {}),
    });
  }
}

/**
 * A Signal or Broadcast by a function that changes what the waiters test and never holds the cond's lock on
 * the way (nor do its callers): a waiter that has checked the state under the lock and not yet called Wait
 * misses the wake-up and sleeps on.
 */
function reportUnlockedWakes(ctx: RuleContext, wakes: readonly Wake[], waited: ReadonlySet<ChanId>): void {
  const meets = [...ctx.locks.meets, ...ctx.locks.endersUnwalked()];
  for (const w of wakes) {
    // A function literal runs where its enclosing function hands it on, perhaps under that function's lock.
    if (w.id === undefined || !waited.has(w.id) || inTestFile(w.fn) || w.fn.decl.parent !== undefined) continue;
    const lock = ctx.locks.condLock(w.id);
    // A lock local to the constructor is named by no waker; a Lock the lock facts do not read (`c.L.Lock()`, a
    // wrapper type's) may be the cond's.
    if (lock === undefined || !typeLevel(lock) || locksUnread(w)) continue;
    const meet: Meet = meets.find((m) => m.fn === w.fn && m.pos === w.call.pos && m.kind === 'signal') ?? {
      fn: w.fn, kind: 'signal', id: w.id, display: '', pos: w.call.pos, blocks: false, held: [], took: [],
    };
    const holds = meet.held.some((h) => h.id === lock) || meet.took.includes(lock) || ctx.locks.takenOnTheWay(meet).has(lock) || ctx.locks.heldOnEntry(w.fn).has(lock);
    if (holds || !changesOwnerBefore(ctx.graph, w.fn, w.call)) continue;
    const cond = condOf(w.call);
    const verb = w.broadcast ? 'broadcasts' : 'signals';
    ctx.report({
      confidence: 'medium',
      message:
        `${shortName(w.fn)} changes what the waiters on ${cond} test and ${verb} without its lock (${displayId(lock, lock)}): ` +
        'a waiter between its check and its Wait misses the wake-up and sleeps on; change and wake under the lock',
      location: nodeLocation(w.fn, w.call.pos),
      related: [],
      flows: [],
      identity: [w.fn.id, w.id, 'unlocked-wake'],
      ...(w.fn.file.generated ? { generated: true } : {}),
    });
  }
}

/** Whether a function calls a method named like a lock before its wake-up: `f.cond.L.Lock()`, a wrapper's `Lock`. */
function locksUnread(w: Wake): boolean {
  return allStmts(w.fn.decl.body ?? []).some((st) => st.pos < w.call.pos && callsInStmt(st).some((c) => c.fn.k === 'sel' && /^(R?Lock|TryR?Lock)$/.test(c.fn.name)));
}
