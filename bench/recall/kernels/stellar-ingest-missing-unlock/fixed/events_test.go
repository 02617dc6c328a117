package events

import "testing"

// A rejected ledger must leave the store usable.
func TestStoreUsableAfterIngestError(t *testing.T) {
	m := NewMemoryStore(8)
	if err := m.IngestEvents(1, []Event{{Ledger: 1, Topic: "transfer"}}); err != nil {
		t.Fatal(err)
	}
	if err := m.IngestEvents(3, nil); err == nil {
		t.Fatal("want an error for a gap")
	}
	if got := len(m.GetEvents()); got != 1 {
		t.Fatalf("got %d events, want 1", got)
	}
}
