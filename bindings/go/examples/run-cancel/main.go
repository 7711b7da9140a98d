// SPDX-License-Identifier: MIT

// Command run-cancel runs a command under `kctx run` and cancels it from
// Go: the command's context is a kernel child of a kctx.New context,
// handed to kctx run as $KCTX_FD, and cancelling that context in Go (after
// -after, or at SIGINT) reaches the command through the kernel. kctx run
// then signals the command and exits with its status.
//
//	run-cancel [-kctx PATH] [-after DUR] -- CMD [ARG]...
//
// For example, `run-cancel -after 2s -- sleep 1000` ends sleep after two
// seconds, and exits 143 (128 + SIGTERM), as kctx run does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"time"

	"kctx.dev/kctx"
)

// run runs argv under `tool run`, with its output to stdout, cancels it
// when cancelNow is ready, and returns kctx run's exit status.
func run(tool string, cancelNow <-chan time.Time, argv []string, stdout io.Writer) (int, error) {
	sigs, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel, err := kctx.New(sigs)
	if err != nil {
		return 0, err
	}
	defer cancel()

	cmd := exec.Command(tool, append([]string{"run", "--"}, argv...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, os.Stderr
	// The context's owner fd becomes the command's fd 3, $KCTX_FD: kctx
	// run makes the command's context a child of it.
	cmd.ExtraFiles = []*os.File{ctx.File()}
	cmd.Env = append(os.Environ(), "KCTX_FD=3")
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	select {
	case err = <-exited:
		// The command ended by itself.
	case <-cancelNow:
		fmt.Fprintf(os.Stderr, "run-cancel: cancelling %s\n", ctx)
		cancel()
		err = <-exited
	case <-ctx.Done():
		// SIGINT, or a cancel by another process holding the fd.
		err = <-exited
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

func main() {
	tool := flag.String("kctx", "kctx", "the kctx tool")
	after := flag.Duration("after", time.Second, "cancel the command after this long")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: run-cancel [-kctx PATH] [-after DUR] -- CMD [ARG]...")
		os.Exit(2)
	}
	status, err := run(*tool, time.After(*after), flag.Args(), os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run-cancel:", err)
		os.Exit(125)
	}
	os.Exit(status)
}
