package events

import "testing"

// One subscriber leaving must not crash delivery to the others.
func TestPublishAfterOneSubscriberCloses(t *testing.T) {
	var d Dispatcher
	first := d.Subscribe()
	second := d.Subscribe()
	first.CloseChaincodeEvents()
	d.Publish(Event{TxID: "tx1"})
	if ev := <-second.Events(); ev.TxID != "tx1" {
		t.Fatalf("got %q", ev.TxID)
	}
}
