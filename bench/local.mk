# bench
# bench/ stays outside `make check`: benchmarks are run by hand (bench/README.md).
EXTRA_DIST += bench/README.md
EXTRA_DIST += bench/run
