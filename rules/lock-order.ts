import { displayId, shortName } from '../src/facts/names.js';
import { typeLevel, type LockMode, type LockOrder } from '../src/facts/locks/types.js';
import { lineRef, opFlow, stepLocation } from '../src/facts/report.js';
import { joinAssumptions, type Assumption, type Location } from '../src/findings.js';
import { namedTypeName } from '../src/irutil.js';
import type { Rule, RuleContext } from '../src/rule.js';
import type { FuncNode } from '../src/resolve/callgraph.js';
import { splitRoot } from '../src/facts/identity/roots.js';
import { allStmts } from '../src/facts/calls.js';


/** A waiter blocks unless both sides only read. */
const conflicts = (held: LockMode, wanted: LockMode) => held === 'w' || wanted === 'w';

function where(e: LockOrder): Location {
  return stepLocation(e.taken.steps[0]!);
}

/**
 * Two methods of one type, each naming both mutexes from its receiver (`@recv.in`, `@recv.out`): then
 * different roots are different instances, and the two orders are not over the same pair.
 */
function sameReceiver(f: LockOrder, g: LockOrder): boolean {
  const recv = (e: LockOrder) => (e.fn.decl.recv ? namedTypeName(e.fn.decl.recv.type) : undefined);
  const rooted = (e: LockOrder) => e.held.root.startsWith('@recv') && e.taken.root.startsWith('@recv');
  return recv(f) !== undefined && recv(f) === recv(g) && f.fn.pkg === g.fn.pkg && rooted(f) && rooted(g);
}

function compare(a: Location, b: Location): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.col - b.col;
}

const head = (root: string) => splitRoot(root).head;

/**
 * One mutex of two objects a function is given, taken in the order of its parameters (`addPair(a, b)` locks
 * `a.mu`, then `b.mu`): two calls with the objects swapped deadlock. Not when the function also takes them
 * the other way round (it orders them itself, by an id or an address), nor when both are read locks.
 */
function reportSwappable(ctx: RuleContext, edges: readonly LockOrder[]): void {
  const done = new Set<FuncNode>();
  for (const e of edges) {
    if (done.has(e.fn) || !conflicts(e.held.mode, e.taken.mode)) continue;
    const [first, then] = [head(e.held.root), head(e.taken.root)];
    if (edges.some((g) => g.fn === e.fn && head(g.held.root) === then && head(g.taken.root) === first)) continue;
    if (madeForEveryCall(ctx, e.fn, [first, then]) || reassigned(e.fn, [first, then])) continue;
    done.add(e.fn);
    const name = displayId(e.held.id, e.held.display);
    const at = where(e);
    ctx.report({
      confidence: 'medium',
      message:
        `${shortName(e.fn)} locks ${e.held.display} (line ${stepLocation(e.held.steps[0]!).line}) and then ${e.taken.display}, the ${name} of ` +
        `two objects its callers give it: two calls with the objects swapped can each take one and wait for the other`,
      location: at,
      related: [{ location: stepLocation(e.held.steps[0]!), message: `${e.held.display} acquired` }],
      flows: [opFlow(`${e.held.display} acquired`, e.held), opFlow(`then ${e.taken.display}`, e.taken)],
      identity: [e.held.id, e.fn.id, 'swapped'],
      assumptions: [
        ...(e.held.assumed ?? []),
        ...(e.taken.assumed ?? []),
        { kind: 'same-instance', text: `two calls of \`${shortName(e.fn)}\` may run at once with the two objects swapped`, location: at },
      ],
      ...(e.fn.file.generated ? { generated: true } : {}),
    });
  }
}

/**
 * Whether every call of `fn` gives it, as one of the parameters `heads` names (`@recv`, `@0` ...), an object
 * made for that call (`a, b := newPair(); join(a, b)`): no other call can hold it, swapped or not.
 */
function madeForEveryCall(ctx: RuleContext, fn: FuncNode, heads: readonly string[]): boolean {
  const edges = ctx.graph.callers(fn);
  return (
    edges.length > 0 &&
    edges.every(({ caller, call }) =>
      heads.some((h) => {
        const at = ctx.facts.dispatch.calledAs(call);
        const arg = h === '@recv' ? (at.fn.k === 'sel' ? at.fn.x : undefined) : at.args[Number(h.slice(1))];
        return arg !== undefined && ctx.facts.ids.fresh.value(caller, arg);
      }),
    )
  );
}

