// SPDX-License-Identifier: GPL-2.0
//
// stopbench - C++20's std::stop_source / std::stop_token / std::stop_callback
// measured on the shapes `make bench` measures kctx on, so that a kctx row
// has a C++ row beside it that did the same work.
//
//	stopbench -side NAME [-only REGEXP] [-reps N]
//
// It mirrors bench/peers/go/ctxbench.go benchmark for benchmark, with the
// same names, counts and output:
//
//	@bench side=S name=N value=V unit=ns|B n=OPS reps=R
//
// value is the median of -reps timed reps (default 5) after one untimed
// warm-up rep; each rep times its whole loop with steady_clock and divides
// by the operations in it. A line on stderr says which benchmark is
// starting. -only is a std::regex (ECMAScript) searched for anywhere in the
// name with regex_search, which for the patterns one uses here
// ('CancelTree/depth=1000/', 'FanOut|Memory') means what Go's
// regexp.MatchString means.
//
// The standard library has no context, only the cancellation half of one,
// so a context here is a Node: a stop_source and, when its parent can be
// cancelled, a stop_callback on the parent's token that calls the node's
// own request_stop(). That is how one builds Go's tree out of stop tokens,
// and it is the same tree: cancelling a node cancels its descendants, and
// a child can leave its parent before the parent is cancelled. A child of
// Background has no callback, as a Go child of Background registers
// nowhere. cancel is request_stop(); free is delete, which destroys the
// callback (leaving the parent) before the source. Values and timers have
// no counterpart: CommonParentCancel skips the value lookup, and there are
// no WithTimeout or Memory/deadline rows.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <latch>
#include <new>
#include <optional>
#include <regex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

// Memory/cancel counts heap bytes through this replacement of the global
// operator new: what malloc hands out for each allocation
// (malloc_usable_size, i.e. rounded up the way Go's TotalAlloc rounds to
// size classes), not glibc's per-chunk header. Counting is off except
// while that benchmark builds its nodes.
static std::atomic<bool> counting;
static unsigned long counted_bytes;

void *operator new(std::size_t size)
{
	void *p = std::malloc(size ? size : 1);

	if (!p)
		throw std::bad_alloc();
	if (counting.load(std::memory_order_relaxed))
		counted_bytes += malloc_usable_size(p);
	return p;
}

void *operator new[](std::size_t size)
{
	return operator new(size);
}

void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	try {
		return operator new(size);
	} catch (...) {
		return nullptr;
	}
}

void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return operator new(size, std::nothrow);
}

__attribute__((noinline)) void operator delete(void *p) noexcept
{
	std::free(p);
}

__attribute__((noinline)) void operator delete[](void *p) noexcept
{
	std::free(p);
}

__attribute__((noinline)) void operator delete(void *p, std::size_t) noexcept
{
	std::free(p);
}

__attribute__((noinline)) void operator delete[](void *p, std::size_t) noexcept
{
	std::free(p);
}

__attribute__((noinline)) void operator delete(void *p, const std::nothrow_t &) noexcept
{
	std::free(p);
}

__attribute__((noinline)) void operator delete[](void *p, const std::nothrow_t &) noexcept
{
	std::free(p);
}

// What a parent's cancellation does to a child: stop it too.
struct Propagate {
	std::stop_source *child;

	void operator()() const noexcept
	{
		child->request_stop();
	}
};

struct Node {
	std::stop_source src;
	// Declared after src so that it is destroyed first: a node leaves its
	// parent before its own state goes.
	std::optional<std::stop_callback<Propagate>> link;

	// parent == nullptr: a child of Background.
	explicit Node(const Node *parent)
	{
		if (parent)
			link.emplace(parent->src.get_token(), Propagate{ &src });
	}
};

static const char *side;
static const char *only;
static std::regex only_re;
static int reps = 5;

// Sinks for results the compiler could otherwise drop.
static volatile long sink;
// 0, but the compiler can't know that: the busy loops can't fold away.
static volatile long seed;

using Clock = std::chrono::steady_clock;

static double per_op(Clock::time_point t0, Clock::time_point t1, long ops)
{
	return std::chrono::duration<double, std::nano>(t1 - t0).count() / ops;
}

