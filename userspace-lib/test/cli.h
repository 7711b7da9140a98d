/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tests of the kctx tool. Each is the tool as well: run under the name
 * "kctx" it is kctx (see cli_main_hook()), and the test puts a "kctx"
 * link to itself first on $PATH, so that the shell commands it runs find
 * it. That way the tests need no second file in the VM.
 */
#ifndef KCTX_TEST_CLI_H
#define KCTX_TEST_CLI_H

#define KT_MAIN_HOOK cli_main_hook
void cli_main_hook(int argc, char **argv);

#include "harness.h"

/* A command started with sh -c, and what it said. */
struct cli {
	pid_t pid;
	int out_fd, err_fd;
	int64_t t0;
	int status;		/* exit status, or 128 + signal */
	int64_t ns;		/* how long it ran */
	char out[16384];
	char err[4096];
	size_t nout, nerr;
};

/* Start @cmd with sh -c. */
void cli_start(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read until stdout has said @word; fails the test at EOF. */
void cli_read_until(struct cli *c, const char *word);

/* Wait for the command and read all it said. Returns its exit status. */
int cli_finish(struct cli *c);

/* cli_start() and cli_finish(). */
int cli_sh(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines in @s. */
int cli_lines(const char *s);

/* Put @ctx's fd at @fd, not close-on-exec, for commands to inherit. */
void cli_pass_fd(kctx_t *ctx, int fd);

#define ASSERT_CONTAINS(haystack, needle)				\
	do {								\
		if (!strstr((haystack), (needle)))			\
			FAIL("no \"%s\" in \"%s\"", (needle), (haystack)); \
	} while (0)

/* Exit status @st, nothing on stdout, one line on stderr, from kctx. */
#define ASSERT_ONE_LINE_ERROR(c, st)					\
	do {								\
		ASSERT_EQ((c)->status, (st));				\
		ASSERT_STREQ((c)->out, "");				\
		ASSERT_EQ(cli_lines((c)->err), 1);			\
		ASSERT_TRUE(!strncmp((c)->err, "kctx", 4));		\
	} while (0)

#endif /* KCTX_TEST_CLI_H */
