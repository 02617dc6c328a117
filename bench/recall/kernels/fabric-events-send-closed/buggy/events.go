// Package events delivers committed chaincode events to subscribers.
package events

import "sync"

// Event is one chaincode event of a committed transaction.
type Event struct{ TxID string }

// Listener is one subscriber's event stream.
type Listener struct {
	ch chan Event
}

// Events is the stream the subscriber reads.
func (l *Listener) Events() <-chan Event { return l.ch }

// OnReceive is called by the delivery goroutine for every event.
func (l *Listener) OnReceive(ev Event) {
	l.ch <- ev
}

// CloseChaincodeEvents ends the stream; the subscriber calls it when done.
func (l *Listener) CloseChaincodeEvents() {
	close(l.ch)
}

// Dispatcher fans every event out to the current listeners.
type Dispatcher struct {
	mu        sync.Mutex
	listeners []*Listener
}

// Subscribe adds a listener with a small buffer.
func (d *Dispatcher) Subscribe() *Listener {
	l := &Listener{ch: make(chan Event, 16)}
	d.mu.Lock()
	d.listeners = append(d.listeners, l)
	d.mu.Unlock()
	return l
}

// Publish hands ev to every listener that subscribed, closed or not.
func (d *Dispatcher) Publish(ev Event) {
	d.mu.Lock()
	ls := append([]*Listener(nil), d.listeners...)
	d.mu.Unlock()
	for _, l := range ls {
		l.OnReceive(ev)
	}
}
