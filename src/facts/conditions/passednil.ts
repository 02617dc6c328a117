/**
 * Parameters no caller passes nil: "can this `p == nil` hold?" — not when `p` is a parameter its function never
 * changes and every call of that function in the program passes a value certainly not nil (NeverNil.notNil: made
 * on the spot, a local never nil, a constructor's result). That decides the branch only when the program holds
 * every call: the function is hidden from other modules (unexported, or in package main) and never used as a
 * value. An exported one may be called from outside the repository with anything: there the branch stays, and
 * a finding that needs it names the assumption that such a caller passes nil.
 */
import type { Expr, Pos } from '../../ir.js';
import { nilCompared } from '../../irutil.js';
import type { Assumption } from '../../findings.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Dispatch } from '../dispatch.js';
import { decidingBranches } from '../evidence/branches.js';
import { argOf } from '../identity/roots.js';
import { shortName } from '../names.js';
import { valueUsesOf } from '../program/valueuses.js';
import { nodeLocation } from '../report.js';
import { hiddenFromOutside, unchangedParam } from './exhaustive.js';
import type { NeverNil } from './nevernil.js';

/** A nil check of a parameter every call in the program passes not nil: its value there, and whether outside callers may make it the other. */
interface Checked {
  value: boolean;
  open: boolean;
  param: string;
}

export class PassedNotNil {
  /** Per function and parameter index: every call passes not nil, and whether the function is open to outside callers. */
  private readonly passed = new Map<string, { open: boolean } | null>();

  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly neverNil: NeverNil,
  ) {}

  /** The value of such a check when no caller outside the program can exist. */
  decided(fn: FuncNode, cond: Expr): boolean | undefined {
    const c = this.check(fn, cond);
    return c && !c.open ? c.value : undefined;
  }

  /**
   * What the statement at `pos` of an exported `fn` assumes of outside callers: for each `if` around it (or
   * returning before it) whose side on the way needs a nil parameter every call in the program passes not nil,
   * that some caller outside the repository passes nil.
   */
  assumedAt(fn: FuncNode, pos: Pos): Assumption[] {
    const out: Assumption[] = [];
    for (const b of decidingBranches(fn.decl.body ?? [], pos) ?? []) {
      if (b.kind !== 'if' || b.taken === undefined) continue;
      const c = this.check(fn, b.conds[0]!);
      if (c?.open && c.value !== b.taken) {
        out.push({
          kind: 'undecided-branch',
          text: `a caller outside the repository passes a nil \`${c.param}\` to \`${shortName(fn)}\` (every call in it passes one that is not nil)`,
          location: nodeLocation(fn, b.pos),
        });
      }
    }
    return out;
  }

  /** Per condition: walks visit one once per pass of its loop and per walk. */
  private readonly checked = new WeakMap<Expr, Checked | undefined>();

  private check(fn: FuncNode, cond: Expr): Checked | undefined {
    if (this.checked.has(cond)) return this.checked.get(cond);
    const out = this.compute(fn, cond);
    this.checked.set(cond, out);
    return out;
  }

  private compute(fn: FuncNode, cond: Expr): Checked | undefined {
    const nil = nilCompared(cond);
    const index = nil && unchangedParam(this.graph, fn, nil.x);
    if (index === undefined || nil!.x.k !== 'id') return undefined;
    const key = `${fn.id}\0${index}`;
    let got = this.passed.get(key);
    if (got === undefined) this.passed.set(key, (got = this.passedNotNil(fn, index)));
    return got ? { value: nil!.op === '!=', open: got.open, param: nil!.x.name } : undefined;
  }

  private passedNotNil(fn: FuncNode, index: number): { open: boolean } | null {
    const callers = this.graph.callers(fn);
    if (callers.length === 0) return null;
    for (const { caller, call } of callers) {
      const arg = argOf(this.dispatch.calledAs(call), `@${index}`);
      if (!arg || !this.neverNil.notNil(caller, arg)) return null;
    }
    // Asked last: the program-wide scan behind it is costly.
    return valueUsesOf(this.graph).usedAsValue(fn) ? null : { open: !hiddenFromOutside(fn) };
  }
}
