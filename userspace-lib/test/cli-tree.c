// SPDX-License-Identifier: GPL-2.0
/*
 * kctx tree: the contexts processes hold, from /proc/PID/fdinfo; the work
 * attached to them, from worker fds and (as root) the debugfs tree; what
 * has leaked; and all that as JSON.
 */
#include "cli.h"
#include "pump.h"

#include <poll.h>
#include <sys/prctl.h>
#include <linux/kctx.h>

static uint64_t id_of(kctx_t *ctx)
{
	uint64_t id;

	ASSERT_OK(kctx_id(ctx, &id, NULL));
	return id;
}

/* The line of `kctx tree` output for context @id. */
static const char *line_of_id(const char *out, uint64_t id, char *buf, size_t len)
{
	char key[48];
	const char *p, *end;

	snprintf(key, sizeof(key), "-- %llu ", (unsigned long long)id);
	p = strstr(out, key);
	if (!p)
		FAIL("no line for context %llu in:\n%s", (unsigned long long)id, out);
	while (p > out && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

static const char *line_of(const char *out, kctx_t *ctx, char *buf, size_t len)
{
	return line_of_id(out, id_of(ctx), buf, len);
}

/* Column at which the line's "-- ID" begins: its depth in the tree. */
static int depth(const char *line)
{
	return (int)(strstr(line, "-- ") - line);
}

TEST(tree_shows_each_context_its_holders_and_depth)
{
	kctx_t *root = new_root(), *dl, *val, *w;
	char a[512], b[512], c2[512], want[64];
	struct cli c;
	pid_t child;
	int go[2];

	ASSERT_OK(kctx_with_timeout(root, 3600000000000ull, &dl));
	ASSERT_OK(kctx_with_value(dl, 1, 2, &val));
	ASSERT_OK(kctx_watch(val, &w));
	/* A second process that holds the same fds. */
	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		char x;

		close(go[1]);
		if (read(go[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	close(go[1]);
	ASSERT_EQ(wait_child(child), 0);
	ASSERT_TRUE(!strncmp(c.out, "1 background\n", 13));

	line_of(c.out, root, a, sizeof(a));
	line_of(c.out, dl, b, sizeof(b));
	line_of(c.out, val, c2, sizeof(c2));
	ASSERT_CONTAINS(a, " cancel live");
	ASSERT_CONTAINS(b, " deadline live, deadline in ");
	ASSERT_CONTAINS(c2, " value live");
	ASSERT_LT(depth(a), depth(b));
	ASSERT_LT(depth(b), depth(c2));
	snprintf(want, sizeof(want), "[pid %d ", (int)getpid());
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "[pid %d ", (int)child);
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "fd %d owner", kctx_fd(val));
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "fd %d watch", kctx_fd(w));
	ASSERT_CONTAINS(c2, want);
	kctx_free(w);
	kctx_free(val);
	kctx_free(dl);
	kctx_free(root);
}

TEST(tree_shows_why_a_context_is_done)
{
	kctx_t *a = new_root(), *b = new_root(), *bg, *d;
	char l[512];
	struct cli c;

	ASSERT_OK(kctx_cancel_cause(a, 42));
	ASSERT_OK(kctx_cancel_cause(b, -EIO));
	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_with_timeout(bg, 0, &d));
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	ASSERT_CONTAINS(line_of(c.out, a, l, sizeof(l)), "done: canceled, cause 42");
	ASSERT_CONTAINS(line_of(c.out, b, l, sizeof(l)), "done: canceled, cause -5 (-EIO)");
	ASSERT_CONTAINS(line_of(c.out, d, l, sizeof(l)), "done: deadline exceeded, deadline ");
	ASSERT_CONTAINS(l, " ago");
	kctx_free(d);
	kctx_free(bg);
	kctx_free(b);
	kctx_free(a);
}

TEST(tree_shows_a_parent_no_fd_holds)
{
	kctx_t *a = new_root(), *b;
	uint64_t aid;
	char want[64];
	struct cli c;

	ASSERT_OK(kctx_with_cancel(a, &b));
	ASSERT_OK(kctx_id(a, &aid, NULL));
	kctx_free(a);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	snprintf(want, sizeof(want), "-- %llu (held by no fd here)", (unsigned long long)aid);
	ASSERT_CONTAINS(c.out, want);
	kctx_free(b);
}

/* A tree that finds leaks: the work attached to each context. */

#define GRACE_PARAM "/sys/module/kctx/parameters/leaked_work_grace_ms"
#define DEBUGFS_TREE "/sys/kernel/debug/kctx/tree"

/*
 * The "* " lines right under @ctx's line: the work attached to it. Fails
 * the test unless each is indented deeper than @ctx's "-- ".
 */
static const char *work_of_id(const char *out, uint64_t id, char *buf, size_t len)
{
	char line[512];
	const char *p, *nl;
	size_t n = 0;
	int col;

	line_of_id(out, id, line, sizeof(line));
	p = strstr(out, line) + strlen(line);
	buf[0] = 0;
	for (p += *p == '\n'; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		col = (int)strspn(p, "| ");
		if (strncmp(p + col, "* ", 2))
			break;
		if (col <= depth(line))
			FAIL("work line \"%.*s\" is not under \"%s\"", (int)(nl - p), p, line);
		n += (size_t)snprintf(buf + n, len - n, "%.*s", (int)(nl - p + 1), p);
		if (n >= len)
			FAIL("too much work under \"%s\"", line);
	}
	return buf;
}

static const char *work_of(const char *out, kctx_t *ctx, char *buf, size_t len)
{
	return work_of_id(out, id_of(ctx), buf, len);
}

/* The line of `kctx tree --json` for context @id: one object. */
static const char *json_of_id(const char *out, uint64_t id, char *buf, size_t len)
{
	char key[48];
	const char *p, *end;

	snprintf(key, sizeof(key), "\n{\"id\":%llu,", (unsigned long long)id);
	p = strstr(out, key);
	if (!p)
		FAIL("no object for context %llu in:\n%s", (unsigned long long)id, out);
	p++;
	end = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

static const char *json_of(const char *out, kctx_t *ctx, char *buf, size_t len)
{
	return json_of_id(out, id_of(ctx), buf, len);
}

/*
 * A JSON checker: is @p one value and nothing more (RFC 8259's grammar)?
 * Enough to prove that a tool's parser takes `kctx tree --json`.
 */
static int json_value(const char **p, int depth);

static void json_ws(const char **p)
{
	*p += strspn(*p, " \t\r\n");
}

static int json_string(const char **p)
{
	int i;

	if (*(*p)++ != '"')
		return 0;
	while (**p != '"') {
		if ((unsigned char)**p < 0x20)
			return 0;	/* unescaped control, or the end */
		if (*(*p)++ != '\\')
			continue;
		if (**p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", (*p)[i]) || !(*p)[i])
					return 0;
			*p += 5;
		} else if (**p && strchr("\"\\/bfnrt", **p)) {
			(*p)++;
		} else {
			return 0;
		}
	}
	(*p)++;
	return 1;
}

static int json_number(const char **p)
{
	const char *s = *p;

	*p += **p == '-';
	if (**p == '0')
		(*p)++;
	else if (**p >= '1' && **p <= '9')
		*p += strspn(*p, "0123456789");
	else
		return 0;
	if (**p == '.') {
		(*p)++;
		if (!strspn(*p, "0123456789"))
			return 0;
		*p += strspn(*p, "0123456789");
	}
	return *p > s;
}

/* The members of an object (@close '}') or the elements of an array (']'). */
static int json_list(const char **p, char close, int depth)
{
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return 1;
	}
	for (;;) {
		json_ws(p);
		if (close == '}') {
			if (!json_string(p))
				return 0;
			json_ws(p);
			if (*(*p)++ != ':')
				return 0;
		}
		if (!json_value(p, depth + 1))
			return 0;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return 1;
		}
		if (*(*p)++ != ',')
			return 0;
	}
}

