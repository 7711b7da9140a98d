// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

package kctx

// These tests need a real /dev/kctx: they run in kctx's VM (see
// qemu-scripts/build-userspace and vm-tests.list) and skip, exit status
// 77, where kctx is not loaded. Other processes are this test binary run
// again with $KCTX_GO_TEST_CHILD naming what it should do (childMain).
// Nothing waits by sleeping: every wait is for a channel, a process or a
// line of output, bounded by a generous failure deadline.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"kctx.dev/kctx/internal/kctxtest"
)

// failAfter bounds every wait: far beyond what any of them should take,
// even on a debug kernel under TCG.
const failAfter = 60 * time.Second

const childEnv = "KCTX_GO_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(childMain(role))
	}
	kctxtest.Main(m)
}

// childMain is the other process of a test.
func childMain(role string) int {
	switch role {
	case "cancel":
		// Cancel $KCTX_FD's context with the cause -ECONNABORTED.
		c, err := FromEnv()
		if err != nil {
			fmt.Println("child:", err)
			return 1
		}
		if err := c.CancelCause(-int64(syscall.ECONNABORTED)); err != nil {
			fmt.Println("child: cancel:", err)
			return 1
		}
		return 0
	case "wait":
		// Under `kctx run`: say "ready", wait for $KCTX_FD's context to
		// be done, then say how. kctx run sends SIGTERM once the
		// context is done: this process outlives it to answer.
		signal.Ignore(syscall.SIGTERM)
		c, err := FromEnv()
		if err != nil {
			fmt.Println("child:", err)
			return 1
		}
		_, hasDeadline := c.Deadline()
		fmt.Printf("ready deadline=%v\n", hasDeadline)
		select {
		case <-c.Done():
		case <-time.After(failAfter):
			fmt.Println("child: Done never closed")
			return 1
		}
		fmt.Printf("err=%v cause=%v\n", c.Err(), Cause(c))
		return 0
	}
	fmt.Println("child: unknown role", role)
	return 2
}

// child starts this test binary as another process in role, with files as
// its fds 3, 4, ... and the first one as $KCTX_FD.
func child(t *testing.T, role string, files ...*os.File) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+role)
	if len(files) > 0 {
		cmd.Env = append(cmd.Env, envFD+"=3")
	}
	cmd.ExtraFiles = files
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitDone fails the test unless ch is closed within failAfter.
func waitDone(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(failAfter):
		t.Fatalf("%s: Done not closed after %v", what, failAfter)
	}
}

// notDone fails the test if ch is closed.
func notDone(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: Done closed, but the context is live", what)
	default:
	}
}

