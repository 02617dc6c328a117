import { reportVerdicts } from '../src/explore/report.js';
import type { OpFact } from '../src/facts/effects/types.js';
import type { SyncFacts } from '../src/facts/engine.js';
import { displayId, shortName } from '../src/facts/names.js';
import { lineRef, opFlow, opLocation, stepLocation } from '../src/facts/report.js';
import { sequenceHazards, type SequenceHazard } from '../src/facts/channels/sequence.js';
import { admittedUnderFlag } from '../src/facts/evidence/admission.js';
import { stoppedUnderLock } from '../src/facts/evidence/stopguard.js';
import { pairEvidence } from '../src/facts/evidence/assume.js';
import { carriedAssumptions, carriedOver } from '../src/facts/evidence/carried.js';
import { pathInstances } from '../src/facts/evidence/instances.js';
import type { Assumption, Confidence } from '../src/findings.js';
import type { CallExpr } from '../src/facts/calls.js';
import { crossedPartner } from '../src/fix/partners.js';
import { planReorder, type ReorderPlan } from '../src/fix/reorder.js';
import type { Stmt } from '../src/ir.js';
import type { CallGraph, FuncNode } from '../src/resolve/callgraph.js';
import type { Rule } from '../src/rule.js';
import { inTestFile } from '../src/facts/program/testcode.js';

/** Functions whose job is tearing down: a hazard on their path is the classic production panic. */
export const DEFAULT_CLEANUP_PATTERN = /^(Close|Clean|Cleanup|Stop|Shutdown|Release|Rollback|Finish.*|Unregister|Teardown|Abort|Cancel)$/;

function isCleanup(fn: FuncNode, facts: SyncFacts, extra: readonly RegExp[]): boolean {
  const name = shortName(fn).split('.').pop() ?? '';
  if (DEFAULT_CLEANUP_PATTERN.test(name) || extra.some((re) => re.test(name))) return true;
  // A closure is on a cleanup path when the function it belongs to is.
  const parent = fn.decl.parent === undefined ? undefined : fn.file.funcs[fn.decl.parent];
  return parent ? isCleanup(facts.graph.nodeOf(fn.file, parent), facts, extra) : false;
}

