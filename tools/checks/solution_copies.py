#!/usr/bin/env python3
"""solution_copies.py: the reference solutions hold only what a learner writes.

A file in solutions/NN-name/ is the finished version of the learner file of
the same name in steps/NN-name/. Code the learner is given belongs in given
files, which the build shares between starter and solution; a copy of it in
the solution can drift from the original unnoticed. This finds such copies:
every run of 6 or more lines that a solution file and its starter share.

Lines that count: whitespace is normalised (runs of blanks become one
space, ends trimmed) and these lines are left out, so they neither count
nor break a run: blank lines; lines that are only comment (// ..., /* ...,
the inside of a block comment, # ... in makefiles and scripts); lines that
are only braces, brackets, parentheses, ';' and ','; and #include lines
(a learner file keeps its includes, as it keeps its header comment).

  python3 tools/checks/solution_copies.py [STEP ...]   (07-deploy, 7; none: every step)

Prints one finding a line, e.g.
  solutions/07-deploy/auth.c:16-40 repeats steps/07-deploy/auth.c:16-40
and exits 1 when there is any; prints "no copies ..." and exits 0 otherwise.
Python 3.11 standard library only.
"""

import re
import sys
from pathlib import Path

MIN_RUN = 6
C_LIKE = {".c", ".h", ".proto", ".cc", ".cpp", ".js", ".go"}
BRACES_ONLY = re.compile(r"^[{}()\[\];,]*$")
INCLUDE = re.compile(r"^#\s*include\b")


def _code_of_c_lines(text):
    """Each line's text outside comments, for C-like syntax (strings and
    character literals are kept as they are, so "http://x" is not a comment)."""
    out = []
    in_block = False
    for line in text.splitlines():
        code = []
        i, n = 0, len(line)
        quote = None
        while i < n:
            c = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    i += 2
                else:
                    i += 1
                continue
            if quote:
                code.append(c)
                if c == "\\" and i + 1 < n:
                    code.append(line[i + 1])
                    i += 2
                    continue
                if c == quote:
                    quote = None
                i += 1
                continue
            if line.startswith("/*", i):
                in_block = True
                code.append(" ")
                i += 2
                continue
            if line.startswith("//", i):
                break
            if c in "\"'":
                quote = c
            code.append(c)
            i += 1
        out.append("".join(code))
    return out


def _code_of_hash_lines(text):
    """Each line's text, or '' for a line that is only a # comment."""
    return ["" if ln.strip().startswith("#") else ln for ln in text.splitlines()]


def significant_lines(path):
    """[(normalised line, line number)] of the lines that count (see above)."""
    text = Path(path).read_text(errors="replace")
    lines = text.splitlines()
    code = _code_of_c_lines(text) if Path(path).suffix in C_LIKE else _code_of_hash_lines(text)
    keep = []
    for number, (line, bare) in enumerate(zip(lines, code), 1):
        bare = " ".join(bare.split())
        if not bare or BRACES_ONLY.match(bare.replace(" ", "")) or INCLUDE.match(bare):
            continue
        keep.append((" ".join(line.split()), number))
    return keep


def shared_runs(a, b, min_run=MIN_RUN):
    """Maximal runs of equal consecutive entries of a and b (lists of
    (text, line number)), at least min_run long: [(a_first, a_last,
    b_first, b_last)] in line numbers, by a's position."""
    runs = []
    for i in range(len(a)):
        for j in range(len(b)):
            if a[i][0] != b[j][0]:
                continue
            if i > 0 and j > 0 and a[i - 1][0] == b[j - 1][0]:
                continue  # inside a run that started earlier
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k][0] == b[j + k][0]:
                k += 1
            if k >= min_run:
                runs.append((a[i][1], a[i + k - 1][1], b[j][1], b[j + k - 1][1]))
    # A line repeated inside one file can start several runs over the same
    # lines of the solution: keep the longest of those that overlap.
    runs.sort(key=lambda r: (r[0], -(r[1] - r[0])))
    kept = []
    for r in runs:
        if kept and r[0] <= kept[-1][1] and r[2] <= kept[-1][3] and r[2] >= kept[-1][2]:
            continue
        kept.append(r)
    return kept


def copied_runs(root, step):
    """Human-readable findings for one step: every run of MIN_RUN or more
    lines that a file of solutions/<step>/ shares with steps/<step>/ (the
    starter of the same name). [] when there is none."""
    root = Path(root)
    sol_dir = root / "solutions" / step
    findings = []
    if not sol_dir.is_dir():
        return findings
    for sol in sorted(p for p in sol_dir.iterdir() if p.is_file()):
        starter = root / "steps" / step / sol.name
        if not starter.is_file():
            continue
        for s0, s1, t0, t1 in shared_runs(significant_lines(sol), significant_lines(starter)):
            findings.append(f"solutions/{step}/{sol.name}:{s0}-{s1} repeats "
                            f"steps/{step}/{sol.name}:{t0}-{t1}")
    return findings


def all_steps(root):
    sol = Path(root) / "solutions"
    return sorted(p.name for p in sol.iterdir() if p.is_dir()) if sol.is_dir() else []


def resolve(root, arg):
    for s in all_steps(root):
        if s == arg or s.split("-")[0].lstrip("0") == arg.lstrip("0"):
            return s
    raise SystemExit(f"solution_copies.py: no step {arg!r} (steps: {', '.join(all_steps(root))})")


def main(argv, root=None):
    root = Path(root) if root else Path(__file__).resolve().parents[2]
    steps = [resolve(root, a) for a in argv] if argv else all_steps(root)
    findings = [f for s in steps for f in copied_runs(root, s)]
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} run(s) of {MIN_RUN}+ lines copied from a starter into its solution: "
              "move the given code into a given file (not in solutions/), so both share it")
        return 1
    print(f"no copies: the solutions of {len(steps)} step(s) share no run of {MIN_RUN}+ lines "
          "with their starters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
