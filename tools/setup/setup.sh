#!/usr/bin/env bash
# setup.sh: installs and checks what the workspace needs, from tools/setup/packages.tsv.
#
#   tools/setup/setup.sh                 install every missing package (apt), then build
#                                  the shared parts (make shared)
#   tools/setup/setup.sh --ensure LEVEL  quick check (core or all); runs the full setup
#                                  only when something is missing. Every make
#                                  command that needs tools calls this first.
#   tools/setup/setup.sh --doctor        print each tool with its version and how to fix
#                                  what is missing; exit 1 if a core one is missing
#
# On Debian and Ubuntu it installs with apt-get, non-interactively, as root or
# through sudo. Elsewhere it prints the Homebrew/dnf package names and stops.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIST="$ROOT/tools/setup/packages.tsv"
SYS_PY=/usr/bin/python3
[ -x "$SYS_PY" ] || SYS_PY=python3

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' N=$'\e[0m'
else
    B='' G='' R='' Y='' N=''
fi

# Reads the package list into parallel arrays (comments and header skipped).
DEB=() BREW=() DNF=() CHECK=() NEED=() FOR=()
while IFS=$'\t' read -r deb brew dnf check need what; do
    case "$deb" in '#'* | '' | debian) continue ;; esac
    DEB+=("$deb") BREW+=("$brew") DNF+=("$dnf") CHECK+=("$check")
    NEED+=("$need") FOR+=("$what")
done <"$LIST"

# py_scan: one Python run finds every py: module of the list (find_spec does
# not import, so this stays fast).
PY_FOUND=''
py_scan() {
    local mods=() i
    for i in "${!CHECK[@]}"; do [[ ${CHECK[$i]} == py:* ]] && mods+=("${CHECK[$i]#py:}"); done
    PY_FOUND=" $("$SYS_PY" -c 'import importlib.util as u, sys
print(" ".join(m for m in sys.argv[1:] if u.find_spec(m)))' "${mods[@]}" 2>/dev/null) "
}

# pc_file NAME: is NAME.pc on pkg-config's search path? (Looking for the
# file is ~50x faster than `pkg-config --exists grpc`, which walks all of
# absl's dependencies.)
PC_DIRS=''
pc_file() {
    local d
    [ -n "$PC_DIRS" ] || PC_DIRS="${PKG_CONFIG_PATH:+$PKG_CONFIG_PATH:}$(pkg-config --variable pc_path pkg-config 2>/dev/null)"
    local IFS=:
    for d in $PC_DIRS; do [ -e "$d/$1.pc" ] && return 0; done
    return 1
}

# has CHECK: true when the thing CHECK describes is present.
has() {
    local kind=${1%%:*} name=${1#*:}
    case "$kind" in
    cmd) command -v "$name" >/dev/null 2>&1 ;;
    pc) pc_file "$name" ;;
    file) [ -e "$name" ] ;;
    py) [ -n "$PY_FOUND" ] || py_scan; [[ " $PY_FOUND " == *" $name "* ]] ;;
    *) return 1 ;;
    esac
}

# version CHECK: a one-line version string for the doctor.
version() {
    local kind=${1%%:*} name=${1#*:} v=''
    case "$kind" in
    cmd)
        case "$name" in
        cc) v=$(cc --version 2>/dev/null | head -n1) ;;
        protoc-gen-c) v=$(protoc-gen-c --version 2>/dev/null | head -n1) ;;
        inotifywait) v=$(inotifywait --help 2>/dev/null | head -n1) ;;
        openssl) v=$(openssl version 2>/dev/null) ;;
        h2load) v=$(h2load --version 2>/dev/null | head -n1) ;;
        grpc_cpp_plugin) v="present" ;;
        *) v=$("$name" --version 2>&1 | head -n1) ;;
        esac ;;
    pc) v=$(pkg-config --modversion "$name" 2>/dev/null) ;;
    file) v="present" ;;
    py) v=$("$SYS_PY" -c "import $name as m; print(getattr(m, '__version__', 'present'))" 2>/dev/null) ;;
    esac
    printf '%s' "${v:-present}"
}

# missing [LEVEL]: indexes of missing packages (LEVEL core = core only).
missing() {
    local i
    for i in "${!DEB[@]}"; do
        [ "${1:-all}" = core ] && [ "${NEED[$i]}" != core ] && continue
        has "${CHECK[$i]}" || printf '%s\n' "$i"
    done
}

