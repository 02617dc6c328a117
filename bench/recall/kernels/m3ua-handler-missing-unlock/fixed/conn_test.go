package m3ua

import "testing"

// A message rejected by the state machine must leave the connection usable.
func TestConnUsableAfterRejectedMessage(t *testing.T) {
	var c Conn
	if err := c.handleMessage(Message{Type: "ASPAC"}); err != ErrUnexpectedMessage {
		t.Fatalf("got %v", err)
	}
	if err := c.handleMessage(Message{Type: "ASPUP"}); err != nil {
		t.Fatal(err)
	}
	if c.State() != stateAspInactive {
		t.Fatal("want ASP-INACTIVE")
	}
}
