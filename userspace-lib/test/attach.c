// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_attach() and kctx_detach(): a process as a worker of a context,
 * what kctx_cancel_wait() waits for.
 */
#include <sys/wait.h>

#include "harness.h"

TEST(a_worker_holds_cancel_wait_until_it_detaches)
{
	kctx_t *ctx = new_root();

	ASSERT_OK(kctx_attach(ctx));
	ASSERT_EQ(kctx_attach(ctx), -EALREADY);
	ASSERT_EQ(kctx_cancel_wait(ctx, 0, MS(20)), -ETIME);
	ASSERT_OK(kctx_detach(ctx));
	ASSERT_OK(kctx_cancel_wait(ctx, 0, 0));
	ASSERT_OK(kctx_detach(ctx));
	kctx_free(ctx);
}

/* The worker is a process; the wait ends when it exits, detached or not. */
TEST(cancel_wait_waits_for_a_worker_process_to_exit)
{
	kctx_t *root = new_root(), *child;
	int ready[2], go[2], st;
	pid_t pid;
	char c;

	ASSERT_OK(kctx_with_cancel(root, &child));
	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		if (kctx_attach(child))
			_exit(1);
		if (write(ready[1], "a", 1) != 1)
			_exit(1);
		/* Until the parent closes it. */
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	ASSERT_EQ(kctx_cancel_wait(root, -ESHUTDOWN, MS(20)), -ETIME);
	close(go[1]);
	ASSERT_OK(kctx_cancel_wait(root, -ESHUTDOWN, MS(10000)));
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_EQ(st, 0);
	kctx_free(child);
	kctx_free(root);
}

TEST(kctx_free_ends_the_worker)
{
	kctx_t *ctx = new_root(), *watch;

	ASSERT_OK(kctx_watch(ctx, &watch));
	ASSERT_OK(kctx_attach(watch));
	ASSERT_EQ(kctx_cancel_wait(ctx, 0, 0), -ETIME);
	kctx_free(watch);
	ASSERT_OK(kctx_cancel_wait(ctx, 0, 0));
	kctx_free(ctx);
}

TEST(a_done_context_refuses_workers_with_its_error)
{
	kctx_t *ctx = new_root(), *bg;

	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_attach(ctx), -ECANCELED);
	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_attach(bg), -EINVAL);
	ASSERT_EQ(kctx_detach(bg), -EINVAL);
	ASSERT_EQ(kctx_attach(NULL), -EINVAL);
	ASSERT_EQ(kctx_detach(NULL), -EINVAL);
	kctx_free(bg);
	kctx_free(ctx);
}
