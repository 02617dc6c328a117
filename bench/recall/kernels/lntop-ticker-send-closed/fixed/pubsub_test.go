package pubsub

import (
	"testing"
	"time"
)

// Quitting the UI while the ticker still runs must not crash the program.
func TestQuitUIWhileTicking(t *testing.T) {
	events := make(chan Event)
	quit := make(chan struct{})
	p := New()
	p.Ticker(events, time.Millisecond)
	time.AfterFunc(5*time.Millisecond, func() { close(quit) })
	RunUI(events, quit)
	time.Sleep(20 * time.Millisecond)
	p.Stop()
}
