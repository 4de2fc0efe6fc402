#!/bin/sh
# guest-kmem-dax.sh -- runs inside the test VM (tests/vm/kmem-dax.sh) once
# node 1 is a KMEM-DAX node.
#
# What it checks
#   - tierdb-server --pmem-kind kmem-dax starts with no MEMKIND_DAX_KMEM_NODES
#     and no pmem-numa-nodes: memkind finds node 1 by itself.  pmem-size 0
#     means "the whole node" (the 1gb default is more than node 1 holds).
#   - The pages of large (PMem) values are on node 1, in mappings bound to
#     node 1, and not one of them is on node 0.
#   - Small values and metadata (default-policy mappings: jemalloc's heap)
#     are on node 0, and not one of their pages is on node 1.
# Page locations come from /proc/PID/numa_maps, which the kernel fills by
# looking at every mapped page (the same answer move_pages gives page by page).
PORT=6379
NBIG=200            # x 256 KB = 50 MB on PMem
BIG=262144
NSMALL=20000        # x 100 B, plus keys and dict entries, on DRAM
fails=0

cli() { redis-cli -p $PORT "$@" | tr -d '\r'; }
fail() { echo "guest: FAIL: $*"; fails=$((fails + 1)); }
info_field() { cli info memory | sed -n "s/^$1://p"; }

# "pmN1 pmN0 defN0 defN1" in KB: pages in mappings whose policy names node 1
# (how memkind binds MEMKIND_DAX_KMEM memory) and in all other mappings.
numa_kb() {
    awk '{
        pm = ($2 ~ /^(bind|prefer|preferred[a-z]*):1$/)
        ps = 4
        for (i = 3; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
        for (i = 3; i <= NF; i++) if ($i ~ /^N[0-9]+=/) {
            split(substr($i, 2), a, "=")
            if (pm) p[a[1]] += a[2] * ps; else d[a[1]] += a[2] * ps
        }
    } END { printf "%d %d %d %d\n", p[1], p[0], d[0], d[1] }' /proc/$1/numa_maps
}

/usr/bin/tierdb-server --port $PORT --bind 127.0.0.1 --dir /tmp --durability none \
    --pmem-kind kmem-dax --pmem-size 0 --memory-alloc-policy threshold --static-threshold 4096 \
    >/tmp/server.log 2>&1 &
pid=$!
i=0
until cli ping 2>/dev/null | grep -q PONG; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
        echo "guest: tierdb-server did not start:"; cat /tmp/server.log
        exit 1
    fi
    sleep 0.1
done
echo "guest: tierdb-server up (pid $pid)"

kind=$(info_field pmem_kind)
cap=$(info_field pmem_capacity)
echo "guest: pmem_kind=$kind pmem_numa_nodes='$(info_field pmem_numa_nodes)' pmem_capacity=$cap"
[ "$kind" = kmem-dax ] || fail "pmem_kind is '$kind'"
# node 1 holds ~900 MB; anything much smaller means memkind found something else
[ "${cap:-0}" -ge $((512 << 20)) ] 2>/dev/null || fail "pmem_capacity $cap is not node 1's size"

set -- $(numa_kb $pid)
pm1a=$1 pm0a=$2 d0a=$3 d1a=$4

# One RESP stream, written with redis-cli --pipe: NBIG large values, NSMALL small.
awk -v nbig=$NBIG -v big=$BIG -v nsmall=$NSMALL 'BEGIN {
    v = "x"; while (length(v) < big) v = v v; v = substr(v, 1, big)
    s = "s"; while (length(s) < 100) s = s s; s = substr(s, 1, 100)
    for (i = 0; i < nbig; i++) {
        k = "big" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, big, v
    }
    for (i = 0; i < nsmall; i++) {
        k = "small" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n", length(k), k, s
    }
}' >/tmp/load.resp
redis-cli -p $PORT --pipe </tmp/load.resp >/tmp/pipe.out 2>&1
tr -d '\r' </tmp/pipe.out | tail -n 1
grep -q "errors: 0, replies: $((NBIG + NSMALL))" /tmp/pipe.out || fail "redis-cli --pipe: $(cat /tmp/pipe.out)"
rm -f /tmp/load.resp

[ "$(cli dbsize)" = $((NBIG + NSMALL)) ] || fail "dbsize $(cli dbsize)"
[ "$(cli memory tier big7)" = pmem ] || fail "MEMORY TIER big7 = $(cli memory tier big7)"
[ "$(cli memory tier small7)" = dram ] || fail "MEMORY TIER small7 = $(cli memory tier small7)"
[ "$(cli strlen big199)" = $BIG ] || fail "STRLEN big199 = $(cli strlen big199)"
pmem_user=$(info_field used_memory_pmem_user)
echo "guest: used_memory_pmem_user=$pmem_user used_memory_dram=$(info_field used_memory_dram)"

set -- $(numa_kb $pid)
pm1=$(($1 - pm1a)) pm0=$2 d0=$(($3 - d0a)) d1=$4
echo "guest: growth: PMem mappings +${pm1} KB on node 1 (${pm0} KB on node 0 in all);" \
     "other mappings +${d0} KB on node 0 (${d1} KB on node 1 in all)"
want=$((NBIG * BIG / 1024 * 9 / 10))
[ $pm1 -ge $want ] || fail "only $pm1 KB of PMem-bound pages on node 1, want >= $want KB"
[ $pm0 -eq 0 ] || fail "$pm0 KB of PMem-bound pages are on node 0"
[ $d1 -eq 0 ] || fail "$d1 KB of DRAM (default-policy) pages are on node 1"
[ $d0 -ge 1024 ] || fail "DRAM pages grew by only $d0 KB for $NSMALL small keys"
echo "guest: numa_maps lines that use node 1:"
grep 'N1=' /proc/$pid/numa_maps | cut -c 1-160 | head -n 8

if [ $fails -ne 0 ]; then
    echo "guest: server log:"; tail -n 30 /tmp/server.log
    grep . /proc/$pid/numa_maps | cut -c 1-160 | head -n 60
fi
kill $pid
exit $((fails != 0))
