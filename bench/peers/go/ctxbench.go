// SPDX-License-Identifier: GPL-2.0
//
// ctxbench - Go's own context package, measured on the shapes `make bench`
// measures kctx on, so that a kctx row has a Go row beside it that did the
// same work.
//
//	ctxbench -side NAME [-only REGEXP] [-reps N]
//
// The shapes follow Go's src/context/benchmark_test.go (CancelTree,
// CheckCanceled, CommonParentCancel, WithTimeout) plus CreateCancel, FanOut
// and Memory, with the counts that the kernel side, libkctx and
// bench/peers/cpp/stopbench.cpp use too. testing.B is not used: it picks
// its own iteration counts, and the rows are only comparable if every side
// runs exactly the same number of operations.
//
// Every benchmark runs one untimed warm-up rep and then -reps timed reps
// (default 5); each rep times its whole loop with the monotonic clock and
// divides by the operations in it, and the median of the reps is printed on
// stdout as
//
//	@bench side=S name=N value=V unit=ns|B n=OPS reps=R
//
// A line on stderr says which benchmark is starting. -only is an unanchored
// regexp (package regexp) matched against the whole name, e.g.
// -only 'CancelTree/depth=1000/'. runtime.GC() runs before every rep, as
// testing.B does before a run, so one rep's garbage is not billed to the
// next; garbage a rep makes itself is collected inside it and counts, which
// is Go's real price for it.
//
// Builds with Go 1.19 (Debian 12): nothing newer than that from context.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

var (
	side   = flag.String("side", "", "name for the side column, e.g. go-vm or go-host (required)")
	only   = flag.String("only", "", "run only benchmarks whose name matches this regexp")
	reps   = flag.Int("reps", 5, "timed reps per benchmark; the median is printed")
	onlyRE *regexp.Regexp
)

// sink keeps results the compiler would otherwise be free to drop.
var sink int

// seed is 0, but the compiler can't know that, so the busy loops below
// can't be folded away.
var seed int

// A bench is one setup and loop. run does one rep and returns one per-op
// figure for each of names: FanOut measures attach and cancel in the same
// rep because cancel needs the children that attach made.
type bench struct {
	names    []string
	unit     string
	n        int // operations per rep, per thread
	reps     int // 0: -reps
	setup    func()
	run      func() []float64
	teardown func()
}

