import { shortName } from '../src/facts/names.js';
import type { LockOp, Reacquire } from '../src/facts/locks/types.js';
import { guardedTests } from '../src/facts/evidence/guarded.js';
import { differentKeys, type Lookup } from '../src/facts/identity/lookups.js';
import { exprText } from '../src/irtext.js';
import type { EarlyWrites } from '../src/facts/locks/writers.js';
import { nodeLocation, opFlow, stepLocation, via } from '../src/facts/report.js';
import type { Assumption } from '../src/findings.js';
import type { Rule } from '../src/rule.js';

/**
 * Every writer of the mutex runs on an object its caller has just made and not yet shared: a writer queues
 * between the two RLocks only if that new object is the one read-locked here.
 */
function earlyWriters(early: EarlyWrites | undefined, again: LockOp): Assumption[] {
  if (!early) return [];
  const [first] = early.writers;
  const more = early.writers.length > 1 ? ` or ${early.writers.length - 1} more` : '';
  const [site] = early.calls;
  return [
    {
      kind: 'same-instance',
      text: `\`${shortName(first!)}\`${more}, which write-lock \`${again.display}\` only on new objects not yet shared, run on this one`,
      ...(site ? { location: nodeLocation(site.caller, site.call.pos) } : {}),
    },
  ];
}

/**
 * One hazard per held lock and inner lock site in a function: the same acquisition in force reaching the same
 * Lock (the last step) through several calls (`a.Get()` and `b.Get()` under one held lock) is one mistake, reported
 * at its first call with the others as related locations. Each group in source order, the first first.
 */
function oneHazard(all: readonly Reacquire[]): [Reacquire, ...Reacquire[]][] {
  const groups = new Map<string, Reacquire[]>();
  for (const r of all) {
    const inner = r.again.steps.at(-1)!;
    const first = r.held.steps[0]!;
    const key = [r.fn.id, r.held.id, r.held.mode, r.again.mode, first.node.id, first.pos, inner.node.id, inner.pos].join('\0');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.again.steps[0]!.pos - b.again.steps[0]!.pos) as [Reacquire, ...Reacquire[]]);
}

/** The held lock's object and the re-locked one are results of one lookup under different constant keys. */
function lookedUpApart(held: Lookup, again: Lookup): Assumption {
  return {
    kind: 'same-instance',
    text: `\`${held.name}\` (\`${exprText(held.call)}\`) and \`${again.name}\` (\`${exprText(again.call)}\`), looked up under different keys, are one object`,
    location: nodeLocation(again.node, again.call.pos),
  };
}

export const doubleLock: Rule = {
  meta: {
    id: 'double-lock',
    title: 'Mutex locked again while already held',
    description:
      "A mutex is acquired while the same instance (the same object's field, not just the same type) is certainly " +
      'held on every path to here, directly or through any depth of calls: Lock then Lock, or Lock then RLock of one ' +
      "RWMutex. Go's mutexes are not reentrant, so the goroutine blocks forever. RLock then RLock is reported as a " +
      'warning, and only when some function write-locks that mutex: it deadlocks only when a writer starts waiting in between.',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'locks', 'deadlock'],
    since: '0.2.0',
  },
  run(ctx) {
    // Read locks wait for each other only through a writer queued between them.
    const kept = ctx.locks.reacquires.filter((r) => !r.readRead || ctx.locks.hasWriter(r.again.id));
    for (const [r, ...others] of oneHazard(kept)) {
      const { fn, held, again } = r;
      const apart = differentKeys(held.lookup, again.lookup) ? lookedUpApart(held.lookup!, again.lookup!) : undefined;
      const name = held.display;
      const heldAt = stepLocation(held.steps[0]!);
      const at = stepLocation(again.steps[0]!);
      const what = again.mode === 'r' ? 'read-locks' : 'locks';
      const chain = again.steps.slice(0, -1).map((s) => s.message.replace(/^calls /, ''));
      const how = chain.length ? `calls ${chain.join(' → ')}, which ${what} it again` : `${what} it again`;
      // The Lock of the held mutex, when written here: the branches before it ran before it was held.
      const lockedAt = held.steps[0]!.node === fn ? held.steps[0]!.pos : undefined;
      const hops = again.steps.map((s, i) => ({ node: s.node, pos: s.pos, ...(i === 0 && lockedAt !== undefined ? { after: lockedAt } : {}) }));
      const named = [...(held.assumed ?? []), ...(again.assumed ?? [])];
      const assumptions = [
        ...named,
        ...guardedTests(ctx.facts, fn, held.id, `\`${name}\``, hops, named),
        ...(r.readRead ? earlyWriters(ctx.locks.earlyWriters(again.id), again) : []),
        ...(apart ? [apart] : []),
      ];
      const tail = r.readRead
        ? 'a second RLock blocks as soon as a writer waits between the two, and the writer waits for the first'
        : assumptions.length
          ? 'this blocks forever'
          : 'sync mutexes are not reentrant: this blocks forever';
      ctx.report({
        // Results of one lookup under different keys are objects the code keeps apart: below the rule's level too.
        ...(r.readRead || apart ? { severity: 'warning' as const } : {}),
        confidence: r.readRead || apart ? 'low' : 'high',
        message: `${name} is already held here (${held.mode === 'r' ? 'RLock' : 'Lock'} at line ${heldAt.line}${via(held)}) and ${shortName(fn)} ${how}: ${tail}`,
        location: at,
        related: [
          { location: heldAt, message: `${name} acquired` },
          ...others.map((o) => ({ location: stepLocation(o.again.steps[0]!), message: `the same lock again, through ${o.again.steps[0]!.message.replace(/^calls /, '')}` })),
        ],
        flows: [opFlow(`${name} acquired`, held), opFlow(`${name} acquired again`, again)],
        identity: [fn.id, again.id, again.root, held.mode + again.mode, ...again.steps.map((s) => s.node.id)],
        assumptions,
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};
