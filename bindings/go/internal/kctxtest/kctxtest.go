// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

// Package kctxtest is what the tests of package kctx and of its examples
// share: TAP output for the harness's VM, the skip when kctx is not
// loaded, and the kctx tool.
//
// The tests run in kctx's VM as static test binaries (see
// qemu-scripts/build-userspace): exit status 0 passes, 77 skips, anything
// else fails, as qemu-scripts/guest/run-tests expects.
package kctxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	mu                 sync.Mutex
	n, failed, skipped int
)

// missing is the first device Main was told the tests need that is not
// there, or "".
var missing string

// Begin makes t report itself as a TAP line when it ends:
// "ok N Name", "ok N Name # SKIP" or "not ok N Name". Outside the VM
// (see Main), it skips t when a device the tests need is missing.
func Begin(t *testing.T) {
	t.Helper()
	begin(t)
	if missing != "" {
		t.Skip("skip: " + missing + " is missing")
	}
}

// BeginNoDevice is Begin for a test that needs no device.
func BeginNoDevice(t *testing.T) {
	t.Helper()
	begin(t)
}

func begin(t *testing.T) {
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		n++
		switch {
		case t.Failed():
			failed++
			fmt.Printf("not ok %d %s\n", n, t.Name())
		case t.Skipped():
			skipped++
			fmt.Printf("ok %d %s # SKIP\n", n, t.Name())
		default:
			fmt.Printf("ok %d %s\n", n, t.Name())
		}
	})
}

// Main runs the tests, which need /dev/kctx and devices (paths) besides,
// and ends the TAP output with a summary. In kctx's VM ($KCTX_KERNEL set)
// a missing device makes the whole binary skip: a "skip: WHY" line and
// exit status 77, as qemu-scripts/vm-tests expects. Elsewhere (go test on
// a machine without kctx) the tests that need the devices skip, and the
// others run.
func Main(m *testing.M, devices ...string) {
	for _, d := range append([]string{"/dev/kctx"}, devices...) {
		if _, err := os.Stat(d); err != nil {
			missing = d
			break
		}
	}
	if missing != "" && os.Getenv("KCTX_KERNEL") != "" {
		fmt.Printf("#   skip: %s is missing: is its module loaded?\n", missing)
		os.Exit(77)
	}
	rc := m.Run()
	mu.Lock()
	fmt.Printf("# %d tests, %d failed, %d skipped\n", n, failed, skipped)
	mu.Unlock()
	os.Exit(rc)
}

// Tool returns the path of the kctx tool: $KCTX_TOOL, else kctx on $PATH,
// else a link named kctx, in a directory of t's, to one of libkctx's CLI
// tests (kctx-cli-*) on $PATH or beside the test binary: each is the tool
// when run under the name kctx (userspace-lib/test/cli.h), and they are
// what the VM has.
func Tool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KCTX_TOOL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("kctx"); err == nil {
		return p
	}
	dirs := filepath.SplitList(os.Getenv("PATH"))
	if self, err := os.Executable(); err == nil {
		dirs = append([]string{filepath.Dir(self)}, dirs...)
	}
	for _, d := range dirs {
		cands, _ := filepath.Glob(filepath.Join(d, "kctx-cli-*"))
		for _, c := range cands {
			if st, err := os.Stat(c); err != nil || st.Mode()&0o111 == 0 {
				continue
			}
			abs, err := filepath.Abs(c)
			if err != nil {
				continue
			}
			link := filepath.Join(t.TempDir(), "kctx")
			if err := os.Symlink(abs, link); err != nil {
				t.Fatal(err)
			}
			return link
		}
	}
	t.Fatal("no kctx tool: set $KCTX_TOOL, put kctx on $PATH, or run beside " +
		"libkctx's kctx-cli-* tests (as qemu-scripts/vm-tests.list does)")
	return ""
}
