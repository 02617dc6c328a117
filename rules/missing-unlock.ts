import { shortName } from '../src/facts/names.js';
import { lineRef, nodeLocation, opFlow, stepLocation } from '../src/facts/report.js';
import { endsAtReturn, onlyAtProcessEnd } from '../src/facts/program/wayout.js';
import { guardedTests } from '../src/facts/evidence/guarded.js';
import { latchedExit } from '../src/facts/locks/latched.js';
import { returnedLocked, type ReturnedLocked } from '../src/facts/locks/returned.js';
import { pairedRelease, type PairedRelease } from '../src/facts/locks/paired.js';
import { colOf, lineOf } from '../src/ir.js';
import type { Assumption, Location } from '../src/findings.js';
import type { CallerEdge, FuncNode } from '../src/resolve/callgraph.js';
import type { Rule } from '../src/rule.js';
import type { SyncFacts } from '../src/facts/engine.js';
import type { Pos } from '../src/ir.js';

/** Functions whose name says they return holding a lock some of the time (`lockIfOpen`, `tryAcquire`). */
const LOCKER_NAME_RE = /(^|[a-z])(R?Lock|Acquire)([A-Z0-9_]|$)|^(r?lock|acquire)([A-Z0-9_]|$)/;

/**
 * Functions that release the mutex without acquiring it: the lock may be handed to one of them by design
 * (a two-phase protocol, a goroutine that is joined), so "nothing releases it" is an assumption naming them.
 */
function handedTo(releasers: FuncNode[], exitAt: Location): Assumption[] {
  if (releasers.length === 0) return [];
  const more = releasers.length > 1 ? ` (or ${releasers.length - 1} more)` : '';
  return [{ kind: 'hand-over', text: `\`${shortName(releasers[0]!)}\`${more} does not release it later`, location: exitAt }];
}

/**
 * The path sends on a channel after the lock, and a function that releases the mutex without acquiring it exists,
 * but no receiver of that channel is seen running it: that it is not the message's receiver that releases it is
 * an assumption.
 */
function sentWith(releaser: FuncNode, ch: string, sendAt: Location): Assumption {
  return { kind: 'hand-over', text: `\`${shortName(releaser)}\` (which releases it without locking it) does not run in the goroutine that receives from \`${ch}\``, location: sendAt };
}

/**
 * Every call of the function is followed by a call of a function that releases the mutex without locking it, on the
 * same object (paired.ts): the lock is held across the two by design, and a call left without its release is what
 * the finding rests on.
 */
function pairedWith(paired: PairedRelease, fn: FuncNode): Assumption {
  const { keep, release } = paired;
  return {
    kind: 'hand-over',
    text: `a call of \`${shortName(fn)}\` is not followed by \`${shortName(release.releaser)}\`, as every call in sight is (line ${lineOf(release.call.pos)})`,
    location: nodeLocation(keep.caller, keep.call.pos),
  };
}

/**
 * The goroutine's Lock waits for another function literal's release (LockFacts.signalledBy): the mutex is a one-shot
 * signal, and holding it at the end leaves nothing blocked unless the goroutine runs again on the same mutex.
 */
function signalOnce(releaser: FuncNode, name: string, lockAt: Location): Assumption {
  return { kind: 'hand-over', text: `the goroutine runs more than once on ${name}, which it locks as a signal that \`${shortName(releaser)}\` (which only releases it) sends`, location: lockAt };
}

/**
 * Every call of the function gives it an object made for that call alone, which nothing holds once it returns:
 * a later Lock of the object left locked needs a call the program does not show.
 */
function freshEach(fn: FuncNode, calls: CallerEdge[], name: string): Assumption {
  const first = calls[0]!;
  const each = calls.length === 1 ? 'its one call is' : `each of its ${calls.length} calls is`;
  return {
    kind: 'same-instance',
    text: `a later lock finds ${name} as \`${shortName(fn)}\` left it, though ${each} on a new object that nothing keeps`,
    location: nodeLocation(first.caller, first.call.pos),
  };
}

