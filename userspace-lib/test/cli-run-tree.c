// SPDX-License-Identifier: GPL-2.0
/*
 * kctx run stops CMD's whole tree. In a cgroup v2 group of its own, even a
 * grandchild that left CMD's process group and session (setsid) is killed
 * at the end, and the group is removed; with --no-cgroup, or where no
 * cgroup can be made, CMD's process group is killed when CMD exits, and
 * the grandchild survives, which shows that the tests can fail.
 *
 * Nothing here waits by sleeping: the grandchild says its pid once it is
 * set up (a command substitution that ends when it execs), and a pidfd
 * says when a process has exited.
 */
#include "cli.h"

#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/*
 * What CMD runs first ("$ESCAPEE"): a grandchild in a session of its own,
 * which says "escapee=PID" (after which it only sleeps, its stdin, stdout
 * and stderr elsewhere), then CMD's cgroup as /proc/self/cgroup has it.
 */
#define ESCAPEE								\
	"pid=$(setsid sh -c 'echo $$; exec sleep 1000 </dev/null >/dev/null 2>&1' &); " \
	"echo escapee=$pid; grep '^0::' /proc/self/cgroup"

/* A background job that stays in CMD's process group: "bg=PID". */
#define BACKGROUND "sleep 1000 </dev/null >/dev/null 2>&1 & echo bg=$!; "	\
	"grep '^0::' /proc/self/cgroup"

/* How long a killed process may take to exit. */
#define EXIT_MS 10000

/* Where cgroup2 is mounted, with its root at /; NULL if nowhere. */
static const char *cgroup2_mount(void)
{
	static char mnt[PATH_MAX];
	char line[2 * PATH_MAX], root[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") &&
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2 &&
		    !strcmp(root, "/")) {
			fclose(f);
			return mnt;
		}
	fclose(f);
	return NULL;
}

/* The "0::PATH" line's PATH in @s (a /proc/PID/cgroup); fails the test if none. */
static void cgroup_path(const char *s, char *buf, size_t len)
{
	const char *p = strstr(s, "0::/");

	if (!p)
		FAIL("no \"0::/PATH\" line in \"%s\"", s);
	p += 3;
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/* This process's cgroup, as cgroup_path() gives it. */
static void own_cgroup(char *buf, size_t len)
{
	char s[4096];
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	ASSERT_GE(n, 0);
	s[n] = 0;
	cgroup_path(s, buf, len);
}

/*
 * Skip, unless a cgroup can be made below ours, as kctx run makes CMD's.
 * In the VM (its init mounts cgroup2, the tests run as root) it must be
 * possible: there a silent fallback would pass tests that prove nothing.
 */
static void need_cgroup(void)
{
	const char *mnt = cgroup2_mount(), *why = "not mounted";
	char own[PATH_MAX], probe[2 * PATH_MAX + 32];

	own_cgroup(own, sizeof(own));
	snprintf(probe, sizeof(probe), "%s%s/kctx-cli-probe.%d", mnt ? mnt : "",
		 strcmp(own, "/") ? own : "", (int)getpid());
	if (mnt) {
		if (!mkdir(probe, 0755)) {
			rmdir(probe);
			return;
		}
		why = strerror(errno);
	}
	if (getenv("KCTX_KERNEL"))
		FAIL("cannot make a cgroup (%s: %s), but qemu-scripts/guest/init mounts cgroup2",
		     mnt ? probe : "cgroup2", why);
	SKIP("cannot make a cgroup here (%s: %s)", mnt ? probe : "cgroup2", why);
}

/* The number after @key ("escapee=") in @s; fails the test if none. */
static pid_t pid_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	long v;

	if (!p)
		FAIL("no \"%s\" in \"%s\"", key, s);
	v = strtol(p + strlen(key), NULL, 10);
	ASSERT_GT(v, 1);
	return (pid_t)v;
}

/*
 * Wait up to @ms for @pidfd's process to exit (a zombie has); 1 if it
 * did. A pidfd is readable once its process has exited.
 */
static int exited_within(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	ASSERT_GE(n, 0);
	return n == 1;
}

/* Kill @pidfd's process (it is not ours to wait for) and see it exit. */
static void kill_by_pidfd(int pidfd)
{
	ASSERT_OK(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0));
	ASSERT_TRUE(exited_within(pidfd, EXIT_MS));
}

/* @pid exits within EXIT_MS, if it has not already; else kill it and fail. */
static void assert_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0) {
		ASSERT_EQ(errno, ESRCH);	/* exited and reaped already */
		return;
	}
	if (!exited_within(fd, EXIT_MS)) {
		kill_by_pidfd(fd);
		FAIL("pid %d was still running %d ms after kctx run", (int)pid, EXIT_MS);
	}
	close(fd);
}