// create issues KCTX_IOC_CREATE with cr on parent's fd (nil: on /dev/kctx).
func create(t *testing.T, parent *Context, cr kctxCreate) *Context {
	t.Helper()
	cr.Size = uint32(unsafe.Sizeof(cr))
	var fd int
	var err error
	if parent == nil {
		dev, derr := syscall.Open(devicePath, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
		if derr != nil {
			t.Fatal(derr)
		}
		fd, err = ioctl(uintptr(dev), iocCreate, unsafe.Pointer(&cr))
		syscall.Close(dev)
	} else {
		err = parent.do(func(pfd uintptr) error {
			var e error
			fd, e = ioctl(pfd, iocCreate, unsafe.Pointer(&cr))
			return e
		})
	}
	if err != nil {
		t.Fatalf("KCTX_IOC_CREATE: %v", err)
	}
	return adopt(fd, nil)
}

func mustNew(t *testing.T, parent context.Context) (*Context, context.CancelFunc) {
	t.Helper()
	c, cancel, err := New(parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return c, cancel
}

func mustState(t *testing.T, c *Context) kctxState {
	t.Helper()
	st, err := c.state()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// causeOf is Cause(ctx) as a *CauseError, or a failure.
func causeOf(t *testing.T, ctx context.Context) *CauseError {
	t.Helper()
	var ce *CauseError
	if err := Cause(ctx); !errors.As(err, &ce) {
		t.Fatalf("Cause: %v (%T), not a *CauseError", err, err)
	}
	return ce
}

// pollIn polls fd for POLLIN without waiting, as any other program would.
func pollIn(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var revents int16
	err = rc.Control(func(fd uintptr) {
		pfd := struct {
			fd      int32
			events  int16
			revents int16
		}{int32(fd), 0x1, 0}
		var ts syscall.Timespec
		syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1,
			uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		revents = pfd.revents
	})
	if err != nil {
		t.Fatal(err)
	}
	return revents&0x1 != 0
}

func TestUAPILayout(t *testing.T) {
	kctxtest.BeginNoDevice(t)
	for _, s := range []struct {
		name      string
		got, want uintptr
	}{
		{"kctx_create", unsafe.Sizeof(kctxCreate{}), 48},
		{"kctx_cancel", unsafe.Sizeof(kctxCancel{}), 32},
		{"kctx_state", unsafe.Sizeof(kctxState{}), 64},
		{"kctx_value", unsafe.Sizeof(kctxValue{}), 24},
		{"kctx_watch", unsafe.Sizeof(kctxWatch{}), 8},
	} {
		if s.got != s.want {
			t.Errorf("struct %s: %d bytes, want %d", s.name, s.got, s.want)
		}
	}
	if o := unsafe.Offsetof(kctxState{}.UserCause); o != 32 {
		t.Errorf("kctx_state.user_cause at %d, want 32", o)
	}
}

func TestNewAndCancel(t *testing.T) {
	kctxtest.Begin(t)
	c, cancel := mustNew(t, context.Background())
	if err := c.Err(); err != nil {
		t.Fatalf("Err of a live context: %v", err)
	}
	if err := Cause(c); err != nil {
		t.Fatalf("Cause of a live context: %v", err)
	}
	if _, ok := c.Deadline(); ok {
		t.Fatal("Deadline: a context without one has one")
	}
	notDone(t, c.Done(), "New")
	if pollIn(t, c.File()) {
		t.Fatal("the fd polls readable before the cancel")
	}
	cancel()
	waitDone(t, c.Done(), "cancel")
	if err := c.Err(); err != context.Canceled {
		t.Fatalf("Err: %v, want context.Canceled", err)
	}
	ce := causeOf(t, c)
	if ce.Code != -int64(syscall.ECANCELED) || ce.Pid != os.Getpid() {
		t.Fatalf("Cause: code %d pid %d, want %d and %d", ce.Code, ce.Pid,
			-int64(syscall.ECANCELED), os.Getpid())
	}
	if !errors.Is(ce, context.Canceled) || !errors.Is(ce, syscall.ECANCELED) {
		t.Fatalf("Cause %v is not context.Canceled and ECANCELED", ce)
	}
	if !pollIn(t, c.File()) {
		t.Fatal("the fd does not poll readable after the cancel")
	}
}

func TestUserCause(t *testing.T) {
	kctxtest.Begin(t)
	c, _ := mustNew(t, context.Background())
	if err := c.CancelCause(0x1234_5678_9abc); err != nil {
		t.Fatal(err)
	}
	waitDone(t, c.Done(), "CancelCause")
	ce := causeOf(t, c)
	if ce.Code != 0x1234_5678_9abc || ce.Errno() != 0 || ce.Err != context.Canceled {
		t.Fatalf("Cause: %+v", ce)
	}
	if st := mustState(t, c); st.Cause != -int32(syscall.ECANCELED) {
		t.Fatalf("kernel cause %d: a user cause reached kernel work", st.Cause)
	}
}

func TestCancelFromAnotherProcess(t *testing.T) {
	kctxtest.Begin(t)
	c, _ := mustNew(t, context.Background())
	done := c.Done()
	cmd := child(t, "cancel", c.File())
	waitDone(t, done, "a cancel by another process")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := c.Err(); err != context.Canceled {
		t.Fatalf("Err: %v, want context.Canceled", err)
	}
	if err := Cause(c); !errors.Is(err, syscall.ECONNABORTED) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Cause: %v, want ECONNABORTED", err)
	}
}

func TestKernelDeadline(t *testing.T) {
	kctxtest.Begin(t)
	const d = 200 * time.Millisecond
	before := time.Now()
	c := create(t, nil, kctxCreate{Kind: kindDeadline, Flags: createRelative,
		DeadlineNsec: uint32(d)})
	t.Cleanup(func() { c.Cancel() })
	after := time.Now()
	dl, ok := c.Deadline()
	if !ok {
		t.Fatal("Deadline: none")
	}
	// The kernel's CLOCK_MONOTONIC deadline, read back on Go's clock.
	// Reading it back (time.Now, then CLOCK_MONOTONIC) errs by the time
	// between the two, however long a busy host stalled the VM there.
	slack := 50 * time.Millisecond
	if dl.Before(before.Add(d-slack)) || dl.After(after.Add(d+slack)) {
		t.Fatalf("Deadline %v not within [%v, %v] + %v", dl, before, after, d)
	}
	waitDone(t, c.Done(), "the kernel deadline")
	if time.Now().Before(dl) {
		t.Fatalf("done at %v, before the deadline %v", time.Now(), dl)
	}
	if err := c.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err: %v, want context.DeadlineExceeded", err)
	}
	ce := causeOf(t, c)
	if ce.Code != -int64(syscall.ETIMEDOUT) || ce.Pid != 0 || !errors.Is(ce, context.DeadlineExceeded) {
		t.Fatalf("Cause: %+v, want -ETIMEDOUT, pid 0", ce)
	}
	if st := mustState(t, c); st.Err != -int32(syscall.ETIMEDOUT) {
		t.Fatalf("kernel err %d, want -ETIMEDOUT", st.Err)
	}
}

func TestGoDeadlineBecomesKernelDeadline(t *testing.T) {
	kctxtest.Begin(t)
	gp, gcancel := context.WithTimeout(context.Background(), time.Hour)
	defer gcancel()
	c, _ := mustNew(t, gp)
	gd, _ := gp.Deadline()
	kd, ok := c.Deadline()
	if !ok {
		t.Fatal("the Go deadline did not become a kernel one")
	}
	if diff := kd.Sub(gd); diff < -50*time.Millisecond || diff > 50*time.Millisecond {
		t.Fatalf("kernel deadline %v, Go's %v", kd, gd)
	}
	if st := mustState(t, c); st.Kind != kindDeadline {
		t.Fatalf("kind %d, want KCTX_KIND_DEADLINE", st.Kind)
	}

	// A short one: the kernel ends the context at it.
	gp2, gcancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer gcancel2()
	c2, _ := mustNew(t, gp2)
	waitDone(t, c2.Done(), "a Go deadline")
	if err := c2.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err: %v, want context.DeadlineExceeded", err)
	}
	if ce := causeOf(t, c2); ce.Code != -int64(syscall.ETIMEDOUT) || ce.Pid != 0 {
		t.Fatalf("Cause: %+v, want -ETIMEDOUT from no process", ce)
	}
	// The kernel's own deadline ended it, not a cancel from Go.
	if st := mustState(t, c2); st.Err != -int32(syscall.ETIMEDOUT) {
		t.Fatalf("kernel err %d, want -ETIMEDOUT", st.Err)
	}
}

