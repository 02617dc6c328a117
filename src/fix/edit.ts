import { createHash } from 'node:crypto';
import type { Fix } from '../findings.js';
import { colOf, lineOf, type Pos } from '../ir.js';
import type { ReorderPlan } from './reorder.js';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A file's text as every edit of it needs it: split and hashed once, however many edits it gets. */
export interface SourceText {
  text: string;
  lines: string[];
  sha256: string;
  bytes: number;
}

export function sourceText(text: string): SourceText {
  return { text, lines: text.split('\n'), sha256: sha256(text), bytes: Buffer.byteLength(text) };
}

/**
 * The text of a reorder: one replacement of whole lines, from the first line that moves down to the last
 * that moves up. The moved statements take the comment lines right above them along, and are followed by
 * a blank line that sets them apart from the close sequence they now precede. Undefined when the source
 * does not have the shape the plan needs (two statements on one line).
 */
export function reorderEdit(plan: ReorderPlan, source: SourceText): Fix | undefined {
  const { lines } = source;
  const at = (line: number) => lines[line - 1] ?? '';
  const startsLine = (p: Pos) => at(lineOf(p)).slice(0, colOf(p) - 1).trim() === '';
  const isComment = (line: number) => at(line).trim().startsWith('//');
  const isBlank = (line: number) => at(line).trim() === '';
  const withComments = (line: number) => {
    while (line > 1 && isComment(line - 1)) line--;
    return line;
  };

  const first = plan.moved[0]!;
  const last = plan.moved[plan.moved.length - 1]!;
  const until = plan.next ?? plan.bodyEnd;
  const closes = plan.next === undefined ? at(lineOf(until)).trim().startsWith('}') : startsLine(until);
  if (![plan.before, first].every(startsLine) || !closes || lineOf(until) <= lineOf(last)) return undefined;
  const from = withComments(lineOf(plan.before));
  const movedFrom = withComments(lineOf(first));
  let movedTo = (plan.next === undefined ? lineOf(until) : withComments(lineOf(until))) - 1;
  while (movedTo > lineOf(last) && isBlank(movedTo)) movedTo--;
  if (movedFrom <= from) return undefined;

  const edits = new Map<number, { col: number; from: string; to: string }[]>();
  const edit = (p: Pos, from: string, to: string) => edits.set(lineOf(p), [...(edits.get(lineOf(p)) ?? []), { col: colOf(p), from, to }]);
  if (plan.declareAfter !== undefined) edit(plan.declareAfter, '=', ':=');
  for (const p of plan.undeclareAfter ?? []) edit(p, ':=', '=');
  const text = (line: number): string | undefined => {
    let s = at(line);
    // Right to left, so earlier columns stay valid.
    for (const e of [...(edits.get(line) ?? [])].sort((a, b) => b.col - a.col)) {
      const rest = s.slice(e.col - 1);
      const op = /^\s*/.exec(rest)![0].length;
      if (!rest.slice(op).startsWith(e.from) || rest.slice(op).startsWith(`${e.from}=`)) return undefined;
      s = s.slice(0, e.col - 1) + rest.slice(0, op) + e.to + rest.slice(op + e.from.length);
    }
    return s;
  };
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => text(a + i));
  const moved = range(movedFrom, movedTo);
  const middle = range(from, movedFrom - 1);
  // A blank line that set the moved statements apart now sets apart what follows them, unless one is there.
  while (middle.length && middle[middle.length - 1]?.trim() === '' && (isBlank(movedTo + 1) || at(movedTo + 1).trim() === '}')) middle.pop();
  const out = [...moved, '', ...middle];
  if (out.some((l) => l === undefined)) return undefined;
  return {
    description: `Close first what sends, then what it sends on: move ${plan.movedCall} (line ${lineOf(first)}) up to line ${lineOf(plan.before)}, before ${plan.beforeCall} and what prepares it.`,
    path: plan.path,
    sha256: source.sha256,
    startLine: from,
    endLine: movedTo,
    text: `${out.join('\n')}\n`,
  };
}
