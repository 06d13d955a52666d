#!/bin/sh
# run.sh: runs the runtime's test programs and totals their results.
#
#   sh run.sh [--label NAME] [--wrap "valgrind ..."] -- test_a test_b ...
#
# Each program is a cmocka suite. Its per-test "[       OK ]" and
# "[  FAILED  ]" lines (stdout) are counted; a program that crashes, times
# out or fails under the wrapper (valgrind's --error-exitcode) counts as one
# more failure. The last line is "N passed, M failed"; the exit status is
# non-zero when M > 0.

label=""
wrap=""
while [ $# -gt 0 ]; do
    case "$1" in
    --label) label=$2; shift 2 ;;
    --wrap) wrap=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done

# Every suite bounds its own tests; this is the backstop for a hang.
limit=${CGRT_TIMEOUT:-120}
[ -n "$CGRT_SLOW" ] && limit=${CGRT_TIMEOUT:-600}

# Suites under a slow wrapper (valgrind) run CGRT_JOBS at a time (default:
# 2 when CGRT_SLOW is set, else 1); results are printed in the given order.
jobs=${CGRT_JOBS:-1}
[ -n "$CGRT_SLOW" ] && jobs=${CGRT_JOBS:-2}

passed=0
failed=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

run_one() { # bin index
    start=$(date +%s)
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" $wrap "$1" >"$dir/$2.out" 2>"$dir/$2.err"
    echo "$? $(( $(date +%s) - start ))" >"$dir/$2.rc"
}

[ -n "$label" ] && echo "runtime tests ($label)"
i=0
running=0
for bin in "$@"; do
    i=$((i + 1))
    if [ "$jobs" -le 1 ]; then
        run_one "$bin" "$i"
    else
        run_one "$bin" "$i" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
            wait
            running=0
        fi
    fi
done
wait

i=0
for bin in "$@"; do
    i=$((i + 1))
    name=$(basename "$bin")
    read -r rc secs <"$dir/$i.rc"
    out="$dir/$i.out"
    err="$dir/$i.err"
    p=$(grep -c '^\[       OK \]' "$out")
    f=$(grep -c '^\[  FAILED  \]' "$out")
    extra=""
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        case $rc in
        124|137) extra=" (timed out after ${limit}s)" ;;
        *) extra=" (exit status $rc${wrap:+ under the wrapper})" ;;
        esac
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '  %-28s %3d passed, %d failed  %3ds%s\n' "$name" "$p" "$f" "$secs" "$extra"
    if [ "$f" -ne 0 ]; then
        sed 's/^/    | /' "$out"
        sed 's/^/    ! /' "$err" | tail -n 80
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
