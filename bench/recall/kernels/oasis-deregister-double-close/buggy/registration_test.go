package registration

import "testing"

// Two shutdown requests in a row must both succeed.
func TestRequestDeregistrationTwice(t *testing.T) {
	w := New()
	if err := w.RequestDeregistration(); err != nil {
		t.Fatal(err)
	}
	<-w.Quit()
	if err := w.RequestDeregistration(); err != nil {
		t.Fatal(err)
	}
}
