#!/usr/bin/env bash
# format.sh: the C code's layout (.clang-format), applied or checked.
#
#   tools/checks/format.sh          format every C file of the project in place
#   tools/checks/format.sh --check  list the files clang-format would change; exit 1
#                            when there is one (make format-check, in make test)
#
# The files: every .c and .h that git tracks or would track (so build/ and
# node_modules/ are out), except the plugin's golden files (generated code,
# checked by tests/workspace/plugin/run-tests.sh) and the C++ of bench/cpp.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
STYLE="--style=file:$ROOT/.clang-format"
WANT_VERSION=14

c_files() {
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$ROOT" ls-files --cached --others --exclude-standard -- '*.c' '*.h'
    else
        (cd "$ROOT" && find . -path ./build -prune -o -name node_modules -prune -o \
            -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||')
    fi | grep -v -e '^tests/workspace/plugin/golden/' -e '^bench/cpp/' | LC_ALL=C sort -u
}

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
    echo "clang-format is not installed: 'make setup' installs it (package clang-format)."
    exit 1
fi
mapfile -t FILES < <(c_files)
cd "$ROOT" || exit 1
# Only files that exist: a deleted file git still tracks is not checked.
EXISTING=()
for f in "${FILES[@]}"; do [ -f "$f" ] && EXISTING+=("$f"); done

if [ "${1:-}" != --check ]; then
    "$CLANG_FORMAT" "$STYLE" -i "${EXISTING[@]}" || exit 1
    echo "formatted ${#EXISTING[@]} C files (.clang-format)"
    exit 0
fi

# One clang-format for all files: --dry-run reports a file's first
# difference as "FILE:LINE:COL: error: code should be clang-formatted".
out=$("$CLANG_FORMAT" "$STYLE" --dry-run --Werror --ferror-limit=1 "${EXISTING[@]}" 2>&1)
rc=$?
mapfile -t DIFFER < <(printf '%s\n' "$out" |
    sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | LC_ALL=C sort -u)
if [ $rc -ne 0 ] && [ ${#DIFFER[@]} -eq 0 ]; then
    echo "  ✗ clang-format could not check the files:"
    printf '%s\n' "$out" | head -n 8 | sed 's/^/      /'
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ${#DIFFER[@]} -eq 0 ]; then
    echo "  ✓ ${#EXISTING[@]} C files laid out as .clang-format says"
    echo "1 passed, 0 failed"
    exit 0
fi
echo "  ✗ ${#DIFFER[@]} of ${#EXISTING[@]} C files are not laid out as .clang-format says:"
printf '      %s\n' "${DIFFER[@]}"
echo "    Run 'make format' to lay them out (then review and commit)."
version=$("$CLANG_FORMAT" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$version" != "$WANT_VERSION" ]; then
    echo "    Note: this is clang-format $version; the tree is formatted with clang-format" \
        "$WANT_VERSION (Debian 12), and versions lay some lines out differently."
fi
echo "0 passed, 1 failed"
exit 1
