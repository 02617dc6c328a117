package inprocgrpc

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// A cancelled RPC must not leave the handler goroutine behind; the test waits
// for the goroutine count to come back, so a leak hangs it.
func TestCancelledInvokeDoesNotLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	ch := NewChannel(func(context.Context, string) (string, error) {
		<-release
		return "pong", nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := ch.Invoke(ctx, "ping"); err != context.Canceled {
		t.Fatalf("got %v, want cancellation", err)
	}
	close(release)
	for runtime.NumGoroutine() > before {
		time.Sleep(time.Millisecond)
	}
}
