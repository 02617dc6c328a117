/**
 * Explorer verdicts as findings of the rule that asks: the schedule as one flow per goroutine. A witness that took
 * a branch the model could not decide (or took a buffer of computed size to be full) carries it as an assumption,
 * so the finding is reported a level lower (docs/evidence.md): an assumption is what to check, not evidence.
 */
import { goroutineLeaks } from '../facts/channels/leaks.js';
import { nodeLocation } from '../facts/report.js';
import { terminalOf } from '../facts/program/terminal.js';
import { isTestCode } from '../facts/program/testcode.js';
import type { Assumption, Flow, Location } from '../findings.js';
import type { RuleContext } from '../rule.js';
import type { ExploredVerdict } from './explore.js';
import type { VerdictKind } from './search.js';

const WHAT: Record<VerdictKind, (v: ExploredVerdict) => string> = {
  'send-closed': (v) => `send on ${v.object} can run after it is closed${closedAt(v)}: send on closed channel panics`,
  'close-closed': (v) => `${v.object} can be closed twice${closedAt(v)}: close of closed channel panics`,
  'close-nil': (v) => `${v.object} is never made, so this close panics (close of nil channel)`,
  'negative-wg': (v) => `${v.object}'s counter can go below zero here: sync: negative WaitGroup counter panics`,
  'unlock-unlocked': (v) => `${v.object} can be unlocked here while not locked: fatal error`,
  leak: (v) => `this goroutine can block here forever after ${short(v.entry.id)} returns: nothing else can ever ${partner(v)}`,
  deadlock: (v) => `${v.harness ? `a caller of ${short(v.entry.id)}` : short(v.entry.id)} can block here forever while every goroutine it started is blocked too`,
};

/** The most assumptions a reported verdict may rest on. */
const MAX_ASSUMED = 2;

/** Reports the explorer's verdicts of these kinds, each yielding to another rule's finding about the same operation. */
export function reportVerdicts(ctx: RuleContext, kinds: VerdictKind[]): void {
  const taken = new Set<string>();
  for (const kind of kinds) {
    for (const v of ctx.explored.of(kind)) {
      if (taken.has(`${v.at.path}:${v.at.line}`)) continue;
      // A deadlock says the entry itself never returns. One that needs a branch the model cannot decide is still
      // withheld: on the recall kernels the one such verdict in a fixed twin was of this kind (measured, not read),
      // and a caller whose own protocol rules that branch out is the common case for a function that would hang.
      if (kind === 'deadlock' && v.assumptions.some((a) => a.kind === 'undecided-branch')) continue;
      // A schedule that needs many undecided branches at once is a maze, not a finding: read on the dev trees of
      // the recall set, those with three or more (a test's every `if` taken one way) were none of them real.
      if (v.assumptions.length > MAX_ASSUMED) continue;
      // What a terminal function (main, or one the process ends after) leaves blocked ends with the process; so does
      // what the leak facts found left blocked only on a way out the process does not survive (an error it exits on).
      const ends = kind === 'leak' ? terminalOf(ctx.facts).ending(v.entry) : false;
      if (ends !== false && ends.length === 0) continue;
      const exitOnly = kind === 'leak' ? (exitOnlyAt(ctx, v) ?? (ends || undefined)) : undefined;
      if (exitOnly?.length === 0) continue;
      const assumptions = [...v.assumptions, ...(exitOnly ?? [])];
      taken.add(`${v.at.path}:${v.at.line}`);
      ctx.report({
        // A test that drives the program's code to a panic there found the program's hazard; a goroutine a test
        // leaves blocked is the test's own.
        testCode: v.at.path.endsWith('_test.go') || (kind === 'leak' && isTestCode(v.entry)),
        confidence: 'high',
        message: `${WHAT[kind](v)} (found by ${v.harness ? `running ${v.harness}` : `exploring ${short(v.entry.id)}'s goroutines`})`,
        location: v.at,
        related: v.related.map((r) => ({ location: r.at, message: r.text })),
        flows: goroutineFlows(v),
        identity: [v.entry.id, kind, v.object, ...v.schedule.filter((s) => s.at === v.at).map((s) => s.text)],
        yields: true,
        ...(assumptions.length ? { assumptions } : {}),
        ...(v.entry.file.generated ? { generated: true } : {}),
      });
    }
  }
}

/** For a leak the leak facts judged too (same entry, same send), what its way out of the process rests on, if it is one. */
function exitOnlyAt(ctx: RuleContext, v: ExploredVerdict): Assumption[] | undefined {
  const same = goroutineLeaks(ctx.facts).find((l) => {
    const at = nodeLocation(l.send.node, l.send.pos);
    return l.fn === v.entry && l.discard === undefined && at.path === v.at.path && at.line === v.at.line;
  });
  return same?.exitOnly;
}

/** One flow per goroutine of the schedule, each step numbered in the order the schedule runs it. */
function goroutineFlows(v: ExploredVerdict): Flow[] {
  const flows: Flow[] = [];
  v.schedule.forEach((s, order) => {
    const name = s.g === 0 ? `G0 (${v.harness ? 'the caller' : short(v.entry.id)})` : `G${s.g} (${short(v.goroutines[s.g]?.name ?? '')})`;
    let flow = flows.find((f) => f.message === name);
    if (!flow) flows.push((flow = { message: name, steps: [] }));
    flow.steps.push({ location: s.at as Location, message: `${order + 1}. ${s.text}` });
  });
  return flows;
}

function closedAt(v: ExploredVerdict): string {
  const close = v.related[0];
  if (!close) return '';
  if (close.at.path === v.at.path && close.at.line === v.at.line) return ' (by another goroutine, from this same line)';
  return close.at.path === v.at.path ? ` (closed at line ${close.at.line})` : ` (closed at ${close.at.path}:${close.at.line})`;
}

function short(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1).replace(/^[^.]*\./, '');
}

function partner(v: ExploredVerdict): string {
  return /send|receive|select/.test(v.related.map((r) => r.text).join(' ')) || v.object ? `complete its operation on ${v.object}` : 'wake it';
}
