// Package statsig logs exposure events and flushes them in batches.
package statsig

import "sync"

// Event is one exposure logged by a gate or config check.
type Event struct {
	Name string
	Gate string
}

type transport interface {
	post(batch []Event)
}

// logger buffers events and posts a batch once enough accumulated.
type logger struct {
	mu        sync.Mutex
	events    []Event
	maxEvents int
	transport transport
}

func newLogger(max int, t transport) *logger {
	return &logger{maxEvents: max, transport: t}
}

// logGateExposure records that a user was checked against gate.
func (l *logger) logGateExposure(user, gate string) {
	l.logInternal(Event{Name: "statsig::gate_exposure", Gate: gate})
}

func (l *logger) logInternal(evt Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, evt)
	if len(l.events) >= l.maxEvents {
		l.flushInternal()
	}
}

// flush posts the buffered events.
func (l *logger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushInternal()
}

// flushInternal is flush for callers that hold l.mu.
func (l *logger) flushInternal() {
	batch := l.events
	l.events = nil
	if len(batch) > 0 {
		l.transport.post(batch)
	}
}
