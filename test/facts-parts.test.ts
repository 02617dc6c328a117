import { beforeAll, describe, expect, it } from 'vitest';
import { SyncFacts } from '../dist/src/facts/engine.js';
import { FRESH, MADE } from '../dist/src/facts/identity/roots.js';
import { lineOf, type Expr } from '../dist/src/ir.js';
import type { CallGraph, FuncNode, SiteInfo } from '../dist/src/resolve/callgraph.js';
import { analyzeSnippet, type Snippet } from './snippet.js';

// The engine's identity and conditions parts, asked directly on small snippets: what an expression
// denotes and what a branch establishes, without going through a rule's finding.

const PKG = 'gohazard.test/parts/p';

const SRC = `package p

import (
	"sync"
	"sync/atomic"
)

type W struct {
	out chan int
}

type S struct {
	w      *W
	ws     []*W
	ch     chan int
	done   chan struct{}
	closed atomic.Bool
	state  int32
	flag   bool
	mu     sync.Mutex
}

func newW(c chan int) *W { return &W{out: c} }

func (s *S) roots(p *W) {
	a := s.w
	b := &W{}
	c := s.ws[0]
	close(a.out) //@alias
	close(p.out) //@param
	close(b.out) //@made
	close(c.out) //@element
	ch := make(chan int)
	w := newW(ch)
	close(w.out) //@constructed
	close(ch)    //@local
	close(s.ch)  //@field
	go func() {
		close(ch) //@captured
	}()
}

func (s *S) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *S) stopped() bool { return s.flag }

func (s *S) conds(force bool) {
	if s.ch != nil {
		close(s.ch) //@nilcheck
	}
	if s.isClosed() {
		return
	}
	close(s.done) //@probe
	if s.stopped() {
		close(s.ch) //@predicate
	}
	if atomic.LoadInt32(&s.state) == 1 {
		close(s.ch) //@load
	}
	if s.closed.CompareAndSwap(false, true) {
		close(s.ch) //@cas
	}
	if force && !s.flag {
		close(s.ch) //@and
	}
}

func (s *S) once() {
	if !s.flag {
		s.flag = true
		close(s.ch) //@once
	}
	if s.ch == nil {
		close(s.done) //@notonce
	}
}

func (s *S) stop(force bool) {
	if force {
		close(s.ch) //@callee
	}
}

func (s *S) caller() {
	s.stop(false) //@off
	s.stop(true)  //@on
}
`;

let graph: CallGraph;
let facts: SyncFacts;
let marks: ReadonlyMap<string, number>;
let fn: Snippet['fn'];

beforeAll(async () => {
  ({ graph, marks, fn } = await analyzeSnippet('gohazard.test/parts', SRC));
  facts = new SyncFacts(graph);
});

/** The call on the line marked `mark`, in `node`. */
function site(node: FuncNode, mark: string): SiteInfo {
  const line = marks.get(mark);
  const s = graph.sites(node).find((x) => lineOf(x.call.pos) === line);
  if (!s) throw new Error(`no call at @${mark}`);
  return s;
}

/** The channel a `close(...)` on the marked line closes. */
function closed(node: FuncNode, mark: string): Expr {
  return site(node, mark).call.args[0]!;
}