/* @pid is still running: kill it (the test's to clean up) and pass. */
static void assert_alive_then_kill(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), alive;

	if (fd < 0)
		FAIL("pid %d is gone: %s", (int)pid, strerror(errno));
	alive = !exited_within(fd, 0);
	if (alive)
		kill_by_pidfd(fd);
	close(fd);
	if (!alive)
		FAIL("pid %d exited, but nothing should have killed it", (int)pid);
}

/*
 * CMD's cgroup, from what CMD said: a group of its own (kctx-run.PID)
 * below ours, which kctx run has removed by the time it exits.
 */
static void assert_own_cgroup_removed(const struct cli *c)
{
	char own[PATH_MAX], cmd[PATH_MAX], dir[2 * PATH_MAX];
	const char *mnt = cgroup2_mount();

	ASSERT_TRUE(mnt);
	own_cgroup(own, sizeof(own));
	cgroup_path(c->out, cmd, sizeof(cmd));
	if (strncmp(cmd, own, strlen(own)) || !strstr(cmd, "/kctx-run."))
		FAIL("CMD ran in %s, not in a kctx-run.PID group below %s", cmd, own);
	snprintf(dir, sizeof(dir), "%s%s", mnt, cmd);
	if (!access(dir, F_OK))
		FAIL("%s is still there after kctx run", dir);
	ASSERT_EQ(errno, ENOENT);
}

/* CMD ran in our own cgroup: kctx run made none. */
static void assert_no_cgroup(const struct cli *c)
{
	char own[PATH_MAX], cmd[PATH_MAX];

	own_cgroup(own, sizeof(own));
	cgroup_path(c->out, cmd, sizeof(cmd));
	ASSERT_STREQ(cmd, own);
}

TEST(run_help_says_when_cmd_gets_a_cgroup)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run --help"), 0);
	ASSERT_CONTAINS(c.out, "cgroup v2 group of its own");
	ASSERT_CONTAINS(c.out, "cgroup.kill");
	ASSERT_CONTAINS(c.out, "--no-cgroup");
}

TEST(run_kills_a_setsid_grandchild_when_cmd_exits)
{
	struct cli c;

	need_cgroup();
	setenv("ESCAPEE", ESCAPEE, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c \"$ESCAPEE\""), 0);
	assert_gone(pid_after(c.out, "escapee="));
	assert_own_cgroup_removed(&c);
}

TEST(run_kills_a_setsid_grandchild_when_the_context_is_cancelled)
{
	struct cli c;

	need_cgroup();
	setenv("ESCAPEE", ESCAPEE, 1);
	/* The cancel's SIGTERM goes to CMD's process group, not to the escapee. */
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c \"$ESCAPEE; kctx cancel; exec sleep 1000\""),
		  128 + SIGTERM);
	assert_gone(pid_after(c.out, "escapee="));
	assert_own_cgroup_removed(&c);
}

TEST(run_kills_a_setsid_grandchild_at_the_deadline)
{
	struct cli c;

	need_cgroup();
	setenv("ESCAPEE", ESCAPEE, 1);
	/*
	 * Everything ignores SIGTERM (kctx passes that on), so CMD sees the
	 * deadline through its context whenever it comes, escapee set up
	 * or not, and exits after it.
	 */
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --timeout 200ms -- sh -c "
			 "\"$ESCAPEE; kctx wait\""), 124);
	assert_gone(pid_after(c.out, "escapee="));
	assert_own_cgroup_removed(&c);
}

TEST(run_kill_after_kills_cmd_and_a_setsid_grandchild)
{
	struct cli c;

	need_cgroup();
	setenv("ESCAPEE", ESCAPEE, 1);
	/* CMD outlives the SIGTERM: the KILL, a cgroup.kill, ends it all. */
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --kill-after 100ms -- sh -c "
			 "\"$ESCAPEE; kctx cancel; exec sleep 1000\""), 128 + SIGKILL);
	assert_gone(pid_after(c.out, "escapee="));
	assert_own_cgroup_removed(&c);
}

TEST(run_foreground_still_kills_the_tree_with_a_cgroup)
{
	struct cli c;

	need_cgroup();
	setenv("ESCAPEE", ESCAPEE, 1);
	setenv("BACKGROUND", BACKGROUND, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run --foreground -- sh -c \"$ESCAPEE; $BACKGROUND\""), 0);
	assert_gone(pid_after(c.out, "escapee="));
	assert_gone(pid_after(c.out, "bg="));
	assert_own_cgroup_removed(&c);
}

