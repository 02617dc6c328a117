// Package inprocgrpc serves RPCs in the same process without a network.
package inprocgrpc

import "context"

// Handler serves one unary RPC.
type Handler func(ctx context.Context, req string) (string, error)

// Channel dispatches RPCs straight to a handler.
type Channel struct {
	handler Handler
}

// NewChannel returns a channel bound to h.
func NewChannel(h Handler) *Channel { return &Channel{handler: h} }

type response struct {
	reply string
	err   error
}

// Invoke runs the handler in its own goroutine so the caller can give up when
// its context ends.
func (c *Channel) Invoke(ctx context.Context, req string) (string, error) {
	respCh := make(chan response)
	go func() {
		reply, err := c.handler(ctx, req)
		select {
		case respCh <- response{reply, err}:
		case <-ctx.Done():
		}
	}()
	select {
	case r := <-respCh:
		return r.reply, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
