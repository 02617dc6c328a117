import { shortName } from '../src/facts/names.js';
import { nameOf, opFlow, opLocation } from '../src/facts/report.js';
import { pairEvidence } from '../src/facts/evidence/assume.js';
import type { Rule } from '../src/rule.js';

/**
 * A heuristic, not a proof: nothing shows that anyone calls Close twice. Kept apart from
 * double-close (which reports only a second close that a path really reaches) and off by default.
 */
export const unguardedClose: Rule = {
  meta: {
    id: 'unguarded-close',
    title: 'Close method that panics when called twice',
    description:
      'An exported Close method closes a channel field of its receiver with nothing to stop a second call: no ' +
      'sync.Once, no closed flag or nil check, no compare-and-swap. io.Closer-style callers often close twice (a ' +
      'deferred Close plus an explicit one), and the second close panics. Off by default: enable it in the config.',
    severity: 'warning',
    precision: 'low',
    tags: ['concurrency', 'channels', 'panic', 'heuristic'],
    since: '0.2.0',
    optIn: true,
  },
  run(ctx) {
    for (const fn of ctx.graph.funcs) {
      if (fn.decl.name !== 'Close' || fn.decl.recv?.type.k !== 'ptr') continue;
      for (const [id, op] of ctx.facts.channels.of(fn).closes) {
        if (!id.startsWith('field:') || op.once || op.tests.length > 0 || op.async || op.steps.length !== 1) continue;
        // A branch that reads what Close itself writes (a CAS on a state word, a select on a channel it
        // waits for) is a guard against the second call, even where the engine cannot decide it.
        const second = pairEvidence(ctx.facts, undefined, op, op, true);
        if (second.exclusive || second.assumptions().length > 0) continue;
        ctx.report({
          confidence: 'low',
          message: `${shortName(fn)} closes ${nameOf(id, op)} with nothing to stop a second call (no sync.Once, no closed flag or nil check): Close can be called more than once, and close of closed channel panics [low confidence]`,
          location: opLocation(op),
          related: [],
          flows: [opFlow(`${shortName(fn)} closes ${nameOf(id, op)}`, op)],
          identity: [fn.id, id, 'close-twice'],
          ...(fn.file.generated ? { generated: true } : {}),
        });
      }
    }
  },
};
