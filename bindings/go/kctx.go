// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

package kctx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// ErrNoEnv is returned by FromEnv when $KCTX_FD is not set.
var ErrNoEnv = errors.New("kctx: $KCTX_FD is not set")

// Key is a key of a kernel context's values. The kernel keeps values
// under 64-bit keys; Value(Key(k)) on a Context returns the uint64 the
// nearest context in the kernel chain carries under k, or, if none does,
// what the Go parent (New's) returns for it, or nil.
type Key uint64

// kernelKey is the key under which a Context, and every Go context
// derived from one, gives the nearest *Context: New and Cause find the
// kernel context below Go's wrappers with it.
type kernelKey struct{}

// Context is a context.Context backed by a kctx kernel context, reached
// through a file descriptor. It is safe for concurrent use.
//
// Done is driven by the Go runtime's poller on a watch-only fd of the
// context: a Context being waited for costs a parked goroutine, not an
// OS thread. Err, Deadline and Value ask the kernel, so they see what
// other processes and kernel code did to the context. Its file
// descriptors are close-on-exec and are closed when the Context is
// garbage collected.
type Context struct {
	f      *os.File        // the context fd: an owner or a watch-only fd
	parent context.Context // New's parent: the fallback of Value; or nil

	startOnce sync.Once
	closeOnce sync.Once
	done      chan struct{}
}

// waiting counts the Done watchers that are waiting for their context; the
// tests read it to know that every watcher has gone to sleep.
var waiting int64

// fromFD makes a Context of a duplicate of fd, after checking that fd is a
// kctx context fd. fd itself is left alone.
func fromFD(fd int) (*Context, error) {
	if fd < 0 {
		return nil, syscall.EBADF
	}
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return nil, e
	}
	nfd := int(r)
	if !isContextFD(nfd) {
		syscall.Close(nfd)
		return nil, syscall.EBADF
	}
	return adopt(nfd, nil), nil
}

// adopt wraps the context fd fd, which the Context owns from here on.
func adopt(fd int, parent context.Context) *Context {
	return &Context{
		f:      os.NewFile(uintptr(fd), "kctx:"+strconv.Itoa(fd)),
		parent: parent,
		done:   make(chan struct{}),
	}
}

// isContextFD reports whether fd is a kctx context fd: its /proc link
// names kctx's anon inode; without /proc, KCTX_IOC_STATE answering is the
// test (as libkctx's kctx_from_fd(3)).
func isContextFD(fd int) bool {
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err == nil {
		return link == "anon_inode:[kctx]"
	}
	st := kctxState{Size: uint32(unsafe.Sizeof(kctxState{}))}
	_, err = ioctl(uintptr(fd), iocState, unsafe.Pointer(&st))
	return err == nil
}

// FromFile returns a Context for the kctx context fd f: an owner fd (from
// KCTX_IOC_CREATE, $KCTX_FD, New's File) or a watch-only one. The Context
// holds a duplicate of f's descriptor, so f may be closed afterwards
// without ending the context (closing the last owner fd of a context
// cancels it; the duplicate is one). It fails with syscall.EBADF if f is
// not a context fd.
func FromFile(f *os.File) (*Context, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var c *Context
	var ferr error
	if err := rc.Control(func(fd uintptr) { c, ferr = fromFD(int(fd)) }); err != nil {
		return nil, err
	}
	return c, ferr
}

// FromEnv returns a Context for the context fd named by $KCTX_FD, which
// `kctx run` sets for the command it runs. It fails with ErrNoEnv when the
// variable is not set and with syscall.EBADF when it names no context fd.
// The fd itself stays open (and inheritable), for the processes this one
// starts; the Context holds a close-on-exec duplicate.
func FromEnv() (*Context, error) {
	s, ok := os.LookupEnv(envFD)
	if !ok {
		return nil, ErrNoEnv
	}
	fd, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return nil, fmt.Errorf("kctx: $%s=%q: %w", envFD, s, syscall.EBADF)
	}
	c, err := fromFD(int(fd))
	if err != nil {
		return nil, fmt.Errorf("kctx: $%s=%s: %w", envFD, s, err)
	}
	return c, nil
}

// do runs f on the context's fd, which can't be closed meanwhile.
func (c *Context) do(f func(fd uintptr) error) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(fd) }); err != nil {
		return err
	}
	return ferr
}

func (c *Context) state() (kctxState, error) {
	st := kctxState{Size: uint32(unsafe.Sizeof(kctxState{}))}
	err := c.do(func(fd uintptr) error {
		_, err := ioctl(fd, iocState, unsafe.Pointer(&st))
		return err
	})
	return st, err
}

