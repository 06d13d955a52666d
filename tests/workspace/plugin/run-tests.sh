#!/bin/sh
# run-tests.sh: the tests of protoc-gen-cgrpc (README.md beside it says what
# each group checks and why).
#
# Run through make, which builds the plugin and sets the environment:
#   make -f mk/plugin.mk test-plugin
#   make -f mk/plugin.mk update-plugin-golden    (passes --update-golden)
# One line per check, then "N passed, M failed" last; the exit status is
# non-zero when anything failed. Everything is written under $OUT.

set -u

: "${ROOT:?set by mk/plugin.mk}" "${PLUGIN:?}" "${OUT:?}"
PROTOC=${PROTOC:-protoc}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
PROTO_INC=${PROTO_INC:-/usr/include}
MAKE=${MAKE:-make}
GRPC_PROTO=${GRPC_PROTO:-/usr/share/grpc-proto}

HERE=$ROOT/tests/workspace/plugin
PROTOS=$HERE/protos
GOLDEN=$HERE/golden
CLANG=$(command -v clang || true)
CXX=$(command -v c++ || true)
VALGRIND=$(command -v valgrind || true)
CLANG_FORMAT=$(command -v clang-format || true)

# The flags generated code must pass without a warning.
STRICT="-std=c11 -Wall -Wextra -Wpedantic -Wconversion -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -Werror"
# Flags for code that is not the plugin's (protobuf-c's, the test doubles').
PLAIN="-std=c11 -Wall -Wextra -g"
INCS="-I$ROOT/lib/include -I$HERE $($PKG_CONFIG --cflags libprotobuf-c)"
LIBS="$($PKG_CONFIG --libs libprotobuf-c)"
CMOCKA_CFLAGS=$($PKG_CONFIG --cflags cmocka)
CMOCKA_LIBS=$($PKG_CONFIG --libs cmocka)

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "  ok    $1"
}

