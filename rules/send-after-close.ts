import { displayId, shortName, type ChannelFacts } from '../src/facts/chanfacts.js';
import { opFlow, opLocation, stepLocation, via } from '../src/facts/report.js';
import { sequenceHazards, type SequenceHazard } from '../src/facts/sequence.js';
import type { Confidence } from '../src/findings.js';
import type { CallExpr } from '../src/facts/calls.js';
import { planReorder } from '../src/fix/reorder.js';
import type { CallGraph, FuncNode } from '../src/resolve/callgraph.js';
import type { Rule } from '../src/rule.js';

/** Functions whose job is tearing down: a hazard on their path is the classic production panic. */
export const DEFAULT_CLEANUP_PATTERN = /^(Close|Clean|Cleanup|Stop|Shutdown|Release|Rollback|Finish.*|Unregister|Teardown|Abort|Cancel)$/;

function isCleanup(fn: FuncNode, facts: ChannelFacts, extra: readonly RegExp[]): boolean {
  const name = shortName(fn).split('.').pop() ?? '';
  if (DEFAULT_CLEANUP_PATTERN.test(name) || extra.some((re) => re.test(name))) return true;
  // A closure is on a cleanup path when the function it belongs to is.
  const parent = fn.decl.parent === undefined ? undefined : fn.file.funcs[fn.decl.parent];
  return parent ? isCleanup(facts.graph.nodeOf(fn.file, parent), facts, extra) : false;
}

/** The statement reaching the send, moved before the one reaching the close, when that is safe. */
function reorderOf(h: SequenceHazard, graph: CallGraph, facts: ChannelFacts) {
  if (h.kind !== 'send-after-close') return {};
  const closes = (call: CallExpr) => facts.effectsOf(h.fn, call).closes.some((c) => c.id === h.id);
  const reorder = planReorder(h.fn, graph, h.close.steps[0]!.pos, h.send.steps[0]!.pos, closes);
  return reorder ? { reorder } : {};
}

export const sendAfterClose: Rule = {
  meta: {
    id: 'send-after-close',
    title: 'Send on a channel that may already be closed',
    description:
      'In one function, a call or statement that may close a channel runs before one that may send on it — directly or ' +
      'through any depth of calls, methods and interfaces — or a goroutine the function started may still send when it ' +
      'closes the channel. The send panics with "send on closed channel".',
    severity: 'error',
    precision: 'medium',
    tags: ['concurrency', 'channels', 'panic'],
    since: '0.1.0',
  },
  run(ctx) {
    const facts = ctx.facts;
    const reported = new Set<string>();
    for (const h of sequenceHazards(facts)) {
      if (h.kind !== 'send-after-close' && h.kind !== 'close-while-sending') continue;
      const { close, send } = h;
      if (send.recovers) continue;
      if (send.flagChecked && send.locks.some((l) => close.locks.includes(l))) continue;
      const at = opLocation(send);
      const key = `${at.path}:${at.line}:${at.col}|${h.id}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const name = displayId(h.id, send.display);
      const fnName = shortName(h.fn);
      const cleanup = isCleanup(h.fn, facts, ctx.settings.cleanupFunctions);
      const precise = close.precise && send.precise;
      const confidence: Confidence = cleanup ? 'high' : precise ? 'medium' : 'low';
      const closeAt = stepLocation(close.steps[0]!);
      const message =
        h.kind === 'send-after-close'
          ? `send on ${name} after it may be closed: ${fnName} closes it${via(close)} at line ${closeAt.line}, then reaches this send${via(send)}; send on closed channel panics [${confidence} confidence${cleanup ? ', cleanup path' : ''}]`
          : `send on ${name} from a goroutine that ${fnName} started may run after ${fnName} closes it (line ${closeAt.line}); nothing waits for the goroutine first, and send on closed channel panics [${confidence} confidence]`;
      ctx.report({
        confidence,
        message,
        location: at,
        related: [
          { location: stepLocation(close.steps[close.steps.length - 1]!), message: `the close of ${name}` },
          { location: closeAt, message: `${fnName} closes ${name} here` },
          { location: stepLocation(send.steps[0]!), message: `and sends here` },
        ],
        flows: [opFlow(`${fnName} closes ${name}`, close), opFlow(`${fnName} then sends on ${name}`, send)],
        identity: [h.kind, h.id, h.fn.id, send.steps[send.steps.length - 1]!.node.id],
        ...reorderOf(h, ctx.graph, facts),
        ...(send.steps[send.steps.length - 1]!.node.file.generated ? { generated: true } : {}),
      });
    }
  },
};
