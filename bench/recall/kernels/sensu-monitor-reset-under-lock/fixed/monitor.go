// Package monitor raises a failure when an entity stops sending keepalives.
package monitor

import (
	"sync"
	"time"
)

// FailureHandler is told each time the monitored entity goes quiet.
type FailureHandler interface {
	HandleFailure()
}

// Monitor fires the handler when no keepalive resets it within its timeout.
type Monitor struct {
	mu        sync.Mutex
	failing   bool
	stopped   bool
	resetChan chan time.Duration
	stopChan  chan struct{}
	done      chan struct{}
	handler   FailureHandler
}

// New starts a monitor with the given timeout.
func New(timeout time.Duration, h FailureHandler) *Monitor {
	m := &Monitor{
		resetChan: make(chan time.Duration),
		stopChan:  make(chan struct{}),
		done:      make(chan struct{}),
		handler:   h,
	}
	go m.run(timeout)
	return m
}

func (m *Monitor) run(timeout time.Duration) {
	defer close(m.done)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case d := <-m.resetChan:
			timer.Reset(d)
		case <-timer.C:
			m.mu.Lock()
			m.failing = true
			m.handler.HandleFailure()
			m.mu.Unlock()
			timer.Reset(timeout)
		case <-m.stopChan:
			return
		}
	}
}

// Reset postpones the failure by d; every keepalive calls it. The send
// happens after the lock is released, since the loop takes the same lock.
func (m *Monitor) Reset(d time.Duration) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.failing = false
	m.mu.Unlock()
	select {
	case m.resetChan <- d:
	case <-m.stopChan:
	}
}

// Stop ends the monitor.
func (m *Monitor) Stop() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	close(m.stopChan)
	<-m.done
}
