#!/bin/sh
# run.sh: runs libFuzzer targets for a time or a number of executions and
# prints one line of figures per target.
#
#   sh fuzz/run.sh --seconds N -- codec plugin server -- [libFuzzer flags]
#   sh fuzz/run.sh --runs N    -- codec plugin server -- [libFuzzer flags]
#
# Run through make (mk/fuzz.mk sets FUZZ_BUILD, FUZZ_DIR, FUZZ_REGRESS).
# Each target starts from its committed seeds (fuzz/corpus/<target>) and
# regression inputs (tests/workspace/regress/<target>) and keeps what it finds in
# build/fuzz/corpus/<target>, so the next run goes on from there. A crash,
# leak, sanitizer report or timeout is written to
# build/fuzz/artifacts/<target>/ and counts as a failure. The last line is
# "N passed, M failed" (targets); the exit status is non-zero when M > 0.

set -u
: "${FUZZ_BUILD:?run through make -f mk/fuzz.mk}" "${FUZZ_DIR:?}"
FUZZ_REGRESS=${FUZZ_REGRESS:-}

limit=""
case "${1:-}" in
--seconds) limit="-max_total_time=$2"; what="$2 s each" ;;
--runs) limit="-runs=$2"; what="$2 executions each" ;;
*) echo "usage: run.sh --seconds N | --runs N -- TARGET... -- [FLAGS]" >&2; exit 2 ;;
esac
shift 2
[ "${1:-}" = "--" ] && shift
targets=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    targets="$targets $1"
    shift
done
[ "${1:-}" = "--" ] && shift
# What is left in "$@" goes to every fuzzer.

# Flags per target: the longest input (the seeds' sizes, with room to
# grow), and for the server no leak check after every input: its calls
# end on other threads, so libFuzzer's per-input malloc/free count never
# balances and it would re-run every input under LeakSanitizer (3 times
# slower). Leaks are still checked at exit, after the server has shut
# down, over everything the run did.
target_flags() {
    case "$1" in
    plugin) echo "-max_len=16384" ;;
    server) echo "-max_len=4096 -detect_leaks=0" ;;
    *) echo "-max_len=4096" ;;
    esac
}

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

passed=0
failed=0
echo "fuzzing ($what)"
for t in $targets; do
    bin=$FUZZ_BUILD/libfuzzer/fuzz_$t
    work=$FUZZ_BUILD/corpus/$t
    art=$FUZZ_BUILD/artifacts/$t
    log=$FUZZ_BUILD/logs/$t.log
    mkdir -p "$work" "$art" "$FUZZ_BUILD/logs"
    seeds=$FUZZ_DIR/corpus/$t
    regress=""
    if [ -n "$FUZZ_REGRESS" ] && [ -d "$FUZZ_REGRESS/$t" ]; then
        regress=$FUZZ_REGRESS/$t
    fi
    dict=""
    [ -f "$FUZZ_DIR/dict/$t.dict" ] && dict="-dict=$FUZZ_DIR/dict/$t.dict"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" -print_final_stats=1 -artifact_prefix="$art/" -timeout=60 \
        -rss_limit_mb=4096 $(target_flags "$t") $limit $dict "$@" \
        "$work" "$seeds" $regress >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    [ "$secs" -gt 0 ] || secs=1
    execs=$(stat_of number_of_executed_units "$log")
    eps=$(stat_of average_exec_per_sec "$log")
    rss=$(stat_of peak_rss_mb "$log")
    # The last status line: "#N  DONE  cov: C ft: F corp: U/Sb ...".
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
    printf '  %-7s %9s execs in %5d s, %6s exec/s, cov %s, ft %s, corpus %s, rss %s MB' \
        "$t" "${execs:-?}" "$secs" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "  ok"
    else
        failed=$((failed + 1))
        echo "  FAILED (exit status $rc)"
        unit=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -n 1)
        [ -n "$unit" ] && echo "    input: ${unit#"$FUZZ_BUILD/../../"}"
        echo "    replay: $bin $unit"
        grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/    | /'
    fi
    # The server target's own counts of what the calls did.
    grep '^fuzz_server: [0-9]* calls' "$log" | tail -n 1 | sed 's/^/    /'
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
