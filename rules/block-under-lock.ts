import { displayId, shortName } from '../src/facts/names.js';
import { typeLevel, type LockMode, type LockOp, type Meet, type MeetKind } from '../src/facts/locks/types.js';
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
 * Whether the other side cannot get to its operation without the mutex: it holds it there; or, for a Done
 * (deferred, usually) or a Signal, takes it on the way, itself or down a call; or, for a channel operation,
 * takes it in a loop that comes round to the operation again (a run loop that locks in one select case and
 * receives in another). A read lock held here stops only a partner that takes the mutex for writing.
 */
function needs(locks: RuleContext['locks'], p: Meet, lock: LockOp): boolean {
  const blocks = (mode: LockMode | undefined) => mode !== undefined && (lock.mode === 'w' || mode === 'w');
  if (blocks(p.held.find((h) => h.id === lock.id)?.mode)) return true;
  if (p.kind === 'done' || p.kind === 'signal') return p.took.includes(lock.id) || blocks(locks.takenOnTheWay(p).get(lock.id));
  return blocks(locks.takenRoundTheLoop(p).get(lock.id));
}

const at = (m: Meet) => stepLocation({ node: m.fn, pos: m.pos, message: '' });

export const blockUnderLock: Rule = {
  meta: {
    id: 'block-under-lock',
    title: 'Waiting on a channel, WaitGroup or Cond while holding a mutex the other side needs first',
    description:
      'A function sends, receives, calls WaitGroup.Wait (not as a select case) or sync.Cond.Wait while holding a ' +
      "mutex (for Cond.Wait, one other than the cond's own lock), and the function on the other side (the receiver, " +
      'the sender or closer, the goroutine calling Done, the caller of Signal or Broadcast) locks the same mutex ' +
      'before it gets there (for a channel, also in a loop that comes round to its operation). If this side waits ' +
      'first, the other side waits for the mutex forever. Channels, ' +
      'WaitGroups, conds and mutexes are compared by type and field or package variable.',
    severity: 'warning',
    precision: 'low',
    tags: ['concurrency', 'locks', 'channels', 'deadlock'],
    since: '0.2.0',
    optIn: true,
  },
  run(ctx) {
    const byId = new Map<string, Meet[]>();
    for (const m of [...ctx.locks.meets, ...ctx.locks.endersUnwalked(), ...ctx.locks.waitsInCallees()]) {
      if (!typeLevel(m.id)) continue;
      const list = byId.get(m.id);
      if (list) list.push(m);
      else byId.set(m.id, [m]);
    }
    // A channel stored in fields of two types (a constructor given its owner's channel) is one channel.
    const channelFields = [...byId.keys()].filter((id) => id.startsWith('field:'));
    const sameChannel = (id: string) =>
      channelFields.filter((other) => other !== id && ctx.facts.ids.origins.shareOrigin(id, other)).flatMap((other) => byId.get(other) ?? []);
    for (const wait of [...ctx.locks.meets, ...ctx.locks.waitsInCallees()]) {
      const kinds = ENDS[wait.kind];
      if (!kinds || !wait.blocks || wait.held.length === 0 || !typeLevel(wait.id)) continue;
      const own = byId.get(wait.id) ?? [];
      const same = wait.kind === 'send' || wait.kind === 'recv' ? [...own, ...sameChannel(wait.id)] : own;
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
        const p = partners.find((x) => needs(ctx.locks, x, lock));
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
          `${shortName(wait.fn)} ${VERB[wait.kind]} ${wait.display} while holding ${mutex} (locked at ${lineRef(stepLocation(lock.steps[0]!), here)}), ` +
          `and ${shortName(p.fn)} ${VERB[p.kind]} ${displayId(p.id, p.display)} at ${lineRef(there, here)} ${p.held.some((h) => h.id === lock.id) ? 'holding' : 'after locking'} ${mutex}: ` +
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