describe('identity: which object an expression denotes', () => {
  const roots = () => fn('(*S).roots');

  it('names a field by its type, whatever path reaches it', () => {
    const f = roots();
    expect(facts.ids.idOf(f, closed(f, 'alias'))).toBe(`field:${PKG}.W.out`);
    expect(facts.ids.idOf(f, closed(f, 'param'))).toBe(`field:${PKG}.W.out`);
    expect(facts.ids.idOf(f, closed(f, 'field'))).toBe(`field:${PKG}.S.ch`);
  });

  it('roots an access path at the receiver or a parameter, through locals that only alias them', () => {
    const f = roots();
    expect(facts.ids.rootIn(f, closed(f, 'alias'))).toBe('@recv.w.out');
    expect(facts.ids.rootIn(f, closed(f, 'param'))).toBe('@0.out');
    expect(facts.ids.rootIn(f, closed(f, 'field'))).toBe('@recv.ch');
  });

  it('keeps an object made here as its own instance, and an element of a slice as unknown', () => {
    const f = roots();
    expect(facts.ids.rootIn(f, closed(f, 'made'))).toBe('b.out');
    expect(facts.ids.rootIn(f, closed(f, 'element'))).toBe(FRESH);
  });

  it('sees through a constructor that stores its parameter in a field', () => {
    const f = roots();
    const local = facts.ids.idOf(f, closed(f, 'local'));
    expect(local).toBe(`local:${f.id}:ch`);
    expect(facts.ids.fieldAlias(f, facts.ids.rootIn(f, closed(f, 'constructed')))).toEqual([local, 'ch']);
  });

  it('names a captured local from the literal, and lifts it back to its own name in the declaring function', () => {
    const f = roots();
    const lit = graph.funcs.find((n) => n.id.startsWith(`${f.id}.func`))!;
    const ch = closed(lit, 'captured');
    expect(facts.ids.idOf(lit, ch)).toBe(`local:${f.id}:ch`);
    const root = facts.ids.rootIn(lit, ch)!;
    expect(root.startsWith('^')).toBe(true);
    const go = graph.sites(f).find((s) => s.mode === 'go')!;
    expect(facts.ids.liftRoot(f, lit, root, go.call, undefined)).toBe('ch');
  });

  it('maps a callee parameter to the argument, and a callee-made object to MADE', () => {
    const f = fn('(*S).caller');
    const stop = fn('(*S).stop');
    const call = site(f, 'off').call;
    expect(facts.ids.mapId('param:-1', f, stop, call)).toBe('param:-1');
    expect(facts.ids.liftRoot(f, stop, '@recv.ch', call, facts.dispatch.receiverFor(call, stop))).toBe('@recv.ch');
    expect(facts.ids.liftRoot(f, stop, MADE, call, undefined)).toBe(MADE);
  });
});

describe('conditions: what holds on a path', () => {
  const conds = (name: string, mark: string) => {
    const f = fn(name);
    return [...facts.conds.enclosingConds(f, site(f, mark).call)].sort();
  };

  it('reads nil checks, flags and their negations, and only the sure half of `&&`', () => {
    expect(conds('(*S).conds', 'nilcheck')).toEqual(['!nil:@recv.ch']);
    expect(conds('(*S).conds', 'and')).toEqual(['!bool:@recv.flag', '!closed:@recv.done', 'bool:@0']);
  });

  it('reads a select probe and a one-line predicate through, in the caller\u2019s names', () => {
    expect(conds('(*S).conds', 'probe')).toEqual(['!closed:@recv.done']);
    expect(conds('(*S).conds', 'predicate')).toEqual(['!closed:@recv.done', 'bool:@recv.flag']);
  });

  it('reads an atomic load as a condition on its variable, and a won compare-and-swap as exclusive', () => {
    expect(conds('(*S).conds', 'load')).toEqual(['!closed:@recv.done', 'cmp:@recv.state']);
    expect(conds('(*S).conds', 'cas')).toEqual(['!closed:@recv.done', 'cas:@recv.closed']);
  });

  it('knows an operation runs once when its condition reads state the function writes', () => {
    const f = fn('(*S).once');
    expect(facts.conds.runsOnce(f, facts.conds.enclosingConds(f, site(f, 'once').call))).toBe(true);
    expect(facts.conds.runsOnce(f, facts.conds.enclosingConds(f, site(f, 'notonce').call))).toBe(false);
  });

  it('maps a callee condition on a parameter to the constant argument, ruling a branch out or in', () => {
    const f = fn('(*S).caller');
    const stop = fn('(*S).stop');
    const inner = [...facts.conds.enclosingConds(stop, site(stop, 'callee').call)];
    expect(inner).toEqual(['bool:@0']);
    const off = site(f, 'off').call;
    const on = site(f, 'on').call;
    expect(facts.conds.mapConds(f, stop, inner, off, facts.dispatch.receiverFor(off, stop))).toBe(false);
    expect(facts.conds.mapConds(f, stop, inner, on, facts.dispatch.receiverFor(on, stop))).toEqual([]);
  });
});
