import { shortName } from '../src/facts/names.js';
import { unpartnered, type Unpartnered } from '../src/facts/channels/partners.js';
import { lineRef, nodeLocation } from '../src/facts/report.js';
import { isTestCode } from '../src/facts/program/testcode.js';
import { startedOnceForLife } from '../src/facts/channels/lifelong.js';
import type { Assumption, Location } from '../src/findings.js';
import type { Rule, RuleContext } from '../src/rule.js';


function why(u: Unpartnered, here: Location): string {
  const madeAt = lineRef(nodeLocation(u.fn, u.made), here);
  switch (u.kind) {
    case 'send':
      return `send on unbuffered ${u.name} blocks forever: nothing receives from it (made at ${madeAt}, used nowhere else); receive from it, or drop the send`;
    case 'recv':
      return `receive from ${u.name} blocks forever: nothing sends on it or closes it (made at ${madeAt}, used nowhere else); send or close where the work it waits for is done`;
    case 'early':
      return (
        `send on unbuffered ${u.name} blocks forever: its only receivers are goroutines ${shortName(u.fn)} starts later (${lineRef(nodeLocation(u.fn, u.receiver!), here)}), ` +
        'and this send waits for one before that go statement runs; start the receiver first, or give the channel a buffer'
      );
  }
}

/**
 * A receive that ends a function run as one goroutine for the process's life (lifelong.ts): it parks that goroutine
 * for good, and nothing waits for it to return; that it was meant to return is the finding's assumption.
 */
function parksForLife(ctx: RuleContext, u: Unpartnered): Assumption[] {
  const last = u.fn.decl.body?.at(-1);
  if (u.kind !== 'recv' || u.op.node !== u.fn || last?.k !== 'expr' || u.op.pos < last.pos) return [];
  const start = startedOnceForLife(ctx.facts.graph, u.fn);
  if (!start) return [];
  const text = `\`${shortName(u.fn)}\` should return, though \`${shortName(start.caller)}\` starts it once, with go, and nothing waits for it`;
  return [{ kind: 'process-end', text, location: nodeLocation(start.caller, start.call.pos) }];
}

export const chanNoPartner: Rule = {
  meta: {
    id: 'chan-no-partner',
    title: 'Channel operation that nothing can ever match',
    description:
      'A channel made in a function and used only there (and in its function literals) with an operation no other ' +
      'one can match: a send on an unbuffered channel that nothing receives from, a receive from a channel that ' +
      'nothing sends on or closes, or a send on this goroutine before the go statements that start its only ' +
      'receivers. The operation blocks forever. Channels passed on, stored, returned or compared are not judged.',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'channels', 'deadlock'],
    since: '0.2.0',
  },
  run(ctx) {
    for (const u of unpartnered(ctx.facts)) {
      const here = nodeLocation(u.op.node, u.op.pos);
      const made = nodeLocation(u.fn, u.made);
      const assumptions = parksForLife(ctx, u);
      ctx.report({
        // A test that blocks hangs until the test binary's timeout: real, and found at once by running it.
        testCode: isTestCode(u.fn),
        confidence: 'high',
        message: why(u, here),
        location: here,
        related: [
          { location: made, message: `${u.name} is made here` },
          ...(u.receiver !== undefined ? [{ location: nodeLocation(u.fn, u.receiver), message: 'the receiver starts here, after the send' }] : []),
        ],
        flows: [],
        identity: [u.fn.id, u.name, u.kind],
        ...(assumptions.length ? { assumptions } : {}),
        ...(u.fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};
