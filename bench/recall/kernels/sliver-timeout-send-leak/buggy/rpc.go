// Package rpc forwards operator requests to implants and waits for replies.
package rpc

import (
	"errors"
	"sync"
	"time"
)

// ErrTimeout is returned when the implant does not answer in time.
var ErrTimeout = errors.New("implant timed out")

// Server tracks the goroutines it starts so Close can wait for them.
type Server struct {
	wg sync.WaitGroup
}

// Request runs call in the background and waits at most timeout for its
// result.
func (s *Server) Request(call func() error, timeout time.Duration) error {
	done := make(chan error)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		done <- call()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return ErrTimeout
	}
}

// Close waits for every request goroutine to end.
func (s *Server) Close() {
	s.wg.Wait()
}