/** Whether the function assigns to a parameter `heads` names: `if a.id > b.id { a, b = b, a }` orders them. */
function reassigned(fn: FuncNode, heads: readonly string[]): boolean {
  const { recv, params } = fn.decl;
  const names = new Set(heads.map((h) => (h === '@recv' ? recv?.name : params[Number(h.slice(1))]?.name)));
  return allStmts(fn.decl.body ?? []).some((st) => st.k === 'assign' && st.lhs.some((l) => l.k === 'id' && names.has(l.name)));
}

export const lockOrder: Rule = {
  meta: {
    id: 'lock-order',
    title: 'Two mutexes acquired in opposite orders',
    description:
      'One function acquires mutex B while holding mutex A (directly or down a chain of calls), and another function ' +
      'acquires A while holding B. Two goroutines running the two can each take their first mutex and wait forever ' +
      'for the other. Mutexes are compared by type and field (`Server.mu`, `Conn.mu`) or package variable, and ' +
      'read-only pairs (RLock under RLock on both sides) are left out. Also one mutex of two objects a function is ' +
      'given, taken in the order of its parameters: two calls with the objects swapped deadlock.',
    severity: 'warning',
    precision: 'low',
    tags: ['concurrency', 'locks', 'deadlock'],
    since: '0.2.0',
    // On the Debian corpus one of three findings was plausible: the others were kept apart by state or by a
    // lock their callers' callers hold, which a type-level order cannot see.
    optIn: true,
  },
  run(ctx) {
    // Per ordered pair of mutexes, every place that takes the second while holding the first.
    const byPair = new Map<string, LockOrder[]>();
    for (const e of ctx.locks.orders) {
      if (!typeLevel(e.held.id) || !typeLevel(e.taken.id)) continue;
      const key = `${e.held.id}\0${e.taken.id}`;
      const list = byPair.get(key);
      if (list) list.push(e);
      else byPair.set(key, [e]);
    }
    for (const [key, forward] of byPair) {
      const [a, b] = key.split('\0') as [string, string];
      if (a === b) {
        reportSwappable(ctx, forward);
        continue;
      }
      // Each pair once, from its side that sorts first.
      if (a > b) continue;
      const backward = byPair.get(`${b}\0${a}`);
      if (!backward) continue;
      const gates = (e: LockOrder) => new Set([...e.others, ...ctx.locks.heldOnEntry(e.fn)]);
      const inverts = (f: LockOrder, g: LockOrder) => {
        if (f.fn === g.fn || !conflicts(f.held.mode, g.taken.mode) || !conflicts(g.held.mode, f.taken.mode)) return false;
        if (sameReceiver(f, g) && (f.held.root !== g.taken.root || f.taken.root !== g.held.root)) return false;
        const gf = gates(f);
        return ![...gates(g)].some((id) => gf.has(id));
      };
      const pairs = forward.flatMap((f) => backward.filter((g) => inverts(f, g)).map((g) => [f, g] as const));
      if (pairs.length === 0) continue;
      // The first inversion by location stands for the pair: one finding per two mutexes.
      const oriented = pairs.map(([f, g]) => (compare(where(g), where(f)) < 0 ? [g, f] : [f, g]));
      oriented.sort((p, q) => compare(where(p[0]!), where(q[0]!)) || compare(where(p[1]!), where(q[1]!)));
      const [first, second] = oriented[0] as [LockOrder, LockOrder];
      const at = where(first);
      const other = where(second);
      const nameA = displayId(first.held.id, first.held.display);
      const nameB = displayId(first.taken.id, first.taken.display);
      const path = (e: LockOrder, held: string, taken: string) =>
        `${shortName(e.fn)} holds ${held} (line ${stepLocation(e.held.steps[0]!).line}) and takes ${taken}`;
      ctx.report({
        confidence: 'medium',
        message:
          `${nameA} and ${nameB} are acquired in opposite orders: ${path(first, nameA, nameB)}, while ${path(second, nameB, nameA)} at ` +
          `${lineRef(other, at)}: two goroutines running these can deadlock`,
        location: at,
        related: [
          { location: stepLocation(first.held.steps[0]!), message: `${nameA} acquired` },
          { location: other, message: `${nameA} acquired while ${nameB} is held` },
        ],
        flows: [
          opFlow(`${nameA} acquired`, first.held),
          opFlow(`then ${nameB}`, first.taken),
          opFlow(`${nameB} acquired`, second.held),
          opFlow(`then ${nameA}`, second.taken),
        ],
        identity: [first.held.id, first.taken.id, first.fn.id, second.fn.id],
        assumptions: [first.held, first.taken, second.held, second.taken].reduce<Assumption[]>((all, op) => joinAssumptions(all, op.assumed ?? []), []),
        ...(first.fn.file.generated ? { generated: true } : {}),
      });
    }
  },
};
