// Package gotest runs `go test` and colors its output.
package gotest

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// Run starts cmd, copies its output to out with failures marked, and returns
// the command's error.
func Run(cmd *exec.Cmd, out io.Writer) error {
	var wg sync.WaitGroup
	wg.Add(1)
	defer wg.Wait()

	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		wg.Done() // the reader goroutine will never run
		return err
	}
	go func() {
		defer wg.Done()
		colorize(stdout, out)
	}()
	return cmd.Wait()
}

func colorize(r io.Reader, out io.Writer) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "--- FAIL") {
			line = "\x1b[31m" + line + "\x1b[0m"
		}
		io.WriteString(out, line+"\n")
	}
}
