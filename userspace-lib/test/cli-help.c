// SPDX-License-Identifier: GPL-2.0
/*
 * kctx --help, each subcommand's --help, and one-line usage errors. None of
 * it needs /dev/kctx.
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

TEST(unknown_options_are_usage_errors)
{
	struct cli c;
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		cli_sh(&c, "kctx %s --frobnicate 1 -- true", subcommands[i]);
		ASSERT_ONE_LINE_ERROR(&c, 2);
		ASSERT_CONTAINS(c.err, "--frobnicate");
	}
}

TEST(bad_values_are_usage_errors)
{
	static const char *const cmds[] = {
		"kctx run --timeout soon -- true",
		"kctx run --timeout -1 -- true",
		"kctx run --timeout 5parsecs -- true",
		"kctx run --timeout",
		"kctx run --signal NOPE -- true",
		"kctx run --kill-after x -- true",
		"kctx run --timeout 1s",
		"kctx run",
		"kctx wait --timeout forever 3",
		"kctx wait 3 4",
		"kctx cancel --cause nonsense 3",
		"kctx cancel --cause",
		"kctx cancel notanfd",
		"kctx cancel 12:ab",
		"kctx show @x",
		"kctx tree extra",
	};
	struct cli c;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cli_sh(&c, "%s", cmds[i]);
		ASSERT_ONE_LINE_ERROR(&c, 2);
	}
}
