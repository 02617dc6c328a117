import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import { SyncFacts } from '../dist/src/facts/engine.js';
import type { CallExpr } from '../dist/src/facts/calls.js';
import type { CallGraph } from '../dist/src/resolve/callgraph.js';
import { tempTree } from './helpers.js';

// The no-return part asked directly: which calls never come back, how they end, and which calls
// we cannot see into a finding must assume return.

/** A chain this long overflows the JS stack if the inference recursed: it must run on the steps stack. */
const DEPTH = 3000;
const chain = Array.from({ length: DEPTH }, (_, i) => `func c${i}() { c${i + 1}() }`).join('\n');

const SRC = `package p

import (
	"os"
	"testing"
)

func fatal(t testing.TB)           { t.Fatal("x") }
func twoDeep(t testing.TB)         { fatal(t) }
func exitStack(msg string)         { println(msg); os.Exit(2) }
func either(t testing.TB, b bool) {
	if b {
		twoDeep(t)
	} else {
		exitStack("y")
	}
}
func sometimes(t testing.TB, b bool) {
	if b {
		t.Fatal("z")
	}
}
func spin()                        { for {} }
func spinUntil(b bool) {
	for {
		if b {
			break
		}
	}
}
func blocks()                      { select {} }
func panics()                      { panic("p") }
func recovers() {
	defer func() { _ = recover() }()
	panic("r")
}
func jumps(t testing.TB) {
	goto end
end:
	t.Fatal("g")
}
func r1()                          { r2() }
func r2()                          { r1() }

${chain}
func c${DEPTH}() { os.Exit(1) }

type Failer interface {
	Fail()
	FailNow()
}

func stop(f Failer)                { println(); f.FailNow() }

func calls(t testing.TB, f Failer) {
	fatal(t)
	twoDeep(t)
	exitStack("m")
	either(t, true)
	sometimes(t, true)
	spin()
	spinUntil(true)
	blocks()
	panics()
	recovers()
	jumps(t)
	r1()
	c0()
	t.FailNow()
	f.FailNow()
	f.Fail()
	stop(f)
}
`;

let graph: CallGraph;
let facts: SyncFacts;
const callOf = new Map<string, CallExpr>();

beforeAll(async () => {
  const dir = tempTree({ 'go.mod': 'module gohazard.test/nr\n\ngo 1.22\n', 'p/p.go': SRC });
  const result = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules: [] });
  graph = result.graph;
  facts = new SyncFacts(graph);
  const caller = graph.byId.get('gohazard.test/nr/p.calls')!;
  for (const { call } of graph.sites(caller)) {
    const fn = call.fn;
    const name = fn.k === 'id' ? fn.name : fn.k === 'sel' && fn.x.k === 'id' ? `${fn.x.name}.${fn.name}` : '?';
    callOf.set(name, call);
  }
});

describe('no-return part', () => {
  const ending = (name: string) => facts.noReturn.endingOf(callOf.get(name)!);

  it('infers helpers that end the goroutine or the program on every path, through calls', () => {
    expect(ending('fatal')).toBe('goroutine');
    expect(ending('twoDeep')).toBe('goroutine');
    expect(ending('exitStack')).toBe('program');
    expect(ending('t.FailNow')).toBe('goroutine');
    // One side ends the goroutine, the other the program: a caller may rely only on the goroutine ending.
    expect(ending('either')).toBe('goroutine');
    expect(ending('panics')).toBe('panic');
    expect(ending('spin')).toBe('forever');
    expect(ending('blocks')).toBe('forever');
  });

  it('leaves a function returning when one path may: a branch, a break, a recover, a goto, a recursion', () => {
    for (const name of ['sometimes', 'spinUntil', 'recovers', 'jumps', 'r1']) expect(ending(name), name).toBeUndefined();
  });

  it(`infers down a chain of ${DEPTH} calls without recursing on the JS stack`, () => {
    expect(ending('c0')).toBe('program');
  });

  it('names the assumption for an unseen call whose name says it may not return, and only for it', () => {
    const caller = graph.byId.get('gohazard.test/nr/p.calls')!;
    expect(facts.noReturn.assumedReturn(caller, callOf.get('f.FailNow')!)?.text).toBe('`f.FailNow()` returns');
    expect(facts.noReturn.assumedReturn(caller, callOf.get('f.Fail')!)).toBeUndefined();
    // A helper of ours that ends in one on every path: it returns only if that does.
    expect(ending('stop')).toBeUndefined();
    expect(facts.noReturn.assumedReturn(caller, callOf.get('stop')!)?.text).toBe('`stop()` returns');
    expect(facts.noReturn.assumedReturn(caller, callOf.get('sometimes')!)).toBeUndefined();
    // Known never to return: nothing to assume.
    expect(facts.noReturn.assumedReturn(caller, callOf.get('t.FailNow')!)).toBeUndefined();
  });
});
