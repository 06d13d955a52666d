#!/bin/sh
# replay.sh: every committed input through every target, without libFuzzer.
#
#   sh fuzz/replay.sh BIN_DIR CORPUS_DIR TARGET...
#
# For each target, the files of CORPUS_DIR/<target> and of
# $FUZZ_REGRESS/<target> (regression inputs, when that directory exists)
# go through BIN_DIR/fuzz_<target>, the standalone driver of replay.c built
# with ASan + UBSan. An input passes when the program gets past it; when
# the program dies (crash, sanitizer report, a check of the target, a hang
# of 120 s), the input it was on fails and the replay goes on after it. A
# leak or error found at exit, after all inputs, counts as one more
# failure. The last line is "N passed, M failed"; the exit status is
# non-zero when M > 0.

set -u
bindir=$1
corpus=$2
shift 2
FUZZ_REGRESS=${FUZZ_REGRESS:-}
limit=${FUZZ_REPLAY_TIMEOUT:-120}

passed=0
failed=0
list=$(mktemp)
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$list" "$out" "$err"' EXIT

echo "fuzz corpus replay (ASan + UBSan, no libFuzzer)"
for t in "$@"; do
    bin=$bindir/fuzz_$t
    : >"$list"
    for d in "$corpus/$t" ${FUZZ_REGRESS:+"$FUZZ_REGRESS/$t"}; do
        [ -d "$d" ] || continue
        find "$d" -maxdepth 1 -type f ! -name '.*' | LC_ALL=C sort >>"$list"
    done
    total=$(wc -l <"$list")
    p=0
    f=0
    start=$(date +%s)
    next=1
    while [ "$next" -le "$total" ]; do
        # shellcheck disable=SC2046
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} FUZZ_SERVER_QUIET=1 \
            timeout -k 10 "$limit" "$bin" $(tail -n "+$next" "$list") >"$out" 2>"$err"
        rc=$?
        done_now=$(grep -c '^ok ' "$out")
        p=$((p + done_now))
        next=$((next + done_now))
        [ "$rc" -eq 0 ] && break
        f=$((f + 1))
        if [ "$next" -le "$total" ]; then
            bad=$(sed -n "${next}p" "$list")
            echo "  FAIL $t: ${bad#"$PWD/"} (exit status $rc)"
            next=$((next + 1))
        else
            echo "  FAIL $t: error at exit after every input (exit status $rc: a leak?)"
        fi
        tail -n 30 "$err" | sed 's/^/    ! /'
        [ "$next" -le "$total" ] || break
    done
    passed=$((passed + p))
    failed=$((failed + f))
    printf '  %-8s %4d passed, %d failed  %3ds\n' "$t" "$p" "$f" "$(( $(date +%s) - start ))"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
