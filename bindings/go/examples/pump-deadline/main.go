// SPDX-License-Identifier: MIT

// Command pump-deadline starts a copy in the kernel, with kctx's example
// driver kctx_pump (kmod/examples/kctx_pump), and stops it with a Go
// deadline: kctx.New turns context.WithTimeout's deadline into a kernel
// one, so the kernel thread blocked reading an empty pipe gives up at it,
// with nothing in Go watching.
//
//	pump-deadline [-timeout DUR]
//
// It writes a few bytes into the pipe the pump reads, then nothing more,
// and prints what the pump copied and why it stopped. It needs kctx.ko
// and kctx_pump.ko loaded.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"kctx.dev/kctx"
)

// From kmod/examples/kctx_pump/kctx_pump.h.
const (
	pumpDevice   = "/dev/kctx_pump"
	pumpIocStart = 0xC7<<8 | 0x40
	pumpIocWait  = 0xC7<<8 | 0x41
)

type pumpStart struct {
	Size  uint32
	Flags uint32
	CtxFD int32
	InFD  int32
	OutFD int32
	_     uint32
}

type pumpWait struct {
	Size  uint32
	Flags uint32
	Bytes uint64
	Err   int32
	_     uint32
}

func ioctl(fd uintptr, cmd uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, cmd, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// result is how a pump ended.
type result struct {
	Bytes   uint64
	Err     syscall.Errno // 0 at end of file, else what the kernel said
	CtxErr  error         // the Go context's Err, once Done
	Elapsed time.Duration // from before the context to Done
}

// pump copies "hello, kernel" and then nothing through kctx_pump under a
// timeout, and reports how it ended.
func pump(timeout time.Duration) (*result, error) {
	start := time.Now()
	goctx, stop := context.WithTimeout(context.Background(), timeout)
	defer stop()
	ctx, cancel, err := kctx.New(goctx)
	if err != nil {
		return nil, err
	}
	defer cancel()

	dev, err := os.OpenFile(pumpDevice, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	var in, out [2]int
	if err := syscall.Pipe2(in[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	defer syscall.Close(in[0])
	defer syscall.Close(in[1])
	if err := syscall.Pipe2(out[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return nil, err
	}
	defer syscall.Close(out[0])
	defer syscall.Close(out[1])
	// The pump's end of the output pipe must block.
	if err := syscall.SetNonblock(out[1], false); err != nil {
		return nil, err
	}

	s := pumpStart{Size: uint32(unsafe.Sizeof(pumpStart{})), InFD: int32(in[0]), OutFD: int32(out[1])}
	s.CtxFD = int32(ctx.File().Fd())
	if err := ioctl(dev.Fd(), pumpIocStart, unsafe.Pointer(&s)); err != nil {
		return nil, fmt.Errorf("KCTX_PUMP_IOC_START: %w", err)
	}
	if _, err := syscall.Write(in[1], []byte("hello, kernel")); err != nil {
		return nil, err
	}

	// Go waits on the context as on any other: the runtime's poller.
	<-ctx.Done()
	r := &result{CtxErr: ctx.Err(), Elapsed: time.Since(start)}
	// The pump's own account: the thread is gone once this returns.
	w := pumpWait{Size: uint32(unsafe.Sizeof(pumpWait{}))}
	if err := ioctl(dev.Fd(), pumpIocWait, unsafe.Pointer(&w)); err != nil {
		return nil, fmt.Errorf("KCTX_PUMP_IOC_WAIT: %w", err)
	}
	r.Bytes = w.Bytes
	r.Err = syscall.Errno(-w.Err)
	return r, nil
}

func main() {
	timeout := flag.Duration("timeout", 200*time.Millisecond, "the Go deadline")
	flag.Parse()
	r, err := pump(*timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pump-deadline:", err)
		os.Exit(1)
	}
	fmt.Printf("context done after %v: %v\n", r.Elapsed.Round(time.Millisecond), r.CtxErr)
	fmt.Printf("the pump copied %d bytes and stopped: %v\n", r.Bytes, r.Err)
}
