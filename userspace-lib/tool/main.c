// SPDX-License-Identifier: GPL-2.0
/*
 * kctx: Go-style contexts from the shell. See kctx(1).
 */
#include "tool.h"

int main(int argc, char **argv)
{
	return kctx_tool_main(argc, argv);
}
