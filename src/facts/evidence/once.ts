/**
 * A `sync.Once` both operations of a pair run under: only the first `Do` call of a Once runs its function,
 * so of `once.Do(func() { ch <- err })` and `once.Do(func() { close(ch) })` at most one ever happens,
 * in whatever order the calls come. Decided when both paths name the same Once (one field of one object,
 * one captured local, one package variable) and nothing resets it; when the two are the same field or
 * variable reached through two different objects, the finding assumes they are two Onces.
 */
import { lineOf } from '../../ir.js';
import type { Assumption } from '../../findings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { OnceUse, OpFact } from '../effects/types.js';
import { nameable } from '../identity/roots.js';
import { nodeLocation } from '../report.js';
import { writesOf } from './state.js';

export type OnceEvidence = { exclusive: true } | { exclusive: false; assumptions: Assumption[] };

const NOTHING: OnceEvidence = { exclusive: false, assumptions: [] };

/** Whether two uses of one Once field or variable certainly denote one object. */
function sameObject(a: OnceUse, b: OnceUse): boolean {
  if (a.id.startsWith('global:')) return true;
  return a.root !== undefined && a.root === b.root && nameable(a.root);
}

/** `s.once = sync.Once{}`: a Once assigned anew in its package runs a function again. */
function reset(graph: CallGraph, near: FuncNode, id: string): boolean {
  return graph.funcs.some((fn) => fn.pkg === near.pkg && writesOf(graph, fn).some((w) => w.key === id && w.verb === 'sets'));
}

export function onceEvidence(graph: CallGraph, a: OpFact, b: OpFact): OnceEvidence {
  if (!a.onces || !b.onces) return NOTHING;
  const assumptions: Assumption[] = [];
  for (const x of a.onces) {
    for (const y of b.onces) {
      if (x.id !== y.id || reset(graph, x.at.node, x.id)) continue;
      if (sameObject(x, y)) return { exclusive: true };
      if (assumptions.length) continue;
      // Named where each path leaves the function holding both: the two objects differ there.
      const where = (u: OnceUse, op: OpFact) => `\`${u.at.message}.Do\` (line ${lineOf(u.at.pos)}${u.at.node.file === x.at.node.file ? '' : ` of ${u.at.node.file.path}`}, via line ${lineOf(op.steps[0]!.pos)})`;
      assumptions.push({
        kind: 'same-instance',
        text: `${where(x, a)} and ${where(y, b)} are two sync.Onces`,
        location: nodeLocation(y.at.node, y.at.pos),
      });
    }
  }
  return assumptions.length ? { exclusive: false, assumptions } : NOTHING;
}
