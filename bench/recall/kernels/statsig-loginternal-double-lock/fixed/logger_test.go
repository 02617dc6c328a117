package statsig

import "testing"

type recordingTransport struct{ batches [][]Event }

func (r *recordingTransport) post(batch []Event) { r.batches = append(r.batches, batch) }

// Filling a batch must post it rather than hang the gate check.
func TestFullBatchIsPosted(t *testing.T) {
	tr := &recordingTransport{}
	l := newLogger(2, tr)
	l.logGateExposure("u1", "new_ui")
	l.logGateExposure("u2", "new_ui")
	if len(tr.batches) != 1 {
		t.Fatalf("posted %d batches, want 1", len(tr.batches))
	}
}