func TestValue(t *testing.T) {
	kctxtest.Begin(t)
	root, _ := mustNew(t, context.Background())
	v := create(t, root, kctxCreate{Kind: kindValue, Key: 7, Value: 42})
	v2 := create(t, v, kctxCreate{Kind: kindValue, Key: 8, Value: 1 << 63})
	c, _ := mustNew(t, context.WithValue(v2, "go key", "go value"))
	if got := c.Value(Key(7)); got != uint64(42) {
		t.Errorf("Value(Key(7)) = %v (%T), want uint64 42", got, got)
	}
	if got := c.Value(Key(8)); got != uint64(1<<63) {
		t.Errorf("Value(Key(8)) = %v, want 1<<63", got)
	}
	if got := c.Value(Key(9)); got != nil {
		t.Errorf("Value(Key(9)) = %v, want nil", got)
	}
	if got := c.Value("go key"); got != "go value" {
		t.Errorf("Value(\"go key\") = %v, want the Go parent's", got)
	}
	if got := v.Value(Key(8)); got != nil {
		t.Errorf("a parent sees its child's value: %v", got)
	}
	// A Key only the Go parent has.
	g, _ := mustNew(t, context.WithValue(context.Background(), Key(9), uint64(5)))
	if got := g.Value(Key(9)); got != uint64(5) {
		t.Errorf("Value(Key(9)) = %v, want the Go parent's 5", got)
	}
	// c is the kernel child of v2, itself of v and root: one chain.
	if mustState(t, c).ParentID != mustState(t, v2).ID {
		t.Error("New under a Go wrapper of a kernel context: not its kernel child")
	}
}

