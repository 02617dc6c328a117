import type { Pos, Stmt } from '../src/ir.js';
import { walkFunction, type FlowDomain } from '../src/flow/walk.js';
import { assignedKeys, builtinArg, exprKey, forEachFunc, keyWithin, posKey } from '../src/irutil.js';
import { qualifiedName } from '../src/program.js';
import type { Rule } from '../src/rule.js';

/** Channels that may be closed at a point, with where, and the `defer close(...)` still pending. */
interface State {
  closed: ReadonlyMap<string, Pos>;
  deferred: ReadonlyMap<string, Pos>;
}

const domain: FlowDomain<State> = {
  join: (a, b) => ({ closed: union(a.closed, b.closed), deferred: union(a.deferred, b.deferred) }),
  equal: (a, b) => sameKeys(a.closed, b.closed) && sameKeys(a.deferred, b.deferred),
};

function union(a: ReadonlyMap<string, Pos>, b: ReadonlyMap<string, Pos>): ReadonlyMap<string, Pos> {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

function sameKeys(a: ReadonlyMap<string, Pos>, b: ReadonlyMap<string, Pos>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function without(m: ReadonlyMap<string, Pos>, keys: string[]): ReadonlyMap<string, Pos> {
  if (keys.length === 0 || m.size === 0) return m;
  let out: Map<string, Pos> | undefined;
  for (const k of m.keys()) {
    if (keys.some((prefix) => keyWithin(k, prefix))) {
      out ??= new Map(m);
      out.delete(k);
    }
  }
  return out ?? m;
}

function withKey(m: ReadonlyMap<string, Pos>, key: string, pos: Pos): ReadonlyMap<string, Pos> {
  if (m.has(key)) return m;
  return new Map(m).set(key, pos);
}

export const doubleClose: Rule = {
  meta: {
    id: 'double-close',
    title: 'Channel closed twice on one path',
    description:
      'A channel is closed twice on some path through one function: two close calls in sequence, a close inside a loop, ' +
      'or a close followed by a deferred close of the same channel. The second close panics with "close of closed channel".',
    severity: 'error',
    precision: 'high',
    tags: ['concurrency', 'channels', 'panic'],
    since: '0.1.0',
  },
  run(ctx) {
    forEachFunc(ctx.program, (pkg, file, fn) => {
      if (!fn.body) return;
      const reported = new Set<string>();
      const report = (at: Pos, key: string, first: Pos, message: string, kind: string) => {
        if (reported.has(posKey(at))) return;
        reported.add(posKey(at));
        const name = qualifiedName(pkg, file, fn);
        ctx.report({
          confidence: 'high',
          message,
          location: { path: file.path, line: at.line, col: at.col },
          related: [{ location: { path: file.path, line: first.line, col: first.col }, message: `first close of ${key}` }],
          flows: [],
          identity: [name, key, kind],
          ...(file.generated ? { generated: true } : {}),
        });
      };

      const close = (at: Pos, key: string, s: State): State => {
        const first = s.closed.get(key);
        if (first) {
          const again = posKey(first) === posKey(at);
          report(
            at,
            key,
            first,
            again
              ? `${key} is closed again on the next iteration of the enclosing loop: close of closed channel panics`
              : `${key} may already be closed (line ${first.line}): close of closed channel panics`,
            again ? 'loop' : 'sequence',
          );
        }
        return { ...s, closed: withKey(s.closed, key, at) };
      };

      const simple = (st: Stmt, s: State): State => {
        if (st.k === 'expr') {
          const arg = builtinArg(st.x, 'close');
          const key = arg && exprKey(arg);
          if (key !== undefined) return close(st.pos, key, s);
        } else if (st.k === 'defer') {
          const arg = builtinArg(st.call, 'close');
          const key = arg && exprKey(arg);
          if (key !== undefined) {
            const earlier = s.deferred.get(key);
            if (earlier && posKey(earlier) !== posKey(st.pos)) {
              report(st.pos, key, earlier, `${key} is closed by two deferred calls: close of closed channel panics`, 'defer-defer');
            }
            return { ...s, deferred: withKey(s.deferred, key, st.pos) };
          }
        }
        const killed = assignedKeys(st);
        return killed.length ? { closed: without(s.closed, killed), deferred: s.deferred } : s;
      };

      const { exits } = walkFunction<State>(fn.body, { closed: new Map(), deferred: new Map() }, domain, {
        simple,
        expr: (_e, s) => s,
        rangeBind: (st, s) => ({ closed: without(s.closed, assignedKeys(st)), deferred: s.deferred }),
      });
      for (const exit of exits) {
        for (const [key, deferPos] of exit.deferred) {
          const first = exit.closed.get(key);
          if (first) {
            report(deferPos, key, first, `deferred close of ${key} runs after it may already be closed (line ${first.line}): close of closed channel panics`, 'close-defer');
          }
        }
      }
    });
  },
};
