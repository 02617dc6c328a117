/**
 * Broken close conventions: "does a close skip the flag that another close of the same channel relies on?" A
 * type whose teardown closes a channel field once, behind a flag it tests and sets (`if s.closed { return };
 * s.closed = true; close(s.ch)`), is safe only if every other close of that field sets the flag too. A
 * constructor-like function that closes the field of the object it makes and hands out (a subscription made on a
 * stopped hub, returned already closed) without setting the flag leaves the teardown free to close it again.
 */
import type { Stmt } from '../../ir.js';
import { namedTypeName } from '../../irutil.js';
import type { FuncNode } from '../../resolve/callgraph.js';
import { allStmts } from '../calls.js';
import type { OpFact } from '../effects/types.js';
import type { SyncFacts } from '../engine.js';
import type { ChanId } from '../identity/ids.js';
import { fieldStores } from '../identity/stores.js';
import { perProgram } from '../perprogram.js';
import { isTestCode } from '../program/testcode.js';

export interface FlagSkip {
  /** The function that closes the channel of the object it returns, leaving the flag unset. */
  fn: FuncNode;
  id: ChanId;
  close: OpFact;
  /** The flag field the guarded close tests and sets (`field:<pkg>.<Type>.closed`). */
  flag: ChanId;
  /** An exported method of the type that reaches the guarded close (`Unsubscribe`), and that close as it reaches it. */
  teardown: FuncNode;
  guarded: OpFact;
}

export const flagSkips = perProgram(find);

function find(facts: SyncFacts): FlagSkip[] {
  const { graph } = facts;
  const direct: { fn: FuncNode; id: ChanId; op: OpFact }[] = [];
  for (const fn of graph.funcs) {
    if (isTestCode(fn)) continue;
    for (const [id, op] of facts.channels.of(fn).closes) if (id.startsWith('field:') && op.steps.length === 1) direct.push({ fn, id, op });
  }
  const flagsOf = (id: ChanId, op: OpFact) => (op.once && op.onces === undefined ? op.tests.filter((t) => op.sets.includes(t) && t !== id && ownerOf(t) === ownerOf(id)) : []);
  const out: FlagSkip[] = [];
  for (const g of direct) {
    for (const flag of flagsOf(g.id, g.op)) {
      const teardown = exportedReacher(facts, g.id, flag);
      if (!teardown) continue;
      for (const s of direct) {
        if (s.id !== g.id || s.fn === g.fn || s.op.once || s.op.tests.includes(flag) || s.op.sets.includes(flag)) continue;
        const local = s.op.root?.split('.')[0];
        if (!local || local.startsWith('@') || !returns(s.fn, local) || writesFlag(facts, s.fn, flag)) continue;
        if (!out.some((o) => o.fn === s.fn && o.id === s.id)) out.push({ fn: s.fn, id: s.id, close: s.op, flag, teardown: teardown.fn, guarded: teardown.op });
      }
    }
  }
  return out;
}

const ownerOf = (id: ChanId) => id.slice(0, id.lastIndexOf('.'));

/** An exported method of the channel's type whose close of it is kept to once by the flag, with that close. */
function exportedReacher(facts: SyncFacts, id: ChanId, flag: ChanId): { fn: FuncNode; op: OpFact } | undefined {
  const owner = ownerOf(id).slice('field:'.length);
  for (const fn of facts.graph.funcs) {
    if (!fn.decl.recv || !/^[A-Z]/.test(fn.decl.name) || `${fn.pkg.importPath}.${namedTypeName(fn.decl.recv.type)}` !== owner) continue;
    const op = facts.channels.of(fn).closes.get(id);
    if (op?.tests.includes(flag)) return { fn, op };
  }
  return undefined;
}

/** Some `return` of fn hands out the local itself. */
function returns(fn: FuncNode, local: string): boolean {
  return allStmts(fn.decl.body ?? []).some((st: Stmt) => st.k === 'return' && st.values.some((r) => r.k === 'id' && r.name === local));
}

/** fn stores into the flag field anywhere (before or after its close). */
function writesFlag(facts: SyncFacts, fn: FuncNode, flag: ChanId): boolean {
  const name = flag.slice(flag.lastIndexOf('.') + 1);
  const owner = ownerOf(flag).slice('field:'.length);
  return (fieldStores(facts.graph).stores.get(name) ?? []).some((s) => s.node === fn && (s.owner === undefined || s.owner === owner));
}
