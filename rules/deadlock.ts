import { reportVerdicts } from '../src/explore/report.js';
import type { Rule } from '../src/rule.js';

export const deadlock: Rule = {
  meta: {
    id: 'deadlock',
    title: 'Function and the goroutines it starts can all block forever',
    description:
      'Exploring the interleavings of a function and the goroutines it starts, a schedule reaches a state where the ' +
      'function waits on a channel, mutex or WaitGroup and every goroutine it started waits too, each on an object ' +
      'made in the function that no other code can reach: none of them can ever move again. Found by the schedule ' +
      'explorer; the finding shows the schedule, one flow per goroutine.',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'channels', 'mutex', 'deadlock'],
    since: '0.3.0',
    // Off until its precision and cost are measured on code it was not built on (see bench/recall/README.md).
    optIn: true,
  },
  run(ctx) {
    reportVerdicts(ctx, ['deadlock']);
  },
};