func matches(name string) bool {
	return onlyRE == nil || onlyRE.MatchString(name)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func runBench(b bench) {
	selected := false
	for _, name := range b.names {
		selected = selected || matches(name)
	}
	if !selected {
		return
	}
	r := b.reps
	if r == 0 {
		r = *reps
	}
	fmt.Fprintf(os.Stderr, "ctxbench: %s: %s\n", *side, strings.Join(b.names, " "))
	if b.setup != nil {
		b.setup()
	}
	runtime.GC()
	b.run()
	samples := make([][]float64, len(b.names))
	for i := 0; i < r; i++ {
		runtime.GC()
		for j, v := range b.run() {
			samples[j] = append(samples[j], v)
		}
	}
	if b.teardown != nil {
		b.teardown()
	}
	for j, name := range b.names {
		if matches(name) {
			fmt.Printf("@bench side=%s name=%s value=%.1f unit=%s n=%d reps=%d\n",
				*side, name, median(samples[j]), b.unit, b.n, r)
		}
	}
}

func perOp(d time.Duration, ops int) float64 {
	return float64(d.Nanoseconds()) / float64(ops)
}

// CreateCancel: the cost of one child that lives and dies under a live
// parent, which is what a request handler pays per request.
func createCancel() bench {
	const n = 100000
	return bench{
		names: []string{"CreateCancel"}, unit: "ns", n: n,
		run: func() []float64 {
			parent, pcancel := context.WithCancel(context.Background())
			t0 := time.Now()
			for i := 0; i < n; i++ {
				_, cancel := context.WithCancel(parent)
				cancel()
			}
			d := time.Since(t0)
			pcancel()
			return []float64{perOp(d, n)}
		},
	}
}

// CheckCanceled: polling a context, done and live. Err takes the context's
// mutex in Go 1.19; Done is a non-blocking receive on its channel.
func checkCanceled(how string, done bool) bench {
	const n = 10000000
	state := "live"
	if done {
		state = "done"
	}
	return bench{
		names: []string{"CheckCanceled/" + how + "/" + state}, unit: "ns", n: n,
		run: func() []float64 {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if done {
				cancel()
			}
			hits := 0
			t0 := time.Now()
			if how == "Err" {
				for i := 0; i < n; i++ {
					if ctx.Err() != nil {
						hits++
					}
				}
			} else {
				for i := 0; i < n; i++ {
					select {
					case <-ctx.Done():
						hits++
					default:
					}
				}
			}
			d := time.Since(t0)
			sink += hits
			return []float64{perOp(d, n)}
		},
	}
}

// chain hangs depth WithCancel contexts below root, each the child of the
// one before, and drops them as Go's buildContextTree does: nothing cancels
// them but their root, and the collector takes them.
func chain(root context.Context, depth int) {
	for d := 0; d < depth; d++ {
		root, _ = context.WithCancel(root)
	}
}

// CancelTree: build a chain and cancel it from its root. The figure is per
// node so that depths compare: every depth does about 100000 nodes a rep.
func cancelTree(depth int, root string) bench {
	iters := 100000 / depth
	if iters < 1 {
		iters = 1
	}
	n := iters * depth
	return bench{
		names: []string{fmt.Sprintf("CancelTree/depth=%d/root=%s", depth, root)},
		unit:  "ns", n: n,
		run: func() []float64 {
			t0 := time.Now()
			for i := 0; i < iters; i++ {
				switch root {
				case "Background":
					chain(context.Background(), depth)
				case "OpenCanceler":
					ctx, cancel := context.WithCancel(context.Background())
					chain(ctx, depth)
					cancel()
				case "ClosedCanceler":
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					chain(ctx, depth)
				}
			}
			return []float64{perOp(time.Since(t0), n)}
		},
	}
}

// FanOut: one parent with many children; attaching them and cancelling
// them all through the parent are timed apart, both per child.
func fanOut(n int) bench {
	base := fmt.Sprintf("FanOut/n=%d/", n)
	return bench{
		names: []string{base + "attach", base + "cancel"}, unit: "ns", n: n,
		run: func() []float64 {
			cancels := make([]context.CancelFunc, n)
			parent, pcancel := context.WithCancel(context.Background())
			t0 := time.Now()
			for i := range cancels {
				_, cancels[i] = context.WithCancel(parent)
			}
			attach := time.Since(t0)
			t0 = time.Now()
			pcancel()
			cancel := time.Since(t0)
			// Go's free is dropping the last reference, here on return;
			// the runtime.GC() before the next rep collects off the clock.
			return []float64{perOp(attach, n), perOp(cancel, n)}
		},
	}
}

// CommonParentCancel: threads that create and cancel children of one
// shared parent, with some work in between so that they contend on the
// parent the way request handlers do, not back to back. The figure is wall
// time per operation per thread: flat means the parent doesn't serialise.
func commonParentCancel(threads int) bench {
	const n = 100000
	type key struct{}
	return bench{
		names: []string{fmt.Sprintf("CommonParentCancel/threads=%d", threads)},
		unit:  "ns", n: n,
		run: func() []float64 {
			prev := runtime.GOMAXPROCS(threads)
			defer runtime.GOMAXPROCS(prev)
			root := context.WithValue(context.Background(), key{}, "value")
			shared, scancel := context.WithCancel(root)
			defer scancel()

			var ready, done sync.WaitGroup
			start := make(chan struct{})
			ready.Add(threads)
			done.Add(threads)
			for t := 0; t < threads; t++ {
				go func() {
					defer done.Done()
					x := seed
					ready.Done()
					<-start
					for i := 0; i < n; i++ {
						ctx, cancel := context.WithCancel(shared)
						if ctx.Value(key{}).(string) != "value" {
							panic("ctxbench: lost the value")
						}
						for j := 0; j < 100; j++ {
							x /= x + 1
						}
						cancel()
						for j := 0; j < 100; j++ {
							x /= x + 1
						}
					}
					if x != 0 {
						panic("ctxbench: busy work went wrong")
					}
				}()
			}
			ready.Wait()
			t0 := time.Now()
			close(start)
			done.Wait()
			return []float64{perOp(time.Since(t0), n)}
		},
	}
}

// WithTimeout: a context with a timer, created and cancelled while live
// others sit in the timer heap, which is what makes it cost more as they
// grow.
func withTimeout(live int) bench {
	const n = 100000
	var cancels []context.CancelFunc
	var ctxs []context.Context
	return bench{
		names: []string{fmt.Sprintf("WithTimeout/live=%d", live)}, unit: "ns", n: n,
		setup: func() {
			cancels = make([]context.CancelFunc, live)
			ctxs = make([]context.Context, live)
			for i := range cancels {
				ctxs[i], cancels[i] = context.WithTimeout(context.Background(), time.Minute)
			}
		},
		run: func() []float64 {
			t0 := time.Now()
			for i := 0; i < n; i++ {
				_, cancel := context.WithTimeout(context.Background(), time.Minute)
				cancel()
			}
			return []float64{perOp(time.Since(t0), n)}
		},
		teardown: func() {
			fired := 0
			for i, cancel := range cancels {
				if ctxs[i].Err() != nil {
					fired++
				}
				cancel()
			}
			if fired > 0 {
				// Only under a very slow emulator: the heap then shrank
				// while the loop ran.
				fmt.Fprintf(os.Stderr, "ctxbench: %s: %d of the %d live timers fired before the end\n",
					*side, fired, live)
			}
			cancels, ctxs = nil, nil
		},
	}
}

// Memory: heap bytes per context, as the runtime counts them (TotalAlloc,
// in size classes), including the child's entry in its parent's children
// map and the map's growth: a real cost of attaching to a parent.
func memory(kind string) bench {
	const n = 100000
	return bench{
		names: []string{"Memory/" + kind}, unit: "B", n: n, reps: 1,
		run: func() []float64 {
			cancels := make([]context.CancelFunc, n)
			parent, pcancel := context.WithCancel(context.Background())
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if kind == "cancel" {
				for i := range cancels {
					_, cancels[i] = context.WithCancel(parent)
				}
			} else {
				for i := range cancels {
					_, cancels[i] = context.WithTimeout(parent, time.Minute)
				}
			}
			runtime.ReadMemStats(&after)
			pcancel()
			return []float64{float64(after.TotalAlloc-before.TotalAlloc) / n}
		},
	}
}

func main() {
	flag.Parse()
	if *side == "" || flag.NArg() != 0 || *reps < 1 {
		fmt.Fprintln(os.Stderr, "usage: ctxbench -side NAME [-only REGEXP] [-reps N]")
		os.Exit(2)
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ctxbench: -only: %v\n", err)
			os.Exit(2)
		}
		onlyRE = re
	}

	runBench(createCancel())
	for _, how := range []string{"Err", "Done"} {
		runBench(checkCanceled(how, true))
		runBench(checkCanceled(how, false))
	}
	for _, depth := range []int{1, 10, 100, 1000, 100000} {
		for _, root := range []string{"Background", "OpenCanceler", "ClosedCanceler"} {
			runBench(cancelTree(depth, root))
		}
	}
	for _, n := range []int{100000, 1000000} {
		runBench(fanOut(n))
	}
	for _, t := range []int{1, 2} {
		runBench(commonParentCancel(t))
	}
	for _, live := range []int{40, 4000, 400000} {
		runBench(withTimeout(live))
	}
	runBench(memory("cancel"))
	runBench(memory("deadline"))
	if sink < 0 {
		fmt.Println(sink)
	}
}
