package errgroup

import (
	"testing"
	"time"
)

// A goroutine of the group that starts a worker after Wait began must not
// deadlock the group.
func TestGoFromInsideWhileWaiting(t *testing.T) {
	var g Group
	g.Go(func() error {
		time.Sleep(20 * time.Millisecond) // let Wait begin first
		g.Go(func() error { return nil })
		return nil
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}