/**
 * The process ends once the function leaves by this return (it is terminal, or the return's error is one the
 * process does not survive): no later Lock is left to block, unless one runs on the way out. Named, as the
 * goroutine-leak rule names a goroutine left blocked there.
 */
function atProcessEnd(facts: SyncFacts, fn: FuncNode, exit: Pos | undefined, name: string): Assumption[] {
  const ends = endsAtReturn(facts, fn, exit);
  return ends === false ? [] : [...ends, onlyAtProcessEnd(fn, exit, `${name} left locked`)];
}

/**
 * A read lock kept only once a flag the program never clears is set (latched.ts, an owner's `closed`): it blocks
 * writers only, so the finding rests on a write lock coming after that state, which shutdown usually rules out.
 */
function afterLatch(facts: SyncFacts, fn: FuncNode, exit: Pos | undefined, name: string, exitAt: Location): Assumption[] {
  const latch = latchedExit(facts.graph, fn, exit);
  if (!latch) return [];
  const text = `${name} is write-locked after \`${shortName(latch.setter)}\` sets ${latch.text}, as this return needs (a kept read lock blocks only writers)`;
  return [{ kind: 'undecided-branch', text, location: exitAt }];
}

/**
 * The return hands the locked object to the caller, and some callers release it (returned.ts): the lock is theirs
 * by contract, and the finding rests on a caller that keeps it.
 */
function returnedTo(given: ReturnedLocked, fnName: string): Assumption {
  const keep = given.keep[0]!;
  const release = given.release[0]!;
  return {
    kind: 'hand-over',
    text: `\`${shortName(keep.caller)}\` keeps ${given.name}, which ${fnName} returns to it locked, though \`${shortName(release.caller)}\` releases it (line ${lineOf(release.call.pos)})`,
    location: nodeLocation(keep.caller, keep.call.pos),
  };
}

