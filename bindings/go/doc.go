// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

// Package kctx makes kctx kernel contexts Go contexts.
//
// kctx brings Go's context model to the Linux kernel: trees of contexts
// with cancellation, deadlines, causes and values, which userspace reaches
// as file descriptors through /dev/kctx (uapi/linux/kctx.h). A *Context is
// a context.Context backed by such a file descriptor, so Go code passes it
// to anything that takes a context, while other processes, the kctx tool
// and kernel code share the same context through its fd:
//
//   - FromEnv and FromFile wrap a context fd someone gave this process:
//     $KCTX_FD, which `kctx run` sets for its command, or any *os.File.
//   - New makes a kernel context below a Go parent, like
//     context.WithCancel: the kernel child of the nearest kernel context
//     in the parent, with the parent's deadline as a kernel deadline.
//   - Done is driven by the Go runtime's poller on a watch-only fd of the
//     context: waiting costs a parked goroutine, not an OS thread.
//   - Err, Deadline, Value and Cause read the kernel's state: what other
//     processes and kernel code did to the context shows.
//   - File hands the context on: to a child process (exec.Cmd.ExtraFiles
//     and $KCTX_FD) or to a driver that takes a context fd.
//
// Go cannot interrupt a goroutine blocked in a read of a regular file or
// of a pipe outside the poller, nor an uninterruptible sleep; a context is
// only a signal to code that looks at it. Work handed to a process or to
// kernel code with File stops when the context is done, even so. See
// Documentation/go.rst in kctx's repository.
//
// The package uses the standard library only and builds with Go 1.19.
// Its module path, kctx.dev/kctx, is a name: use it with a replace
// directive that points at kctx's bindings/go.
package kctx