// Deadline returns the context's effective deadline, the earliest of its
// own and its ancestors' in the kernel, as a time.Time whose monotonic
// reading is that of the kernel's CLOCK_MONOTONIC deadline.
func (c *Context) Deadline() (deadline time.Time, ok bool) {
	st, err := c.state()
	if err != nil || st.State&stateDeadline == 0 {
		return time.Time{}, false
	}
	now := time.Now()
	return now.Add(time.Duration(int64(st.DeadlineNs) - monotonicNow())), true
}

// Done returns a channel that is closed when the kernel context is done:
// cancelled by anyone holding an owner fd (in this process or another),
// past its deadline, done with an ancestor, or ended by the death of its
// last owner. The first call starts a goroutine that waits in the Go
// runtime's poller on a watch-only, non-blocking fd of the context
// (KCTX_IOC_WATCH); no OS thread is held while it waits.
func (c *Context) Done() <-chan struct{} {
	c.startOnce.Do(c.watch)
	return c.done
}

// finish closes the Done channel.
func (c *Context) finish() {
	c.closeOnce.Do(func() { close(c.done) })
}

// watch starts the goroutine behind Done.
func (c *Context) watch() {
	select {
	case <-c.done:
		return // Err saw it done first
	default:
	}
	var wfd int
	err := c.do(func(fd uintptr) error {
		w := kctxWatch{Size: uint32(unsafe.Sizeof(kctxWatch{}))}
		r, err := ioctl(fd, iocWatch, unsafe.Pointer(&w))
		wfd = r
		return err
	})
	if err == nil {
		err = syscall.SetNonblock(wfd, true)
		if err != nil {
			syscall.Close(wfd)
		}
	}
	if err != nil {
		// No second fd (EMFILE, say): a goroutine in a blocking poll
		// of our own fd, which costs a thread while it waits.
		go c.waitBlocking()
		return
	}
	// A non-blocking fd is registered with the runtime's poller (epoll).
	w := os.NewFile(uintptr(wfd), "kctx-watch:"+strconv.Itoa(wfd))
	rc, err := w.SyscallConn()
	if err != nil {
		w.Close()
		go c.waitBlocking()
		return
	}
	go func() {
		parked := false
		err := rc.Read(func(fd uintptr) bool {
			st := kctxState{Size: uint32(unsafe.Sizeof(kctxState{}))}
			if _, err := ioctl(fd, iocState, unsafe.Pointer(&st)); err != nil {
				return true
			}
			if st.State&stateDone != 0 {
				return true
			}
			if !parked {
				parked = true
				atomic.AddInt64(&waiting, 1)
			}
			return false
		})
		if parked {
			atomic.AddInt64(&waiting, -1)
		}
		w.Close()
		if err != nil {
			// The poller can't wait on it after all.
			c.waitBlocking()
			return
		}
		c.finish()
	}()
}

// waitBlocking waits for the context in a blocking ppoll(2): the fallback
// of watch, holding an OS thread.
func (c *Context) waitBlocking() {
	atomic.AddInt64(&waiting, 1)
	defer atomic.AddInt64(&waiting, -1)
	for {
		var e syscall.Errno
		err := c.do(func(fd uintptr) error {
			pfd := struct {
				fd      int32
				events  int16
				revents int16
			}{int32(fd), 0x1 /* POLLIN */, 0}
			_, _, e = syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, 0, 0, 0, 0)
			return nil
		})
		if err != nil || (e != 0 && e != syscall.EINTR) {
			break
		}
		if st, err := c.state(); err != nil || st.State&stateDone != 0 {
			break
		}
	}
	c.finish()
}

