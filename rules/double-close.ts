import { displayId, shortName, type OpFact } from '../src/facts/chanfacts.js';
import { lineRef, opFlow, opLocation, stepLocation, via } from '../src/facts/report.js';
import { sequenceHazards } from '../src/facts/sequence.js';
import type { Rule } from '../src/rule.js';

/** How the channel reads in a message: as written when closed right here, by its field otherwise. */
function nameOf(id: string, op: OpFact): string {
  return op.steps.length === 1 ? op.display : displayId(id, op.display);
}

export const doubleClose: Rule = {
  meta: {
    id: 'double-close',
    title: 'Channel closed twice on one path',
    description:
      'A channel may be closed twice: two closes on one path through a function (directly or through calls), a close ' +
      'that runs again on the next loop iteration, a close followed by a deferred close, or an exported Close method ' +
      'that closes a field with nothing to stop a second call. The second close panics with "close of closed channel".',
    severity: 'error',
    precision: 'medium',
    tags: ['concurrency', 'channels', 'panic'],
    since: '0.1.0',
  },
  run(ctx) {
    const facts = ctx.facts;
    // One call that closes several channels a second time is one mistake: report it once.
    const seen = new Set<string>();
    for (const h of sequenceHazards(facts)) {
      if (h.kind !== 'close-after-close') continue;
      // A loop that also receives from the channel sees it closed (`v, ok := <-ch; if !ok { return }`)
      // and leaves: the usual shape of a for-select loop that owns its channels.
      if (h.loop && facts.receivesIn(h.fn).has(h.id)) continue;
      // Through interfaces or function values, "may close" is too weak to claim a second close.
      if (!h.first.precise || !h.second.precise) continue;
      const { first, second } = h;
      const name = nameOf(h.id, second);
      const firstAt = stepLocation(first.steps[0]!);
      const at = stepLocation(second.steps[0]!);
      const key = `${at.path}:${at.line}:${at.col}|${firstAt.line}:${firstAt.col}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const vias = via(first) + via(second);
      let message: string;
      if (h.loop) message = `${name} is closed again on the next iteration of the enclosing loop${via(second)}`;
      else if (h.deferred && first.steps[0]!.message.includes('deferred')) message = `${name} is closed by two deferred calls`;
      else if (h.deferred) message = `deferred close of ${name} runs after it may already be closed (${lineRef(firstAt, at)}${via(first)})`;
      else if (vias === '') message = `${name} may already be closed (${lineRef(firstAt, at)})`;
      else message = `${name} may already be closed: ${shortName(h.fn)} closes it at ${lineRef(firstAt, at)}${via(first)}, then again here${via(second)}`;
      message += ': close of closed channel panics';
      ctx.report({
        confidence: 'high',
        message,
        location: at,
        related: [
          { location: firstAt, message: `first close of ${name}` },
          // Where the second close really happens, when it is down a call from here.
          ...(second.steps.length > 1 ? [{ location: opLocation(second), message: 'the second close' }] : []),
        ],
        flows: [opFlow(`first close of ${name}`, first), opFlow(`second close of ${name}`, second)],
        identity: [h.fn.id, h.id, h.loop ? 'loop' : h.deferred ? 'defer' : 'sequence'],
        ...(h.fn.file.generated ? { generated: true } : {}),
      });
    }

    // An exported Close that closes a field of its receiver, unguarded, panics when called twice.
    for (const fn of ctx.graph.funcs) {
      if (fn.decl.name !== 'Close' || fn.decl.recv?.type.k !== 'ptr') continue;
      for (const [id, op] of facts.of(fn).closes) {
        if (!id.startsWith('field:') || op.once || op.flagChecked || op.async || op.steps.length !== 1) continue;
        ctx.report({
          confidence: 'low',
          severity: 'warning',
          message: `${shortName(fn)} closes ${nameOf(id, op)} with nothing to stop a second call (no sync.Once, no closed flag under a lock): Close can be called more than once, and close of closed channel panics [low confidence]`,
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
