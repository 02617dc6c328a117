// Package m3ua runs the M3UA association state machine.
package m3ua

import (
	"errors"
	"sync"
)

// ErrUnexpectedMessage is returned for a message the current state rejects.
var ErrUnexpectedMessage = errors.New("unexpected message")

type state int

const (
	stateAspDown state = iota
	stateAspInactive
	stateAspActive
)

// Message is a decoded M3UA message.
type Message struct{ Type string }

// Conn is one association; the read loop calls handleMessage for every
// message, and application calls read the state concurrently.
type Conn struct {
	mu    sync.Mutex
	state state
	sent  []string
}

// State returns the association state.
func (c *Conn) State() state {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Conn) handleMessage(msg Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch msg.Type {
	case "ASPUP":
		if c.state != stateAspDown {
			return ErrUnexpectedMessage
		}
		c.state = stateAspInactive
		c.sent = append(c.sent, "ASPUP_ACK")
	case "ASPAC":
		if c.state != stateAspInactive {
			return ErrUnexpectedMessage
		}
		c.state = stateAspActive
		c.sent = append(c.sent, "ASPAC_ACK")
	default:
		return ErrUnexpectedMessage
	}
	return nil
}