# bad NAME [LOGFILE]: a failed check, with the start of its log.
bad() {
    failed=$((failed + 1))
    echo "  FAIL  $1"
    if [ $# -gt 1 ] && [ -s "$2" ]; then
        sed -n '1,40s/^/        /p' "$2"
    fi
}

note() {
    echo "  note  $*"
}

# check NAME LOGFILE COMMAND...: runs the command, output to the log.
check() {
    name=$1
    log=$2
    shift 2
    if "$@" >"$log" 2>&1; then ok "$name"; else bad "$name" "$log"; fi
}

# protoc with the plugin built by make; the caller adds the rest.
run_protoc() {
    "$PROTOC" --plugin=protoc-gen-cgrpc="$PLUGIN" "$@"
}

# The golden test inputs: every .proto under protos/ but errors/.
golden_protos() {
    (cd "$PROTOS" && find . -name '*.proto' ! -path './errors/*' |
        sed 's|^\./||' | LC_ALL=C sort)
}

rm -rf "$OUT"
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# Golden files
# ---------------------------------------------------------------------------

# gen_one PROTO DIR: generates the stubs of one golden proto into DIR, the way
# the build's pattern rule does (one protoc run per file).
gen_one() {
    mkdir -p "$2"
    (cd "$PROTOS" && run_protoc -I. -I"$PROTO_INC" --cgrpc_out="$2" "$1")
}

if [ "${1:-}" = "--update-golden" ]; then
    echo "Updating $GOLDEN from the current plugin"
    rm -rf "$GOLDEN" "$OUT/update"
    mkdir -p "$GOLDEN"
    for p in $(golden_protos); do
        gen_one "$p" "$OUT/update" || exit 1
    done
    (cd "$OUT/update" && find . -type f) | while read -r f; do
        mkdir -p "$(dirname "$GOLDEN/$f")"
        cp "$OUT/update/$f" "$GOLDEN/$f"
    done
    echo "  $(find "$GOLDEN" -type f | wc -l) golden files written;" \
        "review them (git diff tests/workspace/plugin/golden) before committing"
    exit 0
fi

echo "golden files (tests/workspace/plugin/golden)"
mkdir -p "$OUT/golden"
for p in $(golden_protos); do
    d=$OUT/golden/$(echo "$p" | tr / _)
    log=$d.log
    base=${p%.proto}
    if ! gen_one "$p" "$d" >"$log" 2>&1; then
        bad "golden $p: protoc failed" "$log"
        continue
    fi
    : >"$log"
    want=0
    for ext in h c; do
        [ -f "$GOLDEN/$base.cgrpc.$ext" ] && want=$((want + 1))
        if [ -f "$GOLDEN/$base.cgrpc.$ext" ] || [ -f "$d/$base.cgrpc.$ext" ]; then
            diff -uN "$GOLDEN/$base.cgrpc.$ext" "$d/$base.cgrpc.$ext" >>"$log"
        fi
    done
    got=$(find "$d" -type f | wc -l)
    if [ "$got" -ne "$want" ]; then
        echo "expected $want files, got $got:" >>"$log"
        find "$d" -type f >>"$log"
    fi
    if [ "$want" -eq 0 ]; then
        label="golden $p (no services: no files)"
    else
        label="golden $p"
    fi
    if [ -s "$log" ]; then bad "$label" "$log"; else ok "$label"; fi
done

# All golden inputs in one request (as `protoc ... *.proto` would send them):
# the output must not depend on what else is in the request.
d=$OUT/combined
mkdir -p "$d"
if (cd "$PROTOS" && run_protoc -I. -I"$PROTO_INC" --cgrpc_out="$d" \
    $(golden_protos)) >"$d.log" 2>&1 &&
    diff -r "$GOLDEN" "$d" >>"$d.log" 2>&1; then
    ok "one protoc run over all golden protos gives the same files"
else
    bad "one protoc run over all golden protos gives the same files" "$d.log"
fi

# ---------------------------------------------------------------------------
# Generated code compiles
# ---------------------------------------------------------------------------

# gen_set NAME INCLUDE_DIR PROTO...: .pb-c and .cgrpc files into
# $OUT/compile/NAME.
gen_set() {
    set_name=$1
    set_inc=$2
    shift 2
    mkdir -p "$OUT/compile/$set_name"
    (cd "$set_inc" && run_protoc -I. -I"$PROTO_INC" \
        --cgrpc_out="$OUT/compile/$set_name" \
        --c_out="$OUT/compile/$set_name" "$@")
}

# compile_set NAME: compiles every generated file of the set with each C
# compiler, every header on its own (and as C++), and links everything.
compile_set() {
    dir=$OUT/compile/$1
    for cc in "$CC" $CLANG; do
        ccname=$(basename "$cc")
        log=$dir/$ccname.log
        : >"$log"
        status=0
        for f in $(cd "$dir" && find . -name '*.cgrpc.c' | LC_ALL=C sort); do
            $cc $STRICT $INCS -I"$dir" -c "$dir/$f" -o "$dir/$f.$ccname.o" \
                >>"$log" 2>&1 || status=1
        done
        # Each header alone, so it includes all it needs.
        for h in $(cd "$dir" && find . -name '*.cgrpc.h' | LC_ALL=C sort); do
            printf '#include "%s"\n' "${h#./}" >"$dir/only.c"
            $cc $STRICT $INCS -I"$dir" -c "$dir/only.c" -o /dev/null \
                >>"$log" 2>&1 || { echo "in $h" >>"$log"; status=1; }
        done
        if [ $status -eq 0 ]; then
            ok "$1: generated code compiles with $ccname, no warnings"
        else
            bad "$1: generated code compiles with $ccname, no warnings" "$log"
        fi
    done

    if [ -n "$CXX" ]; then
        log=$dir/cxx.log
        : >"$log"
        status=0
        for h in $(cd "$dir" && find . -name '*.cgrpc.h' | LC_ALL=C sort); do
            printf '#include "%s"\n' "${h#./}" >"$dir/only.cc"
            $CXX -std=c++14 -Wall -Wextra -Werror $INCS -I"$dir" \
                -fsyntax-only "$dir/only.cc" >>"$log" 2>&1 || status=1
        done
        if [ $status -eq 0 ]; then ok "$1: headers compile as C++"; else
            bad "$1: headers compile as C++" "$log"; fi
    fi

    # Link: every table referenced from a main, the runtime faked. Catches a
    # descriptor name that protobuf-c does not define.
    log=$dir/link.log
    main=$dir/link_main.c
    {
        for h in $(cd "$dir" && find . -name '*.cgrpc.h' | LC_ALL=C sort); do
            printf '#include "%s"\n' "${h#./}"
        done
        echo '#include <stdio.h>'
        echo 'int main(void)'
        echo '{'
        cat $(find "$dir" -name '*.cgrpc.h' | LC_ALL=C sort) |
            sed -n 's/^extern const cg_service \(.*\);$/\1/p;
                    /^extern const cg_service$/{n;s/^ *\(.*\);$/\1/p;}' |
            while read -r t; do
                printf '    printf("%%s %%zu\\n", %s.name, %s.n_methods);\n' \
                    "$t" "$t"
            done
        echo '    return 0;'
        echo '}'
    } >"$main"
    objs=""
    status=0
    for f in $(find "$dir" -name '*.pb-c.c' | LC_ALL=C sort); do
        $CC $PLAIN $INCS -I"$dir" -c "$f" -o "$f.o" >>"$log" 2>&1 || status=1
        objs="$objs $f.o"
    done
    # shellcheck disable=SC2086
    if [ $status -eq 0 ] &&
        $CC $PLAIN $INCS -I"$dir" "$main" $objs \
            $(find "$dir" -name "*.cgrpc.c.$(basename "$CC").o") \
            "$HERE/fake_runtime.c" $LIBS -o "$dir/link_main" >>"$log" 2>&1 &&
        "$dir/link_main" >"$dir/tables.txt" 2>>"$log" &&
        [ -s "$dir/tables.txt" ]; then
        ok "$1: links, and every method table is there ($(wc -l <"$dir/tables.txt") services)"
    else
        bad "$1: links, and every method table is there" "$log"
    fi

    # No function pointer casts (the invoke type included).
    if grep -n 'cg_invoke_fn\|(\*)(' $(find "$dir" -name '*.cgrpc.[ch]') \
        >"$dir/casts.log"; then
        bad "$1: no function pointer casts" "$dir/casts.log"
    else
        ok "$1: no function pointer casts"
    fi
}

echo "generated code compiles (-Wpedantic -Wconversion ... -Werror)"
COURSE_FILES=$(cd "$ROOT/proto" && find . -name '*.proto' | sed 's|^\./||' |
    LC_ALL=C sort)
if gen_set course "$ROOT/proto" $COURSE_FILES >"$OUT/course.log" 2>&1; then
    ok "course: protoc runs on proto/ ($(echo $COURSE_FILES | wc -w) files)"
    compile_set course
else
    bad "course: protoc runs on proto/" "$OUT/course.log"
fi
if gen_set golden "$PROTOS" $(golden_protos) google/protobuf/empty.proto \
    >"$OUT/golden-set.log" 2>&1; then
    compile_set golden
else
    bad "golden protos: protoc-gen-c and protoc-gen-cgrpc run" \
        "$OUT/golden-set.log"
fi
if [ -f "$GRPC_PROTO/grpc/testing/test.proto" ]; then
    if gen_set grpc-testing "$GRPC_PROTO" grpc/testing/test.proto \
        grpc/testing/empty.proto grpc/testing/messages.proto \
        >"$OUT/grpc-testing.log" 2>&1; then
        compile_set grpc-testing
    else
        bad "grpc/testing/test.proto: protoc runs" "$OUT/grpc-testing.log"
    fi
    if gen_set grpc-health "$GRPC_PROTO" grpc/health/v1/health.proto \
        >"$OUT/grpc-health.log" 2>&1; then
        compile_set grpc-health
    else
        bad "grpc/health/v1/health.proto: protoc runs" "$OUT/grpc-health.log"
    fi
else
    note "no $GRPC_PROTO (package grpc-proto): test.proto and health.proto skipped"
fi

# ---------------------------------------------------------------------------
# Layout: clang-format has nothing to change
# ---------------------------------------------------------------------------

echo "layout"
if [ -f "$ROOT/.clang-format" ]; then
    STYLE=$ROOT/.clang-format
else
    STYLE=$HERE/clang-format.yaml
fi
# format_check NAME FILE...: clang-format would leave the files as they are.
format_check() {
    name=$1
    shift
    log=$OUT/format-$(echo "$name" | tr ' /' '__').log
    : >"$log"
    for f in "$@"; do
        "$CLANG_FORMAT" --style=file:"$STYLE" "$f" | diff -u "$f" - >>"$log"
    done
    if [ -s "$log" ]; then bad "$name" "$log"; else ok "$name"; fi
}
if [ -n "$CLANG_FORMAT" ]; then
    format_check "clang-format leaves the golden files unchanged" \
        $(find "$GOLDEN" -type f | LC_ALL=C sort)
    format_check "clang-format leaves the course stubs unchanged" \
        $(find "$OUT/compile/course" -name '*.cgrpc.[ch]' | LC_ALL=C sort)
    if [ -d "$OUT/compile/grpc-testing" ]; then
        format_check "clang-format leaves the grpc.testing stubs unchanged" \
            $(find "$OUT/compile/grpc-testing" -name '*.cgrpc.[ch]' |
                LC_ALL=C sort)
    fi
else
    note "no clang-format: layout not checked"
fi
long=$(cat $(find "$GOLDEN" "$OUT/compile/course" -name '*.cgrpc.[ch]') |
    awk 'length($0) > 80' | wc -l)
if [ "$long" -eq 0 ]; then ok "no line longer than 80 columns"; else
    bad "no line longer than 80 columns ($long found)"; fi

# ---------------------------------------------------------------------------
# Errors in the .proto files
# ---------------------------------------------------------------------------

echo "errors are reported with file, service and method"
for p in $(cd "$PROTOS" && find errors -name '*.proto' | LC_ALL=C sort); do
    grep -q 'expect-error:' "$PROTOS/$p" || continue
    d=$OUT/errors/$(basename "$p" .proto)
    mkdir -p "$d"
    log=$d/check.log
    : >"$log"
    # The order of the build's rule: --cgrpc_out first.
    if (cd "$PROTOS" && run_protoc -I. -I"$PROTO_INC" --cgrpc_out="$d" \
        --c_out="$d" "$p") >"$d/stderr" 2>&1; then
        echo "protoc succeeded, expected a failure" >>"$log"
    fi
    sed -n 's|^// expect-error: ||p' "$PROTOS/$p" | while IFS= read -r want; do
        grep -qF -- "$want" "$d/stderr" ||
            printf 'missing: %s\n' "$want" >>"$log"
    done
    lines=$(sed -n 's|^// expect-lines: ||p' "$PROTOS/$p")
    if [ -n "$lines" ] && [ "$(grep -c '' "$d/stderr")" -ne "$lines" ]; then
        echo "expected $lines line(s) of errors" >>"$log"
    fi
    if [ -n "$(find "$d" -name '*.cgrpc.*')" ]; then
        echo "files were written despite the error" >>"$log"
    fi
    if [ -s "$log" ]; then
        echo "protoc said:" >>"$log"
        cat "$d/stderr" >>"$log"
        bad "$p" "$log"
    else
        ok "$p refused: $(sed -n '1s/^--cgrpc_out: [^:]*: //p' "$d/stderr" |
            cut -c1-60)..."
    fi
