package dirtycache

import (
	"sync"
	"testing"
)

// Several syncers reporting synced bytes at once must not deadlock with the
// permission goroutine.
func TestConcurrentSyncs(t *testing.T) {
	d := New()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				d.UpdateUnsyncedBytes(2)
				d.UpdateUnsyncedBytes(-1)
			}
		}()
	}
	wg.Wait()
	d.Shutdown()
}