// errOf maps a done context's state to Go's errors: context.DeadlineExceeded
// for -ETIMEDOUT, and for a cancel whose cause is -ETIMEDOUT;
// context.Canceled otherwise.
func errOf(st *kctxState) error {
	if st.Err == -int32(syscall.ETIMEDOUT) || st.Cause == -int32(syscall.ETIMEDOUT) {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// Err returns nil while the kernel context is live; once it is done,
// context.DeadlineExceeded if it ended at a deadline (the kernel's error
// -ETIMEDOUT) or was cancelled with the cause -ETIMEDOUT, and
// context.Canceled otherwise. When Err
// returns non-nil, the Done channel is closed. Cause tells more.
func (c *Context) Err() error {
	st, err := c.state()
	if err != nil {
		// The fd is unusable (closed under us): no longer a live context.
		c.finish()
		return context.Canceled
	}
	if st.State&stateDone == 0 {
		return nil
	}
	c.finish()
	return errOf(&st)
}

// Value returns, for a Key, the uint64 the kernel context or its nearest
// ancestor in the kernel carries under it (KCTX_IOC_VALUE). Keys the
// kernel does not have, and keys of any other type, are looked up in the
// Go parent New was given, if any; otherwise Value returns nil.
func (c *Context) Value(key any) any {
	switch k := key.(type) {
	case kernelKey:
		return c
	case Key:
		v := kctxValue{Size: uint32(unsafe.Sizeof(kctxValue{})), Key: uint64(k)}
		err := c.do(func(fd uintptr) error {
			_, err := ioctl(fd, iocValue, unsafe.Pointer(&v))
			return err
		})
		if err == nil {
			return v.Value
		}
	}
	if c.parent != nil {
		return c.parent.Value(key)
	}
	return nil
}

// File returns the context's file descriptor, to hand to a child process
// (exec.Cmd.ExtraFiles, with $KCTX_FD set to its number there) or to a
// driver that takes a context fd. It is an owner fd for a Context from New
// (so whoever holds it can cancel the context and make children of it),
// and whatever FromFile or FromEnv was given otherwise. The file belongs
// to the Context: do not close it; closing the last owner fd of a kernel
// context cancels it.
func (c *Context) File() *os.File {
	return c.f
}

// Cancel cancels the kernel context and everything below it, as
// KCTX_IOC_CANCEL: the first cancel wins, and later ones do nothing. It
// needs an owner fd (syscall.EPERM otherwise).
func (c *Context) Cancel() error {
	return c.CancelCause(0)
}

// CancelCause cancels the kernel context with a cause, as
// kctx_cancel_cause(3): a cause in [-4095, -1] is a negative errno, which
// kernel work for the context sees too; any other non-zero cause is for
// userspace alone (Cause returns it); 0 is a plain cancel.
func (c *Context) CancelCause(cause int64) error {
	cc := kctxCancel{Size: uint32(unsafe.Sizeof(kctxCancel{}))}
	if cause != 0 {
		cc.Flags = cancelCause
		if cause >= -4095 && cause <= -1 {
			cc.Code = int32(cause)
		}
		cc.UserCause = uint64(cause)
	}
	return c.do(func(fd uintptr) error {
		_, err := ioctl(fd, iocCancel, unsafe.Pointer(&cc))
		return err
	})
}

// String names the context by its kernel id, as `kctx tree` shows it.
func (c *Context) String() string {
	st, err := c.state()
	if err != nil {
		return "kctx.Context(" + err.Error() + ")"
	}
	return "kctx.Context(" + strconv.FormatUint(st.ID, 10) + ")"
}

// CauseError is what Cause returns for a done kernel context: why it is
// done, as the kernel tells it (struct kctx_state).
type CauseError struct {
	// Code is the cause as kctx_cause(3) gives it: the user cause of
	// the cancel that reached the context when it gave one, else the
	// kernel's code: -ECANCELED for a plain cancel, -ETIMEDOUT for a
	// deadline, -EOWNERDEAD when the last owner fd was closed, or the
	// negative errno a canceller chose.
	Code int64
	// Err is the context's error: context.Canceled or
	// context.DeadlineExceeded, as Err returns it.
	Err error
	// Pid is the process that cancelled, in this pid namespace; 0 for a
	// deadline, a kernel cancel, or a process that has exited.
	Pid int
}

// Errno returns the cause as an errno, if it is one (Code in [-4095, -1]),
// and 0 otherwise.
func (e *CauseError) Errno() syscall.Errno {
	if e.Code >= -4095 && e.Code <= -1 {
		return syscall.Errno(-e.Code)
	}
	return 0
}

// Error says the context's error and its cause.
func (e *CauseError) Error() string {
	if n := e.Errno(); n != 0 {
		return fmt.Sprintf("%v (cause: %v)", e.Err, n)
	}
	return fmt.Sprintf("%v (cause: %#x)", e.Err, uint64(e.Code))
}

// Unwrap returns the errno of the cause (see Errno), or nil, so that
// errors.Is(Cause(ctx), syscall.ECONNABORTED) works.
func (e *CauseError) Unwrap() error {
	if n := e.Errno(); n != 0 {
		return n
	}
	return nil
}

// Is reports whether target is the context's error, so that
// errors.Is(Cause(ctx), context.Canceled) works too.
func (e *CauseError) Is(target error) bool {
	return target == e.Err
}

// Cause returns why ctx is done. For a Context, or a Go context derived
// from one (context.WithValue, WithTimeout...) whose kernel context is
// done, it is a *CauseError with the kernel's cause. Otherwise it is
// ctx.Err(): nil while ctx is live, and Go's own error when ctx is done
// on the Go side alone.
func Cause(ctx context.Context) error {
	if k, ok := ctx.Value(kernelKey{}).(*Context); ok {
		if st, err := k.state(); err == nil && st.State&stateDone != 0 {
			k.finish()
			e := &CauseError{Code: int64(st.Cause), Err: errOf(&st), Pid: int(st.CancellerPid)}
			if st.State&stateUserCause != 0 {
				e.Code = int64(st.UserCause)
			}
			return e
		}
	}
	return ctx.Err()
}

// New returns a new kernel context that is done when parent is done, and
// a function that cancels it, like context.WithCancel. Call the function
// when the work is over: it cancels the kernel context, and with it
// everything started under it.
//
// If parent is a Context, or a Go context derived from one, the new
// context is the kernel child of the nearest such Context (KCTX_IOC_CREATE
// on its fd), so that a cancel anywhere above it, in the kernel or in any
// process, reaches it without Go. Otherwise it is a child of the kernel's
// background root. If parent has a deadline that its kernel ancestor
// doesn't already impose, the new context gets it as a kernel deadline
// (KCTX_KIND_DEADLINE on CLOCK_MONOTONIC), so kernel work and other
// processes see it and the kernel ends the context at it with -ETIMEDOUT.
// Any other end of parent (a Go cancel; context.Cause's causes don't exist
// in Go 1.19) is passed on by a goroutine waiting on parent's Done, which
// cancels the kernel context with the cause -ECANCELED, unless the kernel
// ancestor is done too (then the kernel's own cancel, with its cause,
// reaches the new context). It is parked on channels, and exits when
// either context is done.
//
// New fails if /dev/kctx can't be opened (kctx is not loaded) or the
// kernel refuses the context (ENOSPC at the user's cap, EMFILE).
func New(parent context.Context) (*Context, context.CancelFunc, error) {
	if parent == nil {
		panic("kctx.New: nil parent")
	}
	kp, _ := parent.Value(kernelKey{}).(*Context)
	cr := kctxCreate{Size: uint32(unsafe.Sizeof(kctxCreate{})), Kind: kindCancel}
	// kernelDeadline: the kernel context will be done at parent's
	// deadline by itself, so Go need not pass that on.
	kernelDeadline := false
	if d, ok := parent.Deadline(); ok {
		kd, kok := time.Time{}, false
		if kp != nil {
			kd, kok = kp.Deadline()
		}
		kernelDeadline = true
		if !kok || d.Before(kd) {
			// On CLOCK_MONOTONIC, which both Go's timers and the
			// kernel's deadlines run on.
			at := monotonicNow() + int64(time.Until(d))
			if at < 0 {
				at = 0
			}
			cr.Kind = kindDeadline
			cr.Clockid = clockMonotonic
			cr.DeadlineSec = at / int64(time.Second)
			cr.DeadlineNsec = uint32(at % int64(time.Second))
		}
	}
	create := func(fd uintptr) (int, error) {
		return ioctl(fd, iocCreate, unsafe.Pointer(&cr))
	}
	fd := -1
	var err error = syscall.EPERM
	if kp != nil {
		err = kp.do(func(pfd uintptr) error {
			var e error
			fd, e = create(pfd)
			return e
		})
	}
	if err == syscall.EPERM || err == syscall.EBADF {
		// No kernel parent, or only a watch-only fd of one: a child
		// of the background, tied to parent by Go alone.
		kp = nil
		dev, derr := syscall.Open(devicePath, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
		if derr != nil {
			return nil, nil, &os.PathError{Op: "open", Path: devicePath, Err: derr}
		}
		fd, err = create(uintptr(dev))
		syscall.Close(dev)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("kctx: KCTX_IOC_CREATE: %w", err)
	}
	c := adopt(fd, parent)
	cancel := func() { _ = c.Cancel() }
	// The parent's own Done, when the kernel won't tell: a Go context,
	// or a Go wrapper (WithCancel, WithTimeout) of a kernel one.
	if pk, ok := parent.(*Context); (!ok || pk != kp) && parent.Done() != nil {
		pd, cd := parent.Done(), c.Done()
		go func() {
			select {
			case <-pd:
				if kp != nil {
					if st, err := kp.state(); err == nil && st.State&stateDone != 0 {
						// parent ended with its kernel
						// context, whose cancel reaches
						// this kernel child by itself,
						// with its own cause.
						return
					}
				}
				code := -int64(syscall.ECANCELED)
				if parent.Err() == context.DeadlineExceeded {
					if kernelDeadline {
						// The kernel's timer, at the same
						// time, ends it with -ETIMEDOUT.
						return
					}
					code = -int64(syscall.ETIMEDOUT)
				}
				_ = c.CancelCause(code)
			case <-cd:
			}
		}()
	}
	return c, cancel, nil
}
