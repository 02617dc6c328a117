package magicsock

import (
	"testing"
	"time"
)

// Closing a Conn without IPv6 must end its receive loop.
func TestCloseWithoutIPv6(t *testing.T) {
	c := NewConn()
	time.Sleep(20 * time.Millisecond) // let the receive loop block in ReadFrom
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
