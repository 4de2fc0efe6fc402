# vm-lib.sh -- boot a throw-away qemu VM whose emulated NVDIMM is onlined as
# a real KMEM-DAX NUMA node (node 1, memory only), run one guest script in it
# and get its verdict back.  Sourced by tests/vm/kmem-dax.sh and bench/vm/run.
#
# What it promises
#   - Only Debian packages: qemu-system-x86 busybox-static ndctl daxctl
#     numactl kmod cpio, and the kernel .deb that linux-image-amd64 depends
#     on, fetched with `apt-get download` (the Debian mirror apt already
#     uses: no other network) into a cache that later runs reuse.
#   - vm_check names every missing package; callers turn that into SKIP (77).
#   - vm_run returns the guest script's own exit status (0, 1 or 77); 99
#     when the guest never reported (panic, timeout, setup failure), with
#     the reason on stdout.
#   - Runs under TCG (KVM hangs on the machines this was written on), so
#     any timing measured in the guest is meaningless.
#
# The recipe is ../shared/notes/kmem-dax-vm.md; the guest side is
# tests/vm/guest-init.sh.

# The caller sets VM_LIB_DIR to this file's directory before sourcing it.
: "${VM_LIB_DIR:?set VM_LIB_DIR to tests/vm before sourcing vm-lib.sh}"

# Packages whose commands we need, as "command:package" pairs.
VM_TOOLS="qemu-system-x86_64:qemu-system-x86 busybox:busybox-static ndctl:ndctl daxctl:daxctl
numactl:numactl depmod:kmod cpio:cpio dpkg-deb:dpkg apt-get:apt gzip:gzip timeout:coreutils"

vm_log() { echo "vm: $*"; }