static int json_value(const char **p, int depth)
{
	json_ws(p);
	if (depth > 32)
		return 0;
	switch (**p) {
	case '{':
		(*p)++;
		return json_list(p, '}', depth);
	case '[':
		(*p)++;
		return json_list(p, ']', depth);
	case '"':
		return json_string(p);
	case 't':
		return !strncmp(*p, "true", 4) && (*p += 4);
	case 'f':
		return !strncmp(*p, "false", 5) && (*p += 5);
	case 'n':
		return !strncmp(*p, "null", 4) && (*p += 4);
	default:
		return json_number(p);
	}
}

/* `kctx tree --json` into @c, checked to be one JSON object with "contexts". */
static void tree_json(struct cli *c)
{
	const char *p;

	ASSERT_EQ(cli_sh(c, "kctx tree --json"), 0);
	ASSERT_STREQ(c->err, "");
	p = c->out;
	json_ws(&p);
	if (*p != '{' || !json_value(&p, 0))
		FAIL("not JSON, from byte %ld on: \"%.60s\"", (long)(p - c->out), p);
	json_ws(&p);
	if (*p)
		FAIL("more after the JSON object: \"%.60s\"", p);
	ASSERT_TRUE(!strncmp(c->out, "{\"debugfs\":", 11));
	ASSERT_CONTAINS(c->out, ",\"contexts\":[");
}

