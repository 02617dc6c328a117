// Package walletstate keeps one account's details fresh in the background.
package walletstate

import "sync"

// AccountState caches an account's details; Details asks a background loop to
// refresh them without waiting for it.
type AccountState struct {
	mu          sync.Mutex
	details     string
	refreshes   int
	refreshReqs chan struct{}
	stop        chan struct{}
	done        chan struct{}
}

// NewAccountState starts the refresh loop.
func NewAccountState() *AccountState {
	a := &AccountState{
		details:     "stale",
		refreshReqs: make(chan struct{}, 1),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	go a.refreshLoop()
	return a
}

func (a *AccountState) refreshLoop() {
	defer close(a.done)
	for {
		select {
		case <-a.refreshReqs:
			a.mu.Lock()
			a.refreshes++
			a.details = "fresh"
			a.mu.Unlock()
		case <-a.stop:
			return
		}
	}
}

// Details returns the cached details and queues a refresh.
func (a *AccountState) Details() string {
	a.enqueueRefreshReq()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.details
}

// enqueueRefreshReq never blocks: one pending request is enough.
func (a *AccountState) enqueueRefreshReq() {
	select {
	case a.refreshReqs <- struct{}{}:
	default:
	}
}

// Close stops the refresh loop with a separate stop channel; the request
// channel stays open, so a late Details only fills its buffer.
func (a *AccountState) Close() {
	close(a.stop)
	<-a.done
}
