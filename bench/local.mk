# bench
# bench/ stays outside `make check`: benchmarks are run by hand (bench/README.md).
EXTRA_DIST += bench/README.md bench/tier-cost bench/sync-cost bench/insn-cost
EXTRA_DIST += bench/run bench/run-all
EXTRA_DIST += bench/fake-tierdb
EXTRA_DIST += bench/vm/README.md bench/vm/run bench/vm/guest-bench.sh
