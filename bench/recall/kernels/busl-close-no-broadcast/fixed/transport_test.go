package busltee

import (
	"io"
	"testing"
	"time"
)

// A reader waiting for more data must see EOF once the writer closes.
func TestWaitingReaderSeesClose(t *testing.T) {
	tr := NewTransport()
	tr.Write([]byte("build started\n"))
	got := make(chan error)
	go func() {
		buf := make([]byte, 64)
		_, err := tr.ReadAt(buf, 14)
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the reader reach Wait
	tr.Close()
	if err := <-got; err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
}
