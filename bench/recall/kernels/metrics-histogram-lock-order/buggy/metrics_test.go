package metrics

import (
	"fmt"
	"sync"
	"testing"
)

// Registering histograms while another goroutine takes snapshots must not
// deadlock; both loops run until done, so a lock cycle hangs the test.
func TestSnapshotWhileRegistering(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 20000; i++ {
			NewHistogram(fmt.Sprint("h", i%64)).Record(int64(i))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20000; i++ {
			Counter("snapshots", 1)
			Snapshot()
		}
	}()
	wg.Wait()
}
