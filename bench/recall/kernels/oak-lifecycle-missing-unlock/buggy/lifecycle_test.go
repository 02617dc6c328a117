package oak

import "testing"

type fakeScreen struct{}

func (fakeScreen) NewWindow() error { return nil }

// Refusing a second start must not block the engine's later calls.
func TestSecondStartIsRefusedCleanly(t *testing.T) {
	for i := 0; i < 3; i++ {
		if err := lifecycleLoop(fakeScreen{}); err != nil {
			t.Fatal(err)
		}
	}
}
