// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

package kctx

// The uapi of uapi/linux/kctx.h, by hand: the package uses the standard
// library only, so no cgo and no generated code. Every struct has the
// layout of its C twin on every architecture (each 64-bit field follows an
// even number of 32-bit ones), which TestUAPILayout checks.

import (
	"syscall"
	"unsafe"
)

const (
	devicePath = "/dev/kctx"
	envFD      = "KCTX_FD"

	kctxType = 0xC7

	// _IO(KCTX_TYPE, n): no direction, no size.
	iocCreate = kctxType<<8 | 0
	iocCancel = kctxType<<8 | 1
	iocState  = kctxType<<8 | 2
	iocValue  = kctxType<<8 | 3
	iocWatch  = kctxType<<8 | 5

	kindCancel   = 0
	kindDeadline = 1
	kindValue    = 2

	createRelative = 1 << 1

	clockMonotonic = 1 // CLOCK_MONOTONIC

	cancelCause = 1 << 0

	stateDone      = 1 << 0
	stateDeadline  = 1 << 1
	stateUserCause = 1 << 2
	stateOwner     = 1 << 3
)

type kctxCreate struct {
	Size         uint32
	Flags        uint32
	Kind         uint32
	Clockid      uint32
	DeadlineSec  int64
	DeadlineNsec uint32
	_            uint32
	Key          uint64
	Value        uint64
}

type kctxCancel struct {
	Size      uint32
	Flags     uint32
	Code      int32
	_         uint32
	UserCause uint64
	WaitNs    uint64
}

type kctxState struct {
	Size         uint32
	Flags        uint32
	State        uint32
	Err          int32
	Cause        int32
	CancellerPid int32
	Kind         uint32
	_            uint32
	UserCause    uint64
	DeadlineNs   uint64
	ID           uint64
	ParentID     uint64
}

type kctxValue struct {
	Size  uint32
	Flags uint32
	Key   uint64
	Value uint64
}

type kctxWatch struct {
	Size  uint32
	Flags uint32
}

// ioctl issues cmd on fd with arg, and returns its result or its errno.
func ioctl(fd uintptr, cmd uintptr, arg unsafe.Pointer) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, cmd, uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// monotonicNow is clock_gettime(CLOCK_MONOTONIC) in nanoseconds: the
// clock of struct kctx_state's deadline_ns.
func monotonicNow() int64 {
	var ts syscall.Timespec
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic,
		uintptr(unsafe.Pointer(&ts)), 0)
	if e != 0 {
		panic("kctx: clock_gettime(CLOCK_MONOTONIC): " + e.Error())
	}
	return ts.Nano()
}