// A Bench is one setup and loop. run does one rep and returns one per-op
// figure for each of names: FanOut measures attach and cancel in the same
// rep because cancel needs the children that attach made.
struct Bench {
	std::vector<std::string> names;
	const char *unit;
	long n; // operations per rep, per thread
	int reps; // 0: -reps
	std::function<std::vector<double>()> run;
};

static bool matches(const std::string &name)
{
	return !only || std::regex_search(name, only_re);
}

static double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	if (v.size() % 2)
		return v[v.size() / 2];
	return (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

static void run_bench(const Bench &b)
{
	bool selected = false;
	std::string all;

	for (const std::string &name : b.names) {
		selected = selected || matches(name);
		all += (all.empty() ? "" : " ") + name;
	}
	if (!selected)
		return;
	int r = b.reps ? b.reps : reps;
	std::fprintf(stderr, "stopbench: %s: %s\n", side, all.c_str());

	b.run();
	std::vector<std::vector<double>> samples(b.names.size());
	for (int i = 0; i < r; i++) {
		std::vector<double> v = b.run();
		for (size_t j = 0; j < v.size(); j++)
			samples[j].push_back(v[j]);
	}
	for (size_t j = 0; j < b.names.size(); j++) {
		if (!matches(b.names[j]))
			continue;
		std::printf("@bench side=%s name=%s value=%.1f unit=%s n=%ld reps=%d\n",
			    side, b.names[j].c_str(), median(samples[j]), b.unit,
			    b.n, r);
	}
	std::fflush(stdout);
}

// CreateCancel: the cost of one child that lives and dies under a live
// parent, which is what a request handler pays per request. Nodes are on
// the heap as Go's and kctx's contexts are.
static Bench create_cancel()
{
	const long n = 100000;

	return { { "CreateCancel" }, "ns", n, 0, [n] {
			Node *parent = new Node(nullptr);
			Clock::time_point t0 = Clock::now();
			for (long i = 0; i < n; i++) {
				Node *c = new Node(parent);
				c->src.request_stop();
				delete c;
			}
			Clock::time_point t1 = Clock::now();
			delete parent;
			return std::vector<double>{ per_op(t0, t1, n) };
		} };
}

// CheckCanceled: polling a context, done and live. Go's Err and Done are
// two ways to ask; a stop_token has one, stop_requested(), so both names
// measure it.
static Bench check_canceled(const char *how, bool done)
{
	const long n = 10000000;
	std::string name = std::string("CheckCanceled/") + how +
			   (done ? "/done" : "/live");

	return { { name }, "ns", n, 0, [n, done] {
			Node *ctx = new Node(nullptr);
			if (done)
				ctx->src.request_stop();
			std::stop_token tok = ctx->src.get_token();
			long hits = 0;
			Clock::time_point t0 = Clock::now();
			for (long i = 0; i < n; i++)
				hits += tok.stop_requested();
			Clock::time_point t1 = Clock::now();
			sink = sink + hits;
			delete ctx;
			return std::vector<double>{ per_op(t0, t1, n) };
		} };
}

// CancelTree: build a chain of depth nodes below a root, each the child of
// the one before, cancel it from the root (OpenCanceler) or build it below
// a root already cancelled (ClosedCanceler, where each node is stopped as
// it attaches), then free it leaf first. Background's chain is never
// cancelled. Go drops its chain to the collector and pays for that inside
// the loop; here the frees are inside the loop too. The figure is per node.
//
// Cancelling from the root recurses: request_stop() runs each callback
// inline, the callback calls the child's request_stop(), and so on down the
// chain. With g++ 12 -O2 that is about 64 bytes of stack a node, 6 MiB at
// depth 100000: most of a default 8 MiB stack, and past it at a little
// more depth or with less inlining, hence big_stack() below. The depth of
// a tree is bounded by the stack of whoever cancels it; kctx cancels a
// subtree with a loop and no recursion, so it has no such limit.
//
// Each callback run also costs a FUTEX_WAKE system call: libstdc++ 12
// releases a binary_semaphore per callback once the process has ever had
// a second thread, so that a stop_callback destroyed on another thread can
// wait for its callback to finish, and that release always wakes. It is
// most of OpenCanceler's and FanOut cancel's time, and what a threaded
// program using stop_token pays.
static Bench cancel_tree(long depth, const char *root)
{
	long iters = std::max(1L, 100000 / depth);
	long n = iters * depth;
	std::string name = "CancelTree/depth=" + std::to_string(depth) +
			   "/root=" + root;
	int kind = !std::strcmp(root, "Background") ? 0 :
		   !std::strcmp(root, "OpenCanceler") ? 1 : 2;

	return { { name }, "ns", n, 0, [depth, iters, n, kind] {
			std::vector<Node *> chain(depth);
			Clock::time_point t0 = Clock::now();
			for (long i = 0; i < iters; i++) {
				Node *top = kind ? new Node(nullptr) : nullptr;
				if (kind == 2)
					top->src.request_stop();
				Node *parent = top;
				for (long d = 0; d < depth; d++)
					parent = chain[d] = new Node(parent);
				if (kind == 1)
					top->src.request_stop();
				for (long d = depth - 1; d >= 0; d--)
					delete chain[d];
				delete top;
			}
			Clock::time_point t1 = Clock::now();
			return std::vector<double>{ per_op(t0, t1, n) };
		} };
}

// FanOut: one parent with many children; attaching them and cancelling
// them all through the parent are timed apart, both per child. Freeing is
// off the clock.
static Bench fan_out(long n)
{
	std::string base = "FanOut/n=" + std::to_string(n) + "/";

	return { { base + "attach", base + "cancel" }, "ns", n, 0, [n] {
			std::vector<Node *> kids(n);
			Node *parent = new Node(nullptr);
			Clock::time_point t0 = Clock::now();
			for (long i = 0; i < n; i++)
				kids[i] = new Node(parent);
			Clock::time_point t1 = Clock::now();
			parent->src.request_stop();
			Clock::time_point t2 = Clock::now();
			for (long i = 0; i < n; i++)
				delete kids[i];
			delete parent;
			return std::vector<double>{ per_op(t0, t1, n),
						    per_op(t1, t2, n) };
		} };
}

// Go's busy work, x /= x + 1 with x == 0. The empty asm makes the compiler
// forget what x is after each step (the kernel's OPTIMIZER_HIDE_VAR), so
// the divisions stay in the loop as they do in Go.
static long busy(long x)
{
	for (int j = 0; j < 100; j++) {
		x /= x + 1;
		asm volatile("" : "+r"(x));
	}
	return x;
}

// CommonParentCancel: threads that create and cancel children of one
// shared parent, with work in between so that they contend on the parent
// the way request handlers do, not back to back. The figure is wall time
// per operation per thread: flat means the parent doesn't serialise. Go's
// version also looks up a value through the child; there is nothing to
// look up here, so that part is skipped.
static Bench common_parent_cancel(int threads)
{
	const long n = 100000;
	std::string name = "CommonParentCancel/threads=" + std::to_string(threads);

	return { { name }, "ns", n, 0, [n, threads] {
			Node *shared = new Node(nullptr);
			std::latch ready(threads), start(1), done(threads);
			std::vector<std::thread> workers;
			for (int t = 0; t < threads; t++) {
				workers.emplace_back([&] {
					long x = seed;
					ready.count_down();
					start.wait();
					for (long i = 0; i < n; i++) {
						Node *c = new Node(shared);
						x = busy(x);
						c->src.request_stop();
						delete c;
						x = busy(x);
					}
					done.count_down();
					if (x)
						std::abort();
				});
			}
			ready.wait();
			Clock::time_point t0 = Clock::now();
			start.count_down();
			done.wait();
			Clock::time_point t1 = Clock::now();
			for (std::thread &w : workers)
				w.join();
			delete shared;
			return std::vector<double>{ per_op(t0, t1, n) };
		} };
}

// Memory/cancel: heap bytes per child attached to a live parent: the Node
// (stop_source handle plus the stop_callback and its token) and the
// shared stop state the stop_source allocates. That is everything a user
// pays for a cancellable child; the vector that holds the pointers is
// allocated before counting starts.
static Bench memory_cancel()
{
	const long n = 100000;

	return { { "Memory/cancel" }, "B", n, 1, [n] {
			std::vector<Node *> kids(n);
			Node *parent = new Node(nullptr);
			counted_bytes = 0;
			counting.store(true);
			for (long i = 0; i < n; i++)
				kids[i] = new Node(parent);
			counting.store(false);
			double bytes = double(counted_bytes) / n;
			parent->src.request_stop();
			for (long i = 0; i < n; i++)
				delete kids[i];
			delete parent;
			return std::vector<double>{ bytes };
		} };
}

static void run_all()
{
	run_bench(create_cancel());
	for (const char *how : { "Err", "Done" }) {
		run_bench(check_canceled(how, true));
		run_bench(check_canceled(how, false));
	}
	for (long depth : { 1L, 10L, 100L, 1000L, 100000L })
		for (const char *root : { "Background", "OpenCanceler", "ClosedCanceler" })
			run_bench(cancel_tree(depth, root));
	for (long n : { 100000L, 1000000L })
		run_bench(fan_out(n));
	for (int t : { 1, 2 })
		run_bench(common_parent_cancel(t));
	for (const char *live : { "40", "4000", "400000" }) {
		if (matches(std::string("WithTimeout/live=") + live))
			std::fprintf(stderr, "stopbench: %s: WithTimeout/live=%s: no row, std::stop_token has no timers\n",
				     side, live);
	}
	run_bench(memory_cancel());
}

// Every benchmark runs on one thread with a 1 GiB stack, for CancelTree's
// recursion. Running all of them there, not just CancelTree, keeps one
// condition for every row: libstdc++ skips the semaphore above while a
// process has only ever had one thread, neither Go nor the kernel has such
// a mode, and a program that wants stop tokens has threads.
// The stack is mapped MAP_NORESERVE so that only what the recursion touches
// is ever committed, even in a VM with less memory than that.
static void *run_all_thread(void *)
{
	run_all();
	return nullptr;
}

static void big_stack(void *(*fn)(void *))
{
	const size_t size = 1UL << 30;
	long page = sysconf(_SC_PAGESIZE);
	void *stack = mmap(nullptr, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
			   -1, 0);
	pthread_attr_t attr;
	pthread_t thread;

	if (stack == MAP_FAILED) {
		std::perror("stopbench: mmap of the 1 GiB stack");
		std::exit(1);
	}
	// A guard page: an overflow faults instead of running into whatever
	// is mapped below.
	mprotect(stack, page, PROT_NONE);
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, size);
	int err = pthread_create(&thread, &attr, fn, nullptr);
	if (err) {
		std::fprintf(stderr, "stopbench: pthread_create: %s\n", std::strerror(err));
		std::exit(1);
	}
	pthread_join(thread, nullptr);
	pthread_attr_destroy(&attr);
	munmap(stack, size);
}

