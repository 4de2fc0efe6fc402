#!/bin/sh
# Runs the whole test suite twice: a normal build and an ASan+UBSan build,
# each with `make check`, in build directories under ./_check.  Exits non-zero
# if either fails.  Used by the README's test command and by .ci/run.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] || autoreconf -fi
jobs=$(nproc 2>/dev/null || echo 2)
rc=0
for variant in normal sanitizers; do
    dir="$top/_check/$variant"
    mkdir -p "$dir"
    flags=""
    [ "$variant" = sanitizers ] && flags="--enable-sanitizers"
    echo "=== $variant build: ./configure $flags && make check"
    (cd "$dir" && "$top/configure" -q $flags && make -s -j"$jobs" && \
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 make -s -j"$jobs" check) || {
        rc=1
        for log in $(find "$dir/tests" -name '*.log' 2>/dev/null); do
            if grep -qE '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null; then
                echo "--- $log"; tail -n 60 "$log"
            fi
        done
    }
done
exit $rc
