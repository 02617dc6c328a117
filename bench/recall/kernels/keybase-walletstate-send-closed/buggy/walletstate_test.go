package walletstate

import "testing"

// A wallet request that arrives after shutdown must not crash the process.
func TestDetailsAfterClose(t *testing.T) {
	a := NewAccountState()
	a.Details()
	a.Close()
	a.Details()
}
