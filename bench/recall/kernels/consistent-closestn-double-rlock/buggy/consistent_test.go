package consistent

import (
	"fmt"
	"sync"
	"testing"
)

// Lookups while members join and leave must not deadlock.
func TestClosestNWhileMembersChange(t *testing.T) {
	c := New(23)
	c.Add("node0")
	c.Add("node1")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 50000; i++ {
			c.GetClosestN(fmt.Sprint("key", i), 2)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 50000; i++ {
			c.Add("node2")
			c.Remove("node2")
		}
	}()
	wg.Wait()
}
