package gotest

import (
	"io"
	"os/exec"
	"testing"
)

// A command that cannot start must make Run return the error, not hang.
func TestRunReportsStartError(t *testing.T) {
	cmd := exec.Command("/nonexistent/gohazard-kernel-binary")
	if err := Run(cmd, io.Discard); err == nil {
		t.Fatal("want a start error")
	}
}
