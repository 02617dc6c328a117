// Package sh runs shell sessions with a deadline.
package sh

import (
	"errors"
	"sync"
	"time"
)

// ErrExecTimeout is returned when a session outlives its deadline.
var ErrExecTimeout = errors.New("execute timeout")

// Go runs f in a goroutine and returns a channel for its result.
func Go(f func() error) chan error {
	ch := make(chan error)
	go func() {
		ch <- f()
	}()
	return ch
}

// Session is one running command.
type Session struct {
	mu     sync.Mutex
	killed chan struct{}
	exited bool
}

// NewSession starts a command that runs until it is killed.
func NewSession() *Session { return &Session{killed: make(chan struct{})} }

// Wait blocks until the command exits.
func (s *Session) Wait() error {
	<-s.killed
	s.mu.Lock()
	s.exited = true
	s.mu.Unlock()
	return errors.New("signal: killed")
}

// Kill stops the command.
func (s *Session) Kill() { close(s.killed) }

// WaitTimeout waits for the command, killing it after timeout.
func (s *Session) WaitTimeout(timeout time.Duration) error {
	select {
	case <-time.After(timeout):
		s.Kill()
		return ErrExecTimeout
	case err := <-Go(s.Wait):
		return err
	}
}