TEST(json_checker_tells_json_from_not)
{
	static const char *const good[] = {
		"{}", "[]", "{\"a\":[1,-2.5,true,false,null,\"x\\\"\\\\\\u0001\"]}",
		" { \"a\" : { \"b\" : [ ] } } ",
	};
	static const char *const bad[] = {
		"{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "\"tab\there\"", "\"\\x\"",
		"{a:1}", "[01]", "nul", "\"open",
	};
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p = good[i];
		ASSERT_TRUE(json_value(&p, 0));
		json_ws(&p);
		ASSERT_EQ(*p, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = bad[i];
		if (json_value(&p, 0) && (json_ws(&p), !*p))
			FAIL("took \"%s\" for JSON", bad[i]);
	}
}

/* start_workers(): the child keeps no copy of the context's fd. */
#define ONLY_THE_WORKER_FD	(-1)

/*
 * A child that attaches to @ctx as a worker, named @comm, then forks
 * @nforks children, which share its worker fd; all of them hold it until
 * *@go is closed. Their pids go to @pids, in no order, once all are ready;
 * the child's is returned. With @nforks ONLY_THE_WORKER_FD, the child
 * forks none, and closes its copy of @ctx's fd once it has attached.
 */
static pid_t start_workers(kctx_t *ctx, const char *comm, int nforks, pid_t *pids, int *go)
{
	int ready[2], hold[2], i;
	pid_t pid, self;
	char x;

	ASSERT_OK(pipe2(ready, O_CLOEXEC));
	ASSERT_OK(pipe2(hold, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(hold[1]);
		close(ready[0]);
		if (prctl(PR_SET_NAME, comm) || kctx_attach(ctx))
			_exit(1);
		if (nforks == ONLY_THE_WORKER_FD)
			close(kctx_fd(ctx));
		for (i = 0; i < nforks; i++)
			if (fork() == 0)
				break;
		self = getpid();
		if (write(ready[1], &self, sizeof(self)) != sizeof(self))
			_exit(1);
		close(ready[1]);
		if (read(hold[0], &x, 1) < 0)
			_exit(1);
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	for (i = 0; i <= (nforks > 0 ? nforks : 0); i++)
		if (read(ready[0], &pids[i], sizeof(pids[i])) != sizeof(pids[i]))
			FAIL("worker %d did not attach: status %d", (int)pid, wait_child(pid));
	close(ready[0]);
	*go = hold[1];
	return pid;
}

static pid_t start_worker(kctx_t *ctx, const char *comm, int *go)
{
	pid_t pid;

	return start_workers(ctx, comm, 0, &pid, go);
}

/* This process's comm, as `kctx tree` names it. */
static const char *own_comm(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/comm", "re");

	ASSERT_TRUE(f);
	ASSERT_TRUE(fgets(buf, (int)len, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

TEST(tree_names_a_worker_process_under_its_context)
{
	kctx_t *ctx = new_root(), *other = new_root();
	char work[1024], obj[4096], want[160];
	struct cli c;
	pid_t pid;
	int go;

	pid = start_worker(ctx, "tree-worker", &go);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	ASSERT_CONTAINS(line_of(c.out, ctx, obj, sizeof(obj)), " cancel live, age ");
	ASSERT_CONTAINS(obj, ", 1 worker, made by pid ");
	work_of(c.out, ctx, work, sizeof(work));
	snprintf(want, sizeof(want), "* pid %d tree-worker (worker fd ", (int)pid);
	ASSERT_CONTAINS(work, want);
	ASSERT_CONTAINS(work, ", attached ");
	ASSERT_EQ(cli_lines(work), 1);
	ASSERT_STREQ(work_of(c.out, other, work, sizeof(work)), "");
	ASSERT_TRUE(!strstr(line_of(c.out, other, obj, sizeof(obj)), " worker,"));

	tree_json(&c);
	json_of(c.out, ctx, obj, sizeof(obj));
	ASSERT_CONTAINS(obj, "\"kind\":\"cancel\",\"state\":\"live\",\"err\":0,\"cause\":0,");
	ASSERT_CONTAINS(obj, "\"workers\":1,\"leaked\":false,");
	snprintf(want, sizeof(want), "\"attached\":[{\"pid\":%d,\"comm\":\"tree-worker\","
		 "\"kthread\":false,\"state\":\"", (int)pid);
	ASSERT_CONTAINS(obj, want);
	ASSERT_CONTAINS(obj, "\"wchan\":");
	ASSERT_CONTAINS(obj, "\"attached_for_ns\":");
	ASSERT_CONTAINS(json_of(c.out, other, obj, sizeof(obj)), "\"workers\":0,");
	ASSERT_CONTAINS(obj, "\"attached\":[]}");

	close(go);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(other);
	kctx_free(ctx);
}

TEST(tree_names_each_process_holding_a_worker_fd_and_only_attached_ones)
{
	struct kctx_attach a = { .size = sizeof(a) };
	struct kctx_detach d = { .size = sizeof(d) };
	kctx_t *ctx = new_root();
	char work[1024], want[96], obj[4096];
	pid_t pid, pids[3];
	struct cli c;
	int go, wfd, i;

	/* Ours, detached but still open: not work any more. */
	wfd = ioctl(kctx_fd(ctx), KCTX_IOC_ATTACH, &a);
	ASSERT_GE(wfd, 0);
	ASSERT_OK(ioctl(wfd, KCTX_IOC_DETACH, &d));
	/* A worker that forks twice: three processes hold its one worker fd. */
	pid = start_workers(ctx, "tree-forker", 2, pids, &go);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	ASSERT_CONTAINS(line_of(c.out, ctx, obj, sizeof(obj)), ", 1 worker,");
	work_of(c.out, ctx, work, sizeof(work));
	ASSERT_EQ(cli_lines(work), 3);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "* pid %d tree-forker (worker fd ", (int)pids[i]);
		ASSERT_CONTAINS(work, want);
	}
	snprintf(want, sizeof(want), "* pid %d ", (int)getpid());
	ASSERT_TRUE(!strstr(work, want));

	tree_json(&c);
	json_of(c.out, ctx, obj, sizeof(obj));
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "{\"pid\":%d,\"comm\":\"tree-forker\",", (int)pids[i]);
		ASSERT_CONTAINS(obj, want);
	}
	snprintf(want, sizeof(want), "{\"pid\":%d,", (int)getpid());
	ASSERT_TRUE(!strstr(strstr(obj, "\"attached\":"), want));

	close(go);
	ASSERT_EQ(wait_child(pid), 0);
	close(wfd);
	kctx_free(ctx);
}

TEST(tree_shows_a_worker_whose_context_no_fd_holds)
{
	kctx_t *ctx = new_root();
	char line[512], work[1024], obj[4096], want[128];
	uint64_t id = id_of(ctx);
	struct cli c;
	pid_t pid;
	int go;

	/*
	 * The worker keeps only its worker fd: with the last owner fd closed,
	 * the context is cancelled, and only that fd leads to it, a leak. A
	 * cancel unlinks a context from the kernel's tree, but the kernel
	 * lists a done one with work after its walk: kind, state, parent.
	 */
	start_workers(ctx, "tree-orphan", ONLY_THE_WORKER_FD, &pid, &go);
	kctx_free(ctx);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	snprintf(want, sizeof(want), "-- %llu (held by no fd here) cancel done: canceled",
		 (unsigned long long)id);
	ASSERT_CONTAINS(line_of_id(c.out, id, line, sizeof(line)), want);
	snprintf(want, sizeof(want), "* pid %d tree-orphan (worker fd ", (int)pid);
	ASSERT_CONTAINS(work_of_id(c.out, id, work, sizeof(work)), want);

	tree_json(&c);
	json_of_id(c.out, id, obj, sizeof(obj));
	ASSERT_CONTAINS(obj, "\"parent_id\":1,\"kind\":\"cancel\",\"state\":\"done\",");
	ASSERT_CONTAINS(obj, "\"holders\":[],");
	snprintf(want, sizeof(want), "\"attached\":[{\"pid\":%d,\"comm\":\"tree-orphan\","
		 "\"kthread\":false,", (int)pid);
	ASSERT_CONTAINS(obj, want);
	close(go);
	ASSERT_EQ(wait_child(pid), 0);
}

/* Write @val to the kctx module's leaked_work_grace_ms; 0 or -errno. */
static int set_grace(const char *val)
{
	int fd = open(GRACE_PARAM, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		r = -errno;
	close(fd);
	return r;
}

/*
 * Run @body with leaked_work_grace_ms at @val, in a child, so that the old
 * value is back however the body ends: a failure exits at once. The body's
 * own alarm comes before the harness's, which would leave the value set.
 */
static void with_grace(const char *val, void (*body)(void))
{
	char old[32] = "";
	pid_t pid;
	int fd, r, st;

	fd = open(GRACE_PARAM, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		r = (int)read(fd, old, sizeof(old) - 1);
		close(fd);
		old[r > 0 ? r : 0] = 0;
	}
	r = *old ? set_grace(val) : -errno;
	if (r && getenv("KCTX_KERNEL"))
		FAIL(GRACE_PARAM ": %s, as root in the kctx VM", strerror(-r));
	if (r)
		SKIP(GRACE_PARAM ": %s: it takes root", strerror(-r));
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		alarm(KT_TIMEOUT / 2);
		body();
		fflush(stdout);
		_exit(0);
	}
	st = wait_child(pid);
	ASSERT_OK(set_grace(old));
	ASSERT_EQ(st, 0);
}

/* Poll @ctx's fdinfo, up to 10 s, until the kernel calls its work leaked. */
static void wait_until_leaked(kctx_t *ctx)
{
	int64_t end = now_ns() + MS(10000);
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kctx_fd(ctx));
	for (;;) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		ASSERT_GT(n, 0);
		buf[n] = 0;
		if (strstr(buf, "\nleaked:\t1\n"))
			return;
		if (!strstr(buf, "\nleaked:\t0\n"))
			FAIL("no leaked: line in %s:\n%s", path, buf);
		if (now_ns() > end)
			FAIL("not leaked after 10 s, with leaked_work_grace_ms at 0:\n%s", buf);
		poll(NULL, 0, 1);	/* done_for_ms counts jiffies: the next one */
	}
}

