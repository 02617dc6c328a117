import { allStmts, forEachExpr, PRECISE_HOWS, type CallExpr } from '../src/facts/calls.js';
import type { OpFact } from '../src/facts/effects/types.js';
import type { LockOp, Meet } from '../src/facts/locks/types.js';
import { inTestFile, isTestCode } from '../src/facts/program/testcode.js';
import { pairEvidence } from '../src/facts/evidence/assume.js';
import { shortName } from '../src/facts/names.js';
import { nameOf, nodeLocation, opFlow, opLocation, stepLocation, via } from '../src/facts/report.js';
import { exprText } from '../src/irtext.js';
import { builtinArg } from '../src/irutil.js';
import type { FuncNode } from '../src/resolve/callgraph.js';
import type { Rule, RuleContext } from '../src/rule.js';

/**
 * A heuristic, not a proof: nothing shows that anyone calls Close twice. Kept apart from
 * double-close (which reports only a second close that a path really reaches) and off by default.
 */
export const unguardedClose: Rule = {
  meta: {
    id: 'unguarded-close',
    title: 'Close method, or a stop through a registry, that panics when called twice',
    description:
      'An exported Close method closes a channel field of its receiver with nothing to stop a second call: no ' +
      'sync.Once, no closed flag or nil check, no compare-and-swap. io.Closer-style callers often close twice (a ' +
      'deferred Close plus an explicit one), and the second close panics. Also an exported function that looks an element ' +
      'up in a container by its parameter and calls such a closer on it without deleting the key: a second call with the ' +
      'same key closes again. And a close made under only the read lock of a mutex, in a function called from two places: ' +
      'callers holding a read lock run together, and both close. And a removal that deletes its parameter from a ' +
      'container and closes its channel without looking it up first: removing it twice closes twice. Off by default.',
    severity: 'warning',
    precision: 'low',
    tags: ['concurrency', 'channels', 'panic', 'heuristic'],
    since: '0.2.0',
    optIn: true,
  },
  run(ctx) {
    // A branch that reads what the closer itself writes (a CAS on a state word, a select on a channel it
    // waits for) is a guard against the second call, even where the engine cannot decide it.
    // Two callers that both hold a read lock run together: a check of state the first one changes later does
    // not stop the second, unless the two exclude each other outright (a won compare-and-swap).
    const unguarded = (id: string, op: OpFact, together = false) =>
      id.startsWith('field:') && !op.once && op.tests.length === 0 && !op.async && op.steps.length === 1 && !guardedAgainstSecond(ctx, op, together);
    for (const fn of ctx.graph.funcs) {
      if (fn.decl.name !== 'Close' || fn.decl.recv?.type.k !== 'ptr') continue;
      for (const [id, op] of ctx.facts.channels.of(fn).closes) {
        if (!unguarded(id, op)) continue;
        ctx.report({
          confidence: 'low',
          message: `${shortName(fn)} closes ${nameOf(id, op)} with nothing to stop a second call (no sync.Once, no closed flag or nil check): Close can be called more than once, and close of closed channel panics [low confidence]`,
          location: opLocation(op),
          related: [],
          flows: [opFlow(`${shortName(fn)} closes ${nameOf(id, op)}`, op)],
          identity: [fn.id, id, 'close-twice'],
          ...(fn.file.generated ? { generated: true } : {}),
        });
      }
    }
    for (const { meet, read, op, callers } of closesUnderReadLock(ctx)) {
      if (!unguarded(meet.id, op, true)) continue;
      ctx.report({
        confidence: 'medium',
        message:
          `${shortName(meet.fn)} closes ${nameOf(meet.id, op)} holding only the read lock ${read.display}, which any number of callers hold at once: ` +
          `it is called from ${callers} places, and two calls running together both close it: close of closed channel panics`,
        location: opLocation(op),
        related: [{ location: nodeLocation(meet.fn, read.steps[0]!.pos), message: `${read.display}.RLock(): shared with every other caller` }],
        flows: [opFlow(`${shortName(meet.fn)} closes ${nameOf(meet.id, op)} under ${read.display}.RLock()`, op)],
        identity: [meet.fn.id, meet.id, 'close-under-rlock'],
        ...(meet.fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, id, op, param, map } of removalCloses(ctx)) {
      ctx.report({
        confidence: 'medium',
        message:
          `${shortName(fn)} removes ${param} from ${map} and closes ${nameOf(id, op)}${via(op)} without checking that ${param} was still there: ` +
          `removing the same ${param} twice closes it again, and close of closed channel panics`,
        location: stepLocation(op.steps[0]!),
        related: op.steps.length > 1 ? [{ location: opLocation(op), message: `closes ${nameOf(id, op)}` }] : [],
        flows: [opFlow(`${shortName(fn)} closes ${nameOf(id, op)}`, op)],
        identity: [fn.id, id, 'remove-twice'],
        ...(fn.file.generated ? { generated: true } : {}),
      });
    }
    for (const { fn, call, callee, lookup } of registryCloses(ctx)) {
      for (const [id, op] of ctx.facts.channels.of(callee).closes) {
        if (!unguarded(id, op)) continue;
        const at = nodeLocation(fn, call.pos);
        ctx.report({
          confidence: 'medium',
          message:
            `${shortName(fn)} looks ${lookup.name} up in ${lookup.map} by ${lookup.key} and calls ${shortName(callee)}, which closes ${nameOf(id, op)} unguarded; ` +
            `${lookup.name} stays in ${lookup.map}, so a second call with the same ${lookup.key} closes it again: close of closed channel panics`,
          location: at,
          related: [{ location: opLocation(op), message: `${shortName(callee)} closes ${nameOf(id, op)}` }],
          flows: [{ message: `${shortName(fn)} reaches the close`, steps: [{ location: at, message: `calls ${shortName(callee)}` }, { location: opLocation(op), message: `closes ${nameOf(id, op)}` }] }],
          identity: [fn.id, callee.id, id, 'registry-close'],
          ...(fn.file.generated ? { generated: true } : {}),
        });
        break;
      }
    }
  },
};

/**
 * A close of a field's channel written under a read lock and no write lock of that mutex, in a function called from
 * two places or more outside tests: a read lock is taken so that callers may run together, and two of them closing
 * at once is exactly what it does not stop. Closing under the write lock, or the close being one of its
 * function's only caller, is silent.
 */
function closesUnderReadLock(ctx: RuleContext): { meet: Meet; read: LockOp; op: OpFact; callers: number }[] {
  const out: { meet: Meet; read: LockOp; op: OpFact; callers: number }[] = [];
  for (const meet of ctx.locks.meets) {
    if (meet.kind !== 'close' || !meet.id.startsWith('field:') || isTestCode(meet.fn)) continue;
    const read = meet.held.find((h) => h.mode === 'r' && !meet.held.some((w) => w.id === h.id && w.mode === 'w'));
    const op = ctx.facts.channels.of(meet.fn).closes.get(meet.id);
    if (!read || !op || op.steps.length !== 1 || op.steps[0]!.pos !== meet.pos) continue;
    const callers = new Set(ctx.graph.callers(meet.fn).filter((e) => !isTestCode(e.caller)).map((e) => e.call)).size;
    if (callers >= 2) out.push({ meet, read, op, callers });
  }
  return out;
}

/**
 * A function that deletes its parameter from a container (`delete(subs, sub)`) and closes a channel field of it,
 * with no look-up of the parameter in any container first (`if _, ok := subs[sub]; !ok { return }`) and no flag of
 * the element tested: it is a removal, and a second removal of the same element closes the channel again. A check
 * that only the container exists (`if subs == nil`) is no such look-up.
 */
function removalCloses(ctx: RuleContext): { fn: FuncNode; id: string; op: OpFact; param: string; map: string }[] {
  const out: { fn: FuncNode; id: string; op: OpFact; param: string; map: string }[] = [];
  for (const fn of ctx.graph.funcs) {
    const body = fn.decl.body;
    if (!body || isTestCode(fn)) continue;
    const params = fn.decl.params.map((p) => p.name);
    const deleted = new Map<string, string>();
    let lookedUp = false;
    forEachExpr(body, (e) => {
      const target = builtinArg(e, 'delete');
      const key = target && e.k === 'call' && e.args[1]?.k === 'id' ? e.args[1].name : undefined;
      if (target && key !== undefined && params.includes(key)) deleted.set(key, exprText(target));
      else if (e.k === 'index' && e.index.some((i) => i.k === 'id' && params.includes(i.name))) lookedUp = true;
    });
    if (deleted.size === 0 || lookedUp) continue;
    for (const [id, op] of ctx.facts.channels.of(fn).closes) {
      const head = op.root?.split('.')[0];
      const param = head?.startsWith('@') ? params[Number(head.slice(1))] : undefined;
      const map = param === undefined ? undefined : deleted.get(param);
      const owner = id.slice(0, id.lastIndexOf('.'));
      if (!map || !id.startsWith('field:') || op.onces || op.async || op.recovers || op.tests.some((t) => t.startsWith(`${owner}.`))) continue;
      out.push({ fn, id, op, param: param!, map });
    }
  }
  return out;
}

function guardedAgainstSecond(ctx: RuleContext, op: OpFact, together: boolean): boolean {
  const second = pairEvidence(ctx.facts, undefined, op, op, true);
  return second.exclusive || (!together && second.assumptions().length > 0);
}

interface Lookup {
  /** The local holding the element (`t`). */
  name: string;
  /** The container as written (`s.tasks`). */
  map: string;
  /** The parameter it is looked up by (`id`). */
  key: string;
}

/**
 * An exported function that looks an element up in a container field by one of its parameters (`t, ok :=
 * s.tasks[id]`) and calls a method on it, and never deletes that key (nor does the method): the element stays
 * where the next call with the same key finds it.
 */
function registryCloses(ctx: RuleContext): { fn: FuncNode; call: CallExpr; callee: FuncNode; lookup: Lookup }[] {
  const out: { fn: FuncNode; call: CallExpr; callee: FuncNode; lookup: Lookup }[] = [];
  for (const fn of ctx.graph.funcs) {
    const body = fn.decl.body;
    if (!body || !/^[A-Z]/.test(fn.decl.name) || inTestFile(fn)) continue;
    const params = new Set(fn.decl.params.flatMap((p) => (p.name ? [p.name] : [])));
    const lookups = new Map<string, Lookup>();
    for (const st of allStmts(body)) {
      if (st.k !== 'assign' || st.rhs.length !== 1) continue;
      const [lhs, rhs] = [st.lhs[0], st.rhs[0]!];
      if (lhs?.k !== 'id' || rhs.k !== 'index' || rhs.x.k !== 'sel' || rhs.index[0]?.k !== 'id' || !params.has(rhs.index[0].name)) continue;
      lookups.set(lhs.name, { name: lhs.name, map: exprText(rhs.x), key: rhs.index[0].name });
    }
    if (lookups.size === 0) continue;
    for (const site of ctx.graph.sites(fn)) {
      const recv = site.mode === 'call' && site.call.fn.k === 'sel' && site.call.fn.x.k === 'id' ? lookups.get(site.call.fn.x.name) : undefined;
      if (!recv || site.info.kind !== 'resolved') continue;
      for (const t of site.info.targets) {
        if (!PRECISE_HOWS.has(t.how) || deletes(fn, recv.map) || deletes(t.callee, undefined)) continue;
        out.push({ fn, call: site.call, callee: t.callee, lookup: recv });
      }
    }
  }
  return out;
}

/** Whether fn deletes from the container (any container, when undefined: a method removing itself from its registry). */
function deletes(fn: FuncNode, map: string | undefined): boolean {
  let found = false;
  forEachExpr(fn.decl.body ?? [], (e) => {
    const target = builtinArg(e, 'delete');
    if (target && (map === undefined || exprText(target) === map)) found = true;
  });
  return found;
}
