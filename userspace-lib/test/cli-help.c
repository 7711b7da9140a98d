// SPDX-License-Identifier: GPL-2.0
/*
 * kctx's command line: --help, each subcommand's --help, one-line usage
 * errors and their exit statuses, GNU's option forms, and what kctx says
 * where there is no module or no such fd. None of it needs /dev/kctx.
 */
#define KT_NO_DEVICE
#include "cli.h"

static const char *const subcommands[] = { "run", "wait", "cancel", "show", "tree" };

TEST(help_lists_every_subcommand)
{
	struct cli c;
	size_t i;

	ASSERT_EQ(cli_sh(&c, "kctx --help"), 0);
	ASSERT_TRUE(!strncmp(c.out, "Usage: kctx ", 12));
	ASSERT_STREQ(c.err, "");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		ASSERT_CONTAINS(c.out, subcommands[i]);
	ASSERT_EQ(cli_sh(&c, "kctx -h"), 0);
	ASSERT_EQ(cli_sh(&c, "kctx help"), 0);
}

TEST(help_of_each_subcommand)
{
	char want[64];
	struct cli c;
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		snprintf(want, sizeof(want), "Usage: kctx %s", subcommands[i]);
		ASSERT_EQ(cli_sh(&c, "kctx %s --help", subcommands[i]), 0);
		ASSERT_TRUE(!strncmp(c.out, want, strlen(want)));
		ASSERT_STREQ(c.err, "");
		ASSERT_EQ(cli_sh(&c, "kctx help %s", subcommands[i]), 0);
		ASSERT_TRUE(!strncmp(c.out, want, strlen(want)));
	}
}

TEST(version)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx --version"), 0);
	ASSERT_TRUE(!strncmp(c.out, "kctx ", 5));
}

TEST(no_command_is_a_usage_error)
{
	struct cli c;

	cli_sh(&c, "kctx");
	ASSERT_ONE_LINE_ERROR(&c, 2);
}

TEST(unknown_command_is_a_usage_error)
{
	struct cli c;

	cli_sh(&c, "kctx frobnicate");
	ASSERT_ONE_LINE_ERROR(&c, 2);
	ASSERT_CONTAINS(c.err, "frobnicate");
	cli_sh(&c, "kctx help frobnicate");
	ASSERT_ONE_LINE_ERROR(&c, 2);
	cli_sh(&c, "kctx --frobnicate");
	ASSERT_ONE_LINE_ERROR(&c, 2);
}

/* @cmd fails with @status and one line on stderr, which says @says (if not NULL). */
static void fails(const char *cmd, int status, const char *says)
{
	struct cli c;

	cli_sh(&c, "%s", cmd);
	ASSERT_ONE_LINE_ERROR(&c, status);
	if (says)
		ASSERT_CONTAINS(c.err, says);
}

#define EACH_FAILS(cmds, status, says)					\
	do {								\
		size_t each_i;						\
									\
		for (each_i = 0; each_i < sizeof(cmds) / sizeof(cmds[0]); each_i++) \
			fails(cmds[each_i], status, says);		\
	} while (0)

TEST(unknown_options_are_usage_errors)
{
	char cmd[64];
	size_t i;

	/* kctx run's usage errors are 125, as timeout(1)'s are; the others' 2. */
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		int st = strcmp(subcommands[i], "run") ? 2 : 125;

		snprintf(cmd, sizeof(cmd), "kctx %s --frobnicate 1 -- true", subcommands[i]);
		fails(cmd, st, "--frobnicate");
		snprintf(cmd, sizeof(cmd), "kctx %s -Z -- true", subcommands[i]);
		fails(cmd, st, "'-Z'");
	}
}

TEST(run_usage_errors_exit_125_like_timeout)
{
	static const char *const cmds[] = {
		"kctx run --timeout soon -- true",
		"kctx run --timeout -1 -- true",
		"kctx run --timeout 5parsecs -- true",
		"kctx run --timeout abc -- true",
		"kctx run --timeout",
		"kctx run -t",
		"kctx run --signal NOPE -- true",
		"kctx run --kill-after x -- true",
		"kctx run --timeout 1s",
		"kctx run --background=1 true",
		"kctx run",
	};

	EACH_FAILS(cmds, 125, "(see kctx run --help)");
}

TEST(bad_values_are_usage_errors)
{
	static const char *const cmds[] = {
		"kctx wait --timeout forever 3",
		"kctx wait 3 4",
		"kctx cancel --cause nonsense 3",
		"kctx cancel --cause",
		"kctx cancel notanfd",
		"kctx cancel 12:ab",
		"kctx show @x",
		"kctx tree extra",
	};

	EACH_FAILS(cmds, 2, NULL);
}

TEST(gnu_option_forms_carry_the_value)
{
	static const char *const run[] = {
		"kctx run --timeout=abc -- true",
		"kctx run -tabc -- true",
		"kctx run --kill-after=abc -- true",
		"kctx run -kabc -- true",
	};
	static const char *const wait[] = { "kctx wait --timeout=abc 3", "kctx wait -tabc 3" };
	static const char *const cancel[] = {
		"kctx cancel --cause=nonsense 3", "kctx cancel -cnonsense 3",
	};

	/* The value reaches its parser, which says what is wrong with it. */
	EACH_FAILS(run, 125, "'abc' is not a duration");
	EACH_FAILS(wait, 2, "'abc' is not a duration");
	EACH_FAILS(cancel, 2, "'nonsense' is not a cause");
	fails("kctx run --signal=NOPE -- true", 125, "'NOPE' is not a signal");
}

TEST(gnu_option_forms_are_accepted)
{
	static const char *const run[] = {
		"KCTX_FD=0 kctx run --timeout=5s --kill-after=1s --signal=KILL -- true",
		"KCTX_FD=0 kctx run -t5s -k1s -sKILL -- true",
		"KCTX_FD=0 kctx run -t 5s -k 1s -s KILL true",
	};
	static const char *const others[] = {
		"kctx wait --timeout=1s 63", "kctx cancel --cause=EIO 63", "kctx cancel 63 -c EIO",
	};

	/* Past the options, kctx finds that fd 0 holds no context: 125, no usage error. */
	EACH_FAILS(run, 125, "kctx run: KCTX_FD=0: ");
	/* Likewise, that fd 63 is not open: 1. */
	EACH_FAILS(others, 1, "fd 63: ");
}

/* How often @needle is in @haystack. */
static int count_of(const char *haystack, const char *needle)
{
	int n = 0;

	for (; (haystack = strstr(haystack, needle)); haystack++)
		n++;
	return n;
}

TEST(a_bad_fd_is_named_once)
{
	static const char *const subs[] = { "cancel", "wait", "show" };
	struct cli c;
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		cli_sh(&c, "kctx %s 99999", subs[i]);
		ASSERT_ONE_LINE_ERROR(&c, 1);
		ASSERT_CONTAINS(c.err, "fd 99999: Bad file descriptor");
		ASSERT_EQ(count_of(c.err, "99999"), 1);
	}
}

TEST(tree_without_the_module_says_so)
{
	if (!access("/dev/kctx", F_OK) || !access("/sys/module/kctx", F_OK))
		SKIP("kctx is loaded here");
	fails("kctx tree", 1, "kctx tree: the kctx module is not loaded");
}
