package watch

import (
	"errors"
	"testing"
)

// A module whose context fails on two rebuilds in a row counts once.
func TestRepeatedContextErrorCountsOnce(t *testing.T) {
	w := NewModuleWatcher("echo", "time")
	w.OnContext("echo", errors.New("schema error"))
	w.OnContext("echo", errors.New("schema error"))
	w.OnContext("time", nil)
	if err := w.Wait(); err == nil {
		t.Fatal("want the module error")
	}
}
