import { reportVerdicts } from '../src/explore/report.js';
import { shortName } from '../src/facts/names.js';
import { lineRef, nameOf, opFlow, opLocation, stepLocation, via } from '../src/facts/report.js';
import { flagSkips, type FlagSkip } from '../src/facts/channels/flagskips.js';
import { lifecycleHazards, type LifecycleHazard } from '../src/facts/channels/lifecycle.js';
import { sequenceHazards } from '../src/facts/channels/sequence.js';
import { pairEvidence } from '../src/facts/evidence/assume.js';
import { carriedAssumptions } from '../src/facts/evidence/carried.js';
import { closedInstances } from '../src/facts/evidence/instances.js';
import { closedOnTheWayOut } from '../src/facts/program/wayout.js';
import type { Rule, RuleContext } from '../src/rule.js';

export const doubleClose: Rule = {
  meta: {
    id: 'double-close',
    title: 'Channel closed twice on one path',
    description:
      'A channel may be closed twice: two closes on one path through a function (directly or through calls), a close ' +
      'that runs again on the next loop iteration (unconditionally: not under an if of the loop), or a close followed ' +
      'by a deferred close, closes on goroutines that nothing orders (one goroutine per element of a loop, each closing ' +
      'the same channel), or a setup method (Start, Open) that re-arms the teardown\'s guard and returns before ' +
      'making the channel anew, or a close that skips the flag the type\'s teardown tests before its own close, of an object ' +
      'the function hands out. The second close panics with "close of closed channel".',
    severity: 'error',
    precision: 'medium',
    tags: ['concurrency', 'channels', 'panic'],
    since: '0.1.0',
  },
  run(ctx) {
    const facts = ctx.facts;
    // One call that closes several channels a second time is one mistake, and one pair of closes
    // reached from several functions is one hazard: report each once.
    const seen = new Set<string>();
    // Of the functions reaching one pair of closes, the one whose evidence is complete speaks for it.
    const weighed = sequenceHazards(facts).flatMap((h) => {
      if (h.kind !== 'close-after-close') return [];
      // A loop that also receives from the channel sees it closed (`v, ok := <-ch; if !ok { return }`)
      // and leaves: the usual shape of a for-select loop that owns its channels.
      if (h.loop && !h.concurrent && facts.goroutines.receivesIn(h.fn).has(h.id)) return [];
      // A second close whose panic a deferred recover() on its path catches crashes nothing (a `tryClose` helper
      // that reports false); of two unordered goroutines, either close may be the second.
      if (h.second.recovers && (!h.concurrent || h.first.recovers)) return [];
      // Through interfaces or function values, "may close" is too weak to claim a second close.
      if (!h.first.precise || !h.second.precise) return [];
      const evidence = pairEvidence(facts, h.fn, h.first, h.second, h.concurrent === true || h.first.async || h.second.async);
      const instances = closedInstances(facts, h.fn, h.id, h.first, h.second);
      if (evidence.exclusive || instances.distinct) return [];
      // The same close on the next turn: of the same object only if what hands it over hands back the same.
      const carried = h.loop && !h.concurrent ? carriedAssumptions(facts, h.fn, h.first, h.second) : [];
      // Two goroutines' last acts, each waking the function the process ends after: the second close comes as it exits.
      const exiting = h.concurrent && !h.loop ? closedOnTheWayOut(facts, h.first.steps.at(-1)!, h.second.steps.at(-1)!) : undefined;
      return [{ h, assumptions: [...evidence.assumptions(), ...instances.assumptions, ...carried, ...(exiting ?? [])] }];
    });
    weighed.sort((a, b) => a.assumptions.length - b.assumptions.length);
    for (const { h, assumptions } of weighed) {
      const { first, second } = h;
      const name = nameOf(h.id, second);
      const firstAt = stepLocation(first.steps[0]!);
      const at = stepLocation(second.steps[0]!);
      const key = `${at.path}:${at.line}:${at.col}|${firstAt.line}:${firstAt.col}`;
      const end = (op: typeof first) => `${op.steps.at(-1)!.node.file.path}:${op.steps.at(-1)!.node.id}:${op.steps.at(-1)!.pos}`;
      const pair = `${h.id}|${end(first)}|${end(second)}|${h.loop}`;
      if (seen.has(key) || seen.has(pair)) continue;
      seen.add(key);
      seen.add(pair);
      const vias = via(first) + via(second);
      let message: string;
      if (h.concurrent && h.loop) {
        message = `${name} is closed by each goroutine that ${shortName(h.fn)} starts in this loop${via(second)}: nothing stops the second one from closing it again`;
      } else if (h.concurrent) {
        message = `${name} is closed on two goroutines that nothing orders: ${shortName(h.fn)} starts one that closes it${first.async ? via(first) : via(second)}${first.afterDone ? ' after its WaitGroup.Done' : ''}, and it is closed${first.async ? ' here' : ` at ${lineRef(firstAt, at)}${via(first)}`} too`;
      } else if (h.loop) message = `${name} is closed again on the next iteration of the enclosing loop${via(second)}`;
      else if (h.deferred && first.steps[0]!.message.includes('deferred')) message = `${name} is closed by two deferred calls`;
      else if (h.deferred) message = `deferred close of ${name} runs after it may already be closed (${lineRef(firstAt, at)}${via(first)})`;
      else if (vias === '') message = `${name} may already be closed (${lineRef(firstAt, at)})`;
      else message = `${name} may already be closed: ${shortName(h.fn)} closes it at ${lineRef(firstAt, at)}${via(first)}, then again here${via(second)}`;
      message += ': close of closed channel panics [high confidence]';
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
        identity: [h.fn.id, h.id, h.concurrent ? 'concurrent' : h.loop ? 'loop' : h.deferred ? 'defer' : 'sequence'],
        assumptions,
        ...(h.fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const h of lifecycleHazards(facts)) reportLifecycle(ctx, h);
    for (const h of flagSkips(facts)) reportFlagSkip(ctx, h);
    reportVerdicts(ctx, ['close-closed', 'close-nil']);
  },
};

/** A setup path that re-arms the teardown but leaves it the channel it already closed. */
function reportLifecycle(ctx: RuleContext, h: LifecycleHazard): void {
  const at = stepLocation({ node: h.setup, pos: h.at, message: '' });
  const guardAt = stepLocation({ node: h.setup, pos: h.guard.pos, message: '' });
  const madeAt = stepLocation({ node: h.setup, pos: h.chan.made, message: '' });
  const closeAt = opLocation(h.close);
  const [setup, teardown] = [shortName(h.setup), shortName(h.teardown)];
  const name = h.chan.display;
  ctx.report({
    confidence: 'high',
    message:
      `${setup.split('.').pop()} re-arms ${h.guard.display} (${lineRef(guardAt, at)}) and returns here before re-making ${name} (${lineRef(madeAt, at)}): ` +
      `after ${teardown} closed ${name}, the next ${teardown} closes it again${via(h.close)}: close of closed channel panics [high confidence]`,
    location: at,
    related: [
      { location: guardAt, message: `${h.guard.display} re-armed` },
      { location: madeAt, message: `${name} made anew only on the other paths` },
      { location: closeAt, message: `${teardown} closes ${name}` },
    ],
    flows: [opFlow(`${teardown} closes ${name}`, h.close)],
    identity: [h.setup.id, h.chan.id, 'lifecycle'],
    ...(h.setup.file.generated ? { generated: true } : {}),
  });
}

/** A close that skips the flag the type's guarded close tests: that close runs again on the object handed out. */
function reportFlagSkip(ctx: RuleContext, h: FlagSkip): void {
  const name = h.close.display;
  const flag = h.flag.slice(h.flag.lastIndexOf('.') + 1);
  const local = name.split('.')[0]!;
  const teardown = shortName(h.teardown);
  ctx.report({
    confidence: 'medium',
    message:
      `${shortName(h.fn)} closes ${name} without setting ${local}.${flag}, and returns ${local}: ${teardown} tests ${flag} before it closes ` +
      `the channel${via(h.guarded)}, so it closes it again: close of closed channel panics`,
    location: opLocation(h.close),
    related: [{ location: opLocation(h.guarded), message: `the close ${flag} is meant to keep to once` }],
    flows: [opFlow(`${shortName(h.fn)} closes ${name}`, h.close), opFlow(`${teardown} closes it again`, h.guarded)],
    identity: [h.fn.id, h.id, 'flag-skip'],
    assumptions: [{ kind: 'reached', text: `a caller of ${shortName(h.fn)} calls ${teardown.split('.').pop()} on the ${local} it returns`, location: opLocation(h.guarded) }],
    ...(h.fn.file.generated ? { generated: true } : {}),
  });
}
