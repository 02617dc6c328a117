// Package leadercast delivers the leader's proposal for each duty to the
// goroutine waiting for that duty.
package leadercast

import "sync"

// Msg is one leader proposal.
type Msg struct {
	Duty  int
	Value string
}

// memTransport is the in-memory transport used by the cluster's nodes.
type memTransport struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []Msg
}

func newMemTransport() *memTransport {
	t := &memTransport{}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// Broadcast queues m for the goroutine waiting on its duty.
func (t *memTransport) Broadcast(m Msg) {
	t.mu.Lock()
	t.buf = append(t.buf, m)
	t.mu.Unlock()
	t.cond.Signal()
}

// AwaitNext blocks until a message for duty arrives and returns it.
func (t *memTransport) AwaitNext(duty int) Msg {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		for i, m := range t.buf {
			if m.Duty == duty {
				t.buf = append(t.buf[:i], t.buf[i+1:]...)
				return m
			}
		}
		t.cond.Wait()
	}
}
