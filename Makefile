# SPDX-License-Identifier: GPL-2.0
#
# For people. kbuild reads Kbuild, not this file; see `make help`.

KERNEL ?= stock
Q := qemu-scripts

.PHONY: help demo check stress vm kdir module lint htmldocs deb clean kunit-uml bench bench-uml version

help:
	@echo 'kctx: Go-style contexts for the Linux kernel'
	@echo
	@echo '  make demo                  build kctx.ko, boot Debian'\''s stock kernel in QEMU,'
	@echo '                             load it and show what it does'
	@echo '  make check                 the whole test suite; last line: N passed, N failed, N skipped'
	@echo '  make stress                the long reliability run (3 hours): 10^6 rounds of each'
	@echo '                             KUnit race on debug and uapi race on stock, the races under'
	@echo '                             KCSAN, the KUnit suites on debug-rt (PREEMPT_RT), 10^6 fuzzer'
	@echo '                             ops, 1000 load/unload cycles; ends with a report'
	@echo '                             (qemu-scripts/stress)'
	@echo '  make vm [KERNEL=debug]     a shell in the VM with kctx loaded (Ctrl-A x quits)'
	@echo '  make kdir [KERNEL=debug]   print the kernel build directory modules build against'
	@echo '  make module [KERNEL=debug] build kctx.ko (and kctx_test.ko on debug) into build/KERNEL'
	@echo '  make lint                  checkpatch --strict, kernel-doc -Wall, sparse, the syzkaller'
	@echo '                             description'\''s check, htmldocs and make deb'\''s lintian'
	@echo '  make htmldocs              Documentation/ in HTML (Sphinx -W, the kernel'\''s kernel-doc)'
	@echo '                             into build/htmldocs; prints the index'
	@echo '  make deb                   Debian source and binary packages (kctx-dkms, libkctx0,'
	@echo '                             libkctx-dev, kctx-tools) into build/deb; lintian must pass'
	@echo '  make kunit-uml             kctx'\''s KUnit suites natively, in a UML kernel: under a'
	@echo '                             minute once the kernel is cached (qemu-scripts/uml)'
	@echo '  make bench                 kctx against Go, C++ and raw kernel primitives, in the'
	@echo '                             VM and in UML; writes bench/results.md and .json'
	@echo '  make bench-uml             only the native in-kernel part (UML and host peers)'
	@echo '  make clean                 remove build/ (cached kernels stay in ~/.cache/kctx)'
	@echo '  make -s version            print kctx'\''s version (KCTX_VERSION in Kbuild)'
	@echo
	@echo 'KERNEL is stock (default), debug, kcsan (KCSAN instead of KASAN), debug-rt (debug'
	@echo 'with PREEMPT_RT and raw-lock nesting checks), lts (Debian 12'\''s own 6.1) or rt'
	@echo '(Debian'\''s 6.12 PREEMPT_RT).'
	@echo 'KCTX_KVER pins the Debian 6.12 kernel version, KCTX_LTS_KVER the 6.1 one (6.1.0-N).'
	@echo 'qemu-scripts/run-vm --help runs your own commands in the VM.'

demo:
	$(Q)/build-userspace
	$(Q)/run-vm --kernel stock --quiet-boot --add $(Q)/demo.sh \
		--add build/userspace/pump-demo --add build/userspace/shutdown-demo -- demo.sh

check:
	$(Q)/check

stress:
	$(Q)/stress

vm:
	$(Q)/run-vm --kernel $(KERNEL) --interactive

kdir:
	@$(Q)/kernel $(KERNEL) kdir

module:
	@$(Q)/build-module $(KERNEL)

lint:
	$(Q)/lint

htmldocs:
	@$(Q)/htmldocs

deb:
	@$(Q)/deb

kunit-uml:
	$(Q)/uml kunit

bench:
	$(Q)/bench

bench-uml:
	$(Q)/bench uml

version:
	@sed -n 's/^KCTX_VERSION := //p' Kbuild

clean:
	rm -rf build
