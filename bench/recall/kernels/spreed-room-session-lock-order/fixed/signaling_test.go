package signaling

import (
	"fmt"
	"testing"
)

// Sessions joining and leaving while the room publishes must not deadlock.
func TestJoinLeaveWhilePublishing(t *testing.T) {
	r := NewRoom()
	s := NewClientSession("s1")
	for i := 0; i < 50000; i++ {
		s.JoinRoom(r, fmt.Sprint("rs", i))
		s.LeaveRoom()
	}
	r.Close()
}