done

# Why the plugin checks proto3 `optional` itself: protoc-gen-c alone refuses
# it with a message that tells a learner nothing useful. If this starts to
# pass, protobuf-c learnt `optional` and model.c's check can go.
d=$OUT/errors/optional-c-only
mkdir -p "$d"
if (cd "$PROTOS" && "$PROTOC" -I. --c_out="$d" errors/optional.proto) \
    >"$d/stderr" 2>&1; then
    bad "proto3 optional: protoc-gen-c alone still refuses it" "$d/stderr"
elif grep -q "hasn't been updated to support optional fields" "$d/stderr"; then
    ok "proto3 optional: protoc-gen-c alone refuses it with a generic message"
else
    bad "proto3 optional: protoc-gen-c alone refuses it" "$d/stderr"
fi

d=$OUT/errors/option
mkdir -p "$d"
if (cd "$PROTOS" && run_protoc -I. -I"$PROTO_INC" --cgrpc_out=fast:"$d" \
    echo.proto) >"$d/stderr" 2>&1; then
    bad "an option (--cgrpc_out=fast:DIR) is refused" "$d/stderr"
elif grep -q 'takes no options, but got "fast"' "$d/stderr"; then
    ok "an option (--cgrpc_out=fast:DIR) is refused"
else
    bad "an option (--cgrpc_out=fast:DIR) is refused" "$d/stderr"
