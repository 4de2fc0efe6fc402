#!/bin/sh
# kmem-dax.sh -- tierdb on a real KMEM-DAX NUMA node, in a qemu VM.
#
# What it promises
#   - Boots a VM (TCG) whose emulated NVDIMM is onlined as memory-only node 1,
#     starts tierdb-server --pmem-kind kmem-dax with no MEMKIND_DAX_KMEM_NODES
#     override, and checks page by page (numa_maps) that large values are on
#     node 1 and small values and metadata on node 0 (guest-kmem-dax.sh).
#   - Exit status for automake: 0 pass, 1 fail, 77 SKIP (a package or the
#     kernel .deb is missing; the message names them), 99 hard error (the
#     guest never reported).
#   - Network: only `apt-get download` of the kernel .deb from apt's own
#     mirror, once; it is cached under the build dir (tests/vm/cache).
# Run by hand: TIERDB_SERVER=<build>/tierdb-server tests/vm/kmem-dax.sh
# Environment: TIERDB_VM_CACHE (kernel cache), TIERDB_VM_TIMEOUT (seconds,
# default 240), TIERDB_VM_KERNEL_PKG (e.g. linux-image-6.1.0-56-amd64).
VM_LIB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VM_LIB_DIR/vm-lib.sh"

start=$(date +%s)
server=${TIERDB_SERVER:-$(pwd)/tierdb-server}
if [ ! -x "$server" ]; then
    echo "kmem-dax: no tierdb-server at $server (set TIERDB_SERVER)"
    exit 99
fi
build=$(cd "$(dirname "$server")" && pwd)

if ! vm_check; then
    echo "SKIP: the KMEM-DAX VM test needs these Debian packages: $VM_MISSING"
    echo "      apt-get install qemu-system-x86 busybox-static ndctl daxctl numactl kmod cpio"
    exit 77
fi
cache=${TIERDB_VM_CACHE:-$build/tests/vm/cache}
if ! vm_kernel "$cache"; then
    echo "SKIP: no kernel for the VM: $VM_WHY"
    exit 77
fi
vm_log "kernel $VM_KVER from $VM_KROOT"

work=$build/tests/vm/work-kmem-dax
mkdir -p "$work"
vm_initrd "$work" "$VM_LIB_DIR/guest-kmem-dax.sh" "$server=/usr/bin/tierdb-server" || exit 99
vm_log "initramfs $(du -k "$work/initrd.gz" | cut -f1) KB; booting (TCG)"

vm_run "$work"
rc=$?
vm_log "verdict $rc after $(($(date +%s) - start)) s"
[ $rc -eq 0 ] && rm -rf "$work"
exit $rc