/** The statement reaching the send, moved before the one reaching the close, when that is safe. */
function reorderOf(h: SequenceHazard, graph: CallGraph, facts: SyncFacts): { reorder: ReorderPlan } | { noFix: string } {
  // Moving the send above the `go` statement is no fix for a goroutine's close.
  if (h.kind !== 'send-after-close') return { noFix: 'the send is on another goroutine: no reorder in one function orders it' };
  if (h.close.afterDone) return { noFix: 'the close is on a goroutine, after its WaitGroup.Done: no reorder here orders it' };
  const closes = (call: CallExpr) => facts.effects.effectsOf(h.fn, call).closes.some((c) => c.id === h.id);
  const crosses = (moved: readonly Stmt[], between: readonly Stmt[]) => crossedPartner(facts, h.fn, moved, between);
  const plan = planReorder(h.fn, graph, h.close.steps[0]!.pos, h.send.steps[0]!.pos, closes, crosses);
  return 'refused' in plan ? { noFix: plan.refused } : { reorder: plan };
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
    // One hazard is one pair of operations, however many functions reach both in the wrong order, and
    // whatever each of them calls the channel (a helper's parameter is a field of each caller's own type):
    // the one a reader recognizes fastest (a cleanup path, outside tests, with the shortest witness)
    // is the finding, the others are listed with it.
    const groups = new Map<string, Weighed[]>();
    for (const h of sequenceHazards(facts)) {
      if (h.kind !== 'send-after-close' && h.kind !== 'close-while-sending') continue;
      if (h.send.recovers) continue;
      // Every sender is admitted under the lock that guards the flag the closer sets before it waits for them.
      if (admittedUnderFlag(facts.graph, h.close, h.send) || stoppedUnderLock(facts.graph, h.close, h.send)) continue;
      // A branch on either path that reads what the other writes (a closed flag, a probe of the done
      // channel the closer closes) is what the finding assumes; a transition both must win, or a
      // sync.Once both run under, rules it out.
      const evidence = pairEvidence(facts, h.fn, h.close, h.send, h.kind === 'close-while-sending' || h.close.async || h.send.async);
      if (evidence.exclusive) continue;
      // The close and the send reached through two paths that the code shows hold two channels.
      const instances = pathInstances(facts, h.fn, h.close, h.send, h.id);
      if (instances.distinct) continue;
      const key = `${h.kind}|${opKey(h.close)}|${opKey(h.send)}`;
      const list = groups.get(key);
      // A send on the turn after the close: of the closed object only if what hands it over hands back the same.
      const carried = h.kind === 'send-after-close' && !h.close.async && carriedOver(h.close, h.send);
      const assumptions = () => [...evidence.assumptions(), ...instances.assumptions, ...(carried ? carriedAssumptions(facts, h.fn, h.close, h.send) : [])];
      const w = { h, assumptions };
      if (list) list.push(w);
      else groups.set(key, [w]);
    }
    for (const list of groups.values()) {
      list.sort(
        ({ h: a }, { h: b }) =>
          rankOf(a, facts, ctx.settings.cleanupFunctions) - rankOf(b, facts, ctx.settings.cleanupFunctions) ||
          Number(inTestFile(a.fn)) - Number(inTestFile(b.fn)) ||
          witnessLength(a) - witnessLength(b) ||
          (a.fn.id < b.fn.id ? -1 : a.fn.id > b.fn.id ? 1 : 0),
      );
      const { h } = list[0]!;
      const assumptions = list[0]!.assumptions();
      const others = list.slice(1).map((w) => w.h);
      const { close, send } = h;
      const at = opLocation(send);
      const name = displayId(h.id, send.display);
      const fnName = shortName(h.fn);
      const cleanup = isCleanup(h.fn, facts, ctx.settings.cleanupFunctions);
      const precise = close.precise && send.precise;
      const confidence: Confidence = cleanup ? 'high' : precise ? 'medium' : 'low';
      const closeAt = stepLocation(close.steps[0]!);
      // The message stays short (about 200 characters): the call chains are in the flows, the other
      // functions in the related locations, both in JSON and SARIF and under `explain`.
      const also = others.length ? `; ${others.length} other function${others.length > 1 ? 's' : ''} too` : '';
      const message =
        h.kind === 'send-after-close' && close.afterDone
          ? `send on ${name} after it may be closed: a goroutine ${fnName} started closes it at ${lineRef(closeAt, at)} after its WaitGroup.Done, which the Wait before this send does not cover; send on closed channel panics${also} [${confidence} confidence]`
          : h.kind === 'send-after-close'
          ? `send on ${name} after it may be closed: ${fnName} closes it at ${lineRef(closeAt, at)}, then reaches this send; send on closed channel panics${also} [${confidence} confidence${cleanup ? ', cleanup path' : ''}]`
          : send.afterDone && close.waited
          ? `send on ${name} from a goroutine that ${fnName} started may run after ${fnName} closes it (${lineRef(closeAt, at)}): the goroutine sends in a defer after its WaitGroup.Done, which the Wait does not cover; send on closed channel panics${also} [${confidence} confidence]`
          : `send on ${name} from a goroutine that ${fnName} started may run after ${fnName} closes it (${lineRef(closeAt, at)}); nothing waits for the goroutine first, and send on closed channel panics${also} [${confidence} confidence]`;
      ctx.report({
        confidence,
        // Off a cleanup path, 4 in 10 were real on the corpora we read (Go's standard library, Debian's Go
        // packages, TiDB): worth a look, not a gate failure. Cleanup paths, where the model case lives, stay errors.
        ...(confidence === 'high' ? {} : { severity: 'warning' as const }),
        message,
        location: at,
        related: [
          { location: stepLocation(close.steps[close.steps.length - 1]!), message: `the close of ${name}` },
          { location: closeAt, message: `${fnName} closes ${name} here` },
          { location: stepLocation(send.steps[0]!), message: `and sends here` },
          ...others.map((o) => ({ location: stepLocation(o.close.steps[0]!), message: `${shortName(o.fn)} also closes ${name} here before reaching the send` })),
        ],
        flows: [opFlow(`${fnName} closes ${name}`, close), opFlow(`${fnName} then sends on ${name}`, send)],
        identity: [h.kind, h.id, close.steps.at(-1)!.node.id, send.steps.at(-1)!.node.id],
        assumptions,
        ...reorderOf(h, ctx.graph, facts),
        ...(send.steps[send.steps.length - 1]!.node.file.generated ? { generated: true } : {}),
      });
    }
    reportVerdicts(ctx, ['send-closed']);
  },
};

/** A hazard of this rule with what its evidence assumes, weighed for the one hazard of its group that is reported. */
interface Weighed {
  h: Extract<SequenceHazard, { kind: 'send-after-close' | 'close-while-sending' }>;
  assumptions: () => Assumption[];
}

/** Where an operation is, as a key: the file as well as the function (a broken package may declare a name twice). */
function opKey(op: OpFact): string {
  const at = op.steps.at(-1)!;
  return `${at.node.file.path}|${at.node.id}|${at.pos}`;
}


/** Calls from the function to the close and to the send, together. */
function witnessLength(h: SequenceHazard): number {
  return h.kind === 'close-after-close' ? 0 : h.close.steps.length + h.send.steps.length;
}

/** Cleanup paths first, then direct calls: the caller a reader recognizes fastest leads the finding. */
function rankOf(h: SequenceHazard, facts: SyncFacts, extra: readonly RegExp[]): number {
  if (isCleanup(h.fn, facts, extra)) return 0;
  return h.kind !== 'close-after-close' && h.close.precise && h.send.precise ? 1 : 2;
}