fi

printf 'not a request' | "$PLUGIN" >"$OUT/garbage.out" 2>"$OUT/garbage.err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'not a CodeGeneratorRequest' "$OUT/garbage.err"; then
    ok "a broken request on stdin: exit 1 with a message"
else
    bad "a broken request on stdin: exit 1 with a message (got $rc)" \
        "$OUT/garbage.err"
fi

# Requests protoc would never send (names missing or ""), written as text
# and encoded with protoc --encode, fed to the plugin directly: each must
# get an error response with its `# expect-error:` lines and no files;
# valid.txtpb, the same request unbroken, must get its two files.
echo "requests protoc would never send"
PLUGIN_PROTO=google/protobuf/compiler/plugin.proto
for t in "$HERE"/requests/*.txtpb; do
    n=$(basename "$t" .txtpb)
    d=$OUT/requests/$n
    mkdir -p "$d"
    log=$d/check.log
    : >"$log"
    if ! "$PROTOC" -I"$PROTO_INC" \
        --encode=google.protobuf.compiler.CodeGeneratorRequest \
        "$PLUGIN_PROTO" <"$t" >"$d/request.bin" 2>>"$log"; then
        bad "requests/$n.txtpb does not encode" "$log"
        continue
    fi
    "$PLUGIN" <"$d/request.bin" >"$d/response.bin" 2>"$d/stderr"
    rc=$?
    [ $rc -eq 0 ] || echo "the plugin exited with $rc" >>"$log"
    "$PROTOC" -I"$PROTO_INC" \
        --decode=google.protobuf.compiler.CodeGeneratorResponse \
        "$PLUGIN_PROTO" <"$d/response.bin" >"$d/response.txt" 2>>"$log" ||
        echo "the response does not decode" >>"$log"
    if grep -q 'expect-error:' "$t"; then
        sed -n 's|^# expect-error: ||p' "$t" | while IFS= read -r want; do
            grep -qF -- "$want" "$d/response.txt" ||
                printf 'missing: %s\n' "$want" >>"$log"
        done
        grep -q '^file {' "$d/response.txt" &&
            echo "files were written despite the error" >>"$log"
        what="refused"
    else
        grep -q '^error:' "$d/response.txt" &&
            echo "an error for a valid request" >>"$log"
        [ "$(grep -c '^  name: "x\.cgrpc\.[ch]"' "$d/response.txt")" -eq 2 ] ||
            echo "not exactly x.cgrpc.h and x.cgrpc.c" >>"$log"
        what="accepted"
    fi
    if [ -s "$log" ]; then
        echo "the plugin answered:" >>"$log"
        cat "$d/response.txt" "$d/stderr" >>"$log" 2>/dev/null
        bad "requests/$n.txtpb $what" "$log"
    else
        ok "requests/$n.txtpb $what"
    fi
done

# ---------------------------------------------------------------------------
# The build's pattern rule
# ---------------------------------------------------------------------------

echo "mk/plugin.mk"
d=$OUT/make-gen
log=$OUT/make-gen.log
if $MAKE --no-print-directory -C "$ROOT" -f mk/plugin.mk \
    CGRPC_GEN_DIR="$d" cgrpc-gen >"$log" 2>&1; then
    missing=""
    for f in $($MAKE --no-print-directory -s -C "$ROOT" -f mk/plugin.mk \
        CGRPC_GEN_DIR="$d" plugin-print-course-gen); do
        [ -f "$f" ] || missing="$missing $f"
    done
    if [ -n "$missing" ]; then
        echo "missing:$missing" >>"$log"
        bad "make cgrpc-gen writes COURSE_GEN_SRCS and headers" "$log"
    elif $MAKE --no-print-directory -q -C "$ROOT" -f mk/plugin.mk \
        CGRPC_GEN_DIR="$d" cgrpc-gen >>"$log" 2>&1; then
        ok "make cgrpc-gen writes COURSE_GEN_SRCS and headers, then is up to date"
    else
        bad "make cgrpc-gen is up to date after one run" "$log"
    fi
else
    bad "make cgrpc-gen" "$log"
fi

# ---------------------------------------------------------------------------
# valgrind: the plugin itself
# ---------------------------------------------------------------------------

echo "valgrind"
if [ -n "$VALGRIND" ]; then
    wrapper=$OUT/valgrind-plugin.sh
    {
        echo '#!/bin/sh'
        echo "exec \"$VALGRIND\" -q --leak-check=full --show-leak-kinds=all \\"
        echo "    --errors-for-leak-kinds=all --error-exitcode=99 \\"
        echo "    --log-file=\"$OUT/valgrind/plugin.%p.log\" \"$PLUGIN\""
    } >"$wrapper"
    chmod +x "$wrapper"
    mkdir -p "$OUT/valgrind"
    # vg_run NAME EXPECT(ok|error) INCLUDE_DIR PROTO...
    vg_run() {
        name=$1
        expect=$2
        inc=$3
        shift 3
        d=$OUT/valgrind/$(echo "$name" | tr ' /.' '___')
        mkdir -p "$d"
        rm -f "$OUT"/valgrind/plugin.*.log
        (cd "$inc" && "$PROTOC" --plugin=protoc-gen-cgrpc="$wrapper" \
            -I. -I"$PROTO_INC" --cgrpc_out="$d" "$@") >"$d.log" 2>&1
        rc=$?
        cat "$OUT"/valgrind/plugin.*.log >>"$d.log" 2>/dev/null
        if grep -q 'status code\|==[0-9]*==' "$d.log"; then
            bad "valgrind: $name" "$d.log"
        elif [ "$expect" = ok ] && [ $rc -ne 0 ]; then
            bad "valgrind: $name" "$d.log"
        elif [ "$expect" = error ] && [ $rc -eq 0 ]; then
            bad "valgrind: $name (expected protoc to fail)" "$d.log"
        else
            ok "valgrind: $name"
        fi
    }
    vg_run "plugin on the course protos" ok "$ROOT/proto" $COURSE_FILES
    vg_run "plugin on the golden protos" ok "$PROTOS" $(golden_protos)
    [ -f "$GRPC_PROTO/grpc/testing/test.proto" ] &&
        vg_run "plugin on grpc/testing/test.proto" ok "$GRPC_PROTO" \
            grpc/testing/test.proto
    vg_run "plugin reporting a clash" error "$PROTOS" \
        errors/clash_methods.proto
else
    note "no valgrind: memory checks skipped"
fi

# ---------------------------------------------------------------------------
# cmocka: the generated MyService stubs
# ---------------------------------------------------------------------------

# run_tap NAME LOG COMMAND...: runs a cmocka binary with TAP output and
# counts each test as a check.
run_tap() {
    name=$1
    log=$2
    shift 2
    CMOCKA_MESSAGE_OUTPUT=tap "$@" >"$log" 2>&1
    rc=$?
    n=0
    while IFS= read -r line; do
        case $line in
        "ok "*)
            ok "$name: ${line#ok * - }"
            n=$((n + 1))
            ;;
        "not ok "*)
            bad "$name: ${line#not ok * - }"
            n=$((n + 1))
            ;;
        esac
    done <"$log"
    if [ $n -eq 0 ] || { [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; }; then
        bad "$name: the suite ran (exit $rc)" "$log"
    fi
}

echo "cmocka: generated MyService stubs (runtime faked)"
gen=$OUT/compile/course
stubs=$OUT/test_stubs
if [ -f "$gen/tutorial/v1/my_service.cgrpc.c" ] &&
    $CC $PLAIN -Werror -Wpedantic $INCS $CMOCKA_CFLAGS -I"$gen" \
        "$HERE/test_stubs.c" "$HERE/fake_runtime.c" \
        "$gen/tutorial/v1/my_service.cgrpc.c" \
        "$gen/tutorial/v1/my_service.pb-c.c" \
        $CMOCKA_LIBS $LIBS -o "$stubs" >"$stubs.build.log" 2>&1; then
    run_tap stubs "$stubs.log" "$stubs"
    if [ -n "$VALGRIND" ]; then
        check "stubs: valgrind-clean" "$stubs.vg.log" \
            "$VALGRIND" -q --leak-check=full --errors-for-leak-kinds=all \
            --error-exitcode=99 "$stubs"
    fi
else
    bad "stubs: test_stubs.c builds" "$stubs.build.log"
fi

# ---------------------------------------------------------------------------
# cmocka: round trip over the real runtime, when it builds
# ---------------------------------------------------------------------------

echo "cmocka: round trip through the runtime (lib/)"
rt=$OUT/test_roundtrip
vars=$OUT/runtime-vars.txt
if [ -f "$ROOT/mk/lib.mk" ] &&
    $MAKE --no-print-directory -s -C "$ROOT" -f mk/lib.mk -f mk/plugin.mk \
        cgrpc-lib plugin-runtime-vars >"$vars" 2>&1 &&
    grep -q '^CGRPC_LIB=.' "$vars"; then
    CGRPC_LIB=$(sed -n 's/^CGRPC_LIB=//p' "$vars")
    CGRPC_CFLAGS=$(sed -n 's/^CGRPC_CFLAGS=//p' "$vars")
    CGRPC_LDLIBS=$(sed -n 's/^CGRPC_LDLIBS=//p' "$vars")
    if $CC $PLAIN -Werror -Wpedantic $CGRPC_CFLAGS $CMOCKA_CFLAGS -I"$gen" \
        "$HERE/test_roundtrip.c" "$gen/tutorial/v1/my_service.cgrpc.c" \
        "$gen/tutorial/v1/my_service.pb-c.c" "$CGRPC_LIB" $CGRPC_LDLIBS \
        $CMOCKA_LIBS -o "$rt" >"$rt.build.log" 2>&1; then
        run_tap roundtrip "$rt.log" timeout 120 "$rt"
        if [ -n "$VALGRIND" ]; then
            supp=""
            [ -f "$ROOT/tests/common/valgrind.supp" ] &&
                supp="--suppressions=$ROOT/tests/common/valgrind.supp"
            check "roundtrip: valgrind-clean" "$rt.vg.log" timeout 300 \
                "$VALGRIND" -q --leak-check=full --error-exitcode=99 \
                --errors-for-leak-kinds=definite,indirect,possible $supp "$rt"
        fi
    else
        bad "roundtrip: test_roundtrip.c builds against libcgrpc.a" \
            "$rt.build.log"
    fi
else
    # The runtime is not there yet: at least the test must compile against
    # the header, so it is ready when the runtime is.
    note "the runtime does not build yet (make -f mk/lib.mk cgrpc-lib, see" \
        "$vars): round-trip tests skipped, only compiled"
    check "roundtrip: test_roundtrip.c compiles against cgrpc.h" "$rt.build.log" \
        $CC $PLAIN -Werror -Wpedantic $INCS $CMOCKA_CFLAGS -I"$gen" \
        -c "$HERE/test_roundtrip.c" -o "$rt.o"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
