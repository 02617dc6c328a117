import { displayId, shortName } from '../src/facts/names.js';
import { typeLevel, type Meet, type MeetKind } from '../src/facts/locks/types.js';
import { lineRef, opFlow, stepLocation } from '../src/facts/report.js';
import type { Rule, RuleContext } from '../src/rule.js';


/** What ends each kind of wait: a receive waits for a send or a close, a send for a receive, Wait for Done or a Signal. */
const ENDS: Partial<Record<MeetKind, MeetKind[]>> = { send: ['recv'], recv: ['send', 'close'], wait: ['done'], condWait: ['signal'] };

const VERB: Record<MeetKind, string> = {
  send: 'sends on',
  recv: 'receives from',
  close: 'closes',
  wait: 'waits for',
  done: 'calls Done on',
  condWait: 'waits on',
  signal: 'signals',
};

/**
 * Whether the other side cannot get to its operation without the mutex: it holds it there; or, for
 * a Done (deferred, usually) or a Signal, took it on the way, itself or down a call. (Took, for a channel
 * operation, would count a lock from the previous iteration of a loop that receives first and locks after.)
 */
const needs = (locks: RuleContext['locks'], p: Meet, lock: string) =>
  p.kind === 'done' || p.kind === 'signal' ? p.took.includes(lock) || locks.takenOnTheWay(p).has(lock) : p.held.some((h) => h.id === lock);

const at = (m: Meet) => stepLocation({ node: m.fn, pos: m.pos, message: '' });

export const blockUnderLock: Rule = {
  meta: {
    id: 'block-under-lock',
    title: 'Waiting on a channel, WaitGroup or Cond while holding a mutex the other side needs first',
    description:
      'A function sends, receives, calls WaitGroup.Wait (not as a select case) or sync.Cond.Wait while holding a ' +
      "mutex (for Cond.Wait, one other than the cond's own lock), and the function on the other side (the receiver, " +
      'the sender or closer, the goroutine calling Done, the caller of Signal or Broadcast) locks the same mutex ' +
      'before it gets there. If this side waits first, the other side waits for the mutex forever. Channels, ' +
      'WaitGroups, conds and mutexes are compared by type and field or package variable.',
    severity: 'warning',
    precision: 'low',
    tags: ['concurrency', 'locks', 'channels', 'deadlock'],
    since: '0.2.0',
    optIn: true,
  },
  run(ctx) {
    const byId = new Map<string, Meet[]>();
    for (const m of [...ctx.locks.meets, ...ctx.locks.endersUnwalked()]) {
      if (!typeLevel(m.id)) continue;
      const list = byId.get(m.id);
      if (list) list.push(m);
      else byId.set(m.id, [m]);
    }
    for (const wait of ctx.locks.meets) {
      const kinds = ENDS[wait.kind];
      if (!kinds || !wait.blocks || wait.held.length === 0 || !typeLevel(wait.id)) continue;
      const same = byId.get(wait.id) ?? [];
      // Receiving and sending one channel in one function is a token taken and given back (a channel as a lock).
      if (same.some((p) => p.fn === wait.fn && kinds.includes(p.kind))) continue;
      const partners = same.filter((p) => kinds.includes(p.kind));
      // Cond.Wait releases the cond's own lock while it waits: only another mutex stays held, and only
      // a cond whose lock we know says which one that is.
      const condLock = wait.kind === 'condWait' ? ctx.locks.condLock(wait.id) : undefined;
      if (wait.kind === 'condWait' && condLock === undefined) continue;
      const found = wait.held.flatMap((lock) => {
        if (lock.id === condLock) return [];
        if (!typeLevel(lock.id)) return [];
        const p = partners.find((x) => needs(ctx.locks, x, lock.id));
        return p ? [{ lock, p }] : [];
      })[0];
      if (!found) continue;
      const { lock, p } = found;
      const here = at(wait);
      const there = at(p);
      const mutex = displayId(lock.id, lock.display);
      const thing = displayId(wait.id, wait.display);
      ctx.report({
        confidence: 'low',
        message:
          `${shortName(wait.fn)} ${VERB[wait.kind]} ${wait.display} while holding ${mutex} (locked at line ${stepLocation(lock.steps[0]!).line}), ` +
          `and ${shortName(p.fn)} ${VERB[p.kind]} ${thing} at ${lineRef(there, here)} ${p.kind === 'done' || p.kind === 'signal' ? 'after locking' : 'holding'} ${mutex}: ` +
          `if this waits first, the other side waits for ${mutex} forever`,
        location: here,
        related: [{ location: there, message: `${VERB[p.kind]} ${thing}, needing ${mutex} first` }],
        flows: [
          opFlow(`${mutex} acquired`, lock),
          { message: `${VERB[wait.kind]} ${thing} while holding it`, steps: [{ location: here, message: `${VERB[wait.kind]} ${wait.display}` }] },
          { message: `the other side needs ${mutex} first`, steps: [{ location: there, message: `${VERB[p.kind]} ${p.display}` }] },
        ],
        identity: [wait.fn.id, wait.kind, wait.id, lock.id],
        ...(wait.fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};
