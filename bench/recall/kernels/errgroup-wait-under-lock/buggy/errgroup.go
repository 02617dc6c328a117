// Package errgroup runs a group of goroutines and returns their first error.
package errgroup

import "sync"

// Group is a collection of goroutines working on one task. A goroutine of the
// group may itself call Go to start more workers.
type Group struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
	started int
}

// Go runs f in a new goroutine of the group.
func (g *Group) Go(f func() error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.started++
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.setErr(err)
		}
	}()
}

func (g *Group) setErr(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

// Wait blocks until every goroutine of the group returned.
func (g *Group) Wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wg.Wait()
	return g.err
}
