package leadercast

import (
	"sync"
	"testing"
	"time"
)

// Two duties awaited at once must each get their proposal.
func TestTwoDutiesAwaitedAtOnce(t *testing.T) {
	tr := newMemTransport()
	var wg sync.WaitGroup
	for duty := 1; duty <= 2; duty++ {
		wg.Add(1)
		go func(duty int) {
			defer wg.Done()
			if m := tr.AwaitNext(duty); m.Duty != duty {
				t.Errorf("duty %d got %d", duty, m.Duty)
			}
		}(duty)
		time.Sleep(10 * time.Millisecond) // duty 1 waits first, then duty 2
	}
	tr.Broadcast(Msg{Duty: 2, Value: "b"})
	time.Sleep(10 * time.Millisecond)
	tr.Broadcast(Msg{Duty: 1, Value: "a"})
	wg.Wait()
}
