package ouroboros

import (
	"errors"
	"io"
	"testing"
)

// brokenConn is a peer that hung up: every read fails.
type brokenConn struct{}

func (brokenConn) Read([]byte) (int, error) { return 0, io.EOF }
func (brokenConn) Close() error             { return nil }

// A peer that hangs up during the handshake must end the connection cleanly.
func TestPeerHangsUpDuringHandshake(t *testing.T) {
	c := NewConnection(brokenConn{}, func() error { return errors.New("handshake: connection reset") })
	if err := c.setupConnection(); err == nil {
		t.Fatal("want the handshake error")
	}
	c.Wait()
}