// Go parent cancelled -> the kernel context is done, as anyone polling its
// fd sees.
func TestGoCancelReachesKernel(t *testing.T) {
	kctxtest.Begin(t)
	gp, gcancel := context.WithCancel(context.Background())
	c, _ := mustNew(t, gp)
	// Another view of the context: a Context of a duplicate of its fd.
	w, err := FromFile(c.File())
	if err != nil {
		t.Fatal(err)
	}
	notDone(t, w.Done(), "before the Go cancel")
	gcancel()
	waitDone(t, w.Done(), "the Go parent's cancel")
	if !pollIn(t, c.File()) {
		t.Fatal("the fd does not poll readable")
	}
	st := mustState(t, c)
	if st.State&stateDone == 0 || st.Err != -int32(syscall.ECANCELED) {
		t.Fatalf("kernel state %+v: not cancelled", st)
	}
	if err := c.Err(); err != context.Canceled {
		t.Fatalf("Err: %v", err)
	}
}

// Kernel cancel above -> Done of a Go context below closes; the cancel
// comes from another process, so only the kernel can carry it.
func TestKernelCancelReachesGo(t *testing.T) {
	kctxtest.Begin(t)
	root, _ := mustNew(t, context.Background())
	mid, _ := mustNew(t, root)
	wrapped, wcancel := context.WithCancel(context.WithValue(mid, "k", "v"))
	defer wcancel()
	leaf, _ := mustNew(t, wrapped)
	if mustState(t, leaf).ParentID != mustState(t, mid).ID ||
		mustState(t, mid).ParentID != mustState(t, root).ID {
		t.Fatal("New(kernel parent): not a kernel child")
	}
	notDone(t, leaf.Done(), "leaf")
	cmd := child(t, "cancel", root.File())
	waitDone(t, leaf.Done(), "leaf, after the root's cancel by another process")
	waitDone(t, wrapped.Done(), "a Go context derived from a kernel one")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := Cause(leaf); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("Cause(leaf): %v, want the root's ECONNABORTED", err)
	}
	if err := Cause(wrapped); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("Cause(a Go wrapper of mid): %v, want ECONNABORTED", err)
	}
}

