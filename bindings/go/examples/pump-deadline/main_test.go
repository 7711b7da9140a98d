// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"kctx.dev/kctx/internal/kctxtest"
)

func TestMain(m *testing.M) { kctxtest.Main(m, pumpDevice) }

// The kernel thread blocked on an empty pipe stops at the Go deadline,
// with the kernel's -ETIMEDOUT, having copied what there was.
func TestPumpDeadline(t *testing.T) {
	kctxtest.Begin(t)
	const timeout = 200 * time.Millisecond
	r, err := pump(timeout)
	if err != nil {
		t.Fatal(err)
	}
	if r.CtxErr != context.DeadlineExceeded || r.Err != syscall.ETIMEDOUT || r.Bytes != 13 {
		t.Fatalf("pump: %+v; want 13 bytes, ETIMEDOUT, DeadlineExceeded", r)
	}
	if r.Elapsed < timeout {
		t.Fatalf("done after %v, before the %v deadline", r.Elapsed, timeout)
	}
}
