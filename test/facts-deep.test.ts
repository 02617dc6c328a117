import { describe, expect, it } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import { SyncFacts } from '../dist/src/facts/engine.js';
import type { FuncNode } from '../dist/src/resolve/callgraph.js';
import { tempTree } from './helpers.js';

// Facts that follow call chains (a wrapper of a wrapper of a wait, a field re-pointed some calls down)
// once recursed a JS frame or more per call: a chain of ~900 calls or a 1,000-function recursion
// cycle overflowed the stack, and the package was left out. They now run on an explicit stack.

const N = 1000;

/** Methods f0..f<N-1> of S, each calling the one below, declared top first so the deepest is met last. */
function chain(bottom: string, top: string, cycle = false): string {
  const funcs: string[] = [];
  for (let i = N - 1; i >= 1; i--) funcs.push(`func (s *S) f${i}() {\n\ts.f${i - 1}()\n}\n`);
  funcs.push(`func (s *S) f0() {\n${bottom}${cycle ? `\n\ts.f${N - 1}()` : ''}\n}\n`);
  return `package p

import "sync"

type C struct{}

func open() *C { return &C{} }

type S struct {
	wg sync.WaitGroup
	ch chan int
	c  *C
}

${top}

${funcs.join('\n')}`;
}

async function factsOf(src: string): Promise<{ facts: SyncFacts; fn: (name: string) => FuncNode }> {
  const dir = tempTree({ 'go.mod': 'module deep\n\ngo 1.22\n', 'p/p.go': src });
  const result = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules: [] });
  expect(result.diagnostics).toEqual([]);
  const fn = (name: string) => result.graph.byId.get(`deep/p.(*S).${name}`)!;
  return { facts: new SyncFacts(result.graph), fn };
}

describe('facts over deep call chains', () => {
  it(`sees a wait ${N} wrappers down`, async () => {
    const { facts, fn } = await factsOf(chain('\ts.wg.Wait()', `func (s *S) top() {\n\ts.f${N - 1}()\n}`));
    const top = fn('top');
    const call = facts.graph.sites(top)[0]!.call;
    expect(facts.dispatch.waits(top, call)).toBe(true);
  });

  it(`survives a recursion cycle of ${N} wrappers`, async () => {
    const { facts, fn } = await factsOf(chain('\ts.wg.Wait()', `func (s *S) top() {\n\ts.f${N - 1}()\n}`, true));
    const top = fn('top');
    expect(facts.dispatch.waits(top, facts.graph.sites(top)[0]!.call)).toBe(true);
  });

  it(`sees a field re-pointed ${N} calls down`, async () => {
    const top = `func (s *S) top() {\n\tclose(s.ch)\n\ts.f${N - 1}()\n\ts.ch <- 1\n}`;
    const { facts, fn } = await factsOf(chain('\ts.c = open()', top));
    const node = fn('top');
    const call = facts.graph.sites(node).find((s) => s.call.fn.k === 'sel')!.call;
    expect(facts.channels.repointedBy(node, call)).toEqual(['@recv.c']);
  });
});
