// Package registration keeps a node registered and deregisters it on request.
package registration

import "sync"

// Worker re-registers the node every epoch until deregistration is requested.
type Worker struct {
	mu             sync.Mutex
	deregRequested chan struct{}
	quit           chan struct{}
	epochs         chan uint64
	registered     uint64
}

// New starts the registration loop.
func New() *Worker {
	w := &Worker{
		deregRequested: make(chan struct{}),
		quit:           make(chan struct{}),
		epochs:         make(chan uint64),
	}
	go w.run()
	return w
}

func (w *Worker) run() {
	defer close(w.quit)
	for {
		select {
		case epoch := <-w.epochs:
			w.mu.Lock()
			w.registered = epoch
			w.mu.Unlock()
		case <-w.deregRequested:
			return
		}
	}
}

// Quit is closed once the worker stopped registering.
func (w *Worker) Quit() <-chan struct{} { return w.quit }

// RequestDeregistration asks the worker to stop re-registering; the node's
// control API calls it on every shutdown request.
func (w *Worker) RequestDeregistration() error {
	close(w.deregRequested)
	return nil
}