is_debian() {
    [ -r /etc/os-release ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release
}

print_other_systems() {
    local i brew=() dnf=()
    for i in "$@"; do
        [ "${BREW[$i]}" != - ] && brew+=("${BREW[$i]}")
        [ "${DNF[$i]}" != - ] && dnf+=("${DNF[$i]}")
    done
    echo "This system is not Debian or Ubuntu, so setup cannot install packages for you."
    echo "Install these yourself, then run 'make doctor' to check:"
    [ ${#brew[@]} -gt 0 ] && echo "  macOS:  brew install $(printf '%s\n' "${brew[@]}" | sort -u | tr '\n' ' ')"
    [ ${#dnf[@]} -gt 0 ] && echo "  Fedora: sudo dnf install $(printf '%s\n' "${dnf[@]}" | sort -u | tr '\n' ' ')"
    echo "Some tools (valgrind, grpc-proto, mkdocs) have no Homebrew formula; the"
    echo "course is tested on Debian 12, where every command works."
}

install_packages() {
    local idx=("$@") pkgs=() i sudo=()
    for i in "${idx[@]}"; do pkgs+=("${DEB[$i]}"); done
    if ! is_debian; then
        print_other_systems "${idx[@]}"
        return 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
            sudo=(sudo)
        else
            echo "${R}setup needs root to install packages.${N} Run this, then try again:"
            echo "  sudo apt-get install -y ${pkgs[*]}"
            return 1
        fi
    fi
    echo "${B}Installing:${N} ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get update -qq; then
        echo "${R}apt-get update failed.${N} Check the network or your apt sources, then run 'make setup' again."
        return 1
    fi
    if ! "${sudo[@]}" apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${pkgs[@]}"; then
        echo "${R}apt-get install failed${N} (see above). Run 'make doctor' to see what is still missing."
        return 1
    fi
}

full_setup() {
    local todo
    mapfile -t todo < <(missing all)
    if [ ${#todo[@]} -eq 0 ]; then
        echo "${G}All ${#DEB[@]} prerequisites are installed.${N}"
    else
        install_packages "${todo[@]}" || return 1
        mapfile -t todo < <(missing all)
        if [ ${#todo[@]} -gt 0 ]; then
            echo "${R}Still missing after installing:${N}"
            for i in "${todo[@]}"; do echo "  ${DEB[$i]} (${FOR[$i]})"; done
            return 1
        fi
        echo "${G}Installed. All ${#DEB[@]} prerequisites are there now.${N}"
    fi
    echo "${B}Building the shared parts${N} (runtime library, code generator)..."
    make -C "$ROOT" --no-print-directory -s shared SETUP_DONE=1 || {
        echo "${R}Building the shared parts failed${N} (see above). 'make doctor' checks the tools."
        return 1
    }
    # npm packages of the lesson site (Mermaid) and its browser tests, pinned
    # by tools/browser/package-lock.json: installed once, offline after that.
    echo "${B}Installing the lesson site's npm packages${N} (tools/browser: Mermaid, playwright-core, puppeteer-core)..."
    make -C "$ROOT" --no-print-directory -s browser-deps || {
        echo "${R}npm ci in tools/browser failed${N} (see above): it needs the npm registry once."
        return 1
    }
    echo "${G}Setup done.${N} Start with: make step1"
}

doctor() {
    local i bad_core=0 bad_extra=0 mark
    echo "${B}Checking the tools this workspace uses${N} (list: tools/setup/packages.tsv)"
    for i in "${!DEB[@]}"; do
        if has "${CHECK[$i]}"; then
            printf '  %s✓%s %-22s %-38.38s %s\n' "$G" "$N" "${DEB[$i]}" "$(version "${CHECK[$i]}")" "${FOR[$i]}"
        else
            if [ "${NEED[$i]}" = core ]; then mark="${R}✗${N}"; bad_core=$((bad_core + 1)); else mark="${Y}–${N}"; bad_extra=$((bad_extra + 1)); fi
            printf '  %s %-22s %-38s %s\n' "$mark" "${DEB[$i]}" "MISSING" "${FOR[$i]}"
        fi
    done
    if [ $((bad_core + bad_extra)) -eq 0 ]; then
        echo "${G}Everything is installed.${N}"
        return 0
    fi
    echo
    if is_debian; then
        echo "Fix: ${B}make setup${N} installs what is missing (apt-get, needs root or sudo)."
    else
        local todo
        mapfile -t todo < <(missing all)
        print_other_systems "${todo[@]}"
    fi
    if [ $bad_core -gt 0 ]; then
        echo "${R}$bad_core essential tool(s) missing:${N} the steps cannot build until they are installed."
        return 1
    fi
    echo "${Y}$bad_extra optional tool(s) missing:${N} the steps work; the commands named above do not."
    return 0
}

case "${1:-}" in
--ensure)
    level=${2:-all}
    if [ -z "$(missing "$level")" ]; then exit 0; fi
    echo "${B}First run on this machine: installing what the workspace needs.${N}"
    echo "(This happens once and takes a few minutes; 'make doctor' shows what is installed.)"
    full_setup
    ;;
--doctor) doctor ;;
--missing) missing "${2:-all}" | while read -r i; do echo "${DEB[$i]}"; done ;;
'') full_setup ;;
*)
    echo "usage: tools/setup/setup.sh [--ensure core|all | --doctor | --missing core|all]" >&2
    exit 2
    ;;
esac
