package monitor

import (
	"sync/atomic"
	"testing"
	"time"
)

type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) HandleFailure() { h.n.Add(1) }

// Keepalives that arrive while the monitor's timer keeps firing must not
// deadlock; with a tiny timeout both happen constantly.
func TestResetWhileTimerFires(t *testing.T) {
	m := New(time.Microsecond, &countingHandler{})
	for i := 0; i < 20000; i++ {
		m.Reset(time.Microsecond)
	}
	m.Stop()
}
