# SPDX-License-Identifier: GPL-2.0
#
# For people. kbuild reads Kbuild, not this file; see `make help`.

KERNEL ?= stock
Q := qemu-scripts

.PHONY: help demo check vm kdir module lint clean

help:
	@echo 'kctx: Go-style contexts for the Linux kernel'
	@echo
	@echo '  make demo                  build kctx.ko, boot Debian'\''s stock kernel in QEMU,'
	@echo '                             load it and show what it does'
	@echo '  make check                 the whole test suite; last line: N passed, N failed, N skipped'
	@echo '  make vm [KERNEL=debug]     a shell in the VM with kctx loaded (Ctrl-A x quits)'
	@echo '  make kdir [KERNEL=debug]   print the kernel build directory modules build against'
	@echo '  make module [KERNEL=debug] build kctx.ko (and kctx_test.ko on debug) into build/KERNEL'
	@echo '  make lint                  checkpatch --strict, kernel-doc -Wall and sparse'
	@echo '  make clean                 remove build/ (cached kernels stay in ~/.cache/kctx)'
	@echo
	@echo 'KERNEL is stock (default) or debug. KCTX_KVER pins the Debian 6.12 kernel version.'
	@echo 'qemu-scripts/run-vm --help runs your own commands in the VM.'

demo:
	$(Q)/build-userspace
	$(Q)/run-vm --kernel stock --quiet-boot --add $(Q)/demo.sh \
		--add build/userspace/pump-demo -- demo.sh

check:
	$(Q)/check

vm:
	$(Q)/run-vm --kernel $(KERNEL) --interactive

kdir:
	@$(Q)/kernel $(KERNEL) kdir

module:
	@$(Q)/build-module $(KERNEL)

lint:
	$(Q)/lint

clean:
	rm -rf build
