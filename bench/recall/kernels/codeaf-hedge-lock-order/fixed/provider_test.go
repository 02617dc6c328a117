package provider

import (
	"sync"
	"testing"
)

// Two arms recording their rows at the same time must not deadlock.
func TestArmsReportConcurrently(t *testing.T) {
	r := newRace(2)
	var wg sync.WaitGroup
	for _, a := range r.arms {
		wg.Add(1)
		go func(w *streamWatch) {
			defer wg.Done()
			for i := 0; i < 50000; i++ {
				w.record(1)
				w.facts()
			}
		}(a.watch)
	}
	wg.Wait()
}
