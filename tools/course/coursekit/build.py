"""coursekit.build: building a step's tests with make (mk/step.mk), and
finding the first compiler or protoc error in a failed build."""

import os
import re
import subprocess
import sys

from .lessons import localize
from .workspace import ROOT


def build_jobs():
    """Parallel jobs for a step's build: one per core (a one-line edit
    relinks every test program of the step), BUILD_JOBS=N to choose."""
    try:
        return max(1, int(os.environ.get("BUILD_JOBS", "0"))) if os.environ.get("BUILD_JOBS") \
            else max(1, os.cpu_count() or 1)
    except ValueError:
        return 1


def build_command(step, mode, extra=(), rerun=None, sanitize="address", suites=None):
    """The make command that builds a step's tests. RERUN tells the step's
    build which command to name in its own messages (mk/step.mk); SANITIZE
    which checkers to build in (address: ASan + LSan + UBSan, thread: TSan,
    none: plain code for valgrind); suites, when given, which suites' test
    programs to build (BUILD_SUITES), otherwise all of them."""
    jobs = build_jobs()
    # With jobs, -Otarget keeps each compiler's messages together.
    cmd = ["make", "-s", "--no-print-directory", f"-j{jobs}"] + (["-Otarget"] if jobs > 1 else []) + \
        ["-C", str(ROOT / "steps" / step), "build", f"SANITIZE={sanitize}"]
    if mode == "solution":
        cmd.append("SOLUTION=1")
    if rerun:
        cmd.append(f"RERUN={rerun}")
    if suites:
        cmd.append("BUILD_SUITES=" + " ".join(suites))
    return cmd + list(extra)


def clean_build_env():
    """The environment of a step's make. A top-level `make memcheck STEP=3`
    would pass STEP=3 down to the step's own make through MAKEFLAGS and
    override its STEP; it starts clean instead."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "STEP", "SOLUTION",
                         "SANITIZE")}


def make_build(step, mode, extra=(), quiet=False, rerun=None, sanitize="address", suites=None):
    """Builds a step's tests; returns (ok, output)."""
    cmd = build_command(step, mode, extra, rerun, sanitize, suites)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_build_env())
    out = proc.stdout.decode("utf-8", "replace")
    if not quiet:
        sys.stdout.write(localize(out))
    return proc.returncode == 0, out


# protoc's own messages name the file, line and column, without the word "error".
PROTOC_ERROR_RE = re.compile(r"^\S+\.proto:(\d+:\d+:)? ")


def first_compile_error(output):
    """The first line of a failed build that is a compiler's or protoc's error."""
    for ln in output.splitlines():
        if ln.startswith("make") or "warning:" in ln:
            continue
        if PROTOC_ERROR_RE.match(ln) or re.search(r"\berror\b", ln):
            return ln.strip()
    return None
