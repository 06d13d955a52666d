#!/usr/bin/env python3
"""read_ratio.py: how much code a learner reads per line they write, per step.

  lines read     the non-blank lines of the files a learner must open: the
                 starter version of every learner file (the files present in
                 solutions/NN-name/) and every header of the step's own
                 folder (steps/NN-name/*.h) that one of them #includes
                 directly with quotes. Headers of other folders (the
                 runtime's cgrpc.h, generated code, an earlier step's
                 headers) and given .c files are not counted: the lesson
                 says what to read there.
  lines written  the non-blank lines that `diff` reports as added or changed
                 from the starter to the solution of each learner file (the
                 '>' lines of `diff starter solution`).
  ratio          lines read / lines written.
  folder         for comparison, the non-blank lines of every file at the
                 top of steps/NN-name/ but README.md and Makefile: what a
                 learner who opens everything in the step's folder reads
                 (a given/ subfolder, which the lesson says not to read,
                 is left out).

  python3 tools/checks/read_ratio.py [STEP ...]    (STEP: 07-deploy, 7, or none for all)

Prints one row per step, then the total. Exits 0; it measures, it does not
judge.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
NOT_CODE = {"README.md", "Makefile"}


def nonblank(text):
    return sum(1 for ln in text.splitlines() if ln.strip())


def learner_files(step):
    sol = ROOT / "solutions" / step
    return sorted(p.name for p in sol.iterdir() if p.is_file()) if sol.is_dir() else []


def files_read(step):
    """The starter paths a learner opens for this step (learner files first)."""
    sdir = ROOT / "steps" / step
    read = [sdir / f for f in learner_files(step) if (sdir / f).is_file()]
    headers = []
    for path in list(read):
        for name in INCLUDE.findall(path.read_text(errors="replace")):
            for h in (sdir / name, sdir / "given" / name):
                if h.suffix == ".h" and h.is_file() and h not in read and h not in headers:
                    headers.append(h)
                    break
    return read + sorted(headers)


def written(step):
    """Non-blank lines added or changed from starter to solution."""
    total = 0
    for f in learner_files(step):
        starter = ROOT / "steps" / step / f
        solution = ROOT / "solutions" / step / f
        if not starter.is_file():
            total += nonblank(solution.read_text(errors="replace"))
            continue
        out = subprocess.run(["diff", str(starter), str(solution)],
                             stdout=subprocess.PIPE, text=True, errors="replace").stdout
        total += sum(1 for ln in out.splitlines() if ln.startswith("> ") and ln[2:].strip())
    return total


def measure(step):
    paths = files_read(step)
    read = sum(nonblank(p.read_text(errors="replace")) for p in paths)
    wrote = written(step)
    folder = sum(nonblank(p.read_text(errors="replace"))
                 for p in (ROOT / "steps" / step).iterdir() if p.is_file() and p.name not in NOT_CODE)
    return {"step": step, "read": read, "written": wrote, "folder": folder,
            "ratio": read / wrote if wrote else float("inf"),
            "files": [str(p.relative_to(ROOT)) for p in paths]}


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").iterdir()
                  if p.is_dir() and re.match(r"\d\d-", p.name))


def resolve(arg):
    for s in all_steps():
        if s == arg or s.split("-")[0].lstrip("0") == arg.lstrip("0") or s.startswith(arg):
            return s
    raise SystemExit(f"no step {arg!r}; steps: {', '.join(all_steps())}")


def main(argv):
    verbose = "-v" in argv
    steps = [resolve(a) for a in argv if not a.startswith("-")] or all_steps()
    print(f"{'step':<14}{'read':>6}{'written':>9}{'ratio':>7}{'folder':>8}{'ratio':>7}  files read")
    tr = tw = tf = 0
    for s in steps:
        m = measure(s)
        tr += m["read"]
        tw += m["written"]
        tf += m["folder"]
        fr = m["folder"] / m["written"] if m["written"] else float("inf")
        print(f"{s:<14}{m['read']:>6}{m['written']:>9}{m['ratio']:>7.2f}{m['folder']:>8}{fr:>7.2f}"
              f"  {len(m['files'])}")
        if verbose:
            for f in m["files"]:
                print(f"{'':<38}{f}")
    if len(steps) > 1:
        print(f"{'all':<14}{tr:>6}{tw:>9}{(tr / tw if tw else 0):>7.2f}{tf:>8}{(tf / tw if tw else 0):>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
