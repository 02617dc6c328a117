import { reportVerdicts } from '../src/explore/report.js';
import { shortName } from '../src/facts/names.js';
import { lineRef, nodeLocation } from '../src/facts/report.js';
import { WaitGroupFacts } from '../src/facts/waitgroups/facts.js';
import type { Rule } from '../src/rule.js';


export const waitgroupMisuse: Rule = {
  meta: {
    id: 'waitgroup-misuse',
    title: 'WaitGroup counted inside the goroutine, never counted down, left counted by a skipped goroutine or a return before Done, done before the work, or waited for inside the loop that starts it',
    description:
      "wg.Add called first thing in the goroutine it counts, while the function that started it waits on the same " +
      'WaitGroup: Wait can run before Add and return while the goroutine is still working (a data race). ' +
      'wg.Add on a local WaitGroup that nothing calls Done on, followed by wg.Wait: Wait never returns. ' +
      'wg.Add for a goroutine that a continue or break of the loop can skip, or that returns before its own wg.Done: Wait ' +
      'never returns once it does. A goroutine ' +
      'that writes a variable of its starter after its Done, read after the Wait: a data race. And ' +
      'wg.Wait on every pass of the loop that starts the goroutines it waits for: they run one at a time. And a ' +
      "wg.Done outside the function's own once-per-key check, beside one behind it: a negative counter panics. And a " +
      'method run on a goroutine that can run beside itself, which waits on its WaitGroup and then adds to it.',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'waitgroup', 'race'],
    since: '0.2.0',
    optIn: true,
  },
  run(ctx) {
    const wgs = new WaitGroupFacts(ctx.graph);
    for (const { fn, go, callee, add, wait } of wgs.lateAdds) {
      const literal = callee.decl.parent !== undefined;
      const goAt = nodeLocation(fn, go.stmt.pos);
      const waitAt = nodeLocation(wait.fn, wait.op.pos);
      const name = add.display;
      const started = literal ? `started at line ${goAt.line}` : `${shortName(callee)}, started at line ${goAt.line}`;
      const location = literal ? nodeLocation(callee, add.pos) : goAt;
      ctx.report({
        confidence: literal ? 'high' : 'medium',
        message:
          `${name}.Add is called inside the goroutine it counts (${started}): the Wait at ${lineRef(waitAt, location)}${wait.fn === fn ? '' : ` (in ${shortName(wait.fn)})`} can run before it ` +
          'and return while the goroutine is still working; call Add before the go statement',
        location,
        related: [
          ...(literal ? [{ location: goAt, message: 'goroutine started here' }] : [{ location: nodeLocation(callee, add.pos), message: `${name}.Add in ${shortName(callee)}` }]),
          { location: waitAt, message: `waits on ${wait.op.display}` },
        ],
        flows: [],
        identity: [fn.id, callee.id, add.key, 'late-add'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, add, wait } of wgs.missingDones) {
      const addAt = nodeLocation(fn, add.pos);
      const waitAt = nodeLocation(fn, wait.pos);
      ctx.report({
        confidence: 'high',
        message:
          `${wait.display}.Wait waits for the ${add.display}.Add at ${lineRef(addAt, waitAt)}, and nothing calls ${add.display}.Done ` +
          `(in ${shortName(fn)} or any closure of it, and ${add.display} goes nowhere else): Wait never returns; ` +
          `call ${add.display}.Done (deferred) in the goroutine the Add counts`,
        location: waitAt,
        related: [{ location: addAt, message: `${add.display}.Add, never matched by a Done` }],
        flows: [],
        identity: [fn.id, add.key, 'missing-done'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, add, skip, go, wait } of wgs.skippedDones) {
      const addAt = nodeLocation(fn, add.pos);
      const skipAt = nodeLocation(fn, skip.pos);
      const goAt = nodeLocation(fn, go.stmt.pos);
      const waitAt = nodeLocation(fn, wait.pos);
      ctx.report({
        confidence: 'high',
        message:
          `${add.display}.Add counts the goroutine started at line ${goAt.line}, but the ${skip.kind} at line ${skipAt.line} skips that goroutine ` +
          `and its ${add.display}.Done: once that path is taken, the Wait at ${lineRef(waitAt, addAt)} never returns; ` +
          'call Add just before the go statement',
        location: addAt,
        related: [
          { location: skipAt, message: `${skip.kind}: the goroutine is not started, the Add stays counted` },
          { location: goAt, message: 'the goroutine whose Done the Add waits for' },
          { location: waitAt, message: `waits on ${wait.display}` },
        ],
        flows: [],
        identity: [fn.id, add.key, 'skipped-done'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, go, callee, ret, done, add, wait } of wgs.returnsBeforeDone) {
      const retAt = nodeLocation(callee, ret);
      const doneAt = nodeLocation(callee, done.pos);
      const waitAt = nodeLocation(wait.fn, wait.op.pos);
      ctx.report({
        confidence: 'high',
        message:
          `the goroutine started at line ${nodeLocation(fn, go.stmt.pos).line} returns at line ${retAt.line} before its ${done.display}.Done at line ${doneAt.line}: ` +
          `the Add at ${lineRef(nodeLocation(fn, add.pos), retAt)} stays counted on that path and the Wait at ${lineRef(waitAt, retAt)} never returns; ` +
          `defer ${done.display}.Done() first thing in the goroutine`,
        location: retAt,
        related: [
          { location: doneAt, message: `${done.display}.Done, skipped by the return` },
          { location: nodeLocation(fn, add.pos), message: `${add.display}.Add counts the goroutine` },
          { location: waitAt, message: `waits on ${wait.op.display}` },
        ],
        flows: [],
        identity: [fn.id, callee.id, add.key, 'return-before-done'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, go, callee, done, write, wait, read } of wgs.writesAfterDone) {
      const writeAt = nodeLocation(callee, write.pos);
      const doneAt = nodeLocation(callee, done.pos);
      const waitAt = nodeLocation(wait.fn, wait.op.pos);
      const readAt = nodeLocation(wait.fn, read);
      ctx.report({
        confidence: 'high',
        message:
          `the goroutine started at line ${nodeLocation(fn, go.stmt.pos).line} writes ${write.name} after ${done.display}.Done at line ${doneAt.line}: ` +
          `the Wait at ${lineRef(waitAt, writeAt)} can return before the write, and ${shortName(wait.fn)} reads ${write.root} at ${lineRef(readAt, writeAt)} (a data race); ` +
          `call Done last (defer ${done.display}.Done())`,
        location: writeAt,
        related: [
          { location: doneAt, message: `${done.display}.Done, before the write` },
          { location: waitAt, message: `waits on ${wait.op.display}` },
          { location: readAt, message: `reads ${write.root}` },
        ],
        flows: [],
        identity: [fn.id, done.key, write.name, 'write-after-done'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, wait, go, callee } of wgs.serialWaits) {
      const goAt = nodeLocation(fn, go.stmt.pos);
      ctx.report({
        severity: 'warning',
        confidence: 'medium',
        message:
          `${wait.display}.Wait runs on every pass of the loop that starts the goroutine it waits for (line ${goAt.line}): ` +
          'each waits for the one before, so they run one at a time; wait after the loop',
        location: nodeLocation(fn, wait.pos),
        related: [{ location: goAt, message: `goroutine running ${shortName(callee)} started here` }],
        flows: [],
        identity: [fn.id, wait.key, 'serial-wait'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, done, guarded, check, key } of wgs.unguardedDones) {
      const at = nodeLocation(fn, done.pos);
      ctx.report({
        confidence: 'medium',
        message:
          `${done.display}.Done runs on every call of ${shortName(fn)}, while its Done at ${lineRef(nodeLocation(fn, guarded.pos), at)} runs once per ${key} ` +
          `(checked at line ${nodeLocation(fn, check).line}): a second call for one key counts ${done.display} down again, and a negative WaitGroup counter panics`,
        location: at,
        related: [
          { location: nodeLocation(fn, guarded.pos), message: `${guarded.display}.Done, once per ${key}` },
          { location: nodeLocation(fn, check), message: `the check that lets each ${key} through once` },
        ],
        flows: [],
        identity: [fn.id, done.key, 'unguarded-done'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, wait, add, starter, go, overlap } of wgs.reusedWhileWaited) {
      const at = nodeLocation(fn, add.pos);
      const waitAt = nodeLocation(fn, wait.pos);
      ctx.report({
        confidence: 'medium',
        message:
          `${shortName(fn)} waits on ${add.display}${wait.via ? ` (in ${shortName(wait.via)})` : ''}, then Adds to it, on a goroutine started from ${overlap}: ` +
          `of two runs, one's Add can meet the other's Wait (a panic), or both pass the Wait`,
        location: at,
        related: [
          { location: waitAt, message: `the Wait on ${add.display}` },
          { location: nodeLocation(starter, go.stmt.pos), message: `${shortName(fn)} started on a goroutine` },
        ],
        flows: [],
        identity: [fn.id, add.key, 'reused-while-waited'],
        assumptions: [{ kind: 'reached', text: `two runs of ${shortName(fn)} overlap (started from ${overlap})`, location: nodeLocation(starter, go.stmt.pos) }],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    reportVerdicts(ctx, ['negative-wg']);
  },
};