static void leaked_body(void)
{
	kctx_t *ctx = new_root();
	char line[512], obj[4096], want[96];
	struct cli c;
	pid_t pid;
	int go;

	pid = start_worker(ctx, "tree-leaker", &go);
	ASSERT_OK(kctx_cancel(ctx));
	wait_until_leaked(ctx);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	line_of(c.out, ctx, line, sizeof(line));
	ASSERT_CONTAINS(line, " cancel done: canceled, age ");
	ASSERT_CONTAINS(line, " ago, 1 worker LEAKED, made by pid ");
	snprintf(want, sizeof(want), "* pid %d tree-leaker (worker fd ", (int)pid);
	ASSERT_CONTAINS(work_of(c.out, ctx, obj, sizeof(obj)), want);

	tree_json(&c);
	json_of(c.out, ctx, obj, sizeof(obj));
	ASSERT_CONTAINS(obj, "\"state\":\"done\",\"err\":-125,\"cause\":-125,");
	ASSERT_CONTAINS(obj, "\"workers\":1,\"leaked\":true,");
	ASSERT_TRUE(!strstr(obj, "\"done_for_ms\":null"));
	snprintf(want, sizeof(want), "\"attached\":[{\"pid\":%d,", (int)pid);
	ASSERT_CONTAINS(obj, want);

	close(go);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

TEST(tree_flags_a_done_context_with_work_left_past_the_grace_as_leaked)
{
	kctx_t *ctx = new_root();
	char line[512], obj[4096];
	struct cli c;
	pid_t pid;
	int go;

	/* Within the default grace of 5 s: done, with work, but no leak yet. */
	pid = start_worker(ctx, "tree-late", &go);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	line_of(c.out, ctx, line, sizeof(line));
	ASSERT_CONTAINS(line, " cancel done: canceled, age ");
	ASSERT_CONTAINS(line, ", 1 worker, made by ");
	tree_json(&c);
	ASSERT_CONTAINS(json_of(c.out, ctx, obj, sizeof(obj)), "\"workers\":1,\"leaked\":false,");
	close(go);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);

	with_grace("0", leaked_body);
}

