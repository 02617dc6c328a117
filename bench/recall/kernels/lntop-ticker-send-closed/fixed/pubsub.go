// Package pubsub feeds periodic events to the terminal UI.
package pubsub

import (
	"sync"
	"time"
)

// Event is one message for the UI.
type Event struct{ Kind string }

// PubSub runs the publishers that write to the UI's event channel.
type PubSub struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a PubSub with no publisher running.
func New() *PubSub { return &PubSub{stop: make(chan struct{})} }

// Ticker publishes a tick on sub at every interval until Stop.
func (p *PubSub) Ticker(sub chan<- Event, every time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-ticker.C:
				select {
				case sub <- Event{Kind: "tick"}:
				case <-p.stop:
					return
				}
			}
		}
	}()
}

// Stop ends every publisher and waits for them.
func (p *PubSub) Stop() {
	close(p.stop)
	p.wg.Wait()
}

// RunUI draws events until quit. The event channel belongs to its writers, so
// the UI leaves it open; the publishers stop through PubSub.Stop.
func RunUI(events chan Event, quit <-chan struct{}) int {
	drawn := 0
	for {
		select {
		case <-events:
			drawn++
		case <-quit:
			return drawn
		}
	}
}
