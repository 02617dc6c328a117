/**
 * Witness paths as report data: the locations, flows and "via" texts that rules build findings from.
 */
import type { Flow, Location } from '../findings.js';
import { colOf, lineOf, type Pos } from '../ir.js';
import type { OpFact, Step } from './effects/types.js';
import { displayId } from './names.js';

/** A position in a function's file. */
export function nodeLocation(node: { file: { path: string } }, pos: Pos): Location {
  return { path: node.file.path, line: lineOf(pos), col: colOf(pos) };
}

export function stepLocation(step: Step): Location {
  return nodeLocation(step.node, step.pos);
}

/** The operation itself: where a finding about it is reported. */
export function opLocation(op: Pick<OpFact, 'steps'>): Location {
  return stepLocation(op.steps[op.steps.length - 1]!);
}

/** A witness path as a finding flow: each call site down to the operation. */
export function opFlow(message: string, op: Pick<OpFact, 'steps'>): Flow {
  return { message, steps: op.steps.map((s) => ({ location: stepLocation(s), message: s.message })) };
}

/** "via Shutdown → Emit", or '' for an operation in the function itself. */
export function via(op: Pick<OpFact, 'steps'>): string {
  const calls = op.steps.slice(0, -1).map((s) => s.message.replace(/^calls /, ''));
  return calls.length ? ` (via ${calls.join(' → ')})` : '';
}

/** How a channel reads in a message: as written when closed right here, by its field otherwise. */
export function nameOf(id: string, op: OpFact): string {
  return op.steps.length === 1 ? op.display : displayId(id, op.display);
}

/** "line 114" for an operation in the finding's file, "engine/engine.go:114" for one in another file. */
export function lineRef(op: Location, finding: Location): string {
  return op.path === finding.path ? `line ${op.line}` : `${op.path}:${op.line}`;
}
