import { shortName } from '../src/facts/chanfacts.js';
import { allStmts, callsInStmt, type CallExpr } from '../src/facts/calls.js';
import { colOf, lineOf, type Stmt } from '../src/ir.js';
import { exprKey } from '../src/irutil.js';
import type { CallInfo } from '../src/resolve/callgraph.js';
import type { Rule } from '../src/rule.js';

function isCondWait(info: CallInfo): boolean {
  const name = info.kind === 'external' ? info.name : info.kind === 'resolved' && info.targets.length === 1 ? info.targets[0]!.callee.id : '';
  return name === 'sync.(*Cond).Wait';
}

/** The statements inside some loop of a body (a `for` of any form). */
function inLoops(body: Stmt[]): Set<Stmt> {
  const out = new Set<Stmt>();
  for (const st of allStmts(body)) if (st.k === 'for') for (const inner of allStmts(st.body)) out.add(inner);
  return out;
}

export const condMisuse: Rule = {
  meta: {
    id: 'cond-misuse',
    title: 'sync.Cond.Wait not in a loop',
    description:
      'A call of sync.Cond.Wait that is not inside a for loop re-checking the condition. Wait returns after any ' +
      'Signal or Broadcast, and another goroutine may change the state between the wake-up and re-locking: the ' +
      'code after a single Wait cannot assume the condition it waited for holds. Test files are left out.',
    severity: 'warning',
    precision: 'high',
    tags: ['concurrency', 'locks', 'cond'],
    since: '0.2.0',
    // Measured on one finding outside tests (Debian corpus): not enough to run unasked.
    optIn: true,
  },
  run(ctx) {
    for (const fn of ctx.graph.funcs) {
      const body = fn.decl.body;
      // A test waits once for the one Signal it sends itself.
      if (!body || fn.file.path.endsWith('_test.go')) continue;
      const waits = ctx.graph.sites(fn).filter((s) => isCondWait(s.info));
      if (waits.length === 0) continue;
      const stmts = [...allStmts(body)];
      // A goto can make a loop out of any statement.
      if (stmts.some((st) => st.k === 'branch' && st.kind === 'goto')) continue;
      const looped = inLoops(body);
      const wanted = new Set<CallExpr>(waits.map((s) => s.call));
      for (const st of stmts) {
        if (looped.has(st)) continue;
        for (const call of callsInStmt(st)) {
          if (!wanted.has(call)) continue;
          const location = { path: fn.file.path, line: lineOf(call.pos), col: colOf(call.pos) };
          const cond = (call.fn.k === 'sel' ? exprKey(call.fn.x) : undefined) ?? 'c';
          ctx.report({
            confidence: 'medium',
            message: `${shortName(fn)} calls Wait once, not in a loop: when Wait returns, the condition it waited for may no longer hold (another goroutine can run between the Signal and the re-lock); wait in \`for !condition { ${cond}.Wait() }\``,
            location,
            related: [],
            flows: [],
            identity: [fn.id, cond],
            ...(fn.file.generated ? { generated: true } : {}),
          });
        }
      }
    }
  },
};
