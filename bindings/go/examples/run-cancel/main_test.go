// SPDX-License-Identifier: MIT

package main

import (
	"bufio"
	"io"
	"testing"
	"time"

	"kctx.dev/kctx/internal/kctxtest"
)

func TestMain(m *testing.M) { kctxtest.Main(m) }

// sleep 1000 under kctx run ends when Go cancels, with SIGTERM's status.
func TestRunCancel(t *testing.T) {
	kctxtest.Begin(t)
	tool := kctxtest.Tool(t)
	out, w := io.Pipe()
	cancelNow := make(chan time.Time)
	// Cancel once the command says it runs; any later line fails.
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() {
		if l := <-lines; l == "started" {
			close(cancelNow)
		}
	}()
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		st, err := run(tool, cancelNow, []string{"sh", "-c", "echo started; exec sleep 1000"}, w)
		w.Close()
		res <- result{st, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != 128+15 {
			t.Fatalf("kctx run exited %d, want 143 (SIGTERM)", r.status)
		}
	case <-time.After(time.Minute):
		t.Fatal("the command still runs a minute after the cancel")
	}
}
