package beacons

import (
	"errors"
	"io"
	"runtime"
	"testing"
	"time"
)

// When the watch gives up on a server error, the goroutine waiting for the
// operator's enter key must still end once the key comes; the test waits for
// the goroutine count to come back, so a leak hangs it.
func TestWatchErrorDoesNotLeakInputGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	r, w := io.Pipe()
	c := NewConsole(r, func() ([]string, error) { return nil, errors.New("rpc: server unavailable") })
	if err := c.WatchBeacons(time.Millisecond); err == nil {
		t.Fatal("want the server error")
	}
	w.Write([]byte("\n"))
	for runtime.NumGoroutine() > before {
		time.Sleep(time.Millisecond)
	}
}
