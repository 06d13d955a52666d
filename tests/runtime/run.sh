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

passed=0
failed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

[ -n "$label" ] && echo "runtime tests ($label)"
for bin in "$@"; do
    name=$(basename "$bin")
    start=$(date +%s)
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" $wrap "$bin" >"$out" 2>"$err"
    rc=$?
    secs=$(( $(date +%s) - start ))
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
