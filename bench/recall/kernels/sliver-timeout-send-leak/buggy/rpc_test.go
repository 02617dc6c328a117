package rpc

import (
	"testing"
	"time"
)

// A request that times out must not leave its goroutine behind: Close waits
// for it, so a leaked goroutine hangs the test until its timeout.
func TestTimedOutRequestDoesNotLeak(t *testing.T) {
	var s Server
	release := make(chan struct{})
	err := s.Request(func() error { <-release; return nil }, 10*time.Millisecond)
	if err != ErrTimeout {
		t.Fatalf("got %v, want timeout", err)
	}
	close(release)
	s.Close()
}