TEST(run_removes_the_cgroups_of_runs_killed_inside_it)
{
	char inner[PATH_MAX], outer[PATH_MAX], dir[2 * PATH_MAX];
	struct cli c;

	need_cgroup();
	/*
	 * The inner kctx run is killed (its CMD's $PPID), so its CMD and the
	 * escapee live on in its cgroup, below the outer run's, which has
	 * to kill them and remove both groups.
	 */
	setenv("INNER", ESCAPEE "; kill -9 $PPID; exec sleep 1000 >/dev/null 2>&1", 1);
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'kctx run -- sh -c \"$INNER\"; echo inner=$?'"),
		  0);
	ASSERT_CONTAINS(c.out, "inner=137");
	assert_gone(pid_after(c.out, "escapee="));
	cgroup_path(c.out, inner, sizeof(inner));
	snprintf(outer, sizeof(outer), "%s", inner);
	*strrchr(outer, '/') = 0;
	if (!strstr(outer, "/kctx-run.") || !strstr(inner + strlen(outer), "/kctx-run."))
		FAIL("the inner CMD ran in %s, not two kctx-run.PID groups deep", inner);
	snprintf(dir, sizeof(dir), "%s%s", cgroup2_mount(), outer);
	if (!access(dir, F_OK))
		FAIL("%s is still there after kctx run", dir);
	ASSERT_EQ(errno, ENOENT);
}

TEST(run_with_no_cgroup_a_setsid_grandchild_survives)
{
	struct cli c;

	setenv("ESCAPEE", ESCAPEE, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup -- sh -c \"$ESCAPEE\""), 0);
	assert_no_cgroup(&c);
	assert_alive_then_kill(pid_after(c.out, "escapee="));

	/* Killed after --kill-after, CMD's process group goes, not the escapee. */
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --no-cgroup --kill-after 100ms -- sh -c "
			 "\"$ESCAPEE; kctx cancel; exec sleep 1000\""), 128 + SIGKILL);
	assert_alive_then_kill(pid_after(c.out, "escapee="));
}

TEST(run_with_no_cgroup_kills_the_process_group_when_cmd_exits)
{
	struct cli c;

	setenv("BACKGROUND", BACKGROUND, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup -- sh -c \"$BACKGROUND\""), 0);
	assert_no_cgroup(&c);
	assert_gone(pid_after(c.out, "bg="));
}

TEST(run_foreground_with_no_cgroup_kills_nothing_in_kctx_s_group)
{
	struct cli c;

	/*
	 * The background job is in kctx's process group, as are the shell
	 * that runs kctx and this test: killing the group would kill them.
	 */
	setenv("BACKGROUND", BACKGROUND, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run --foreground --no-cgroup -- sh -c \"$BACKGROUND\"; "
			 "echo after=$?"), 0);
	ASSERT_CONTAINS(c.out, "after=0");
	assert_alive_then_kill(pid_after(c.out, "bg="));
}

TEST(run_with_no_cgroup_still_runs_and_times_out)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup -- sh -c 'exit 3'"), 3);
	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup --timeout 200ms -- sleep 10"), 124);
	ASSERT_LT(c.ns, MS(3000));
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --no-cgroup -t 100ms -k 100ms -- sleep 10"),
		  128 + SIGKILL);
	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup -- kctx show"), 0);
	ASSERT_CONTAINS(c.out, "fd: owner");
}

/* kctx run, with cgroup2 read-only and then not mounted at all: the process group. */
static void falls_back(void)
{
	struct cli c;

	setenv("BACKGROUND", BACKGROUND, 1);
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c \"$BACKGROUND\""), 0);
	ASSERT_STREQ(c.err, "");
	assert_no_cgroup(&c);
	assert_gone(pid_after(c.out, "bg="));
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run -t 100ms -k 100ms -- sleep 10"),
		  128 + SIGKILL);
}

TEST(run_falls_back_to_the_process_group_without_a_writable_cgroup2)
{
	const char *mnt;
	char path[PATH_MAX];

	need_cgroup();
	/* In a mount namespace of our own, the commands we start too. */
	if (unshare(CLONE_NEWNS))
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mnt = cgroup2_mount();
	ASSERT_TRUE(mnt);
	snprintf(path, sizeof(path), "%s", mnt);
	ASSERT_OK(mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	falls_back();
	ASSERT_OK(umount2(path, MNT_DETACH));
	ASSERT_TRUE(!cgroup2_mount());
	falls_back();
}