static void usage()
{
	std::fprintf(stderr, "usage: stopbench -side NAME [-only REGEXP] [-reps N]\n");
	std::exit(2);
}

// Go's flag syntax: -name value, -name=value, and -- instead of -.
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i];
	size_t len = std::strlen(name);

	arg += arg[1] == '-' ? 2 : 1;
	if (std::strncmp(arg, name, len))
		return nullptr;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len] || *i + 1 >= argc)
		return nullptr;
	return argv[++*i];
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (argv[i][0] != '-')
			usage();
		if ((v = flag_value(argc, argv, &i, "side"))) {
			side = v;
		} else if ((v = flag_value(argc, argv, &i, "only"))) {
			only = v;
		} else if ((v = flag_value(argc, argv, &i, "reps"))) {
			char *end;
			long r = std::strtol(v, &end, 10);
			if (*end || end == v || r < 1 || r > 1000000)
				usage();
			reps = int(r);
		} else {
			usage();
		}
	}
	if (!side || !*side)
		usage();
	if (only && *only) {
		try {
			only_re = std::regex(only, std::regex::ECMAScript);
		} catch (const std::regex_error &e) {
			std::fprintf(stderr, "stopbench: -only: %s\n", e.what());
			return 2;
		}
	} else {
		only = nullptr;
	}
	big_stack(run_all_thread);
	return 0;
}
