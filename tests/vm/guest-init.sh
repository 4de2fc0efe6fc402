#!/bin/sh
# guest-init.sh -- /init of the tierdb test VM (busybox sh, see vm-lib.sh).
#
# What it promises
#   - Node 1 is a real KMEM-DAX node when /guest-test.sh runs: the emulated
#     NVDIMM's namespace is in devdax mode and onlined as system-ram, the way
#     an operator does it for Optane or CXL memory.
#   - The verdict always leaves through the isa-debug-exit port, never
#     through the console: V=1 pass, 2 fail, 3 setup failed, 4 skipped;
#     qemu then exits with (V<<1)|1.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/ TERM=dumb
unset MEMKIND_DAX_KMEM_NODES

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /run
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

verdict() {
    printf "\\00$1" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    # not reached: the port write ends qemu
    poweroff -f
}

setup_failed() {
    echo "guest: SETUP FAILED: $*"
    verdict 3
}

echo "guest: kernel $(uname -r), $(nproc) cpus"
for m in libnvdimm nfit nd_pmem nd_e820 device_dax dax_pmem kmem; do
    modprobe $m || setup_failed "modprobe $m"
done
ndctl create-namespace -f -e namespace0.0 --mode=devdax >/tmp/ns.json 2>&1 ||
    { cat /tmp/ns.json; setup_failed "ndctl create-namespace --mode=devdax"; }
daxctl reconfigure-device --mode=system-ram dax0.0 >/tmp/dax.json 2>&1 ||
    { cat /tmp/dax.json; setup_failed "daxctl reconfigure-device --mode=system-ram dax0.0"; }
[ -d /sys/devices/system/node/node1 ] || setup_failed "no NUMA node 1 after onlining dax0.0"
echo "guest: dax0.0 onlined as system-ram"
numactl -H

sh /guest-test.sh
rc=$?
case $rc in
    0) echo "guest: PASS"; verdict 1 ;;
    77) echo "guest: SKIP"; verdict 4 ;;
    *) echo "guest: FAIL (status $rc)"; verdict 2 ;;
esac
