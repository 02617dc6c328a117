// Package busltee streams a growing log to any number of readers.
package busltee

import (
	"io"
	"sync"
)

// Transport is an append-only buffer; readers block until data past their
// offset arrives or the transport is closed.
type Transport struct {
	mutex  sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

// NewTransport returns an empty open transport.
func NewTransport() *Transport {
	t := &Transport{}
	t.cond = sync.NewCond(&t.mutex)
	return t
}

// Write appends p and wakes the readers.
func (t *Transport) Write(p []byte) (int, error) {
	t.mutex.Lock()
	t.buf = append(t.buf, p...)
	t.mutex.Unlock()
	t.cond.Broadcast()
	return len(p), nil
}

// ReadAt copies data from off, waiting for it if needed.
func (t *Transport) ReadAt(p []byte, off int64) (int, error) {
	t.mutex.Lock()
	defer t.mutex.Unlock()
	for int(off) >= len(t.buf) && !t.closed {
		t.cond.Wait()
	}
	if int(off) >= len(t.buf) {
		return 0, io.EOF
	}
	return copy(p, t.buf[off:]), nil
}

// Close marks the end of the stream and wakes the readers waiting for data.
func (t *Transport) Close() error {
	t.mutex.Lock()
	defer t.mutex.Unlock()
	t.closed = true
	t.cond.Broadcast()
	return nil
}
