// Package ouroboros manages one node-to-node connection and its protocols.
package ouroboros

import (
	"io"
	"sync"
)

// muxer reads frames from the connection and reports the first read error.
type muxer struct {
	conn io.Reader
	errs chan error
}

func (m *muxer) start(wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64)
		for {
			if _, err := m.conn.Read(buf); err != nil {
				m.errs <- err
				return
			}
		}
	}()
}

// Connection is one connection to a peer.
type Connection struct {
	conn           io.ReadCloser
	handshake      func() error
	muxer          *muxer
	closeOnce      sync.Once
	onceShutdown   sync.Once
	doneChan       chan struct{}
	errorChan      chan error
	connClosedChan chan struct{}
	waitGroup      sync.WaitGroup
}

// NewConnection wraps conn; handshake negotiates the protocol version.
func NewConnection(conn io.ReadCloser, handshake func() error) *Connection {
	return &Connection{
		conn:           conn,
		handshake:      handshake,
		muxer:          &muxer{conn: conn, errs: make(chan error, 1)},
		doneChan:       make(chan struct{}),
		errorChan:      make(chan error, 1),
		connClosedChan: make(chan struct{}),
	}
}

// Close asks the connection to shut down.
func (c *Connection) Close() error {
	c.closeOnce.Do(func() { close(c.doneChan) })
	return nil
}

// Wait returns once the connection's goroutines have ended.
func (c *Connection) Wait() { c.waitGroup.Wait() }

// shutdown runs once, whichever path (a failed setup or Close) gets there.
func (c *Connection) shutdown() {
	c.onceShutdown.Do(func() {
		c.conn.Close()
		close(c.connClosedChan)
		close(c.errorChan)
	})
}

func (c *Connection) setupConnection() error {
	c.waitGroup.Add(2)
	go func() {
		defer c.waitGroup.Done()
		<-c.doneChan
		c.shutdown()
	}()
	c.muxer.start(&c.waitGroup)
	go func() {
		defer c.waitGroup.Done()
		if err, ok := <-c.muxer.errs; ok && err != nil {
			c.Close()
		}
	}()
	if err := c.handshake(); err != nil {
		c.shutdown()
		return err
	}
	return nil
}
