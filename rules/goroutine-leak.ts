import { reportVerdicts } from '../src/explore/report.js';
import type { Pos } from '../src/ir.js';
import { shortName } from '../src/facts/names.js';
import { goroutineLeaks, type GoroutineLeak } from '../src/facts/channels/leaks.js';
import { strandedSends, witnessLine, type StrandedSend } from '../src/facts/channels/stranded.js';
import { lineRef, nodeLocation } from '../src/facts/report.js';
import { isTestCode } from '../src/facts/program/testcode.js';
import type { FuncNode } from '../src/resolve/callgraph.js';
import type { Rule, RuleContext } from '../src/rule.js';

export const goroutineLeak: Rule = {
  meta: {
    id: 'goroutine-leak',
    title: 'Goroutine blocked forever on a send nobody receives',
    description:
      'A function makes an unbuffered channel, starts a goroutine that sends on it, and can return without receiving ' +
      'from it: on a `ctx.Done()` or timeout case of a select, an early error return, after the first of several ' +
      'goroutines it started in a loop answered, or from the loop that receives their answers before the last one. ' +
      'Also a call that throws away a channel its callee returns and only the callee\'s goroutine sends on. The goroutine (and everything it holds) blocks on its send forever. ' +
      'And, as a warning on an assumed order, a plain send on a channel kept in a field whose receiver stops on another select case, or whose other sends have a way out. ' +
      'Only channels whose every use is in sight are judged: made in the function, never passed on, stored or returned. ' +
      'In test code it is a warning: there the leak is mostly on a failure path, and ends with the test binary. Test code is ' +
      'a `_test.go` file, or a function that takes (or is a function literal inside one that takes) a `*testing.T`, `*testing.B`, ' +
      '`*testing.F`, `*testing.M` or `testing.TB`, or a method of a type with such a method (an integration suite in ordinary `.go` files).',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'channels', 'goroutines', 'leak'],
    since: '0.2.0',
  },
  run(ctx) {
    for (const leak of goroutineLeaks(ctx.facts)) {
      if (leak.discard) {
        reportDiscard(ctx, leak, leak.discard);
        continue;
      }
      const { fn, name } = leak;
      // Left blocked only on the way out of the process: it ends with it.
      if (leak.exitOnly?.length === 0) continue;
      const at = nodeLocation(leak.send.node, leak.send.pos);
      const start = nodeLocation(fn, leak.start);
      // Short (about 200 characters): how to fix it is in the rule's doc, the places in related locations.
      const perIteration = `${shortName(fn)} starts one per loop iteration (${lineRef(start, at)})`;
      const why = !leak.several
        ? `${shortName(fn)} can return at ${lineRef(nodeLocation(fn, leak.exit!), at)} without receiving from ${name}, and the goroutine it started (${lineRef(start, at)}) then blocks here forever`
        : leak.exit === undefined
          ? `${perIteration} but receives from ${name} once: every goroutine after the first blocks here forever`
          : `${perIteration} and can return at ${lineRef(nodeLocation(fn, leak.exit), at)} before every goroutine has sent on ${name}: the rest block here forever`;
      ctx.report({
        // In a test the leak is mostly on a failure or timeout path, and ends with the test binary.
        testCode: isTestCode(fn),
        confidence: 'high',
        message: `send on unbuffered ${name} may never complete: ${why}`,
        location: at,
        related: [
          { location: start, message: 'the goroutine starts here' },
          ...(leak.exit !== undefined ? [{ location: nodeLocation(fn, leak.exit), message: `returns without receiving from ${name}` }] : []),
        ],
        flows: [
          {
            message: `the goroutine sends on ${name}`,
            steps: [
              { location: start, message: 'starts the goroutine' },
              { location: at, message: `blocks sending on ${name}` },
            ],
          },
          {
            message: `${shortName(fn)} leaves without receiving`,
            steps: [
              { location: start, message: 'starts the goroutine' },
              leak.exit !== undefined
                ? { location: nodeLocation(fn, leak.exit), message: `returns without receiving from ${name}` }
                : { location: start, message: `the next iteration starts another goroutine on ${name}` },
            ],
          },
        ],
        identity: [fn.id, name, leak.several ? (leak.exit === undefined ? 'several' : 'loop-return') : 'return'],
        assumptions: [...leak.assumed, ...(leak.exitOnly ?? [])],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    // A send the explorer ran to a leak (a lifecycle harness: Submit racing Stop) is decided there, with no assumption.
    const explored = new Set(ctx.explored.of('leak').map((v) => `${v.at.path}:${v.at.line}`));
    for (const s of strandedSends(ctx.facts)) {
      const at = nodeLocation(s.node, s.send.pos);
      if (!explored.has(`${at.path}:${at.line}`)) reportStranded(ctx, s);
    }
    reportVerdicts(ctx, ['leak']);
  },
};

/** A plain send on an object's channel whose receiver may have stopped (stranded.ts): it rests on the order. */
function reportStranded(ctx: RuleContext, s: StrandedSend): void {
  const { node, send, name, witness } = s;
  const at = nodeLocation(node, send.pos);
  const there = nodeLocation(witness.node, witness.pos);
  const why =
    witness.kind === 'receiver-stops'
      ? `its receiver (${shortName(witness.node)}, ${witnessLine(witness, node)}) ${witness.text}, and nothing receives after that`
      : `another send on it (${shortName(witness.node)}, ${witnessLine(witness, node)}) has a way out, \`${witness.text}\`: the receiver may be gone`;
  ctx.report({
    testCode: isTestCode(node),
    // A warning at most, a note with its assumption: on TiDB most of these were one-value slots (a task's
    // `doneCh`, made with room for its one send) or mocks, so they stay out of the default gate's view.
    severity: 'warning',
    confidence: 'medium',
    // Short: how to fix it (select on the stop signal too, or a timeout) is in the rule's doc.
    message: `send on ${name} has no way out and may block forever: ${why}`,
    location: at,
    related: [{ location: there, message: witness.kind === 'receiver-stops' ? `the receiver ${witness.text}` : `this send has a way out` }],
    flows: [
      {
        message: `${shortName(node)} sends on ${name} after its receiver stopped`,
        steps: [
          { location: there, message: witness.kind === 'receiver-stops' ? `the receiver ${witness.text}` : 'the receiver may stop' },
          { location: at, message: `blocks sending on ${name}` },
        ],
      },
    ],
    identity: [node.id, name, 'stranded'],
    assumptions: [
      {
        kind: 'interleaving',
        text: `\`${shortName(node)}\` sends on \`${name}\` after its receiver stopped`,
        location: there,
      },
    ],
    ...(node.file.generated ? { generated: true } : {}),
  });
}


/** A call that throws away the channel its callee's goroutine sends on: reported at the call. */
function reportDiscard(ctx: RuleContext, leak: GoroutineLeak, discard: { node: FuncNode; pos: Pos }): void {
  const { fn, name } = leak;
  const here = nodeLocation(discard.node, discard.pos);
  const send = nodeLocation(leak.send.node, leak.send.pos);
  const start = nodeLocation(fn, leak.start);
  ctx.report({
    testCode: isTestCode(discard.node),
    confidence: 'high',
    message:
      `${shortName(discard.node)} throws away the channel ${shortName(fn)} returns, and the goroutine ${shortName(fn)} starts (${lineRef(start, here)}) ` +
      `blocks forever sending on it (${lineRef(send, here)}), as nothing else receives from ${name}; receive from the result, or give ${name} a buffer in ${shortName(fn)}`,
    location: here,
    related: [
      { location: start, message: 'the goroutine starts here' },
      { location: send, message: `blocks sending on ${name}` },
    ],
    flows: [
      {
        message: `the goroutine sends on ${name}, which nobody reads`,
        steps: [
          { location: here, message: `calls ${shortName(fn)} and drops its result` },
          { location: start, message: 'starts the goroutine' },
          { location: send, message: `blocks sending on ${name}` },
        ],
      },
    ],
    identity: [discard.node.id, fn.id, name, 'discarded'],
    assumptions: leak.assumed,
    ...(discard.node.file.generated ? { generated: true } : {}),
  });
}
