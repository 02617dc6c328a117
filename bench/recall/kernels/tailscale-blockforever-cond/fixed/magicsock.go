// Package magicsock multiplexes the node's UDP sockets.
package magicsock

import (
	"net"
	"sync"
)

// packetConn is the part of net.PacketConn the receive loops use.
type packetConn interface {
	ReadFrom(p []byte) (int, net.Addr, error)
	Close() error
}

// blockForeverConn stands in for the IPv6 socket when IPv6 is unavailable:
// reads block until the conn is closed.
type blockForeverConn struct {
	mu     sync.Mutex
	cond   *sync.Cond
	closed bool
}

func newBlockForeverConn() *blockForeverConn {
	c := &blockForeverConn{}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *blockForeverConn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.mu.Lock()
	for !c.closed {
		c.cond.Wait()
	}
	c.mu.Unlock()
	return 0, nil, net.ErrClosed
}

func (c *blockForeverConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	c.cond.Broadcast()
	return nil
}

// Conn runs one receive loop per socket.
type Conn struct {
	pconn6  packetConn
	wg      sync.WaitGroup
	packets int
}

// NewConn starts the IPv6 receive loop on a placeholder socket.
func NewConn() *Conn {
	c := &Conn{pconn6: newBlockForeverConn()}
	c.wg.Add(1)
	go c.receiveIPv6()
	return c
}

func (c *Conn) receiveIPv6() {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := c.pconn6.ReadFrom(buf); err != nil {
			return
		}
		c.packets++
	}
}

// Close closes the sockets and waits for the receive loops to end.
func (c *Conn) Close() error {
	err := c.pconn6.Close()
	c.wg.Wait()
	return err
}
