// SPDX-License-Identifier: GPL-2.0
/*
 * What the tests of the kctx tool share; see cli.h. Not a test itself.
 */
#define KT_NO_MAIN
#include "cli.h"

#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/stat.h>

int kctx_tool_main(int argc, char **argv);

static char bindir[64];
static pid_t main_pid;

static void remove_bindir(void)
{
	char link[sizeof(bindir) + 8];

	if (getpid() != main_pid)
		return;
	snprintf(link, sizeof(link), "%s/kctx", bindir);
	unlink(link);
	rmdir(bindir);
}

void cli_main_hook(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	char self[PATH_MAX], link[sizeof(bindir) + 8], *path;
	ssize_t n;

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "kctx"))
		exit(kctx_tool_main(argc, argv));

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		printf("# readlink /proc/self/exe: %s\n", strerror(errno));
		exit(1);
	}
	self[n] = 0;
	main_pid = getpid();
	snprintf(bindir, sizeof(bindir), "/tmp/kctx-cli.%d", (int)main_pid);
	snprintf(link, sizeof(link), "%s/kctx", bindir);
	if ((mkdir(bindir, 0700) && errno != EEXIST) || (symlink(self, link) && errno != EEXIST)) {
		printf("# %s: %s\n", link, strerror(errno));
		exit(1);
	}
	atexit(remove_bindir);
	if (asprintf(&path, "%s:%s", bindir, getenv("PATH") ?: "/bin:/usr/bin") < 0)
		exit(1);
	setenv("PATH", path, 1);
	free(path);
	/* Commands see no context unless a test gives them one. */
	unsetenv("KCTX_FD");
}

void cli_start(struct cli *c, const char *fmt, ...)
{
	int out[2], err[2];
	char *cmd;
	va_list ap;

	memset(c, 0, sizeof(*c));
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		FAIL("vasprintf");
	va_end(ap);
	printf("# $ %s\n", cmd);
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		FAIL("pipe: %s", strerror(errno));
	c->t0 = now_ns();
	c->pid = fork();
	if (c->pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (c->pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	free(cmd);
	c->out_fd = out[0];
	c->err_fd = err[0];
}

/* Read what is there from both pipes, waiting up to @ms. 0 once both are at EOF. */
static int cli_pump(struct cli *c, int ms)
{
	struct pollfd p[2] = { { .fd = c->out_fd, .events = POLLIN },
			       { .fd = c->err_fd, .events = POLLIN } };
	char *bufs[2] = { c->out, c->err };
	size_t *lens[2] = { &c->nout, &c->nerr };
	size_t sizes[2] = { sizeof(c->out), sizeof(c->err) };
	char scratch[512];
	ssize_t n;
	int i;

	if (p[0].fd < 0 && p[1].fd < 0)
		return 0;
	if (poll(p, 2, ms) < 0 && errno != EINTR)
		FAIL("poll: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		if (p[i].fd < 0 || !p[i].revents)
			continue;
		if (*lens[i] + 1 < sizes[i])
			n = read(p[i].fd, bufs[i] + *lens[i], sizes[i] - 1 - *lens[i]);
		else
			n = read(p[i].fd, scratch, sizeof(scratch));
		if (n <= 0) {
			close(p[i].fd);
			*(i ? &c->err_fd : &c->out_fd) = -1;
		} else if (*lens[i] + 1 < sizes[i]) {
			*lens[i] += (size_t)n;
			bufs[i][*lens[i]] = 0;
		}
	}
	return 1;
}

void cli_read_until(struct cli *c, const char *word)
{
	while (!strstr(c->out, word))
		if (!cli_pump(c, -1) || c->out_fd < 0)
			FAIL("the command ended before saying \"%s\"; it said \"%s\" \"%s\"",
			     word, c->out, c->err);
}

/* Commentary for the TAP output: every line marked. */
static void print_lines(const char *mark, const char *s)
{
	const char *nl;

	for (; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		printf("%s%.*s\n", mark, (int)(nl ? nl - s : (long)strlen(s)), s);
	}
}

int cli_finish(struct cli *c)
{
	while (cli_pump(c, -1))
		;
	c->status = wait_child(c->pid);
	c->ns = now_ns() - c->t0;
	printf("# -> status %d after %lld ms\n", c->status, (long long)(c->ns / 1000000));
	print_lines("# stdout| ", c->out);
	print_lines("# stderr| ", c->err);
	return c->status;
}

int cli_sh(struct cli *c, const char *fmt, ...)
{
	char *cmd;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		FAIL("vasprintf");
	va_end(ap);
	cli_start(c, "%s", cmd);
	free(cmd);
	return cli_finish(c);
}

int cli_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void cli_pass_fd(kctx_t *ctx, int fd)
{
	ASSERT_EQ(dup2(kctx_fd(ctx), fd), fd);
}
