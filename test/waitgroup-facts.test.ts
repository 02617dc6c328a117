import { beforeAll, describe, expect, it } from 'vitest';
import { literalsOf, type CallExpr } from '../dist/src/facts/calls.js';
import { WaitGroupFacts } from '../dist/src/facts/waitgroups/facts.js';
import { bodyOps, mapKey, type WgOp } from '../dist/src/facts/waitgroups/ops.js';
import { lineOf } from '../dist/src/ir.js';
import type { CallGraph } from '../dist/src/resolve/callgraph.js';
import { analyzeSnippet, type Snippet } from './snippet.js';

// The WaitGroup facts asked directly on a small snippet: which operations a function performs, where
// they sit (loop, unconditional or not), how a callee's WaitGroup reads in its caller, and the misuses.

const SRC = `package p

import "sync"

func work() {}

func places(items []int) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1) //@addInLoop
		go func(n int) {
			defer wg.Done() //@deferredDone
			_ = n
		}(it)
		if it > 3 {
			wg.Wait() //@condWait
		}
		select {
		default:
			wg.Wait() //@caseWait
		}
	}
	wg.Wait() //@topWait
}

func helper(wg *sync.WaitGroup) {
	wg.Done() //@paramDone
}

func caller() {
	var wg sync.WaitGroup
	wg.Add(1)
	go helper(&wg) //@passed
	wg.Wait()
}

func lateAdd() {
	var wg sync.WaitGroup
	go func() {
		wg.Add(1) //@late
		defer wg.Done()
		work()
	}()
	wg.Wait() //@lateWait
}

func serial(items []int) {
	var wg sync.WaitGroup
	for range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
		wg.Wait() //@serial
	}
}

func lookup(n int) error { return nil }

func skipped(items []int) {
	wg := sync.WaitGroup{}
	for _, it := range items {
		wg.Add(1) //@skippedAdd
		if err := lookup(it); err != nil {
			continue //@skip
		}
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait() //@skippedWait
}

func skipCounted(items []int) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		if err := lookup(it); err != nil {
			wg.Done()
			continue
		}
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
}

func missing() {
	var wg sync.WaitGroup
	wg.Add(1) //@missingAdd
	go work()
	wg.Wait() //@missingWait
}
`;

let graph: CallGraph;
let marks: ReadonlyMap<string, number>;
let fn: Snippet['fn'];

beforeAll(async () => {
  ({ graph, marks, fn } = await analyzeSnippet('gohazard.test/wg', SRC));
});

/** The operation on the line marked `mark`. */
function opAt(ops: readonly WgOp[], mark: string): WgOp {
  const op = ops.find((o) => lineOf(o.pos) === marks.get(mark));
  if (!op) throw new Error(`no WaitGroup operation at @${mark}`);
  return op;
}

const line = (mark: string) => marks.get(mark);

describe('WaitGroup operations: which WaitGroup, which method, where', () => {
  it('places each operation in its innermost loop, unconditional or under a branch', () => {
    const f = fn('places');
    const { ops, goes } = bodyOps(graph, f);
    expect(ops.map((o) => o.method)).toEqual(['Add', 'Wait', 'Wait', 'Wait']);
    const add = opAt(ops, 'addInLoop');
    expect(add.loop?.k).toBe('for');
    expect([add.direct, add.decided, add.positive]).toEqual([true, false, true]);
    const cond = opAt(ops, 'condWait');
    expect([cond.loop, cond.direct, cond.decided]).toEqual([add.loop, false, true]);
    // A select's case is not a condition on data, but it is not every pass either.
    const inCase = opAt(ops, 'caseWait');
    expect([inCase.loop, inCase.direct, inCase.decided]).toEqual([add.loop, false, false]);
    const top = opAt(ops, 'topWait');
    expect([top.loop, top.direct]).toEqual([undefined, true]);
    expect(goes).toHaveLength(1);
    expect(goes[0]!.loop).toBe(add.loop);
  });

  it('names a captured WaitGroup in a literal as its declaring function does, and a deferred Done as deferred', () => {
    const f = fn('places');
    const [lit] = [...literalsOf(f, graph).values()];
    const done = opAt(bodyOps(graph, lit!).ops, 'deferredDone');
    expect([done.method, done.deferred, done.display]).toEqual(['Done', true, 'wg']);
    expect(done.key).toBe(opAt(bodyOps(graph, f).ops, 'addInLoop').key);
    expect(done.key).toBe(`L:${f.id}:wg`);
  });

  it('maps a parameter WaitGroup to the argument the caller passes, and keeps a callee local to itself', () => {
    const h = fn('helper');
    const c = fn('caller');
    const done = opAt(bodyOps(graph, h).ops, 'paramDone');
    expect(done.key).toBe(`P:${h.id}:0`);
    const go = bodyOps(graph, c).goes.find((g) => lineOf(g.stmt.pos) === line('passed'))!;
    expect(go.callee).toBe(h);
    expect(mapKey(graph, done.key, h, go.stmt.call as CallExpr, c)).toBe(`L:${c.id}:wg`);
    expect(mapKey(graph, `L:${h.id}:x`, h, go.stmt.call as CallExpr, c)).toBeUndefined();
  });
});

describe('WaitGroup facts: the misuses read from the operations', () => {
  let wgs: WaitGroupFacts;
  beforeAll(() => {
    wgs = new WaitGroupFacts(graph);
  });

  it('finds an Add inside the goroutine it counts, raced by the Wait after the go statement', () => {
    expect(wgs.lateAdds.map((l) => [l.fn.id, lineOf(l.add.pos), lineOf(l.wait.op.pos)])).toEqual([[fn('lateAdd').id, line('late'), line('lateWait')]]);
  });

  it('finds a Wait on every pass of the loop that starts the goroutines, not one under a condition or a case', () => {
    expect(wgs.serialWaits.map((s) => [s.fn.id, lineOf(s.wait.pos)])).toEqual([[fn('serial').id, line('serial')]]);
  });

  it('finds an Add whose goroutine a continue skips (a WaitGroup declared by :=), not one the skip counts down', () => {
    expect(wgs.skippedDones.map((m) => [m.fn.id, lineOf(m.add.pos), lineOf(m.skip.pos), lineOf(m.wait.pos)])).toEqual([
      [fn('skipped').id, line('skippedAdd'), line('skip'), line('skippedWait')],
    ]);
  });

  it('finds a local WaitGroup counted up and never counted down', () => {
    expect(wgs.missingDones.map((m) => [m.fn.id, lineOf(m.add.pos), lineOf(m.wait.pos)])).toEqual([[fn('missing').id, line('missingAdd'), line('missingWait')]]);
    expect(wgs.writesAfterDone).toEqual([]);
  });
});
