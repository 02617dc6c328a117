import { colOf, lineOf, type Pos } from '../src/ir.js';
import { shortName } from '../src/facts/chanfacts.js';
import { goroutineLeaks } from '../src/facts/leaks.js';
import { lineRef } from '../src/facts/report.js';
import type { Location } from '../src/findings.js';
import type { Rule } from '../src/rule.js';

export const goroutineLeak: Rule = {
  meta: {
    id: 'goroutine-leak',
    title: 'Goroutine blocked forever on a send nobody receives',
    description:
      'A function makes an unbuffered channel, starts a goroutine that sends on it, and can return without receiving ' +
      'from it: on a `ctx.Done()` or timeout case of a select, an early error return, or after the first of several ' +
      'goroutines it started in a loop answered. The goroutine (and everything it holds) blocks on its send forever. ' +
      'Only channels whose every use is in sight are judged: made in the function, never passed on, stored or returned. ' +
      'In test files it is a warning: there the leak is mostly on a failure path, and ends with the test binary.',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'channels', 'goroutines', 'leak'],
    since: '0.2.0',
  },
  run(ctx) {
    for (const leak of goroutineLeaks(ctx.facts)) {
      const { fn, name } = leak;
      const at = location(leak.send.node, leak.send.pos);
      const start = location(fn, leak.start);
      const fix = `give ${name} a buffer (make(chan T, ${leak.several ? 'n' : '1'})) so the send completes, or have the goroutine also select on a done channel`;
      const why = leak.several
        ? `${shortName(fn)} starts one such goroutine per iteration of the loop (${lineRef(start, at)}) but receives from ${name} once: every goroutine after the first blocks on this send forever`
        : `${shortName(fn)} can return at ${lineRef(location(fn, leak.exit!), at)} without receiving from ${name}, and then the goroutine it started (${lineRef(start, at)}) blocks on this send forever`;
      ctx.report({
        // In a test the leak is mostly on a failure or timeout path, and ends with the test binary.
        ...(fn.file.path.endsWith('_test.go') ? { severity: 'warning' as const } : {}),
        confidence: 'high',
        message: `send on unbuffered ${name} may never complete: ${why}; ${fix}`,
        location: at,
        related: [
          { location: start, message: 'the goroutine starts here' },
          ...(leak.exit !== undefined ? [{ location: location(fn, leak.exit), message: `returns without receiving from ${name}` }] : []),
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
                ? { location: location(fn, leak.exit), message: `returns without receiving from ${name}` }
                : { location: start, message: `the next iteration starts another goroutine on ${name}` },
            ],
          },
        ],
        identity: [fn.id, name, leak.several ? 'several' : 'return'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};

function location(node: { file: { path: string } }, pos: Pos): Location {
  return { path: node.file.path, line: lineOf(pos), col: colOf(pos) };
}