export const missingUnlock: Rule = {
  meta: {
    id: 'missing-unlock',
    title: 'Mutex left locked on a return path',
    description:
      'A function locks a mutex and releases it on some paths, but at least one return leaves it held: nothing on that ' +
      'path unlocks it, no deferred unlock covers it, and no call on the path releases it. The next Lock of that ' +
      'mutex blocks forever. Functions that return holding the lock on every path (lock helpers) are not reported, ' +
      'nor paths that end in a panic or t.Fatal; a goroutine that ends holding a lock is (nobody else releases it).',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'locks', 'deadlock'],
    since: '0.2.0',
  },
  run(ctx) {
    for (const leak of ctx.locks.leaks) {
      const { fn, acquired } = leak;
      if (LOCKER_NAME_RE.test(fn.decl.name)) continue;
      // Left locked on an object nothing else can reach (at all, or yet at this return): no later Lock waits for it.
      if (ctx.locks.noNextLock(fn, acquired) || ctx.locks.unsharedAt(fn, acquired, leak.exit)) continue;
      const lock = acquired.steps[0]!;
      const at = stepLocation(lock);
      const exitPos = leak.exit;
      const exitAt = exitPos === undefined ? { path: at.path, line: lineOf(fn.decl.span.end), col: colOf(fn.decl.span.end) } : { path: at.path, line: lineOf(exitPos), col: colOf(exitPos) };
      const unlock = acquired.mode === 'r' ? 'RUnlock' : 'Unlock';
      const where = exitPos === undefined ? 'the end of the function' : `the return at line ${exitAt.line}`;
      const name = acquired.display;
      const fnName = shortName(fn);
      // Sent on with a message to a goroutine that releases it: handed off, not leaked.
      const sent = ctx.locks.throughChannel(fn, acquired, exitPos);
      if (sent?.receiver) continue;
      const handOver = ctx.locks.handOver(acquired.id, fn, leak.spawn !== undefined);
      // Handed to its callers, and every one of them releases it: the lock is theirs, not leaked.
      if (!sent && handOver.callers.length > 0 && handOver.keeps.length === 0) continue;
      // Returned with the locked object itself, and every caller releases it or returns it on: the callers' lock.
      const given = sent ? undefined : returnedLocked(fn, acquired, exitPos, ctx.facts.graph.callers(fn));
      if (given && given.release.length > 0 && given.keep.length === 0) continue;
      const keeper = sent ? undefined : handOver.keeps[0];
      const fresh = ctx.locks.freshEachCall(fn, acquired);
      // Kept by design for a releaser every caller runs afterwards, or a signal another literal releases: a lower
      // level, naming what the design takes for granted.
      const paired = sent ? undefined : pairedRelease(ctx.facts.graph, fn, handOver.to);
      const signal = ctx.locks.signalledBy(leak);
      const assumptions = [
        ...(acquired.assumed ?? []),
        ...(sent ? [sentWith(sent.releaser, sent.ch, nodeLocation(fn, sent.send))] : paired ? [pairedWith(paired, fn)] : handedTo(handOver.to, exitAt)),
        ...(given && given.release.length > 0 ? [returnedTo(given, fnName)] : []),
        ...(fresh ? [freshEach(fn, fresh, name)] : []),
        ...(signal ? [signalOnce(signal, name, at)] : []),
        ...atProcessEnd(ctx.facts, fn, exitPos, name),
        ...(acquired.mode === 'r' ? afterLatch(ctx.facts, fn, exitPos, name, exitAt) : []),
        ...(exitPos === undefined ? [] : guardedTests(ctx.facts, fn, acquired.id, `\`${name}\``, [{ node: fn, pos: exitPos, after: lock.pos }], leak.assumed ?? [])),
      ];
      const spawnAt = leak.spawn && stepLocation({ node: leak.spawn.fn, pos: leak.spawn.pos, message: '' });
      const keptAt = keeper && stepLocation({ node: keeper, pos: ctx.facts.graph.callers(fn).find((e) => e.caller === keeper)!.call.pos, message: '' });
      const why = spawnAt
        ? signal
          ? `the goroutine started at ${lineRef(spawnAt, at)} ends holding it, taken once \`${shortName(signal)}\` released it`
          : `the goroutine started at ${lineRef(spawnAt, at)} ends holding it (no ${unlock} and no deferred ${unlock}), and nothing else can release it`
        : keeper
          ? `${fnName} hands it to its callers, and ${shortName(keeper)} (${lineRef(keptAt!, at)}) does not release it`
          : `${fnName} releases it on other paths, but not on this one${assumptions.length ? '' : ` (no ${unlock} and no deferred ${unlock})`}`;
      ctx.report({
        ...(paired || signal ? { severity: 'warning' as const } : {}),
        confidence: paired || signal ? 'medium' : 'high',
        message: `${name} stays locked at ${where}: ${why}; the next lock of ${name} blocks forever`,
        location: at,
        related: [
          ...(spawnAt ? [{ location: spawnAt, message: 'the goroutine starts here' }] : []),
          ...(keptAt ? [{ location: keptAt, message: `takes ${name} from ${fnName} and keeps it` }] : []),
          ...(paired ? [{ location: nodeLocation(paired.release.node, paired.release.call.pos), message: `${shortName(paired.release.releaser)} releases ${name} after ${fnName}` }] : []),
          { location: exitAt, message: `leaves ${fnName} holding ${name}` },
          ...(leak.releasedAt !== undefined ? [{ location: { path: at.path, line: lineOf(leak.releasedAt), col: colOf(leak.releasedAt) }, message: `a return that released ${name}` }] : []),
        ],
        flows: [
          {
            message: `${name} locked and not released`,
            steps: [...opFlow('', acquired).steps, { location: exitAt, message: `returns holding ${name}` }],
          },
        ],
        identity: [fn.id, acquired.id, acquired.mode],
        assumptions: [...assumptions, ...(leak.assumed ?? [])],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};