# Sets VM_MISSING to the packages to install; returns 1 when any is missing.
vm_check() {
    VM_MISSING=
    for t in $VM_TOOLS; do
        cmd=${t%%:*}
        if [ "$cmd" = busybox ]; then
            # only the static build runs inside an initramfs without its libraries
            if ! busybox_path=$(command -v busybox) ||
               ! file_is_static "$busybox_path"; then
                VM_MISSING="$VM_MISSING ${t#*:}"
            fi
            continue
        fi
        command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin command -v "$cmd" >/dev/null 2>&1 ||
            VM_MISSING="$VM_MISSING ${t#*:}"
    done
    VM_MISSING=${VM_MISSING# }
    [ -z "$VM_MISSING" ]
}

file_is_static() {
    # ldd says "not a dynamic executable" (exit 1) for static binaries
    ! ldd "$1" >/dev/null 2>&1
}

# vm_kernel CACHE: the kernel linux-image-amd64 depends on, with only the
# modules the NVDIMM needs.  Sets VM_KVER, VM_KROOT (a tree with boot/ and
# lib/modules/), VM_VMLINUZ.  Returns 1 with VM_WHY set when it cannot.
vm_kernel() {
    cache=$1
    mkdir -p "$cache" || { VM_WHY="cannot create $cache"; return 1; }
    if [ -n "${TIERDB_VM_KERNEL_PKG:-}" ]; then
        pkg=$TIERDB_VM_KERNEL_PKG
    else
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
              sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
        if [ -z "$pkg" ]; then
            # no package index (apt-get update never ran): use a cached kernel if any
            pkg=$(ls -1 "$cache" 2>/dev/null | sed -n 's/^\(linux-image-.*-amd64\)\.tree$/\1/p' | tail -n 1)
        fi
    fi
    if [ -z "$pkg" ]; then
        VM_WHY="apt-cache does not know linux-image-amd64 (run apt-get update) and no kernel is cached in $cache"
        return 1
    fi
    VM_KROOT=$cache/$pkg.tree
    if [ ! -f "$VM_KROOT/.done" ]; then
        rm -rf "$VM_KROOT" "$cache"/dl
        mkdir -p "$cache/dl" "$VM_KROOT"
        vm_log "downloading $pkg (apt-get download, ~70 MB, once)"
        if ! (cd "$cache/dl" && apt-get download -q "$pkg" >/dev/null 2>"$cache/dl/err"); then
            VM_WHY="apt-get download $pkg failed: $(tail -n 2 "$cache/dl/err" | tr '\n' ' ')"
            return 1
        fi
        deb=$(ls "$cache"/dl/*.deb | head -n 1)
        # Like `dpkg -x`, but only the kernel image and the modules the NVDIMM
        # needs (the full tree is ~400 MB).
        if ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$VM_KROOT" --wildcards \
                './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/acpi/nfit' \
                './lib/modules/*/kernel/drivers/nvdimm' './lib/modules/*/kernel/drivers/dax' \
                './lib/modules/*/modules.builtin*' './lib/modules/*/modules.order'; then
            VM_WHY="cannot unpack $deb"
            return 1
        fi
        rm -rf "$cache/dl"
        touch "$VM_KROOT/.done"
    fi
    VM_KVER=$(ls -1 "$VM_KROOT/lib/modules" | head -n 1)
    VM_VMLINUZ=$VM_KROOT/boot/vmlinuz-$VM_KVER
    if [ -z "$VM_KVER" ] || [ ! -f "$VM_VMLINUZ" ]; then
        VM_WHY="$VM_KROOT has no kernel; remove it to download again"
        return 1
    fi
    # the .deb ships no modules.dep
    PATH=$PATH:/sbin:/usr/sbin depmod -b "$VM_KROOT" "$VM_KVER" || { VM_WHY="depmod failed"; return 1; }
    return 0
}

# Copy a binary and every library ldd lists (plus the loader) into ROOT,
# at the same paths.
vm_add_bin() {
    root=$1 bin=$2 dest=${3:-$2}
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$bin" "$root$dest"
    ldd "$bin" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
    while read -r lib; do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# vm_initrd WORK GUEST_SCRIPT [BIN[=GUESTPATH]...]: WORK/initrd.gz with
# busybox, numactl/ndctl/daxctl, redis-cli, the kernel modules, the common
# /init (guest-init.sh) and GUEST_SCRIPT as /guest-test.sh.
vm_initrd() {
    work=$1 script=$2
    shift 2
    root=$work/root
    rm -rf "$root"
    mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/proc "$root"/sys \
             "$root"/dev "$root"/tmp "$root"/run "$root"/etc "$root"/lib/modules
    busybox=$(command -v busybox)
    cp "$busybox" "$root/bin/busybox"
    for b in /usr/bin/numactl /usr/bin/ndctl /usr/bin/daxctl /usr/bin/redis-cli; do
        [ -x "$b" ] && vm_add_bin "$root" "$b"
    done
    for spec in "$@"; do
        case $spec in
            *=*) vm_add_bin "$root" "${spec%%=*}" "${spec#*=}" ;;
            *) vm_add_bin "$root" "$spec" ;;
        esac
    done
    # busybox applets for everything not already a real binary
    busybox --list-full | while read -r a; do
        [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
    done
    cp -a "$VM_KROOT/lib/modules/$VM_KVER" "$root/lib/modules/"
    PATH=$PATH:/sbin:/usr/sbin depmod -b "$root" "$VM_KVER"
    cp "$VM_LIB_DIR/guest-init.sh" "$root/init"
    cp "$script" "$root/guest-test.sh"
    chmod 755 "$root/init" "$root/guest-test.sh"
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
}

# vm_run WORK: boot; the guest's console goes to stdout (and WORK/console.log).
# Returns the guest script's status (0/1/77), or 99 when it never reported.
vm_run() {
    work=$1
    rm -f "$work/nv1.img" "$work/qemu.rc"
    truncate -s 1G "$work/nv1.img"
    tmo=${TIERDB_VM_TIMEOUT:-240}
    {
        timeout -k 5 "$tmo" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 \
            -machine pc,nvdimm=on -m 1G,slots=2,maxmem=4G \
            -object memory-backend-ram,id=m0,size=1G \
            -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1 \
            -object memory-backend-file,id=nv1,share=on,mem-path="$work/nv1.img",size=1G \
            -device nvdimm,id=nvdimm1,memdev=nv1,node=1 \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -nic none -nographic -no-reboot -kernel "$VM_VMLINUZ" -initrd "$work/initrd.gz" \
            -append "console=ttyS0 panic=-1 quiet ${TIERDB_VM_APPEND:-}" </dev/null
        echo $? >"$work/qemu.rc"
    } 2>&1 | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r$//' | tee "$work/console.log"
    rm -f "$work/nv1.img"
    rc=$(cat "$work/qemu.rc" 2>/dev/null || echo 255)
    # guest-init.sh writes V to the isa-debug-exit port; qemu exits (V<<1)|1
    case $rc in
        3) return 0 ;;                      # V=1: guest script passed
        5) return 1 ;;                      # V=2: failed
        9) return 77 ;;                     # V=4: skipped
        7) vm_log "guest setup failed (modules, namespace or system-ram; see above)"; return 99 ;;
        124|137) vm_log "qemu killed after ${tmo}s (TIERDB_VM_TIMEOUT)"; return 99 ;;
        0) vm_log "guest stopped without a verdict (kernel panic or init died)"; return 99 ;;
        *) vm_log "qemu exited with status $rc"; return 99 ;;
    esac
}
