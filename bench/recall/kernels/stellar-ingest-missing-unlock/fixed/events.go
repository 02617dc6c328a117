// Package events keeps the contract events of the most recent ledgers.
package events

import (
	"fmt"
	"sync"
)

// Event is one contract event.
type Event struct {
	Ledger uint32
	Topic  string
}

type bucket struct {
	ledger uint32
	events []Event
}

// ledgerBuffer keeps a window of consecutive ledgers.
type ledgerBuffer struct {
	buckets []bucket
	window  int
}

func (b *ledgerBuffer) Append(bk bucket) (evicted *bucket, err error) {
	if n := len(b.buckets); n > 0 && b.buckets[n-1].ledger+1 != bk.ledger {
		return nil, fmt.Errorf("ledger %d does not follow %d", bk.ledger, b.buckets[n-1].ledger)
	}
	b.buckets = append(b.buckets, bk)
	if len(b.buckets) > b.window {
		ev := b.buckets[0]
		b.buckets = b.buckets[1:]
		return &ev, nil
	}
	return nil, nil
}

// MemoryStore is read by RPC handlers and written by the ingestion loop.
type MemoryStore struct {
	lock           sync.RWMutex
	eventsByLedger ledgerBuffer
	evictedCount   int
}

// NewMemoryStore keeps window ledgers.
func NewMemoryStore(window int) *MemoryStore {
	return &MemoryStore{eventsByLedger: ledgerBuffer{window: window}}
}

// IngestEvents adds the events of one closed ledger.
func (m *MemoryStore) IngestEvents(ledger uint32, evs []Event) error {
	bk := bucket{ledger: ledger, events: evs}
	m.lock.Lock()
	evicted, err := m.eventsByLedger.Append(bk)
	if err != nil {
		m.lock.Unlock()
		return err
	}
	if evicted != nil {
		m.evictedCount++
	}
	m.lock.Unlock()
	return nil
}

// GetEvents returns every event currently kept.
func (m *MemoryStore) GetEvents() []Event {
	m.lock.RLock()
	defer m.lock.RUnlock()
	var out []Event
	for _, b := range m.eventsByLedger.buckets {
		out = append(out, b.events...)
	}
	return out
}