TEST(tree_shows_age_and_creator_and_escapes_comms_in_json)
{
	kctx_t *ctx = new_root(), *child;
	char line[512], obj[4096], want[160], comm[32];
	struct cli c;
	pid_t pid;
	int go;

	own_comm(comm, sizeof(comm));
	ASSERT_OK(kctx_with_cancel(ctx, &child));
	/* A quote, a backslash, a tab and an ESC: escaped in JSON, '?' in text. */
	pid = start_worker(child, "q\"b\\s\tx\033", &go);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	snprintf(want, sizeof(want), ", made by pid %d %s  [pid ", (int)getpid(), comm);
	ASSERT_CONTAINS(line_of(c.out, child, line, sizeof(line)), want);
	ASSERT_CONTAINS(line, " cancel live, age ");
	snprintf(want, sizeof(want), "* pid %d q\"b\\s?x? (worker fd ", (int)pid);
	ASSERT_CONTAINS(work_of(c.out, child, obj, sizeof(obj)), want);
	/* The parent counts the work below it, and names none itself. */
	ASSERT_CONTAINS(line_of(c.out, ctx, line, sizeof(line)), ", 1 worker, made by ");
	ASSERT_STREQ(work_of(c.out, ctx, obj, sizeof(obj)), "");

	tree_json(&c);
	json_of(c.out, child, obj, sizeof(obj));
	snprintf(want, sizeof(want), "\"parent_id\":%llu,", (unsigned long long)id_of(ctx));
	ASSERT_CONTAINS(obj, want);
	ASSERT_CONTAINS(obj, "\"age_ms\":");
	ASSERT_TRUE(strchr("0123456789", strstr(obj, "\"age_ms\":")[9]));
	ASSERT_CONTAINS(obj, "\"done_for_ms\":null,");
	ASSERT_CONTAINS(obj, "\"user_cause\":null,\"deadline_left_ns\":null,");
	snprintf(want, sizeof(want), "\"creator\":{\"pid\":%d,\"comm\":\"%s\"}", (int)getpid(),
		 comm);
	ASSERT_CONTAINS(obj, want);
	ASSERT_CONTAINS(obj, "\"comm\":\"q\\\"b\\\\s\\tx\\u001b\",\"kthread\":false,");
	snprintf(want, sizeof(want), "{\"pid\":%d,\"comm\":\"%s\",\"fd\":%d,\"owner\":true}",
		 (int)getpid(), comm, kctx_fd(child));
	ASSERT_CONTAINS(obj, want);
	ASSERT_CONTAINS(json_of(c.out, ctx, obj, sizeof(obj)), "\"workers\":1,");
	ASSERT_CONTAINS(obj, "\"attached\":[]}");

	close(go);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(child);
	kctx_free(ctx);
}