// runUnderKctx runs `kctx run ARGS -- this binary` in the role "wait" and
// returns the process, and its stdout once it said "ready".
func runUnderKctx(t *testing.T, parent *Context, args ...string) (*exec.Cmd, *bufio.Reader, string) {
	t.Helper()
	tool := kctxtest.Tool(t)
	cmd := exec.Command(tool, append(append([]string{"run"}, args...), "--", os.Args[0])...)
	cmd.Env = append(os.Environ(), childEnv+"=wait")
	if parent != nil {
		cmd.ExtraFiles = []*os.File{parent.File()}
		cmd.Env = append(cmd.Env, envFD+"=3")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if !strings.HasPrefix(line, "ready") {
		t.Fatalf("kctx run: %q, %v; want \"ready\"", line, err)
	}
	return cmd, r, line
}

func TestFromEnvUnderKctxRun(t *testing.T) {
	kctxtest.Begin(t)
	// kctx run's context is a child of ours, through $KCTX_FD; our
	// cancel reaches the command's Go context through the kernel.
	c, _ := mustNew(t, context.Background())
	cmd, r, line := runUnderKctx(t, c)
	if line != "ready deadline=false\n" {
		t.Fatalf("child said %q", line)
	}
	if err := c.CancelCause(-int64(syscall.EHOSTDOWN)); err != nil {
		t.Fatal(err)
	}
	got, _ := r.ReadString('\n')
	want := fmt.Sprintf("err=context canceled cause=%v\n", &CauseError{
		Code: -int64(syscall.EHOSTDOWN), Err: context.Canceled})
	if got != want {
		t.Fatalf("child said %q, want %q", got, want)
	}
	cmd.Wait()
}

func TestFromEnvDeadlineUnderKctxRun(t *testing.T) {
	kctxtest.Begin(t)
	// Long enough for the command to start, and ignore kctx run's SIGTERM.
	cmd, r, line := runUnderKctx(t, nil, "--timeout", "3s")
	if line != "ready deadline=true\n" {
		t.Fatalf("child said %q", line)
	}
	got, _ := r.ReadString('\n')
	if !strings.HasPrefix(got, "err=context deadline exceeded cause=context deadline exceeded (cause: ") {
		t.Fatalf("child said %q", got)
	}
	cmd.Wait()
}

func TestFromFileAndEnvErrors(t *testing.T) {
	kctxtest.Begin(t)
	if _, err := FromFile(os.Stdin); err != syscall.EBADF {
		t.Errorf("FromFile(stdin): %v, want EBADF", err)
	}
	os.Unsetenv(envFD)
	if _, err := FromEnv(); err != ErrNoEnv {
		t.Errorf("FromEnv without $KCTX_FD: %v, want ErrNoEnv", err)
	}
	t.Setenv(envFD, "0")
	if _, err := FromEnv(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("FromEnv with $KCTX_FD=0: %v, want EBADF", err)
	}
	t.Setenv(envFD, "x")
	if _, err := FromEnv(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("FromEnv with $KCTX_FD=x: %v, want EBADF", err)
	}
}

// threads is the process's number of OS threads now.
func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Threads:") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "Threads:")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: in /proc/self/status")
	return 0
}

// Waiting on Done costs no OS thread: 1,000 contexts waited for at once
// leave the process with about the threads it had.
func TestDoneNeedsNoThread(t *testing.T) {
	kctxtest.Begin(t)
	const n = 1000
	root, _ := mustNew(t, context.Background())
	prof := pprof.Lookup("threadcreate")
	threads0, created0 := threads(t), prof.Count()
	waiting0 := atomic.LoadInt64(&waiting)
	ctxs := make([]*Context, n)
	for i := range ctxs {
		ctxs[i], _ = mustNew(t, root)
		ctxs[i].Done()
	}
	// Every watcher has found its context live and gone to wait.
	end := time.Now().Add(failAfter)
	for atomic.LoadInt64(&waiting) < waiting0+n {
		if time.Now().After(end) {
			t.Fatalf("%d of %d watchers waiting", atomic.LoadInt64(&waiting)-waiting0, n)
		}
		runtime.Gosched()
	}
	threads1, created1 := threads(t), prof.Count()
	fmt.Printf("#   %d contexts waited for: threads %d -> %d, threads created %d -> %d\n",
		n, threads0, threads1, created0, created1)
	if threads1-threads0 > 20 || created1-created0 > 20 {
		t.Fatalf("%d contexts waited for: threads %d -> %d, created %d -> %d",
			n, threads0, threads1, created0, created1)
	}
	for _, c := range ctxs {
		notDone(t, c.Done(), "a child of a live root")
	}
	root.Cancel()
	for _, c := range ctxs {
		waitDone(t, c.Done(), "a child of the cancelled root")
		if c.Err() != context.Canceled {
			t.Fatal("a child of the cancelled root: not Canceled")
		}
	}
}
