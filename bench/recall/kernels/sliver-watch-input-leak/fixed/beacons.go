// Package beacons draws the operator console's live beacon table.
package beacons

import (
	"bufio"
	"io"
	"time"
)

// Console is the operator's terminal.
type Console struct {
	in      *bufio.Reader
	listAll func() ([]string, error)
	shown   []string
}

// NewConsole reads operator input from in and lists beacons with listAll.
func NewConsole(in io.Reader, listAll func() ([]string, error)) *Console {
	return &Console{in: bufio.NewReader(in), listAll: listAll}
}

// WatchBeacons redraws the table every interval until the operator presses
// enter; it gives up when the server cannot list the beacons.
func (c *Console) WatchBeacons(every time.Duration) error {
	done := c.waitForInput()
	for {
		select {
		case <-done:
			return nil
		case <-time.After(every):
			beacons, err := c.listAll()
			if err != nil {
				return err
			}
			c.shown = beacons
		}
	}
}

func (c *Console) waitForInput() <-chan bool {
	done := make(chan bool, 1)
	go func() {
		defer close(done)
		c.in.ReadString('\n')
		done <- true
	}()
	return done
}
