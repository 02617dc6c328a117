import { beforeAll, describe, expect, it } from 'vitest';
import { SyncFacts } from '../dist/src/facts/engine.js';
import { Confinement } from '../dist/src/facts/identity/escape.js';
import { analyzeSnippet, type Snippet } from './snippet.js';

// The confinement check (src/facts/identity/escape.ts) asked directly: which locals made in a function stay
// there, and which uses let them out.

const SRC = `package p

import (
	"fmt"
	"sync"
)

type T struct {
	mu   sync.Mutex
	name string
	next *T
}

func (t *T) Name() string { return t.name }

var shared *T

func keep(t *T) {}

func newT() *T { return &T{} }

func confined() {
	a := &T{name: "a"}
	a.name = "b"
	a.mu.Lock()
	_ = fmt.Sprint(a.name)
	if a != nil {
		a.mu.Unlock()
	}
	b := newT()
	b.mu.Lock()
	var c T
	c.mu.Lock()
	go func() {
		c.next = nil
		c.mu.Unlock()
	}()
}

func escapes() *T {
	addr := &T{}
	l := &addr.mu
	l.Lock()
	method := &T{}
	_ = method.Name()
	stored := &T{}
	shared = stored
	passed := &T{}
	keep(passed)
	captured := &T{}
	f := func() { keep(captured) }
	f()
	returned := &T{}
	given := shared
	given.mu.Lock()
	return returned
}
`;

let s: Snippet;
let conf: Confinement;

beforeAll(async () => {
  s = await analyzeSnippet('gohazard.test/escape', SRC);
  const facts = new SyncFacts(s.graph);
  conf = new Confinement(s.graph, facts.ids);
}, 60_000);

const none = () => false;

describe('Confinement.partCalls', () => {
  it('keeps an object used only through other fields, nil checks and its mutex, and names the mutex calls', () => {
    const calls = conf.partCalls(s.fn('confined'), 'a', ['mu'], none);
    expect(calls?.map((c) => [c.method, c.once])).toEqual([
      ['Lock', true],
      ['Unlock', true],
    ]);
  });

  it('counts a constructor of the program returning a literal, and a zero var, as made here; a literal called on the spot runs once', () => {
    expect(conf.partCalls(s.fn('confined'), 'b', ['mu'], none)?.map((c) => c.method)).toEqual(['Lock']);
    expect(conf.partCalls(s.fn('confined'), 'c', ['mu'], none)?.map((c) => [c.method, c.once])).toEqual([
      ['Lock', true],
      ['Unlock', true],
    ]);
  });

  it('lets out an object whose mutex address is taken, whose method is called, or that is stored, passed, captured or returned', () => {
    for (const name of ['addr', 'method', 'stored', 'passed', 'captured', 'returned']) {
      expect(conf.partCalls(s.fn('escapes'), name, ['mu'], none), name).toBeUndefined();
    }
  });

  it('accepts an argument only when the judge does', () => {
    expect(conf.partCalls(s.fn('escapes'), 'passed', ['mu'], () => true)).toEqual([]);
  });

  it('does not take a local bound to an object from elsewhere', () => {
    expect(conf.partCalls(s.fn('escapes'), 'given', ['mu'], none)).toBeUndefined();
  });
});
