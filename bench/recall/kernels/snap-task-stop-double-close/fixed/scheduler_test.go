package scheduler

import "testing"

// Stopping a task twice in a row must be harmless.
func TestStopTaskTwice(t *testing.T) {
	s := NewScheduler()
	s.CreateTask("baron")
	if err := s.StopTask("baron"); err != nil {
		t.Fatal(err)
	}
	if err := s.StopTask("baron"); err != nil {
		t.Fatal(err)
	}
}
