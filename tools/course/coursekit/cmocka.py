"""coursekit.cmocka: reading a cmocka suite's output: each test's status,
the learner-facing message and lesson pointer of a failure, and valgrind's
count of errors."""

import re
from pathlib import Path

from .workspace import shown_path


RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")
OK_RE = re.compile(r"^\[       OK \] (\S+)")
FAIL_RE = re.compile(r"^\[  FAILED  \] (\S+)\s*$")
SKIP_RE = re.compile(r"^\[  SKIPPED \] (\S+)")
# The lesson pointer that tests/common/lesson.h prints on a line of its own,
# "    see docs/en/steps/NN-name.md#anchor". Only such a line is the pointer:
# a message line may quote "see docs/..." too (a starter stub's status
# message, e.g. 'with the message "step 4: implement UnaryCall — see docs/…"')
# and is part of what the learner must read.
SEE_LINE_RE = re.compile(r"^\s*see (docs/\S+)\s*$")
SEE_ANY_RE = re.compile(r"\bsee (docs/[\w./-]+\.md(?:#[\w-]+)?)")
# A program a test started, and where its stderr was saved
# (tests/common/testutil.h, tu_save_program_stderr).
PROGRAM_RE = re.compile(r"^\[ PROGRAM  \] (\S+) stderr: (.+)$")


def parse_cmocka(text):
    """Returns [{name, status, lines}] from cmocka's standard output, in order."""
    tests, current = [], None
    for line in text.splitlines():
        m = PROGRAM_RE.match(line)
        if m:
            # Ended in a test, or in the teardown just after it.
            owner = current or (tests[-1] if tests else None)
            if owner is not None:
                owner.setdefault("programs", []).append((m.group(1), m.group(2)))
            continue
        m = RUN_RE.match(line)
        if m:
            current = {"name": m.group(1), "status": "running", "lines": []}
            tests.append(current)
            continue
        for rx, status in ((OK_RE, "pass"), (FAIL_RE, "fail"), (SKIP_RE, "skip")):
            m = rx.match(line)
            if m and current is not None and m.group(1) == current["name"] and current["status"] == "running":
                current["status"] = status
                current = None
                break
        else:
            if current is not None:
                current["lines"].append(line)
    return tests


# Lines of a program's stderr that say something went wrong: shown before
# the plain tail (a server's access log would hide them).
TROUBLE_RE = re.compile(r"(?i)\b(error|warn(ing)?|fatal|usage|invalid|cannot|can't|failed|"
                        r"not set|missing|refused|unknown)\b")


def program_stderr(programs, lines=8, width=200):
    """What the last of a test's programs printed on stderr, as (program,
    [lines]), or None (tu_save_program_stderr saved it): its last lines
    that say something went wrong, or else its last lines."""
    for name, path in reversed(programs or []):
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            continue
        every = [ln for ln in text.splitlines() if ln.strip()]
        trouble = [ln for ln in every if TROUBLE_RE.search(ln)]
        tail = (trouble or every)[-lines:]
        if tail:
            return name, [ln if len(ln) <= width else ln[:width] + "…" for ln in tail]
    return None


def summarise_failure(lines):
    """Picks the learner-facing message and the lesson pointer out of a failed
    test's output: returns (message, see). Only a line that starts (after
    blanks) with "see docs/" is the pointer and is left out of the message;
    when a test printed no such line, the last "see docs/PAGE.md#anchor"
    inside a message line is the pointer, and that line stays."""
    see = None
    quoted = None
    msg = []
    for ln in lines:
        m = SEE_LINE_RE.match(ln)
        if m:
            see = m.group(1)
            continue
        for m in SEE_ANY_RE.finditer(ln):
            quoted = m.group(1)
        if ln.startswith("[  ERROR   ] --- ") or ln.startswith("[   LINE   ]"):
            loc = ln.split("--- ")[-1].strip()
            if loc and not msg:
                msg.append(loc)
            continue
        if ln.startswith("ERROR: "):
            ln = ln[7:]
        if ln.strip():
            msg.append(ln.rstrip())
    return "\n".join(msg[-8:]), see or quoted


def valgrind_problem(vg_log):
    """The suite line for a run that valgrind failed, with the count from its log."""
    n = None
    try:
        m = re.search(r"ERROR SUMMARY: (\d+) errors?", Path(vg_log).read_text(errors="replace"))
        n = int(m.group(1)) if m else None
    except OSError:
        pass
    if n is None or n == 0:
        what = "memory errors or leaks"
    elif n == 1:
        what = "1 memory error or leak"
    else:
        what = f"{n} memory errors or leaks"
    return f"valgrind found {what} (log: {shown_path(vg_log)})"
