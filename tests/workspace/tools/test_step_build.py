#!/usr/bin/env python3
"""test_step_build.py: mk/step.mk on the course's real steps.

  1. A second build of a step with no change compiles and links nothing,
     and make deletes nothing it built (no object is an intermediate file
     that make removes after the run, as step 4's test objects once were).
  2. CFLAGS from the learner's environment (CFLAGS=-O2) changes the
     optimisation but keeps the language standard and feature macros.

Runs after the contract check in `make test`, so the first build of each
step is usually there already and the whole file takes a few seconds.

  python3 tests/workspace/tools/test_step_build.py [STEP ...]

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
STEPS = sorted(p.name for p in (ROOT / "steps").iterdir() if (p / "Makefile").exists())



def make(step, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "CFLAGS", "STEP", "SOLUTION")}
    env.update(env_extra or {})
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT / "steps" / step), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return proc.returncode, proc.stdout


# What a build that does work prints: a compile or link line (mk/step.mk's
# and the fragments' own "  CC  file" / "  LD  file"), or make removing a file.
WORK_RE = re.compile(r"^\s*(CC|LD|AR)\s+\S|^rm ", re.M)


def test_second_build(step):
    # The same flags as the contract check's starter build, so the build it
    # left is reused (another set of flags would rebuild once, correctly).
    rc, out = make(step, "build", "WERROR=1")
    if not check(rc == 0, f"{step}: the starter builds", out):
        return
    removed = [ln for ln in out.splitlines() if ln.startswith("rm ")]
    check(not removed, f"{step}: make deletes nothing it built", "\n".join(removed))
    rc, out = make(step, "build", "WERROR=1")
    work = [ln for ln in out.splitlines() if WORK_RE.search(ln)]
    check(rc == 0 and not work, f"{step}: a second build with no change compiles nothing", "\n".join(work) or out)


def test_cflags_from_environment():
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = make("04-server", "-n", "build", "V=1", f"BUILD={tmp}/b", env_extra={"CFLAGS": "-O2"})
        compiles = [ln for ln in out.splitlines() if " -c " in ln and "/steps/04-server/" in ln]
        if not check(rc == 0 and compiles, "CFLAGS=-O2 make step4: the step's files are compiled", out[-2000:]):
            return
        bad = [ln for ln in compiles
               if not all(f in ln.split() for f in ("-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L"))]
        check(not bad, "CFLAGS=-O2 keeps -std=c11 and -D_POSIX_C_SOURCE, and -O2 is used",
              "\n".join(bad[:3]))


def main(argv):
    steps = [s for s in STEPS if not argv or any(s.startswith(a) for a in argv)]
    print("mk/step.mk on the course's steps")
    for step in steps:
        test_second_build(step)
    test_cflags_from_environment()
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