/* The line of @out that has @what; fails the test if none. */
static const char *line_with(const char *out, const char *what, char *buf, size_t len)
{
	const char *p = strstr(out, what), *end;

	if (!p)
		FAIL("no \"%s\" in:\n%s", what, out);
	while (p > out && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

TEST(tree_names_a_kernel_thread_attached_below_a_context_from_debugfs)
{
	kctx_t *ctx = new_root();
	char line[512], work[512], obj[4096], want[96];
	const char *p;
	struct cli c;
	int dev;

	if (access(DEBUGFS_TREE, R_OK)) {
		if (getenv("KCTX_KERNEL"))
			FAIL(DEBUGFS_TREE ": %s, as root in the kctx VM", strerror(errno));
		SKIP(DEBUGFS_TREE ": %s: kernel threads need root and debugfs",
		     strerror(errno));
	}
	/* kctx_kthread_run() runs the thread under a child context of its own. */
	dev = pump_start(ctx);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	ASSERT_CONTAINS(line_of(c.out, ctx, line, sizeof(line)), ", 1 worker, made by pid ");
	snprintf(want, sizeof(want), " kctx-pump/%d (kernel thread, fn ", (int)getpid());
	line_with(c.out, want, work, sizeof(work));
	ASSERT_CONTAINS(work, "* pid ");
	ASSERT_CONTAINS(work, ", attached ");
	ASSERT_GT((int)strspn(work, "| "), depth(line) + 4);
	ASSERT_TRUE(strstr(c.out, work) > strstr(c.out, line));
	ASSERT_CONTAINS(c.out, " (held by no fd here) cancel live, age ");
	ASSERT_CONTAINS(c.out, ", 1 worker, made at ");
	ASSERT_TRUE(!strstr(c.out, "no line names"));

	tree_json(&c);
	ASSERT_TRUE(!strncmp(c.out, "{\"debugfs\":true,", 16));
	snprintf(want, sizeof(want), ",\"comm\":\"kctx-pump/%d\",\"kthread\":true,", (int)getpid());
	line_with(c.out, want, obj, sizeof(obj));
	snprintf(want, sizeof(want), "\"parent_id\":%llu,\"kind\":\"cancel\",\"state\":\"live\",",
		 (unsigned long long)id_of(ctx));
	ASSERT_CONTAINS(obj, want);
	ASSERT_CONTAINS(obj, "\"creator\":null,\"site\":\"");
	ASSERT_CONTAINS(obj, "\"holders\":[],");
	p = strstr(obj, "\"attached\":[{");
	ASSERT_TRUE(p);
	ASSERT_CONTAINS(p, ",\"fd\":null,\"fn\":\"");
	ASSERT_CONTAINS(json_of(c.out, ctx, obj, sizeof(obj)), "\"workers\":1,");
	ASSERT_CONTAINS(obj, "\"site\":\"");
	ASSERT_CONTAINS(obj, "\"attached\":[]}");
	close(dev);
	kctx_free(ctx);
}

TEST(tree_says_it_takes_root_for_kernel_workers_and_has_json)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx tree --help"), 0);
	ASSERT_CONTAINS(c.out, "Usage: kctx tree [--json]");
	ASSERT_CONTAINS(c.out, "need root and\ndebugfs");
	ASSERT_CONTAINS(c.out, "--json");
	ASSERT_EQ(cli_sh(&c, "kctx tree --json extra"), 2);
	ASSERT_CONTAINS(c.err, "unexpected argument 'extra'");
	ASSERT_EQ(cli_sh(&c, "kctx tree --json=1"), 2);
}
