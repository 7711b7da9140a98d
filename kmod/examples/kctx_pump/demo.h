/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the demos of `make demo` share: timestamps from the start of a
 * demo, dying with the errno, and making and reading contexts by ioctl.
 */
#ifndef KCTX_DEMO_H
#define KCTX_DEMO_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kctx.h>

static long long t0;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double since_ms(void)
{
	return (now_ns() - t0) / 1e6;
}

static const char *demo_name;

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", demo_name, what, strerror(errno));
	exit(1);
}

/* @path opened with @flags, close-on-exec; dies if it can't be. */
static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", demo_name, path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int create(int parent, struct kctx_create c, const char *what)
{
	int fd;

	c.size = sizeof(c);
	fd = ioctl(parent, KCTX_IOC_CREATE, &c);
	if (fd < 0)
		die(what);
	return fd;
}

static struct kctx_state state(int fd)
{
	struct kctx_state st = { .size = sizeof(st) };

	if (ioctl(fd, KCTX_IOC_STATE, &st))
		die("KCTX_IOC_STATE");
	return st;
}

#endif /* KCTX_DEMO_H */
