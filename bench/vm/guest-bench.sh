#!/bin/sh
# guest-bench.sh -- runs inside the VM of bench/vm/run once node 1 is a
# KMEM-DAX node: a small tier benchmark with tierdb on the real kmem-dax kind.
#
# What it promises
#   - Each configuration (ratio D:P on kmem-dax, then only-dram on kmem-dax)
#     runs the same redis-benchmark command and reports its throughput, the
#     tier counters tierdb keeps (INFO) and where the pages really are
#     (numa_maps, per node).
#   - Status 1 when the benchmark fails or pages are not where the
#     configuration says (the ratio run puts nothing on node 1, or the
#     only-dram run puts anything there); throughput is never judged: under
#     TCG it means nothing.
PORT=6379
# parameters come from the kernel command line (bench/vm/run sets them)
n=20000 d=4096 r=5000 ratio=1:4 tests=set,get,lpush,hset
for w in $(cat /proc/cmdline); do
    case $w in
        tierdb.n=*) n=${w#*=} ;;
        tierdb.d=*) d=${w#*=} ;;
        tierdb.r=*) r=${w#*=} ;;
        tierdb.ratio=*) ratio=${w#*=} ;;
        tierdb.tests=*) tests=${w#*=} ;;
    esac
done
bad=0

cli() { redis-cli -p $PORT "$@" | tr -d '\r'; }

# KB of mapped pages per node: "N0 N1"
node_kb() {
    awk '{
        ps = 4
        for (i = 3; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
        for (i = 3; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split(substr($i, 2), a, "="); t[a[1]] += a[2] * ps }
    } END { printf "%d %d\n", t[0], t[1] }' /proc/$1/numa_maps
}

run_one() {
    name=$1
    shift
    echo
    echo "== $name: tierdb-server --pmem-kind kmem-dax --pmem-size 0 $*"
    /usr/bin/tierdb-server --port $PORT --bind 127.0.0.1 --dir /tmp --durability none \
        --pmem-kind kmem-dax --pmem-size 0 "$@" >/tmp/server-$name.log 2>&1 &
    pid=$!
    i=0
    until cli ping 2>/dev/null | grep -q PONG; do
        i=$((i + 1))
        if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
            echo "tierdb-server did not start:"; cat /tmp/server-$name.log
            bad=1
            return
        fi
        sleep 0.1
    done
    set -- $(node_kb $pid)
    b0=$1 b1=$2
    echo "\$ redis-benchmark -p $PORT -t $tests -n $n -r $r -d $d -c 10 -P 16 -q"
    if ! redis-benchmark -p $PORT -t $tests -n $n -r $r -d $d -c 10 -P 16 -q 2>&1 | tr '\r' '\n' |
         grep -v '^ *$' | grep -v 'rps=' ; then
        echo "redis-benchmark failed"; bad=1
    fi
    sleep 1    # a few controller periods, so INFO shows where the ratio settles
    cli info memory | grep -E '^(used_memory_(dram|pmem)(_user)?|pmem_kind|pmem_capacity|memory_alloc_policy|pmem_threshold|dram_share_target_perc|dram_share_perc|migrated_to_(pmem|dram)_bytes):'
    set -- $(node_kb $pid)
    g0=$(($1 - b0)) g1=$(($2 - b1))
    echo "pages: node 0 +$g0 KB, node 1 +$g1 KB (numa_maps growth during the benchmark)"
    case $name in
        ratio) [ $g1 -gt 0 ] || { echo "FAIL: ratio $ratio put nothing on node 1"; bad=1; } ;;
        only-dram) [ $2 -eq 0 ] || { echo "FAIL: only-dram has $2 KB on node 1"; bad=1; } ;;
    esac
    kill $pid
    wait $pid 2>/dev/null
}

echo "bench: TCG guest: the throughput below is NOT a measurement of tierdb (see bench/vm/README.md)"
run_one ratio --memory-alloc-policy ratio --dram-pmem-ratio "$(echo $ratio | tr : ' ')"
run_one only-dram --memory-alloc-policy only-dram
exit $bad
