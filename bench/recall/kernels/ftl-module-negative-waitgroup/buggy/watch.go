// Package watch waits until every module of a project has a build context.
package watch

import (
	"errors"
	"sync"
)

// ModuleWatcher counts down the modules that still owe their first context.
type ModuleWatcher struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen map[string]bool
	errs []error
}

// NewModuleWatcher expects one first context from each named module.
func NewModuleWatcher(modules ...string) *ModuleWatcher {
	w := &ModuleWatcher{seen: map[string]bool{}}
	w.wg.Add(len(modules))
	return w
}

// OnContext is called by the builder every time a module's context is
// rebuilt, successfully or not; only the first report of a module counts.
func (w *ModuleWatcher) OnContext(module string, err error) {
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err)
		w.mu.Unlock()
		w.wg.Done()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[module] {
		return
	}
	w.seen[module] = true
	w.wg.Done()
}

// Wait returns once every module reported, with the errors seen so far.
func (w *ModuleWatcher) Wait() error {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return errors.Join(w.errs...)
}
