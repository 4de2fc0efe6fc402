# VM tests: a qemu VM with a real KMEM-DAX NUMA node (tests/vm/vm-lib.sh).
# They SKIP (77) when qemu, busybox-static, ndctl, daxctl, numactl, kmod,
# cpio or the kernel .deb are not available.
TESTS += tests/vm/kmem-dax.sh
EXTRA_DIST += tests/vm/kmem-dax.sh tests/vm/vm-lib.sh tests/vm/guest-init.sh tests/vm/guest-kmem-dax.sh
