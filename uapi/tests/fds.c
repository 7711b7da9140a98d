// SPDX-License-Identifier: GPL-2.0
/* Context fds as fds: SCM_RIGHTS, fork, fdinfo, and owner death. */
#include <poll.h>
#include <sched.h>
#include <signal.h>

#include "harness.h"

TEST(owner_fd_passed_over_scm_rights_cancels_for_the_sender)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), sv[2], got;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		got = kt_recv_fd(sv[1]);
		c = kt_cancel(got, -ENOLINK, 0) ? 1 : 0;
		/* Stay alive until the parent has asked who cancelled. */
		if (write(sv[1], &c, 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	kt_send_fd(sv[0], fd);
	ASSERT_EQ(read(sv[0], &c, 1), 1);
	ASSERT_EQ(c, 0);
	ASSERT_EQ(kt_state(fd).cause, -ENOLINK);
	ASSERT_EQ(kt_state(fd).canceller_pid, pid);
	ASSERT_EQ(write(sv[0], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

TEST(watch_fd_passed_over_scm_rights_sees_the_cancel)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), sv[2];
	int watch = ioctl(fd, KCTX_IOC_WATCH, &w);
	struct pollfd p;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	kt_send_fd(sv[0], watch);
	p.fd = kt_recv_fd(sv[1]);
	p.events = POLLIN;
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(poll(&p, 1, 10000), 1);
	ASSERT_ERRNO(kt_cancel(p.fd, 0, 0), EPERM);
}

static const char *fdinfo_field(int fd, const char *key, char *out, size_t n)
{
	char path[64], line[256];
	size_t len = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	ASSERT_TRUE(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			snprintf(out, n, "%s", line + len + 1 + strspn(line + len + 1, " \t"));
			out[strcspn(out, "\n")] = 0;
			fclose(f);
			return out;
		}
	}
	fclose(f);
	return NULL;
}

TEST(fdinfo_shows_id_state_cause_and_deadline)
{
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int fd = kt_timeout(parent, 3600LL * 1000000000);
	struct kctx_state st = kt_state(fd);
	char v[64], want[64];

	snprintf(want, sizeof(want), "%llu", (unsigned long long)st.id);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "id", v, sizeof(v)), want), 0);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)st.parent_id);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "parent_id", v, sizeof(v)), want), 0);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "state", v, sizeof(v)), "live"), 0);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "owner", v, sizeof(v)), "1"), 0);
	snprintf(want, sizeof(want), "%lld", (long long)st.deadline_ns);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "deadline_ns", v, sizeof(v)), want), 0);
	ASSERT_EQ(kt_cancel(parent, -EBADE, 0), 0);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "state", v, sizeof(v)), "done"), 0);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "err", v, sizeof(v)), "-125"), 0);
	snprintf(want, sizeof(want), "%d", -EBADE);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "cause", v, sizeof(v)), want), 0);
}

#define GRACE	"/sys/module/kctx/parameters/leaked_work_grace_ms"

static char saved_grace[32];

static void restore_grace(void)
{
	kt_write_file(GRACE, saved_grace);
}

/* Age, creator, workers below, and work leaked past the grace period. */
TEST(fdinfo_shows_age_creator_workers_and_leaked_work)
{
	struct kctx_attach a = { .size = sizeof(a) };
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int fd = kt_create(parent, KCTX_KIND_CANCEL, 0), w;
	char v[64], want[64], comm[32];
	int64_t end;

	ASSERT_TRUE(fdinfo_field(fd, "age_ms", v, sizeof(v)));
	ASSERT_TRUE(!fdinfo_field(fd, "done_for_ms", v, sizeof(v)));
	snprintf(want, sizeof(want), "%d", getpid());
	ASSERT_EQ(strcmp(fdinfo_field(fd, "creator_pid", v, sizeof(v)), want), 0);
	ASSERT_EQ(kt_read_file("/proc/self/comm", comm, sizeof(comm)), 0);
	comm[strcspn(comm, "\n")] = 0;
	ASSERT_EQ(strcmp(fdinfo_field(fd, "creator_comm", v, sizeof(v)), comm), 0);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "workers", v, sizeof(v)), "0"), 0);

	w = ioctl(fd, KCTX_IOC_ATTACH, &a);
	ASSERT_GE(w, 0);
	ASSERT_EQ(strcmp(fdinfo_field(parent, "workers", v, sizeof(v)), "1"), 0);
	if (kt_read_file(GRACE, saved_grace, sizeof(saved_grace)))
		SKIP("no " GRACE);
	atexit(restore_grace);
	ASSERT_EQ(kt_write_file(GRACE, "3600000"), 0);
	ASSERT_EQ(kt_cancel(parent, 0, 0), 0);
	ASSERT_TRUE(fdinfo_field(fd, "done_for_ms", v, sizeof(v)));
	ASSERT_EQ(strcmp(fdinfo_field(fd, "leaked", v, sizeof(v)), "0"), 0);
	/* Done for longer than the grace period, and still attached: leaked. */
	ASSERT_EQ(kt_write_file(GRACE, "0"), 0);
	end = kt_now_ns() + 10 * 1000000000LL;
	while (strcmp(fdinfo_field(fd, "done_for_ms", v, sizeof(v)), "0") == 0 &&
	       kt_now_ns() < end)
		sched_yield();
	ASSERT_EQ(strcmp(fdinfo_field(fd, "leaked", v, sizeof(v)), "1"), 0);
	ASSERT_EQ(strcmp(fdinfo_field(parent, "leaked", v, sizeof(v)), "1"), 0);
	close(w);
	ASSERT_EQ(strcmp(fdinfo_field(fd, "leaked", v, sizeof(v)), "0"), 0);
	ASSERT_EQ(strcmp(fdinfo_field(parent, "workers", v, sizeof(v)), "0"), 0);
}

TEST(closing_the_last_owner_fd_cancels_with_eownerdead)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int watch = ioctl(fd, KCTX_IOC_WATCH, &w);
	int dup_fd = dup(fd);

	close(fd);
	ASSERT_EQ(kt_state(watch).err, 0);	/* the dup still owns it */
	close(dup_fd);
	ASSERT_EQ(kt_state(watch).err, -ECANCELED);
	ASSERT_EQ(kt_state(watch).cause, -EOWNERDEAD);
}

TEST(kill_9_of_the_owner_cancels_for_the_watcher)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int sv[2], watch;
	struct pollfd p;
	int64_t killed;
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

		kt_send_fd(sv[1], ioctl(fd, KCTX_IOC_WATCH, &w));
		pause();
		_exit(0);
	}
	watch = kt_recv_fd(sv[0]);
	p = (struct pollfd){ .fd = watch, .events = POLLIN };
	ASSERT_EQ(poll(&p, 1, 0), 0);
	killed = kt_now_ns();
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(poll(&p, 1, 10000), 1);
	printf("#   kill -9 to watcher wake: %lld us\n", (long long)(kt_now_ns() - killed) / 1000);
	ASSERT_EQ(kt_state(watch).cause, -EOWNERDEAD);
	waitpid(pid, NULL, 0);
}
