package sh

import (
	"runtime"
	"testing"
	"time"
)

// After a timed-out WaitTimeout, every goroutine it started must end; the
// test waits for the goroutine count to come back, so a leak hangs it.
func TestWaitTimeoutDoesNotLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewSession()
	if err := s.WaitTimeout(10 * time.Millisecond); err != ErrExecTimeout {
		t.Fatalf("got %v, want timeout", err)
	}
	for runtime.NumGoroutine() > before {
		time.Sleep(time.Millisecond)
	}
}
